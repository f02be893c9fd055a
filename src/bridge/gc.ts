// GC: given the attachments that are still valid, remove this plugin's endpoints on its network that
// are not among them and release every other reservation. Only endpoints with hnsbridge's name
// prefix are touched (never kube-proxy's remote endpoints, other plugins' or the gateway's). GC keeps
// going past errors and reports them at the end; an address whose endpoint could not be removed stays
// reserved. With HNS unreachable nothing is released: its endpoints may still exist.

import { CniError, ErrorCode } from '../cni/errors.js';
import type { Attachment } from '../cni/netconf.js';
import type { HostComputeEndpoint } from '../hns/schema.js';
import type { BridgeContext } from './context.js';
import { endpointIps, removeEndpoint } from './endpoint-ops.js';
import { step } from './errors.js';
import { isPodEndpointName, podEndpointName } from './naming.js';

export interface GcPlan {
  endpoints: HostComputeEndpoint[];
  /** Reservations to release: address and owner. */
  reservations: { ip: string; containerId: string; ifname: string | undefined }[];
}

/** What GC would remove, without removing anything (also used by `hnsbridge gc --dry-run`). */
export async function planGc(ctx: BridgeContext, valid: readonly Attachment[]): Promise<GcPlan> {
  const keepNames = new Set(valid.map((a) => podEndpointName(a.containerId, a.ifname, ctx.cfg.network)));
  const networks = await step('find network', () => ctx.hns.findNetworksByName(ctx.cfg.network));
  const endpoints: HostComputeEndpoint[] = [];
  for (const net of networks) {
    const eps = await step(`list endpoints of network ${net.ID}`, () => ctx.hns.listNetworkEndpoints(net.ID));
    endpoints.push(...eps.filter((ep) => isPodEndpointName(ep.Name ?? '') && !keepNames.has(ep.Name ?? '')));
  }
  const keepOwners = new Set(valid.map((a) => `${a.containerId}\n${a.ifname}`));
  const keepIds = new Set(valid.map((a) => a.containerId));
  const all = await step('list reservations', () => ctx.ipam.list());
  const reservations = all
    .filter((r) => (r.ifname === undefined ? !keepIds.has(r.containerId) : !keepOwners.has(`${r.containerId}\n${r.ifname}`)))
    .map((r) => ({ ip: r.ip, containerId: r.containerId, ifname: r.ifname }));
  return { endpoints, reservations };
}

export async function gc(ctx: BridgeContext, valid: readonly Attachment[]): Promise<void> {
  const plan = await planGc(ctx, valid);
  const errors: string[] = [];
  const stillHeld = new Set<string>();
  for (const ep of plan.endpoints) {
    try {
      await removeEndpoint(ctx, ep, 'GC');
      ctx.log.info({ endpointId: ep.ID, name: ep.Name }, 'GC removed a leaked endpoint');
    } catch (e) {
      errors.push((e as Error).message);
      for (const ip of endpointIps(ep)) stillHeld.add(ip);
    }
  }
  // Addresses of endpoints that could not be removed stay reserved: protect their owners.
  const reservations = await step('list reservations', () => ctx.ipam.list());
  const protect = reservations.filter((r) => stillHeld.has(r.ip.toLowerCase())).map((r) => ({ containerId: r.containerId, ifname: r.ifname ?? '' }));
  try {
    const released = await ctx.ipam.gc([...valid.map((a) => ({ containerId: a.containerId, ifname: a.ifname })), ...protect]);
    if (released.length > 0) ctx.log.info({ released }, 'GC released leaked reservations');
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (errors.length > 0) {
    throw new CniError(ErrorCode.GcIncomplete, `GC of network "${ctx.cfg.network}" left ${errors.length} problem${errors.length > 1 ? 's' : ''}: ${errors[0]}`, errors.join('\n'));
  }
}
