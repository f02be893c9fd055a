// `hnsbridge inspect`: this plugin's network, endpoints and reservations as HNS and the IPAM store
// hold them now, with leaks marked (leaks.ts). Read-only. Exit 0 without leaks, 2 with, 1 on error.

import { type OptionSpec, helpText, parseArgs } from './args.js';
import { Exit, UsageError } from './errors.js';
import { type Inventory, gatherInventory } from './inventory.js';
import { out, outJson } from './io.js';
import { type Leak, countByKind, findLeaks } from './leaks.js';
import { describeSubnets, plural } from './render.js';
import { renderTable, shorten } from './table.js';
import { describeBackend, hnsFailure, loadNodeConfig, openToolContext, storeDir } from './tool-context.js';

export const CONFIG_OPTION: OptionSpec = { name: 'config', kind: 'value', metavar: 'FILE|DIR', help: 'the conflist, or the conf_dir to take it from (default C:\\etc\\cni\\net.d on Windows, /etc/cni/net.d elsewhere)' };

const OPTIONS: OptionSpec[] = [
  CONFIG_OPTION,
  { name: 'json', kind: 'flag', help: 'print one JSON document instead of tables' },
  { name: 'wide', kind: 'flag', help: 'show full container IDs and endpoint names' },
];

const USAGE = 'hnsbridge inspect [--config FILE|DIR] [--json] [--wide]';
const DESCRIPTION = [
  "Lists this plugin's HNS network(s), their endpoints (IP, MAC, namespace, policy types) and the IPAM",
  'reservations, and marks leaks: an endpoint without a reservation, a reservation without an endpoint,',
  'an endpoint in no namespace or in one that no longer exists. Reads only: nothing is changed.',
  'HNS is reached like the plugin does (HNS_BACKEND, HNS_MOCK_ADDRESS).',
].join('\n');

export interface InspectReport {
  config: string;
  backend: string;
  store: string;
  inventory: Inventory;
  leaks: Leak[];
  notes: string[];
}

/** Facts about the network that are not leaks but explain a failing ADD. */
function notesFor(inv: Inventory): string[] {
  const notes: string[] = [];
  if (inv.networks.length === 0) notes.push(`HNS has no network "${inv.network}" (yet): the first ADD creates it`);
  if (inv.networks.length > 1) notes.push(`HNS has ${inv.networks.length} networks named "${inv.network}"; ADD uses the first that matches the config`);
  for (const n of inv.networks) {
    if (n.mismatch !== undefined) notes.push(`network ${n.id} does not match the config: ${n.mismatch}; ADD refuses it`);
    if (n.gateway === undefined) notes.push(n.gatewayHeldBy !== undefined ? `the bridge gateway address is held by endpoint ${n.gatewayHeldBy}, not hnsbridge's gateway endpoint` : `network ${n.id} has no gateway endpoint: pods have no next hop until the next ADD recreates it`);
  }
  return notes;
}

export async function inspectNode(configOpt: string | undefined, platform: NodeJS.Platform): Promise<InspectReport> {
  const { file, config } = loadNodeConfig(configOpt, platform);
  const ctx = openToolContext(config, platform, true);
  try {
    const inventory = await gatherInventory(ctx);
    return { config: file, backend: describeBackend(platform), store: storeDir(config), inventory, leaks: findLeaks(inventory.endpoints, inventory.reservations, inventory.network), notes: notesFor(inventory) };
  } catch (e) {
    throw hnsFailure(e, platform);
  } finally {
    await ctx.close();
  }
}

function tableOrNone(headers: readonly string[], rows: readonly (readonly string[])[], indent: string): string[] {
  return rows.length === 0 ? [`${indent}(none)`] : renderTable(headers, rows, indent);
}

function leakKindsOf(leaks: readonly Leak[], match: (l: Leak) => boolean): string[] {
  return leaks.filter(match).map((l) => l.kind);
}

