// Reading a network config file the way an operator needs it checked: the bytes containerd would
// read, decoded strictly, with encoding and syntax problems reported as findings (line and column
// for JSON errors). Also: which file in a conf_dir is hnsbridge's.

import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { MAX_CONFIG_BYTES } from '../cni/stdin.js';
import type { Finding } from './check-config.js';
import { PLUGIN_TYPE } from '../cni/netconf.js';
import { hnsbridgeEntries } from './conflist.js';
import { locateJsonError } from './json-locate.js';

export interface ReadConfig {
  /** The parsed document; undefined when the file could not be read or parsed. */
  doc: unknown;
  /** Encoding and syntax problems (errors), in file order. */
  findings: Finding[];
}

/** The file extensions containerd (libcni ConfFiles) loads from conf_dir. */
export const CONFIG_EXTENSIONS = ['.conf', '.conflist', '.json'] as const;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const BOM_HINT =
  'containerd parses the file with Go\'s JSON decoder, which fails on it ("invalid character \'ï\' looking for beginning of value"). ' +
  'Save it as UTF-8 without BOM: Windows PowerShell 5.1\'s Set-Content/Out-File -Encoding UTF8 add one; use [IO.File]::WriteAllText() or PowerShell 7\'s -Encoding utf8NoBOM';

/** Decodes and parses config bytes; never throws. */
export function parseConfigBytes(bytes: Buffer): ReadConfig {
  const findings: Finding[] = [];
  const fail = (message: string, hint?: string): ReadConfig => ({ doc: undefined, findings: [...findings, hint === undefined ? { severity: 'error', path: '(file)', message } : { severity: 'error', path: '(file)', message, hint }] });
  if (bytes.length > MAX_CONFIG_BYTES) return fail(`the file is ${bytes.length} bytes; hnsbridge accepts at most ${MAX_CONFIG_BYTES}`);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return fail('the file is UTF-16 (it starts with a UTF-16 byte-order mark)', 'save it as UTF-8 without BOM; Windows PowerShell 5.1\'s ">" and Out-File write UTF-16');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return fail('the file is not valid UTF-8', 'save it as UTF-8 (it may be in a legacy code page such as Windows-1252)');
  }
  if (text.charCodeAt(0) === 0xfeff) {
    // Reported, then stripped so the rest of the file is still checked.
    findings.push({ severity: 'error', path: '(file)', message: 'the file starts with a UTF-8 byte-order mark (BOM)', hint: BOM_HINT });
    text = text.slice(1);
  }
  try {
    return { doc: JSON.parse(text) as unknown, findings };
  } catch (e) {
    const loc = locateJsonError(text);
    if (loc === undefined) return fail(`not valid JSON: ${(e as Error).message}`);
    const f: Finding = { severity: 'error', path: '(file)', message: `not valid JSON: ${loc.message}`, line: loc.line, column: loc.column, excerpt: loc.excerpt };
    if (loc.hint !== undefined) f.hint = loc.hint;
    return { doc: undefined, findings: [...findings, f] };
  }
}

/** Reads one file; a missing or unreadable file is a finding, not an exception. */
export function readConfigFile(file: string): ReadConfig {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read it: ${(e as Error).message}`;
    return { doc: undefined, findings: [{ severity: 'error', path: '(file)', message }] };
  }
  return parseConfigBytes(bytes);
}

/** The config files of a directory in the order containerd considers them (by name, byte order). */
export function configFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && (CONFIG_EXTENSIONS as readonly string[]).includes(extname(d.name).toLowerCase()))
    .map((d) => d.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(dir, n));
}

/** The first config file in `dir` that parses and has an hnsbridge plugin, or undefined. */
export function findHnsbridgeConfig(dir: string): string | undefined {
  for (const file of configFilesIn(dir)) {
    const { doc } = readConfigFile(file);
    if (hasHnsbridgePlugin(doc)) return file;
  }
  return undefined;
}

/** True for a conflist with an hnsbridge plugin, or a single plugin config of type hnsbridge. */
export function hasHnsbridgePlugin(doc: unknown): boolean {
  return hnsbridgeEntries(doc).entries.some((e) => Object.entries(e.config).some(([k, v]) => k.toLowerCase() === 'type' && v === PLUGIN_TYPE));
}

/** containerd's default conf_dir on this platform. */
export function defaultConfDir(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'C:\\etc\\cni\\net.d' : '/etc/cni/net.d';
}
