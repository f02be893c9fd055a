// HCN schema v2 documents (hcn-api.md §2) as TypeScript types, plus validators that turn `unknown`
// into them.
//
// Why validators: HNS answers are outside input. The properties documents HNS returns are parsed
// here once, at the boundary, so nothing above (hns.ts, src/bridge) handles `unknown` or trusts a
// field's type without checking it. The same validators type-check requests inside hns-mock, so the
// mock and the plugin agree on the shape of every document.
//
// Conventions (from hcsshim, which the Kubernetes tooling exercises):
//   - property names are PascalCase and case-sensitive here; the object id is `ID`;
//   - enums travel as strings (`"L2Bridge"`, `"Add"`); flags are numeric bit masks;
//   - GUIDs are 36-character strings without braces, compared case-insensitively (HNS may answer in
//     upper case, hcsshim prints lower case);
//   - MAC addresses use dashes (`00-15-5D-52-C0-00`).
// Validators are lenient about what they do not model (unknown properties are kept, unknown policy
// types are kept as opaque policies) because a newer HNS may return more than this file knows, and
// strict about the type of everything they do model.

// ---------------------------------------------------------------------------------------------
// Common pieces

export interface SchemaVersion {
  Major: number;
  Minor: number;
}

/** What hcsshim and both reference CNI plugins put in every document and query. */
export const SCHEMA_V2: SchemaVersion = Object.freeze({ Major: 2, Minor: 0 });

export type JsonObject = Record<string, unknown>;

export interface Route {
  NextHop?: string;
  DestinationPrefix?: string;
  Metric?: number;
}

export interface Dns {
  Domain?: string;
  Search?: string[];
  ServerList?: string[];
  Options?: string[];
}

export interface IpConfig {
  IpAddress: string;
  PrefixLength?: number;
}

export interface MacRange {
  StartMacAddress?: string;
  EndMacAddress?: string;
}

export interface MacPool {
  Ranges?: MacRange[];
}

/** A policy whose `Type` this file does not model; kept as HNS sent it. */
export interface OpaquePolicy {
  Type: string;
  Settings?: JsonObject;
}

// ---------------------------------------------------------------------------------------------
// Endpoint policies (hcn-api.md §2.7)

/** NatFlags, used by OutBoundNAT and PortMapping. */
export const NatFlags = { None: 0, LocalRoutedVip: 1, IPv6: 2 } as const;

export interface OutboundNatPolicySetting {
  VirtualIP?: string;
  /** CIDRs (or addresses) not NATed. */
  Exceptions?: string[];
  /** Loopback DSR: the endpoint's own IP. */
  Destinations?: string[];
  Flags?: number;
  MaxPortPoolUsage?: number;
}

export interface SdnRoutePolicySetting {
  DestinationPrefix?: string;
  NextHop?: string;
  NeedEncap?: boolean;
  AutomaticEndpointMonitor?: boolean;
}

export interface PortMappingPolicySetting {
  /** IANA protocol number: 6 TCP, 17 UDP. */
  Protocol?: number;
  InternalPort?: number;
  ExternalPort?: number;
  VIP?: string;
  Flags?: number;
}

export interface AclPolicySetting {
  /** Comma list of protocol numbers, e.g. "6" or "6,17". */
  Protocols?: string;
  Action: 'Allow' | 'Block' | 'Pass';
  Direction: 'In' | 'Out';
  LocalAddresses?: string;
  RemoteAddresses?: string;
  LocalPorts?: string;
  RemotePorts?: string;
  RuleType?: 'Host' | 'Switch';
  Priority?: number;
  Id?: string;
}

export interface L4ProxyPolicySetting {
  IP?: string;
  Port?: string;
  Protocol?: number;
  Exceptions?: string[];
  Destination?: string;
  OutboundNAT?: boolean;
}

export interface ProviderAddressPolicySetting {
  ProviderAddress: string;
}

export interface QosPolicySetting {
  MaximumOutgoingBandwidthInBytes?: number;
}

export interface PortNamePolicySetting {
  Name: string;
}

export interface EncapOverheadPolicySetting {
  Overhead?: number;
}

export interface InterfaceParametersPolicySetting {
  Mtu?: number;
}

