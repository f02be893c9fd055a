import { describe, expect, it } from 'vitest';
import { parseCniArgs } from '../../../src/cni/args.js';
import { interfaceNameProblem, readEnv } from '../../../src/cni/env.js';
import { CniError } from '../../../src/cni/errors.js';

const base = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'abc123', CNI_NETNS: '5f0b1190-63be-4e0c-b974-bd0f55675a42', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin' };

function codeOf(f: () => unknown): { code: number; msg: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof CniError) return { code: e.code, msg: e.message };
    throw e;
  }
  throw new Error('expected a CniError');
}

describe('readEnv', () => {
  it('reads a complete ADD environment', () => {
    const env = readEnv({ ...base, CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web-0;K8S_POD_NAMESPACE=team' }, 'linux');
    expect(env).toMatchObject({ command: 'ADD', containerId: 'abc123', ifname: 'eth0', path: ['/opt/cni/bin'] });
    expect(env.args).toEqual({ podName: 'web-0', podNamespace: 'team' });
  });

  it('splits CNI_PATH with ";" on Windows and ":" elsewhere', () => {
    expect(readEnv({ ...base, CNI_PATH: 'C:\\k\\cni\\bin;D:\\x' }, 'win32').path).toEqual(['C:\\k\\cni\\bin', 'D:\\x']);
    expect(readEnv({ ...base, CNI_PATH: '/a:/b' }, 'linux').path).toEqual(['/a', '/b']);
  });

  const missingCases: [string, Record<string, string>, string][] = [
    ['no CNI_COMMAND', { ...base, CNI_COMMAND: '' }, 'CNI_COMMAND'],
    ['ADD without CNI_CONTAINERID', { ...base, CNI_CONTAINERID: '' }, 'CNI_CONTAINERID'],
    ['ADD without CNI_NETNS', { ...base, CNI_NETNS: '' }, 'CNI_NETNS'],
    ['ADD without CNI_IFNAME', { ...base, CNI_IFNAME: '' }, 'CNI_IFNAME'],
    ['CHECK without CNI_NETNS', { ...base, CNI_COMMAND: 'CHECK', CNI_NETNS: '' }, 'CNI_NETNS'],
    ['DEL without CNI_CONTAINERID', { ...base, CNI_COMMAND: 'DEL', CNI_CONTAINERID: '' }, 'CNI_CONTAINERID'],
    ['GC without CNI_PATH', { CNI_COMMAND: 'GC' }, 'CNI_PATH'],
    ['unknown verb', { ...base, CNI_COMMAND: 'UPDATE' }, 'CNI_COMMAND'],
    ['lower-case verb', { ...base, CNI_COMMAND: 'add' }, 'CNI_COMMAND'],
    ['container ID with a slash', { ...base, CNI_CONTAINERID: 'a/b' }, 'CNI_CONTAINERID'],
    ['container ID with a newline', { ...base, CNI_CONTAINERID: 'abc\ndef' }, 'CNI_CONTAINERID'],
    ['container ID starting with a dot', { ...base, CNI_CONTAINERID: '.abc' }, 'CNI_CONTAINERID'],
    ['ifname too long', { ...base, CNI_IFNAME: 'a234567890123456' }, 'CNI_IFNAME'],
    ['ifname with a colon', { ...base, CNI_IFNAME: 'eth:0' }, 'CNI_IFNAME'],
    ['ifname ".."', { ...base, CNI_IFNAME: '..' }, 'CNI_IFNAME'],
    ['netns with a newline', { ...base, CNI_NETNS: 'a\nb' }, 'CNI_NETNS'],
    ['CNI_ARGS pair without "="', { ...base, CNI_ARGS: 'FOO' }, 'CNI_ARGS'],
    ['CNI_ARGS unknown key without IgnoreUnknown', { ...base, CNI_ARGS: 'FOO=bar' }, 'CNI_ARGS'],
  ];
  it.each(missingCases)('%s is code 4 naming %s', (_name, env, variable) => {
    const { code, msg } = codeOf(() => readEnv(env, 'linux'));
    expect(code).toBe(4);
    expect(msg).toContain(variable);
  });

  it('DEL does not need CNI_NETNS; STATUS needs nothing but the command', () => {
    expect(readEnv({ ...base, CNI_COMMAND: 'DEL', CNI_NETNS: '' }, 'linux').netns).toBe('');
    expect(readEnv({ CNI_COMMAND: 'STATUS' }, 'linux').command).toBe('STATUS');
    expect(readEnv({ CNI_COMMAND: 'VERSION' }, 'linux').command).toBe('VERSION');
  });
});

describe('interfaceNameProblem', () => {
  it.each([
    ['eth0', undefined],
    ['a23456789012345', undefined],
    ['', 'is empty'],
    ['.', 'may not be "."'],
    ['eth 0', 'may not contain'],
    ['eth/0', 'may not contain'],
  ])('%j → %j', (name, want) => {
    const got = interfaceNameProblem(name);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toContain(want);
  });
});

describe('parseCniArgs', () => {
  it('reads known keys and ignores unknown ones with IgnoreUnknown', () => {
    expect(parseCniArgs('IgnoreUnknown=true;IP=10.0.0.5;FOO=x;K8S_POD_UID=u1')).toEqual({ ip: '10.0.0.5', podUid: 'u1' });
  });
  it('accepts IgnoreUnknown anywhere in the list and a trailing ";"', () => {
    expect(parseCniArgs('FOO=x;IgnoreUnknown=1;')).toEqual({});
  });
  it('treats IgnoreUnknown=0 as strict', () => {
    expect(() => parseCniArgs('IgnoreUnknown=0;FOO=x')).toThrow(/unknown key "FOO"/);
  });
  it('refuses values with "=" like the reference library (two parts exactly)', () => {
    expect(() => parseCniArgs('IP=a=b')).toThrow(/invalid pair/);
  });
  it('returns nothing for an empty string', () => {
    expect(parseCniArgs('')).toEqual({});
    expect(parseCniArgs(undefined)).toEqual({});
  });
});
