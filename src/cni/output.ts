// stdout carries exactly one JSON document per invocation. fs.writeSync(1) is used because stream
// writes to a pipe fail under Wine and may be cut short by process.exit.

import { writeSync } from 'node:fs';
import { CniError } from './errors.js';

export function writeStdout(doc: unknown): void {
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      // A non-blocking pipe can be briefly full; anything else means nobody is reading.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
}

export function errorDocument(err: CniError, cniVersion: string): Record<string, unknown> {
  const doc: Record<string, unknown> = { cniVersion, code: err.code, msg: err.message };
  if (err.details) doc.details = err.details;
  return doc;
}
