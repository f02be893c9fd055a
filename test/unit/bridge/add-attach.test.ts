// ADD chooses the endpoint's ID, so the attach goes out while the endpoint is still being read back.
// In-process against the mock's model: which ID HNS keeps, and what the namespace holds afterwards.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { add } from '../../../src/bridge/add.js';
import { parseBridgeConfig } from '../../../src/bridge/config.js';
import type { BridgeContext } from '../../../src/bridge/context.js';
import { bridgeSubnets } from '../../../src/bridge/gateway.js';
import { readEnv } from '../../../src/cni/env.js';
import { parseNetConf } from '../../../src/cni/netconf.js';
import type { CreateOptions, HcnResource } from '../../../src/hns/api.js';
import { HnsService } from '../../../src/hns/hns.js';
import { sameGuid } from '../../../src/hns/schema.js';
import { HostLocalIpam } from '../../../src/ipam/index.js';
import { silentLogger } from '../../../src/log.js';
import { InProcessHcnApi } from '../../../hns-mock/in-process.js';
import { MockHns } from '../../../hns-mock/service.js';

/** An HNS that assigns every ID itself, whatever the caller passes (the case the docs leave open). */
class OwnIdsApi extends InProcessHcnApi {
  override create(resource: HcnResource, settings: string, networkId?: string, options: CreateOptions = {}): Promise<string> {
    const { id: _ignored, ...rest } = options;
    return super.create(resource, settings, networkId, rest);
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'add-attach-'));
  dirs.push(dir);
  return dir;
}

async function addPod(mock: MockHns, api: InProcessHcnApi, dir = tempDir(), containerId = 'c1') {
  const netns = mock.model.createNamespace();
  const env = readEnv({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' }, 'linux');
  const conf = parseNetConf(
    { cniVersion: '1.1.0', name: 'pods', type: 'hnsbridge', stateDir: path.join(dir, 'state'), ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: path.join(dir, 'ipam') } },
    'ADD',
    'linux',
  );
  const cfg = parseBridgeConfig(conf, env, 'linux');
  if (cfg === undefined) throw new Error(conf.problems.list.map((p) => `${p.path}: ${p.message}`).join('; '));
  const ctx: BridgeContext = {
    cfg,
    env,
    log: silentLogger(),
    hns: new HnsService(api),
    ipam: new HostLocalIpam(cfg.ipam, cfg.network, { platform: 'linux' }),
    subnets: bridgeSubnets(cfg.ipam),
    platform: 'linux',
    prevResult: undefined,
    close: () => api.close(),
  };
  try {
    const result = await add(ctx);
    const dump = mock.model.dump();
    const pods = dump.endpoints.filter((e) => String(e.Name).startsWith('hnsbridge-pod_'));
    const ns = dump.namespaces.find((n) => sameGuid(String(n.ID), netns));
    return { result, pods, ns };
  } finally {
    await ctx.close();
  }
}

function attachedIds(ns: Record<string, unknown> | undefined): string[] {
  const resources = (ns?.Resources as { Data?: { Id?: string } }[] | undefined) ?? [];
  return resources.map((r) => String(r.Data?.Id ?? '').toLowerCase());
}

describe('ADD attaches the endpoint under the ID it chose', () => {
  it('creates the endpoint with a fresh version 4 GUID and attaches exactly that endpoint', async () => {
    const mock = new MockHns();
    const { result, pods, ns } = await addPod(mock, new InProcessHcnApi(mock));
    expect(pods).toHaveLength(1);
    const id = String(pods[0]?.ID);
    expect(id.charAt(14)).toBe('4');
    expect(attachedIds(ns)).toEqual([id.toLowerCase()]);
    expect(result.ips?.[0]?.address).toMatch(/^10\.244\.1\.\d+\/24$/);
    // The attach went out before the new endpoint was read back, not after.
    // The attach went out before the new endpoint was read back, not after. (The first network of
    // a node brings its gateway endpoint, created and attached before: the pod's create is the last.)
    const order = mock.calls.list().map((c) => c.method);
    const created = order.lastIndexOf('HcnCreateEndpoint');
    const readBack = order.indexOf('HcnQueryEndpointProperties', created);
    const attachOpen = order.indexOf('HcnOpenNamespace', created);
    expect(order.slice(created + 1)).toContain('HcnModifyNamespace');
    expect(attachOpen).toBeGreaterThan(created);
    expect(attachOpen).toBeLessThan(readBack);
  });

  it('attaches the ID HNS reports when HNS chose its own', async () => {
    const mock = new MockHns();
    const { pods, ns } = await addPod(mock, new OwnIdsApi(mock));
    expect(pods).toHaveLength(1);
    expect(attachedIds(ns)).toEqual([String(pods[0]?.ID).toLowerCase()]);
  });
});

describe('ADD reads the network and its gateway ahead when an earlier ADD left their IDs', () => {
  it('sends their queries with the enumerates, and looks each up only once', async () => {
    const mock = new MockHns();
    const dir = tempDir();
    await addPod(mock, new InProcessHcnApi(mock), dir, 'c1'); // creates the network and gateway
    await addPod(mock, new InProcessHcnApi(mock), dir, 'c2'); // finds them by name, leaves their IDs
    const since = mock.calls.list().length;
    await addPod(mock, new InProcessHcnApi(mock), dir, 'c3');
    const second = mock.calls.list().slice(since).map((c) => c.method);
    const firstEnumerate = second.indexOf('HcnEnumerateNetworks');
    expect(second.indexOf('HcnOpenNetwork')).toBeLessThan(firstEnumerate);
    expect(second.indexOf('HcnOpenEndpoint')).toBeLessThan(firstEnumerate);
    expect(second.filter((m) => m === 'HcnQueryNetworkProperties')).toHaveLength(1);
  });

  it('finds them by name as before when the remembered IDs are stale', async () => {
    const mock = new MockHns();
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'state', 'pods'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'state', 'pods', 'hns-ids.json'), JSON.stringify({ network: '0c0c0c0c-1111-4222-8333-444444444444', gateway: '0d0d0d0d-1111-4222-8333-444444444444' }));
    await addPod(mock, new InProcessHcnApi(mock), dir, 'c1');
    const { pods, ns } = await addPod(mock, new InProcessHcnApi(mock), dir, 'c2');
    expect(pods).toHaveLength(2);
    expect(fs.existsSync(path.join(dir, 'state', 'pods', 'hns-ids.json'))).toBe(true);
    expect(attachedIds(ns)).toHaveLength(1);
    const hints = JSON.parse(fs.readFileSync(path.join(dir, 'state', 'pods', 'hns-ids.json'), 'utf8')) as Record<string, string>;
    expect(hints.network).toBe(String(mock.model.dump().networks[0]?.ID));
  });
});
