// host-local IPAM for one network: allocate one address per range set, release by attachment,
// garbage-collect, and answer lookups. Every operation is one critical section under the store lock;
// nothing here talks to HNS, so the lock is never held across a slow call.
//
// Where this differs from the reference host-local, on purpose:
// - a repeated ADD for the same (container ID, ifname) returns the address it already holds instead
//   of failing with "duplicate allocation";
// - the caller can exclude more addresses (the bridge's host gateway endpoint, addresses HNS has in use);
// - all range sets are allocated under one lock, and a failure removes every reservation this call made.
// The round-robin order, the file format and last_reserved_ip.N are host-local's, so both can share a store.

import { join } from 'node:path';
import { CniError, ConfigError, ErrorCode } from '../cni/errors.js';
import type { IpamConfig, IpamRoute } from './config.js';
import { DiskStore, type DiskStoreOptions } from './disk-store.js';
import { type Family, type Ip, compareIp, formatIp, ipEquals, parseIp, parseIpOrCidr } from './ip.js';
import { type RangeSet, describeRangeSet, rangeIndexFor, rangeSetContains, roundRobin, usableInSet } from './range-set.js';
import type { Range } from './range.js';
import { type IpamDns, readResolvConf } from './resolv-conf.js';
import { type Owner, type Store, type StoredEntry, networkNameProblem, ownedBy } from './store.js';

export interface AllocatedIp {
  /** `ip/prefix`, the CNI result's `address`. */
  address: string;
  ip: string;
  prefixLength: number;
  /** The range's gateway (host-local's default is the subnet's first address). */
  gateway?: string;
  /** True when the gateway was written in the config; false when it is host-local's default. */
  gatewayExplicit: boolean;
  family: Family;
  rangeSet: number;
  /** True when the attachment held this address before the call (a repeated ADD); nothing was reserved for it. */
  existing: boolean;
}

export interface Allocation {
  /** One entry per range set, in set order. */
  ips: AllocatedIp[];
  routes: IpamRoute[];
  /** Present when `resolvConf` is configured. */
  dns?: IpamDns;
}

export interface Reservation {
  ip: string;
  family: Family;
  containerId: string;
  /** Undefined for the older one-line files that hold only the container ID. */
  ifname: string | undefined;
  /** Which range set the address belongs to now; undefined when it is outside every set (an old config). */
  rangeSet: number | undefined;
}

/** Addresses the allocator must not hand out, beyond the network address, broadcast and gateways. */
export type Exclusion = ((ip: string) => boolean) | Iterable<string>;

export interface AllocateRequest {
  containerId: string;
  ifname: string;
  /** Requested addresses (`ip` or `ip/prefix`) from runtimeConfig.ips, args.cni.ips or CNI_ARGS IP=. */
  requested: string[];
  /**
   * Checked with the canonical address text. Not applied to an address this attachment already
   * holds, since HNS reports that one in use by the attachment's own endpoint on a retried ADD.
   */
  exclude?: Exclusion;
}

export interface HostLocalIpamOptions {
  platform?: NodeJS.Platform;
  store?: Store;
  /** Used only when no store is given: how the disk store's lock loads ffi-rs. */
  loadFfi?: DiskStoreOptions['loadFfi'];
}

/**
 * The owner is written into the reservation file as `<cid>\r\n<ifname>`: an empty or multi-line value
 * would produce a file no DEL could match (or match files it does not own).
 */
function checkOwner(owner: Owner): void {
  const bad = (v: string) => v.trim() === '' || /[\r\n\0]/.test(v);
  if (bad(owner.containerId)) throw new CniError(ErrorCode.InvalidEnvironment, `IPAM: invalid container ID ${JSON.stringify(owner.containerId)}`);
  if (bad(owner.ifname)) throw new CniError(ErrorCode.InvalidEnvironment, `IPAM: invalid interface name ${JSON.stringify(owner.ifname)}`);
}

function keyOf(ip: Ip): string {
  return `${ip.family}/${ip.value}`;
}

