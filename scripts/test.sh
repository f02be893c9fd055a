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

# One plain closing line, whatever the runner printed above.
node -e '
  const r = require("./build/vitest.json");
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' 2>/dev/null || true
exit $status