/** Settings of each endpoint policy type; types hcsshim leaves loosely typed are JsonObject. */
export interface EndpointPolicySettings {
  OutBoundNAT: OutboundNatPolicySetting;
  SDNRoute: SdnRoutePolicySetting;
  PortMapping: PortMappingPolicySetting;
  ACL: AclPolicySetting;
  L4Proxy: L4ProxyPolicySetting;
  L4WFPPROXY: JsonObject;
  ProviderAddress: ProviderAddressPolicySetting;
  InterfaceConstraint: JsonObject;
  QOS: QosPolicySetting;
  PortName: PortNamePolicySetting;
  EncapOverhead: EncapOverheadPolicySetting;
  Iov: JsonObject;
  TierAcl: JsonObject;
  L2Driver: JsonObject;
  Encryption: JsonObject;
  VLAN: JsonObject;
  InterfaceParameters: InterfaceParametersPolicySetting;
}

export type EndpointPolicyType = keyof EndpointPolicySettings;

/** A policy the plugin can send: the Type picks the Settings type. */
export type KnownEndpointPolicy = { [K in EndpointPolicyType]: { Type: K; Settings: EndpointPolicySettings[K] } }[EndpointPolicyType];

/** A policy as HNS returns it: a known one, or an opaque one of a type this file does not know. */
export type EndpointPolicy = KnownEndpointPolicy | OpaquePolicy;

export const ENDPOINT_POLICY_TYPES: readonly EndpointPolicyType[] = [
  'OutBoundNAT',
  'SDNRoute',
  'PortMapping',
  'ACL',
  'L4Proxy',
  'L4WFPPROXY',
  'ProviderAddress',
  'InterfaceConstraint',
  'QOS',
  'PortName',
  'EncapOverhead',
  'Iov',
  'TierAcl',
  'L2Driver',
  'Encryption',
  'VLAN',
  'InterfaceParameters',
];

// ---------------------------------------------------------------------------------------------
// Network and subnet policies (hcn-api.md §2.8, §2.9)

export interface NetAdapterNamePolicySetting {
  NetworkAdapterName: string;
}

export interface RemoteSubnetRoutePolicySetting {
  DestinationPrefix?: string;
  IsolationId?: number;
  ProviderAddress?: string;
  DistributedRouterMacAddress?: string;
}

export interface NetworkPolicySettings {
  NetAdapterName: NetAdapterNamePolicySetting;
  SourceMacAddress: { SourceMacAddress?: string };
  InterfaceConstraint: JsonObject;
  ProviderAddress: ProviderAddressPolicySetting;
  RemoteSubnetRoute: RemoteSubnetRoutePolicySetting;
  VxlanPort: { Port?: number };
  HostRoute: JsonObject;
  DrMacAddress: { Address?: string };
  AutomaticDNS: { Enable?: boolean };
  VSwitchExtension: { ExtensionID?: string; Enable?: boolean };
  SetPolicy: JsonObject;
  L4Proxy: L4ProxyPolicySetting;
  LayerConstraint: { LayerId?: string };
  NetworkACL: AclPolicySetting;
}

export type NetworkPolicyType = keyof NetworkPolicySettings;
export type KnownNetworkPolicy = { [K in NetworkPolicyType]: { Type: K; Settings: NetworkPolicySettings[K] } }[NetworkPolicyType];
export type NetworkPolicy = KnownNetworkPolicy | OpaquePolicy;

export const NETWORK_POLICY_TYPES: readonly NetworkPolicyType[] = [
  'NetAdapterName',
  'SourceMacAddress',
  'InterfaceConstraint',
  'ProviderAddress',
  'RemoteSubnetRoute',
  'VxlanPort',
  'HostRoute',
  'DrMacAddress',
  'AutomaticDNS',
  'VSwitchExtension',
  'SetPolicy',
  'L4Proxy',
  'LayerConstraint',
  'NetworkACL',
];

export interface SubnetPolicySettings {
  VLAN: { IsolationId?: number };
  VSID: { IsolationId?: number };
}

export type SubnetPolicyType = keyof SubnetPolicySettings;
export type KnownSubnetPolicy = { [K in SubnetPolicyType]: { Type: K; Settings: SubnetPolicySettings[K] } }[SubnetPolicyType];
export type SubnetPolicy = KnownSubnetPolicy | OpaquePolicy;

export const SUBNET_POLICY_TYPES: readonly SubnetPolicyType[] = ['VLAN', 'VSID'];

