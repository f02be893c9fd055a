import { describe, expect, it } from 'vitest';
import { podEndpointName } from '../../../src/bridge/naming.js';
import { type EndpointInfo, type ReservationInfo, countByKind, findLeaks } from '../../../src/tools/leaks.js';
import { parsePodEndpointName } from '../../../src/tools/pod-names.js';

const NET = 'pods';
const NS = '5f0b1190-63be-4e0c-b974-bd0f55675a42';

function pod(containerId: string, ip: string, extra: Partial<EndpointInfo> = {}): EndpointInfo {
  return { id: `ep-${containerId}`, name: podEndpointName(containerId, 'eth0', NET), networkId: 'net', owner: 'pod', containerId, ifname: 'eth0', ips: [ip], namespace: NS, namespaceExists: true, policyTypes: ['OutBoundNAT'], ...extra };
}

function res(containerId: string, ip: string, ifname: string | undefined = 'eth0'): ReservationInfo {
  return ifname === undefined ? { ip, containerId } : { ip, containerId, ifname };
}

describe('findLeaks', () => {
  it('finds nothing when every pod has its endpoint, namespace and reservation', () => {
    expect(findLeaks([pod('a', '10.0.0.3'), pod('b', '10.0.0.4')], [res('a', '10.0.0.3'), res('b', '10.0.0.4')], NET)).toEqual([]);
  });

  // [what, endpoints, reservations, expected (kind, containerId, ip)]
  const cases: [string, EndpointInfo[], ReservationInfo[], [string, string | undefined, string | undefined][]][] = [
    ['an endpoint whose reservation file is gone', [pod('a', '10.0.0.3')], [], [['endpoint-without-reservation', 'a', '10.0.0.3']]],
    ['a reservation nobody holds', [], [res('ghost', '10.0.0.9')], [['reservation-without-endpoint', 'ghost', '10.0.0.9']]],
    ['an endpoint detached from every namespace', [pod('a', '10.0.0.3', { namespace: undefined, namespaceExists: undefined })], [res('a', '10.0.0.3')], [['endpoint-without-namespace', 'a', '10.0.0.3']]],
    ['an endpoint whose namespace was deleted', [pod('a', '10.0.0.3', { namespaceExists: false })], [res('a', '10.0.0.3')], [['endpoint-namespace-gone', 'a', '10.0.0.3']]],
    ['a reservation of the same container for another interface', [pod('a', '10.0.0.3')], [res('a', '10.0.0.3'), res('a', '10.0.0.7', 'eth1')], [['reservation-without-endpoint', 'a', '10.0.0.7']]],
    ['both leaks of one orphan endpoint', [pod('a', '10.0.0.3', { namespace: undefined, namespaceExists: undefined })], [], [['endpoint-without-reservation', 'a', '10.0.0.3'], ['endpoint-without-namespace', 'a', '10.0.0.3']]],
  ];
  for (const [what, eps, rs, want] of cases) {
    it(`marks ${what}`, () => {
      expect(findLeaks(eps, rs, NET).map((l) => [l.kind, l.containerId, l.ip])).toEqual(want);
    });
  }

  it("matches host-local's one-line reservation files by container ID", () => {
    expect(findLeaks([pod('a', '10.0.0.3')], [res('a', '10.0.0.3', undefined)], NET)).toEqual([]);
  });

  it('counts win-bridge-named endpoints as holders of their pods\' reservations, and never judges them', () => {
    const legacy: EndpointInfo = { id: 'ep-old', name: `old_${NET}`, networkId: 'net', owner: 'other', ips: ['10.0.0.5'], policyTypes: [] };
    const remote: EndpointInfo = { id: 'ep-remote', name: 'kube-proxy-remote', networkId: 'net', owner: 'other', ips: ['10.0.9.9'], policyTypes: [] };
    const gw: EndpointInfo = { id: 'ep-gw', name: `hnsbridge-gw_${NET}`, networkId: 'net', owner: 'gateway', ips: ['10.0.0.2'], policyTypes: [] };
    expect(findLeaks([legacy, remote, gw], [res('old', '10.0.0.5')], NET)).toEqual([]);
  });

  it('says why each kind matters and counts them', () => {
    const leaks = findLeaks([pod('a', '10.0.0.3', { namespace: undefined, namespaceExists: undefined })], [res('b', '10.0.0.4')], NET);
    for (const l of leaks) expect(l.why.length).toBeGreaterThan(20);
    expect(countByKind(leaks)).toEqual({ 'endpoint-without-reservation': 1, 'reservation-without-endpoint': 1, 'endpoint-without-namespace': 1, 'endpoint-namespace-gone': 0 });
  });
});

describe('parsePodEndpointName', () => {
  it('reads the attachment back even when the container ID, ifname and network contain "_"', () => {
    for (const [cid, ifname, net] of [['abc', 'eth0', 'pods'], ['a_b_c', 'eth_0', 'my_net'], ['x', 'e', 'n_'], ['0123456789abcdef'.repeat(4), 'eth0', 'k8s-pod-network']] as const) {
      expect(parsePodEndpointName(podEndpointName(cid, ifname, net), net)).toEqual({ containerId: cid, ifname });
    }
  });

  it('refuses names of another network, other plugins and forged hashes', () => {
    expect(parsePodEndpointName(podEndpointName('a', 'eth0', 'other'), 'pods')).toBeUndefined();
    expect(parsePodEndpointName('a_pods', 'pods')).toBeUndefined();
    expect(parsePodEndpointName('hnsbridge-pod_a_eth0_pods_00000000', 'pods')).toBeUndefined();
  });
});
