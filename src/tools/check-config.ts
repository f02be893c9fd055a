// Offline validation of a network config: the checks ADD applies, plus what containerd's loader
// (libcni) would refuse before hnsbridge ever runs. Pure: no HNS, no IPAM store, no environment.
//
// "The same validation ADD uses" is meant literally: each hnsbridge entry becomes the request config
// containerd would send (conflist.ts), then goes through parseNetConf + parseBridgeConfig exactly as
// runCni does, with a neutral CNI environment. Everything those record is an error here too. On top
// come the things ADD only logs or cannot see: unknown keys (warnings, with the nearest known key),
// capability names containerd matches case-sensitively, and conflist-level mistakes.

import { type BridgeConfig, parseBridgeConfig } from '../bridge/config.js';
import { type BridgeSubnet, bridgeSubnets } from '../bridge/gateway.js';
import type { CniEnv } from '../cni/env.js';
import { ConfigError, CniError, type ConfigProblem } from '../cni/errors.js';
import { type LogSettings, type ParsedNetConf, PLUGIN_TYPE, parseNetConf } from '../cni/netconf.js';
import { isPlainObject } from '../cni/reader.js';
import { LATEST_VERSION, SUPPORTED_VERSIONS } from '../cni/version.js';
import { hnsbridgeEntries } from './conflist.js';
import { closest, didYouMean } from './suggest.js';

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** JSON path such as `plugins[0].ipam.ranges[0][0].subnet`, or `(file)` / `(document)`. */
  path: string;
  message: string;
  hint?: string;
  /** For syntax errors: where in the file. */
  line?: number;
  column?: number;
  excerpt?: string;
}

export interface CheckedNetwork {
  /** Where the hnsbridge entry is: `plugins[0]`, or `(document)` for a single plugin config. */
  entry: string;
  network: string;
  cniVersion: string;
  subnets: BridgeSubnet[];
  config: BridgeConfig;
  /** The plugin's log settings, so a tool that changes something logs where the plugin does. */
  log: LogSettings;
}

export interface CheckResult {
  kind: 'conflist' | 'conf' | undefined;
  findings: Finding[];
  /** One per valid hnsbridge entry. */
  networks: CheckedNetwork[];
}

/** Keys of a network configuration list (CNI spec 1.1 and libcni's loader). */
export const LIST_KEYS = ['cniVersion', 'cniVersions', 'name', 'plugins', 'disableCheck', 'disableGC', 'loadOnlyInlinedPlugins'] as const;

/**
 * Top-level keys of the hnsbridge plugin object that parseNetConf and parseBridgeConfig read. Only
 * used to suggest a spelling: whether a key is known is decided by the reader itself. A unit test
 * keeps this list and the parsers in step.
 */
export const PLUGIN_KEYS = [
  // protocol (src/cni/netconf.ts)
  'cniVersion', 'name', 'type', 'capabilities', 'prevResult', 'log', 'disableCheck', 'disableGC', 'cniVersions', 'loadOnlyInlinedPlugins', 'args', 'runtimeConfig',
  // hnsbridge (src/bridge/config.ts)
  'ipam', 'adapter', 'dns', 'clusterCIDR', 'serviceCIDR', 'nodeSubnet', 'outboundNATExceptions', 'outboundNAT', 'managementIP', 'sdnRoutes', 'acls',
  'endpointPolicies', 'networkPolicies', 'loopbackDSR', 'hnsTimeoutSeconds', 'stateDir',
  // win-bridge and sdnbridge compatibility
  'policies', 'ipMasqNetwork', 'apiVersion', 'AdditionalArgs', 'optionalFlags', 'additionalRoutes',
] as const;

/** Capabilities hnsbridge acts on; containerd passes runtimeConfig only for these when declared true. */
export const USED_CAPABILITIES = ['portMappings', 'dns', 'ips'] as const;
/** Capability names of the CNI conventions that hnsbridge accepts and ignores. */
export const OTHER_CAPABILITIES = ['bandwidth', 'ipRanges', 'mac', 'aliases', 'cgroupPath', 'deviceID', 'infinibandGUID', 'io.kubernetes.cri.pod-annotations'] as const;

/** ADD's view without a container: no CNI_ARGS, nothing requested. */
export const NEUTRAL_ENV: CniEnv = { command: 'ADD', containerId: '', netns: '', ifname: '', args: {}, rawArgs: '', path: [] };

export interface CheckOptions {
  platform: NodeJS.Platform;
  /** The file name, for checks of its extension against its content; omitted for stdin. */
  fileName?: string;
}

function finding(severity: Severity, path: string, message: string, hint?: string): Finding {
  return hint === undefined ? { severity, path, message } : { severity, path, message, hint };
}

