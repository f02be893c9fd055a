// MockHns: the model with its fault injection and call log, behind the two interfaces every door
// of the mock uses: `call()` (HnsCallHandler, one HCN call) and `admin()` (the test controls).
// server.ts (gRPC), framed.ts (the C stand-in's socket) and in-process.ts all wrap one of these.

import { type JsonObject, isJsonObject } from '../src/hns/schema.js';
import type { CallRequest, CallResponse, HnsCallHandler } from '../src/hns/wire.js';
import { type CallQuery, CallLog, type CallRecord } from './calllog.js';
import { errorRecord, signed } from './errors.js';
import { type Fault, Faults, MockUnreachableError, type UnreachableMode, parseHresult } from './faults.js';
import { HCN_METHODS, HnsModel, type ModelDump, type ModelOptions } from './model.js';

/** An admin request the mock cannot act on (bad action or arguments). */
export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface MockDump extends ModelDump {
  faults: Fault[];
  unreachable: UnreachableMode;
  calls: number;
}

/** Every admin action, for help texts and errors. */
export const ADMIN_ACTIONS = [
  'dump',
  'fault',
  'clearFaults',
  'faults',
  'unreachable',
  'restart',
  'reboot',
  'reset',
  'calls',
  'clearCalls',
  'namespaceCreate',
  'namespaceDelete',
  'setVersion',
  'version',
  'addAdapter',
  'removeAdapter',
  'setAdapters',
  'adapters',
  'stats',
] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** Typed access to admin arguments, failing with AdminError. */
class Args {
  constructor(
    private readonly action: string,
    private readonly o: JsonObject,
  ) {}

  string(key: string, required: true): string;
  string(key: string, required?: false): string | undefined;
  string(key: string, required = false): string | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) {
      if (required) throw new AdminError(`${this.action}: "${key}" is required`);
      return undefined;
    }
    if (typeof v !== 'string') throw new AdminError(`${this.action}: "${key}" must be a string`);
    return v;
  }

  int(key: string): number | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new AdminError(`${this.action}: "${key}" must be an integer`);
    return v;
  }

  raw(key: string): unknown {
    return this.o[key];
  }
}

/** `15.4` → {Major: 15, Minor: 4}. */
export function parseVersion(s: string): { Major: number; Minor: number } {
  const m = /^(\d{1,5})\.(\d{1,5})$/.exec(s.trim());
  if (!m) throw new RangeError(`not an HNS version: ${JSON.stringify(s)} (want MAJOR.MINOR, e.g. 15.4)`);
  return { Major: Number(m[1]), Minor: Number(m[2]) };
}

export class MockHns implements HnsCallHandler {
  readonly model: HnsModel;
  readonly faults: Faults;
  readonly calls = new CallLog();

  constructor(model: HnsModel | ModelOptions = {}) {
    this.model = model instanceof HnsModel ? model : new HnsModel(model);
    this.faults = new Faults(HCN_METHODS);
  }

  /**
   * One HCN call: unreachable gate, then an injected fault if one matches, else the model. Rejects
   * only with MockUnreachableError (the door decides what "unreachable" looks like on its wire).
   */
  async call(req: CallRequest): Promise<CallResponse> {
    const rec = this.calls.begin(req);
    try {
      await this.faults.gate();
    } catch (e) {
      if (e instanceof MockUnreachableError) this.calls.unreachable(rec, e.message);
      throw e;
    }
    const fault = this.faults.take(req.method, `${req.id} ${req.networkId} ${req.json}`);
    let res: CallResponse;
    if (fault !== undefined && fault.hresult !== undefined) {
      rec.faulted = true;
      if (fault.delayMs !== 0) await this.faults.delay(fault.delayMs);
      res = { hresult: signed(fault.hresult), json: '', errorRecord: errorRecord(fault.hresult, `injected fault #${fault.id}`, fault.message) };
    } else {
      // Applied now, inside the model's atomic section; a delay only holds back the answer.
      res = this.model.call(req);
      if (fault !== undefined) {
        rec.faulted = true;
        await this.faults.delay(fault.delayMs);
      }
    }
    this.calls.finish(rec, res);
    return res;
  }