// ---------------------------------------------------------------------------------------------
// HostComputeNetwork (§2.2)

export const NETWORK_TYPES = ['NAT', 'ICS', 'Transparent', 'L2Bridge', 'L2Tunnel', 'Overlay', 'Private', 'Internal', 'Mirrored', 'Infiniband', 'ConstrainedICS'] as const;
export type NetworkType = (typeof NETWORK_TYPES)[number];

/**
 * Network flags. 8 and 1024 are hcsshim's values. EnablePersistent = 16 is inferred from the order
 * of the MS schema's flag list (EnableDnsProxy, EnableDhcpServer, EnableMirroring,
 * EnableNonPersistent, EnablePersistent, …) as bits 1, 2, 4, 8, 16: consistent with 8 but UNCONFIRMED.
 */
export const NetworkFlags = { None: 0, EnableNonPersistent: 8, EnablePersistent: 16, DisableHostPort: 1024, EnableIov: 8192 } as const;

/** Subnet flag (MS: new in schema 2.7). */
export const SubnetFlags = { None: 0, DoNotReserveGatewayAddress: 1 } as const;

export interface Subnet<P = SubnetPolicy> {
  IpAddressPrefix?: string;
  Policies?: P[];
  Routes?: Route[];
  Flags?: number;
}

export interface Ipam<P = SubnetPolicy> {
  /** `Static` or `Dhcp`. */
  Type?: string;
  Subnets?: Subnet<P>[];
}

interface NetworkFields {
  Name?: string;
  MacPool?: MacPool;
  Dns?: Dns;
  Flags?: number;
}

/** The Settings document of HcnCreateNetwork. The service assigns the ID (don't send one, §1.8 rule 7). */
export interface HostComputeNetworkSettings extends NetworkFields {
  SchemaVersion: SchemaVersion;
  Name: string;
  Type: NetworkType;
  /** Known policies are typed; an operator's raw policy of another type passes through as OpaquePolicy. */
  Policies?: NetworkPolicy[];
  Ipams?: Ipam<KnownSubnetPolicy>[];
}

/** A network document with every field optional (a request, before semantic checks). */
export interface HostComputeNetworkDoc extends NetworkFields {
  SchemaVersion?: SchemaVersion;
  ID?: string;
  /** Absent on read-back of a NAT network (NAT is enum value 0); see networkType(). */
  Type?: string;
  Policies?: NetworkPolicy[];
  Ipams?: Ipam[];
}

/** A network as HNS returns it. */
export interface HostComputeNetwork extends HostComputeNetworkDoc {
  ID: string;
}

// ---------------------------------------------------------------------------------------------
// HostComputeEndpoint (§2.3)

/** Endpoint flags (hcsshim). */
export const EndpointFlags = { None: 0, RemoteEndpoint: 1 } as const;

interface EndpointFields {
  Name?: string;
  /** The network's GUID. HcnCreateEndpoint takes the network handle; hcsshim also sets this field. */
  HostComputeNetwork?: string;
  IpConfigurations?: IpConfig[];
  Dns?: Dns;
  Routes?: Route[];
  /** Optional on create: the network's MacPool supplies one. */
  MacAddress?: string;
  Flags?: number;
}

/**
 * The Settings document of HcnCreateEndpoint. `HostComputeNamespace` is read-only and deliberately
 * absent: HNS refuses a create that sets it (attach with HcnModifyNamespace instead).
 */
export interface HostComputeEndpointSettings extends EndpointFields {
  SchemaVersion: SchemaVersion;
  Name: string;
  /** Known policies are typed; an operator's raw policy of another type passes through as OpaquePolicy. */
  Policies?: EndpointPolicy[];
}

export interface HostComputeEndpointDoc extends EndpointFields {
  SchemaVersion?: SchemaVersion;
  ID?: string;
  /** Read-only: the namespace the endpoint is attached to. */
  HostComputeNamespace?: string;
  Policies?: EndpointPolicy[];
}

/** An endpoint as HNS returns it. */
export interface HostComputeEndpoint extends HostComputeEndpointDoc {
  ID: string;
  HostComputeNetwork: string;
}

// ---------------------------------------------------------------------------------------------
// HostComputeNamespace (§2.4)

export const NAMESPACE_TYPES = ['Host', 'HostDefault', 'Guest', 'GuestDefault'] as const;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];

