// HcnApi over hns-mock's Call transport: the backend used when HNS_BACKEND=mock (the default off
// Windows).
//
// Two layers:
//   - CallHcnApi turns each HcnApi method into the HCN function calls hcsshim makes for it
//     (open → act → close; create endpoint = open network → create → query → close → close), sends
//     them through any CallTransport, and turns answers into HnsError / HnsUnavailableError. Because
//     the calls are the real HCN sequence, hns-mock's call log and fault injection see the same
//     traffic from this backend as from the FFI backend through the C stand-in.
//   - GrpcTransport carries one Call over gRPC (@grpc/grpc-js with the hand-written codec in
//     codec.ts). hns-mock/in-process.ts supplies another transport that calls the mock directly.
//
// Start-up cost: @grpc/grpc-js is required inside GrpcTransport's constructor, never at import time,
// so importing this file costs nothing and the Windows (FFI) path never loads gRPC. The plugin
// should itself require this file lazily (scripts/build.mjs refuses a Windows bundle that evaluates
// it at start-up).

import type * as Grpc from '@grpc/grpc-js';
import { BackgroundCloses, type CreateOptions, type HcnApi, type HcnResource, HRESULT, HnsError, HnsUnavailableError, hcnFunction } from './api.js';
import { callFailure, createLabel, enumerateLabel, idIn } from './labels.js';
import { AdminRequestCodec, CallRequestCodec, CallResponseCodec, HNS_SERVICE_PATHS, JsonReplyCodec } from './codec.js';
import { ZERO_GUID, hostComputeQuery } from './schema.js';
import type { AdminRequest, CallRequest, CallResponse } from './wire.js';

export const DEFAULT_MOCK_ADDRESS = 'unix:///tmp/hns-mock.sock';
export const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * How long to wait for a connection before calling HNS unreachable (never past the call's own
 * deadline). A missing or refusing socket fails at once, whatever this is; the wait only matters
 * for a daemon too busy to finish the handshake, as under a burst of 100 plugin starts on two
 * cores, where 2.5 s proved too short.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Why a transport could not deliver a call: HNS cannot be reached, or no answer came by the deadline. */
export class TransportError extends Error {
  readonly kind: 'unreachable' | 'timeout';

  constructor(kind: 'unreachable' | 'timeout', detail: string) {
    super(detail);
    this.name = 'TransportError';
    this.kind = kind;
  }
}

/** Carries one HCN function call to HNS and its answer back. */
export interface CallTransport {
  /** Where HNS is, for messages (`unix:///tmp/hns-mock.sock`, `in-process`). */
  readonly address: string;
  /** Rejects with TransportError when HNS cannot be reached or has not answered by `deadline` (epoch ms). */
  call(req: CallRequest, deadline: number): Promise<CallResponse>;
  close(): void;
}

export interface CallHcnApiOptions {
  /** Budget of one HcnApi operation (all its HCN calls together), in ms. Default 30000. */
  timeoutMs?: number;
}

const DEFAULT_QUERY = JSON.stringify(hostComputeQuery());




/** HcnApi as the HCN call sequences hcsshim uses, over a CallTransport. */
export class CallHcnApi implements HcnApi {
  readonly timeoutMs: number;
  private closed = false;
  /** Handle closes started in the background (see withHandle()), awaited by close(). */
  private readonly closes = new BackgroundCloses();

