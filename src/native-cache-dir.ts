// The executable's private folder: extracted native addons (src/native.ts) and the code cache made
// on the node (src/local-code-cache.ts) live there. Beside the executable and not in %TEMP%: the
// plugin runs as SYSTEM, and code in a folder anyone can write could be planted. Its own module so
// the launcher can find the folder without loading ffi-rs.

import path from 'node:path';

/** Folder, beside the executable, under which embedded addons are extracted. */
export const NATIVE_CACHE_DIR = '.native-cache';

/** `$CNI_NATIVE_CACHE` if set, else `.native-cache` in the folder of the executable. Never a temp folder. */
export function nativeCacheRoot(env: NodeJS.ProcessEnv = process.env, execPath: string = process.execPath): string {
  const override = env.CNI_NATIVE_CACHE;
  return override !== undefined && override !== '' ? override : path.join(path.dirname(execPath), NATIVE_CACHE_DIR);
}
