// The checks of scripts/wine-smoke.sh, one sub-command each, so the shell script stays a plain list
// of steps. Every command prints one short line on success (the detail shown after PASS) and exits
// 0, or prints what is wrong and exits 1. Plain Node, no dependencies: it runs before and after the
// Windows binary, on the Linux side.
//
//   config DATADIR LOGFILE [PREV_RESULT_FILE]   the network config (Windows paths) on stdout
//   version OUT                                 VERSION answer lists 0.3.0 … 1.1.0
//   add OUT NETNS SUBNET_PREFIX                 ADD result: eth0 in NETNS with an address of the subnet
//   empty OUT                                   nothing on stdout (CHECK, DEL)
//   error OUT CODE TEXT                         a CNI error document with that code, msg containing TEXT
//   dump-added DUMP NETNS IP NETWORK            the pod's endpoint, in NETNS, holds IP, on an L2Bridge NETWORK
//   dump-deleted DUMP NETNS NETWORK             no pod endpoint left, none in NETNS; the network stays
//   unchanged DUMP_BEFORE DUMP_AFTER            the same networks and endpoints in both
//   reservations DIR NETWORK [IP CONTAINERID]   exactly IP reserved for CONTAINERID/eth0, or nothing
//   report FILE [leaky]                         the stand-in's HNS_STANDIN_REPORT: one load, calls > 0,
//                                               0 strings and 0 handles outstanding (leaky: strings > 0)
//   log FILE VERB...                            the plugin log ends each VERB with outcome success
//   no-report FILE                              the stand-in was never loaded (no report written)
//   native-cache DIR                            DIR/.native-cache/<sha16>/ffi-rs.win32-x64-msvc.node matches its name

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const ADDON = 'ffi-rs.win32-x64-msvc.node';
const POD_ENDPOINT = 'hnsbridge-pod_';

class Failure extends Error {}

function fail(message) {
  throw new Failure(message);
}

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    return fail(`cannot read ${file}: ${e.message}`);
  }
}

