import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FfiModule, FileLock } from '../../../src/ipam/lock.js';
import { tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

describe.runIf(process.platform === 'linux')('FileLock on Linux (flock through ffi-rs)', () => {
  it('creates the lock file and leaves no descriptor open after release', async () => {
    const path = join(t.dir, 'lock');
    const lock = new FileLock(path);
    const before = readdirSync('/proc/self/fd').length;
    await lock.withLock(async () => {
      expect(existsSync(path)).toBe(true);
      expect(readdirSync('/proc/self/fd').length).toBe(before + 1);
    });
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });

  it('two locks on one file in one process take turns', async () => {
    const path = join(t.dir, 'lock');
    const events: string[] = [];
    const a = new FileLock(path);
    const b = new FileLock(path);
    const unlockA = await a.acquire();
    events.push('A locked');
    const bDone = b.withLock(async () => {
      events.push('B locked');
    });
    // Let B get as far as it can; it must still be waiting.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    events.push('A releasing');
    unlockA();
    await bDone;
    expect(events).toEqual(['A locked', 'A releasing', 'B locked']);
  });

  it('the lock is released when fn throws', async () => {
    const lock = new FileLock(join(t.dir, 'lock'));
    await expect(lock.withLock(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    let ran = false;
    await lock.withLock(async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it('excludes another process, and a killed holder releases it', async () => {
    const path = join(t.dir, 'lock');
    // The holder uses flock directly, as any other flock user (Go host-local's filemutex) would.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const ffi = require(${JSON.stringify(require.resolve('ffi-rs'))});
         const fs = require('fs');
         ffi.open({ library: 'libc', path: 'libc.so.6' });
         const fd = fs.openSync(${JSON.stringify(path)}, 'a+');
         const r = ffi.load({ library: 'libc', funcName: 'flock', retType: ffi.DataType.I32, paramsType: [ffi.DataType.I32, ffi.DataType.I32], paramsValue: [fd, 2] });
         process.stdout.write(r === 0 ? 'locked\\n' : 'failed\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const first = await new Promise<string>((resolve) => holder.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
      expect(first).toBe('locked');

      let killed = false;
      const acquired = new FileLock(path).acquire().then((unlock) => {
        // Only possible once the holder is gone.
        const wasKilled = killed;
        unlock();
        return wasKilled;
      });
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      killed = true;
      holder.kill('SIGKILL');
      expect(await acquired).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

/** A stand-in for ffi-rs that records calls and answers like kernel32 would. */
function fakeKernel32(script: { createFile?: number; lockNow?: { value: number; errnoCode: number }; lockWait?: { value: number; errnoCode: number } }) {
  const calls: { funcName: string; paramsValue: unknown[]; runInNewThread?: boolean }[] = [];
  const opens: unknown[] = [];
  const DataType = { I32: 1, I64: 8, U32: 20, U8Array: 10, WString: 15 };
  const ffi = {
    DataType,
    open: (p: unknown) => opens.push(p),
    load: (p: { funcName: string; paramsValue: unknown[]; runInNewThread?: boolean }) => {
      calls.push({ funcName: p.funcName, paramsValue: p.paramsValue, ...(p.runInNewThread ? { runInNewThread: true } : {}) });
      const ok = { value: 1, errnoCode: 0, errnoMessage: 'ok' };
      let r = ok;
      if (p.funcName === 'CreateFileW') r = { value: script.createFile ?? 0x1c4, errnoCode: script.createFile === -1 ? 5 : 0, errnoMessage: 'Access is denied. (os error 5)' };
      if (p.funcName === 'LockFileEx' && !p.runInNewThread && script.lockNow) r = { ...script.lockNow, errnoMessage: `os error ${script.lockNow.errnoCode}` };
      if (p.funcName === 'LockFileEx' && p.runInNewThread && script.lockWait) r = { ...script.lockWait, errnoMessage: `os error ${script.lockWait.errnoCode}` };
      return p.runInNewThread ? Promise.resolve(r) : r;
    },
  };
  return { ffi: ffi as unknown as FfiModule, calls, opens };
}

describe('FileLock on Windows (the go-filemutex call shape, checked with a fake kernel32)', () => {
  const overlapped = Buffer.alloc(32);

  it('CreateFileW with read/write sharing, LockFileEx on 1 byte at 0, then UnlockFileEx and CloseHandle', async () => {
    const k = fakeKernel32({});
    const lock = new FileLock('C:\\var\\lib\\cni\\networks\\net1\\lock', { platform: 'win32', loadFfi: () => k.ffi });
    const unlock = await lock.acquire();
    expect(k.opens).toEqual([{ library: 'kernel32', path: 'kernel32.dll' }]);
    expect(k.calls).toEqual([
      // GENERIC_READ|GENERIC_WRITE, FILE_SHARE_READ|FILE_SHARE_WRITE, no security attributes, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, no template
      { funcName: 'CreateFileW', paramsValue: ['C:\\var\\lib\\cni\\networks\\net1\\lock', 0xc0000000, 3, 0, 4, 0x80, 0] },
      // LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY first: free, so no worker thread is needed
      { funcName: 'LockFileEx', paramsValue: [0x1c4, 3, 0, 1, 0, overlapped] },
    ]);
    unlock();
    unlock(); // a second call is harmless
    expect(k.calls.slice(2)).toEqual([
      { funcName: 'UnlockFileEx', paramsValue: [0x1c4, 0, 1, 0, overlapped] },
      { funcName: 'CloseHandle', paramsValue: [0x1c4] },
    ]);
  });

  it('waits with a blocking LockFileEx on a worker thread when another process holds it', async () => {
    const k = fakeKernel32({ lockNow: { value: 0, errnoCode: 33 } }); // ERROR_LOCK_VIOLATION
    const unlock = await new FileLock('C:\\x\\lock', { platform: 'win32', loadFfi: () => k.ffi }).acquire();
    expect(k.calls.map((c) => [c.funcName, c.paramsValue[1], c.runInNewThread ?? false])).toEqual([
      ['CreateFileW', 0xc0000000, false],
      ['LockFileEx', 3, false],
      ['LockFileEx', 2, true], // LOCKFILE_EXCLUSIVE_LOCK, blocking
    ]);
    unlock();
  });

  it('an unopenable lock file is an I/O error naming it', async () => {
    const k = fakeKernel32({ createFile: -1 });
    await expect(new FileLock('C:\\x\\lock', { platform: 'win32', loadFfi: () => k.ffi }).acquire()).rejects.toMatchObject({
      code: 5,
      message: expect.stringMatching(/cannot open the IPAM store lock .*lock: Access is denied/),
    });
    expect(k.calls.map((c) => c.funcName)).toEqual(['CreateFileW']);
  });

  it('a failed LockFileEx closes the handle and reports the error of the blocking call', async () => {
    const k = fakeKernel32({ lockNow: { value: 0, errnoCode: 0 }, lockWait: { value: 0, errnoCode: 6 } }); // ERROR_INVALID_HANDLE
    await expect(new FileLock('C:\\x\\lock', { platform: 'win32', loadFfi: () => k.ffi }).acquire()).rejects.toMatchObject({
      code: 5,
      message: expect.stringMatching(/cannot lock .*os error 6/),
    });
    expect(k.calls.map((c) => c.funcName)).toEqual(['CreateFileW', 'LockFileEx', 'LockFileEx', 'CloseHandle']);
  });

  it('a failure does not wedge the in-process queue', async () => {
    const bad = fakeKernel32({ createFile: -1 });
    const good = fakeKernel32({});
    await expect(new FileLock('C:\\q\\lock', { platform: 'win32', loadFfi: () => bad.ffi }).acquire()).rejects.toThrow();
    const unlock = await new FileLock('C:\\q\\lock', { platform: 'win32', loadFfi: () => good.ffi }).acquire();
    unlock();
    expect(good.calls.map((c) => c.funcName)).toEqual(['CreateFileW', 'LockFileEx', 'UnlockFileEx', 'CloseHandle']);
  });
});
