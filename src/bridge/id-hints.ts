// The HNS IDs of the network and of its gateway endpoint, remembered between calls in the network's
// state folder (beside its lock files). The next ADD reads their properties while it enumerates by
// name (HnsService.prefetch), so the lookups take two round trips instead of three. Only a hint: a
// lookup uses nothing it does not find itself, and a missing, stale or unreadable file costs only
// the round trip it would have saved.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isGuid } from '../hns/schema.js';
import { writeIntoPlace } from '../native-cache-dir.js';

export interface IdHints {
  network?: string;
  gateway?: string;
}

export const ID_HINTS_FILE = 'hns-ids.json';

/** The hints in `dir`; whatever is missing or not a GUID is left out. */
export function readIdHints(dir: string): IdHints {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(join(dir, ID_HINTS_FILE), 'utf8'));
  } catch {
    return {};
  }
  const out: IdHints = {};
  if (typeof doc !== 'object' || doc === null) return out;
  const { network, gateway } = doc as Record<string, unknown>;
  if (typeof network === 'string' && isGuid(network)) out.network = network;
  if (typeof gateway === 'string' && isGuid(gateway)) out.gateway = gateway;
  return out;
}

/** Replaces the hints (atomically: parallel ADDs may write at once). A failure is ignored: it is only a hint. */
export function writeIdHints(dir: string, hints: IdHints): void {
  try {
    writeIntoPlace(join(dir, ID_HINTS_FILE), Buffer.from(JSON.stringify(hints)), 0o644);
  } catch {
    // the next ADD looks the objects up by name, as without the file
  }
}
