// The CNI protocol layer through the built binary: VERSION, the usage text, and malformed inputs.
// Each malformed input must give exit 1, a CNI error with the right code, and exactly one JSON
// document on stdout. No HNS is running: none of these may need it.

import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PLUGIN, baseEnv, runPlugin, tempDir } from './harness.js';

const dir = tempDir('hnsbridge-proto');
const target = { env: { HNS_BACKEND: 'mock', HNS_MOCK_ADDRESS: `unix://${path.join(dir, 'nobody-listens.sock')}`, HNSBRIDGE_LOG: path.join(dir, 'log') } };
const NS = '5f0b1190-63be-4e0c-b974-bd0f55675a42';
const good = { cniVersion: '1.1.0', name: 'pods', type: 'hnsbridge', ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: path.join(dir, 'ipam') } };
const addEnv = { containerId: 'abc', netns: NS, ifname: 'eth0' };

describe('VERSION and usage', () => {
  it.each(['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'])('answers VERSION for a %s config with every supported version', async (v) => {
    const r = await runPlugin(target, { command: 'VERSION', config: { cniVersion: v, name: 'n', type: 'hnsbridge' } });
    expect(r.code).toBe(0);
    expect(r.doc).toEqual({ cniVersion: v, supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it('answers VERSION even with empty stdin', async () => {
    const r = await runPlugin(target, { command: 'VERSION', config: null, stdin: '' });
    expect(r.code).toBe(0);
    expect(r.doc?.supportedVersions).toHaveLength(5);
  });

  it.each([[['--version']], [['--help']], [[]]])('prints the usage on stderr for %j (and nothing on stdout)', (args) => {
    const r = spawnSync(PLUGIN, args, { env: baseEnv(), input: '' });
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('');
    expect(r.stderr.toString()).toMatch(/hnsbridge \d+\.\d+\.\d+/);
    expect(r.stderr.toString()).toContain('0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0');
  });
});

interface Bad {
  name: string;
  command: string;
  env?: { containerId?: string; netns?: string; ifname?: string; args?: string };
  config?: unknown;
  stdin?: Buffer | string;
  code: number;
  msg?: RegExp;
}

const bads: Bad[] = [
  { name: 'invalid JSON', command: 'ADD', env: addEnv, stdin: '{"cniVersion": ', code: 6, msg: /not valid JSON/ },
  { name: 'empty stdin', command: 'ADD', env: addEnv, stdin: '', code: 6, msg: /empty/ },
  { name: 'whitespace stdin', command: 'DEL', env: addEnv, stdin: '\n\n  ', code: 6 },
  { name: 'a JSON array', command: 'ADD', env: addEnv, stdin: '[1,2]', code: 6 },
  { name: 'a JSON string', command: 'ADD', env: addEnv, stdin: '"x"', code: 6 },
  { name: 'invalid UTF-8', command: 'ADD', env: addEnv, stdin: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), code: 6, msg: /UTF-8/ },
  { name: 'UTF-16 config', command: 'ADD', env: addEnv, stdin: Buffer.from(`\ufeff${JSON.stringify(good)}`, 'utf16le'), code: 6, msg: /UTF-16/ },
  { name: 'huge stdin (2 MiB)', command: 'ADD', env: addEnv, stdin: Buffer.alloc(2 * 1024 * 1024, 0x20), code: 6, msg: /limit/ },
  { name: 'missing cniVersion', command: 'ADD', env: addEnv, config: { name: 'pods', type: 'hnsbridge' }, code: 7, msg: /cniVersion/ },
  { name: 'unsupported version 0.2.0', command: 'ADD', env: addEnv, config: { ...good, cniVersion: '0.2.0' }, code: 1, msg: /incompatible/ },
  { name: 'unsupported version 2.0.0', command: 'DEL', env: addEnv, config: { ...good, cniVersion: '2.0.0' }, code: 1 },
  { name: 'numeric cniVersion', command: 'ADD', env: addEnv, config: { ...good, cniVersion: 1 }, code: 1 },
  { name: 'CHECK on 0.3.1', command: 'CHECK', env: addEnv, config: { ...good, cniVersion: '0.3.1' }, code: 1 },
  { name: 'GC on 1.0.0', command: 'GC', config: { ...good, cniVersion: '1.0.0', 'cni.dev/valid-attachments': [] }, code: 1 },
  { name: 'STATUS on 0.4.0', command: 'STATUS', config: { ...good, cniVersion: '0.4.0' }, code: 1 },
  { name: 'missing name', command: 'ADD', env: addEnv, config: { cniVersion: '1.0.0', type: 'hnsbridge', ipam: good.ipam }, code: 7, msg: /name/ },
  { name: 'missing type', command: 'ADD', env: addEnv, config: { cniVersion: '1.0.0', name: 'pods', ipam: good.ipam }, code: 7, msg: /type/ },
  { name: 'wrong type', command: 'ADD', env: addEnv, config: { ...good, type: 'win-bridge' }, code: 7, msg: /hnsbridge/ },
  { name: 'name escaping the data dir', command: 'ADD', env: addEnv, config: { ...good, name: '../etc' }, code: 7, msg: /name/ },
  { name: 'missing ipam', command: 'ADD', env: addEnv, config: { cniVersion: '1.0.0', name: 'pods', type: 'hnsbridge' }, code: 7, msg: /ipam/ },
  { name: 'bad subnet', command: 'ADD', env: addEnv, config: { ...good, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/33' }]] } }, code: 7, msg: /subnet/ },
  { name: 'GC without attachments', command: 'GC', config: good, code: 7, msg: /valid-attachments/ },
  { name: 'no CNI_CONTAINERID on ADD', command: 'ADD', env: { netns: NS, ifname: 'eth0' }, config: good, code: 4, msg: /CNI_CONTAINERID/ },
  { name: 'no CNI_NETNS on ADD', command: 'ADD', env: { containerId: 'abc', ifname: 'eth0' }, config: good, code: 4, msg: /CNI_NETNS/ },
  { name: 'no CNI_IFNAME on DEL', command: 'DEL', env: { containerId: 'abc' }, config: good, code: 4, msg: /CNI_IFNAME/ },
  { name: 'no CNI_NETNS on CHECK', command: 'CHECK', env: { containerId: 'abc', ifname: 'eth0' }, config: good, code: 4 },
  { name: 'unknown verb', command: 'UPDATE', env: addEnv, config: good, code: 4, msg: /CNI_COMMAND/ },
  { name: 'lower-case verb', command: 'add', env: addEnv, config: good, code: 4 },
  { name: 'container ID with a slash', command: 'ADD', env: { ...addEnv, containerId: 'a/b' }, config: good, code: 4, msg: /CNI_CONTAINERID/ },
  { name: 'container ID with a space', command: 'DEL', env: { ...addEnv, containerId: 'a b' }, config: good, code: 4 },
  { name: 'container ID starting with "-"', command: 'ADD', env: { ...addEnv, containerId: '-abc' }, config: good, code: 4 },
  { name: 'ifname too long', command: 'ADD', env: { ...addEnv, ifname: 'eth0123456789012' }, config: good, code: 4, msg: /CNI_IFNAME/ },
  { name: 'ifname with a slash', command: 'ADD', env: { ...addEnv, ifname: 'a/b' }, config: good, code: 4 },
  { name: 'bad CNI_ARGS pair', command: 'ADD', env: { ...addEnv, args: 'K8S_POD_NAME' }, config: good, code: 4, msg: /CNI_ARGS/ },
  { name: 'unknown CNI_ARGS key', command: 'ADD', env: { ...addEnv, args: 'FOO=bar' }, config: good, code: 4, msg: /FOO/ },
  { name: 'netns "none"', command: 'ADD', env: { ...addEnv, netns: 'none' }, config: good, code: 4, msg: /CNI_NETNS/ },
  { name: 'netns as a Linux path', command: 'ADD', env: { ...addEnv, netns: '/var/run/netns/x' }, config: good, code: 4, msg: /CNI_NETNS/ },
  { name: 'netns "container:<id>"', command: 'CHECK', env: { ...addEnv, netns: 'container:abc' }, config: { ...good, prevResult: { ips: [{ address: '10.244.1.3/24' }] } }, code: 4 },
  { name: 'prevResult with a bad address', command: 'CHECK', env: addEnv, config: { ...good, prevResult: { ips: [{ address: 'nope' }] } }, code: 7, msg: /prevResult/ },
  { name: 'bad port mapping protocol', command: 'ADD', env: addEnv, config: { ...good, runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 80, protocol: 'sctp' }] } }, code: 7, msg: /protocol/ },
  { name: 'placeholder service CIDR', command: 'ADD', env: addEnv, config: { ...good, serviceCIDR: '<service cidr>' }, code: 7, msg: /serviceCIDR/ },
];

describe('malformed input gives one CNI error document', () => {
  it('has at least 30 cases', () => expect(bads.length).toBeGreaterThanOrEqual(30));

  it.each(bads.map((b) => [b.name, b] as const))('%s', async (_name, b) => {
    const r = await runPlugin(target, { command: b.command, ...b.env, config: b.config, ...(b.stdin !== undefined ? { stdin: b.stdin } : {}) });
    expect(r.code, r.stdout).toBe(1);
    expect(r.doc, 'stdout is exactly one JSON document').toBeDefined();
    expect(r.doc?.code).toBe(b.code);
    expect(typeof r.doc?.msg).toBe('string');
    expect(typeof r.doc?.cniVersion).toBe('string');
    if (b.msg) expect(String(r.doc?.msg)).toMatch(b.msg);
    expect(r.stdout).not.toMatch(/\n\s+at /); // never a stack trace
  });
});
