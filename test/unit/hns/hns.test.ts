import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InProcessHcnApi } from '../../../hns-mock/in-process.js';
import { type MockServer, startMockServer } from '../../../hns-mock/server.js';
import { MockHns } from '../../../hns-mock/service.js';
import { HRESULT, type HcnApi, type HcnResource, HnsError, HnsUnavailableError } from '../../../src/hns/api.js';
import { GrpcHcnApi } from '../../../src/hns/grpc.js';
import { HnsProtocolError, HnsService, NotFoundError, featuresFor, isNotFound } from '../../../src/hns/hns.js';
import type { HostComputeEndpointSettings, HostComputeNetworkSettings } from '../../../src/hns/schema.js';

const SV = { Major: 2, Minor: 0 };

function networkSettings(name = 'k8s-pod-net', prefix = '10.244.3'): HostComputeNetworkSettings {
  return {
    SchemaVersion: SV,
    Name: name,
    Type: 'L2Bridge',
    Ipams: [{ Type: 'Static', Subnets: [{ IpAddressPrefix: `${prefix}.0/24`, Routes: [{ NextHop: `${prefix}.2`, DestinationPrefix: '0.0.0.0/0' }] }] }],
    Policies: [{ Type: 'NetAdapterName', Settings: { NetworkAdapterName: 'Ethernet' } }],
  };
}

function endpointSettings(name: string, ip: string): HostComputeEndpointSettings {
  return {
    SchemaVersion: SV,
    Name: name,
    IpConfigurations: [{ IpAddress: ip, PrefixLength: 24 }],
    Routes: [{ NextHop: '10.244.3.2', DestinationPrefix: '0.0.0.0/0' }],
    Policies: [{ Type: 'OutBoundNAT', Settings: { Exceptions: ['10.244.0.0/16', '10.96.0.0/12'] } }],
  };
}

describe('featuresFor (the reference feature table)', () => {
  it('turns every feature off for a failed probe', () => {
    expect(Object.values(featuresFor(undefined)).every((v) => v === false)).toBe(true);
  });

  it('applies DSR ranges 9.3–9.x and >= 10.2', () => {
    const dsr = (Major: number, Minor: number) => featuresFor({ Major, Minor }).dsr;
    expect([dsr(9, 2), dsr(9, 3), dsr(9, 99), dsr(10, 0), dsr(10, 1), dsr(10, 2), dsr(15, 4)]).toEqual([false, true, true, false, false, true, true]);
  });

  it('applies IPv6DualStack >= 11.10, L4Proxy ranges and the 15.x features', () => {
    expect(featuresFor({ Major: 11, Minor: 9 }).ipv6DualStack).toBe(false);
    expect(featuresFor({ Major: 11, Minor: 10 }).ipv6DualStack).toBe(true);
    expect(featuresFor({ Major: 10, Minor: 6 }).l4Proxy).toBe(true);
    expect(featuresFor({ Major: 11, Minor: 10 }).l4Proxy).toBe(false);
    expect(featuresFor({ Major: 15, Minor: 0 }).disableHostPort).toBe(false);
    expect(featuresFor({ Major: 15, Minor: 1 }).disableHostPort).toBe(true);
    expect(featuresFor({ Major: 9, Minor: 2 })).toMatchObject({ apiV1: true, apiV2: true, remoteSubnet: true, vxlanPort: false });
  });
});

interface Backend {
  name: string;
  start(): Promise<{ hns: MockHns; stop(): Promise<void> }>;
  api(hns: MockHns): HcnApi;
}

let dir: string;
let grpcServer: MockServer | undefined;

