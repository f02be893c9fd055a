// The C stand-in itself: its export table on both platforms, the checks computenetwork.dll's
// callers rely on (handles, out-pointers), and its behaviour when the mock misbehaves.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ffi from 'ffi-rs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FrameReader, type FramedDoor, decodeRequest, startFramedDoor } from '../../../hns-mock/framed.js';
import { HnsUnavailableError } from '../../../src/hns/api.js';
import { FfiHcnApi } from '../../../src/hns/ffi.js';
import { guidToBytes } from '../../../src/hns/guid.js';
import { encodeUtf16z } from '../../../src/hns/utf16.js';
import type { CallRequest, CallResponse } from '../../../src/hns/wire.js';
import { buildStandIn, countersSettle, standInCounters } from '../../contract/stand-in.js';

const NET = '5f0b1190-63be-4e0c-b974-bd0f55675a42';
const E_HANDLE = 0x80070006;
const E_POINTER = 0x80004003;

const { DataType } = ffi;
const KEY = 'stand-in-direct';
let library: string;
let door: FramedDoor;
let calls: CallRequest[];
let answer: (req: CallRequest) => CallResponse;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stand-in-'));

beforeAll(async () => {
  library = buildStandIn().library;
  ffi.open({ library: KEY, path: library });
  door = await startFramedDoor({ call: async (req) => (calls.push(req), answer(req)) }, path.join(tmp, 'door.sock'));
});

afterAll(async () => {
  await door.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  calls = [];
  answer = () => ({ hresult: 0, json: '{}', errorRecord: '' });
  process.env.HNS_MOCK_FRAMED = door.address;
});

afterEach(async () => {
  expect(await countersSettle(library, { strings: 0, handles: 0 })).toEqual({ strings: 0, handles: 0 });
});

/** Calls a stand-in export directly, on a worker thread: the mock answering it lives on this thread. */
async function direct(fn: string, types: ffi.DataType[], values: unknown[]): Promise<number> {
  const hr = (await ffi.load({ library: KEY, funcName: fn, retType: DataType.I32, paramsType: types, paramsValue: values, runInNewThread: true })) as number;
  return hr >>> 0;
}

function slot(): Buffer {
  return Buffer.alloc(8);
}

async function openNetwork(): Promise<bigint> {
  const h = slot();
  expect(await direct('HcnOpenNetwork', [DataType.U8Array, DataType.U8Array, DataType.U8Array], [guidToBytes(NET), h, slot()])).toBe(0);
  return h.readBigUInt64LE(0);
}

function freeTaskMem(address: bigint): void {
  ffi.load({ library: KEY, funcName: 'CoTaskMemFree', retType: DataType.Void, paramsType: [DataType.BigInt], paramsValue: [address] });
}

describe('export table', () => {
  const EXPECTED = [
    'CoTaskMemAlloc', 'CoTaskMemFree', 'HNSCall', 'HnsMockStandInCounters',
    ...['Network', 'Endpoint', 'Namespace'].flatMap((r) => [`HcnEnumerate${r}s`, `HcnCreate${r}`, `HcnOpen${r}`, `HcnModify${r}`, `HcnQuery${r}Properties`, `HcnDelete${r}`, `HcnClose${r}`]),
  ].sort();

  it('the .so exports exactly the HCN functions, HNSCall, the task allocator and the counters', () => {
    const out = execFileSync('nm', ['-D', '--defined-only', library], { encoding: 'utf8' });
    const names = out.split('\n').map((l) => l.trim().split(/\s+/)[2]).filter((n): n is string => !!n).sort();
    expect(names).toEqual(EXPECTED);
  });

  const mingw = spawnSync('x86_64-w64-mingw32-objdump', ['--version']).status === 0;
  it.skipIf(!mingw)('the mingw .dll exports the same names (and the Wine bcryptprimitives shim ProcessPrng)', () => {
    const { dll, dir } = buildStandIn('all');
    expect(dll).toBeDefined();
    const table = (file: string): string[] => {
      const out = execFileSync('x86_64-w64-mingw32-objdump', ['-p', file], { encoding: 'utf8' });
      const section = out.slice(out.indexOf('[Ordinal/Name Pointer] Table'));
      return [...section.matchAll(/^\s*\[\s*\d+\]\s+(\S+)$/gm)].map((m) => m[1] as string).sort();
    };
    expect(table(dll!)).toEqual(EXPECTED);
    expect(table(path.join(dir, 'bcryptprimitives.dll'))).toEqual(['ProcessPrng']);
    const imports = execFileSync('x86_64-w64-mingw32-objdump', ['-p', dll!], { encoding: 'utf8' });
    // Nothing beyond what every Windows (and Wine) has: no mingw runtime DLLs to ship alongside.
    expect([...imports.matchAll(/DLL Name: (\S+)/g)].map((m) => (m[1] as string).toLowerCase()).sort()).toEqual(['kernel32.dll', 'msvcrt.dll', 'ole32.dll', 'ws2_32.dll']);
  });
});

