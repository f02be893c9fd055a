// Shared pieces for the IPAM tests: ffi-rs loaded directly (src/native.ts is not part of these
// tests), temporary directories, config building, and an in-memory Store.

import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Problems, ObjectReader } from '../../../src/cni/reader.js';
import { type IpamConfig, parseIpamConfig } from '../../../src/ipam/config.js';
import { type Ip, formatIp } from '../../../src/ipam/ip.js';
import { type Owner, type Store, type StoredEntry, formatOwner, parseOwner } from '../../../src/ipam/store.js';

const requireHere = createRequire(__filename);
export const loadFfi = (): typeof import('ffi-rs') => requireHere('ffi-rs') as typeof import('ffi-rs');

export function tempDir(prefix = 'hnsbridge-ipam-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Parses an `ipam` object, failing the test with the problems when it is invalid. */
export function ipamConfig(ipam: Record<string, unknown>, platform: NodeJS.Platform = 'linux', networkName = 'net1'): IpamConfig {
  const problems = new Problems();
  const cfg = parseIpamConfig(new ObjectReader(ipam, 'ipam', problems), { networkName, cniVersion: '1.1.0', platform });
  if (cfg === undefined) throw new Error(`config rejected: ${problems.list.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return cfg;
}

/** Problems the parser records for an `ipam` object (empty when valid). */
export function ipamProblems(ipam: Record<string, unknown>, platform: NodeJS.Platform = 'linux', networkName = 'net1'): { path: string; message: string; hint?: string }[] {
  const problems = new Problems();
  parseIpamConfig(new ObjectReader(ipam, 'ipam', problems), { networkName, cniVersion: '1.1.0', platform });
  return problems.list;
}

/** A Store in memory. Records whether each call happened inside withLock, and can be told to fail. */
export class MemoryStore implements Store {
  readonly files = new Map<string, { ip: Ip; content: string }>();
  readonly last = new Map<number, string>();
  locked = false;
  lockCount = 0;
  callsOutsideLock: string[] = [];
  /** Throws from reserve() for this address (text), to exercise rollback. */
  failReserveOn: string | undefined;

  private check(op: string): void {
    if (!this.locked) this.callsOutsideLock.push(op);
  }

  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (this.locked) throw new Error('MemoryStore: nested withLock');
    this.locked = true;
    this.lockCount++;
    try {
      return await fn();
    } finally {
      this.locked = false;
    }
  }

  async list(): Promise<StoredEntry[]> {
    this.check('list');
    return [...this.files.values()].map((f) => ({ ip: f.ip, ...parseOwner(f.content) }));
  }

  async reserve(ip: Ip, owner: Owner): Promise<boolean> {
    this.check('reserve');
    const key = formatIp(ip);
    if (key === this.failReserveOn) throw new Error(`injected failure reserving ${key}`);
    if (this.files.has(key)) return false;
    this.files.set(key, { ip, content: formatOwner(owner) });
    return true;
  }

  async remove(ip: Ip): Promise<void> {
    this.check('remove');
    this.files.delete(formatIp(ip));
  }

  async lastReserved(rangeSet: number): Promise<string | undefined> {
    this.check('lastReserved');
    return this.last.get(rangeSet);
  }

  async setLastReserved(rangeSet: number, ip: Ip): Promise<void> {
    this.check('setLastReserved');
    this.last.set(rangeSet, formatIp(ip));
  }

  /** Puts a reservation in place directly, as another process (or an older host-local) would have. */
  put(ipText: string, ip: Ip, content: string): void {
    this.files.set(ipText, { ip, content });
  }

  ips(): string[] {
    return [...this.files.keys()].sort();
  }
}
