import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readEnv } from '../../../src/cni/env.js';
import { parseNetConf } from '../../../src/cni/netconf.js';
import { type BridgeConfig, parseBridgeConfig } from '../../../src/bridge/config.js';
import { endpointPolicies, endpointSettings, networkSettings } from '../../../src/bridge/endpoint-spec.js';
import { bridgeSubnets } from '../../../src/bridge/gateway.js';
import { hnsbridgeEntries } from '../../../src/tools/conflist.js';

const env = readEnv({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '5f0b1190-63be-4e0c-b974-bd0f55675a42', CNI_IFNAME: 'eth0', CNI_ARGS: 'IgnoreUnknown=1' }, 'linux');

function load(doc: Record<string, unknown>, platform: NodeJS.Platform = 'linux'): { cfg: BridgeConfig | undefined; problems: string[] } {
  const conf = parseNetConf(doc, 'ADD', platform);
  const cfg = parseBridgeConfig(conf, env, platform);
  return { cfg, problems: conf.problems.list.map((p) => `${p.path}: ${p.message}`) };
}

const base = {
  cniVersion: '1.0.0',
  name: 'pods',
  type: 'hnsbridge',
  ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: '/tmp/x' },
};

describe('parseBridgeConfig', () => {
  it('builds the OutBoundNAT exceptions in order, without duplicates, and the SDN routes', () => {
    const { cfg, problems } = load({ ...base, clusterCIDR: '10.244.0.0/16', serviceCIDR: ['10.96.0.0/12'], nodeSubnet: '192.168.1.0/24', outboundNATExceptions: ['10.244.0.0/16', '172.16.0.0/12'], managementIP: '192.168.1.10' });
    expect(problems).toEqual([]);
    expect(cfg?.outboundNatExceptions).toEqual(['10.244.0.0/16', '10.96.0.0/12', '192.168.1.0/24', '172.16.0.0/12']);
    expect(cfg?.sdnRoutes).toEqual([
      { Type: 'SDNRoute', Settings: { DestinationPrefix: '10.96.0.0/12', NeedEncap: true } },
      { Type: 'SDNRoute', Settings: { DestinationPrefix: '192.168.1.10/32', NeedEncap: true } },
    ]);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['placeholder service CIDR', { serviceCIDR: '<your service cidr>' }, 'serviceCIDR'],
    ['bad management IP', { managementIP: '192.168.1' }, 'managementIP'],
    ['unknown policy type', { endpointPolicies: [{ Type: 'Nope', Settings: {} }] }, 'endpointPolicies[0].Type'],
    ['v1 ExceptionList inside a v2 policy', { endpointPolicies: [{ Type: 'OutBoundNAT', Settings: { ExceptionList: ['10.0.0.0/8'] } }] }, 'endpointPolicies[0].Settings.ExceptionList'],
    ['bad CIDR inside an OutBoundNAT policy', { endpointPolicies: [{ Type: 'OutBoundNAT', Settings: { Exceptions: ['10.0.0.0/33'] } }] }, 'endpointPolicies[0].Settings.Exceptions[0]'],
    ['ACL without action', { acls: [{ direction: 'In' }] }, 'acls[0].action'],
    ['ACL with bad ports', { acls: [{ action: 'Allow', direction: 'In', localPorts: 'http' }] }, 'acls[0].localPorts'],
    ['unsupported v1 policy', { policies: [{ Name: 'EndpointPolicy', Value: { Type: 'PA', PA: '1.2.3.4' } }] }, 'policies[0].Value.Type'],
    ['unknown policy entry name', { policies: [{ Name: 'Whatever', Value: { Type: 'ACL' } }] }, 'policies[0].Name'],
    ['unknown optional flag', { optionalFlags: { enableMagic: true } }, 'optionalFlags.enableMagic'],
    ['SCTP port mapping', { runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 80, protocol: 'sctp' }] } }, 'runtimeConfig.portMappings[0].protocol'],
    ['port out of range', { runtimeConfig: { portMappings: [{ hostPort: 70000, containerPort: 80, protocol: 'tcp' }] } }, 'runtimeConfig.portMappings[0].hostPort'],
    ['runtime DNS server not an IP', { runtimeConfig: { dns: { servers: ['dns.local'] } } }, 'runtimeConfig.dns.servers[0]'],
    ['timeout zero', { hnsTimeoutSeconds: 0 }, 'hnsTimeoutSeconds'],
    ['relative stateDir', { stateDir: 'state' }, 'stateDir'],
    ['missing ipam', { ipam: undefined }, 'ipam'],
    ['ipam of another type', { ipam: { type: 'dhcp' } }, 'ipam.type'],
    ['apiVersion 3', { apiVersion: 3 }, 'apiVersion'],
  ];
  it.each(bad)('%s is a problem at %s', (_n, extra, where) => {
    const doc: Record<string, unknown> = { ...base, ...extra };
    if ('ipam' in extra && extra.ipam === undefined) delete doc.ipam;
    const { cfg, problems } = load(doc);
    expect(cfg).toBeUndefined();
    expect(problems.some((p) => p.startsWith(where))).toBe(true);
  });

  it('translates win-bridge v1 policies to v2 and reads ipMasqNetwork as an exception', () => {
    const { cfg, problems } = load({
      ...base,
      ipMasqNetwork: '10.244.0.0/16',
      policies: [
        { name: 'EndpointPolicy', value: { Type: 'OutBoundNAT', ExceptionList: ['10.96.0.0/12'] } },
        { name: 'EndpointPolicy', value: { Type: 'ROUTE', DestinationPrefix: '10.96.0.0/12', NeedEncap: true } },
      ],
    });
    expect(problems).toEqual([]);
    expect(cfg?.outboundNatExceptions).toEqual(['10.244.0.0/16']);
    expect(cfg?.extraEndpointPolicies).toEqual([
      { Type: 'OutBoundNAT', Settings: { Exceptions: ['10.96.0.0/12'] } },
      { Type: 'SDNRoute', Settings: { DestinationPrefix: '10.96.0.0/12', NeedEncap: true } },
    ]);
  });

  it('reads an sdnbridge IPAM block (no type, gateway as routes[].GW)', () => {
    const { cfg, problems } = load({ ...base, ipam: { environment: 'azure', subnet: '10.244.1.0/24', routes: [{ GW: '10.244.1.2' }], dataDir: '/tmp/x' } });
    expect(problems).toEqual([]);
    expect(cfg && bridgeSubnets(cfg.ipam)).toEqual([{ family: 4, prefix: '10.244.1.0/24', prefixLength: 24, gateway: '10.244.1.2', rangeSet: 0 }]);
    expect(cfg?.warnings.join()).toContain('no type');
  });

  it('uses subnet base + 2 as the bridge gateway unless the range names one', () => {
    const a = load(base).cfg as BridgeConfig;
    expect(bridgeSubnets(a.ipam)[0]?.gateway).toBe('10.244.1.2');
    const b = load({ ...base, ipam: { ...base.ipam, ranges: [[{ subnet: '10.244.1.0/24', gateway: '10.244.1.1' }]] } }).cfg as BridgeConfig;
    expect(bridgeSubnets(b.ipam)[0]?.gateway).toBe('10.244.1.1');
  });

  it('collects the requested IPs from args.cni.ips (or else CNI_ARGS IP=) and runtimeConfig.ips', () => {
    const e = readEnv({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: 'x', CNI_IFNAME: 'eth0', CNI_ARGS: 'IP=10.244.1.50' }, 'linux');
    const conf = parseNetConf({ ...base, args: { cni: { ips: ['10.244.1.51'] } }, runtimeConfig: { ips: ['10.244.1.52/24'] } }, 'ADD', 'linux');
    expect(parseBridgeConfig(conf, e, 'linux')?.runtime.requestedIps).toEqual(['10.244.1.51', '10.244.1.52/24']);
    const noArgs = parseNetConf({ ...base, runtimeConfig: { ips: ['10.244.1.52/24'] } }, 'ADD', 'linux');
    expect(parseBridgeConfig(noArgs, e, 'linux')?.runtime.requestedIps).toEqual(['10.244.1.50', '10.244.1.52/24']);
  });
});

