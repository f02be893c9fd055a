#!/usr/bin/env bash
# Windows smoke test (issue #6): dist/hnsbridge.exe under Wine, calling HCN through ffi-rs into the
# mingw-built stand-in computenetwork.dll, which forwards every call to hns-mock.
#
#   bash scripts/wine-smoke.sh          exit 0 when every check passed (or loudly skipped, see below)
#
# What it does, each step printed as PASS/FAIL:
#   1. Tools: wine and x86_64-w64-mingw32-gcc. Missing and $CI unset: a loud SKIP, exit 0. Missing and
#      $CI set: apt-get install them (as root), fail if that fails.
#   2. Builds what is missing: dist/hnsbridge.exe (npm run build), and the stand-in DLLs with
#      scripts/build-stand-in.sh into build/wine-smoke/stand-in-<digest of their sources>.
#   3. A private Wine prefix, build/wine-prefix (kept between runs; the first init takes 5-30 s):
#      wineboot, `winecfg -v win10` (Node 22 refuses Windows 7, Wine's default), no crash dialog, and
#      the test-only bcryptprimitives.dll shim in system32 (Wine 8 lacks ProcessPrng, which the ffi-rs
#      addon imports; real Windows 10+ has it). Headless: DISPLAY unset, WINEDEBUG=-all.
#   4. hns-mock (gRPC on a unix socket for the checks, framed door on loopback TCP for the DLL) and a
#      namespace, as containerd creates it before ADD.
#   5. hnsbridge.exe copied into a fresh temp folder with computenetwork.dll beside it (so the
#      embedded addon is extracted to .native-cache afresh, and HCN is found by its default name the
#      way LoadLibrary finds it), then VERSION, ADD, CHECK (prevResult), DEL, a second DEL, and ADD
#      with a bad CNI_NETNS; HNS state (hns-mock dump), the host-local store under the config's
#      dataDir (a Z:\ path onto the temp folder) and the plugin's log file checked after each.
#   6. Leaks: HNS_STANDIN_REPORT makes the stand-in append its counters to a file when the process
#      exits (hns-mock/computenetwork/README.md); after each verb: 0 strings, 0 handles outstanding.
#      HNS_FREE_LIBRARY points CoTaskMemFree at the stand-in so its counter sees the frees; the second
#      DEL runs without it as a control (frees through ole32 must show up as outstanding).
#
# I/O as packaging.md §3 requires under Wine: config on stdin through a pipe, stdout through a pipe
# (`| cat` into a file), stderr to a file.
#
# env: WINE=path             the Wine loader (default: wine on PATH, else /usr/lib/wine/wine64)
#      WINE_SMOKE_KEEP=1     keep the temp folder (kept anyway on failure)
#      WINE_SMOKE_WINEDEBUG  WINEDEBUG for the plugin runs (default -all; e.g. +loaddll to debug)
#      WINE_SMOKE_TIMEOUT    seconds per plugin run (default 120)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
START=$(date +%s%N)

unset NODE_EXTRA_CA_CERTS DISPLAY WAYLAND_DISPLAY   # CA bundle: +110 ms per node start; headless Wine
for v in $(compgen -e); do
  case $v in CNI_* | HNS_* | HNSBRIDGE_*) unset "$v" ;; esac   # only what this script sets reaches the plugin
done

elapsed() { printf '%5.1fs' "$(( ($(date +%s%N) - START) / 1000000 ))e-3"; }
say() { printf '[wine-smoke %s] %s\n' "$(elapsed)" "$*"; }
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf '[wine-smoke %s] PASS  %s\n' "$(elapsed)" "$*"; }
failed() { FAILED=$((FAILED + 1)); printf '[wine-smoke %s] FAIL  %s\n' "$(elapsed)" "$*"; }
die() { failed "$*"; finish; }

