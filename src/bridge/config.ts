// The hnsbridge network config, validated in full before the first HNS call.
//
// Three dialects are understood so an operator can switch plugins by changing only `type`:
//  - hnsbridge's own typed keys (clusterCIDR, serviceCIDR, managementIP, acls, ...);
//  - win-bridge's (`policies` with Name/Value in HNS v1 or v2 shapes, loopbackDSR, ipMasqNetwork, apiVersion);
//  - sdnbridge's (`AdditionalArgs`, `optionalFlags`, `additionalRoutes`, IPAM with routes[].GW).
// Every address is parsed here, so a placeholder or typo fails ADD with the field named and no HNS call.

import { ipFamilyOf } from '../ip-text.js';
import { posix, win32 } from 'node:path';
import type { CniEnv } from '../cni/env.js';
import type { ParsedNetConf } from '../cni/netconf.js';
import { isAbsolutePathFor } from '../cni/netconf.js';
import { ObjectReader, Problems, describeType, isPlainObject, joinPath } from '../cni/reader.js';
import { type CniDns, parseCidr, parseDns } from '../cni/result.js';
import type { CniVersion } from '../cni/version.js';
import { type IpamConfig, parseIpamConfig } from '../ipam/index.js';
import { describeRange } from '../ipam/range.js';
import { rangeHasPodAddress } from './gateway.js';
import { type HcnPolicy, looksLikeV1, parseV2Policy, translateV1Policy } from './policies.js';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
  hostIP?: string;
}

export interface RuntimeSettings {
  portMappings: PortMapping[];
  dns?: CniDns;
  /** Requested addresses from runtimeConfig.ips, args.cni.ips and CNI_ARGS IP=. */
  requestedIps: string[];
}

export interface BridgeConfig {
  network: string;
  cniVersion: CniVersion;
  ipam: IpamConfig;
  /** Host adapter for the L2Bridge network (NetAdapterName policy); HNS picks one when absent. */
  adapter?: string;
  dns: CniDns;
  /** OutBoundNAT exceptions, in order, without duplicates; undefined when outbound NAT is off. */
  outboundNatExceptions?: string[];
  /** SDNRoute policies: service CIDRs and the management IP /32 with encapsulation, plus extra routes. */
  sdnRoutes: HcnPolicy[];
  loopbackDsr: boolean;
  acls: HcnPolicy[];
  /** Raw endpoint policies from endpointPolicies, win-bridge `policies` and sdnbridge `AdditionalArgs`. */
  extraEndpointPolicies: HcnPolicy[];
  /** Raw network policies, applied only when hnsbridge creates the network. */
  extraNetworkPolicies: HcnPolicy[];
  portMappingOptions: { localRoutedVip: boolean; aclAllow: boolean };
  /** Per-HNS-call timeout. */
  hnsTimeoutMs: number;
  /** Where hnsbridge keeps its lock files (next to, never inside, host-local's per-network directory). */
  stateDir: string;
  runtime: RuntimeSettings;
  /** Accepted but noteworthy things (deprecated keys, ignored flags), logged on every call. */
  warnings: string[];
}

export const DEFAULT_HNS_TIMEOUT_SECONDS = 20;

