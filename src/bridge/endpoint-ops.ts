// Small HNS operations the verbs share: removing an endpoint (detach, then delete), the DNS a pod
// gets, and the pod's addresses as the endpoint and the result describe them.

import { isNotFound } from '../hns/hns.js';
import type { HostComputeEndpoint } from '../hns/schema.js';
import type { CniDns } from '../cni/result.js';
import type { Allocation } from '../ipam/index.js';
import type { BridgeContext } from './context.js';
import { type PodAddress, mergeDns } from './endpoint-spec.js';
import { step } from './errors.js';

/**
 * Detaches an endpoint from its namespace (if any) and deletes it. Missing namespace or endpoint is
 * success; a failed detach does not stop the delete (the namespace may be half torn down by
 * containerd). Throws when the endpoint may still exist (HNS unreachable, or a delete HNS refused).
 */
export async function removeEndpoint(ctx: BridgeContext, ep: HostComputeEndpoint, what: string): Promise<void> {
  if (ep.HostComputeNamespace) {
    try {
      await step(`${what}: detach from namespace ${ep.HostComputeNamespace}`, () => ctx.hns.detachEndpoint(ep.HostComputeNamespace as string, ep.ID));
    } catch (e) {
      if (!isNotFound((e as { cause?: unknown }).cause)) ctx.log.warn({ endpointId: ep.ID, err: (e as Error).message }, 'detach failed; deleting the endpoint anyway');
    }
  }
  try {
    await step(`${what}: delete endpoint ${ep.Name ?? ''} (${ep.ID})`, () => ctx.hns.deleteEndpoint(ep.ID));
  } catch (e) {
    if (!isNotFound((e as { cause?: unknown }).cause)) throw e;
  }
}

/** DNS on the endpoint: the config's `dns` (or, without one, IPAM's resolvConf), overlaid by the runtime's. */
export function podDns(ctx: BridgeContext, allocation: Allocation | undefined): CniDns {
  const conf = ctx.cfg.dns;
  const hasConf = !!(conf.nameservers?.length || conf.search?.length || conf.domain || conf.options?.length);
  const base: CniDns = hasConf ? conf : (allocation?.dns ?? {});
  return mergeDns(base, ctx.cfg.runtime.dns);
}

export function podAddresses(ctx: BridgeContext, allocation: Allocation): PodAddress[] {
  return allocation.ips.map((a) => {
    const subnet = ctx.subnets.find((s) => s.rangeSet === a.rangeSet && s.family === a.family && s.prefixLength === a.prefixLength) ?? ctx.subnets.find((s) => s.family === a.family);
    return { ip: a.ip, prefixLength: a.prefixLength, family: a.family, gateway: subnet?.gateway ?? a.gateway ?? '' };
  });
}

/** The endpoint's addresses, lower-cased and sorted, for comparing with a reservation or a prevResult. */
export function endpointIps(ep: HostComputeEndpoint): string[] {
  return (ep.IpConfigurations ?? []).map((c) => (c.IpAddress ?? '').toLowerCase()).sort();
}