describe('handles and pointers', () => {
  it('Close of another kind of handle is E_HANDLE and leaves the handle usable', async () => {
    const h = await openNetwork();
    expect(await direct('HcnCloseEndpoint', [DataType.BigInt], [h])).toBe(E_HANDLE);
    expect(standInCounters(library).handles).toBe(1);
    expect(await direct('HcnCloseNetwork', [DataType.BigInt], [h])).toBe(0);
  });

  it('a NULL handle is E_HANDLE without calling the mock', async () => {
    expect(await direct('HcnQueryNetworkProperties', [DataType.BigInt, DataType.U8Array, DataType.U8Array, DataType.U8Array], [0n, encodeUtf16z('{}'), slot(), slot()])).toBe(E_HANDLE);
    expect(await direct('HcnCloseNamespace', [DataType.BigInt], [0n])).toBe(E_HANDLE);
    expect(calls).toEqual([]);
  });

  it('a NULL result pointer is E_POINTER', async () => {
    expect(await direct('HcnEnumerateNetworks', [DataType.U8Array, DataType.BigInt, DataType.U8Array], [encodeUtf16z('{}'), 0n, slot()])).toBe(E_POINTER);
    expect(await direct('HcnOpenNetwork', [DataType.U8Array, DataType.BigInt, DataType.U8Array], [guidToBytes(NET), 0n, slot()])).toBe(E_POINTER);
  });

  it('a NULL ErrorRecord pointer is allowed: the failure comes back as the HRESULT alone', async () => {
    answer = () => ({ hresult: 0x803b0001 | 0, json: '', errorRecord: '{"Error":"gone"}' });
    expect(await direct('HcnDeleteNetwork', [DataType.U8Array, DataType.BigInt], [guidToBytes(NET), 0n])).toBe(0x803b0001);
    expect(calls.map((c) => c.method)).toEqual(['HcnDeleteNetwork']);
  });
});

describe('HNSCall', () => {
  it('quotes Method, Path and Request into the JSON it forwards', async () => {
    answer = () => ({ hresult: 0, json: '{"Success":true}', errorRecord: '' });
    const odd = { Method: 'GE"T\\', Path: '/a\nb\t\u0001/ü', Request: '{"x":"日本😀"}' };
    const response = slot();
    const hr = await direct('HNSCall', [DataType.U8Array, DataType.U8Array, DataType.U8Array, DataType.U8Array], [encodeUtf16z(odd.Method), encodeUtf16z(odd.Path), encodeUtf16z(odd.Request), response]);
    expect(hr).toBe(0);
    expect(JSON.parse(calls[0]!.json)).toEqual(odd);
    expect(standInCounters(library).strings).toBe(1);
    freeTaskMem(response.readBigUInt64LE(0));
  });
});

describe('text conversion', () => {
  it('turns a lone surrogate into U+FFFD on the wire', async () => {
    const api = new FfiHcnApi({ ffi, library });
    await api.enumerate('Network', 'a\ud800b');
    expect(calls[0]!.json).toBe('a\ufffdb');
    api.close();
  });
});

