// One allocation range: a subnet, the inclusive start..end the allocator walks, and the gateway it
// skips. Defaults and checks follow the reference host-local (Range.Canonicalize), plus the ones the
// issue asks for on top: start/end/gateway must lie inside the subnet, start must not be after end,
// the network address and the IPv4 broadcast are never allocatable, and a range must keep at least
// one address besides its gateway.

import { type Cidr, type Ip, cidrBounds, familyBits, familyName, formatCidr, formatIp, parseCidr, parseIp } from './ip.js';

export interface Range {
  /** The network address and prefix (never with host bits). */
  readonly subnet: Cidr;
  readonly rangeStart: Ip;
  readonly rangeEnd: Ip;
  readonly gateway: Ip;
  /** False when the gateway is host-local's default (subnet + 1); the plugin may choose its own then. */
  readonly gatewayExplicit: boolean;
}

/** A range as written in the config; every field is raw text. */
export interface RangeInput {
  subnet?: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

export type RangeField = keyof RangeInput;

export interface RangeFieldError {
  /** The field the problem is about; undefined when it is about the range as a whole. */
  field: RangeField | undefined;
  message: string;
  hint?: string;
}

export type RangeBuild = { ok: true; range: Range } | { ok: false; errors: RangeFieldError[] };

const ip = (family: 4 | 6, value: bigint): Ip => ({ family, value });

export function networkAddress(c: Cidr): Ip {
  return ip(c.ip.family, cidrBounds(c).first);
}

/** The last address of the subnet: the broadcast for IPv4, the all-ones address for IPv6. */
export function lastAddress(c: Cidr): Ip {
  return ip(c.ip.family, cidrBounds(c).last);
}

/** host-local's default rangeStart: the address after the network address. */
export function firstUsable(c: Cidr): Ip {
  return ip(c.ip.family, cidrBounds(c).first + 1n);
}

/** host-local's default rangeEnd: the last address, minus the broadcast for IPv4 (IPv6 has none). */
export function lastUsable(c: Cidr): Ip {
  const { last } = cidrBounds(c);
  return ip(c.ip.family, c.ip.family === 4 ? last - 1n : last);
}

export function subnetContains(c: Cidr, a: Ip): boolean {
  if (a.family !== c.ip.family) return false;
  const { first, last } = cidrBounds(c);
  return a.value >= first && a.value <= last;
}

/** True when `a` is one of the addresses the range walks (rangeStart..rangeEnd inclusive). */
export function rangeContains(r: Range, a: Ip): boolean {
  return a.family === r.rangeStart.family && a.value >= r.rangeStart.value && a.value <= r.rangeEnd.value;
}

/** True when the two ranges share at least one address (host-local compares start..end, not subnets). */
export function rangesOverlap(a: Range, b: Range): boolean {
  if (a.rangeStart.family !== b.rangeStart.family) return false;
  return a.rangeStart.value <= b.rangeEnd.value && b.rangeStart.value <= a.rangeEnd.value;
}

/** Addresses the range can hand out: start..end without the gateway. */
export function usableInRange(r: Range): bigint {
  const size = r.rangeEnd.value - r.rangeStart.value + 1n;
  return rangeContains(r, r.gateway) ? size - 1n : size;
}

export function describeRange(r: Range): string {
  return `${formatIp(r.rangeStart)}-${formatIp(r.rangeEnd)} in ${formatCidr(r.subnet)}`;
}

/** Validates a range as written and fills in host-local's defaults. Reports every independent problem. */
export function buildRange(input: RangeInput): RangeBuild {
  const errors: RangeFieldError[] = [];
  if (input.subnet === undefined) return { ok: false, errors: [{ field: 'subnet', message: 'is required' }] };
  const parsed = parseCidr(input.subnet);
  if (parsed === undefined) {
    return { ok: false, errors: [{ field: 'subnet', message: `invalid CIDR ${JSON.stringify(input.subnet)}`, hint: 'for example "10.244.1.0/24" or "fd00:10:244:1::/64"' }] };
  }
  const family = parsed.ip.family;
  const bits = familyBits(family);
  // Same rule and wording as host-local: a /31 or /32 (/127, /128) leaves nothing once the
  // network address and the gateway are set aside.
  if (parsed.prefix > bits - 2) {
    return { ok: false, errors: [{ field: 'subnet', message: `network ${formatCidr(parsed)} too small to allocate from`, hint: `use a prefix of /${bits - 2} or shorter` }] };
  }
  const net = networkAddress(parsed);
  if (net.value !== parsed.ip.value) {
    const fixed = formatCidr({ ip: net, prefix: parsed.prefix });
    return {
      ok: false,
      errors: [{ field: 'subnet', message: `network has host bits set: for a subnet mask of length ${parsed.prefix} the network address is ${formatIp(net)}`, hint: `use "${fixed}"` }],
    };
  }
  const subnet: Cidr = { ip: net, prefix: parsed.prefix };
  const broadcast = family === 4 ? lastAddress(subnet) : undefined;
  const subnetText = formatCidr(subnet);

  // Parses one of rangeStart/rangeEnd/gateway and checks it is a host address of the subnet.
  const address = (field: Exclude<RangeField, 'subnet'>, text: string | undefined): Ip | undefined => {
    if (text === undefined) return undefined;
    const a = parseIp(text);
    if (a === undefined) {
      errors.push({ field, message: `invalid IP address ${JSON.stringify(text)}` });
      return undefined;
    }
    if (a.family !== family) {
      errors.push({ field, message: `${text} is ${familyName(a.family)} but subnet ${subnetText} is ${familyName(family)}` });
      return undefined;
    }
    if (!subnetContains(subnet, a)) {
      errors.push({ field, message: `${text} is not in subnet ${subnetText}` });
      return undefined;
    }
    if (a.value === net.value) {
      errors.push({ field, message: `${text} is the network address of ${subnetText}, which is never handed out`, hint: `use ${formatIp(firstUsable(subnet))} or later` });
      return undefined;
    }
    if (broadcast !== undefined && a.value === broadcast.value) {
      errors.push({ field, message: `${text} is the broadcast address of ${subnetText}, which is never handed out`, hint: `use ${formatIp(lastUsable(subnet))} or earlier` });
      return undefined;
    }
    return a;
  };

  const gw = address('gateway', input.gateway);
  const start = address('rangeStart', input.rangeStart);
  const end = address('rangeEnd', input.rangeEnd);
  if (errors.length > 0) return { ok: false, errors };

  const range: Range = {
    subnet,
    rangeStart: start ?? firstUsable(subnet),
    rangeEnd: end ?? lastUsable(subnet),
    gateway: gw ?? firstUsable(subnet),
    gatewayExplicit: gw !== undefined,
  };
  if (range.rangeStart.value > range.rangeEnd.value) {
    const field: RangeField = start !== undefined ? 'rangeStart' : 'rangeEnd';
    return {
      ok: false,
      errors: [{ field, message: `rangeStart ${formatIp(range.rangeStart)} is after rangeEnd ${formatIp(range.rangeEnd)}` }],
    };
  }
  if (usableInRange(range) === 0n) {
    return {
      ok: false,
      errors: [{ field: undefined, message: `range ${describeRange(range)} has no usable address: its only address is the gateway ${formatIp(range.gateway)}` }],
    };
  }
  return { ok: true, range };
}
