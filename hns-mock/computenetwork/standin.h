/*
 * Stand-in for computenetwork.dll: shared declarations.
 *
 * The stand-in exports the HCN functions with ComputeNetwork.h's exact signatures and forwards
 * each call to a running hns-mock over the "framed" socket, so the plugin's FFI backend can run
 * end to end on Linux (.so) and under Wine (.dll). On Windows the real <computenetwork.h> is
 * included, so the compiler checks every definition against Microsoft's prototypes.
 *
 * ---------------------------------------------------------------------------------------------
 * Frame format (version 1), identical to hns-mock/framed.ts
 *
 *   All integers are little-endian; all text is UTF-8 without a terminator.
 *   A string field is   u32 byte length, then the bytes.
 *
 *   request   = u32 body_length, body
 *     body    = string method, string id, string json, string network_id
 *   response  = u32 body_length, body
 *     body    = i32 hresult, string json, string error_record
 *
 *   body_length counts the bytes after itself and must be at most FRAMED_MAX_BODY; the fields
 *   must fill the body exactly. One connection carries any number of request/response pairs in
 *   order; the stand-in opens one connection per call (no shared state between threads).
 *   The four request fields and three response fields are those of Call in hns-mock/proto/hns.proto.
 * ---------------------------------------------------------------------------------------------
 */
#ifndef HNS_STANDIN_H
#define HNS_STANDIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <objbase.h>
#include <computenetwork.h>
#define STANDIN_API __declspec(dllexport)
#else
/* The subset of the Windows types ComputeNetwork.h uses, with the same sizes as on Win64. */
typedef int32_t HRESULT;
typedef uint16_t WCHAR; /* UTF-16 code unit; Linux wchar_t is 32 bits and must not be used */
typedef const WCHAR *PCWSTR;
typedef WCHAR *PWSTR;
typedef struct _GUID {
  uint32_t Data1;
  uint16_t Data2;
  uint16_t Data3;
  uint8_t Data4[8];
} GUID;
#define REFGUID const GUID *
typedef void *HCN_NETWORK;
typedef HCN_NETWORK *PHCN_NETWORK;
typedef void *HCN_ENDPOINT;
typedef HCN_ENDPOINT *PHCN_ENDPOINT;
typedef void *HCN_NAMESPACE;
typedef HCN_NAMESPACE *PHCN_NAMESPACE;
#define WINAPI
#define STANDIN_API __attribute__((visibility("default")))
#endif

/* HRESULTs the stand-in itself produces (the mock produces all the HCN ones). */
#define SI_S_OK ((HRESULT)0)
#define SI_E_POINTER ((HRESULT)0x80004003L)
#define SI_E_HANDLE ((HRESULT)0x80070006L)
#define SI_E_OUTOFMEMORY ((HRESULT)0x8007000EL)
#define SI_E_INVALIDARG ((HRESULT)0x80070057L)
/* What HCN returns when the HNS service cannot be reached over RPC: the stand-in's equivalent is
 * "the mock's framed socket cannot be reached" (HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)). */
#define SI_RPC_S_SERVER_UNAVAILABLE ((HRESULT)0x800706BAL)
/* The connection broke mid-call or the answer was malformed (HRESULT_FROM_WIN32(RPC_S_CALL_FAILED)). */
#define SI_RPC_S_CALL_FAILED ((HRESULT)0x800706BEL)

#define FRAMED_MAX_BODY (64u * 1024u * 1024u)

/* ---- framed_client.c ---- */

typedef struct si_reply {
  HRESULT hresult;
  char *json; /* NUL-terminated UTF-8, malloc'ed */
  size_t json_len;
  char *error_record; /* NUL-terminated UTF-8, malloc'ed */
  size_t error_record_len;
} si_reply;

/* One Call over the framed socket named by env HNS_MOCK_FRAMED. Returns SI_S_OK with *reply filled
 * (free with si_reply_free), or a transport HRESULT with *problem set to a malloc'ed message
 * (which may be NULL when even that allocation failed). */
HRESULT si_framed_call(const char *method, const char *id, const char *json, const char *network_id,
                       si_reply *reply, char **problem);
void si_reply_free(si_reply *reply);

/* ---- text.c ---- */

/* UTF-16 (NUL-terminated, NULL means "") to malloc'ed UTF-8; lone surrogates become U+FFFD. NULL on OOM. */
char *si_utf16_to_utf8(PCWSTR s);
/* UTF-8 bytes to a NUL-terminated UTF-16 string in task memory (counted; the caller frees with
 * CoTaskMemFree); malformed sequences become U+FFFD. NULL on OOM. */
PWSTR si_utf8_to_task_utf16(const char *s, size_t len);
/* `s` as a quoted, escaped JSON string, malloc'ed. NULL on OOM. */
char *si_json_quote(const char *s);
/* Finds the top-level string member `key` of a JSON object (e.g. "ID") and parses it as a GUID.
 * 0 on success, -1 when the document is not an object or has no such GUID member. */
int si_json_top_level_guid(const char *json, size_t len, const char *key, GUID *out);
/* Lowercase 8-4-4-4-12 form; out must hold 37 bytes. */
void si_guid_format(const GUID *g, char out[37]);
/* Parses the 36-character form (either case). 0 on success. */
int si_guid_parse(const char *s, size_t len, GUID *out);

/* ---- computenetwork.c ---- */

/* Allocates task memory and counts it as an outstanding string until CoTaskMemFree. */
void *si_task_alloc(size_t n);

#endif
