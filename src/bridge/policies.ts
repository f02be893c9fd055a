// HCN endpoint and network policies: the types this plugin builds, the validation of raw policies
// an operator supplies, and the translation of win-bridge's HNS v1 policy shapes to v2.
// Strict on purpose: a misspelled settings key (v1 `ExceptionList` inside a v2 OutBoundNAT) used to
// be dropped silently by HNS and leave pods NATed; here it is a config error naming the key.

import { ipFamilyOf } from '../ip-text.js';
import { ObjectReader, type Problems, isPlainObject } from '../cni/reader.js';
import { parseCidr } from '../cni/result.js';

export interface HcnPolicy {
  Type: string;
  Settings: Record<string, unknown>;
}

/** Endpoint policy types of HCN schema v2 and the settings keys each accepts. */
const ENDPOINT_POLICY_KEYS: Record<string, readonly string[] | null> = {
  OutBoundNAT: ['VirtualIP', 'Exceptions', 'Destinations', 'Flags', 'MaxPortPoolUsage'],
  SDNRoute: ['DestinationPrefix', 'NextHop', 'NeedEncap', 'AutomaticEndpointMonitor'],
  PortMapping: ['Protocol', 'InternalPort', 'ExternalPort', 'VIP', 'Flags'],
  ACL: ['Id', 'Protocols', 'Action', 'Direction', 'LocalAddresses', 'RemoteAddresses', 'LocalPorts', 'RemotePorts', 'RuleType', 'Priority'],
  QOS: ['MaximumOutgoingBandwidthInBytes'],
  L4Proxy: ['IP', 'Port', 'Protocol', 'Exceptions', 'Destination', 'OutboundNAT'],
  ProviderAddress: ['ProviderAddress'],
  EncapOverhead: ['Overhead'],
  PortName: ['Name'],
  InterfaceParameters: ['Mtu'],
  // Types whose settings this plugin does not model: passed through as given, only the type is checked.
  L4WFPPROXY: null,
  InterfaceConstraint: null,
  Iov: null,
  TierAcl: null,
  L2Driver: null,
  Encryption: null,
  VLAN: null,
};

const NETWORK_POLICY_KEYS: Record<string, readonly string[] | null> = {
  NetAdapterName: ['NetworkAdapterName'],
  SourceMacAddress: ['SourceMacAddress'],
  ProviderAddress: ['ProviderAddress'],
  HostRoute: [],
  AutomaticDNS: ['Enable'],
  DrMacAddress: ['Address'],
  VxlanPort: ['Port'],
  InterfaceConstraint: null,
  RemoteSubnetRoute: null,
  VSwitchExtension: null,
  SetPolicy: null,
  L4Proxy: null,
  LayerConstraint: null,
  NetworkACL: null,
};

export const ENDPOINT_POLICY_TYPES = Object.keys(ENDPOINT_POLICY_KEYS);
export const NETWORK_POLICY_TYPES = Object.keys(NETWORK_POLICY_KEYS);

/** Finds a type name case-insensitively, returning its canonical spelling. */
function canonicalType(table: Record<string, unknown>, t: string): string | undefined {
  const lower = t.toLowerCase();
  return Object.keys(table).find((k) => k.toLowerCase() === lower);
}

/**
 * Validates one `{Type, Settings}` policy in HCN v2 shape. Records problems under `path`; returns the
 * policy with its canonical type name and settings keys, or undefined when invalid.
 */
