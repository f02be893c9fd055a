// The fault matrix (issue #8, operator requirement 2): every HNS call one ADD makes, in every
// position it happens, fails in three ways — an error HRESULT, a hang past the configured timeout,
// and the plugin killed (SIGKILL) while that call is in flight. After each, the runtime's cleanup (a
// DEL, or in the second variant a GC with an empty valid list) must leave no pod endpoint, no
// reservation and no held lock, and the next ADD of the same pod must work and leave the node whole.
//
// The list of calls is not written down here: it is read from the mock's call log of one clean ADD
// per scenario, so a call added to ADD later is covered without touching this file. ADD makes some
// calls at once (the network, gateway and pod lookups and the version probe), so their order of
// arrival varies; a call is therefore named by its function, whether it names the gateway or a pod
// endpoint, and its occurrence among such calls. A fault lands on exactly that call: a fault that
// only delays the answer by 1 ms takes the earlier occurrences (faults are consumed first-added-
// first), then the real fault takes it. Each case checks in the call log that its fault hit the
// intended call.
//
// Independent cases run side by side, each with its own mock daemon (faults are global to a mock).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { gatewayEndpointName, podEndpointName } from '../../src/bridge/naming.js';
import { sameGuid } from '../../src/hns/schema.js';
import type { CallRecord } from '../../hns-mock/calllog.js';
import { type MockDaemon, Pod, type PluginRun, type PluginTarget, podEndpoints, reservations, runPlugin, tempDir, testConfig } from './harness.js';
import { MockPool, endpointsOf, heldLocks, hostNamespace, reservationsOf, sleep, startPlugin } from './bench-support.js';

const NETWORK = 'pods';
const E_FAIL = 0x80004005;
/** The plugin gives up on a call after hnsTimeoutSeconds; the hang outlasts it. */
const TIMEOUT_SECONDS = 1;
const HANG_MS = 2500;
const WORKERS = 3;

type Mode = 'error' | 'hang' | 'kill';
type Cleanup = 'DEL' | 'GC';

interface Scenario {
  name: string;
  extra: Record<string, unknown>;
  /** A neighbour pod already on the node (so the network exists) before the faulted ADD. */
  neighbour: boolean;
}

const SCENARIOS: Scenario[] = [
  // First pod on the node: network, gateway endpoint and its attachment to the host are made too.
  { name: 'empty node', extra: {}, neighbour: false },
  // The network is there; loopbackDSR adds the HNS version probe (HNSCall) to the calls.
  { name: 'network exists', extra: { loopbackDSR: true }, neighbour: true },
];

function target(mock: MockDaemon): PluginTarget {
  return { env: { HNS_BACKEND: 'mock', HNS_MOCK_ADDRESS: mock.address } };
}

let ids = 0;
const cid = (tag: string): string => `f${++ids}-${tag}-${process.pid.toString(16)}`;

async function lastSeq(mock: MockDaemon): Promise<number> {
  const { calls } = await mock.admin.admin<{ calls: CallRecord[] }>('calls');
  return calls.length === 0 ? 0 : (calls[calls.length - 1] as CallRecord).seq;
}

async function callsSince(mock: MockDaemon, since: number): Promise<CallRecord[]> {
  return (await mock.admin.admin<{ calls: CallRecord[] }>('calls', { since })).calls;
}

interface Node {
  dir: string;
  cfg: Record<string, unknown>;
  host: string;
  neighbour: Pod | undefined;
}

/** A fresh node on `mock`: empty HNS with the host's default namespace, a fresh store, and the scenario's neighbour pod. */
async function prepareNode(mock: MockDaemon, s: Scenario): Promise<Node> {
  await mock.admin.admin('reset');
  const host = await hostNamespace(mock);
  const dir = tempDir('hnsbridge-faults');
  const cfg = testConfig(dir, { hnsTimeoutSeconds: TIMEOUT_SECONDS, ...s.extra }, NETWORK);
  let neighbour: Pod | undefined;
  if (s.neighbour) {
    neighbour = new Pod(target(mock), cfg, cid('neighbour'), await mock.createNamespace());
    const add = await neighbour.add();
    if (add.code !== 0) throw new Error(`neighbour ADD failed: ${add.stdout}`);
  }
  return { dir, cfg, host, neighbour };
}

/** One HCN call of ADD, named so the same call can be found in another run. */
interface CallSite {
  method: string;
  /** 'hnsbridge-gw_' or 'hnsbridge-pod_' when the call names such an endpoint (the fault's `match`). */
  key: string | undefined;
  /** 1 for the first call with this method and key, 2 for the second, … */
  occurrence: number;
}

function keyOf(rec: CallRecord): string | undefined {
  const text = JSON.stringify(rec.args ?? '');
  return ['hnsbridge-gw_', 'hnsbridge-pod_'].find((k) => text.includes(k));
}

function sitesOf(calls: CallRecord[]): CallSite[] {
  const seen = new Map<string, number>();
  return calls.map((c) => {
    const key = keyOf(c);
    const id = `${c.method} ${key ?? ''}`;
    const occurrence = (seen.get(id) ?? 0) + 1;
    seen.set(id, occurrence);
    return { method: c.method, key, occurrence };
  });
}

