// scripts/install.ps1 cannot run here (no PowerShell on the CI machine), so its contract with the
// binary is checked statically: every generator flag has its parameter and is passed on, every
// parameter is documented, and the config is validated before it is put in place.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CNI_VERSION, DEFAULT_NETWORK_NAME, GENERATOR_FLAGS } from '../../../src/tools/generate.js';

const ROOT = path.resolve(__dirname, '../../..');
const script = fs.readFileSync(path.join(ROOT, 'scripts', 'install.ps1'), 'utf8');
const INSTALL_ONLY = ['Source', 'BinDir', 'ConfDir', 'ConfName', 'Uninstall'];

interface Param {
  name: string;
  type: string;
  mandatory: boolean;
  default: string | undefined;
}

/** The param(...) block: each parameter with its type, Mandatory flag and default. */
function params(): Param[] {
  const start = script.search(/^param\(/m);
  const end = script.indexOf('\n)\n', start);
  expect(start).toBeGreaterThan(0);
  const block = script.slice(start, end);
  const out: Param[] = [];
  // Each parameter is its attributes followed by "[type] $Name [= default]", separated by commas.
  for (const m of block.matchAll(/((?:\[Parameter\([^)]*\)\]\s*)*)\[(string|string\[\]|switch)\]\s*\$(\w+)(?:\s*=\s*'([^']*)')?/g)) {
    out.push({ name: m[3] as string, type: m[2] as string, mandatory: /Mandatory\s*=\s*\$true/.test(m[1] as string), default: m[4] });
  }
  return out;
}

describe('scripts/install.ps1', () => {
  const declared = params();

  it('has a parameter for every generator flag, of the matching kind, and no other but its own', () => {
    const byName = new Map(declared.map((p) => [p.name, p]));
    for (const f of GENERATOR_FLAGS) {
      const p = byName.get(f.psParam);
      expect(p, `-${f.psParam} for --${f.name}`).toBeDefined();
      expect(p?.type, f.psParam).toBe(f.kind === 'list' ? 'string[]' : 'string');
      expect(p?.mandatory, f.psParam).toBe(f.required === true);
    }
    const expected = [...GENERATOR_FLAGS.map((f) => f.psParam), ...INSTALL_ONLY].sort();
    expect(declared.map((p) => p.name).sort()).toEqual(expected);
  });

  it('passes each parameter to "hnsbridge.exe conflist" under its flag', () => {
    for (const f of GENERATOR_FLAGS) {
      const value = f.kind === 'list' ? `\\(\\$${f.psParam} -join ','\\)` : `\\$${f.psParam}`;
      expect(script, `--${f.name} ${f.psParam}`).toMatch(new RegExp(`'--${f.name}', ${value}`));
    }
  });

  it('uses the generator\'s defaults and containerd-config.toml\'s directories', () => {
    const d = (n: string): string | undefined => declared.find((p) => p.name === n)?.default;
    expect(d('NetworkName')).toBe(DEFAULT_NETWORK_NAME);
    expect(d('CniVersion')).toBe(DEFAULT_CNI_VERSION);
    const toml = fs.readFileSync(path.join(ROOT, 'conf', 'containerd-config.toml'), 'utf8');
    const unescape = (s: string | undefined): string => (s ?? '').replaceAll('\\\\', '\\');
    expect(d('BinDir')).toBe(unescape(/^\s*bin_dir = "([^"]+)"/m.exec(toml)?.[1]));
    expect(d('ConfDir')).toBe(unescape(/^\s*conf_dir = "([^"]+)"/m.exec(toml)?.[1]));
  });

  it('documents every parameter in its comment-based help, with synopsis, description and examples', () => {
    const help = script.slice(0, script.indexOf('#>'));
    for (const section of ['.SYNOPSIS', '.DESCRIPTION', '.EXAMPLE']) expect(help).toContain(section);
    for (const p of declared) expect(help, p.name).toMatch(new RegExp(`^\\.PARAMETER ${p.name}\\n\\S`, 'm'));
    for (const f of GENERATOR_FLAGS) expect(help, f.name).toContain(`--${f.name}`);
  });

  it('generates into a temporary file and validates it before the conflist is put in place', () => {
    const install = script.slice(script.indexOf('function Install-Hnsbridge'), script.indexOf('function Uninstall-Hnsbridge'));
    const generate = install.indexOf('Get-ConflistArguments $tmp');
    const validate = install.search(/@\('validate', '--strict', \$tmp\)/);
    const validated = install.indexOf('if ($check.Code -ne 0) { throw');
    const replace = install.indexOf('[System.IO.File]::Replace(');
    const firstMove = install.indexOf('Move-Item -LiteralPath "$confPath.new"');
    expect([generate, validate, validated, replace, firstMove].every((i) => i > 0)).toBe(true);
    expect(generate).toBeLessThan(validate);
    expect(validate).toBeLessThan(validated);
    expect(validated).toBeLessThan(replace);
    expect(validated).toBeLessThan(firstMove);
    expect(script).toMatch(/'--output', \$OutputPath/);
  });

  it('keeps .bak copies, restores them on failure, says when nothing changed, and supports -WhatIf', () => {
    expect(script).toMatch(/SupportsShouldProcess = \$true/);
    expect(script).toContain('"$confPath.bak"');
    expect(script).toContain('Set-FileFrom "$confPath.bak" $confPath');
    expect(script).toContain('Set-FileFrom "$Target.bak" $Target');
    expect(script).toMatch(/no change: hnsbridge is already installed/);
    expect(script).toMatch(/hnsbridge\.install\.json/);
  });
});