export function parseBridgeConfig(conf: ParsedNetConf, env: CniEnv, platform: NodeJS.Platform = process.platform): BridgeConfig | undefined {
  const r = conf.reader;
  const problems = conf.problems;
  const warnings: string[] = [];
  const cidrs = (key: string): string[] => readCidrList(r, key);

  const ipamRaw = r.raw('ipam');
  const ipamReader = ipamRaw === undefined ? undefined : ObjectReader.of(normaliseIpam(ipamRaw, r, warnings), r.keyPath('ipam'), problems);
  if (ipamRaw === undefined) problems.add('ipam', 'is required', 'hnsbridge allocates addresses with its built-in host-local IPAM: {"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/24"}]]}');
  const ipam = ipamReader ? parseIpamConfig(ipamReader, { networkName: conf.base.name, cniVersion: conf.base.cniVersion, platform }) : undefined;
  // host-local would hand out the bridge gateway; hnsbridge never does, so a set of nothing but gateways is caught here, not mid-ADD.
  ipam?.rangeSets.forEach((set, i) => {
    if (!set.some(rangeHasPodAddress)) {
      problems.add(ipamReader?.keyPath('ranges') ?? 'ipam', `range set ${i} (${set.map(describeRange).join(', ')}) has no address left for pods`, 'the bridge gateway (subnet base + 2 unless the range names a gateway) and the range gateway are never handed out');
    }
  });

  const adapter = r.string('adapter', { nonEmpty: true });
  const dnsR = r.object('dns');
  const dns = dnsR ? parseDns(dnsR) : {};
  if (dnsR) for (const k of dnsR.unknownKeys()) problems.add(dnsR.keyPath(k), 'unknown key', 'dns accepts nameservers, domain, search, options');

  // Outbound NAT: pod traffic leaving the node is NATed to the node IP except to these ranges.
  const clusterCidrs = cidrs('clusterCIDR');
  const serviceCidrs = cidrs('serviceCIDR');
  const nodeSubnet = cidrs('nodeSubnet');
  const extraExceptions = cidrs('outboundNATExceptions');
  const ipMasqNetwork = cidrs('ipMasqNetwork'); // win-bridge
  const natEnabled = r.boolean('outboundNAT') ?? true;
  const exceptions = dedupe([...clusterCidrs, ...serviceCidrs, ...nodeSubnet, ...ipMasqNetwork, ...extraExceptions]);

  const managementIp = r.string('managementIP');
  const managementFamily = managementIp === undefined ? 0 : ipFamilyOf(managementIp);
  if (managementIp !== undefined && managementFamily === 0) problems.add(r.keyPath('managementIP'), `is not an IP address: ${JSON.stringify(managementIp)}`);
  const sdnRoutes: HcnPolicy[] = [];
  for (const c of serviceCidrs) sdnRoutes.push({ Type: 'SDNRoute', Settings: { DestinationPrefix: c, NeedEncap: true } });
  if (managementFamily !== 0) {
    sdnRoutes.push({ Type: 'SDNRoute', Settings: { DestinationPrefix: `${managementIp}/${managementFamily === 4 ? 32 : 128}`, NeedEncap: true } });
  }
  for (const item of r.array('sdnRoutes') ?? []) {
    const p = parseV2Policy({ Type: 'SDNRoute', Settings: pascalKeys(item.value) }, item.path, problems, 'endpoint');
    if (p) sdnRoutes.push(p);
  }

  const acls: HcnPolicy[] = [];
  for (const item of r.array('acls') ?? []) {
    if (!isPlainObject(item.value)) {
      problems.add(item.path, `must be an object, got ${describeType(item.value)}`);
      continue;
    }
    // Report problems under the operator's own camelCase keys (acls[0].action), not HCN's Settings.Action.
    const local = new Problems();
    const p = parseV2Policy({ Type: 'ACL', Settings: aclSettings(item.value) }, item.path, local, 'endpoint');
    for (const x of local.list) {
      const rest = x.path.startsWith(`${item.path}.Settings.`) ? x.path.slice(item.path.length + '.Settings.'.length) : undefined;
      problems.add(rest === undefined ? x.path : `${item.path}.${rest.charAt(0).toLowerCase()}${rest.slice(1)}`, x.message.replace('ACL policy', 'ACL'), x.hint);
    }
    if (p && local.empty) acls.push(p);
  }

  const extraEndpointPolicies: HcnPolicy[] = [];
  const extraNetworkPolicies: HcnPolicy[] = [];
  for (const item of r.array('endpointPolicies') ?? []) {
    const p = parseV2Policy(item.value, item.path, problems, 'endpoint');
    if (p) extraEndpointPolicies.push(p);
  }
  for (const item of r.array('networkPolicies') ?? []) {
    const p = parseV2Policy(item.value, item.path, problems, 'network');
    if (p) extraNetworkPolicies.push(p);
  }
  // win-bridge `policies` and sdnbridge `AdditionalArgs` share the {Name, Value} shape.
  for (const key of ['policies', 'AdditionalArgs']) {
    for (const item of r.array(key) ?? []) readNamedPolicy(item.value, item.path, problems, extraEndpointPolicies, extraNetworkPolicies, key === 'policies');
  }

  let loopbackDsr = r.boolean('loopbackDSR') ?? false;
  let localRoutedVip = false;
  let aclAllow = false;
  const flags = r.object('optionalFlags'); // sdnbridge
  if (flags) {
    loopbackDsr = flags.boolean('loopbackDSR') ?? loopbackDsr;
    localRoutedVip = flags.boolean('localRoutedPortMapping') ?? false;
    aclAllow = flags.boolean('allowAclPortMapping') ?? false;
    // Behaviour hnsbridge has anyway: dual-stack follows the IPAM ranges, the bridge gateway is base+2
    // unless a range names one, and the gateway may come from additionalRoutes (handled in normaliseIpam).
    flags.accept('enableDualStack', 'forceBridgeGateway', 'gatewayFromAdditionalRoutes');
    for (const k of flags.unknownKeys()) problems.add(flags.keyPath(k), 'unknown flag', 'optionalFlags accepts localRoutedPortMapping, allowAclPortMapping, forceBridgeGateway, enableDualStack, loopbackDSR, gatewayFromAdditionalRoutes');
  }

  const apiVersion = r.raw('apiVersion'); // win-bridge: 1 = HNS v1, 2 = HCN
  if (apiVersion !== undefined && apiVersion !== 2) {
    if (apiVersion !== 1) problems.add(r.keyPath('apiVersion'), `must be 1 or 2, got ${JSON.stringify(apiVersion)}`);
    else warnings.push('apiVersion 1 (HNS v1) was requested; hnsbridge always uses the HCN v2 API that containerd needs');
  }

  const timeout = r.integer('hnsTimeoutSeconds', { min: 1, max: 600 }) ?? DEFAULT_HNS_TIMEOUT_SECONDS;
  let stateDir = r.string('stateDir', { nonEmpty: true });
  if (stateDir !== undefined && !isAbsolutePathFor(stateDir, platform)) {
    problems.add(r.keyPath('stateDir'), `must be an absolute path, got ${JSON.stringify(stateDir)}`);
    stateDir = undefined;
  }

  const runtime = parseRuntime(r, env, problems);
  r.accept('args', 'runtimeConfig');

  if (!ipam || !problems.empty) return undefined; // the problems say why
  const pathMod = platform === 'win32' ? win32 : posix;
  const cfg: BridgeConfig = {
    network: conf.base.name,
    cniVersion: conf.base.cniVersion,
    ipam,
    dns,
    sdnRoutes,
    loopbackDsr,
    acls,
    extraEndpointPolicies,
    extraNetworkPolicies,
    portMappingOptions: { localRoutedVip, aclAllow },
    hnsTimeoutMs: timeout * 1000,
    stateDir: stateDir ?? pathMod.join(ipam.dataDir, '.hnsbridge'),
    runtime,
    warnings,
  };
  if (adapter) cfg.adapter = adapter;
  if (natEnabled) cfg.outboundNatExceptions = exceptions;
  return cfg;
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** A CIDR or a list of CIDRs under `key`. */
function readCidrList(r: ObjectReader, key: string): string[] {
  const v = r.raw(key);
  if (v === undefined || v === null) return [];
  const items = typeof v === 'string' ? [{ value: v, path: r.keyPath(key) }] : Array.isArray(v) ? v.map((value, i) => ({ value, path: joinPath(r.keyPath(key), i) })) : undefined;
  if (!items) {
    r.problems.add(r.keyPath(key), `must be a CIDR or a list of CIDRs, got ${describeType(v)}`);
    return [];
  }
  const out: string[] = [];
  for (const it of items) {
    if (typeof it.value !== 'string' || !parseCidr(it.value)) r.problems.add(it.path, `is not a CIDR: ${JSON.stringify(it.value)}`, 'for example 10.244.0.0/16');
    else out.push(it.value);
  }
  return out;
}

function pascalKeys(v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, val]) => [k.charAt(0).toUpperCase() + k.slice(1), val]));
}

