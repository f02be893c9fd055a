// The packaged binaries as `npm run build` leaves them (this test never builds; `npm test` builds
// first). See scripts/build.sh and src/native.ts.

import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const LINUX = path.join(root, 'dist', 'hnsbridge');
const WINDOWS = path.join(root, 'dist', 'hnsbridge.exe');
const LINUX_ADDON = path.join(root, 'node_modules', '@yuuang', 'ffi-rs-linux-x64-gnu', 'ffi-rs.linux-x64-gnu.node');
/** postject flips this sentinel's last character to 1 when it injects a SEA blob. */
const FUSE_SET = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1';
const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;

function run(bin: string, opts: { args?: string[]; env?: Record<string, string>; input?: string; nodeOptions?: string } = {}): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  // The binary is Node: options meant for the test runner must not reach it, only a test's own.
  delete env.NODE_OPTIONS;
  if (opts.nodeOptions !== undefined) env.NODE_OPTIONS = opts.nodeOptions;
  return spawnSync(bin, opts.args ?? [], { env, input: opts.input ?? '', encoding: 'utf8', timeout: 30_000 });
}

beforeAll(() => {
  for (const f of [LINUX, WINDOWS]) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} is missing: run \`npm run build\` first`);
  }
});

describe('dist/hnsbridge.exe', () => {
  test('is a PE32+ x64 executable (MZ, PE\\0\\0, machine 0x8664) with the SEA blob injected', () => {
    const exe = fs.readFileSync(WINDOWS);
    expect(exe.toString('latin1', 0, 2)).toBe('MZ');
    const pe = exe.readUInt32LE(0x3c);
    expect(exe.toString('latin1', pe, pe + 4)).toBe('PE\0\0');
    expect(exe.readUInt16LE(pe + 4)).toBe(0x8664);
    expect(exe.readUInt16LE(pe + 24)).toBe(0x20b); // optional header magic: PE32+
    expect(exe.includes(FUSE_SET)).toBe(true);
  });

  test.skipIf(spawnSync('sh', ['-c', 'command -v osslsigncode']).status !== 0)(
    'carries no Authenticode signature (stripped before injection, which would corrupt it)',
    () => {
      const exe = fs.readFileSync(WINDOWS);
      const pe = exe.readUInt32LE(0x3c);
      // PE32+ optional header at pe+24; data directory 4 (certificate table) at offset 144 in it.
      const certTable = pe + 24 + 144;
      expect([exe.readUInt32LE(certTable), exe.readUInt32LE(certTable + 4)]).toEqual([0, 0]);
    },
  );
});

