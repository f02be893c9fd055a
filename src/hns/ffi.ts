// HcnApi over computenetwork.dll through ffi-rs — the Windows backend.
//
// This is the only module that deals in native memory. It follows hcsshim's calling pattern
// (microsoft/hcsshim hcn/zsyscall_windows.go and the hcn*.go resource files):
//   - GUIDs go in as a pointer to 16 bytes in Windows' bytes_le layout (guid.ts);
//   - strings go in as NUL-terminated UTF-16LE bytes (utf16.ts), never DataType.WString, which is
//     a 32-bit wchar_t on Linux where the stand-in library runs the same code;
//   - every out-parameter is a zero-initialised 8-byte slot (a Buffer passed as U8Array: ffi-rs
//     hands the callee a pointer to the Buffer's own memory, also with runInNewThread);
//   - every returned string, the ErrorRecord included and also on success, is freed with
//     CoTaskMemFree; a non-empty ErrorRecord is an error even when the HRESULT succeeded;
//   - every handle from Create/Open is closed: most as soon as the operation is done, a network's
//     (and a namespace's opened ahead) when the verb closes the api (see sharedHandle), as one verb
//     uses those more than once (ADD looks its network up, then creates the endpoint on it).
// Calls run on ffi-rs's worker threads (runInNewThread) so a hung HNS turns into a timeout
// instead of a hung plugin. The thread of a timed-out call stays blocked in HNS and keeps Node's
// event loop alive until HNS answers, so a process must end with process.exit (src/main.ts does).
// The thread costs ~50–200 µs per call on Linux and under Wine, against ~1.5 ms (Linux) and
// ~4–6 ms (Wine) for a whole open → query → close through the stand-in.

import type * as FfiRs from 'ffi-rs';
import { BackgroundCloses, HnsError, HnsUnavailableError, HRESULT, errorRecordMessage, hcnFunction, hresultHex } from './api.js';
import { callFailure, createLabel, enumerateLabel } from './labels.js';
import type { CreateOptions, HcnApi, HcnResource } from './api.js';
import { guidToBytes } from './guid.js';
import { ZERO_GUID, hostComputeQuery } from './schema.js';
import { decodeUtf16UpToNul, encodeUtf16z } from './utf16.js';
// native.ts does nothing when imported; the addon itself is loaded by loadFfi(), in the constructor.
import { loadFfi } from '../native.js';

type Ffi = typeof FfiRs;

export interface FfiHcnApiOptions {
  /** The ffi-rs module; by default the addon embedded in the executable (src/native.ts). */
  ffi?: Ffi;
  /** computenetwork.dll or a stand-in; default env HNS_FFI_LIBRARY, else `computenetwork.dll`. */
  library?: string;
  /** Where CoTaskMemFree comes from; default env HNS_FREE_LIBRARY, else ole32.dll on Windows and `library` elsewhere (the stand-in exports its own). */
  freeLibrary?: string;
  /** Where HNSCall comes from; default env HNS_VMCOMPUTE_LIBRARY, else `vmcompute.dll`. */
  vmcomputeLibrary?: string;
  /** Per-call limit before HnsUnavailableError(reason 'timeout'); default 30000 ms. */
  timeoutMs?: number;
}

/** hcsshim's defaultQuery(): what it sends to HcnQuery*Properties right after a create. */
const DEFAULT_QUERY = JSON.stringify(hostComputeQuery());

/** HCN reaches HNS over RPC; these mean the service is not there (stopped, restarting, crashed mid-call). */
const RPC_S_SERVER_UNAVAILABLE = 0x800706ba;
const RPC_S_CALL_FAILED = 0x800706be;
/** HRESULT_FROM_WIN32 of LoadLibrary's and GetProcAddress's failures, for the version probe. */
const ERROR_MOD_NOT_FOUND = 0x8007007e;
const ERROR_PROC_NOT_FOUND = 0x8007007f;

/** Strings are read up to a 4 KiB boundary at a time: a page that holds part of the string is mapped, one beyond it may not be. */
const PAGE = 4096n;

