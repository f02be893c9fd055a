// How a run of the executable ends once its answer is written.
//
// process.exit emits 'exit' and then lets Node take itself apart: it stops the V8 platform's worker
// threads, joins libuv's thread pool and runs the C++ runtime's exit handlers and static
// destructors. That is about 1 ms of every pod verb here, and none of it matters to this process:
// every write it makes is synchronous (fd-write.ts, the log), its locks are released and its HCN
// handles closed before the verb returns. So when ffi-rs is loaded anyway (every verb that reaches
// HNS through FFI, which is every verb on Windows), the process ends right after the 'exit' event
// through the C runtime's _exit (Linux) or kernel32's ExitProcess (Windows, which still tells the
// loaded DLLs). Otherwise, or should that call fail, process.exit ends it as before.
//
// Some of Node's diagnostics write their files during that teardown (--cpu-prof, --heap-prof,
// --prof, trace events, NODE_V8_COVERAGE). When one is on, the process leaves through process.exit.

import { openLibrary } from './ffi-library.js';
import { type FfiModule, loadedFfi } from './native.js';

/** The native call that ends the process at once with `code`, for this platform. */
export function immediateExitCall(ffi: FfiModule, platform: NodeJS.Platform, code: number): Parameters<FfiModule['load']>[0] {
  const { DataType } = ffi;
  return platform === 'win32'
    ? { library: openLibrary(ffi, 'kernel32', 'kernel32.dll'), funcName: 'ExitProcess', retType: DataType.Void, paramsType: [DataType.U32], paramsValue: [code] }
    : { library: openLibrary(ffi, 'libc', 'libc.so.6'), funcName: '_exit', retType: DataType.Void, paramsType: [DataType.I32], paramsValue: [code] };
}

/** Node options whose output is written while Node takes itself apart at exit. */
const WRITTEN_AT_TEARDOWN = ['--cpu-prof', '--heap-prof', '--prof', '--trace-event', '--trace-events-enabled'];

/** Whether a diagnostic that Node writes out at teardown is on, so that the process must go through it. */
export function teardownWritesOutput(env: NodeJS.ProcessEnv, execArgv: readonly string[]): boolean {
  if (env.NODE_V8_COVERAGE) return true;
  const options = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)];
  return options.some((o) => WRITTEN_AT_TEARDOWN.some((flag) => o === flag || o.startsWith(`${flag}-`) || o.startsWith(`${flag}=`)));
}

/** The parts of `process` that ending it uses (a parameter so the tests can pass a fake). */
export interface ExitingProcess {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  execArgv: string[];
  exitCode?: number | string | null | undefined;
  /** Node's own flag: set once 'exit' has been emitted, so that process.exit does not emit it again. */
  _exiting?: boolean;
  emit(event: 'exit', code: number): boolean;
  exit(code: number): never;
}

/**
 * Ends the process with `code`: the 'exit' event as process.exit emits it, then the quickest way out
 * there is. `ffi`: ffi-rs if this process has loaded it, else null (it is not loaded for this).
 */
export function exitProcess(code: number, proc: ExitingProcess = process, ffi: FfiModule | null = loadedFfi() ?? null): never {
  proc.exitCode = code;
  if (!proc._exiting) {
    // Set first, as process.exit does, so that the fallback below does not emit it a second time.
    proc._exiting = true;
    proc.emit('exit', code);
  }
  if (ffi !== null && !teardownWritesOutput(proc.env, proc.execArgv)) {
    try {
      ffi.load(immediateExitCall(ffi, proc.platform, code));
    } catch {
      // Not reached when the call works; process.exit below is the way out when it does not.
    }
  }
  return proc.exit(code);
}
