// CHECK is real: the network exists, the endpoint exists on it, is attached to the pod's namespace,
// holds the addresses of prevResult (and of the IPAM reservation) with prevResult's MAC, and carries
// every policy ADD would give it. The failure lists everything that is missing or different, so a
// runtime can recreate a pod whose endpoint an HNS restart removed.

import { CniError, ErrorCode } from '../cni/errors.js';
import type { CniResult } from '../cni/result.js';
import type { EndpointPolicy, HostComputeEndpoint } from '../hns/schema.js';
import type { BridgeContext } from './context.js';
import { endpointIps, podAddresses } from './endpoint-ops.js';
import { endpointPolicies } from './endpoint-spec.js';
import { step } from './errors.js';
import type { HcnPolicy } from './policies.js';
import { requireNamespace } from './add.js';
import { sameGuid } from '../hns/schema.js';
import { podEndpointName } from './naming.js';
import { findNetwork } from './network.js';

export async function check(ctx: BridgeContext): Promise<void> {
  const { cfg, env } = ctx;
  const netns = requireNamespace(env.netns);
  const name = podEndpointName(env.containerId, env.ifname, cfg.network);
  const problems: string[] = [];

  const network = await findNetwork(ctx.hns, cfg, ctx.subnets);
  // Named too when the whole network is gone, so a runtime (and an operator) sees which pod is lost.
  if (!network) fail(`HNS network "${cfg.network}" does not exist, so endpoint ${name} of container ${env.containerId} is gone with it (HNS restarted or the node rebooted?)`);
  const ep = await step('find endpoint', () => ctx.hns.findEndpointByName(name));
  if (!ep) fail(`endpoint ${name} of container ${env.containerId} does not exist in HNS (HNS restarted or the node rebooted?)`);
  if (!sameGuid(ep.HostComputeNetwork, network.ID)) problems.push(`endpoint ${ep.ID} is on network ${ep.HostComputeNetwork}, not on "${cfg.network}" (${network.ID})`);

  const attached = await step(`read namespace ${netns}`, () => ctx.hns.namespaceEndpointIds(netns));
  if (attached === undefined) problems.push(`namespace ${netns} does not exist`);
  else if (!attached.some((id) => sameGuid(id, ep.ID))) problems.push(`endpoint ${ep.ID} is not attached to namespace ${netns}`);

  const have = endpointIps(ep);
  const reservations = await step('look up reservations', () => ctx.ipam.find(env.containerId, env.ifname));
  const reserved = reservations.map((r) => r.ip.toLowerCase()).sort();
  if (reserved.length === 0) problems.push(`no IP reservation for container ${env.containerId} / ${env.ifname} in the IPAM store`);
  else if (reserved.join() !== have.join()) problems.push(`endpoint addresses [${have.join(', ')}] differ from the reservation [${reserved.join(', ')}]`);

  const prev = ctx.prevResult;
  if (prev) compareWithPrevResult(prev, ep, env.ifname, have, problems);

  const addresses = reservations.length > 0 && reserved.join() === have.join() ? podAddressesFromEndpoint(ctx, ep) : [];
  const dsr = cfg.loopbackDsr ? (await step('probe HNS version', () => ctx.hns.probe())).features.dsr : false;
  for (const want of endpointPolicies(cfg, addresses, dsr)) {
    if (!(ep.Policies ?? []).some((p) => policyCovers(p, want))) problems.push(`endpoint is missing the ${want.Type} policy ${JSON.stringify(want.Settings)}`);
  }
  if (problems.length > 0) fail(`CHECK of container ${env.containerId}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, problems.join('\n'));
}

function fail(msg: string, details?: string): never {
  throw new CniError(ErrorCode.CheckFailed, msg, details);
}

function normMac(m: string | undefined): string {
  return (m ?? '').toLowerCase().replace(/[-:]/g, '');
}

function compareWithPrevResult(prev: CniResult, ep: HostComputeEndpoint, ifname: string, have: string[], problems: string[]): void {
  const idx = (prev.interfaces ?? []).findIndex((i) => i.name === ifname);
  const iface = idx >= 0 ? prev.interfaces?.[idx] : undefined;
  if (iface?.mac && ep.MacAddress && normMac(iface.mac) !== normMac(ep.MacAddress)) problems.push(`endpoint MAC ${ep.MacAddress} differs from prevResult's ${iface.mac}`);
  const want = (prev.ips ?? [])
    .filter((ip) => ip.interface === undefined || ip.interface === idx)
    .map((ip) => ip.address.split('/')[0]?.toLowerCase() ?? '')
    .sort();
  if (want.length > 0 && want.join() !== have.join()) problems.push(`endpoint addresses [${have.join(', ')}] differ from prevResult's [${want.join(', ')}]`);
}

function podAddressesFromEndpoint(ctx: BridgeContext, ep: HostComputeEndpoint): ReturnType<typeof podAddresses> {
  return (ep.IpConfigurations ?? []).map((c) => {
    const ip = c.IpAddress ?? '';
    const family: 4 | 6 = ip.includes(':') ? 6 : 4;
    const subnet = ctx.subnets.find((s) => s.family === family);
    return { ip, prefixLength: c.PrefixLength ?? subnet?.prefixLength ?? 0, family, gateway: subnet?.gateway ?? '' };
  });
}

/** Loose equality for settings HNS may echo back differently (case of strings, key order, number vs string). */
function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    return Object.entries(b as Record<string, unknown>).every(([k, v]) => sameValue((a as Record<string, unknown>)[k], v));
  }
  return String(a).toLowerCase() === String(b).toLowerCase();
}

/** True when the endpoint's policy has the wanted type and every wanted setting (HNS may add defaults). */
export function policyCovers(have: EndpointPolicy, want: HcnPolicy): boolean {
  if (have.Type.toLowerCase() !== want.Type.toLowerCase()) return false;
  const settings = (have.Settings ?? {}) as Record<string, unknown>;
  return Object.entries(want.Settings).every(([k, v]) => {
    const actual = Object.entries(settings).find(([hk]) => hk.toLowerCase() === k.toLowerCase())?.[1];
    if (actual === undefined) return v === 0 || v === false; // HNS leaves zero flags out
    return sameValue(actual, v);
  });
}
