// The ADD result containerd reads the pod IP from: the `CNI_IFNAME` interface with its MAC and the
// namespace as sandbox, every IP pointing at it by index with the bridge gateway, routes and DNS.

import type { CniDns, CniResult, CniRoute } from '../cni/result.js';
import type { IpamRoute } from '../ipam/index.js';
import type { PodAddress } from './endpoint-spec.js';

export function buildResult(ifname: string, mac: string | undefined, netns: string, addresses: PodAddress[], ipamRoutes: IpamRoute[], dns: CniDns): CniResult {
  const routes: CniRoute[] =
    ipamRoutes.length > 0
      ? ipamRoutes.map((r) => ({ ...r }))
      : addresses.map((a) => ({ dst: a.family === 4 ? '0.0.0.0/0' : '::/0', gw: a.gateway }));
  const iface: CniResult['interfaces'] = [{ name: ifname, sandbox: netns, ...(mac ? { mac } : {}) }];
  return {
    interfaces: iface,
    ips: addresses.map((a) => ({ address: `${a.ip}/${a.prefixLength}`, gateway: a.gateway, interface: 0 })),
    routes,
    dns,
  };
}
