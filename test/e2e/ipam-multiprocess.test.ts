// 100 processes allocate from one /24 at the same time, then 100 release at the same time. Only the OS
// lock keeps them apart, so this is the test that the lock and the store are right together.

import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../unit/ipam/helpers.js';

const ROOT = resolve(__dirname, '../..');
const N = 100;
let tmp: ReturnType<typeof tempDir>;
let harness: string;

beforeAll(() => {
  tmp = tempDir('hnsbridge-ipam-mp-');
  harness = join(tmp.dir, 'harness.cjs');
  buildSync({
    entryPoints: [join(ROOT, 'test/fixtures/ipam/harness.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: harness,
    // The native addon stays a package; NODE_PATH below lets the bundle find it.
    external: ['ffi-rs', '@yuuang/*'],
    logLevel: 'error',
  });
});
afterAll(() => tmp?.cleanup());

interface Outcome {
  ok: boolean;
  result?: unknown;
  code?: number;
  msg?: string;
}

function runHarness(job: Record<string, unknown>): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [harness, JSON.stringify(job)], {
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', () => {
      try {
        done(JSON.parse(out) as Outcome);
      } catch {
        fail(new Error(`harness printed no JSON (stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)})`));
      }
    });
  });
}

describe('host-local store under 100 concurrent processes', () => {
  it('100 concurrent ADDs get 100 distinct addresses; 100 concurrent DELs leave no reservation', async () => {
    const dataDir = join(tmp.dir, 'data');
    const ipam = { type: 'host-local', ranges: [[{ subnet: '10.50.0.0/24' }]], dataDir };
    const network = 'mp';
    const cids = Array.from({ length: N }, (_, i) => `ctr-${String(i).padStart(3, '0')}`);

    const adds = await Promise.all(cids.map((containerId) => runHarness({ op: 'add', network, ipam, containerId, ifname: 'eth0' })));
    for (const a of adds) expect(a, a.msg).toMatchObject({ ok: true });
    const got = adds.map((a) => (a.result as { ips: { ip: string }[] }).ips[0]!.ip);
    expect(new Set(got).size).toBe(N);
    // Starting from an empty store, every allocation continues after the previous one under the lock,
    // so together they are exactly .2 … .101, whatever order the processes ran in.
    const expected = Array.from({ length: N }, (_, i) => `10.50.0.${i + 2}`);
    expect([...got].sort()).toEqual([...expected].sort());

    const dir = join(dataDir, network);
    const files = readdirSync(dir).sort();
    expect(files).toEqual([...expected, 'last_reserved_ip.0', 'lock'].sort());
    // Each file names its owner, and the owner got that very address.
    cids.forEach((cid, i) => expect(readFileSync(join(dir, got[i]!), 'utf8')).toBe(`${cid}\r\neth0`));
    expect(readFileSync(join(dir, 'last_reserved_ip.0'), 'utf8')).toBe('10.50.0.101');

    const dels = await Promise.all(cids.map((containerId) => runHarness({ op: 'del', network, ipam, containerId, ifname: 'eth0' })));
    dels.forEach((d, i) => expect(d).toEqual({ ok: true, result: [got[i]] }));
    expect(readdirSync(dir).sort()).toEqual(['last_reserved_ip.0', 'lock']);
    const listed = await runHarness({ op: 'list', network, ipam });
    expect(listed).toEqual({ ok: true, result: [] });
  });
});
