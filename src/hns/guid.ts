// GUID strings ↔ the 16 bytes a Win64 `REFGUID` points at.
//
// Private to ffi.ts (the only file that deals in native memory). Layout, per GUID's C definition
// `{ uint32 Data1; uint16 Data2; uint16 Data3; uint8 Data4[8] }` on little-endian x64: the first
// three fields are stored byte-reversed, Data4 in string order ("bytes_le" in Python's uuid,
// "Windows array" in go-winio). Parsing accepts exactly hcsshim's form, the 36-character
// 8-4-4-4-12 hex string in either case and without braces; printing is lowercase like hcsshim's.

import { isGuid } from './schema.js';

/** `5f0b1190-63be-4e0c-b974-bd0f55675a42` → `90 11 0b 5f be 63 0c 4e b9 74 bd 0f 55 67 5a 42`. */
export function guidToBytes(guid: string): Buffer {
  if (!isGuid(guid)) throw new TypeError(`not a GUID (want 8-4-4-4-12 hex digits): ${JSON.stringify(guid)}`);
  const hex = guid.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  // Data1, Data2, Data3 are integers stored little-endian; Data4 (bytes 8..15) stays in order.
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

/** The inverse of guidToBytes; always lowercase. */
export function bytesToGuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new TypeError(`a GUID is 16 bytes, got ${bytes.length}`);
  const b = Buffer.from(bytes); // a copy: reversing below must not touch the caller's memory
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
