// A V8 code cache made on the node itself, for an executable that carries none (the Windows one:
// node.exe rejects caches made by Linux node, see src/launcher.ts). After the first successful
// ADD the launcher writes the cache of everything that ADD compiled; later starts load it.
//
// It lives beside the extracted ffi-rs addon, in `<.native-cache>/<first 16 hex of the bundle's
// sha256>/`, a folder beside the executable that only administrators can write (see native.ts):
// a code cache is code, so it must not sit where anyone else could plant one. A new build has
// another digest, so a cache is never applied to a bundle it was not made from (V8 checks as well).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeCacheRoot, writeIntoPlace } from './native-cache-dir.js';

/** Where the local cache of the bundle with this sha256 is kept. */
export function localCacheFile(bundleDigest: string, name: string, root: string = nativeCacheRoot()): string {
  return join(root, bundleDigest.slice(0, 16), name);
}

export function readLocalCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes the cache into place (never half-written). Never throws: without a cache the plugin is slower, not broken. */
export function writeLocalCache(file: string, data: Buffer): boolean {
  try {
    writeIntoPlace(file, data, 0o644);
    return true;
  } catch {
    return false;
  }
}
