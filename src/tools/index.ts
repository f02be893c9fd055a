// Operator sub-commands of the hnsbridge binary. Each command's module is imported only when it
// runs: main.ts reaches this file only for a sub-command, and one command never pays for another's
// imports (inspect and gc load the HNS backend; validate and conflist never do).

import { ToolError } from './errors.js';
import { err } from './io.js';

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: async () => (await import('./validate.js')).runValidate,
  inspect: async () => (await import('./inspect.js')).runInspect,
  gc: async () => (await import('./gc.js')).runGc,
  conflist: async () => (await import('./generate.js')).runConflist,
};

export async function runTool(name: string, args: string[]): Promise<number> {
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    const { didYouMean } = await import('./suggest.js');
    const hint = didYouMean(name, Object.keys(COMMANDS));
    err(`hnsbridge: unknown command ${JSON.stringify(name)}${hint ? `: ${hint}` : ''}; run "hnsbridge --help"`);
    return 1;
  }
  try {
    return await (await load())(args);
  } catch (e) {
    if (e instanceof ToolError) {
      err(`hnsbridge ${name}: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`);
      return e.exitCode;
    }
    throw e;
  }
}
