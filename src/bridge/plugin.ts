// The hnsbridge verbs, wired into the CNI skeleton. (Being built: until the verbs land, each one
// answers with a CNI error, never a fake success.)

import type { Plugin } from '../cni/skel.js';
import { CniError, ErrorCode } from '../cni/errors.js';

type Pending = Record<string, never>;

function notBuilt(verb: string): never {
  throw new CniError(ErrorCode.Internal, `${verb} is not available in this build of hnsbridge`);
}

export const bridgePlugin: Plugin<Pending> = {
  parseConfig: () => ({}),
  add: async () => notBuilt('ADD'),
  del: async () => notBuilt('DEL'),
  check: async () => notBuilt('CHECK'),
  gc: async () => notBuilt('GC'),
  status: async () => notBuilt('STATUS'),
  toCniError: () => undefined,
};
