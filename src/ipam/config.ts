// The `ipam` object of the network config, host-local's keys read case-insensitively. Everything
// is validated here, before any file is touched, and every problem is recorded with its JSON path.
//
// Range set numbering follows host-local: the legacy top-level range (`subnet` …) is prepended as set
// 0, then `ranges` in order. The number is the N of `last_reserved_ip.N`, so it must not change.

import { isAbsolutePathFor } from '../cni/netconf.js';
import type { CniRoute } from '../cni/result.js';
import { ObjectReader, type Problems, describeType, isPlainObject, joinPath } from '../cni/reader.js';
import { type Family, familyName, formatIp, parseCidr, parseIp } from './ip.js';
import { type Range, type RangeInput, buildRange, describeRange, rangesOverlap } from './range.js';
import { type RangeSet, rangeSetFamily, rangeSetsOverlap } from './range-set.js';
import { networkNameProblem } from './store.js';

export const IPAM_TYPE = 'host-local';

/** A route copied into the result: the CNI result's route shape. */
export type IpamRoute = CniRoute;

export interface IpamConfig {
  type: typeof IPAM_TYPE;
  /** One address is allocated from each set, in this order; at most one IPv4 and one IPv6 set. */
  rangeSets: RangeSet[];
  routes: IpamRoute[];
  /** Root of the store; the network's reservations live in `<dataDir>/<network name>/`. */
  dataDir: string;
  resolvConf?: string;
}

export interface IpamContext {
  networkName: string;
  /**
   * Accepted for parity with host-local's loader, which limits configs older than 0.3.0 to one set
   * per family. hnsbridge applies that limit at every version (one HNS endpoint address per family),
   * so the version changes nothing here.
   */
  cniVersion?: string;
  platform: NodeJS.Platform;
}

const IPAM_KEYS = ['type', 'ranges', 'subnet', 'rangeStart', 'rangeEnd', 'gateway', 'routes', 'dataDir', 'resolvConf'];
const RANGE_KEYS = ['subnet', 'rangeStart', 'rangeEnd', 'gateway'] as const;
const ROUTE_INT_KEYS = ['mtu', 'advmss', 'priority', 'table', 'scope'] as const;

export function defaultDataDir(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'C:\\var\\lib\\cni\\networks' : '/var/lib/cni/networks';
}

/**
 * Reads the `ipam` object. Returns the config when it is valid; otherwise records every problem in
 * `ipam.problems` and returns undefined.
 */
export function parseIpamConfig(ipam: ObjectReader, ctx: IpamContext): IpamConfig | undefined {
  const problems = ipam.problems;
  const before = problems.list.length;

  const type = ipam.string('type', { required: true });
  if (type !== undefined && type !== IPAM_TYPE) {
    problems.add(ipam.keyPath('type'), `unsupported IPAM type ${JSON.stringify(type)}`, `hnsbridge has host-local IPAM built in: use "type": "${IPAM_TYPE}"`);
  }

  const nameProblem = networkNameProblem(ctx.networkName, ctx.platform);
  if (nameProblem !== undefined) problems.add('name', nameProblem, 'the network name is the store directory under dataDir');

  const sets: { set: RangeSet; path: string }[] = [];
  const legacy = readLegacyRange(ipam, problems);
  if (legacy !== undefined) sets.push(legacy);
  const rangesPath = ipam.keyPath('ranges');
  const rangesItems = ipam.array('ranges');
  for (const item of rangesItems ?? []) {
    const s = readRangeSet(item.value, item.path, problems);
    if (s !== undefined) sets.push(s);
  }
  // A `ranges` of the wrong type has been reported already; only a config with no range at all is this problem.
  const rangesRaw = ipam.raw('ranges');
  const rangesMistyped = rangesRaw !== undefined && rangesRaw !== null && rangesItems === undefined;
  if (!RANGE_KEYS.some((k) => ipam.has(k)) && !rangesMistyped && (rangesItems === undefined || rangesItems.length === 0)) {
    problems.add(rangesPath, 'no IP ranges specified', 'add "ranges": [[{"subnet": "10.244.1.0/24"}]]');
  }
  checkSetsAcrossFamilies(sets, problems);

  const routes = readRoutes(ipam, problems);

  let dataDir = defaultDataDir(ctx.platform);
  const dd = ipam.string('dataDir', { nonEmpty: true });
  if (dd !== undefined) {
    if (isAbsolutePathFor(dd, ctx.platform)) dataDir = dd;
    else problems.add(ipam.keyPath('dataDir'), `must be an absolute path, got ${JSON.stringify(dd)}`, `the default is ${defaultDataDir(ctx.platform)}`);
  }
  const resolvConf = ipam.string('resolvConf', { nonEmpty: true });
  if (resolvConf !== undefined && !isAbsolutePathFor(resolvConf, ctx.platform)) {
    problems.add(ipam.keyPath('resolvConf'), `must be an absolute path, got ${JSON.stringify(resolvConf)}`);
  }

  for (const k of ipam.unknownKeys()) {
    problems.add(ipam.keyPath(k), 'unknown key', `ipam accepts ${IPAM_KEYS.join(', ')}`);
  }

  if (problems.list.length > before) return undefined;
  const cfg: IpamConfig = { type: IPAM_TYPE, rangeSets: sets.map((s) => s.set), routes, dataDir };
  if (resolvConf !== undefined) cfg.resolvConf = resolvConf;
  return cfg;
}

