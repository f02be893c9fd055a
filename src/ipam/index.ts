// Built-in host-local IPAM: config parsing, range arithmetic, the on-disk store and its OS lock.
// src/bridge uses parseIpamConfig() and HostLocalIpam; the pure helpers are exported for tests and
// diagnostics.

export { HostLocalIpam } from './allocator.js';
export type { AllocateRequest, AllocatedIp, Allocation, Exclusion, HostLocalIpamOptions, Reservation } from './allocator.js';
export { IPAM_TYPE, defaultDataDir, parseIpamConfig } from './config.js';
export type { IpamConfig, IpamContext, IpamRoute } from './config.js';
export { DiskStore } from './disk-store.js';
export { FileLock } from './lock.js';
export type { FfiLoader } from './lock.js';
export { compareIp, formatIp, parseCidr, parseIp, parseIpOrCidr } from './ip.js';
export type { Cidr, Family, Ip } from './ip.js';
export {
  buildRange,
  firstUsable,
  lastAddress,
  lastUsable,
  networkAddress,
  rangeContains,
  rangesOverlap,
  subnetContains,
  usableInRange,
} from './range.js';
export type { Range, RangeInput } from './range.js';
export { nextInSet, rangeSetContains, rangeSetsOverlap, roundRobin, usableInSet } from './range-set.js';
export type { RangeSet } from './range-set.js';
export { parseResolvConf, readResolvConf } from './resolv-conf.js';
export type { IpamDns } from './resolv-conf.js';
export { networkNameProblem, parseReservationFileName, reservationFileName } from './store.js';
export type { Owner, Store, StoredEntry } from './store.js';
