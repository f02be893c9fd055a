// The typed HNS service the plugin uses, written once over HcnApi (FFI on Windows, gRPC elsewhere).
//
// Not-found convention (one typed condition, whatever form HNS used: HCN_E_NETWORK_NOT_FOUND,
// HCN_E_ENDPOINT_NOT_FOUND, 0x80070490, or an empty enumerate result):
//   - lookups (get*, find*, list*) answer "absent": `undefined` or `[]`, never an error;
//   - commands on an object that does not exist (createEndpoint on a missing network, attach,
//     detach, deleteEndpoint) throw NotFoundError, which callers test with isNotFound(). DEL treats
//     it as done; ADD reports it.
// Every other failing HRESULT is an HnsError; an unreachable or hung HNS is an HnsUnavailableError.
// Both pass through unchanged. GUIDs are compared case-insensitively everywhere.
//
// Each method follows hcsshim's lookups: enumerate with a Filter, then query each id; an object that
// vanishes between the two calls is skipped (a concurrent DEL is normal, not an error).

import { type CreateOptions, HRESULT, type HcnApi, type HcnResource, HnsError, HnsUnavailableError, hcnFunction, isNotFoundHresult } from './api.js';
import {
  type HnsVersion,
  type HostComputeEndpoint,
  type HostComputeEndpointSettings,
  type HostComputeNamespace,
  type HostComputeNetwork,
  type HostComputeNetworkSettings,
  type ModifyNamespaceSettingRequest,
  SchemaError,
  hostComputeQuery,
  namespaceEndpointIds,
  parseEndpoint,
  parseIdList,
  parseJson,
  parseNamespace,
  parseNetwork,
  parseVersionEnvelope,
  sameGuid,
} from './schema.js';

// ---------------------------------------------------------------------------------------------
// Errors

/** The object an operation needs does not exist. `cause` is HNS's error when HNS said so (rather than an empty lookup). */
export class NotFoundError extends Error {
  readonly resource: HcnResource;
  /** The name or GUID that was not found. */
  readonly object: string;
  /** The HCN function that found it missing. */
  readonly operation: string;

  constructor(resource: HcnResource, object: string, operation: string, cause?: HnsError) {
    super(`${operation} ${object}: ${resource.toLowerCase()} not found${cause ? ` (${cause.hex}${cause.hnsMessage ? `: ${cause.hnsMessage}` : ''})` : ''}`, cause ? { cause } : undefined);
    this.name = 'NotFoundError';
    this.resource = resource;
    this.object = object;
    this.operation = operation;
  }
}

/** True for a NotFoundError and for an HnsError whose HRESULT is one of HNS's not-found codes. */
export function isNotFound(e: unknown): boolean {
  return e instanceof NotFoundError || (e instanceof HnsError && isNotFoundHresult(e.hresult));
}

/** HNS answered, but with a document that does not have the schema's shape. */
export class HnsProtocolError extends Error {
  readonly operation: string;
  readonly object: string;

  constructor(operation: string, object: string, cause: SchemaError) {
    super(`${operation} ${object}: HNS returned an unexpected document: ${cause.message}`, { cause });
    this.name = 'HnsProtocolError';
    this.operation = operation;
    this.object = object;
  }
}

// ---------------------------------------------------------------------------------------------
// Version and features (hcn-api.md §4)

type V = readonly [major: number, minor: number];
/** Inclusive range; `to` undefined = no upper bound. */
type Range = readonly [from: V, to?: V];

/** "9.3–9.x" is [[9, 3], [9, MAX]]. */
const X = Number.MAX_SAFE_INTEGER;

/** hcsshim's hcnglobals.go, as tabulated in the reference §4.3. */
export const FEATURE_RANGES = {
  aclAddressLists: [[[7, 2]]],
  aclNoHostRulePriority: [[[7, 2]]],
  aclPortRanges: [[[7, 2]]],
  aclRuleId: [[[7, 2]]],
  apiV2: [[[9, 2]]],
  remoteSubnet: [[[9, 2]]],
  hostRoute: [[[9, 2]]],
  dsr: [
    [[9, 3], [9, X]],
    [[10, 2]],
  ],
  slash32EndpointPrefixes: [
    [[9, 3], [9, X]],
    [[10, 4]],
  ],
  vxlanPort: [[[10, 3]]],
  aclSupportForProtocol252: [[[11, 0]]],
  ipv6DualStack: [[[11, 10]]],
  sessionAffinity: [[[12, 0]]],
  setPolicy: [[[13, 0]]],
  l4Proxy: [
    [[9, 5], [9, X]],
    [[10, 5], [10, X]],
    [[11, 11], [11, X]],
    [[12, 1], [12, X]],
    [[13, 1]],
  ],
  l4WfpProxy: [[[13, 2]]],
  tierAcl: [[[14, 0]]],
  networkAcl: [[[15, 0]]],
  nestedIpSet: [[[15, 0]]],
  disableHostPort: [[[15, 1]]],
  modifyLoadbalancer: [[[15, 4]]],
  accelnet: [[[15, 4]]],
} as const satisfies Record<string, readonly Range[]>;

