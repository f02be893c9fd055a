// The hnsbridge verbs, wired into the CNI skeleton.

import type { Plugin, Invocation } from '../cni/skel.js';
import { add } from './add.js';
import { check } from './check.js';
import { type BridgeConfig, parseBridgeConfig } from './config.js';
import { type BridgeContext, openContext } from './context.js';
import { del } from './del.js';
import { bridgeErrorToCni } from './errors.js';
import { gc } from './gc.js';
import { status } from './status.js';

async function withContext<T>(cfg: BridgeConfig, inv: Invocation, fn: (ctx: BridgeContext) => Promise<T>): Promise<T> {
  const ctx = openContext(cfg, inv.env, inv.log, inv.conf.base.prevResult, process.env, process.platform);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

export const bridgePlugin: Plugin<BridgeConfig> = {
  parseConfig: (conf, env) => parseBridgeConfig(conf, env, process.platform),
  add: (cfg, inv) => withContext(cfg, inv, add),
  del: (cfg, inv) => withContext(cfg, inv, del),
  check: (cfg, inv) => withContext(cfg, inv, check),
  gc: (cfg, inv) => withContext(cfg, inv, (ctx) => gc(ctx, inv.conf.base.validAttachments ?? [])),
  status: (cfg, inv) => withContext(cfg, inv, status),
  toCniError: bridgeErrorToCni,
};
