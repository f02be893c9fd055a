// The HostComputeEndpoint document for a pod: addresses, default routes via the bridge gateway,
// DNS, and every policy, built in one place so ADD creates exactly what CHECK later expects.

import type { CniDns } from '../cni/result.js';
import type { Dns, HostComputeEndpointSettings, HostComputeNetworkSettings } from '../hns/schema.js';
import type { BridgeConfig, PortMapping } from './config.js';
import type { BridgeSubnet } from './gateway.js';
import type { HcnPolicy } from './policies.js';

export interface PodAddress {
  ip: string;
  prefixLength: number;
  family: 4 | 6;
  /** The bridge gateway of the address's subnet. */
  gateway: string;
}

export interface EndpointSpecInput {
  name: string;
  networkId: string;
  addresses: PodAddress[];
  dns: CniDns;
  /** HNS supports loopback DSR (9.3–9.x, 10.2+). */
  dsrSupported: boolean;
}

export const SCHEMA_VERSION = { Major: 2, Minor: 0 } as const;

const PROTOCOL: Record<PortMapping['protocol'], number> = { tcp: 6, udp: 17 };
const NAT_FLAG_LOCAL_ROUTED_VIP = 1;
const NAT_FLAG_IPV6 = 2;

/** netconf `dns` overlaid with runtimeConfig.dns field by field: what the runtime gives wins. */
export function mergeDns(conf: CniDns, runtime: CniDns | undefined): CniDns {
  const out: CniDns = { ...conf };
  if (runtime?.nameservers?.length) out.nameservers = runtime.nameservers;
  if (runtime?.search?.length) out.search = runtime.search;
  if (runtime?.options?.length) out.options = runtime.options;
  if (runtime?.domain) out.domain = runtime.domain;
  return out;
}

