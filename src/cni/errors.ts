// CNI error codes (spec §"Error codes") and the one error type every layer throws.
// main.ts turns a CniError into the `{cniVersion, code, msg, details}` document on stdout.

export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodingFailure: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  PluginNotAvailableLimitedConnectivity: 51,
  /** Plugin-specific (>= 100): an HNS operation failed for a reason other than reachability. */
  HnsOperationFailed: 100,
  /** Plugin-specific: the IP pool has no free address. */
  AddressPoolExhausted: 101,
  /** Plugin-specific: CHECK found the pod's network different from what ADD made. */
  CheckFailed: 102,
  /** Plugin-specific: GC could not clean up everything it should have. */
  GcIncomplete: 103,
  /** Plugin-specific: an unexpected exception (a bug); the message is still readable. */
  Internal: 199,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export class CniError extends Error {
  readonly code: number;
  readonly details: string | undefined;

  constructor(code: number, msg: string, details?: string) {
    super(msg);
    this.name = 'CniError';
    this.code = code;
    this.details = details;
  }
}

export function isCniError(e: unknown): e is CniError {
  return e instanceof CniError;
}

/** One problem found while validating a config: where it is, what is wrong, and how to fix it. */
export interface ConfigProblem {
  /** JSON path such as `plugins[0].ipam.ranges[0][0].subnet`. */
  path: string;
  message: string;
  hint?: string;
}

/** Invalid network configuration (code 7). Carries every problem found, not just the first. */
export class ConfigError extends CniError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], code: number = ErrorCode.InvalidConfig) {
    const first = problems[0];
    const head = first ? `invalid network config: ${first.path}: ${first.message}` : 'invalid network config';
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    super(code, head + more, problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.path}: ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`;
}
