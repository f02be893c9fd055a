import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiskStore, HostLocalIpam, parseIpamConfig } from '../../../src/ipam/index.js';
import { ObjectReader, Problems } from '../../../src/cni/reader.js';
import { ReadOnlyStore, loadNodeConfig } from '../../../src/tools/tool-context.js';
import { ToolError } from '../../../src/tools/errors.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hnsbridge-toolctx-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function ipamFor(dataDir: string, store?: ReadOnlyStore): HostLocalIpam {
  const problems = new Problems();
  const cfg = parseIpamConfig(new ObjectReader({ type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir }, 'ipam', problems), { networkName: 'pods', platform: 'linux' });
  if (!cfg) throw new Error(JSON.stringify(problems.list));
  return new HostLocalIpam(cfg, 'pods', store ? { platform: 'linux', store } : { platform: 'linux' });
}

describe('ReadOnlyStore', () => {
  it('lists reservations without creating a store that does not exist', async () => {
    const dataDir = path.join(dir, 'none');
    const ipam = ipamFor(dataDir, new ReadOnlyStore(new DiskStore(path.join(dataDir, 'pods'))));
    expect(await ipam.list()).toEqual([]);
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('reads what the writable store reserved and refuses to change it', async () => {
    const dataDir = path.join(dir, 'some');
    const rw = ipamFor(dataDir);
    await rw.allocate({ containerId: 'c1', ifname: 'eth0', requested: [] });
    const ro = ipamFor(dataDir, new ReadOnlyStore(new DiskStore(path.join(dataDir, 'pods'))));
    expect(await ro.list()).toMatchObject([{ ip: '10.244.1.2', containerId: 'c1', ifname: 'eth0' }]);
    await expect(ro.allocate({ containerId: 'c2', ifname: 'eth0', requested: [] })).rejects.toThrow(/read-only/);
    await expect(ro.release('c1', 'eth0')).rejects.toThrow(/read-only/);
    expect(fs.readdirSync(path.join(dataDir, 'pods')).filter((f) => /^\d/.test(f))).toEqual(['10.244.1.2']);
  });
});

describe('loadNodeConfig', () => {
  it('takes the first hnsbridge config of a directory and refuses an invalid one with its problems', () => {
    const d = fs.mkdtempSync(path.join(dir, 'netd-'));
    fs.writeFileSync(path.join(d, '10-hnsbridge.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'pods', plugins: [{ type: 'hnsbridge', ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]] } }] }));
    expect(loadNodeConfig(d, 'linux')).toMatchObject({ file: path.join(d, '10-hnsbridge.conflist'), config: { network: 'pods' } });
    fs.writeFileSync(path.join(d, '10-hnsbridge.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'pods', plugins: [{ type: 'hnsbridge', ipam: { type: 'host-local', ranges: [[{ subnet: 'x' }]] } }] }));
    expect(() => loadNodeConfig(d, 'linux')).toThrow(ToolError);
    expect(() => loadNodeConfig(d, 'linux')).toThrow(/plugins\[0\]\.ipam\.ranges\[0\]\[0\]\.subnet/);
    expect(() => loadNodeConfig(path.join(dir, 'missing'), 'linux')).toThrow(/does not exist/);
  });
});
