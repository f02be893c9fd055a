// Everything of this plugin's network that HNS and the IPAM store hold, read once, read-only:
// the network(s) by name, their endpoints (pods, the gateway, anyone else's), whether each
// endpoint's namespace exists, and the reservations. leaks.ts judges; inspect.ts prints.

import type { BridgeSubnet } from '../bridge/gateway.js';
import type { BridgeContext } from '../bridge/context.js';
import { step } from '../bridge/errors.js';
import { gatewayEndpointName, isPodEndpointName } from '../bridge/naming.js';
import { networkMismatch } from '../bridge/network.js';
import { type HostComputeEndpoint, type HostComputeNetwork, networkType } from '../hns/schema.js';
import type { EndpointInfo, ReservationInfo } from './leaks.js';
import { parsePodEndpointName } from './pod-names.js';

export interface NetworkInfo {
  id: string;
  name: string;
  type: string;
  subnets: string[];
  /** hnsbridge's gateway endpoint on this network, if present. */
  gateway: { id: string; name: string; ips: string[]; namespace?: string } | undefined;
  /** Why ADD would refuse this network (another type, or without the config's subnets). */
  mismatch?: string;
  /** When hnsbridge's gateway endpoint is absent: another endpoint holding the bridge gateway address (a node script's vNIC). */
  gatewayHeldBy?: string;
}

export interface Inventory {
  network: string;
  /** The subnets and bridge gateways the config asks for. */
  expected: BridgeSubnet[];
  networks: NetworkInfo[];
  endpoints: EndpointInfo[];
  reservations: ReservationInfo[];
}

function ipsOf(ep: HostComputeEndpoint): string[] {
  return (ep.IpConfigurations ?? []).map((c) => c.IpAddress ?? '').filter((ip) => ip !== '');
}

function describeEndpoint(ep: HostComputeEndpoint, network: string): EndpointInfo {
  const name = ep.Name ?? '';
  const info: EndpointInfo = { id: ep.ID, name, networkId: ep.HostComputeNetwork, owner: 'other', ips: ipsOf(ep), policyTypes: [...new Set((ep.Policies ?? []).map((p) => p.Type))] };
  const pod = parsePodEndpointName(name, network);
  if (pod !== undefined) Object.assign(info, { owner: 'pod', containerId: pod.containerId, ifname: pod.ifname });
  else if (isPodEndpointName(name)) info.owner = 'pod'; // ours, though not named for this network: GC removes it too
  else if (name === gatewayEndpointName(network)) info.owner = 'gateway';
  if (ep.MacAddress) info.mac = ep.MacAddress;
  if (ep.HostComputeNamespace) info.namespace = ep.HostComputeNamespace;
  return info;
}

function describeNetwork(net: HostComputeNetwork, endpoints: EndpointInfo[], expected: BridgeSubnet[], network: string): NetworkInfo {
  const subnets = (net.Ipams ?? []).flatMap((i) => (i.Subnets ?? []).map((s) => s.IpAddressPrefix ?? '')).filter((s) => s !== '');
  const mine = endpoints.filter((e) => e.networkId.toLowerCase() === net.ID.toLowerCase());
  const gw = mine.find((e) => e.owner === 'gateway');
  const info: NetworkInfo = { id: net.ID, name: net.Name ?? network, type: networkType(net), subnets, gateway: undefined };
  const mismatch = networkMismatch(net, expected);
  if (mismatch !== undefined) info.mismatch = mismatch;
  if (gw !== undefined) {
    info.gateway = { id: gw.id, name: gw.name, ips: gw.ips };
    if (gw.namespace !== undefined) info.gateway.namespace = gw.namespace;
  } else {
    const gwIps = new Set(expected.map((s) => s.gateway.toLowerCase()));
    const holder = mine.find((e) => e.ips.some((ip) => gwIps.has(ip.toLowerCase())));
    if (holder !== undefined) info.gatewayHeldBy = holder.name || holder.id;
  }
  return info;
}

export async function gatherInventory(ctx: BridgeContext): Promise<Inventory> {
  const network = ctx.cfg.network;
  const nets = await step('find network', () => ctx.hns.findNetworksByName(network));
  const endpoints: EndpointInfo[] = [];
  for (const net of nets) {
    const eps = await step(`list endpoints of network ${net.ID}`, () => ctx.hns.listNetworkEndpoints(net.ID));
    endpoints.push(...eps.map((ep) => describeEndpoint(ep, network)));
  }
  // One lookup per namespace, not per endpoint: pods of a sandbox share it.
  const namespaces = new Map<string, boolean>();
  for (const ep of endpoints) {
    if (ep.namespace === undefined) continue;
    const key = ep.namespace.toLowerCase();
    if (!namespaces.has(key)) namespaces.set(key, (await step(`query namespace ${ep.namespace}`, () => ctx.hns.getNamespace(ep.namespace as string))) !== undefined);
    ep.namespaceExists = namespaces.get(key) as boolean;
  }
  const reservations = (await step('list reservations', () => ctx.ipam.list())).map((r) => {
    const out: ReservationInfo = { ip: r.ip, containerId: r.containerId };
    if (r.ifname !== undefined) out.ifname = r.ifname;
    return out;
  });
  return { network, expected: ctx.subnets, networks: nets.map((n) => describeNetwork(n, endpoints, ctx.subnets, network)), endpoints, reservations };
}