/** A fake mock that reads one request and answers with `reply` raw bytes (or just hangs up). */
async function rawServer(reply: Buffer | null): Promise<{ address: string; close: () => Promise<void> }> {
  const address = path.join(tmp, `raw-${Math.random().toString(16).slice(2)}.sock`);
  const server = net.createServer((socket) => {
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const body of reader.push(chunk)) {
        decodeRequest(body);
        if (reply === null) socket.destroy();
        else socket.end(reply);
      }
    });
  });
  await new Promise<void>((r) => server.listen(address, r));
  return { address, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function rawResponse(hresult: number, json: Buffer, errorRecord: Buffer, extra = Buffer.alloc(0)): Buffer {
  const len = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n, 0);
    return b;
  };
  const hr = Buffer.alloc(4);
  hr.writeInt32LE(hresult, 0);
  const body = Buffer.concat([hr, len(json.length), json, len(errorRecord.length), errorRecord, extra]);
  return Buffer.concat([len(body.length), body]);
}

describe('a misbehaving mock', () => {
  async function against(reply: Buffer | null, run: (api: FfiHcnApi) => Promise<unknown>): Promise<unknown> {
    const server = await rawServer(reply);
    process.env.HNS_MOCK_FRAMED = server.address;
    const api = new FfiHcnApi({ ffi, library });
    try {
      return await run(api).then(
        (v) => v,
        (e: unknown) => e,
      );
    } finally {
      api.close();
      await server.close();
    }
  }

  it('hanging up without an answer is RPC_S_CALL_FAILED → unreachable', async () => {
    const e = await against(null, (api) => api.delete('Network', NET));
    expect(e).toBeInstanceOf(HnsUnavailableError);
    expect((e as Error).message).toMatch(/0x800706be.*closed the connection without answering HcnDeleteNetwork/);
  });

  it('an answer whose fields do not fill the frame is RPC_S_CALL_FAILED', async () => {
    const e = await against(rawResponse(0, Buffer.from('{}'), Buffer.alloc(0), Buffer.from('junk')), (api) => api.delete('Network', NET));
    expect((e as Error).message).toMatch(/malformed frame/);
  });

  it('invalid UTF-8 in an answer arrives as U+FFFD, not as garbage or a crash', async () => {
    const bytes = Buffer.concat([Buffer.from('["a'), Buffer.from([0xff, 0xc3]), Buffer.from('b"]')]);
    expect(await against(rawResponse(0, bytes, Buffer.alloc(0)), (api) => api.enumerate('Network', '{}'))).toBe('["a\ufffd\ufffdb"]');
  });

  it('a create answer without an ID is an error, and no handle is left behind', async () => {
    const e = await against(rawResponse(0, Buffer.from('{"Name":"n","Nested":{"ID":"5f0b1190-63be-4e0c-b974-bd0f55675a42"}}'), Buffer.alloc(0)), (api) => api.create('Network', '{"Name":"n"}'));
    expect((e as Error).message).toMatch(/create without an ID member/);
    expect(standInCounters(library).handles).toBe(0);
  });
});

describe('transport', () => {
  it('reaches the mock over loopback TCP', async () => {
    const tcp = await startFramedDoor({ call: async (req) => (calls.push(req), answer(req)) }, '127.0.0.1:0');
    process.env.HNS_MOCK_FRAMED = tcp.address;
    const api = new FfiHcnApi({ ffi, library });
    await api.delete('Network', NET);
    api.close();
    await tcp.close();
    expect(calls).toEqual([{ method: 'HcnDeleteNetwork', id: NET, json: '', networkId: '' }]);
  });

  it('an unset HNS_MOCK_FRAMED is unreachable and says which variable to set', async () => {
    delete process.env.HNS_MOCK_FRAMED;
    const api = new FfiHcnApi({ ffi, library });
    const e = await api.delete('Network', NET).catch((err: unknown) => err);
    api.close();
    expect(e).toBeInstanceOf(HnsUnavailableError);
    expect((e as Error).message).toMatch(/HNS_MOCK_FRAMED is not set/);
  });
});
