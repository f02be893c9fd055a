// One CNI invocation from start to finish: environment, stdin, config, log, the verb's handler,
// and exactly one JSON document on stdout. The plugin's own logic comes in through `Plugin`.

import type { CniEnv, Verb } from './env.js';
import { readEnv } from './env.js';
import { CniError, ErrorCode, isCniError } from './errors.js';
import { type LogSettings, type ParsedNetConf, parseLogSettings, parseNetConf, peekVersion } from './netconf.js';
import { errorDocument, writeStdout } from './output.js';
import { type CniResult, resultForVersion } from './result.js';
import { decodeConfig, readStdin } from './stdin.js';
import { type CniVersion, LATEST_VERSION, SUPPORTED_VERSIONS } from './version.js';
import { type Logger, openLogger, resolveLogTarget } from '../log.js';
import { ObjectReader, Problems, isPlainObject } from './reader.js';

export interface Invocation {
  env: CniEnv;
  conf: ParsedNetConf;
  log: Logger;
}

/**
 * What a plugin provides. `parseConfig` records problems in `conf.problems` instead of throwing, and
 * returns undefined only when it recorded at least one.
 */
export interface Plugin<C> {
  parseConfig(conf: ParsedNetConf, env: CniEnv): C | undefined;
  add(config: C, inv: Invocation): Promise<CniResult>;
  del(config: C, inv: Invocation): Promise<void>;
  check(config: C, inv: Invocation): Promise<void>;
  gc(config: C, inv: Invocation): Promise<void>;
  status(config: C, inv: Invocation): Promise<void>;
  /** Maps the plugin's own exceptions (e.g. HNS failures) to CNI errors; undefined for unknown ones. */
  toCniError(e: unknown): CniError | undefined;
}

export interface SkelIo {
  env: NodeJS.ProcessEnv;
  readStdin: () => Buffer;
  write: (doc: unknown) => void;
  platform: NodeJS.Platform;
  now: () => number;
}

const defaultIo: SkelIo = {
  env: process.env,
  readStdin,
  write: writeStdout,
  platform: process.platform,
  // Not performance.now(): the first touch of `performance` loads perf_hooks (~1 ms per start).
  now: () => Number(process.hrtime.bigint()) / 1e6,
};

/**
 * Runs one invocation and returns the process exit code (0 or 1). Never throws. The plugin is
 * loaded only once the verb needs it: VERSION answers without loading any verb code.
 */
export async function runCni<C>(loadPlugin: () => Promise<Plugin<C>>, io: SkelIo = defaultIo): Promise<number> {
  const started = io.now();
  let version: CniVersion = LATEST_VERSION;
  let log: Logger | undefined;
  let env: CniEnv | undefined;
  let verb: Verb | undefined;
  let plugin: Plugin<C> | undefined;
  try {
    env = readEnv(io.env, io.platform);
    verb = env.command;
    const bytes = io.readStdin();

    if (verb === 'VERSION') {
      // stdin is informational here: answer in the config's version when it is readable.
      try {
        version = peekVersion(decodeConfig(bytes).value) ?? LATEST_VERSION;
      } catch {
        version = LATEST_VERSION;
      }
      io.write({ cniVersion: version, supportedVersions: [...SUPPORTED_VERSIONS] });
      return 0;
    }

    const decoded = decodeConfig(bytes);
    version = peekVersion(decoded.value) ?? LATEST_VERSION;
    log = openLogger(resolveLogTarget(peekLogSettings(decoded.value, io.platform), io.env, io.platform), logBindings(env));
    log.info({ verb, netns: env.netns || undefined, cniArgs: env.rawArgs || undefined }, 'start');
    if (decoded.hadBom) log.warn('network config starts with a UTF-8 byte-order mark; it was ignored');

    const conf = parseNetConf(decoded.value, verb, io.platform);
    plugin = await loadPlugin();
    const config = plugin.parseConfig(conf, env);
    conf.problems.throwIfAny();
    if (config === undefined) throw new CniError(ErrorCode.Internal, 'internal error in hnsbridge: the config was rejected without a reason');
    const unknown = conf.reader.unknownKeys().filter((k) => !k.startsWith('cni.dev/'));
    if (unknown.length > 0) log.warn({ unknownKeys: unknown }, `network config has unknown keys: ${unknown.join(', ')}`);

    const inv: Invocation = { env, conf, log };
    switch (verb) {
      case 'ADD': {
        const result = await plugin.add(config, inv);
        io.write(resultForVersion(result, conf.base.cniVersion));
        break;
      }
      case 'DEL':
        await plugin.del(config, inv);
        break;
      case 'CHECK':
        await plugin.check(config, inv);
        break;
      case 'GC':
        await plugin.gc(config, inv);
        break;
      case 'STATUS':
        await plugin.status(config, inv);
        break;
    }
    log.info({ verb, durationMs: elapsed(io, started), outcome: 'success' }, 'end');
    return 0;
  } catch (e) {
    const err = toCniError(plugin, e);
    io.write(errorDocument(err, version));
    // A failure before the config was read (bad environment, undecodable stdin) is logged too, where
    // the environment or the default says: the operator looks there first.
    log ??= openLogger(resolveLogTarget({}, io.env, io.platform), env ? logBindings(env) : {});
    log.error(
      { verb, durationMs: elapsed(io, started), outcome: 'error', code: err.code, details: err.details, stack: isCniError(e) ? undefined : (e as Error)?.stack },
      `end: ${err.message}`,
    );
    return 1;
  }
}

function elapsed(io: SkelIo, started: number): number {
  return Math.round((io.now() - started) * 10) / 10;
}

function logBindings(env: CniEnv): Record<string, unknown> {
  const b: Record<string, unknown> = {};
  if (env.containerId) b.containerId = env.containerId;
  if (env.ifname) b.ifname = env.ifname;
  if (env.args.podNamespace || env.args.podName) b.pod = `${env.args.podNamespace ?? ''}/${env.args.podName ?? ''}`;
  return b;
}

/** The log settings, read before validation so even a config error gets logged where the operator expects. */
function peekLogSettings(doc: unknown, platform: NodeJS.Platform): LogSettings {
  if (!isPlainObject(doc)) return {};
  return parseLogSettings(new ObjectReader(doc, '', new Problems()), platform);
}

function toCniError<C>(plugin: Plugin<C> | undefined, e: unknown): CniError {
  if (isCniError(e)) return e;
  const mapped = plugin?.toCniError(e);
  if (mapped) return mapped;
  const msg = e instanceof Error ? e.message : String(e);
  return new CniError(ErrorCode.Internal, `internal error in hnsbridge: ${msg}`, 'this is a bug; the log has the stack trace');
}
