import { describe, expect, it } from 'vitest';
import { type Ip, formatIp, parseIp } from '../../../src/ipam/ip.js';
import { type Range, type RangeInput, buildRange, lastAddress, networkAddress, rangeContains } from '../../../src/ipam/range.js';
import { type RangeSet, nextInSet, rangeIndexFor, rangeSetsOverlap, roundRobin, usableInSet } from '../../../src/ipam/range-set.js';
import { rng } from './rng.js';

function range(input: RangeInput): Range {
  const b = buildRange(input);
  if (!b.ok) throw new Error(b.errors.map((e) => e.message).join('; '));
  return b.range;
}
const ip = (t: string): Ip => parseIp(t)!;
const walk = (set: RangeSet, last?: string) => [...roundRobin(set, last === undefined ? undefined : ip(last))].map((c) => formatIp(c.ip));

describe('nextInSet wraps inside the set', () => {
  const set: RangeSet = [range({ subnet: '10.0.0.0/24', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.12' }), range({ subnet: '10.0.5.0/24', rangeStart: '10.0.5.1', rangeEnd: '10.0.5.2' })];
  it.each([
    ['10.0.0.10', '10.0.0.11'],
    ['10.0.0.12', '10.0.5.1'], // end of range 0 → start of range 1
    ['10.0.5.2', '10.0.0.10'], // end of the last range → start of the first
  ])('%s → %s', (from, to) => {
    expect(formatIp(nextInSet(set, ip(from)).ip)).toBe(to);
  });
  it('wraps at the top of the IPv4 space without overflowing', () => {
    const top: RangeSet = [range({ subnet: '255.255.255.0/24', rangeStart: '255.255.255.250' })];
    expect(formatIp(nextInSet(top, ip('255.255.255.254')).ip)).toBe('255.255.255.250');
  });
  it('wraps at the top of the IPv6 space without overflowing', () => {
    const top: RangeSet = [range({ subnet: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124', rangeStart: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe' })];
    expect(formatIp(nextInSet(top, ip('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).ip)).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe');
  });
  it('refuses an address outside the set', () => {
    expect(() => nextInSet(set, ip('10.0.0.13'))).toThrow(/not in range set/);
  });
});

describe('roundRobin is host-local RangeIter order', () => {
  const small: RangeSet = [range({ subnet: '10.0.0.0/29' })]; // .1 (gateway) … .6
  it('starts at rangeStart and skips the gateway when there is no cursor', () => {
    expect(walk(small)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  });
  it('starts after the cursor and visits the cursor last', () => {
    expect(walk(small, '10.0.0.4')).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
  });
  it('restarts at the beginning when the cursor is outside the set', () => {
    expect(walk(small, '10.9.9.9')).toEqual(walk(small));
    expect(walk(small, 'fd00::1')).toEqual(walk(small));
  });
  it('crosses ranges in order and wraps', () => {
    const two: RangeSet = [range({ subnet: '10.0.0.0/30' }), range({ subnet: '10.0.1.0/30', gateway: '10.0.1.2' })];
    expect(walk(two)).toEqual(['10.0.0.2', '10.0.1.1']);
    expect(walk(two, '10.0.0.2')).toEqual(['10.0.1.1', '10.0.0.2']);
  });
  it('a gateway right after the cursor is skipped and the walk still ends', () => {
    const g: RangeSet = [range({ subnet: '10.0.0.0/29', gateway: '10.0.0.5' })];
    expect(walk(g, '10.0.0.4')).toEqual(['10.0.0.6', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
  });
  it('IPv6 at the top of the space', () => {
    const top: RangeSet = [range({ subnet: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc/126' })];
    expect(walk(top)).toEqual(['ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']);
  });
});

describe('set membership and overlap', () => {
  const set: RangeSet = [range({ subnet: '10.0.0.0/24', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.20' }), range({ subnet: '10.0.1.0/24' })];
  it('rangeIndexFor finds the range by start..end', () => {
    expect(rangeIndexFor(set, ip('10.0.0.15'))).toBe(0);
    expect(rangeIndexFor(set, ip('10.0.1.7'))).toBe(1);
    expect(rangeIndexFor(set, ip('10.0.0.5'))).toBeUndefined();
  });
  it('usableInSet adds the ranges', () => {
    expect(usableInSet(set)).toBe(11n + 253n);
  });
  it('rangeSetsOverlap compares every pair', () => {
    expect(rangeSetsOverlap(set, [range({ subnet: '10.0.1.0/25' })])).toBe(true);
    expect(rangeSetsOverlap(set, [range({ subnet: '10.0.2.0/24' })])).toBe(false);
  });
});

// Property-style: random subnets and ranges, checked against the invariants the allocator relies on.
describe('roundRobin properties over random ranges', () => {
  function randomRange(next: () => number, family: 4 | 6): Range {
    const bits = family === 4 ? 32 : 128;
    const prefix = bits - 2 - Math.floor(next() * 6); // /30../25 or /126../121: small enough to walk fully
    let base = 0n;
    for (let i = 0; i < bits; i += 16) base = (base << 16n) | BigInt(Math.floor(next() * 65536));
    if (next() < 0.2) base = (1n << BigInt(bits)) - 1n; // sometimes at the very top of the space
    base &= ~((1n << BigInt(bits - prefix)) - 1n);
    const size = 1n << BigInt(bits - prefix);
    const pick = (lo: bigint, hi: bigint) => lo + BigInt(Math.floor(next() * Number(hi - lo + 1n)));
    const lastUsable = family === 4 ? base + size - 2n : base + size - 1n;
    const start = pick(base + 1n, lastUsable);
    const end = pick(start, lastUsable);
    const gw = pick(base + 1n, lastUsable);
    const fmt = (v: bigint) => formatIp({ family, value: v });
    const subnet = `${fmt(base)}/${prefix}`;
    const b = buildRange({ subnet, rangeStart: fmt(start), rangeEnd: fmt(end), gateway: fmt(gw) });
    // The only allowed refusal: a range whose single address is the gateway.
    if (!b.ok) {
      expect(start === end && start === gw).toBe(true);
      return randomRange(next, family);
    }
    return b.range;
  }

  for (const family of [4, 6] as const) {
    it(`IPv${family}: every candidate is inside its range, never network/broadcast/gateway, each address once, cursor last`, () => {
      const next = rng(family === 4 ? 1234 : 5678);
      for (let trial = 0; trial < 300; trial++) {
        const r = randomRange(next, family);
        const set: RangeSet = [r];
        const seq = [...roundRobin(set, undefined)];
        expect(BigInt(seq.length)).toBe(usableInSet(set));
        const seen = new Set<bigint>();
        for (const c of seq) {
          expect(rangeContains(r, c.ip)).toBe(true);
          expect(c.ip.value).not.toBe(r.gateway.value);
          expect(c.ip.value).not.toBe(networkAddress(r.subnet).value);
          if (family === 4) expect(c.ip.value).not.toBe(lastAddress(r.subnet).value);
          expect(seen.has(c.ip.value)).toBe(false);
          seen.add(c.ip.value);
        }
        // Ascending from rangeStart when there is no cursor.
        for (let i = 1; i < seq.length; i++) expect(seq[i]!.ip.value > seq[i - 1]!.ip.value).toBe(true);
        // With a cursor inside the range: the walk starts right after it and ends on it (unless it is the gateway).
        if (seq.length > 1) {
          const cursor = seq[Math.floor(next() * seq.length)]!.ip;
          const rr = [...roundRobin(set, cursor)];
          expect(rr.length).toBe(seq.length);
          expect(rr[rr.length - 1]!.ip.value).toBe(cursor.value);
          const expectedFirst = cursor.value === r.rangeEnd.value ? r.rangeStart.value : cursor.value + 1n;
          const firstNonGw = expectedFirst === r.gateway.value ? (expectedFirst === r.rangeEnd.value ? r.rangeStart.value : expectedFirst + 1n) : expectedFirst;
          expect(rr[0]!.ip.value).toBe(firstNonGw);
        }
      }
    });
  }
});
