// IP addresses as (family, integer) pairs; ordering, stepping and subnet bounds use the bigint, so
// v4 and v6 share one code path. IPv6 text is parsed and printed by `ip-address`, loaded on first
// IPv6 use: its module evaluation costs ~2 ms of every plugin start, and dotted quads need none of
// it (ip-text.ts parses them).
//
// Parsing follows Go's net.ParseIP, because configs and store files are shared with the reference
// host-local: dotted-quad IPv4 without leading zeros, RFC 4291 IPv6 without a zone, and an
// IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address. Printing is RFC 5952 (what Go's
// IP.String() prints), which matters because the printed form is the store's file name.

import { ipv4Value } from '../ip-text.js';

type IpAddress = typeof import('ip-address');

let ipAddressModule: IpAddress | undefined;
function ipAddress(): IpAddress {
  ipAddressModule ??= require('ip-address') as IpAddress;
  return ipAddressModule;
}

export type Family = 4 | 6;

export interface Ip {
  readonly family: Family;
  readonly value: bigint;
}

/** An address with a prefix length, as written (host bits may be set). */
export interface Cidr {
  readonly ip: Ip;
  readonly prefix: number;
}

export function familyBits(family: Family): number {
  return family === 4 ? 32 : 128;
}

const V4_MAPPED_PREFIX = 0xffffn;

/** Parses one address; undefined when it is not an address Go's net.ParseIP would accept. */
export function parseIp(text: string): Ip | undefined {
  // ip-address tolerates a trailing /prefix and a %zone; neither is an address.
  if (text.length === 0 || text.length > 64 || /[/%\s]/.test(text)) return undefined;
  if (text.includes(':')) {
    const { Address6 } = ipAddress();
    if (!Address6.isValid(text)) return undefined;
    const value = new Address6(text).bigInt();
    if (value >> 32n === V4_MAPPED_PREFIX) return { family: 4, value: value & 0xffffffffn };
    return { family: 6, value };
  }
  const v4 = ipv4Value(text);
  return v4 === undefined ? undefined : { family: 4, value: BigInt(v4) };
}

/** Parses `ip/prefix`; the address part keeps its host bits (callers decide whether that is allowed). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0) return undefined;
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const addrText = text.slice(0, slash);
  const ip = parseIp(addrText);
  // An IPv4-mapped IPv6 network would become IPv4 with a 128-bit mask; Go rejects that as a family mismatch.
  if (ip === undefined || (addrText.includes(':') && ip.family === 4)) return undefined;
  if (prefix > familyBits(ip.family)) return undefined;
  return { ip, prefix };
}

/** Parses `ip` or `ip/prefix` (the form of runtimeConfig.ips, args.cni.ips and CNI_ARGS IP=); only the address is kept. */
export function parseIpOrCidr(text: string): Ip | undefined {
  if (!text.includes('/')) return parseIp(text);
  return parseCidr(text)?.ip;
}

export function formatIp(ip: Ip): string {
  if (ip.family === 6) return ipAddress().Address6.fromBigInt(ip.value).correctForm();
  const v = Number(ip.value);
  return `${Math.floor(v / 2 ** 24) % 256}.${Math.floor(v / 2 ** 16) % 256}.${Math.floor(v / 2 ** 8) % 256}.${v % 256}`;
}

/** First (network) and last address of the subnet `c` lies in. */
export function cidrBounds(c: Cidr): { first: bigint; last: bigint } {
  const host = (1n << BigInt(familyBits(c.ip.family) - c.prefix)) - 1n;
  const first = c.ip.value & ~host;
  return { first, last: first | host };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.ip)}/${c.prefix}`;
}

export function ipEquals(a: Ip, b: Ip): boolean {
  return a.family === b.family && a.value === b.value;
}

/** Orders addresses of one family; across families IPv4 sorts first (only used for stable listings). */
export function compareIp(a: Ip, b: Ip): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function familyName(family: Family): string {
  return family === 4 ? 'IPv4' : 'IPv6';
}
