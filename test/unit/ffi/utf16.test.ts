import { describe, expect, it } from 'vitest';
import { decodeUtf16UpToNul, encodeUtf16z } from '../../../src/hns/utf16.js';

describe('encodeUtf16z', () => {
  it('writes UTF-16LE code units and a 0x0000 terminator', () => {
    expect(encodeUtf16z('Ab').toString('hex')).toBe('410062000000');
  });

  it('writes a character outside the BMP as a surrogate pair', () => {
    // U+1F600 = D83D DE00
    expect(encodeUtf16z('😀').toString('hex')).toBe('3dd800de0000');
  });

  it('encodes the empty string as just the terminator', () => {
    expect(encodeUtf16z('').toString('hex')).toBe('0000');
  });

  it('refuses an embedded NUL, which would cut the document short natively', () => {
    expect(() => encodeUtf16z('a\0b')).toThrow(/NUL/);
  });
});

describe('decodeUtf16UpToNul', () => {
  it.each([
    ['a terminator after the text', '410042000000', 'AB', true],
    ['a terminator first', '00004100', '', true],
    ['text after the terminator, which is not read', '410000004200', 'A', true],
    ['no terminator', '41004200', 'AB', false],
    ['nothing', '', '', false],
    // "A" (0x0041) then "Ā" (0x0100): bytes 41 00 00 01, zero bytes at offsets 1 and 2 straddle two code units
    ['two zero bytes that straddle code units, which are no terminator', '410000010000', 'A\u0100', true],
    ['an odd last byte, which is ignored', '410042', 'A', false],
  ])('decodes %s', (_what, hex, text, terminated) => {
    expect(decodeUtf16UpToNul(Buffer.from(hex, 'hex'))).toEqual({ text, terminated });
  });

  it('round-trips non-ASCII text and surrogate pairs', () => {
    const s = 'netz-ü-日本-😀';
    expect(decodeUtf16UpToNul(encodeUtf16z(s))).toEqual({ text: s, terminated: true });
  });

  it('decodes a view into a larger buffer from its own offset', () => {
    const big = Buffer.concat([Buffer.from('xxxx'), encodeUtf16z('hé')]);
    expect(decodeUtf16UpToNul(big.subarray(4))).toEqual({ text: 'hé', terminated: true });
  });

  it('rejoins a surrogate pair split between two chunks when their texts are concatenated', () => {
    const z = encodeUtf16z('a😀b'); // 61 00 | 3d d8 | 00 de | 62 00 | 00 00
    const first = decodeUtf16UpToNul(z.subarray(0, 4));
    const second = decodeUtf16UpToNul(z.subarray(4));
    expect(first).toEqual({ text: 'a\ud83d', terminated: false });
    expect(first.text + second.text).toBe('a😀b');
    expect(second.terminated).toBe(true);
  });
});
