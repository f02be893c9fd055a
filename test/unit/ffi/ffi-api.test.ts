// FfiHcnApi through the C stand-in against scripted HNS answers: the exact HCN call sequences, how
// each kind of answer becomes a result or an error, memory and handle hygiene, and timeouts.
// (Behaviour against the real hns-mock model is the contract suite in test/contract/.)

import * as ffi from 'ffi-rs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FramedDoor, startFramedDoor } from '../../../hns-mock/framed.js';
import { HnsError, HnsUnavailableError } from '../../../src/hns/api.js';
import { FfiHcnApi } from '../../../src/hns/ffi.js';
import type { CallRequest, CallResponse, HnsCallHandler } from '../../../src/hns/wire.js';
import { buildStandIn, countersSettle, standInCounters } from '../../contract/stand-in.js';

const NET = '5f0b1190-63be-4e0c-b974-bd0f55675a42';
const EP = 'b39a0f52-6c1e-4d7a-8e25-91f0c3d4a6b7';
const NS = '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const ZERO = '00000000-0000-0000-0000-000000000000';
const QUERY = '{"SchemaVersion":{"Major":2,"Minor":0}}';
const UNICODE = 'netz-ü-日本-😀';

type Answer = (req: CallRequest) => CallResponse | Promise<CallResponse>;

/** HNS as a script: per-method answers (default S_OK with `{}`), and the log of calls received. */
class Script implements HnsCallHandler {
  calls: CallRequest[] = [];
  answers = new Map<string, Answer>();

  async call(req: CallRequest): Promise<CallResponse> {
    this.calls.push(req);
    const answer = this.answers.get(req.method);
    return answer ? answer(req) : ok('{}');
  }

  on(method: string, answer: Answer): this {
    this.answers.set(method, answer);
    return this;
  }

  /** `method id` of each call, the shape most assertions need. */
  get trace(): string[] {
    return this.calls.map((c) => `${c.method} ${c.id}`.trimEnd());
  }
}

function ok(json: string): CallResponse {
  return { hresult: 0, json, errorRecord: '' };
}

function fail(hr: number, error: string, json = ''): CallResponse {
  return { hresult: hr | 0, json, errorRecord: JSON.stringify({ Success: false, Error: error, ErrorCode: hr >>> 0 }) };
}

let library: string;
let door: FramedDoor;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ffi-api-'));
let script: Script;
let api: FfiHcnApi;
const handler: HnsCallHandler = { call: (req) => script.call(req) };

beforeAll(async () => {
  library = buildStandIn().library;
  door = await startFramedDoor(handler, path.join(tmp, 'framed.sock'));
  process.env.HNS_MOCK_FRAMED = door.address; // read by the stand-in at each call
});

afterAll(async () => {
  await door.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  script = new Script();
  api = new FfiHcnApi({ ffi, library, vmcomputeLibrary: library, timeoutMs: 10_000 });
});

