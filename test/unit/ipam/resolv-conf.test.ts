import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResolvConf, readResolvConf } from '../../../src/ipam/resolv-conf.js';
import { tempDir } from './helpers.js';

describe('parseResolvConf (host-local dns.go rules)', () => {
  it('reads nameserver, domain, search and options; skips comments and short lines', () => {
    const text = [
      '# generated',
      '; also a comment',
      'nameserver 10.96.0.10',
      '  nameserver   fd00::10  ',
      'domain cluster.local',
      'search svc.cluster.local cluster.local',
      'search example.com',
      'options ndots:5 timeout:1',
      'options attempts:2',
      'nameserver',
      'sortlist 10.0.0.0',
      '',
    ].join('\r\n');
    expect(parseResolvConf(text)).toEqual({
      nameservers: ['10.96.0.10', 'fd00::10'],
      domain: 'cluster.local',
      search: ['svc.cluster.local', 'cluster.local', 'example.com'],
      options: ['ndots:5', 'timeout:1', 'attempts:2'],
    });
  });
  it('the last domain wins', () => {
    expect(parseResolvConf('domain a\ndomain b\n').domain).toBe('b');
  });
  it('an empty file gives an empty dns', () => {
    expect(parseResolvConf('# nothing\n')).toEqual({});
  });
});

describe('readResolvConf', () => {
  it('reads a file', () => {
    const t = tempDir();
    try {
      const f = join(t.dir, 'resolv.conf');
      writeFileSync(f, 'nameserver 1.1.1.1\n');
      expect(readResolvConf(f)).toEqual({ nameservers: ['1.1.1.1'] });
    } finally {
      t.cleanup();
    }
  });
  it('a missing file is an I/O error naming it', () => {
    expect(() => readResolvConf('/nonexistent/resolv.conf')).toThrow(expect.objectContaining({ code: 5, message: expect.stringContaining('/nonexistent/resolv.conf') }));
  });
});
