// src/sha256.ts must give exactly node:crypto's digests: endpoint names and lock stripes are derived
// from them, and a different digest would orphan every endpoint created before an upgrade.

import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { sha256, sha256Hex } from '../../src/sha256.js';

const reference = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('sha256', () => {
  test.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ])('FIPS 180-4 example %j', (input, digest) => {
    expect(sha256Hex(input)).toBe(digest);
  });

  test('every length from 0 to 300 bytes, across the 55/56/64-byte padding boundaries, matches node:crypto', () => {
    for (let n = 0; n <= 300; n++) {
      const bytes = randomBytes(n);
      expect(sha256Hex(bytes), `length ${n}`).toBe(reference(bytes));
    }
  });

  test('strings are hashed as UTF-8, including NULs and non-ASCII', () => {
    for (const s of ['c1\0eth0\0pods', 'ü€😀', 'x'.repeat(1000), '\0'.repeat(64)]) {
      expect(sha256Hex(s)).toBe(reference(Buffer.from(s, 'utf8')));
    }
  });

  test('the binary digest is 32 bytes, the same bytes as the hex form', () => {
    const d = sha256('pod');
    expect(d.length).toBe(32);
    expect(d.toString('hex')).toBe(sha256Hex('pod'));
  });
});
