// Makes the V8 code cache an executable starts a bundle with (see src/launcher.ts).
//
// usage: <node of the SEA's version> scripts/warm-cache.mjs BUNDLE OUT BACKEND...
//   e.g. build/app-ffi.sea.js build/app-ffi.cache ffi    and    build/app.sea.js build/app.cache mock
//
// V8 caches only functions that are compiled when the cache is taken. Node's own `useCodeCache`
// takes it before anything runs, so each start still compiled every function a verb calls. Here the
// bundle is compiled exactly as the launcher compiles it, then driven through the verbs containerd
// sends (ADD of the first pod, which creates the network, further ADDs, a repeated ADD, CHECK, DEL,
// a repeated DEL, GC, STATUS, VERSION and a rejected config) against a private hns-mock, through
// the backends named: FFI (ffi-rs and the computenetwork stand-in: Windows' code path) and/or
// mock (gRPC). Only then is the cache taken. It holds bytecode, never state: each start still
// runs from scratch.
//
// It must run on the Node the executables are built from (V8 rejects a cache from another version).
// Without the stand-in (no C compiler) the FFI pass is skipped and the cache covers less.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [bundleArg, outArg, ...wanted] = process.argv.slice(2);
if (!bundleArg || !outArg || wanted.length === 0 || wanted.some((b) => b !== 'ffi' && b !== 'mock')) {
  console.error('usage: node scripts/warm-cache.mjs BUNDLE OUT ffi|mock...');
  process.exit(2);
}
const bundle = path.resolve(bundleArg);
const out = path.resolve(outArg);
const STAND_IN = path.join(root, 'build', 'stand-in', 'libcomputenetwork.so');
const MOCK = path.join(root, 'bin', 'hns-mock.cjs');
const DEADLINE_MS = 120_000;

const require = createRequire(import.meta.url);
const { compileApp } = require(path.join(root, 'build', 'launcher.cjs'));

const watchdog = setTimeout(() => fail(new Error(`the warm-up did not finish within ${DEADLINE_MS / 1000} s`)), DEADLINE_MS);
watchdog.unref();
let mock;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hnsbridge-warm-'));

function fail(e) {
  console.error(`warm-cache: ${e instanceof Error ? e.message : String(e)}`);
  cleanup();
  process.exit(1);
}

function cleanup() {
  mock?.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
}

