// An exclusive OS lock on a file, the one host-local takes on `<dataDir>/<network>/lock` (its
// go-filemutex): flock(LOCK_EX) on Linux, LockFileEx on one byte at offset 0 on Windows. Because the
// OS owns the lock, a process killed while holding it releases it, and host-local processes on the
// same node respect it.
//
// Waiting never blocks the event loop: the lock is first tried without blocking on the main thread,
// and only when another holder has it is the blocking call made on one of ffi-rs's worker threads.
// Locks taken by the same process on the same file are queued in-process first, so at most one worker
// thread per file ever waits (the others would otherwise starve libuv's small thread pool).
//
// ffi-rs is loaded on first use only, through src/native.ts (which finds the embedded addon in the
// single-executable build), so commands that never lock never load native code.

import { closeSync, constants, openSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import { CniError, ErrorCode } from '../cni/errors.js';
import { openLibrary } from '../ffi-library.js';

export type FfiModule = typeof import('ffi-rs');
export type FfiLoader = () => FfiModule | Promise<FfiModule>;

export interface FileLockOptions {
  /** Which OS mechanism to use; defaults to the running platform. */
  platform?: NodeJS.Platform;
  /** Where ffi-rs comes from; defaults to src/native.ts's loadFfi(). */
  loadFfi?: FfiLoader;
}

/** Releases the lock; calling it again does nothing. */
export type Unlock = () => void;

// Linux <sys/file.h>
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const EINTR = 4;

// Windows <winbase.h> / <winerror.h>
const GENERIC_READ_WRITE = 0xc0000000;
const FILE_SHARE_READ_WRITE = 0x3;
const OPEN_ALWAYS = 4;
const FILE_ATTRIBUTE_NORMAL = 0x80;
const LOCKFILE_FAIL_IMMEDIATELY = 0x1;
const LOCKFILE_EXCLUSIVE_LOCK = 0x2;
const INVALID_HANDLE_VALUE = -1;
/** sizeof(OVERLAPPED) on x64: Internal, InternalHigh, Offset+OffsetHigh, hEvent. All zero = offset 0. */
const OVERLAPPED_SIZE = 32;

async function defaultLoadFfi(): Promise<FfiModule> {
  // Imported here, not at the top: native.ts is only needed once a lock is taken. A dynamic import
  // (rather than require) is resolved by the bundler and by vitest alike.
  const native = await import('../native.js');
  return native.loadFfi();
}

/** In-process FIFO per lock file: resolves when the previous holder in this process has released. */
const queues = new Map<string, Promise<void>>();
async function takeTurn(key: string): Promise<() => void> {
  const prior = queues.get(key) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => (done = r));
  const tail = prior.then(() => mine);
  queues.set(key, tail);
  await prior;
  return () => {
    done();
    if (queues.get(key) === tail) queues.delete(key);
  };
}

type DataTypeEnum = FfiModule['DataType'];
/** One foreign call: the shapes used here all return an integer (BOOL, int or HANDLE). */
interface Call {
  library: string;
  funcName: string;
  retType: DataTypeEnum['I32'] | DataTypeEnum['I64'];
  paramsType: DataTypeEnum[keyof DataTypeEnum][];
  paramsValue: unknown[];
}
interface Errno {
  value: number;
  errnoCode: number;
  errnoMessage: string;
}

function callNow(ffi: FfiModule, c: Call): Errno {
  return ffi.load<Call['retType'], true>({ ...c, errno: true });
}

/** The same call made on a worker thread, for calls that block until another process lets go. */
function callOnWorker(ffi: FfiModule, c: Call): Promise<Errno> {
  return ffi.load<Call['retType'], true, true>({ ...c, errno: true, runInNewThread: true });
}

function lockError(path: string, what: string, detail: string): CniError {
  return new CniError(ErrorCode.IoFailure, `cannot ${what} the IPAM store lock ${path}: ${detail}`);
}

export class FileLock {
  readonly path: string;
  private readonly platform: NodeJS.Platform;
  private readonly loadFfi: FfiLoader;

  constructor(path: string, opts: FileLockOptions = {}) {
    this.platform = opts.platform ?? process.platform;
    // Absolute, so the in-process queue sees one key per file.
    this.path = this.platform === 'win32' ? win32.resolve(path) : posix.resolve(path);
    this.loadFfi = opts.loadFfi ?? defaultLoadFfi;
  }

