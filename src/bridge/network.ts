// The L2Bridge network: found by name, or created once (under the network lock, so 20 simultaneous
// first ADDs make one network), and never deleted or replaced. A network with that name but another
// type or subnet fails the verb and names the difference. With a network hnsbridge creates comes the
// gateway endpoint: the host vNIC that holds the bridge gateway address pods route through.

import { CniError, ErrorCode } from '../cni/errors.js';
import type { Logger } from '../log.js';
import { HRESULT, HnsError } from '../hns/api.js';
import type { HnsService } from '../hns/hns.js';
import { type HostComputeEndpoint, type HostComputeNetwork, networkType, sameGuid } from '../hns/schema.js';
import type { BridgeConfig } from './config.js';
import { gatewayEndpointSettings, networkSettings } from './endpoint-spec.js';
import { allInOrder, step } from './errors.js';
import type { BridgeSubnet } from './gateway.js';
import { readIdHints, writeIdHints } from './id-hints.js';
import { networkLock, networkStatePath } from './locks.js';
import { gatewayEndpointName } from './naming.js';

/** What is different between an existing network and the config, or undefined when it fits. */
export function networkMismatch(net: HostComputeNetwork, subnets: BridgeSubnet[]): string | undefined {
  const type = networkType(net);
  if (type !== 'L2Bridge') return `its type is ${type}, the config needs L2Bridge`;
  const have = new Set((net.Ipams ?? []).flatMap((i) => (i.Subnets ?? []).map((s) => (s.IpAddressPrefix ?? '').toLowerCase())));
  const missing = subnets.filter((s) => !have.has(s.prefix.toLowerCase())).map((s) => s.prefix);
  if (missing.length > 0) return `its subnets are [${[...have].join(', ')}], the config's subnet${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not among them`;
  return undefined;
}

/**
 * The network for this config, or undefined when no network has its name. Throws a config-mismatch
 * error (code 7) when networks with the name exist but none fits.
 */
export async function findNetwork(hns: HnsService, cfg: BridgeConfig, subnets: BridgeSubnet[]): Promise<HostComputeNetwork | undefined> {
  const found = await step('find network', () => hns.findNetworksByName(cfg.network));
  if (found.length === 0) return undefined;
  const fit = found.find((n) => networkMismatch(n, subnets) === undefined);
  if (fit) return fit;
  const first = found[0] as HostComputeNetwork;
  throw new CniError(
    ErrorCode.InvalidConfig,
    `HNS network "${cfg.network}" (${first.ID}) does not match the config: ${networkMismatch(first, subnets)}`,
    'hnsbridge never deletes or replaces an existing network; fix the config, or remove the network yourself if it is stale',
  );
}

export interface EnsureOptions {
  hns: HnsService;
  cfg: BridgeConfig;
  subnets: BridgeSubnet[];
  log: Logger;
  platform: NodeJS.Platform;
}

