import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HostLocalIpam } from '../../../src/ipam/allocator.js';
import type { IpamConfig } from '../../../src/ipam/config.js';
import { DiskStore } from '../../../src/ipam/disk-store.js';
import { type Ip, formatIp, parseIp } from '../../../src/ipam/ip.js';
import { lastAddress, networkAddress, rangeContains } from '../../../src/ipam/range.js';
import { rangeSetContains, roundRobin } from '../../../src/ipam/range-set.js';
import { MemoryStore, ipamConfig, tempDir } from './helpers.js';
import { rng } from './rng.js';

const v4 = (extra: Record<string, unknown> = {}) => ipamConfig({ type: 'host-local', ranges: [[{ subnet: '10.0.0.0/29', ...extra }]], dataDir: '/unused' });
const dual = () =>
  ipamConfig({ type: 'host-local', ranges: [[{ subnet: '10.0.0.0/29' }], [{ subnet: 'fd00::/125' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/unused' });

function ipam(cfg: IpamConfig, name = 'net1') {
  const store = new MemoryStore();
  return { ipam: new HostLocalIpam(cfg, name, { store }), store };
}
const add = (i: HostLocalIpam, cid: string, more: Partial<Parameters<HostLocalIpam['allocate']>[0]> = {}) =>
  i.allocate({ containerId: cid, ifname: 'eth0', requested: [], ...more }).then((a) => a.ips.map((x) => x.address));

describe('allocate: round robin like host-local', () => {
  it('hands out .2, .3, … and continues after the last one even when an earlier one is freed', async () => {
    const { ipam: i, store } = ipam(v4());
    expect(await add(i, 'c1')).toEqual(['10.0.0.2/29']);
    expect(await add(i, 'c2')).toEqual(['10.0.0.3/29']);
    expect(await i.release('c1', 'eth0')).toEqual(['10.0.0.2']);
    expect(await add(i, 'c3')).toEqual(['10.0.0.4/29']);
    expect(store.last.get(0)).toBe('10.0.0.4');
    expect(await add(i, 'c4')).toEqual(['10.0.0.5/29']);
    expect(await add(i, 'c5')).toEqual(['10.0.0.6/29']);
    // Wraps to the start, skipping the gateway and what is taken.
    expect(await add(i, 'c6')).toEqual(['10.0.0.2/29']);
  });

  it('the result carries prefix, gateway, family, set index, routes', async () => {
    const { ipam: i } = ipam(dual());
    const a = await i.allocate({ containerId: 'c1', ifname: 'eth0', requested: [] });
    expect(a).toEqual({
      ips: [
        { address: '10.0.0.2/29', ip: '10.0.0.2', prefixLength: 29, gateway: '10.0.0.1', gatewayExplicit: false, family: 4, rangeSet: 0, existing: false },
        { address: 'fd00::2/125', ip: 'fd00::2', prefixLength: 125, gateway: 'fd00::1', gatewayExplicit: false, family: 6, rangeSet: 1, existing: false },
      ],
      routes: [{ dst: '0.0.0.0/0' }],
    });
  });

  it('an explicit gateway is skipped and reported as explicit', async () => {
    const { ipam: i } = ipam(v4({ gateway: '10.0.0.2' }));
    const a = await i.allocate({ containerId: 'c1', ifname: 'eth0', requested: [] });
    expect(a.ips[0]).toMatchObject({ address: '10.0.0.1/29', gateway: '10.0.0.2', gatewayExplicit: true });
    expect(await add(i, 'c2')).toEqual(['10.0.0.3/29']);
  });

  it('a cursor left by another config (outside the set) restarts at the beginning', async () => {
    const { ipam: i, store } = ipam(v4());
    store.last.set(0, '192.168.9.9');
    expect(await add(i, 'c1')).toEqual(['10.0.0.2/29']);
    store.last.set(0, 'garbage');
    expect(await add(i, 'c2')).toEqual(['10.0.0.3/29']);
  });

  it('every store call happens under the lock, one lock per operation', async () => {
    const { ipam: i, store } = ipam(dual());
    await add(i, 'c1');
    await i.find('c1', 'eth0');
    await i.list();
    await i.freeCount();
    await i.gc([{ containerId: 'c1', ifname: 'eth0' }]);
    await i.release('c1', 'eth0');
    expect(store.callsOutsideLock).toEqual([]);
    expect(store.lockCount).toBe(6);
  });
});

describe('allocate: a repeated ADD returns what the attachment holds (idempotent)', () => {
  it('same (cid, ifname): same addresses, nothing new written, cursor unchanged', async () => {
    const { ipam: i, store } = ipam(dual());
    const first = await add(i, 'c1');
    const files = store.ips();
    const cursor = [...store.last.entries()];
    expect(await add(i, 'c1')).toEqual(first);
    expect(store.ips()).toEqual(files);
    expect([...store.last.entries()]).toEqual(cursor);
  });

  it('another ifname of the same container gets its own addresses', async () => {
    const { ipam: i } = ipam(v4());
    expect(await add(i, 'c1')).toEqual(['10.0.0.2/29']);
    expect(await add(i, 'c1', { ifname: 'eth1' })).toEqual(['10.0.0.3/29']);
  });

  it('completes a half-held attachment: keeps the IPv4 it holds and adds the IPv6', async () => {
    const { ipam: i, store } = ipam(dual());
    store.put('10.0.0.5', parseIp('10.0.0.5')!, 'c1\r\neth0');
    const a = await i.allocate({ containerId: 'c1', ifname: 'eth0', requested: [] });
    expect(a.ips.map((x) => [x.address, x.existing])).toEqual([
      ['10.0.0.5/29', true],
      ['fd00::2/125', false],
    ]);
  });

  it('an older one-line reservation of the container counts as held', async () => {
    const { ipam: i, store } = ipam(v4());
    store.put('10.0.0.4', parseIp('10.0.0.4')!, 'c1');
    expect(await add(i, 'c1')).toEqual(['10.0.0.4/29']);
  });

  it('exclusions do not apply to what the attachment already holds (HNS reports its own endpoint)', async () => {
    const { ipam: i } = ipam(v4());
    expect(await add(i, 'c1')).toEqual(['10.0.0.2/29']);
    expect(await add(i, 'c1', { exclude: ['10.0.0.2'] })).toEqual(['10.0.0.2/29']);
    expect(await add(i, 'c1', { requested: ['10.0.0.2'], exclude: ['10.0.0.2'] })).toEqual(['10.0.0.2/29']);
  });
});

describe('allocate: requested addresses (runtimeConfig.ips, args.cni.ips, CNI_ARGS IP=)', () => {
  it('reserves the requested address, ip or ip/prefix, and moves the cursor like host-local', async () => {
    const { ipam: i, store } = ipam(dual());
    expect(await add(i, 'c1', { requested: ['10.0.0.5/29', 'fd00::6'] })).toEqual(['10.0.0.5/29', 'fd00::6/125']);
    expect(store.last.get(0)).toBe('10.0.0.5');
    expect(await add(i, 'c2')).toEqual(['10.0.0.6/29', 'fd00::7/125']);
  });

  it('one set requested, the other allocated', async () => {
    const { ipam: i } = ipam(dual());
    expect(await add(i, 'c1', { requested: ['fd00::7'] })).toEqual(['10.0.0.2/29', 'fd00::7/125']);
  });

  it('the same address from two sources is one request', async () => {
    const { ipam: i } = ipam(v4());
    expect(await add(i, 'c1', { requested: ['10.0.0.4', '10.0.0.4/29'] })).toEqual(['10.0.0.4/29']);
  });

  it.each([
    [['nope'], 'requested IP "nope" is not an IP address (expected ip or ip/prefix)'],
    [['10.9.0.1'], 'requested IP 10.9.0.1 is outside every range of network "net1": range set 0 (10.0.0.1-10.0.0.6 in 10.0.0.0/29)'],
    [['10.0.0.7'], 'requested IP 10.0.0.7 is outside every range of network "net1"'],
    [['10.0.0.1'], 'requested IP 10.0.0.1 is the gateway of range set 0'],
    [['10.0.0.3', '10.0.0.4'], 'requested IPs 10.0.0.3 and 10.0.0.4 are both in range set 0'],
  ])('%j is refused (code 7) before anything is touched', async (requested, message) => {
    const { ipam: i, store } = ipam(v4());
    await expect(add(i, 'c1', { requested })).rejects.toMatchObject({ code: 7, message: expect.stringContaining(message) });
    expect(store.lockCount).toBe(0);
  });

  it('a taken address is refused, naming its holder, and nothing is reserved', async () => {
    const { ipam: i, store } = ipam(dual());
    await add(i, 'c1', { requested: ['10.0.0.4'] });
    const before = store.ips();
    await expect(add(i, 'c2', { requested: ['10.0.0.4'] })).rejects.toMatchObject({
      code: 7,
      message: 'requested IP 10.0.0.4 is not available in network "net1" (held by container c1, eth0)',
    });
    expect(store.ips()).toEqual(before);
  });

  it('an excluded address cannot be requested', async () => {
    const { ipam: i } = ipam(v4());
    await expect(add(i, 'c1', { requested: ['10.0.0.2'], exclude: ['10.0.0.2'] })).rejects.toMatchObject({ code: 7, message: expect.stringMatching(/10\.0\.0\.2 .* is kept for the host/) });
  });

  it('asking for a different address than the one held is refused', async () => {
    const { ipam: i } = ipam(v4());
    await add(i, 'c1');
    await expect(add(i, 'c1', { requested: ['10.0.0.5'] })).rejects.toMatchObject({ code: 7, message: expect.stringContaining('already holds 10.0.0.2') });
  });
});

describe('allocate: exclusions', () => {
  it('a predicate gets canonical text and its addresses are skipped', async () => {
    const { ipam: i } = ipam(v4());
    const asked: string[] = [];
    const exclude = (a: string) => {
      asked.push(a);
      return a === '10.0.0.2' || a === '10.0.0.3';
    };
    expect(await add(i, 'c1', { exclude })).toEqual(['10.0.0.4/29']);
    expect(asked).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4']);
  });

  it('a list is canonicalised (fd00::0002 excludes fd00::2)', async () => {
    const { ipam: i } = ipam(dual());
    expect(await add(i, 'c1', { exclude: ['10.0.0.2', 'fd00::0002', 'fd00:0:0::3/125'] })).toEqual(['10.0.0.3/29', 'fd00::4/125']);
  });

  it('skipping does not move the cursor past the address actually reserved', async () => {
    const { ipam: i, store } = ipam(v4());
    await add(i, 'c1', { exclude: ['10.0.0.2'] });
    expect(store.last.get(0)).toBe('10.0.0.3');
  });
});

describe('allocate: exhaustion and rollback', () => {
  it('a full range fails with code 101 naming the network and the range', async () => {
    const { ipam: i } = ipam(v4(), 'pods');
    for (const c of ['a', 'b', 'c', 'd', 'e']) await add(i, c);
    await expect(add(i, 'f')).rejects.toMatchObject({
      code: 101,
      message: 'network "pods": no free IP address in range set 0 (10.0.0.1-10.0.0.6 in 10.0.0.0/29)',
    });
  });

  it('exclusions can exhaust a range too', async () => {
    const { ipam: i, store } = ipam(v4());
    await expect(add(i, 'c1', { exclude: () => true })).rejects.toMatchObject({ code: 101 });
    expect(store.ips()).toEqual([]);
  });

  it('when the IPv6 set is full, the IPv4 address taken in the same call is given back', async () => {
    const { ipam: i, store } = ipam(dual());
    for (const n of [2, 3, 4, 5, 6, 7]) store.put(`fd00::${n}`, parseIp(`fd00::${n}`)!, `x${n}\r\neth0`);
    const before = store.ips();
    await expect(add(i, 'c1')).rejects.toMatchObject({ code: 101, message: expect.stringContaining('range set 1 (fd00::1-fd00::7 in fd00::/125)') });
    expect(store.ips()).toEqual(before);
  });

  it('a store failure half-way rolls back and surfaces the error', async () => {
    const { ipam: i, store } = ipam(dual());
    store.failReserveOn = 'fd00::2';
    await expect(add(i, 'c1')).rejects.toThrow('injected failure reserving fd00::2');
    expect(store.ips()).toEqual([]);
  });

  it('rollback never touches what the attachment held before the call', async () => {
    const { ipam: i, store } = ipam(dual());
    store.put('10.0.0.6', parseIp('10.0.0.6')!, 'c1\r\neth0');
    store.failReserveOn = 'fd00::2';
    await expect(add(i, 'c1')).rejects.toThrow();
    expect(store.ips()).toEqual(['10.0.0.6']);
  });

  it('a missing resolvConf fails the ADD (code 5) without reserving', async () => {
    const store = new MemoryStore();
    const cfg = ipamConfig({ type: 'host-local', subnet: '10.0.0.0/29', resolvConf: '/nonexistent/resolv.conf', dataDir: '/unused' });
    const i = new HostLocalIpam(cfg, 'net1', { store });
    await expect(add(i, 'c1')).rejects.toMatchObject({ code: 5 });
    expect(store.lockCount).toBe(0);
  });
});

describe('release, find, list', () => {
  it('release removes exactly the (cid, ifname) reservations; unknown is success', async () => {
    const { ipam: i, store } = ipam(dual());
    await add(i, 'c1');
    await add(i, 'c1', { ifname: 'eth1' });
    expect(await i.release('c1', 'eth0')).toEqual(['10.0.0.2', 'fd00::2']);
    expect(store.ips()).toEqual(['10.0.0.3', 'fd00::3']);
    expect(await i.release('c1', 'eth0')).toEqual([]);
    expect(await i.release('nobody', 'eth0')).toEqual([]);
  });

  it('release falls back to older one-line reservations of the container', async () => {
    const { ipam: i, store } = ipam(v4());
    store.put('10.0.0.3', parseIp('10.0.0.3')!, 'c1');
    store.put('10.0.0.4', parseIp('10.0.0.4')!, 'c2\r\neth0');
    expect(await i.release('c1', 'eth0')).toEqual(['10.0.0.3']);
    expect(store.ips()).toEqual(['10.0.0.4']);
  });

  it('find and list report ip, owner and range set (undefined outside the current ranges)', async () => {
    const { ipam: i, store } = ipam(dual());
    await add(i, 'c1');
    store.put('192.168.0.9', parseIp('192.168.0.9')!, 'old');
    expect(await i.find('c1', 'eth0')).toEqual([
      { ip: '10.0.0.2', family: 4, containerId: 'c1', ifname: 'eth0', rangeSet: 0 },
      { ip: 'fd00::2', family: 6, containerId: 'c1', ifname: 'eth0', rangeSet: 1 },
    ]);
    expect((await i.list()).map((r) => [r.ip, r.containerId, r.ifname, r.rangeSet])).toEqual([
      ['10.0.0.2', 'c1', 'eth0', 0],
      ['192.168.0.9', 'old', undefined, undefined],
      ['fd00::2', 'c1', 'eth0', 1],
    ]);
    expect(await i.find('c9', 'eth0')).toEqual([]);
  });
});

describe('gc', () => {
  it('keeps the valid attachments and releases everything else', async () => {
    const { ipam: i, store } = ipam(dual());
    await add(i, 'keep');
    await add(i, 'gone');
    await add(i, 'keep', { ifname: 'eth1' });
    store.put('10.0.0.6', parseIp('10.0.0.6')!, 'legacy-keep');
    store.put('192.168.0.9', parseIp('192.168.0.9')!, 'legacy-gone');
    const released = await i.gc([
      { containerId: 'keep', ifname: 'eth0' },
      { containerId: 'legacy-keep', ifname: 'eth0' },
    ]);
    expect(released).toEqual(['10.0.0.3', '10.0.0.4', '192.168.0.9', 'fd00::3', 'fd00::4']);
    expect(store.ips()).toEqual(['10.0.0.2', '10.0.0.6', 'fd00::2']);
  });

  it('an empty valid list releases every reservation', async () => {
    const { ipam: i, store } = ipam(v4());
    await add(i, 'a');
    await add(i, 'b');
    expect(await i.gc([])).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(store.ips()).toEqual([]);
  });

  it('on disk (Windows naming): never deletes a file that is not an address, recognises escaped IPv6 names', async () => {
    const t = tempDir();
    try {
      const dir = join(t.dir, 'net1');
      mkdirSync(dir, { recursive: true });
      for (const [name, content] of [
        ['fd00__3', 'gone\r\neth0'],
        ['fd00__2', 'keep\r\neth0'],
        ['10.0.0.4', 'gone\r\neth0'],
        ['last_reserved_ip.0', '10.0.0.4'],
        ['last_reserved_ip.1', 'fd00::3'],
        ['README', 'gone\r\neth0'],
        ['fd00::9', 'gone\r\neth0'], // not a name the store writes on Windows
      ]) {
        writeFileSync(join(dir, name as string), content as string);
      }
      const i = new HostLocalIpam(dual(), 'net1', { platform: 'win32', store: new DiskStore(dir, { platform: 'win32' }) });
      expect(await i.gc([{ containerId: 'keep', ifname: 'eth0' }])).toEqual(['10.0.0.4', 'fd00::3']);
      expect(readdirSync(dir).sort()).toEqual(['README', 'fd00::9', 'fd00__2', 'last_reserved_ip.0', 'last_reserved_ip.1', 'lock']);
    } finally {
      t.cleanup();
    }
  });
});

describe('freeCount / hasFree (STATUS)', () => {
  it('counts usable addresses minus reservations and exclusions; the smallest set decides', async () => {
    const { ipam: i } = ipam(dual());
    expect(await i.freeCount()).toBe(5n); // v4 /29: .2-.6; v6 /125: ::2-::7 (6)
    await add(i, 'a');
    await add(i, 'b');
    expect(await i.freeCount()).toBe(3n);
    // An excluded free address counts; an excluded reserved one, the gateway or an outside one does not count twice.
    expect(await i.freeCount(['10.0.0.6', '10.0.0.2', '10.0.0.1', '10.9.9.9'])).toBe(2n);
    for (const c of ['c', 'd', 'e']) await add(i, c);
    expect(await i.freeCount()).toBe(0n);
    expect(await i.hasFree()).toBe(false);
  });

  it('IPv6 /64 counts are bigints', async () => {
    const { ipam: i } = ipam(ipamConfig({ type: 'host-local', subnet: 'fd00::/64', dataDir: '/x' }));
    expect(await i.freeCount()).toBe((1n << 64n) - 2n);
    expect(await i.hasFree(['fd00::2'])).toBe(true);
  });
});

describe('owner checks', () => {
  it.each([
    ['', 'eth0'],
    ['  ', 'eth0'],
    ['a\r\nb', 'eth0'],
    ['c1', ''],
    ['c1', 'eth0\n'],
  ])('(%j, %j) is refused with code 4 before the store is touched', async (cid, ifname) => {
    const { ipam: i, store } = ipam(v4());
    store.put('10.0.0.3', parseIp('10.0.0.3')!, '');
    await expect(i.allocate({ containerId: cid, ifname, requested: [] })).rejects.toMatchObject({ code: 4 });
    await expect(i.release(cid, ifname)).rejects.toMatchObject({ code: 4 });
    await expect(i.find(cid, ifname)).rejects.toMatchObject({ code: 4 });
    expect(store.lockCount).toBe(0);
    expect(store.ips()).toEqual(['10.0.0.3']);
  });
});

describe('constructor', () => {
  it.each(['..', 'a/b', 'C:x', ''])('refuses a network name that could escape dataDir (%j) with code 7', (name) => {
    expect(() => new HostLocalIpam(v4(), name, { store: new MemoryStore() })).toThrow(expect.objectContaining({ code: 7 }));
  });
  it('touches nothing until the first operation', () => {
    const t = tempDir();
    try {
      new HostLocalIpam(ipamConfig({ type: 'host-local', subnet: '10.0.0.0/24', dataDir: join(t.dir, 'data') }), 'net1');
      expect(readdirSync(t.dir)).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});

// Property-style: random ranges, random ADD/DEL sequences with random exclusions, checked against a model
// of host-local's choice (first free, non-excluded address of the round-robin walk from the cursor).
describe('allocate properties over random configs and sequences', () => {
  for (const family of [4, 6] as const) {
    it(`IPv${family}`, async () => {
      const next = rng(family * 7919);
      for (let trial = 0; trial < 40; trial++) {
        const bits = family === 4 ? 32 : 128;
        const prefix = bits - 3 - Math.floor(next() * 3); // 8..32 addresses
        const size = 1n << BigInt(bits - prefix);
        let base = BigInt(Math.floor(next() * 2 ** 30)) << BigInt(bits - 30);
        base &= ~(size - 1n);
        const fmt = (v: bigint) => formatIp({ family, value: v });
        const lastUsable = family === 4 ? base + size - 2n : base + size - 1n;
        const start = base + 1n + BigInt(Math.floor(next() * 3));
        const end = lastUsable - BigInt(Math.floor(next() * 3));
        const gw = base + 1n + BigInt(Math.floor(next() * Number(lastUsable - base)));
        const cfg = ipamConfig({ type: 'host-local', ranges: [[{ subnet: `${fmt(base)}/${prefix}`, rangeStart: fmt(start), rangeEnd: fmt(end), gateway: fmt(gw) }]], dataDir: '/x' });
        const set = cfg.rangeSets[0]!;
        const r = set[0]!;
        const { ipam: i, store } = ipam(cfg);
        const held = new Map<string, string>(); // cid → ip
        for (let step = 0; step < 60; step++) {
          if (held.size > 0 && next() < 0.35) {
            const cids = [...held.keys()];
            const cid = cids[Math.floor(next() * cids.length)]!;
            expect(await i.release(cid, 'eth0')).toEqual([held.get(cid)]);
            held.delete(cid);
            continue;
          }
          const excluded = new Set<string>();
          for (let v = r.rangeStart.value; v <= r.rangeEnd.value; v++) if (next() < 0.15) excluded.add(fmt(v));
          const lastText = store.last.get(0);
          const expected = [...roundRobin(set, lastText === undefined ? undefined : parseIp(lastText))]
            .map((c) => formatIp(c.ip))
            .find((a) => !store.files.has(a) && !excluded.has(a));
          const cid = `c${step}`;
          if (expected === undefined) {
            await expect(add(i, cid, { exclude: excluded })).rejects.toMatchObject({ code: 101 });
            continue;
          }
          const [got] = await add(i, cid, { exclude: excluded });
          const ip = parseIp(got!.split('/')[0]!) as Ip;
          expect(formatIp(ip)).toBe(expected);
          expect(rangeContains(r, ip) && rangeSetContains(set, ip)).toBe(true);
          expect(ip.value).not.toBe(r.gateway.value);
          expect(ip.value).not.toBe(networkAddress(r.subnet).value);
          if (family === 4) expect(ip.value).not.toBe(lastAddress(r.subnet).value);
          expect(excluded.has(formatIp(ip))).toBe(false);
          expect([...held.values()]).not.toContain(formatIp(ip));
          held.set(cid, formatIp(ip));
        }
        expect(store.ips().sort()).toEqual([...held.values()].sort());
      }
    });
  }
});