export type HnsFeature = keyof typeof FEATURE_RANGES | 'apiV1';
export type HnsFeatures = Readonly<Record<HnsFeature, boolean>>;

function cmp(a: V, b: V): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

function inRanges(v: V, ranges: readonly Range[]): boolean {
  return ranges.some(([from, to]) => cmp(v, from) >= 0 && (to === undefined || cmp(v, to) <= 0));
}

/** The features an HNS of this version supports; `undefined` (a failed probe) ⇒ every feature off, like hcsshim. */
export function featuresFor(version: HnsVersion | undefined): HnsFeatures {
  const out = { apiV1: version !== undefined } as Record<HnsFeature, boolean>;
  for (const [name, ranges] of Object.entries(FEATURE_RANGES) as [keyof typeof FEATURE_RANGES, readonly Range[]][]) {
    out[name] = version !== undefined && inRanges([version.Major, version.Minor], ranges);
  }
  return out;
}

export interface HnsProbe {
  /** Undefined when the probe failed (HNS older than 1803 in hcsshim's reading, or a broken answer). */
  version: HnsVersion | undefined;
  features: HnsFeatures;
  /** Why the probe failed, for logs. */
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// The service

const DEFAULT_QUERY = JSON.stringify(hostComputeQuery());

function prefetchKey(resource: HcnResource, id: string): string {
  return `${resource}/${id.toLowerCase()}`;
}

export class HnsService {
  private probed: Promise<HnsProbe> | undefined;
  /** Properties asked for ahead (prefetch), by `resource/id`, until a lookup takes them. */
  private readonly prefetched = new Map<string, Promise<string>>();

  constructor(private readonly api: HcnApi) {}

  /**
   * Starts reading the properties of an object a lookup is expected to find (an ID remembered from
   * an earlier call): a lookup that then finds it uses this answer instead of asking again, so its
   * query goes out together with the enumerate instead of after it. Nothing is trusted that the
   * lookup does not find itself, and an ID that no longer exists costs only the failed query.
   */
  prefetch(resource: HcnResource, id: string): void {
    const doc = this.api.query(resource, id, DEFAULT_QUERY);
    doc.catch(() => undefined); // a lookup that takes it sees the failure; otherwise it is dropped
    this.prefetched.set(prefetchKey(resource, id), doc);
  }

  // ---- networks

  /** Every network with this name (HNS allows duplicate names), in HNS's order. */
  async findNetworksByName(name: string): Promise<HostComputeNetwork[]> {
    const found = await this.lookup('Network', { Name: name }, parseNetwork);
    // The filter is HNS's; re-check it so a filter HNS ignored cannot hand back other networks.
    return found.filter((n) => n.Name === name);
  }

  /** The first network with this name, or undefined. */
  async findNetworkByName(name: string): Promise<HostComputeNetwork | undefined> {
    return (await this.findNetworksByName(name))[0];
  }

  async getNetwork(id: string): Promise<HostComputeNetwork | undefined> {
    return this.getById('Network', id, parseNetwork);
  }

  /** HcnCreateNetwork; returns the network as HNS stored it (with its ID). */
  async createNetwork(settings: HostComputeNetworkSettings): Promise<HostComputeNetwork> {
    const doc = await this.api.create('Network', JSON.stringify(settings));
    return this.parse(doc, parseNetwork, hcnFunction('Create', 'Network'), settings.Name);
  }

  // There is deliberately no deleteNetwork: the plugin never destroys the shared network (design.md).

  // ---- endpoints

  async getEndpoint(id: string): Promise<HostComputeEndpoint | undefined> {
    return this.getById('Endpoint', id, parseEndpoint);
  }

  /** Every endpoint with this name, in HNS's order. */
  async findEndpointsByName(name: string): Promise<HostComputeEndpoint[]> {
    const found = await this.lookup('Endpoint', { Name: name }, parseEndpoint);
    return found.filter((e) => e.Name === name);
  }

