// The HcnApi contract: one suite that every backend must pass against the real hns-mock model.
// Backends: the in-process and gRPC doors (CallHcnApi), and the FFI backend (FfiHcnApi) calling
// the C stand-in of computenetwork.dll, which reaches the same model over the framed socket.
// Whatever differs between them (transport, native memory, handles) must not show here.

import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MockHns } from '../../hns-mock/service.js';
import { type HcnApi, type HcnResource, HnsError, HnsUnavailableError, hresultHex, hresultName } from '../../src/hns/api.js';
import { hostComputeQuery, isGuid, sameGuid } from '../../src/hns/schema.js';
import type { Counters } from './stand-in.js';

export interface ContractBackend {
  /** The model behind the door, for admin (reset, faults, unreachable, call log). */
  hns: MockHns;
  /** A fresh HcnApi on this backend; the suite closes it. */
  api(options?: { timeoutMs?: number }): HcnApi;
  /** Outstanding native strings and handles once background work has settled (FFI only). */
  leaks?(): Promise<Counters>;
  stop(): Promise<void>;
}

const SV = { Major: 2, Minor: 0 };
const UNICODE = 'netz-ü-日本-😀';
const NONE: Counters = { strings: 0, handles: 0 };

function networkSettings(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    SchemaVersion: SV,
    Name: name,
    Type: 'L2Bridge',
    Ipams: [{ Type: 'Static', Subnets: [{ IpAddressPrefix: '10.244.3.0/24', Routes: [{ NextHop: '10.244.3.2', DestinationPrefix: '0.0.0.0/0' }] }] }],
    Policies: [{ Type: 'NetAdapterName', Settings: { NetworkAdapterName: 'Ethernet' } }],
    ...extra,
  });
}

function endpointSettings(name: string, ip = '10.244.3.17'): string {
  return JSON.stringify({ SchemaVersion: SV, Name: name, IpConfigurations: [{ IpAddress: ip, PrefixLength: 24 }] });
}

function query(filter?: Record<string, string>): string {
  return JSON.stringify(hostComputeQuery(filter));
}

interface Props {
  ID: string;
  Name?: string;
  [k: string]: unknown;
}

function props(json: string): Props {
  const doc = JSON.parse(json) as Props;
  expect(isGuid(doc.ID), `ID of ${json}`).toBe(true);
  return doc;
}

function ids(json: string): string[] {
  const list = JSON.parse(json) as string[] | null;
  return (list ?? []).map((s) => s.toLowerCase());
}

async function failure(p: Promise<unknown>): Promise<HnsError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HnsError);
  return e as HnsError;
}

async function unavailable(p: Promise<unknown>): Promise<HnsUnavailableError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HnsUnavailableError);
  return e as HnsUnavailableError;
}

/** The fields every HnsError must carry, checked in one place. */
function expectHnsError(e: HnsError, operation: string, object: string, hresult: number): void {
  expect({ operation: e.operation, object: e.object, hex: e.hex }).toEqual({ operation, object, hex: hresultHex(hresult) });
  expect(e.hnsMessage).not.toBe('');
  expect(e.hnsMessage).toBe(e.hnsMessage.trim());
  const record = JSON.parse(e.errorRecord ?? 'null') as { Success: boolean; Error: string; ErrorCode: number };
  expect(record).toMatchObject({ Success: false, ErrorCode: hresult >>> 0 });
  expect(record.Error.trim()).toBe(e.hnsMessage);
  const name = hresultName(hresult);
  expect(e.message).toBe(`${operation} ${object}: ${hresultHex(hresult)}${name ? ` ${name}` : ''}: ${e.hnsMessage}`);
}