skip() {
  cat <<EOF
[wine-smoke] ======================================================================
[wine-smoke] SKIP: the Windows smoke test did NOT run: $*
[wine-smoke]       hnsbridge.exe is untested in this run. Install wine64 and
[wine-smoke]       gcc-mingw-w64-x86-64 (CI=1 makes this script do it, as root).
[wine-smoke] ======================================================================
EOF
  exit 0
}

# ---- 1. tools ---------------------------------------------------------------------------------

MINGW=x86_64-w64-mingw32-gcc
WINE_GIVEN=${WINE:-}
MISSING=
find_tools() {   # sets WINE (plain `wine` runs 64-bit exes; /usr/lib/wine/wine64 is the loader itself)
  WINE=$WINE_GIVEN
  [ -n "$WINE" ] || WINE=$(command -v wine || true)
  [ -n "$WINE" ] || { [ -x /usr/lib/wine/wine64 ] && WINE=/usr/lib/wine/wine64; }
  MISSING=
  { [ -n "$WINE" ] && command -v "$WINE" >/dev/null; } || MISSING="wine${WINE_GIVEN:+ (WINE=$WINE_GIVEN)}"
  command -v "$MINGW" >/dev/null || MISSING="${MISSING:+$MISSING, }$MINGW"
  [ -z "$MISSING" ]
}

