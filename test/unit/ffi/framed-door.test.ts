import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FRAMED_MAX_BODY,
  FrameReader,
  type FramedDoor,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  startFramedDoor,
} from '../../../hns-mock/framed.js';
import { MockUnreachableError } from '../../../hns-mock/faults.js';
import type { CallRequest, CallResponse, HnsCallHandler } from '../../../src/hns/wire.js';

/** Answers each call with its own fields, so a test can tell which request an answer belongs to. */
const echo: HnsCallHandler = {
  async call(req: CallRequest): Promise<CallResponse> {
    return { hresult: 0, json: JSON.stringify(req), errorRecord: '' };
  },
};

const doors: FramedDoor[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(doors.splice(0).map((d) => d.close()));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function socketPath(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'framed-'));
  dirs.push(dir);
  return path.join(dir, 'door.sock');
}

async function start(handler: HnsCallHandler, address: string): Promise<FramedDoor> {
  const door = await startFramedDoor(handler, address);
  doors.push(door);
  return door;
}

function connect(address: string): net.Socket {
  const tcp = /^(.*):(\d+)$/.exec(address);
  return tcp && !address.includes('/') ? net.connect(Number(tcp[2]), tcp[1]) : net.connect(address);
}

/** Writes `chunks` one write at a time and resolves with the first `count` answers. */
function exchange(address: string, chunks: Buffer[], count: number): Promise<CallResponse[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(address);
    const reader = new FrameReader();
    const answers: CallResponse[] = [];
    socket.on('data', (chunk: Buffer) => {
      for (const body of reader.push(chunk)) answers.push(decodeResponse(body));
      if (answers.length >= count) {
        socket.end();
        resolve(answers);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed after ${answers.length} of ${count} answers`)));
    socket.on('connect', async () => {
      for (const c of chunks) {
        socket.write(c);
        await new Promise((r) => setImmediate(r)); // separate writes, so the door sees separate reads
      }
    });
  });
}

/** Resolves when the door closes the connection, with whatever it answered first. */
function untilClosed(address: string, bytes: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(address);
    let received = 0;
    socket.on('data', (c: Buffer) => (received += c.length));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.on('connect', () => socket.write(bytes));
  });
}

const REQ: CallRequest = { method: 'HcnOpenNetwork', id: '5f0b1190-63be-4e0c-b974-bd0f55675a42', json: '{"Name":"netz-ü-日本-😀"}', networkId: '' };

describe('frame codec', () => {
  it('lays a request out as length-prefixed UTF-8 fields', () => {
    const bytes = encodeRequest({ method: 'M', id: 'i', json: 'ü', networkId: '' });
    // body = 4+1 + 4+1 + 4+2 + 4+0 = 20
    expect(bytes.toString('hex')).toBe('14000000' + '010000004d' + '0100000069' + '02000000c3bc' + '00000000');
  });

  it('round-trips a request and a response, including non-ASCII text', () => {
    expect(decodeRequest(encodeRequest(REQ).subarray(4))).toEqual(REQ);
    const res: CallResponse = { hresult: 0x803b0001 | 0, json: '["😀"]', errorRecord: '{"Error":"ü"}' };
    expect(decodeResponse(encodeResponse(res).subarray(4))).toEqual(res);
  });

  it('writes the HRESULT as a signed 32-bit value whatever sign it is given in', () => {
    const bytes = encodeResponse({ hresult: 0x80070490, json: '', errorRecord: '' });
    expect(bytes.readInt32LE(4)).toBe(0x80070490 | 0);
  });

  it('rejects bodies whose fields do not fill them exactly', () => {
    const body = encodeRequest(REQ).subarray(4);
    expect(() => decodeRequest(Buffer.concat([body, Buffer.from([0])]))).toThrow(/after the last field/);
    expect(() => decodeRequest(body.subarray(0, body.length - 1))).toThrow(/truncated/);
  });
});

describe('FrameReader', () => {
  it('reassembles frames fed one byte at a time, length prefix included', () => {
    const stream = Buffer.concat([encodeRequest(REQ), encodeRequest({ ...REQ, method: 'second' })]);
    const reader = new FrameReader();
    const bodies: Buffer[] = [];
    for (const byte of stream) bodies.push(...reader.push(Buffer.from([byte])));
    expect(bodies.map((b) => decodeRequest(b).method)).toEqual(['HcnOpenNetwork', 'second']);
    expect(reader.buffered).toBe(0);
  });

  it('returns every whole frame in one chunk and keeps the partial rest', () => {
    const one = encodeRequest(REQ);
    const reader = new FrameReader();
    const bodies = reader.push(Buffer.concat([one, one, one.subarray(0, 7)]));
    expect(bodies).toHaveLength(2);
    expect(reader.buffered).toBe(7);
    expect(reader.push(one.subarray(7))).toHaveLength(1);
  });

  it('refuses a length beyond the limit instead of buffering it', () => {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(FRAMED_MAX_BODY + 1, 0);
    expect(() => new FrameReader().push(head)).toThrow(/limit/);
  });
});

describe('startFramedDoor', () => {
  it('answers many sequential calls on one connection, in order, even when split into single bytes', async () => {
    const door = await start(echo, socketPath());
    const frames = [0, 1, 2, 3, 4].map((n) => encodeRequest({ ...REQ, method: `call-${n}` }));
    const bytes = Buffer.concat(frames);
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    const answers = await exchange(door.address, chunks, 5);
    expect(answers.map((a) => (JSON.parse(a.json) as CallRequest).method)).toEqual(['call-0', 'call-1', 'call-2', 'call-3', 'call-4']);
    expect(JSON.parse(answers[0]!.json)).toEqual({ ...REQ, method: 'call-0' });
  });

  it('serves many connections at once', async () => {
    const door = await start(echo, socketPath());
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, n) => exchange(door.address, [encodeRequest({ ...REQ, id: `conn-${n}` })], 1)),
    );
    expect(answers.map((a) => (JSON.parse(a[0]!.json) as CallRequest).id)).toEqual(Array.from({ length: 20 }, (_, n) => `conn-${n}`));
  });

  it('keeps per-connection order when the handler answers out of order', async () => {
    let n = 0;
    const slowFirst: HnsCallHandler = {
      async call(req) {
        const mine = n++;
        if (mine === 0) await new Promise((r) => setTimeout(r, 30));
        return { hresult: 0, json: `${req.method}:${mine}`, errorRecord: '' };
      },
    };
    const door = await start(slowFirst, socketPath());
    const answers = await exchange(door.address, [Buffer.concat([encodeRequest({ ...REQ, method: 'a' }), encodeRequest({ ...REQ, method: 'b' })])], 2);
    expect(answers.map((a) => a.json)).toEqual(['a:0', 'b:1']);
  });

  it('turns a handler exception into E_FAIL with an ErrorRecord naming the method', async () => {
    const door = await start({ call: () => Promise.reject(new Error('model bug')) }, socketPath());
    const [answer] = await exchange(door.address, [encodeRequest(REQ)], 1);
    expect(answer!.hresult >>> 0).toBe(0x80004005);
    expect(JSON.parse(answer!.errorRecord)).toEqual({ Success: false, Error: 'hns-mock failed handling HcnOpenNetwork: model bug', ErrorCode: 0x80004005 });
  });

  it('answers a simulated HNS outage with RPC_S_SERVER_UNAVAILABLE, as HCN reports a stopped HNS', async () => {
    const door = await start({ call: () => Promise.reject(new MockUnreachableError('HNS is restarting')) }, socketPath());
    const [answer] = await exchange(door.address, [encodeRequest(REQ)], 1);
    expect(answer!.hresult >>> 0).toBe(0x800706ba);
    expect(JSON.parse(answer!.errorRecord)).toMatchObject({ Error: 'HNS is restarting', ErrorCode: 0x800706ba });
  });

  it('closes a connection that sends a malformed frame, without answering it', async () => {
    const door = await start(echo, socketPath());
    const body = Buffer.from([1, 0, 0, 0, 0x41]); // one field where four are required
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length, 0);
    expect(await untilClosed(door.address, Buffer.concat([head, body]))).toBe(0);
  });

  it('closes a connection announcing a frame over the size limit', async () => {
    const door = await start(echo, socketPath());
    const head = Buffer.alloc(4);
    head.writeUInt32LE(0xffffffff, 0);
    expect(await untilClosed(door.address, head)).toBe(0);
  });

  it('listens on loopback TCP with port 0 and reports the real port', async () => {
    const door = await start(echo, '127.0.0.1:0');
    const m = /^127\.0\.0\.1:(\d+)$/.exec(door.address);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    const [answer] = await exchange(door.address, [encodeRequest(REQ)], 1);
    expect(JSON.parse(answer!.json)).toEqual(REQ);
  });

  it.each(['0.0.0.0:0', '10.1.2.3:50052', 'example.com:50052', '[::]:0'])('refuses the non-loopback address %s', async (address) => {
    await expect(startFramedDoor(echo, address)).rejects.toThrow(/loopback/);
  });

  it('replaces a stale socket file left by a dead process', async () => {
    const p = socketPath();
    // A child that listens and exits without closing leaves the socket file behind.
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(p)}, () => process.exit(0))`]);
    expect(r.status).toBe(0);
    expect(fs.lstatSync(p).isSocket()).toBe(true);
    const door = await start(echo, p);
    const [answer] = await exchange(door.address, [encodeRequest(REQ)], 1);
    expect(answer!.hresult).toBe(0);
  });

  it('refuses to take over a socket another server is answering on', async () => {
    const p = socketPath();
    await start(echo, p);
    await expect(startFramedDoor(echo, p)).rejects.toThrow(/another server/);
  });

  it('refuses a path that exists and is not a socket', async () => {
    const p = socketPath();
    fs.writeFileSync(p, 'not a socket');
    await expect(startFramedDoor(echo, p)).rejects.toThrow(/not a socket/);
  });

  it('removes its socket file on close, and close can be called twice', async () => {
    const p = socketPath();
    const door = await startFramedDoor(echo, p);
    await door.close();
    await door.close();
    expect(fs.existsSync(p)).toBe(false);
  });
});
