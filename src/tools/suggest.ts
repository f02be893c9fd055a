// "Did you mean …?" for misspelled keys and options. Mistyped config keys are silently ignored by
// most CNI plugins (the win-overlay docs themselves spelled `capabilites`), so every unknown name
// hnsbridge reports comes with the nearest known one when there is a plausible one.

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two neighbouring
 * characters (optimal string alignment): `clusterCIRD` is one step from `clusterCIDR`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => (d[i] as number[])[j] as number;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(rows - 1, cols - 1);
}

/**
 * The known name closest to `name` (case-insensitively), or undefined when none is close enough to
 * be a typo: one edit for short names, two from five characters on, three from twelve on.
 */
export function closest(name: string, known: readonly string[]): string | undefined {
  const n = name.toLowerCase();
  const limit = n.length < 5 ? 1 : n.length < 12 ? 2 : 3;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(n, k.toLowerCase());
    if (dist < bestD) {
      best = k;
      bestD = dist;
    }
  }
  return bestD <= limit ? best : undefined;
}

export function didYouMean(name: string, known: readonly string[]): string | undefined {
  const c = closest(name, known);
  return c === undefined ? undefined : `did you mean "${c}"?`;
}
