// Entry point of hnsbridge(.exe). containerd runs it once per verb with CNI_COMMAND set; an operator
// runs it with a sub-command (validate, inspect, gc) or --help. Nothing happens at import time:
// start-up cost is paid on every pod verb.

import { runCni } from './cni/skel.js';
import { usageText } from './cni/usage.js';
import { PLUGIN_VERSION } from './version.js';

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === '--version' || first === '-v' || first === '--help' || first === '-h' || first === 'help') {
    process.stderr.write(usageText(PLUGIN_VERSION));
    return 0;
  }
  if (first !== undefined && !first.startsWith('-')) {
    const { runTool } = await import('./tools/index.js');
    return runTool(first, argv.slice(1));
  }
  if (!process.env.CNI_COMMAND) {
    process.stderr.write(usageText(PLUGIN_VERSION));
    return 0;
  }
  return runCni(async () => (await import('./bridge/plugin.js')).bridgePlugin);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Only reachable through a bug in the tool layer: runCni never throws.
    process.stderr.write(`hnsbridge: fatal: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
