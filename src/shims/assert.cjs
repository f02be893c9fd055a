// Stands in for node:assert inside sonic-boom (pino's file stream);
// scripts/build.mjs substitutes it for that package only. Requiring the real module costs
// ~3 ms per start and, through its colour detection, opens process.stderr as a stream (loading
// net and stream, ~3 ms more). It only calls assert(value, message).
'use strict';

function assert(value, message) {
  if (!value) {
    const err = new Error(message === undefined ? 'assertion failed' : String(message));
    err.code = 'ERR_ASSERTION';
    throw err;
  }
}
assert.ok = assert;

module.exports = assert;