export function parseV2Policy(raw: unknown, path: string, problems: Problems, kind: 'endpoint' | 'network'): HcnPolicy | undefined {
  const table = kind === 'endpoint' ? ENDPOINT_POLICY_KEYS : NETWORK_POLICY_KEYS;
  const r = ObjectReader.of(raw, path, problems);
  if (!r) return undefined;
  const type = r.string('Type', { required: true });
  if (type === undefined) return undefined;
  const canonical = canonicalType(table, type);
  if (!canonical) {
    problems.add(r.keyPath('Type'), `unknown ${kind} policy type ${JSON.stringify(type)}`, `HCN ${kind} policy types: ${Object.keys(table).join(', ')}`);
    return undefined;
  }
  const settingsRaw = r.raw('Settings');
  const settings = settingsRaw === undefined || settingsRaw === null ? {} : settingsRaw;
  if (!isPlainObject(settings)) {
    problems.add(r.keyPath('Settings'), 'must be an object');
    return undefined;
  }
  for (const k of r.unknownKeys()) problems.add(r.keyPath(k), `unknown key in a ${canonical} policy`, 'a v2 policy has only Type and Settings');
  const allowed = table[canonical];
  if (allowed === null || allowed === undefined) return { Type: canonical, Settings: settings };

  const out: Record<string, unknown> = {};
  const sPath = r.keyPath('Settings');
  for (const [k, v] of Object.entries(settings)) {
    const key = allowed.find((a) => a.toLowerCase() === k.toLowerCase());
    if (!key) {
      const hint = canonical === 'OutBoundNAT' && k.toLowerCase() === 'exceptionlist' ? 'ExceptionList is the HNS v1 name; in v2 it is Exceptions' : `${canonical} settings: ${allowed.join(', ')}`;
      problems.add(`${sPath}.${k}`, `unknown setting of a ${canonical} policy`, hint);
      continue;
    }
    out[key] = v;
  }
  checkKnownSettings(canonical, out, sPath, problems);
  return { Type: canonical, Settings: out };
}

/** Address-bearing settings are parsed at load, so a placeholder like `<service cidr>` never reaches HNS. */
function checkKnownSettings(type: string, s: Record<string, unknown>, path: string, problems: Problems): void {
  const cidrList = (key: string): void => {
    const v = s[key];
    if (v === undefined) return;
    if (!Array.isArray(v)) return problems.add(`${path}.${key}`, 'must be an array of CIDRs');
    v.forEach((c, i) => {
      if (typeof c !== 'string' || (!parseCidr(c) && ipFamilyOf(c) === 0)) problems.add(`${path}.${key}[${i}]`, `is not a CIDR or IP: ${JSON.stringify(c)}`);
    });
  };
  const ipField = (key: string): void => {
    const v = s[key];
    if (v !== undefined && (typeof v !== 'string' || ipFamilyOf(v) === 0)) problems.add(`${path}.${key}`, `is not an IP address: ${JSON.stringify(v)}`);
  };
  const cidrField = (key: string): void => {
    const v = s[key];
    if (v !== undefined && (typeof v !== 'string' || !parseCidr(v))) problems.add(`${path}.${key}`, `is not a CIDR: ${JSON.stringify(v)}`);
  };
  const boolField = (key: string): void => {
    const v = s[key];
    if (v !== undefined && typeof v !== 'boolean') problems.add(`${path}.${key}`, 'must be true or false');
  };
  const portField = (key: string, required: boolean): void => {
    const v = s[key];
    if (v === undefined) {
      if (required) problems.add(`${path}.${key}`, 'is required');
      return;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) problems.add(`${path}.${key}`, `must be a port number 1-65535, got ${JSON.stringify(v)}`);
  };
  switch (type) {
    case 'OutBoundNAT':
      cidrList('Exceptions');
      cidrList('Destinations');
      ipField('VirtualIP');
      break;
    case 'SDNRoute':
      cidrField('DestinationPrefix');
      ipField('NextHop');
      boolField('NeedEncap');
      if (s.DestinationPrefix === undefined) problems.add(`${path}.DestinationPrefix`, 'is required');
      break;
    case 'PortMapping':
      portField('InternalPort', true);
      portField('ExternalPort', true);
      ipField('VIP');
      if (s.Protocol !== 6 && s.Protocol !== 17) problems.add(`${path}.Protocol`, `must be 6 (TCP) or 17 (UDP), got ${JSON.stringify(s.Protocol)}`);
      break;
    case 'ACL':
      checkAclSettings(s, path, problems);
      break;
  }
}

const ACL_ACTIONS = ['Allow', 'Block', 'Pass'];
const ACL_DIRECTIONS = ['In', 'Out'];
const ACL_RULE_TYPES = ['Host', 'Switch'];