/** Validates a parsed network config document (a conflist or a single plugin config). */
export function checkConfigDocument(doc: unknown, opts: CheckOptions): CheckResult {
  if (!isPlainObject(doc)) {
    return { kind: undefined, findings: [finding('error', '(document)', `must be a JSON object, got ${Array.isArray(doc) ? 'an array' : doc === null ? 'null' : typeof doc}`)], networks: [] };
  }
  const keyOf = (k: string): string | undefined => Object.keys(doc).find((x) => x.toLowerCase() === k.toLowerCase());
  const kind = keyOf('plugins') !== undefined ? 'conflist' : 'conf';
  const findings: Finding[] = [...extensionFindings(kind, opts.fileName)];

  if (kind === 'conflist') findings.push(...listFindings(doc));
  const { entries, problems } = hnsbridgeEntries(doc);
  for (const p of problems) findings.push(finding('error', p.path, p.message, p.path === 'plugins' && p.message.startsWith('has no plugin') ? `add {"type": "${PLUGIN_TYPE}", "ipam": {...}} to plugins` : undefined));
  if (entries.length > 1) findings.push(finding('warning', 'plugins', `has ${entries.length} hnsbridge plugins`, 'containerd runs each of them for every pod with the same interface name; keep one'));

  const networks: CheckedNetwork[] = [];
  for (const entry of entries) {
    const checked = checkPlugin(entry.config, opts.platform);
    for (const f of checked.findings) findings.push({ ...f, path: entryPath(kind, entry.path, f.path) });
    if (checked.config !== undefined && !checked.findings.some((f) => f.severity === 'error')) {
      const cfg = checked.config;
      networks.push({ entry: entry.path, network: cfg.network, cniVersion: cfg.cniVersion, subnets: bridgeSubnets(cfg.ipam), config: cfg, log: checked.log });
    }
  }
  return { kind, findings, networks };
}

/**
 * A plugin problem's path in the file. cniVersion and name come from the list (libcni injects them
 * into the plugin object), so their problems belong at the top of a conflist.
 */
function entryPath(kind: 'conflist' | 'conf', entry: string, p: string): string {
  if (kind === 'conf') return p;
  if (p === 'cniVersion' || p === 'name') return p;
  if (p === '(document)' || p === '') return entry;
  return `${entry}.${p}`;
}

/**
 * libcni picks the parser by extension: `.conflist` is read as a list, `.conf` and `.json` as one
 * plugin. The wrong one fails with messages that do not say so ("missing 'type'", "no plugins in
 * list"), so say it here.
 */
function extensionFindings(kind: 'conflist' | 'conf', fileName: string | undefined): Finding[] {
  if (fileName === undefined) return [];
  const ext = /\.[^./\\]+$/.exec(fileName)?.[0].toLowerCase();
  if (ext === '.conflist' && kind === 'conf') {
    return [finding('error', '(file)', 'the file name ends in .conflist but the file is a single plugin config (it has no "plugins")', 'containerd would fail with "no plugins in list": wrap it as {"cniVersion": ..., "name": ..., "plugins": [ {...} ]} or rename it to .conf')];
  }
  if ((ext === '.conf' || ext === '.json') && kind === 'conflist') {
    return [finding('error', '(file)', `the file is a conflist (it has "plugins") but its name ends in ${ext}`, `containerd reads ${ext} files as a single plugin config and would fail with "missing 'type'": rename it to .conflist`)];
  }
  if (ext !== '.conf' && ext !== '.json' && ext !== '.conflist') {
    return [finding('warning', '(file)', `containerd loads only .conflist, .conf and .json files from its conf_dir; this one ends in ${ext ?? '(no extension)'}`, 'name it e.g. 10-hnsbridge.conflist (Notepad may have added .txt)')];
  }
  return [];
}

function listFindings(doc: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  for (const k of Object.keys(doc)) {
    if ((LIST_KEYS as readonly string[]).some((x) => x.toLowerCase() === k.toLowerCase())) continue;
    out.push(unknownKeyWarning(k, k, LIST_KEYS, 'a conflist has cniVersion, name and plugins; plugin settings go inside plugins[]'));
  }
  const plugins = Object.entries(doc).find(([k]) => k.toLowerCase() === 'plugins')?.[1];
  if (Array.isArray(plugins)) {
    if (plugins.length === 0) out.push(finding('error', 'plugins', 'is empty', `add {"type": "${PLUGIN_TYPE}", ...}`));
    plugins.forEach((p, i) => {
      if (!isPlainObject(p)) return; // hnsbridgeEntries reports it
      const type = Object.entries(p).find(([k]) => k.toLowerCase() === 'type')?.[1];
      if (typeof type !== 'string' || type === '') out.push(finding('error', `plugins[${i}].type`, 'is required', 'containerd cannot load a plugin without a type'));
      else if (type === PLUGIN_TYPE && i > 0) out.push(finding('warning', `plugins[${i}]`, `hnsbridge is plugin ${i + 1} of the chain`, 'hnsbridge creates the pod interface; put it first and chained plugins after it'));
    });
  }
  return out;
}

