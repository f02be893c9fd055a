// The executable's private folder, and how files get into it: extracted native addons
// (src/native.ts) and the code cache made on the node (src/local-code-cache.ts) live there. Beside the executable and not in %TEMP%: the
// plugin runs as SYSTEM, and code in a folder anyone can write could be planted. Its own module so
// the launcher can find the folder without loading ffi-rs.

import { mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Folder, beside the executable, under which embedded addons are extracted. */
export const NATIVE_CACHE_DIR = '.native-cache';

/** `$CNI_NATIVE_CACHE` if set, else `.native-cache` in the folder of the executable. Never a temp folder. */
export function nativeCacheRoot(env: NodeJS.ProcessEnv = process.env, execPath: string = process.execPath): string {
  const override = env.CNI_NATIVE_CACHE;
  return override !== undefined && override !== '' ? override : join(dirname(execPath), NATIVE_CACHE_DIR);
}

/**
 * Writes `data` to `file` under a private temporary name and renames it into place, so a concurrent
 * start (containerd runs many at once) never reads a half-written file. Creates the folder. Throws
 * when it cannot, leaving no temporary file behind.
 */
export function writeIntoPlace(file: string, data: Uint8Array, mode: number): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, data, { flag: 'wx', mode });
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed: nothing to clean up.
    }
    throw err;
  }
}
