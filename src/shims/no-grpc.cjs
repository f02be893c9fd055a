// Stands in for src/hns/grpc.ts in build/app-ffi.cjs, the bundle the executable's launcher runs
// when HNS is reached through FFI (always on Windows). That bundle then carries none of gRPC's
// ~900 KB, which every start would otherwise read and whose code cache it would deserialize. The
// launcher picks the full bundle whenever the gRPC backend is selected, so this is never reached;
// if it were, the message says what happened.
'use strict';

class GrpcHcnApi {
  constructor() {
    throw new Error('internal error in hnsbridge: the FFI-only bundle was started for the gRPC backend (HNS_BACKEND=mock)');
  }
}

module.exports = { GrpcHcnApi };