/** The legacy single range: `subnet`, `rangeStart`, `rangeEnd`, `gateway` directly under `ipam`. */
function readLegacyRange(ipam: ObjectReader, problems: Problems): { set: RangeSet; path: string } | undefined {
  const input: RangeInput = {};
  let any = false;
  for (const k of RANGE_KEYS) {
    const v = ipam.string(k, { nonEmpty: true });
    if (v !== undefined) input[k] = v;
    any ||= ipam.has(k);
  }
  if (!any) return undefined;
  if (input.subnet === undefined) {
    if (!ipam.has('subnet')) problems.add(ipam.keyPath('subnet'), 'is required when rangeStart, rangeEnd or gateway is given at the top of ipam');
    return undefined;
  }
  const range = addRangeProblems(input, (f) => (f === undefined ? ipam.path : ipam.keyPath(f)), problems);
  return range === undefined ? undefined : { set: [range], path: ipam.path };
}

function readRangeSet(value: unknown, path: string, problems: Problems): { set: RangeSet; path: string } | undefined {
  if (!Array.isArray(value)) {
    problems.add(path, `must be an array of ranges, got ${describeType(value)}`, 'ranges is a list of range sets: [[{"subnet": "10.244.1.0/24"}]]');
    return undefined;
  }
  if (value.length === 0) {
    problems.add(path, 'empty range set', 'a range set needs at least one {"subnet": ...}');
    return undefined;
  }
  const ranges: { range: Range; path: string }[] = [];
  let broken = false;
  value.forEach((item, j) => {
    const rp = joinPath(path, j);
    if (!isPlainObject(item)) {
      problems.add(rp, `must be an object, got ${describeType(item)}`);
      broken = true;
      return;
    }
    // A local reader so this range's own keys are checked for typos as well.
    const r = new ObjectReader(item, rp, problems);
    const input: RangeInput = {};
    for (const k of RANGE_KEYS) {
      const v = r.string(k, { required: k === 'subnet', nonEmpty: true });
      if (v !== undefined) input[k] = v;
    }
    for (const k of r.unknownKeys()) problems.add(r.keyPath(k), 'unknown key', `a range accepts ${RANGE_KEYS.join(', ')}`);
    if (input.subnet === undefined) {
      broken = true;
      return;
    }
    const range = addRangeProblems(input, (f) => (f === undefined ? rp : r.keyPath(f)), problems);
    if (range === undefined) broken = true;
    else ranges.push({ range, path: rp });
  });
  if (broken) return undefined;

  const family = ranges[0]?.range.rangeStart.family as Family;
  const other = ranges.find((x) => x.range.rangeStart.family !== family);
  if (other !== undefined) {
    problems.add(path, `mixes ${familyName(family)} and ${familyName(other.range.rangeStart.family)} ranges`, 'put IPv4 and IPv6 ranges in separate range sets: [[{v4 ranges}], [{v6 ranges}]]');
    return undefined;
  }
  let overlapping = false;
  for (let a = 0; a < ranges.length; a++) {
    for (let b = a + 1; b < ranges.length; b++) {
      const ra = ranges[a] as { range: Range; path: string };
      const rb = ranges[b] as { range: Range; path: string };
      if (rangesOverlap(ra.range, rb.range)) {
        problems.add(rb.path, `range ${describeRange(rb.range)} overlaps ${ra.path} (${describeRange(ra.range)})`);
        overlapping = true;
      }
    }
  }
  return overlapping ? undefined : { set: ranges.map((x) => x.range), path };
}

