// Writes to stdout and stderr with fs.writeSync on fds 1 and 2, never through process.stdout or
// process.stderr: stream writes on pipes break under Wine, a process that exits right after writing
// must not lose buffered output, and the stream machinery costs every start that touches it about
// 25 of Node's modules.

import { writeSync } from 'node:fs';

/** Writes all of `text` to `fd`. A full non-blocking pipe is retried; a closed one ends the output. */
export function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
}
