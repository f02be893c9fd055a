// The `hns-mock` command (bin/hns-mock.cjs bundles and runs this file). Entry point: importing it
// runs main(); it does nothing else at import.

import { parseArgs } from 'node:util';
import { mockAddressFromEnv } from '../src/hns/grpc.js';
import { MockAdminClient } from './admin-client.js';
import { DEFAULT_ADAPTERS, DEFAULT_VERSION } from './model.js';
import { type FramedDoor, openFramedDoor, startMockServer } from './server.js';
import { parseVersion } from './service.js';
import { renderDumpTable } from './table.js';

const USAGE = `usage: hns-mock COMMAND [options]

  serve --listen ADDR [--framed ADDR] [--hns-version 15.4] [--adapter NAME]...
                              run the mock HNS until SIGINT/SIGTERM (ADDR: unix:///path or 127.0.0.1:port)
  dump [--table]              the whole state as JSON, or as tables
  namespace create [--type Host]   create an HCN namespace (as containerd does before ADD); prints its GUID
  namespace delete GUID       delete a namespace (as containerd does after DEL)
  fault METHOD [--hresult 0x803b0013] [--count N | --always] [--delay MS|forever] [--message TEXT] [--match TEXT]
                              fail (or delay) the next N calls of an HCN function (or * for any);
                              --match: only calls whose arguments contain TEXT
  fault clear                 drop every fault and release delayed calls
  faults                      list the active faults
  unreachable unavailable|hang|off   make HNS unreachable (answer UNAVAILABLE, or never answer)
  restart                     simulate Restart-Service hns (endpoints gone)
  reboot                      simulate a node reboot (endpoints, namespaces, non-persistent networks gone)
  reset                       empty state, no faults, empty call log, start-up version and adapters
  calls [--method M] [--since SEQ] [--summary]   the call log as JSON (or counts per method)
  version [MAJOR.MINOR]       show or set the HNS version the probe reports
  adapters                    list host adapters;  adapter add NAME | adapter remove NAME

  Every command but serve talks to a running mock at --address ADDR, else env HNS_MOCK_ADDRESS,
  else unix:///tmp/hns-mock.sock.`;

class UsageError extends Error {}

type Values = Record<string, string | boolean | string[] | undefined>;

interface Parsed {
  values: Values;
  positionals: string[];
}

const ADDRESS = { address: { type: 'string' } } as const;

function parse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...ADDRESS, ...options }, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function str(v: Values, key: string): string | undefined {
  const x = v[key];
  return typeof x === 'string' ? x : undefined;
}

function int(v: Values, key: string): number | undefined {
  const x = str(v, key);
  if (x === undefined) return undefined;
  if (!/^-?\d+$/.test(x)) throw new UsageError(`--${key} must be an integer, got ${JSON.stringify(x)}`);
  return Number(x);
}

function out(doc: unknown): void {
  process.stdout.write(`${typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2)}\n`);
}

async function withClient<T>(values: Values, f: (c: MockAdminClient) => Promise<T>): Promise<T> {
  const client = new MockAdminClient(str(values, 'address') ?? mockAddressFromEnv());
  try {
    return await f(client);
  } finally {
    client.close();
  }
}

