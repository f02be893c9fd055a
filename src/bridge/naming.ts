// Deterministic HNS object names. DEL, CHECK, GC and a retried ADD find a pod's endpoint by name,
// without local state, so a process killed mid-call leaves nothing that cannot be found. The
// prefix is the ownership marker: GC and inspect never touch an endpoint without it.

import { isGuid } from '../hns/schema.js';
import { sha256, sha256Hex } from '../sha256.js';

export const POD_ENDPOINT_PREFIX = 'hnsbridge-pod_';
export const GATEWAY_ENDPOINT_PREFIX = 'hnsbridge-gw_';

/**
 * `hnsbridge-pod_<containerId>_<ifname>_<network>_<hash8>`. Container IDs, interface names and
 * network names may all contain `_`, so the readable part alone could collide for two different
 * attachments; the hash of the exact triple makes the name unique.
 */
export function podEndpointName(containerId: string, ifname: string, network: string): string {
  const h = sha256Hex(`${containerId}\0${ifname}\0${network}`).slice(0, 8);
  return `${POD_ENDPOINT_PREFIX}${containerId}_${ifname}_${network}_${h}`;
}

export function isPodEndpointName(name: string): boolean {
  return name.startsWith(POD_ENDPOINT_PREFIX) && /_[0-9a-f]{8}$/.test(name);
}

/** The host vNIC that holds the bridge gateway address of the network. */
export function gatewayEndpointName(network: string): string {
  return `${GATEWAY_ENDPOINT_PREFIX}${network}`;
}

/**
 * The name win-bridge and sdnbridge give a pod's endpoint (`<containerId>_<network>`). DEL also
 * removes an endpoint by that name, so pods started before a switch to hnsbridge are cleaned up.
 */
export function legacyEndpointName(containerId: string, network: string): string {
  return `${containerId}_${network}`;
}

/**
 * A fresh random (version 4) GUID, for an endpoint ADD creates: HNS takes it as the endpoint's ID, as
 * in Microsoft's HCN samples, so the attach need not wait for the ID to be read back. It must be
 * unique, not secret: Math.random (seeded per process by V8 from the operating system) supplies the
 * 122 random bits; node:crypto would cost a pod verb ~13 ms to load under the executables' V8 flags.
 * HNS refuses an ID it already has.
 */
export function randomGuid(random: () => number = Math.random): string {
  let hex = '';
  for (let i = 0; i < 4; i++) hex += Math.floor(random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Lock stripe for a container: ADD and DEL of one container serialise; different pods rarely share a stripe. */
export function containerLockStripe(containerId: string, ifname: string, stripes: number): number {
  const h = sha256(`${containerId}\0${ifname}`);
  return h.readUInt32LE(0) % stripes;
}

/**
 * containerd passes the HCN namespace GUID; braces are tolerated, anything else is not a namespace.
 * The case is kept as given (HNS compares GUIDs case-insensitively, and so does hnsbridge).
 */
export function parseNamespaceGuid(netns: string): string | undefined {
  const bare = netns.startsWith('{') && netns.endsWith('}') ? netns.slice(1, -1) : netns;
  return isGuid(bare) ? bare : undefined;
}