export function defineHcnApiContract(name: string, start: () => Promise<ContractBackend>): void {
  describe(`HcnApi contract — ${name}`, () => {
    let backend: ContractBackend;
    let api: HcnApi;
    const extra: HcnApi[] = [];

    /** A second HcnApi with its own options (e.g. a short timeout), closed after the test. */
    const another = (options: { timeoutMs?: number }): HcnApi => {
      const a = backend.api(options);
      extra.push(a);
      return a;
    };

    beforeAll(async () => {
      backend = await start();
    });

    afterAll(async () => {
      await backend.stop();
    });

    beforeEach(() => {
      backend.hns.admin('reset');
      api = backend.api();
    });

    afterEach(async () => {
      api.close();
      for (const a of extra.splice(0)) a.close();
      backend.hns.admin('reset'); // also releases anything a test left held
      if (backend.leaks) expect(await backend.leaks()).toEqual(NONE);
    });

    const calls = (): string[] =>
      (backend.hns.admin('calls') as { calls: Array<{ method: string }> }).calls.map((c) => c.method).filter((m) => !m.startsWith('HcnClose'));

    async function network(n = UNICODE): Promise<Props> {
      return props(await api.create('Network', networkSettings(n)));
    }

    async function endpoint(net: Props, n = 'ep-ü', ip?: string): Promise<Props> {
      return props(await api.create('Endpoint', endpointSettings(n, ip), net.ID));
    }

    async function namespace(): Promise<Props> {
      return props(await api.create('Namespace', JSON.stringify({ SchemaVersion: SV })));
    }

    describe('operations', () => {
      it('creates a network and returns its properties, with the ID HNS assigned', async () => {
        const net = await network();
        expect(net.ID).not.toBe('00000000-0000-0000-0000-000000000000');
        expect(net).toMatchObject({ Name: UNICODE, Type: 'L2Bridge' });
        expect(calls()).toEqual(['HcnCreateNetwork', 'HcnQueryNetworkProperties']);
      });

      it('queries an object by its GUID in upper or lower case', async () => {
        const net = await network();
        for (const id of [net.ID.toLowerCase(), net.ID.toUpperCase()]) {
          const again = props(await api.query('Network', id, query()));
          expect(sameGuid(again.ID, net.ID)).toBe(true);
          expect(again.Name).toBe(UNICODE);
        }
      });

      it('enumerates by a Name filter, non-ASCII names included', async () => {
        const a = await network(UNICODE);
        const b = await network('other');
        expect(ids(await api.enumerate('Network', query({ Name: UNICODE })))).toEqual([a.ID.toLowerCase()]);
        expect(ids(await api.enumerate('Network', query())).sort()).toEqual([a.ID, b.ID].map((s) => s.toLowerCase()).sort());
        expect(ids(await api.enumerate('Network', query({ Name: 'nothing' })))).toEqual([]);
      });

      it('creates an endpoint on a network (open network → create → query), and finds it again', async () => {
        const net = await network();
        backend.hns.admin('clearCalls');
        const ep = await endpoint(net, `c1_${UNICODE}`);
        expect(calls()).toEqual(['HcnOpenNetwork', 'HcnCreateEndpoint', 'HcnQueryEndpointProperties']);
        expect(ep.Name).toBe(`c1_${UNICODE}`);
        expect(sameGuid(ep.HostComputeNetwork as string, net.ID)).toBe(true);
        expect(ep.IpConfigurations).toEqual([{ IpAddress: '10.244.3.17', PrefixLength: 24 }]);
        expect(ids(await api.enumerate('Endpoint', query({ Name: `c1_${UNICODE}` })))).toEqual([ep.ID.toLowerCase()]);
        expect(props(await api.query('Endpoint', ep.ID.toLowerCase(), query())).Name).toBe(`c1_${UNICODE}`);
      });

      it('attaches an endpoint to a namespace and detaches it again', async () => {
        const ep = await endpoint(await network());
        const ns = await namespace();
        const change = (type: 'Add' | 'Remove'): string => JSON.stringify({ ResourceType: 'Endpoint', RequestType: type, Settings: { EndpointId: ep.ID.toLowerCase() } });
        await api.modify('Namespace', ns.ID.toUpperCase(), change('Add'));
        const attached = props(await api.query('Namespace', ns.ID, query()));
        expect(attached.Resources).toEqual([{ Type: 'Endpoint', Data: { Id: ep.ID } }]);
        expect(sameGuid(props(await api.query('Endpoint', ep.ID, query())).HostComputeNamespace as string, ns.ID)).toBe(true);
        await api.modify('Namespace', ns.ID.toLowerCase(), change('Remove'));
        expect(props(await api.query('Namespace', ns.ID, query())).Resources).toBeUndefined();
      });

      it('modifies a network (DNS) and an endpoint (policy); both read back', async () => {
        const net = await network();
        await api.modify('Network', net.ID, JSON.stringify({ ResourceType: 'DNS', RequestType: 'Update', Settings: { Domain: 'ü.example', ServerList: ['10.0.0.10'] } }));
        expect(props(await api.query('Network', net.ID, query())).Dns).toEqual({ Domain: 'ü.example', ServerList: ['10.0.0.10'] });
        const ep = await endpoint(net);
        const policy = { Type: 'PortMapping', Settings: { Protocol: 6, InternalPort: 80, ExternalPort: 30080 } };
        await api.modify('Endpoint', ep.ID, JSON.stringify({ ResourceType: 'Policy', RequestType: 'Add', Settings: { Policies: [policy] } }));
        expect(props(await api.query('Endpoint', ep.ID, query())).Policies).toEqual([policy]);
      });

      it('deletes endpoint, namespace and network; each is then not found', async () => {
        const net = await network();
        const ep = await endpoint(net);
        const ns = await namespace();
        await api.delete('Endpoint', ep.ID.toLowerCase());
        await api.delete('Namespace', ns.ID);
        await api.delete('Network', net.ID.toUpperCase());
        for (const [resource, id] of [['Endpoint', ep.ID], ['Namespace', ns.ID], ['Network', net.ID]] as Array<[HcnResource, string]>) {
          expect((await failure(api.query(resource, id, query()))).notFound).toBe(true);
        }
        const left = backend.hns.dump();
        expect(left).toMatchObject({ networks: [], endpoints: [] });
        expect(left.namespaces.map((n) => n.ID)).not.toContain(ns.ID); // the host's default namespace stays
      });

      it('answers the version probe with the HNSCall envelope', async () => {
        backend.hns.admin('setVersion', { version: '13.2' });
        expect(JSON.parse(await api.version())).toMatchObject({ Success: true, Output: { Major: 13, Minor: 2 } });
        expect(calls()).toEqual(['HNSCall']);
      });
    });

    describe('errors: HRESULT and ErrorRecord become HnsError (hex, operation, object, message)', () => {
      it.each([
        ['Network', 0x803b0001],
        ['Endpoint', 0x803b0002],
        ['Namespace', 0x80070490],
      ] as Array<[HcnResource, number]>)('a missing %s fails at HcnOpen with its not-found code', async (resource, hr) => {
        const id = randomUUID();
        const e = await failure(api.query(resource, id, query()));
        expectHnsError(e, `HcnOpen${resource}`, id, hr);
        expect(e.notFound).toBe(true);
        expectHnsError(await failure(api.modify(resource, id, '{}')), `HcnOpen${resource}`, id, hr);
        expectHnsError(await failure(api.delete(resource, id)), `HcnDelete${resource}`, id, hr);
      });

      it('invalid JSON in a create names the new object generically', async () => {
        expectHnsError(await failure(api.create('Network', '{"Name":')), 'HcnCreateNetwork', '(new network)', 0x803b001b);
        expect(backend.hns.dump()).toMatchObject({ networks: [] });
      });

      it('an unknown network Type names the network by its non-ASCII Name', async () => {
        expectHnsError(await failure(api.create('Network', networkSettings(UNICODE, { Type: 'Bogus' }))), 'HcnCreateNetwork', UNICODE, 0x803b000b);
      });

      it('an endpoint on a missing network fails at HcnOpenNetwork, naming the network', async () => {
        const id = randomUUID();
        expectHnsError(await failure(api.create('Endpoint', endpointSettings('ep'), id)), 'HcnOpenNetwork', id, 0x803b0001);
        expect(calls()).toEqual(['HcnOpenNetwork']);
      });

      it('an endpoint address outside the subnets, or taken, names the endpoint', async () => {
        const net = await network();
        expectHnsError(await failure(api.create('Endpoint', endpointSettings(UNICODE, '10.9.9.9'), net.ID)), 'HcnCreateEndpoint', UNICODE, 0x803b001e);
        await endpoint(net, 'first', '10.244.3.17');
        expectHnsError(await failure(api.create('Endpoint', endpointSettings('second', '10.244.3.17'), net.ID)), 'HcnCreateEndpoint', 'second', 0x80071392);
      });

      it('attaching twice is HCN_E_ENDPOINT_ALREADY_ATTACHED from HcnModifyNamespace', async () => {
        const ep = await endpoint(await network());
        const ns = await namespace();
        const add = JSON.stringify({ ResourceType: 'Endpoint', RequestType: 'Add', Settings: { EndpointId: ep.ID } });
        await api.modify('Namespace', ns.ID, add);
        expectHnsError(await failure(api.modify('Namespace', ns.ID, add)), 'HcnModifyNamespace', ns.ID, 0x803b0014);
      });

      it('deleting a network that still has endpoints is HCN_E_ENTITY_HAS_REFERENCES', async () => {
        const net = await network();
        await endpoint(net);
        expectHnsError(await failure(api.delete('Network', net.ID)), 'HcnDeleteNetwork', net.ID, 0x803b002c);
      });

      it('a malformed GUID is HCN_E_GUID_CONVERSION_FAILURE', async () => {
        const e = await failure(api.query('Network', 'not-a-guid', query()));
        expect({ operation: e.operation, object: e.object, hex: e.hex }).toEqual({ operation: 'HcnOpenNetwork', object: 'not-a-guid', hex: '0x803b0019' });
        expect((await failure(api.delete('Endpoint', '5f0b1190-63be-4e0c-b974'))).hex).toBe('0x803b0019');
        expect(backend.hns.dump()).toMatchObject({ networks: [] });
      });

      it('a malformed enumerate query names (all)', async () => {
        expectHnsError(await failure(api.enumerate('Endpoint', '{"SchemaVersion":')), 'HcnEnumerateEndpoints', '(all)', 0x803b001b);
      });

      it('an injected fault surfaces with its HRESULT and text, after the open, and the handle is still closed', async () => {
        const ep = await endpoint(await network());
        backend.hns.admin('fault', { method: 'HcnQueryEndpointProperties', hresult: 'E_ACCESSDENIED', message: 'denied by test' });
        const e = await failure(api.query('Endpoint', ep.ID, query()));
        expect({ operation: e.operation, object: e.object, hex: e.hex }).toEqual({ operation: 'HcnQueryEndpointProperties', object: ep.ID, hex: '0x80070005' });
        expect(e.hnsMessage).toMatch(/denied by test/);
      });
    });

    describe('HNS not available', () => {
      it('an unreachable HNS is HnsUnavailableError(unreachable) naming the operation', async () => {
        backend.hns.admin('unreachable', { mode: 'unavailable' });
        const e = await unavailable(api.delete('Network', randomUUID()));
        expect({ reason: e.reason, operation: e.operation }).toEqual({ reason: 'unreachable', operation: 'HcnDeleteNetwork' });
      });

      it('an unreachable HNS fails the version probe as unreachable too, not as an old HNS', async () => {
        backend.hns.admin('unreachable', { mode: 'unavailable' });
        const e = await unavailable(api.version());
        expect({ reason: e.reason, operation: e.operation }).toEqual({ reason: 'unreachable', operation: 'HNSCall' });
      });

      it('a hanging HNS is HnsUnavailableError(timeout) naming the operation and object', async () => {
        backend.hns.admin('unreachable', { mode: 'hang' });
        const id = randomUUID();
        const e = await unavailable(another({ timeoutMs: 100 }).query('Endpoint', id, query()));
        expect({ reason: e.reason, operation: e.operation, object: e.object }).toEqual({ reason: 'timeout', operation: 'HcnOpenEndpoint', object: id });
      });

      it('an open answered only after the timeout leaves nothing behind', async () => {
        const ep = await endpoint(await network());
        backend.hns.admin('fault', { method: 'HcnOpenEndpoint', delayMs: -1 });
        const e = await unavailable(another({ timeoutMs: 100 }).query('Endpoint', ep.ID, query()));
        expect(e.reason).toBe('timeout');
        backend.hns.admin('clearFaults'); // the held answer goes out now; afterEach checks nothing leaked
      });
    });
  });
}
