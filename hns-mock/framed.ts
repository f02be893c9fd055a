// The framed door of hns-mock: the same Call as hns.proto, over a length-prefixed socket protocol
// small enough for the C stand-in of computenetwork.dll (hns-mock/computenetwork/) to speak without
// a protobuf or HTTP/2 library. `hns-mock serve --framed ADDR` starts it next to the gRPC door.
//
// Frame format, version 1 (the C side documents the same in hns-mock/computenetwork/standin.h):
//
//   All integers are little-endian; all text is UTF-8 without a terminator.
//   A string field is   u32 byte length, then the bytes.
//
//   request   = u32 body_length, body
//     body    = string method, string id, string json, string network_id
//   response  = u32 body_length, body
//     body    = i32 hresult, string json, string error_record
//
//   body_length counts the bytes after itself, is at most FRAMED_MAX_BODY, and the fields must
//   fill the body exactly; anything else closes the connection. A connection carries any number
//   of request/response pairs, answered in order. The fields are those of CallRequest and
//   CallResponse (src/hns/wire.ts).
//
// Addresses: a unix socket path, or HOST:PORT on loopback only (127.0.0.0/8, ::1, localhost) —
// the door has no authentication, so it must never listen where another machine can reach it.
// Port 0 picks a free port; the returned address names the real one.

import * as fs from 'node:fs';
import * as net from 'node:net';
import type { CallRequest, CallResponse, HnsCallHandler } from '../src/hns/wire.js';
import { MockUnreachableError } from './faults.js';

export const FRAMED_MAX_BODY = 64 * 1024 * 1024;

const E_FAIL = 0x80004005 | 0;
/** HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE): what HCN returns when the HNS service is not there. */
const RPC_S_SERVER_UNAVAILABLE = 0x800706ba | 0;

export interface FramedDoor {
  /** The address clients should use: the socket path, or `127.0.0.1:<real port>`. */
  address: string;
  close(): Promise<void>;
}

function stringField(s: string): Buffer[] {
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(bytes.length, 0);
  return [len, bytes];
}

function frame(parts: Buffer[]): Buffer {
  const bodyLength = parts.reduce((n, p) => n + p.length, 0);
  if (bodyLength > FRAMED_MAX_BODY) throw new RangeError(`frame body of ${bodyLength} bytes exceeds ${FRAMED_MAX_BODY}`);
  const header = Buffer.alloc(4);
  header.writeUInt32LE(bodyLength, 0);
  return Buffer.concat([header, ...parts]);
}

/** Reads the string fields of a body; throws when they do not fill it exactly. */
function readStrings(body: Buffer, start: number, count: number): string[] {
  const out: string[] = [];
  let at = start;
  for (let k = 0; k < count; k++) {
    if (body.length - at < 4) throw new Error('truncated frame: missing field length');
    const n = body.readUInt32LE(at);
    at += 4;
    if (body.length - at < n) throw new Error('truncated frame: field longer than the body');
    out.push(body.toString('utf8', at, at + n));
    at += n;
  }
  if (at !== body.length) throw new Error(`malformed frame: ${body.length - at} bytes after the last field`);
  return out;
}

export function encodeRequest(req: CallRequest): Buffer {
  return frame([req.method, req.id, req.json, req.networkId].flatMap(stringField));
}

/** Decodes a request body (the bytes after the length prefix). */
export function decodeRequest(body: Buffer): CallRequest {
  const [method = '', id = '', json = '', networkId = ''] = readStrings(body, 0, 4);
  return { method, id, json, networkId };
}

export function encodeResponse(res: CallResponse): Buffer {
  const hr = Buffer.alloc(4);
  hr.writeInt32LE(res.hresult | 0, 0);
  return frame([hr, ...stringField(res.json), ...stringField(res.errorRecord)]);
}

/** Decodes a response body (the bytes after the length prefix). */
export function decodeResponse(body: Buffer): CallResponse {
  if (body.length < 4) throw new Error('truncated frame: missing hresult');
  const [json = '', errorRecord = ''] = readStrings(body, 4, 2);
  return { hresult: body.readInt32LE(0), json, errorRecord };
}

