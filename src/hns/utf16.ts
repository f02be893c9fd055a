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
 * The text of the UTF-16LE code units in `bytes` up to the first 0x0000 unit, and whether there was
 * one (else the text of all of them). `bytes` must start on a code-unit boundary; an odd last byte is
 * ignored. Decoding first and searching the text keeps the scan in native code: a byte loop runs in
 * V8's interpreter in the executables. A surrogate pair split between two chunks comes back as two
 * halves that join again when the chunks' texts are concatenated.
 */
export function decodeUtf16UpToNul(bytes: Uint8Array): { text: string; terminated: boolean } {
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf16le');
  const end = all.indexOf('\0');
  return end < 0 ? { text: all, terminated: false } : { text: all.slice(0, end), terminated: true };
}
