// `hnsbridge gc`: what CNI GC would remove from this node, computed by the GC verb's own planGc.
//
// Real GC is containerd's job (containerd 2.x with cniVersion 1.1.0 calls GC with every attachment
// it knows). So --dry-run is the default use; without it the command refuses. --yes runs the GC
// verb's code by hand, for nodes whose containerd (1.7) never calls GC: it needs the attachments that
// must survive (--valid), or --all to say that no pod on the node should keep its network.

import { ID_PATTERN, interfaceNameProblem } from '../cni/env.js';
import type { Attachment } from '../cni/netconf.js';
import { gc, planGc, type GcPlan } from '../bridge/gc.js';
import { openLogger, resolveLogTarget, silentLogger } from '../log.js';
import { type OptionSpec, helpText, parseArgs } from './args.js';
import { Exit, ToolError, UsageError } from './errors.js';
import { out, outJson } from './io.js';
import { CONFIG_OPTION } from './inspect.js';
import { parsePodEndpointName } from './pod-names.js';
import { plural } from './render.js';
import { renderTable } from './table.js';
import { hnsFailure, loadNodeConfig, openToolContext } from './tool-context.js';

const OPTIONS: OptionSpec[] = [
  { name: 'dry-run', kind: 'flag', help: 'show what GC would remove; change nothing' },
  { name: 'valid', kind: 'list', metavar: 'CID[/IFNAME]', help: 'an attachment that must survive (ifname defaults to eth0); repeat or comma-separate' },
  CONFIG_OPTION,
  { name: 'json', kind: 'flag', help: 'print one JSON document' },
  { name: 'yes', kind: 'flag', help: 'really remove (for containerd 1.7, which never calls GC); needs --valid or --all' },
  { name: 'all', kind: 'flag', help: 'with --yes and no --valid: no attachment survives (a drained node)' },
];

const USAGE = 'hnsbridge gc --dry-run [--valid CID[/IFNAME] …] [--config FILE|DIR] [--json]';
const DESCRIPTION = [
  "Shows what CNI GC would remove: this plugin's pod endpoints and IP reservations whose attachment is not",
  'in the --valid list (the same computation the GC verb makes). Without --valid that is everything.',
  'GC itself is containerd\'s job (containerd 2.x, cniVersion 1.1.0). On containerd 1.7, which never calls',
  'GC, --yes runs the GC verb by hand with the --valid list; --all instead of --valid removes every pod\'s.',
].join('\n');

/** `cid/ifname` or `cid` (eth0), checked like CNI_CONTAINERID and CNI_IFNAME. */
export function parseAttachment(text: string): Attachment {
  const slash = text.indexOf('/');
  const containerId = slash < 0 ? text : text.slice(0, slash);
  const ifname = slash < 0 ? 'eth0' : text.slice(slash + 1);
  if (!ID_PATTERN.test(containerId)) throw new UsageError(`--valid ${JSON.stringify(text)}: the container ID must match ${ID_PATTERN.source}`, 'gc');
  const problem = interfaceNameProblem(ifname);
  if (problem !== undefined) throw new UsageError(`--valid ${JSON.stringify(text)}: the interface name ${problem}`, 'gc');
  return { containerId, ifname };
}

function planJson(network: string, valid: readonly Attachment[], plan: GcPlan): Record<string, unknown> {
  return {
    network,
    valid,
    endpoints: plan.endpoints.map((ep) => ({
      id: ep.ID,
      name: ep.Name ?? '',
      ...parsePodEndpointName(ep.Name ?? '', network),
      ips: (ep.IpConfigurations ?? []).map((c) => c.IpAddress ?? ''),
      namespace: ep.HostComputeNamespace ?? null,
    })),
    reservations: plan.reservations.map((r) => ({ ip: r.ip, containerId: r.containerId, ifname: r.ifname ?? null })),
  };
}

