/*
 * Stand-in computenetwork library: the HCN network, endpoint and namespace exports, HNSCall (the
 * vmcompute.dll version probe) and, for Linux, CoTaskMemAlloc/CoTaskMemFree. Each HCN call is
 * forwarded to hns-mock as Call(method, id, json, network_id) (hns-mock/proto/hns.proto); the
 * mock holds all HNS semantics, this file only does what the real DLL does on the caller's side:
 * UTF-16 in and out, task-memory strings, and handles.
 *
 * Handles are small heap structs holding the object's kind and GUID; Open asks the mock whether
 * the object exists, Close is local. For tests, HnsMockStandInCounters reports the strings handed
 * out and not yet freed with CoTaskMemFree, and the handles not yet closed; with env
 * HNS_STANDIN_REPORT set, the same counters are appended to a file as the process exits.
 */
#include "standin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <fcntl.h>
#include <unistd.h>
#endif

/* ---- task memory and counters ---- */

static int64_t g_strings; /* task-memory blocks handed out and not yet freed */
static int64_t g_handles; /* handles handed out and not yet closed */

#ifdef _WIN32
/* The Windows build allocates from the real COM task allocator, so a caller freeing with
 * ole32!CoTaskMemFree is correct; only frees made through this DLL's own CoTaskMemFree export
 * (HNS_FREE_LIBRARY pointing here) are counted. */
static void *raw_alloc(size_t n) { return CoTaskMemAlloc(n); }
static void raw_free(void *p) { CoTaskMemFree(p); }
#else
static void *raw_alloc(size_t n) { return malloc(n); }
static void raw_free(void *p) { free(p); }
#endif

void *si_task_alloc(size_t n) {
  void *p = raw_alloc(n == 0 ? 1 : n);
  if (p != NULL) __atomic_add_fetch(&g_strings, 1, __ATOMIC_SEQ_CST);
  return p;
}

static void task_free(void *p) {
  if (p == NULL) return; /* like CoTaskMemFree, NULL is a no-op */
  __atomic_sub_fetch(&g_strings, 1, __ATOMIC_SEQ_CST);
  raw_free(p);
}

#ifdef _WIN32
/* Exported as CoTaskMemAlloc / CoTaskMemFree through computenetwork.def: the C names must differ
 * from ole32's, which this file calls (and no dllexport, so the C names are not exported too). */
void *WINAPI HnsStandInCoTaskMemAlloc(SIZE_T cb) { return si_task_alloc(cb); }
void WINAPI HnsStandInCoTaskMemFree(void *pv) { task_free(pv); }
#else
STANDIN_API void *CoTaskMemAlloc(size_t cb) { return si_task_alloc(cb); }
STANDIN_API void CoTaskMemFree(void *pv) { task_free(pv); }
#endif

/* Test-only: outstanding strings and handles. Either pointer may be NULL. */
STANDIN_API HRESULT WINAPI HnsMockStandInCounters(int64_t *strings, int64_t *handles) {
  if (strings != NULL) *strings = __atomic_load_n(&g_strings, __ATOMIC_SEQ_CST);
  if (handles != NULL) *handles = __atomic_load_n(&g_handles, __ATOMIC_SEQ_CST);
  return SI_S_OK;
}

/* ---- HNS_STANDIN_REPORT: the counters as the process leaves ---- */

/* The counters live in the process that loaded the library, which for the packaged plugin is a
 * short-lived hnsbridge(.exe) run. With env HNS_STANDIN_REPORT=<file> set when the library is
 * loaded, one JSON line {"pid","calls","strings","handles"} is appended to that file when the
 * library is unloaded or the process exits (an atexit handler registered from the library: glibc
 * runs it at dlclose or exit, mingw's DLL CRT from DllMain's DLL_PROCESS_DETACH). Only plain file
 * calls run there: no sockets, nothing that could wait on another thread under the loader lock.
 * Appending (not truncating) keeps the lines of every load, so a leak in an earlier load of the
 * same process is not overwritten by a later one. */

static int64_t g_calls; /* calls forwarded to the mock (a report with 0 calls proves nothing) */
static char *g_report_path;

