// A small command-line parser for the operator commands: GNU-style long options (`--name value`,
// `--name=value`), flags, repeatable lists, `--` to end options. Every mistake is a UsageError that
// names the option, with a suggestion for a misspelled one.

import { UsageError } from './errors.js';
import { didYouMean } from './suggest.js';

export interface OptionSpec {
  /** Long name without the dashes. */
  name: string;
  /** flag: no value; value: one value; list: repeatable, and each value may hold several, comma-separated. */
  kind: 'flag' | 'value' | 'list';
  /** Placeholder shown in the help. */
  metavar?: string;
  help: string;
}

export class ParsedArgs {
  constructor(
    private readonly flags: ReadonlySet<string>,
    private readonly values: ReadonlyMap<string, string>,
    private readonly lists: ReadonlyMap<string, readonly string[]>,
    readonly positionals: readonly string[],
  ) {}

  flag(name: string): boolean {
    return this.flags.has(name);
  }

  value(name: string): string | undefined {
    return this.values.get(name);
  }

  list(name: string): string[] {
    return [...(this.lists.get(name) ?? [])];
  }

  /** True when the option was given at all (any kind). */
  has(name: string): boolean {
    return this.flags.has(name) || this.values.has(name) || this.lists.has(name);
  }
}

const HELP: OptionSpec = { name: 'help', kind: 'flag', help: 'show this help' };

export function parseArgs(command: string, argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const all = [...specs, HELP];
  const byName = new Map(all.map((s) => [s.name, s]));
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      flags.add('help');
      continue;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}: options are spelt --name`, command);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (spec === undefined) {
      const hint = didYouMean(name, all.map((s) => s.name));
      throw new UsageError(`unknown option --${name}${hint ? `: ${hint.replace('"', '"--')}` : ''}`, command);
    }
    if (spec.kind === 'flag') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`, command);
      flags.add(name);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      // A following option is a forgotten value, not the value: "--gateway --dns 1.1.1.1".
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${name} needs a value${spec.metavar ? ` (${spec.metavar})` : ''}`, command);
      value = next;
      i++;
    }
    if (spec.kind === 'value') {
      if (values.has(name)) throw new UsageError(`--${name} given twice`, command);
      values.set(name, value);
    } else {
      const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
      lists.set(name, [...(lists.get(name) ?? []), ...items]);
    }
  }
  return new ParsedArgs(flags, values, lists, positionals);
}

/** The help of one command: usage line, what it does, its options, and what its exit codes mean. */
export function helpText(usage: string, description: string, specs: readonly OptionSpec[], exitCodes?: string): string {
  const rows = [...specs, HELP].map((s) => {
    const left = `  --${s.name}${s.kind === 'flag' ? '' : ` ${s.metavar ?? 'VALUE'}`}${s.kind === 'list' ? ' …' : ''}`;
    return [left, s.help] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const lines = [`usage: ${usage}`, '', description, '', 'options:', ...rows.map(([l, h]) => l.padEnd(width) + h)];
  if (exitCodes) lines.push('', `exit codes: ${exitCodes}`);
  return `${lines.join('\n')}\n`;
}