let nextLibraryKey = 0;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The key of a shared handle: resource and ID, the ID in any case. */
/** A network or namespace handle kept for the verb (FfiHcnApi.sharedHandle), with its open still in flight or settled. */
interface SharedHandle {
  resource: HcnResource;
  id: string;
  handle: Promise<bigint>;
}

function sharedKey(resource: HcnResource, id: string): string {
  return `${resource}/${id.toLowerCase()}`;
}

function slot(): Buffer {
  return Buffer.alloc(8);
}

function slotValue(s: Buffer): bigint {
  return s.readBigUInt64LE(0);
}

interface CallSpec {
  fn: string;
  object: string;
  types: FfiRs.DataType[];
  values: unknown[];
  /** The function's result string slot (Enumerate, Query), if any. */
  result?: Buffer;
  /** The handle slot of Create/Open, with the resource whose Close releases it. */
  handle?: { slot: Buffer; resource: HcnResource };
  /** The ErrorRecord slot. */
  error: Buffer;
}

export class FfiHcnApi implements HcnApi {
  private readonly ffi: Ffi;
  private readonly libraryPath: string;
  private readonly freePath: string;
  private readonly vmcomputePath: string;
  private readonly timeoutMs: number;
  private readonly keys = new Map<string, string>(); // library path → ffi-rs key
  private inflight = 0;
  private closed = false;
  /** Handle closes started in the background (see closing()), awaited by close(). */
  private readonly closes = new BackgroundCloses();
  /** Network handles, and namespace handles opened by preopen(), kept until close() (see sharedHandle). */
  private readonly shared = new Map<string, SharedHandle>();
  private closeDone: Promise<void> | undefined;
  /** Set once close() has closed every handle: from then the libraries are unloaded when no call is in flight. */
  private released = false;