  async findEndpointByName(name: string): Promise<HostComputeEndpoint | undefined> {
    return (await this.findEndpointsByName(name))[0];
  }

  /**
   * The endpoints of one network. Filters like hcsshim on `VirtualNetwork` (the v1 key HNS's query
   * side understands) and keeps only those whose HostComputeNetwork matches.
   */
  async listNetworkEndpoints(networkId: string): Promise<HostComputeEndpoint[]> {
    const found = await this.lookup('Endpoint', { VirtualNetwork: networkId }, parseEndpoint);
    return found.filter((e) => sameGuid(e.HostComputeNetwork, networkId));
  }

  /**
   * HcnOpenNetwork + HcnCreateEndpoint. The network id is also written into the settings, as
   * hcsshim does. Throws NotFoundError when the network does not exist. `options`: the endpoint's
   * ID chosen by the caller, and a callback for when it exists (HcnApi.create).
   */
  async createEndpoint(networkId: string, settings: HostComputeEndpointSettings, options: CreateOptions = {}): Promise<HostComputeEndpoint> {
    const body = { ...settings, HostComputeNetwork: networkId };
    let doc: string;
    try {
      doc = await this.api.create('Endpoint', JSON.stringify(body), networkId, options);
    } catch (e) {
      // Opening the network, or the create itself, can find the network missing. (A not-found from
      // the query after the create means the new endpoint vanished meanwhile: left as HnsError.)
      const networkMissing = e instanceof HnsError && isNotFoundHresult(e.hresult) && (e.operation === hcnFunction('Open', 'Network') || e.operation === hcnFunction('Create', 'Endpoint'));
      if (networkMissing) throw new NotFoundError('Network', networkId, e.operation, e);
      throw e;
    }
    return this.parse(doc, parseEndpoint, hcnFunction('Create', 'Endpoint'), settings.Name);
  }

  /** HcnDeleteEndpoint. Throws NotFoundError when it is already gone (DEL: catch with isNotFound). */
  async deleteEndpoint(id: string): Promise<void> {
    await this.notFoundAs('Endpoint', id, () => this.api.delete('Endpoint', id));
  }

  // ---- namespaces

  async getNamespace(id: string): Promise<HostComputeNamespace | undefined> {
    return this.getById('Namespace', id, parseNamespace);
  }

  /**
   * The host's own namespace (Type HostDefault, compartment 1): where a host vNIC such as the L2Bridge
   * gateway endpoint is attached. Filters with `IsDefault` like hcsshim, then keeps the host one.
   */
  async findHostDefaultNamespace(): Promise<HostComputeNamespace | undefined> {
    const found = await this.lookup('Namespace', { IsDefault: true }, parseNamespace);
    return found.find((n) => n.Type === 'HostDefault');
  }

  /** The endpoint ids attached to a namespace, or undefined when the namespace does not exist. */
  async namespaceEndpointIds(namespaceId: string): Promise<string[] | undefined> {
    const ns = await this.getNamespace(namespaceId);
    return ns === undefined ? undefined : namespaceEndpointIds(ns);
  }

  /**
   * Attaches an endpoint to a namespace (HcnModifyNamespace, RequestType Add). HNS answers
   * HCN_E_ENDPOINT_ALREADY_ATTACHED (0x803b0014) for a repeat and
   * HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS (0x803b002b) when it is in another namespace; both
   * surface as HnsError. Throws NotFoundError when the namespace or the endpoint does not exist.
   */
  async attachEndpoint(namespaceId: string, endpointId: string): Promise<void> {
    await this.modifyNamespaceEndpoint(namespaceId, endpointId, 'Add');
  }

  /**
   * Says that an endpoint will be attached to this namespace soon: a backend that opens namespaces
   * (FFI) opens it now, so that round trip overlaps the work before the attach. Any failure shows at
   * attachEndpoint, as it would have without this.
   */
  prepareAttach(namespaceId: string): void {
    this.api.preopen?.('Namespace', namespaceId);
  }

  /**
   * Says that this verb makes no more calls for `id`: a backend that holds its handle closes it now,
   * so that round trip overlaps the verb's remaining work instead of adding to close().
   */
  finishedWith(resource: 'Network' | 'Namespace', id: string): void {
    this.api.release?.(resource, id);
  }

  /** Detaches an endpoint (RequestType Remove). Throws NotFoundError when the namespace or endpoint is gone. */
  async detachEndpoint(namespaceId: string, endpointId: string): Promise<void> {
    await this.modifyNamespaceEndpoint(namespaceId, endpointId, 'Remove');
  }

