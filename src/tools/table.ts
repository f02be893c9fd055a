// Plain-text tables for terminals and logs: left-aligned columns two spaces apart, no trailing
// spaces, "-" for an empty cell so columns stay readable when copied.

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string[] {
  const cells = rows.map((r) => headers.map((_, i) => (r[i] === undefined || r[i] === '' ? '-' : (r[i] as string))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (r: readonly string[]): string => (indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ')).trimEnd();
  return [line(headers), ...cells.map(line)];
}

/** The first `n` characters and an ellipsis, for IDs that are 64 hex digits. */
export function shorten(s: string | undefined, n: number): string {
  if (s === undefined) return '';
  return s.length <= n ? s : `${s.slice(0, n)}…`;
}
