// Stands in for node:os inside pino/pino.js (scripts/build.mjs substitutes it there only). pino reads
// os.hostname() once, at import, for the `hostname` of its default `base` bindings. The plugin always
// passes its own `base` (src/log.ts: pid and the call's bindings; the log file is on the node it
// describes), so that value is never written, and node:os costs ~0.4 ms per start under the
// executable's V8 flags (Node's modules loaded after start-up are compiled from source).
'use strict';

module.exports = {
  hostname() {
    return '';
  },
};