/** stdout must be exactly one JSON object (the CNI contract). */
function oneDocument(file) {
  const text = read(file);
  if (text.trim() === '') fail('stdout is empty, expected one JSON document');
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(`stdout is not exactly one JSON document (${e.message}): ${text.slice(0, 400)}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail(`stdout is not a JSON object: ${text.slice(0, 400)}`);
  return doc;
}

const sameGuid = (a, b) => typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();

function podEndpoints(dump) {
  return (dump.endpoints ?? []).filter((e) => typeof e.Name === 'string' && e.Name.startsWith(POD_ENDPOINT));
}

/** IP-named reservation files of one network in a host-local store (as test/e2e/harness.ts counts them). */
function reservationFiles(dataDir, network) {
  const dir = path.join(dataDir, network);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip.') && !f.startsWith('.')).sort();
}

const commands = {
  config(dataDir, logFile, prevFile) {
    const conf = {
      cniVersion: '1.1.0',
      name: 'smoke',
      type: 'hnsbridge',
      capabilities: { portMappings: true, dns: true },
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.250.7.0/24' }]], dataDir },
      clusterCIDR: '10.250.0.0/16',
      serviceCIDR: '10.96.0.0/12',
      dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
      log: { file: logFile, level: 'debug' },
    };
    if (prevFile) conf.prevResult = oneDocument(prevFile);
    process.stdout.write(JSON.stringify(conf));
  },

  version(out) {
    const doc = oneDocument(out);
    const want = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
    const have = Array.isArray(doc.supportedVersions) ? doc.supportedVersions : [];
    const missing = want.filter((v) => !have.includes(v));
    if (missing.length > 0) fail(`supportedVersions ${JSON.stringify(have)} lacks ${missing.join(', ')}`);
    return `supportedVersions ${have.join(' ')}`;
  },

  add(out, netns, subnetPrefix) {
    const doc = oneDocument(out);
    if (doc.cniVersion !== '1.1.0') fail(`cniVersion ${JSON.stringify(doc.cniVersion)}, expected 1.1.0`);
    const iface = Array.isArray(doc.interfaces) ? doc.interfaces[0] : undefined;
    if (iface?.name !== 'eth0') fail(`interfaces[0] is ${JSON.stringify(iface)}, expected eth0`);
    if (!sameGuid(iface.sandbox, netns)) fail(`interfaces[0].sandbox is ${JSON.stringify(iface.sandbox)}, expected the namespace ${netns}`);
    if (!/^([0-9A-F]{2}-){5}[0-9A-F]{2}$/i.test(String(iface.mac))) fail(`interfaces[0].mac ${JSON.stringify(iface.mac)} is not a MAC`);
    const ip = Array.isArray(doc.ips) ? doc.ips[0] : undefined;
    if (typeof ip?.address !== 'string' || !ip.address.startsWith(subnetPrefix)) fail(`ips[0] is ${JSON.stringify(ip)}, expected an address in ${subnetPrefix}*`);
    if (ip.interface !== 0) fail(`ips[0].interface is ${JSON.stringify(ip.interface)}, expected 0`);
    return `${ip.address} gw ${ip.gateway} on eth0 (${iface.mac}) in ${iface.sandbox}`;
  },

  empty(out) {
    const text = read(out);
    if (text !== '') fail(`stdout should be empty, got: ${text.slice(0, 400)}`);
    return 'stdout empty';
  },

  error(out, code, text) {
    const doc = oneDocument(out);
    if (doc.code !== Number(code)) fail(`error code ${JSON.stringify(doc.code)}, expected ${code}: ${JSON.stringify(doc)}`);
    if (!String(doc.msg ?? '').includes(text)) fail(`msg ${JSON.stringify(doc.msg)} does not mention ${text}`);
    return `code ${doc.code}: ${doc.msg}`;
  },

  'dump-added'(dumpFile, netns, ip, network) {
    const dump = JSON.parse(read(dumpFile));
    const eps = podEndpoints(dump);
    if (eps.length !== 1) fail(`expected 1 pod endpoint in HNS, found ${eps.length}`);
    const ep = eps[0];
    if (!sameGuid(ep.HostComputeNamespace, netns)) fail(`endpoint ${ep.Name} is in namespace ${ep.HostComputeNamespace}, expected ${netns}`);
    const addr = ep.IpConfigurations?.[0]?.IpAddress;
    if (addr !== ip) fail(`endpoint ${ep.Name} holds ${JSON.stringify(addr)}, expected ${ip}`);
    const net = (dump.networks ?? []).find((n) => n.Name === network);
    if (net?.Type !== 'L2Bridge') fail(`network ${network} is ${JSON.stringify(net?.Type)}, expected L2Bridge`);
    if (!sameGuid(ep.HostComputeNetwork, net.ID)) fail(`endpoint ${ep.Name} is on network ${ep.HostComputeNetwork}, expected ${net.ID}`);
    return `${ep.Name} ${ep.ID} in ${ep.HostComputeNamespace} on ${network} (L2Bridge)`;
  },

  'dump-deleted'(dumpFile, netns, network) {
    const dump = JSON.parse(read(dumpFile));
    const eps = podEndpoints(dump);
    if (eps.length !== 0) fail(`pod endpoints left in HNS: ${eps.map((e) => e.Name).join(', ')}`);
    const inNs = (dump.endpoints ?? []).filter((e) => sameGuid(e.HostComputeNamespace, netns));
    if (inNs.length !== 0) fail(`endpoints still attached to ${netns}: ${inNs.map((e) => e.Name).join(', ')}`);
    if (!(dump.networks ?? []).some((n) => n.Name === network)) fail(`network ${network} is gone: DEL must never delete the shared network`);
    return `no pod endpoint left; network ${network} kept`;
  },

  unchanged(beforeFile, afterFile) {
    const before = JSON.parse(read(beforeFile));
    const after = JSON.parse(read(afterFile));
    for (const kind of ['networks', 'endpoints']) {
      const a = JSON.stringify(before[kind] ?? []);
      const b = JSON.stringify(after[kind] ?? []);
      if (a !== b) fail(`HNS ${kind} changed: before ${a.slice(0, 300)}, after ${b.slice(0, 300)}`);
    }
    return `networks and endpoints unchanged (${(after.networks ?? []).length} networks, ${(after.endpoints ?? []).length} endpoints)`;
  },

  reservations(dataDir, network, ip, containerId) {
    const files = reservationFiles(dataDir, network);
    if (ip === undefined) {
      if (files.length !== 0) fail(`reservations left in ${path.join(dataDir, network)}: ${files.join(', ')}`);
      return `no reservation in ${path.join(dataDir, network)}`;
    }
    if (files.join() !== ip) fail(`reservations ${JSON.stringify(files)} in ${path.join(dataDir, network)}, expected [${ip}]`);
    const owner = read(path.join(dataDir, network, ip));
    if (owner !== `${containerId}\r\neth0`) fail(`reservation ${ip} holds ${JSON.stringify(owner)}, expected ${JSON.stringify(`${containerId}\r\neth0`)}`);
    return `${ip} reserved for ${containerId}/eth0 in ${path.join(dataDir, network)}`;
  },

  report(file, mode) {
    const lines = read(file).split('\n').filter((l) => l !== '');
    // One line per load of the library: more than one means the plugin loaded a second instance
    // (another path to the same DLL), whose frees the first one's counter would never see.
    if (lines.length !== 1) fail(`expected one report line (one library load), got ${lines.length}: ${lines.join(' | ')}`);
    const r = JSON.parse(lines[0]);
    if (!(r.calls > 0)) fail(`the stand-in forwarded no calls: ${lines[0]}`);
    if (mode === 'leaky') {
      if (!(r.strings > 0)) fail(`expected outstanding strings when frees bypass the stand-in: ${lines[0]}`);
      return `${r.calls} calls, ${r.strings} strings freed elsewhere are counted as outstanding`;
    }
    if (r.strings !== 0 || r.handles !== 0) fail(`leak: ${r.strings} strings and ${r.handles} handles outstanding after ${r.calls} calls`);
    return `${r.calls} HCN calls, 0 strings, 0 handles outstanding`;
  },

  'no-report'(file) {
    if (fs.existsSync(file)) fail(`the stand-in was loaded: ${read(file).trim()}`);
    return 'computenetwork.dll never loaded';
  },

  log(file, ...verbs) {
    const lines = read(file).trim().split('\n').map((l) => JSON.parse(l));
    const ends = lines.filter((l) => l.msg === 'end' || String(l.msg).startsWith('end:'));
    const got = ends.map((l) => `${l.verb}:${l.outcome}`);
    const want = verbs.map((v) => `${v}:success`);
    if (got.join() !== want.join()) fail(`log ends ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    return `${lines.length} log lines, ${got.join(' ')}`;
  },

  'native-cache'(dir) {
    const root = path.join(dir, '.native-cache');
    // The addon's folder; the code cache made after an ADD has a folder of its own.
    const subdirs = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, ADDON))) : [];
    if (subdirs.length !== 1) fail(`expected one folder holding ${ADDON} in ${root}, found ${JSON.stringify(subdirs)}`);
    const file = path.join(root, subdirs[0], ADDON);
    if (!fs.existsSync(file)) fail(`${file} is missing`);
    const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    if (!digest.startsWith(subdirs[0])) fail(`${file} has sha256 ${digest}, its folder says ${subdirs[0]}`);
    const leftovers = fs.readdirSync(path.join(root, subdirs[0])).filter((f) => f !== ADDON);
    if (leftovers.length > 0) fail(`temporary files left beside the addon: ${leftovers.join(', ')}`);
    return `.native-cache/${subdirs[0]}/${ADDON} (${fs.statSync(file).size} bytes, hash verified)`;
  },

  /** The code cache the executable writes after its first successful ADD (src/local-code-cache.ts). */
  'code-cache'(dir) {
    const root = path.join(dir, '.native-cache');
    const files = fs.readdirSync(root).flatMap((d) => fs.readdirSync(path.join(root, d)).map((f) => `${d}/${f}`));
    const caches = files.filter((f) => f.endsWith('.cache'));
    if (caches.length !== 1 || !/^[0-9a-f]{16}\/hnsbridge-ffi\.cache$/.test(caches[0])) fail(`expected one <16 hex>/hnsbridge-ffi.cache in ${root}, found ${JSON.stringify(files)}`);
    const tmp = files.filter((f) => f.endsWith('.tmp'));
    if (tmp.length > 0) fail(`temporary files left: ${tmp.join(', ')}`);
    return `.native-cache/${caches[0]} (${fs.statSync(path.join(root, caches[0])).size} bytes)`;
  },
};

const [name, ...args] = process.argv.slice(2);
const command = commands[name];
if (command === undefined) {
  process.stderr.write(`wine-smoke.mjs: unknown command ${JSON.stringify(name)}\n`);
  process.exit(2);
}
try {
  const detail = command(...args);
  if (typeof detail === 'string') process.stdout.write(`${detail}\n`);
} catch (e) {
  process.stdout.write(`${e instanceof Failure ? e.message : `check crashed: ${e.stack ?? e}`}\n`);
  process.exit(1);
}