async function startMock() {
  const address = `unix://${path.join(dir, 'hns.sock')}`;
  const framed = path.join(dir, 'hns.framed');
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  mock = spawn(process.execPath, [MOCK, 'serve', '--listen', address, '--framed', framed], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  // It prints one line once both doors listen.
  await new Promise((resolve, reject) => {
    mock.once('error', reject);
    mock.once('exit', (code) => reject(new Error(`hns-mock exited (${code}) before listening`)));
    mock.stdout.once('data', resolve);
  });
  return { address, framed };
}

/** One verb through the plugin's own entry (the same code path as a process, minus the process). */
async function verb(app, env, command, containerId, config, expectCode = 0) {
  let doc;
  const code = await app.cni({
    env: { ...env, CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin', CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=warm;K8S_POD_NAME=up' },
    readStdin: () => Buffer.from(JSON.stringify(config)),
    write: (d) => {
      doc = d;
    },
    platform: process.platform,
    now: () => Number(process.hrtime.bigint()) / 1e6,
  });
  if (code !== expectCode) throw new Error(`warm-up ${command} ${containerId} exited ${code}: ${JSON.stringify(doc)}`);
  return doc;
}

/** A namespace, as containerd creates one before ADD (through the mock's command line). */
function newNamespace(address) {
  const r = spawnSync(process.execPath, [MOCK, 'namespace', 'create', '--address', address], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`hns-mock namespace create failed: ${r.stderr || r.error}`);
  return r.stdout.trim();
}

/** The verbs of two pods' lives on one backend, each code path at least twice. */
async function exercise(app, backend, doors) {
  const netName = `warm-${backend}`;
  // The documented example node (conf/hnsbridge.conflist) with this run's network, subnet, store
  // and log, and without the adapter name (the mock's host has its own default adapter).
  const { adapter: _adapter, ...example } = JSON.parse(fs.readFileSync(path.join(root, 'conf', 'hnsbridge.conflist'), 'utf8')).plugins[0];
  const config = {
    ...example,
    cniVersion: '1.1.0',
    name: netName,
    ipam: { type: 'host-local', ranges: [[{ subnet: backend === 'ffi' ? '10.250.0.0/24' : '10.251.0.0/24' }]], dataDir: path.join(dir, `ipam-${backend}`) },
    log: { file: path.join(dir, 'hnsbridge.log'), level: 'info' },
  };
  // Port mappings exercise the policy code; each pod its own host port, as HNS refuses a clash.
  let port = backend === 'ffi' ? 18080 : 28080;
  const podConfig = () => ({ ...config, runtimeConfig: { portMappings: [{ hostPort: port++, containerPort: 80, protocol: 'tcp' }] } });
  const backendEnv =
    backend === 'ffi'
      ? { HNS_BACKEND: 'ffi', HNS_FFI_LIBRARY: STAND_IN, HNS_VMCOMPUTE_LIBRARY: STAND_IN, HNS_MOCK_FRAMED: doors.framed }
      : { HNS_BACKEND: 'mock', HNS_MOCK_ADDRESS: doors.address };
  // The FFI backend reads its library paths from process.env, as it does in a real start.
  Object.assign(process.env, backendEnv);
  const env = { ...process.env, ...backendEnv };
  try {
    await verb(app, env, 'VERSION', 'v', config);
    const pods = [];
    for (let i = 0; i < 3; i++) pods.push({ id: `${backend}${i}`, netns: newNamespace(doors.address) });
    for (const p of pods) p.result = await verb(app, { ...env, CNI_NETNS: p.netns }, 'ADD', p.id, podConfig());
    const [a, b, c] = pods;
    await verb(app, { ...env, CNI_NETNS: a.netns }, 'ADD', a.id, config); // repeated ADD: idempotent
    for (const p of pods) await verb(app, { ...env, CNI_NETNS: p.netns }, 'CHECK', p.id, { ...config, prevResult: p.result });
    await verb(app, env, 'STATUS', '', config);
    await verb(app, env, 'GC', '', { ...config, 'cni.dev/valid-attachments': [a, b].map((p) => ({ containerID: p.id, ifname: 'eth0' })) });
    for (const p of [a, b, c, a]) await verb(app, { ...env, CNI_NETNS: p.netns }, 'DEL', p.id, { ...config, prevResult: p.result }); // c: gone after GC; a twice
    await verb(app, { ...env, CNI_NETNS: a.netns }, 'ADD', a.id, { ...config, ipam: { ...config.ipam, ranges: 'x' } }, 1); // a rejected config
  } finally {
    for (const k of Object.keys(backendEnv)) delete process.env[k];
  }
}

async function main() {
  const source = fs.readFileSync(bundle, 'latin1');
  const compiled = compileApp(source, undefined);
  const app = compiled.load(createRequire(bundle), bundle);
  const doors = await startMock();
  const backends = wanted.filter((b) => b !== 'ffi' || fs.existsSync(STAND_IN));
  if (backends.length < wanted.length) console.error(`warm-cache: ${path.relative(root, STAND_IN)} is missing; the FFI path is not warmed`);
  for (const backend of backends) await exercise(app, backend, doors);
  const data = compiled.createCachedData();
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, out);
  console.log(`code cache ${path.relative(root, out)} (${Math.round(data.length / 1024)} KiB, warmed on: ${backends.join(', ') || 'nothing'})`);
  cleanup();
  process.exit(0);
}

main().catch(fail);
