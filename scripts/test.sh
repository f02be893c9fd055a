#!/usr/bin/env bash
# npm test: builds what the tests run (the single executables, the computenetwork stand-in), then
# runs every vitest suite: unit, contract, e2e against the built binary and hns-mock, the fault,
# lifecycle and bad-input suites, and finally the Windows smoke test of hnsbridge.exe under Wine.
# Benchmarks are not part of it (npm run bench).
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS   # adds ~110 ms to every Node start on some machines; tests start thousands

npm run --silent build
bash scripts/build-stand-in.sh

mkdir -p build
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=build/vitest.json "$@" || status=$?

# The Windows binary under Wine: VERSION, then ADD → CHECK → DEL through FFI and the mingw stand-in.
wine_status=0
bash scripts/wine-smoke.sh || wine_status=$?
[ $wine_status -eq 0 ] || status=1

# One plain closing line, whatever the runners printed above.
node -e '
  const r = require("./build/vitest.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  const wine = Number(process.argv[1]) === 0 ? 1 : 0;
  console.log(`tests: ${r.numPassedTests + wine} passed, ${r.numFailedTests + (1 - wine)} failed, ${skipped} skipped`);
' "$wine_status" 2>/dev/null || true
exit $status