if ! find_tools; then
  [ -n "${CI:-}" ] || skip "not installed: $MISSING (and CI is not set)"
  PKGS=(wine wine64 gcc-mingw-w64-x86-64)   # wine provides /usr/bin/wine; wine64 only recommends it
  say "CI: apt-get install ${PKGS[*]} (missing: $MISSING)"
  { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; } ||
    { echo "wine-smoke: FAIL  cannot install $MISSING: not root or no apt-get"; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${PKGS[@]}" >/dev/null 2>&1 ||   # the cached package lists first
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${PKGS[@]}" >/dev/null; } ||
    { echo "wine-smoke: FAIL  apt-get install ${PKGS[*]} failed"; exit 1; }
  find_tools || { echo "wine-smoke: FAIL  still missing after apt-get install: $MISSING"; exit 1; }
fi

# ---- state and cleanup ------------------------------------------------------------------------

T=$(mktemp -d "${TMPDIR:-/tmp}/hnsbridge-wine-smoke.XXXXXX")
MOCK_PID=
finish() {
  trap - EXIT INT TERM
  if [ -n "$MOCK_PID" ] && kill -0 "$MOCK_PID" 2>/dev/null; then
    kill "$MOCK_PID" 2>/dev/null
    wait "$MOCK_PID" 2>/dev/null
  fi
  local total
  total=$(elapsed)
  total=${total//[[:space:]]/}
  if [ "$FAILED" -gt 0 ] || [ -n "${WINE_SMOKE_KEEP:-}" ]; then
    echo "[wine-smoke] files kept in $T"
  else
    rm -rf "$T"
  fi
  if [ "$FAILED" -gt 0 ]; then
    echo "wine-smoke: FAILED ($PASSED passed, $FAILED failed, $total)"
    exit 1
  fi
  echo "wine-smoke: OK ($PASSED passed, $total)"
  exit 0
}
trap 'FAILED=$((FAILED + 1)); echo "[wine-smoke] interrupted"; finish' INT TERM
trap 'finish' EXIT

# Windows path of a Linux path: Wine maps / to drive Z:.
winpath() { printf 'Z:%s' "${1//\//\\}"; }
check() {   # check "what" helper-command args...: one PASS/FAIL line from scripts/wine-smoke.mjs
  local what=$1 detail
  shift
  if detail=$(node scripts/wine-smoke.mjs "$@" 2>&1); then pass "$what: $detail"; else failed "$what: $detail"; return 1; fi
}

# ---- 2. build ---------------------------------------------------------------------------------

if [ ! -f dist/hnsbridge.exe ]; then
  say "dist/hnsbridge.exe missing: npm run build"
  npm run --silent build >"$T/build.log" 2>&1 || { tail -20 "$T/build.log"; die "npm run build"; }
fi
# The stand-in goes to a folder named by the digest of its sources, not build/stand-in: a file's
# mtime cannot tell whether a concurrent build elsewhere in the tree compiled the old or the new text.
DIGEST=$(find hns-mock/computenetwork scripts/build-stand-in.sh -type f \( -name '*.[ch]' -o -name '*.def' -o -name '*.sh' \) -print0 |
  sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
STAND_IN=build/wine-smoke/stand-in-$DIGEST
if [ ! -f "$STAND_IN/computenetwork.dll" ] || [ ! -f "$STAND_IN/bcryptprimitives.dll" ]; then
  say "building the stand-in DLLs into $STAND_IN"
  find build/wine-smoke -maxdepth 1 -name 'stand-in-*' ! -name "stand-in-$DIGEST" -exec rm -rf {} + 2>/dev/null
  STAND_IN_OUT=$STAND_IN bash scripts/build-stand-in.sh >"$T/stand-in.log" 2>&1 || { tail -20 "$T/stand-in.log"; die "scripts/build-stand-in.sh"; }
  [ -f "$STAND_IN/computenetwork.dll" ] || die "scripts/build-stand-in.sh made no computenetwork.dll"
fi
[ -f bin/hns-mock.cjs ] || die "bin/hns-mock.cjs missing"

# ---- 3. the Wine prefix -----------------------------------------------------------------------

export WINEPREFIX=$ROOT/build/wine-prefix WINEDEBUG=-all WINEARCH=win64
READY=$WINEPREFIX/.hnsbridge-smoke-ready
prefix_init() {
  if [ ! -f "$READY" ] || [ ! -f "$WINEPREFIX/system.reg" ]; then
    say "initialising the Wine prefix $WINEPREFIX (once; 5-30 s)"
    rm -rf "$WINEPREFIX"   # an init that never finished leaves a prefix not worth trusting
    # No Mono/Gecko installers (they would prompt or download); they are not needed.
    WINEDLLOVERRIDES='mscoree=;mshtml=' timeout 300 "$WINE" wineboot --init >"$T/wineboot.log" 2>&1 ||
      { tail -20 "$T/wineboot.log"; return 1; }
    timeout 120 "$WINE" winecfg -v win10 >>"$T/wineboot.log" 2>&1 || { tail -20 "$T/wineboot.log"; return 1; }
    # A crash must end the process with a code, never wait for a debugger dialog.
    timeout 120 "$WINE" reg add 'HKCU\Software\Wine\WineDbg' /v ShowCrashDialog /t REG_DWORD /d 0 /f >>"$T/wineboot.log" 2>&1 || true
    local ver
    ver=$(timeout 120 "$WINE" cmd /c ver 2>/dev/null | cat)
    case $ver in *" 10.0."*) ;; *) echo "Windows version after winecfg -v win10: $ver"; return 1 ;; esac
    echo "$ver" | tr -d '\r' | grep . >"$READY"
  fi
  # The shim, refreshed whenever the built one changed.
  local sys32=$WINEPREFIX/drive_c/windows/system32
  cmp -s "$STAND_IN/bcryptprimitives.dll" "$sys32/bcryptprimitives.dll" ||
    cp "$STAND_IN/bcryptprimitives.dll" "$sys32/bcryptprimitives.dll"
}
mkdir -p build
# Two runs at once (parallel test runs) must not both initialise the prefix.
exec 8>build/wine-prefix.lock
flock 8
prefix_init || die "Wine prefix $WINEPREFIX (log: $T/wineboot.log)"
flock -u 8
pass "Wine prefix ready: $("$WINE" --version 2>/dev/null), $(cat "$READY"), bcryptprimitives.dll shim installed"

# ---- 4. hns-mock ------------------------------------------------------------------------------

MOCK=unix://$T/hns.sock
node bin/hns-mock.cjs serve --listen "$MOCK" --framed 127.0.0.1:0 >"$T/mock.out" 2>"$T/mock.err" &
MOCK_PID=$!
FRAMED=
for _ in $(seq 300); do
  FRAMED=$(sed -n 's/.*(framed: \([0-9.]*:[0-9]*\)).*/\1/p' "$T/mock.out")
  [ -n "$FRAMED" ] && break
  kill -0 "$MOCK_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$FRAMED" ] || { cat "$T/mock.err"; die "hns-mock did not start"; }
