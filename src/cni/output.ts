// stdout carries exactly one JSON document per invocation. fs.writeSync(1) is used because stream
// writes to a pipe fail under Wine and may be cut short by process.exit.

import { writeAll } from '../fd-write.js';
import { CniError } from './errors.js';

export function writeStdout(doc: unknown): void {
  writeAll(1, `${JSON.stringify(doc, null, 2)}\n`);
}

export function errorDocument(err: CniError, cniVersion: string): Record<string, unknown> {
  const doc: Record<string, unknown> = { cniVersion, code: err.code, msg: err.message };
  if (err.details) doc.details = err.details;
  return doc;
}
