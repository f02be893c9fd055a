import { Address4, Address6 } from 'ip-address';
import { describe, expect, it } from 'vitest';
import { cidrBounds, compareIp, formatIp, parseCidr, parseIp, parseIpOrCidr } from '../../../src/ipam/ip.js';
import { rng } from './rng.js';

describe('parseIp (Go net.ParseIP rules)', () => {
  it.each([
    ['10.0.0.1', 4, 0x0a000001n],
    ['0.0.0.0', 4, 0n],
    ['255.255.255.255', 4, 0xffffffffn],
    ['fd00::1', 6, (0xfd00n << 112n) | 1n],
    ['FD00:0:0:0:0:0:0:1', 6, (0xfd00n << 112n) | 1n],
    ['::', 6, 0n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 6, (1n << 128n) - 1n],
    // IPv4-mapped IPv6 is the IPv4 address, as Go's To4() makes it.
    ['::ffff:10.1.2.3', 4, 0x0a010203n],
  ] as const)('%s → IPv%i', (text, family, value) => {
    expect(parseIp(text)).toEqual({ family, value });
  });

  it.each(['', '010.0.0.1', '1.2.3', '256.0.0.1', '10.0.0.1/24', 'fd00::1%eth0', ' 10.0.0.1', 'fd00::1::2', 'x', '1:2:3:4:5:6:7:8:9'])(
    'rejects %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});

describe('formatIp prints what Go prints (the store file name)', () => {
  it.each([
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal zero runs
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'], // a single zero group is not compressed
    ['fd00:0:0:1:0:0:0:5', 'fd00:0:0:1::5'], // the longest run wins
    ['FD00::A', 'fd00::a'],
    ['10.0.0.7', '10.0.0.7'],
  ])('%s → %s', (input, printed) => {
    const ip = parseIp(input);
    expect(ip).toBeDefined();
    expect(formatIp(ip!)).toBe(printed);
  });
});

describe('parseCidr', () => {
  it('keeps host bits so the caller can refuse them', () => {
    expect(parseCidr('10.0.0.5/24')).toEqual({ ip: { family: 4, value: 0x0a000005n }, prefix: 24 });
  });
  it.each(['10.0.0.0', '10.0.0.0/33', '10.0.0.0/024', 'fd00::/129', '/24', '10.0.0.0/', '::ffff:10.0.0.0/120', '10.0.0.0/-1'])('rejects %j', (t) => {
    expect(parseCidr(t)).toBeUndefined();
  });
  it('agrees with ip-address on parsing, printing and subnet bounds of 5,000 random IPv4 and IPv6 CIDRs', () => {
    // IPv4 is done without ip-address (it is loaded on first IPv6 use), so this pins the two paths together.
    const r = rng(20261122);
    for (let i = 0; i < 5000; i++) {
      const v6 = i % 2 === 1;
      const bits = v6 ? 128 : 32;
      let value = 0n;
      for (let b = 0; b < bits; b += 16) value = (value << 16n) | BigInt(Math.floor(r() * 65536));
      const prefix = Math.floor(r() * (bits + 1));
      const ref = v6 ? Address6.fromBigInt(value) : Address4.fromBigInt(value);
      const text = ref.correctForm();
      const ip = parseIp(text);
      expect(ip, text).toEqual({ family: v6 && value >> 32n !== 0xffffn ? 6 : 4, value: v6 && value >> 32n === 0xffffn ? value & 0xffffffffn : value });
      if (!v6) expect(formatIp({ family: 4, value })).toBe(text);
      const net = v6 ? new Address6(`${text}/${prefix}`) : new Address4(`${text}/${prefix}`);
      expect(cidrBounds({ ip: { family: v6 ? 6 : 4, value }, prefix }), `${text}/${prefix}`).toEqual({ first: net.startAddress().bigInt(), last: net.endAddress().bigInt() });
    }
  });

  it('computes subnet bounds', () => {
    expect(cidrBounds(parseCidr('10.1.2.3/24')!)).toEqual({ first: 0x0a010200n, last: 0x0a0102ffn });
    const v6 = cidrBounds(parseCidr('fd00::/120')!);
    expect(v6.last - v6.first).toBe(255n);
  });
});

describe('parseIpOrCidr (requested addresses)', () => {
  it('takes the address of ip/prefix and a bare ip', () => {
    expect(parseIpOrCidr('10.0.0.9/24')).toEqual({ family: 4, value: 0x0a000009n });
    expect(parseIpOrCidr('10.0.0.9')).toEqual({ family: 4, value: 0x0a000009n });
    expect(parseIpOrCidr('10.0.0.9/40')).toBeUndefined();
  });
});

describe('compareIp', () => {
  it('orders by family then value', () => {
    const a = parseIp('10.0.0.2')!;
    const b = parseIp('10.0.0.10')!;
    const c = parseIp('::1')!;
    expect([c, b, a].sort(compareIp).map(formatIp)).toEqual(['10.0.0.2', '10.0.0.10', '::1']);
  });
});