/** undefined when nothing is excluded, so the walk need not print every candidate. */
function toPredicate(ex: Exclusion | undefined): ((ip: string) => boolean) | undefined {
  if (ex === undefined) return undefined;
  if (typeof ex === 'function') return ex;
  // Canonicalise so "fd00::0005" excludes what the allocator prints as "fd00::5".
  const set = new Set<string>();
  for (const text of ex) {
    const ip = parseIpOrCidr(text);
    set.add(ip === undefined ? text : formatIp(ip));
  }
  return (ip) => set.has(ip);
}

export class HostLocalIpam {
  readonly config: IpamConfig;
  readonly networkName: string;
  readonly store: Store;

  constructor(cfg: IpamConfig, networkName: string, opts: HostLocalIpamOptions = {}) {
    const platform = opts.platform ?? process.platform;
    const problem = networkNameProblem(networkName, platform);
    if (problem !== undefined) throw new ConfigError([{ path: 'name', message: problem }]);
    this.config = cfg;
    this.networkName = networkName;
    const diskOpts: DiskStoreOptions = { platform };
    if (opts.loadFfi) diskOpts.loadFfi = opts.loadFfi;
    this.store = opts.store ?? new DiskStore(join(cfg.dataDir, networkName), diskOpts);
  }

  private get sets(): RangeSet[] {
    return this.config.rangeSets;
  }

  private setIndexOf(ip: Ip): number | undefined {
    const i = this.sets.findIndex((s) => rangeSetContains(s, ip));
    return i < 0 ? undefined : i;
  }

  private rangeOf(setIndex: number, ip: Ip): Range {
    const set = this.sets[setIndex] as RangeSet;
    return set[rangeIndexFor(set, ip) as number] as Range;
  }

  private describeSet(i: number): string {
    return `range set ${i} (${describeRangeSet(this.sets[i] as RangeSet)})`;
  }

  private allocated(setIndex: number, ip: Ip, existing: boolean): AllocatedIp {
    const r = this.rangeOf(setIndex, ip);
    const text = formatIp(ip);
    return {
      address: `${text}/${r.subnet.prefix}`,
      ip: text,
      prefixLength: r.subnet.prefix,
      gateway: formatIp(r.gateway),
      gatewayExplicit: r.gatewayExplicit,
      family: ip.family,
      rangeSet: setIndex,
      existing,
    };
  }

  /** Maps each requested address to its range set, refusing anything that cannot be honoured. */
  private placeRequested(requested: readonly string[]): Map<number, Ip> {
    const bySet = new Map<number, Ip>();
    for (const text of requested) {
      const ip = parseIpOrCidr(text.trim());
      if (ip === undefined) throw new CniError(ErrorCode.InvalidConfig, `requested IP ${JSON.stringify(text)} is not an IP address (expected ip or ip/prefix)`);
      const i = this.setIndexOf(ip);
      const shown = formatIp(ip);
      if (i === undefined) {
        const all = this.sets.map((_, n) => this.describeSet(n)).join('; ');
        throw new CniError(ErrorCode.InvalidConfig, `requested IP ${shown} is outside every range of network "${this.networkName}": ${all}`);
      }
      const prior = bySet.get(i);
      if (prior !== undefined) {
        if (ipEquals(prior, ip)) continue; // the same address from two sources
        throw new CniError(ErrorCode.InvalidConfig, `requested IPs ${formatIp(prior)} and ${shown} are both in ${this.describeSet(i)}; one address is allocated per range set`);
      }
      if (ipEquals(this.rangeOf(i, ip).gateway, ip)) {
        throw new CniError(ErrorCode.InvalidConfig, `requested IP ${shown} is the gateway of ${this.describeSet(i)}`);
      }
      bySet.set(i, ip);
    }
    return bySet;
  }

