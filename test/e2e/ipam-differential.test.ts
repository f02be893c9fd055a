// Differential test against the reference host-local (Debian's containernetworking-plugins): the same
// config and the same sequence of ADD/DEL on both, each with its own dataDir, then the returned
// addresses and the store directories are compared byte for byte after every step. This is what
// "store-compatible" means: a node could switch between the two without losing a reservation.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectReader, Problems } from '../../src/cni/reader.js';
import { HostLocalIpam, parseIpamConfig } from '../../src/ipam/index.js';
import { tempDir } from '../unit/ipam/helpers.js';

const GO = '/usr/lib/cni/host-local';
const haveGo = existsSync(GO);
const inCi = Boolean(process.env.CI);
if (!haveGo && !inCi) {
  console.warn(
    `\n${'!'.repeat(100)}\n!!! SKIPPING the differential IPAM test: ${GO} is missing.\n` +
      `!!! Install it with: apt-get install containernetworking-plugins (CI does, and fails without it).\n${'!'.repeat(100)}\n`,
  );
}

interface Ips {
  address: string;
  gateway?: string;
}
interface Outcome {
  ok: boolean;
  ips: Ips[];
  dns?: unknown;
  routes?: unknown;
  error?: string;
}

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('hnsbridge-ipam-diff-');
});
afterAll(() => tmp?.cleanup());

let pairs = 0;

/** The two implementations side by side on one config. */
class Pair {
  readonly goDir: string;
  readonly ourDir: string;
  private readonly ours: HostLocalIpam;
  steps = 0;

  constructor(
    private readonly ipam: Record<string, unknown>,
    private readonly network = 'diffnet',
  ) {
    pairs++;
    this.goDir = join(tmp.dir, `go-${pairs}`);
    this.ourDir = join(tmp.dir, `ours-${pairs}`);
    const problems = new Problems();
    const cfg = parseIpamConfig(new ObjectReader({ ...ipam, dataDir: this.ourDir }, 'ipam', problems), { networkName: network, cniVersion: '1.0.0', platform: 'linux' });
    expect(problems.list).toEqual([]);
    this.ours = new HostLocalIpam(cfg!, network);
  }

  private go(command: 'ADD' | 'DEL', cid: string, ifname: string, ip?: string): Outcome {
    const netconf = { cniVersion: '1.0.0', name: this.network, type: 'hnsbridge', ipam: { ...this.ipam, dataDir: this.goDir } };
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: cid,
      CNI_NETNS: '/var/run/netns/x',
      CNI_IFNAME: ifname,
      CNI_PATH: '/usr/lib/cni',
    };
    if (ip !== undefined) env.CNI_ARGS = `IP=${ip}`;
    const r = spawnSync(GO, [], { input: JSON.stringify(netconf), env, encoding: 'utf8' });
    if (r.error) throw r.error;
    if (r.status !== 0) return { ok: false, ips: [], error: r.stdout || r.stderr };
    if (command === 'DEL') return { ok: true, ips: [] };
    const doc = JSON.parse(r.stdout) as { ips?: Ips[]; dns?: unknown; routes?: unknown };
    return { ok: true, ips: (doc.ips ?? []).map((x) => ({ address: x.address, gateway: x.gateway })), dns: doc.dns, routes: doc.routes };
  }

  private async ourAdd(cid: string, ifname: string, ip?: string): Promise<Outcome> {
    try {
      const a = await this.ours.allocate({ containerId: cid, ifname, requested: ip === undefined ? [] : [ip] });
      return { ok: true, ips: a.ips.map((x) => ({ address: x.address, gateway: x.gateway })), dns: a.dns ?? {}, routes: a.routes.length > 0 ? a.routes : undefined };
    } catch (e) {
      return { ok: false, ips: [], error: (e as Error).message };
    }
  }

  /** ADD on both; they must agree on success and on every address and gateway. Returns the addresses. */
  async add(cid: string, opts: { ifname?: string; ip?: string } = {}): Promise<Outcome> {
    const ifname = opts.ifname ?? 'eth0';
    const g = this.go('ADD', cid, ifname, opts.ip);
    const o = await this.ourAdd(cid, ifname, opts.ip);
    this.steps++;
    expect({ step: this.steps, add: cid, ok: o.ok, ips: o.ips }, `ours: ${o.error ?? 'ok'} / go: ${g.error ?? 'ok'}`).toEqual({ step: this.steps, add: cid, ok: g.ok, ips: g.ips });
    if (g.ok) {
      expect(o.routes).toEqual(g.routes);
      expect(o.dns).toEqual(g.dns);
    }
    this.compareStores();
    return o;
  }

  async del(cid: string, ifname = 'eth0'): Promise<string[]> {
    const g = this.go('DEL', cid, ifname);
    expect(g.ok, g.error).toBe(true);
    const released = await this.ours.release(cid, ifname);
    this.steps++;
    this.compareStores();
    return released;
  }

  /** Both directories hold the same file names with the same bytes. */
  compareStores(): void {
    expect({ step: this.steps, files: snapshot(join(this.ourDir, this.network)) }).toEqual({ step: this.steps, files: snapshot(join(this.goDir, this.network)) });
  }

  goAddOnly(cid: string, ifname = 'eth0'): Outcome {
    return this.go('ADD', cid, ifname);
  }

  ourAddOnly(cid: string, ifname = 'eth0'): Promise<Outcome> {
    return this.ourAdd(cid, ifname);
  }
}

