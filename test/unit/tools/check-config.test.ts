import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNetConf } from '../../../src/cni/netconf.js';
import { parseBridgeConfig } from '../../../src/bridge/config.js';
import { LIST_KEYS, NEUTRAL_ENV, PLUGIN_KEYS, checkConfigDocument, type Finding } from '../../../src/tools/check-config.js';

const ROOT = path.resolve(__dirname, '../../..');

function plugin(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'hnsbridge', ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: '/var/lib/cni/networks' }, ...extra };
}

function list(p: Record<string, unknown>, top: Record<string, unknown> = {}): Record<string, unknown> {
  return { cniVersion: '1.0.0', name: 'pods', plugins: [p], ...top };
}

function check(doc: unknown, fileName?: string): Finding[] {
  return checkConfigDocument(doc, fileName === undefined ? { platform: 'linux' } : { platform: 'linux', fileName }).findings;
}

function errors(doc: unknown, fileName?: string): Finding[] {
  return check(doc, fileName).filter((f) => f.severity === 'error');
}

describe('checkConfigDocument', () => {
  it('accepts a minimal conflist and summarises its network, subnets and bridge gateway', () => {
    const r = checkConfigDocument(list(plugin()), { platform: 'linux', fileName: '10-hnsbridge.conflist' });
    expect(r.findings).toEqual([]);
    expect(r.kind).toBe('conflist');
    expect(r.networks).toHaveLength(1);
    expect(r.networks[0]).toMatchObject({ entry: 'plugins[0]', network: 'pods', cniVersion: '1.0.0', subnets: [{ prefix: '10.244.1.0/24', gateway: '10.244.1.2' }] });
  });

  // [what, document, file name, expected error path, text the message or hint must contain]
  const broken: [string, unknown, string | undefined, string, RegExp][] = [
    ['missing ipam', list({ type: 'hnsbridge' }), undefined, 'plugins[0].ipam', /is required/],
    ['subnet with a bad prefix', list(plugin({ ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/33' }]] } })), undefined, 'plugins[0].ipam.ranges[0][0].subnet', /./],
    ['gateway outside the subnet', list(plugin({ ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24', gateway: '10.9.9.9' }]] } })), undefined, 'plugins[0].ipam.ranges[0][0].gateway', /./],
    ['misspelled ipam key, with a suggestion', list(plugin({ ipam: { type: 'host-local', rnages: [[{ subnet: '10.244.1.0/24' }]] } })), undefined, 'plugins[0].ipam.rnages', /did you mean "ranges"/],
    ['misspelled dns key, with a suggestion', list(plugin({ dns: { nameserver: ['10.96.0.10'] } })), undefined, 'plugins[0].dns.nameserver', /did you mean "nameservers"/],
    ['placeholder service CIDR', list(plugin({ serviceCIDR: '<service cidr>' })), undefined, 'plugins[0].serviceCIDR', /not a CIDR/],
    ['DNS server that is no IP', list(plugin({ dns: { nameservers: ['10.96.0.300'] } })), undefined, 'plugins[0].dns.nameservers[0]', /not an IP address/],
    ['relative log path', list(plugin({ log: { file: 'hnsbridge.log' } })), undefined, 'plugins[0].log.file', /absolute/],
    ['missing cniVersion is reported at the top of the list', { name: 'pods', plugins: [plugin()] }, undefined, 'cniVersion', /required/],
    ['unsupported cniVersion', list(plugin(), { cniVersion: '2.0.0' }), undefined, 'cniVersion', /0\.3\.0, 0\.3\.1, 0\.4\.0, 1\.0\.0, 1\.1\.0/],
    ['invalid network name', list(plugin(), { name: 'my network' }), undefined, 'name', /must match/],
    ['no hnsbridge plugin in the list', list({ type: 'portmap' }), undefined, 'plugins', /"type": "hnsbridge"/],
    ['a chained plugin without a type', { cniVersion: '1.0.0', name: 'pods', plugins: [plugin(), { capabilities: {} }] }, undefined, 'plugins[1].type', /is required/],
    ['a conflist saved as .conf', list(plugin()), 'hnsbridge.conf', '(file)', /rename it to \.conflist/],
    ['a single plugin saved as .conflist', { cniVersion: '1.0.0', name: 'pods', ...plugin() }, '10-hnsbridge.conflist', '(file)', /no plugins in list/],
    ['a capability that is not a boolean', list(plugin({ capabilities: { portMappings: 'true' } })), undefined, 'plugins[0].capabilities.portMappings', /true or false/],
    ['a single config of another type', { cniVersion: '1.0.0', name: 'pods', type: 'win-bridge', ipam: { type: 'host-local', subnet: '10.0.0.0/24' } }, undefined, 'type', /must be "hnsbridge"/],
  ];
  for (const [what, doc, file, wantPath, want] of broken) {
    it(`fails ${what}, naming ${wantPath}`, () => {
      const errs = errors(doc, file);
      const hit = errs.find((f) => f.path === wantPath);
      expect(hit, JSON.stringify(errs, null, 1)).toBeDefined();
      expect(`${hit?.message} ${hit?.hint ?? ''}`).toMatch(want);
    });
  }

  it('lists every problem of a config in one run, not only the first', () => {
    const errs = errors(list(plugin({ serviceCIDR: 'x', managementIP: 'y', dns: { nameservers: ['z'] } }), { cniVersion: '9.9' }));
    expect(errs.map((f) => f.path).sort()).toEqual(['cniVersion', 'plugins[0].dns.nameservers[0]', 'plugins[0].managementIP', 'plugins[0].serviceCIDR']);
  });

  // [what, document, warning path, hint]
  const warned: [string, unknown, string, RegExp][] = [
    ['capabilites (the win-overlay docs typo)', list(plugin({ capabilites: { portMappings: true } })), 'plugins[0].capabilites', /did you mean "capabilities"\?/],
    ['a transposed CIDR key', list(plugin({ clusterCIRD: '10.244.0.0/16' })), 'plugins[0].clusterCIRD', /did you mean "clusterCIDR"\?/],
    ['a capability in the wrong case', list(plugin({ capabilities: { portmappings: true } })), 'plugins[0].capabilities.portmappings', /write "portMappings"/],
    ['a misspelled capability', list(plugin({ capabilities: { portMapping: true } })), 'plugins[0].capabilities.portMapping', /did you mean "portMappings"\?/],
    ['a plugin key at the list level', list(plugin(), { ipam: {} }), 'ipam', /plugins\[\]/],
    ['a misspelled list key', list(plugin(), { disableGc: true, pluginz: [] }), 'pluginz', /did you mean "plugins"\?/],
    ['hnsbridge after another plugin', { cniVersion: '1.0.0', name: 'pods', plugins: [{ type: 'portmap' }, plugin()] }, 'plugins[1]', /put it first/],
    ['a file name containerd does not load', list(plugin()), '(file)', /Notepad/],
  ];
  for (const [what, doc, wantPath, hint] of warned) {
    it(`warns about ${what} without failing`, () => {
      const fs2 = check(doc, what.startsWith('a file name') ? '10-hnsbridge.conflist.txt' : undefined);
      expect(fs2.filter((f) => f.severity === 'error')).toEqual([]);
      const w = fs2.find((f) => f.severity === 'warning' && f.path === wantPath);
      expect(w, JSON.stringify(fs2, null, 1)).toBeDefined();
      expect(w?.hint).toMatch(hint);
    });
  }

  it('checks Windows paths only when asked to check for Windows', () => {
    const doc = list(plugin({ ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: 'C:\\var\\lib\\cni\\networks' }, log: { file: 'C:\\k\\cni\\logs\\hnsbridge.log' } }));
    expect(checkConfigDocument(doc, { platform: 'win32' }).findings).toEqual([]);
    expect(errors(doc).map((f) => f.path).sort()).toEqual(['plugins[0].ipam.dataDir', 'plugins[0].log.file']);
  });

  it('reports each error the ADD path records, with the same path (no more, no less)', () => {
    const p = plugin({ serviceCIDR: 'nope', acls: [{ action: 'Maybe', direction: 'In' }], hnsTimeoutSeconds: 0 });
    const conf = parseNetConf({ ...p, cniVersion: '1.0.0', name: 'pods' }, 'ADD', 'linux');
    parseBridgeConfig(conf, NEUTRAL_ENV, 'linux');
    const addPaths = conf.problems.list.map((x) => `plugins[0].${x.path}`).sort();
    expect(addPaths.length).toBeGreaterThan(2);
    expect(errors(list(p)).map((f) => f.path).sort()).toEqual(addPaths);
  });

  for (const file of fs.readdirSync(path.join(ROOT, 'conf')).filter((f) => f.endsWith('.conflist'))) {
    it(`passes the example conf/${file} for Windows without errors`, () => {
      const doc: unknown = JSON.parse(fs.readFileSync(path.join(ROOT, 'conf', file), 'utf8'));
      const r = checkConfigDocument(doc, { platform: 'win32', fileName: file });
      expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(r.findings.filter((f) => f.message.startsWith('unknown'))).toEqual([]);
      expect(r.networks).toHaveLength(1);
    });
  }
});

describe('PLUGIN_KEYS (the spelling suggestions)', () => {
  it('lists only keys the parsers accept', () => {
    for (const k of PLUGIN_KEYS) {
      const doc = list(plugin({ [k]: null }));
      // A null value is "absent" to the readers, so only whether the key is known can be reported.
      expect(check(doc).filter((f) => f.path === `plugins[0].${k}` && f.message.startsWith('unknown')), k).toEqual([]);
    }
  });

  it('lists every top-level key the parsers read (src/cni/netconf.ts, src/bridge/config.ts)', () => {
    const src = ['src/cni/netconf.ts', 'src/bridge/config.ts'].map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
    const read = new Set<string>();
    for (const m of src.matchAll(/\b(?:r|top)\.(?:raw|string|boolean|integer|object|array|stringArray|has)\('([^']+)'/g)) read.add(m[1] as string);
    for (const m of src.matchAll(/\bcidrs\('([^']+)'\)/g)) read.add(m[1] as string);
    for (const m of src.matchAll(/\br\.accept\(([^)]*)\)/g)) for (const k of (m[1] as string).matchAll(/'([^']+)'/g)) read.add(k[1] as string);
    expect(read.size).toBeGreaterThan(20);
    // Local readers (policies, port mappings) share the variable name: the top-level reader decides
    // which of the names found are its keys.
    const topLevel = [...read].filter((k) => !k.startsWith('cni.dev/') && !check(list(plugin({ [k]: null }))).some((f) => f.path === `plugins[0].${k}` && f.message.startsWith('unknown')));
    expect(topLevel).toEqual(expect.arrayContaining(['clusterCIDR', 'ipam', 'capabilities']));
    const known = new Set<string>(PLUGIN_KEYS);
    expect(topLevel.filter((k) => !known.has(k))).toEqual([]);
  });

  it('keeps the conflist keys of the CNI spec', () => {
    expect(LIST_KEYS).toEqual(expect.arrayContaining(['cniVersion', 'name', 'plugins', 'disableCheck', 'disableGC']));
  });
});