function renderPlan(network: string, valid: readonly Attachment[], plan: GcPlan, dryRun: boolean): string[] {
  const [remove, release] = dryRun ? ['would remove', 'release'] : ['removes', 'releases'];
  const lines = [`network "${network}": GC ${remove} ${plural(plan.endpoints.length, 'endpoint')} and ${release} ${plural(plan.reservations.length, 'reservation')} (keeping ${plural(valid.length, 'valid attachment')})`];
  if (plan.endpoints.length > 0) {
    lines.push('', ...renderTable(['ENDPOINT', 'CONTAINER', 'IFNAME', 'IP', 'NAMESPACE'], plan.endpoints.map((ep) => {
      const who = parsePodEndpointName(ep.Name ?? '', network);
      return [ep.ID, who?.containerId ?? '', who?.ifname ?? '', (ep.IpConfigurations ?? []).map((c) => c.IpAddress ?? '').join(','), ep.HostComputeNamespace ?? ''];
    }), ''));
  }
  if (plan.reservations.length > 0) {
    lines.push('', ...renderTable(['IP', 'CONTAINER', 'IFNAME'], plan.reservations.map((r) => [r.ip, r.containerId, r.ifname ?? '']), ''));
  }
  return lines;
}

export async function runGc(argv: string[]): Promise<number> {
  const a = parseArgs('gc', argv, OPTIONS);
  if (a.flag('help')) {
    out(helpText(USAGE, DESCRIPTION, OPTIONS, '--dry-run: 0 nothing to remove, 2 something would be removed; --yes: 0 done; 1 error'));
    return Exit.Ok;
  }
  if (a.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(a.positionals[0])} (attachments go after --valid)`, 'gc');
  const dryRun = a.flag('dry-run');
  const yes = a.flag('yes');
  if (dryRun && yes) throw new UsageError('--dry-run and --yes contradict each other', 'gc');
  if (!dryRun && !yes) {
    throw new ToolError(
      'refusing to remove anything without --dry-run (look) or --yes (remove)',
      'containerd 2.x runs CNI GC itself with the attachments it knows; "hnsbridge gc --dry-run --valid <cid>/<ifname> …" shows what would go. On containerd 1.7, which never calls GC, add --yes.',
    );
  }
  const valid = a.list('valid').map(parseAttachment);
  if (a.flag('all') && valid.length > 0) throw new UsageError('--all means no attachment is valid; drop it or the --valid list', 'gc');
  if (yes && valid.length === 0 && !a.flag('all')) {
    throw new ToolError(
      'with no --valid attachment GC removes the network of every pod on this node',
      'list the running pods with --valid <cid>/<ifname> (crictl pods -q gives their IDs), or say --all on a drained node',
    );
  }

  const platform = process.platform;
  const { config, log } = loadNodeConfig(a.value('config'), platform);
  // A real GC by hand is logged where the plugin logs, as the GC verb would be.
  const logger = dryRun ? silentLogger() : openLogger(resolveLogTarget(log, process.env, platform), { tool: 'hnsbridge gc --yes' });
  const ctx = openToolContext(config, platform, dryRun, logger);
  try {
    const plan = await planGc(ctx, valid);
    if (a.flag('json')) outJson({ dryRun, ...planJson(config.network, valid, plan) });
    else out(renderPlan(config.network, valid, plan, dryRun).join('\n'));
    if (dryRun) return plan.endpoints.length + plan.reservations.length > 0 ? Exit.Found : Exit.Ok;
    logger.info({ valid, endpoints: plan.endpoints.length, reservations: plan.reservations.length }, 'GC run by hand');
    await gc(ctx, valid);
    if (!a.flag('json')) out('done');
    return Exit.Ok;
  } catch (e) {
    const mapped = hnsFailure(e, platform);
    if (mapped instanceof ToolError) throw mapped;
    // GC's own failure (some objects could not be removed) is a CniError with the list in details.
    const details = (e as { details?: unknown }).details;
    throw new ToolError(`${(e as Error).message}${typeof details === 'string' && details !== '' ? `\n${details}` : ''}`);
  } finally {
    await ctx.close();
  }
}