static void report_at_exit(void) {
  char line[160];
  int n = snprintf(line, sizeof line, "{\"pid\":%lu,\"calls\":%lld,\"strings\":%lld,\"handles\":%lld}\n",
#ifdef _WIN32
                   (unsigned long)GetCurrentProcessId(),
#else
                   (unsigned long)getpid(),
#endif
                   (long long)__atomic_load_n(&g_calls, __ATOMIC_SEQ_CST),
                   (long long)__atomic_load_n(&g_strings, __ATOMIC_SEQ_CST),
                   (long long)__atomic_load_n(&g_handles, __ATOMIC_SEQ_CST));
  if (n <= 0 || (size_t)n >= sizeof line || g_report_path == NULL) return;
#ifdef _WIN32
  HANDLE f = CreateFileA(g_report_path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, NULL);
  if (f != INVALID_HANDLE_VALUE) {
    DWORD written = 0;
    WriteFile(f, line, (DWORD)n, &written, NULL);
    CloseHandle(f);
  }
#else
  int fd = open(g_report_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ssize_t w = write(fd, line, (size_t)n); /* one write of a short line: appends stay whole */
    (void)w;
    close(fd);
  }
#endif
  free(g_report_path);
  g_report_path = NULL;
}

__attribute__((constructor)) static void report_setup(void) {
  const char *path = getenv("HNS_STANDIN_REPORT");
  if (path == NULL || path[0] == '\0') return;
  size_t len = strlen(path);
  g_report_path = malloc(len + 1);
  if (g_report_path == NULL) return;
  memcpy(g_report_path, path, len + 1);
  if (atexit(report_at_exit) != 0) {
    free(g_report_path);
    g_report_path = NULL;
  }
}

/* ---- handles ---- */

typedef enum { KIND_NETWORK = 1, KIND_ENDPOINT = 2, KIND_NAMESPACE = 3 } si_kind;

#define HANDLE_MAGIC 0x484e5348u /* "HSNH" */

typedef struct si_handle {
  uint32_t magic; /* cleared on close, so a double close is caught rather than freeing twice */
  si_kind kind;
  GUID id;
} si_handle;

static si_handle *handle_new(si_kind k, const GUID *id) {
  si_handle *h = malloc(sizeof *h);
  if (h == NULL) return NULL;
  h->magic = HANDLE_MAGIC;
  h->kind = k;
  h->id = *id;
  __atomic_add_fetch(&g_handles, 1, __ATOMIC_SEQ_CST);
  return h;
}

static si_handle *handle_check(void *p, si_kind k) {
  si_handle *h = p;
  if (h == NULL || h->magic != HANDLE_MAGIC || h->kind != k) return NULL;
  return h;
}

static HRESULT handle_close(void *p, si_kind k) {
  si_handle *h = handle_check(p, k);
  if (h == NULL) return SI_E_HANDLE;
  h->magic = 0;
  free(h);
  __atomic_sub_fetch(&g_handles, 1, __ATOMIC_SEQ_CST);
  return SI_S_OK;
}

/* ---- forwarding ---- */

static const char *const METHOD_NAMES[4][7] = {
    {0},
    {"HcnEnumerateNetworks", "HcnCreateNetwork", "HcnOpenNetwork", "HcnModifyNetwork", "HcnQueryNetworkProperties",
     "HcnDeleteNetwork", "HcnCloseNetwork"},
    {"HcnEnumerateEndpoints", "HcnCreateEndpoint", "HcnOpenEndpoint", "HcnModifyEndpoint",
     "HcnQueryEndpointProperties", "HcnDeleteEndpoint", "HcnCloseEndpoint"},
    {"HcnEnumerateNamespaces", "HcnCreateNamespace", "HcnOpenNamespace", "HcnModifyNamespace",
     "HcnQueryNamespaceProperties", "HcnDeleteNamespace", "HcnCloseNamespace"},
};
enum { OP_ENUMERATE, OP_CREATE, OP_OPEN, OP_MODIFY, OP_QUERY, OP_DELETE };

