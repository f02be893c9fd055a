// Bundles the plugin for scripts/build.sh; the same bundles go into both single executables:
//   build/app.cjs       the plugin (src/main.ts), platform-neutral: it embeds the loading of both
//                       ffi-rs addons, and each executable carries only its own as a SEA asset
//   build/app-ffi.cjs   the same without the gRPC backend (src/shims/no-grpc.cjs instead): what
//                       the launcher runs when HNS is reached through FFI, i.e. always on Windows
//   build/launcher.cjs  the executables' main script (src/launcher.ts), which picks one of the two
//                       and compiles it with the warm code cache made by scripts/warm-cache.mjs
//   build/app.sea.js, build/app-ffi.sea.js   the two bundles as the executables embed them: inside
//                       Node's CommonJS wrapper (the launcher's CJS_WRAPPER_HEAD; see seaHead below)
//
// usage: node scripts/build.mjs [--entry FILE] [--addon TRIPLE=FILE]...
//   --entry  bundle another entry than src/main.ts (to try the packaging on its own)
//   --addon  the ffi-rs addon an executable will embed for TRIPLE (linux-x64-gnu, win32-x64-msvc);
//            its sha256 is compiled in, so no start has to hash it (src/native.ts)
//
// A bundle is rewritten only when its content changed, so build.sh can skip the slow steps when
// nothing did. Why the ffi-rs plugin: see src/native.ts and /work/shared/reference/packaging.md §5.

import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const entryArg = args.indexOf('--entry');
const entry = path.resolve(entryArg >= 0 ? args[entryArg + 1] : path.join(root, 'src', 'main.ts'));
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;

