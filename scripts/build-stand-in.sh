#!/usr/bin/env bash
# Builds the test-only stand-in for computenetwork.dll (hns-mock/computenetwork/):
#   build/stand-in/libcomputenetwork.so     gcc, always
#   build/stand-in/computenetwork.dll       x86_64-w64-mingw32-gcc, when installed
#   build/stand-in/bcryptprimitives.dll     the Wine 8 shim ffi-rs's Windows addon needs (never shipped)
# Outputs are written under a temporary name and renamed, so test files building concurrently
# never load a half-written library.
# env: STAND_IN_OUT=dir    write there instead of build/stand-in (tests use a private folder)
#      STAND_IN_CFLAGS=…   extra compiler flags, e.g. -Werror
#      STAND_IN_TARGETS=linux   skip the Windows DLLs (most tests need only the .so)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=hns-mock/computenetwork
OUT=${STAND_IN_OUT:-build/stand-in}
mkdir -p "$OUT"
CFLAGS=(-std=c11 -O2 -Wall -Wextra -Wno-unused-parameter ${STAND_IN_CFLAGS:-})
SOURCES=("$SRC/computenetwork.c" "$SRC/framed_client.c" "$SRC/text.c")

publish() { mv -f "$1" "$2"; }

tmp="$OUT/.libcomputenetwork.so.$$"
gcc "${CFLAGS[@]}" -D_GNU_SOURCE -shared -fPIC -fvisibility=hidden -o "$tmp" "${SOURCES[@]}"
publish "$tmp" "$OUT/libcomputenetwork.so"

MINGW=x86_64-w64-mingw32-gcc
if [ "${STAND_IN_TARGETS:-all}" = linux ]; then
  :
elif command -v "$MINGW" >/dev/null 2>&1; then
  tmp="$OUT/.computenetwork.dll.$$"
  # -static-libgcc: the DLL must load on a Windows host (or Wine prefix) without mingw's runtime DLLs.
  "$MINGW" "${CFLAGS[@]}" -shared -static-libgcc -o "$tmp" "${SOURCES[@]}" "$SRC/computenetwork.def" -lws2_32 -lole32
  publish "$tmp" "$OUT/computenetwork.dll"

  tmp="$OUT/.bcryptprimitives.dll.$$"
  "$MINGW" "${CFLAGS[@]}" -shared -static-libgcc -o "$tmp" "$SRC/wine/bcryptprimitives.c" -lbcrypt
  publish "$tmp" "$OUT/bcryptprimitives.dll"
else
  echo "build-stand-in: $MINGW not found; built the Linux stand-in only" >&2
fi