/* Hands the caller an ErrorRecord for a failure the stand-in detected itself, in HNS's shape. */
static void local_error_record(PWSTR *error_record, HRESULT hr, const char *problem) {
  if (error_record == NULL) return;
  char *quoted = si_json_quote(problem != NULL ? problem : "hns-mock stand-in failure");
  if (quoted == NULL) return;
  static const char fmt[] = "{\"Success\":false,\"Error\":%s,\"ErrorCode\":%lu}";
  size_t cap = strlen(quoted) + sizeof fmt + 16;
  char *doc = malloc(cap);
  if (doc != NULL) {
    int n = snprintf(doc, cap, fmt, quoted, (unsigned long)(uint32_t)hr);
    if (n > 0) *error_record = si_utf8_to_task_utf16(doc, (size_t)n);
    free(doc);
  }
  free(quoted);
}

/*
 * Sends one call and fills the caller's out-strings:
 *  - *error_record gets the mock's ErrorRecord whenever it is non-empty (also on success, as HCN may);
 *  - *out (when the function has a result string) gets the reply JSON on success, and on failure
 *    only if the mock sent some;
 *  - *kept (optional) receives the UTF-8 reply JSON for the stand-in's own use (Create's ID).
 * Out-strings are NULL unless filled; on a stand-in failure nothing is left allocated but the
 * ErrorRecord describing it.
 */
static HRESULT forward(const char *method, const GUID *id, const char *json, const GUID *network_id, PWSTR *out,
                       PWSTR *error_record, char **kept) {
  if (out != NULL) *out = NULL;
  if (error_record != NULL) *error_record = NULL;
  if (kept != NULL) *kept = NULL;
  __atomic_add_fetch(&g_calls, 1, __ATOMIC_SEQ_CST);

  char id_text[37] = "", network_text[37] = "";
  if (id != NULL) si_guid_format(id, id_text);
  if (network_id != NULL) si_guid_format(network_id, network_text);

  si_reply reply;
  char *problem = NULL;
  HRESULT transport = si_framed_call(method, id_text, json, network_text, &reply, &problem);
  if (transport != SI_S_OK) {
    local_error_record(error_record, transport, problem);
    free(problem);
    return transport;
  }

  int ok = 1;
  if (error_record != NULL && reply.error_record_len > 0) {
    *error_record = si_utf8_to_task_utf16(reply.error_record, reply.error_record_len);
    ok = *error_record != NULL;
  }
  if (ok && out != NULL && (reply.hresult >= 0 || reply.json_len > 0)) {
    *out = si_utf8_to_task_utf16(reply.json, reply.json_len);
    ok = *out != NULL;
  }
  if (!ok) {
    if (error_record != NULL) {
      task_free(*error_record);
      *error_record = NULL;
    }
    si_reply_free(&reply);
    return SI_E_OUTOFMEMORY;
  }
  if (kept != NULL) {
    *kept = reply.json; /* ownership moves to the caller */
    reply.json = NULL;
  }
  HRESULT hr = reply.hresult;
  si_reply_free(&reply);
  return hr;
}

/* forward() for the functions whose JSON argument is a PCWSTR. */
static HRESULT forward16(const char *method, const GUID *id, PCWSTR json16, const GUID *network_id, PWSTR *out,
                         PWSTR *error_record, char **kept) {
  char *json = si_utf16_to_utf8(json16);
  if (json == NULL) {
    if (out != NULL) *out = NULL;
    if (error_record != NULL) *error_record = NULL;
    return SI_E_OUTOFMEMORY;
  }
  HRESULT hr = forward(method, id, json, network_id, out, error_record, kept);
  free(json);
  return hr;
}

static HRESULT do_enumerate(si_kind k, PCWSTR query, PWSTR *objects, PWSTR *error_record) {
  if (objects == NULL) return SI_E_POINTER;
  return forward16(METHOD_NAMES[k][OP_ENUMERATE], NULL, query, NULL, objects, error_record, NULL);
}

/* Create (with network for an endpoint): the mock assigns the ID when `id` is all zero, so the
 * handle's GUID is taken from the ID member of the document it answers with. */
static HRESULT do_create(si_kind k, const GUID *network, const GUID *id, PCWSTR settings, void **handle,
                         PWSTR *error_record) {
  if (handle == NULL) return SI_E_POINTER;
  *handle = NULL;
  if (id == NULL) return SI_E_POINTER;
  char *reply_json = NULL;
  HRESULT hr = forward16(METHOD_NAMES[k][OP_CREATE], id, settings, network, NULL, error_record, &reply_json);
  if (hr < 0) {
    free(reply_json);
    return hr;
  }
  GUID created;
  int found = reply_json != NULL && si_json_top_level_guid(reply_json, strlen(reply_json), "ID", &created) == 0;
  free(reply_json);
  if (!found) {
    if (error_record != NULL) {
      task_free(*error_record);
      *error_record = NULL;
    }
    local_error_record(error_record, SI_RPC_S_CALL_FAILED, "hns-mock answered a create without an ID member");
    return SI_RPC_S_CALL_FAILED;
  }
  si_handle *h = handle_new(k, &created);
  if (h == NULL) return SI_E_OUTOFMEMORY;
  *handle = h;
  return hr;
}

