// PCWSTR / PWSTR text: NUL-terminated UTF-16LE, the only string form HCN takes and returns.
//
// Private to ffi.ts. ffi-rs's DataType.WString is `wchar_t*`, which is 32 bits wide on Linux, so
// strings travel as raw bytes (DataType.U8Array) that this module encodes and decodes.

/** `s` as UTF-16LE code units plus a 0x0000 terminator, ready to pass as a `PCWSTR`. */
export function encodeUtf16z(s: string): Buffer {
  // An embedded NUL would silently cut the document short on the native side; JSON never needs one
  // (JSON.stringify writes it as \u0000), so it can only be a caller bug.
  if (s.includes('\0')) throw new TypeError('a PCWSTR cannot carry an embedded NUL character');
  return Buffer.from(`${s}\0`, 'utf16le');
}

/**
 * Byte offset of the first 0x0000 code unit in `bytes` (scanning whole code units only), or -1.
 * `bytes` must start on a code-unit boundary.
 */
export function utf16TerminatorOffset(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    if (bytes[i] === 0 && bytes[i + 1] === 0) return i;
  }
  return -1;
}

/** UTF-16LE bytes (without terminator) to a JS string; surrogate pairs come back as one character. */
export function decodeUtf16(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf16le');
}