export interface NamespaceResource {
  /** `Container` or `Endpoint`. */
  Type: string;
  /** For an endpoint: `{"Id": "<guid>"}` (MS schema) or `{"ID": …}` (hcsshim); compare keys case-insensitively. */
  Data: JsonObject;
}

export interface HostComputeNamespaceDoc {
  SchemaVersion?: SchemaVersion;
  ID?: string;
  /** The network compartment id. */
  NamespaceId?: number;
  Type?: string;
  Resources?: NamespaceResource[];
}

export interface HostComputeNamespace extends HostComputeNamespaceDoc {
  ID: string;
}

// ---------------------------------------------------------------------------------------------
// Modify requests (§2.5) and queries (§2.6)

export type RequestType = 'Add' | 'Remove' | 'Update' | 'Refresh';

export interface ModifyNamespaceSettingRequest {
  ResourceType: 'Endpoint' | 'Container';
  RequestType: RequestType;
  Settings: { EndpointId: string } | { ContainerId: string };
}

export interface ModifyEndpointSettingRequest {
  ResourceType: 'Policy' | 'Port';
  RequestType: RequestType;
  Settings: { Policies: KnownEndpointPolicy[] } | JsonObject;
}

export interface ModifyNetworkSettingRequest {
  ResourceType: 'Policy' | 'DNS' | 'Extension';
  RequestType: RequestType;
  Settings: { Policies: KnownNetworkPolicy[] } | Dns | JsonObject;
}

/** A modify request as received, before its ResourceType-specific Settings are checked. */
export interface ModifyRequestDoc {
  ResourceType: string;
  RequestType: string;
  Settings: JsonObject;
}

export const HostComputeQueryFlags = { None: 0, Detailed: 1 } as const;

/** The Query argument of HcnEnumerate* and HcnQuery*Properties. `Filter` is a JSON object encoded as a string. */
export interface HostComputeQuery {
  SchemaVersion: SchemaVersion;
  Flags?: number;
  Filter?: string;
}

/** A query whose Filter matches on the given properties (hcsshim's `{"Name": …}`, `{"ID": …}`, `{"VirtualNetwork": …}`). */
export function hostComputeQuery(filter?: Record<string, string | number | boolean>, flags: number = HostComputeQueryFlags.None): HostComputeQuery {
  const q: HostComputeQuery = { SchemaVersion: { ...SCHEMA_V2 } };
  if (flags !== 0) q.Flags = flags; // hcsshim omits Flags when 0
  if (filter !== undefined) q.Filter = JSON.stringify(filter);
  return q;
}

// ---------------------------------------------------------------------------------------------
// HNS v1 version probe envelope (§4.1)

export interface HnsVersion {
  Major: number;
  Minor: number;
}

export interface VersionEnvelope {
  Success: boolean;
  Error?: string;
  Output?: HnsVersion;
}

// ---------------------------------------------------------------------------------------------
// GUIDs

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

/** The 36-character 8-4-4-4-12 form, either case, no braces (what hcsshim's parser accepts). */
export function isGuid(s: string): boolean {
  return GUID_RE.test(s);
}