/** The record of `site` among `calls`, if it has been made. */
function findSite(calls: CallRecord[], site: CallSite): CallRecord | undefined {
  return calls.filter((c) => c.method === site.method && keyOf(c) === site.key)[site.occurrence - 1];
}

const describeSite = (s: CallSite): string => `${s.method}${s.key ? ` (${s.key}…)` : ''}${s.occurrence > 1 ? ` #${s.occurrence}` : ''}`;

/** The HCN calls of one clean ADD in the scenario, in the order they arrived. */
async function discover(mock: MockDaemon, s: Scenario): Promise<CallSite[]> {
  const node = await prepareNode(mock, s);
  const since = await lastSeq(mock);
  const pod = new Pod(target(mock), node.cfg, cid('probe'), await mock.createNamespace());
  const add = await pod.add();
  if (add.code !== 0) throw new Error(`discovery ADD failed: ${add.stdout}`);
  return sitesOf(await callsSince(mock, since));
}

/** What ADD must answer when the fault hits `method`, for the error and hang modes. */
function expectedAdd(method: string, mode: Exclude<Mode, 'kill'>): { code: 0 } | { code: 1; cniCode: number } {
  // A failed close is ignored: the call it closes has already succeeded.
  if (method.startsWith('HcnClose')) return { code: 0 };
  // A version probe that fails with an HRESULT means "old HNS, no DSR", not an error (hcsshim does the same).
  if (method === 'HNSCall' && mode === 'error') return { code: 0 };
  return { code: 1, cniCode: mode === 'error' ? 100 : 11 };
}

const totals = { faults: 0, byMode: { error: 0, hang: 0, kill: 0 } as Record<Mode, number>, leaked: 0, cases: 0 };

