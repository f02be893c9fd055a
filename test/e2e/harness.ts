// Runs the built plugin the way containerd does: one process per verb, CNI_* in the environment,
// the network config on stdin, exactly one JSON document expected on stdout. And the mock HNS as a
// separate daemon process, as on a CI machine.

import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockAdminClient } from '../../hns-mock/admin-client.js';
import type { MockDump } from '../../hns-mock/service.js';

export const ROOT = path.resolve(__dirname, '../..');
export const PLUGIN = path.join(ROOT, 'dist', 'hnsbridge');
const MOCK_BIN = path.join(ROOT, 'bin', 'hns-mock.cjs');

/** A child environment without the CA bundle variable that adds ~100 ms to every Node start here. */
export function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  for (const k of Object.keys(env)) if (k.startsWith('CNI_') || k.startsWith('HNS_') || k.startsWith('HNSBRIDGE_')) delete env[k];
  return env;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

export interface MockDaemon {
  address: string;
  /** The framed socket for the FFI stand-in, when started with one. */
  framed: string | undefined;
  admin: MockAdminClient;
  dump(): Promise<MockDump>;
  createNamespace(): Promise<string>;
  /** Number of logged calls of an HCN function. */
  count(method: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startMock(opts: { framed?: boolean; args?: string[] } = {}): Promise<MockDaemon> {
  const dir = tempDir('hns-mock');
  const address = `unix://${path.join(dir, 'hns.sock')}`;
  const framed = opts.framed ? path.join(dir, 'hns.framed') : undefined;
  const args = [MOCK_BIN, 'serve', '--listen', address, ...(framed ? ['--framed', framed] : []), ...(opts.args ?? [])];
  const child: ChildProcess = spawn(process.execPath, args, { env: baseEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const admin = new MockAdminClient(address, { timeoutMs: 5000 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hns-mock exited with ${child.exitCode}: ${stderr}`);
    try {
      await admin.dump();
      if (!framed || fs.existsSync(framed)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`hns-mock did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    address,
    framed,
    admin,
    dump: () => admin.dump(),
    createNamespace: async () => (await admin.admin<{ ID: string }>('namespaceCreate')).ID,
    count: async (method) => (await admin.admin<{ calls: unknown[] }>('calls', { method })).calls.length,
    stop: async () => {
      admin.close();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PluginRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The single JSON document on stdout; undefined when stdout was empty. Throws if stdout is not exactly one document. */
  doc: Record<string, unknown> | undefined;
}

/** Parses stdout as exactly one JSON document (or nothing). */
export function singleDocument(stdout: string): Record<string, unknown> | undefined {
  if (stdout.trim() === '') return undefined;
  const v: unknown = JSON.parse(stdout); // throws on a second document or trailing garbage
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`stdout is not a JSON object: ${stdout}`);
  return v as Record<string, unknown>;
}

export interface Invocation {
  command: string;
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  config: unknown;
  env?: NodeJS.ProcessEnv;
  /** Raw stdin instead of JSON.stringify(config). */
  stdin?: Buffer | string;
  timeoutMs?: number;
}

export interface PluginTarget {
  /** HNS_MOCK_ADDRESS / HNS_BACKEND and friends. */
  env: NodeJS.ProcessEnv;
  binary?: string;
}

/** A running plugin process: `child` to signal it, `done` for its outcome (stdout must be one document or nothing). */
export interface RunningPlugin {
  child: ChildProcess;
  done: Promise<PluginRun>;
}

/** Starts one plugin process and hands it back, so a test can also kill it at a chosen HNS call. */
export function startPlugin(target: PluginTarget, inv: Invocation): RunningPlugin {
  const env: NodeJS.ProcessEnv = { ...baseEnv(), CNI_PATH: '/opt/cni/bin', ...target.env, ...inv.env, CNI_COMMAND: inv.command };
  if (inv.containerId !== undefined) env.CNI_CONTAINERID = inv.containerId;
  if (inv.netns !== undefined) env.CNI_NETNS = inv.netns;
  if (inv.ifname !== undefined) env.CNI_IFNAME = inv.ifname;
  if (inv.args !== undefined) env.CNI_ARGS = inv.args;
  const child = spawn(target.binary ?? PLUGIN, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin?.on('error', () => undefined); // the plugin may exit before reading everything
  child.stdin?.end(inv.stdin ?? JSON.stringify(inv.config));
  // A safety net against a wedged process, not an assertion on speed.
  const timer = setTimeout(() => child.kill('SIGKILL'), inv.timeoutMs ?? 60_000);
  const done = new Promise<PluginRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        resolve({ code, signal, stdout, stderr, doc: singleDocument(stdout) });
      } catch (e) {
        reject(new Error(`${(e as Error).message}\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
  return { child, done };
}

/** One plugin process, as containerd runs it, to completion. */
export function runPlugin(target: PluginTarget, inv: Invocation): Promise<PluginRun> {
  return startPlugin(target, inv).done;
}

/** A pod as libcni drives it: ADD caches the result, CHECK and DEL send it back as prevResult. */
export class Pod {
  result: Record<string, unknown> | undefined;

  constructor(
    readonly target: PluginTarget,
    readonly config: Record<string, unknown>,
    readonly containerId: string,
    readonly netns: string,
    readonly ifname = 'eth0',
    readonly runtimeConfig?: Record<string, unknown>,
    readonly args = 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod',
  ) {}

  private conf(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { ...this.config, ...(this.runtimeConfig ? { runtimeConfig: this.runtimeConfig } : {}), ...extra };
  }

  private base(command: string): Omit<Invocation, 'config'> {
    return { command, containerId: this.containerId, netns: this.netns, ifname: this.ifname, args: this.args };
  }

  async add(): Promise<PluginRun> {
    const r = await runPlugin(this.target, { ...this.base('ADD'), config: this.conf() });
    if (r.code === 0) this.result = r.doc;
    return r;
  }

  check(): Promise<PluginRun> {
    return runPlugin(this.target, { ...this.base('CHECK'), config: this.conf(this.result ? { prevResult: this.result } : {}) });
  }

  del(opts: { withPrevResult?: boolean; netns?: string } = {}): Promise<PluginRun> {
    const withPrev = opts.withPrevResult ?? true;
    return runPlugin(this.target, { ...this.base('DEL'), netns: opts.netns ?? this.netns, config: this.conf(withPrev && this.result ? { prevResult: this.result } : {}) });
  }

  /** The pod's first IP address, from the cached result. */
  get ip(): string {
    const ips = (this.result?.ips ?? []) as { address: string }[];
    return (ips[0]?.address ?? '').split('/')[0] ?? '';
  }
}

/** Reservation files of one network in a host-local store (IP-named files only). */
export function reservations(dataDir: string, network: string): string[] {
  const dir = path.join(dataDir, network);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip.') && !f.startsWith('.')).sort();
}

/** A plugin config for tests: IPv4 /24 unless told otherwise, store and log under `dir`. */
export function testConfig(dir: string, extra: Record<string, unknown> = {}, name = 'pods'): Record<string, unknown> {
  return {
    cniVersion: '1.1.0',
    name,
    type: 'hnsbridge',
    capabilities: { portMappings: true, dns: true },
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: path.join(dir, 'ipam') },
    clusterCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/12',
    dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
    log: { file: path.join(dir, 'hnsbridge.log'), level: 'debug' },
    ...extra,
  };
}

export function podEndpoints(dump: MockDump): Record<string, unknown>[] {
  return dump.endpoints.filter((e) => typeof e.Name === 'string' && (e.Name as string).startsWith('hnsbridge-pod_'));
}

export async function allSettled<T>(n: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
}