export function hcnDns(dns: CniDns): Dns | undefined {
  const out: Dns = {};
  if (dns.domain) out.Domain = dns.domain;
  if (dns.search?.length) out.Search = dns.search;
  if (dns.nameservers?.length) out.ServerList = dns.nameservers;
  if (dns.options?.length) out.Options = dns.options;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Port mappings: one IPv4 policy per mapping, plus an IPv6 copy with the IPv6 flag when the pod has
 * an IPv6 address. A hostIP pins the mapping to that family only.
 */
export function portMappingPolicies(cfg: BridgeConfig, addresses: PodAddress[]): HcnPolicy[] {
  const hasV4 = addresses.some((a) => a.family === 4);
  const hasV6 = addresses.some((a) => a.family === 6);
  const baseFlags = cfg.portMappingOptions.localRoutedVip ? NAT_FLAG_LOCAL_ROUTED_VIP : 0;
  const out: HcnPolicy[] = [];
  for (const pm of cfg.runtime.portMappings) {
    const hostFamily = pm.hostIP === undefined ? undefined : pm.hostIP.includes(':') ? 6 : 4;
    const settings = (flags: number, vip: string | undefined): Record<string, unknown> => {
      const s: Record<string, unknown> = { Protocol: PROTOCOL[pm.protocol], InternalPort: pm.containerPort, ExternalPort: pm.hostPort, Flags: flags };
      if (vip) s.VIP = vip;
      return s;
    };
    if (hasV4 && hostFamily !== 6) out.push({ Type: 'PortMapping', Settings: settings(baseFlags, pm.hostIP) });
    if (hasV6 && hostFamily !== 4) out.push({ Type: 'PortMapping', Settings: settings(baseFlags | NAT_FLAG_IPV6, pm.hostIP) });
  }
  return out;
}

/** With allowAclPortMapping (sdnbridge), each mapped container port also gets an inbound Allow ACL. */
function portMappingAcls(cfg: BridgeConfig): HcnPolicy[] {
  if (!cfg.portMappingOptions.aclAllow) return [];
  return cfg.runtime.portMappings.map((pm) => ({
    Type: 'ACL',
    Settings: { Protocols: String(PROTOCOL[pm.protocol]), Action: 'Allow', Direction: 'In', LocalPorts: String(pm.containerPort), RuleType: 'Switch', Priority: 1000 },
  }));
}

/** Every endpoint policy, in a stable order: NAT, routes, port mappings, loopback DSR, ACLs, extras. */
export function endpointPolicies(cfg: BridgeConfig, addresses: PodAddress[], dsrSupported: boolean): HcnPolicy[] {
  const out: HcnPolicy[] = [];
  if (cfg.outboundNatExceptions !== undefined) {
    out.push({ Type: 'OutBoundNAT', Settings: cfg.outboundNatExceptions.length > 0 ? { Exceptions: cfg.outboundNatExceptions } : {} });
  }
  out.push(...cfg.sdnRoutes);
  out.push(...portMappingPolicies(cfg, addresses));
  const v4 = addresses.find((a) => a.family === 4);
  if (cfg.loopbackDsr && dsrSupported && v4) {
    // A pod reaching itself through its own Service: OutBoundNAT with the pod's address as destination.
    out.push({ Type: 'OutBoundNAT', Settings: { Destinations: [v4.ip] } });
  }
  out.push(...cfg.acls, ...portMappingAcls(cfg), ...cfg.extraEndpointPolicies);
  return out;
}

export function endpointSettings(cfg: BridgeConfig, input: EndpointSpecInput): HostComputeEndpointSettings {
  const doc: HostComputeEndpointSettings = {
    SchemaVersion: SCHEMA_VERSION,
    Name: input.name,
    HostComputeNetwork: input.networkId,
    IpConfigurations: input.addresses.map((a) => ({ IpAddress: a.ip, PrefixLength: a.prefixLength })),
    Routes: input.addresses.map((a) => ({ NextHop: a.gateway, DestinationPrefix: a.family === 4 ? '0.0.0.0/0' : '::/0' })),
    Policies: endpointPolicies(cfg, input.addresses, input.dsrSupported),
  };
  const dns = hcnDns(input.dns);
  if (dns) doc.Dns = dns;
  return doc;
}

/** The L2Bridge network document hnsbridge creates when none exists. */
export function networkSettings(cfg: BridgeConfig, subnets: BridgeSubnet[]): HostComputeNetworkSettings {
  const policies: HcnPolicy[] = [];
  if (cfg.adapter) policies.push({ Type: 'NetAdapterName', Settings: { NetworkAdapterName: cfg.adapter } });
  policies.push(...cfg.extraNetworkPolicies);
  const doc: HostComputeNetworkSettings = {
    SchemaVersion: SCHEMA_VERSION,
    Name: cfg.network,
    Type: 'L2Bridge',
    Ipams: [
      {
        Type: 'Static',
        Subnets: subnets.map((s) => ({
          IpAddressPrefix: s.prefix,
          Routes: [{ NextHop: s.gateway, DestinationPrefix: s.family === 4 ? '0.0.0.0/0' : '::/0' }],
        })),
      },
    ],
  };
  if (policies.length > 0) doc.Policies = policies;
  const dns = hcnDns(cfg.dns);
  if (dns) doc.Dns = dns;
  return doc;
}

/** The host vNIC holding the bridge gateway addresses (one per family). */
export function gatewayEndpointSettings(name: string, networkId: string, subnets: BridgeSubnet[]): HostComputeEndpointSettings {
  const perFamily = new Map<number, BridgeSubnet>();
  for (const s of subnets) if (!perFamily.has(s.family)) perFamily.set(s.family, s);
  return {
    SchemaVersion: SCHEMA_VERSION,
    Name: name,
    HostComputeNetwork: networkId,
    IpConfigurations: [...perFamily.values()].map((s) => ({ IpAddress: s.gateway, PrefixLength: s.prefixLength })),
  };
}