  private async modifyNamespaceEndpoint(namespaceId: string, endpointId: string, requestType: 'Add' | 'Remove'): Promise<void> {
    const request: ModifyNamespaceSettingRequest = { ResourceType: 'Endpoint', RequestType: requestType, Settings: { EndpointId: endpointId } };
    try {
      await this.api.modify('Namespace', namespaceId, JSON.stringify(request));
    } catch (e) {
      if (!(e instanceof HnsError) || !isNotFoundHresult(e.hresult)) throw e;
      // Opening a missing namespace fails with 0x80070490; a missing endpoint inside the modify is
      // HCN_E_ENDPOINT_NOT_FOUND. Any other not-found during the modify is the namespace going away.
      const endpointMissing = e.hresult === HRESULT.HCN_E_ENDPOINT_NOT_FOUND && e.operation !== hcnFunction('Open', 'Namespace');
      if (endpointMissing) throw new NotFoundError('Endpoint', endpointId, e.operation, e);
      throw new NotFoundError('Namespace', namespaceId, e.operation, e);
    }
  }

  // ---- the host

  /** The node's adapter names when the backend knows them (hns-mock does), else undefined. */
  async hostAdapters(): Promise<string[] | undefined> {
    return this.api.hostAdapters ? this.api.hostAdapters() : undefined;
  }

  // ---- version and features

  /**
   * The HNS version and the features it implies, probed once per service (HNSCall GET
   * /globals/version). A failing HRESULT or an unusable answer ⇒ version undefined and every
   * feature off, like hcsshim; that outcome is cached. An unreachable HNS is different (nothing was
   * learnt): HnsUnavailableError is thrown and not cached.
   */
  probe(): Promise<HnsProbe> {
    if (this.probed === undefined) {
      const p = this.runProbe();
      this.probed = p;
      p.catch(() => {
        if (this.probed === p) this.probed = undefined;
      });
    }
    return this.probed;
  }

  private async runProbe(): Promise<HnsProbe> {
    let text: string;
    try {
      text = await this.api.version();
    } catch (e) {
      if (e instanceof HnsUnavailableError) throw e;
      if (e instanceof HnsError) return { version: undefined, features: featuresFor(undefined), error: e.message };
      throw e;
    }
    try {
      const env = parseVersionEnvelope(parseJson(text, 'the version answer'));
      if (!env.Success || env.Output === undefined) {
        return { version: undefined, features: featuresFor(undefined), error: `HNS refused the version probe: ${env.Error ?? '(no error text)'}` };
      }
      return { version: env.Output, features: featuresFor(env.Output) };
    } catch (e) {
      if (!(e instanceof SchemaError)) throw e;
      return { version: undefined, features: featuresFor(undefined), error: `unexpected version answer: ${e.message}` };
    }
  }

  // ---- plumbing

  /** Enumerate with a filter, then query each id; ids that vanish in between are skipped. */
  private async lookup<T>(resource: HcnResource, filter: Record<string, string | boolean>, parse: (v: unknown) => T): Promise<T[]> {
    const query = JSON.stringify(hostComputeQuery(filter));
    const list = await this.api.enumerate(resource, query);
    const ids = this.parse(list, parseIdList, hcnFunction('Enumerate', resource), JSON.stringify(filter));
    const out: T[] = [];
    for (const id of ids) {
      const item = await this.getById(resource, id, parse);
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  private async getById<T>(resource: HcnResource, id: string, parse: (v: unknown) => T): Promise<T | undefined> {
    const key = prefetchKey(resource, id);
    const ahead = this.prefetched.get(key);
    this.prefetched.delete(key); // used once: a later lookup asks HNS again
    let doc: string;
    try {
      doc = await (ahead ?? this.api.query(resource, id, DEFAULT_QUERY));
    } catch (e) {
      if (e instanceof HnsError && isNotFoundHresult(e.hresult)) return undefined;
      throw e;
    }
    return this.parse(doc, parse, hcnFunction('Query', resource), id);
  }

  private async notFoundAs(resource: HcnResource, id: string, op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (e) {
      if (e instanceof HnsError && isNotFoundHresult(e.hresult)) throw new NotFoundError(resource, id, e.operation, e);
      throw e;
    }
  }

  private parse<T>(text: string, parse: (v: unknown) => T, operation: string, object: string): T {
    try {
      return parse(parseJson(text, 'the answer'));
    } catch (e) {
      if (e instanceof SchemaError) throw new HnsProtocolError(operation, object, e);
      throw e;
    }
  }
}
