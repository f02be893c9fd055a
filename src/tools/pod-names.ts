// Reading a pod endpoint's name back into its attachment. The name is
// `hnsbridge-pod_<containerId>_<ifname>_<network>_<hash8>` and both the container ID and the
// interface name may contain "_", so the split is found by trying each "_" and keeping the one
// whose hash matches: exact, never a guess.

import { POD_ENDPOINT_PREFIX, isPodEndpointName, podEndpointName } from '../bridge/naming.js';

export interface PodAttachment {
  containerId: string;
  ifname: string;
}

/** The attachment a pod endpoint name of `network` stands for, or undefined when it is not one. */
export function parsePodEndpointName(name: string, network: string): PodAttachment | undefined {
  if (!isPodEndpointName(name)) return undefined;
  const body = name.slice(POD_ENDPOINT_PREFIX.length, -'_12345678'.length); // <cid>_<ifname>_<network>
  const tail = `_${network}`;
  if (!body.endsWith(tail)) return undefined;
  const both = body.slice(0, -tail.length);
  for (let i = both.indexOf('_'); i > 0; i = both.indexOf('_', i + 1)) {
    const containerId = both.slice(0, i);
    const ifname = both.slice(i + 1);
    if (podEndpointName(containerId, ifname, network) === name) return { containerId, ifname };
  }
  return undefined;
}
