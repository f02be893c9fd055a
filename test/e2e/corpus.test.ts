// The bad-input corpus (issue #8, operator requirements 7, 9 and 12): a few hundred malformed
// configs and environments from test/fixtures/corpus/generate.ts, each run through the built binary
// as its own process against a live mock that already carries a pod. Every one must end in a CNI
// error with the code its category calls for, exit 1 and exactly one JSON document on stdout — and
// change nothing: the mock's state, the IPAM store and the lock files are the same before and after,
// and the mock's call log shows no call from those runs at all (bad input is found before HNS is
// asked anything, so nothing can be half done).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../hns-mock/calllog.js';
import type { MockDump } from '../../hns-mock/service.js';
import { type CorpusCase, generateCorpus } from '../fixtures/corpus/generate.js';
import { type Invocation, type MockDaemon, Pod, type PluginRun, type PluginTarget, runPlugin, startMock, tempDir, testConfig } from './harness.js';
import { heldLocks, hostNamespace, mapLimit, treeHash } from './bench-support.js';

const CONCURRENCY = 8;

describe('bad-input corpus through the built binary', async () => {
  /** Everything under the node's directory except the plugin's own log (which every run appends to). */
  const stateHash = (): string => treeHash(dir, (rel) => rel === 'hnsbridge.log' || rel.startsWith('hnsbridge.log.'));

  async function lastSeq(): Promise<number> {
    const { calls } = await mock.admin.admin<{ calls: CallRecord[] }>('calls');
    return calls.length === 0 ? 0 : (calls[calls.length - 1] as CallRecord).seq;
  }

  function stripCalls(d: MockDump): Omit<MockDump, 'calls'> {
    const { calls: _calls, ...rest } = d;
    return rest;
  }

  // Async: the node is set up while the suite is collected, because the cases (named after what they
  // break) are generated for its config and namespace.
  const mock: MockDaemon = await startMock();
  const target: PluginTarget = { env: { HNS_BACKEND: 'mock', HNS_MOCK_ADDRESS: mock.address } };
  const dir = tempDir('hnsbridge-corpus');
  let netns = '';
  let cases: CorpusCase[] = [];
  try {
    await hostNamespace(mock);
    const config = testConfig(dir, { hnsTimeoutSeconds: 5 });
    // A node with something to lose: the network, its gateway, a pod and its reservation.
    const resident = new Pod(target, config, 'corpus-resident', await mock.createNamespace());
    const residentAdd = await resident.add();
    if (residentAdd.code !== 0) throw new Error(`resident pod ADD failed: ${residentAdd.stdout}`);
    netns = await mock.createNamespace();
    cases = generateCorpus({ config, netns });
  } catch (e) {
    // The suite is not collected, so afterAll would not run: do not leave the daemon behind.
    await mock.stop();
    throw e;
  }
  const outcomes = new Map<string, PluginRun | Error>();
  let before: { dump: MockDump; tree: string; seq: number };

  beforeAll(async () => {
    before = { dump: await mock.dump(), tree: stateHash(), seq: await lastSeq() };
    await mapLimit(cases, CONCURRENCY, async (c, i) => {
      // The valid ADD, with the case's CNI_* overrides on top (null: the variable is not set at all).
      const vars: Record<string, string | undefined> = {
        CNI_COMMAND: 'ADD',
        CNI_CONTAINERID: `corpus-${i}`,
        CNI_NETNS: netns,
        CNI_IFNAME: 'eth0',
        CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=corpus',
        CNI_PATH: '/opt/cni/bin',
      };
      for (const [k, v] of Object.entries(c.env)) vars[k] = v ?? undefined;
      const inv: Invocation = { command: vars.CNI_COMMAND ?? '', config: undefined, stdin: c.stdin, env: { CNI_PATH: vars.CNI_PATH ?? '' } };
      if (vars.CNI_CONTAINERID !== undefined) inv.containerId = vars.CNI_CONTAINERID;
      if (vars.CNI_NETNS !== undefined) inv.netns = vars.CNI_NETNS;
      if (vars.CNI_IFNAME !== undefined) inv.ifname = vars.CNI_IFNAME;
      if (vars.CNI_ARGS !== undefined) inv.args = vars.CNI_ARGS;
      try {
        outcomes.set(c.name, await runPlugin(target, inv));
      } catch (e) {
        // Not exactly one JSON document on stdout, or the process could not run: reported per case.
        outcomes.set(c.name, e as Error);
      }
    });
  }, 600_000);

  afterAll(async () => {
    const byCode = new Map<number, number>();
    const byCategory = new Map<string, number>();
    for (const c of cases) {
      const o = outcomes.get(c.name);
      const code = o && !(o instanceof Error) ? Number(o.doc?.code) : -1;
      byCode.set(code, (byCode.get(code) ?? 0) + 1);
      byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + 1);
    }
    const codes = [...byCode.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => `code ${k}: ${v}`).join(', ');
    const cats = [...byCategory.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`bad-input corpus: ${cases.length} inputs tried (${cats}); answers: ${codes}`);
    await mock.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has at least 200 inputs, and more than 10 in every category', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    for (const cat of ['decoding', 'version', 'environment', 'config']) expect(cases.filter((c) => c.category === cat).length).toBeGreaterThan(10);
  });

  // One test per input, named after it, so a failure says which input broke which rule.
  it.each(cases.map((c) => [c.name, c] as const))(
    'refuses %s',
    (name, shape) => {
      const o = outcomes.get(name);
      if (o instanceof Error) throw o;
      expect(o).toBeDefined();
      const run = o as PluginRun;
      expect(run.signal).toBeNull();
      expect(run.code, `stdout: ${run.stdout}\nstderr: ${run.stderr.slice(0, 2000)}`).toBe(1);
      // Exactly one document (runPlugin parsed it as one), and a CNI error document at that.
      expect(run.doc).toBeDefined();
      expect(run.doc?.code, String(run.doc?.msg)).toBe(shape.code);
      expect(typeof run.doc?.msg).toBe('string');
      expect(String(run.doc?.msg).length).toBeGreaterThan(0);
      expect(typeof run.doc?.cniVersion).toBe('string');
    },
  );

  it('changed nothing in HNS, in the IPAM store or in the locks, and never called HNS', async () => {
    const after = await mock.dump();
    expect(stripCalls(after)).toEqual(stripCalls(before.dump));
    expect(stateHash()).toBe(before.tree);
    expect(heldLocks(dir)).toEqual([]);
    const calls = (await mock.admin.admin<{ calls: CallRecord[] }>('calls', { since: before.seq })).calls;
    // The strong form of "no mutating call": no call at all.
    expect(calls.filter((c) => /Create|Modify|Delete/.test(c.method)).map((c) => c.method)).toEqual([]);
    expect(calls.map((c) => c.method)).toEqual([]);
  });

  it('left the resident pod working', async () => {
    const pods = (await mock.dump()).endpoints.filter((e) => String(e.Name).startsWith('hnsbridge-pod_corpus-resident_'));
    expect(pods).toHaveLength(1);
    expect(fs.readdirSync(path.join(dir, 'ipam', 'pods')).filter((f) => /^\d/.test(f))).toHaveLength(1);
  });
});