  dump(): MockDump {
    return { ...this.model.dump(), faults: this.faults.faults, unreachable: this.faults.unreachable, calls: this.calls.size };
  }

  /** Runs one admin action; the result is a JSON-serialisable object. Throws AdminError on bad input. */
  admin(action: string, argsIn: unknown = {}): unknown {
    if (!isJsonObject(argsIn)) throw new AdminError(`${action}: arguments must be a JSON object`);
    const args = new Args(action, argsIn);
    try {
      return this.dispatch(action, args);
    } catch (e) {
      if (e instanceof RangeError) throw new AdminError(`${action}: ${e.message}`);
      throw e;
    }
  }

  private dispatch(action: string, args: Args): unknown {
    switch (action as AdminAction) {
      case 'dump':
        return this.dump();
      case 'fault': {
        const hresult = args.raw('hresult');
        const fault = this.faults.add({
          method: args.string('method', true),
          hresult: hresult === undefined || hresult === null ? undefined : parseHresult(hresult),
          message: args.string('message'),
          count: args.int('count'),
          delayMs: args.int('delayMs'),
          match: args.string('match'),
        });
        return { fault, description: this.faults.describe(fault) };
      }
      case 'clearFaults':
        return { cleared: this.faults.clear() };
      case 'faults':
        return { faults: this.faults.faults };
      case 'unreachable': {
        const mode = args.string('mode', true);
        if (mode !== 'off' && mode !== 'unavailable' && mode !== 'hang') throw new AdminError('unreachable: "mode" must be off, unavailable or hang');
        this.faults.setUnreachable(mode);
        return { unreachable: mode };
      }
      case 'restart':
        return this.model.restart();
      case 'reboot':
        return this.model.reboot();
      case 'reset':
        this.faults.clear();
        this.faults.setUnreachable('off');
        this.calls.clear();
        this.model.reset();
        return { reset: true };
      case 'calls': {
        const q: CallQuery = {};
        const method = args.string('method');
        const since = args.int('since');
        if (method !== undefined) q.method = method;
        if (since !== undefined) q.since = since;
        return { calls: this.calls.list(q) satisfies CallRecord[], counts: this.calls.counts() };
      }
      case 'clearCalls':
        this.calls.clear();
        return { cleared: true };
      case 'namespaceCreate': {
        const opts: { type?: string; id?: string } = {};
        const type = args.string('type');
        const id = args.string('id');
        if (type !== undefined) opts.type = type;
        if (id !== undefined) opts.id = id;
        return { ID: this.model.createNamespace(opts) };
      }
      case 'namespaceDelete': {
        const id = args.string('id', true);
        if (!this.model.deleteNamespace(id)) throw new AdminError(`namespaceDelete: no namespace ${id}`);
        return { deleted: id };
      }
      case 'setVersion': {
        const text = args.string('version');
        const v = text !== undefined ? parseVersion(text) : { Major: args.int('major') ?? -1, Minor: args.int('minor') ?? 0 };
        this.model.setVersion(v);
        return { version: this.model.version };
      }
      case 'version':
        return { version: this.model.version };
      case 'addAdapter':
        this.model.addAdapter(args.string('name', true));
        return { adapters: this.model.adapters };
      case 'removeAdapter': {
        const name = args.string('name', true);
        if (!this.model.removeAdapter(name)) throw new AdminError(`removeAdapter: no adapter ${JSON.stringify(name)}`);
        return { adapters: this.model.adapters };
      }
      case 'setAdapters': {
        const names = args.raw('names');
        if (!Array.isArray(names) || !names.every((n): n is string => typeof n === 'string')) throw new AdminError('setAdapters: "names" must be an array of strings');
        this.model.setAdapters(names);
        return { adapters: this.model.adapters };
      }
      case 'adapters':
        return { adapters: this.model.adapters };
      case 'stats':
        return { ...this.model.stats(), calls: this.calls.size, callsByMethod: this.calls.counts(), held: this.faults.held };
      default:
        throw new AdminError(`unknown admin action ${JSON.stringify(action)}; known: ${ADMIN_ACTIONS.join(', ')}`);
    }
  }

  /** Releases every call held by a delay or a hang, so a stopping server does not wait for them. */
  close(): void {
    this.faults.releaseAll();
  }
}
