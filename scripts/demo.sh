#!/usr/bin/env bash
# npm run demo: builds the plugin if needed, then walks three pods through it against hns-mock.
set -euo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS
if [ ! -x dist/hnsbridge ] || [ -n "$(find src package.json -newer dist/hnsbridge -type f -print -quit 2>/dev/null)" ]; then
  echo "Building dist/hnsbridge first (about a minute the first time)..."
  npm run --silent build >/dev/null
fi
exec node scripts/demo.mjs "$@"