describe('dist/hnsbridge', () => {
  test('is an x86-64 ELF executable with the SEA blob injected', () => {
    const elf = fs.readFileSync(LINUX);
    expect(elf.subarray(0, 4)).toEqual(Buffer.from('\x7fELF', 'latin1'));
    expect(elf.readUInt16LE(18)).toBe(62); // e_machine EM_X86_64
    expect(elf.includes(FUSE_SET)).toBe(true);
  });

  test.each([
    ['the FFI bundle', { HNS_BACKEND: 'ffi' }],
    ['the full bundle', { HNS_BACKEND: 'mock' }],
  ])('starts %s with its built-in code cache (V8 accepts it under the executable\'s flags)', (_name, env) => {
    const r = run(LINUX, { args: ['--version'], env });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('start-up code cache: in use (built in)');
  });

  test.each([
    ['the FFI bundle', { HNS_BACKEND: 'ffi' }],
    ['the full bundle', { HNS_BACKEND: 'mock' }],
  ])('writes nothing to stderr on a CNI call through %s (no start-up warning of Node or V8 under its flags)', (_name, env) => {
    const r = run(LINUX, { env: { ...env, CNI_COMMAND: 'VERSION' }, input: '{"cniVersion":"1.1.0","name":"quiet","type":"hnsbridge"}' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ cniVersion: '1.1.0' });
    expect(r.stderr).toBe('');
  });

  test('embeds each code cache once, framed, at an 8-byte boundary (V8 copies a cache that is not aligned)', () => {
    const elf = fs.readFileSync(LINUX);
    for (const name of ['app-ffi', 'app']) {
      const framed = fs.readFileSync(path.join(root, 'build', `${name}.cache.sea`));
      const cache = fs.readFileSync(path.join(root, 'build', `${name}.cache`));
      expect(framed.subarray(1 + (framed[0] as number)).equals(cache), name).toBe(true);
      const probe = cache.subarray(0, 4096);
      const at = elf.indexOf(probe);
      expect(at, name).toBeGreaterThan(0);
      expect(elf.indexOf(probe, at + 1), name).toBe(-1);
      expect(at % 8, name).toBe(0);
    }
    expect(fs.statSync(LINUX).mode & 0o111).not.toBe(0);
  });

  test('answers CNI VERSION with one JSON document listing the supported versions', () => {
    const r = run(LINUX, {
      env: { CNI_COMMAND: 'VERSION' },
      input: '{"cniVersion":"1.1.0","name":"n","type":"hnsbridge"}',
    });
    expect(r.status, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as { cniVersion: string; supportedVersions: string[] };
    expect(answer.cniVersion).toBe('1.1.0');
    expect(answer.supportedVersions).toEqual(expect.arrayContaining(['0.4.0', '1.0.0', '1.1.0']));
  });

  test('reports the package.json version compiled in by the build', () => {
    const r = run(LINUX, { args: ['--version'] });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain(`hnsbridge ${PACKAGE_VERSION}`);
  });
});

describe('the embedded ffi-rs addon', () => {
  let dir: string;
  let bin: string;
  const addon = fs.readFileSync(LINUX_ADDON);
  const digest = createHash('sha256').update(addon).digest('hex');

  beforeAll(() => {
    // A copy in a folder of its own, so the cache it makes beside itself is this test's alone.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hnsbridge-sea-'));
    bin = path.join(dir, 'hnsbridge');
    fs.copyFileSync(LINUX, bin);
    fs.chmodSync(bin, 0o755);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /**
   * A call that must load ffi-rs: the FFI backend is constructed for any HNS access. The library
   * does not exist, so the call fails after ffi-rs is loaded; only the extraction matters here.
   */
  const ffiCall = (env: Record<string, string> = {}, nodeOptions?: string): SpawnSyncReturns<string> =>
    run(bin, {
      nodeOptions,
      env: {
        CNI_COMMAND: 'DEL',
        CNI_CONTAINERID: 'e2e-native-cache',
        CNI_NETNS: '00000000-0000-0000-0000-000000000001',
        CNI_IFNAME: 'eth0',
        CNI_PATH: dir,
        HNS_BACKEND: 'ffi',
        HNS_FFI_LIBRARY: path.join(dir, 'no-such-computenetwork.so'),
        ...env,
      },
      input: JSON.stringify({
        cniVersion: '1.1.0',
        name: 'e2e-native',
        type: 'hnsbridge',
        ipam: { type: 'host-local', subnet: '10.250.0.0/24', dataDir: path.join(dir, 'ipam') },
      }),
    });

  test('is extracted beside the executable into a folder named by its hash, then reused', () => {
    const first = ffiCall();
    const file = path.join(dir, '.native-cache', digest.slice(0, 16), 'ffi-rs.linux-x64-gnu.node');
    expect(fs.existsSync(file), `no ${file}; stdout ${first.stdout} stderr ${first.stderr}`).toBe(true);
    expect(fs.readFileSync(file).equals(addon)).toBe(true);
    expect(fs.readdirSync(path.join(dir, '.native-cache'))).toEqual([digest.slice(0, 16)]);
    const before = fs.statSync(file);

    ffiCall();
    const after = fs.statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  test('a verb that loaded it ends with its error code and one error document (src/process-exit.ts)', () => {
    const r = ffiCall();
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as { code: number; msg: string };
    expect(doc.code).toBeGreaterThan(0);
    expect(doc.msg).toContain('no-such-computenetwork.so');
  });

  test('a verb run under --cpu-prof still writes its profile: the quick exit steps aside for it', () => {
    const prof = path.join(dir, 'profiles');
    const r = ffiCall({}, `--cpu-prof --cpu-prof-dir=${prof}`);
    expect(r.status, r.stderr).toBe(1);
    const files = fs.existsSync(prof) ? fs.readdirSync(prof) : [];
    expect(files.filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
  });

  test('goes under CNI_NATIVE_CACHE when that is set', () => {
    const cache = path.join(dir, 'elsewhere');
    ffiCall({ CNI_NATIVE_CACHE: cache });
    expect(fs.existsSync(path.join(cache, digest.slice(0, 16), 'ffi-rs.linux-x64-gnu.node'))).toBe(true);
  });
});