const PROTOCOL_NUMBERS: Record<string, string> = { tcp: '6', udp: '17', icmp: '1', icmpv4: '1', icmpv6: '58', igmp: '2' };

/** hnsbridge's `acls` entries use camelCase and accept protocol names; HCN wants PascalCase and numbers. */
function aclSettings(v: Record<string, unknown>): Record<string, unknown> {
  const s = pascalKeys(v) as Record<string, unknown>;
  const proto = s.Protocols ?? s.Protocol;
  delete s.Protocol;
  if (proto !== undefined) {
    const list = Array.isArray(proto) ? proto : [proto];
    s.Protocols = list.map((p) => (typeof p === 'string' ? PROTOCOL_NUMBERS[p.toLowerCase()] ?? p : String(p))).join(',');
  }
  for (const k of ['LocalAddresses', 'RemoteAddresses', 'LocalPorts', 'RemotePorts']) {
    const x = s[k];
    if (Array.isArray(x)) s[k] = x.map(String).join(',');
    else if (typeof x === 'number') s[k] = String(x);
  }
  if (s.RuleType === undefined) s.RuleType = 'Switch';
  return s;
}

function readNamedPolicy(raw: unknown, p: string, problems: Problems, endpoint: HcnPolicy[], network: HcnPolicy[], winBridge: boolean): void {
  const r = ObjectReader.of(raw, p, problems);
  if (!r) return;
  const name = r.string('Name', { required: true });
  const value = r.raw('Value');
  for (const k of r.unknownKeys()) problems.add(r.keyPath(k), 'unknown key', 'each entry has Name and Value');
  if (name === undefined) return;
  const valuePath = r.keyPath('Value');
  if (!isPlainObject(value)) {
    problems.add(valuePath, `must be a policy object, got ${describeType(value)}`);
    return;
  }
  const kind = name.toLowerCase();
  if (kind === 'endpointpolicy') {
    const pol = winBridge && looksLikeV1(value) ? translateV1Policy(value, valuePath, problems) : parseV2Policy(value, valuePath, problems, 'endpoint');
    if (pol) endpoint.push(pol);
  } else if (kind === 'networkpolicy') {
    const pol = parseV2Policy(value, valuePath, problems, 'network');
    if (pol) network.push(pol);
  } else {
    problems.add(r.keyPath('Name'), `must be EndpointPolicy or NetworkPolicy, got ${JSON.stringify(name)}`);
  }
}

