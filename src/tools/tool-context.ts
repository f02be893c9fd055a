// What inspect and gc work on: the node's hnsbridge config (found like containerd finds it, and
// checked with validate's rules) and a BridgeContext opened with openContext, as a verb would.
// For looking only, the IPAM store is wrapped read-only: a bug in a tool can then not change a
// reservation, and looking at a network that has no store yet does not create one.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { backendName } from '../bridge/backend.js';
import type { BridgeConfig } from '../bridge/config.js';
import { type BridgeContext, openContext } from '../bridge/context.js';
import { StepError } from '../bridge/errors.js';
import { HnsError, HnsUnavailableError } from '../hns/api.js';
import { mockAddressFromEnv } from '../hns/grpc.js';
import { DiskStore, HostLocalIpam } from '../ipam/index.js';
import type { Ip } from '../ipam/ip.js';
import type { Owner, Store, StoredEntry } from '../ipam/store.js';
import type { LogSettings } from '../cni/netconf.js';
import { type Logger, silentLogger } from '../log.js';
import { NEUTRAL_ENV } from './check-config.js';
import { defaultConfDir, findHnsbridgeConfig } from './config-file.js';
import { ToolError } from './errors.js';
import { renderFindings } from './render.js';
import { validateFile } from './validate.js';

export interface NodeConfig {
  file: string;
  config: BridgeConfig;
  log: LogSettings;
}

/** The config at `--config` (a file or a conf_dir), or the first hnsbridge config in containerd's default conf_dir. */
export function loadNodeConfig(configOpt: string | undefined, platform: NodeJS.Platform): NodeConfig {
  const where = configOpt ?? defaultConfDir(platform);
  let isDir: boolean;
  try {
    isDir = statSync(where).isDirectory();
  } catch {
    throw new ToolError(`${where} does not exist`, configOpt === undefined ? 'name the conflist with --config <file>' : undefined);
  }
  const file = isDir ? findHnsbridgeConfig(where) : where;
  if (file === undefined) throw new ToolError(`no config with an hnsbridge plugin in ${where}`, 'name the conflist with --config <file>');
  const report = validateFile(file, platform, false);
  const net = report.networks[0];
  if (!report.valid || net === undefined) {
    throw new ToolError(`${file} is not a valid hnsbridge config:\n${renderFindings(report.findings.filter((f) => f.severity === 'error')).join('\n')}`, `hnsbridge validate ${file}`);
  }
  return { file, config: net.config, log: net.log };
}

/** A store that reads through to the disk store and refuses every change. */
export class ReadOnlyStore implements Store {
  constructor(private readonly inner: DiskStore) {}

  withLock<T>(fn: () => Promise<T>): Promise<T> {
    // No directory means no reservation; taking the lock would create it.
    if (!existsSync(this.inner.dir)) return fn();
    return this.inner.withLock(fn);
  }

  list(): Promise<StoredEntry[]> {
    return this.inner.list();
  }

  lastReserved(rangeSet: number): Promise<string | undefined> {
    return this.inner.lastReserved(rangeSet);
  }

  reserve(_ip: Ip, _owner: Owner): Promise<boolean> {
    return Promise.reject(new Error('the IPAM store is read-only here'));
  }

  remove(_ip: Ip): Promise<void> {
    return Promise.reject(new Error('the IPAM store is read-only here'));
  }

  setLastReserved(_rangeSet: number, _ip: Ip): Promise<void> {
    return Promise.reject(new Error('the IPAM store is read-only here'));
  }
}

export function storeDir(cfg: BridgeConfig): string {
  return join(cfg.ipam.dataDir, cfg.network);
}

/**
 * A context for the verbs' code; `readOnly` swaps in the read-only store. A tool that changes
 * something passes the plugin's logger, so its actions land in the plugin's log.
 */
export function openToolContext(cfg: BridgeConfig, platform: NodeJS.Platform, readOnly: boolean, log: Logger = silentLogger()): BridgeContext {
  const ctx = openContext(cfg, NEUTRAL_ENV, log, undefined, process.env, platform);
  if (!readOnly) return ctx;
  const store = new ReadOnlyStore(new DiskStore(storeDir(cfg), { platform }));
  return { ...ctx, ipam: new HostLocalIpam(cfg.ipam, cfg.network, { platform, store }) };
}

/** Which HNS the tools talk to, for headings and messages. */
export function describeBackend(platform: NodeJS.Platform): string {
  const b = backendName(process.env, platform);
  return b === 'ffi' ? `HNS (${process.env.HNS_FFI_LIBRARY || 'computenetwork.dll'})` : `hns-mock at ${mockAddressFromEnv()}`;
}

/** Turns an HNS failure into a message that says what to check. Other errors pass through. */
export function hnsFailure(e: unknown, platform: NodeJS.Platform): unknown {
  const cause = e instanceof StepError ? e.cause : e;
  const what = e instanceof StepError ? `${e.step}: ` : '';
  if (cause instanceof HnsUnavailableError) {
    const hint =
      backendName(process.env, platform) === 'ffi'
        ? 'is the Host Network Service running? Get-Service hns; Start-Service hns'
        : `is hns-mock serving at ${mockAddressFromEnv()}? (set HNS_MOCK_ADDRESS, or HNS_BACKEND=ffi for real HNS)`;
    return new ToolError(`cannot reach ${describeBackend(platform)}: ${what}${cause.message}`, hint);
  }
  if (cause instanceof HnsError) return new ToolError(`HNS refused ${what}${cause.message}`);
  return e;
}