export function renderInspect(r: InspectReport, wide: boolean): string[] {
  const inv = r.inventory;
  const id = (s: string | undefined): string => (wide ? s ?? '' : shorten(s, 12));
  const lines = [`network "${inv.network}" (config ${r.config}; ${r.backend})`, `config subnets: ${describeSubnets(inv.expected)}`, ''];

  lines.push(
    ...tableOrNone(
      ['NETWORK ID', 'NAME', 'TYPE', 'SUBNETS', 'GATEWAY ENDPOINT'],
      inv.networks.map((n) => [n.id, n.name, n.type, n.subnets.join(','), n.gateway ? `${n.gateway.name} ${n.gateway.ips.join(',')}` : n.gatewayHeldBy ? `(held by ${n.gatewayHeldBy})` : 'MISSING']),
      '',
    ),
  );
  const count = (o: string): number => inv.endpoints.filter((e) => e.owner === o).length;
  lines.push('', `ENDPOINTS: ${inv.endpoints.length} (${plural(count('pod'), 'pod')}, ${plural(count('gateway'), 'gateway')}, ${count('other')} other)`);
  lines.push(
    ...tableOrNone(
      ['CONTAINER', 'IFNAME', 'IP', 'MAC', 'NAMESPACE', 'POLICIES', 'LEAK'],
      inv.endpoints.map((e) => [
        e.owner === 'pod' ? id(e.containerId ?? e.name) : e.owner === 'gateway' ? '(gateway)' : wide ? e.name : `(${shorten(e.name, 24)})`,
        e.ifname ?? '',
        e.ips.join(','),
        e.mac ?? '',
        e.namespace === undefined ? 'NONE' : e.namespaceExists === false ? `${e.namespace} (GONE)` : e.namespace,
        e.policyTypes.join(','),
        leakKindsOf(r.leaks, (l) => l.endpointId === e.id).join(','),
      ]),
      '',
    ),
  );
  lines.push('', `RESERVATIONS: ${inv.reservations.length} (store ${r.store})`);
  lines.push(
    ...tableOrNone(
      ['IP', 'CONTAINER', 'IFNAME', 'LEAK'],
      inv.reservations.map((res) => [res.ip, id(res.containerId), res.ifname ?? '', leakKindsOf(r.leaks, (l) => l.kind === 'reservation-without-endpoint' && l.ip === res.ip).join(',')]),
      '',
    ),
  );
  for (const n of r.notes) lines.push('', `note: ${n}`);
  if (r.leaks.length === 0) {
    lines.push('', 'no leaks');
    return lines;
  }
  lines.push('', `LEAKS: ${r.leaks.length}`);
  for (const l of r.leaks) {
    const who = l.containerId !== undefined ? `${id(l.containerId)}/${l.ifname ?? '*'}` : l.endpointName ?? '';
    lines.push(`  ${l.kind}  ${who}  ${l.ip ?? ''}${l.endpointName && wide ? `  ${l.endpointName}` : ''}`.trimEnd(), `    ${l.why}`);
  }
  lines.push(
    '',
    'hint: containerd 2.x removes leaks itself with CNI GC (cniVersion 1.1.0). To see what GC would remove,',
    '      given the pods that should exist (crictl pods -q lists their sandbox IDs):',
    '      hnsbridge gc --dry-run --valid <containerId>/<ifname> …',
  );
  return lines;
}

export function inspectJson(r: InspectReport): Record<string, unknown> {
  const inv = r.inventory;
  return {
    config: r.config,
    backend: r.backend,
    network: inv.network,
    store: r.store,
    expected: inv.expected.map((s) => ({ subnet: s.prefix, gateway: s.gateway })),
    networks: inv.networks,
    endpoints: inv.endpoints.map((e) => ({ ...e, leaks: leakKindsOf(r.leaks, (l) => l.endpointId === e.id) })),
    reservations: inv.reservations.map((res) => ({ ...res, leaks: leakKindsOf(r.leaks, (l) => l.kind === 'reservation-without-endpoint' && l.ip === res.ip) })),
    leaks: r.leaks,
    notes: r.notes,
    summary: { networks: inv.networks.length, endpoints: inv.endpoints.length, podEndpoints: inv.endpoints.filter((e) => e.owner === 'pod').length, reservations: inv.reservations.length, leaks: r.leaks.length, byKind: countByKind(r.leaks) },
  };
}

export async function runInspect(argv: string[]): Promise<number> {
  const a = parseArgs('inspect', argv, OPTIONS);
  if (a.flag('help')) {
    out(helpText(USAGE, DESCRIPTION, OPTIONS, '0 no leaks, 2 leaks found, 1 error (bad config, HNS unreachable)'));
    return Exit.Ok;
  }
  if (a.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(a.positionals[0])} (use --config)`, 'inspect');
  const report = await inspectNode(a.value('config'), process.platform);
  if (a.flag('json')) outJson(inspectJson(report));
  else out(renderInspect(report, a.flag('wide')).join('\n'));
  return report.leaks.length > 0 ? Exit.Found : Exit.Ok;
}
