// A range set: one or more disjoint ranges of one family that together form one pool. Each ADD takes
// one address per set. The walk order is host-local's RangeIter exactly, because two allocators that
// share a store (or are compared byte for byte) must pick the same next address.

import { type Family, type Ip, formatIp } from './ip.js';
import { type Range, describeRange, rangeContains, rangesOverlap, usableInRange } from './range.js';

export type RangeSet = readonly Range[];

export function rangeSetFamily(set: RangeSet): Family {
  const first = set[0];
  if (first === undefined) throw new Error('empty range set');
  return first.rangeStart.family;
}

/** Index of the range whose start..end holds `a`, or undefined. */
export function rangeIndexFor(set: RangeSet, a: Ip): number | undefined {
  const i = set.findIndex((r) => rangeContains(r, a));
  return i < 0 ? undefined : i;
}

export function rangeSetContains(set: RangeSet, a: Ip): boolean {
  return rangeIndexFor(set, a) !== undefined;
}

export function rangeSetsOverlap(a: RangeSet, b: RangeSet): boolean {
  return a.some((ra) => b.some((rb) => rangesOverlap(ra, rb)));
}

/** Addresses the set can hand out in total (gateways excluded; ranges in a set never overlap). */
export function usableInSet(set: RangeSet): bigint {
  return set.reduce((n, r) => n + usableInRange(r), 0n);
}

export function describeRangeSet(set: RangeSet): string {
  return set.map(describeRange).join(', ');
}

export interface Candidate {
  ip: Ip;
  range: Range;
}

/**
 * The address after `a` inside the set: the next address of its range, or the start of the next
 * range (wrapping to the first) once the range's end is reached. `a` must lie in one of the ranges.
 */
export function nextInSet(set: RangeSet, a: Ip): Candidate {
  const idx = rangeIndexFor(set, a);
  if (idx === undefined) throw new Error(`${formatIp(a)} is not in range set ${describeRangeSet(set)}`);
  const r = set[idx] as Range;
  if (a.value !== r.rangeEnd.value) return { ip: { family: a.family, value: a.value + 1n }, range: r };
  const next = set[(idx + 1) % set.length] as Range;
  return { ip: next.rangeStart, range: next };
}

/**
 * Every allocatable address of the set once, in host-local's round-robin order: starting after
 * `lastReserved` when that address is in the set (so it comes last), else at the first range's start;
 * crossing to the next range (wrapping) after each range's end; skipping each range's gateway.
 */
export function* roundRobin(set: RangeSet, lastReserved: Ip | undefined): Generator<Candidate> {
  if (set.length === 0) return;
  let cur: Candidate;
  if (lastReserved !== undefined && rangeSetContains(set, lastReserved)) {
    cur = nextInSet(set, lastReserved);
  } else {
    const r0 = set[0] as Range;
    cur = { ip: r0.rangeStart, range: r0 };
  }
  const start = cur.ip.value;
  do {
    if (cur.ip.value !== cur.range.gateway.value) yield cur;
    cur = nextInSet(set, cur.ip);
  } while (cur.ip.value !== start);
}
