// What a person running the binary by hand sees (on stderr, like the reference plugins' "about").

import { SUPPORTED_VERSIONS } from './version.js';

export function usageText(version: string): string {
  return [
    `hnsbridge ${version}: CNI plugin for Windows L2Bridge networks on the Host Networking Service (HNS)`,
    `CNI protocol versions supported: ${SUPPORTED_VERSIONS.join(', ')}`,
    '',
    'As a CNI plugin, containerd runs it with CNI_COMMAND (ADD, DEL, CHECK, GC, STATUS or VERSION) in the',
    'environment and the network config on stdin.',
    '',
    'Operator commands (each has --help):',
    '  hnsbridge validate [--platform windows|linux] [--json] [--strict] <file|dir|-> …',
    '                                    check network configs offline and list every problem with its path',
    '  hnsbridge inspect [--config <conflist|dir>] [--json] [--wide]',
    "                                    show this plugin's network, endpoints and IP reservations, and leaks",
    '                                    (exit 0: no leaks, 2: leaks found, 1: error)',
    '  hnsbridge gc --dry-run [--valid <cid>/<ifname> …] [--config <conflist|dir>] [--json]',
    '                                    show what garbage collection would remove (exit 2: something would);',
    '                                    --yes instead of --dry-run removes it (containerd 1.7 never calls GC)',
    '  hnsbridge conflist --pod-subnet CIDR --cluster-cidr CIDR --service-cidr CIDR [options] [--output FILE]',
    '                                    write a validated conflist for a node (used by scripts/install.ps1)',
    '  hnsbridge --version | --help',
    '',
  ].join('\n');
}
