import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  extractAddon,
  fileHolds,
  loadAddon,
  loadEmbeddedAddon,
  loadFfi,
  NATIVE_CACHE_DIR,
  nativeCacheRoot,
  type SeaAssets,
} from '../../src/native.js';

const ADDON_NAME = 'ffi-rs.linux-x64-gnu.node';
const ADDON_PATH = require.resolve(`@yuuang/ffi-rs-linux-x64-gnu/${ADDON_NAME}`);

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A stand-in for `node:sea` inside a single executable that embeds `assets`. */
function fakeSea(assets: Record<string, Uint8Array>): SeaAssets & { reads: number } {
  return {
    reads: 0,
    isSea: () => true,
    getRawAsset(key: string): ArrayBuffer {
      this.reads++;
      const b = assets[key];
      if (b === undefined) throw new Error(`no asset ${key}`);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
}

let tmp: string;
let savedCacheEnv: string | undefined;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hnsbridge-native-'));
  savedCacheEnv = process.env.CNI_NATIVE_CACHE;
});
afterEach(() => {
  if (savedCacheEnv === undefined) delete process.env.CNI_NATIVE_CACHE;
  else process.env.CNI_NATIVE_CACHE = savedCacheEnv;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('nativeCacheRoot', () => {
  test('is .native-cache in the folder of the executable by default', () => {
    expect(nativeCacheRoot({}, '/opt/cni/bin/hnsbridge')).toBe(path.join('/opt/cni/bin', NATIVE_CACHE_DIR));
  });

  test('CNI_NATIVE_CACHE overrides it; an empty value does not', () => {
    expect(nativeCacheRoot({ CNI_NATIVE_CACHE: '/var/lib/hnsbridge' }, '/opt/cni/bin/hnsbridge')).toBe('/var/lib/hnsbridge');
    expect(nativeCacheRoot({ CNI_NATIVE_CACHE: '' }, '/opt/cni/bin/hnsbridge')).toBe(path.join('/opt/cni/bin', NATIVE_CACHE_DIR));
  });
});

describe('extractAddon', () => {
  const bytes = new Uint8Array(Buffer.from('pretend this is a shared library'));
  const digest = sha256(bytes);

  test('writes the bytes to <root>/<first 16 hex of sha256>/<name> and leaves no temporary file', () => {
    const file = extractAddon(bytes, 'x.node', tmp);
    expect(file).toBe(path.join(tmp, digest.slice(0, 16), 'x.node'));
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['x.node']);
  });

  test('reuses a file whose hash matches without writing it again', () => {
    const file = extractAddon(bytes, 'x.node', tmp);
    const before = fs.statSync(file);
    expect(extractAddon(bytes, 'x.node', tmp)).toBe(file);
    const after = fs.statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  test('replaces a file whose hash does not match (tampered or truncated) before it can be loaded', () => {
    const file = extractAddon(bytes, 'x.node', tmp);
    fs.writeFileSync(file, 'planted');
    expect(extractAddon(bytes, 'x.node', tmp)).toBe(file);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  test('replaces a file of the right size that differs only in its last byte', () => {
    const big = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff); // several comparison chunks
    const file = extractAddon(big, 'x.node', tmp);
    const planted = Buffer.from(big);
    planted[planted.length - 1] = (big[big.length - 1] as number) ^ 1;
    fs.writeFileSync(file, planted);
    expect(fileHolds(file, big)).toBe(false);
    expect(extractAddon(big, 'x.node', tmp)).toBe(file);
    expect(fs.readFileSync(file).equals(big)).toBe(true);
  });

  test('fileHolds: true only for the same bytes, false for a shorter, longer or missing file', () => {
    const file = path.join(tmp, 'f');
    fs.writeFileSync(file, bytes);
    expect(fileHolds(file, bytes)).toBe(true);
    expect(fileHolds(file, bytes.subarray(1))).toBe(false);
    fs.appendFileSync(file, 'x');
    expect(fileHolds(file, bytes)).toBe(false);
    expect(fileHolds(path.join(tmp, 'missing'), bytes)).toBe(false);
    fs.writeFileSync(file, '');
    expect(fileHolds(file, new Uint8Array(0))).toBe(true);
  });

  test('different contents go to different folders, so an upgraded binary never loads the old addon', () => {
    const other = new Uint8Array(Buffer.from('another build'));
    expect(path.dirname(extractAddon(other, 'x.node', tmp))).not.toBe(path.dirname(extractAddon(bytes, 'x.node', tmp)));
  });

  test('fails with the folder and the CNI_NATIVE_CACHE hint when the root cannot be written', () => {
    const notADir = path.join(tmp, 'file');
    fs.writeFileSync(notADir, '');
    expect(() => extractAddon(bytes, 'x.node', path.join(notADir, 'cache'))).toThrow(
      new RegExp(`cannot extract the embedded native addon x\\.node to .*${digest.slice(0, 16)}.*CNI_NATIVE_CACHE`),
    );
  });
});

describe('loadEmbeddedAddon', () => {
  test('extracts the SEA asset under CNI_NATIVE_CACHE and dlopens it as ffi-rs', () => {
    const bytes = fs.readFileSync(ADDON_PATH);
    process.env.CNI_NATIVE_CACHE = tmp;
    const sea = fakeSea({ [ADDON_NAME]: bytes });
    const binding = loadEmbeddedAddon(ADDON_NAME, sea) as Record<string, unknown>;
    expect(sea.reads).toBe(1);
    expect(typeof binding.load).toBe('function');
    expect(typeof binding.open).toBe('function');
    const extracted = path.join(tmp, sha256(bytes).slice(0, 16), ADDON_NAME);
    expect(fs.readFileSync(extracted).equals(bytes)).toBe(true);
  });

  test('names the missing asset', () => {
    process.env.CNI_NATIVE_CACHE = tmp;
    expect(() => loadEmbeddedAddon('nope.node', fakeSea({}))).toThrow(/nope\.node/);
  });
});

describe('outside a single executable', () => {
  test('loadFfi returns the installed ffi-rs, loaded once', () => {
    const ffi = loadFfi();
    expect(typeof ffi.load).toBe('function');
    expect(ffi.DataType.I32).toBeTypeOf('number');
    expect(loadFfi()).toBe(ffi);
  });

  test('loadAddon (the bundle redirect) falls back to the installed package and extracts nothing', () => {
    process.env.CNI_NATIVE_CACHE = tmp;
    const binding = loadAddon(ADDON_NAME, '@yuuang/ffi-rs-linux-x64-gnu') as Record<string, unknown>;
    expect(typeof binding.load).toBe('function');
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});
