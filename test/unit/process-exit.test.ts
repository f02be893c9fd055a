import { EventEmitter } from 'node:events';
import { describe, expect, test } from 'vitest';
import { type ExitingProcess, exitProcess, immediateExitCall, teardownWritesOutput } from '../../src/process-exit.js';
import { type FfiModule, loadFfi } from '../../src/native.js';

const { DataType } = loadFfi();

/** ffi-rs as far as exitProcess uses it: records what is opened and called; `load` returns unless told to throw. */
function fakeFfi(loadThrows = false): FfiModule & { opened: unknown[]; calls: unknown[] } {
  const opened: unknown[] = [];
  const calls: unknown[] = [];
  return {
    DataType,
    opened,
    calls,
    open: (o: unknown) => void opened.push(o),
    load: (c: unknown) => {
      calls.push(c);
      if (loadThrows) throw new Error('no such function');
    },
  } as unknown as FfiModule & { opened: unknown[]; calls: unknown[] };
}

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`exit(${code})`);
  }
}

/** A process whose exit() throws instead of ending anything; records the 'exit' events. */
function fakeProcess(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}, execArgv: string[] = []): ExitingProcess & { events: number[] } {
  const emitter = new EventEmitter();
  const events: number[] = [];
  emitter.on('exit', (code: number) => events.push(code));
  return {
    platform,
    env,
    execArgv,
    events,
    emit: (event: 'exit', code: number) => emitter.emit(event, code),
    exit: (code: number): never => {
      throw new ExitCalled(code);
    },
  };
}

describe('immediateExitCall', () => {
  test.each([
    ['linux', 'libc', 'libc.so.6', '_exit', DataType.I32, 0],
    ['linux', 'libc', 'libc.so.6', '_exit', DataType.I32, 1],
    ['win32', 'kernel32', 'kernel32.dll', 'ExitProcess', DataType.U32, 1],
  ] as const)('%s: %s (%s) %s with code %i', (platform, library, path, funcName, paramType, code) => {
    const ffi = fakeFfi();
    const call = immediateExitCall(ffi, platform, code);
    expect(call).toEqual({ library, funcName, retType: DataType.Void, paramsType: [paramType], paramsValue: [code] });
    // Opened the first time it is needed in this process only (the table's second row finds it open).
    for (const o of ffi.opened) expect(o).toEqual({ library, path });
  });
});

describe('teardownWritesOutput', () => {
  test.each([
    [{}, [], false],
    [{ NODE_OPTIONS: '--max-old-space-size=64' }, ['--jitless', '--no-rehash-snapshot'], false],
    [{ NODE_OPTIONS: '--cpu-prof' }, [], true],
    [{ NODE_OPTIONS: '--max-old-space-size=64  --cpu-prof-dir=/tmp/p --cpu-prof' }, [], true],
    [{}, ['--heap-prof'], true],
    [{}, ['--prof'], true],
    [{ NODE_OPTIONS: '--trace-event-categories=v8' }, [], true],
    [{ NODE_OPTIONS: '--trace-events-enabled' }, [], true],
    [{ NODE_V8_COVERAGE: '/tmp/cov' }, [], true],
    [{ NODE_V8_COVERAGE: '' }, [], false],
    [{ NODE_OPTIONS: '--profiler-like-but-not' }, [], false],
  ] as const)('%j %j: %s', (env, execArgv, expected) => {
    expect(teardownWritesOutput(env, execArgv)).toBe(expected);
  });
});

describe('exitProcess', () => {
  test('goes through process.exit when a diagnostic writes its file at teardown', () => {
    const proc = fakeProcess('linux', { NODE_OPTIONS: '--cpu-prof' });
    const ffi = fakeFfi();
    expect(() => exitProcess(0, proc, ffi)).toThrow('exit(0)');
    expect(ffi.calls).toEqual([]);
    expect(proc.events).toEqual([0]);
  });

  test('emits exit once with the code, then ends through the native call', () => {
    const proc = fakeProcess('linux');
    const ffi = fakeFfi();
    // The fake native call returns, so the fallback is reached: in a real process it is not.
    expect(() => exitProcess(1, proc, ffi)).toThrow(ExitCalled);
    expect(proc.events).toEqual([1]);
    expect(proc.exitCode).toBe(1);
    expect(ffi.calls).toEqual([expect.objectContaining({ funcName: '_exit', paramsValue: [1] })]);
  });

  test('without ffi-rs loaded it leaves through process.exit, after the same event', () => {
    const proc = fakeProcess('win32');
    let thrown: unknown;
    try {
      exitProcess(0, proc, null);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ExitCalled);
    expect((thrown as ExitCalled).code).toBe(0);
    expect(proc.events).toEqual([0]);
  });

  test('a native call that fails falls back to process.exit with the code', () => {
    const proc = fakeProcess('win32');
    const ffi = fakeFfi(true);
    expect(() => exitProcess(1, proc, ffi)).toThrow('exit(1)');
    expect(ffi.calls).toHaveLength(1);
  });

  test('does not emit exit again when it has been emitted already', () => {
    const proc = fakeProcess('linux');
    proc._exiting = true;
    expect(() => exitProcess(1, proc, null)).toThrow(ExitCalled);
    expect(proc.events).toEqual([]);
  });
});