/**
 * sdnbridge configs carry IPAM without `type` and name the gateway as `routes: [{"GW": ...}]` (no
 * dst); win-bridge-era configs may omit `type` too. Both mean "this subnet, this gateway", which is
 * host-local's legacy single range. Returns the object host-local parsing should see.
 */
function normaliseIpam(raw: unknown, top: ObjectReader, warnings: string[]): unknown {
  if (!isPlainObject(raw)) return raw;
  const out: Record<string, unknown> = { ...raw };
  const keyOf = (k: string): string | undefined => Object.keys(out).find((x) => x.toLowerCase() === k.toLowerCase());
  const typeKey = keyOf('type');
  if (typeKey === undefined && keyOf('subnet') !== undefined) {
    out.type = 'host-local';
    warnings.push('ipam has no type; treating it as host-local (hnsbridge\'s built-in IPAM)');
  }
  const routesKey = keyOf('routes');
  const routes = routesKey ? out[routesKey] : undefined;
  if (routesKey && Array.isArray(routes)) {
    // Only a string GW is a gateway; any other entry without dst stays a route, so its problems are reported.
    const gwOf = (rt: Record<string, unknown>): unknown => Object.entries(rt).find(([k]) => k.toLowerCase() === 'gw')?.[1];
    const gwOnly = routes.filter((rt) => isPlainObject(rt) && !Object.keys(rt).some((k) => k.toLowerCase() === 'dst') && typeof gwOf(rt) === 'string');
    if (gwOnly.length > 0) {
      const first = gwOnly[0] as Record<string, unknown>;
      const gw = Object.entries(first).find(([k]) => k.toLowerCase() === 'gw')?.[1];
      if (typeof gw === 'string' && keyOf('gateway') === undefined) out.gateway = gw;
      out[routesKey] = routes.filter((rt) => !gwOnly.includes(rt));
      warnings.push('ipam.routes entries without dst were read as the gateway (sdnbridge style)');
    }
  }
  // sdnbridge keys that have no meaning for host-local.
  for (const k of ['environment', 'addressSpace', 'queryInterval']) {
    const key = keyOf(k);
    if (key !== undefined) delete out[key];
  }
  // sdnbridge: gatewayFromAdditionalRoutes takes the default route's gw from additionalRoutes.
  const flags = top.raw('optionalFlags');
  const additional = top.raw('additionalRoutes');
  const fromAdditional = isPlainObject(flags) && Object.entries(flags).some(([k, v]) => k.toLowerCase() === 'gatewayfromadditionalroutes' && v === true);
  if (fromAdditional && Array.isArray(additional) && keyOf('gateway') === undefined && out.gateway === undefined) {
    for (const rt of additional) {
      if (!isPlainObject(rt)) continue;
      const dst = Object.entries(rt).find(([k]) => k.toLowerCase() === 'dst')?.[1];
      const gw = Object.entries(rt).find(([k]) => k.toLowerCase() === 'gw')?.[1];
      if ((dst === '0.0.0.0/0' || dst === '::/0') && typeof gw === 'string') {
        out.gateway = gw;
        break;
      }
    }
  }
  return out;
}

