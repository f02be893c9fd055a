// `hnsbridge validate`: checks config files offline, with ADD's own validation (check-config.ts),
// and prints every problem with its path and a hint. Never touches HNS or the IPAM store.

import { readFileSync, statSync } from 'node:fs';
import { type OptionSpec, parseArgs, helpText } from './args.js';
import { type CheckResult, type Finding, checkConfigDocument } from './check-config.js';
import { configFilesIn, parseConfigBytes, readConfigFile } from './config-file.js';
import { Exit, UsageError } from './errors.js';
import { out, outJson } from './io.js';
import { describeSubnets, platformName, plural, renderFindings } from './render.js';

export const PLATFORM_OPTION: OptionSpec = { name: 'platform', kind: 'value', metavar: 'windows|linux', help: 'check paths as on this OS (default: the one running); use windows to check a node\'s config on Linux' };

const OPTIONS: OptionSpec[] = [
  PLATFORM_OPTION,
  { name: 'json', kind: 'flag', help: 'print one JSON document instead of text' },
  { name: 'strict', kind: 'flag', help: 'fail on warnings too (unknown keys, capabilities containerd ignores)' },
];

const USAGE = 'hnsbridge validate [--platform windows|linux] [--json] [--strict] <file|dir|-> …';
const DESCRIPTION = [
  'Checks network config files offline with the validation ADD uses, plus what containerd would refuse',
  '(encoding, JSON syntax, .conf vs .conflist), and lists every problem with its JSON path and a hint.',
  'Unknown keys are warnings with the nearest known key. A directory means its .conflist/.conf/.json files;',
  '"-" reads stdin. Nothing is sent to HNS and the IPAM store is not touched.',
].join('\n');

export function parsePlatform(value: string | undefined, command: string): NodeJS.Platform {
  if (value === undefined) return process.platform;
  const v = value.toLowerCase();
  if (v === 'windows' || v === 'win32') return 'win32';
  if (v === 'linux') return 'linux';
  throw new UsageError(`--platform must be windows or linux, got ${JSON.stringify(value)}`, command);
}

export interface FileReport extends CheckResult {
  file: string;
  valid: boolean;
}

/** Reads and checks one file (or stdin for "-"). */
export function validateFile(file: string, platform: NodeJS.Platform, strict: boolean): FileReport {
  const read = file === '-' ? parseConfigBytes(readStdinBytes()) : readConfigFile(file);
  const checked: CheckResult = read.doc === undefined ? { kind: undefined, findings: [], networks: [] } : checkConfigDocument(read.doc, file === '-' ? { platform } : { platform, fileName: file });
  const findings: Finding[] = [...read.findings, ...checked.findings];
  const valid = !findings.some((f) => f.severity === 'error' || (strict && f.severity === 'warning'));
  return { ...checked, findings, file, valid };
}

function readStdinBytes(): Buffer {
  try {
    return readFileSync(0);
  } catch {
    return Buffer.alloc(0);
  }
}

/** Files named on the command line, directories expanded to their config files. */
function expand(paths: readonly string[]): { files: string[]; emptyDirs: string[] } {
  const files: string[] = [];
  const emptyDirs: string[] = [];
  for (const p of paths) {
    let dir = false;
    try {
      dir = p !== '-' && statSync(p).isDirectory();
    } catch {
      // not there: validateFile reports it
    }
    if (!dir) files.push(p);
    else {
      const inDir = configFilesIn(p);
      if (inDir.length === 0) emptyDirs.push(p);
      files.push(...inDir);
    }
  }
  return { files, emptyDirs };
}

export function renderReport(r: FileReport, platform: NodeJS.Platform): string[] {
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const warnings = r.findings.length - errors;
  const lines: string[] = [];
  if (errors === 0) {
    for (const n of r.networks) {
      lines.push(`OK  ${r.file}: network "${n.network}", subnets ${describeSubnets(n.subnets)}, cniVersion ${n.cniVersion} (checked for ${platformName(platform)})`);
    }
    if (warnings > 0) lines.push(`${r.valid ? 'warnings' : 'FAILED (--strict)'}: ${plural(warnings, 'warning')} in ${r.file}`);
  } else {
    lines.push(`FAILED  ${r.file}: ${plural(errors, 'error')}${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}`);
  }
  lines.push(...renderFindings(r.findings));
  return lines;
}

function jsonReport(r: FileReport): Record<string, unknown> {
  return {
    file: r.file,
    kind: r.kind ?? null,
    valid: r.valid,
    errors: r.findings.filter((f) => f.severity === 'error').length,
    warnings: r.findings.filter((f) => f.severity === 'warning').length,
    findings: r.findings,
    networks: r.networks.map((n) => ({
      entry: n.entry,
      network: n.network,
      cniVersion: n.cniVersion,
      subnets: n.subnets.map((s) => ({ subnet: s.prefix, gateway: s.gateway, family: s.family })),
      adapter: n.config.adapter ?? null,
      dataDir: n.config.ipam.dataDir,
      outboundNatExceptions: n.config.outboundNatExceptions ?? null,
    })),
  };
}

export async function runValidate(argv: string[]): Promise<number> {
  const a = parseArgs('validate', argv, OPTIONS);
  if (a.flag('help')) {
    out(helpText(USAGE, DESCRIPTION, OPTIONS, '0 every file is valid, 1 a file has errors (or warnings with --strict) or the command line is wrong'));
    return Exit.Ok;
  }
  const platform = parsePlatform(a.value('platform'), 'validate');
  if (a.positionals.length === 0) throw new UsageError('name the file(s) to check', 'validate');
  const { files, emptyDirs } = expand(a.positionals);
  const reports = files.map((f) => validateFile(f, platform, a.flag('strict')));
  for (const d of emptyDirs) {
    reports.push({ file: d, kind: undefined, networks: [], valid: false, findings: [{ severity: 'error', path: '(file)', message: 'the directory has no .conflist, .conf or .json file' }] });
  }
  const valid = reports.every((r) => r.valid);
  if (a.flag('json')) outJson({ valid, platform: platformName(platform), files: reports.map(jsonReport) });
  else out(reports.flatMap((r) => renderReport(r, platform)).join('\n'));
  return valid ? Exit.Ok : Exit.Error;
}
