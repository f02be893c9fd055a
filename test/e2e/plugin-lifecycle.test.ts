// The plugin binary driven as containerd drives it, against hns-mock running as its own process.
// The suite runs once per backend: gRPC to the mock, and (when the stand-in library is built) FFI
// through the computenetwork stand-in that forwards to the same mock.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockDaemon, Pod, type PluginTarget, ROOT, allSettled, podEndpoints, reservations, runPlugin, startMock, tempDir, testConfig } from './harness.js';

const STAND_IN = path.join(ROOT, 'build', 'stand-in', 'libcomputenetwork.so');
const backends: [string, boolean][] = [
  ['mock', true],
  ['ffi', fs.existsSync(STAND_IN)],
];

for (const [backend, available] of backends) {
  describe.skipIf(!available)(`plugin lifecycle (HNS_BACKEND=${backend})`, () => {
    let mock: MockDaemon;
    let dir: string;
    let target: PluginTarget;
    let n = 0;
    const cid = (): string => `c${++n}${'0'.repeat(8)}${Date.now().toString(16)}`;

    beforeAll(async () => {
      mock = await startMock({ framed: backend === 'ffi' });
      target = {
        env:
          backend === 'ffi'
            ? { HNS_BACKEND: 'ffi', HNS_FFI_LIBRARY: STAND_IN, HNS_VMCOMPUTE_LIBRARY: STAND_IN, HNS_MOCK_FRAMED: mock.framed }
            : { HNS_BACKEND: 'mock', HNS_MOCK_ADDRESS: mock.address },
      };
    });
    afterAll(async () => mock?.stop());
    beforeEach(async () => {
      await mock.admin.admin('reset');
      dir = tempDir('hnsbridge-e2e');
    });

    it('runs a pod through ADD, CHECK and DEL with prevResult cached and passed back like libcni', async () => {
      const ns = await mock.createNamespace();
      const pod = new Pod(target, testConfig(dir), cid(), ns);
      const add = await pod.add();
      expect(add.code, add.stdout).toBe(0);
      expect(add.doc).toMatchObject({
        cniVersion: '1.1.0',
        interfaces: [{ name: 'eth0', sandbox: ns }],
        ips: [{ address: '10.244.1.3/24', gateway: '10.244.1.2', interface: 0 }],
        dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
      });
      expect((add.doc?.interfaces as { mac: string }[])[0]?.mac).toMatch(/^([0-9A-F]{2}-){5}[0-9A-F]{2}$/i);

      const dump = await mock.dump();
      const eps = podEndpoints(dump);
      expect(eps).toHaveLength(1);
      expect(eps[0]).toMatchObject({ HostComputeNamespace: ns, IpConfigurations: [{ IpAddress: '10.244.1.3', PrefixLength: 24 }] });
      expect(dump.networks).toHaveLength(1);
      expect(dump.networks[0]).toMatchObject({ Name: 'pods', Type: 'L2Bridge' });
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual(['10.244.1.3']);
      expect(fs.readFileSync(path.join(dir, 'ipam', 'pods', '10.244.1.3'), 'utf8')).toBe(`${pod.containerId}\r\neth0`);

      const check = await pod.check();
      expect(check.code, check.stdout).toBe(0);
      expect(check.stdout).toBe('');

      const del = await pod.del();
      expect(del.code, del.stdout).toBe(0);
      expect(del.stdout).toBe('');
      expect(podEndpoints(await mock.dump())).toHaveLength(0);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([]);

      const log = fs.readFileSync(path.join(dir, 'hnsbridge.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const ends = log.filter((l) => l.msg === 'end' || String(l.msg).startsWith('end:'));
      expect(ends.map((l) => [l.verb, l.outcome, l.containerId])).toEqual([
        ['ADD', 'success', pod.containerId],
        ['CHECK', 'success', pod.containerId],
        ['DEL', 'success', pod.containerId],
      ]);
      expect(log.every((l) => l.pod === 'default/pod')).toBe(true);
    });

    it('creates the network and its gateway endpoint once and the gateway sits on the host', async () => {
      const ns = await mock.createNamespace();
      await new Pod(target, testConfig(dir), cid(), ns).add();
      const dump = await mock.dump();
      const gw = dump.endpoints.find((e) => e.Name === 'hnsbridge-gw_pods');
      expect(gw).toMatchObject({ IpConfigurations: [{ IpAddress: '10.244.1.2', PrefixLength: 24 }] });
      const host = dump.namespaces.find((x) => x.Type === 'HostDefault');
      expect(host).toBeDefined();
      expect(String(gw?.HostComputeNamespace).toLowerCase()).toBe(String(host?.ID).toLowerCase());
    });

    it('answers a repeated ADD with the same result and creates nothing', async () => {
      const ns = await mock.createNamespace();
      const pod = new Pod(target, testConfig(dir), cid(), ns);
      const first = await pod.add();
      const creates = await mock.count('HcnCreateEndpoint');
      const second = await pod.add();
      expect(second.code).toBe(0);
      expect(second.doc).toEqual(first.doc);
      expect(await mock.count('HcnCreateEndpoint')).toBe(creates);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toHaveLength(1);
    });

    it('gives 50 parallel pods distinct addresses on one network, and 50 parallel DELs leave nothing', async () => {
      const cfg = testConfig(dir);
      const pods = await allSettled(50, async () => new Pod(target, cfg, cid(), await mock.createNamespace()));
      const adds = await Promise.all(pods.map((p) => p.add()));
      for (const a of adds) expect(a.code, a.stdout).toBe(0);
      expect(new Set(pods.map((p) => p.ip)).size).toBe(50);
      expect(await mock.count('HcnCreateNetwork')).toBe(1);
      const dump = await mock.dump();
      expect(dump.networks).toHaveLength(1);
      expect(podEndpoints(dump)).toHaveLength(50);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toHaveLength(50);

      const dels = await Promise.all(pods.map((p) => p.del()));
      for (const d of dels) expect(d.code, d.stdout).toBe(0);
      expect(podEndpoints(await mock.dump())).toHaveLength(0);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([]);
    });

    it('makes exactly one network when 20 first ADDs race', async () => {
      const cfg = testConfig(dir);
      const pods = await allSettled(20, async () => new Pod(target, cfg, cid(), await mock.createNamespace()));
      const adds = await Promise.all(pods.map((p) => p.add()));
      for (const a of adds) expect(a.code, a.stdout).toBe(0);
      expect(await mock.count('HcnCreateNetwork')).toBe(1);
      expect((await mock.dump()).endpoints.filter((e) => e.Name === 'hnsbridge-gw_pods')).toHaveLength(1);
    });

    it('serialises a DEL that arrives while the same pod\'s ADD is still in HNS (nothing is left afterwards)', async () => {
      const pod = new Pod(target, testConfig(dir), cid(), await mock.createNamespace());
      await new Pod(target, testConfig(dir), cid(), await mock.createNamespace()).add(); // the network exists
      await mock.admin.admin('fault', { method: 'HcnCreateEndpoint', delayMs: 1500, count: 1 });
      const adding = pod.add();
      // Wait until this pod's endpoint create is in HNS (held by the delay), then send DEL.
      const inFlight = async (): Promise<boolean> => {
        const { calls } = await mock.admin.admin<{ calls: { args: unknown }[] }>('calls', { method: 'HcnCreateEndpoint' });
        return calls.some((c) => JSON.stringify(c.args).includes(pod.containerId));
      };
      for (let i = 0; i < 400 && !(await inFlight()); i++) await new Promise((r) => setTimeout(r, 25));
      expect(await inFlight()).toBe(true);
      const del = await pod.del({ withPrevResult: false });
      const add = await adding;
      expect(add.code, add.stdout).toBe(0);
      expect(del.code, del.stdout).toBe(0);
      const left = podEndpoints(await mock.dump()).filter((e) => String(e.Name).includes(pod.containerId));
      expect(left).toHaveLength(0);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toHaveLength(1); // only the other pod's
    });

    it('succeeds on a repeated DEL and on DEL without prevResult', async () => {
      const pod = new Pod(target, testConfig(dir), cid(), await mock.createNamespace());
      await pod.add();
      expect((await pod.del({ withPrevResult: false })).code).toBe(0);
      expect((await pod.del()).code).toBe(0);
      expect((await pod.del({ netns: '' })).code).toBe(0);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([]);
    });

    it('finishes DEL when containerd removed the namespace first', async () => {
      const ns = await mock.createNamespace();
      const pod = new Pod(target, testConfig(dir), cid(), ns);
      await pod.add();
      await mock.admin.admin('namespaceDelete', { id: ns });
      const del = await pod.del();
      expect(del.code, del.stdout).toBe(0);
      expect(podEndpoints(await mock.dump())).toHaveLength(0);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([]);
    });

    it('finishes DEL after a node reboot emptied HNS, releasing the address', async () => {
      const pod = new Pod(target, testConfig(dir), cid(), await mock.createNamespace());
      await pod.add();
      await mock.admin.admin('reboot');
      const del = await pod.del();
      expect(del.code, del.stdout).toBe(0);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([]);
    });

    it('fails DEL with code 11 and keeps the address while HNS is unreachable', async () => {
      const pod = new Pod(target, testConfig(dir, { hnsTimeoutSeconds: 2 }), cid(), await mock.createNamespace());
      await pod.add();
      await mock.admin.admin('unreachable', { mode: 'unavailable' });
      const del = await pod.del();
      await mock.admin.admin('unreachable', { mode: 'off' });
      expect(del.code).toBe(1);
      expect(del.doc?.code).toBe(11);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toHaveLength(1);
      expect((await pod.del()).code).toBe(0);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([]);
    });

    const addSteps = ['HcnEnumerateNetworks', 'HcnCreateNetwork', 'HcnEnumerateEndpoints', 'HcnCreateEndpoint', 'HcnQueryEndpointProperties', 'HcnModifyNamespace'];
    it.each(addSteps)('rolls ADD back completely when %s fails, and the next ADD works', async (method) => {
      const ns = await mock.createNamespace();
      const pod = new Pod(target, testConfig(dir), cid(), ns);
      await mock.admin.admin('fault', { method, hresult: 0x803b000d, count: 1, message: 'injected by the test' });
      const add = await pod.add();
      expect(add.code).toBe(1);
      expect(add.doc?.code).toBe(100);
      expect(String(add.doc?.msg)).toContain('0x803b000d');
      expect(podEndpoints(await mock.dump())).toHaveLength(0);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([]);
      const again = await pod.add();
      expect(again.code, again.stdout).toBe(0);
      expect(podEndpoints(await mock.dump())).toHaveLength(1);
    });

    it('puts port mappings and the runtime DNS on the endpoint', async () => {
      const runtime = {
        portMappings: [
          { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
          { hostPort: 5353, containerPort: 53, protocol: 'udp' },
        ],
        dns: { servers: ['10.96.0.53'], searches: ['team.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
      };
      const pod = new Pod(target, testConfig(dir), cid(), await mock.createNamespace(), 'eth0', runtime);
      const add = await pod.add();
      expect(add.code, add.stdout).toBe(0);
      expect(add.doc?.dns).toEqual({ nameservers: ['10.96.0.53'], search: ['team.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] });
      const ep = podEndpoints(await mock.dump())[0] as { Dns: unknown; Policies: { Type: string; Settings: Record<string, unknown> }[] };
      expect(ep.Dns).toEqual({ ServerList: ['10.96.0.53'], Search: ['team.svc.cluster.local', 'svc.cluster.local'], Options: ['ndots:5'] });
      const maps = ep.Policies.filter((p) => p.Type === 'PortMapping').map((p) => p.Settings);
      expect(maps).toEqual([expect.objectContaining({ Protocol: 6, InternalPort: 80, ExternalPort: 8080 }), expect.objectContaining({ Protocol: 17, InternalPort: 53, ExternalPort: 5353 })]);
      const nat = ep.Policies.find((p) => p.Type === 'OutBoundNAT');
      expect(nat?.Settings.Exceptions).toEqual(['10.244.0.0/16', '10.96.0.0/12']);
      expect((await pod.check()).code).toBe(0);
    });

    it('gives a dual-stack pod one address of each family', async () => {
      const cfg = testConfig(dir, { ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }], [{ subnet: 'fd00:10:244:1::/64' }]], dataDir: path.join(dir, 'ipam') } });
      const pod = new Pod(target, cfg, cid(), await mock.createNamespace(), 'eth0', { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
      const add = await pod.add();
      expect(add.code, add.stdout).toBe(0);
      expect(add.doc?.ips).toEqual([
        { address: '10.244.1.3/24', gateway: '10.244.1.2', interface: 0 },
        { address: 'fd00:10:244:1::3/64', gateway: 'fd00:10:244:1::2', interface: 0 },
      ]);
      const dump = await mock.dump();
      expect((dump.networks[0] as { Ipams: { Subnets: unknown[] }[] }).Ipams[0]?.Subnets).toHaveLength(2);
      const ep = podEndpoints(dump)[0] as { IpConfigurations: unknown[]; Policies: { Type: string; Settings: { Flags?: number } }[] };
      expect(ep.IpConfigurations).toHaveLength(2);
      expect(ep.Policies.filter((p) => p.Type === 'PortMapping').map((p) => p.Settings.Flags ?? 0)).toEqual([0, 2]);
      expect((await pod.check()).code).toBe(0);
      expect((await pod.del()).code).toBe(0);
    });

    it('reports a pod lost in an HNS restart from CHECK, naming the endpoint', async () => {
      const pod = new Pod(target, testConfig(dir), cid(), await mock.createNamespace());
      await pod.add();
      await mock.admin.admin('restart');
      const check = await pod.check();
      expect(check.code).toBe(1);
      expect(String(check.doc?.msg)).toMatch(/endpoint hnsbridge-pod_.* does not exist/);
    });

    it('fails CHECK when prevResult names another address than the endpoint has', async () => {
      const pod = new Pod(target, testConfig(dir), cid(), await mock.createNamespace());
      await pod.add();
      (pod.result as { ips: { address: string }[] }).ips[0] = { ...(pod.result as { ips: { address: string }[] }).ips[0], address: '10.244.1.99/24' };
      const check = await pod.check();
      expect(check.code).toBe(1);
      expect(String(check.doc?.details)).toContain('10.244.1.99');
    });

    it('collects garbage: only attachments outside the valid list, never foreign endpoints', async () => {
      const cfg = testConfig(dir);
      const pods = await allSettled(3, async () => new Pod(target, cfg, cid(), await mock.createNamespace()));
      for (const p of pods) expect((await p.add()).code).toBe(0);
      const [keep] = pods as [Pod, Pod, Pod];
      const valid = [{ containerID: keep.containerId, ifname: 'eth0' }];
      const gc = await runPlugin(target, { command: 'GC', config: { ...cfg, 'cni.dev/valid-attachments': valid } });
      expect(gc.code, gc.stdout).toBe(0);
      const left = podEndpoints(await mock.dump());
      expect(left).toHaveLength(1);
      expect(String(left[0]?.Name)).toContain(keep.containerId);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([keep.ip]);
      expect((await mock.dump()).endpoints.some((e) => e.Name === 'hnsbridge-gw_pods')).toBe(true);
    });

    it('reports readiness from STATUS, and code 50 when HNS is down', async () => {
      const cfg = testConfig(dir);
      expect((await runPlugin(target, { command: 'STATUS', config: cfg })).code).toBe(0);
      await mock.admin.admin('unreachable', { mode: 'unavailable' });
      const down = await runPlugin(target, { command: 'STATUS', config: testConfig(dir, { hnsTimeoutSeconds: 2 }) });
      await mock.admin.admin('unreachable', { mode: 'off' });
      expect(down.code).toBe(1);
      expect(down.doc?.code).toBe(50);
      expect(String(down.doc?.msg)).toContain('HNS');
    });

    // HCN has no adapter list: on Windows STATUS asks the OS, against the mock it asks the mock's host.
    if (backend === 'mock') it('reports a missing host adapter from STATUS before the network exists', async () => {
      const ok = await runPlugin(target, { command: 'STATUS', config: testConfig(dir, { adapter: 'Ethernet' }) });
      expect(ok.code, ok.stdout).toBe(0);
      const missing = await runPlugin(target, { command: 'STATUS', config: testConfig(dir, { adapter: 'Ethernet 9' }) });
      expect(missing.code).toBe(1);
      expect(missing.doc?.code).toBe(50);
      expect(String(missing.doc?.msg)).toContain('"Ethernet 9" does not exist');
    });

    it('refuses a netns that is not a namespace GUID with code 4 and changes nothing', async () => {
      const before = await mock.dump();
      const r = await new Pod(target, testConfig(dir), cid(), 'none').add();
      expect(r.code).toBe(1);
      expect(r.doc?.code).toBe(4);
      expect(String(r.doc?.msg)).toContain('CNI_NETNS');
      const after = await mock.dump();
      expect(after.networks).toEqual(before.networks);
      expect(after.endpoints).toEqual(before.endpoints);
      expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([]);
    });

    it.each(['win-bridge-migration.conflist', 'sdnbridge-migration.conflist', 'hnsbridge.conflist', 'dual-stack.conflist', 'port-mappings.conflist'])('runs a pod with conf/%s (only paths changed)', async (file) => {
      const list = JSON.parse(fs.readFileSync(path.join(ROOT, 'conf', file), 'utf8')) as { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
      const plugin = { ...list.plugins[0], cniVersion: list.cniVersion, name: list.name } as Record<string, unknown>;
      plugin.ipam = { ...(plugin.ipam as object), dataDir: path.join(dir, 'ipam') };
      plugin.log = { file: path.join(dir, 'hnsbridge.log') };
      delete plugin.adapter;
      const pod = new Pod(target, plugin, cid(), await mock.createNamespace(), 'eth0', { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
      const add = await pod.add();
      expect(add.code, add.stdout).toBe(0);
      expect(add.doc?.cniVersion).toBe(list.cniVersion);
      expect(podEndpoints(await mock.dump())).toHaveLength(1);
      if (list.cniVersion !== '0.3.0' && list.cniVersion !== '0.3.1') {
        // libcni sends CHECK only from 0.4.0 on.
        const check = await pod.check();
        expect(check.code, check.stdout).toBe(0);
      }
      expect((await pod.del()).code).toBe(0);
      expect(podEndpoints(await mock.dump())).toHaveLength(0);
    });
  });
}
