import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFilesIn, findHnsbridgeConfig, parseConfigBytes } from '../../../src/tools/config-file.js';
import { renderReport, validateFile } from '../../../src/tools/validate.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hnsbridge-validate-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const GOOD = { cniVersion: '1.0.0', name: 'pods', plugins: [{ type: 'hnsbridge', ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]] } }] };

function write(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

describe('reading a config file', () => {
  it('fails a UTF-8 byte-order mark, says why containerd cannot read it, and still checks the rest', () => {
    const r = parseConfigBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(GOOD))]));
    expect(r.doc).toEqual(GOOD);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ severity: 'error', path: '(file)', message: expect.stringMatching(/byte-order mark/) });
    expect(r.findings[0]?.hint).toMatch(/invalid character 'ï'/);
  });

  it('recognises UTF-16 (PowerShell 5.1 redirection) and text that is not UTF-8', () => {
    expect(parseConfigBytes(Buffer.from('\ufeff{}', 'utf16le')).findings[0]?.message).toMatch(/UTF-16/);
    expect(parseConfigBytes(Buffer.from([0x7b, 0xe9, 0x7d])).findings[0]?.message).toMatch(/not valid UTF-8/);
  });

  it('gives the line and column of a JSON error', () => {
    const r = parseConfigBytes(Buffer.from('{\n  "cniVersion": "1.0.0"\n  "name": "pods"\n}'));
    expect(r.doc).toBeUndefined();
    expect(r.findings[0]).toMatchObject({ line: 3, column: 3, message: expect.stringMatching(/^not valid JSON/) });
  });

  it('lists a conf_dir in containerd\'s order and finds the first hnsbridge config in it', () => {
    const d = fs.mkdtempSync(path.join(dir, 'netd-'));
    fs.writeFileSync(path.join(d, '05-other.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'x', plugins: [{ type: 'win-bridge' }] }));
    fs.writeFileSync(path.join(d, '10-hnsbridge.conflist'), JSON.stringify(GOOD));
    fs.writeFileSync(path.join(d, '20-single.conf'), JSON.stringify({ ...GOOD.plugins[0], cniVersion: '1.0.0', name: 'y' }));
    fs.writeFileSync(path.join(d, 'notes.txt'), 'x');
    expect(configFilesIn(d).map((f) => path.basename(f))).toEqual(['05-other.conflist', '10-hnsbridge.conflist', '20-single.conf']);
    expect(findHnsbridgeConfig(d)).toBe(path.join(d, '10-hnsbridge.conflist'));
    fs.rmSync(path.join(d, '10-hnsbridge.conflist'));
    expect(findHnsbridgeConfig(d)).toBe(path.join(d, '20-single.conf'));
  });
});

describe('validateFile', () => {
  it('passes a good file and prints a one-line OK summary with network, subnet, gateway and version', () => {
    const r = validateFile(write('good.conflist', JSON.stringify(GOOD)), 'linux', false);
    expect(r.valid).toBe(true);
    const text = renderReport(r, 'linux').join('\n');
    expect(text).toMatch(/^OK {2}.*good\.conflist: network "pods", subnets 10\.244\.1\.0\/24 \(gateway 10\.244\.1\.2\), cniVersion 1\.0\.0/);
  });

  it('fails on warnings only with --strict', () => {
    const p = write('warn.conflist', JSON.stringify({ ...GOOD, plugins: [{ ...GOOD.plugins[0], capabilites: {} }] }));
    expect(validateFile(p, 'linux', false).valid).toBe(true);
    expect(validateFile(p, 'linux', true).valid).toBe(false);
    expect(renderReport(validateFile(p, 'linux', false), 'linux').join('\n')).toMatch(/warning {2}plugins\[0\]\.capabilites: unknown key[^\n]*\n\s+hint: did you mean "capabilities"\?/);
  });

  it('reports a missing file as an error, not an exception', () => {
    const r = validateFile(path.join(dir, 'nope.conflist'), 'linux', false);
    expect(r.valid).toBe(false);
    expect(r.findings[0]?.message).toBe('no such file');
  });

  it('prints each error with its path and hint under a FAILED line', () => {
    const p = write('bad.conflist', JSON.stringify({ ...GOOD, plugins: [{ ...GOOD.plugins[0], serviceCIDR: '10.96.0.0/33' }] }));
    const lines = renderReport(validateFile(p, 'linux', false), 'linux');
    expect(lines[0]).toMatch(/^FAILED {2}.*bad\.conflist: 1 error$/);
    expect(lines[1]).toBe('  error    plugins[0].serviceCIDR: is not a CIDR: "10.96.0.0/33"');
    expect(lines[2]).toMatch(/^ +hint: /);
  });
});
