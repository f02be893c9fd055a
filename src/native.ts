// The ffi-rs native addon, loaded lazily, from node_modules or from inside the single executable.
//
// Why this exists: the packaged plugin is one file (a Node SEA, see scripts/build.sh), but a `.node`
// addon can only be loaded from a real file. The build embeds the addon as a SEA asset; on first use
// it is written, named by its sha256, to `<folder of the executable>/.native-cache/<sha16>/` and
// loaded with `process.dlopen`. That folder and not %TEMP%: the plugin runs as SYSTEM, and a DLL in a
// world-writable folder could be planted. For the same reason the file is compared byte for byte with
// the embedded copy before every load. The build passes the sha256 it computed, so no start pays for
// hashing 750 KB (or for loading node:crypto). Under vitest or plain node the normal `ffi-rs`
// package is used.
//
// Nothing here does work at import time: loading ffi-rs costs milliseconds and most CNI calls on
// Linux never need it, so callers ask for it with loadFfi() at the moment they make a foreign call.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { nativeCacheRoot, writeIntoPlace } from './native-cache-dir.js';
import { sha256Hex } from './sha256.js';

export { NATIVE_CACHE_DIR, nativeCacheRoot } from './native-cache-dir.js';

export type FfiModule = typeof import('ffi-rs');

/** The part of `node:sea` the loader uses; a parameter so tests can pass a fake. */
export interface SeaAssets {
  isSea(): boolean;
  getRawAsset(key: string): ArrayBuffer;
}

let ffi: FfiModule | undefined;

/**
 * ffi-rs, loaded on first call and memoized. In the packaged binary the build redirects ffi-rs's own
 * `require('@yuuang/ffi-rs-<triple>')` to loadAddon() below, so this one call covers both cases.
 */
export function loadFfi(): FfiModule {
  ffi ??= require('ffi-rs') as FfiModule;
  return ffi;
}

/** ffi-rs if this process has loaded it already, else undefined (never loads it). */
export function loadedFfi(): FfiModule | undefined {
  return ffi;
}

/**
 * The build's replacement for `require('@yuuang/ffi-rs-<triple>')` inside the bundle: the embedded
 * asset `assetName` when running as a SEA, else the installed package `pkg` (a bundle run by plain
 * node, for debugging and benchmarks).
 */
export function loadAddon(assetName: string, pkg: string, digest?: string): unknown {
  const sea = seaModule();
  if (sea?.isSea()) return loadEmbeddedAddon(assetName, sea, digest);
  // createRequire keeps the bundler from trying to inline the package; the bundle sits in the repo,
  // so resolution from it finds node_modules. node:module is required here, not at the top: the
  // executable never takes this path and need not load it.
  const { createRequire } = require('node:module') as typeof import('node:module');
  return createRequire(__filename)(pkg);
}

/** Extracts the SEA asset `assetName` (see extractAddon) and loads it. `digest`: its sha256, if known. */
export function loadEmbeddedAddon(assetName: string, sea: SeaAssets, digest?: string): unknown {
  const bytes = new Uint8Array(sea.getRawAsset(assetName));
  const file = extractAddon(bytes, assetName, nativeCacheRoot(), digest);
  const mod = { exports: {} as unknown };
  process.dlopen(mod, file);
  return mod.exports;
}

/**
 * Makes sure `<root>/<first 16 hex of sha256(bytes)>/<name>` holds exactly `bytes` and returns its path.
 * `digest` is sha256(bytes) when the caller knows it (the build computes it), else it is computed.
 *
 * An existing file is trusted only if it equals `bytes`. Otherwise the bytes are written into place
 * (writeIntoPlace: never half-written). If the rename loses a race (on Windows the target may be
 * mapped by another process and cannot be replaced), the winner's file is accepted once it verifies.
 */
export function extractAddon(bytes: Uint8Array, name: string, root: string, digest: string = sha256Hex(bytes)): string {
  const dir = join(root, digest.slice(0, 16));
  const file = join(dir, name);
  if (fileHolds(file, bytes)) return file;

  try {
    writeIntoPlace(file, bytes, 0o755);
  } catch (err) {
    if (!fileHolds(file, bytes)) {
      throw new Error(
        `cannot extract the embedded native addon ${name} to ${dir}: ${(err as Error).message}` +
          ' (set CNI_NATIVE_CACHE to a folder only administrators can write)',
        { cause: err },
      );
    }
  }
  return file;
}

/** The size of the buffer fileHolds() reads through. */
const COMPARE_CHUNK = 64 * 1024;

/**
 * Whether `file` holds exactly `bytes` (false also when it cannot be read). Read through one small
 * buffer: a fresh buffer the size of the addon (750 KB) cost every start its page faults.
 */
export function fileHolds(file: string, bytes: Uint8Array): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    if (fstatSync(fd).size !== bytes.byteLength) return false;
    const chunk = Buffer.allocUnsafe(Math.max(1, Math.min(COMPARE_CHUNK, bytes.byteLength)));
    for (let at = 0; at < bytes.byteLength; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, bytes.byteLength - at), at);
      if (n <= 0 || Buffer.compare(chunk.subarray(0, n), bytes.subarray(at, at + n)) !== 0) return false;
      at += n;
    }
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** `node:sea`, or undefined on a Node without it (older than 20.12, where nothing can be a SEA). */
function seaModule(): SeaAssets | undefined {
  try {
    return require('node:sea') as SeaAssets;
  } catch {
    return undefined;
  }
}
