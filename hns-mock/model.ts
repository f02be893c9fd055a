// hns-mock's model of HNS: networks, endpoints and namespaces in memory, with HNS's rules.
//
// One synchronous entry point, `call(CallRequest) → CallResponse`, takes every HCN function by its
// export name (HcnCreateEndpoint, HcnQueryNetworkProperties, …, plus HNSCall for the v1 version
// probe) with the same schema v2 JSON documents computenetwork.dll takes. Because it is synchronous
// and Node runs one piece of JavaScript at a time, each call is applied atomically: calls from any
// number of clients are serialised without a queue, and a delayed call (fault injection, in
// service.ts) waits outside this section without blocking anyone else.
//
// Every request is checked completely before anything changes, so a rejected call leaves no trace.
//
// Rules and the HRESULT each uses (validate.ts lists the address and policy ones):
//   - IDs are assigned by the service (random, upper-case GUIDs as HNS prints them); a caller-chosen
//     non-zero Id argument is honoured (the MS samples do that). An `ID` in the settings that
//     differs from the Id argument: E_INVALIDARG. Inputs are matched case-insensitively.
//   - Network names are not unique (real HNS allows duplicates).
//   - Unparsable JSON: HCN_E_INVALID_JSON; a wrongly typed field: HCN_E_INVALID_JSON (inside a
//     policy: HCN_E_INVALID_POLICY); a malformed GUID: HCN_E_GUID_CONVERSION_FAILURE; a missing
//     required member: E_INVALIDARG. JSON property names are case-sensitive here (UNCONFIRMED for
//     real HNS; exact names are what hcsshim sends).
//   - Network and endpoint settings need SchemaVersion (E_INVALIDARG, Major must be 2); namespace
//     settings may omit it, because containerd creates namespaces from a zero-value document.
//   - Network: unknown Type → HCN_E_INVALID_NETWORK_TYPE; Ipam Type other than Static/Dhcp →
//     HCN_E_INVALID_NETWORK; a subnet without IpAddressPrefix or overlapping another →
//     HCN_E_INVALID_SUBNET; a subnet whose Routes lack a NextHop or a default route (0.0.0.0/0 or
//     ::/0) → E_INVALIDARG (hcsshim refuses it client-side; so does the mock). A MacPool is assigned
//     when none is given (00-15-5D-xx-x0-00 … x F-FF, 4096 addresses).
//   - Endpoint: setting HostComputeNamespace → E_INVALIDARG (read-only); a network handle that
//     does not exist → HCN_E_NETWORK_NOT_FOUND; an IP in no subnet of its family →
//     HCN_E_SUBNET_NOT_FOUND; outside the subnets → HCN_E_INVALID_IP; the subnet's network or IPv4
//     broadcast address → HCN_E_ADDR_INVALID_OR_RESERVED; already used in the network →
//     ERROR_OBJECT_ALREADY_EXISTS 0x80071392 ("The object already exists", what operators see, P12);
//     a MAC already in use → HCN_E_ADDR_INVALID_OR_RESERVED; no IpConfigurations → the first free
//     address of the first subnet (not a gateway); no MacAddress → the next free one of the
//     network's MacPool. PortMapping with the same ExternalPort + Protocol + VIP (an empty VIP
//     overlaps every VIP; the IPv6 NatFlag keeps v4 and v6 apart) as any endpoint on the host →
//     HCN_E_PORT_ALREADY_EXISTS; a missing Protocol counts as TCP.
//   - Namespace attach: twice → HCN_E_ENDPOINT_ALREADY_ATTACHED; in another namespace →
//     HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS; detach of an endpoint not in this namespace →
//     HCN_E_ENDPOINT_NOT_ATTACHED.
//   - Not found: network → HCN_E_NETWORK_NOT_FOUND, endpoint → HCN_E_ENDPOINT_NOT_FOUND, namespace
//     → ERROR_NOT_FOUND 0x80070490 (there is no HCN namespace code). Enumerate with a filter that
//     matches nothing succeeds with `[]`.
//   - Deleting a network that still has endpoints → HCN_E_ENTITY_HAS_REFERENCES. Deleting an
//     attached endpoint detaches it; deleting a namespace detaches its endpoints (containerd may
//     remove a namespace before the plugin's DEL; the endpoint then lingers, detached).
//
// The host's own compartment (1) is modelled as a namespace of Type HostDefault that exists from
// boot (option hostDefaultNamespace, default on): host vNICs such as the L2Bridge gateway endpoint
// are attached to it, found with the `IsDefault` filter as flannel and hcsshim's tooling do. It
// survives an HNS restart and comes back (with a new ID) after a reboot or reset.
//
// Persistence: a network is persistent only when created with Flags EnablePersistent (16) and not
// EnableNonPersistent (8); everything else (what a CNI plugin creates) is non-persistent and reads
// back with Flags | 8, as HNS reports it. restart() models `Restart-Service hns` (P19): endpoints
// are gone, networks and namespaces stay. reboot() models a node reboot (P17, P20): endpoints and
// namespaces are gone, non-persistent networks are gone, persistent ones stay.

import { randomUUID } from 'node:crypto';
import { HRESULT, hcnFunction, type HcnResource } from '../src/hns/api.js';
import {
  type Dns,
  type EndpointPolicy,
  type HnsVersion,
  type HostComputeEndpointDoc,
  type HostComputeNetwork,
  type HostComputeNetworkDoc,
  type IpConfig,
  type JsonObject,
  type MacRange,
  NAMESPACE_TYPES,
  NETWORK_TYPES,
  NetworkFlags,
  type NetworkPolicy,
  type Route,
  SchemaError,
  type SchemaVersion,
  type Subnet,
  ZERO_GUID,
  isGuid,
  isJsonObject,
  parseFilter,
  readDns,
  readEndpointDoc,
  readEndpointPolicy,
  readModifyRequest,
  readNamespaceDoc,
  readNetworkDoc,
  readNetworkPolicy,
  readQuery,
  sameGuid,
} from '../src/hns/schema.js';
import type { CallRequest, CallResponse } from '../src/hns/wire.js';
import { HcnFailure, errorRecord, fail, signed } from './errors.js';
import {
  type Ip,
  type Prefix,
  checkEndpointPolicy,
  checkNetworkPolicy,
  checkSubnetPolicy,
  ipText,
  macText,
  parseIp,
  parseMac,
  parsePrefix,
  policyKey,
  prefixContains,
  prefixLast,
  prefixesOverlap,
} from './validate.js';

