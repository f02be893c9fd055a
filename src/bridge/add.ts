// ADD: validate, lock the container, ensure the network, reserve addresses, create the endpoint,
// attach it to the pod's namespace, answer with the result. All or nothing: whatever this call made
// is removed again when a later step fails. A repeated ADD returns the same result and creates
// nothing; a stale endpoint of the same name (from a crashed call) is removed and made again.

import { CniError, ErrorCode } from '../cni/errors.js';
import type { CniResult } from '../cni/result.js';
import { isNotFound } from '../hns/hns.js';
import type { HostComputeEndpoint, HostComputeNetwork } from '../hns/schema.js';
import type { Allocation } from '../ipam/index.js';
import type { BridgeContext } from './context.js';
import { endpointIps, podAddresses, podDns, removeEndpoint } from './endpoint-ops.js';
import { type PodAddress, endpointSettings } from './endpoint-spec.js';
import { allInOrder, step } from './errors.js';
import { reservedGatewayAddresses } from './gateway.js';
import { containerLock } from './locks.js';
import { sameGuid } from '../hns/schema.js';
import { isPodEndpointName, parseNamespaceGuid, podEndpointName, randomGuid } from './naming.js';
import { ensureNetwork, isAddressInUse } from './network.js';
import { buildResult } from './result.js';

/** How often ADD picks another address when HNS says one is in use by an endpoint it does not own. */
const MAX_ADDRESS_ATTEMPTS = 4;

export function requireNamespace(netns: string): string {
  const guid = parseNamespaceGuid(netns);
  if (!guid) {
    throw new CniError(
      ErrorCode.InvalidEnvironment,
      `CNI_NETNS: ${JSON.stringify(netns.slice(0, 100))} is not an HCN namespace GUID`,
      'containerd passes the ID of the HCN namespace it created for the pod (for example 5f0b1190-63be-4e0c-b974-bd0f55675a42); "none", "container:<id>" and paths are HNS v1 / Linux forms',
    );
  }
  return guid;
}