  constructor(options: FfiHcnApiOptions = {}) {
    this.ffi = options.ffi ?? loadFfi();
    const env = process.env;
    this.libraryPath = options.library ?? (env.HNS_FFI_LIBRARY || 'computenetwork.dll');
    this.freePath = options.freeLibrary ?? (env.HNS_FREE_LIBRARY || (process.platform === 'win32' ? 'ole32.dll' : this.libraryPath));
    this.vmcomputePath = options.vmcomputeLibrary ?? (env.HNS_VMCOMPUTE_LIBRARY || 'vmcompute.dll');
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async enumerate(resource: HcnResource, query: string): Promise<string> {
    const fn = hcnFunction('Enumerate', resource);
    const result = slot();
    const error = slot();
    const out = await this.call({ fn, object: enumerateLabel(query), types: this.types('str', 'out', 'out'), values: [encodeUtf16z(query), result, error], result, error });
    return out.result ?? '';
  }

  async create(resource: HcnResource, settings: string, networkId?: string, options: CreateOptions = {}): Promise<string> {
    const object = createLabel(resource, settings);
    if (resource !== 'Endpoint') return this.createWith(resource, object, settings, undefined, options);
    if (networkId === undefined || networkId === '') throw new TypeError('creating an endpoint needs the ID of its network');
    return this.withHandle('Network', networkId, (network) => this.createWith(resource, object, settings, network, options));
  }

  async query(resource: HcnResource, id: string, query: string): Promise<string> {
    return this.withHandle(resource, id, (h) => this.queryHandle(resource, h, query, id));
  }

  async modify(resource: HcnResource, id: string, settings: string): Promise<void> {
    await this.withHandle(resource, id, async (h) => {
      const error = slot();
      await this.call({ fn: hcnFunction('Modify', resource), object: id, types: this.types('handle', 'str', 'out'), values: [h, encodeUtf16z(settings), error], error });
    });
  }

  async delete(resource: HcnResource, id: string): Promise<void> {
    const fn = hcnFunction('Delete', resource);
    const error = slot();
    await this.call({ fn, object: id, types: this.types('guid', 'out'), values: [this.guid(fn, id), error], error });
  }

  async version(): Promise<string> {
    const fn = 'HNSCall';
    const object = '/globals/version';
    if (this.closed) throw this.closedError(fn, object);
    const load = (path: string): string => {
      try {
        return this.library(path);
      } catch (e) {
        throw new HnsError(fn, object, ERROR_MOD_NOT_FOUND, `cannot load ${path}: ${message(e)}`);
      }
    };
    load(this.freePath); // the response is freed through it
    const key = load(this.vmcomputePath);
    const response = slot();
    const hr = await this.invoke(key, fn, object, this.types('str', 'str', 'str', 'out'), [encodeUtf16z('GET'), encodeUtf16z('/globals/version'), encodeUtf16z(''), response], [{ slot: response }], (e) => new HnsError(fn, object, ERROR_PROC_NOT_FOUND, `${this.vmcomputePath} has no usable ${fn}: ${message(e)}`));
    const text = this.takeString(response) ?? '';
    // HNSCall has no ErrorRecord; its response envelope carries HNS's text in the same `Error` member.
    // A stopped HNS is still "unreachable" (not "old HNS"), like for every other call.
    if (hr < 0) throw this.failure(fn, object, hr, text);
    return text;
  }

  /** Opens a network or namespace now and keeps it for a use that follows soon: the open's round trip overlaps other work. */
  preopen(resource: HcnResource, id: string): void {
    if (resource !== 'Endpoint' && !this.closed) void this.sharedHandle(resource, id).catch(() => undefined);
  }

  release(resource: HcnResource, id: string): void {
    const key = sharedKey(resource, id);
    const entry = this.shared.get(key);
    if (entry === undefined || this.closed) return; // close() takes care of it
    this.shared.delete(key);
    this.closeShared(entry);
  }

  close(): Promise<void> {
    this.closed = true; // no new calls from here on
    this.closeDone ??= this.closeAll();
    return this.closeDone;
  }

  private async closeAll(): Promise<void> {
    // The shared handles. An open still in flight (a namespace opened ahead by an ADD that failed
    // first) is waited for so its handle is closed too; a hung one ends at the call timeout, and
    // its late handle is released by invoke(). The libraries stay loaded until all that is done.
    for (const entry of this.shared.values()) this.closeShared(entry);
    this.shared.clear();
    await this.closes.settled();
    this.released = true;
    this.unloadIfIdle();
  }

  // ---- operations on handles ----

  private async createWith(resource: HcnResource, object: string, settings: string, network: bigint | undefined, options: CreateOptions): Promise<string> {
    const fn = hcnFunction('Create', resource);
    const handle = slot();
    const error = slot();
    // The zero GUID: HNS assigns the ID (hcsshim's choice); it is read back from the properties.
    const id = this.guid(fn, options.id ?? ZERO_GUID);
    const spec: CallSpec =
      network === undefined
        ? { fn, object, types: this.types('guid', 'str', 'out', 'out'), values: [id, encodeUtf16z(settings), handle, error], handle: { slot: handle, resource }, error }
        : { fn, object, types: this.types('handle', 'guid', 'str', 'out', 'out'), values: [network, id, encodeUtf16z(settings), handle, error], handle: { slot: handle, resource }, error };
    const { handle: h } = await this.call(spec);
    return this.closing(resource, h, object, () => {
      options.created?.();
      return this.queryHandle(resource, h, DEFAULT_QUERY, object);
    });
  }

  private async queryHandle(resource: HcnResource, h: bigint, query: string, object: string): Promise<string> {
    const result = slot();
    const error = slot();
    const out = await this.call({ fn: hcnFunction('Query', resource), object, types: this.types('handle', 'str', 'out', 'out'), values: [h, encodeUtf16z(query), result, error], result, error });
    return out.result ?? '';
  }

  /**
   * body(handle of `id`). A network's handle is shared (see sharedHandle), and so is a namespace's that
   * preopen() opened; any other is opened for this body and closed after it (hcsshim's pattern).
   */
  private async withHandle<T>(resource: HcnResource, id: string, body: (h: bigint) => Promise<T>): Promise<T> {
    if (resource === 'Network' || this.shared.has(sharedKey(resource, id))) return body(await this.sharedHandle(resource, id));
    const h = await this.open(resource, id);
    return this.closing(resource, h, id, () => body(h));
  }

  private async open(resource: HcnResource, id: string): Promise<bigint> {
    const fn = hcnFunction('Open', resource);
    const handle = slot();
    const error = slot();
    const { handle: h } = await this.call({ fn, object: id, types: this.types('guid', 'out', 'out'), values: [this.guid(fn, id), handle, error], handle: { slot: handle, resource }, error });
    return h;
  }

  /**
   * Closes a shared handle in the background once its open has settled (close() waits for it). A
   * failed open has nothing to close; its error was reported to whoever used it.
   */
  private closeShared(entry: SharedHandle): void {
    this.closes.add(entry.handle.then((h) => this.closeHandle(entry.resource, h, entry.id, this.keys.get(this.libraryPath))));
  }

  /**
   * The handle of a network, or of a namespace opened ahead, opened on first use and kept until
   * close(). A verb touches one or two networks, each up to twice, and an open is a round trip to HNS.
   * A failed open is kept as well: a second use reports the same failure without asking again.
   * Endpoints and other namespaces are not shared: GC and inspect go through hundreds of them, each once.
   */
  private sharedHandle(resource: HcnResource, id: string): Promise<bigint> {
    const key = sharedKey(resource, id);
    let entry = this.shared.get(key);
    if (entry === undefined) {
      entry = { resource, id, handle: this.open(resource, id) };
      this.shared.set(key, entry);
    }
    return entry.handle;
  }

  /**
   * Runs body, then closes the handle whatever happened. After a success the close runs in the
   * background (close() waits for it): the outcome is known, and a failed close changes nothing
   * the caller could act on, so the verb need not wait a round trip for it.
   */
  private async closing<T>(resource: HcnResource, h: bigint, object: string, body: () => Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await body();
    } catch (e) {
      const closed = this.closeHandle(resource, h, object).catch(() => undefined);
      // After a timeout HNS may be hung: the close still goes out, but the caller is not kept waiting for it too.
      if (!(e instanceof HnsUnavailableError)) await closed;
      throw e;
    }
    this.closes.add(this.closeHandle(resource, h, object));
    return value;
  }

