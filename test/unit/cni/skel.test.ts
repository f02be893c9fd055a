import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CniError } from '../../../src/cni/errors.js';
import { type Plugin, type SkelIo, runCni } from '../../../src/cni/skel.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skel-'));
let n = 0;

function io(env: Record<string, string>, stdin: unknown): { io: SkelIo; out: unknown[]; logFile: string } {
  const logFile = path.join(dir, `log-${++n}`);
  const out: unknown[] = [];
  return {
    io: { env: { HNSBRIDGE_LOG: logFile, ...env }, readStdin: () => Buffer.from(typeof stdin === 'string' ? stdin : JSON.stringify(stdin)), write: (d) => out.push(d), platform: 'linux', now: () => 0 },
    out,
    logFile,
  };
}

function lines(file: string): Record<string, unknown>[] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const conf = { cniVersion: '1.0.0', name: 'n', type: 'hnsbridge' };
const env = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: 'x', CNI_IFNAME: 'eth0', CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web' };

function plugin(over: Partial<Plugin<object>> = {}): Plugin<object> {
  return {
    parseConfig: (c) => {
      c.reader.raw('ipam');
      return {};
    },
    add: async () => ({ ips: [{ address: '10.0.0.5/24', interface: 0 }], interfaces: [{ name: 'eth0' }] }),
    del: async () => undefined,
    check: async () => undefined,
    gc: async () => undefined,
    status: async () => undefined,
    toCniError: () => undefined,
    ...over,
  };
}

describe('runCni', () => {
  it('answers VERSION without loading the plugin', async () => {
    const t = io({ CNI_COMMAND: 'VERSION' }, conf);
    let loaded = false;
    const code = await runCni(async () => {
      loaded = true;
      return plugin();
    }, t.io);
    expect(code).toBe(0);
    expect(loaded).toBe(false);
    expect(t.out).toEqual([{ cniVersion: '1.0.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] }]);
  });

  it('writes the result in the config version and logs one start and one end line with the pod', async () => {
    const t = io(env, { ...conf, cniVersion: '0.4.0', capabilites: { portMappings: true } });
    expect(await runCni(async () => plugin(), t.io)).toBe(0);
    expect(t.out).toEqual([{ cniVersion: '0.4.0', interfaces: [{ name: 'eth0' }], ips: [{ version: '4', interface: 0, address: '10.0.0.5/24' }] }]);
    const log = lines(t.logFile);
    expect(log.map((l) => l.msg)).toEqual(['start', 'network config has unknown keys: capabilites', 'end']);
    expect(log.every((l) => l.containerId === 'c1' && l.pod === 'ns/web')).toBe(true);
    expect(log[2]).toMatchObject({ verb: 'ADD', outcome: 'success' });
  });

  it('logs an early failure (bad environment) too, and writes one error document', async () => {
    const t = io({ ...env, CNI_CONTAINERID: 'bad/id' }, conf);
    expect(await runCni(async () => plugin(), t.io)).toBe(1);
    expect(t.out).toHaveLength(1);
    expect(t.out[0]).toMatchObject({ code: 4, cniVersion: '1.1.0' });
    expect(lines(t.logFile)[0]).toMatchObject({ outcome: 'error', code: 4 });
  });

  it('runs the verb when the log file cannot be opened', async () => {
    // A regular file where the log's folder should be: the folder cannot be made, the file not opened.
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const t = io({ ...env, HNSBRIDGE_LOG: path.join(blocker, 'logs', 'x.log') }, conf);
    expect(await runCni(async () => plugin(), t.io)).toBe(0);
    expect(t.out[0]).toMatchObject({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.5/24' }] });
  });

  it('turns an unexpected exception into code 199 with a readable message and no stack on stdout', async () => {
    const t = io(env, conf);
    const code = await runCni(async () => plugin({ add: async () => { throw new TypeError('boom'); } }), t.io);
    expect(code).toBe(1);
    const doc = t.out[0] as { code: number; msg: string; details: string };
    expect(doc.code).toBe(199);
    expect(doc.msg).toBe('internal error in hnsbridge: boom');
    expect(JSON.stringify(doc)).not.toContain('    at ');
    expect(String(lines(t.logFile).at(-1)?.stack)).toContain('TypeError: boom');
  });

  it('passes a plugin CniError through and reports every config problem in details', async () => {
    const t = io(env, { ...conf, name: '../x', log: { level: 'loud' } });
    expect(await runCni(async () => plugin(), t.io)).toBe(1);
    const doc = t.out[0] as { code: number; msg: string; details: string };
    expect(doc.code).toBe(7);
    expect(doc.msg).toContain('and 1 more problem');
    expect(doc.details.split('\n')).toHaveLength(2);
    const t2 = io(env, conf);
    await runCni(async () => plugin({ add: async () => { throw new CniError(101, 'no free IP'); } }), t2.io);
    expect(t2.out[0]).toMatchObject({ code: 101, msg: 'no free IP' });
  });
});
