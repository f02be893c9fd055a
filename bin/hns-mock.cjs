#!/usr/bin/env node
// The `hns-mock` command: runs hns-mock/cli.ts on the system node, with no TypeScript runtime loader.
//
// The TypeScript of hns-mock/ (and the src/ modules it shares) is bundled by esbuild into
// build/hns-mock.cjs, and that bundle is required. It is rebuilt only when missing or older than a
// source file (an mtime walk, ~1 ms), because tests start this command many times and a bundle
// costs ~100 ms. Packages stay external and load from node_modules (@grpc/grpc-js, ffi-rs, …), so the
// bundle is only our own code. Works in a fresh clone after `npm ci` (esbuild is a devDependency).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const bundle = path.join(root, 'build', 'hns-mock.cjs');
const SOURCE = /\.(?:[cm]?ts|[cm]?js|json)$/;
// C sources and libraries of the FFI stand-in: built by their own script, never bundled.
const NOT_BUNDLED = new Set([path.join(root, 'hns-mock', 'computenetwork')]);

/** Newest mtime of the source files under `dir` and of the folders themselves (a deletion changes only its folder). */
function newestSource(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) {
      if (ent.name !== 'node_modules' && !NOT_BUNDLED.has(p)) newest = Math.max(newest, newestSource(p));
    } else if (SOURCE.test(ent.name)) {
      newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  }
  return newest;
}

function isFresh() {
  let built;
  try {
    built = fs.statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  const sources = Math.max(newestSource(path.join(root, 'hns-mock')), newestSource(path.join(root, 'src')), fs.statSync(__filename).mtimeMs);
  return built >= sources;
}

/**
 * esbuild gives every bundled module the bundle's __dirname. Modules that locate files beside
 * themselves (the .proto, the stand-in library) get their own folder back as a module-scoped constant.
 */
const ownDirname = {
  name: 'own-dirname',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?ts$/ }, (a) => {
      if (a.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const src = fs.readFileSync(a.path, 'utf8');
      if (!/\b__(?:dirname|filename)\b/.test(src) || src.startsWith('#!')) return undefined;
      const head = `const __dirname = ${JSON.stringify(path.dirname(a.path))}, __filename = ${JSON.stringify(a.path)}; `;
      return { contents: head + src, loader: 'ts' };
    });
  },
};

// The async API because esbuild's buildSync cannot run plugins.
async function build() {
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [path.join(root, 'hns-mock', 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    plugins: [ownDirname],
    write: false,
    logLevel: 'error',
  });
  fs.mkdirSync(path.dirname(bundle), { recursive: true });
  // Written aside and renamed: concurrent first runs each build, and none may require a half-written file.
  const tmp = `${bundle}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, result.outputFiles[0].contents);
  fs.renameSync(tmp, bundle);
}

if (isFresh()) {
  require(bundle);
} else {
  build().then(
    () => require(bundle),
    (err) => {
      // esbuild has printed its own diagnostics already.
      if (!Array.isArray(err && err.errors)) console.error(`hns-mock: cannot bundle hns-mock/cli.ts: ${err.message}`);
      process.exit(1);
    },
  );
}
