// The record of every HCN call the mock received, so tests can count and inspect traffic
// ("exactly one HcnCreateNetwork", "no HcnDeleteNetwork", "the endpoint was created with policy X").

import { hresultHex, hresultName } from '../src/hns/api.js';
import type { CallRequest, CallResponse } from '../src/hns/wire.js';

export type CallOutcome = 'pending' | 'ok' | 'failed' | 'unreachable';

export interface CallRecord {
  /** 1, 2, 3, … in arrival order. */
  seq: number;
  method: string;
  id: string;
  networkId: string;
  /** The JSON argument, parsed when it is JSON (else the raw text; null when empty). */
  args: unknown;
  /** Signed HRESULT; null while pending or when the call never reached the model. */
  hresult: number | null;
  hresultHex: string | null;
  hresultName: string | null;
  /** The mock's Detail (or the fault's text) for a failed call. */
  error: string | null;
  /** True when an injected fault failed or delayed the call. */
  faulted: boolean;
  outcome: CallOutcome;
  /** ISO time the call arrived. */
  timestamp: string;
  durationMs: number | null;
}

export interface CallQuery {
  method?: string;
  /** Only calls with seq greater than this. */
  since?: number;
}

function parseArgs(json: string): unknown {
  if (json === '') return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}

function detailOf(errorRecord: string): string | null {
  if (errorRecord === '') return null;
  try {
    const r = JSON.parse(errorRecord) as { Detail?: unknown; Error?: unknown };
    if (typeof r.Detail === 'string') return r.Detail;
    if (typeof r.Error === 'string') return r.Error.trim();
  } catch {
    // fall through
  }
  return errorRecord;
}

/** Bounded so a long-running demo daemon does not grow without limit; tests never come near it. */
const MAX_RECORDS = 100_000;

export class CallLog {
  private records: CallRecord[] = [];
  private seq = 0;

  begin(req: CallRequest): CallRecord {
    const rec: CallRecord = {
      seq: ++this.seq,
      method: req.method,
      id: req.id,
      networkId: req.networkId,
      args: parseArgs(req.json),
      hresult: null,
      hresultHex: null,
      hresultName: null,
      error: null,
      faulted: false,
      outcome: 'pending',
      timestamp: new Date().toISOString(),
      durationMs: null,
    };
    this.records.push(rec);
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
    return rec;
  }

  finish(rec: CallRecord, res: CallResponse): void {
    rec.hresult = res.hresult;
    rec.hresultHex = hresultHex(res.hresult);
    rec.hresultName = hresultName(res.hresult) ?? null;
    rec.outcome = res.hresult < 0 || res.errorRecord !== '' ? 'failed' : 'ok';
    rec.error = detailOf(res.errorRecord);
    rec.durationMs = Date.now() - Date.parse(rec.timestamp);
  }

  unreachable(rec: CallRecord, message: string): void {
    rec.outcome = 'unreachable';
    rec.error = message;
    rec.durationMs = Date.now() - Date.parse(rec.timestamp);
  }

  list(q: CallQuery = {}): CallRecord[] {
    return this.records.filter((r) => (q.method === undefined || r.method === q.method) && (q.since === undefined || r.seq > q.since)).map((r) => ({ ...r }));
  }

  /** Calls per method. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.records) out[r.method] = (out[r.method] ?? 0) + 1;
    return out;
  }

  get size(): number {
    return this.records.length;
  }

  clear(): void {
    this.records = [];
  }
}