const backends: Backend[] = [
  {
    name: 'in-process',
    async start() {
      const hns = new MockHns();
      return { hns, stop: async () => hns.close() };
    },
    api: (hns) => new InProcessHcnApi(hns),
  },
  {
    name: 'gRPC',
    async start() {
      grpcServer = await startMockServer({ listen: `unix://${path.join(dir, 'hns.sock')}` });
      return { hns: grpcServer.hns, stop: () => grpcServer!.stop() };
    },
    api: () => new GrpcHcnApi({ address: grpcServer!.address }),
  },
];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hns-svc-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each(backends)('HnsService over $name', (backend) => {
  let hns: MockHns;
  let stop: () => Promise<void>;
  let api: HcnApi;
  let svc: HnsService;

  beforeAll(async () => {
    ({ hns, stop } = await backend.start());
  });
  afterAll(async () => {
    await stop();
  });
  beforeEach(() => {
    hns.admin('reset');
    api = backend.api(hns);
    svc = new HnsService(api);
  });
  afterEach(() => {
    api.close();
  });

  describe('networks', () => {
    it('creates a network and finds it by name and by id in any case', async () => {
      const net = await svc.createNetwork(networkSettings());
      expect(net.Name).toBe('k8s-pod-net');
      expect(await svc.findNetworkByName('k8s-pod-net')).toEqual(net);
      expect((await svc.getNetwork(net.ID.toLowerCase()))?.ID).toBe(net.ID);
    });

    it('returns every network of a duplicated name, and nothing for an unknown name or id', async () => {
      const a = await svc.createNetwork(networkSettings());
      const b = await svc.createNetwork(networkSettings('k8s-pod-net', '10.9.9'));
      expect((await svc.findNetworksByName('k8s-pod-net')).map((n) => n.ID)).toEqual([a.ID, b.ID]);
      expect(await svc.findNetworkByName('nope')).toBeUndefined();
      expect(await svc.findNetworksByName('nope')).toEqual([]);
      expect(await svc.getNetwork('12345678-1234-1234-1234-123456789abc')).toBeUndefined();
    });

    it('reports HNS refusing a network as HnsError with the operation, the name and HNS message', async () => {
      const bad = { ...networkSettings(), Policies: [{ Type: 'NetAdapterName' as const, Settings: { NetworkAdapterName: 'Ethernet 7' } }] };
      const e = await svc.createNetwork(bad).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(HnsError);
      expect(e).toMatchObject({ operation: 'HcnCreateNetwork', object: 'k8s-pod-net', hresult: HRESULT.HCN_E_ADAPTER_NOT_FOUND, hnsMessage: 'An adapter was not found' });
      expect((e as HnsError).message).toBe('HcnCreateNetwork k8s-pod-net: 0x803b0006 HCN_E_ADAPTER_NOT_FOUND: An adapter was not found');
      expect((e as HnsError).errorRecord).toContain('Ethernet 7');
    });
  });

  describe('endpoints', () => {
    it('creates an endpoint and finds it by id, by name and among its network endpoints', async () => {
      const net = await svc.createNetwork(networkSettings());
      const other = await svc.createNetwork(networkSettings('other', '10.9.9'));
      const ep = await svc.createEndpoint(net.ID.toLowerCase(), endpointSettings('c1_k8s-pod-net', '10.244.3.17'));
      await svc.createEndpoint(other.ID, { ...endpointSettings('c2_other', '10.9.9.17'), Routes: [] });
      expect(ep.HostComputeNetwork).toBe(net.ID);
      expect(ep.MacAddress).toMatch(/^00-15-5D-[0-9A-F]{2}-[0-9A-F]{2}-[0-9A-F]{2}$/);
      expect((await svc.getEndpoint(ep.ID.toLowerCase()))?.Name).toBe('c1_k8s-pod-net');
      expect((await svc.findEndpointByName('c1_k8s-pod-net'))?.ID).toBe(ep.ID);
      expect((await svc.listNetworkEndpoints(net.ID.toLowerCase())).map((e) => e.ID)).toEqual([ep.ID]);
    });

    it('lists network endpoints with the VirtualNetwork filter, like hcsshim', async () => {
      const net = await svc.createNetwork(networkSettings());
      await svc.listNetworkEndpoints(net.ID);
      const calls = (hns.admin('calls', { method: 'HcnEnumerateEndpoints' }) as { calls: { args: { Filter: string } }[] }).calls;
      expect(JSON.parse(calls[0]!.args.Filter)).toEqual({ VirtualNetwork: net.ID });
    });

    it('answers "absent" for lookups of missing endpoints', async () => {
      expect(await svc.getEndpoint('12345678-1234-1234-1234-123456789abc')).toBeUndefined();
      expect(await svc.findEndpointByName('nobody')).toBeUndefined();
      expect(await svc.findEndpointsByName('nobody')).toEqual([]);
    });

    it('throws NotFoundError(Network) when creating on a network that does not exist', async () => {
      const missing = '12345678-1234-1234-1234-123456789abc';
      const e = await svc.createEndpoint(missing, endpointSettings('x', '10.244.3.17')).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NotFoundError);
      expect(e).toMatchObject({ resource: 'Network', object: missing, operation: 'HcnOpenNetwork' });
      expect(isNotFound(e)).toBe(true);
    });

    it('deletes an endpoint; deleting it again throws NotFoundError(Endpoint)', async () => {
      const net = await svc.createNetwork(networkSettings());
      const ep = await svc.createEndpoint(net.ID, endpointSettings('c1', '10.244.3.17'));
      await svc.deleteEndpoint(ep.ID.toLowerCase());
      expect(await svc.getEndpoint(ep.ID)).toBeUndefined();
      const e = await svc.deleteEndpoint(ep.ID).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NotFoundError);
      expect(e).toMatchObject({ resource: 'Endpoint', object: ep.ID });
    });

    it('reports a duplicate IP as HnsError 0x80071392 naming the endpoint', async () => {
      const net = await svc.createNetwork(networkSettings());
      await svc.createEndpoint(net.ID, endpointSettings('c1', '10.244.3.17'));
      const e = await svc.createEndpoint(net.ID, endpointSettings('c2', '10.244.3.17')).catch((x: unknown) => x);
      expect(e).toMatchObject({ name: 'HnsError', hresult: HRESULT.ERROR_OBJECT_ALREADY_EXISTS, operation: 'HcnCreateEndpoint', object: 'c2', hnsMessage: 'The object already exists.' });
      expect(isNotFound(e)).toBe(false);
    });

    it('skips an endpoint that vanishes between enumerate and query', async () => {
      const net = await svc.createNetwork(networkSettings());
      const a = await svc.createEndpoint(net.ID, endpointSettings('a', '10.244.3.10'));
      const b = await svc.createEndpoint(net.ID, endpointSettings('b', '10.244.3.11'));
      hns.admin('fault', { method: 'HcnOpenEndpoint', hresult: 'HCN_E_ENDPOINT_NOT_FOUND' });
      expect((await svc.listNetworkEndpoints(net.ID)).map((e) => e.ID)).toEqual([b.ID]);
      expect(a.ID).not.toBe(b.ID);
    });
  });

  describe('namespaces', () => {
    it('attaches and detaches an endpoint, and lists the namespace endpoint ids', async () => {
      const net = await svc.createNetwork(networkSettings());
      const ep = await svc.createEndpoint(net.ID, endpointSettings('c1', '10.244.3.17'));
      const ns = (hns.admin('namespaceCreate') as { ID: string }).ID.toLowerCase();
      await svc.attachEndpoint(ns, ep.ID.toLowerCase());
      expect((await svc.getEndpoint(ep.ID))?.HostComputeNamespace).toBe(ns.toUpperCase());
      expect((await svc.namespaceEndpointIds(ns))?.map((x) => x.toLowerCase())).toEqual([ep.ID.toLowerCase()]);
      expect((await svc.getNamespace(ns))?.Type).toBe('Host');
      await svc.detachEndpoint(ns, ep.ID);
      expect(await svc.namespaceEndpointIds(ns)).toEqual([]);
    });

    it("finds the host's default namespace with the IsDefault filter, and nothing when there is none", async () => {
      hns.admin('namespaceCreate');
      const host = await svc.findHostDefaultNamespace();
      expect(host).toMatchObject({ Type: 'HostDefault', NamespaceId: 1 });
      const calls = (hns.admin('calls', { method: 'HcnEnumerateNamespaces' }) as { calls: { args: { Filter: string } }[] }).calls;
      expect(JSON.parse(calls[0]!.args.Filter)).toEqual({ IsDefault: true });
      hns.admin('namespaceDelete', { id: host!.ID });
      expect(await svc.findHostDefaultNamespace()).toBeUndefined();
    });

    it('surfaces a second attach as HnsError HCN_E_ENDPOINT_ALREADY_ATTACHED', async () => {
      const net = await svc.createNetwork(networkSettings());
      const ep = await svc.createEndpoint(net.ID, endpointSettings('c1', '10.244.3.17'));
      const ns = (hns.admin('namespaceCreate') as { ID: string }).ID;
      await svc.attachEndpoint(ns, ep.ID);
      await expect(svc.attachEndpoint(ns, ep.ID)).rejects.toMatchObject({ name: 'HnsError', hresult: HRESULT.HCN_E_ENDPOINT_ALREADY_ATTACHED });
    });

    it('throws NotFoundError(Namespace) for a missing namespace and NotFoundError(Endpoint) for a missing endpoint', async () => {
      const net = await svc.createNetwork(networkSettings());
      const ep = await svc.createEndpoint(net.ID, endpointSettings('c1', '10.244.3.17'));
      const missing = '12345678-1234-1234-1234-123456789abc';
      await expect(svc.attachEndpoint(missing, ep.ID)).rejects.toMatchObject({ name: 'NotFoundError', resource: 'Namespace', object: missing, operation: 'HcnOpenNamespace' });
      await expect(svc.detachEndpoint(missing, ep.ID)).rejects.toMatchObject({ name: 'NotFoundError', resource: 'Namespace' });
      const ns = (hns.admin('namespaceCreate') as { ID: string }).ID;
      await expect(svc.attachEndpoint(ns, missing)).rejects.toMatchObject({ name: 'NotFoundError', resource: 'Endpoint', object: missing });
      expect(await svc.getNamespace(missing)).toBeUndefined();
      expect(await svc.namespaceEndpointIds(missing)).toBeUndefined();
    });
  });

  describe('version probe', () => {
    it('reports the HNS version and its features', async () => {
      hns.admin('setVersion', { version: '10.1' });
      const probe = await svc.probe();
      expect(probe.version).toEqual({ Major: 10, Minor: 1 });
      expect(probe.features).toMatchObject({ apiV2: true, dsr: false, ipv6DualStack: false });
    });

    it('probes once per service', async () => {
      await svc.probe();
      await svc.probe();
      expect((hns.admin('calls', { method: 'HNSCall' }) as { calls: unknown[] }).calls).toHaveLength(1);
    });

    it('turns every feature off when the probe fails', async () => {
      hns.admin('fault', { method: 'HNSCall', hresult: 'E_NOTIMPL' });
      const probe = await svc.probe();
      expect(probe.version).toBeUndefined();
      expect(probe.error).toContain('0x80004001');
      expect(Object.values(probe.features).some(Boolean)).toBe(false);
    });
  });

  it('passes other HNS failures through as HnsError', async () => {
    hns.admin('fault', { method: 'HcnEnumerateNetworks', hresult: 'HCN_E_MANAGER_STOPPED' });
    await expect(svc.findNetworkByName('x')).rejects.toMatchObject({ name: 'HnsError', operation: 'HcnEnumerateNetworks', object: '{"Name":"x"}', hresult: HRESULT.HCN_E_MANAGER_STOPPED });
  });
});

