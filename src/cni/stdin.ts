// Turns the bytes containerd wrote to stdin into a JSON value. Read once with fs.readFileSync(0):
// stream-based stdin breaks on pipes under Wine, and a CNI plugin reads one document anyway.

import { readFileSync } from 'node:fs';
import { CniError, ErrorCode } from './errors.js';

/** Upper bound for a network config. Real ones are a few KiB; anything this large is a mistake. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export function readStdin(): Buffer {
  try {
    return readFileSync(0);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // No stdin at all (closed, or a terminal in some environments) reads as empty.
    if (err.code === 'EAGAIN' || err.code === 'EOF' || err.code === 'EBADF') return Buffer.alloc(0);
    throw new CniError(ErrorCode.IoFailure, `failed to read the network config from stdin: ${err.message}`);
  }
}

export interface DecodedInput {
  value: unknown;
  /** True when a UTF-8 byte-order mark was stripped (Windows PowerShell writes one). */
  hadBom: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeConfig(bytes: Buffer): DecodedInput {
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new CniError(
      ErrorCode.DecodingFailure,
      `network config on stdin is ${bytes.length} bytes; the limit is ${MAX_CONFIG_BYTES} bytes`,
    );
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new CniError(ErrorCode.DecodingFailure, 'network config is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new CniError(ErrorCode.DecodingFailure, 'network config on stdin is not valid UTF-8');
  }
  const hadBom = text.charCodeAt(0) === 0xfeff;
  if (hadBom) text = text.slice(1);
  if (text.trim() === '') throw new CniError(ErrorCode.DecodingFailure, 'no network config on stdin (it was empty)');
  try {
    return { value: JSON.parse(text) as unknown, hadBom };
  } catch (e) {
    throw new CniError(ErrorCode.DecodingFailure, `network config on stdin is not valid JSON: ${(e as Error).message}`);
  }
}
