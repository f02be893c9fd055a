import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../../../src/ipam/config.js';
import { formatIp } from '../../../src/ipam/ip.js';
import type { RangeSet } from '../../../src/ipam/range-set.js';
import { ipamConfig, ipamProblems } from './helpers.js';

const describeSets = (sets: RangeSet[]) =>
  sets.map((s) => s.map((r) => `${formatIp(r.rangeStart)}-${formatIp(r.rangeEnd)} gw ${formatIp(r.gateway)}`));

describe('parseIpamConfig: accepted shapes', () => {
  it('ranges: one set per family, in order', () => {
    const cfg = ipamConfig({ type: 'host-local', ranges: [[{ subnet: '10.1.0.0/24' }], [{ subnet: 'fd00:1::/120', gateway: 'fd00:1::fe' }]] });
    expect(describeSets(cfg.rangeSets)).toEqual([['10.1.0.1-10.1.0.254 gw 10.1.0.1'], ['fd00:1::1-fd00:1::ff gw fd00:1::fe']]);
    expect(cfg.rangeSets[1]![0]!.gatewayExplicit).toBe(true);
    expect(cfg.rangeSets[0]![0]!.gatewayExplicit).toBe(false);
  });

  it('the legacy top-level range becomes set 0, before ranges', () => {
    const cfg = ipamConfig({ type: 'host-local', subnet: 'fd00::/120', rangeStart: 'fd00::10', ranges: [[{ subnet: '10.2.0.0/24' }]] });
    expect(describeSets(cfg.rangeSets)).toEqual([['fd00::10-fd00::ff gw fd00::1'], ['10.2.0.1-10.2.0.254 gw 10.2.0.1']]);
  });

  it('several subnets in one set form one pool', () => {
    const cfg = ipamConfig({ type: 'host-local', ranges: [[{ subnet: '10.1.0.0/24' }, { subnet: '10.1.1.0/24' }]] });
    expect(cfg.rangeSets).toHaveLength(1);
    expect(cfg.rangeSets[0]).toHaveLength(2);
  });

  it('keys are matched case-insensitively, like Go', () => {
    const cfg = ipamConfig({ Type: 'host-local', Ranges: [[{ Subnet: '10.1.0.0/24', RangeStart: '10.1.0.100', GATEWAY: '10.1.0.254' }]], DataDir: '/tmp/x', Routes: [{ Dst: '0.0.0.0/0', GW: '10.1.0.254' }] });
    expect(describeSets(cfg.rangeSets)).toEqual([['10.1.0.100-10.1.0.254 gw 10.1.0.254']]);
    expect(cfg.dataDir).toBe('/tmp/x');
    expect(cfg.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.1.0.254' }]);
  });

  it('routes keep their 1.1 fields and are printed canonically', () => {
    const cfg = ipamConfig({ type: 'host-local', subnet: '10.0.0.0/24', routes: [{ dst: 'FD00::/8', mtu: 1400, priority: 5 }, { dst: '10.9.0.0/16' }] });
    expect(cfg.routes).toEqual([{ dst: 'fd00::/8', mtu: 1400, priority: 5 }, { dst: '10.9.0.0/16' }]);
  });

  it('default dataDir depends on the platform', () => {
    expect(ipamConfig({ type: 'host-local', subnet: '10.0.0.0/24' }, 'linux').dataDir).toBe('/var/lib/cni/networks');
    expect(ipamConfig({ type: 'host-local', subnet: '10.0.0.0/24' }, 'win32').dataDir).toBe('C:\\var\\lib\\cni\\networks');
    expect(defaultDataDir('darwin')).toBe('/var/lib/cni/networks');
  });

  it('Windows accepts drive-letter and UNC data directories', () => {
    expect(ipamConfig({ type: 'host-local', subnet: '10.0.0.0/24', dataDir: 'D:\\cni\\ipam' }, 'win32').dataDir).toBe('D:\\cni\\ipam');
    expect(ipamConfig({ type: 'host-local', subnet: '10.0.0.0/24', dataDir: '\\\\srv\\share\\ipam' }, 'win32').dataDir).toBe('\\\\srv\\share\\ipam');
  });

  it('resolvConf is kept', () => {
    expect(ipamConfig({ type: 'host-local', subnet: '10.0.0.0/24', resolvConf: '/etc/resolv.conf' }).resolvConf).toBe('/etc/resolv.conf');
  });
});

describe('parseIpamConfig: every problem with its JSON path', () => {
  const base = { type: 'host-local' };
  it.each([
    [{ ...base }, [['ipam.ranges', 'no IP ranges specified']]],
    [{ type: 'dhcp', subnet: '10.0.0.0/24' }, [['ipam.type', 'unsupported IPAM type "dhcp"']]],
    [{ subnet: '10.0.0.0/24' }, [['ipam.type', 'is required']]],
    [{ ...base, ranges: [[{ subnet: '10.0.0.0/33' }]] }, [['ipam.ranges[0][0].subnet', 'invalid CIDR "10.0.0.0/33"']]],
    [{ ...base, ranges: [[{ subnet: '10.0.0.0/24', rangeStart: '10.0.1.1' }]] }, [['ipam.ranges[0][0].rangeStart', '10.0.1.1 is not in subnet 10.0.0.0/24']]],
    [{ ...base, ranges: [[{ subnet: '10.0.0.0/24', rangeEnd: '10.0.1.1' }]] }, [['ipam.ranges[0][0].rangeEnd', '10.0.1.1 is not in subnet 10.0.0.0/24']]],
    [{ ...base, ranges: [[{ subnet: '10.0.0.0/24', gateway: '10.0.1.1' }]] }, [['ipam.ranges[0][0].gateway', '10.0.1.1 is not in subnet 10.0.0.0/24']]],
    [{ ...base, ranges: [[{ subnet: '10.0.0.0/24', rangeStart: '10.0.0.9', rangeEnd: '10.0.0.8' }]] }, [['ipam.ranges[0][0].rangeStart', 'rangeStart 10.0.0.9 is after rangeEnd 10.0.0.8']]],
    [{ ...base, ranges: [[{ subnet: '10.0.0.0/30', rangeStart: '10.0.0.1', rangeEnd: '10.0.0.1' }]] }, [['ipam.ranges[0][0]', 'range 10.0.0.1-10.0.0.1 in 10.0.0.0/30 has no usable address: its only address is the gateway 10.0.0.1']]],
    [{ ...base, subnet: '10.0.0.0/31' }, [['ipam.subnet', 'network 10.0.0.0/31 too small to allocate from']]],
    [{ ...base, subnet: '10.0.0.7/24' }, [['ipam.subnet', 'network has host bits set: for a subnet mask of length 24 the network address is 10.0.0.0']]],
    [{ ...base, rangeStart: '10.0.0.5' }, [['ipam.subnet', 'is required when rangeStart, rangeEnd or gateway is given at the top of ipam']]],
    [{ ...base, ranges: [[]] }, [['ipam.ranges[0]', 'empty range set']]],
    [{ ...base, ranges: [] }, [['ipam.ranges', 'no IP ranges specified']]],
    [{ ...base, ranges: null }, [['ipam.ranges', 'no IP ranges specified']]],
    [{ ...base, ranges: '10.0.0.0/24' }, [['ipam.ranges', 'must be an array, got string "10.0.0.0/24"']]],
    [{ ...base, ranges: [{ subnet: '10.0.0.0/24' }] }, [['ipam.ranges[0]', 'must be an array of ranges, got object']]],
    [{ ...base, ranges: [[{ rangeStart: '10.0.0.5' }]] }, [['ipam.ranges[0][0].subnet', 'is required']]],
    [{ ...base, ranges: [[{ subnet: '10.0.0.0/24' }, { subnet: 'fd00::/64' }]] }, [['ipam.ranges[0]', 'mixes IPv4 and IPv6 ranges']]],
    [
      { ...base, ranges: [[{ subnet: '10.0.0.0/24' }, { subnet: '10.0.0.0/24', rangeStart: '10.0.0.200' }]] },
      [['ipam.ranges[0][1]', 'range 10.0.0.200-10.0.0.254 in 10.0.0.0/24 overlaps ipam.ranges[0][0] (10.0.0.1-10.0.0.254 in 10.0.0.0/24)']],
    ],
    [
      { ...base, subnet: '10.0.0.0/24', ranges: [[{ subnet: '10.0.0.0/25' }]] },
      [
        ['ipam.ranges[0]', 'range set 1 overlaps range set 0 (ipam)'],
        ['ipam.ranges[0]', expect.stringMatching(/^a second IPv4 range set \(the first is ipam\): an HNS endpoint takes one address per family/)],
      ],
    ],
    [
      { ...base, ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.0.1.0/24' }]] },
      [['ipam.ranges[1]', expect.stringMatching(/^a second IPv4 range set \(the first is ipam.ranges\[0\]\)/)]],
    ],
    [{ ...base, subnet: '10.0.0.0/24', dataDir: 'relative/dir' }, [['ipam.dataDir', 'must be an absolute path, got "relative/dir"']]],
    [{ ...base, subnet: '10.0.0.0/24', resolvConf: 'resolv.conf' }, [['ipam.resolvConf', 'must be an absolute path, got "resolv.conf"']]],
    [{ ...base, subnet: '10.0.0.0/24', routes: [{ dst: '10.0.0.0/40' }] }, [['ipam.routes[0].dst', 'invalid CIDR "10.0.0.0/40"']]],
    [{ ...base, subnet: '10.0.0.0/24', routes: [{ gw: '10.0.0.1' }] }, [['ipam.routes[0].dst', 'is required']]],
    [{ ...base, subnet: '10.0.0.0/24', routes: [{ dst: '0.0.0.0/0', gw: 'fd00::1' }] }, [['ipam.routes[0].gw', 'fd00::1 is IPv6 but dst 0.0.0.0/0 is IPv4']]],
    [{ ...base, subnet: '10.0.0.0/24', rnages: [] }, [['ipam.rnages', 'unknown key']]],
    [{ ...base, ranges: [[{ subnet: '10.0.0.0/24', rangestop: '10.0.0.9' }]] }, [['ipam.ranges[0][0].rangestop', 'unknown key']]],
    [{ ...base, subnet: '10.0.0.0/24', routes: [{ dst: '0.0.0.0/0', via: '10.0.0.1' }] }, [['ipam.routes[0].via', 'unknown key']]],
  ] as [Record<string, unknown>, [string, unknown][]][])('%j', (ipam, expected) => {
    expect(ipamProblems(ipam).map((p) => [p.path, p.message])).toEqual(expected);
  });

  it('lists all problems of a config at once', () => {
    const paths = ipamProblems({
      type: 'host-local',
      ranges: [[{ subnet: '10.0.0.0/24', rangeStart: '10.0.9.1' }], [{ subnet: 'fd00::/130' }]],
      dataDir: 'x',
      extra: 1,
    }).map((p) => p.path);
    expect(paths).toEqual(['ipam.ranges[0][0].rangeStart', 'ipam.ranges[1][0].subnet', 'ipam.dataDir', 'ipam.extra']);
  });

  it('windows: a path without a drive letter is refused with the default as a hint', () => {
    const [p] = ipamProblems({ type: 'host-local', subnet: '10.0.0.0/24', dataDir: '/var/lib/cni/networks' }, 'win32');
    expect(p).toEqual({ path: 'ipam.dataDir', message: 'must be an absolute path, got "/var/lib/cni/networks"', hint: 'the default is C:\\var\\lib\\cni\\networks' });
  });

  it.each(['..', 'a/b', 'a\\b', 'C:', ''])('a network name that could escape dataDir (%j) is a problem on "name"', (name) => {
    const problems = ipamProblems({ type: 'host-local', subnet: '10.0.0.0/24' }, 'linux', name);
    expect(problems.map((p) => p.path)).toEqual(['name']);
  });

  it('windows: a device name is not a usable network name', () => {
    expect(ipamProblems({ type: 'host-local', subnet: '10.0.0.0/24' }, 'win32', 'nul')[0]?.message).toMatch(/not a usable directory name on Windows/);
    expect(ipamProblems({ type: 'host-local', subnet: '10.0.0.0/24' }, 'linux', 'nul')).toEqual([]);
  });

  it('hints say how to fix the common mistakes', () => {
    const [hostBits] = ipamProblems({ type: 'host-local', subnet: '10.0.0.7/24' });
    expect(hostBits?.hint).toBe('use "10.0.0.0/24"');
    const [second] = ipamProblems({ type: 'host-local', ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.0.1.0/24' }]] });
    expect(second?.hint).toMatch(/put them as ranges of one set/);
  });
});
