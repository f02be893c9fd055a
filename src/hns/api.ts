// HcnApi: the HCN call surface, as JSON documents in and out.
//
// Two backends implement it: ffi.ts (computenetwork.dll through ffi-rs, on Windows) and grpc.ts
// (hns-mock, everywhere else). Both carry the same schema v2 documents real HNS receives. Handles
// are an FFI detail: each method here is one of hcsshim's per-operation patterns (open → act →
// close), so callers never hold a handle. (The FFI backend keeps a network's handle, and a
// namespace's opened ahead with preopen(), until close(), as one verb uses them twice; see ffi.ts.)

export type HcnResource = 'Network' | 'Endpoint' | 'Namespace';

export interface CreateOptions {
  /**
   * The new object's ID, passed as HCN's `Id` argument as Microsoft's samples do (a fresh GUID);
   * without it the zero GUID asks HNS to choose one, hcsshim's way. Read the ID back from the
   * properties either way.
   */
  id?: string;
  /**
   * Called once the create call itself has succeeded, before the properties are read back: a caller
   * that chose the ID can send its next call for the new object now, a round trip earlier.
   */
  created?: () => void;
}

export interface HcnApi {
  /** HcnEnumerate{Networks,Endpoints,Namespaces}. `query` is a HostComputeQuery document; returns a JSON array of GUID strings (or `null`/empty). */
  enumerate(resource: HcnResource, query: string): Promise<string>;
  /**
   * HcnCreate{Network,Endpoint,Namespace}, then HcnQuery*Properties, then close. For an endpoint,
   * `networkId` names the network whose handle the create needs. Returns the properties document.
   */
  create(resource: HcnResource, settings: string, networkId?: string, options?: CreateOptions): Promise<string>;
  /** HcnOpen* → HcnQuery*Properties(query) → HcnClose*. Returns the properties document. */
  query(resource: HcnResource, id: string, query: string): Promise<string>;
  /** HcnOpen* → HcnModify*(settings) → HcnClose*. */
  modify(resource: HcnResource, id: string, settings: string): Promise<void>;
  /** HcnDelete*(id). */
  delete(resource: HcnResource, id: string): Promise<void>;
  /** The HNS v1 version probe, `HNSCall("GET", "/globals/version", "")`. Returns the response envelope document. */
  version(): Promise<string>;
  /**
   * A hint that `id` will be queried or modified soon: a backend with handles may open it now, so the
   * open's round trip overlaps the caller's other work. Failures surface at the later use. Optional:
   * without it nothing changes but the timing.
   */
  preopen?(resource: HcnResource, id: string): void;
  /**
   * The caller is done with `id` for this verb: a backend that keeps a handle to it (preopen, or
   * a network it opened) closes it now, in the background, instead of at close(). A later use opens
   * it again. Optional: without it nothing changes but the timing.
   */
  release?(resource: HcnResource, id: string): void;
  /**
   * The names of the node's network adapters, where the backend can tell: hns-mock models the host
   * as well as HNS. HCN itself has no such call, so the FFI backend leaves this out and hnsbridge
   * asks the operating system instead.
   */
  hostAdapters?(): Promise<string[]>;
  /**
   * Releases the backend (channel, library) once the handle closes still in flight are done.
   * Safe to call twice. Backends close handles in the background once an operation's outcome is
   * known, so the verb does not wait a round trip for each; this is where that work is waited for.
   */
  close(): void | Promise<void>;
}

/**
 * Handle closes left to run in the background once an operation's outcome is known. Both backends
 * keep one; their close() waits for settled() before releasing the library or channel the closes
 * still need.
 */
export class BackgroundCloses {
  private readonly pending = new Set<Promise<void>>();

