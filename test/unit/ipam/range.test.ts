import { describe, expect, it } from 'vitest';
import { formatIp, parseCidr, parseIp } from '../../../src/ipam/ip.js';
import {
  type Range,
  type RangeInput,
  buildRange,
  firstUsable,
  lastAddress,
  lastUsable,
  networkAddress,
  rangeContains,
  rangesOverlap,
  subnetContains,
  usableInRange,
} from '../../../src/ipam/range.js';

function range(input: RangeInput): Range {
  const b = buildRange(input);
  if (!b.ok) throw new Error(b.errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  return b.range;
}

function errorsOf(input: RangeInput): { field: string | undefined; message: string }[] {
  const b = buildRange(input);
  return b.ok ? [] : b.errors.map((e) => ({ field: e.field, message: e.message }));
}

const show = (r: Range) => ({ start: formatIp(r.rangeStart), end: formatIp(r.rangeEnd), gateway: formatIp(r.gateway), explicit: r.gatewayExplicit });

describe('subnet helpers', () => {
  it.each([
    // subnet, network, last, firstUsable, lastUsable
    ['10.0.0.0/24', '10.0.0.0', '10.0.0.255', '10.0.0.1', '10.0.0.254'],
    ['10.0.0.0/30', '10.0.0.0', '10.0.0.3', '10.0.0.1', '10.0.0.2'],
    ['10.0.0.4/31', '10.0.0.4', '10.0.0.5', '10.0.0.5', '10.0.0.4'],
    ['10.0.0.9/32', '10.0.0.9', '10.0.0.9', '10.0.0.10', '10.0.0.8'],
    ['255.255.255.0/24', '255.255.255.0', '255.255.255.255', '255.255.255.1', '255.255.255.254'],
    ['255.255.255.252/30', '255.255.255.252', '255.255.255.255', '255.255.255.253', '255.255.255.254'],
    ['0.0.0.0/0', '0.0.0.0', '255.255.255.255', '0.0.0.1', '255.255.255.254'],
    // IPv6 has no broadcast: the last usable address is the all-ones one.
    ['fd00::/64', 'fd00::', 'fd00::ffff:ffff:ffff:ffff', 'fd00::1', 'fd00::ffff:ffff:ffff:ffff'],
    ['fd00::/126', 'fd00::', 'fd00::3', 'fd00::1', 'fd00::3'],
    ['fd00::/127', 'fd00::', 'fd00::1', 'fd00::1', 'fd00::1'],
    ['fd00::5/128', 'fd00::5', 'fd00::5', 'fd00::6', 'fd00::5'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff01', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ])('%s', (subnet, net, last, first, lastU) => {
    const c = parseCidr(subnet)!;
    expect(formatIp(networkAddress(c))).toBe(net);
    expect(formatIp(lastAddress(c))).toBe(last);
    expect(formatIp(firstUsable(c))).toBe(first);
    expect(formatIp(lastUsable(c))).toBe(lastU);
  });

  it('subnetContains respects family and bounds', () => {
    const c = parseCidr('10.0.0.0/24')!;
    expect(subnetContains(c, parseIp('10.0.0.0')!)).toBe(true);
    expect(subnetContains(c, parseIp('10.0.0.255')!)).toBe(true);
    expect(subnetContains(c, parseIp('10.0.1.0')!)).toBe(false);
    expect(subnetContains(c, parseIp('::a00:1')!)).toBe(false);
  });
});

describe('buildRange defaults (host-local Canonicalize)', () => {
  it('IPv4 /24: .1 to .254, gateway .1 (default, not explicit)', () => {
    expect(show(range({ subnet: '10.1.0.0/24' }))).toEqual({ start: '10.1.0.1', end: '10.1.0.254', gateway: '10.1.0.1', explicit: false });
  });
  it('IPv4 /30: .1 to .2', () => {
    expect(show(range({ subnet: '10.1.0.0/30' }))).toEqual({ start: '10.1.0.1', end: '10.1.0.2', gateway: '10.1.0.1', explicit: false });
  });
  it('top of the IPv4 space: 255.255.255.0/24 ends at .254', () => {
    expect(show(range({ subnet: '255.255.255.0/24' }))).toEqual({ start: '255.255.255.1', end: '255.255.255.254', gateway: '255.255.255.1', explicit: false });
  });
  it('IPv6 keeps the all-ones address', () => {
    expect(show(range({ subnet: 'fd00::/120' }))).toMatchObject({ start: 'fd00::1', end: 'fd00::ff', gateway: 'fd00::1' });
  });
  it('top of the IPv6 space', () => {
    expect(show(range({ subnet: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124' }))).toMatchObject({
      start: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff1',
      end: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    });
  });
  it('IPv6 /126 is the smallest allowed', () => {
    expect(show(range({ subnet: 'fd00::/126' }))).toMatchObject({ start: 'fd00::1', end: 'fd00::3' });
  });
  it('explicit values are kept and the gateway is marked explicit', () => {
    expect(show(range({ subnet: '10.1.0.0/24', rangeStart: '10.1.0.10', rangeEnd: '10.1.0.20', gateway: '10.1.0.254' }))).toEqual({
      start: '10.1.0.10',
      end: '10.1.0.20',
      gateway: '10.1.0.254',
      explicit: true,
    });
  });
  it('canonicalises IPv6 text', () => {
    expect(show(range({ subnet: 'FD00:0:0:0::/64', rangeStart: 'fd00::00a' }))).toMatchObject({ start: 'fd00::a' });
  });
});

describe('buildRange errors name the field and the value', () => {
  it.each([
    [{ subnet: '10.0.0.0/33' }, 'subnet', 'invalid CIDR "10.0.0.0/33"'],
    [{ subnet: 'banana' }, 'subnet', 'invalid CIDR "banana"'],
    [{ subnet: '10.0.0.0/31' }, 'subnet', 'network 10.0.0.0/31 too small to allocate from'],
    [{ subnet: '10.0.0.1/32' }, 'subnet', 'network 10.0.0.1/32 too small to allocate from'],
    [{ subnet: 'fd00::/127' }, 'subnet', 'network fd00::/127 too small to allocate from'],
    [{ subnet: 'fd00::1/128' }, 'subnet', 'network fd00::1/128 too small to allocate from'],
    [{ subnet: '10.0.0.5/24' }, 'subnet', 'network has host bits set: for a subnet mask of length 24 the network address is 10.0.0.0'],
    [{ subnet: 'fd00::5/64' }, 'subnet', 'network has host bits set: for a subnet mask of length 64 the network address is fd00::'],
    [{ subnet: '10.0.0.0/24', rangeStart: '10.0.1.5' }, 'rangeStart', '10.0.1.5 is not in subnet 10.0.0.0/24'],
    [{ subnet: '10.0.0.0/24', rangeEnd: '10.0.1.5' }, 'rangeEnd', '10.0.1.5 is not in subnet 10.0.0.0/24'],
    [{ subnet: '10.0.0.0/24', gateway: '10.0.1.1' }, 'gateway', '10.0.1.1 is not in subnet 10.0.0.0/24'],
    [{ subnet: '10.0.0.0/24', gateway: 'fd00::1' }, 'gateway', 'fd00::1 is IPv6 but subnet 10.0.0.0/24 is IPv4'],
    [{ subnet: '10.0.0.0/24', rangeStart: 'x' }, 'rangeStart', 'invalid IP address "x"'],
    [{ subnet: '10.0.0.0/24', rangeStart: '10.0.0.0' }, 'rangeStart', '10.0.0.0 is the network address of 10.0.0.0/24, which is never handed out'],
    [{ subnet: '10.0.0.0/24', rangeEnd: '10.0.0.255' }, 'rangeEnd', '10.0.0.255 is the broadcast address of 10.0.0.0/24, which is never handed out'],
    [{ subnet: '10.0.0.0/24', gateway: '10.0.0.255' }, 'gateway', '10.0.0.255 is the broadcast address of 10.0.0.0/24, which is never handed out'],
    [{ subnet: 'fd00::/64', rangeStart: 'fd00::' }, 'rangeStart', 'fd00:: is the network address of fd00::/64, which is never handed out'],
    [{ subnet: '10.0.0.0/24', rangeStart: '10.0.0.50', rangeEnd: '10.0.0.10' }, 'rangeStart', 'rangeStart 10.0.0.50 is after rangeEnd 10.0.0.10'],
    [{ subnet: '10.0.0.0/24', rangeEnd: '10.0.0.1' }, undefined, 'range 10.0.0.1-10.0.0.1 in 10.0.0.0/24 has no usable address: its only address is the gateway 10.0.0.1'],
    [{ subnet: '10.0.0.0/30', rangeStart: '10.0.0.2', gateway: '10.0.0.2' }, undefined, 'range 10.0.0.2-10.0.0.2 in 10.0.0.0/30 has no usable address: its only address is the gateway 10.0.0.2'],
  ] as [RangeInput, string | undefined, string][])('%j', (input, field, message) => {
    expect(errorsOf(input)).toEqual([{ field, message }]);
  });

  it('reports every bad address field at once', () => {
    expect(errorsOf({ subnet: '10.0.0.0/24', rangeStart: '10.9.0.1', rangeEnd: 'nope', gateway: '10.0.0.0' }).map((e) => e.field)).toEqual(['gateway', 'rangeStart', 'rangeEnd']);
  });

  it('a /30 with the gateway at the start still has an address', () => {
    expect(usableInRange(range({ subnet: '10.0.0.0/30' }))).toBe(1n);
  });
});

describe('range membership and overlap', () => {
  const a = range({ subnet: '10.0.0.0/24', rangeStart: '10.0.0.10', rangeEnd: '10.0.0.20' });
  it('rangeContains is start..end inclusive', () => {
    expect(rangeContains(a, parseIp('10.0.0.10')!)).toBe(true);
    expect(rangeContains(a, parseIp('10.0.0.20')!)).toBe(true);
    expect(rangeContains(a, parseIp('10.0.0.9')!)).toBe(false);
    expect(rangeContains(a, parseIp('10.0.0.21')!)).toBe(false);
  });
  it.each([
    [{ rangeStart: '10.0.0.21', rangeEnd: '10.0.0.30' }, false],
    [{ rangeStart: '10.0.0.20', rangeEnd: '10.0.0.30' }, true],
    [{ rangeStart: '10.0.0.1', rangeEnd: '10.0.0.10' }, true],
    [{ rangeStart: '10.0.0.12', rangeEnd: '10.0.0.13' }, true],
    [{ rangeStart: '10.0.0.1', rangeEnd: '10.0.0.9' }, false],
  ])('with %j → %s', (b, overlap) => {
    const rb = range({ subnet: '10.0.0.0/24', ...b });
    expect(rangesOverlap(a, rb)).toBe(overlap);
    expect(rangesOverlap(rb, a)).toBe(overlap);
  });
  it('different families never overlap', () => {
    expect(rangesOverlap(a, range({ subnet: 'fd00::/64' }))).toBe(false);
  });
  it('usable count leaves the gateway out only when it is inside start..end', () => {
    expect(usableInRange(range({ subnet: '10.0.0.0/24' }))).toBe(253n);
    expect(usableInRange(a)).toBe(11n);
    expect(usableInRange(range({ subnet: 'fd00::/64' }))).toBe((1n << 64n) - 2n);
  });
});
