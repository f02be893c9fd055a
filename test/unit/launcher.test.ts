import { describe, expect, it } from 'vitest';
import { CJS_WRAPPER_HEAD, compileApp, rawScriptClass, unframeCache } from '../../src/launcher.js';

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

describe('rawScriptClass', () => {
  it('finds the class under vm.Script on this Node (so the tests below take both paths)', () => {
    const Raw = rawScriptClass();
    expect(Raw).toBeTypeOf('function');
    expect(Object.getPrototypeOf(require('node:vm').Script)).toBe(Raw);
  });

  it('is not used when process.binding is wrapped (--pending-deprecation would print a warning) or gone', () => {
    const proc = process as unknown as { binding?: (name: string) => unknown };
    const original = proc.binding;
    try {
      proc.binding = function deprecated(name: string) {
        return original?.call(process, name);
      };
      expect(rawScriptClass()).toBeUndefined();
      proc.binding = undefined;
      expect(rawScriptClass()).toBeUndefined();
    } finally {
      proc.binding = original;
    }
    expect(rawScriptClass()).toBeTypeOf('function');
  });
});

describe.each([
  ['the class under vm.Script', true],
  ['vm.Script', false],
])('compileApp through %s', (_name, raw) => {
  const wrapped = `${CJS_WRAPPER_HEAD}exports.answer = 42; module.exports.file = __filename; module.exports.dir = __dirname;\n})`;

  it('compiles a wrapped bundle and runs its top level with the module variables', () => {
    const app = compileApp(wrapped, undefined, raw);
    expect(app.codeCache).toBe('absent');
    const exports = app.load(require, '/opt/hnsbridge/hnsbridge') as unknown as Record<string, unknown>;
    expect(exports).toEqual({ answer: 42, file: '/opt/hnsbridge/hnsbridge', dir: '/opt/hnsbridge' });
  });

  // Acceptance cannot be shown in one process (V8 takes a source it has compiled before from memory
  // and never reads the cache); test/e2e/build.test.ts shows it on the executables.
  it('says when V8 rejects the cache', () => {
    expect(compileApp(`${wrapped};`, Buffer.from('not a cache'), raw).codeCache).toBe('rejected');
  });

  it('makes a cache of what has run, which V8 can check', () => {
    const source = `${CJS_WRAPPER_HEAD}module.exports = { twice: (n) => 2 * n };\n}) `;
    const app = compileApp(source, undefined, raw);
    const exports = app.load(require, '/x') as unknown as { twice(n: number): number };
    expect(exports.twice(21)).toBe(42);
    expect(app.createCachedData().length).toBeGreaterThan(0);
  });

  it('lets an error thrown by the bundle through, with the bundle\'s file name in its stack', () => {
    const app = compileApp(`${CJS_WRAPPER_HEAD}throw new RangeError('broken bundle');\n})`, undefined, raw);
    expect(() => app.load(require, '/x')).toThrow(RangeError);
    try {
      app.load(require, '/x');
    } catch (e) {
      expect((e as Error).stack).toMatch(/hnsbridge\.cjs:1/);
    }
  });

  it('refuses import() inside the bundle, as vm.Script does without a dynamic-import hook', async () => {
    const app = compileApp(`${CJS_WRAPPER_HEAD}module.exports = import('node:fs');\n})`, undefined, raw);
    const exports = app.load(require, '/x') as unknown as Promise<unknown>;
    await expect(exports).rejects.toMatchObject({ code: 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING' });
  });

  it('refuses a bundle that is not inside the CommonJS wrapper (a broken build)', () => {
    expect(() => compileApp('exports.answer = 42;', undefined, raw)).toThrow(/not a wrapped CommonJS module/);
  });
});
