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
    'Operator commands:',
    '  hnsbridge validate <conflist>     check a network config offline and list every problem',
    '  hnsbridge inspect [--json] [--config <conflist>]',
    '                                    show this plugin\'s network, endpoints and IP reservations, and leaks',
    '  hnsbridge gc --dry-run [--config <conflist>]',
    '                                    show what garbage collection would remove',
    '  hnsbridge --version | --help',
    '',
  ].join('\n');
}
