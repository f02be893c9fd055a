/*
 * Test-only shim for Wine 8.0, never shipped: ffi-rs's Windows addon (Rust std >= 1.78) imports
 * bcryptprimitives.dll!ProcessPrng, which real Windows 10+ has and Wine 8.0 lacks. Copy the built
 * DLL into the Wine prefix's system32 (see /work/shared/reference/packaging.md section 4).
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  /* BCryptGenRandom takes a ULONG length: fill larger requests in pieces. */
  while (length > 0) {
    ULONG chunk = length > 0x40000000u ? 0x40000000u : (ULONG)length;
    if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