async function serve(args: string[]): Promise<number> {
  const { values } = parse(args, {
    listen: { type: 'string' },
    framed: { type: 'string' },
    'hns-version': { type: 'string' },
    adapter: { type: 'string', multiple: true },
  });
  const listen = str(values, 'listen') ?? str(values, 'address') ?? mockAddressFromEnv();
  const versionText = str(values, 'hns-version');
  const adapters = values.adapter;
  const server = await startMockServer({
    listen,
    modelOptions: {
      version: versionText ? parseVersion(versionText) : DEFAULT_VERSION,
      adapters: Array.isArray(adapters) && adapters.length > 0 ? adapters : DEFAULT_ADAPTERS,
    },
  });
  let framed: FramedDoor | undefined;
  const framedAt = str(values, 'framed');
  try {
    if (framedAt !== undefined) framed = await openFramedDoor(server.handler, framedAt);
  } catch (e) {
    await server.stop();
    throw e;
  }
  out(`hns-mock listening on ${server.address}${framed ? ` (framed: ${framed.address})` : ''}; HNS ${server.model.version.Major}.${server.model.version.Minor}; adapters: ${server.model.adapters.join(', ')}`);

  await new Promise<void>((resolve) => {
    const shutdown = (): void => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      resolve();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  await framed?.close();
  await server.stop();
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'dump': {
      const { values } = parse(rest, { table: { type: 'boolean' } });
      const dump = await withClient(values, (c) => c.dump());
      out(values.table ? renderDumpTable(dump) : dump);
      return 0;
    }
    case 'namespace': {
      const { values, positionals } = parse(rest, { type: { type: 'string' } });
      const [sub, id] = positionals;
      if (sub === 'create') {
        const type = str(values, 'type');
        const res = await withClient(values, (c) => c.admin<{ ID: string }>('namespaceCreate', type ? { type } : {}));
        out(res.ID); // only the GUID: scripts capture it as CNI_NETNS
        return 0;
      }
      if (sub === 'delete' && id !== undefined) {
        await withClient(values, (c) => c.admin('namespaceDelete', { id }));
        return 0;
      }
      throw new UsageError('namespace create [--type T] | namespace delete GUID');
    }
    case 'fault': {
      const { values, positionals } = parse(rest, {
        hresult: { type: 'string' },
        count: { type: 'string' },
        always: { type: 'boolean' },
        delay: { type: 'string' },
        message: { type: 'string' },
        match: { type: 'string' },
      });
      const [method] = positionals;
      if (method === undefined) throw new UsageError('fault METHOD [--hresult HR] [--count N] [--delay MS] [--message TEXT] [--match TEXT] | fault clear');
      if (method === 'clear') {
        out(await withClient(values, (c) => c.admin('clearFaults')));
        return 0;
      }
      const delay = str(values, 'delay');
      const args: Record<string, unknown> = { method };
      if (str(values, 'hresult') !== undefined) args.hresult = str(values, 'hresult');
      if (str(values, 'message') !== undefined) args.message = str(values, 'message');
      if (str(values, 'match') !== undefined) args.match = str(values, 'match');
      if (values.always) args.count = -1;
      else if (int(values, 'count') !== undefined) args.count = int(values, 'count');
      if (delay !== undefined) args.delayMs = delay === 'forever' ? -1 : int(values, 'delay');
      const res = await withClient(values, (c) => c.admin<{ description: string }>('fault', args));
      out(res.description);
      return 0;
    }
    case 'faults':
      out(await withClient(parse(rest, {}).values, (c) => c.admin('faults')));
      return 0;
    case 'unreachable': {
      const { values, positionals } = parse(rest, {});
      const [mode] = positionals;
      if (mode === undefined) throw new UsageError('unreachable unavailable|hang|off');
      out(await withClient(values, (c) => c.admin('unreachable', { mode })));
      return 0;
    }
    case 'restart':
    case 'reboot':
    case 'reset':
    case 'adapters':
      out(await withClient(parse(rest, {}).values, (c) => c.admin(command)));
      return 0;
    case 'calls': {
      const { values } = parse(rest, { method: { type: 'string' }, since: { type: 'string' }, summary: { type: 'boolean' } });
      const args: Record<string, unknown> = {};
      if (str(values, 'method') !== undefined) args.method = str(values, 'method');
      if (int(values, 'since') !== undefined) args.since = int(values, 'since');
      const res = await withClient(values, (c) => c.admin<{ calls: unknown[]; counts: Record<string, number> }>('calls', args));
      out(values.summary ? res.counts : res.calls);
      return 0;
    }
    case 'version': {
      const { values, positionals } = parse(rest, {});
      const [v] = positionals;
      out(await withClient(values, (c) => (v === undefined ? c.admin('version') : c.admin('setVersion', { version: v }))));
      return 0;
    }
    case 'adapter': {
      const { values, positionals } = parse(rest, {});
      const [sub, name] = positionals;
      if ((sub !== 'add' && sub !== 'remove') || name === undefined) throw new UsageError('adapter add NAME | adapter remove NAME');
      out(await withClient(values, (c) => c.admin(sub === 'add' ? 'addAdapter' : 'removeAdapter', { name })));
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const usage = e instanceof UsageError;
    process.stderr.write(`hns-mock: ${e instanceof Error ? e.message : String(e)}${usage ? '\n(hns-mock help for usage)' : ''}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