static HRESULT do_open(si_kind k, const GUID *id, void **handle, PWSTR *error_record) {
  if (handle == NULL) return SI_E_POINTER;
  *handle = NULL;
  if (id == NULL) return SI_E_POINTER;
  HRESULT hr = forward(METHOD_NAMES[k][OP_OPEN], id, "", NULL, NULL, error_record, NULL);
  if (hr < 0) return hr;
  si_handle *h = handle_new(k, id);
  if (h == NULL) return SI_E_OUTOFMEMORY;
  *handle = h;
  return hr;
}

static HRESULT do_modify(si_kind k, void *handle, PCWSTR settings, PWSTR *error_record) {
  if (error_record != NULL) *error_record = NULL;
  si_handle *h = handle_check(handle, k);
  if (h == NULL) return SI_E_HANDLE;
  return forward16(METHOD_NAMES[k][OP_MODIFY], &h->id, settings, NULL, NULL, error_record, NULL);
}

static HRESULT do_query(si_kind k, void *handle, PCWSTR query, PWSTR *properties, PWSTR *error_record) {
  if (error_record != NULL) *error_record = NULL;
  if (properties == NULL) return SI_E_POINTER;
  *properties = NULL;
  si_handle *h = handle_check(handle, k);
  if (h == NULL) return SI_E_HANDLE;
  return forward16(METHOD_NAMES[k][OP_QUERY], &h->id, query, NULL, properties, error_record, NULL);
}

static HRESULT do_delete(si_kind k, const GUID *id, PWSTR *error_record) {
  if (error_record != NULL) *error_record = NULL;
  if (id == NULL) return SI_E_POINTER;
  return forward(METHOD_NAMES[k][OP_DELETE], id, "", NULL, NULL, error_record, NULL);
}

/* ---- the exports: signatures exactly as ComputeNetwork.h ---- */