/** Every test ends, once the api is closed, with nothing outstanding in the stand-in. */
afterEach(async () => {
  await api.close();
  process.env.HNS_MOCK_FRAMED = door.address;
  expect(await countersSettle(library, { strings: 0, handles: 0 })).toEqual({ strings: 0, handles: 0 });
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('call sequences (hcsshim patterns)', () => {
  it('create network: HcnCreateNetwork with the zero GUID, then a default query on the assigned ID', async () => {
    script.on('HcnCreateNetwork', () => ok(JSON.stringify({ ID: NET, Name: 'n1' }))).on('HcnQueryNetworkProperties', (r) => ok(JSON.stringify({ ID: r.id, Name: 'n1', Queried: true })));
    const props = await api.create('Network', '{"Name":"n1","Type":"L2Bridge"}');
    expect(JSON.parse(props)).toEqual({ ID: NET, Name: 'n1', Queried: true });
    expect(script.calls).toEqual([
      { method: 'HcnCreateNetwork', id: ZERO, json: '{"Name":"n1","Type":"L2Bridge"}', networkId: '' },
      { method: 'HcnQueryNetworkProperties', id: NET, json: QUERY, networkId: '' },
    ]);
  });

  it('create endpoint: open the network, create with its handle, query, close both', async () => {
    script.on('HcnCreateEndpoint', () => ok(JSON.stringify({ ID: EP }))).on('HcnQueryEndpointProperties', (r) => ok(JSON.stringify({ ID: r.id, Name: 'ep' })));
    const props = await api.create('Endpoint', '{"Name":"ep"}', NET);
    expect(JSON.parse(props)).toEqual({ ID: EP, Name: 'ep' });
    expect(script.calls).toEqual([
      { method: 'HcnOpenNetwork', id: NET, json: '', networkId: '' },
      { method: 'HcnCreateEndpoint', id: ZERO, json: '{"Name":"ep"}', networkId: NET },
      { method: 'HcnQueryEndpointProperties', id: EP, json: QUERY, networkId: '' },
    ]);
  });

  it('create endpoint with the ID the caller chose; the create is reported before the query goes out', async () => {
    script.on('HcnCreateEndpoint', (r) => ok(JSON.stringify({ ID: r.id }))).on('HcnQueryEndpointProperties', (r) => ok(JSON.stringify({ ID: r.id, Name: 'ep' })));
    let atCreated: string[] | undefined;
    const props = await api.create('Endpoint', '{"Name":"ep"}', NET, { id: EP, created: () => (atCreated = script.calls.map((c) => c.method)) });
    expect(JSON.parse(props)).toEqual({ ID: EP, Name: 'ep' });
    expect(script.calls[1]).toEqual({ method: 'HcnCreateEndpoint', id: EP, json: '{"Name":"ep"}', networkId: NET });
    expect(atCreated).toEqual(['HcnOpenNetwork', 'HcnCreateEndpoint']);
  });

  it('does not report a create that failed', async () => {
    script.on('HcnCreateEndpoint', () => fail(0x803b001e, 'An address provided is invalid or reserved'));
    let reported = false;
    await expect(api.create('Endpoint', '{"Name":"ep"}', NET, { id: EP, created: () => (reported = true) })).rejects.toMatchObject({ operation: 'HcnCreateEndpoint' });
    expect(reported).toBe(false);
  });

  it('create namespace', async () => {
    script.on('HcnCreateNamespace', () => ok(JSON.stringify({ ID: NS })));
    await api.create('Namespace', '{"SchemaVersion":{"Major":2,"Minor":0}}');
    expect(script.trace).toEqual([`HcnCreateNamespace ${ZERO}`, `HcnQueryNamespaceProperties ${NS}`]);
  });

  it('query: open, query with the caller’s document, close', async () => {
    script.on('HcnQueryNamespaceProperties', (r) => ok(JSON.stringify({ ID: r.id, q: r.json })));
    const props = await api.query('Namespace', NS, '{"Flags":1}');
    expect(JSON.parse(props)).toEqual({ ID: NS, q: '{"Flags":1}' });
    expect(script.trace).toEqual([`HcnOpenNamespace ${NS}`, `HcnQueryNamespaceProperties ${NS}`]);
  });

  it('modify: open, modify with the settings, close', async () => {
    await api.modify('Namespace', NS, '{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":"x"}}');
    expect(script.calls.map((c) => [c.method, c.id, c.json])).toEqual([
      ['HcnOpenNamespace', NS, ''],
      ['HcnModifyNamespace', NS, '{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":"x"}}'],
    ]);
  });

  it('a network is opened once per api: the lookup and the endpoint create share the handle, close() closes it', async () => {
    script.on('HcnQueryNetworkProperties', (r) => ok(JSON.stringify({ ID: r.id }))).on('HcnCreateEndpoint', () => ok(JSON.stringify({ ID: EP })));
    await api.query('Network', NET, QUERY);
    await api.create('Endpoint', '{"Name":"ep"}', NET.toUpperCase()); // the same network, whatever the case
    expect(script.trace).toEqual([`HcnOpenNetwork ${NET}`, `HcnQueryNetworkProperties ${NET}`, `HcnCreateEndpoint ${ZERO}`, `HcnQueryEndpointProperties ${EP}`]);
    expect(standInCounters(library).handles).toBe(1); // the network's, until close() (the afterEach checks it is then 0)
  });

  it('a namespace not opened ahead is closed right after its operation (inspect and GC query hundreds)', async () => {
    await api.query('Namespace', NS, QUERY);
    await api.query('Namespace', NS, QUERY);
    expect(script.trace).toEqual([`HcnOpenNamespace ${NS}`, `HcnQueryNamespaceProperties ${NS}`, `HcnOpenNamespace ${NS}`, `HcnQueryNamespaceProperties ${NS}`]);
    expect(await countersSettle(library, { strings: 0, handles: 0 })).toEqual({ strings: 0, handles: 0 });
  });

  it('preopen: the namespace is opened ahead, and the modify uses that handle', async () => {
    api.preopen('Namespace', NS);
    await api.modify('Namespace', NS, '{"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":"x"}}');
    expect(script.trace).toEqual([`HcnOpenNamespace ${NS}`, `HcnModifyNamespace ${NS}`]);
  });

  it('preopen: a failed open is reported by the use that follows, without a second open', async () => {
    script.on('HcnOpenNamespace', () => ({ hresult: 0x80070490 | 0, json: '', errorRecord: '' }));
    api.preopen('Namespace', NS);
    const e = await rejection(api.modify('Namespace', NS, '{}'));
    expect(e).toMatchObject({ name: 'HnsError', operation: 'HcnOpenNamespace', notFound: true });
    expect(script.trace).toEqual([`HcnOpenNamespace ${NS}`]);
  });

  it('preopen: an open still in flight when the api is closed has its handle closed too', async () => {
    let answer!: () => void;
    script.on('HcnOpenNamespace', () => new Promise<CallResponse>((r) => (answer = () => r(ok('')))));
    api.preopen('Namespace', NS);
    await new Promise((r) => setTimeout(r, 50));
    const closed = api.close();
    answer();
    await closed;
    expect(standInCounters(library).handles).toBe(0);
  });

  it('release: a kept handle is closed without waiting for close(), and a later use opens it again', async () => {
    script.on('HcnQueryNetworkProperties', (r) => ok(JSON.stringify({ ID: r.id })));
    api.preopen('Namespace', NS);
    await api.query('Network', NET, QUERY);
    await api.modify('Namespace', NS, '{}');
    expect(standInCounters(library).handles).toBe(2);
    api.release('Network', NET);
    api.release('Namespace', NS.toUpperCase()); // the same namespace, whatever the case
    api.release('Endpoint', EP); // nothing kept: nothing to do
    expect(await countersSettle(library, { strings: 0, handles: 0 })).toEqual({ strings: 0, handles: 0 });
    await api.query('Network', NET, QUERY);
    expect(script.trace.filter((t) => t.startsWith('HcnOpenNetwork'))).toHaveLength(2);
  });

  it('release: a kept open that failed has nothing to close, and close() still completes', async () => {
    script.on('HcnOpenNamespace', () => ({ hresult: 0x80070490 | 0, json: '', errorRecord: '' }));
    api.preopen('Namespace', NS);
    api.release('Namespace', NS);
    await api.close();
    expect(standInCounters(library).handles).toBe(0);
  });

  it('delete: one call by GUID, no handle', async () => {
    await api.delete('Endpoint', EP);
    expect(script.calls).toEqual([{ method: 'HcnDeleteEndpoint', id: EP, json: '', networkId: '' }]);
  });

  it('enumerate: the query goes through and the answer comes back verbatim', async () => {
    const query = '{"SchemaVersion":{"Major":2,"Minor":0},"Filter":"{\\"Name\\":\\"n1\\"}"}';
    script.on('HcnEnumerateNetworks', () => ok(`["${NET}"]`));
    expect(await api.enumerate('Network', query)).toBe(`["${NET}"]`);
    expect(script.calls).toEqual([{ method: 'HcnEnumerateNetworks', id: '', json: query, networkId: '' }]);
  });

  it('version: HNSCall GET /globals/version, answer is the envelope', async () => {
    const envelope = '{"Success":true,"Output":{"Major":15,"Minor":4}}';
    script.on('HNSCall', () => ok(envelope));
    expect(await api.version()).toBe(envelope);
    expect(script.calls).toEqual([{ method: 'HNSCall', id: '', json: '{"Method":"GET","Path":"/globals/version","Request":""}', networkId: '' }]);
  });
});

describe('GUIDs through native memory', () => {
  it('passes an upper-case GUID as the same 16 bytes (the stand-in prints them back in lower case)', async () => {
    await api.delete('Network', NET.toUpperCase());
    expect(script.calls[0]!.id).toBe(NET);
  });

  it.each(['00112233-4455-6677-8899-aabbccddeeff', 'ffffffff-0000-ffff-0000-ffffffffffff', '12345678-9abc-def0-1122-334455667788'])('round-trips %s', async (guid) => {
    await api.delete('Namespace', guid);
    expect(script.calls[0]!.id).toBe(guid);
  });

  it('takes the handle’s GUID from the ID HNS assigned, whatever its case', async () => {
    script.on('HcnCreateNetwork', () => ok(JSON.stringify({ Name: 'n', ID: NET.toUpperCase(), Nested: { ID: 'not-this' } })));
    await api.create('Network', '{"Name":"n"}');
    expect(script.calls[1]).toMatchObject({ method: 'HcnQueryNetworkProperties', id: NET });
  });

  it('refuses a malformed GUID before calling HNS, as HCN_E_GUID_CONVERSION_FAILURE', async () => {
    const e = await rejection(api.query('Network', 'not-a-guid', QUERY));
    expect(e).toBeInstanceOf(HnsError);
    expect(e).toMatchObject({ operation: 'HcnOpenNetwork', object: 'not-a-guid', hex: '0x803b0019' });
    expect(script.calls).toEqual([]);
  });
});

describe('text through native memory', () => {
  it('carries non-ASCII names and surrogate pairs both ways', async () => {
    const settings = JSON.stringify({ Name: UNICODE });
    script.on('HcnCreateNetwork', (r) => ok(JSON.stringify({ ID: NET, Echo: r.json }))).on('HcnQueryNetworkProperties', () => ok(JSON.stringify({ ID: NET, Name: UNICODE })));
    const props = await api.create('Network', settings);
    expect(script.calls[0]!.json).toBe(settings);
    expect(JSON.parse(props)).toEqual({ ID: NET, Name: UNICODE });
  });

  it('reads answers that span several pages of memory', async () => {
    // 3-byte and 4-byte UTF-8 characters, so code units sit at every alignment across page boundaries.
    const big = `${'日本😀ü'.repeat(5000)}end`;
    script.on('HcnQueryNetworkProperties', () => ok(JSON.stringify({ ID: NET, Big: big })));
    expect(JSON.parse(await api.query('Network', NET, QUERY))).toEqual({ ID: NET, Big: big });
  });

  it('returns an empty string for an empty answer', async () => {
    script.on('HcnEnumerateEndpoints', () => ok(''));
    expect(await api.enumerate('Endpoint', QUERY)).toBe('');
  });
});

describe('errors', () => {
  it('a failing HRESULT with an ErrorRecord becomes an HnsError with hex, operation, object and HNS’s message', async () => {
    script.on('HcnOpenNetwork', () => fail(0x803b0001, 'Network not found '));
    const e = await rejection(api.query('Network', NET, QUERY));
    expect(e).toBeInstanceOf(HnsError);
    const err = e as HnsError;
    expect(err).toMatchObject({ operation: 'HcnOpenNetwork', object: NET, hresult: 0x803b0001, hex: '0x803b0001', hnsMessage: 'Network not found', notFound: true });
    expect(JSON.parse(err.errorRecord!)).toEqual({ Success: false, Error: 'Network not found ', ErrorCode: 0x803b0001 });
    expect(err.message).toBe(`HcnOpenNetwork ${NET}: 0x803b0001 HCN_E_NETWORK_NOT_FOUND: Network not found`);
  });

  it('a failure after the open still closes the handle', async () => {
    script.on('HcnModifyEndpoint', () => fail(0x803b000d, 'bad policy'));
    const e = await rejection(api.modify('Endpoint', EP, '{}'));
    expect(e).toMatchObject({ operation: 'HcnModifyEndpoint', object: EP, hex: '0x803b000d', hnsMessage: 'bad policy' });
    expect(standInCounters(library).handles).toBe(0);
  });

  it('a create failure names the object by its Name, or (new …) without one', async () => {
    script.on('HcnCreateNetwork', () => fail(0x803b0010, 'exists'));
    expect(await rejection(api.create('Network', JSON.stringify({ Name: UNICODE })))).toMatchObject({ operation: 'HcnCreateNetwork', object: UNICODE, hex: '0x803b0010' });
    script.on('HcnCreateNamespace', () => fail(0x80070057, 'bad'));
    expect(await rejection(api.create('Namespace', '{}'))).toMatchObject({ operation: 'HcnCreateNamespace', object: '(new namespace)' });
  });

  it('an endpoint create on a missing network fails at HcnOpenNetwork, naming the network', async () => {
    script.on('HcnOpenNetwork', () => fail(0x803b0001, 'no network'));
    expect(await rejection(api.create('Endpoint', '{"Name":"ep"}', NET))).toMatchObject({ operation: 'HcnOpenNetwork', object: NET });
    expect(script.trace).toEqual([`HcnOpenNetwork ${NET}`]);
  });

  it('an enumerate failure names the query’s Filter', async () => {
    script.on('HcnEnumerateEndpoints', () => fail(0x803b001b, 'bad json'));
    const query = JSON.stringify({ SchemaVersion: { Major: 2, Minor: 0 }, Filter: '{"Name":"x"}' });
    expect(await rejection(api.enumerate('Endpoint', query))).toMatchObject({ operation: 'HcnEnumerateEndpoints', object: '{"Name":"x"}', hex: '0x803b001b' });
  });

  it('a non-empty ErrorRecord is an error even when the HRESULT succeeded, with the record’s code', async () => {
    script.on('HcnDeleteNetwork', () => ({ hresult: 0, json: '', errorRecord: JSON.stringify({ Success: false, Error: 'odd', ErrorCode: 0x803b002c }) }));
    expect(await rejection(api.delete('Network', NET))).toMatchObject({ operation: 'HcnDeleteNetwork', hex: '0x803b002c', hnsMessage: 'odd' });
  });

  it('… and E_FAIL when that record carries no failing code', async () => {
    script.on('HcnDeleteNetwork', () => ({ hresult: 0, json: '', errorRecord: 'plain text' }));
    expect(await rejection(api.delete('Network', NET))).toMatchObject({ hex: '0x80004005', hnsMessage: 'plain text', errorRecord: 'plain text' });
  });

  it('an open that succeeds with an ErrorRecord fails and still closes the handle it got', async () => {
    script.on('HcnOpenNamespace', () => ({ hresult: 0, json: '', errorRecord: '{"Error":"warning"}' }));
    expect(await rejection(api.query('Namespace', NS, QUERY))).toMatchObject({ operation: 'HcnOpenNamespace', hnsMessage: 'warning' });
    expect(script.trace).toEqual([`HcnOpenNamespace ${NS}`]);
  });

  it('a failing HRESULT without ErrorRecord still becomes an HnsError', async () => {
    script.on('HcnDeleteEndpoint', () => ({ hresult: 0x80070490 | 0, json: '', errorRecord: '' }));
    const e = await rejection(api.delete('Endpoint', EP));
    expect(e).toMatchObject({ hex: '0x80070490', hnsMessage: '', errorRecord: undefined, notFound: true });
  });

  it('frees a result string that comes with a failure', async () => {
    script.on('HcnQueryEndpointProperties', () => fail(0x80004005, 'half', '{"partial":true}'));
    expect(await rejection(api.query('Endpoint', EP, QUERY))).toMatchObject({ hex: '0x80004005' });
    // afterEach checks that the partial result was freed
  });

  it('RPC_S_SERVER_UNAVAILABLE from HNS means HNS is unreachable', async () => {
    script.on('HcnEnumerateNetworks', () => fail(0x800706ba, 'The RPC server is unavailable.'));
    const e = await rejection(api.enumerate('Network', QUERY));
    expect(e).toBeInstanceOf(HnsUnavailableError);
    expect(e).toMatchObject({ reason: 'unreachable', operation: 'HcnEnumerateNetworks' });
  });

  it('a mock that is not listening is unreachable, with the stand-in’s reason', async () => {
    process.env.HNS_MOCK_FRAMED = path.join(os.tmpdir(), `nothing-here-${process.pid}.sock`);
    const e = await rejection(api.delete('Network', NET));
    expect(e).toBeInstanceOf(HnsUnavailableError);
    expect((e as HnsUnavailableError).message).toMatch(/cannot connect to hns-mock at .*nothing-here/);
  });

  it('a missing HCN library is unreachable, naming the library', async () => {
    const missing = new FfiHcnApi({ ffi, library: '/nonexistent/computenetwork.so' });
    const e = await rejection(missing.delete('Network', NET));
    expect(e).toBeInstanceOf(HnsUnavailableError);
    expect((e as HnsUnavailableError).message).toMatch(/\/nonexistent\/computenetwork\.so/);
    missing.close();
  });

  it('an HCN library without the export is unreachable, naming the function', async () => {
    const wrong = new FfiHcnApi({ ffi, library: 'libc.so.6', freeLibrary: library });
    const e = await rejection(wrong.delete('Network', NET));
    expect(e).toMatchObject({ name: 'HnsUnavailableError', operation: 'HcnDeleteNetwork' });
    expect((e as Error).message).toMatch(/HcnDeleteNetwork/);
    wrong.close();
  });
});

describe('version probe failures are HnsErrors, so the caller turns features off', () => {
  it('missing library → ERROR_MOD_NOT_FOUND', async () => {
    const v = new FfiHcnApi({ ffi, library, vmcomputeLibrary: '/nonexistent/vmcompute.so' });
    expect(await rejection(v.version())).toMatchObject({ name: 'HnsError', operation: 'HNSCall', object: '/globals/version', hex: '0x8007007e' });
    v.close();
  });

  it('library without HNSCall → ERROR_PROC_NOT_FOUND', async () => {
    const v = new FfiHcnApi({ ffi, library, vmcomputeLibrary: 'libc.so.6' });
    expect(await rejection(v.version())).toMatchObject({ name: 'HnsError', hex: '0x8007007f' });
    v.close();
  });

  it('failing HRESULT → HnsError carrying the envelope’s Error', async () => {
    script.on('HNSCall', () => ({ hresult: 0x80004001 | 0, json: '{"Success":false,"Error":"not implemented"}', errorRecord: '' }));
    expect(await rejection(api.version())).toMatchObject({ name: 'HnsError', hex: '0x80004001', hnsMessage: 'not implemented' });
  });
});

describe('timeouts', () => {
  /** A gate the handler waits on, released by the test. */
  function gate(): { wait: Promise<void>; open: () => void } {
    let open = (): void => undefined;
    const wait = new Promise<void>((r) => (open = r));
    return { wait, open };
  }

  it('a call HNS does not answer becomes HnsUnavailableError(timeout) while the native call is still blocked', async () => {
    const g = gate();
    let answered = false;
    script.on('HcnEnumerateNamespaces', async () => {
      await g.wait;
      answered = true;
      return ok('["late"]');
    });
    const quick = new FfiHcnApi({ ffi, library, timeoutMs: 50 });
    const e = await rejection(quick.enumerate('Namespace', QUERY));
    expect(e).toBeInstanceOf(HnsUnavailableError);
    expect(e).toMatchObject({ reason: 'timeout', operation: 'HcnEnumerateNamespaces', object: '(all)' });
    expect((e as Error).message).toMatch(/did not answer within 50 ms/);
    expect(answered).toBe(false);
    g.open();
    // The late answer's string is freed in the background (afterEach waits for the counters).
    quick.close();
  });

  it('a handle returned after the timeout is closed when it arrives', async () => {
    const g = gate();
    script.on('HcnOpenEndpoint', async () => {
      await g.wait;
      return ok('');
    });
    const quick = new FfiHcnApi({ ffi, library, timeoutMs: 50 });
    expect(await rejection(quick.query('Endpoint', EP, QUERY))).toMatchObject({ reason: 'timeout', operation: 'HcnOpenEndpoint', object: EP });
    g.open();
    expect(await countersSettle(library, { strings: 0, handles: 0 })).toEqual({ strings: 0, handles: 0 });
    expect(script.trace).toEqual([`HcnOpenEndpoint ${EP}`]); // no query after the timeout
    quick.close();
  });
});

describe('lifecycle and concurrency', () => {
  it('runs many calls at once on worker threads, each with its own answer', async () => {
    script.on('HcnQueryNetworkProperties', (r) => ok(JSON.stringify({ ID: r.id })));
    const ids = Array.from({ length: 24 }, (_, n) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
    const answers = await Promise.all(ids.map((id) => api.query('Network', id, QUERY)));
    expect(answers.map((a) => (JSON.parse(a) as { ID: string }).ID)).toEqual(ids);
  });

  it('after close(), calls fail as unreachable; close() twice is fine', async () => {
    api.close();
    api.close();
    expect(await rejection(api.delete('Network', NET))).toMatchObject({ name: 'HnsUnavailableError', reason: 'unreachable' });
    expect(await rejection(api.version())).toMatchObject({ name: 'HnsUnavailableError' });
    expect(script.calls).toEqual([]);
  });

  it('by default takes ffi-rs from src/native.ts and the libraries from HNS_FFI_LIBRARY / HNS_VMCOMPUTE_LIBRARY', async () => {
    const saved = { ffi: process.env.HNS_FFI_LIBRARY, vm: process.env.HNS_VMCOMPUTE_LIBRARY, free: process.env.HNS_FREE_LIBRARY };
    process.env.HNS_FFI_LIBRARY = library;
    process.env.HNS_VMCOMPUTE_LIBRARY = library;
    delete process.env.HNS_FREE_LIBRARY; // off Windows, strings are then freed through HNS_FFI_LIBRARY
    try {
      const defaults = new FfiHcnApi();
      script.on('HNSCall', () => ok('{"Success":true}'));
      await defaults.delete('Network', NET);
      expect(await defaults.version()).toBe('{"Success":true}');
      defaults.close();
      expect(script.trace).toEqual([`HcnDeleteNetwork ${NET}`, 'HNSCall']);
    } finally {
      for (const [k, v] of [['HNS_FFI_LIBRARY', saved.ffi], ['HNS_VMCOMPUTE_LIBRARY', saved.vm], ['HNS_FREE_LIBRARY', saved.free]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('an endpoint create without a network ID is a programming error', async () => {
    await expect(api.create('Endpoint', '{}')).rejects.toThrow(TypeError);
  });
});
