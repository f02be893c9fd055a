// HNS going away under a running node (issue #8, operator requirements 1, 6 and 8): in the middle
// of a run of 30 pods, HNS restarts (endpoints gone, network and namespaces kept) or the node
// reboots (endpoints, namespaces and the non-persistent network gone, the IPAM files left on disk).
// Then, as containerd and kubelet would:
//   - CHECK reports every lost pod, naming its endpoint, and passes for the pods made afterwards;
//   - the pods started after the event work: after a reboot the network is recreated exactly once,
//     although they all start at the same time, and the gateway is back on the host;
//   - GC with the attachments containerd still considers valid (the survivors, or none at all)
//     removes exactly what leaked: the lost pods' reservations and the endpoint of a pod containerd
//     forgot; nothing of a valid pod, never the gateway or the network;
//   - DEL of a lost pod still succeeds, and new ADDs work.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayEndpointName, podEndpointName } from '../../src/bridge/naming.js';
import { sameGuid } from '../../src/hns/schema.js';
import { type MockDaemon, Pod, type PluginTarget, podEndpoints, reservations, runPlugin, startMock, tempDir, testConfig } from './harness.js';
import { endpointsOf, heldLocks, hostNamespace, mapLimit, reservationsOf } from './bench-support.js';

const NETWORK = 'pods';
const PODS = 30;
const BEFORE = 15;

let mock: MockDaemon;
let target: PluginTarget;
let ids = 0;

beforeAll(async () => {
  mock = await startMock();
  target = { env: { HNS_BACKEND: 'mock', HNS_MOCK_ADDRESS: mock.address } };
});
afterAll(async () => mock?.stop());

async function createNetworkCalls(): Promise<number> {
  return mock.count('HcnCreateNetwork');
}

type Event = 'restart' | 'reboot';
type Valid = 'survivors' | 'none';

