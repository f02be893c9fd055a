// `hnsbridge conflist`: writes the conflist for a node from a few facts about it (pod subnet,
// cluster and service CIDRs, adapter, DNS …) and checks it with the validation ADD uses before
// printing it, so an installer never puts a config in place that the plugin would refuse.
// scripts/install.ps1 calls it; each flag below has the PowerShell parameter that feeds it (a unit
// test holds the script and this table together).

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type OptionSpec, type ParsedArgs, helpText, parseArgs } from './args.js';
import { type CheckedNetwork, type Finding, checkConfigDocument } from './check-config.js';
import { Exit, ToolError, UsageError } from './errors.js';
import { err, out } from './io.js';
import { describeSubnets, platformName, renderFindings } from './render.js';
import { PLATFORM_OPTION, parsePlatform } from './validate.js';

export interface ConflistOptions {
  podSubnet: string;
  gateway?: string;
  clusterCidr: string[];
  serviceCidr: string[];
  nodeSubnet: string[];
  adapter?: string;
  managementIp?: string;
  dns: string[];
  dnsSearch: string[];
  name: string;
  cniVersion: string;
  logFile?: string;
  dataDir?: string;
  ipv6PodSubnet?: string;
}

export const DEFAULT_NETWORK_NAME = 'k8s-pod-network';
/** containerd 1.7's libcni reads configs up to 1.0.0; 1.1.0 (GC, STATUS) needs containerd 2.x. */
export const DEFAULT_CNI_VERSION = '1.0.0';

export interface GeneratorFlag extends OptionSpec {
  /** The install.ps1 parameter that feeds this flag. */
  psParam: string;
  required?: boolean;
  /** Where the flag's value lands in the conflist: problems under this path are reported against the flag. */
  jsonPath: string;
}

export const GENERATOR_FLAGS: readonly GeneratorFlag[] = [
  { name: 'pod-subnet', kind: 'value', metavar: 'CIDR', psParam: 'PodSubnet', required: true, jsonPath: 'plugins[0].ipam.ranges[0]', help: "this node's pod subnet, e.g. 10.244.1.0/24 (the node's podCIDR)" },
  { name: 'gateway', kind: 'value', metavar: 'IP', psParam: 'Gateway', jsonPath: 'plugins[0].ipam.ranges[0][0].gateway', help: 'the bridge gateway (host vNIC) address; default: subnet base + 2' },
  { name: 'cluster-cidr', kind: 'list', metavar: 'CIDR', psParam: 'ClusterCidr', required: true, jsonPath: 'plugins[0].clusterCIDR', help: "the cluster's pod network (not NATed), e.g. 10.244.0.0/16; comma-separated for dual-stack" },
  { name: 'service-cidr', kind: 'list', metavar: 'CIDR', psParam: 'ServiceCidr', required: true, jsonPath: 'plugins[0].serviceCIDR', help: 'the service range, e.g. 10.96.0.0/12; comma-separated for dual-stack' },
  { name: 'node-subnet', kind: 'list', metavar: 'CIDR', psParam: 'NodeSubnet', jsonPath: 'plugins[0].nodeSubnet', help: "the nodes' own subnet (not NATed)" },
  { name: 'adapter', kind: 'value', metavar: 'NAME', psParam: 'Adapter', jsonPath: 'plugins[0].adapter', help: 'host adapter for the L2Bridge network, e.g. Ethernet; default: HNS chooses' },
  { name: 'management-ip', kind: 'value', metavar: 'IP', psParam: 'ManagementIp', jsonPath: 'plugins[0].managementIP', help: "the node's own IP (pods reach the host through it)" },
  { name: 'dns', kind: 'list', metavar: 'IP', psParam: 'Dns', jsonPath: 'plugins[0].dns.nameservers', help: 'cluster DNS server(s), comma-separated, e.g. 10.96.0.10' },
  { name: 'dns-search', kind: 'list', metavar: 'DOMAIN', psParam: 'DnsSearch', jsonPath: 'plugins[0].dns.search', help: 'DNS search domains, comma-separated, e.g. svc.cluster.local,cluster.local' },
  { name: 'name', kind: 'value', metavar: 'NAME', psParam: 'NetworkName', jsonPath: 'name', help: `network name (HNS network and IPAM store directory); default ${DEFAULT_NETWORK_NAME}` },
  { name: 'cni-version', kind: 'value', metavar: 'VERSION', psParam: 'CniVersion', jsonPath: 'cniVersion', help: `cniVersion of the list; default ${DEFAULT_CNI_VERSION} (1.1.0 enables GC and STATUS, needs containerd 2.x)` },
  { name: 'log-file', kind: 'value', metavar: 'PATH', psParam: 'LogFile', jsonPath: 'plugins[0].log.file', help: 'absolute log file path; default C:\\k\\cni\\logs\\hnsbridge.log' },
  { name: 'data-dir', kind: 'value', metavar: 'PATH', psParam: 'DataDir', jsonPath: 'plugins[0].ipam.dataDir', help: 'IPAM store root; default C:\\var\\lib\\cni\\networks' },
  { name: 'ipv6-pod-subnet', kind: 'value', metavar: 'CIDR', psParam: 'Ipv6PodSubnet', jsonPath: 'plugins[0].ipam.ranges[1]', help: "this node's IPv6 pod subnet, for dual-stack" },
];

