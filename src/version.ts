// The plugin's own version (not the CNI spec versions; those are in src/cni/version.ts).
//
// The build (scripts/build.mjs) replaces __HNSBRIDGE_VERSION__ with package.json's version, so the
// packaged binary never reads a file for it: there is no package.json beside an installed plugin.
// Under vitest or plain node the identifier is not defined and package.json is read instead.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

declare const __HNSBRIDGE_VERSION__: string | undefined;

export const PLUGIN_VERSION: string =
  typeof __HNSBRIDGE_VERSION__ === 'string' ? __HNSBRIDGE_VERSION__ : packageJsonVersion();

function packageJsonVersion(): string {
  // A file read rather than require('../package.json'), so a bundle never embeds package.json.
  const file = join(__dirname, '..', 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error(`${file} has no "version"`);
  return pkg.version;
}
