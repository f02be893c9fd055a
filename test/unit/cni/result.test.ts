import { describe, expect, it } from 'vitest';
import { Problems } from '../../../src/cni/reader.js';
import { type CniResult, parseCidr, parseResult, resultForVersion } from '../../../src/cni/result.js';
import { SUPPORTED_VERSIONS, compareVersions } from '../../../src/cni/version.js';

const full: CniResult = {
  interfaces: [{ name: 'eth0', mac: '00-15-5D-01-02-03', sandbox: '5f0b1190-63be-4e0c-b974-bd0f55675a42', mtu: 1450, socketPath: '/x', pciID: '0000:00:01.0' }],
  ips: [
    { address: '10.244.1.5/24', gateway: '10.244.1.2', interface: 0 },
    { address: 'fd00::5/64', gateway: 'fd00::2', interface: 0 },
  ],
  routes: [{ dst: '0.0.0.0/0', gw: '10.244.1.2', mtu: 1400, priority: 5 }],
  dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'], options: ['ndots:5'] },
};

describe('resultForVersion', () => {
  it.each(SUPPORTED_VERSIONS)('always carries cniVersion %s, the interface with its sandbox and ips pointing at it', (v) => {
    const doc = resultForVersion(full, v) as { cniVersion: string; interfaces: { sandbox: string }[]; ips: { interface: number }[] };
    expect(doc.cniVersion).toBe(v);
    expect(doc.interfaces[0]?.sandbox).toBe(full.interfaces?.[0]?.sandbox);
    expect(doc.ips.map((i) => i.interface)).toEqual([0, 0]);
  });

  const table: [string, boolean, boolean][] = [
    // version, has ips[].version, has 1.1-only fields
    ['0.3.0', true, false],
    ['0.3.1', true, false],
    ['0.4.0', true, false],
    ['1.0.0', false, false],
    ['1.1.0', false, true],
  ];
  it.each(table)('%s: ips[].version=%s, 1.1 fields=%s', (v, hasVersion, has11) => {
    const doc = resultForVersion(full, v as (typeof SUPPORTED_VERSIONS)[number]) as Record<string, any>;
    expect(doc.ips[0].version === '4').toBe(hasVersion);
    expect(doc.ips[1].version === '6').toBe(hasVersion);
    expect('mtu' in doc.interfaces[0]).toBe(has11);
    expect('socketPath' in doc.interfaces[0]).toBe(has11);
    expect('pciID' in doc.interfaces[0]).toBe(has11);
    expect('mtu' in doc.routes[0]).toBe(has11);
    expect('priority' in doc.routes[0]).toBe(has11);
    expect(doc.routes[0].gw).toBe('10.244.1.2');
    expect(doc.dns).toEqual(full.dns);
  });

  it('drops an empty dns object and empty lists', () => {
    const doc = resultForVersion({ ips: [{ address: '10.0.0.2/24' }], dns: {} }, '1.0.0');
    expect(doc).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] });
  });

  it('round-trips through parseResult in every version (conversion is lossless where the version allows)', () => {
    for (const v of SUPPORTED_VERSIONS) {
      const p = new Problems();
      const back = parseResult(JSON.parse(JSON.stringify(resultForVersion(full, v))), 'prevResult', p);
      expect(p.list).toEqual([]);
      expect(resultForVersion(back as CniResult, v)).toEqual(resultForVersion(full, v));
    }
  });
});

describe('parseResult', () => {
  it('names the field of every problem', () => {
    const p = new Problems();
    parseResult({ cniVersion: '9.9.9', ips: [{ address: '10.0.0.1' }, { address: '10.0.0.2/24', gateway: 'x', interface: -1 }], interfaces: [{}], routes: [{ dst: 'nope' }] }, 'prevResult', p);
    const paths = p.list.map((x) => x.path);
    expect(paths).toEqual(
      expect.arrayContaining(['prevResult.cniVersion', 'prevResult.ips[0].address', 'prevResult.ips[1].gateway', 'prevResult.ips[1].interface', 'prevResult.interfaces[0].name', 'prevResult.routes[0].dst']),
    );
  });
  it('accepts Go-style capitalised keys', () => {
    const p = new Problems();
    const r = parseResult({ IPs: [{ Address: '10.0.0.2/24', Version: '4' }], DNS: { Nameservers: ['1.1.1.1'] } }, 'prevResult', p);
    expect(p.list).toEqual([]);
    expect(r?.ips?.[0]?.address).toBe('10.0.0.2/24');
    expect(r?.dns?.nameservers).toEqual(['1.1.1.1']);
  });
});

describe('parseCidr and compareVersions', () => {
  it.each([
    ['10.0.0.1/24', { ip: '10.0.0.1', prefix: 24, family: 4 }],
    ['fd00::1/64', { ip: 'fd00::1', prefix: 64, family: 6 }],
    ['0.0.0.0/0', { ip: '0.0.0.0', prefix: 0, family: 4 }],
    ['10.0.0.1/33', undefined],
    ['fd00::1/129', undefined],
    ['10.0.0.1', undefined],
    ['10.0.0/24', undefined],
    ['10.0.0.1/-1', undefined],
    ['10.0.0.1/ 24', undefined],
  ])('parseCidr(%j)', (s, want) => expect(parseCidr(s)).toEqual(want));

  it.each([
    ['0.3.0', '0.3.1', -1],
    ['0.4.0', '0.3.1', 1],
    ['1.0.0', '1.0.0', 0],
    ['0.10.0', '0.4.0', 1],
    ['1.1.0', '1.0.0', 1],
  ])('compareVersions(%s, %s) = %d', (a, b, want) => expect(compareVersions(a, b)).toBe(want));
});
