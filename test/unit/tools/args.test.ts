import { describe, expect, it } from 'vitest';
import { type OptionSpec, helpText, parseArgs } from '../../../src/tools/args.js';
import { UsageError } from '../../../src/tools/errors.js';
import { closest, editDistance } from '../../../src/tools/suggest.js';

const SPECS: OptionSpec[] = [
  { name: 'json', kind: 'flag', help: 'json' },
  { name: 'config', kind: 'value', metavar: 'FILE', help: 'config' },
  { name: 'valid', kind: 'list', help: 'valid' },
];

describe('parseArgs', () => {
  it('reads flags, values in both spellings, repeated and comma-separated lists, and positionals', () => {
    const a = parseArgs('t', ['--json', '--config', 'a.conflist', 'x', '--valid=c1/eth0,c2', '--valid', 'c3', '--', '--not-an-option'], SPECS);
    expect(a.flag('json')).toBe(true);
    expect(a.value('config')).toBe('a.conflist');
    expect(a.list('valid')).toEqual(['c1/eth0', 'c2', 'c3']);
    expect(a.positionals).toEqual(['x', '--not-an-option']);
    expect(a.has('valid')).toBe(true);
    expect(a.has('nothing')).toBe(false);
  });

  const wrong: [string[], RegExp][] = [
    [['--jsn'], /unknown option --jsn: did you mean "--json"\?/],
    [['--config'], /--config needs a value \(FILE\)/],
    [['--config', '--json'], /--config needs a value/],
    [['--config', 'a', '--config', 'b'], /--config given twice/],
    [['--json=yes'], /--json takes no value/],
    [['-j'], /unknown option -j/],
  ];
  for (const [argv, msg] of wrong) {
    it(`refuses ${argv.join(' ')} with a usage error`, () => {
      expect(() => parseArgs('t', argv, SPECS)).toThrow(UsageError);
      expect(() => parseArgs('t', argv, SPECS)).toThrow(msg);
    });
  }

  it('treats -h and --help as the help flag and "-" as a positional (stdin)', () => {
    expect(parseArgs('t', ['-h'], SPECS).flag('help')).toBe(true);
    expect(parseArgs('t', ['--help'], SPECS).flag('help')).toBe(true);
    expect(parseArgs('t', ['-'], SPECS).positionals).toEqual(['-']);
  });

  it('writes a help with every option and the exit codes', () => {
    const h = helpText('hnsbridge t', 'does t', SPECS, '0 ok');
    for (const s of ['--json', '--config FILE', '--valid VALUE …', '--help', 'exit codes: 0 ok']) expect(h).toContain(s);
  });
});

describe('suggestions', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('clusterCIRD', 'clusterCIDR')).toBe(1);
    expect(editDistance('capabilites', 'capabilities')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only plausible typos', () => {
    expect(closest('capabilites', ['capabilities', 'ipam'])).toBe('capabilities');
    expect(closest('DNS', ['dns', 'ipam'])).toBe('dns');
    expect(closest('foo', ['capabilities', 'ipam'])).toBeUndefined();
    expect(closest('mtu', ['ipam'])).toBeUndefined();
  });
});