export async function add(ctx: BridgeContext): Promise<CniResult> {
  const { cfg, env } = ctx;
  const netns = requireNamespace(env.netns);
  for (const w of cfg.warnings) ctx.log.warn(w);
  return containerLock(cfg.stateDir, cfg.network, env.containerId, env.ifname, ctx.platform).withLock(async () => {
    const name = podEndpointName(env.containerId, env.ifname, cfg.network);
    // Three HNS reads, the open of the namespace the endpoint will join, and the address reservation
    // are independent, so they run together: each HNS call is a round trip to the service, and ADD's
    // latency is what the pod's start waits for. The HNS calls go out first; the reservation's file
    // work is done while they are in flight. A failure is reported in this order, the reservation's
    // last, and a reservation this call made is released when anything here fails.
    const lookups = allInOrder([
      ensureNetwork({ hns: ctx.hns, cfg, subnets: ctx.subnets, log: ctx.log, platform: ctx.platform }),
      step('find endpoint', () => ctx.hns.findEndpointByName(name)),
      cfg.loopbackDsr ? dsrAvailable(ctx) : Promise.resolve(false),
    ] as const);
    ctx.hns.prepareAttach(netns);
    const reserving = step('reserve IP addresses', () => allocate(ctx, []));
    reserving.catch(() => undefined); // awaited below, after the lookups
    let allocation: Allocation;
    let network: HostComputeNetwork;
    let dsrSupported: boolean;
    try {
      let existing: HostComputeEndpoint | undefined;
      [network, existing, dsrSupported] = await lookups;
      allocation = await reserving;
      if (existing) {
        const again = await repeatResult(ctx, existing, network, netns, allocation);
        if (again) return again;
        ctx.log.warn({ endpointId: existing.ID }, 'removing a stale endpoint of this pod (left by an earlier, interrupted call)');
        await removeEndpoint(ctx, existing, 'remove stale endpoint');
      }
    } catch (e) {
      await releaseNewReservation(ctx, reserving);
      throw e;
    }

    let created: HostComputeEndpoint | undefined;
    // The endpoint's ID is chosen here, so its attach goes out as soon as HNS has created it, while
    // its properties are still being read back: one round trip less on every ADD.
    const early: { attach?: { id: string; done: Promise<void> } } = {};
    const attachStep = (id: string) => step(`attach endpoint to namespace ${netns}`, () => ctx.hns.attachEndpoint(netns, id));
    try {
      const excluded: string[] = [];
      for (let attempt = 1; ; attempt++) {
        const addresses = podAddresses(ctx, allocation);
        const settings = endpointSettings(cfg, { name, networkId: network.ID, addresses, dns: podDns(ctx, allocation), dsrSupported });
        const id = randomGuid();
        const attachNow = () => {
          const done = attachStep(id);
          done.catch(() => undefined); // awaited below
          early.attach = { id, done };
        };
        try {
          created = await step('create endpoint', () => ctx.hns.createEndpoint(network.ID, settings, { id, created: attachNow }));
          break;
        } catch (e) {
          // Created, but reading it back failed: let the attach settle, so the rollback finds the
          // endpoint attached or not, never in between.
          if (early.attach !== undefined) await early.attach.done.catch(() => undefined);
          if (early.attach !== undefined || !isAddressInUse(e) || attempt >= MAX_ADDRESS_ATTEMPTS) throw e;
          const foreign = await clearAddressConflict(ctx, network, name, addresses);
          if (foreign.length === 0) continue; // a stale endpoint of ours held it: removed, try again
          if (cfg.runtime.requestedIps.length > 0) throw e; // the pod asked for this address: nothing else will do
          excluded.push(...foreign);
          await step('release conflicting addresses', () => ctx.ipam.release(env.containerId, env.ifname));
          allocation = await step('reserve IP addresses', () => allocate(ctx, excluded));
        }
      }
      const ep = created as HostComputeEndpoint;
      // Nothing more goes to the network; its handle is closed while the attach completes.
      ctx.hns.finishedWith('Network', network.ID);
      if (early.attach !== undefined && sameGuid(ep.ID, early.attach.id)) {
        await early.attach.done;
      } else {
        // A backend that does not report the create early, or an HNS that chose the ID itself after
        // all (a caller's ID is honoured in Microsoft's samples, not confirmed in writing): the
        // endpoint it reports is the one to attach.
        if (early.attach !== undefined) await early.attach.done.catch(() => undefined);
        await attachStep(ep.ID);
      }
      ctx.hns.finishedWith('Namespace', netns);
    } catch (e) {
      await rollback(ctx, created, name);
      throw e;
    }
    ctx.log.info({ endpointId: created.ID, ips: created.IpConfigurations?.map((c) => c.IpAddress) }, 'endpoint created and attached');
    return buildResult(env.ifname, created.MacAddress, env.netns, podAddresses(ctx, allocation), allocation.routes, podDns(ctx, allocation));
  });
}

function allocate(ctx: BridgeContext, excluded: readonly string[]): Promise<Allocation> {
  const gateways = reservedGatewayAddresses(ctx.cfg.ipam);
  for (const x of excluded) gateways.add(x);
  return ctx.ipam.allocate({ containerId: ctx.env.containerId, ifname: ctx.env.ifname, requested: ctx.cfg.runtime.requestedIps, exclude: gateways });
}

async function dsrAvailable(ctx: BridgeContext): Promise<boolean> {
  const probe = await step('probe HNS version', () => ctx.hns.probe());
  if (!probe.features.dsr) {
    const v = probe.version ? `${probe.version.Major}.${probe.version.Minor}` : 'unknown';
    ctx.log.warn({ hnsVersion: v, reason: probe.error }, `loopbackDSR is configured but HNS ${v} does not support DSR; the loopback DSR policy is left out`);
  }
  return probe.features.dsr;
}

/**
 * For an ADD that fails before its endpoint exists: releases the reservation this call made, and
 * keeps one the attachment held before (a repeated ADD). A failed reservation left nothing behind
 * (the allocator is all or nothing).
 */
