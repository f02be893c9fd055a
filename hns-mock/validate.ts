// The semantic checks HNS applies to addresses and policies, each failing with the HRESULT the mock
// uses for it. Shape and type errors are caught before this, by the readers in src/hns/schema.ts.
//
// HRESULT choices (the reference names several candidates for some; these are the ones picked):
//   malformed IP address (endpoint IP, route NextHop, DNS server)     HCN_E_INVALID_IP
//       (its text: "IP address is either invalid or not part of any configured subnet(s)")
//   malformed CIDR (subnet IpAddressPrefix, route DestinationPrefix)  HCN_E_INVALID_PREFIX
//   malformed MAC address                                             E_INVALIDARG
//   any malformed value inside a policy's Settings                    HCN_E_INVALID_POLICY
//   a policy Type this HNS version does not know                      HCN_E_INVALID_POLICY_TYPE
//   PortMapping InternalPort missing or 0                             HCN_E_INVALID_INTERNAL_PORT
//   NetAdapterName naming an adapter the host does not have           HCN_E_ADAPTER_NOT_FOUND

import { Address4, Address6 } from 'ip-address';
import { HRESULT } from '../src/hns/api.js';
import { featuresFor, type HnsFeature } from '../src/hns/hns.js';
import {
  ENDPOINT_POLICY_TYPES,
  type EndpointPolicy,
  type HnsVersion,
  type JsonObject,
  NETWORK_POLICY_TYPES,
  type NetworkPolicy,
  SUBNET_POLICY_TYPES,
  type SubnetPolicy,
} from '../src/hns/schema.js';
import { fail } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Addresses

export type Family = 4 | 6;

export interface Ip {
  family: Family;
  value: bigint;
  /** Canonical text (RFC 5952 for IPv6). */
  text: string;
}

export interface Prefix {
  family: Family;
  /** The network address (host bits cleared). */
  base: bigint;
  bits: number;
  text: string;
}

function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** An address without a prefix length; undefined when malformed. */
export function parseIp(s: string): Ip | undefined {
  if (s.includes('/') || s.includes('%')) return undefined;
  try {
    if (Address4.isValid(s)) {
      const a = new Address4(s);
      return { family: 4, value: a.bigInt(), text: a.correctForm() };
    }
    if (Address6.isValid(s)) {
      const a = new Address6(s);
      return { family: 6, value: a.bigInt(), text: a.correctForm() };
    }
  } catch {
    // ip-address throws on some inputs isValid let through: malformed either way.
  }
  return undefined;
}

/** `a.b.c.d/n` or `x::/n` (host bits may be set, as HNS accepts); undefined when malformed. */
export function parsePrefix(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  if (slash <= 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  const width = bitsOf(ip.family);
  if (bits > width) return undefined;
  const hostMask = (1n << BigInt(width - bits)) - 1n;
  return { family: ip.family, base: ip.value & ~hostMask, bits, text: s };
}

export function prefixContains(p: Prefix, ip: Ip): boolean {
  if (p.family !== ip.family) return false;
  const shift = BigInt(bitsOf(p.family) - p.bits);
  return ip.value >> shift === p.base >> shift;
}

export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const bits = Math.min(a.bits, b.bits);
  const shift = BigInt(bitsOf(a.family) - bits);
  return a.base >> shift === b.base >> shift;
}

/** The last address of a prefix (the IPv4 broadcast address). */
export function prefixLast(p: Prefix): bigint {
  return p.base | ((1n << BigInt(bitsOf(p.family) - p.bits)) - 1n);
}

export function ipText(family: Family, value: bigint): string {
  return family === 4 ? Address4.fromBigInt(value).correctForm() : Address6.fromBigInt(value).correctForm();
}

