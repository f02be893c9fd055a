// The ffi-rs native addon, loaded lazily, from node_modules or from inside the single executable.
//
// Why this exists: the packaged plugin is one file (a Node SEA, see scripts/build.sh), but a `.node`
// addon can only be loaded from a real file. The build embeds the addon as a SEA asset; on first use
// it is written, named by its sha256, to `<folder of the executable>/.native-cache/<sha16>/` and
// loaded with `process.dlopen`. That folder and not %TEMP%: the plugin runs as SYSTEM, and a DLL in a
// world-writable folder could be planted. The file is hashed again before every load for the same
// reason. Under vitest or plain node the normal `ffi-rs` package is used.
//
// Nothing here does work at import time: loading ffi-rs costs milliseconds and most CNI calls on
// Linux never need it, so callers ask for it with loadFfi() at the moment they make a foreign call.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export type FfiModule = typeof import('ffi-rs');

/** The part of `node:sea` the loader uses; a parameter so tests can pass a fake. */
export interface SeaAssets {
  isSea(): boolean;
  getRawAsset(key: string): ArrayBuffer;
}

/** Folder, beside the executable, under which embedded addons are extracted. */
export const NATIVE_CACHE_DIR = '.native-cache';

let ffi: FfiModule | undefined;

/**
 * ffi-rs, loaded on first call and memoized. In the packaged binary the build redirects ffi-rs's own
 * `require('@yuuang/ffi-rs-<triple>')` to loadAddon() below, so this one call covers both cases.
 */
export function loadFfi(): FfiModule {
  ffi ??= require('ffi-rs') as FfiModule;
  return ffi;
}

/**
 * The build's replacement for `require('@yuuang/ffi-rs-<triple>')` inside the bundle: the embedded
 * asset `assetName` when running as a SEA, else the installed package `pkg` (a bundle run by plain
 * node, for debugging and benchmarks).
 */
export function loadAddon(assetName: string, pkg: string): unknown {
  const sea = seaModule();
  if (sea?.isSea()) return loadEmbeddedAddon(assetName, sea);
  // createRequire keeps the bundler from trying to inline the package; the bundle sits in the repo,
  // so resolution from it finds node_modules.
  return createRequire(__filename)(pkg);
}

/** Extracts the SEA asset `assetName` (see extractAddon) and loads it. */
export function loadEmbeddedAddon(assetName: string, sea: SeaAssets): unknown {
  const bytes = new Uint8Array(sea.getRawAsset(assetName));
  const file = extractAddon(bytes, assetName, nativeCacheRoot());
  const mod = { exports: {} as unknown };
  process.dlopen(mod, file);
  return mod.exports;
}

/** `$CNI_NATIVE_CACHE` if set, else `.native-cache` in the folder of the executable. Never a temp folder. */
export function nativeCacheRoot(env: NodeJS.ProcessEnv = process.env, execPath: string = process.execPath): string {
  const override = env.CNI_NATIVE_CACHE;
  return override !== undefined && override !== '' ? override : path.join(path.dirname(execPath), NATIVE_CACHE_DIR);
}

/**
 * Makes sure `<root>/<first 16 hex of sha256(bytes)>/<name>` holds exactly `bytes` and returns its path.
 *
 * An existing file is trusted only if its hash matches. Otherwise the bytes are written to a private
 * temporary name and renamed into place, so a concurrent run (containerd starts many at once) never
 * loads a half-written file. If the rename loses a race (on Windows the target may be mapped by
 * another process and cannot be replaced), the winner's file is accepted once it verifies.
 */
export function extractAddon(bytes: Uint8Array, name: string, root: string): string {
  const digest = sha256(bytes);
  const dir = path.join(root, digest.slice(0, 16));
  const file = path.join(dir, name);
  const verified = (): boolean => {
    try {
      return sha256(fs.readFileSync(file)) === digest;
    } catch {
      return false;
    }
  };
  if (verified()) return file;

  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(tmp, bytes, { flag: 'wx', mode: 0o755 });
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // Never created, or already renamed: nothing to clean up.
    }
    if (!verified()) {
      throw new Error(
        `cannot extract the embedded native addon ${name} to ${dir}: ${(err as Error).message}` +
          ' (set CNI_NATIVE_CACHE to a folder only administrators can write)',
        { cause: err },
      );
    }
  }
  return file;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `node:sea`, or undefined on a Node without it (older than 20.12, where nothing can be a SEA). */
function seaModule(): SeaAssets | undefined {
  try {
    return require('node:sea') as SeaAssets;
  } catch {
    return undefined;
  }
}
