import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isoTimestamp, isoUtc, openLogger } from '../../src/log.js';

describe('isoUtc', () => {
  it.each([
    [0, '1970-01-01T00:00:00.000Z'],
    [1, '1970-01-01T00:00:00.001Z'],
    [999, '1970-01-01T00:00:00.999Z'],
    [Date.UTC(2024, 1, 29, 23, 59, 59, 50), '2024-02-29T23:59:59.050Z'],
    [Date.UTC(2000, 11, 31, 9, 5, 7, 100), '2000-12-31T09:05:07.100Z'],
    [Date.UTC(9999, 11, 31, 23, 59, 59, 999), '9999-12-31T23:59:59.999Z'],
    [Date.parse('0812-01-01T00:00:00.000Z'), '0812-01-01T00:00:00.000Z'],
    [Date.parse('0007-03-04T05:06:07.008Z'), '0007-03-04T05:06:07.008Z'],
    [-1, '1969-12-31T23:59:59.999Z'],
  ])('%d → %s', (ms, text) => {
    expect(isoUtc(ms)).toBe(text);
  });

  it('agrees with Date#toISOString over 5000 random instants in years 0 to 9999', () => {
    const from = Date.parse('0000-01-01T00:00:00.000Z'); // Date.UTC would read year 0 as 1900
    const to = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    let seed = 0x2545f491;
    const next = (): number => {
      // xorshift32: a fixed sequence, so a failure repeats
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    for (let i = 0; i < 5000; i++) {
      const ms = Math.floor(from + next() * (to - from));
      expect(isoUtc(ms), String(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('isoTimestamp is the JSON fragment pino splices in', () => {
    const before = Date.now();
    const text = isoTimestamp();
    const m = /^,"time":"([^"]+)"$/.exec(text);
    expect(m).not.toBeNull();
    const at = Date.parse((m as RegExpExecArray)[1] as string);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});

describe('openLogger', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('writes JSON lines with an ISO time, the pid and the bindings, and no hostname', () => {
    dir = mkdtempSync(join(tmpdir(), 'hnsbridge-log-'));
    const file = join(dir, 'sub', 'hnsbridge.log');
    const log = openLogger({ file, level: 'info', maxBytes: 1024 * 1024, maxFiles: 2 }, { verb: 'ADD', containerId: 'c1' });
    log.info({ ms: 3 }, 'done');
    log.debug('below the level');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 30, pid: process.pid, verb: 'ADD', containerId: 'c1', ms: 3, msg: 'done' });
    expect(rec.hostname).toBeUndefined();
    expect(new Date(rec.time as string).toISOString()).toBe(rec.time);
  });
});
