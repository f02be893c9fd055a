// How an operator command fails: a message for stderr and the exit code. Commands throw these; the
// dispatcher in index.ts prints them, so no command writes its own "error:" line.

/** Exit codes shared by the operator commands (documented in usage.ts). */
export const Exit = {
  Ok: 0,
  /** Invalid input, an invalid config, an unreachable HNS or any other failure. */
  Error: 1,
  /** inspect found leaks; gc --dry-run found something to remove. */
  Found: 2,
} as const;

export class ToolError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = Exit.Error,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

/** A wrong command line: the message names the option, the hint points at --help. */
export class UsageError extends ToolError {
  constructor(message: string, command: string) {
    super(message, `run "hnsbridge ${command} --help"`);
    this.name = 'UsageError';
  }
}