  constructor(
    protected readonly transport: CallTransport,
    options: CallHcnApiOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async enumerate(resource: HcnResource, query: string): Promise<string> {
    const deadline = this.deadline();
    return this.send(hcnFunction('Enumerate', resource), enumerateLabel(query), { id: '', json: query }, deadline);
  }

  async create(resource: HcnResource, settings: string, networkId?: string, options: CreateOptions = {}): Promise<string> {
    const deadline = this.deadline();
    const name = createLabel(resource, settings);
    if (resource !== 'Endpoint') return this.createAndQuery(resource, name, settings, '', deadline, options);
    if (networkId === undefined || networkId === '') throw new TypeError('HcnApi.create(Endpoint) needs the network id');
    return this.withOpen('Network', networkId, deadline, () => this.createAndQuery(resource, name, settings, networkId, deadline, options));
  }

  async query(resource: HcnResource, id: string, query: string): Promise<string> {
    const deadline = this.deadline();
    return this.withOpen(resource, id, deadline, () => this.send(hcnFunction('Query', resource), id, { id, json: query }, deadline));
  }

  async modify(resource: HcnResource, id: string, settings: string): Promise<void> {
    const deadline = this.deadline();
    await this.withOpen(resource, id, deadline, () => this.send(hcnFunction('Modify', resource), id, { id, json: settings }, deadline));
  }

  async delete(resource: HcnResource, id: string): Promise<void> {
    await this.send(hcnFunction('Delete', resource), id, { id, json: '' }, this.deadline());
  }

  async version(): Promise<string> {
    const request = JSON.stringify({ Method: 'GET', Path: '/globals/version', Request: '' });
    return this.send('HNSCall', '/globals/version', { id: '', json: request }, this.deadline());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closes.settled();
    this.transport.close();
  }

  private deadline(): number {
    return Date.now() + this.timeoutMs;
  }

  /** Create (with the caller's ID, else the zero GUID as hcsshim passes), report it, query the new object, close it. */
  private async createAndQuery(resource: HcnResource, name: string, settings: string, networkId: string, deadline: number, options: CreateOptions): Promise<string> {
    const createFn = hcnFunction('Create', resource);
    const created = await this.send(createFn, name, { id: options.id ?? ZERO_GUID, json: settings, networkId }, deadline);
    const id = idIn(created);
    if (id === undefined) throw new HnsError(createFn, name, HRESULT.E_FAIL, `the create answer carries no ID: ${created.slice(0, 200)}`);
    options.created?.();
    return this.withHandle(resource, id, deadline, () => this.send(hcnFunction('Query', resource), id, { id, json: DEFAULT_QUERY }, deadline));
  }

  /** HcnOpenX, then `act`, then HcnCloseX. */
  private async withOpen<T>(resource: HcnResource, id: string, deadline: number, act: () => Promise<T>): Promise<T> {
    await this.send(hcnFunction('Open', resource), id, { id, json: '' }, deadline);
    return this.withHandle(resource, id, deadline, act);
  }

  /**
   * Runs `act` on an open handle and closes it. A close that fails is ignored: the act's outcome is
   * already known. After a success the close goes on in the background (close() waits for it), so
   * the verb does not wait a round trip for it.
   */
  private async withHandle<T>(resource: HcnResource, id: string, deadline: number, act: () => Promise<T>): Promise<T> {
    const closeHandle = (): Promise<void> => this.send(hcnFunction('Close', resource), id, { id, json: '' }, deadline).then(() => undefined, () => undefined);
    let value: T;
    try {
      value = await act();
    } catch (e) {
      // After an unreachable/timed-out call a close would only wait for the same failure.
      if (!(e instanceof HnsUnavailableError)) await closeHandle();
      throw e;
    }
    this.closes.add(closeHandle());
    return value;
  }

  /** One HCN call: failing HRESULT or non-empty ErrorRecord → HnsError; transport failure → HnsUnavailableError. */
  private async send(method: string, object: string, args: { id: string; json: string; networkId?: string }, deadline: number): Promise<string> {
    if (this.closed) throw new HnsUnavailableError(method, object, 'unreachable', `HNS not reachable at ${this.transport.address}: the HcnApi was closed`);
    let res: CallResponse;
    try {
      res = await this.transport.call({ method, id: args.id, json: args.json, networkId: args.networkId ?? '' }, deadline);
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      if (e.kind === 'timeout') {
        throw new HnsUnavailableError(method, object, 'timeout', `${method} ${object}: HNS did not answer within ${this.timeoutMs} ms (HNS at ${this.transport.address}${e.message ? `; ${e.message}` : ''})`);
      }
      throw new HnsUnavailableError(method, object, 'unreachable', `HNS not reachable at ${this.transport.address}: ${e.message}`);
    }
    const failure = callFailure(method, object, res.hresult, res.errorRecord);
    if (failure) throw failure;
    return res.json;
  }
}


// ---------------------------------------------------------------------------------------------
// gRPC transport

export interface GrpcHcnApiOptions extends CallHcnApiOptions {
  /** gRPC target: `unix:///path` or `127.0.0.1:port`. Default: env HNS_MOCK_ADDRESS, else unix:///tmp/hns-mock.sock. */
  address?: string;
  /** Connection budget before HNS counts as unreachable, in ms. Default 2500. */
  connectTimeoutMs?: number;
}

class GrpcTransport implements CallTransport {
  private readonly grpc: typeof Grpc;
  private readonly client: Grpc.Client | undefined;
  private readonly setupError: string | undefined;

  constructor(
    readonly address: string,
    private readonly connectTimeoutMs: number,
  ) {
    // Lazy by design (see the file comment): this is the only place gRPC is loaded on the plugin path.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.grpc = require('@grpc/grpc-js') as typeof Grpc;
    let client: Grpc.Client | undefined;
    let setupError: string | undefined;
    try {
      client = new this.grpc.Client(address, this.grpc.credentials.createInsecure(), {
        // One short-lived process per CNI verb: no retries behind our back, quick reconnects, no channelz bookkeeping.
        'grpc.enable_retries': 0,
        'grpc.enable_channelz': 0,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        // gRPC's 4 MiB default would cap an enumerate of a very large host; HNS itself has no such limit.
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
      });
    } catch (e) {
      setupError = `invalid address: ${(e as Error).message}`;
    }
    this.client = client;
    this.setupError = setupError;
  }