// Async so the mocks are started and the call lists read while the suite is collected: the cases are
// named after the calls.
describe.concurrent('fault injection at every HNS call of ADD', async () => {
  const pool = await MockPool.start(WORKERS);
  const SEQUENCES = new Map<string, CallSite[]>();
  try {
    await pool.use(async (mock) => {
      for (const s of SCENARIOS) SEQUENCES.set(s.name, await discover(mock, s));
    });
  } catch (e) {
    // The suite is not collected, so afterAll would not run: do not leave the daemons behind.
    await pool.stop();
    throw e;
  }

  afterAll(async () => {
    await pool.stop();
    const positions = [...SEQUENCES.values()].reduce((n, s) => n + s.length, 0);
    console.log(
      `fault matrix: ${totals.faults} faults injected (${totals.byMode.error} error HRESULTs, ${totals.byMode.hang} hangs past the ${TIMEOUT_SECONDS} s timeout, ${totals.byMode.kill} kills mid-call) ` +
        `at ${positions} call positions of ADD in ${SCENARIOS.length} scenarios; ${totals.cases} cases; objects leaked: ${totals.leaked}`,
    );
  });

  it('found the HCN calls of ADD in each scenario', ({ expect }) => {
    const empty = (SEQUENCES.get('empty node') ?? []).map((c) => c.method);
    const existing = (SEQUENCES.get('network exists') ?? []).map((c) => c.method);
    // The calls the issue names must all be among them, or the matrix would not cover them.
    for (const m of ['HcnEnumerateNetworks', 'HcnCreateNetwork', 'HcnQueryNetworkProperties', 'HcnEnumerateNamespaces', 'HcnCreateEndpoint', 'HcnModifyNamespace', 'HcnOpenNamespace']) {
      expect(empty).toContain(m);
    }
    for (const m of ['HcnEnumerateEndpoints', 'HcnQueryEndpointProperties', 'HcnOpenNetwork', 'HcnOpenEndpoint', 'HNSCall', 'HcnCreateEndpoint']) expect(existing).toContain(m);
    expect(existing).not.toContain('HcnCreateNetwork');
    // An unkeyed fault (no `match`) would also catch the keyed calls of its function: so each
    // function's calls either all name a gateway or pod endpoint, or none does.
    for (const sites of SEQUENCES.values()) {
      for (const m of new Set(sites.map((c) => c.method))) {
        const keys = sites.filter((c) => c.method === m).map((c) => c.key);
        expect(keys.every((k) => k === undefined) || keys.every((k) => k !== undefined), `${m}: ${keys.join(', ')}`).toBe(true);
      }
    }
  });

  for (const s of SCENARIOS) {
    const seq = SEQUENCES.get(s.name) ?? [];
    for (const [index, site] of seq.entries()) {
      const { method } = site;
      for (const mode of ['error', 'hang', 'kill'] as Mode[]) {
        // After an error ADD has rolled back by itself, so the GC variant is run where something may be left: hangs and kills.
        for (const cleanup of (mode === 'error' ? ['DEL'] : ['DEL', 'GC']) as Cleanup[]) {
          it(`${s.name}: call ${index + 1}/${seq.length} ${describeSite(site)}: ${mode}, then ${cleanup}`, async ({ expect }) => {
            await pool.use(async (mock) => {
              const node = await prepareNode(mock, s);
              const t = target(mock);
              const ns = await mock.createNamespace();
              const pod = new Pod(t, node.cfg, cid(mode), ns);

              // Inject: let the earlier occurrences of this call through, then the fault itself.
              const since = await lastSeq(mock);
              const match = site.key === undefined ? {} : { match: site.key };
              if (site.occurrence > 1) await mock.admin.admin('fault', { method, ...match, delayMs: 1, count: site.occurrence - 1 });
              const fault =
                mode === 'error'
                  ? { method, ...match, hresult: E_FAIL, count: 1, message: `injected into ${method}` }
                  : // A hang holds the answer of an applied call (HNS did it, the caller never heard);
                    // a kill holds it until the test has killed the plugin.
                    { method, ...match, count: 1, delayMs: mode === 'hang' ? HANG_MS : -1 };
              await mock.admin.admin('fault', fault);
              totals.faults++;
              totals.byMode[mode]++;

              const running = startPlugin(t, { command: 'ADD', containerId: pod.containerId, netns: ns, ifname: 'eth0', args: pod.args, config: node.cfg });
              let add: PluginRun;
              if (mode === 'kill') {
                // Kill once the chosen call is in flight in the mock.
                for (;;) {
                  const rec = findSite(await callsSince(mock, since), site);
                  if (rec?.outcome === 'pending') break;
                  if (running.child.exitCode !== null) break; // finished without reaching it: reported below
                  await sleep(10);
                }
                running.child.kill('SIGKILL');
                add = await running.done;
                expect(add.signal).toBe('SIGKILL');
                expect(add.stdout).toBe('');
              } else {
                add = await running.done;
                const want = expectedAdd(method, mode);
                expect(add.code, add.stdout + add.stderr).toBe(want.code);
                if (want.code === 1) {
                  expect(add.doc?.code).toBe(want.cniCode);
                  // Diagnosable: the HCN function and the code in hex (operator requirement 11).
                  if (mode === 'error') expect(String(add.doc?.msg)).toContain('0x80004005');
                  expect(String(add.doc?.msg)).toContain(method);
                } else {
                  pod.result = add.doc;
                }
              }
              // The fault hit exactly the intended call.
              const hit = findSite(await callsSince(mock, since), site);
              expect(hit?.method).toBe(method);
              expect(hit?.faulted).toBe(true);

              // The runtime cleans up after the failed ADD returned. An HNS call still held by the
              // mock is released first: it was applied already, only its answer was pending.
              await mock.admin.admin('clearFaults');
              for (let i = 0; (await mock.admin.admin<{ held: number }>('stats')).held > 0; i++) {
                if (i > 500) throw new Error('the mock still holds a call');
                await sleep(10);
              }
              const clean =
                cleanup === 'DEL'
                  ? await pod.del()
                  : await runPlugin(t, { command: 'GC', config: { ...node.cfg, 'cni.dev/valid-attachments': [] } });
              expect(clean.code, clean.stdout).toBe(0);
              expect(clean.stdout).toBe('');

              const dataDir = path.join(node.dir, 'ipam');
              const dump = await mock.dump();
              const leftEndpoints = endpointsOf(dump, pod.containerId, NETWORK);
              const leftReservations = reservationsOf(dataDir, NETWORK, pod.containerId);
              const locked = heldLocks(node.dir);
              const leaks = leftEndpoints.length + leftReservations.length + locked.length;
              totals.leaked += leaks;
              totals.cases++;
              expect(leftEndpoints).toEqual([]);
              expect(leftReservations).toEqual([]);
              expect(locked).toEqual([]);
              // The cleanup removed this pod's things and nothing else: GC with [] removes every pod; DEL only this one.
              const neighbours = cleanup === 'GC' || !node.neighbour ? [] : [podEndpointName(node.neighbour.containerId, 'eth0', NETWORK)];
              expect(podEndpoints(dump).map((e) => e.Name)).toEqual(neighbours);
              expect(reservations(dataDir, NETWORK)).toEqual(cleanup === 'GC' || !node.neighbour ? [] : [node.neighbour.ip]);

              // The next ADD of the same pod works and the node is whole again.
              const again = await pod.add();
              expect(again.code, again.stdout).toBe(0);
              const after = await mock.dump();
              const eps = endpointsOf(after, pod.containerId, NETWORK);
              expect(eps).toHaveLength(1);
              expect(sameGuid(String(eps[0]?.HostComputeNamespace), ns)).toBe(true);
              expect(reservationsOf(dataDir, NETWORK, pod.containerId)).toEqual([pod.ip]);
              expect(after.networks.filter((n) => n.Name === NETWORK)).toHaveLength(1);
              // The bridge gateway exists once and sits on the host, whatever the fault interrupted.
              const gws = after.endpoints.filter((e) => e.Name === gatewayEndpointName(NETWORK));
              expect(gws).toHaveLength(1);
              expect(String(gws[0]?.HostComputeNamespace).toLowerCase(), JSON.stringify(after.namespaces)).toBe(node.host.toLowerCase());
              fs.rmSync(node.dir, { recursive: true, force: true }); // kept when a case fails, for a look
            });
          });
        }
      }
    }
  }
});
