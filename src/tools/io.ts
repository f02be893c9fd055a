// Output of the operator commands. fs.writeSync on fds 1 and 2, like the plugin itself (design.md:
// stream writes on pipes break under Wine, and a process that exits right after writing must not
// lose buffered output).

import { writeAll } from '../fd-write.js';

export function out(text: string): void {
  writeAll(1, text.endsWith('\n') ? text : `${text}\n`);
}

export function err(text: string): void {
  writeAll(2, text.endsWith('\n') ? text : `${text}\n`);
}

/** Machine-readable output: one pretty-printed JSON document on stdout. */
export function outJson(doc: unknown): void {
  out(JSON.stringify(doc, null, 2));
}