  async call(req: CallRequest, deadline: number): Promise<CallResponse> {
    const value = await this.unary(HNS_SERVICE_PATHS.Call, (r: CallRequest) => CallRequestCodec.encode(r), (b: Buffer) => CallResponseCodec.decode(b), req, deadline);
    if (value === undefined) throw new TransportError('unreachable', 'empty answer');
    return value;
  }

  /** One admin RPC of hns-mock (proto Admin): its JSON answer. */
  async admin(action: string, json: string, deadline: number): Promise<string> {
    const value = await this.unary(HNS_SERVICE_PATHS.Admin, (r: AdminRequest) => AdminRequestCodec.encode(r), (b: Buffer) => JsonReplyCodec.decode(b), { action, json }, deadline);
    return value?.json ?? '';
  }

  /** One unary RPC once the channel is connected; a gRPC failure becomes a TransportError. */
  private async unary<Req, Res>(path: string, encode: (r: Req) => Buffer, decode: (b: Buffer) => Res, req: Req, deadline: number): Promise<Res | undefined> {
    const client = this.client;
    if (client === undefined) throw new TransportError('unreachable', this.setupError ?? 'no client');
    await this.connected(client, deadline);
    return new Promise<Res | undefined>((resolve, reject) => {
      client.makeUnaryRequest(path, encode, decode, req, new this.grpc.Metadata({ waitForReady: false }), { deadline }, (err, value) => {
        if (err) reject(this.transportError(err));
        else resolve(value);
      });
    });
  }

  /**
   * Waits until the channel is connected, at most connectTimeoutMs. A channel in TRANSIENT_FAILURE
   * returns at once: the call then fails fast (waitForReady false) with gRPC's own reason
   * (e.g. "connect ENOENT /tmp/hns-mock.sock"), which is the detail worth reporting.
   */
  private async connected(client: Grpc.Client, deadline: number): Promise<void> {
    const { connectivityState } = this.grpc;
    const channel = client.getChannel();
    const connectBy = Math.min(deadline, Date.now() + this.connectTimeoutMs);
    let state = channel.getConnectivityState(true);
    while (state !== connectivityState.READY) {
      if (state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN) return;
      if (Date.now() >= connectBy) {
        if (connectBy >= deadline) throw new TransportError('timeout', 'no connection before the deadline');
        throw new TransportError('unreachable', `no connection within ${this.connectTimeoutMs} ms`);
      }
      await new Promise<void>((resolve) => channel.watchConnectivityState(state, connectBy, () => resolve()));
      state = channel.getConnectivityState(true);
    }
  }

  private transportError(err: Grpc.ServiceError): TransportError {
    const { status } = this.grpc;
    if (err.code === status.DEADLINE_EXCEEDED) return new TransportError('timeout', '');
    const detail = err.details || err.message;
    if (err.code === status.UNAVAILABLE) return new TransportError('unreachable', detail);
    // Anything else (UNIMPLEMENTED: not an hns-mock at that address; INTERNAL: a broken answer) also
    // means there is no usable HNS there.
    return new TransportError('unreachable', `${status[err.code] ?? err.code}: ${detail}`);
  }

  close(): void {
    this.client?.close();
  }
}

/** HcnApi over gRPC to hns-mock. close() closes the channel so the process can exit. */
export class GrpcHcnApi extends CallHcnApi {
  readonly address: string;
  private readonly grpcTransport: GrpcTransport;
  private readonly adminTimeoutMs: number;

  constructor(options: GrpcHcnApiOptions = {}) {
    const address = options.address ?? mockAddressFromEnv();
    const transport = new GrpcTransport(address, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    super(transport, options);
    this.address = address;
    this.grpcTransport = transport;
    this.adminTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The mock's host adapters (its admin action `adapters`), for STATUS. */
  async hostAdapters(): Promise<string[]> {
    let text: string;
    try {
      text = await this.grpcTransport.admin('adapters', '{}', Date.now() + this.adminTimeoutMs);
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      throw new HnsUnavailableError('adapters', 'host', e.kind, `HNS not reachable at ${this.address}: ${e.message}`);
    }
    const doc: unknown = JSON.parse(text || '{}');
    const list = typeof doc === 'object' && doc !== null ? (doc as { adapters?: unknown }).adapters : undefined;
    if (!Array.isArray(list) || !list.every((a): a is string => typeof a === 'string')) throw new Error(`hns-mock at ${this.address} answered adapters with ${text}`);
    return list;
  }
}

/** HNS_MOCK_ADDRESS, or the default unix socket. */
export function mockAddressFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const a = env.HNS_MOCK_ADDRESS?.trim();
  return a ? a : DEFAULT_MOCK_ADDRESS;
}
