// `hns-mock dump --table`: the mock's state as readable tables (networks, endpoints, namespaces).

import {
  type HostComputeEndpoint,
  type HostComputeNamespace,
  type HostComputeNetwork,
  NetworkFlags,
  isJsonObject,
  namespaceEndpointIds,
  networkPoliciesOfType,
  networkType,
  parseEndpoint,
  parseNamespace,
  parseNetwork,
  sameGuid,
} from '../src/hns/schema.js';

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function list<T>(v: unknown, parse: (x: unknown, path: string) => T, what: string): T[] {
  if (!Array.isArray(v)) throw new Error(`dump: "${what}" is not an array`);
  return v.map((x, i) => parse(x, `${what}[${i}]`));
}

/** Renders a dump (as returned by the Dump RPC, so validated here) as three tables. */
export function renderDumpTable(dump: unknown): string {
  if (!isJsonObject(dump)) throw new Error('dump: not a JSON object');
  const networks: HostComputeNetwork[] = list(dump.networks, parseNetwork, 'networks');
  const endpoints: HostComputeEndpoint[] = list(dump.endpoints, parseEndpoint, 'endpoints');
  const namespaces: HostComputeNamespace[] = list(dump.namespaces, parseNamespace, 'namespaces');
  const version = isJsonObject(dump.version) ? `${String(dump.version.Major)}.${String(dump.version.Minor)}` : '?';
  const adapters = Array.isArray(dump.adapters) ? dump.adapters.join(', ') : '?';

  const netName = (id: string): string => networks.find((n) => sameGuid(n.ID, id))?.Name ?? id;
  const out: string[] = [`HNS ${version}; adapters: ${adapters || '(none)'}`, ''];

  out.push(`NETWORKS (${networks.length})`);
  out.push(
    table(
      ['NAME', 'ID', 'TYPE', 'SUBNETS', 'ADAPTER', 'PERSISTENT', 'ENDPOINTS'],
      networks.map((n) => [
        n.Name ?? '',
        n.ID,
        networkType(n),
        (n.Ipams ?? []).flatMap((i) => (i.Subnets ?? []).map((s) => s.IpAddressPrefix ?? '?')).join(',') || '-',
        networkPoliciesOfType(n.Policies, 'NetAdapterName')[0]?.NetworkAdapterName ?? '-',
        ((n.Flags ?? 0) & NetworkFlags.EnableNonPersistent) !== 0 ? 'no' : 'yes',
        String(endpoints.filter((e) => sameGuid(e.HostComputeNetwork, n.ID)).length),
      ]),
    ),
  );
  out.push('', `ENDPOINTS (${endpoints.length})`);
  out.push(
    table(
      ['NAME', 'ID', 'NETWORK', 'IP', 'MAC', 'NAMESPACE', 'POLICIES'],
      endpoints.map((e) => [
        e.Name ?? '',
        e.ID,
        netName(e.HostComputeNetwork),
        (e.IpConfigurations ?? []).map((c) => `${c.IpAddress}/${c.PrefixLength ?? '?'}`).join(',') || '-',
        e.MacAddress ?? '-',
        e.HostComputeNamespace ?? '-',
        (e.Policies ?? []).map((p) => p.Type).join(',') || '-',
      ]),
    ),
  );
  out.push('', `NAMESPACES (${namespaces.length})`);
  out.push(
    table(
      ['ID', 'TYPE', 'COMPARTMENT', 'ENDPOINTS'],
      namespaces.map((ns) => [ns.ID, ns.Type ?? '-', String(ns.NamespaceId ?? '-'), namespaceEndpointIds(ns).join(',') || '-']),
    ),
  );
  return out.join('\n');
}