function addRangeProblems(input: RangeInput, pathOf: (field: keyof RangeInput | undefined) => string, problems: Problems): Range | undefined {
  const built = buildRange(input);
  if (built.ok) return built.range;
  for (const e of built.errors) problems.add(pathOf(e.field), e.message, e.hint);
  return undefined;
}

/**
 * host-local refuses overlapping sets; hnsbridge also refuses a second set of the same family, because
 * an HNS endpoint takes one IPv4 and one IPv6 address and a second one would be allocated but unused.
 */
function checkSetsAcrossFamilies(sets: { set: RangeSet; path: string }[], problems: Problems): void {
  const seen = new Map<Family, string>();
  for (let i = 0; i < sets.length; i++) {
    const s = sets[i] as { set: RangeSet; path: string };
    for (let j = 0; j < i; j++) {
      const t = sets[j] as { set: RangeSet; path: string };
      if (rangeSetsOverlap(s.set, t.set)) problems.add(s.path, `range set ${i} overlaps range set ${j} (${t.path})`);
    }
    const fam = rangeSetFamily(s.set);
    const prior = seen.get(fam);
    if (prior !== undefined) {
      problems.add(
        s.path,
        `a second ${familyName(fam)} range set (the first is ${prior}): an HNS endpoint takes one address per family, so hnsbridge allows one IPv4 and one IPv6 range set`,
        'to pool several subnets, put them as ranges of one set: [[{"subnet": "10.0.0.0/24"}, {"subnet": "10.0.1.0/24"}]]',
      );
    } else {
      seen.set(fam, s.path);
    }
  }
}

function readRoutes(ipam: ObjectReader, problems: Problems): IpamRoute[] {
  const items = ipam.array('routes');
  const out: IpamRoute[] = [];
  for (const item of items ?? []) {
    const r = ObjectReader.of(item.value, item.path, problems);
    if (r === undefined) continue;
    const dstText = r.string('dst', { required: true, nonEmpty: true });
    const gwText = r.string('gw', { nonEmpty: true });
    const ints: Partial<Record<(typeof ROUTE_INT_KEYS)[number], number>> = {};
    for (const k of ROUTE_INT_KEYS) {
      const v = r.integer(k, { min: 0, max: 0xffffffff });
      if (v !== undefined) ints[k] = v;
    }
    for (const k of r.unknownKeys()) problems.add(r.keyPath(k), 'unknown key', `a route accepts dst, gw, ${ROUTE_INT_KEYS.join(', ')}`);
    if (dstText === undefined) continue;
    const dst = parseCidr(dstText);
    if (dst === undefined) {
      problems.add(r.keyPath('dst'), `invalid CIDR ${JSON.stringify(dstText)}`, 'for example "0.0.0.0/0"');
      continue;
    }
    // host-local copies routes verbatim; the text is normalised like Go prints a parsed IPNet.
    const route: IpamRoute = { dst: `${formatIp(dst.ip)}/${dst.prefix}` };
    if (gwText !== undefined) {
      const gw = parseIp(gwText);
      if (gw === undefined) {
        problems.add(r.keyPath('gw'), `invalid IP address ${JSON.stringify(gwText)}`);
        continue;
      }
      if (gw.family !== dst.ip.family) {
        problems.add(r.keyPath('gw'), `${gwText} is ${familyName(gw.family)} but dst ${dstText} is ${familyName(dst.ip.family)}`);
        continue;
      }
      route.gw = formatIp(gw);
    }
    Object.assign(route, ints);
    out.push(route);
  }
  return out;
}
