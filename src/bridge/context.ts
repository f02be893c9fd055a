// Everything one verb works with, opened once per invocation.

import type { CniEnv } from '../cni/env.js';
import type { CniResult } from '../cni/result.js';
import type { Logger } from '../log.js';
import { HnsService } from '../hns/hns.js';
import { HostLocalIpam } from '../ipam/index.js';
import { openHcnApi } from './backend.js';
import type { BridgeConfig } from './config.js';
import { type BridgeSubnet, bridgeSubnets } from './gateway.js';

export interface BridgeContext {
  cfg: BridgeConfig;
  env: CniEnv;
  log: Logger;
  hns: HnsService;
  ipam: HostLocalIpam;
  subnets: BridgeSubnet[];
  platform: NodeJS.Platform;
  /** The cached ADD result libcni passes on CHECK and DEL, when it has one. */
  prevResult: CniResult | undefined;
  /** Closes the HNS connection so the process can exit. */
  close(): void | Promise<void>;
}

export function openContext(cfg: BridgeConfig, env: CniEnv, log: Logger, prevResult: CniResult | undefined, processEnv: NodeJS.ProcessEnv, platform: NodeJS.Platform): BridgeContext {
  const api = openHcnApi(processEnv, platform, cfg.hnsTimeoutMs);
  return {
    cfg,
    env,
    log,
    hns: new HnsService(api),
    ipam: new HostLocalIpam(cfg.ipam, cfg.network, { platform }),
    subnets: bridgeSubnets(cfg.ipam),
    platform,
    prevResult,
    close: () => api.close(),
  };
}
