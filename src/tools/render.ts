// Text rendering shared by the commands: findings with their hints, and one-line network summaries.

import type { BridgeSubnet } from '../bridge/gateway.js';
import type { Finding } from './check-config.js';

/** `error    path: message` lines, the excerpt of a syntax error under it, then the hint. */
export function renderFindings(findings: readonly Finding[], indent = '  '): string[] {
  const lines: string[] = [];
  for (const f of findings) {
    const where = f.line !== undefined ? `${f.path} line ${f.line}, column ${f.column ?? 1}` : f.path;
    lines.push(`${indent}${f.severity.padEnd(8)} ${where}: ${f.message}`);
    const pad = `${indent}${' '.repeat(9)}`;
    if (f.excerpt !== undefined) for (const l of f.excerpt.split('\n')) lines.push(`${pad}  ${l}`);
    if (f.hint !== undefined) lines.push(`${pad}hint: ${f.hint}`);
  }
  return lines;
}

/** `10.244.1.0/24 (gateway 10.244.1.2), fd00::/64 (gateway fd00::2)` */
export function describeSubnets(subnets: readonly BridgeSubnet[]): string {
  return subnets.map((s) => `${s.prefix} (gateway ${s.gateway})`).join(', ');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The --platform value as Node names it. */
export function platformName(p: NodeJS.Platform): string {
  return p === 'win32' ? 'windows' : p;
}
