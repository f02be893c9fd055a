// The offline operator commands through the built binary: validate and the conflist generator.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PLUGIN, ROOT, baseEnv, tempDir } from './harness.js';

const dir = tempDir('hnsbridge-tools-validate');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PLUGIN, args, { env: baseEnv(), encoding: 'utf8', timeout: 60_000, ...(input === undefined ? {} : { input }) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const examples = fs.readdirSync(path.join(ROOT, 'conf')).filter((f) => f.endsWith('.conflist')).map((f) => path.join(ROOT, 'conf', f));

describe('hnsbridge validate (built binary)', () => {
  it('passes every conf/ example for Windows, with one OK line each', () => {
    const r = cli(['validate', '--platform', 'windows', ...examples]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const ok = r.stdout.split('\n').filter((l) => l.startsWith('OK  '));
    expect(ok).toHaveLength(examples.length);
    expect(ok.join('\n')).toContain('conf/hnsbridge.conflist: network "k8s-pod-network", subnets 10.244.1.0/24 (gateway 10.244.1.2), cniVersion 1.0.0 (checked for windows)');
  });

  it('fails a broken config with exit 1, every problem with its path and a hint, and changes nothing', () => {
    const file = path.join(dir, '10-broken.conflist');
    const text = JSON.stringify({ cniVersion: '1.0.0', name: 'pods', plugins: [{ type: 'hnsbridge', capabilites: { portMappings: true }, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24', gateway: '10.244.2.1' }]] }, serviceCIDR: '10.96.0.0/12x' }] }, null, 2);
    fs.writeFileSync(file, text);
    const r = cli(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILED {2}.*10-broken\.conflist: 2 errors, 1 warning$/m);
    expect(r.stdout).toMatch(/error {4}plugins\[0\]\.ipam\.ranges\[0\]\[0\]\.gateway: /);
    expect(r.stdout).toMatch(/error {4}plugins\[0\]\.serviceCIDR: is not a CIDR: "10\.96\.0\.0\/12x"\n +hint: for example/);
    expect(r.stdout).toMatch(/warning {2}plugins\[0\]\.capabilites: unknown key: it is ignored\n +hint: did you mean "capabilities"\?/);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);

    const j = cli(['validate', '--json', file]);
    expect(j.code).toBe(1);
    const doc = JSON.parse(j.stdout) as { valid: boolean; files: { errors: number; warnings: number; findings: { path: string }[] }[] };
    expect(doc.valid).toBe(false);
    expect(doc.files[0]).toMatchObject({ errors: 2, warnings: 1 });
  });

  it('points at the line and column of a JSON mistake and recognises a byte-order mark', () => {
    const comma = path.join(dir, 'comma.conflist');
    fs.writeFileSync(comma, '{\n  "cniVersion": "1.0.0"\n  "name": "pods",\n  "plugins": []\n}\n');
    const r = cli(['validate', comma]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\(file\) line 3, column 3: not valid JSON: expected "," or "}"/);
    expect(r.stdout).toMatch(/hint: a comma is probably missing/);

    const bom = path.join(dir, 'bom.conflist');
    fs.writeFileSync(bom, `\ufeff${fs.readFileSync(examples[0] as string, 'utf8')}`);
    const b = cli(['validate', '--platform', 'windows', bom]);
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(/byte-order mark/);
  });

  it('reads stdin for "-" and refuses a wrong command line with exit 1', () => {
    expect(cli(['validate', '--platform', 'windows', '-'], fs.readFileSync(examples[0] as string, 'utf8')).code).toBe(0);
    const u = cli(['validate', '--platfrom', 'windows', 'x']);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/unknown option --platfrom: did you mean "--platform"\?/);
  });
});

describe('hnsbridge conflist (built binary)', () => {
  it('writes a conflist that validate passes, and refuses options that make an invalid one', () => {
    const out = path.join(dir, '10-hnsbridge.conflist');
    const args = ['conflist', '--platform', 'windows', '--pod-subnet', '10.244.1.0/24', '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/12', '--node-subnet', '192.168.1.0/24', '--management-ip', '192.168.1.10', '--adapter', 'Ethernet', '--dns', '10.96.0.10', '--dns-search', 'svc.cluster.local,cluster.local', '--log-file', 'C:\\k\\cni\\logs\\hnsbridge.log'];
    const printed = cli(args);
    expect(printed.code, printed.stderr).toBe(0);
    const written = cli([...args, '--output', out]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toMatch(/^wrote .*10-hnsbridge\.conflist: network "k8s-pod-network", subnets 10\.244\.1\.0\/24 \(gateway 10\.244\.1\.2\)/);
    expect(fs.readFileSync(out, 'utf8')).toBe(printed.stdout);
    expect(JSON.parse(printed.stdout)).toMatchObject({ cniVersion: '1.0.0', plugins: [{ type: 'hnsbridge', adapter: 'Ethernet', managementIP: '192.168.1.10', dns: { search: ['svc.cluster.local', 'cluster.local'] } }] });
    const v = cli(['validate', '--strict', '--platform', 'windows', out]);
    expect(v.code, v.stdout).toBe(0);

    const bad = cli(['conflist', '--pod-subnet', '10.244.1.5/24', '--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/12']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/--pod-subnet \(plugins\[0\]\.ipam\.ranges\[0\]\[0\]\.subnet\): .*host bits/);
  });

  it('is listed in --help with the other operator commands', () => {
    const h = cli(['--help']);
    for (const c of ['validate', 'inspect', 'gc --dry-run', 'conflist']) expect(h.stderr).toContain(`hnsbridge ${c}`);
  });
});
