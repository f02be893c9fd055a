// One IPAM invocation the way host-local is invoked: CNI_COMMAND ADD or DEL, CNI_CONTAINERID and
// CNI_IFNAME in the environment, the network config on stdin; allocates or releases through
// src/ipam (the same parser, OS lock and on-disk store the plugin uses) and prints one line.
// scripts/bench.sh bundles it to build/bench-ipam.cjs so the benchmark can time hnsbridge's IPAM
// alone, process for process, against the reference Go host-local on the same sequence.

import * as fs from 'node:fs';
import { ObjectReader, Problems } from '../src/cni/reader.js';
import { HostLocalIpam, parseIpamConfig } from '../src/ipam/index.js';

async function main(): Promise<number> {
  const conf = JSON.parse(fs.readFileSync(0, 'utf8')) as { name: string; cniVersion: string; ipam: Record<string, unknown> };
  const problems = new Problems();
  const cfg = parseIpamConfig(new ObjectReader(conf.ipam, 'ipam', problems), { networkName: conf.name, cniVersion: conf.cniVersion, platform: process.platform });
  problems.throwIfAny();
  if (cfg === undefined) throw new Error('unreachable: no config and no problem');
  const ipam = new HostLocalIpam(cfg, conf.name);
  const containerId = process.env.CNI_CONTAINERID ?? '';
  const ifname = process.env.CNI_IFNAME ?? 'eth0';
  if (process.env.CNI_COMMAND === 'ADD') {
    const a = await ipam.allocate({ containerId, ifname, requested: [] });
    fs.writeSync(1, `${JSON.stringify({ ips: a.ips.map((x) => x.address) })}\n`);
  } else {
    await ipam.release(containerId, ifname);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    fs.writeSync(1, `${JSON.stringify({ error: (e as Error).message })}\n`);
    process.exit(1);
  },
);
