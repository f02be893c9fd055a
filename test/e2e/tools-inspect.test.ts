// inspect and gc --dry-run through the built binary against hns-mock as its own process: pods are
// made with the real plugin, then leaked on purpose in each way a node leaks, and the tools must
// name exactly those objects while changing nothing.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockDaemon, PLUGIN, Pod, type PluginTarget, baseEnv, podEndpoints, reservations, startMock, tempDir, testConfig } from './harness.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(target: PluginTarget, args: string[]): Promise<Run> {
  const child = spawn(PLUGIN, args, { env: { ...baseEnv(), ...target.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface InspectJson {
  leaks: { kind: string; containerId?: string; ip?: string; endpointName?: string }[];
  endpoints: { name: string; owner: string; containerId?: string; leaks: string[] }[];
  reservations: { ip: string; containerId: string; leaks: string[] }[];
  networks: { gateway: unknown }[];
  notes: string[];
  summary: { leaks: number; podEndpoints: number; reservations: number };
}

interface PlanJson {
  dryRun: boolean;
  endpoints: { name: string; containerId?: string; ips: string[] }[];
  reservations: { ip: string; containerId: string }[];
}

describe('inspect and gc --dry-run (built binary, hns-mock)', () => {
  let mock: MockDaemon;
  let target: PluginTarget;
  let dir: string;
  let confDir: string;
  let n = 0;

  beforeAll(async () => {
    mock = await startMock();
    target = { env: { HNS_BACKEND: 'mock', HNS_MOCK_ADDRESS: mock.address } };
  });
  afterAll(async () => mock?.stop());
  beforeEach(async () => {
    await mock.admin.admin('reset');
    dir = tempDir('hnsbridge-tools-inspect');
    confDir = path.join(dir, 'net.d');
    fs.mkdirSync(confDir);
    const { cniVersion, name, ...plugin } = testConfig(dir);
    fs.writeFileSync(path.join(confDir, '10-hnsbridge.conflist'), JSON.stringify({ cniVersion, name, plugins: [plugin] }, null, 2));
  });

  async function pods(count: number): Promise<Pod[]> {
    const out: Pod[] = [];
    for (let i = 0; i < count; i++) {
      const pod = new Pod(target, testConfig(dir), `tools${++n}c${'0'.repeat(8)}`, await mock.createNamespace());
      const add = await pod.add();
      expect(add.code, add.stdout).toBe(0);
      out.push(pod);
    }
    return out;
  }

  it('reports a healthy node with exit 0 and every object in place', async () => {
    const [a, b] = await pods(2);
    const r = await cli(target, ['inspect', '--config', confDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as InspectJson;
    expect(doc.leaks).toEqual([]);
    expect(doc.summary).toMatchObject({ leaks: 0, podEndpoints: 2, reservations: 2 });
    expect(doc.endpoints.filter((e) => e.owner === 'pod').map((e) => e.containerId).sort()).toEqual([a?.containerId, b?.containerId].sort());
    expect(doc.endpoints.some((e) => e.owner === 'gateway')).toBe(true);
    expect(doc.networks[0]?.gateway).toBeTruthy();

    const text = await cli(target, ['inspect', '--config', confDir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/ENDPOINTS: 3 \(2 pods, 1 gateway, 0 other\)/);
    expect(text.stdout).toMatch(/\nno leaks\n/);
  });

  it('shows each deliberately leaked object as its kind of leak (exit 2), and gc --dry-run lists exactly those objects and changes nothing', async () => {
    const [noReservation, noNamespace, healthy1, healthy2] = (await pods(4)) as [Pod, Pod, Pod, Pod];
    const ipam = path.join(dir, 'ipam');
    // 1. An endpoint whose reservation is gone (as after a store wiped by hand).
    fs.rmSync(path.join(ipam, 'pods', noReservation.ip));
    // 2. An endpoint whose pod sandbox is gone: containerd removed the namespace without a DEL.
    await mock.admin.admin('namespaceDelete', { id: noNamespace.netns });
    // 3. A reservation nobody holds (an ADD killed after reserving).
    fs.writeFileSync(path.join(ipam, 'pods', '10.244.1.200'), 'ghost0000\r\neth0');

    const before = { dump: await mock.dump(), files: reservations(ipam, 'pods'), calls: (await mock.admin.admin<{ calls: unknown[] }>('calls')).calls.length };

    const r = await cli(target, ['inspect', '--config', confDir, '--json']);
    expect(r.code, r.stderr).toBe(2);
    const doc = JSON.parse(r.stdout) as InspectJson;
    expect(doc.leaks.map((l) => [l.kind, l.containerId, l.ip]).sort()).toEqual(
      [
        ['endpoint-without-reservation', noReservation.containerId, noReservation.ip],
        ['endpoint-without-namespace', noNamespace.containerId, noNamespace.ip],
        ['reservation-without-endpoint', 'ghost0000', '10.244.1.200'],
      ].sort(),
    );
    const leakedOf = (cid: string): string[] => doc.endpoints.find((e) => e.containerId === cid)?.leaks ?? [];
    expect(leakedOf(healthy1.containerId)).toEqual([]);
    expect(leakedOf(healthy2.containerId)).toEqual([]);
    expect(doc.reservations.find((x) => x.ip === '10.244.1.200')?.leaks).toEqual(['reservation-without-endpoint']);

    const text = await cli(target, ['inspect', '--config', confDir]);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(/LEAKS: 3/);
    expect(text.stdout).toMatch(/endpoint-without-namespace/);
    expect(text.stdout).toMatch(/hint: .*GC/);

    // GC, keeping the two healthy pods: exactly the leaked pods' endpoints and the addresses nobody
    // else holds (the detached pod's and the ghost's) would go.
    const plan = await cli(target, ['gc', '--dry-run', '--config', confDir, '--json', '--valid', `${healthy1.containerId}/eth0,${healthy2.containerId}`]);
    expect(plan.code, plan.stderr).toBe(2);
    const p = JSON.parse(plan.stdout) as PlanJson;
    expect(p.dryRun).toBe(true);
    expect(p.endpoints.map((e) => [e.containerId, e.ips[0]]).sort()).toEqual([[noReservation.containerId, noReservation.ip], [noNamespace.containerId, noNamespace.ip]].sort());
    expect(p.reservations.map((x) => [x.containerId, x.ip]).sort()).toEqual([[noNamespace.containerId, noNamespace.ip], ['ghost0000', '10.244.1.200']].sort());
    // Every leak inspect found is in the plan.
    for (const l of doc.leaks) {
      const inPlan = l.kind === 'reservation-without-endpoint' ? p.reservations.some((x) => x.ip === l.ip) : p.endpoints.some((e) => e.name === l.endpointName);
      expect(inPlan, l.kind).toBe(true);
    }

    // Nothing changed: HNS state, the store, and no HCN call that changes anything.
    const after = await mock.dump();
    expect(after.endpoints).toEqual(before.dump.endpoints);
    expect(after.namespaces).toEqual(before.dump.namespaces);
    expect(reservations(ipam, 'pods')).toEqual(before.files);
    const calls = (await mock.admin.admin<{ calls: { method: string }[] }>('calls')).calls.slice(before.calls);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => /Create|Delete|Modify/.test(c.method))).toEqual([]);
  });

  it('gc refuses to act without --dry-run or --yes; with --yes and the valid list it removes the leaks and inspect is clean again', async () => {
    const [leaked, kept] = (await pods(2)) as [Pod, Pod];
    await mock.admin.admin('namespaceDelete', { id: leaked.netns });

    const refused = await cli(target, ['gc', '--config', confDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refusing to remove anything without --dry-run/);
    const noList = await cli(target, ['gc', '--yes', '--config', confDir]);
    expect(noList.code).toBe(1);
    expect(noList.stderr).toMatch(/--valid/);
    expect(podEndpoints(await mock.dump())).toHaveLength(2);

    const done = await cli(target, ['gc', '--yes', '--config', confDir, '--valid', kept.containerId]);
    expect(done.code, done.stderr + done.stdout).toBe(0);
    const left = podEndpoints(await mock.dump());
    expect(left).toHaveLength(1);
    expect(String(left[0]?.Name)).toContain(kept.containerId);
    expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([kept.ip]);
    // Logged where the plugin logs, like the GC verb.
    const log = fs.readFileSync(path.join(dir, 'hnsbridge.log'), 'utf8');
    expect(log).toMatch(/"msg":"GC run by hand"/);
    expect(log).toMatch(/"msg":"GC removed a leaked endpoint"/);
    expect((await cli(target, ['inspect', '--config', confDir])).code).toBe(0);
    expect((await cli(target, ['gc', '--dry-run', '--config', confDir, '--valid', kept.containerId])).code).toBe(0);
  });

  it('says when HNS cannot be reached (exit 1) and notes a network not created yet', async () => {
    const empty = await cli(target, ['inspect', '--config', confDir, '--json']);
    expect(empty.code).toBe(0);
    expect((JSON.parse(empty.stdout) as InspectJson).notes.join('\n')).toMatch(/no network "pods" \(yet\)/);
    expect(fs.existsSync(path.join(dir, 'ipam'))).toBe(false);

    await mock.admin.admin('unreachable', { mode: 'unavailable' });
    try {
      const r = await cli(target, ['inspect', '--config', confDir]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/cannot reach hns-mock at /);
      expect(r.stderr).toMatch(/hint: is hns-mock serving/);
    } finally {
      await mock.admin.admin('unreachable', { mode: 'off' });
    }
  });
});
