// The C stand-in for computenetwork.dll (hns-mock/computenetwork/), built for this test process,
// and its test-only counters read through ffi-rs.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ffi from 'ffi-rs';

const ROOT = path.resolve(__dirname, '../..');

export interface StandIn {
  /** libcomputenetwork.so */
  library: string;
  /** computenetwork.dll, when mingw is installed */
  dll: string | undefined;
  dir: string;
}

const built = new Map<string, StandIn>();

/** A digest of everything the build reads, so a folder named by it is never stale. */
function sourceDigest(): string {
  const hash = createHash('sha256');
  const src = path.join(ROOT, 'hns-mock/computenetwork');
  const files = fs.readdirSync(src, { recursive: true, encoding: 'utf8' }).sort();
  for (const f of [...files.map((n) => path.join(src, n)), path.join(ROOT, 'scripts/build-stand-in.sh')]) {
    if (!fs.statSync(f).isFile()) continue;
    hash.update(path.relative(ROOT, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds the stand-in outside build/ (which `npm run build` and others may clean while tests run)
 * into a temp folder named by the sources' digest, shared by test processes and reused across runs;
 * the script renames finished files into place, so concurrent builds are safe. `targets: 'all'`
 * also builds the Windows DLLs when mingw is installed.
 */
export function buildStandIn(targets: 'linux' | 'all' = 'linux'): StandIn {
  const known = built.get(targets);
  if (known) return known;
  const dir = path.join(os.tmpdir(), `hns-stand-in-${sourceDigest()}`);
  const library = path.join(dir, 'libcomputenetwork.so');
  const dll = path.join(dir, 'computenetwork.dll');
  const mingw = spawnSync('x86_64-w64-mingw32-gcc', ['--version']).status === 0;
  const ready = fs.existsSync(library) && (targets === 'linux' || !mingw || fs.existsSync(dll));
  if (!ready) {
    execFileSync('bash', [path.join(ROOT, 'scripts/build-stand-in.sh')], {
      env: { ...process.env, STAND_IN_OUT: dir, STAND_IN_CFLAGS: '-Werror', STAND_IN_TARGETS: targets },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }
  const result = { library, dll: fs.existsSync(dll) ? dll : undefined, dir };
  built.set(targets, result);
  return result;
}

export interface Counters {
  /** Strings the stand-in handed out that were not yet freed with its CoTaskMemFree. */
  strings: number;
  /** Handles it handed out that were not yet closed. */
  handles: number;
}

const COUNTERS_KEY = 'stand-in-counters';
let countersOpen = false;

/** HnsMockStandInCounters, from the same loaded library instance the FFI backend uses (dlopen shares it). */
export function standInCounters(library: string): Counters {
  if (!countersOpen) {
    ffi.open({ library: COUNTERS_KEY, path: library });
    countersOpen = true;
  }
  const strings = Buffer.alloc(8);
  const handles = Buffer.alloc(8);
  ffi.load({
    library: COUNTERS_KEY,
    funcName: 'HnsMockStandInCounters',
    retType: ffi.DataType.I32,
    paramsType: [ffi.DataType.U8Array, ffi.DataType.U8Array],
    paramsValue: [strings, handles],
  });
  return { strings: Number(strings.readBigInt64LE(0)), handles: Number(handles.readBigInt64LE(0)) };
}

/** Polls until the counters are back to `want` (a late native call finishing in the background), at most `limitMs`. */
export async function countersSettle(library: string, want: Counters, limitMs = 2_000): Promise<Counters> {
  const until = Date.now() + limitMs;
  let now = standInCounters(library);
  while ((now.strings !== want.strings || now.handles !== want.handles) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
    now = standInCounters(library);
  }
  return now;
}