/** An HcnApi answering from a table, to pin down how the service reads odd answers. */
class FakeApi implements HcnApi {
  constructor(private readonly answers: Partial<Record<'enumerate' | 'create' | 'query' | 'modify' | 'delete' | 'version', (resource?: HcnResource) => string>>) {}
  private answer(op: 'enumerate' | 'create' | 'query' | 'modify' | 'delete' | 'version', resource?: HcnResource): Promise<string> {
    const f = this.answers[op];
    if (!f) return Promise.reject(new Error(`unexpected ${op}`));
    try {
      return Promise.resolve(f(resource));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  enumerate(resource: HcnResource): Promise<string> {
    return this.answer('enumerate', resource);
  }
  create(resource: HcnResource): Promise<string> {
    return this.answer('create', resource);
  }
  query(resource: HcnResource): Promise<string> {
    return this.answer('query', resource);
  }
  async modify(resource: HcnResource): Promise<void> {
    await this.answer('modify', resource);
  }
  async delete(resource: HcnResource): Promise<void> {
    await this.answer('delete', resource);
  }
  version(): Promise<string> {
    return this.answer('version');
  }
  close(): void {}
}

describe('HnsService reading HNS answers', () => {
  const NS = '11111111-2222-3333-4444-555555555555';
  const EP = 'b39a0f52-6c1e-4d7a-8e25-91f0c3d4a6b7';

  it('treats 0x80070490 from a query as absent', async () => {
    const svc = new HnsService(
      new FakeApi({
        query: () => {
          throw new HnsError('HcnOpenNamespace', NS, HRESULT.ERROR_NOT_FOUND, 'Element not found.');
        },
      }),
    );
    expect(await svc.getNamespace(NS)).toBeUndefined();
  });

  it('reads a namespace whose resources spell the endpoint key ID (hcsshim) rather than Id', async () => {
    const svc = new HnsService(new FakeApi({ query: () => JSON.stringify({ ID: NS, Resources: [{ Type: 'Endpoint', Data: { ID: EP } }] }) }));
    expect(await svc.namespaceEndpointIds(NS)).toEqual([EP]);
  });

  it('treats a null enumerate answer as none', async () => {
    const svc = new HnsService(new FakeApi({ enumerate: () => 'null' }));
    expect(await svc.findEndpointsByName('x')).toEqual([]);
  });

  it('drops enumerated objects whose name does not match (a filter HNS ignored)', async () => {
    const svc = new HnsService(new FakeApi({ enumerate: () => JSON.stringify([EP]), query: () => JSON.stringify({ ID: EP, Name: 'other', HostComputeNetwork: NS }) }));
    expect(await svc.findEndpointsByName('mine')).toEqual([]);
  });

  it('reports a malformed answer as HnsProtocolError naming the operation and the field', async () => {
    const svc = new HnsService(new FakeApi({ query: () => JSON.stringify({ ID: EP, HostComputeNetwork: NS, IpConfigurations: 'x' }) }));
    const e = await svc.getEndpoint(EP).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HnsProtocolError);
    expect((e as Error).message).toBe(`HcnQueryEndpointProperties ${EP}: HNS returned an unexpected document: IpConfigurations: must be an array, got a string`);
    const notJson = new HnsService(new FakeApi({ enumerate: () => '<html>' }));
    await expect(notJson.findNetworksByName('x')).rejects.toBeInstanceOf(HnsProtocolError);
  });

  it('does not cache an unreachable probe, and treats a refused or malformed envelope as a failed probe', async () => {
    let n = 0;
    const flaky = new HnsService(
      new FakeApi({
        version: () => {
          n++;
          if (n === 1) throw new HnsUnavailableError('HNSCall', '/globals/version', 'unreachable', 'HNS not reachable at x: down');
          return JSON.stringify({ Success: true, Output: { Major: 13, Minor: 2 } });
        },
      }),
    );
    await expect(flaky.probe()).rejects.toBeInstanceOf(HnsUnavailableError);
    expect((await flaky.probe()).features.l4WfpProxy).toBe(true);

    const refused = new HnsService(new FakeApi({ version: () => JSON.stringify({ Success: false, Error: 'no' }) }));
    expect(await refused.probe()).toMatchObject({ version: undefined, error: 'HNS refused the version probe: no' });
    const garbage = new HnsService(new FakeApi({ version: () => '{"Success":"yes"}' }));
    expect((await garbage.probe()).error).toContain('unexpected version answer');
  });

  it('maps a not-found during a namespace modify that is not the endpoint code to the namespace', async () => {
    const svc = new HnsService(
      new FakeApi({
        modify: () => {
          throw new HnsError('HcnModifyNamespace', NS, HRESULT.ERROR_NOT_FOUND, 'Element not found.');
        },
      }),
    );
    await expect(svc.detachEndpoint(NS, EP)).rejects.toMatchObject({ name: 'NotFoundError', resource: 'Namespace' });
  });
});