/** triple → sha256 of the addon file given with --addon. */
const addonDigests = new Map();
args.forEach((a, i) => {
  if (a !== '--addon') return;
  const [triple, file] = String(args[i + 1]).split(/=(.*)/s);
  addonDigests.set(triple, createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
});

/** The ffi-rs addons the executables embed, one per platform. */
const TRIPLES = ['linux-x64-gnu', 'win32-x64-msvc'];

/**
 * ffi-rs's index.js picks its addon at run time with `require('./ffi-rs.<triple>.node')` or
 * `require('@yuuang/ffi-rs-<triple>')`. For our two triples both become a call to the loader in
 * src/native.ts, which dlopens the SEA asset (index.js itself reaches only the current platform's);
 * other platforms' requires are left alone (never reached). esbuild's `.node` file loader must not
 * be used: it turns the require into a path string and ffi-rs then fails on `DataType`.
 */
function ffiNative() {
  const triples = TRIPLES.join('|');
  return {
    name: 'ffi-rs-native',
    setup(b) {
      b.onResolve({ filter: /^(@yuuang\/ffi-rs-|\.\/ffi-rs\.)/ }, (a) => {
        const m = new RegExp(`^(?:@yuuang/ffi-rs-|\\./ffi-rs\\.)(${triples})(?:\\.node)?$`).exec(a.path);
        return m ? { path: m[1], namespace: 'ffi-native' } : { path: a.path, external: true };
      });
      b.onLoad({ filter: /.*/, namespace: 'ffi-native' }, (a) => {
        const triple = a.path;
        const call = [`ffi-rs.${triple}.node`, `@yuuang/ffi-rs-${triple}`, addonDigests.get(triple)].map((x) => JSON.stringify(x)).filter((x) => x !== undefined);
        return { resolveDir: path.join(root, 'src'), loader: 'js', contents: `module.exports = require('./native.ts').loadAddon(${call.join(', ')});` };
      });
      // index.js asks process.report.getReport() whether libc is musl: ~3 ms on every FFI start on
      // Linux. The Linux executable embeds only the glibc addon, so the answer is fixed. It also
      // looks for the addon beside itself (a file system call) before requiring the package; both
      // requires lead to the loader above, so the answer to that is fixed too.
      b.onLoad({ filter: /[\\/]node_modules[\\/]ffi-rs[\\/]index\.js$/ }, async (a) => {
        const src = await fs.promises.readFile(a.path, 'utf8');
        const pins = [
          ['function isMusl() {', 'function isMusl() {\n  return false; // pinned by scripts/build.mjs'],
          ["const { existsSync, readFileSync } = require('fs')", "const { readFileSync } = require('fs')\nconst existsSync = () => false // pinned by scripts/build.mjs"],
        ];
        let contents = src;
        for (const [from, to] of pins) {
          if (!contents.includes(from)) throw new Error(`${a.path}: no "${from}" to pin; ffi-rs changed, update scripts/build.mjs`);
          contents = contents.replace(from, to);
        }
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * Start-up shims: inside the packages named, these requires get a small stand-in from src/shims/
 * (each file says why). pino's file logging pulls in node:assert (which also opens stderr as a
 * stream, loading net), node:worker_threads, and its transport module (node:module with Node's ESM
 * loader, thread-stream) at import time, and takes a stack trace in every pino() call; together
 * ~12 ms of every plugin start, for transports, which the plugin never uses. pino also loads node:os
 * at import for a hostname the plugin's own `base` replaces.
 */
const SHIMS = [
  { importer: /[\\/]node_modules[\\/]sonic-boom[\\/]/, request: /^(node:)?assert$/, shim: 'assert.cjs' },
  { importer: /[\\/]node_modules[\\/]pino[\\/]lib[\\/]tools\.js$/, request: /^(node:)?worker_threads$/, shim: 'worker-threads.cjs' },
  { importer: /[\\/]node_modules[\\/]pino[\\/](pino|lib[\\/]tools)\.js$/, request: /^\.\/(lib\/)?transport$/, shim: 'pino-transport.cjs' },
  { importer: /[\\/]node_modules[\\/]pino[\\/]pino\.js$/, request: /^\.\/lib\/caller$/, shim: 'pino-caller.cjs' },
  { importer: /[\\/]node_modules[\\/]pino[\\/]pino\.js$/, request: /^(node:)?os$/, shim: 'pino-os.cjs' },
];

/** For app-ffi.cjs: the gRPC backend (and with it @grpc/grpc-js) is left out. */
function withoutGrpc() {
  return {
    name: 'without-grpc',
    setup(b) {
      b.onResolve({ filter: /[\\/]hns[\\/]grpc\.js$/ }, () => ({ path: path.join(root, 'src', 'shims', 'no-grpc.cjs') }));
    },
  };
}

function startupShims() {
  return {
    name: 'startup-shims',
    setup(b) {
      // esbuild only runs the callback for paths the filter matches: every request SHIMS names.
      b.onResolve({ filter: new RegExp(SHIMS.map((s) => s.request.source).join('|')) }, (a) => {
        const hit = SHIMS.find((s) => s.request.test(a.path) && s.importer.test(a.importer));
        return hit ? { path: path.join(root, 'src', 'shims', hit.shim) } : undefined;
      });
    },
  };
}

/** Modules whose evaluation at start-up would cost every Windows call (HNS is reached through FFI there). */
const GRPC = /(^|[\\/])(node_modules[\\/](@grpc[\\/]|protobufjs[\\/]|@protobufjs[\\/])|src[\\/]hns[\\/]grpc\.ts$|hns-mock[\\/])/;

/**
 * The chain of imports by which a gRPC module is evaluated at start-up, or undefined. Edges are
 * `import` statements anywhere, plus `require` calls made by packages (mostly at their top level);
 * a `require` call in our own code is taken to be the lazy kind, inside the function that needs it.
 */
function eagerGrpcChain(metafile, entryPath) {
  const from = new Map([[entryPath, undefined]]);
  const queue = [entryPath];
  while (queue.length > 0) {
    const cur = queue.shift();
    if (GRPC.test(cur)) {
      const chain = [];
      for (let p = cur; p !== undefined; p = from.get(p)) chain.unshift(p);
      return chain;
    }
    const ownCode = !cur.includes('node_modules');
    for (const imp of metafile.inputs[cur]?.imports ?? []) {
      if (imp.external || from.has(imp.path)) continue;
      if (imp.kind !== 'import-statement' && !(imp.kind === 'require-call' && !ownCode)) continue;
      from.set(imp.path, cur);
      queue.push(imp.path);
    }
  }
  return undefined;
}

/** Writes `bytes` to `file` unless it already holds them (renamed into place); returns whether it did. */
function writeIfChanged(file, bytes) {
  try {
    if (Buffer.compare(fs.readFileSync(file), bytes) === 0) return false;
  } catch {
    // No previous file.
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
  return true;
}

/**
 * With `seaHead`, also writes what the executables embed of the bundle (build/NAME.sea.js): the
 * bundle inside Node's CommonJS wrapper, which starts with `seaHead`, so that the launcher compiles
 * the asset's text as it is (src/launcher.ts says why).
 */
async function bundle(entryFile, outName, plugins, { seaHead } = {}) {
  const outfile = path.join(root, 'build', outName);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entryFile],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    charset: 'ascii', // the launcher decodes the bundle as latin1, which is exact only for ASCII
    // Short local and function names, nothing else: whitespace and lines stay, so a stack trace's
    // line:column still points at readable code in the bundle of the same commit. Every name the
    // executable runs is a string V8 must hash and intern when it reads the code cache; with short,
    // shared names an FFI ADD takes 116.4M -> 114.8M instructions (callgrind), the cache 442 -> 426
    // KB and the embedded source 502 -> 398 KB. Nothing relies on a function's own name: the error
    // classes set `name` themselves, and logs carry error messages, only an internal error its stack.
    minify: false,
    minifyIdentifiers: true,
    // No keepNames: it wraps every function in __name(), an Object.defineProperty call each time the
    // function is created (~600 sites), to guard names against minification.
    sourcemap: false,
    legalComments: 'none',
    define: { __HNSBRIDGE_VERSION__: JSON.stringify(version) },
    plugins,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const code = result.outputFiles[0].contents;
  const same = !writeIfChanged(outfile, code);
  if (seaHead !== undefined) writeIfChanged(outfile.replace(/\.cjs$/, '.sea.js'), Buffer.concat([Buffer.from(seaHead), code, Buffer.from('\n})')]));
  const kb = Math.round(code.length / 1024);
  console.log(`bundle ${path.relative(root, outfile)} (${kb} KiB${same ? ', unchanged' : ''})`);
  return result.metafile;
}

try {
  // The launcher first: the wrapper head is the one it checks at run time, taken from it here so the
  // two cannot differ (outside a single executable, loading it only defines its exports).
  await bundle(path.join(root, 'src', 'launcher.ts'), 'launcher.cjs', []);
  const { CJS_WRAPPER_HEAD: seaHead } = createRequire(import.meta.url)(path.join(root, 'build', 'launcher.cjs'));
  const [metafile, ffiMetafile] = await Promise.all([
    bundle(entry, 'app.cjs', [ffiNative(), startupShims()], { seaHead }),
    bundle(entry, 'app-ffi.cjs', [ffiNative(), startupShims(), withoutGrpc()], { seaHead }),
  ]);
  const leaked = Object.keys(ffiMetafile.inputs).filter((f) => GRPC.test(f));
  if (leaked.length > 0) throw new Error(`app-ffi.cjs still contains gRPC code: ${leaked.slice(0, 5).join(', ')}`);
  // One bundle serves Windows too, where HNS is reached through FFI: no gRPC code may run at start-up.
  const chain = eagerGrpcChain(metafile, path.relative(root, entry).split(path.sep).join('/'));
  if (chain) {
    throw new Error(
      `the bundle evaluates gRPC code at start-up:\n    ${chain.join('\n -> ')}\n` +
        'require() the gRPC backend inside the function that selects it instead of importing it.',
    );
  }
} catch (err) {
  // esbuild has already printed its own diagnostics; ours need printing.
  if (!(err && Array.isArray(err.errors))) console.error(`build.mjs: ${err.message}`);
  process.exit(1);
}
