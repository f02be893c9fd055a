// The code cache an executable without a built-in one keeps on the node (src/local-code-cache.ts).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localCacheFile, readLocalCache, writeLocalCache } from '../../src/local-code-cache.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hnsbridge-lcc-'));
  dirs.push(d);
  return d;
};

describe('local code cache', () => {
  it('lives in the private folder, under the first 16 hex of the bundle digest', () => {
    expect(localCacheFile('deecd400829bb9b3ffff', 'hnsbridge-ffi.cache', '/opt/cni/bin/.native-cache')).toBe(path.join('/opt/cni/bin/.native-cache', 'deecd400829bb9b3', 'hnsbridge-ffi.cache'));
  });

  it('round-trips through a write that leaves no temporary file, and reads nothing before it', () => {
    const file = localCacheFile('0123456789abcdef0123', 'x.cache', tmp());
    expect(readLocalCache(file)).toBeUndefined();
    expect(writeLocalCache(file, Buffer.from('bytecode'))).toBe(true);
    expect(readLocalCache(file)?.toString()).toBe('bytecode');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['x.cache']);
  });

  it('reports a failed write instead of throwing, and leaves nothing behind', () => {
    const root = tmp();
    fs.writeFileSync(path.join(root, 'blocked'), ''); // a file where the folder should be
    const file = path.join(root, 'blocked', 'x.cache');
    expect(writeLocalCache(file, Buffer.from('x'))).toBe(false);
    expect(fs.readdirSync(root)).toEqual(['blocked']);
  });
});
