// Stands in for pino/lib/transport.js inside pino.js and pino/lib/tools.js (scripts/build.mjs
// substitutes it there only). Transports run log destinations in worker threads; the plugin logs
// synchronously to its own file and never creates one. The real module loads node:module (and with
// it Node's ESM loader and source-map support), thread-stream and atomic-sleep on every start.
'use strict';

module.exports = function transport() {
  throw new Error('pino transports (worker threads) are not available in hnsbridge: configure log.file instead');
};
