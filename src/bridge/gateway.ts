// The subnets of the L2Bridge network and their gateways.
//
// On L2Bridge the pods' default route points at the host's vNIC on the bridge. By the convention of
// the reference Windows plugins that vNIC holds subnet base + 2 (host-local's own default gateway,
// base + 1, is a different thing). An explicit `gateway` in the IPAM range wins. The allocator must
// hand out neither address.

import type { IpamConfig } from '../ipam/config.js';
import { type Ip, formatCidr, formatIp } from '../ipam/ip.js';
import type { Range } from '../ipam/range.js';

export interface BridgeSubnet {
  family: 4 | 6;
  /** Network address in CIDR form, e.g. `10.244.1.0/24`. */
  prefix: string;
  prefixLength: number;
  /** The bridge gateway: the host vNIC address pods route through. */
  gateway: string;
  /** Index of the IPAM range set this subnet belongs to. */
  rangeSet: number;
}

export const BRIDGE_GATEWAY_OFFSET = 2n;

export function bridgeGateway(range: Range): Ip {
  if (range.gatewayExplicit) return range.gateway;
  return { family: range.subnet.ip.family, value: range.subnet.ip.value + BRIDGE_GATEWAY_OFFSET };
}

/** One entry per distinct subnet across all range sets, in config order. */
export function bridgeSubnets(ipam: IpamConfig): BridgeSubnet[] {
  const out: BridgeSubnet[] = [];
  ipam.rangeSets.forEach((set, rangeSet) => {
    for (const range of set) {
      const prefix = formatCidr(range.subnet);
      if (out.some((s) => s.prefix === prefix)) continue;
      out.push({ family: range.subnet.ip.family, prefix, prefixLength: range.subnet.prefix, gateway: formatIp(bridgeGateway(range)), rangeSet });
    }
  });
  return out;
}

/** Addresses the allocator must skip on top of host-local's own rules: every bridge gateway. */
export function reservedGatewayAddresses(ipam: IpamConfig): Set<string> {
  const out = new Set<string>();
  for (const set of ipam.rangeSets) for (const range of set) out.add(formatIp(bridgeGateway(range)));
  return out;
}

/** True when a range has at least one allocatable address once both gateways are excluded. */
export function rangeHasPodAddress(range: Range): boolean {
  const bridge = bridgeGateway(range).value;
  const hl = range.gateway.value;
  const start = range.rangeStart.value;
  const end = range.rangeEnd.value;
  let count = end - start + 1n;
  if (hl >= start && hl <= end) count -= 1n;
  if (bridge !== hl && bridge >= start && bridge <= end) count -= 1n;
  return count > 0n;
}
