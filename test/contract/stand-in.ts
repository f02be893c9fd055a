// The C stand-in for computenetwork.dll (hns-mock/computenetwork/), built for this test process,
// and its test-only counters read through ffi-rs.

import { execFileSync } from 'node:child_process';
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

/**
 * Builds the stand-in into a folder private to this process (other test files and `npm run build`
 * may be rebuilding or cleaning build/ at the same time) and returns its paths. `targets: 'all'`
 * also builds the Windows DLLs when mingw is installed.
 */
export function buildStandIn(targets: 'linux' | 'all' = 'linux'): StandIn {
  const known = built.get(targets);
  if (known) return known;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hns-stand-in-'));
  execFileSync('bash', [path.join(ROOT, 'scripts/build-stand-in.sh')], {
    env: { ...process.env, STAND_IN_OUT: dir, STAND_IN_CFLAGS: '-Werror', STAND_IN_TARGETS: targets },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const dll = path.join(dir, 'computenetwork.dll');
  const result = { library: path.join(dir, 'libcomputenetwork.so'), dll: fs.existsSync(dll) ? dll : undefined, dir };
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
