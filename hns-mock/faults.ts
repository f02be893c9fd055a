// Fault injection for hns-mock: fail or delay chosen HCN calls, or make HNS unreachable.
//
// A fault names a method (an HCN export such as `HcnCreateEndpoint`, `HNSCall`, or `*` for any) and
// applies to the next `count` matching calls (-1: until cleared). Faults are consumed in the order
// they were added; a method-specific fault and a `*` fault are matched alike, first added first.
// `match` narrows a fault to calls whose arguments (the object ID, the network ID and the JSON)
// contain that text, so a test can aim at one of two calls of the same function made at once
// (the plugin looks up the gateway and the pod endpoint concurrently).
//
//   - with an HRESULT: the call fails with it and changes nothing (after the delay, if any);
//   - with only a delay: the call is applied at once, and its answer is held back for the delay.
//     That is what a hung HNS looks like to a client that gives up: the endpoint may well exist
//     although the create "timed out", which is exactly the case a rollback must handle (find the
//     endpoint by name). The state change happens inside the model's atomic section, the waiting
//     outside it, so a delayed call never blocks other clients.
//   - delay -1 holds the answer until the fault set is cleared or the mock stops.
//
// Unreachable modes make every HCN call fail before it reaches the model: `unavailable` (the
// gRPC door answers UNAVAILABLE, the framed door drops the connection) or `hang` (no answer until
// the mode is turned off; then the call fails as unavailable, never applied).

import { HRESULT, hresultName } from '../src/hns/api.js';

export interface FaultSpec {
  /** HCN function name, `HNSCall`, or `*`. */
  method: string;
  /** Unsigned or signed 32-bit HRESULT; omit for a delay-only fault. */
  hresult?: number;
  /** ErrorRecord `Error` text; default: the HRESULT's system message. */
  message?: string;
  /** How many calls to affect; default 1; -1 = until cleared. */
  count?: number;
  /** Milliseconds to hold the answer; -1 = until cleared. */
  delayMs?: number;
  /** Only calls whose ID, network ID or JSON argument contains this text. */
  match?: string;
}

export interface Fault extends Required<Pick<FaultSpec, 'method' | 'count'>> {
  id: number;
  hresult: number | undefined;
  message: string | undefined;
  delayMs: number;
  match: string | undefined;
  /** Calls it has affected so far. */
  hits: number;
}

export type UnreachableMode = 'off' | 'unavailable' | 'hang';

/** Thrown by the handler while the mock is unreachable; each door turns it into its own "no HNS here". */
export class MockUnreachableError extends Error {
  constructor(message = 'hns-mock is unreachable (fault injection)') {
    super(message);
    this.name = 'MockUnreachableError';
  }
}

/** Parses an HRESULT given as a number, a `0x…` / decimal string, or a name from the HRESULT table. */
export function parseHresult(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= -0x80000000 && v <= 0xffffffff) return v >>> 0;
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^0x[0-9a-f]{1,8}$/i.test(s)) return Number.parseInt(s, 16) >>> 0;
    if (/^-?\d+$/.test(s)) return parseHresult(Number(s));
    const named = (HRESULT as Record<string, number>)[s];
    if (named !== undefined) return named;
  }
  throw new RangeError(`not an HRESULT: ${JSON.stringify(v)} (want 0x803b0013, a decimal, or a name like HCN_E_PORT_ALREADY_EXISTS)`);
}

/** A wait that can be cut short; every pending one is released by releaseAll(). */
class Waits {
  private readonly pending = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        this.pending.delete(done);
        resolve();
      };
      this.pending.add(done);
      if (ms >= 0) timer = setTimeout(done, ms);
    });
  }

  releaseAll(): void {
    for (const done of [...this.pending]) done();
  }

  get size(): number {
    return this.pending.size;
  }
}

export class Faults {
  private list: Fault[] = [];
  private nextId = 1;
  private mode: UnreachableMode = 'off';
  private readonly delays = new Waits();
  private readonly hangs = new Waits();