  /**
   * One address per range set for (containerId, ifname). Returns what the attachment already holds
   * when it holds something; otherwise reserves the requested address or the next free one in
   * round-robin order. All or nothing: on failure no reservation made by this call remains.
   */
  async allocate(req: AllocateRequest): Promise<Allocation> {
    const owner: Owner = { containerId: req.containerId, ifname: req.ifname };
    checkOwner(owner);
    const excluded = toPredicate(req.exclude);
    const requested = this.placeRequested(req.requested);
    // Read before locking: a missing resolv.conf fails the ADD without touching the store.
    const dns = this.config.resolvConf !== undefined ? readResolvConf(this.config.resolvConf) : undefined;

    const ips = await this.store.withLock(async () => {
      const entries = await this.store.list();
      const taken = new Map<string, StoredEntry>(entries.map((e) => [keyOf(e.ip), e]));
      const mine = ownedBy(entries, owner).sort((a, b) => compareIp(a.ip, b.ip));
      const made: Ip[] = [];
      const out: AllocatedIp[] = [];
      try {
        for (let i = 0; i < this.sets.length; i++) {
          const ip = await this.allocateInSet(i, owner, mine, taken, requested.get(i), excluded);
          const existing = mine.some((e) => ipEquals(e.ip, ip));
          if (!existing) made.push(ip);
          out.push(this.allocated(i, ip, existing));
        }
      } catch (e) {
        const stuck: string[] = [];
        for (const ip of made) {
          try {
            await this.store.remove(ip);
          } catch (re) {
            stuck.push(`${formatIp(ip)} (${(re as Error).message})`);
          }
        }
        if (stuck.length > 0) {
          const code = e instanceof CniError ? e.code : ErrorCode.IoFailure;
          throw new CniError(code, `${(e as Error).message}; rolling back also failed for ${stuck.join(', ')}`, e instanceof CniError ? e.details : undefined);
        }
        throw e;
      }
      return out;
    });
    const result: Allocation = { ips, routes: this.config.routes.map((r) => ({ ...r })) };
    if (dns !== undefined) result.dns = dns;
    return result;
  }

  private async allocateInSet(
    i: number,
    owner: Owner,
    mine: readonly StoredEntry[],
    taken: Map<string, StoredEntry>,
    wanted: Ip | undefined,
    excluded: ((ip: string) => boolean) | undefined,
  ): Promise<Ip> {
    const set = this.sets[i] as RangeSet;
    const held = mine.find((e) => rangeSetContains(set, e.ip));
    if (held !== undefined) {
      if (wanted !== undefined && !ipEquals(wanted, held.ip)) {
        throw new CniError(
          ErrorCode.InvalidConfig,
          `container ${owner.containerId} (${owner.ifname}) already holds ${formatIp(held.ip)} in ${this.describeSet(i)}; requested ${formatIp(wanted)} (release it with DEL first)`,
        );
      }
      return held.ip;
    }

    const reserve = async (ip: Ip): Promise<boolean> => {
      if (!(await this.store.reserve(ip, owner))) return false;
      taken.set(keyOf(ip), { ip, containerId: owner.containerId, ifname: owner.ifname });
      // host-local moves the cursor on every reservation, requested ones included.
      await this.store.setLastReserved(i, ip);
      return true;
    };

    if (wanted !== undefined) {
      if (excluded?.(formatIp(wanted))) {
        throw new CniError(
          ErrorCode.InvalidConfig,
          `requested IP ${formatIp(wanted)} of network "${this.networkName}" is kept for the host (the bridge gateway or an address HNS has in use)`,
        );
      }
      const holder = taken.get(keyOf(wanted));
      if (holder !== undefined || !(await reserve(wanted))) {
        const who = holder ? ` (held by container ${holder.containerId}${holder.ifname !== undefined ? `, ${holder.ifname}` : ''})` : '';
        throw new CniError(ErrorCode.InvalidConfig, `requested IP ${formatIp(wanted)} is not available in network "${this.networkName}"${who}`);
      }
      return wanted;
    }

    const lastText = await this.store.lastReserved(i);
    // Like host-local: an unreadable or foreign cursor just restarts the walk at the first range.
    const last = lastText === undefined ? undefined : parseIp(lastText);
    for (const cand of roundRobin(set, last)) {
      if (taken.has(keyOf(cand.ip)) || excluded?.(formatIp(cand.ip))) continue;
      if (await reserve(cand.ip)) return cand.ip;
    }
    throw new CniError(ErrorCode.AddressPoolExhausted, `network "${this.networkName}": no free IP address in ${this.describeSet(i)}`);
  }

