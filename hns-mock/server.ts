// hns-mock's gRPC door: `service Hns` of proto/hns.proto over a MockHns, with a hand-built service
// definition using src/hns/codec.ts (no proto-loader).
//
// Listens on a unix socket (`unix:///path`) or loopback TCP (`127.0.0.1:port`, `[::1]:port`,
// `localhost:port`; port 0 picks a free one). Anything else is refused: the mock has no
// authentication and must not be reachable from the network.
//
// Concurrency: calls from any number of clients run concurrently; each is applied atomically by
// the synchronous model, and delays/hangs wait outside that section (see service.ts, faults.ts).

import fs from 'node:fs';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { AdminRequestCodec, CallRequestCodec, CallResponseCodec, EmptyCodec, type Empty, HNS_SERVICE_PATHS, type JsonReply, JsonReplyCodec } from '../src/hns/codec.js';
import type { AdminRequest, CallRequest, CallResponse, HnsCallHandler } from '../src/hns/wire.js';
import { MockUnreachableError } from './faults.js';
import type { HnsModel, ModelOptions } from './model.js';
import { AdminError, MockHns } from './service.js';

export { MockHns } from './service.js';
export { MockUnreachableError } from './faults.js';

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Parses `unix:///path`, `unix:/path`, `HOST:PORT` with a loopback HOST. Throws RangeError otherwise. */
export function parseListenAddress(address: string): ListenAddress {
  const a = address.trim();
  if (a.startsWith('unix:')) {
    const path = a.startsWith('unix://') ? a.slice('unix://'.length) : a.slice('unix:'.length);
    if (!path.startsWith('/')) throw new RangeError(`unix socket address needs an absolute path: ${JSON.stringify(address)} (e.g. unix:///tmp/hns-mock.sock)`);
    return { kind: 'unix', path };
  }
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(a);
  if (!m) throw new RangeError(`not a listen address: ${JSON.stringify(address)} (want unix:///path or 127.0.0.1:port)`);
  const host = m[1] as string;
  const port = Number(m[2]);
  if (port > 65535) throw new RangeError(`port out of range in ${JSON.stringify(address)}`);
  if (!LOOPBACK_HOSTS.has(host) && !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) {
    throw new RangeError(`refusing to listen on ${JSON.stringify(host)}: hns-mock listens only on loopback or a unix socket`);
  }
  return { kind: 'tcp', host, port };
}

/** A unix socket file left by a process that died is removed; one that something still listens on is an error. */
async function clearStaleSocket(path: string): Promise<void> {
  if (!fs.existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`${path} is in use by another server`);
  fs.unlinkSync(path);
}

function method<Req, Res>(path: string, req: { encode(m: Req): Buffer; decode(b: Uint8Array): Req }, res: { encode(m: Res): Buffer; decode(b: Uint8Array): Res }): grpc.MethodDefinition<Req, Res> {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: Req) => req.encode(m),
    requestDeserialize: (b: Buffer) => req.decode(b),
    responseSerialize: (m: Res) => res.encode(m),
    responseDeserialize: (b: Buffer) => res.decode(b),
  };
}

/** `service Hns` built by hand from the codec. Exported for clients (admin-client.ts) that want the same paths. */
export const HNS_SERVICE_DEFINITION = {
  Call: method<CallRequest, CallResponse>(HNS_SERVICE_PATHS.Call, CallRequestCodec, CallResponseCodec),
  Dump: method<Empty, JsonReply>(HNS_SERVICE_PATHS.Dump, EmptyCodec, JsonReplyCodec),
  Admin: method<AdminRequest, JsonReply>(HNS_SERVICE_PATHS.Admin, AdminRequestCodec, JsonReplyCodec),
} satisfies grpc.ServiceDefinition;

function implementation(hns: MockHns): grpc.UntypedServiceImplementation {
  return {
    Call(call: grpc.ServerUnaryCall<CallRequest, CallResponse>, callback: grpc.sendUnaryData<CallResponse>): void {
      hns.call(call.request).then(
        (res) => callback(null, res),
        (e: unknown) => {
          if (e instanceof MockUnreachableError) callback({ code: grpc.status.UNAVAILABLE, details: e.message });
          else callback({ code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e) });
        },
      );
    },
    Dump(_call: grpc.ServerUnaryCall<Empty, JsonReply>, callback: grpc.sendUnaryData<JsonReply>): void {
      callback(null, { json: JSON.stringify(hns.dump()) });
    },
    Admin(call: grpc.ServerUnaryCall<AdminRequest, JsonReply>, callback: grpc.sendUnaryData<JsonReply>): void {
      try {
        const text = call.request.json.trim();
        const args: unknown = text === '' ? {} : JSON.parse(text);
        callback(null, { json: JSON.stringify(hns.admin(call.request.action, args)) });
      } catch (e) {
        const invalid = e instanceof AdminError || e instanceof SyntaxError;
        callback({ code: invalid ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e) });
      }
    },
  };
}

export interface MockServerOptions {
  /** `unix:///path` or `127.0.0.1:port` (port 0: any free port). */
  listen: string;
  /** The model to serve; default a new one with `modelOptions`. */
  model?: HnsModel;
  modelOptions?: ModelOptions;
}

export interface MockServer {
  /** The address clients use (with the actual port when 0 was asked for). */
  address: string;
  model: HnsModel;
  /** The MockHns behind the door: admin(), faults, call log. */
  hns: MockHns;
  /** The same MockHns as an HnsCallHandler, for other doors (framed.ts) or an InProcessHcnApi. */
  handler: HnsCallHandler;
  /** Stops listening, releases held calls, removes the unix socket file. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startMockServer(options: MockServerOptions): Promise<MockServer> {
  const where = parseListenAddress(options.listen);
  const hns = new MockHns(options.model ?? options.modelOptions ?? {});
  const server = new grpc.Server({ 'grpc.enable_channelz': 0, 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  server.addService(HNS_SERVICE_DEFINITION, implementation(hns));

  let bindTarget: string;
  if (where.kind === 'unix') {
    await clearStaleSocket(where.path);
    bindTarget = `unix://${where.path}`;
  } else {
    bindTarget = `${where.host}:${where.port}`;
  }
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(bindTarget, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  const address = where.kind === 'unix' ? `unix://${where.path}` : `${where.host}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      hns.close();
      await new Promise<void>((resolve) => {
        // In-flight calls were just released; give them a moment to answer, then cut the rest.
        const force = setTimeout(() => server.forceShutdown(), 1000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      if (where.kind === 'unix') fs.rmSync(where.path, { force: true });
    })();
    return stopping;
  };

  return { address, model: hns.model, hns, handler: hns, stop };
}

/** The framed-socket door (the C stand-in library's transport), as hns-mock/framed.ts returns it. */
export type { FramedDoor } from './framed.js';

/**
 * Opens the framed-socket door on the same MockHns. framed.ts is loaded only here, when asked for,
 * so a plain `serve` never evaluates it.
 */
export async function openFramedDoor(handler: HnsCallHandler, address: string): Promise<import('./framed.js').FramedDoor> {
  const { startFramedDoor } = await import('./framed.js');
  return startFramedDoor(handler, address);
}
