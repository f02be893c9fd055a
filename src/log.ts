// Logging: pino, JSON lines, written synchronously to one absolute path so nothing is lost when the
// process exits and nothing lands in containerd's working directory (often C:\Windows\System32).
// A log that cannot be opened never breaks the verb: the call goes on without a log.

import { mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type pinoType from 'pino';
import type { LogLevel, LogSettings } from './cni/netconf.js';

export type Logger = pinoType.Logger;

/** pino is required on first use: VERSION and --help never log, and start-up time counts on every verb. */
function pino(): typeof pinoType {
  return require('pino') as typeof pinoType;
}

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 5;

export function defaultLogFile(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'C:\\k\\cni\\logs\\hnsbridge.log' : '/var/log/hnsbridge/hnsbridge.log';
}

export interface LogTarget {
  file: string;
  level: LogLevel;
  maxBytes: number;
  maxFiles: number;
}

/** Config wins over the HNSBRIDGE_LOG / HNSBRIDGE_LOG_LEVEL environment, which wins over the default. */
export function resolveLogTarget(settings: LogSettings, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): LogTarget {
  const envLevel = env.HNSBRIDGE_LOG_LEVEL;
  const level = settings.level ?? (isLevel(envLevel) ? envLevel : 'info');
  return {
    file: settings.file ?? (env.HNSBRIDGE_LOG || defaultLogFile(platform)),
    level,
    maxBytes: settings.maxBytes ?? DEFAULT_MAX_BYTES,
    maxFiles: settings.maxFiles ?? DEFAULT_MAX_FILES,
  };
}

function isLevel(v: string | undefined): v is LogLevel {
  return v === 'trace' || v === 'debug' || v === 'info' || v === 'warn' || v === 'error' || v === 'fatal' || v === 'silent';
}

/**
 * Keeps the log bounded: when the file has grown past maxBytes it becomes `<file>.1`, the older
 * ones shift up and the oldest is dropped. Renames are atomic, so concurrent plugin processes at
 * worst rotate twice in a row (one small generation lost), never corrupt a file.
 */
export function rotateIfNeeded(file: string, maxBytes: number, maxFiles: number): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  if (size <= maxBytes) return;
  for (let i = maxFiles - 1; i >= 1; i--) {
    try {
      renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    } catch {
      // that generation does not exist yet
    }
  }
  try {
    unlinkSync(`${file}.${maxFiles}`);
  } catch {
    // nothing to drop
  }
  try {
    renameSync(file, `${file}.1`);
  } catch {
    // another process rotated it first
  }
}

export function openLogger(target: LogTarget, bindings: Record<string, unknown>): Logger {
  try {
    mkdirSync(dirname(target.file), { recursive: true });
    rotateIfNeeded(target.file, target.maxBytes, target.maxFiles);
    const p = pino();
    const dest = p.destination({ dest: target.file, sync: true, append: true });
    return p({ level: target.level, base: { pid: process.pid, ...bindings }, timestamp: isoTimestamp }, dest);
  } catch {
    return silentLogger();
  }
}

/**
 * pino's `timestamp` option: `,"time":"2026-11-22T20:04:05.448Z"`, what pino's own
 * `stdTimeFunctions.isoTime` writes. Its Date#toISOString costs ~0.25 ms on its first call in a
 * process (V8 sets up its time zone support then, reading /etc/localtime), and every pod verb logs;
 * reading the UTC fields does not.
 */
export function isoTimestamp(): string {
  return `,"time":"${isoUtc(Date.now())}"`;
}

/** `ms` since the epoch as ISO 8601 UTC with milliseconds, for years 0 to 9999 (as Date#toISOString). */
export function isoUtc(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
  const year = d.getUTCFullYear();
  const millis = d.getUTCMilliseconds();
  return (
    `${year < 1000 ? `${year}`.padStart(4, '0') : year}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}` +
    `T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`
  );
}

/**
 * A logger that writes nothing. It gets its own no-op destination: pino's default one opens stdout,
 * which must carry only the CNI document (and fails with EBADF on a pipe under Wine).
 */
export function silentLogger(): Logger {
  return pino()({ enabled: false }, { write: () => undefined });
}