export interface ModelOptions {
  /** The version the v1 probe reports. Default 15.4. */
  version?: HnsVersion;
  /** The host's network adapters, for NetAdapterName. Default ["Ethernet"]. */
  adapters?: readonly string[];
  /** Whether the host's default compartment exists as a HostDefault namespace. Default true. */
  hostDefaultNamespace?: boolean;
}

export const DEFAULT_VERSION: HnsVersion = Object.freeze({ Major: 15, Minor: 4 });
export const DEFAULT_ADAPTERS: readonly string[] = Object.freeze(['Ethernet']);

const RESOURCES: readonly HcnResource[] = ['Network', 'Endpoint', 'Namespace'];

/** Every function the model answers; fault injection refuses other names so a typo cannot go unnoticed. */
export const HCN_METHODS: readonly string[] = Object.freeze([
  ...RESOURCES.flatMap((r) => (['Enumerate', 'Create', 'Open', 'Query', 'Modify', 'Delete', 'Close'] as const).map((op) => hcnFunction(op, r))),
  'HNSCall',
]);

interface SubnetRec {
  prefix: Prefix;
  /** Route next hops: never handed out by automatic addressing. */
  gateways: Ip[];
}

interface NetworkRec {
  id: string;
  type: string;
  persistent: boolean;
  subnets: SubnetRec[];
  macRanges: { start: number; end: number }[];
  /** The read-back document, kept current by modify. */
  doc: HostComputeNetwork;
}

interface EndpointRec {
  id: string;
  networkId: string;
  namespaceId: string | undefined;
  ips: Ip[];
  mac: number;
  policies: EndpointPolicy[];
  doc: { Name?: string; IpConfigurations: IpConfig[]; Dns?: Dns; Routes?: Route[]; Flags: number; SchemaVersion?: SchemaVersion };
}

interface NamespaceRec {
  id: string;
  compartment: number;
  type: string;
  endpoints: string[];
  containers: string[];
}

/** A PortMapping's claim on the host: protocol, external port, VIP ('' = all) and address family. */
interface PortClaim {
  protocol: number;
  port: number;
  vip: string;
  v6: boolean;
}

/** What the dump admin action returns: the properties documents HNS would return, plus the host's settings. */
export interface ModelDump {
  version: HnsVersion;
  adapters: string[];
  networks: JsonObject[];
  endpoints: JsonObject[];
  namespaces: JsonObject[];
}

const key = (id: string): string => id.toLowerCase();

/** Filter members holding GUIDs: compared case-insensitively, and a malformed value is an error. */
const GUID_FILTER_KEYS: readonly string[] = ['ID', 'HostComputeNetwork', 'HostComputeNamespace', 'VirtualNetwork'];

/** Where a schema problem maps in HNS's codes (see the file comment). */
function schemaHresult(e: SchemaError): number {
  if (e.kind === 'guid') return HRESULT.HCN_E_GUID_CONVERSION_FAILURE;
  if (/(^|\.)Policies\[\d+\]/.test(e.path)) return HRESULT.HCN_E_INVALID_POLICY;
  if (e.kind === 'missing') return HRESULT.E_INVALIDARG;
  return HRESULT.HCN_E_INVALID_JSON;
}

function parseDocument(json: string, what: string, allowEmpty = false): unknown {
  if (json.trim() === '') {
    if (allowEmpty) return {};
    fail(HRESULT.HCN_E_INVALID_JSON, `${what}: empty document`);
  }
  try {
    return JSON.parse(json) as unknown;
  } catch (e) {
    return fail(HRESULT.HCN_E_INVALID_JSON, `${what}: ${(e as Error).message}`);
  }
}

function read<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SchemaError) fail(schemaHresult(e), `${what}: ${e.message}`);
    throw e;
  }
}

function omitEmpty(o: JsonObject): JsonObject {
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) delete o[k];
  }
  return o;
}

function portClaims(policies: readonly EndpointPolicy[]): PortClaim[] {
  return policies
    .filter((p) => p.Type === 'PortMapping')
    .map((p) => {
      const s = (p.Settings ?? {}) as JsonObject;
      return {
        protocol: typeof s.Protocol === 'number' && s.Protocol !== 0 ? s.Protocol : 6,
        port: typeof s.ExternalPort === 'number' ? s.ExternalPort : 0,
        vip: typeof s.VIP === 'string' ? (parseIp(s.VIP)?.text ?? s.VIP) : '',
        v6: typeof s.Flags === 'number' && (s.Flags & 2) !== 0,
      };
    });
}

function claimsClash(a: PortClaim, b: PortClaim): boolean {
  return a.protocol === b.protocol && a.port === b.port && a.v6 === b.v6 && (a.vip === b.vip || a.vip === '' || b.vip === '');
}

function describeClaim(c: PortClaim): string {
  return `${c.protocol === 17 ? 'UDP' : c.protocol === 6 ? 'TCP' : `protocol ${c.protocol}`} ${c.vip || '*'}:${c.port}${c.v6 ? ' (IPv6)' : ''}`;
}

/** Default MacPools: 00-15-5D-XX-Y0-00 … 00-15-5D-XX-YF-FF, index XXY; the first is the one seen in `Get-HnsNetwork` samples. */
const MAC_OUI_BASE = 0x00155d000000;
const MAC_POOL_SIZE = 0x1000;
const FIRST_MAC_POOL = 0x52c;
const HOST_COMPARTMENT = 1;
const FIRST_COMPARTMENT = 2;

export class HnsModel {
  private readonly options: { version: HnsVersion; adapters: string[]; hostDefaultNamespace: boolean };
  private version_: HnsVersion;
  private adapters_: string[];
  private readonly networks = new Map<string, NetworkRec>();
  private readonly endpoints = new Map<string, EndpointRec>();
  private readonly namespaces = new Map<string, NamespaceRec>();
  private nextMacPool = FIRST_MAC_POOL;
  private nextCompartment = FIRST_COMPARTMENT;
  private readonly methods: ReadonlyMap<string, (req: CallRequest) => string>;

  constructor(options: ModelOptions = {}) {
    this.options = {
      version: { ...(options.version ?? DEFAULT_VERSION) },
      adapters: [...(options.adapters ?? DEFAULT_ADAPTERS)],
      hostDefaultNamespace: options.hostDefaultNamespace ?? true,
    };
    this.version_ = { ...this.options.version };
    this.adapters_ = [...this.options.adapters];
    this.methods = this.methodTable();
    this.boot();
  }