function checkAclSettings(s: Record<string, unknown>, path: string, problems: Problems): void {
  const oneOf = (key: string, values: string[], required: boolean): void => {
    const v = s[key];
    if (v === undefined) {
      if (required) problems.add(`${path}.${key}`, `is required (one of ${values.join(', ')})`);
      return;
    }
    const hit = typeof v === 'string' ? values.find((x) => x.toLowerCase() === v.toLowerCase()) : undefined;
    if (!hit) problems.add(`${path}.${key}`, `must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
    else s[key] = hit;
  };
  oneOf('Action', ACL_ACTIONS, true);
  oneOf('Direction', ACL_DIRECTIONS, true);
  oneOf('RuleType', ACL_RULE_TYPES, false);
  for (const key of ['LocalAddresses', 'RemoteAddresses']) {
    const v = s[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') {
      problems.add(`${path}.${key}`, 'must be a comma-separated string of addresses or CIDRs');
      continue;
    }
    for (const part of v.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      if (ipFamilyOf(part) === 0 && !parseCidr(part)) problems.add(`${path}.${key}`, `contains ${JSON.stringify(part)}, which is not an IP or CIDR`);
    }
  }
  for (const key of ['LocalPorts', 'RemotePorts']) {
    const v = s[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !/^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$/.test(v)) {
      problems.add(`${path}.${key}`, `must be a comma-separated list of ports or port ranges, got ${JSON.stringify(v)}`);
    }
  }
  const proto = s.Protocols;
  if (proto !== undefined && (typeof proto !== 'string' || !/^\s*\d+(\s*,\s*\d+)*\s*$/.test(proto))) {
    problems.add(`${path}.Protocols`, `must be a comma-separated list of protocol numbers (6 TCP, 17 UDP, 1 ICMPv4, 58 ICMPv6), got ${JSON.stringify(proto)}`);
  }
  const prio = s.Priority;
  if (prio !== undefined && (typeof prio !== 'number' || !Number.isInteger(prio) || prio < 0 || prio > 65535)) {
    problems.add(`${path}.Priority`, `must be an integer 0-65535, got ${JSON.stringify(prio)}`);
  }
}

/**
 * win-bridge's HNS v1 policy values, translated to v2 (hnsbridge speaks only HCN v2):
 * `{"Type":"OutBoundNAT","ExceptionList":[...]}` → OutBoundNAT Exceptions,
 * `{"Type":"ROUTE","DestinationPrefix":...,"NeedEncap":...}` → SDNRoute,
 * `{"Type":"ACL", ...flat}` → ACL. Anything else is refused rather than dropped.
 */
export function translateV1Policy(raw: Record<string, unknown>, path: string, problems: Problems): HcnPolicy | undefined {
  const r = new ObjectReader(raw, path, problems);
  const type = (r.string('Type', { required: true }) ?? '').toUpperCase();
  let v2: unknown;
  switch (type) {
    case 'OUTBOUNDNAT': {
      const settings: Record<string, unknown> = {};
      const ex = r.raw('ExceptionList');
      if (ex !== undefined) settings.Exceptions = ex;
      const dest = r.raw('Destinations');
      if (dest !== undefined) settings.Destinations = dest;
      const vip = r.raw('VIP');
      if (vip !== undefined) settings.VirtualIP = vip;
      v2 = { Type: 'OutBoundNAT', Settings: settings };
      break;
    }
    case 'ROUTE': {
      const settings: Record<string, unknown> = {};
      const dst = r.raw('DestinationPrefix');
      if (dst !== undefined) settings.DestinationPrefix = dst;
      const encap = r.raw('NeedEncap');
      if (encap !== undefined) settings.NeedEncap = encap;
      v2 = { Type: 'SDNRoute', Settings: settings };
      break;
    }
    case 'ACL': {
      const settings: Record<string, unknown> = {};
      for (const k of ['Id', 'Protocols', 'Action', 'Direction', 'LocalAddresses', 'RemoteAddresses', 'LocalPorts', 'RemotePorts', 'RuleType', 'Priority']) {
        const v = r.raw(k);
        if (v !== undefined) settings[k] = typeof v === 'number' && k === 'Protocols' ? String(v) : v;
      }
      v2 = { Type: 'ACL', Settings: settings };
      break;
    }
    default:
      problems.add(r.keyPath('Type'), `HNS v1 policy type ${JSON.stringify(type)} is not supported`, 'hnsbridge uses the HCN v2 API: write the policy as {"Type": ..., "Settings": {...}}');
      return undefined;
  }
  for (const k of r.unknownKeys()) problems.add(r.keyPath(k), `unknown key in an HNS v1 ${type} policy`);
  return parseV2Policy(v2, path, problems, 'endpoint');
}

/** An HCN v2 policy has `Settings` (or is a bare `{Type}`); a v1 one has its fields flat beside `Type`. */
export function looksLikeV1(raw: Record<string, unknown>): boolean {
  const keys = Object.keys(raw).map((k) => k.toLowerCase());
  return !keys.includes('settings') && keys.some((k) => k !== 'type');
}
