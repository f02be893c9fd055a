import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../../src/ipam/ip.js';
import {
  formatOwner,
  lastReservedFileName,
  networkNameProblem,
  ownedBy,
  parseOwner,
  parseReservationFileName,
  reservationFileName,
} from '../../../src/ipam/store.js';

describe('reservation file names', () => {
  it.each([
    ['10.0.0.5', 'linux', '10.0.0.5'],
    ['10.0.0.5', 'win32', '10.0.0.5'],
    ['fd00::5', 'linux', 'fd00::5'],
    ['fd00::5', 'win32', 'fd00__5'],
    ['2001:db8:0:0:1:0:0:1', 'win32', '2001_db8__1_0_0_1'],
  ] as const)('%s on %s → %s, and back', (ip, platform, name) => {
    expect(reservationFileName(parseIp(ip)!, platform)).toBe(name);
    expect(formatIp(parseReservationFileName(name, platform)!)).toBe(formatIp(parseIp(ip)!));
  });

  it.each([
    ['lock', 'linux'],
    ['last_reserved_ip.0', 'linux'],
    ['last_reserved_ip.0', 'win32'],
    ['.last_reserved_ip.0.123.tmp', 'linux'],
    ['notes.txt', 'linux'],
    ['010.0.0.5', 'linux'], // not what Go would print
    ['FD00::5', 'linux'], // upper case: not what Go would print
    ['fd00::5', 'win32'], // unescaped on Windows: not a name the store writes there
    ['fd00__5', 'linux'], // escaped on Linux: likewise
    ['10.0.0.5.bak', 'linux'],
  ] as const)('%j on %s is not a reservation', (name, platform) => {
    expect(parseReservationFileName(name, platform)).toBeUndefined();
  });

  it('last_reserved_ip.N', () => {
    expect(lastReservedFileName(3)).toBe('last_reserved_ip.3');
  });
});

describe('owner content', () => {
  it('is CRLF-joined with the container ID trimmed and no trailing newline', () => {
    expect(formatOwner({ containerId: ' abc ', ifname: 'eth0' })).toBe('abc\r\neth0');
  });
  it.each([
    ['abc\r\neth0', { containerId: 'abc', ifname: 'eth0' }],
    ['abc\r\neth0\n', { containerId: 'abc', ifname: 'eth0' }],
    ['abc', { containerId: 'abc', ifname: undefined }],
    ['  abc\n', { containerId: 'abc', ifname: undefined }],
  ])('parses %j', (text, owner) => {
    expect(parseOwner(text)).toEqual(owner);
  });
});

describe('ownedBy (host-local ReleaseByID / GetByID matching)', () => {
  const entries = [
    { ip: '10.0.0.2', containerId: 'a', ifname: 'eth0' as string | undefined },
    { ip: '10.0.0.3', containerId: 'a', ifname: 'eth1' as string | undefined },
    { ip: '10.0.0.4', containerId: 'a', ifname: undefined },
    { ip: '10.0.0.5', containerId: 'b', ifname: undefined },
  ];
  it('exact (cid, ifname) matches win over legacy ones', () => {
    expect(ownedBy(entries, { containerId: 'a', ifname: 'eth0' }).map((e) => e.ip)).toEqual(['10.0.0.2']);
  });
  it('legacy one-line entries match when nothing matches exactly', () => {
    expect(ownedBy(entries, { containerId: 'a', ifname: 'eth9' }).map((e) => e.ip)).toEqual(['10.0.0.4']);
    expect(ownedBy(entries, { containerId: 'b', ifname: 'eth0' }).map((e) => e.ip)).toEqual(['10.0.0.5']);
  });
  it('nothing for an unknown container', () => {
    expect(ownedBy(entries, { containerId: 'zz', ifname: 'eth0' })).toEqual([]);
  });
});

describe('networkNameProblem', () => {
  it.each(['', '.', '..', '../x', 'a/b', 'a\\b', 'C:', 'c:x', 'a\0b', 'a\nb'])('%j is refused everywhere', (name) => {
    expect(networkNameProblem(name, 'linux')).toBeDefined();
    expect(networkNameProblem(name, 'win32')).toBeDefined();
  });
  it.each(['CON', 'nul', 'com1', 'LPT9.txt', 'net.', 'a|b'])('%j is refused on Windows only', (name) => {
    expect(networkNameProblem(name, 'win32')).toBeDefined();
    expect(networkNameProblem(name, 'linux')).toBeUndefined();
  });
  it.each(['cbr0', 'k8s-pod-network', 'net_1.v2'])('%j is fine', (name) => {
    expect(networkNameProblem(name, 'win32')).toBeUndefined();
    expect(networkNameProblem(name, 'linux')).toBeUndefined();
  });
});
