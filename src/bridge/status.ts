// STATUS: ready only when HNS answers, the configured host adapter is there and IPAM has a free
// address in every range set. Code 50 when ADD cannot work; 51 when, on top of that, pods already
// running may have lost connectivity (their network or its adapter is gone).

import { CniError, ErrorCode } from '../cni/errors.js';
import { HnsUnavailableError } from '../hns/api.js';
import type { HostComputeNetwork } from '../hns/schema.js';
import type { BridgeContext } from './context.js';
import { StepError } from './errors.js';
import { reservedGatewayAddresses } from './gateway.js';
import { networkMismatch } from './network.js';

function notReady(code: number, msg: string, details?: string): never {
  throw new CniError(code, msg, details);
}

/**
 * The host's network interfaces, from node:os, which is required here and not imported: every verb
 * bundles this module, and only STATUS on Windows asks (node:os costs ~0.4 ms to load under the
 * executable's V8 flags, which leave Node's modules without their code cache).
 */
function networkInterfaces(): Record<string, unknown> {
  return (require('node:os') as typeof import('node:os')).networkInterfaces();
}

/** The host's adapter names on Windows (with HNS's "vEthernet (<name>)" host vNIC counted as the adapter). */
export function windowsAdapterPresent(name: string, interfaces: Record<string, unknown> = networkInterfaces()): boolean {
  const want = name.toLowerCase();
  return Object.keys(interfaces).some((k) => k.toLowerCase() === want || k.toLowerCase() === `vethernet (${want})`);
}

export async function status(ctx: BridgeContext): Promise<void> {
  const { cfg } = ctx;
  let networks;
  try {
    networks = await ctx.hns.findNetworksByName(cfg.network);
  } catch (e) {
    const cause = e instanceof StepError ? e.cause : e;
    const why = cause instanceof HnsUnavailableError ? cause.message : `HNS answered with an error: ${(cause as Error).message}`;
    notReady(ErrorCode.PluginNotAvailable, `hnsbridge is not ready: ${why}`);
  }
  const reservations = await ctx.ipam.list().catch((e: Error) => notReady(ErrorCode.PluginNotAvailable, `hnsbridge is not ready: the IPAM store under ${cfg.ipam.dataDir} is not usable: ${e.message}`));
  const podsExist = reservations.length > 0;

  const fitting = networks.find((n) => networkMismatch(n, ctx.subnets) === undefined);
  if (networks.length > 0 && !fitting) {
    notReady(ErrorCode.PluginNotAvailable, `hnsbridge is not ready: HNS network "${cfg.network}" does not match the config: ${networkMismatch(networks[0] as HostComputeNetwork, ctx.subnets)}`);
  }
  if (!fitting && podsExist) {
    notReady(
      ErrorCode.PluginNotAvailableLimitedConnectivity,
      `hnsbridge is not ready: HNS network "${cfg.network}" is gone but ${reservations.length} pod address(es) are reserved; running pods have no network until it is recreated`,
      'the next ADD recreates the network; CHECK reports the affected pods',
    );
  }
  // Once the network exists HNS has bound the adapter; before that, ADD would fail to create it.
  if (cfg.adapter && !fitting) {
    const interfaces = ctx.platform === 'win32' ? networkInterfaces() : undefined;
    const adapters = interfaces ? Object.keys(interfaces) : await ctx.hns.hostAdapters();
    const present = adapters === undefined || (interfaces ? windowsAdapterPresent(cfg.adapter, interfaces) : adapters.some((a) => a.toLowerCase() === cfg.adapter?.toLowerCase()));
    if (!present) notReady(ErrorCode.PluginNotAvailable, `hnsbridge is not ready: host adapter "${cfg.adapter}" does not exist`, `adapters: ${(adapters ?? []).join(', ') || 'none'}`);
  }
  const free = await ctx.ipam.freeCount(reservedGatewayAddresses(cfg.ipam));
  if (free <= 0n) notReady(ErrorCode.PluginNotAvailable, `hnsbridge is not ready: no free IP address left in network "${cfg.network}" (${reservations.length} reserved)`, 'GC releases leaked reservations: hnsbridge gc --dry-run shows them');
  ctx.log.info({ freeAddresses: Number(free), networkId: fitting?.ID }, 'ready');
}
