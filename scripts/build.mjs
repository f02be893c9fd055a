// Bundles the plugin into one CommonJS file per single-executable target, for scripts/build.sh:
//   build/main-linux.cjs  (embeds ffi-rs.linux-x64-gnu.node)
//   build/main-win32.cjs  (embeds ffi-rs.win32-x64-msvc.node)
//
// usage: node scripts/build.mjs [--entry FILE]   (default entry src/main.ts)
//
// A bundle is rewritten only when its content changed, so build.sh can skip the slow SEA steps when
// nothing did. Why the ffi-rs plugin: see src/native.ts and /work/shared/reference/packaging.md §5.

import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const entryArg = args.indexOf('--entry');
const entry = path.resolve(entryArg >= 0 ? args[entryArg + 1] : path.join(root, 'src', 'main.ts'));
const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;

/** platform → the ffi-rs triple whose addon that binary embeds. */
const TARGETS = { linux: 'linux-x64-gnu', win32: 'win32-x64-msvc' };

/**
 * ffi-rs's index.js picks its addon at run time with `require('./ffi-rs.<triple>.node')` or
 * `require('@yuuang/ffi-rs-<triple>')`. For the target's triple both become a call to the loader in
 * src/native.ts, which dlopens the SEA asset; the other platforms' requires are left alone (never
 * reached on this target). esbuild's `.node` file loader must not be used: it turns the require
 * into a path string and ffi-rs then fails on `DataType`.
 */
function ffiNative(triple) {
  const assetName = `ffi-rs.${triple}.node`;
  const pkg = `@yuuang/ffi-rs-${triple}`;
  return {
    name: 'ffi-rs-native',
    setup(b) {
      b.onResolve({ filter: /^(@yuuang\/ffi-rs-|\.\/ffi-rs\.)/ }, (a) =>
        a.path === pkg || a.path === `./${assetName}`
          ? { path: assetName, namespace: 'ffi-native' }
          : { path: a.path, external: true },
      );
      b.onLoad({ filter: /.*/, namespace: 'ffi-native' }, () => ({
        resolveDir: path.join(root, 'src'),
        loader: 'js',
        contents: `module.exports = require('./native.ts').loadAddon(${JSON.stringify(assetName)}, ${JSON.stringify(pkg)});`,
      }));
      if (triple === 'linux-x64-gnu') {
        // index.js asks process.report.getReport() whether libc is musl: ~3 ms on every FFI start.
        // This binary embeds only the glibc addon, so the answer is fixed.
        b.onLoad({ filter: /[\\/]node_modules[\\/]ffi-rs[\\/]index\.js$/ }, async (a) => {
          const src = await fs.promises.readFile(a.path, 'utf8');
          const head = 'function isMusl() {';
          if (!src.includes(head)) throw new Error(`${a.path}: no "${head}" to pin to glibc; ffi-rs changed, update scripts/build.mjs`);
          return { contents: src.replace(head, `${head}\n  return false; // pinned by scripts/build.mjs`), loader: 'js' };
        });
      }
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

async function bundle(platform, triple) {
  const outfile = path.join(root, 'build', `main-${platform}.cjs`);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    minify: false,
    keepNames: true, // error classes and stack traces keep their names in logs
    sourcemap: false,
    legalComments: 'none',
    define: { __HNSBRIDGE_VERSION__: JSON.stringify(version) },
    plugins: [ffiNative(triple)],
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  if (platform === 'win32') {
    const entryKey = path.relative(root, entry).split(path.sep).join('/');
    const chain = eagerGrpcChain(result.metafile, entryKey);
    if (chain) {
      throw new Error(
        `the Windows bundle evaluates gRPC code at start-up:\n    ${chain.join('\n -> ')}\n` +
          'require() the gRPC backend inside the function that selects it instead of importing it.',
      );
    }
  }
  const code = result.outputFiles[0].contents;
  let same = false;
  try {
    same = Buffer.compare(fs.readFileSync(outfile), code) === 0;
  } catch {
    // No previous bundle.
  }
  if (!same) {
    fs.mkdirSync(path.dirname(outfile), { recursive: true });
    const tmp = `${outfile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, outfile);
  }
  const kb = Math.round(code.length / 1024);
  console.log(`bundle ${path.relative(root, outfile)} (${kb} KiB${same ? ', unchanged' : ''})`);
}

try {
  await Promise.all(Object.entries(TARGETS).map(([platform, triple]) => bundle(platform, triple)));
} catch (err) {
  // esbuild has already printed its own diagnostics; ours need printing.
  if (!(err && Array.isArray(err.errors))) console.error(`build.mjs: ${err.message}`);
  process.exit(1);
}