STANDIN_API HRESULT WINAPI HcnEnumerateNetworks(PCWSTR Query, PWSTR *Networks, PWSTR *ErrorRecord) {
  return do_enumerate(KIND_NETWORK, Query, Networks, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnCreateNetwork(REFGUID Id, PCWSTR Settings, PHCN_NETWORK Network, PWSTR *ErrorRecord) {
  return do_create(KIND_NETWORK, NULL, Id, Settings, Network, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnOpenNetwork(REFGUID Id, PHCN_NETWORK Network, PWSTR *ErrorRecord) {
  return do_open(KIND_NETWORK, Id, Network, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnModifyNetwork(HCN_NETWORK Network, PCWSTR Settings, PWSTR *ErrorRecord) {
  return do_modify(KIND_NETWORK, Network, Settings, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnQueryNetworkProperties(HCN_NETWORK Network, PCWSTR Query, PWSTR *Properties,
                                                     PWSTR *ErrorRecord) {
  return do_query(KIND_NETWORK, Network, Query, Properties, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnDeleteNetwork(REFGUID Id, PWSTR *ErrorRecord) {
  return do_delete(KIND_NETWORK, Id, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnCloseNetwork(HCN_NETWORK Network) { return handle_close(Network, KIND_NETWORK); }

STANDIN_API HRESULT WINAPI HcnEnumerateEndpoints(PCWSTR Query, PWSTR *Endpoints, PWSTR *ErrorRecord) {
  return do_enumerate(KIND_ENDPOINT, Query, Endpoints, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnCreateEndpoint(HCN_NETWORK Network, REFGUID Id, PCWSTR Settings, PHCN_ENDPOINT Endpoint,
                                             PWSTR *ErrorRecord) {
  if (Endpoint != NULL) *Endpoint = NULL;
  if (ErrorRecord != NULL) *ErrorRecord = NULL;
  si_handle *network = handle_check(Network, KIND_NETWORK);
  if (network == NULL) return SI_E_HANDLE;
  return do_create(KIND_ENDPOINT, &network->id, Id, Settings, Endpoint, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnOpenEndpoint(REFGUID Id, PHCN_ENDPOINT Endpoint, PWSTR *ErrorRecord) {
  return do_open(KIND_ENDPOINT, Id, Endpoint, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnModifyEndpoint(HCN_ENDPOINT Endpoint, PCWSTR Settings, PWSTR *ErrorRecord) {
  return do_modify(KIND_ENDPOINT, Endpoint, Settings, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnQueryEndpointProperties(HCN_ENDPOINT Endpoint, PCWSTR Query, PWSTR *Properties,
                                                      PWSTR *ErrorRecord) {
  return do_query(KIND_ENDPOINT, Endpoint, Query, Properties, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnDeleteEndpoint(REFGUID Id, PWSTR *ErrorRecord) {
  return do_delete(KIND_ENDPOINT, Id, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnCloseEndpoint(HCN_ENDPOINT Endpoint) { return handle_close(Endpoint, KIND_ENDPOINT); }

STANDIN_API HRESULT WINAPI HcnEnumerateNamespaces(PCWSTR Query, PWSTR *Namespaces, PWSTR *ErrorRecord) {
  return do_enumerate(KIND_NAMESPACE, Query, Namespaces, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnCreateNamespace(REFGUID Id, PCWSTR Settings, PHCN_NAMESPACE Namespace,
                                              PWSTR *ErrorRecord) {
  return do_create(KIND_NAMESPACE, NULL, Id, Settings, Namespace, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnOpenNamespace(REFGUID Id, PHCN_NAMESPACE Namespace, PWSTR *ErrorRecord) {
  return do_open(KIND_NAMESPACE, Id, Namespace, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnModifyNamespace(HCN_NAMESPACE Namespace, PCWSTR Settings, PWSTR *ErrorRecord) {
  return do_modify(KIND_NAMESPACE, Namespace, Settings, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnQueryNamespaceProperties(HCN_NAMESPACE Namespace, PCWSTR Query, PWSTR *Properties,
                                                       PWSTR *ErrorRecord) {
  return do_query(KIND_NAMESPACE, Namespace, Query, Properties, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnDeleteNamespace(REFGUID Id, PWSTR *ErrorRecord) {
  return do_delete(KIND_NAMESPACE, Id, ErrorRecord);
}
STANDIN_API HRESULT WINAPI HcnCloseNamespace(HCN_NAMESPACE Namespace) {
  return handle_close(Namespace, KIND_NAMESPACE);
}

/* vmcompute.dll!HNSCall, the HNS v1 entry point; hnsbridge only sends GET /globals/version. It has
 * no ErrorRecord: the response envelope carries HNS's own error text. */
STANDIN_API HRESULT WINAPI HNSCall(PCWSTR Method, PCWSTR Path, PCWSTR Request, PWSTR *Response) {
  if (Response == NULL) return SI_E_POINTER;
  *Response = NULL;
  char *parts[3] = {si_utf16_to_utf8(Method), si_utf16_to_utf8(Path), si_utf16_to_utf8(Request)};
  char *quoted[3] = {NULL, NULL, NULL};
  char *json = NULL;
  HRESULT hr = SI_E_OUTOFMEMORY;
  if (parts[0] != NULL && parts[1] != NULL && parts[2] != NULL) {
    for (int k = 0; k < 3; k++) quoted[k] = si_json_quote(parts[k]);
  }
  if (quoted[0] != NULL && quoted[1] != NULL && quoted[2] != NULL) {
    static const char fmt[] = "{\"Method\":%s,\"Path\":%s,\"Request\":%s}";
    size_t cap = strlen(quoted[0]) + strlen(quoted[1]) + strlen(quoted[2]) + sizeof fmt;
    json = malloc(cap);
    if (json != NULL) snprintf(json, cap, fmt, quoted[0], quoted[1], quoted[2]);
  }
  if (json != NULL) hr = forward("HNSCall", NULL, json, NULL, Response, NULL, NULL);
  for (int k = 0; k < 3; k++) {
    free(parts[k]);
    free(quoted[k]);
  }
  free(json);
  return hr;
}