/**
 * Splits a byte stream into frame bodies, whatever the chunking (a length prefix may itself
 * arrive split). Throws on a frame longer than the limit, since the stream cannot be resynchronised.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const bodies: Buffer[] = [];
    for (;;) {
      if (this.size < 4) break;
      const head = this.peek(4);
      const length = head.readUInt32LE(0);
      if (length > FRAMED_MAX_BODY) throw new Error(`frame of ${length} bytes exceeds the ${FRAMED_MAX_BODY}-byte limit`);
      if (this.size < 4 + length) break;
      const all = this.take(4 + length);
      bodies.push(all.subarray(4));
    }
    return bodies;
  }

  /** Bytes received but not yet part of a whole frame. */
  get buffered(): number {
    return this.size;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) return first;
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] as Buffer;
  }

  private take(n: number): Buffer {
    const joined = this.peek(n);
    const rest = joined.subarray(n);
    if (rest.length === 0) this.chunks.shift();
    else this.chunks[0] = rest;
    this.size -= n;
    return joined.subarray(0, n);
  }
}

interface ParsedAddress {
  kind: 'unix' | 'tcp';
  path: string;
  host: string;
  port: number;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return net.isIPv4(host) && host.startsWith('127.');
}

function parseAddress(address: string): ParsedAddress {
  const tcp = /^(\[[^\]]+\]|[^/:]+):(\d+)$/.exec(address);
  if (tcp === null || address.includes('/')) {
    if (address === '') throw new Error('framed door: empty address');
    return { kind: 'unix', path: address, host: '', port: 0 };
  }
  const rawHost = tcp[1] as string;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  const port = Number(tcp[2]);
  if (!isLoopback(host)) {
    throw new Error(`framed door: refusing to listen on ${address}: the door has no authentication, use a loopback address (127.0.0.1, ::1) or a unix socket path`);
  }
  if (port > 65535) throw new Error(`framed door: port out of range in ${address}`);
  return { kind: 'tcp', path: '', host, port };
}

/** Removes a unix socket file left by a process that died, but never one a live server answers on. */
async function clearStaleSocket(path: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!stat.isSocket()) throw new Error(`framed door: ${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`framed door: another server is listening on ${path}`);
  fs.unlinkSync(path);
}

function failure(message: string, hresult = E_FAIL): CallResponse {
  return {
    hresult,
    json: '',
    errorRecord: JSON.stringify({ Success: false, Error: message, ErrorCode: hresult >>> 0 }),
  };
}

function serveConnection(socket: net.Socket, handler: HnsCallHandler): void {
  const reader = new FrameReader();
  // Calls on one connection are answered in order, one at a time, like the C client expects.
  let queue: Promise<void> = Promise.resolve();

  const answer = async (body: Buffer): Promise<void> => {
    let req: CallRequest;
    try {
      req = decodeRequest(body);
    } catch {
      socket.destroy(); // a malformed frame means the stream can no longer be trusted
      return;
    }
    let res: CallResponse;
    try {
      res = await handler.call(req);
    } catch (e) {
      if (e instanceof MockUnreachableError) {
        // A simulated HNS outage: on this wire it looks the way a stopped HNS service looks to HCN callers.
        res = failure(e.message, RPC_S_SERVER_UNAVAILABLE);
      } else {
        // The model must answer with an HRESULT; an exception is a mock bug, reported rather than hung on.
        res = failure(`hns-mock failed handling ${req.method}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    let bytes: Buffer;
    try {
      bytes = encodeResponse(res);
    } catch (e) {
      bytes = encodeResponse(failure(`hns-mock could not encode the answer to ${req.method}: ${e instanceof Error ? e.message : String(e)}`));
    }
    if (!socket.destroyed) socket.write(bytes);
  };

  socket.on('data', (chunk: Buffer) => {
    let bodies: Buffer[];
    try {
      bodies = reader.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const body of bodies) queue = queue.then(() => answer(body));
  });
  socket.on('error', () => socket.destroy()); // a client that vanished is not the door's problem
}

export async function startFramedDoor(handler: HnsCallHandler, address: string): Promise<FramedDoor> {
  const parsed = parseAddress(address);
  if (parsed.kind === 'unix') await clearStaleSocket(parsed.path);

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, handler);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (parsed.kind === 'unix') server.listen(parsed.path, done);
    else server.listen(parsed.port, parsed.host, done);
  });

  let real = parsed.path;
  if (parsed.kind === 'tcp') {
    const bound = server.address() as net.AddressInfo;
    real = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
  }

  let closing: Promise<void> | undefined;
  return {
    address: real,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }).then(() => {
        if (parsed.kind === 'unix') {
          try {
            fs.unlinkSync(parsed.path);
          } catch {
            // already gone (server.close removes it on most platforms)
          }
        }
      });
      return closing;
    },
  };
}
