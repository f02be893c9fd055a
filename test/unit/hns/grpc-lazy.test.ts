import { describe, expect, it } from 'vitest';

// Start-up cost and the Windows path: nothing under src/hns may load @grpc/grpc-js at import time;
// only constructing a GrpcHcnApi does. (Each test file runs in its own worker, so the module
// cache starts empty here.)
const grpcLoaded = (): boolean => Object.keys(require.cache).some((k) => k.includes(`${'@grpc'}/grpc-js`));

describe('lazy gRPC loading', () => {
  it('imports the HNS adapter modules without loading @grpc/grpc-js, and loads it for the first GrpcHcnApi', async () => {
    const grpcModule = await import('../../../src/hns/grpc.js');
    await import('../../../src/hns/hns.js');
    await import('../../../src/hns/schema.js');
    await import('../../../src/hns/codec.js');
    expect(grpcLoaded()).toBe(false);
    const api = new grpcModule.GrpcHcnApi({ address: 'unix:///nonexistent/hns.sock' });
    expect(grpcLoaded()).toBe(true);
    api.close();
  });
});
