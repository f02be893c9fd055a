import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore } from '../../../src/ipam/disk-store.js';
import { formatIp, parseIp } from '../../../src/ipam/ip.js';
import { tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
let dir: string;
beforeEach(() => {
  t = tempDir();
  dir = join(t.dir, 'net1');
});
afterEach(() => t.cleanup());

const ip = (s: string) => parseIp(s)!;
const owner = { containerId: 'c1', ifname: 'eth0' };

describe('DiskStore (host-local layout)', () => {
  it('withLock creates the network directory (0755) and the lock file', async () => {
    const store = new DiskStore(dir);
    await store.withLock(async () => undefined);
    const mode = statSync(dir).mode & 0o777;
    expect(mode & 0o700).toBe(0o700); // 0755 less the umask: never more open than that
    expect(mode & ~0o755).toBe(0);
    expect(readdirSync(dir)).toEqual(['lock']);
  });

  it('a reservation is `<cid>\\r\\n<ifname>`, mode 0600, created exclusively', async () => {
    const store = new DiskStore(dir);
    await store.withLock(async () => {
      expect(await store.reserve(ip('10.0.0.2'), owner)).toBe(true);
      expect(await store.reserve(ip('10.0.0.2'), { containerId: 'other', ifname: 'eth0' })).toBe(false);
    });
    expect(readFileSync(join(dir, '10.0.0.2'))).toEqual(Buffer.from('c1\r\neth0'));
    expect(statSync(join(dir, '10.0.0.2')).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['10.0.0.2', 'linux'],
    ['fd00::5', 'linux'],
    ['fd00__5', 'win32'],
  ] as const)('writes %s where path.join puts it (%s)', async (name, platform) => {
    const store = new DiskStore(`${t.dir}//net1/`, { platform }); // a path that path.join normalizes
    await store.withLock(async () => {
      expect(await store.reserve(ip(name.replaceAll('_', ':')), owner)).toBe(true);
    });
    expect(readFileSync(join(dir, name), 'utf8')).toBe('c1\r\neth0');
    expect(readdirSync(dir).sort()).toEqual([name, 'lock']);
  });

  it('last_reserved_ip.N holds the address without a newline, overwritten to its exact length with no leftovers', async () => {
    const store = new DiskStore(dir);
    await store.withLock(async () => {
      expect(await store.lastReserved(0)).toBeUndefined();
      await store.setLastReserved(0, ip('10.0.0.2'));
      await store.setLastReserved(0, ip('10.0.0.254'));
      expect(await store.lastReserved(0)).toBe('10.0.0.254');
      await store.setLastReserved(0, ip('10.0.0.3')); // shorter: the tail of .254 must not remain
      await store.setLastReserved(1, ip('fd00::a'));
      expect(await store.lastReserved(0)).toBe('10.0.0.3');
    });
    expect(readFileSync(join(dir, 'last_reserved_ip.0'), 'utf8')).toBe('10.0.0.3');
    expect(readFileSync(join(dir, 'last_reserved_ip.1'), 'utf8')).toBe('fd00::a');
    expect(readdirSync(dir).sort()).toEqual(['last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
    expect(statSync(join(dir, 'last_reserved_ip.0')).mode & 0o777).toBe(0o600);
  });

  it('list reads reservations only: new and legacy content, nothing else', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '10.0.0.2'), 'c1\r\neth0');
    writeFileSync(join(dir, '10.0.0.3'), 'legacy-cid');
    writeFileSync(join(dir, 'fd00::5'), 'c2\r\neth1');
    writeFileSync(join(dir, 'last_reserved_ip.0'), '10.0.0.3');
    writeFileSync(join(dir, 'notes'), 'c9\r\neth0');
    writeFileSync(join(dir, '010.0.0.4'), 'c9\r\neth0');
    mkdirSync(join(dir, '10.0.0.9'));
    const store = new DiskStore(dir);
    const entries = await store.withLock(() => store.list());
    expect(entries.map((e) => [formatIp(e.ip), e.containerId, e.ifname]).sort()).toEqual([
      ['10.0.0.2', 'c1', 'eth0'],
      ['10.0.0.3', 'legacy-cid', undefined],
      ['fd00::5', 'c2', 'eth1'],
    ]);
  });

  it('list of a network that was never used is empty', async () => {
    expect(await new DiskStore(join(t.dir, 'never')).list()).toEqual([]);
  });

  it('remove deletes one reservation; an absent one is fine', async () => {
    const store = new DiskStore(dir);
    await store.withLock(async () => {
      await store.reserve(ip('10.0.0.2'), owner);
      await store.remove(ip('10.0.0.2'));
      await store.remove(ip('10.0.0.2'));
    });
    expect(readdirSync(dir)).toEqual(['lock']);
  });

  it('Windows naming: IPv6 file names use _ for :, the cursor keeps its colons', async () => {
    const store = new DiskStore(dir, { platform: 'win32' });
    await store.withLock(async () => {
      await store.reserve(ip('fd00::5'), owner);
      await store.setLastReserved(1, ip('fd00::5'));
    });
    expect(readdirSync(dir).sort()).toEqual(['fd00__5', 'last_reserved_ip.1', 'lock']);
    expect(readFileSync(join(dir, 'last_reserved_ip.1'), 'utf8')).toBe('fd00::5');
    const entries = await store.withLock(() => store.list());
    expect(entries.map((e) => formatIp(e.ip))).toEqual(['fd00::5']);
  });

  it('a store directory that cannot be created is an I/O error naming it', async () => {
    writeFileSync(join(t.dir, 'blocked'), '');
    const store = new DiskStore(join(t.dir, 'blocked', 'net1'));
    await expect(store.withLock(async () => undefined)).rejects.toMatchObject({ code: 5, message: expect.stringContaining(join(t.dir, 'blocked', 'net1')) });
  });
});
