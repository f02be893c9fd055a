// Stands in for node:worker_threads inside pino/lib/tools.js (scripts/build.mjs substitutes it there
// only), which reads `isMainThread` to decide whether an asynchronous destination needs an exit hook.
// The plugin never runs in a worker and logs synchronously, so the answer is fixed; the real module
// costs ~2.4 ms per start.
'use strict';

module.exports = { isMainThread: true };
