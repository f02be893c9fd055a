// The single executable's main script. It is tiny on purpose: the plugin itself (build/app.cjs) is
// a SEA asset, compiled here with a V8 code cache that the build made *after running* the plugin's
// hot paths (scripts/warm-cache.mjs).
//
// Why not Node's own `useCodeCache`: Node makes that cache right after compiling, so it holds only
// the functions V8 compiles eagerly; every function the verb calls is still compiled on first call,
// on every start. A cache taken after a warm-up run holds them all. V8 accepts a cache only from the
// same V8 build with the same flags; node.exe rejects the one Linux node makes, so the Windows
// executable carries none: it makes its own on the node, after the first successful ADD
// (src/local-code-cache.ts). `--version` tells which cache is in use.
//
// There are two bundles, each with its own cache: the full one, and one without the gRPC backend
// (build/app-ffi.cjs) for when HNS is reached through FFI, which is always the case on Windows.
// Reading and deserializing gRPC's share would cost every FFI start ~4 ms for code it never runs.
//
// Both are embedded so that V8 can use them where they lie, without copying them first (each copy
// of these half-megabyte blocks is ~120 fresh pages; together ~330 page faults fewer per ADD):
// - the bundle asset is the source already inside its CommonJS wrapper (scripts/build.mjs writes
//   build/*.sea.js); wrapping it here would make a two-part string that V8 flattens, a copy;
// - a cache asset is framed so that the cache itself starts 8-byte aligned in the executable's
//   memory (scripts/sea-align.mjs sets the padding); V8 copies a cache that is not.

import type { SkelIo } from './cni/skel.js';
import { chosenBackend } from './hns/backend-choice.js';
import { localCacheFile, readLocalCache, writeLocalCache } from './local-code-cache.js';

/** What src/main.ts exports (the app bundle's module.exports). */
export interface App {
  run(argv: string[], startup: StartupInfo): void;
  cni(io: SkelIo): Promise<number>;
}

export interface StartupInfo {
  /** `accepted`: the warm code cache was used; `rejected`: V8 refused it; `absent`: there is none. */
  codeCache: 'accepted' | 'rejected' | 'absent';
  /** `built-in`: the build's cache; else the file this node's own cache is (or will be) kept in. */
  cacheSource?: 'built-in' | { file: string };
}

/** The SEA assets of one bundle: its source, its sha256 (hex) and (Linux only) its warm code cache. */
export interface AppAssets {
  source: string;
  digest: string;
  cache: string;
}

export const FULL_APP: AppAssets = { source: 'hnsbridge.cjs', digest: 'hnsbridge.sha256', cache: 'hnsbridge.cache' };
export const FFI_APP: AppAssets = { source: 'hnsbridge-ffi.cjs', digest: 'hnsbridge-ffi.sha256', cache: 'hnsbridge-ffi.cache' };

/** The bundle for this start: FFI-only when FFI is the backend, else the full one (which also reports a bad HNS_BACKEND). */
export function appFor(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): AppAssets {
  return chosenBackend(env, platform) === 'ffi' ? FFI_APP : FULL_APP;
}

/** The script name V8 records. It must be the same when the cache is made and when it is used. */
const SCRIPT_NAME = 'hnsbridge.cjs';