  /** `key`: the loaded HCN library, for the closes close() itself makes (new calls are refused by then). */
  private async closeHandle(resource: HcnResource, h: bigint, object: string, key?: string): Promise<void> {
    const fn = hcnFunction('Close', resource);
    const hr = await this.invoke(key ?? this.hcnLibrary(fn, object), fn, object, this.types('handle'), [h], [], (e) => this.missing(fn, object, e));
    if (hr < 0) throw this.failure(fn, object, hr, undefined);
  }

  // ---- the call machinery ----

  /**
   * One HCN call with its out-parameters: reads and frees the result and ErrorRecord strings,
   * returns the handle, and turns a failing HRESULT or non-empty ErrorRecord into an error (after
   * closing any handle that came back anyway).
   */
  private async call(spec: CallSpec): Promise<{ result: string | undefined; handle: bigint }> {
    const slots: Array<{ slot: Buffer; resource?: HcnResource }> = [{ slot: spec.error }];
    if (spec.result) slots.push({ slot: spec.result });
    if (spec.handle) slots.push(spec.handle);
    const hr = await this.invoke(this.hcnLibrary(spec.fn, spec.object), spec.fn, spec.object, spec.types, spec.values, slots, (e) => this.missing(spec.fn, spec.object, e));

    const handle = spec.handle ? slotValue(spec.handle.slot) : 0n;
    let result: string | undefined;
    let record: string | undefined;
    try {
      try {
        if (spec.result) result = this.takeString(spec.result);
      } finally {
        record = this.takeString(spec.error);
      }
    } catch (e) {
      if (spec.handle && handle !== 0n) await this.closeHandle(spec.handle.resource, handle, spec.object).catch(() => undefined);
      throw e;
    }
    if (hr < 0 || (record !== undefined && record !== '')) {
      if (spec.handle && handle !== 0n) await this.closeHandle(spec.handle.resource, handle, spec.object).catch(() => undefined);
      throw this.failure(spec.fn, spec.object, hr, record);
    }
    return { result, handle };
  }

