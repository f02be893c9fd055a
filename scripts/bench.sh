#!/usr/bin/env bash
# npm run bench: the performance figures of the README, measured on this machine (a few minutes).
# Builds the binary if needed, installs the measuring tools when missing and possible (GNU time, and
# Debian's containernetworking-plugins for the reference host-local), bundles scripts/bench.ts and
# scripts/bench-ipam.ts with esbuild into build/, and runs the benchmark. Figures: a markdown table
# on stdout and build/bench.json. Not a test: nothing fails on a slow figure.
set -euo pipefail
cd "$(dirname "$0")/.."
# Adds ~110 ms to every Node start on some machines; the benchmark must measure Node, not that.
unset NODE_EXTRA_CA_CERTS

apt_install() { # apt_install PACKAGE: only as root with apt, and only when asked for by a missing file
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "bench: $1 is missing; install it (apt-get install $1)" >&2; return 0; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null 2>&1; } ||
    echo "bench: could not install $1" >&2
}
[ -x /usr/bin/time ] || apt_install time
[ -x /usr/lib/cni/host-local ] || apt_install containernetworking-plugins

npm run --silent build >&2
bash scripts/build-stand-in.sh >&2

bundle() { # bundle ENTRY OUT: our TypeScript into one CommonJS file; packages stay in node_modules
  npx --no-install esbuild "$1" --bundle --platform=node --format=cjs --target=node20 --log-level=warning \
    --external:@grpc/grpc-js --external:ffi-rs --external:'@yuuang/*' --outfile="$2"
}
bundle scripts/bench.ts build/bench.cjs
bundle scripts/bench-ipam.ts build/bench-ipam.cjs

# NODE_PATH: the IPAM bundle also runs from Node binaries outside this tree and must find ffi-rs.
NODE_PATH="$PWD/node_modules" exec node build/bench.cjs "$@"
