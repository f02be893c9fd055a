// DEL always finishes: detach, delete the endpoint, release the addresses, each step tried even when
// an earlier one failed. Missing endpoint, namespace, network or reservation is success, and so is a
// repeated DEL. DEL fails only while an object of this pod may still exist in HNS (HNS unreachable,
// or a delete HNS refused); then the addresses stay reserved, so none is handed out while its
// endpoint may still be there, and the runtime retries.

import type { HostComputeEndpoint } from '../hns/schema.js';
import type { BridgeContext } from './context.js';
import { removeEndpoint } from './endpoint-ops.js';
import { step } from './errors.js';
import { containerLock } from './locks.js';
import { legacyEndpointName, podEndpointName } from './naming.js';

export async function del(ctx: BridgeContext): Promise<void> {
  const { cfg, env } = ctx;
  await containerLock(cfg.stateDir, cfg.network, env.containerId, env.ifname, ctx.platform).withLock(async () => {
    const endpoints = await findPodEndpoints(ctx);
    let failure: unknown;
    for (const ep of endpoints) {
      try {
        await removeEndpoint(ctx, ep, 'DEL');
        ctx.log.info({ endpointId: ep.ID, name: ep.Name }, 'endpoint removed');
      } catch (e) {
        failure ??= e;
        ctx.log.error({ endpointId: ep.ID, err: (e as Error).message }, 'could not remove the endpoint; its addresses stay reserved');
      }
    }
    if (failure !== undefined) throw failure;
    const released = await step('release IP addresses', () => ctx.ipam.release(env.containerId, env.ifname));
    if (released.length > 0) ctx.log.info({ released }, 'addresses released');
  });
}

/**
 * This pod's endpoint by its name, plus, for pods started under win-bridge or sdnbridge before the
 * switch, an endpoint with their `<containerId>_<network>` name on this plugin's network.
 */
async function findPodEndpoints(ctx: BridgeContext): Promise<HostComputeEndpoint[]> {
  const { cfg, env } = ctx;
  const own = await step('find endpoint', () => ctx.hns.findEndpointsByName(podEndpointName(env.containerId, env.ifname, cfg.network)));
  if (own.length > 0 || env.ifname !== 'eth0') return own;
  const legacy = await step('find endpoint by its win-bridge name', () => ctx.hns.findEndpointsByName(legacyEndpointName(env.containerId, cfg.network)));
  if (legacy.length === 0) return [];
  const networks = await step('find network', () => ctx.hns.findNetworksByName(cfg.network));
  const ids = new Set(networks.map((n) => n.ID.toLowerCase()));
  return legacy.filter((ep) => ids.has(ep.HostComputeNetwork.toLowerCase()));
}