  private failure(fn: string, object: string, hr: number, record: string | undefined): Error {
    const u = hr >>> 0;
    const text = errorRecordMessage(record ?? '');
    if (u === RPC_S_SERVER_UNAVAILABLE || u === RPC_S_CALL_FAILED) {
      return new HnsUnavailableError(fn, object, 'unreachable', `${fn} ${object}: HNS is not reachable (${hresultHex(u)})${text ? `: ${text}` : ''}`);
    }
    return callFailure(fn, object, hr, record) ?? new HnsError(fn, object, HRESULT.E_FAIL, text, record || undefined);
  }

  private closedError(fn: string, object: string): Error {
    return new HnsUnavailableError(fn, object, 'unreachable', `${fn} ${object}: HNS not reachable: the HcnApi was closed`);
  }

  private missing(fn: string, object: string, e: unknown): Error {
    return new HnsUnavailableError(fn, object, 'unreachable', `${fn} ${object}: ${this.libraryPath} has no usable ${fn}: ${message(e)}`);
  }

  /**
   * Calls `fn` on a worker thread and waits at most timeoutMs. On a timeout the native call keeps
   * running: its argument Buffers stay referenced here until it returns, and whatever it then
   * writes into `slots` (strings, handles) is released, so a late answer neither corrupts memory
   * nor leaks.
   */
  private async invoke(
    key: string,
    fn: string,
    object: string,
    types: FfiRs.DataType[],
    values: unknown[],
    slots: Array<{ slot: Buffer; resource?: HcnResource }>,
    onMissing: (e: unknown) => Error,
  ): Promise<number> {
    let pending: Promise<number>;
    try {
      pending = this.ffi.load({ library: key, funcName: fn, retType: this.ffi.DataType.I32, paramsType: types, paramsValue: values, runInNewThread: true }) as Promise<number>;
    } catch (e) {
      throw onMissing(e); // ffi-rs resolves the symbol synchronously: a missing export lands here
    }
    this.inflight++;
    let abandoned = false;
    const settled = pending
      .then(
        (hr) => {
          if (abandoned) this.releaseLate(slots, object, values);
          return hr;
        },
        (e: unknown) => {
          throw new HnsUnavailableError(fn, object, 'unreachable', `${fn} ${object}: the native call failed: ${message(e)}`);
        },
      )
      .finally(() => {
        this.inflight--;
        this.unloadIfIdle();
      });

    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      const winner = await Promise.race([settled, expired]);
      if (winner === 'timeout') {
        abandoned = true;
        settled.catch(() => undefined);
        throw new HnsUnavailableError(fn, object, 'timeout', `${fn} ${object}: HNS did not answer within ${this.timeoutMs} ms`);
      }
      return winner;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Frees what a timed-out call handed back after all. `values` is kept alive by this closure until then. */
  private releaseLate(slots: Array<{ slot: Buffer; resource?: HcnResource }>, object: string, values: unknown[]): void {
    void values;
    // Straight to the already-open library: close() may have been called meanwhile, and it waits
    // for this (inflight is still counting the call that just returned).
    const key = this.keys.get(this.libraryPath);
    for (const s of slots) {
      const value = slotValue(s.slot);
      if (value === 0n) continue;
      try {
        if (s.resource === undefined) {
          this.freeTaskMem(value);
        } else {
          const fn = hcnFunction('Close', s.resource);
          if (key === undefined) continue;
          void this.invoke(key, fn, object, this.types('handle'), [value], [], (e) => this.missing(fn, object, e)).catch(() => undefined);
        }
      } catch {
        // best effort: the caller already has its timeout error
      }
    }
  }

  /** Reads a returned PWSTR, frees it with CoTaskMemFree and clears the slot. */
  private takeString(s: Buffer): string | undefined {
    const address = slotValue(s);
    if (address === 0n) return undefined;
    s.fill(0);
    try {
      return this.readUtf16z(address);
    } finally {
      this.freeTaskMem(address);
    }
  }

  /**
   * Decodes the UTF-16LE string at `address` up to its terminator. The length is unknown and
   * reading past the allocation could fault, so the string is read one page at a time: each page
   * read is one the string provably reaches into.
   */
  private readUtf16z(address: bigint): string {
    if (address % 2n !== 0n) throw new Error(`misaligned PWSTR at 0x${address.toString(16)}`);
    let text = '';
    for (let at = address; ; ) {
      const length = Number(PAGE - (at % PAGE));
      const chunk = decodeUtf16UpToNul(this.copyOut(at, length));
      text += chunk.text;
      if (chunk.terminated) return text;
      at += BigInt(length);
    }
  }

  /** A copy of `length` bytes of native memory at `address`. */
  private copyOut(address: bigint, length: number): Buffer {
    const { DataType, PointerType } = this.ffi;
    // ffi-rs makes pointers only from natives: the address is boxed as an i64, and the bytes are read
    // through the box as a u8 array of `length`, which ffi-rs copies into a new Buffer (three native
    // calls; reading the box back as an External and wrapping that took four and a copy in JS).
    const cell = this.ffi.createPointer({ paramsType: [DataType.BigInt], paramsValue: [address] });
    try {
      const [bytes] = this.ffi.restorePointer({ retType: [this.ffi.arrayConstructor({ type: DataType.U8Array, length })], paramsValue: cell }) as unknown[];
      if (!Buffer.isBuffer(bytes) || bytes.length !== length) throw new Error(`ffi-rs returned no ${length}-byte copy of native memory`);
      return bytes;
    } finally {
      this.ffi.freePointer({ paramsType: [DataType.BigInt], paramsValue: cell, pointerType: PointerType.RsPointer });
    }
  }

  private freeTaskMem(address: bigint): void {
    const { DataType } = this.ffi;
    this.ffi.load({ library: this.library(this.freePath), funcName: 'CoTaskMemFree', retType: DataType.Void, paramsType: [DataType.BigInt], paramsValue: [address] });
  }

  // ---- libraries and arguments ----

  /** The HCN library (and the one CoTaskMemFree comes from), loaded on first use. */
  private hcnLibrary(fn: string, object: string): string {
    if (this.closed) throw this.closedError(fn, object);
    try {
      this.library(this.freePath);
      return this.library(this.libraryPath);
    } catch (e) {
      throw new HnsUnavailableError(fn, object, 'unreachable', `${fn} ${object}: cannot load the HCN library: ${message(e)}`);
    }
  }

  private library(path: string): string {
    let key = this.keys.get(path);
    if (key === undefined) {
      key = `hnsbridge-hcn-${nextLibraryKey++}`;
      this.ffi.open({ library: key, path });
      this.keys.set(path, key);
    }
    return key;
  }

  /** Unloading a library under a thread still inside it would crash, so close() waits for stragglers. */
  private unloadIfIdle(): void {
    if (!this.released || this.inflight > 0) return;
    for (const key of this.keys.values()) {
      try {
        this.ffi.close(key);
      } catch {
        // already closed
      }
    }
    this.keys.clear();
  }

  /** A REFGUID argument. A string that is no GUID cannot even be passed; it fails as HNS fails a malformed GUID in JSON. */
  private guid(fn: string, id: string): Buffer {
    try {
      return guidToBytes(id); // a fresh copy per call: a Win64 callee may scribble on its REFGUID
    } catch (e) {
      throw new HnsError(fn, id, HRESULT.HCN_E_GUID_CONVERSION_FAILURE, message(e));
    }
  }

  /** Native parameter types: GUIDs, strings and out slots are byte pointers; handles are pointer-sized integers. */
  private types(...kinds: Array<'guid' | 'str' | 'out' | 'handle'>): FfiRs.DataType[] {
    const { DataType } = this.ffi;
    return kinds.map((k) => (k === 'handle' ? DataType.BigInt : DataType.U8Array));
  }
}
