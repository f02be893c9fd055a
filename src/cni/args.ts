// CNI_ARGS: `K=V;K=V`. Parsed like the reference library's LoadArgs: every pair must have exactly one
// `=`, and a key this plugin does not know is an error unless `IgnoreUnknown` is 1/true (containerd
// always sends IgnoreUnknown=1).

import { CniError, ErrorCode } from './errors.js';

export interface CniArgs {
  /** Requested address (`IP=10.0.0.5` or `IP=10.0.0.5/24`), host-local convention. */
  ip?: string;
  podNamespace?: string;
  podName?: string;
  podInfraContainerId?: string;
  podUid?: string;
}

const KNOWN: Record<string, keyof CniArgs | null> = {
  IgnoreUnknown: null,
  IP: 'ip',
  K8S_POD_NAMESPACE: 'podNamespace',
  K8S_POD_NAME: 'podName',
  K8S_POD_INFRA_CONTAINER_ID: 'podInfraContainerId',
  K8S_POD_UID: 'podUid',
};

export function parseCniArgs(raw: string | undefined): CniArgs {
  const out: CniArgs = {};
  if (raw === undefined || raw === '') return out;
  const pairs: [string, string][] = [];
  for (const pair of raw.split(';')) {
    if (pair === '') continue; // a trailing `;` is harmless
    const parts = pair.split('=');
    if (parts.length !== 2 || parts[0] === '') {
      throw new CniError(ErrorCode.InvalidEnvironment, `CNI_ARGS: invalid pair ${JSON.stringify(pair)}: expected KEY=VALUE`);
    }
    pairs.push([parts[0] as string, parts[1] as string]);
  }
  const ignoreUnknown = pairs.some(([k, v]) => k === 'IgnoreUnknown' && /^(1|true)$/i.test(v));
  for (const [k, v] of pairs) {
    if (/[\r\n\0]/.test(v)) {
      throw new CniError(ErrorCode.InvalidEnvironment, `CNI_ARGS: value of ${k} contains a control character`);
    }
    const field = KNOWN[k];
    if (field === undefined) {
      if (ignoreUnknown) continue;
      throw new CniError(ErrorCode.InvalidEnvironment, `CNI_ARGS: unknown key ${JSON.stringify(k)} (set IgnoreUnknown=1 to allow it)`);
    }
    if (field !== null) out[field] = v;
  }
  return out;
}
