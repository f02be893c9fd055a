// Which HcnApi the plugin talks to: computenetwork.dll through ffi-rs on Windows, hns-mock over gRPC
// elsewhere (env HNS_BACKEND overrides). Each backend is required lazily, so the Windows path never
// loads gRPC and the mock path never loads native code for HNS.

import { CniError, ErrorCode } from '../cni/errors.js';
import type { HcnApi } from '../hns/api.js';
import { type BackendName, chosenBackend } from '../hns/backend-choice.js';

export type { BackendName };

export function backendName(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): BackendName {
  const chosen = chosenBackend(env, platform);
  if (chosen !== undefined) return chosen;
  throw new CniError(ErrorCode.InvalidEnvironment, `HNS_BACKEND: must be "ffi" or "mock", got ${JSON.stringify(env.HNS_BACKEND)}`);
}

export function openHcnApi(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, timeoutMs: number): HcnApi {
  if (backendName(env, platform) === 'ffi') {
    const { FfiHcnApi } = require('../hns/ffi.js') as typeof import('../hns/ffi.js');
    return new FfiHcnApi({ timeoutMs });
  }
  const { GrpcHcnApi } = require('../hns/grpc.js') as typeof import('../hns/grpc.js');
  return new GrpcHcnApi({ timeoutMs });
}