describe('HNS restart and node reboot in the middle of a 30-pod run', () => {
  for (const event of ['restart', 'reboot'] as Event[]) {
    for (const valid of ['survivors', 'none'] as Valid[]) {
      it(`${event}: CHECK names every lost pod, new pods work, GC with ${valid === 'none' ? 'an empty valid list' : 'the surviving pods as valid'} removes exactly the leaks`, async () => {
        await mock.admin.admin('reset');
        const host = await hostNamespace(mock);
        const dir = tempDir(`hnsbridge-${event}`);
        const dataDir = path.join(dir, 'ipam');
        const cfg = testConfig(dir, {}, NETWORK);
        const newPod = async (): Promise<Pod> => new Pod(target, cfg, `life${++ids}-${event}-${valid}`, await mock.createNamespace());

        // The first half of the run.
        const lost = await mapLimit(Array.from({ length: BEFORE }), 4, async () => {
          const p = await newPod();
          const add = await p.add();
          expect(add.code, add.stdout).toBe(0);
          return p;
        });

        await mock.admin.admin(event);
        // A host has its default namespace again after a boot (the mock may or may not model that).
        const hostAfter = event === 'reboot' ? await hostNamespace(mock) : host;
        if (event === 'restart') expect(hostAfter).toBe(host);
        const networksBefore = await createNetworkCalls();

        // Right away, before anything is recreated: every lost pod is reported, by endpoint name.
        const early = await mapLimit(lost, 4, (p) => p.check());
        early.forEach((r, i) => {
          const p = lost[i] as Pod;
          expect(r.code).toBe(1);
          expect(r.doc?.code).toBe(102);
          expect(String(r.doc?.msg)).toContain(podEndpointName(p.containerId, 'eth0', NETWORK));
        });

        // The second half of the run, all at once (after a reboot, 15 simultaneous first ADDs).
        const after = await Promise.all(Array.from({ length: PODS - BEFORE }, () => newPod()));
        const adds = await Promise.all(after.map((p) => p.add()));
        for (const a of adds) expect(a.code, a.stdout).toBe(0);
        expect((await createNetworkCalls()) - networksBefore).toBe(event === 'reboot' ? 1 : 0);
        const dump = await mock.dump();
        expect(dump.networks.filter((n) => n.Name === NETWORK)).toHaveLength(1);
        const gws = dump.endpoints.filter((e) => e.Name === gatewayEndpointName(NETWORK));
        expect(gws).toHaveLength(1);
        expect(sameGuid(String(gws[0]?.HostComputeNamespace), hostAfter)).toBe(true);
        // Lost pods keep their addresses reserved (HNS forgot them, IPAM did not), so no new pod got one.
        const lostIps = new Set(lost.map((p) => p.ip));
        expect(after.filter((p) => lostIps.has(p.ip))).toEqual([]);
        expect(reservations(dataDir, NETWORK)).toHaveLength(PODS);

        // CHECK over the whole run: the lost ones fail naming their endpoint, the new ones pass.
        const checks = await mapLimit([...lost, ...after], 4, (p) => p.check());
        checks.forEach((r, i) => {
          const p = (i < BEFORE ? lost[i] : after[i - BEFORE]) as Pod;
          if (i < BEFORE) {
            expect(r.code).toBe(1);
            expect(r.doc?.code).toBe(102);
            expect(String(r.doc?.msg)).toMatch(new RegExp(`endpoint ${podEndpointName(p.containerId, 'eth0', NETWORK)} of container ${p.containerId} (does not exist|is gone)`));
          } else {
            expect(r.code, r.stdout).toBe(0);
          }
        });

        // containerd lost track of one new pod (its sandbox was removed while it was down): a leak.
        const [orphan, ...survivors] = after as [Pod, ...Pod[]];
        const validList = valid === 'none' ? [] : survivors.map((p) => ({ containerID: p.containerId, ifname: 'eth0' }));
        const deletesBefore = await mock.count('HcnDeleteEndpoint');
        const gc = await runPlugin(target, { command: 'GC', config: { ...cfg, 'cni.dev/valid-attachments': validList } });
        expect(gc.code, gc.stdout).toBe(0);
        expect(gc.stdout).toBe('');

        const kept = valid === 'none' ? [] : survivors;
        const afterGc = await mock.dump();
        // Exactly the leaked endpoints were deleted: the orphan's (and, with no valid list, every pod's).
        expect((await mock.count('HcnDeleteEndpoint')) - deletesBefore).toBe(valid === 'none' ? after.length : 1);
        expect(podEndpoints(afterGc).map((e) => e.Name).sort()).toEqual(kept.map((p) => podEndpointName(p.containerId, 'eth0', NETWORK)).sort());
        expect(endpointsOf(afterGc, orphan.containerId, NETWORK)).toEqual([]);
        expect(reservations(dataDir, NETWORK)).toEqual(kept.map((p) => p.ip).sort());
        for (const p of lost) expect(reservationsOf(dataDir, NETWORK, p.containerId)).toEqual([]);
        // Shared state is never collected.
        expect(afterGc.networks.filter((n) => n.Name === NETWORK)).toHaveLength(1);
        expect(afterGc.endpoints.filter((e) => e.Name === gatewayEndpointName(NETWORK))).toHaveLength(1);
        expect(heldLocks(dir)).toEqual([]);

        // The survivors are untouched; DEL of a lost pod (what kubelet sends next) still succeeds.
        for (const r of await mapLimit(kept, 4, (p) => p.check())) expect(r.code, r.stdout).toBe(0);
        for (const r of await mapLimit(lost.slice(0, 3), 3, (p) => p.del())) expect(r.code, r.stdout).toBe(0);

        // And the node goes on: new pods get addresses no valid pod holds.
        const fresh = await Promise.all(Array.from({ length: 5 }, () => newPod()));
        for (const r of await Promise.all(fresh.map((p) => p.add()))) expect(r.code, r.stdout).toBe(0);
        const taken = new Set(kept.map((p) => p.ip));
        expect(fresh.filter((p) => taken.has(p.ip))).toEqual([]);
        expect(new Set(fresh.map((p) => p.ip)).size).toBe(5);
        expect((await mock.dump()).networks.filter((n) => n.Name === NETWORK)).toHaveLength(1);
        fs.rmSync(dir, { recursive: true, force: true }); // kept when the test fails, for a look
      });
    }
  }
});