/** Either an address or a prefix (OutBoundNAT exceptions and ACL address lists accept both). */
export function isIpOrPrefix(s: string): boolean {
  return s.includes('/') ? parsePrefix(s) !== undefined : parseIp(s) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// MAC addresses

const MAC_RE = /^[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){5}$/;

/** A MAC in HNS's dash form (`00-15-5D-52-C0-00`, either case) as a 48-bit number; undefined otherwise. */
export function parseMac(s: string): number | undefined {
  if (!MAC_RE.test(s)) return undefined;
  return Number.parseInt(s.replace(/-/g, ''), 16);
}

/** A 48-bit number as an upper-case dashed MAC. */
export function macText(n: number): string {
  const hex = n.toString(16).toUpperCase().padStart(12, '0');
  return hex.match(/../g)!.join('-');
}

// ---------------------------------------------------------------------------------------------
// Policies

/** Policy types that older HNS versions do not know (the reference feature table, §4.3). */
const ENDPOINT_TYPE_FEATURE: Partial<Record<string, HnsFeature>> = {
  L4Proxy: 'l4Proxy',
  L4WFPPROXY: 'l4WfpProxy',
  TierAcl: 'tierAcl',
};

const NETWORK_TYPE_FEATURE: Partial<Record<string, HnsFeature>> = {
  RemoteSubnetRoute: 'remoteSubnet',
  HostRoute: 'hostRoute',
  VxlanPort: 'vxlanPort',
  SetPolicy: 'setPolicy',
  L4Proxy: 'l4Proxy',
  NetworkACL: 'networkAcl',
};

function checkType(type: string, known: readonly string[], gate: Partial<Record<string, HnsFeature>>, version: HnsVersion, path: string): void {
  if (!known.includes(type)) fail(HRESULT.HCN_E_INVALID_POLICY_TYPE, `${path}.Type ${JSON.stringify(type)} is not a policy type HNS knows here`);
  const feature = gate[type];
  if (feature !== undefined && !featuresFor(version)[feature]) {
    fail(HRESULT.HCN_E_INVALID_POLICY_TYPE, `${path}.Type ${type} needs a newer HNS than ${version.Major}.${version.Minor}`);
  }
}

/** Policy settings as plain JSON (known types were type-checked by the schema readers). */
function settingsOf(p: { Settings?: object }): JsonObject {
  return (p.Settings ?? {}) as JsonObject;
}

function badPolicy(path: string, problem: string): never {
  fail(HRESULT.HCN_E_INVALID_POLICY, `${path}: ${problem}`);
}

function checkIpField(s: JsonObject, key: string, path: string, required = false): void {
  const v = s[key];
  if (v === undefined || v === null || v === '') {
    if (required) badPolicy(`${path}.${key}`, 'is required');
    return;
  }
  if (typeof v !== 'string' || parseIp(v) === undefined) badPolicy(`${path}.${key}`, `${JSON.stringify(v)} is not an IP address`);
}

function checkPrefixField(s: JsonObject, key: string, path: string, required = false): void {
  const v = s[key];
  if (v === undefined || v === null || v === '') {
    if (required) badPolicy(`${path}.${key}`, 'is required');
    return;
  }
  if (typeof v !== 'string' || parsePrefix(v) === undefined) badPolicy(`${path}.${key}`, `${JSON.stringify(v)} is not a CIDR prefix`);
}

function checkMacField(s: JsonObject, key: string, path: string): void {
  const v = s[key];
  if (v === undefined || v === null || v === '') return;
  if (typeof v !== 'string' || parseMac(v) === undefined) badPolicy(`${path}.${key}`, `${JSON.stringify(v)} is not a MAC address (want 00-15-5D-xx-xx-xx)`);
}

/** ACL fields are comma lists: addresses/prefixes, port numbers or ranges, protocol numbers. */
function checkAcl(s: JsonObject, path: string): void {
  if (s.Action === undefined) badPolicy(`${path}.Action`, 'is required');
  if (s.Direction === undefined) badPolicy(`${path}.Direction`, 'is required');
  for (const key of ['LocalAddresses', 'RemoteAddresses']) {
    const v = s[key];
    if (typeof v !== 'string' || v === '') continue;
    for (const item of v.split(',')) if (!isIpOrPrefix(item.trim())) badPolicy(`${path}.${key}`, `${JSON.stringify(item)} is not an address or prefix`);
  }
  for (const key of ['LocalPorts', 'RemotePorts']) {
    const v = s[key];
    if (typeof v !== 'string' || v === '') continue;
    for (const item of v.split(',')) {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item.trim());
      const lo = m ? Number(m[1]) : NaN;
      const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
      if (!m || lo > 65535 || hi > 65535 || lo > hi) badPolicy(`${path}.${key}`, `${JSON.stringify(item)} is not a port or port range`);
    }
  }
  const protocols = s.Protocols;
  if (typeof protocols === 'string' && protocols !== '') {
    for (const item of protocols.split(',')) {
      if (!/^\d{1,3}$/.test(item.trim()) || Number(item) > 255) badPolicy(`${path}.Protocols`, `${JSON.stringify(item)} is not a protocol number`);
    }
  }
}

