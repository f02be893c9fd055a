// Stands in for pino/lib/caller.js (scripts/build.mjs substitutes it inside pino.js only). pino
// collects its caller's file names on every `pino()` call, through a stack trace, for one purpose:
// resolving a transport's relative module path. The plugin configures no transport, and the stack
// trace costs ~3 ms per start (V8 reparses functions loaded from the code cache to find their
// source positions).
'use strict';

module.exports = function getCallers() {
  return [];
};