const OPTIONS: OptionSpec[] = [
  ...GENERATOR_FLAGS,
  { name: 'output', kind: 'value', metavar: 'FILE', help: 'write the conflist to FILE (UTF-8 without BOM, replaced atomically) instead of stdout' },
  PLATFORM_OPTION,
];

const USAGE = 'hnsbridge conflist --pod-subnet CIDR --cluster-cidr CIDR --service-cidr CIDR [options]';
const DESCRIPTION = [
  'Prints the hnsbridge conflist for a node, after checking it with the validation ADD uses',
  '(the same as "hnsbridge validate"). Nothing is written unless --output is given.',
].join('\n');

/** The conflist for these options. Values are placed as given: checking them is validation's job. */
export function buildConflist(o: ConflistOptions): Record<string, unknown> {
  const one = (xs: string[]): string | string[] => (xs.length === 1 ? (xs[0] as string) : xs);
  const range: Record<string, string> = { subnet: o.podSubnet };
  if (o.gateway !== undefined) range.gateway = o.gateway;
  const ranges: Record<string, string>[][] = [[range]];
  if (o.ipv6PodSubnet !== undefined) ranges.push([{ subnet: o.ipv6PodSubnet }]);
  const ipam: Record<string, unknown> = { type: 'host-local', ranges };
  if (o.dataDir !== undefined) ipam.dataDir = o.dataDir;

  const plugin: Record<string, unknown> = { type: 'hnsbridge', capabilities: { portMappings: true, dns: true } };
  if (o.adapter !== undefined) plugin.adapter = o.adapter;
  plugin.ipam = ipam;
  if (o.dns.length > 0 || o.dnsSearch.length > 0) {
    const dns: Record<string, string[]> = {};
    if (o.dns.length > 0) dns.nameservers = o.dns;
    if (o.dnsSearch.length > 0) dns.search = o.dnsSearch;
    plugin.dns = dns;
  }
  plugin.clusterCIDR = one(o.clusterCidr);
  plugin.serviceCIDR = one(o.serviceCidr);
  if (o.nodeSubnet.length > 0) plugin.nodeSubnet = one(o.nodeSubnet);
  if (o.managementIp !== undefined) plugin.managementIP = o.managementIp;
  if (o.logFile !== undefined) plugin.log = { file: o.logFile };
  return { cniVersion: o.cniVersion, name: o.name, plugins: [plugin] };
}

/** The options from a parsed command line; a missing required flag is a usage error. */
export function conflistOptions(a: ParsedArgs): ConflistOptions {
  const missing = GENERATOR_FLAGS.filter((f) => f.required && !a.has(f.name)).map((f) => `--${f.name}`);
  if (missing.length > 0) throw new UsageError(`missing ${missing.join(', ')}`, 'conflist');
  const o: ConflistOptions = {
    podSubnet: a.value('pod-subnet') as string,
    clusterCidr: a.list('cluster-cidr'),
    serviceCidr: a.list('service-cidr'),
    nodeSubnet: a.list('node-subnet'),
    dns: a.list('dns'),
    dnsSearch: a.list('dns-search'),
    name: a.value('name') ?? DEFAULT_NETWORK_NAME,
    cniVersion: a.value('cni-version') ?? DEFAULT_CNI_VERSION,
  };
  const optional = { gateway: 'gateway', adapter: 'adapter', managementIp: 'management-ip', logFile: 'log-file', dataDir: 'data-dir', ipv6PodSubnet: 'ipv6-pod-subnet' } as const;
  for (const [key, flag] of Object.entries(optional) as [keyof typeof optional, string][]) {
    const v = a.value(flag);
    if (v !== undefined) o[key] = v;
  }
  return o;
}

