// The CNI Success result: one internal shape (the 1.1.0 one), converted on output to the config's
// cniVersion, and parsed from `prevResult` in any supported version.

import { ipFamilyOf } from '../ip-text.js';
import { ObjectReader, Problems, describeType } from './reader.js';
import { type CniVersion, hasIpVersionField, hasV11Fields, isSupportedVersion } from './version.js';

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
  mtu?: number;
  socketPath?: string;
  pciID?: string;
}

export interface CniIpConfig {
  /** CIDR notation: the address with its subnet's prefix length. */
  address: string;
  gateway?: string;
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
}

/** `ip/prefix` → [ip, prefix, family]; undefined when malformed. */
export function parseCidr(s: string): { ip: string; prefix: number; family: 4 | 6 } | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = s.slice(0, slash);
  const pfx = s.slice(slash + 1);
  const family = ipFamilyOf(ip);
  if (family === 0 || !/^\d{1,3}$/.test(pfx)) return undefined;
  const prefix = Number(pfx);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return { ip, prefix, family: family as 4 | 6 };
}

function dnsIsEmpty(d: CniDns | undefined): boolean {
  return !d || (!d.nameservers?.length && !d.domain && !d.search?.length && !d.options?.length);
}

/** The result document in `version`, shaped like the reference library prints it. */
export function resultForVersion(r: CniResult, version: CniVersion): Record<string, unknown> {
  const v11 = hasV11Fields(version);
  const doc: Record<string, unknown> = { cniVersion: version };
  if (r.interfaces?.length) {
    doc.interfaces = r.interfaces.map((i) => {
      const o: Record<string, unknown> = { name: i.name };
      if (i.mac) o.mac = i.mac;
      if (v11 && i.mtu) o.mtu = i.mtu;
      if (i.sandbox) o.sandbox = i.sandbox;
      if (v11 && i.socketPath) o.socketPath = i.socketPath;
      if (v11 && i.pciID) o.pciID = i.pciID;
      return o;
    });
  }
  if (r.ips?.length) {
    doc.ips = r.ips.map((ip) => {
      const o: Record<string, unknown> = {};
      if (hasIpVersionField(version)) o.version = parseCidr(ip.address)?.family === 6 ? '6' : '4';
      if (ip.interface !== undefined) o.interface = ip.interface;
      o.address = ip.address;
      if (ip.gateway) o.gateway = ip.gateway;
      return o;
    });
  }
  if (r.routes?.length) {
    doc.routes = r.routes.map((rt) => {
      const o: Record<string, unknown> = { dst: rt.dst };
      if (rt.gw) o.gw = rt.gw;
      if (v11) {
        for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) if (rt[k] !== undefined) o[k] = rt[k];
      }
      return o;
    });
  }
  if (!dnsIsEmpty(r.dns)) {
    const d = r.dns as CniDns;
    const o: Record<string, unknown> = {};
    if (d.nameservers?.length) o.nameservers = d.nameservers;
    if (d.domain) o.domain = d.domain;
    if (d.search?.length) o.search = d.search;
    if (d.options?.length) o.options = d.options;
    doc.dns = o;
  }
  return doc;
}

function optionalInt(r: ObjectReader, key: string, min: number, max: number): number | undefined {
  return r.integer(key, { min, max });
}

/**
 * Parses a result in any supported version (0.3.x/0.4.0 `ips[].version` is accepted and dropped).
 * Problems are recorded under `path`; the return value holds what was valid.
 */
export function parseResult(raw: unknown, path: string, problems: Problems): CniResult | undefined {
  const r = ObjectReader.of(raw, path, problems);
  if (!r) return undefined;
  const ver = r.raw('cniVersion');
  if (ver !== undefined && !isSupportedVersion(ver)) {
    problems.add(r.keyPath('cniVersion'), `unsupported result version ${JSON.stringify(ver)}`);
  }
  const out: CniResult = {};

  const ifaces = r.array('interfaces');
  if (ifaces) {
    out.interfaces = [];
    for (const item of ifaces) {
      const ir = ObjectReader.of(item.value, item.path, problems);
      if (!ir) continue;
      const name = ir.string('name', { required: true });
      const iface: CniInterface = { name: name ?? '' };
      const mac = ir.string('mac');
      if (mac) iface.mac = mac;
      const sandbox = ir.string('sandbox');
      if (sandbox) iface.sandbox = sandbox;
      const mtu = optionalInt(ir, 'mtu', 0, 65535);
      if (mtu !== undefined) iface.mtu = mtu;
      const sock = ir.string('socketPath');
      if (sock) iface.socketPath = sock;
      const pci = ir.string('pciID');
      if (pci) iface.pciID = pci;
      out.interfaces.push(iface);
    }
  }

  const ips = r.array('ips');
  if (ips) {
    out.ips = [];
    for (const item of ips) {
      const ir = ObjectReader.of(item.value, item.path, problems);
      if (!ir) continue;
      ir.accept('version');
      const address = ir.string('address', { required: true });
      if (address !== undefined && !parseCidr(address)) problems.add(ir.keyPath('address'), `is not an address in CIDR form: ${JSON.stringify(address)}`);
      const ip: CniIpConfig = { address: address ?? '' };
      const gw = ir.string('gateway');
      if (gw !== undefined && gw !== '' && ipFamilyOf(gw) === 0) problems.add(ir.keyPath('gateway'), `is not an IP address: ${JSON.stringify(gw)}`);
      if (gw) ip.gateway = gw;
      const idx = ir.raw('interface');
      if (idx !== undefined && idx !== null) {
        if (typeof idx !== 'number' || !Number.isInteger(idx) || idx < 0) problems.add(ir.keyPath('interface'), `must be a non-negative integer, got ${describeType(idx)}`);
        else ip.interface = idx;
      }
      out.ips.push(ip);
    }
  }

  const routes = r.array('routes');
  if (routes) {
    out.routes = [];
    for (const item of routes) {
      const rr = ObjectReader.of(item.value, item.path, problems);
      if (!rr) continue;
      const dst = rr.string('dst', { required: true });
      if (dst !== undefined && !parseCidr(dst)) problems.add(rr.keyPath('dst'), `is not a CIDR: ${JSON.stringify(dst)}`);
      const route: CniRoute = { dst: dst ?? '' };
      const gw = rr.string('gw');
      if (gw !== undefined && gw !== '' && ipFamilyOf(gw) === 0) problems.add(rr.keyPath('gw'), `is not an IP address: ${JSON.stringify(gw)}`);
      if (gw) route.gw = gw;
      for (const k of ['mtu', 'advmss', 'priority', 'table', 'scope'] as const) {
        const n = optionalInt(rr, k, 0, 2 ** 31 - 1);
        if (n !== undefined) route[k] = n;
      }
      out.routes.push(route);
    }
  }

  const dns = r.object('dns');
  if (dns) out.dns = parseDns(dns);
  return out;
}

/** The `dns` object of a config or result ({nameservers, domain, search, options}). */
export function parseDns(d: ObjectReader): CniDns {
  const out: CniDns = {};
  const ns = d.stringArray('nameservers');
  if (ns) {
    for (const [i, s] of ns.entries()) if (ipFamilyOf(s) === 0) d.problems.add(`${d.keyPath('nameservers')}[${i}]`, `is not an IP address: ${JSON.stringify(s)}`);
    out.nameservers = ns;
  }
  const domain = d.string('domain');
  if (domain) out.domain = domain;
  const search = d.stringArray('search');
  if (search) out.search = search;
  const options = d.stringArray('options');
  if (options) out.options = options;
  return out;
}