  /** Lets `close` run on; a failure is ignored, as the operation's outcome is already known. */
  add(close: Promise<unknown>): void {
    const p: Promise<void> = close.then(
      () => undefined,
      () => undefined,
    ).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}

/** The HCN export behind each operation, used in error messages and on the wire. */
export function hcnFunction(op: 'Enumerate' | 'Create' | 'Open' | 'Query' | 'Modify' | 'Delete' | 'Close', resource: HcnResource): string {
  const plural = op === 'Enumerate' ? 's' : '';
  const suffix = op === 'Query' ? 'Properties' : '';
  return `Hcn${op}${resource}${plural}${suffix}`;
}

/** Well-known HRESULTs (unsigned). Names follow winerror.h / the HCN HRESULT table. */
export const HRESULT = {
  S_OK: 0x00000000,
  HCN_E_NETWORK_NOT_FOUND: 0x803b0001,
  HCN_E_ENDPOINT_NOT_FOUND: 0x803b0002,
  HCN_E_LAYER_NOT_FOUND: 0x803b0003,
  HCN_E_SWITCH_NOT_FOUND: 0x803b0004,
  HCN_E_SUBNET_NOT_FOUND: 0x803b0005,
  HCN_E_ADAPTER_NOT_FOUND: 0x803b0006,
  HCN_E_PORT_NOT_FOUND: 0x803b0007,
  HCN_E_POLICY_NOT_FOUND: 0x803b0008,
  HCN_E_INVALID_NETWORK: 0x803b000a,
  HCN_E_INVALID_NETWORK_TYPE: 0x803b000b,
  HCN_E_INVALID_ENDPOINT: 0x803b000c,
  HCN_E_INVALID_POLICY: 0x803b000d,
  HCN_E_INVALID_POLICY_TYPE: 0x803b000e,
  HCN_E_NETWORK_ALREADY_EXISTS: 0x803b0010,
  HCN_E_POLICY_ALREADY_EXISTS: 0x803b0012,
  HCN_E_PORT_ALREADY_EXISTS: 0x803b0013,
  HCN_E_ENDPOINT_ALREADY_ATTACHED: 0x803b0014,
  HCN_E_REQUEST_UNSUPPORTED: 0x803b0015,
  HCN_E_MAPPING_NOT_SUPPORTED: 0x803b0016,
  HCN_E_DEGRADED_OPERATION: 0x803b0017,
  HCN_E_GUID_CONVERSION_FAILURE: 0x803b0019,
  HCN_E_INVALID_JSON: 0x803b001b,
  HCN_E_INVALID_IP: 0x803b001e,
  HCN_E_MANAGER_STOPPED: 0x803b0020,
  HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS: 0x803b002b,
  HCN_E_ENTITY_HAS_REFERENCES: 0x803b002c,
  HCN_E_INVALID_INTERNAL_PORT: 0x803b002d,
  HCN_E_NAMESPACE_ATTACH_FAILED: 0x803b002e,
  HCN_E_ADDR_INVALID_OR_RESERVED: 0x803b002f,
  HCN_E_INVALID_PREFIX: 0x803b0030,
  HCN_E_INVALID_SUBNET: 0x803b0032,
  HCN_E_ENDPOINT_NOT_ATTACHED: 0x803b0034,
  ERROR_NOT_FOUND: 0x80070490,
  E_INVALIDARG: 0x80070057,
  E_ACCESSDENIED: 0x80070005,
  E_NOTIMPL: 0x80004001,
  E_FAIL: 0x80004005,
  ERROR_ALREADY_EXISTS: 0x800700b7,
  ERROR_OBJECT_ALREADY_EXISTS: 0x80071392,
} as const;

const NAMES = new Map<number, string>(Object.entries(HRESULT).map(([k, v]) => [v, k]));

export function hresultName(hr: number): string | undefined {
  return NAMES.get(hr >>> 0);
}

export function hresultHex(hr: number): string {
  return `0x${(hr >>> 0).toString(16).padStart(8, '0')}`;
}

/** Not-found in every form HNS uses for it: HCN_E_*_NOT_FOUND and the generic Win32 ERROR_NOT_FOUND. */
export function isNotFoundHresult(hr: number): boolean {
  const u = hr >>> 0;
  return u === HRESULT.HCN_E_NETWORK_NOT_FOUND || u === HRESULT.HCN_E_ENDPOINT_NOT_FOUND || u === HRESULT.ERROR_NOT_FOUND;
}

/** A short operator hint for codes whose cause is usually known. */
const HINTS: Record<number, string> = {
  [HRESULT.HCN_E_NETWORK_ALREADY_EXISTS]: 'a network with this name exists; check for another agent creating it',
  [HRESULT.HCN_E_ADAPTER_NOT_FOUND]: 'the host adapter named in the config does not exist (Get-NetAdapter lists them)',
  [HRESULT.HCN_E_INVALID_POLICY]: 'a policy has invalid or missing settings; check the policy named in the message',
  [HRESULT.HCN_E_INVALID_POLICY_TYPE]: 'this Windows build does not know that policy type',
  [HRESULT.HCN_E_PORT_ALREADY_EXISTS]: 'another endpoint already maps this host port',
  [HRESULT.HCN_E_MANAGER_STOPPED]: 'HNS is stopping or restarting; the runtime will retry',
  [HRESULT.ERROR_NOT_FOUND]: 'the object does not exist (any more)',
  [HRESULT.E_ACCESSDENIED]: 'the plugin must run elevated (containerd runs it as SYSTEM)',
  [HRESULT.HCN_E_ADDR_INVALID_OR_RESERVED]: 'the address is invalid or reserved on this network',
  [HRESULT.ERROR_OBJECT_ALREADY_EXISTS]: 'the address (or name) is held by another endpoint on this network; hnsbridge inspect shows which',
};

export function hresultHint(hr: number): string | undefined {
  return HINTS[hr >>> 0];
}

/** An HCN call that returned a failing HRESULT (or a non-empty ErrorRecord). */
export class HnsError extends Error {
  readonly hresult: number;
  /** The HCN function, e.g. `HcnCreateEndpoint`. */
  readonly operation: string;
  /** The object the call was about: a name or a GUID. */
  readonly object: string;
  /** HNS's own text from the ErrorRecord (`Error`), trimmed; empty when HNS gave none. */
  readonly hnsMessage: string;
  /** The raw ErrorRecord document, when there was one. */
  readonly errorRecord: string | undefined;

