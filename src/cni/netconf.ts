// The protocol part of the network config: cniVersion, name, type, prevResult, GC attachments and
// the log settings. The plugin-specific part is read afterwards from the same ObjectReader, so
// whatever neither part asked for can be reported as an unknown key.

import { ConfigError, CniError, ErrorCode } from './errors.js';
import { ID_PATTERN, type Verb } from './env.js';
import { ObjectReader, Problems, isPlainObject } from './reader.js';
import { type CniResult, parseResult } from './result.js';
import { type CniVersion, SUPPORTED_VERSIONS, compareVersions, isSupportedVersion } from './version.js';

export const PLUGIN_TYPE = 'hnsbridge';

export interface Attachment {
  containerId: string;
  ifname: string;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogSettings {
  file?: string;
  level?: LogLevel;
  /** Rotate when the file is larger than this many bytes. */
  maxBytes?: number;
  /** How many rotated files to keep. */
  maxFiles?: number;
}

export interface BaseNetConf {
  cniVersion: CniVersion;
  name: string;
  type: string;
  prevResult?: CniResult;
  /** GC only: the attachments that are still valid. */
  validAttachments?: Attachment[];
  log: LogSettings;
}

export interface ParsedNetConf {
  base: BaseNetConf;
  /** The top-level reader, for the plugin's own keys. */
  reader: ObjectReader;
  problems: Problems;
}

/** Minimum config versions per verb, as the reference skel enforces them (code 1 below). */
const MIN_VERSION: Partial<Record<Verb, string>> = { CHECK: '0.4.0', GC: '1.1.0', STATUS: '1.1.0' };

/**
 * Reads the cniVersion alone, so an error about anything else can still be reported in the
 * config's own version. Returns undefined when it is missing or not supported.
 */
export function peekVersion(doc: unknown): CniVersion | undefined {
  if (!isPlainObject(doc)) return undefined;
  for (const [k, v] of Object.entries(doc)) if (k.toLowerCase() === 'cniversion' && isSupportedVersion(v)) return v;
  return undefined;
}

export function parseNetConf(doc: unknown, verb: Verb, platform: NodeJS.Platform = process.platform): ParsedNetConf {
  if (!isPlainObject(doc)) {
    throw new CniError(ErrorCode.DecodingFailure, `network config must be a JSON object, got ${Array.isArray(doc) ? 'an array' : typeof doc}`);
  }
  const problems = new Problems();
  const r = new ObjectReader(doc, '', problems);

  const version = r.raw('cniVersion');
  if (version === undefined || version === null || version === '') {
    throw new ConfigError([{ path: 'cniVersion', message: 'is required', hint: `use one of ${SUPPORTED_VERSIONS.join(', ')}` }]);
  }
  if (!isSupportedVersion(version)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `incompatible CNI versions: config is ${JSON.stringify(version)}, plugin supports [${SUPPORTED_VERSIONS.join(', ')}]`,
    );
  }
  const min = MIN_VERSION[verb];
  if (min && compareVersions(version, min) < 0) {
    throw new CniError(ErrorCode.IncompatibleVersion, `config version ${version} does not allow ${verb}; it needs cniVersion ${min} or newer`);
  }

  const name = r.string('name', { required: true });
  if (name !== undefined && !ID_PATTERN.test(name)) {
    problems.add(r.keyPath('name'), `invalid network name ${JSON.stringify(name.slice(0, 80))}: must match ${ID_PATTERN.source}`, 'letters, digits, "_", "." and "-", starting with a letter or digit');
  }
  const type = r.string('type', { required: true });
  if (type !== undefined && type !== PLUGIN_TYPE) {
    problems.add(r.keyPath('type'), `must be "${PLUGIN_TYPE}", got ${JSON.stringify(type)}`);
  }

  const base: BaseNetConf = { cniVersion: version, name: name ?? '', type: type ?? '', log: parseLogSettings(r, platform) };

  const prev = r.raw('prevResult');
  if (prev !== undefined && prev !== null) {
    const parsed = parseResult(prev, r.keyPath('prevResult'), problems);
    if (parsed) base.prevResult = parsed;
  }

  if (verb === 'GC') base.validAttachments = parseAttachments(r, problems);
  else r.accept('cni.dev/valid-attachments', 'cni.dev/attachments');

  // Keys a runtime adds or that belong to the conflist; accepted so they are not reported as unknown.
  r.accept('capabilities', 'disableCheck', 'disableGC', 'cniVersions', 'loadOnlyInlinedPlugins');
  return { base, reader: r, problems };
}

function parseAttachments(r: ObjectReader, problems: Problems): Attachment[] {
  const key = r.has('cni.dev/valid-attachments') ? 'cni.dev/valid-attachments' : 'cni.dev/attachments';
  r.accept('cni.dev/valid-attachments', 'cni.dev/attachments');
  const items = r.array(key);
  if (!items) {
    // Without the list GC would release everything; refuse rather than guess.
    problems.add('cni.dev/valid-attachments', 'is required for GC');
    return [];
  }
  const out: Attachment[] = [];
  for (const item of items) {
    const a = ObjectReader.of(item.value, item.path, problems);
    if (!a) continue;
    const containerId = a.string('containerID', { required: true });
    const ifname = a.string('ifname', { required: true });
    if (containerId !== undefined && ifname !== undefined) out.push({ containerId, ifname });
  }
  return out;
}

/** Windows needs a drive-letter or UNC path; elsewhere a leading slash. Relative paths land in containerd's CWD (often System32). */
export function isAbsolutePathFor(p: string, platform: NodeJS.Platform): boolean {
  if (platform === 'win32') return /^[a-zA-Z]:[\\/]/.test(p) || /^\\\\[^\\]+\\/.test(p);
  return p.startsWith('/');
}

/** The `log` object: where and how much to log. Invalid values are recorded as problems and left out. */
export function parseLogSettings(r: ObjectReader, platform: NodeJS.Platform): LogSettings {
  const l = r.object('log');
  if (!l) return {};
  const out: LogSettings = {};
  const file = l.string('file', { nonEmpty: true });
  if (file !== undefined) {
    if (!isAbsolutePathFor(file, platform)) l.problems.add(l.keyPath('file'), `must be an absolute path, got ${JSON.stringify(file)}`, platform === 'win32' ? 'for example C:\\k\\cni\\logs\\hnsbridge.log' : 'for example /var/log/hnsbridge.log');
    else out.file = file;
  }
  const level = l.string('level');
  if (level !== undefined) {
    if ((LOG_LEVELS as readonly string[]).includes(level)) out.level = level as LogLevel;
    else l.problems.add(l.keyPath('level'), `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  const maxMb = l.integer('maxSizeMB', { min: 1, max: 4096 });
  if (maxMb !== undefined) out.maxBytes = maxMb * 1024 * 1024;
  const maxFiles = l.integer('maxFiles', { min: 1, max: 100 });
  if (maxFiles !== undefined) out.maxFiles = maxFiles;
  for (const k of l.unknownKeys()) l.problems.add(l.keyPath(k), 'unknown key', 'log accepts file, level, maxSizeMB, maxFiles');
  return out;
}