  /** Releases what (containerId, ifname) holds; returns the released addresses. Unknown is success. */
  async release(containerId: string, ifname: string): Promise<string[]> {
    checkOwner({ containerId, ifname });
    return this.store.withLock(async () => {
      const gone = ownedBy(await this.store.list(), { containerId, ifname });
      for (const e of gone) await this.store.remove(e.ip);
      return gone.sort((a, b) => compareIp(a.ip, b.ip)).map((e) => formatIp(e.ip));
    });
  }

  /** What (containerId, ifname) holds, by host-local's matching rule (CHECK). */
  async find(containerId: string, ifname: string): Promise<Reservation[]> {
    checkOwner({ containerId, ifname });
    return this.store.withLock(async () => this.toReservations(ownedBy(await this.store.list(), { containerId, ifname })));
  }

  /** Every reservation of the network, for diagnostics. */
  async list(): Promise<Reservation[]> {
    return this.store.withLock(async () => this.toReservations(await this.store.list()));
  }

  /**
   * Releases every reservation not held by one of the `valid` attachments (CNI GC). An older
   * one-line reservation is kept when its container ID is among the valid ones. Keeps going past a
   * file it cannot delete and reports those at the end. Returns the released addresses.
   */
  async gc(valid: readonly Owner[]): Promise<string[]> {
    const exact = new Set(valid.map((v) => `${v.containerId.trim()}\n${v.ifname}`));
    const ids = new Set(valid.map((v) => v.containerId.trim()));
    return this.store.withLock(async () => {
      const released: string[] = [];
      const failed: string[] = [];
      const entries = (await this.store.list()).sort((a, b) => compareIp(a.ip, b.ip));
      for (const e of entries) {
        const keep = e.ifname === undefined ? ids.has(e.containerId) : exact.has(`${e.containerId}\n${e.ifname}`);
        if (keep) continue;
        try {
          await this.store.remove(e.ip);
          released.push(formatIp(e.ip));
        } catch (err) {
          failed.push((err as Error).message);
        }
      }
      if (failed.length > 0) {
        throw new CniError(ErrorCode.IoFailure, `IPAM GC of network "${this.networkName}" released ${released.length} address(es) but failed on ${failed.length}`, failed.join('\n'));
      }
      return released;
    });
  }

  /**
   * How many more ADDs can succeed: the smallest number of free addresses over the range sets
   * (each ADD takes one from every set). `exclude` lists addresses the plugin keeps for itself.
   */
  async freeCount(exclude: Iterable<string> = []): Promise<bigint> {
    const excluded = new Map<string, Ip>();
    for (const text of exclude) {
      const ip = parseIpOrCidr(text);
      if (ip !== undefined) excluded.set(keyOf(ip), ip);
    }
    return this.store.withLock(async () => {
      const entries = await this.store.list();
      const unavailable = new Map<string, Ip>(excluded);
      for (const e of entries) unavailable.set(keyOf(e.ip), e.ip);
      let min: bigint | undefined;
      this.sets.forEach((set, i) => {
        let free = usableInSet(set);
        for (const ip of unavailable.values()) {
          if (rangeSetContains(set, ip) && !ipEquals(this.rangeOf(i, ip).gateway, ip)) free -= 1n;
        }
        if (min === undefined || free < min) min = free;
      });
      return min ?? 0n;
    });
  }

  /** True when an ADD (without requested addresses) could get an address from every range set. */
  async hasFree(exclude: Iterable<string> = []): Promise<boolean> {
    return (await this.freeCount(exclude)) > 0n;
  }

  private toReservations(entries: readonly StoredEntry[]): Reservation[] {
    return [...entries]
      .sort((a, b) => compareIp(a.ip, b.ip))
      .map((e) => ({ ip: formatIp(e.ip), family: e.ip.family, containerId: e.containerId, ifname: e.ifname, rangeSet: this.setIndexOf(e.ip) }));
  }
}
