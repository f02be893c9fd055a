// A V8 code cache made on the node itself, for an executable that carries none (the Windows one:
// node.exe rejects caches made by Linux node, see src/launcher.ts). After the first successful
// ADD the launcher writes the cache of everything that ADD compiled; later starts load it.
//
// It lives beside the extracted ffi-rs addon, in `<.native-cache>/<first 16 hex of the bundle's
// sha256>/`, a folder beside the executable that only administrators can write (see native.ts):
// a code cache is code, so it must not sit where anyone else could plant one. A new build has
// another digest, so a cache is never applied to a bundle it was not made from (V8 checks as well).

import fs from 'node:fs';
import path from 'node:path';
import { nativeCacheRoot } from './native-cache-dir.js';

/** Where the local cache of the bundle with this sha256 is kept. */
export function localCacheFile(bundleDigest: string, name: string, root: string = nativeCacheRoot()): string {
  return path.join(root, bundleDigest.slice(0, 16), name);
}

export function readLocalCache(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Writes the cache under a private name and renames it into place, so a concurrent start never
 * reads half a file. Never throws: without a cache the plugin is slower, not broken.
 */
export function writeLocalCache(file: string, data: Buffer): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, data, { flag: 'w', mode: 0o644 });
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never written
    }
    return false;
  }
}