/** Endpoint policy rules. Port-mapping conflicts across endpoints are the model's job (it sees them all). */
export function checkEndpointPolicy(p: EndpointPolicy, path: string, version: HnsVersion): void {
  checkType(p.Type, ENDPOINT_POLICY_TYPES, ENDPOINT_TYPE_FEATURE, version, path);
  const s = settingsOf(p);
  const at = `${path}.Settings`;
  switch (p.Type) {
    case 'OutBoundNAT': {
      checkIpField(s, 'VirtualIP', at);
      const exceptions = (s.Exceptions as string[] | undefined) ?? [];
      exceptions.forEach((x, i) => {
        if (!isIpOrPrefix(x)) badPolicy(`${at}.Exceptions[${i}]`, `${JSON.stringify(x)} is not an address or prefix`);
      });
      const destinations = (s.Destinations as string[] | undefined) ?? [];
      destinations.forEach((x, i) => {
        if (!isIpOrPrefix(x)) badPolicy(`${at}.Destinations[${i}]`, `${JSON.stringify(x)} is not an address or prefix`);
      });
      // OutBoundNAT Destinations is how loopback DSR is expressed; an HNS without DSR does not take it.
      if (destinations.length > 0 && !featuresFor(version).dsr) badPolicy(`${at}.Destinations`, `loopback DSR is not supported by HNS ${version.Major}.${version.Minor}`);
      return;
    }
    case 'SDNRoute':
      checkPrefixField(s, 'DestinationPrefix', at, true);
      checkIpField(s, 'NextHop', at);
      return;
    case 'PortMapping': {
      if (s.InternalPort === undefined || s.InternalPort === 0) fail(HRESULT.HCN_E_INVALID_INTERNAL_PORT, `${at}.InternalPort is missing or 0`);
      if (s.ExternalPort === undefined || s.ExternalPort === 0) badPolicy(`${at}.ExternalPort`, 'is missing or 0');
      if (s.Protocol !== undefined && s.Protocol !== 6 && s.Protocol !== 17) badPolicy(`${at}.Protocol`, `${String(s.Protocol)} is not TCP (6) or UDP (17)`);
      checkIpField(s, 'VIP', at);
      return;
    }
    case 'ACL':
      checkAcl(s, at);
      return;
    case 'ProviderAddress':
      checkIpField(s, 'ProviderAddress', at, true);
      return;
    default:
      return;
  }
}

/** Network policy rules; `adapters` are the host's adapter names (NetAdapterName must name one, case-insensitively). */
export function checkNetworkPolicy(p: NetworkPolicy, path: string, version: HnsVersion, adapters: readonly string[]): void {
  checkType(p.Type, NETWORK_POLICY_TYPES, NETWORK_TYPE_FEATURE, version, path);
  const s = settingsOf(p);
  const at = `${path}.Settings`;
  switch (p.Type) {
    case 'NetAdapterName': {
      const name = s.NetworkAdapterName;
      if (typeof name !== 'string' || name === '') badPolicy(`${at}.NetworkAdapterName`, 'is required');
      if (!adapters.some((a) => a.toLowerCase() === name.toLowerCase())) {
        fail(HRESULT.HCN_E_ADAPTER_NOT_FOUND, `${at}.NetworkAdapterName: the host has no adapter ${JSON.stringify(name)} (adapters: ${adapters.join(', ') || 'none'})`);
      }
      return;
    }
    case 'SourceMacAddress':
      checkMacField(s, 'SourceMacAddress', at);
      return;
    case 'DrMacAddress':
      checkMacField(s, 'Address', at);
      return;
    case 'ProviderAddress':
      checkIpField(s, 'ProviderAddress', at, true);
      return;
    case 'RemoteSubnetRoute':
      checkPrefixField(s, 'DestinationPrefix', at, true);
      checkIpField(s, 'ProviderAddress', at);
      checkMacField(s, 'DistributedRouterMacAddress', at);
      return;
    case 'NetworkACL':
      checkAcl(s, at);
      return;
    default:
      return;
  }
}

export function checkSubnetPolicy(p: SubnetPolicy, path: string, version: HnsVersion): void {
  checkType(p.Type, SUBNET_POLICY_TYPES, {}, version, path);
  if (settingsOf(p).IsolationId === undefined) badPolicy(`${path}.Settings.IsolationId`, 'is required');
}

/** A key identifying a policy's content, for "already exists" / "not found" on modify. Key order does not matter. */
export function policyKey(p: { Type: string; Settings?: object }): string {
  return JSON.stringify({ Type: p.Type, Settings: sortKeys(p.Settings ?? {}) });
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as JsonObject)[k])]),
    );
  }
  return v;
}