  constructor(private readonly knownMethods: readonly string[]) {}

  add(spec: FaultSpec): Fault {
    if (spec.method !== '*' && !this.knownMethods.includes(spec.method)) {
      throw new RangeError(`unknown method ${JSON.stringify(spec.method)}; use * or one of ${this.knownMethods.join(', ')}`);
    }
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || (count < 1 && count !== -1)) throw new RangeError(`count must be a positive integer or -1, got ${count}`);
    const delayMs = spec.delayMs ?? 0;
    if (!Number.isInteger(delayMs) || delayMs < -1) throw new RangeError(`delayMs must be a non-negative integer or -1, got ${delayMs}`);
    const hresult = spec.hresult === undefined ? undefined : parseHresult(spec.hresult);
    if (hresult === undefined && delayMs === 0) throw new RangeError('a fault needs an HRESULT, a delay, or both');
    if (hresult !== undefined && hresult < 0x80000000) throw new RangeError(`HRESULT ${hresult} is not a failure code`);
    if (spec.match !== undefined && spec.match === '') throw new RangeError('match must not be empty');
    const fault: Fault = { id: this.nextId++, method: spec.method, hresult, message: spec.message, count, delayMs, match: spec.match, hits: 0 };
    this.list.push(fault);
    return { ...fault };
  }

  /** Consumes one use of the first fault matching `method` (and, for a fault with `match`, `argsText`), if any. */
  take(method: string, argsText = ''): Fault | undefined {
    const fault = this.list.find((f) => (f.method === '*' || f.method === method) && (f.match === undefined || argsText.includes(f.match)));
    if (fault === undefined) return undefined;
    fault.hits++;
    if (fault.count !== -1 && fault.hits >= fault.count) this.list = this.list.filter((f) => f !== fault);
    return { ...fault };
  }

  /** Drops every fault and releases every call held by a delay. */
  clear(): number {
    const n = this.list.length;
    this.list = [];
    this.delays.releaseAll();
    return n;
  }

  get faults(): Fault[] {
    return this.list.map((f) => ({ ...f }));
  }

  delay(ms: number): Promise<void> {
    return this.delays.wait(ms);
  }

  get unreachable(): UnreachableMode {
    return this.mode;
  }

  setUnreachable(mode: UnreachableMode): void {
    this.mode = mode;
    if (mode !== 'hang') this.hangs.releaseAll();
  }

  /** Before a call: passes when reachable, throws MockUnreachableError otherwise (after holding the call in `hang` mode). */
  async gate(): Promise<void> {
    if (this.mode === 'off') return;
    if (this.mode === 'hang') await this.hangs.wait(-1);
    throw new MockUnreachableError(this.mode === 'hang' ? 'hns-mock stopped hanging; the held call was not applied' : undefined);
  }

  /** Releases everything held (delays and hangs), e.g. when the server stops. */
  releaseAll(): void {
    this.delays.releaseAll();
    this.hangs.releaseAll();
  }

  /** Calls currently held by a delay or a hang. */
  get held(): number {
    return this.delays.size + this.hangs.size;
  }

  describe(f: Fault): string {
    const wait = f.delayMs === -1 ? 'forever' : `${f.delayMs} ms`;
    const what =
      f.hresult !== undefined
        ? `fail with 0x${f.hresult.toString(16).padStart(8, '0')}${hresultName(f.hresult) ? ` ${hresultName(f.hresult)}` : ''}${f.delayMs ? ` after waiting ${wait}` : ''}`
        : `apply, then hold the answer ${wait}`;
    return `#${f.id} ${f.method}${f.match === undefined ? '' : ` (arguments containing ${JSON.stringify(f.match)})`}: ${what}; ${f.count === -1 ? 'every call' : `${f.count - f.hits} call(s) left`}`;
  }
}
