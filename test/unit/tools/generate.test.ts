import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/tools/args.js';
import { checkConfigDocument } from '../../../src/tools/check-config.js';
import { type ConflistOptions, DEFAULT_CNI_VERSION, DEFAULT_NETWORK_NAME, GENERATOR_FLAGS, buildConflist, conflistOptions, formatJson, generateConflist } from '../../../src/tools/generate.js';
import { UsageError } from '../../../src/tools/errors.js';

const BASE: ConflistOptions = { podSubnet: '10.244.1.0/24', clusterCidr: ['10.244.0.0/16'], serviceCidr: ['10.96.0.0/12'], nodeSubnet: [], dns: [], dnsSearch: [], name: DEFAULT_NETWORK_NAME, cniVersion: DEFAULT_CNI_VERSION };

function pluginOf(doc: Record<string, unknown>): Record<string, unknown> {
  return (doc.plugins as Record<string, unknown>[])[0] as Record<string, unknown>;
}

describe('the conflist generator', () => {
  // [what, options, what the plugin object must contain, summary subnets]
  const good: [string, Partial<ConflistOptions>, Record<string, unknown>, string[]][] = [
    ['the minimal node', {}, { type: 'hnsbridge', capabilities: { portMappings: true, dns: true }, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]] }, clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12' }, ['10.244.1.0/24 via 10.244.1.2']],
    ['an explicit gateway', { gateway: '10.244.1.1' }, { ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24', gateway: '10.244.1.1' }]] } }, ['10.244.1.0/24 via 10.244.1.1']],
    ['every optional setting', { nodeSubnet: ['192.168.1.0/24'], adapter: 'vEthernet (Ethernet)', managementIp: '192.168.1.10', dns: ['10.96.0.10'], dnsSearch: ['svc.cluster.local', 'cluster.local'], logFile: '/var/log/hnsbridge.log', dataDir: '/var/lib/cni/networks' },
      { adapter: 'vEthernet (Ethernet)', nodeSubnet: '192.168.1.0/24', managementIP: '192.168.1.10', dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local', 'cluster.local'] }, log: { file: '/var/log/hnsbridge.log' }, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: '/var/lib/cni/networks' } }, ['10.244.1.0/24 via 10.244.1.2']],
    ['dual-stack', { ipv6PodSubnet: 'fd00:10:244:1::/64', clusterCidr: ['10.244.0.0/16', 'fd00:10:244::/56'], serviceCidr: ['10.96.0.0/12', 'fd00:10:96::/112'] },
      { ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }], [{ subnet: 'fd00:10:244:1::/64' }]] }, clusterCIDR: ['10.244.0.0/16', 'fd00:10:244::/56'] }, ['10.244.1.0/24 via 10.244.1.2', 'fd00:10:244:1::/64 via fd00:10:244:1::2']],
  ];
  for (const [what, opts, want, subnets] of good) {
    it(`makes a valid conflist for ${what}`, () => {
      const g = generateConflist({ ...BASE, ...opts }, 'linux', '10-hnsbridge.conflist');
      expect(g.findings).toEqual([]);
      expect(g.ok).toBe(true);
      expect(pluginOf(g.doc)).toMatchObject(want);
      expect(g.network?.subnets.map((s) => `${s.prefix} via ${s.gateway}`)).toEqual(subnets);
      // The printed text is the same document, and validates as a file would.
      expect(JSON.parse(g.text)).toEqual(g.doc);
      expect(checkConfigDocument(JSON.parse(g.text), { platform: 'linux', fileName: 'x.conflist' }).findings).toEqual([]);
    });
  }

  // [what, options, the flag blamed, message]
  const bad: [string, Partial<ConflistOptions>, string, RegExp][] = [
    ['a pod subnet with host bits', { podSubnet: '10.244.1.5/24' }, '--pod-subnet', /host bits/],
    ['a gateway outside the pod subnet', { gateway: '10.9.9.9' }, '--gateway', /./],
    ['a cluster CIDR that is no CIDR', { clusterCidr: ['10.244.0.0'] }, '--cluster-cidr', /not a CIDR/],
    ['a service CIDR typo', { serviceCidr: ['10.96.0.0/12', '10.96.0/12'] }, '--service-cidr', /not a CIDR/],
    ['a DNS server that is no IP', { dns: ['10.96.0.x'] }, '--dns', /not an IP/],
    ['a management IP that is no IP', { managementIp: '192.168.1' }, '--management-ip', /not an IP/],
    ['a relative log file', { logFile: 'hnsbridge.log' }, '--log-file', /absolute/],
    ['a relative data dir', { dataDir: 'cni' }, '--data-dir', /absolute/],
    ['a second IPv4 range as the IPv6 subnet', { ipv6PodSubnet: '10.245.1.0/24' }, '--ipv6-pod-subnet', /second IPv4 range set/],
    ['a network name with a space', { name: 'pod network' }, '--name', /must match/],
    ['an unsupported CNI version', { cniVersion: '0.2.0' }, '--cni-version', /incompatible/],
  ];
  for (const [what, opts, flag, message] of bad) {
    it(`refuses ${what}, blaming ${flag}`, () => {
      const g = generateConflist({ ...BASE, ...opts }, 'linux');
      expect(g.ok).toBe(false);
      const hit = g.findings.find((f) => f.severity === 'error' && f.path.startsWith(`${flag} (`));
      expect(hit, JSON.stringify(g.findings, null, 1)).toBeDefined();
      expect(hit?.message).toMatch(message);
    });
  }

  it('checks Windows paths for Windows', () => {
    const opts = { ...BASE, logFile: 'C:\\k\\cni\\logs\\hnsbridge.log', dataDir: 'C:\\var\\lib\\cni\\networks' };
    expect(generateConflist(opts, 'win32').ok).toBe(true);
    expect(generateConflist(opts, 'linux').ok).toBe(false);
  });

  it('reads its options from the command line: lists split on commas, defaults filled in', () => {
    const a = parseArgs('conflist', ['--pod-subnet', '10.244.1.0/24', '--cluster-cidr', '10.244.0.0/16,fd00::/56', '--service-cidr', '10.96.0.0/12', '--dns', '10.96.0.10', '--dns', '10.96.0.11', '--adapter', 'Ethernet'], GENERATOR_FLAGS);
    expect(conflistOptions(a)).toEqual({ ...BASE, clusterCidr: ['10.244.0.0/16', 'fd00::/56'], dns: ['10.96.0.10', '10.96.0.11'], adapter: 'Ethernet' });
  });

  it('names every missing required flag', () => {
    expect(() => conflistOptions(parseArgs('conflist', ['--pod-subnet', '10.244.1.0/24'], GENERATOR_FLAGS))).toThrow(UsageError);
    expect(() => conflistOptions(parseArgs('conflist', [], GENERATOR_FLAGS))).toThrow('missing --pod-subnet, --cluster-cidr, --service-cidr');
  });

  it('lays the JSON out like conf/: short containers on one line, and it stays JSON', () => {
    const doc = buildConflist({ ...BASE, dns: ['10.96.0.10'] });
    const text = formatJson(doc);
    expect(JSON.parse(text)).toEqual(doc);
    expect(text).toContain('"capabilities": { "portMappings": true, "dns": true }');
    expect(text).toContain('"ranges": [[{ "subnet": "10.244.1.0/24" }]]');
    expect(text.split('\n').every((l) => l.length <= 100)).toBe(true);
  });
});
