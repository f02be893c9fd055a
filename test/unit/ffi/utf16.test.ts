import { describe, expect, it } from 'vitest';
import { decodeUtf16, encodeUtf16z, utf16TerminatorOffset } from '../../../src/hns/utf16.js';

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

describe('utf16TerminatorOffset', () => {
  it('finds the first 0x0000 code unit', () => {
    expect(utf16TerminatorOffset(Buffer.from('410000004200', 'hex'))).toBe(2);
  });

  it('does not mistake two zero bytes that straddle code units for a terminator', () => {
    // "A" (0x0041) then "䈀" (0x4200): bytes 41 00 00 42, zero bytes at offsets 1 and 2
    expect(utf16TerminatorOffset(Buffer.from('41000042', 'hex'))).toBe(-1);
    expect(utf16TerminatorOffset(Buffer.from('410000420000', 'hex'))).toBe(4);
  });

  it('returns -1 when there is no terminator', () => {
    expect(utf16TerminatorOffset(Buffer.from('4100', 'hex'))).toBe(-1);
  });
});

describe('decodeUtf16', () => {
  it('round-trips non-ASCII text and surrogate pairs', () => {
    const s = 'netz-ü-日本-😀';
    const z = encodeUtf16z(s);
    expect(decodeUtf16(z.subarray(0, utf16TerminatorOffset(z)))).toBe(s);
  });

  it('decodes a view into a larger buffer from its own offset', () => {
    const big = Buffer.concat([Buffer.from('xxxx'), encodeUtf16z('hé')]);
    expect(decodeUtf16(big.subarray(4, 8))).toBe('hé');
  });
});
