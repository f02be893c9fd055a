import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MockUnreachableError, parseHresult } from '../../../hns-mock/faults.js';
import { AdminError, MockHns, parseVersion } from '../../../hns-mock/service.js';
import type { CallRecord } from '../../../hns-mock/calllog.js';
import type { CallRequest, CallResponse } from '../../../src/hns/wire.js';
import { HRESULT, ZERO, endpointSettings, enumerate, failsWith, networkSettings, ok } from './helpers.js';

let hns: MockHns;
beforeEach(() => {
  hns = new MockHns();
});
afterEach(() => {
  hns.close();
  vi.useRealTimers();
});

function req(method: string, args: { id?: string; json?: unknown; networkId?: string } = {}): CallRequest {
  const json = args.json === undefined ? '' : typeof args.json === 'string' ? args.json : JSON.stringify(args.json);
  return { method, id: args.id ?? '', json, networkId: args.networkId ?? '' };
}

const createNetwork = (): Promise<CallResponse> => hns.call(req('HcnCreateNetwork', { id: ZERO, json: networkSettings() }));

/** Lets already-scheduled promise callbacks run (no timers involved). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('fault injection', () => {
  it('fails the next N calls of a method with the chosen HRESULT and text, changing nothing, then lets calls through', async () => {
    hns.admin('fault', { method: 'HcnCreateNetwork', hresult: '0x803b0006', count: 2, message: 'no vSwitch today' });
    for (let i = 0; i < 2; i++) {
      const record = failsWith(await createNetwork(), HRESULT.HCN_E_ADAPTER_NOT_FOUND);
      expect(record.Error).toBe('no vSwitch today ');
    }
    expect(enumerate(hns.model, 'Networks')).toEqual([]);
    ok(await createNetwork());
    expect(hns.faults.faults).toEqual([]);
  });

  it('uses the HRESULT system text when no message is given', async () => {
    hns.admin('fault', { method: 'HcnCreateNetwork', hresult: 'HCN_E_MANAGER_STOPPED' });
    expect(failsWith(await createNetwork(), HRESULT.HCN_E_MANAGER_STOPPED).Error).toBe('Operation cannot be performed while service is stopping ');
  });

  it('matches any method with *, first added first', async () => {
    hns.admin('fault', { method: '*', hresult: HRESULT.E_ACCESSDENIED });
    hns.admin('fault', { method: 'HcnEnumerateNetworks', hresult: HRESULT.E_FAIL });
    failsWith(await hns.call(req('HcnEnumerateNetworks')), HRESULT.E_ACCESSDENIED);
    failsWith(await hns.call(req('HcnEnumerateNetworks')), HRESULT.E_FAIL);
    ok(await hns.call(req('HcnEnumerateNetworks')));
  });

  it('with match, fails only calls whose arguments contain the text, leaving other calls of the same function alone', async () => {
    hns.admin('fault', { method: 'HcnEnumerateEndpoints', hresult: HRESULT.E_FAIL, match: 'hnsbridge-gw_' });
    const lookup = (name: string): Promise<CallResponse> => hns.call(req('HcnEnumerateEndpoints', { json: { SchemaVersion: { Major: 2, Minor: 0 }, Filter: JSON.stringify({ Name: name }) } }));
    ok(await lookup('hnsbridge-pod_c1_eth0_pods_12345678'));
    failsWith(await lookup('hnsbridge-gw_pods'), HRESULT.E_FAIL);
    ok(await lookup('hnsbridge-gw_pods'));
    expect(hns.calls.list({ method: 'HcnEnumerateEndpoints' }).map((c) => c.faulted)).toEqual([false, true, false]);
    expect(() => hns.admin('fault', { method: '*', hresult: HRESULT.E_FAIL, match: '' })).toThrow(/match/);
  });

  it('keeps a count -1 fault until it is cleared', async () => {
    hns.admin('fault', { method: 'HNSCall', hresult: HRESULT.E_NOTIMPL, count: -1 });
    for (let i = 0; i < 3; i++) failsWith(await hns.call(req('HNSCall', { json: { Method: 'GET', Path: '/globals/version' } })), HRESULT.E_NOTIMPL);
    expect(hns.admin('clearFaults')).toEqual({ cleared: 1 });
    ok(await hns.call(req('HNSCall', { json: { Method: 'GET', Path: '/globals/version' } })));
  });

  it('refuses faults it cannot apply: unknown method, non-failure HRESULT, nothing to do, bad count', () => {
    expect(() => hns.admin('fault', { method: 'HcnCreateEndpiont', hresult: HRESULT.E_FAIL })).toThrow(/unknown method/);
    expect(() => hns.admin('fault', { method: '*', hresult: 0 })).toThrow(AdminError);
    expect(() => hns.admin('fault', { method: '*' })).toThrow(/HRESULT, a delay/);
    expect(() => hns.admin('fault', { method: '*', hresult: HRESULT.E_FAIL, count: 0 })).toThrow(/count/);
    expect(() => hns.admin('fault', { method: '*', hresult: 'bogus' })).toThrow(/not an HRESULT/);
  });

  it('parses HRESULTs as hex, signed or unsigned decimal, or a name', () => {
    expect(parseHresult('0x803B0013')).toBe(0x803b0013);
    expect(parseHresult(-2143617005)).toBe(0x803b0013);
    expect(parseHresult('2151350291')).toBe(0x803b0013);
    expect(parseHresult('HCN_E_PORT_ALREADY_EXISTS')).toBe(0x803b0013);
  });

  it('a delay-only fault applies the call at once and holds back the answer (a hung HNS that did the work)', async () => {
    vi.useFakeTimers();
    const net = ok<{ ID: string }>(await createNetwork());
    hns.admin('fault', { method: 'HcnCreateEndpoint', delayMs: 5000 });
    let answered = false;
    const pending = hns.call(req('HcnCreateEndpoint', { id: ZERO, networkId: net.ID, json: endpointSettings() })).then((r) => {
      answered = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(4999);
    expect(answered).toBe(false);
    expect(enumerate(hns.model, 'Endpoints')).toHaveLength(1); // already applied
    expect(hns.calls.list({ method: 'HcnCreateEndpoint' })[0]).toMatchObject({ outcome: 'pending', faulted: true });
    await vi.advanceTimersByTimeAsync(1);
    ok(await pending);
    expect(hns.calls.list({ method: 'HcnCreateEndpoint' })[0]).toMatchObject({ outcome: 'ok', hresult: 0 });
  });

  it('a failing fault with a delay waits, then fails without applying', async () => {
    vi.useFakeTimers();
    hns.admin('fault', { method: 'HcnCreateNetwork', hresult: HRESULT.E_FAIL, delayMs: 1000 });
    const pending = createNetwork();
    await vi.advanceTimersByTimeAsync(1000);
    failsWith(await pending, HRESULT.E_FAIL);
    expect(enumerate(hns.model, 'Networks')).toEqual([]);
  });

  it('a held call does not block other calls; clearing faults releases a call held forever', async () => {
    hns.admin('fault', { method: 'HcnCreateNetwork', delayMs: -1 });
    let answered = false;
    const held = createNetwork().then((r) => {
      answered = true;
      return r;
    });
    await settle();
    // Other calls go through while it is held.
    expect(ok<string[]>(await hns.call(req('HcnEnumerateNetworks')))).toHaveLength(1);
    expect(ok(await createNetwork())).toHaveProperty('ID');
    expect(answered).toBe(false);
    expect(hns.faults.held).toBe(1);
    hns.admin('clearFaults');
    ok(await held);
  });
});

describe('unreachable modes', () => {
  it('unavailable: calls fail with MockUnreachableError before reaching the model, and are logged as such', async () => {
    hns.admin('unreachable', { mode: 'unavailable' });
    await expect(createNetwork()).rejects.toBeInstanceOf(MockUnreachableError);
    expect(enumerate(hns.model, 'Networks')).toEqual([]);
    expect(hns.calls.list()[0]).toMatchObject({ method: 'HcnCreateNetwork', outcome: 'unreachable', hresult: null });
    hns.admin('unreachable', { mode: 'off' });
    ok(await createNetwork());
  });

  it('hang: calls get no answer until the mode is turned off, then fail unapplied', async () => {
    hns.admin('unreachable', { mode: 'hang' });
    let settled = false;
    const held = createNetwork().finally(() => {
      settled = true;
    });
    await settle();
    expect(settled).toBe(false);
    expect(hns.admin('stats')).toMatchObject({ held: 1 });
    hns.admin('unreachable', { mode: 'off' });
    await expect(held).rejects.toBeInstanceOf(MockUnreachableError);
    expect(enumerate(hns.model, 'Networks')).toEqual([]);
  });

  it('close() releases hung and delayed calls', async () => {
    hns.admin('fault', { method: 'HcnEnumerateNetworks', delayMs: -1 });
    const delayed = hns.call(req('HcnEnumerateNetworks'));
    hns.admin('unreachable', { mode: 'hang' });
    const hung = createNetwork();
    await settle();
    hns.close();
    ok(await delayed);
    await expect(hung).rejects.toBeInstanceOf(MockUnreachableError);
  });
});

describe('call log', () => {
  it('records method, id, parsed arguments, HRESULT, outcome and time of every call', async () => {
    const net = ok<{ ID: string }>(await createNetwork());
    await hns.call(req('HcnOpenNetwork', { id: '66666666-6666-6666-6666-666666666666' }));
    const calls = hns.admin('calls') as { calls: CallRecord[]; counts: Record<string, number> };
    expect(calls.counts).toEqual({ HcnCreateNetwork: 1, HcnOpenNetwork: 1 });
    const [create, open] = calls.calls;
    expect(create).toMatchObject({ seq: 1, method: 'HcnCreateNetwork', id: ZERO, outcome: 'ok', hresult: 0, hresultHex: '0x00000000', faulted: false });
    expect((create?.args as { Name: string }).Name).toBe('k8s-pod-net');
    expect(Number.isNaN(Date.parse(create?.timestamp ?? ''))).toBe(false);
    expect(open).toMatchObject({ seq: 2, outcome: 'failed', hresultHex: '0x803b0001', hresultName: 'HCN_E_NETWORK_NOT_FOUND', args: null });
    expect(open?.error).toContain('no network');
    expect(net.ID).toBeDefined();
  });

  it('filters by method and by sequence number, and can be cleared', async () => {
    await createNetwork();
    await hns.call(req('HcnEnumerateNetworks'));
    await createNetwork();
    expect((hns.admin('calls', { method: 'HcnCreateNetwork' }) as { calls: CallRecord[] }).calls.map((c) => c.seq)).toEqual([1, 3]);
    expect((hns.admin('calls', { since: 2 }) as { calls: CallRecord[] }).calls.map((c) => c.seq)).toEqual([3]);
    hns.admin('clearCalls');
    expect((hns.admin('calls') as { calls: CallRecord[] }).calls).toEqual([]);
  });

  it('marks calls hit by a fault', async () => {
    hns.admin('fault', { method: 'HcnCreateNetwork', hresult: HRESULT.E_FAIL });
    await createNetwork();
    expect(hns.calls.list()[0]).toMatchObject({ faulted: true, outcome: 'failed', error: 'injected fault #1' });
  });
});

describe('admin actions', () => {
  it('dump: the model state plus faults, unreachable mode and the call count', async () => {
    await createNetwork();
    hns.admin('fault', { method: '*', hresult: HRESULT.E_FAIL });
    const dump = hns.admin('dump') as ReturnType<MockHns['dump']>;
    expect(dump.networks).toHaveLength(1);
    expect(dump.faults).toHaveLength(1);
    expect(dump).toMatchObject({ unreachable: 'off', calls: 1, version: { Major: 15, Minor: 4 }, adapters: ['Ethernet'] });
  });

  it('namespaceCreate / namespaceDelete, as containerd does around ADD and DEL', () => {
    const { ID } = hns.admin('namespaceCreate') as { ID: string };
    expect(enumerate(hns.model, 'Namespaces', { IsDefault: false })).toEqual([ID]);
    expect(hns.admin('namespaceDelete', { id: ID })).toEqual({ deleted: ID });
    expect(() => hns.admin('namespaceDelete', { id: ID })).toThrow(AdminError);
    expect(() => hns.admin('namespaceCreate', { type: 'Weird' })).toThrow(AdminError);
  });

  it('setVersion takes "MAJOR.MINOR" or major/minor; adapters can be added, removed and replaced', () => {
    expect(hns.admin('setVersion', { version: '9.3' })).toEqual({ version: { Major: 9, Minor: 3 } });
    expect(hns.admin('setVersion', { major: 11, minor: 10 })).toEqual({ version: { Major: 11, Minor: 10 } });
    expect(() => hns.admin('setVersion', { version: 'eleven' })).toThrow(AdminError);
    expect(() => hns.admin('setVersion', {})).toThrow(AdminError);
    expect(hns.admin('addAdapter', { name: 'Ethernet 2' })).toEqual({ adapters: ['Ethernet', 'Ethernet 2'] });
    expect(hns.admin('removeAdapter', { name: 'ethernet' })).toEqual({ adapters: ['Ethernet 2'] });
    expect(() => hns.admin('removeAdapter', { name: 'nope' })).toThrow(AdminError);
    expect(hns.admin('setAdapters', { names: ['A', 'B'] })).toEqual({ adapters: ['A', 'B'] });
    expect(parseVersion(' 15.4 ')).toEqual({ Major: 15, Minor: 4 });
  });

  it('restart and reboot report what vanished', async () => {
    const net = ok<{ ID: string }>(await createNetwork());
    ok(await hns.call(req('HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings() })));
    expect(hns.admin('restart')).toEqual({ endpointsRemoved: 1 });
    expect(hns.admin('reboot')).toEqual({ endpointsRemoved: 0, namespacesRemoved: 0, networksRemoved: 1 });
  });

  it('reset: empty model, no faults, reachable, empty call log', async () => {
    await createNetwork();
    hns.admin('fault', { method: '*', hresult: HRESULT.E_FAIL });
    hns.admin('unreachable', { mode: 'unavailable' });
    hns.admin('setVersion', { version: '9.1' });
    hns.admin('reset');
    const dump = hns.dump();
    expect(dump).toMatchObject({ version: { Major: 15, Minor: 4 }, adapters: ['Ethernet'], networks: [], endpoints: [], faults: [], unreachable: 'off', calls: 0 });
    expect(dump.namespaces.map((n) => n.Type)).toEqual(['HostDefault']);
  });

  it('refuses unknown actions and malformed arguments with AdminError', () => {
    expect(() => hns.admin('explode')).toThrow(/unknown admin action/);
    expect(() => hns.admin('fault', [])).toThrow(/JSON object/);
    expect(() => hns.admin('unreachable', { mode: 'sometimes' })).toThrow(AdminError);
    expect(() => hns.admin('calls', { since: 'x' })).toThrow(/integer/);
  });
});
