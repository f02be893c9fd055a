import { describe, expect, it } from 'vitest';
import { CniError, ConfigError } from '../../../src/cni/errors.js';
import { parseNetConf, peekVersion } from '../../../src/cni/netconf.js';
import { ObjectReader, Problems } from '../../../src/cni/reader.js';
import { MAX_CONFIG_BYTES, decodeConfig } from '../../../src/cni/stdin.js';

const ok = { cniVersion: '1.1.0', name: 'pods', type: 'hnsbridge' };

function err(f: () => unknown): CniError {
  try {
    f();
  } catch (e) {
    if (e instanceof CniError) return e;
    throw e;
  }
  throw new Error('expected a CniError');
}

describe('parseNetConf', () => {
  it('reads the protocol keys case-insensitively', () => {
    const c = parseNetConf({ CNIVersion: '1.0.0', Name: 'pods', Type: 'hnsbridge' }, 'ADD', 'linux');
    expect(c.base).toMatchObject({ cniVersion: '1.0.0', name: 'pods', type: 'hnsbridge' });
    expect(c.problems.list).toEqual([]);
  });

  const versionCases: [string, unknown, string, number][] = [
    ['unsupported version', { ...ok, cniVersion: '0.2.0' }, 'ADD', 1],
    ['future version', { ...ok, cniVersion: '2.0.0' }, 'ADD', 1],
    ['CHECK on 0.3.1', { ...ok, cniVersion: '0.3.1' }, 'CHECK', 1],
    ['GC on 1.0.0', { ...ok, cniVersion: '1.0.0' }, 'GC', 1],
    ['STATUS on 0.4.0', { ...ok, cniVersion: '0.4.0' }, 'STATUS', 1],
    ['missing cniVersion', { name: 'pods', type: 'hnsbridge' }, 'ADD', 7],
    ['not an object', [1, 2], 'ADD', 6],
    ['a string document', 'hello', 'ADD', 6],
  ];
  it.each(versionCases)('%s → code %d', (_n, doc, verb, code) => {
    expect(err(() => parseNetConf(doc, verb as 'ADD', 'linux')).code).toBe(code);
  });

  const problemCases: [string, Record<string, unknown>, string][] = [
    ['missing name', { cniVersion: '1.0.0', type: 'hnsbridge' }, 'name'],
    ['name with a slash', { ...ok, name: '../etc' }, 'name'],
    ['name with a space', { ...ok, name: 'a b' }, 'name'],
    ['missing type', { cniVersion: '1.0.0', name: 'x' }, 'type'],
    ['other type', { ...ok, type: 'win-bridge' }, 'type'],
    ['numeric name', { ...ok, name: 5 }, 'name'],
    ['relative log file', { ...ok, log: { file: 'hnsbridge.log' } }, 'log.file'],
    ['bad log level', { ...ok, log: { level: 'loud' } }, 'log.level'],
    ['unknown log key', { ...ok, log: { fiel: '/x' } }, 'log.fiel'],
    ['bad prevResult ip', { ...ok, prevResult: { ips: [{ address: 'x' }] } }, 'prevResult.ips[0].address'],
    ['duplicate key in different case', { ...ok, Name: 'other' }, 'Name'],
  ];
  it.each(problemCases)('%s is a problem at %s', (_n, doc, path) => {
    const c = parseNetConf(doc, 'ADD', 'linux');
    expect(c.problems.list.map((p) => p.path)).toContain(path);
    expect(() => c.problems.throwIfAny()).toThrow(ConfigError);
  });

  it('reads GC attachments under either key', () => {
    const a = parseNetConf({ ...ok, 'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }] }, 'GC', 'linux');
    const b = parseNetConf({ ...ok, 'cni.dev/attachments': [{ containerID: 'c2', ifname: 'eth0' }] }, 'GC', 'linux');
    expect(a.base.validAttachments).toEqual([{ containerId: 'c1', ifname: 'eth0' }]);
    expect(b.base.validAttachments).toEqual([{ containerId: 'c2', ifname: 'eth0' }]);
  });

  it('refuses a GC without an attachment list rather than releasing everything', () => {
    const c = parseNetConf(ok, 'GC', 'linux');
    expect(c.problems.list.map((p) => p.path)).toContain('cni.dev/valid-attachments');
  });

  it('accepts Windows log paths on win32 only', () => {
    expect(parseNetConf({ ...ok, log: { file: 'C:\\k\\cni\\logs\\x.log' } }, 'ADD', 'win32').base.log.file).toBe('C:\\k\\cni\\logs\\x.log');
    expect(parseNetConf({ ...ok, log: { file: 'C:\\k\\x.log' } }, 'ADD', 'linux').problems.list).toHaveLength(1);
  });

  it('leaves plugin keys unread so the plugin can read them, and reports what nobody read', () => {
    const c = parseNetConf({ ...ok, capabilites: { portMappings: true }, ipam: {} }, 'ADD', 'linux');
    c.reader.raw('ipam');
    expect(c.reader.unknownKeys()).toEqual(['capabilites']);
  });

  it('peekVersion finds a supported version only', () => {
    expect(peekVersion({ CniVersion: '0.4.0' })).toBe('0.4.0');
    expect(peekVersion({ cniVersion: '0.2.0' })).toBeUndefined();
    expect(peekVersion(null)).toBeUndefined();
  });
});

describe('ObjectReader', () => {
  it('collects every problem with its path instead of stopping at the first', () => {
    const p = new Problems();
    const r = new ObjectReader({ a: 1, b: 'x', c: [1, 'y'], d: 1.5 }, 'root', p);
    r.string('a');
    r.boolean('b');
    r.stringArray('c');
    r.integer('d');
    r.string('e', { required: true });
    expect(p.list.map((x) => x.path)).toEqual(['root.a', 'root.b', 'root.c[0]', 'root.d', 'root.e']);
  });
  it('bounds integers', () => {
    const p = new Problems();
    new ObjectReader({ port: 70000 }, '', p).integer('port', { min: 1, max: 65535 });
    expect(p.list[0]?.message).toContain('between 1 and 65535');
  });
});

describe('decodeConfig', () => {
  it('strips a UTF-8 byte-order mark and says so', () => {
    const d = decodeConfig(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(ok))]));
    expect(d.hadBom).toBe(true);
    expect(d.value).toEqual(ok);
  });
  it.each([
    ['empty input', Buffer.alloc(0), 'empty'],
    ['whitespace only', Buffer.from('  \n'), 'empty'],
    ['invalid JSON', Buffer.from('{"a":'), 'not valid JSON'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'UTF-8'],
    ['UTF-16 with BOM', Buffer.from('\ufeff{}', 'utf16le'), 'UTF-16'],
    ['oversize', Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20), 'limit'],
  ])('%s is code 6', (_n, bytes, text) => {
    const e = err(() => decodeConfig(bytes));
    expect(e.code).toBe(6);
    expect(e.message).toContain(text);
  });
});
