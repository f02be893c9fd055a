import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HRESULT } from '../../../src/hns/api.js';
import { GrpcHcnApi } from '../../../src/hns/grpc.js';
import { FrameReader, decodeResponse, encodeRequest } from '../../../hns-mock/framed.js';

// Smoke test of the hns-mock command as shipped: cli.ts bundled like bin/hns-mock.cjs does, the
// server in a child process, every other command as a client process.

const repo = path.resolve(__dirname, '../../..');
let dir: string;
let bundle: string;
let address: string;
let framedPath: string;
let server: ChildProcess;
let serverExit: Promise<number | null>;

/** @grpc/grpc-js stays outside the bundle; the child finds it through NODE_PATH. */
const env = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_PATH: path.join(repo, 'node_modules'), HNS_MOCK_ADDRESS: address });

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bundle, ...args], { env: env(), timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hns-cli-'));
  bundle = path.join(dir, 'hns-mock.cjs');
  await build({ entryPoints: [path.join(repo, 'hns-mock/cli.ts')], bundle: true, platform: 'node', format: 'cjs', external: ['@grpc/grpc-js'], outfile: bundle, logLevel: 'error' });
  address = `unix://${path.join(dir, 'mock.sock')}`;
  framedPath = path.join(dir, 'framed.sock');
  server = spawn(process.execPath, [bundle, 'serve', '--listen', address, '--framed', framedPath, '--hns-version', '10.1', '--adapter', 'Ethernet 2'], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serverExit = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    server.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve();
    });
    let err = '';
    server.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    void serverExit.then((code) => reject(new Error(`hns-mock serve exited with ${code}: ${err}`)));
  });
});

afterAll(async () => {
  if (server.exitCode === null) {
    server.kill('SIGKILL');
    await serverExit;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('hns-mock CLI', () => {
  it('namespace create prints only the new namespace GUID, and dump --table shows it', async () => {
    const created = await run(['namespace', 'create']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\n$/);
    const guid = created.stdout.trim();

    const table = await run(['dump', '--table', '--address', address]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('NAMESPACES (2)'); // the host's default one and the new one
    expect(table.stdout).toContain(guid);
    expect(table.stdout).toContain('HNS 10.1; adapters: Ethernet 2');

    expect((await run(['namespace', 'delete', guid])).code).toBe(0);
    const dump = JSON.parse((await run(['dump'])).stdout) as { namespaces: { Type: string }[]; version: unknown; adapters: string[] };
    expect(dump).toMatchObject({ version: { Major: 10, Minor: 1 }, adapters: ['Ethernet 2'] });
    expect(dump.namespaces.map((n) => n.Type)).toEqual(['HostDefault']);
  });

  it('injects a fault that a client then meets, and shows the call in the log', async () => {
    const fault = await run(['fault', 'HcnEnumerateNetworks', '--hresult', '0x803b0020', '--count', '1', '--message', 'stopping']);
    expect(fault.code).toBe(0);
    expect(fault.stdout).toContain('HcnEnumerateNetworks: fail with 0x803b0020 HCN_E_MANAGER_STOPPED');
    const api = new GrpcHcnApi({ address });
    try {
      await expect(api.enumerate('Network', '')).rejects.toMatchObject({ hresult: HRESULT.HCN_E_MANAGER_STOPPED, hnsMessage: 'stopping' });
      expect(await api.enumerate('Network', '')).toBe('[]');
    } finally {
      api.close();
    }
    const calls = JSON.parse((await run(['calls', '--method', 'HcnEnumerateNetworks'])).stdout) as { hresultName: string | null; faulted: boolean }[];
    expect(calls.map((c) => [c.hresultName, c.faulted])).toEqual([
      ['HCN_E_MANAGER_STOPPED', true],
      ['S_OK', false],
    ]);
    expect(JSON.parse((await run(['fault', 'clear'])).stdout)).toEqual({ cleared: 0 });
  });

  it('runs restart, reboot, version, adapters and reset', async () => {
    expect(JSON.parse((await run(['restart'])).stdout)).toEqual({ endpointsRemoved: 0 });
    expect(JSON.parse((await run(['reboot'])).stdout)).toMatchObject({ networksRemoved: 0 });
    expect(JSON.parse((await run(['version', '15.1'])).stdout)).toEqual({ version: { Major: 15, Minor: 1 } });
    expect(JSON.parse((await run(['adapter', 'add', 'Ethernet 3'])).stdout)).toEqual({ adapters: ['Ethernet 2', 'Ethernet 3'] });
    expect(JSON.parse((await run(['reset'])).stdout)).toEqual({ reset: true });
    expect(JSON.parse((await run(['adapters'])).stdout)).toEqual({ adapters: ['Ethernet 2'] });
    expect(JSON.parse((await run(['version'])).stdout)).toEqual({ version: { Major: 10, Minor: 1 } });
  });

  it('exits 2 on a usage error and 1 when the mock cannot be reached, saying why on stderr', async () => {
    const usage = await run(['frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('unknown command "frobnicate"');
    expect((await run(['fault'])).code).toBe(2);
    const down = await run(['dump', '--address', `unix://${path.join(dir, 'nobody.sock')}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('nobody.sock');
    const refused = await run(['serve', '--listen', '0.0.0.0:0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('loopback');
  });

  it('serves the same model on the framed door given with --framed', async () => {
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const reader = new FrameReader();
      const socket = net.connect(framedPath, () => {
        socket.write(encodeRequest({ method: 'HNSCall', id: '', json: JSON.stringify({ Method: 'GET', Path: '/globals/version', Request: '' }), networkId: '' }));
      });
      socket.on('data', (chunk: Buffer) => {
        const [body] = reader.push(chunk);
        if (body) {
          socket.end();
          resolve(body);
        }
      });
      socket.on('error', reject);
    });
    const res = decodeResponse(answer);
    expect(res.hresult).toBe(0);
    expect(JSON.parse(res.json)).toMatchObject({ Success: true, Output: { Major: 10, Minor: 1 } });
    const calls = JSON.parse((await run(['calls', '--method', 'HNSCall'])).stdout) as unknown[];
    expect(calls).toHaveLength(1);
  });

  it('shuts down cleanly on SIGTERM and removes its sockets', async () => {
    const sock = address.slice('unix://'.length);
    expect(fs.existsSync(sock)).toBe(true);
    expect(fs.existsSync(framedPath)).toBe(true);
    server.kill('SIGTERM');
    expect(await serverExit).toBe(0);
    expect(fs.existsSync(sock)).toBe(false);
    expect(fs.existsSync(framedPath)).toBe(false);
  });
});
