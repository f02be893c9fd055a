// The hnsbridge demo: what containerd does on a Windows node, step by step, with the real plugin
// binary and hns-mock standing in for the Host Networking Service.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const plugin = path.join(root, 'dist', 'hnsbridge');
const mockBin = path.join(root, 'bin', 'hns-mock.cjs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hnsbridge-demo-'));
const address = `unix://${path.join(work, 'hns.sock')}`;
const tty = process.stdout.isTTY;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const env = { ...process.env, HNS_BACKEND: 'mock', HNS_MOCK_ADDRESS: address };
delete env.NODE_EXTRA_CA_CERTS;

const config = {
  cniVersion: '1.1.0',
  name: 'k8s-pod-network',
  type: 'hnsbridge',
  capabilities: { portMappings: true, dns: true },
  adapter: 'Ethernet',
  ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: path.join(work, 'ipam') },
  dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local', 'cluster.local'] },
  clusterCIDR: '10.244.0.0/16',
  serviceCIDR: '10.96.0.0/12',
  nodeSubnet: '192.168.1.0/24',
  managementIP: '192.168.1.10',
  log: { file: path.join(work, 'hnsbridge.log') },
};
const confFile = path.join(work, '10-hnsbridge.conflist');
fs.writeFileSync(confFile, JSON.stringify({ cniVersion: config.cniVersion, name: config.name, plugins: [{ ...config, name: undefined, cniVersion: undefined }] }, null, 2));

function step(title, explain) {
  console.log(`\n${bold(`▶ ${title}`)}`);
  if (explain) console.log(dim(`  ${explain}`));
}

function mockCli(...args) {
  const r = spawnSync(process.execPath, [mockBin, ...args, '--address', address], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hns-mock ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

function cni(command, pod, extra = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(plugin, [], {
    env: { ...env, CNI_COMMAND: command, CNI_CONTAINERID: pod.id, CNI_NETNS: pod.netns, CNI_IFNAME: 'eth0', CNI_PATH: path.dirname(plugin), CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${pod.name}` },
    input: JSON.stringify({ ...config, ...extra }),
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { code: r.status, out: r.stdout, ms };
}

function tool(...args) {
  const r = spawnSync(plugin, args, { env, encoding: 'utf8' });
  return (r.stdout + r.stderr).trimEnd();
}

const mock = spawn(process.execPath, [mockBin, 'serve', '--listen', address], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const stop = () => {
  if (mock.exitCode === null) mock.kill('SIGTERM');
};
process.on('exit', stop);

try {
  console.log(bold('hnsbridge demo') + dim(` (work folder ${work})`));
  console.log('hnsbridge is the CNI plugin containerd runs on a Windows node for every pod. Here, hns-mock');
  console.log('plays the Windows Host Networking Service, and the real plugin binary is run exactly as');
  console.log('containerd runs it: one process per verb, settings in CNI_* variables, config on stdin.');

  step('Start hns-mock', `listening on ${address}`);
  for (let i = 0; ; i++) {
    try {
      mockCli('dump');
      break;
    } catch (e) {
      if (i > 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  console.log('  HNS is up: no networks, no endpoints yet.');

  step('Check the network config', `hnsbridge validate ${confFile}`);
  console.log(tool('validate', confFile).replace(/^/gm, '  '));

  const pods = ['web-0', 'web-1', 'api-0'].map((name, i) => ({ name, id: `demo${i}${'a'.repeat(12)}` }));
  for (const pod of pods) {
    step(`Pod ${pod.name}: containerd creates its HCN namespace, then calls ADD`, pod.name === 'api-0' ? 'this pod asks for hostPort 8080 → containerPort 80' : undefined);
    pod.netns = mockCli('namespace', 'create');
    console.log(`  namespace ${pod.netns}`);
    const extra = pod.name === 'api-0' ? { runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] } } : {};
    pod.extra = extra;
    const r = cni('ADD', pod, extra);
    if (r.code !== 0) throw new Error(`ADD failed: ${r.out}`);
    pod.result = JSON.parse(r.out);
    const ip = pod.result.ips[0];
    console.log(`  ADD → exit 0 in ${r.ms.toFixed(0)} ms: ${bold(ip.address)} via gateway ${ip.gateway}, interface ${pod.result.interfaces[0].name} (MAC ${pod.result.interfaces[0].mac})`);
    if (pod === pods[0]) console.log(dim('  The first ADD also created the L2Bridge network and its gateway endpoint on the host (10.244.1.2).'));
  }

  step('What is on the node now', 'hnsbridge inspect: the network, every endpoint with its namespace and policies, every IP reservation');
  console.log(tool('inspect', '--config', confFile).replace(/^/gm, '  '));

  step('containerd CHECKs each pod', 'CHECK compares HNS with the cached ADD result (prevResult); success prints nothing');
  for (const pod of pods) {
    const r = cni('CHECK', pod, { ...pod.extra, prevResult: pod.result });
    console.log(`  ${pod.name}: CHECK → exit ${r.code}${r.code === 0 ? ' (healthy)' : `: ${r.out}`}`);
  }

  step('HNS loses an endpoint (as after Restart-Service hns), and CHECK notices', 'hns-mock restart removes every endpoint, like a real HNS restart');
  mockCli('restart');
  const lost = cni('CHECK', pods[0], { prevResult: pods[0].result });
  console.log(`  ${pods[0].name}: CHECK → exit ${lost.code}: ${JSON.parse(lost.out).msg}`);
  console.log(dim('  kubelet would now recreate the pod sandbox; containerd first runs DEL, which always finishes:'));

  step('containerd deletes the pods (DEL)', 'DEL detaches and deletes the endpoint and releases the IP; missing pieces are fine');
  for (const pod of pods) {
    const r = cni('DEL', pod, { ...pod.extra, prevResult: pod.result });
    console.log(`  ${pod.name}: DEL → exit ${r.code} in ${r.ms.toFixed(0)} ms`);
  }

  step('Nothing is left behind', 'no pod endpoints, no reservations');
  console.log(tool('inspect', '--config', confFile).replace(/^/gm, '  '));

  step('Where to look on a real node');
  console.log(`  log: one start and one end line per call (here ${config.log.file}):`);
  const all = fs.readFileSync(config.log.file, 'utf8').trim().split('\n');
  const isEdge = (l) => /"msg":"(start|end)/.test(l);
  const lines = all.filter(isEdge).slice(-2);
  for (const l of lines) console.log(dim(`  ${l.length > 200 ? `${l.slice(0, 197)}...` : l}`));
  console.log('\nDone. hns-mock stopped; the work folder stays for a look:', work);
} catch (e) {
  console.error(`\ndemo failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  stop();
}