function parseRuntime(r: ObjectReader, env: CniEnv, problems: Problems): RuntimeSettings {
  const out: RuntimeSettings = { portMappings: [], requestedIps: [] };
  const args = r.object('args');
  const cniArgs = args?.object('cni');
  const argIps = cniArgs?.stringArray('ips');
  cniArgs?.accept('labels');
  // CONVENTIONS.md: a plugin that understands `args` ignores the same thing in CNI_ARGS.
  if (argIps) out.requestedIps.push(...argIps);
  else if (env.args.ip) out.requestedIps.push(...env.args.ip.split(',').map((s) => s.trim()).filter((s) => s !== ''));

  const rc = r.object('runtimeConfig');
  if (rc) {
    const ips = rc.stringArray('ips');
    if (ips) out.requestedIps.push(...ips);
    const pms = rc.array('portMappings') ?? [];
    for (const item of pms) {
      const pm = parsePortMapping(item.value, item.path, problems);
      if (pm) out.portMappings.push(pm);
    }
    const d = rc.object('dns');
    if (d) {
      const dns: CniDns = {};
      const servers = d.stringArray('servers');
      if (servers) {
        servers.forEach((s, i) => {
          if (ipFamilyOf(s) === 0) problems.add(`${d.keyPath('servers')}[${i}]`, `is not an IP address: ${JSON.stringify(s)}`);
        });
        dns.nameservers = servers;
      }
      const searches = d.stringArray('searches');
      if (searches) dns.search = searches;
      const options = d.stringArray('options');
      if (options) dns.options = options;
      const domain = d.string('domain');
      if (domain) dns.domain = domain;
      out.dns = dns;
    }
    // Other capabilities a runtime may pass; hnsbridge does not use them.
    rc.accept('bandwidth', 'ipRanges', 'mac', 'aliases', 'cgroupPath', 'deviceID', 'infinibandGUID', 'io.kubernetes.cri.pod-annotations');
  }
  for (const [i, ip] of out.requestedIps.entries()) {
    const addr = ip.includes('/') ? parseCidr(ip)?.ip : ip;
    if (!addr || ipFamilyOf(addr) === 0) problems.add(i === 0 && env.args.ip && !argIps ? 'CNI_ARGS.IP' : 'runtimeConfig.ips', `is not an IP address: ${JSON.stringify(ip)}`);
  }
  return out;
}

function parsePortMapping(raw: unknown, p: string, problems: Problems): PortMapping | undefined {
  const r = ObjectReader.of(raw, p, problems);
  if (!r) return undefined;
  const hostPort = r.integer('hostPort', { required: true, min: 1, max: 65535 });
  const containerPort = r.integer('containerPort', { required: true, min: 1, max: 65535 });
  const protoRaw = r.string('protocol') ?? 'tcp';
  const protocol = protoRaw.toLowerCase();
  if (protocol !== 'tcp' && protocol !== 'udp') {
    // Never succeed without a mapping the pod asked for (SCTP has no HCN port mapping).
    problems.add(r.keyPath('protocol'), `unsupported protocol ${JSON.stringify(protoRaw)}: HNS port mappings support tcp and udp`);
    return undefined;
  }
  const hostIP = r.string('hostIP');
  if (hostIP !== undefined && hostIP !== '' && ipFamilyOf(hostIP) === 0) problems.add(r.keyPath('hostIP'), `is not an IP address: ${JSON.stringify(hostIP)}`);
  if (hostPort === undefined || containerPort === undefined) return undefined;
  const pm: PortMapping = { hostPort, containerPort, protocol };
  if (hostIP && hostIP !== '0.0.0.0' && hostIP !== '::') pm.hostIP = hostIP;
  return pm;
}
