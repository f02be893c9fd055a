// What the allocator needs from storage (the role of host-local's backend.Store), and the on-disk
// naming rules that make a store shareable with the reference host-local:
//
//   <dataDir>/<network>/<ip>                 `<containerID>\r\n<ifname>`  (older files: `<containerID>`)
//   <dataDir>/<network>/last_reserved_ip.<N> the last address reserved from range set N
//   <dataDir>/<network>/lock                 the inter-process lock
//
// On Windows `:` cannot appear in a file name, so an IPv6 reservation file uses `_` instead
// (`fd00__5`); the last_reserved_ip content keeps its colons. The naming functions take the platform
// as an argument so both forms are testable anywhere.

import { type Ip, formatIp, parseIp } from './ip.js';

export interface Owner {
  containerId: string;
  ifname: string;
}

export interface StoredEntry {
  ip: Ip;
  containerId: string;
  /** Undefined for the older one-line files that hold only the container ID. */
  ifname: string | undefined;
}

export interface Store {
  /** Runs `fn` holding the store's inter-process lock; everything below is only called inside it. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Every reservation (files named after an address); other files are never reported. */
  list(): Promise<StoredEntry[]>;
  /** Creates the reservation exclusively. False when the address is already reserved. */
  reserve(ip: Ip, owner: Owner): Promise<boolean>;
  /** Deletes the reservation of `ip`; an absent one is not an error. */
  remove(ip: Ip): Promise<void>;
  /** Raw content of `last_reserved_ip.<rangeSet>`, or undefined when there is none. */
  lastReserved(rangeSet: number): Promise<string | undefined>;
  setLastReserved(rangeSet: number, ip: Ip): Promise<void>;
}

export const LOCK_FILE = 'lock';
export const LAST_RESERVED_PREFIX = 'last_reserved_ip.';
/** host-local writes CRLF on every OS. */
export const LINE_BREAK = '\r\n';

export function reservationFileName(ip: Ip, platform: NodeJS.Platform): string {
  const text = formatIp(ip);
  return platform === 'win32' ? text.replaceAll(':', '_') : text;
}

/**
 * The address a file name stands for, or undefined when the name is not one this store (or
 * host-local) would write. Only canonical names count, so a stray file is never taken for a reservation.
 */
export function parseReservationFileName(name: string, platform: NodeJS.Platform): Ip | undefined {
  const text = platform === 'win32' ? name.replaceAll('_', ':') : name;
  if (name === LOCK_FILE || name.startsWith(LAST_RESERVED_PREFIX)) return undefined;
  const ip = parseIp(text);
  if (ip === undefined || reservationFileName(ip, platform) !== name) return undefined;
  return ip;
}

export function lastReservedFileName(rangeSet: number): string {
  return `${LAST_RESERVED_PREFIX}${rangeSet}`;
}

export function formatOwner(owner: Owner): string {
  return `${owner.containerId.trim()}${LINE_BREAK}${owner.ifname}`;
}

/** Splits a reservation file's content like host-local compares it: whitespace-trimmed, CRLF-separated. */
export function parseOwner(content: string): { containerId: string; ifname: string | undefined } {
  const text = content.trim();
  const at = text.indexOf(LINE_BREAK);
  if (at < 0) return { containerId: text, ifname: undefined };
  return { containerId: text.slice(0, at), ifname: text.slice(at + LINE_BREAK.length) };
}

/**
 * The reservations held by (containerId, ifname), host-local's rule: the entries written for exactly
 * that pair, or, when there are none, the older one-line entries holding just the container ID.
 */
export function ownedBy<T extends { containerId: string; ifname: string | undefined }>(entries: readonly T[], owner: Owner): T[] {
  const cid = owner.containerId.trim();
  const exact = entries.filter((e) => e.containerId === cid && e.ifname === owner.ifname);
  if (exact.length > 0) return exact;
  return entries.filter((e) => e.ifname === undefined && e.containerId === cid);
}

const WINDOWS_DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/**
 * Why `name` cannot be a directory under dataDir, or undefined when it can. The network name comes
 * from the config, so it must not climb out of dataDir, name a drive, or (on Windows) a device.
 */
export function networkNameProblem(name: string, platform: NodeJS.Platform): string | undefined {
  const shown = JSON.stringify(name.slice(0, 80));
  if (name === '') return 'network name is empty';
  if (name === '.' || name === '..') return `network name ${shown} would point at or above dataDir`;
  if (/[/\\]/.test(name)) return `network name ${shown} contains a path separator`;
  if (name.includes(':')) return `network name ${shown} contains ":" (a drive letter or an alternate data stream on Windows)`;
  if (/[\0-\x1f]/.test(name)) return `network name ${shown} contains a control character`;
  // One path component: ext4 and NTFS allow 255; a longer name would fail at mkdir, in the middle of an ADD.
  if (Buffer.byteLength(name, 'utf8') > 255) return `network name ${shown}... is ${name.length} characters; a directory name can have at most 255`;
  if (platform === 'win32' && (WINDOWS_DEVICE_NAMES.test(name) || /[. ]$/.test(name) || /[<>"|?*]/.test(name))) {
    return `network name ${shown} is not a usable directory name on Windows`;
  }
  return undefined;
}