  /** Waits for the lock and returns the function that releases it. */
  async acquire(): Promise<Unlock> {
    const leaveQueue = await takeTurn(this.path);
    try {
      const unlockOs = this.platform === 'win32' ? await this.lockWindows() : await this.lockPosix();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlockOs();
        } finally {
          leaveQueue();
        }
      };
    } catch (e) {
      leaveQueue();
      throw e;
    }
  }

  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const unlock = await this.acquire();
    try {
      return await fn();
    } finally {
      unlock();
    }
  }

  private async lockPosix(): Promise<Unlock> {
    const ffi = await this.loadFfi();
    const { DataType } = ffi;
    const libc = openLibrary(ffi, 'libc', 'libc.so.6');
    const flock = (fd: number, op: number): Call => ({
      library: libc,
      funcName: 'flock',
      retType: DataType.I32,
      paramsType: [DataType.I32, DataType.I32],
      paramsValue: [fd, op],
    });

    let fd: number;
    try {
      // Node's fds are the kernel's on Linux, so flock can use them directly.
      fd = openSync(this.path, constants.O_RDWR | constants.O_CREAT, 0o600);
    } catch (e) {
      throw lockError(this.path, 'open', (e as Error).message);
    }
    try {
      // Any failure of the quick try (normally EWOULDBLOCK: held elsewhere) leads to the blocking
      // call, whose own result is the one that counts.
      let r = callNow(ffi, flock(fd, LOCK_EX | LOCK_NB));
      while (r.value !== 0) {
        r = await callOnWorker(ffi, flock(fd, LOCK_EX));
        if (r.value !== 0 && r.errnoCode !== EINTR) throw lockError(this.path, 'lock', r.errnoMessage);
      }
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return () => {
      // Closing the descriptor drops the lock as well; the explicit unlock just says so.
      try {
        callNow(ffi, flock(fd, LOCK_UN));
      } finally {
        closeSync(fd);
      }
    };
  }

  private async lockWindows(): Promise<Unlock> {
    const ffi = await this.loadFfi();
    const { DataType } = ffi;
    const k32 = openLibrary(ffi, 'kernel32', 'kernel32.dll');

    // Our own HANDLE from CreateFileW: Node's fds belong to node.exe's C runtime, which a handle
    // lookup through another CRT cannot be trusted to map.
    const created = callNow(ffi, {
      library: k32,
      funcName: 'CreateFileW',
      retType: DataType.I64,
      paramsType: [DataType.WString, DataType.U32, DataType.U32, DataType.I64, DataType.U32, DataType.U32, DataType.I64],
      paramsValue: [this.path, GENERIC_READ_WRITE, FILE_SHARE_READ_WRITE, 0, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, 0],
    });
    const handle = created.value;
    if (handle === INVALID_HANDLE_VALUE || handle === 0) throw lockError(this.path, 'open', created.errnoMessage);

    const close = () =>
      callNow(ffi, { library: k32, funcName: 'CloseHandle', retType: DataType.I32, paramsType: [DataType.I64], paramsValue: [handle] });
    // LockFileEx(handle, flags, 0, 1, 0, &overlapped): one byte at offset 0, like go-filemutex.
    const lockFileEx = (flags: number): Call => ({
      library: k32,
      funcName: 'LockFileEx',
      retType: DataType.I32,
      paramsType: [DataType.I64, DataType.U32, DataType.U32, DataType.U32, DataType.U32, DataType.U8Array],
      paramsValue: [handle, flags, 0, 1, 0, Buffer.alloc(OVERLAPPED_SIZE)],
    });
    try {
      // A failed quick try is normally ERROR_LOCK_VIOLATION (held elsewhere). The code is not relied
      // on, since GetLastError can be overwritten before ffi-rs reads it; the blocking call decides.
      let r = callNow(ffi, lockFileEx(LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY));
      if (r.value === 0) r = await callOnWorker(ffi, lockFileEx(LOCKFILE_EXCLUSIVE_LOCK));
      if (r.value === 0) throw lockError(this.path, 'lock', r.errnoMessage);
    } catch (e) {
      close();
      throw e;
    }
    return () => {
      try {
        callNow(ffi, {
          library: k32,
          funcName: 'UnlockFileEx',
          retType: DataType.I32,
          paramsType: [DataType.I64, DataType.U32, DataType.U32, DataType.U32, DataType.U8Array],
          paramsValue: [handle, 0, 1, 0, Buffer.alloc(OVERLAPPED_SIZE)],
        });
      } finally {
        close();
      }
    };
  }
}