/** Finds the network, or creates it and its gateway endpoint under the network lock. */
export async function ensureNetwork(o: EnsureOptions): Promise<HostComputeNetwork> {
  // The gateway is looked up by name while the network is, and the properties of both are read
  // together with the enumerates when an earlier ADD left their IDs (id-hints.ts): on a node that
  // has both (every ADD but the first) the lookups take two round trips instead of three.
  // Only the path: ADD's container lock has made the folder, and writeIdHints makes it if not.
  const dir = networkStatePath(o.cfg.stateDir, o.cfg.network, o.platform);
  const hints = readIdHints(dir);
  if (hints.network !== undefined) o.hns.prefetch('Network', hints.network);
  if (hints.gateway !== undefined) o.hns.prefetch('Endpoint', hints.gateway);
  const [existing, gateway] = await allInOrder([findNetwork(o.hns, o.cfg, o.subnets), findGatewayEndpoint(o)] as const);
  if (existing) {
    if (!gateway?.HostComputeNamespace) await networkLock(o.cfg.stateDir, o.cfg.network, o.platform).withLock(() => repairGatewayEndpoint(o, existing));
    else if (!sameHint(hints.network, existing.ID) || !sameHint(hints.gateway, gateway.ID)) writeIdHints(dir, { network: existing.ID, gateway: gateway.ID });
    return existing;
  }
  return networkLock(o.cfg.stateDir, o.cfg.network, o.platform).withLock(async () => {
    // Another ADD may have created it while this one waited for the lock.
    const raced = await findNetwork(o.hns, o.cfg, o.subnets);
    if (raced) {
      // Its creator may have been killed before the gateway was made or attached.
      await repairGatewayEndpoint(o, raced);
      return raced;
    }
    let net: HostComputeNetwork;
    try {
      net = await step('create network', () => o.hns.createNetwork(networkSettings(o.cfg, o.subnets)));
      o.log.info({ networkId: net.ID, network: o.cfg.network }, 'created HNS network');
    } catch (e) {
      // Someone outside hnsbridge (an agent without our lock) created it first: use theirs.
      const cause = (e as { cause?: unknown }).cause;
      if (!(cause instanceof HnsError && cause.hresult === HRESULT.HCN_E_NETWORK_ALREADY_EXISTS)) throw e;
      const after = await findNetwork(o.hns, o.cfg, o.subnets);
      if (!after) throw e;
      net = after;
    }
    await createGatewayEndpoint(o, net);
    return net;
  });
}

function sameHint(hint: string | undefined, id: string): boolean {
  return hint !== undefined && sameGuid(hint, id);
}

/**
 * The gateway endpoint must exist and sit on the host for pods to have a next hop. It is checked by
 * name on every ADD (one filtered lookup) and, under the network lock, created when missing (e.g.
 * after an HNS restart removed endpoints but kept the network) or attached to the host when it is
 * not (an ADD killed or failed between creating and attaching it).
 */
function findGatewayEndpoint(o: EnsureOptions): Promise<HostComputeEndpoint | undefined> {
  return step('find gateway endpoint', () => o.hns.findEndpointByName(gatewayEndpointName(o.cfg.network)));
}

/** With the network lock held: creates the gateway endpoint, or attaches the existing one to the host. */
async function repairGatewayEndpoint(o: EnsureOptions, net: HostComputeNetwork): Promise<void> {
  const ep = await findGatewayEndpoint(o);
  if (!ep) await createGatewayEndpoint(o, net);
  else if (!ep.HostComputeNamespace) await attachGatewayToHost(o, ep.ID);
}

const ADDRESS_IN_USE = new Set<number>([HRESULT.HCN_E_ADDR_INVALID_OR_RESERVED, HRESULT.ERROR_OBJECT_ALREADY_EXISTS, HRESULT.ERROR_ALREADY_EXISTS]);

export function isAddressInUse(e: unknown): boolean {
  const cause = e instanceof HnsError ? e : (e as { cause?: unknown })?.cause;
  return cause instanceof HnsError && ADDRESS_IN_USE.has(cause.hresult);
}

async function createGatewayEndpoint(o: EnsureOptions, net: HostComputeNetwork): Promise<void> {
  const name = gatewayEndpointName(o.cfg.network);
  let ep;
  try {
    ep = await step('create gateway endpoint', () => o.hns.createEndpoint(net.ID, gatewayEndpointSettings(name, net.ID, o.subnets)));
  } catch (e) {
    if (isAddressInUse(e)) {
      // A host vNIC made by a node script (or another agent) already holds the gateway address.
      o.log.info({ network: o.cfg.network }, 'the bridge gateway address is already held by another host endpoint; using it');
      return;
    }
    throw e;
  }
  await attachGatewayToHost(o, ep.ID);
}

async function attachGatewayToHost(o: EnsureOptions, endpointId: string): Promise<void> {
  const host = await step('find host namespace', () => o.hns.findHostDefaultNamespace());
  if (!host) {
    o.log.warn({ endpointId }, 'no HostDefault namespace in HNS; the gateway endpoint exists but is not attached to the host');
    return;
  }
  await step('attach gateway endpoint to the host', () => o.hns.attachEndpoint(host.ID, endpointId));
  o.log.info({ endpointId, hostNamespace: host.ID }, 'the gateway endpoint is on the host');
}