mock() { node bin/hns-mock.cjs "$@" --address "$MOCK"; }
NETNS=$(mock namespace create) || die "hns-mock namespace create"
pass "hns-mock up: gRPC $MOCK, framed $FRAMED, namespace $NETNS"

# ---- 5./6. the plugin under Wine --------------------------------------------------------------

BIN=$T/bin
mkdir -p "$BIN" "$T/ipam"
cp dist/hnsbridge.exe "$BIN/hnsbridge.exe"
cp "$STAND_IN/computenetwork.dll" "$BIN/computenetwork.dll"
DLL_W=$(winpath "$BIN/computenetwork.dll")
DATA_W=$(winpath "$T/ipam")
LOG_W=$(winpath "$T/hnsbridge.log")
CID=wine0smoke0$(date +%s)
NETWORK=smoke

# run NAME COMMAND [VAR=value...]: one plugin process. Config from $T/NAME.conf on stdin through a
# pipe, stdout through `| cat` into $T/NAME.out, stderr into $T/NAME.err, exit code in RC.
run() {
  local name=$1 command=$2
  shift 2
  local t0=$(date +%s%N)
  cat "$T/$name.conf" | env CNI_COMMAND="$command" CNI_PATH='C:\opt\cni\bin' WINEDEBUG="${WINE_SMOKE_WINEDEBUG:--all}" "$@" \
    timeout -k 5 "${WINE_SMOKE_TIMEOUT:-120}" "$WINE" "$BIN/hnsbridge.exe" 2>"$T/$name.err" | cat >"$T/$name.out"
  local codes=("${PIPESTATUS[@]}")
  RC=${codes[1]}
  MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then failed "$name: timed out after ${WINE_SMOKE_TIMEOUT:-120} s"; fi
}
# expect_rc NAME WANT: the exit code check, with the run's stderr on failure.
expect_rc() {
  if [ "$RC" = "$2" ]; then
    pass "$1: exit $RC in ${MS} ms"
  else
    failed "$1: exit $RC, expected $2 (${MS} ms); stdout: $(head -c 600 "$T/$1.out")"
    sed 's/^/    stderr: /' "$T/$1.err" | tail -20
    return 1
  fi
}
conf() { node scripts/wine-smoke.mjs config "$DATA_W" "$LOG_W" "$@"; }
POD=(CNI_CONTAINERID="$CID" CNI_NETNS="$NETNS" CNI_IFNAME=eth0 CNI_ARGS='IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=smoke')
FFI=(HNS_BACKEND=ffi HNS_MOCK_FRAMED="$FRAMED" HNS_VMCOMPUTE_LIBRARY="$DLL_W")   # HNS_FFI_LIBRARY: the default, computenetwork.dll
COUNTED=(HNS_FREE_LIBRARY="$DLL_W")

# VERSION
conf >"$T/version.conf"
run version VERSION HNS_STANDIN_REPORT="$(winpath "$T/version.report")"
expect_rc version 0 && check "VERSION answer" version "$T/version.out"
# A plugin's stderr is for fatal start-up problems only; Node or V8 warning about the executable's
# flags would land in containerd's log on every call.
if [ -s "$T/version.err" ]; then failed "VERSION stderr: $(head -c 300 "$T/version.err")"; else pass "VERSION stderr: empty"; fi
check "VERSION loads no HCN library" no-report "$T/version.report"

