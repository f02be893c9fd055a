// What the HcnApi backends (gRPC and FFI) share about reading the documents they pass through:
// the object an error is about, and a failure hidden in an ErrorRecord. One place, so an error
// reads the same whichever backend produced it.

import { HRESULT, HnsError, errorRecordMessage } from './api.js';
import type { HcnResource } from './api.js';
import { isJsonObject } from './schema.js';

function field(text: string, key: string): unknown {
  try {
    const doc: unknown = JSON.parse(text);
    return isJsonObject(doc) ? doc[key] : undefined;
  } catch {
    // not JSON: HNS will say so; callers fall back
    return undefined;
  }
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The object named in errors about a create: the settings' Name, else `(new network)` etc. */
export function createLabel(resource: HcnResource, settings: string): string {
  return nonEmptyString(field(settings, 'Name')) ?? `(new ${resource.toLowerCase()})`;
}

/** The object named in errors about an enumeration: the query's Filter, else `(all)`. */
export function enumerateLabel(query: string): string {
  return nonEmptyString(field(query, 'Filter')) ?? '(all)';
}

/** The ID in a properties document returned by a create. */
export function idIn(doc: string): string | undefined {
  const id = field(doc, 'ID');
  return typeof id === 'string' ? id : undefined;
}

/** A failing ErrorCode in an ErrorRecord (HNS writes it as an unsigned decimal). */
function errorRecordCode(record: string): number | undefined {
  const code = field(record, 'ErrorCode');
  return typeof code === 'number' && code >>> 0 >= 0x80000000 ? code : undefined;
}

/**
 * The HnsError for a call's outcome, or undefined when it succeeded. Like hcsshim, a non-empty
 * ErrorRecord is a failure even with a succeeding HRESULT: then the record's own code says what
 * failed, else E_FAIL, so an HnsError never carries a success code.
 */
export function callFailure(operation: string, object: string, hresult: number, record: string | undefined): HnsError | undefined {
  const rec = record ?? '';
  if (hresult >= 0 && rec.trim() === '') return undefined;
  const code = hresult < 0 ? hresult : (errorRecordCode(rec) ?? HRESULT.E_FAIL);
  return new HnsError(operation, object, code, errorRecordMessage(rec), rec || undefined);
}
