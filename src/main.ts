// The plugin's entry point. containerd runs hnsbridge(.exe) once per verb with CNI_COMMAND set; an
// operator runs it with a sub-command (validate, inspect, gc) or --help. In the executable this
// bundle is started by src/launcher.ts; run by plain node (`node build/app.cjs`) it starts itself.
// Nothing else happens at import time: start-up cost is paid on every pod verb.

import { runCni, type SkelIo } from './cni/skel.js';
import { writeAll } from './fd-write.js';
import { usageText } from './cni/usage.js';
import type { StartupInfo } from './launcher.js';
import { exitProcess } from './process-exit.js';
import { PLUGIN_VERSION } from './version.js';

const loadBridgePlugin = async () => (await import('./bridge/plugin.js')).bridgePlugin;

async function main(argv: string[], startup: StartupInfo): Promise<number> {
  const first = argv[0];
  if (first === '--version' || first === '-v') {
    writeAll(2, `${usageText(PLUGIN_VERSION)}\n${buildLine(startup)}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    writeAll(2, usageText(PLUGIN_VERSION));
    return 0;
  }
  if (first !== undefined && !first.startsWith('-')) {
    const { runTool } = await import('./tools/index.js');
    return runTool(first, argv.slice(1));
  }
  if (!process.env.CNI_COMMAND) {
    writeAll(2, usageText(PLUGIN_VERSION));
    return 0;
  }
  return runCni(loadBridgePlugin);
}

/** What --version adds for a support case: the runtime, and whether the start-up code cache is in use. */
function buildLine(startup: StartupInfo): string {
  const src = startup.cacheSource;
  const local = src !== undefined && src !== 'built-in' ? src.file : undefined;
  let cache: string;
  if (startup.codeCache === 'accepted') cache = local ? `in use (made on this node: ${local})` : 'in use (built in)';
  else if (local) cache = `${startup.codeCache === 'rejected' ? 'rejected' : 'not made yet'}; the next successful ADD writes ${local} (until then each start compiles from source)`;
  else cache = startup.codeCache === 'rejected' ? 'rejected by this runtime (each start compiles from source)' : 'none (each start compiles from source)';
  return `Runtime: Node ${process.version} ${process.platform}-${process.arch}; start-up code cache: ${cache}`;
}

/** Runs one invocation and exits with its code. */
export function run(argv: string[], startup: StartupInfo): void {
  main(argv, startup).then(
    (code) => exitProcess(code),
    (e: unknown) => {
      // Only reachable through a bug in the tool layer: runCni never throws.
      writeAll(2, `hnsbridge: fatal: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}

/** One CNI invocation with the given I/O, for the build's warm-up run (scripts/warm-cache.mjs). */
export function cni(io: SkelIo): Promise<number> {
  return runCni(loadBridgePlugin, io);
}

if (require.main === module) run(process.argv.slice(2), { codeCache: 'absent' });