  /** What exists before anyone calls HNS: the host's default compartment. */
  private boot(): void {
    if (!this.options.hostDefaultNamespace) return;
    const id = this.newId('', this.namespaces, HRESULT.ERROR_ALREADY_EXISTS, 'namespace');
    this.namespaces.set(key(id), { id, compartment: HOST_COMPARTMENT, type: 'HostDefault', endpoints: [], containers: [] });
  }

  // ---------------------------------------------------------------------------------------------
  // The HCN call surface

  /** Applies one HCN function call. Never throws: failures are answered like HNS answers them. */
  call(req: CallRequest): CallResponse {
    try {
      const handler = this.methods.get(req.method);
      if (handler === undefined) fail(HRESULT.E_NOTIMPL, `hns-mock does not implement ${JSON.stringify(req.method)}`);
      return { hresult: 0, json: handler(req), errorRecord: '' };
    } catch (e) {
      if (e instanceof HcnFailure) return { hresult: signed(e.hresult), json: '', errorRecord: errorRecord(e.hresult, e.detail) };
      // A bug in the mock: answer like an internal HNS error instead of taking the server down.
      const detail = `hns-mock internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
      return { hresult: signed(HRESULT.E_FAIL), json: '', errorRecord: errorRecord(HRESULT.E_FAIL, detail) };
    }
  }

  private methodTable(): Map<string, (req: CallRequest) => string> {
    const m = new Map<string, (req: CallRequest) => string>();
    for (const r of RESOURCES) {
      m.set(hcnFunction('Enumerate', r), (req) => this.enumerate(r, req.json));
      m.set(hcnFunction('Open', r), (req) => {
        this.lookup(r, req.id);
        return '';
      });
      m.set(hcnFunction('Query', r), (req) => this.queryProperties(r, req.id, req.json));
      m.set(hcnFunction('Close', r), () => ''); // handles are the caller's fiction; closing one always works
    }
    m.set('HcnCreateNetwork', (req) => this.createNetwork(req));
    m.set('HcnCreateEndpoint', (req) => this.createEndpoint(req));
    m.set('HcnCreateNamespace', (req) => JSON.stringify(this.namespaceProps(this.createNamespaceFrom(req.id, req.json))));
    m.set('HcnModifyNetwork', (req) => this.modifyNetwork(req.id, req.json));
    m.set('HcnModifyEndpoint', (req) => this.modifyEndpoint(req.id, req.json));
    m.set('HcnModifyNamespace', (req) => this.modifyNamespace(req.id, req.json));
    m.set('HcnDeleteNetwork', (req) => this.deleteNetwork(req.id));
    m.set('HcnDeleteEndpoint', (req) => this.deleteEndpoint(req.id));
    m.set('HcnDeleteNamespace', (req) => {
      this.removeNamespace(this.namespaceRec(req.id));
      return '';
    });
    m.set('HNSCall', (req) => this.hnsCall(req.json));
    return m;
  }

  // ---------------------------------------------------------------------------------------------
  // Lookups

  private guidKey(id: string, what: string): string {
    if (!isGuid(id)) fail(HRESULT.HCN_E_GUID_CONVERSION_FAILURE, `${what} ${JSON.stringify(id)} is not a GUID`);
    return key(id);
  }

  private networkRec(id: string): NetworkRec {
    return this.networks.get(this.guidKey(id, 'network id')) ?? fail(HRESULT.HCN_E_NETWORK_NOT_FOUND, `no network ${id}`);
  }

  private endpointRec(id: string): EndpointRec {
    return this.endpoints.get(this.guidKey(id, 'endpoint id')) ?? fail(HRESULT.HCN_E_ENDPOINT_NOT_FOUND, `no endpoint ${id}`);
  }

  private namespaceRec(id: string): NamespaceRec {
    return this.namespaces.get(this.guidKey(id, 'namespace id')) ?? fail(HRESULT.ERROR_NOT_FOUND, `no namespace ${id}`);
  }

  private lookup(resource: HcnResource, id: string): JsonObject {
    if (resource === 'Network') return this.networkRec(id).doc as unknown as JsonObject;
    if (resource === 'Endpoint') return this.endpointProps(this.endpointRec(id));
    return this.namespaceProps(this.namespaceRec(id));
  }

  /** A new object's ID: the zero GUID (or nothing) asks the service to pick one. */
  private newId(idArg: string, taken: Map<string, unknown>, duplicate: number, what: string): string {
    if (idArg === '' || idArg === ZERO_GUID) {
      let id: string;
      do id = randomUUID().toUpperCase();
      while (taken.has(key(id)));
      return id;
    }
    if (taken.has(this.guidKey(idArg, `${what} Id`))) fail(duplicate, `a ${what} with ID ${idArg} already exists`);
    return idArg.toUpperCase();
  }

  private checkSchemaVersion(v: SchemaVersion | undefined, what: string, required: boolean): void {
    if (v === undefined) {
      if (required) fail(HRESULT.E_INVALIDARG, `${what}: SchemaVersion is required`);
      return;
    }
    const zeroValue = v.Major === 0 && v.Minor === 0;
    if (v.Major !== 2 && !(zeroValue && !required)) fail(HRESULT.E_INVALIDARG, `${what}: SchemaVersion ${v.Major}.${v.Minor} is not supported (want 2.x)`);
  }

  private checkIdMatches(docId: string | undefined, id: string, what: string): void {
    if (docId !== undefined && !sameGuid(docId, id)) fail(HRESULT.E_INVALIDARG, `${what}: ID ${docId} in the settings differs from the Id argument`);
  }

  // ---------------------------------------------------------------------------------------------
  // Enumerate and query

  private enumerate(resource: HcnResource, json: string): string {
    const filter = this.filterOf(json);
    const docs: JsonObject[] =
      resource === 'Network'
        ? [...this.networks.values()].map((n) => n.doc as unknown as JsonObject)
        : resource === 'Endpoint'
          ? [...this.endpoints.values()].map((e) => this.endpointProps(e))
          : [...this.namespaces.values()].map((n) => this.namespaceProps(n));
    const ids = docs.filter((d) => this.matches(resource, d, filter)).map((d) => d.ID as string);
    return JSON.stringify(ids);
  }

  /** The Filter of a HostComputeQuery; a bare object without Filter/SchemaVersion/Flags is itself the filter (the MS C++ samples' form). */
  private filterOf(json: string): JsonObject {
    if (json.trim() === '') return {};
    const q = parseDocument(json, 'query');
    if (!isJsonObject(q)) fail(HRESULT.HCN_E_INVALID_JSON, 'query: must be a JSON object');
    const filter = !('Filter' in q) && !('SchemaVersion' in q) && !('Flags' in q) ? q : read('query', () => parseFilter(read('query', () => readQuery(q)).Filter));
    for (const k of GUID_FILTER_KEYS) {
      const v = filter[k];
      if (v !== undefined && (typeof v !== 'string' || !isGuid(v))) fail(HRESULT.HCN_E_GUID_CONVERSION_FAILURE, `Filter.${k}: ${JSON.stringify(v)} is not a GUID`);
    }
    return filter;
  }

  /**
   * Filter semantics: every member must equal the object's property of that name. GUID-valued keys
   * compare case-insensitively; `VirtualNetwork` (hcsshim's v1 key) is the endpoint's
   * HostComputeNetwork; `IsDefault` on namespaces means Type HostDefault/GuestDefault.
   */
  private matches(resource: HcnResource, doc: JsonObject, filter: JsonObject): boolean {
    for (const [k, want] of Object.entries(filter)) {
      const prop = resource === 'Endpoint' && k === 'VirtualNetwork' ? 'HostComputeNetwork' : k;
      if (resource === 'Namespace' && k === 'IsDefault') {
        const isDefault = doc.Type === 'HostDefault' || doc.Type === 'GuestDefault';
        if (isDefault !== want) return false;
        continue;
      }
      const have = doc[prop];
      if (GUID_FILTER_KEYS.includes(k)) {
        // filterOf checked that `want` is a GUID.
        if (typeof have !== 'string' || !sameGuid(have, want as string)) return false;
        continue;
      }
      if (want === null) {
        if (have !== undefined) return false;
        continue;
      }
      if (typeof want === 'object') {
        if (JSON.stringify(have) !== JSON.stringify(want)) return false;
        continue;
      }
      if (have !== want) return false;
    }
    return true;
  }

  private queryProperties(resource: HcnResource, id: string, json: string): string {
    const doc = this.lookup(resource, id);
    // The query's Filter/Flags change nothing here (Detailed adds nothing the mock models), but it must be valid.
    if (json.trim() !== '') {
      const q = parseDocument(json, 'query');
      read('query', () => readQuery(q));
    }
    return JSON.stringify(doc);
  }

  // ---------------------------------------------------------------------------------------------
  // Networks

  private createNetwork(req: CallRequest): string {
    const what = 'network settings';
    const doc = read(what, () => readNetworkDoc(parseDocument(req.json, what)));
    this.checkSchemaVersion(doc.SchemaVersion, what, true);
    const id = this.newId(req.id, this.networks, HRESULT.HCN_E_NETWORK_ALREADY_EXISTS, 'network');
    this.checkIdMatches(doc.ID, id, what);

    const type = doc.Type ?? 'NAT';
    if (!(NETWORK_TYPES as readonly string[]).includes(type)) fail(HRESULT.HCN_E_INVALID_NETWORK_TYPE, `Type ${JSON.stringify(type)} is not a network type`);
    const policies = doc.Policies ?? [];
    policies.forEach((p, i) => checkNetworkPolicy(p, `Policies[${i}]`, this.version_, this.adapters_));
    const subnets = this.checkIpams(doc);
    const macRanges = this.checkMacPool(doc.MacPool?.Ranges) ?? [this.allocateMacPool()];
    if (doc.Dns) this.checkDns(doc.Dns, 'Dns');

    const flags = doc.Flags ?? 0;
    const persistent = (flags & NetworkFlags.EnablePersistent) !== 0 && (flags & NetworkFlags.EnableNonPersistent) === 0;
    const readBack = omitEmpty({
      ID: id,
      Name: doc.Name,
      // HNS omits enum value 0 (NAT) on read-back; callers must default a missing Type to NAT.
      Type: type === 'NAT' ? undefined : type,
      Policies: policies,
      MacPool: { Ranges: macRanges.map((r): MacRange => ({ StartMacAddress: macText(r.start), EndMacAddress: macText(r.end) })) },
      Dns: doc.Dns,
      Ipams: doc.Ipams,
      Flags: persistent ? flags : flags | NetworkFlags.EnableNonPersistent,
      SchemaVersion: doc.SchemaVersion,
    }) as unknown as HostComputeNetwork;
    this.networks.set(key(id), { id, type, persistent, subnets, macRanges, doc: readBack });
    return JSON.stringify(readBack);
  }

  private checkIpams(doc: HostComputeNetworkDoc): SubnetRec[] {
    const out: SubnetRec[] = [];
    (doc.Ipams ?? []).forEach((ipam, i) => {
      const type = ipam.Type ?? 'Static';
      if (type !== 'Static' && type !== 'Dhcp') fail(HRESULT.HCN_E_INVALID_NETWORK, `Ipams[${i}].Type ${JSON.stringify(type)} is not Static or Dhcp`);
      (ipam.Subnets ?? []).forEach((s, j) => out.push(this.checkSubnet(s, `Ipams[${i}].Subnets[${j}]`, out)));
    });
    return out;
  }

  private checkSubnet(s: Subnet, path: string, earlier: readonly SubnetRec[]): SubnetRec {
    if (s.IpAddressPrefix === undefined || s.IpAddressPrefix === '') fail(HRESULT.HCN_E_INVALID_SUBNET, `${path}.IpAddressPrefix is required`);
    const prefix = parsePrefix(s.IpAddressPrefix) ?? fail(HRESULT.HCN_E_INVALID_PREFIX, `${path}.IpAddressPrefix ${JSON.stringify(s.IpAddressPrefix)} is not a CIDR prefix`);
    const clash = earlier.find((e) => prefixesOverlap(e.prefix, prefix));
    if (clash) fail(HRESULT.HCN_E_INVALID_SUBNET, `${path}.IpAddressPrefix ${prefix.text} overlaps ${clash.prefix.text}`);
    // hcsshim's HostComputeNetwork.Create() check: every route has a NextHop and one is a default route.
    let hasDefault = false;
    const gateways: Ip[] = [];
    (s.Routes ?? []).forEach((r, k) => {
      const at = `${path}.Routes[${k}]`;
      if (r.NextHop === undefined || r.NextHop === '') fail(HRESULT.E_INVALIDARG, `${at}: subnet has an address prefix but the route has no NextHop (gateway)`);
      gateways.push(parseIp(r.NextHop) ?? fail(HRESULT.HCN_E_INVALID_IP, `${at}.NextHop ${JSON.stringify(r.NextHop)} is not an IP address`));
      if (r.DestinationPrefix !== undefined) {
        const dest = parsePrefix(r.DestinationPrefix) ?? fail(HRESULT.HCN_E_INVALID_PREFIX, `${at}.DestinationPrefix ${JSON.stringify(r.DestinationPrefix)} is not a CIDR prefix`);
        if (dest.bits === 0) hasDefault = true;
      }
    });
    if (!hasDefault) fail(HRESULT.E_INVALIDARG, `${path}: no default route (0.0.0.0/0 or ::/0) in Routes`);
    (s.Policies ?? []).forEach((p, k) => checkSubnetPolicy(p, `${path}.Policies[${k}]`, this.version_));
    return { prefix, gateways };
  }

  private checkMacPool(ranges: readonly MacRange[] | undefined): { start: number; end: number }[] | undefined {
    if (ranges === undefined || ranges.length === 0) return undefined;
    return ranges.map((r, i) => {
      const start = parseMac(r.StartMacAddress ?? '') ?? fail(HRESULT.E_INVALIDARG, `MacPool.Ranges[${i}].StartMacAddress ${JSON.stringify(r.StartMacAddress)} is not a MAC address`);
      const end = parseMac(r.EndMacAddress ?? '') ?? fail(HRESULT.E_INVALIDARG, `MacPool.Ranges[${i}].EndMacAddress ${JSON.stringify(r.EndMacAddress)} is not a MAC address`);
      if (end < start) fail(HRESULT.E_INVALIDARG, `MacPool.Ranges[${i}] ends before it starts`);
      return { start, end };
    });
  }

  private allocateMacPool(): { start: number; end: number } {
    for (let tries = 0; tries < MAC_POOL_SIZE; tries++) {
      const index = this.nextMacPool;
      this.nextMacPool = (this.nextMacPool + 1) % MAC_POOL_SIZE;
      const start = MAC_OUI_BASE + index * MAC_POOL_SIZE;
      const end = start + MAC_POOL_SIZE - 1;
      const taken = [...this.networks.values()].some((n) => n.macRanges.some((r) => r.start <= end && start <= r.end));
      if (!taken) return { start, end };
    }
    return fail(HRESULT.E_FAIL, 'no free default MAC pool');
  }

  private checkDns(dns: Dns, path: string): void {
    (dns.ServerList ?? []).forEach((s, i) => {
      if (parseIp(s) === undefined) fail(HRESULT.HCN_E_INVALID_IP, `${path}.ServerList[${i}] ${JSON.stringify(s)} is not an IP address`);
    });
  }

  private deleteNetwork(id: string): string {
    const net = this.networkRec(id);
    const users = [...this.endpoints.values()].filter((e) => e.networkId === net.id);
    if (users.length > 0) fail(HRESULT.HCN_E_ENTITY_HAS_REFERENCES, `network ${net.id} still has ${users.length} endpoint(s): ${users.map((e) => e.id).join(', ')}`);
    this.networks.delete(key(net.id));
    return '';
  }

  private modifyNetwork(id: string, json: string): string {
    const net = this.networkRec(id);
    const req = read('modify request', () => readModifyRequest(parseDocument(json, 'modify request')));
    if (req.ResourceType === 'Policy') {
      const policies = read('modify request', () => this.policiesIn(req.Settings, readNetworkPolicy));
      policies.forEach((p, i) => checkNetworkPolicy(p, `Settings.Policies[${i}]`, this.version_, this.adapters_));
      net.doc.Policies = this.applyPolicyChange(net.doc.Policies ?? [], policies, req.RequestType);
      if (net.doc.Policies.length === 0) delete net.doc.Policies;
      return '';
    }
    if (req.ResourceType === 'DNS' && req.RequestType === 'Update') {
      const dns = read('modify request', () => readDns(req.Settings, 'Settings'));
      this.checkDns(dns, 'Settings');
      net.doc.Dns = dns;
      return '';
    }
    return fail(HRESULT.HCN_E_REQUEST_UNSUPPORTED, `HcnModifyNetwork ${req.ResourceType}/${req.RequestType} is not supported`);
  }

  private policiesIn<P>(settings: JsonObject, readPolicy: (v: unknown, path: string) => P): P[] {
    const list = settings.Policies;
    if (!Array.isArray(list)) throw new SchemaError('Settings.Policies', 'must be an array', list === undefined ? 'missing' : 'type');
    return list.map((p, i) => readPolicy(p, `Settings.Policies[${i}]`));
  }

  /** Add / Remove / Update / Refresh of a policy list, by content. */
  private applyPolicyChange<P extends NetworkPolicy | EndpointPolicy>(current: P[], change: P[], requestType: string): P[] {
    const keys = current.map(policyKey);
    switch (requestType) {
      case 'Add':
        change.forEach((p, i) => {
          if (keys.includes(policyKey(p)) || change.slice(0, i).some((q) => policyKey(q) === policyKey(p))) {
            fail(HRESULT.HCN_E_POLICY_ALREADY_EXISTS, `Settings.Policies[${i}] (${p.Type}) is already applied`);
          }
        });
        return [...current, ...change];
      case 'Remove': {
        const drop = change.map((p, i) => {
          const at = keys.indexOf(policyKey(p));
          if (at < 0) fail(HRESULT.HCN_E_POLICY_NOT_FOUND, `Settings.Policies[${i}] (${p.Type}) is not applied`);
          return at;
        });
        return current.filter((_, i) => !drop.includes(i));
      }
      case 'Update': {
        // The given policies replace every applied policy of the same types.
        const types = new Set(change.map((p) => p.Type));
        return [...current.filter((p) => !types.has(p.Type)), ...change];
      }
      case 'Refresh':
        return current;
      default:
        return fail(HRESULT.HCN_E_REQUEST_UNSUPPORTED, `RequestType ${JSON.stringify(requestType)} is not supported`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Endpoints

  private createEndpoint(req: CallRequest): string {
    const what = 'endpoint settings';
    const doc: HostComputeEndpointDoc = read(what, () => readEndpointDoc(parseDocument(req.json, what)));
    this.checkSchemaVersion(doc.SchemaVersion, what, true);
    if (doc.HostComputeNamespace !== undefined) {
      fail(HRESULT.E_INVALIDARG, `${what}: HostComputeNamespace is read-only; attach the endpoint with HcnModifyNamespace`);
    }
    const net = this.endpointNetwork(req.networkId, doc.HostComputeNetwork);
    const id = this.newId(req.id, this.endpoints, HRESULT.ERROR_ALREADY_EXISTS, 'endpoint');
    this.checkIdMatches(doc.ID, id, what);

    const policies = doc.Policies ?? [];
    policies.forEach((p, i) => checkEndpointPolicy(p, `Policies[${i}]`, this.version_));
    this.checkPortClaims(portClaims(policies), undefined);
    const { ips, configs } = this.checkIpConfigs(net, doc.IpConfigurations);
    (doc.Routes ?? []).forEach((r, i) => this.checkRoute(r, `Routes[${i}]`));
    if (doc.Dns) this.checkDns(doc.Dns, 'Dns');
    const mac = this.endpointMac(net, doc.MacAddress);

    const rec: EndpointRec = {
      id,
      networkId: net.id,
      namespaceId: undefined,
      ips,
      mac,
      policies,
      doc: { Name: doc.Name, IpConfigurations: configs, Dns: doc.Dns, Routes: doc.Routes, Flags: doc.Flags ?? 0, SchemaVersion: doc.SchemaVersion },
    };
    this.endpoints.set(key(id), rec);
    return JSON.stringify(this.endpointProps(rec));
  }

  /** The network of HcnCreateEndpoint: the handle's, which the settings' HostComputeNetwork (if any) must agree with. */
  private endpointNetwork(handle: string, named: string | undefined): NetworkRec {
    const id = handle !== '' ? handle : named;
    if (id === undefined) fail(HRESULT.E_INVALIDARG, 'HcnCreateEndpoint needs a network handle');
    const net = this.networkRec(id);
    if (named !== undefined && !sameGuid(named, net.id)) fail(HRESULT.E_INVALIDARG, `HostComputeNetwork ${named} is not the network ${net.id} whose handle was passed`);
    return net;
  }

  private checkRoute(r: Route, path: string): void {
    if (r.NextHop !== undefined && r.NextHop !== '' && parseIp(r.NextHop) === undefined) fail(HRESULT.HCN_E_INVALID_IP, `${path}.NextHop ${JSON.stringify(r.NextHop)} is not an IP address`);
    if (r.DestinationPrefix !== undefined && parsePrefix(r.DestinationPrefix) === undefined) {
      fail(HRESULT.HCN_E_INVALID_PREFIX, `${path}.DestinationPrefix ${JSON.stringify(r.DestinationPrefix)} is not a CIDR prefix`);
    }
  }

  private ipsInUse(net: NetworkRec): Map<string, string> {
    const used = new Map<string, string>();
    for (const e of this.endpoints.values()) if (e.networkId === net.id) for (const ip of e.ips) used.set(ip.text, e.id);
    return used;
  }

  private checkIpConfigs(net: NetworkRec, given: readonly IpConfig[] | undefined): { ips: Ip[]; configs: IpConfig[] } {
    const used = this.ipsInUse(net);
    if (given === undefined || given.length === 0) {
      const auto = this.firstFreeIp(net, used);
      return auto ? { ips: [auto.ip], configs: [{ IpAddress: auto.ip.text, PrefixLength: auto.bits }] } : { ips: [], configs: [] };
    }
    const ips: Ip[] = [];
    const configs = given.map((c, i): IpConfig => {
      const at = `IpConfigurations[${i}]`;
      const ip = parseIp(c.IpAddress) ?? fail(HRESULT.HCN_E_INVALID_IP, `${at}.IpAddress ${JSON.stringify(c.IpAddress)} is not an IP address`);
      const family = net.subnets.filter((s) => s.prefix.family === ip.family);
      if (family.length === 0) fail(HRESULT.HCN_E_SUBNET_NOT_FOUND, `${at}: the network has no IPv${ip.family} subnet for ${ip.text}`);
      const subnet =
        family.find((s) => prefixContains(s.prefix, ip)) ??
        fail(HRESULT.HCN_E_INVALID_IP, `${at}.IpAddress ${ip.text} is outside the network's subnets (${family.map((s) => s.prefix.text).join(', ')})`);
      const p = subnet.prefix;
      const broadcast = ip.family === 4 && p.bits < 31 && ip.value === prefixLast(p);
      if ((ip.value === p.base && p.bits < (ip.family === 4 ? 31 : 127)) || broadcast) {
        fail(HRESULT.HCN_E_ADDR_INVALID_OR_RESERVED, `${at}.IpAddress ${ip.text} is the ${broadcast ? 'broadcast' : 'network'} address of ${p.text}`);
      }
      const owner = used.get(ip.text) ?? (ips.some((x) => x.text === ip.text) ? '(this request)' : undefined);
      if (owner !== undefined) fail(HRESULT.ERROR_OBJECT_ALREADY_EXISTS, `${at}.IpAddress ${ip.text} is already used by endpoint ${owner}`);
      const width = ip.family === 4 ? 32 : 128;
      if (c.PrefixLength !== undefined && c.PrefixLength > width) fail(HRESULT.E_INVALIDARG, `${at}.PrefixLength ${c.PrefixLength} is more than ${width}`);
      ips.push(ip);
      return { IpAddress: ip.text, PrefixLength: c.PrefixLength ?? p.bits };
    });
    return { ips, configs };
  }

  /** HNS's own addressing for an endpoint without IpConfigurations: first free host address of the first subnet, skipping gateways. */
  private firstFreeIp(net: NetworkRec, used: Map<string, string>): { ip: Ip; bits: number } | undefined {
    const subnet = net.subnets[0];
    if (subnet === undefined) return undefined;
    const p = subnet.prefix;
    const last = prefixLast(p);
    const gateways = new Set(subnet.gateways.map((g) => g.text));
    for (let v = p.base + 1n; v < last && v - p.base < 1n << 20n; v++) {
      const text = ipText(p.family, v);
      if (!used.has(text) && !gateways.has(text)) return { ip: { family: p.family, value: v, text }, bits: p.bits };
    }
    return fail(HRESULT.HCN_E_ADDR_INVALID_OR_RESERVED, `no free address left in ${p.text}`);
  }

  private macsInUse(): Map<number, string> {
    return new Map([...this.endpoints.values()].map((e) => [e.mac, e.id]));
  }

  private endpointMac(net: NetworkRec, given: string | undefined): number {
    const used = this.macsInUse();
    if (given !== undefined && given !== '') {
      const mac = parseMac(given) ?? fail(HRESULT.E_INVALIDARG, `MacAddress ${JSON.stringify(given)} is not a MAC address (want 00-15-5D-xx-xx-xx)`);
      const owner = used.get(mac);
      if (owner !== undefined) fail(HRESULT.HCN_E_ADDR_INVALID_OR_RESERVED, `MacAddress ${macText(mac)} is already used by endpoint ${owner}`);
      return mac;
    }
    for (const r of net.macRanges) for (let m = r.start; m <= r.end; m++) if (!used.has(m)) return m;
    return fail(HRESULT.HCN_E_ADDR_INVALID_OR_RESERVED, `the MAC pool of network ${net.id} is exhausted`);
  }

  /** Host ports are host-wide: a claim clashes with any other endpoint's, and with another in the same request. */
  private checkPortClaims(claims: PortClaim[], self: EndpointRec | undefined, replacing: readonly EndpointPolicy[] = []): void {
    const replaced = new Set(replacing);
    claims.forEach((c, i) => {
      const earlier = claims.slice(0, i).find((o) => claimsClash(o, c));
      if (earlier) fail(HRESULT.HCN_E_PORT_ALREADY_EXISTS, `PortMapping ${describeClaim(c)} is given twice`);
      for (const e of this.endpoints.values()) {
        const theirs = portClaims(e === self ? e.policies.filter((p) => !replaced.has(p)) : e.policies);
        const clash = theirs.find((o) => claimsClash(o, c));
        if (clash) fail(HRESULT.HCN_E_PORT_ALREADY_EXISTS, `PortMapping ${describeClaim(c)} clashes with ${describeClaim(clash)} of endpoint ${e.id}`);
      }
    });
  }

  private endpointProps(e: EndpointRec): JsonObject {
    const net = this.networks.get(key(e.networkId));
    return omitEmpty({
      ID: e.id,
      Name: e.doc.Name,
      HostComputeNetwork: net?.id ?? e.networkId,
      HostComputeNamespace: e.namespaceId,
      Policies: e.policies,
      IpConfigurations: e.doc.IpConfigurations,
      Dns: e.doc.Dns,
      Routes: e.doc.Routes,
      MacAddress: macText(e.mac),
      Flags: e.doc.Flags,
      SchemaVersion: e.doc.SchemaVersion,
    });
  }

  private deleteEndpoint(id: string): string {
    const ep = this.endpointRec(id);
    this.detach(ep);
    this.endpoints.delete(key(ep.id));
    return '';
  }

  private modifyEndpoint(id: string, json: string): string {
    const ep = this.endpointRec(id);
    const req = read('modify request', () => readModifyRequest(parseDocument(json, 'modify request')));
    if (req.ResourceType !== 'Policy') fail(HRESULT.HCN_E_REQUEST_UNSUPPORTED, `HcnModifyEndpoint ${req.ResourceType}/${req.RequestType} is not supported`);
    const change = read('modify request', () => this.policiesIn(req.Settings, readEndpointPolicy));
    change.forEach((p, i) => checkEndpointPolicy(p, `Settings.Policies[${i}]`, this.version_));
    const next = this.applyPolicyChange(ep.policies, change, req.RequestType);
    if (req.RequestType === 'Add' || req.RequestType === 'Update') {
      const types = new Set(change.map((p) => p.Type));
      const replacing = req.RequestType === 'Update' ? ep.policies.filter((p) => types.has(p.Type)) : [];
      this.checkPortClaims(portClaims(change), ep, replacing);
    }
    ep.policies = next;
    return '';
  }

  private detach(ep: EndpointRec): void {
    if (ep.namespaceId === undefined) return;
    const ns = this.namespaces.get(key(ep.namespaceId));
    if (ns) ns.endpoints = ns.endpoints.filter((x) => x !== ep.id);
    ep.namespaceId = undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Namespaces

  private createNamespaceFrom(idArg: string, json: string): NamespaceRec {
    const what = 'namespace settings';
    const doc = read(what, () => readNamespaceDoc(parseDocument(json, what, true)));
    this.checkSchemaVersion(doc.SchemaVersion, what, false);
    const id = this.newId(idArg, this.namespaces, HRESULT.ERROR_ALREADY_EXISTS, 'namespace');
    this.checkIdMatches(doc.ID, id, what);
    const type = doc.Type ?? 'Host';
    if (!(NAMESPACE_TYPES as readonly string[]).includes(type)) fail(HRESULT.HCN_E_INVALID_JSON, `${what}: Type ${JSON.stringify(type)} is not one of ${NAMESPACE_TYPES.join(', ')}`);
    if ((doc.Resources ?? []).length > 0) fail(HRESULT.E_INVALIDARG, `${what}: hns-mock does not take Resources on create; attach with HcnModifyNamespace`);
    const compartment = doc.NamespaceId !== undefined && doc.NamespaceId !== 0 ? doc.NamespaceId : this.nextCompartment++;
    const rec: NamespaceRec = { id, compartment, type, endpoints: [], containers: [] };
    this.namespaces.set(key(id), rec);
    return rec;
  }

  private namespaceProps(ns: NamespaceRec): JsonObject {
    // The MS schema spells the resource's id `Id` (hcsshim reads `ID`; Go's JSON matching is case-insensitive).
    const resources = [...ns.endpoints.map((id) => ({ Type: 'Endpoint', Data: { Id: id } })), ...ns.containers.map((id) => ({ Type: 'Container', Data: { Id: id } }))];
    return omitEmpty({ ID: ns.id, NamespaceId: ns.compartment, Type: ns.type, Resources: resources, SchemaVersion: { Major: 2, Minor: 0 } });
  }

  private modifyNamespace(id: string, json: string): string {
    const ns = this.namespaceRec(id);
    const req = read('modify request', () => readModifyRequest(parseDocument(json, 'modify request')));
    if (req.RequestType !== 'Add' && req.RequestType !== 'Remove') {
      fail(HRESULT.HCN_E_REQUEST_UNSUPPORTED, `HcnModifyNamespace ${req.ResourceType}/${req.RequestType} is not supported`);
    }
    if (req.ResourceType === 'Endpoint') {
      const endpointId = req.Settings.EndpointId;
      if (endpointId === undefined || endpointId === '') fail(HRESULT.E_INVALIDARG, 'Settings.EndpointId is required');
      if (typeof endpointId !== 'string' || !isGuid(endpointId)) fail(HRESULT.HCN_E_GUID_CONVERSION_FAILURE, `Settings.EndpointId ${JSON.stringify(endpointId)} is not a GUID`);
      const ep = this.endpointRec(endpointId);
      if (req.RequestType === 'Add') this.attach(ns, ep);
      else {
        if (ep.namespaceId !== ns.id) fail(HRESULT.HCN_E_ENDPOINT_NOT_ATTACHED, `endpoint ${ep.id} is not attached to namespace ${ns.id}`);
        this.detach(ep);
      }
      return '';
    }
    if (req.ResourceType === 'Container') {
      const containerId = req.Settings.ContainerId;
      if (typeof containerId !== 'string' || containerId === '') fail(HRESULT.E_INVALIDARG, 'Settings.ContainerId is required');
      if (req.RequestType === 'Add') {
        if (!ns.containers.includes(containerId)) ns.containers.push(containerId);
      } else {
        if (!ns.containers.includes(containerId)) fail(HRESULT.ERROR_NOT_FOUND, `container ${containerId} is not in namespace ${ns.id}`);
        ns.containers = ns.containers.filter((c) => c !== containerId);
      }
      return '';
    }
    return fail(HRESULT.HCN_E_REQUEST_UNSUPPORTED, `HcnModifyNamespace ResourceType ${JSON.stringify(req.ResourceType)} is not supported`);
  }

  private attach(ns: NamespaceRec, ep: EndpointRec): void {
    if (ep.namespaceId === ns.id) fail(HRESULT.HCN_E_ENDPOINT_ALREADY_ATTACHED, `endpoint ${ep.id} is already attached to namespace ${ns.id}`);
    if (ep.namespaceId !== undefined) fail(HRESULT.HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS, `endpoint ${ep.id} is already in namespace ${ep.namespaceId}`);
    ep.namespaceId = ns.id;
    ns.endpoints.push(ep.id);
  }

  private removeNamespace(ns: NamespaceRec): void {
    for (const id of ns.endpoints) {
      const ep = this.endpoints.get(key(id));
      if (ep) ep.namespaceId = undefined;
    }
    this.namespaces.delete(key(ns.id));
  }

  // ---------------------------------------------------------------------------------------------
  // HNS v1: only the version probe

  private hnsCall(json: string): string {
    const req = parseDocument(json, 'HNSCall request');
    const method = isJsonObject(req) ? req.Method : undefined;
    const path = isJsonObject(req) ? req.Path : undefined;
    if (method === 'GET' && path === '/globals/version') {
      return JSON.stringify({ Success: true, Error: '', Output: { Major: this.version_.Major, Minor: this.version_.Minor } });
    }
    // HNS v1 reports failures inside the envelope.
    return JSON.stringify({ Success: false, Error: `hns-mock models only GET /globals/version, not ${String(method)} ${String(path)}` });
  }

  // ---------------------------------------------------------------------------------------------
  // Administration (tests and the CLI; not HCN calls, so never faulted or logged)

  get version(): HnsVersion {
    return { ...this.version_ };
  }

  setVersion(v: HnsVersion): void {
    if (!Number.isInteger(v.Major) || !Number.isInteger(v.Minor) || v.Major < 0 || v.Minor < 0) throw new RangeError(`invalid HNS version ${v.Major}.${v.Minor}`);
    this.version_ = { Major: v.Major, Minor: v.Minor };
  }

  get adapters(): string[] {
    return [...this.adapters_];
  }

  setAdapters(names: readonly string[]): void {
    this.adapters_ = [...new Set(names)];
  }

  addAdapter(name: string): void {
    if (!this.adapters_.some((a) => a.toLowerCase() === name.toLowerCase())) this.adapters_.push(name);
  }

  /** Removes an adapter (networks on it stay, as HNS keeps them when a NIC disappears). */
  removeAdapter(name: string): boolean {
    const before = this.adapters_.length;
    this.adapters_ = this.adapters_.filter((a) => a.toLowerCase() !== name.toLowerCase());
    return this.adapters_.length < before;
  }

  /** What containerd does before ADD: HcnCreateNamespace with an empty document. Returns the namespace ID. */
  createNamespace(options: { type?: string; id?: string } = {}): string {
    const settings = options.type === undefined ? '' : JSON.stringify({ Type: options.type });
    try {
      return this.createNamespaceFrom(options.id ?? '', settings).id;
    } catch (e) {
      if (e instanceof HcnFailure) throw new RangeError(e.detail);
      throw e;
    }
  }

  /** What containerd does after DEL. False when there was no such namespace. */
  deleteNamespace(id: string): boolean {
    const ns = isGuid(id) ? this.namespaces.get(key(id)) : undefined;
    if (ns === undefined) return false;
    this.removeNamespace(ns);
    return true;
  }

  /** `Restart-Service hns`: endpoints are gone (detached from their namespaces); networks and namespaces stay. */
  restart(): { endpointsRemoved: number } {
    const endpointsRemoved = this.endpoints.size;
    this.endpoints.clear();
    for (const ns of this.namespaces.values()) ns.endpoints = [];
    return { endpointsRemoved };
  }

  /**
   * A node reboot: endpoints and namespaces are gone, and every network not created persistent. The
   * host's default namespace comes back with a new ID (it is not counted as removed).
   */
  reboot(): { endpointsRemoved: number; namespacesRemoved: number; networksRemoved: number } {
    const endpointsRemoved = this.endpoints.size;
    const namespacesRemoved = [...this.namespaces.values()].filter((n) => n.compartment !== HOST_COMPARTMENT).length;
    this.endpoints.clear();
    this.namespaces.clear();
    let networksRemoved = 0;
    for (const [k, n] of this.networks) {
      if (!n.persistent) {
        this.networks.delete(k);
        networksRemoved++;
      }
    }
    this.nextCompartment = FIRST_COMPARTMENT;
    this.boot();
    return { endpointsRemoved, namespacesRemoved, networksRemoved };
  }

  /** Back to the state of a fresh model with the constructor's options. */
  reset(): void {
    this.networks.clear();
    this.endpoints.clear();
    this.namespaces.clear();
    this.version_ = { ...this.options.version };
    this.adapters_ = [...this.options.adapters];
    this.nextMacPool = FIRST_MAC_POOL;
    this.nextCompartment = FIRST_COMPARTMENT;
    this.boot();
  }

  dump(): ModelDump {
    return {
      version: this.version,
      adapters: this.adapters,
      networks: [...this.networks.values()].map((n) => structuredClone(n.doc) as unknown as JsonObject),
      endpoints: [...this.endpoints.values()].map((e) => structuredClone(this.endpointProps(e))),
      namespaces: [...this.namespaces.values()].map((n) => this.namespaceProps(n)),
    };
  }

  stats(): { networks: number; endpoints: number; namespaces: number } {
    return { networks: this.networks.size, endpoints: this.endpoints.size, namespaces: this.namespaces.size };
  }
}