function snapshot(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) out[name] = JSON.stringify(readFileSync(join(dir, name), 'latin1'));
  return out;
}

/** ADDs until both refuse; they must refuse at the same step. Returns how many succeeded. */
async function fill(p: Pair, prefix: string, max: number): Promise<number> {
  for (let i = 0; i < max; i++) {
    const r = await p.add(`${prefix}${i}`);
    if (!r.ok) return i;
  }
  throw new Error(`range not exhausted after ${max} ADDs`);
}

describe.runIf(haveGo || inCi)('differential: hnsbridge IPAM vs the reference host-local', () => {
  it('the reference host-local is installed', () => {
    expect(existsSync(GO), `${GO} is missing: apt-get install containernetworking-plugins`).toBe(true);
  });

  it('IPv4 ranges with rangeStart/rangeEnd, a gateway inside the range, routes and resolvConf', async () => {
    const resolv = join(tmp.dir, 'resolv.conf');
    writeFileSync(resolv, '# test\nnameserver 10.96.0.10\nsearch ns.svc.cluster.local svc.cluster.local\noptions ndots:5\n');
    const p = new Pair({
      type: 'host-local',
      ranges: [[{ subnet: '10.77.0.0/24', rangeStart: '10.77.0.10', rangeEnd: '10.77.0.17', gateway: '10.77.0.12' }]],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '192.168.0.0/16', gw: '10.77.0.1' }],
      resolvConf: resolv,
    });
    const a = await p.add('a');
    expect(a.ips).toEqual([{ address: '10.77.0.10/24', gateway: '10.77.0.12' }]);
    await p.add('b');
    await p.add('c'); // skips the gateway .12
    expect(await p.del('b')).toEqual(['10.77.0.11']);
    await p.add('d'); // round robin continues after c, not in b's hole
    await p.add('b'); // ADD after DEL
    await p.add('a', { ifname: 'eth1' }); // second interface of a container
    await p.add('r', { ip: '10.77.0.17' }); // requested through CNI_ARGS IP=
    await p.del('nobody'); // unknown: success, nothing changes
    const n = await fill(p, 'f', 10);
    expect(n).toBeGreaterThan(0);
    await p.del('a');
    await p.add('late'); // takes the address a freed, from the cursor on
    await p.del('a', 'eth1');
  });

  it('legacy top-level range, to exhaustion and back', async () => {
    const p = new Pair({ type: 'host-local', subnet: '10.78.0.0/29' });
    expect(await fill(p, 'c', 10)).toBe(5);
    await p.del('c2');
    await p.del('c0');
    await p.add('x');
    await p.add('y');
    await p.add('z'); // full again
  });

  it('IPv6 with two ranges in one set: crossing from one range to the next and wrapping', async () => {
    const p = new Pair({ type: 'host-local', ranges: [[{ subnet: 'fd00:1::/126' }, { subnet: 'fd00:2::/125', rangeStart: 'fd00:2::5', gateway: 'fd00:2::6' }]] });
    expect(await fill(p, 'v', 10)).toBe(4);
    await p.del('v1');
    await p.del('v3');
    await p.add('w');
    await p.add('w2');
    await p.add('w3');
    await p.add('req', { ip: 'fd00:1::2' });
  });

  it('dual-stack: one address per family; a full IPv6 set rolls back the IPv4 address', async () => {
    const p = new Pair({ type: 'host-local', ranges: [[{ subnet: '10.79.0.0/29' }], [{ subnet: 'fd00:9::/126' }]] });
    const first = await p.add('a');
    expect(first.ips.map((x) => x.address)).toEqual(['10.79.0.2/29', 'fd00:9::2/126']);
    await p.add('b');
    const full = await p.add('c'); // v6 has only ::2 and ::3: fails, and both give back c's IPv4
    expect(full.ok).toBe(false);
    await p.del('a');
    await p.add('c'); // cursor 0 moved on the failed call on both sides
    await p.del('b');
    await p.add('d', { ip: 'fd00:9::3' });
  });

  it('a repeated ADD: the reference refuses it, ours returns the same addresses; stores stay identical', async () => {
    const p = new Pair({ type: 'host-local', ranges: [[{ subnet: '10.80.0.0/28' }], [{ subnet: 'fd00:a::/120' }]] });
    const a = await p.add('a');
    await p.add('b');
    const goAgain = p.goAddOnly('a');
    expect(goAgain.ok).toBe(false);
    expect(goAgain.error).toMatch(/duplicate allocation is not allowed/);
    const oursAgain = await p.ourAddOnly('a');
    expect(oursAgain).toMatchObject({ ok: true, ips: a.ips });
    p.compareStores();
    await p.add('c');
  });
});