/** Reports a problem against the flag whose value it is about, keeping the JSON path for reference. */
export function blameFlag(f: Finding): Finding {
  const flag = [...GENERATOR_FLAGS].sort((x, y) => y.jsonPath.length - x.jsonPath.length).find((g) => f.path === g.jsonPath || f.path.startsWith(`${g.jsonPath}.`) || f.path.startsWith(`${g.jsonPath}[`));
  return flag === undefined ? f : { ...f, path: `--${flag.name} (${f.path})` };
}

export interface Generated {
  doc: Record<string, unknown>;
  text: string;
  findings: Finding[];
  ok: boolean;
  /** The network as validation read it (when ok). */
  network: CheckedNetwork | undefined;
}

/** Builds and checks the conflist. `fileName` lets the check see the extension it will be saved under. */
export function generateConflist(o: ConflistOptions, platform: NodeJS.Platform, fileName?: string): Generated {
  const doc = buildConflist(o);
  const checked = checkConfigDocument(doc, fileName === undefined ? { platform } : { platform, fileName });
  const findings = checked.findings.map(blameFlag);
  return { doc, text: `${formatJson(doc)}\n`, findings, ok: !findings.some((f) => f.severity === 'error'), network: checked.networks[0] };
}

/**
 * JSON laid out like the examples in conf/: a container that fits on its line stays on one line
 * (`[{ "subnet": "10.244.1.0/24" }]`), larger ones are broken up with two-space indentation.
 * The text is still plain JSON; only the whitespace differs from JSON.stringify(doc, null, 2).
 */
export function formatJson(v: unknown, indent = '', width = 100): string {
  const inline = (x: unknown): string => {
    if (Array.isArray(x)) return `[${x.map(inline).join(', ')}]`;
    if (x !== null && typeof x === 'object') {
      const e = Object.entries(x);
      return e.length === 0 ? '{}' : `{ ${e.map(([k, val]) => `${JSON.stringify(k)}: ${inline(val)}`).join(', ')} }`;
    }
    return JSON.stringify(x);
  };
  const flat = inline(v);
  if (v === null || typeof v !== 'object' || indent.length + flat.length <= width - 20) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + formatJson(x, inner, width)).join(',\n')}\n${indent}]`;
  const body = Object.entries(v).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${formatJson(x, inner, width)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}

/** Write-then-rename in the target directory, so a reader never sees half a file. */
function writeAtomically(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { encoding: 'utf8' });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new ToolError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

export async function runConflist(argv: string[]): Promise<number> {
  const a = parseArgs('conflist', argv, OPTIONS);
  if (a.flag('help')) {
    out(helpText(USAGE, DESCRIPTION, OPTIONS, '0 the conflist was printed (or written), 1 it would not be valid or the command line is wrong'));
    return Exit.Ok;
  }
  if (a.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(a.positionals[0])}`, 'conflist');
  const platform = parsePlatform(a.value('platform'), 'conflist');
  const output = a.value('output');
  const g = generateConflist(conflistOptions(a), platform, output);
  if (!g.ok) {
    err(['hnsbridge conflist: the options do not make a valid config:', ...renderFindings(g.findings)].join('\n'));
    return Exit.Error;
  }
  if (g.findings.length > 0) err(renderFindings(g.findings).join('\n'));
  if (output === undefined) {
    out(g.text);
  } else {
    writeAtomically(output, g.text);
    const net = g.network;
    out(`wrote ${output}: network "${net?.network ?? ''}", subnets ${net ? describeSubnets(net.subnets) : ''}, cniVersion ${net?.cniVersion ?? ''} (checked for ${platformName(platform)})`);
  }
  return Exit.Ok;
}
