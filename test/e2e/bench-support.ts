// Helpers the fault, lifecycle and bad-input suites share on top of harness.ts: a plugin process
// the test can kill mid-call, a probe that proves a lock file is free, a fingerprint of a directory
// tree, a pool of mock daemons for cases that run side by side, and the objects a pod leaves behind.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { podEndpointName } from '../../src/bridge/naming.js';
import type { MockDump } from '../../hns-mock/service.js';
import { type MockDaemon, startMock } from './harness.js';

export { type RunningPlugin, startPlugin } from './harness.js';

/** Every lock file under `dir`: host-local's `<network>/lock` and hnsbridge's `*.lock` files. */
export function lockFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.name === 'lock' || ent.name.endsWith('.lock')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Lock files under `dir` that another process holds right now. Probed with flock(1) and LOCK_NB from
 * a fresh process: the plugin locks with flock(2) on Linux, so a lock a dead or finished plugin still
 * held would make the probe fail.
 */
export function heldLocks(dir: string): string[] {
  return lockFiles(dir).filter((f) => {
    const r = spawnSync('flock', ['--nonblock', '--conflict-exit-code', '75', f, 'true']);
    if (r.error) throw r.error;
    return r.status !== 0;
  });
}

/** A fingerprint of everything under `dir` (paths, types, contents), minus paths `skip` accepts. */
export function treeHash(dir: string, skip: (rel: string) => boolean = () => false): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    if (!fs.existsSync(d)) return;
    for (const ent of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, ent.name);
      const rel = path.relative(dir, p);
      if (skip(rel)) continue;
      if (ent.isDirectory()) {
        h.update(`d ${rel}\n`);
        walk(p);
      } else {
        h.update(`f ${rel} `);
        h.update(fs.readFileSync(p));
        h.update('\n');
      }
    }
  };
  walk(dir);
  return h.digest('hex');
}

/** Reservation files of `network` in a host-local store owned by `containerId` (the file holds `<id>\r\n<ifname>`). */
export function reservationsOf(dataDir: string, network: string, containerId: string): string[] {
  const dir = path.join(dataDir, network);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip.') && !f.startsWith('.'))
    .filter((f) => fs.readFileSync(path.join(dir, f), 'utf8').split(/\r?\n/)[0]?.trim() === containerId)
    .sort();
}

/** The endpoints of one pod attachment in a mock dump, found by hnsbridge's deterministic name. */
export function endpointsOf(dump: MockDump, containerId: string, network: string, ifname = 'eth0'): Record<string, unknown>[] {
  const name = podEndpointName(containerId, ifname, network);
  return dump.endpoints.filter((e) => e.Name === name);
}

/** The host's default namespace (every Windows host has one; the gateway endpoint is attached to it), made when the mock has none. */
export async function hostNamespace(mock: MockDaemon): Promise<string> {
  const existing = (await mock.dump()).namespaces.find((n) => n.Type === 'HostDefault');
  if (existing) return String(existing.ID);
  return (await mock.admin.admin<{ ID: string }>('namespaceCreate', { type: 'HostDefault' })).ID;
}

/** A fixed set of mock daemons handed out one case at a time, so independent cases can run side by side. */
export class MockPool {
  private readonly idle: MockDaemon[] = [];
  private readonly waiting: ((m: MockDaemon) => void)[] = [];
  readonly all: MockDaemon[] = [];

  static async start(n: number): Promise<MockPool> {
    const pool = new MockPool();
    const mocks = await Promise.all(Array.from({ length: n }, () => startMock()));
    pool.all.push(...mocks);
    pool.idle.push(...mocks);
    return pool;
  }

  async use<T>(fn: (mock: MockDaemon) => Promise<T>): Promise<T> {
    const mock = this.idle.pop() ?? (await new Promise<MockDaemon>((r) => this.waiting.push(r)));
    try {
      return await fn(mock);
    } finally {
      const next = this.waiting.shift();
      if (next) next(mock);
      else this.idle.push(mock);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((m) => m.stop()));
  }
}

/** Runs `fn` over `items` with at most `limit` running at once; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
