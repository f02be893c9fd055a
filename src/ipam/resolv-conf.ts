// `ipam.resolvConf`: a resolv.conf whose settings become the result's `dns`, read the way the
// reference host-local reads it (dns.go): trimmed lines, `#`/`;` comments, lines with fewer than two
// words ignored, `search` and `options` accumulate across lines, the last `domain` wins.

import { readFileSync } from 'node:fs';
import { CniError, ErrorCode } from '../cni/errors.js';

export interface IpamDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export function parseResolvConf(text: string): IpamDns {
  const nameservers: string[] = [];
  const search: string[] = [];
  const options: string[] = [];
  let domain: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const words = line.split(/\s+/);
    if (words.length < 2) continue;
    const [key, first, ...rest] = words as [string, string, ...string[]];
    switch (key) {
      case 'nameserver':
        nameservers.push(first);
        break;
      case 'domain':
        domain = first;
        break;
      case 'search':
        search.push(first, ...rest);
        break;
      case 'options':
        options.push(first, ...rest);
        break;
      default:
        // sortlist and friends mean nothing to a CNI result.
        break;
    }
  }
  const dns: IpamDns = {};
  if (nameservers.length > 0) dns.nameservers = nameservers;
  if (domain !== undefined) dns.domain = domain;
  if (search.length > 0) dns.search = search;
  if (options.length > 0) dns.options = options;
  return dns;
}

/** Reads and parses the file; an unreadable file fails the ADD like it does in host-local. */
export function readResolvConf(path: string): IpamDns {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CniError(ErrorCode.IoFailure, `ipam.resolvConf: cannot read ${path}: ${(e as Error).message}`);
  }
  return parseResolvConf(text);
}