# ADD
conf >"$T/add.conf"
run add ADD "${POD[@]}" "${FFI[@]}" "${COUNTED[@]}" HNS_STANDIN_REPORT="$(winpath "$T/add.report")"
if expect_rc add 0 && check "ADD result" add "$T/add.out" "$NETNS" 10.250.7.; then
  IP=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).ips[0].address.split("/")[0]' "$T/add.out")
  check "ADD extracted the embedded ffi-rs addon beside the fresh exe" native-cache "$BIN"
  mock dump >"$T/dump-add.json" && check "HNS after ADD" dump-added "$T/dump-add.json" "$NETNS" "$IP" "$NETWORK"
  check "IPAM after ADD" reservations "$T/ipam" "$NETWORK" "$IP" "$CID"
  check "stand-in counters after ADD" report "$T/add.report"
  check "ADD left this node's start-up code cache (hnsbridge.exe carries none)" code-cache "$BIN"
  if timeout 120 "$WINE" "$BIN/hnsbridge.exe" --version </dev/null >/dev/null 2>"$T/version-after.err" &&
    grep -q 'start-up code cache: in use (made on this node' "$T/version-after.err"; then
    pass "the next start uses it: $(grep -o 'start-up code cache: in use' "$T/version-after.err")"
  else
    failed "the next start does not use this node's code cache: $(tail -1 "$T/version-after.err")"
  fi

  # CHECK with the cached result as prevResult, as libcni sends it
  conf "$T/add.out" >"$T/check.conf"
  run check CHECK "${POD[@]}" "${FFI[@]}" "${COUNTED[@]}" HNS_STANDIN_REPORT="$(winpath "$T/check.report")"
  expect_rc check 0 && check "CHECK output" empty "$T/check.out"
  check "stand-in counters after CHECK" report "$T/check.report"

  # DEL
  cp "$T/check.conf" "$T/del.conf"
  run del DEL "${POD[@]}" "${FFI[@]}" "${COUNTED[@]}" HNS_STANDIN_REPORT="$(winpath "$T/del.report")"
  expect_rc del 0 && check "DEL output" empty "$T/del.out"
  mock dump >"$T/dump-del.json" && check "HNS after DEL" dump-deleted "$T/dump-del.json" "$NETNS" "$NETWORK"
  check "IPAM after DEL" reservations "$T/ipam" "$NETWORK"
  check "stand-in counters after DEL" report "$T/del.report"

  # DEL again (libcni may repeat it): still success. Control for the leak check: CoTaskMemFree from
  # ole32 (the Windows default) frees memory the stand-in cannot see, so its report must say so.
  cp "$T/del.conf" "$T/del2.conf"
  run del2 DEL "${POD[@]}" "${FFI[@]}" HNS_STANDIN_REPORT="$(winpath "$T/del2.report")"
  expect_rc del2 0 && check "repeated DEL output" empty "$T/del2.out"
  check "leak control (frees through ole32)" report "$T/del2.report" leaky

  check "plugin log file written under Wine" log "$T/hnsbridge.log" ADD CHECK DEL DEL
fi

# A bad CNI_NETNS: code 4, nothing changed
mock dump >"$T/dump-before-bad.json"
conf >"$T/bad.conf"
run bad ADD CNI_CONTAINERID="${CID}bad" CNI_NETNS=none CNI_IFNAME=eth0 "${FFI[@]}" "${COUNTED[@]}" HNS_STANDIN_REPORT="$(winpath "$T/bad.report")"
expect_rc bad 1 && check "bad CNI_NETNS" error "$T/bad.out" 4 CNI_NETNS
mock dump >"$T/dump-bad.json" && check "HNS after the refused ADD" unchanged "$T/dump-before-bad.json" "$T/dump-bad.json"
check "IPAM after the refused ADD" reservations "$T/ipam" "$NETWORK"
