import { describe, expect, it } from 'vitest';
import { randomGuid } from '../../../src/bridge/naming.js';
import { isGuid } from '../../../src/hns/schema.js';

describe('randomGuid', () => {
  it.each([
    ['all zero bits', () => 0, '00000000-0000-4000-8000-000000000000'],
    ['all one bits', () => 0.9999999999, 'ffffffff-ffff-4fff-bfff-ffffffffffff'],
  ])('sets the version 4 and variant 10 bits over %s', (_what, random, guid) => {
    expect(randomGuid(random)).toBe(guid);
  });

  it('puts 32 bits of each random draw in order', () => {
    const draws = [0x01234567, 0x89abcdef, 0xfedcba98, 0x76543210].map((n) => n / 0x1_0000_0000);
    let i = 0;
    expect(randomGuid(() => draws[i++] ?? 0)).toBe('01234567-89ab-4def-bedc-ba9876543210');
  });

  it('gives distinct, well-formed version 4 GUIDs from Math.random', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 20_000; n++) {
      const g = randomGuid();
      expect(isGuid(g)).toBe(true);
      expect(g.charAt(14)).toBe('4');
      expect('89ab').toContain(g.charAt(19));
      seen.add(g);
    }
    expect(seen.size).toBe(20_000);
  });
});
