// A validating reader for JSON config objects.
//
// Why this exists: configs written for the Go plugins rely on Go's case-insensitive key matching
// (`Nameservers`, `AdditionalArgs`, `GW`), so every lookup here is case-insensitive. It also records
// which keys were read, so unknown (often misspelled) keys can be reported by name, and it collects
// every problem instead of stopping at the first, so `hnsbridge validate` can list them all.

import { ConfigError, type ConfigProblem, ErrorCode } from './errors.js';

export class Problems {
  readonly list: ConfigProblem[] = [];

  add(path: string, message: string, hint?: string): void {
    this.list.push(hint === undefined ? { path, message } : { path, message, hint });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Throws a ConfigError (code 7 unless told otherwise) carrying every problem, if there is any. */
  throwIfAny(code: number = ErrorCode.InvalidConfig): void {
    if (this.list.length > 0) throw new ConfigError(this.list, code);
  }
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface RequiredOpt {
  required?: boolean;
}

export interface ArrayItem {
  value: unknown;
  path: string;
}

export class ObjectReader {
  private readonly keys = new Map<string, string>();
  private readonly consumed = new Set<string>();

  constructor(
    readonly value: Record<string, unknown>,
    readonly path: string,
    readonly problems: Problems,
  ) {
    for (const k of Object.keys(value)) {
      const lower = k.toLowerCase();
      const prior = this.keys.get(lower);
      if (prior !== undefined) {
        problems.add(joinPath(path, k), `key given twice with different case ("${prior}" and "${k}")`, 'keep one of them');
      }
      this.keys.set(lower, k);
    }
  }

  /** Reader for `value` if it is an object; records a problem (when present but wrong) and returns undefined otherwise. */
  static of(value: unknown, path: string, problems: Problems): ObjectReader | undefined {
    if (isPlainObject(value)) return new ObjectReader(value, path, problems);
    problems.add(path === '' ? '(document)' : path, `must be an object, got ${describeType(value)}`);
    return undefined;
  }

  keyPath(key: string): string {
    return joinPath(this.path, this.keys.get(key.toLowerCase()) ?? key);
  }

  has(key: string): boolean {
    return this.keys.has(key.toLowerCase());
  }

  /** The raw value under `key` (case-insensitive), marking it as read. `undefined` when absent. */
  raw(key: string): unknown {
    const actual = this.keys.get(key.toLowerCase());
    if (actual === undefined) return undefined;
    this.consumed.add(actual);
    return this.value[actual];
  }

  /** Marks keys as known without reading them (for keys the plugin accepts and ignores on purpose). */
  accept(...keys: string[]): void {
    for (const k of keys) this.raw(k);
  }

  private missing(key: string, opt: RequiredOpt | undefined): undefined {
    if (opt?.required) this.problems.add(this.keyPath(key), 'is required');
    return undefined;
  }

  private wrongType(key: string, want: string, got: unknown): undefined {
    this.problems.add(this.keyPath(key), `must be ${want}, got ${describeType(got)}${typeof got === 'string' || typeof got === 'number' ? ` ${JSON.stringify(got)}` : ''}`);
    return undefined;
  }

  string(key: string, opt?: RequiredOpt & { nonEmpty?: boolean }): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return this.missing(key, opt);
    if (typeof v !== 'string') return this.wrongType(key, 'a string', v);
    if (opt?.nonEmpty && v.trim() === '') {
      this.problems.add(this.keyPath(key), 'must not be empty');
      return undefined;
    }
    return v;
  }

  boolean(key: string, opt?: RequiredOpt & { allowString?: boolean }): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return this.missing(key, opt);
    if (typeof v === 'boolean') return v;
    if (opt?.allowString && typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
    return this.wrongType(key, 'true or false', v);
  }

  integer(key: string, opt?: RequiredOpt & { min?: number; max?: number }): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return this.missing(key, opt);
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.wrongType(key, 'an integer', v);
    if ((opt?.min !== undefined && v < opt.min) || (opt?.max !== undefined && v > opt.max)) {
      this.problems.add(this.keyPath(key), `must be between ${opt?.min ?? '-∞'} and ${opt?.max ?? '∞'}, got ${v}`);
      return undefined;
    }
    return v;
  }

  object(key: string, opt?: RequiredOpt): ObjectReader | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return this.missing(key, opt);
    if (!isPlainObject(v)) return this.wrongType(key, 'an object', v);
    return new ObjectReader(v, this.keyPath(key), this.problems);
  }

  array(key: string, opt?: RequiredOpt): ArrayItem[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return this.missing(key, opt);
    if (!Array.isArray(v)) return this.wrongType(key, 'an array', v);
    const base = this.keyPath(key);
    return v.map((value, i) => ({ value, path: joinPath(base, i) }));
  }

  stringArray(key: string, opt?: RequiredOpt): string[] | undefined {
    const items = this.array(key, opt);
    if (items === undefined) return undefined;
    const out: string[] = [];
    for (const it of items) {
      if (typeof it.value !== 'string') this.problems.add(it.path, `must be a string, got ${describeType(it.value)}`);
      else out.push(it.value);
    }
    return out;
  }

  /** Keys present in the object that no reader call asked for, in document order. */
  unknownKeys(): string[] {
    return Object.keys(this.value).filter((k) => !this.consumed.has(k));
  }
}