  constructor(operation: string, object: string, hresult: number, hnsMessage: string, errorRecord?: string) {
    const u = hresult >>> 0;
    const name = hresultName(u);
    super(`${operation} ${object}: ${hresultHex(u)}${name ? ` ${name}` : ''}${hnsMessage ? `: ${hnsMessage}` : ''}`);
    this.name = 'HnsError';
    this.hresult = u;
    this.operation = operation;
    this.object = object;
    this.hnsMessage = hnsMessage;
    this.errorRecord = errorRecord;
  }

  get hex(): string {
    return hresultHex(this.hresult);
  }

  get notFound(): boolean {
    return isNotFoundHresult(this.hresult);
  }
}

/** HNS could not be reached at all, or did not answer within the call timeout. CNI code 11 (try again later). */
export class HnsUnavailableError extends Error {
  readonly operation: string;
  readonly object: string;
  readonly reason: 'unreachable' | 'timeout';

  constructor(operation: string, object: string, reason: 'unreachable' | 'timeout', message: string) {
    super(message);
    this.name = 'HnsUnavailableError';
    this.operation = operation;
    this.object = object;
    this.reason = reason;
  }
}

/**
 * Parses an ErrorRecord (`{"Success":false,"Error":"...","ErrorCode":2151350319}`) into HNS's message.
 * Returns the raw text when it is not the expected JSON, so nothing HNS said is lost.
 */
export function errorRecordMessage(record: string): string {
  if (record.trim() === '') return '';
  try {
    const parsed: unknown = JSON.parse(record);
    if (typeof parsed === 'object' && parsed !== null && 'Error' in parsed && typeof (parsed as { Error: unknown }).Error === 'string') {
      return (parsed as { Error: string }).Error.trim();
    }
  } catch {
    // not JSON: fall through and keep the raw text
  }
  return record.trim();
}
