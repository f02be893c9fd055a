// Runs the HcnApi contract against every backend, each over the real hns-mock model:
//   in-process  CallHcnApi → MockHns directly
//   gRPC        GrpcHcnApi → hns-mock's gRPC door → MockHns
//   FFI         FfiHcnApi → ffi-rs → C stand-in (libcomputenetwork.so) → framed socket → MockHns

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ffi from 'ffi-rs';
import { startFramedDoor } from '../../hns-mock/framed.js';
import { InProcessHcnApi } from '../../hns-mock/in-process.js';
import { startMockServer } from '../../hns-mock/server.js';
import { MockHns } from '../../hns-mock/service.js';
import { FfiHcnApi } from '../../src/hns/ffi.js';
import { GrpcHcnApi } from '../../src/hns/grpc.js';
import { defineHcnApiContract } from './hcn-api.contract.js';
import { buildStandIn, countersSettle } from './stand-in.js';

function scratch(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hcn-contract-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

defineHcnApiContract('in-process', async () => {
  const hns = new MockHns();
  return {
    hns,
    api: (options = {}) => new InProcessHcnApi(hns, options),
    stop: async () => hns.close(),
  };
});

defineHcnApiContract('gRPC', async () => {
  const tmp = scratch();
  const server = await startMockServer({ listen: `unix://${path.join(tmp.dir, 'grpc.sock')}` });
  return {
    hns: server.hns,
    api: (options = {}) => new GrpcHcnApi({ address: server.address, ...options }),
    stop: async () => {
      await server.stop();
      tmp.remove();
    },
  };
});

defineHcnApiContract('FFI through the C stand-in', async () => {
  const { library } = buildStandIn();
  const tmp = scratch();
  const hns = new MockHns();
  const door = await startFramedDoor(hns, path.join(tmp.dir, 'framed.sock'));
  process.env.HNS_MOCK_FRAMED = door.address; // the stand-in reads it on every call
  return {
    hns,
    api: (options = {}) => new FfiHcnApi({ ffi, library, vmcomputeLibrary: library, ...options }),
    leaks: () => countersSettle(library, { strings: 0, handles: 0 }, 5_000),
    stop: async () => {
      hns.close();
      await door.close();
      tmp.remove();
    },
  };
});
