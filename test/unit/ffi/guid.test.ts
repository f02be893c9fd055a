import { describe, expect, it } from 'vitest';
import { bytesToGuid, guidToBytes } from '../../../src/hns/guid.js';

// Expected bytes are Python's uuid.UUID(s).bytes_le, the layout of a GUID struct in Win64 memory.
const TABLE: Array<[string, string]> = [
  ['5f0b1190-63be-4e0c-b974-bd0f55675a42', '90110b5fbe630c4eb974bd0f55675a42'], // the reference's worked example
  ['00000000-0000-0000-0000-000000000000', '00000000000000000000000000000000'],
  ['ffffffff-ffff-ffff-ffff-ffffffffffff', 'ffffffffffffffffffffffffffffffff'],
  ['00112233-4455-6677-8899-aabbccddeeff', '33221100554477668899aabbccddeeff'],
  ['12345678-9abc-def0-1122-334455667788', '78563412bc9af0de1122334455667788'],
];

describe('guidToBytes / bytesToGuid (Windows bytes_le layout)', () => {
  it.each(TABLE)('%s ↔ %s', (guid, hex) => {
    expect(guidToBytes(guid).toString('hex')).toBe(hex);
    expect(bytesToGuid(Buffer.from(hex, 'hex'))).toBe(guid);
  });

  it('accepts upper case and always prints lower case', () => {
    const upper = '5F0B1190-63BE-4E0C-B974-BD0F55675A42';
    expect(guidToBytes(upper).toString('hex')).toBe('90110b5fbe630c4eb974bd0f55675a42');
    expect(bytesToGuid(guidToBytes(upper))).toBe(upper.toLowerCase());
  });

  it('returns a fresh 16-byte buffer each call (a callee may write to its copy)', () => {
    const a = guidToBytes(TABLE[0]![0]);
    const b = guidToBytes(TABLE[0]![0]);
    expect(a).toHaveLength(16);
    a[0] = 0;
    expect(b[0]).toBe(0x90);
  });

  it('does not modify the bytes it decodes', () => {
    const bytes = Buffer.from('90110b5fbe630c4eb974bd0f55675a42', 'hex');
    bytesToGuid(bytes);
    expect(bytes.toString('hex')).toBe('90110b5fbe630c4eb974bd0f55675a42');
  });

  it.each(['{5f0b1190-63be-4e0c-b974-bd0f55675a42}', '5f0b119063be4e0cb974bd0f55675a42', '5f0b1190-63be-4e0c-b974-bd0f55675a4', '5f0b1190-63be-4e0c-b974-bd0f55675a4g', ''])(
    'rejects %j',
    (bad) => {
      expect(() => guidToBytes(bad)).toThrow(TypeError);
    },
  );

  it('rejects a byte array that is not 16 bytes', () => {
    expect(() => bytesToGuid(new Uint8Array(15))).toThrow(/16 bytes/);
  });
});
