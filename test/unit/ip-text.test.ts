// src/ip-text.ts replaces node:net's isIP on the start-up path; it must agree with it everywhere
// except zone IDs, which it refuses on purpose.

import { isIP } from 'node:net';
import { describe, expect, test } from 'vitest';
import { ipFamilyOf } from '../../src/ip-text.js';

describe('ipFamilyOf', () => {
  test.each([
    ['1.2.3.4', 4], ['0.0.0.0', 4], ['255.255.255.255', 4], ['01.2.3.4', 0], ['256.1.1.1', 0], ['1.2.3', 0], ['1.2.3.4.5', 0], [' 1.2.3.4', 0],
    ['::', 6], ['::1', 6], ['1::', 6], ['1:2:3:4:5:6:7:8', 6], ['1:2:3:4:5:6:7:8:9', 0], ['1:2:3:4:5:6:7::', 6], ['1::2::3', 0], [':1:2:3:4:5:6:7', 0],
    ['::ffff:1.2.3.4', 6], ['1:2:3:4:5:6:1.2.3.4', 6], ['1:2:3:4:5:6:7:1.2.3.4', 0], ['1.2.3.4::', 0], ['::ffff:01.2.3.4', 0], ['12345::', 0], ['gggg::1', 0],
    ['', 0], ['fe80::1%eth0', 0],
  ])('%j → %i', (text, family) => {
    expect(ipFamilyOf(text)).toBe(family);
  });

  test('agrees with node:net isIP on 100,000 random strings over the address alphabet', () => {
    const alphabet = '0123456789abcdefABCDEF:.';
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 100_000; i++) {
      let s = '';
      for (let j = 1 + rand(24); j > 0; j--) s += alphabet[rand(alphabet.length)];
      expect(ipFamilyOf(s), s).toBe(isIP(s));
    }
  });

  test('agrees with node:net isIP on every shape of a valid IPv6 address with :: compression', () => {
    const full = ['1', 'ab', 'ffff', '0', '12', 'cd', '3', 'e'];
    for (let start = 0; start <= 8; start++) {
      for (let len = 0; start + len <= 8; len++) {
        const text = len === 0 ? full.join(':') : `${full.slice(0, start).join(':')}::${full.slice(start + len).join(':')}`;
        expect(ipFamilyOf(text), text).toBe(isIP(text));
      }
    }
  });
});
