import { describe, expect, it } from 'vitest';
import { CJS_WRAPPER_HEAD, compileApp, unframeCache } from '../../src/launcher.js';

describe('unframeCache', () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7])('skips the count byte and %d padding bytes', (pad) => {
    const cache = Buffer.from('V8 cache bytes');
    const framed = Buffer.concat([Buffer.from([pad]), Buffer.alloc(pad, 0xee), cache]);
    expect(unframeCache(framed).equals(cache)).toBe(true);
  });

  it('returns a view, not a copy: the point is to hand V8 the embedded bytes where they lie', () => {
    const framed = Buffer.from([2, 0, 0, 7, 8, 9]);
    const cache = unframeCache(framed);
    expect(cache.buffer).toBe(framed.buffer);
    expect(cache.byteOffset).toBe(framed.byteOffset + 3);
  });
});

describe('compileApp', () => {
  const wrapped = `${CJS_WRAPPER_HEAD}exports.answer = 42; module.exports.file = __filename; module.exports.dir = __dirname;\n})`;

  it('compiles a wrapped bundle and runs its top level with the module variables', () => {
    const app = compileApp(wrapped, undefined);
    expect(app.codeCache).toBe('absent');
    const exports = app.load(require, '/opt/hnsbridge/hnsbridge') as unknown as Record<string, unknown>;
    expect(exports).toEqual({ answer: 42, file: '/opt/hnsbridge/hnsbridge', dir: '/opt/hnsbridge' });
  });

  // Acceptance cannot be shown in one process (V8 takes a source it has compiled before from memory
  // and never reads the cache); test/e2e/build.test.ts shows it on the executables.
  it('says when V8 rejects the cache', () => {
    expect(compileApp(`${wrapped};`, Buffer.from('not a cache')).codeCache).toBe('rejected');
  });

  it('refuses a bundle that is not inside the CommonJS wrapper (a broken build)', () => {
    expect(() => compileApp('exports.answer = 42;', undefined)).toThrow(/not a wrapped CommonJS module/);
  });
});
