// The CNI_* environment: which verb, which container, and the checks the reference skel applies
// before a plugin runs. A bad or missing variable is error code 4 naming it.

import { parseCniArgs, type CniArgs } from './args.js';
import { CniError, ErrorCode } from './errors.js';

export const VERBS = ['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION'] as const;
export type Verb = (typeof VERBS)[number];

export interface CniEnv {
  command: Verb;
  containerId: string;
  netns: string;
  ifname: string;
  args: CniArgs;
  /** Raw CNI_ARGS, for logging. */
  rawArgs: string;
  path: string[];
}

type EnvName = 'CNI_CONTAINERID' | 'CNI_NETNS' | 'CNI_IFNAME' | 'CNI_PATH';

/** Required variables per verb, as the spec lists them (CNI_COMMAND is always required). */
const REQUIRED: Record<Verb, readonly EnvName[]> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  GC: ['CNI_PATH'],
  STATUS: [],
  VERSION: [],
};

/** The reference libraries' rule for container IDs and network names. */
export const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function isVerb(v: string): v is Verb {
  return (VERBS as readonly string[]).includes(v);
}

/** Returns the reason an interface name is invalid, or undefined when it is fine (skel's ValidateInterfaceName). */
export function interfaceNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > 15) return `is longer than 15 characters (${name.length})`;
  if (name === '.' || name === '..') return `may not be "${name}"`;
  if (/[/:\s]/.test(name)) return 'may not contain "/", ":" or whitespace';
  return undefined;
}

export function readEnv(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): CniEnv {
  const command = env.CNI_COMMAND ?? '';
  if (command === '') throw new CniError(ErrorCode.InvalidEnvironment, 'required environment variable CNI_COMMAND is missing');
  if (!isVerb(command)) {
    throw new CniError(ErrorCode.InvalidEnvironment, `CNI_COMMAND: unknown command ${JSON.stringify(command)} (expected one of ${VERBS.join(', ')})`);
  }
  const missing = REQUIRED[command].filter((name) => (env[name] ?? '') === '');
  if (missing.length > 0) {
    throw new CniError(ErrorCode.InvalidEnvironment, `required environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing for ${command}`);
  }

  const containerId = env.CNI_CONTAINERID ?? '';
  if (containerId !== '' && !ID_PATTERN.test(containerId)) {
    throw new CniError(
      ErrorCode.InvalidEnvironment,
      `CNI_CONTAINERID: invalid container ID ${JSON.stringify(containerId.slice(0, 80))}: must match ${ID_PATTERN.source}`,
    );
  }
  const ifname = env.CNI_IFNAME ?? '';
  if (ifname !== '') {
    const problem = interfaceNameProblem(ifname);
    if (problem) throw new CniError(ErrorCode.InvalidEnvironment, `CNI_IFNAME: interface name ${JSON.stringify(ifname.slice(0, 80))} ${problem}`);
  }
  const netns = env.CNI_NETNS ?? '';
  if (/[\r\n\0]/.test(netns)) throw new CniError(ErrorCode.InvalidEnvironment, 'CNI_NETNS: contains a control character');

  const rawArgs = env.CNI_ARGS ?? '';
  const sep = platform === 'win32' ? ';' : ':';
  const path = (env.CNI_PATH ?? '').split(sep).filter((p) => p !== '');
  return { command, containerId, netns, ifname, args: parseCniArgs(rawArgs), rawArgs, path };
}