describe('endpoint document', () => {
  const { cfg } = load({
    ...base,
    clusterCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/12',
    loopbackDSR: true,
    dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
    runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }, { hostPort: 53, containerPort: 53, protocol: 'UDP', hostIP: '192.168.1.10' }] },
  });
  const c = cfg as BridgeConfig;
  const v4 = { ip: '10.244.1.5', prefixLength: 24, family: 4 as const, gateway: '10.244.1.2' };
  const v6 = { ip: 'fd00::5', prefixLength: 64, family: 6 as const, gateway: 'fd00::2' };

  it('carries the exact policies HNS needs, in order', () => {
    expect(endpointPolicies(c, [v4], true)).toEqual([
      { Type: 'OutBoundNAT', Settings: { Exceptions: ['10.244.0.0/16', '10.96.0.0/12'] } },
      { Type: 'SDNRoute', Settings: { DestinationPrefix: '10.96.0.0/12', NeedEncap: true } },
      { Type: 'PortMapping', Settings: { Protocol: 6, InternalPort: 80, ExternalPort: 8080, Flags: 0 } },
      { Type: 'PortMapping', Settings: { Protocol: 17, InternalPort: 53, ExternalPort: 53, Flags: 0, VIP: '192.168.1.10' } },
      { Type: 'OutBoundNAT', Settings: { Destinations: ['10.244.1.5'] } },
    ]);
  });

  it('adds IPv6 copies of unpinned port mappings for a dual-stack pod, and leaves DSR out when HNS lacks it', () => {
    const p = endpointPolicies(c, [v4, v6], false).filter((x) => x.Type === 'PortMapping');
    expect(p).toEqual([
      { Type: 'PortMapping', Settings: { Protocol: 6, InternalPort: 80, ExternalPort: 8080, Flags: 0 } },
      { Type: 'PortMapping', Settings: { Protocol: 6, InternalPort: 80, ExternalPort: 8080, Flags: 2 } },
      { Type: 'PortMapping', Settings: { Protocol: 17, InternalPort: 53, ExternalPort: 53, Flags: 0, VIP: '192.168.1.10' } },
    ]);
    expect(endpointPolicies(c, [v4], false).some((x) => x.Type === 'OutBoundNAT' && 'Destinations' in x.Settings)).toBe(false);
  });

  it('puts addresses, default routes and DNS on the endpoint', () => {
    const doc = endpointSettings(c, { name: 'n', networkId: 'net', addresses: [v4, v6], dns: { nameservers: ['10.96.0.10'] }, dsrSupported: false });
    expect(doc.IpConfigurations).toEqual([{ IpAddress: '10.244.1.5', PrefixLength: 24 }, { IpAddress: 'fd00::5', PrefixLength: 64 }]);
    expect(doc.Routes).toEqual([{ NextHop: '10.244.1.2', DestinationPrefix: '0.0.0.0/0' }, { NextHop: 'fd00::2', DestinationPrefix: '::/0' }]);
    expect(doc.Dns).toEqual({ ServerList: ['10.96.0.10'] });
    expect(doc.SchemaVersion).toEqual({ Major: 2, Minor: 0 });
  });

  it('creates an L2Bridge network with the subnets and a default route via the bridge gateway', () => {
    const net = networkSettings({ ...c, adapter: 'Ethernet' }, bridgeSubnets(c.ipam));
    expect(net).toMatchObject({
      Type: 'L2Bridge',
      Name: 'pods',
      Ipams: [{ Type: 'Static', Subnets: [{ IpAddressPrefix: '10.244.1.0/24', Routes: [{ NextHop: '10.244.1.2', DestinationPrefix: '0.0.0.0/0' }] }] }],
      Policies: [{ Type: 'NetAdapterName', Settings: { NetworkAdapterName: 'Ethernet' } }],
    });
  });
});

describe('conf/ examples', () => {
  const dir = path.resolve(__dirname, '../../../conf');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.conflist'));
  it('has the documented examples', () => {
    expect(files.sort()).toEqual(['dual-stack.conflist', 'hnsbridge.conflist', 'port-mappings.conflist', 'sdnbridge-migration.conflist', 'win-bridge-migration.conflist']);
  });
  it.each(files)('%s loads without a problem on Windows', (f) => {
    const { entries, problems } = hnsbridgeEntries(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
    expect(problems).toEqual([]);
    expect(entries).toHaveLength(1);
    const r = load(entries[0]?.config as Record<string, unknown>, 'win32');
    expect(r.problems).toEqual([]);
    expect(r.cfg?.network).toBeTruthy();
  });
  it('documents every plugin key the examples use in conf/README.md', () => {
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    for (const f of files) {
      const { entries } = hnsbridgeEntries(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
      for (const key of Object.keys(entries[0]?.config ?? {})) expect(readme, `${f}: ${key}`).toContain(`\`${key}\``);
    }
  });
});
