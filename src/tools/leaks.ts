// Which of this plugin's HNS endpoints and IPAM reservations no longer belong to a live pod. Pure:
// it works on the lists inventory.ts gathers, so every rule is tested without HNS.
//
// A pod that is fine has exactly: one endpoint named after its attachment, attached to a namespace
// that exists, and the reservation of the endpoint's address under the same attachment. Anything
// else is a leak of one of these kinds:
//   endpoint-without-reservation  the address is not reserved: IPAM can hand it to a second pod
//   reservation-without-endpoint  the address is held for nothing: the pool shrinks (until exhausted)
//   endpoint-without-namespace    no pod uses the endpoint (ADD killed before attach, or the pod's
//                                 namespace was removed and HNS detached it)
//   endpoint-namespace-gone       the endpoint points at a namespace HNS no longer has
// An ADD or DEL running at the same moment is between these states for a few milliseconds, so a
// leak seen once on a busy node should be confirmed by a second look.

export type EndpointOwner = 'pod' | 'gateway' | 'other';

export interface EndpointInfo {
  id: string;
  name: string;
  networkId: string;
  owner: EndpointOwner;
  /** For pod endpoints whose name parses for this network. */
  containerId?: string;
  ifname?: string;
  ips: string[];
  mac?: string;
  /** The HCN namespace GUID HNS reports, if attached. */
  namespace?: string;
  /** False when `namespace` is set but HNS has no such namespace. */
  namespaceExists?: boolean;
  policyTypes: string[];
}

export interface ReservationInfo {
  ip: string;
  containerId: string;
  /** Undefined for host-local's older one-line files. */
  ifname?: string;
}

export const LEAK_KINDS = ['endpoint-without-reservation', 'reservation-without-endpoint', 'endpoint-without-namespace', 'endpoint-namespace-gone'] as const;
export type LeakKind = (typeof LEAK_KINDS)[number];

export interface Leak {
  kind: LeakKind;
  containerId?: string;
  ifname?: string;
  endpointId?: string;
  endpointName?: string;
  ip?: string;
  namespace?: string;
  why: string;
}

const WHY: Record<LeakKind, string> = {
  'endpoint-without-reservation': 'its address is not reserved in the IPAM store, so it can be given to another pod',
  'reservation-without-endpoint': 'no endpoint holds this address: it is lost to the pool until DEL or GC releases it',
  'endpoint-without-namespace': 'attached to no namespace, so no pod uses it (ADD stopped before attaching, or the pod sandbox is gone)',
  'endpoint-namespace-gone': 'its namespace no longer exists in HNS (the pod sandbox is gone)',
};

function sameOwner(r: ReservationInfo, containerId: string, ifname: string): boolean {
  // host-local's matching rule: a one-line file names only the container.
  return r.containerId === containerId && (r.ifname === undefined || r.ifname === ifname);
}

/**
 * The leaks among a network's endpoints and reservations. `network` is needed to recognise
 * endpoints named by win-bridge/sdnbridge (`<containerId>_<network>`), which hold reservations of
 * pods started before a switch to hnsbridge and are not leaks.
 */
export function findLeaks(endpoints: readonly EndpointInfo[], reservations: readonly ReservationInfo[], network: string): Leak[] {
  const leaks: Leak[] = [];
  const leak = (kind: LeakKind, fields: Omit<Leak, 'kind' | 'why'>): void => {
    const l: Leak = { kind, why: WHY[kind] };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) (l as unknown as Record<string, unknown>)[k] = v;
    leaks.push(l);
  };
  const pods = endpoints.filter((e) => e.owner === 'pod');
  for (const ep of pods) {
    const base = { containerId: ep.containerId, ifname: ep.ifname, endpointId: ep.id, endpointName: ep.name, ip: ep.ips.join(', ') || undefined, namespace: ep.namespace };
    const reserved = ep.containerId !== undefined && reservations.some((r) => sameOwner(r, ep.containerId as string, ep.ifname as string));
    if (!reserved) leak('endpoint-without-reservation', base);
    if (ep.namespace === undefined) leak('endpoint-without-namespace', base);
    else if (ep.namespaceExists === false) leak('endpoint-namespace-gone', base);
  }
  const legacy = new Set(endpoints.filter((e) => e.owner === 'other').map((e) => e.name));
  for (const r of reservations) {
    const held =
      pods.some((ep) => ep.containerId !== undefined && sameOwner(r, ep.containerId, ep.ifname as string)) ||
      ((r.ifname === undefined || r.ifname === 'eth0') && legacy.has(`${r.containerId}_${network}`));
    if (!held) leak('reservation-without-endpoint', { containerId: r.containerId, ifname: r.ifname, ip: r.ip });
  }
  return leaks;
}

export function countByKind(leaks: readonly Leak[]): Record<LeakKind, number> {
  const out = Object.fromEntries(LEAK_KINDS.map((k) => [k, 0])) as Record<LeakKind, number>;
  for (const l of leaks) out[l.kind] += 1;
  return out;
}