/** How a bundle asset begins: Node's CommonJS wrapper, which scripts/build.mjs takes from here and puts around the bundle. */
export const CJS_WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {';

/**
 * The cache inside a framed cache asset: byte 0 holds the number of padding bytes that follow it,
 * then comes the cache. The build chooses the padding that puts the cache at an 8-byte boundary.
 */
export function unframeCache(framed: Buffer): Buffer {
  return framed.subarray(1 + (framed[0] ?? 0));
}

type ModuleFunction = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

export interface CompiledApp {
  /** Evaluates the bundle (its top level only) and returns its exports. */
  load(require: NodeJS.Require, filename: string): App;
  codeCache: StartupInfo['codeCache'];
  /** The code cache as it stands now: after a warm-up run it includes every function that ran. */
  createCachedData(): Buffer;
}

/** What `vm.Script` is built on: the `contextify` binding's script class, the same in Node 20 to 24. */
interface RawScript {
  cachedDataRejected?: boolean;
  createCachedData(): Buffer;
  runInContext(context: null, timeoutMs: number, displayErrors: boolean, breakOnSigint: boolean, breakOnFirstLine: boolean): unknown;
}
type RawScriptClass = new (
  code: string,
  filename: string,
  lineOffset: number,
  columnOffset: number,
  cachedData: Buffer | undefined,
  produceCachedData: boolean,
  parsingContext: undefined,
  hostDefinedOptionId: symbol,
) => RawScript;

/** The script's tag for Node's dynamic-import hook. None is registered for it, so an import() in the bundle fails as under vm.Script without `importModuleDynamically` (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING); the bundle has none. */
const SCRIPT_ID = Symbol('hnsbridge bundle');

/**
 * The script class under `vm.Script`, or undefined where it cannot be trusted to be that.
 *
 * Why not `vm.Script` itself: the executables run with V8 flags (scripts/build.sh), under which
 * every Node module loaded after start-up is compiled from source, and `node:vm` with its helpers
 * is the largest one a pod verb loads (~0.5 ms per start). vm.Script only validates its options and
 * passes them on to this class in the order below. The executables are built from one pinned Node,
 * and test/e2e/build.test.ts shows both bundles' caches accepted through this path; elsewhere (a
 * Node whose class takes other arguments, `process.binding` gone or wrapped by
 * --pending-deprecation, which would print a warning) `vm.Script` is used.
 */
export function rawScriptClass(): RawScriptClass | undefined {
  const binding = (process as unknown as { binding?: unknown }).binding;
  if (typeof binding !== 'function' || binding.name !== 'binding') return undefined;
  try {
    const raw = (binding as (name: string) => { ContextifyScript?: unknown })('contextify').ContextifyScript;
    if (typeof raw !== 'function' || typeof raw.prototype?.runInContext !== 'function' || typeof raw.prototype?.createCachedData !== 'function') return undefined;
    return raw as RawScriptClass;
  } catch {
    return undefined;
  }
}

/**
 * Compiles a bundle asset: a CommonJS bundle inside Node's module wrapper (CJS_WRAPPER_HEAD ... `})`),
 * with `cachedData` if given. `raw`: through the class under vm.Script when it is there (the
 * executables), else through vm.Script.
 */
export function compileApp(wrappedSource: string, cachedData: Buffer | undefined, raw = true): CompiledApp {
  if (!wrappedSource.startsWith(CJS_WRAPPER_HEAD)) throw new Error('hnsbridge: the embedded bundle is not a wrapped CommonJS module (a broken build)');
  const Raw = raw ? rawScriptClass() : undefined;
  let script: { cachedDataRejected?: boolean; createCachedData(): Buffer };
  let run: () => unknown;
  if (Raw !== undefined) {
    const s = new Raw(wrappedSource, SCRIPT_NAME, 0, 0, cachedData, false, undefined, SCRIPT_ID);
    script = s;
    // vm.Script#runInThisContext's defaults: no timeout, errors decorated, no SIGINT break.
    run = () => s.runInContext(null, -1, true, false, false);
  } else {
    const vm = require('node:vm') as typeof import('node:vm');
    const s = new vm.Script(wrappedSource, { filename: SCRIPT_NAME, cachedData });
    script = s;
    run = () => s.runInThisContext();
  }
  return {
    codeCache: cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'rejected' : 'accepted',
    createCachedData: () => script.createCachedData(),
    load(req, filename) {
      const fn = run() as ModuleFunction;
      const mod = { exports: {} };
      const path = require('node:path') as typeof import('node:path');
      fn(mod.exports, req, mod, filename, path.dirname(filename));
      return mod.exports as App;
    },
  };
}

function launch(): void {
  const sea = require('node:sea') as typeof import('node:sea');
  const asset = (key: string): Buffer | undefined => {
    try {
      // getRawAsset: a view of the executable's own mapped section, no copy.
      return Buffer.from(sea.getRawAsset(key));
    } catch {
      return undefined;
    }
  };
  const assets = appFor(process.env, process.platform);
  // The bundle is ASCII (esbuild escapes everything else), so latin1 decoding is exact and the
  // fastest there is.
  const source = (asset(assets.source) as Buffer).toString('latin1');
  // The build's cache (Linux), else this node's own, made by an earlier ADD (Windows).
  const framed = asset(assets.cache);
  const builtIn = framed && unframeCache(framed);
  const digest = builtIn === undefined ? asset(assets.digest)?.toString('latin1').trim() : undefined;
  const file = digest ? localCacheFile(digest, assets.cache) : undefined;
  const app = compileApp(source, builtIn ?? (file ? readLocalCache(file) : undefined));
  const startup: StartupInfo = { codeCache: app.codeCache, cacheSource: builtIn !== undefined ? 'built-in' : file ? { file } : undefined };
  if (file && app.codeCache !== 'accepted' && process.env.CNI_COMMAND === 'ADD') {
    // After a successful ADD everything a pod verb needs has been compiled: keep it for next time.
    process.once('exit', (code) => {
      if (code === 0) writeLocalCache(file, app.createCachedData());
    });
  }
  app.load(require, process.execPath).run(process.argv.slice(2), startup);
}

// Only as the executable's main script; the build requires this file to make the cache.
if ((require('node:sea') as typeof import('node:sea')).isSea()) launch();
