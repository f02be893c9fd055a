// Stands in for thread-stream (pino transports, which run in worker threads) inside pino's bundle
// (scripts/build.mjs). The plugin logs synchronously to its own file and never creates a transport;
// the real package would load node:worker_threads and node:assert on every start.
'use strict';

module.exports = class ThreadStream {
  constructor() {
    throw new Error('pino transports (worker threads) are not available in hnsbridge: configure log.file instead');
  }
};
