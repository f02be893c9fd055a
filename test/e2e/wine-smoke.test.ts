// The parts of the Windows smoke test that need no Wine. The Wine run itself is scripts/wine-smoke.sh,
// which npm test runs after vitest (it takes ~15 s with a warm prefix and must not run twice).
//
// Here: the stand-in's HNS_STANDIN_REPORT, which the smoke test relies on to see leaks inside the
// packaged plugin's process: on Linux through dist/hnsbridge with HNS_BACKEND=ffi (0 strings and 0
// handles outstanding after ADD, CHECK and DEL), that it really reports what is outstanding, that it
// appends a line per load (dlclose included), and the script's loud SKIP when Wine is missing.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStandIn } from '../contract/stand-in.js';
import { type MockDaemon, PLUGIN, Pod, ROOT, baseEnv, podEndpoints, reservations, startMock, tempDir, testConfig } from './harness.js';

interface Report {
  pid: number;
  calls: number;
  strings: number;
  handles: number;
}

function readReports(file: string): Report[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Report);
}

describe('stand-in HNS_STANDIN_REPORT', () => {
  let library: string;
  let dir: string;

  beforeAll(() => {
    library = buildStandIn().library;
    dir = tempDir('standin-report');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs a node script that loads the stand-in with ffi-rs in a process of its own. */
  function child(script: string, report: string | undefined): void {
    const env: NodeJS.ProcessEnv = { ...baseEnv(), LIB: library };
    if (report !== undefined) env.HNS_STANDIN_REPORT = report;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }

  const PRELUDE = `
    const ffi = require('ffi-rs');
    const { DataType } = ffi;
    const call = (fn, retType, paramsType, paramsValue) => ffi.load({ library: 'si', funcName: fn, retType, paramsType, paramsValue });
    ffi.open({ library: 'si', path: process.env.LIB });
  `;

  it('reports what is still outstanding when the process exits', () => {
    const report = path.join(dir, 'outstanding.report');
    // Two task-memory blocks handed out, one freed: one outstanding. An HCN call with HNS_MOCK_FRAMED
    // unset fails locally with an ErrorRecord, which counts as a forwarded call and is left unfreed.
    child(
      `${PRELUDE}
      const a = call('CoTaskMemAlloc', DataType.BigInt, [DataType.BigInt], [16n]);
      call('CoTaskMemAlloc', DataType.BigInt, [DataType.BigInt], [16n]);
      call('CoTaskMemFree', DataType.Void, [DataType.BigInt], [a]);
      const out = Buffer.alloc(8), err = Buffer.alloc(8);
      const hr = call('HcnEnumerateNetworks', DataType.I32, [DataType.U8Array, DataType.U8Array, DataType.U8Array], [Buffer.from('{}\\0', 'utf16le'), out, err]);
      if ((hr >>> 0) !== 0x800706ba || err.readBigUInt64LE(0) === 0n) throw new Error('expected RPC_S_SERVER_UNAVAILABLE with an ErrorRecord, got ' + hr);
      process.exit(0);`,
      report,
    );
    expect(readReports(report)).toEqual([{ pid: expect.any(Number), calls: 1, strings: 2, handles: 0 }]);
  });

  it('writes nothing when the variable is unset', () => {
    const before = fs.readdirSync(dir);
    child(`${PRELUDE} call('CoTaskMemAlloc', DataType.BigInt, [DataType.BigInt], [16n]);`, undefined);
    expect(fs.readdirSync(dir)).toEqual(before);
  });

  it('appends one line per load: at dlclose, and again at exit after loading anew', () => {
    const report = path.join(dir, 'unload.report');
    child(
      `${PRELUDE}
      call('CoTaskMemAlloc', DataType.BigInt, [DataType.BigInt], [8n]);
      ffi.close('si');
      if (!require('fs').existsSync(process.env.HNS_STANDIN_REPORT)) throw new Error('no report at dlclose');
      ffi.open({ library: 'si', path: process.env.LIB });`,
      report,
    );
    // The second load starts from fresh counters (a new instance of the library's data).
    expect(readReports(report).map((r) => r.strings)).toEqual([1, 0]);
  });
});

describe.skipIf(!fs.existsSync(PLUGIN))('the packaged Linux plugin leaks no HCN strings or handles (HNS_BACKEND=ffi)', () => {
  let mock: MockDaemon;
  let library: string;
  let dir: string;

  beforeAll(async () => {
    library = buildStandIn().library;
    mock = await startMock({ framed: true });
    dir = tempDir('standin-report-e2e');
  });
  afterAll(async () => {
    await mock?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ADD, CHECK and DEL each end with 0 strings and 0 handles outstanding', async () => {
    const ns = await mock.createNamespace();
    const report = (verb: string): string => path.join(dir, `${verb}.report`);
    // One process per verb as containerd runs them, each with its own report file.
    const pod = (verb: string): Pod =>
      new Pod({ env: { HNS_BACKEND: 'ffi', HNS_FFI_LIBRARY: library, HNS_VMCOMPUTE_LIBRARY: library, HNS_MOCK_FRAMED: mock.framed, HNS_STANDIN_REPORT: report(verb) } }, testConfig(dir), 'standinreport0001', ns);

    const add = await pod('add').add();
    expect(add.code, add.stdout + add.stderr).toBe(0);
    const check = pod('check');
    check.result = add.doc;
    expect((await check.check()).code).toBe(0);
    const del = pod('del');
    del.result = add.doc;
    expect((await del.del()).code).toBe(0);

    for (const verb of ['add', 'check', 'del']) {
      const lines = readReports(report(verb));
      expect(lines, verb).toHaveLength(1);
      expect(lines[0]?.calls, verb).toBeGreaterThan(0);
      expect({ strings: lines[0]?.strings, handles: lines[0]?.handles }, verb).toEqual({ strings: 0, handles: 0 });
    }
    expect(podEndpoints(await mock.dump())).toHaveLength(0);
    expect(reservations(path.join(dir, 'ipam'), 'pods')).toEqual([]);
  });
});

describe('scripts/wine-smoke.sh without Wine', () => {
  it('skips loudly with exit 0 when CI is not set', () => {
    const env: NodeJS.ProcessEnv = { ...baseEnv(), WINE: '/nonexistent/wine' };
    delete env.CI;
    const r = spawnSync('bash', [path.join(ROOT, 'scripts/wine-smoke.sh')], { env, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/SKIP: the Windows smoke test did NOT run: not installed: wine/);
  });
});