/** GUIDs compare case-insensitively: HNS may answer in upper case, callers usually write lower case. */
export function sameGuid(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Validators

/** Why a document does not have the expected shape. `path` is a JSON path such as `Policies[1].Settings.InternalPort`. */
export class SchemaError extends Error {
  readonly path: string;
  readonly problem: string;
  /** `guid`: a GUID-typed field holds something else. `type`: any other type or value mismatch. `missing`: a required field is absent. */
  readonly kind: 'type' | 'guid' | 'missing';

  constructor(path: string, problem: string, kind: 'type' | 'guid' | 'missing' = 'type') {
    super(`${path || '(document)'}: ${problem}`);
    this.name = 'SchemaError';
    this.path = path;
    this.problem = problem;
    this.kind = kind;
  }
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObject(v: unknown, path: string): JsonObject {
  if (!isJsonObject(v)) throw new SchemaError(path, `must be an object, got ${describe(v)}`);
  return v;
}

/**
 * Reads typed fields out of one JSON object. Every getter returns undefined for an absent key (or
 * null, which serialisers such as Go's and HNS's emit for empty slices) and throws a SchemaError
 * naming the path when the value has the wrong type.
 */
class Fields {
  constructor(
    readonly obj: JsonObject,
    readonly path: string,
  ) {}

  static of(v: unknown, path: string): Fields {
    return new Fields(asObject(v, path), path);
  }

  private raw(key: string): unknown {
    const v = this.obj[key];
    return v === null ? undefined : v;
  }

  at(key: string): string {
    return join(this.path, key);
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new SchemaError(this.at(key), `must be a string, got ${describe(v)}`);
    return v;
  }

  requiredString(key: string): string {
    const v = this.string(key);
    if (v === undefined) throw new SchemaError(this.at(key), 'is required', 'missing');
    return v;
  }

  guid(key: string): string | undefined {
    const v = this.string(key);
    if (v !== undefined && !isGuid(v)) throw new SchemaError(this.at(key), `must be a GUID, got ${JSON.stringify(v)}`, 'guid');
    return v;
  }

  requiredGuid(key: string): string {
    const v = this.guid(key);
    if (v === undefined) throw new SchemaError(this.at(key), 'is required', 'missing');
    return v;
  }

  /** An integer in [0, max]; the HCN schema's uint8/uint16/uint32 fields. */
  uint(key: string, max: number): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
      throw new SchemaError(this.at(key), `must be an integer from 0 to ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw new SchemaError(this.at(key), `must be a boolean, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) throw new SchemaError(this.at(key), `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  }

  stringArray(key: string): string[] | undefined {
    return this.array(key, (v, p) => {
      if (typeof v !== 'string') throw new SchemaError(p, `must be a string, got ${describe(v)}`);
      return v;
    });
  }

  array<T>(key: string, item: (v: unknown, path: string) => T): T[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw new SchemaError(this.at(key), `must be an array, got ${describe(v)}`);
    return v.map((x, i) => item(x, join(this.at(key), i)));
  }

  object<T>(key: string, read: (v: unknown, path: string) => T): T | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    return read(v, this.at(key));
  }
}

const U8 = 0xff;
const U16 = 0xffff;
const U32 = 0xffffffff;
const U64 = Number.MAX_SAFE_INTEGER;

/** Builds a result object, leaving out undefined values so documents round-trip without `"X": undefined` noise. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Copies the keys of `src` that the reader did not model, so a newer HNS's extra properties survive. */
function withRest<T extends object>(src: JsonObject, modelled: T): T {
  const out: JsonObject = { ...src };
  for (const [k, v] of Object.entries(modelled)) out[k] = v;
  for (const k of Object.keys(out)) if (out[k] === undefined || out[k] === null) delete out[k];
  return out as T;
}

export function readSchemaVersion(v: unknown, path: string): SchemaVersion {
  const f = Fields.of(v, path);
  const major = f.uint('Major', U32);
  const minor = f.uint('Minor', U32);
  return { Major: major ?? 0, Minor: minor ?? 0 };
}

function readRoute(v: unknown, path: string): Route {
  const f = Fields.of(v, path);
  return compact({ NextHop: f.string('NextHop'), DestinationPrefix: f.string('DestinationPrefix'), Metric: f.uint('Metric', U16) });
}

export function readDns(v: unknown, path: string): Dns {
  const f = Fields.of(v, path);
  return compact({ Domain: f.string('Domain'), Search: f.stringArray('Search'), ServerList: f.stringArray('ServerList'), Options: f.stringArray('Options') });
}

function readIpConfig(v: unknown, path: string): IpConfig {
  const f = Fields.of(v, path);
  return compact({ IpAddress: f.requiredString('IpAddress'), PrefixLength: f.uint('PrefixLength', U8) });
}

function readMacPool(v: unknown, path: string): MacPool {
  const f = Fields.of(v, path);
  return compact({
    Ranges: f.array('Ranges', (r, p) => {
      const rf = Fields.of(r, p);
      return compact({ StartMacAddress: rf.string('StartMacAddress'), EndMacAddress: rf.string('EndMacAddress') });
    }),
  });
}

/** Settings checkers of the policy types whose fields are typed; the rest are opaque objects. */
type SettingsReader = (f: Fields) => JsonObject;

const aclSettings: SettingsReader = (f) => ({
  Protocols: f.string('Protocols'),
  Action: f.oneOf('Action', ['Allow', 'Block', 'Pass'] as const),
  Direction: f.oneOf('Direction', ['In', 'Out'] as const),
  LocalAddresses: f.string('LocalAddresses'),
  RemoteAddresses: f.string('RemoteAddresses'),
  LocalPorts: f.string('LocalPorts'),
  RemotePorts: f.string('RemotePorts'),
  RuleType: f.oneOf('RuleType', ['Host', 'Switch'] as const),
  Priority: f.uint('Priority', U16),
  Id: f.string('Id'),
});

const l4ProxySettings: SettingsReader = (f) => ({
  IP: f.string('IP'),
  Port: f.string('Port'),
  Protocol: f.uint('Protocol', U32),
  Exceptions: f.stringArray('Exceptions'),
  Destination: f.string('Destination'),
  OutboundNAT: f.bool('OutboundNAT'),
});

const providerAddressSettings: SettingsReader = (f) => ({ ProviderAddress: f.string('ProviderAddress') });

const ENDPOINT_SETTINGS: Partial<Record<EndpointPolicyType, SettingsReader>> = {
  OutBoundNAT: (f) => ({
    VirtualIP: f.string('VirtualIP'),
    Exceptions: f.stringArray('Exceptions'),
    Destinations: f.stringArray('Destinations'),
    Flags: f.uint('Flags', U32),
    MaxPortPoolUsage: f.uint('MaxPortPoolUsage', U16),
  }),
  SDNRoute: (f) => ({
    DestinationPrefix: f.string('DestinationPrefix'),
    NextHop: f.string('NextHop'),
    NeedEncap: f.bool('NeedEncap'),
    AutomaticEndpointMonitor: f.bool('AutomaticEndpointMonitor'),
  }),
  PortMapping: (f) => ({
    Protocol: f.uint('Protocol', U32),
    InternalPort: f.uint('InternalPort', U16),
    ExternalPort: f.uint('ExternalPort', U16),
    VIP: f.string('VIP'),
    Flags: f.uint('Flags', U32),
  }),
  ACL: aclSettings,
  L4Proxy: l4ProxySettings,
  ProviderAddress: providerAddressSettings,
  QOS: (f) => ({ MaximumOutgoingBandwidthInBytes: f.uint('MaximumOutgoingBandwidthInBytes', U64) }),
  PortName: (f) => ({ Name: f.string('Name') }),
  EncapOverhead: (f) => ({ Overhead: f.uint('Overhead', U16) }),
  InterfaceParameters: (f) => ({ Mtu: f.uint('Mtu', U16) }),
};

const NETWORK_SETTINGS: Partial<Record<NetworkPolicyType, SettingsReader>> = {
  NetAdapterName: (f) => ({ NetworkAdapterName: f.string('NetworkAdapterName') }),
  SourceMacAddress: (f) => ({ SourceMacAddress: f.string('SourceMacAddress') }),
  ProviderAddress: providerAddressSettings,
  RemoteSubnetRoute: (f) => ({
    DestinationPrefix: f.string('DestinationPrefix'),
    IsolationId: f.uint('IsolationId', U32),
    ProviderAddress: f.string('ProviderAddress'),
    DistributedRouterMacAddress: f.string('DistributedRouterMacAddress'),
  }),
  VxlanPort: (f) => ({ Port: f.uint('Port', U16) }),
  DrMacAddress: (f) => ({ Address: f.string('Address') }),
  AutomaticDNS: (f) => ({ Enable: f.bool('Enable') }),
  VSwitchExtension: (f) => ({ ExtensionID: f.string('ExtensionID'), Enable: f.bool('Enable') }),
  L4Proxy: l4ProxySettings,
  LayerConstraint: (f) => ({ LayerId: f.string('LayerId') }),
  NetworkACL: aclSettings,
};

const SUBNET_SETTINGS: Partial<Record<SubnetPolicyType, SettingsReader>> = {
  VLAN: (f) => ({ IsolationId: f.uint('IsolationId', U32) }),
  VSID: (f) => ({ IsolationId: f.uint('IsolationId', U32) }),
};

function policyReader<T extends string>(table: Partial<Record<T, SettingsReader>>) {
  return (v: unknown, path: string): OpaquePolicy => {
    const f = Fields.of(v, path);
    const type = f.requiredString('Type');
    const settings = f.object('Settings', (s, p) => asObject(s, p));
    const read = Object.prototype.hasOwnProperty.call(table, type) ? table[type as T] : undefined;
    if (settings === undefined || read === undefined) return compact({ Type: type, Settings: settings });
    return { Type: type, Settings: withRest(settings, read(new Fields(settings, f.at('Settings')))) };
  };
}

/** Reads an endpoint policy; known types get their Settings type-checked, unknown types are kept opaque. */
export const readEndpointPolicy = policyReader(ENDPOINT_SETTINGS) as (v: unknown, path: string) => EndpointPolicy;
export const readNetworkPolicy = policyReader(NETWORK_SETTINGS) as (v: unknown, path: string) => NetworkPolicy;
export const readSubnetPolicy = policyReader(SUBNET_SETTINGS) as (v: unknown, path: string) => SubnetPolicy;

function readSubnet(v: unknown, path: string): Subnet {
  const f = Fields.of(v, path);
  return withRest(f.obj, {
    IpAddressPrefix: f.string('IpAddressPrefix'),
    Policies: f.array('Policies', readSubnetPolicy),
    Routes: f.array('Routes', readRoute),
    Flags: f.uint('Flags', U32),
  });
}

function readIpam(v: unknown, path: string): Ipam {
  const f = Fields.of(v, path);
  return withRest(f.obj, { Type: f.string('Type'), Subnets: f.array('Subnets', readSubnet) });
}

/** A network document with every field optional; types checked, GUIDs checked. */
export function readNetworkDoc(v: unknown, path = ''): HostComputeNetworkDoc {
  const f = Fields.of(v, path);
  return withRest(f.obj, {
    SchemaVersion: f.object('SchemaVersion', readSchemaVersion),
    ID: f.guid('ID'),
    Name: f.string('Name'),
    Type: f.string('Type'),
    Policies: f.array('Policies', readNetworkPolicy),
    MacPool: f.object('MacPool', readMacPool),
    Dns: f.object('Dns', readDns),
    Ipams: f.array('Ipams', readIpam),
    Flags: f.uint('Flags', U32),
  });
}

/** A network as HNS returns it (ID required). */
export function parseNetwork(v: unknown, path = ''): HostComputeNetwork {
  const doc = readNetworkDoc(v, path);
  if (doc.ID === undefined) throw new SchemaError(join(path, 'ID'), 'is required', 'missing');
  return doc as HostComputeNetwork;
}

export function readEndpointDoc(v: unknown, path = ''): HostComputeEndpointDoc {
  const f = Fields.of(v, path);
  return withRest(f.obj, {
    SchemaVersion: f.object('SchemaVersion', readSchemaVersion),
    ID: f.guid('ID'),
    Name: f.string('Name'),
    HostComputeNetwork: f.guid('HostComputeNetwork'),
    HostComputeNamespace: f.guid('HostComputeNamespace'),
    Policies: f.array('Policies', readEndpointPolicy),
    IpConfigurations: f.array('IpConfigurations', readIpConfig),
    Dns: f.object('Dns', readDns),
    Routes: f.array('Routes', readRoute),
    MacAddress: f.string('MacAddress'),
    Flags: f.uint('Flags', U32),
  });
}

/** An endpoint as HNS returns it (ID and HostComputeNetwork required). */
export function parseEndpoint(v: unknown, path = ''): HostComputeEndpoint {
  const doc = readEndpointDoc(v, path);
  if (doc.ID === undefined) throw new SchemaError(join(path, 'ID'), 'is required', 'missing');
  if (doc.HostComputeNetwork === undefined) throw new SchemaError(join(path, 'HostComputeNetwork'), 'is required', 'missing');
  return doc as HostComputeEndpoint;
}

function readNamespaceResource(v: unknown, path: string): NamespaceResource {
  const f = Fields.of(v, path);
  return { Type: f.requiredString('Type'), Data: f.object('Data', asObject) ?? {} };
}

export function readNamespaceDoc(v: unknown, path = ''): HostComputeNamespaceDoc {
  const f = Fields.of(v, path);
  return withRest(f.obj, {
    SchemaVersion: f.object('SchemaVersion', readSchemaVersion),
    ID: f.guid('ID'),
    NamespaceId: f.uint('NamespaceId', U32),
    Type: f.string('Type'),
    Resources: f.array('Resources', readNamespaceResource),
  });
}

export function parseNamespace(v: unknown, path = ''): HostComputeNamespace {
  const doc = readNamespaceDoc(v, path);
  if (doc.ID === undefined) throw new SchemaError(join(path, 'ID'), 'is required', 'missing');
  return doc as HostComputeNamespace;
}

/** A modify request's common frame; the Settings payload is checked by whoever applies it. */
export function readModifyRequest(v: unknown, path = ''): ModifyRequestDoc {
  const f = Fields.of(v, path);
  return {
    ResourceType: f.requiredString('ResourceType'),
    RequestType: f.requiredString('RequestType'),
    Settings: f.object('Settings', asObject) ?? {},
  };
}

/** Reads a HostComputeQuery. `Filter` stays a string; parseFilter decodes it. */
export function readQuery(v: unknown, path = ''): { SchemaVersion?: SchemaVersion; Flags?: number; Filter?: string } {
  const f = Fields.of(v, path);
  return compact({ SchemaVersion: f.object('SchemaVersion', readSchemaVersion), Flags: f.uint('Flags', U32), Filter: f.string('Filter') });
}

/** Decodes a query's double-encoded Filter into an object (empty string = no filter). */
export function parseFilter(filter: string | undefined, path = 'Filter'): JsonObject {
  if (filter === undefined || filter.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(filter);
  } catch (e) {
    throw new SchemaError(path, `is not JSON: ${(e as Error).message}`);
  }
  return asObject(parsed, path);
}

/** The HcnEnumerate* answer: a JSON array of GUID strings; `null` or empty means none. */
export function parseIdList(v: unknown, path = ''): string[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new SchemaError(path, `must be an array of GUIDs, got ${describe(v)}`);
  return v.map((x, i) => {
    if (typeof x !== 'string' || !isGuid(x)) throw new SchemaError(join(path, i), `must be a GUID, got ${JSON.stringify(x)}`, 'guid');
    return x;
  });
}

export function parseVersionEnvelope(v: unknown, path = ''): VersionEnvelope {
  const f = Fields.of(v, path);
  const success = f.bool('Success');
  if (success === undefined) throw new SchemaError(f.at('Success'), 'is required', 'missing');
  const output = f.object('Output', (o, p) => {
    const of = Fields.of(o, p);
    const major = of.uint('Major', U32);
    const minor = of.uint('Minor', U32);
    if (major === undefined) throw new SchemaError(of.at('Major'), 'is required', 'missing');
    return { Major: major, Minor: minor ?? 0 };
  });
  return compact({ Success: success, Error: f.string('Error'), Output: output });
}

/** Parses a JSON text, turning a syntax error into a SchemaError. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new SchemaError('', `${what} is not JSON: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading helpers for callers

/** A network's Type, defaulting a missing one to NAT (HNS omits enum value 0 on read-back). */
export function networkType(n: HostComputeNetworkDoc): string {
  return n.Type ?? 'NAT';
}

/** The Settings of every policy of one type, typed by that type. Known settings were checked by the reader. */
export function policiesOfType<K extends EndpointPolicyType>(policies: readonly EndpointPolicy[] | undefined, type: K): EndpointPolicySettings[K][] {
  return (policies ?? []).filter((p) => p.Type === type).map((p) => (p.Settings ?? {}) as EndpointPolicySettings[K]);
}

export function networkPoliciesOfType<K extends NetworkPolicyType>(policies: readonly NetworkPolicy[] | undefined, type: K): NetworkPolicySettings[K][] {
  return (policies ?? []).filter((p) => p.Type === type).map((p) => (p.Settings ?? {}) as NetworkPolicySettings[K]);
}

/** The value of `key` in `o`, matching the key case-insensitively (namespace resource data is spelled `ID` or `Id`). */
export function getCaseInsensitive(o: JsonObject, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(o, key)) return o[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(o)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The endpoint ids listed in a namespace's Resources (`{Type: "Endpoint", Data: {ID|Id: guid}}`). */
export function namespaceEndpointIds(ns: HostComputeNamespaceDoc): string[] {
  const ids: string[] = [];
  for (const r of ns.Resources ?? []) {
    if (r.Type.toLowerCase() !== 'endpoint') continue;
    const id = getCaseInsensitive(r.Data, 'ID');
    if (typeof id === 'string' && isGuid(id)) ids.push(id);
  }
  return ids;
}