function unknownKeyWarning(path: string, key: string, known: readonly string[], fallback?: string): Finding {
  return finding('warning', path, 'unknown key: it is ignored', didYouMean(key, known) ?? fallback);
}

interface PluginCheck {
  findings: Finding[];
  config: BridgeConfig | undefined;
  log: LogSettings;
}

/** One request config through ADD's own parsing, every problem collected. */
export function checkPlugin(config: Record<string, unknown>, platform: NodeJS.Platform): PluginCheck {
  const findings: Finding[] = [];
  let conf: ParsedNetConf;
  try {
    conf = parseNetConf(config, 'ADD', platform);
  } catch (e) {
    // parseNetConf stops at the version; report that, then check the rest as if it were right, so
    // one run still lists every problem.
    findings.push(...versionFindings(e));
    const retry = { ...config, cniVersion: LATEST_VERSION };
    try {
      conf = parseNetConf(retry, 'ADD', platform);
    } catch (e2) {
      findings.push(...versionFindings(e2));
      return { findings, config: undefined, log: {} };
    }
  }
  const cfg = parseBridgeConfig(conf, NEUTRAL_ENV, platform);
  for (const p of conf.problems.list) findings.push(withSuggestion(p));
  // What runCni logs as unknown keys (cni.dev/* are the runtime's).
  for (const k of conf.reader.unknownKeys().filter((x) => !x.startsWith('cni.dev/'))) findings.push(unknownKeyWarning(k, k, PLUGIN_KEYS));
  findings.push(...capabilityFindings(config));
  for (const w of cfg?.warnings ?? []) findings.push(finding('warning', '(document)', w));
  return { findings, config: findings.some((f) => f.severity === 'error') ? undefined : cfg, log: conf.base.log };
}

function versionFindings(e: unknown): Finding[] {
  if (e instanceof ConfigError) return e.problems.map((p) => withSuggestion(p));
  if (e instanceof CniError) return [finding('error', 'cniVersion', e.message, `use one of ${SUPPORTED_VERSIONS.join(', ')}`)];
  throw e;
}

/**
 * The parsers report an unknown nested key (ipam, a range, dns, log, optionalFlags, policy settings)
 * as an error whose hint lists what is accepted. Those lists are the candidates for "did you mean".
 */
function withSuggestion(p: ConfigProblem): Finding {
  const f = finding('error', p.path, p.message, p.hint);
  const list = p.message.startsWith('unknown') ? /(?:accepts|settings:|types:)\s+(.+)$/.exec(p.hint ?? '')?.[1] : undefined;
  if (list === undefined) return f;
  const candidates = list.split(/,\s*|\s+and\s+/).map((s) => s.trim()).filter((s) => s !== '');
  const quoted = /"([^"]+)"/.exec(p.message)?.[1];
  const name = quoted ?? p.path.split('.').pop() ?? '';
  const best = closest(name, candidates);
  if (best !== undefined && best.toLowerCase() !== name.toLowerCase()) f.hint = `did you mean "${best}"? (${p.hint})`;
  return f;
}

/**
 * containerd reads `capabilities` as a map of booleans and matches the names exactly: "portmappings"
 * or a string "true" silently turns hostPorts off (or, for a string, fails the whole config load).
 */
function capabilityFindings(config: Record<string, unknown>): Finding[] {
  const entry = Object.entries(config).find(([k]) => k.toLowerCase() === 'capabilities');
  if (entry === undefined) return [];
  const [key, caps] = entry;
  if (!isPlainObject(caps)) return [finding('error', key, 'must be an object of capability names to true/false', 'for example {"portMappings": true, "dns": true}')];
  const out: Finding[] = [];
  const known = [...USED_CAPABILITIES, ...OTHER_CAPABILITIES] as readonly string[];
  for (const [name, v] of Object.entries(caps)) {
    const path = `${key}.${name}`;
    if (typeof v !== 'boolean') out.push(finding('error', path, `must be true or false, got ${JSON.stringify(v)}`, 'containerd cannot load a config whose capabilities are not booleans'));
    if (known.includes(name)) continue;
    const exactCase = known.find((k) => k.toLowerCase() === name.toLowerCase());
    if (exactCase !== undefined) out.push(finding('warning', path, 'capability names are case-sensitive: containerd will not pass this one', `write "${exactCase}"`));
    else out.push(finding('warning', path, 'unknown capability: containerd passes nothing for it', didYouMean(name, known) ?? `hnsbridge uses ${USED_CAPABILITIES.join(', ')}`));
  }
  return out;
}