async function releaseNewReservation(ctx: BridgeContext, reserving: Promise<Allocation>): Promise<void> {
  const allocation = await reserving.catch(() => undefined);
  if (!allocation?.ips.some((ip) => !ip.existing)) return;
  try {
    const released = await ctx.ipam.release(ctx.env.containerId, ctx.env.ifname);
    ctx.log.info({ released }, 'released the addresses reserved by this call');
  } catch (e) {
    ctx.log.error({ err: (e as Error).message }, 'could not release the addresses reserved by this call; DEL releases them');
  }
}

/**
 * A repeated ADD: when the endpoint is on the right network, attached to this namespace and holds
 * exactly the reservations the attachment already had, answer from it without creating anything.
 */
async function repeatResult(ctx: BridgeContext, ep: HostComputeEndpoint, network: HostComputeNetwork, netns: string, allocation: Allocation): Promise<CniResult | undefined> {
  if (!sameGuid(ep.HostComputeNetwork, network.ID) || !sameGuid(ep.HostComputeNamespace, netns)) return undefined;
  // A reservation made just now means the attachment had none: the endpoint is a stale one.
  if (!allocation.ips.every((ip) => ip.existing)) return undefined;
  const held = await step('look up reservations', () => ctx.ipam.find(ctx.env.containerId, ctx.env.ifname));
  const reserved = held.map((r) => r.ip.toLowerCase()).sort();
  if (reserved.length === 0 || reserved.join() !== endpointIps(ep).join()) return undefined;
  ctx.log.info({ endpointId: ep.ID }, 'ADD repeated for an existing endpoint; returning its result');
  return buildResult(ctx.env.ifname, ep.MacAddress, ctx.env.netns, podAddresses(ctx, allocation), allocation.routes, podDns(ctx, allocation));
}

/**
 * HNS refused an address as in use. An endpoint of ours holding it is stale (IPAM, the owner of
 * addresses, has just given it to this pod), so it is removed. Returns the addresses held by
 * endpoints hnsbridge does not own, which ADD must avoid.
 */
async function clearAddressConflict(ctx: BridgeContext, network: HostComputeNetwork, name: string, addresses: PodAddress[]): Promise<string[]> {
  const wanted = new Set(addresses.map((a) => a.ip.toLowerCase()));
  const all = await step('list network endpoints', () => ctx.hns.listNetworkEndpoints(network.ID));
  const foreign: string[] = [];
  for (const ep of all) {
    if (ep.Name === name) continue;
    const clash = endpointIps(ep).filter((ip) => wanted.has(ip));
    if (clash.length === 0) continue;
    if (isPodEndpointName(ep.Name ?? '')) {
      ctx.log.warn({ endpointId: ep.ID, name: ep.Name, ips: clash }, 'removing a stale hnsbridge endpoint that still holds an address now reserved for this pod');
      await removeEndpoint(ctx, ep, 'remove stale endpoint holding the address');
    } else {
      ctx.log.warn({ endpointId: ep.ID, name: ep.Name, ips: clash }, 'an endpoint hnsbridge does not own holds the address; choosing another');
      foreign.push(...clash);
    }
  }
  return foreign;
}

/**
 * Undoes this ADD: the endpoint (the one created, or one a timed-out create may have made after
 * all), then the addresses. When the endpoint cannot be confirmed gone (HNS unreachable), the
 * addresses stay reserved so none is handed out while its endpoint may exist; the DEL the runtime
 * sends after a failed ADD releases them.
 */
async function rollback(ctx: BridgeContext, created: HostComputeEndpoint | undefined, name: string): Promise<void> {
  let gone = true;
  try {
    const ep = created ?? (await ctx.hns.findEndpointByName(name));
    if (ep) await removeEndpoint(ctx, ep, 'roll back');
  } catch (e) {
    if (!isNotFound(e)) {
      gone = false;
      ctx.log.error({ err: (e as Error).message }, 'rollback could not remove the endpoint; its addresses stay reserved until DEL');
    }
  }
  if (!gone) return;
  try {
    const released = await ctx.ipam.release(ctx.env.containerId, ctx.env.ifname);
    ctx.log.info({ released }, 'rolled back: endpoint removed and addresses released');
  } catch (e) {
    ctx.log.error({ err: (e as Error).message }, 'rollback could not release the addresses');
  }
}
