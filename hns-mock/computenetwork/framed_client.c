/*
 * The stand-in's side of the framed socket (format in standin.h): one connection per call, so
 * calls from different threads share nothing and a restarted mock is simply reconnected to.
 * Address from env HNS_MOCK_FRAMED: a unix socket path (Linux) or HOST:PORT (loopback TCP; the
 * only choice on Windows, where Wine has no AF_UNIX).
 */
#include "standin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
typedef SOCKET si_socket;
#define SI_BAD_SOCKET INVALID_SOCKET
#define si_close_socket closesocket
static int si_last_error(void) { return WSAGetLastError(); }
#else
#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
typedef int si_socket;
#define SI_BAD_SOCKET (-1)
#define si_close_socket close
static int si_last_error(void) { return errno; }
#endif

/* A malloc'ed message for *problem; NULL when even that fails (the HRESULT still says what happened). */
static char *problem_text(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *s = malloc((size_t)n + 1);
  if (s == NULL) return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

static si_socket connect_tcp(const char *address, char **problem) {
  const char *colon = strrchr(address, ':');
  if (colon == NULL || colon == address || colon[1] == '\0') {
    *problem = problem_text("HNS_MOCK_FRAMED=%s: expected HOST:PORT", address);
    return SI_BAD_SOCKET;
  }
  size_t host_len = (size_t)(colon - address);
  const char *host_start = address;
  if (host_len >= 2 && address[0] == '[' && address[host_len - 1] == ']') { /* [::1]:port */
    host_start++;
    host_len -= 2;
  }
  char host[256];
  if (host_len >= sizeof host) {
    *problem = problem_text("HNS_MOCK_FRAMED=%s: host too long", address);
    return SI_BAD_SOCKET;
  }
  memcpy(host, host_start, host_len);
  host[host_len] = '\0';

  struct addrinfo hints, *found = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(host, colon + 1, &hints, &found);
  if (rc != 0 || found == NULL) {
    *problem = problem_text("HNS_MOCK_FRAMED=%s: cannot resolve (%d)", address, rc);
    return SI_BAD_SOCKET;
  }
  si_socket s = SI_BAD_SOCKET;
  int err = 0;
  for (struct addrinfo *a = found; a != NULL; a = a->ai_next) {
    s = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (s == SI_BAD_SOCKET) {
      err = si_last_error();
      continue;
    }
    if (connect(s, a->ai_addr, (int)a->ai_addrlen) == 0) break;
    err = si_last_error();
    si_close_socket(s);
    s = SI_BAD_SOCKET;
  }
  freeaddrinfo(found);
  if (s == SI_BAD_SOCKET) *problem = problem_text("cannot connect to hns-mock at %s (error %d)", address, err);
  return s;
}

static si_socket connect_mock(char **problem) {
  const char *address = getenv("HNS_MOCK_FRAMED");
  if (address == NULL || address[0] == '\0') {
    *problem = problem_text("HNS_MOCK_FRAMED is not set: it names the hns-mock framed socket (path or 127.0.0.1:PORT)");
    return SI_BAD_SOCKET;
  }
  int is_path = strchr(address, '/') != NULL || strchr(address, ':') == NULL;
#ifdef _WIN32
  if (is_path) {
    *problem = problem_text("HNS_MOCK_FRAMED=%s: Windows builds of the stand-in speak loopback TCP only (127.0.0.1:PORT)", address);
    return SI_BAD_SOCKET;
  }
  return connect_tcp(address, problem);
#else
  if (!is_path) return connect_tcp(address, problem);
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  if (strlen(address) >= sizeof sun.sun_path) {
    *problem = problem_text("HNS_MOCK_FRAMED=%s: unix socket path longer than %zu bytes", address, sizeof sun.sun_path - 1);
    return SI_BAD_SOCKET;
  }
  strcpy(sun.sun_path, address);
  si_socket s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s == SI_BAD_SOCKET) {
    *problem = problem_text("socket(AF_UNIX): %s", strerror(errno));
    return SI_BAD_SOCKET;
  }
  if (connect(s, (struct sockaddr *)&sun, sizeof sun) != 0) {
    *problem = problem_text("cannot connect to hns-mock at %s: %s", address, strerror(errno));
    si_close_socket(s);
    return SI_BAD_SOCKET;
  }
  return s;
#endif
}

static int send_all(si_socket s, const unsigned char *p, size_t n) {
  while (n > 0) {
    int chunk = n > 0x40000000u ? 0x40000000 : (int)n;
#ifdef _WIN32
    int w = send(s, (const char *)p, chunk, 0);
    if (w == SOCKET_ERROR) return -1;
#else
    /* MSG_NOSIGNAL: a mock that went away must become an HRESULT, not a SIGPIPE killing node. */
    ssize_t w = send(s, p, (size_t)chunk, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
#endif
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int recv_all(si_socket s, unsigned char *p, size_t n) {
  while (n > 0) {
    int chunk = n > 0x40000000u ? 0x40000000 : (int)n;
#ifdef _WIN32
    int r = recv(s, (char *)p, chunk, 0);
    if (r == SOCKET_ERROR || r == 0) return -1;
#else
    ssize_t r = recv(s, p, (size_t)chunk, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1; /* 0: the mock closed the connection before answering */
#endif
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Reads one string field at body[*at]; copies it NUL-terminated into a fresh malloc'ed buffer. */
static int take_field(const unsigned char *body, size_t body_len, size_t *at, char **out, size_t *out_len) {
  if (body_len - *at < 4) return -1;
  uint32_t n = get_u32(body + *at);
  *at += 4;
  if (body_len - *at < n) return -1;
  char *s = malloc((size_t)n + 1);
  if (s == NULL) return -2;
  memcpy(s, body + *at, n);
  s[n] = '\0';
  *at += n;
  *out = s;
  *out_len = n;
  return 0;
}

void si_reply_free(si_reply *reply) {
  free(reply->json);
  free(reply->error_record);
  reply->json = NULL;
  reply->error_record = NULL;
}

/* The exchange itself, on a connected socket. */
static HRESULT exchange(si_socket s, const char *const fields[4], si_reply *reply, char **problem) {
  size_t lens[4];
  size_t body_len = 0;
  for (int k = 0; k < 4; k++) {
    lens[k] = strlen(fields[k]);
    if (lens[k] > FRAMED_MAX_BODY || body_len + 4 + lens[k] > FRAMED_MAX_BODY) {
      *problem = problem_text("request too large for the framed socket (limit %u bytes)", FRAMED_MAX_BODY);
      return SI_E_INVALIDARG;
    }
    body_len += 4 + lens[k];
  }
  unsigned char *frame = malloc(4 + body_len);
  if (frame == NULL) return SI_E_OUTOFMEMORY;
  put_u32(frame, (uint32_t)body_len);
  size_t at = 4;
  for (int k = 0; k < 4; k++) {
    put_u32(frame + at, (uint32_t)lens[k]);
    memcpy(frame + at + 4, fields[k], lens[k]);
    at += 4 + lens[k];
  }
  int sent = send_all(s, frame, at);
  free(frame);
  if (sent != 0) {
    *problem = problem_text("sending %s to hns-mock failed (error %d)", fields[0], si_last_error());
    return SI_RPC_S_CALL_FAILED;
  }

  unsigned char header[4];
  if (recv_all(s, header, 4) != 0) {
    *problem = problem_text("hns-mock closed the connection without answering %s", fields[0]);
    return SI_RPC_S_CALL_FAILED;
  }
  uint32_t reply_len = get_u32(header);
  if (reply_len < 12 || reply_len > FRAMED_MAX_BODY) {
    *problem = problem_text("hns-mock answered %s with a malformed frame (length %u)", fields[0], reply_len);
    return SI_RPC_S_CALL_FAILED;
  }
  unsigned char *body = malloc(reply_len);
  if (body == NULL) return SI_E_OUTOFMEMORY;
  if (recv_all(s, body, reply_len) != 0) {
    free(body);
    *problem = problem_text("hns-mock closed the connection in the middle of answering %s", fields[0]);
    return SI_RPC_S_CALL_FAILED;
  }
  reply->hresult = (HRESULT)get_u32(body);
  reply->json = NULL;
  reply->error_record = NULL;
  size_t pos = 4;
  int rc = take_field(body, reply_len, &pos, &reply->json, &reply->json_len);
  if (rc == 0) rc = take_field(body, reply_len, &pos, &reply->error_record, &reply->error_record_len);
  if (rc == 0 && pos != reply_len) rc = -1;
  free(body);
  if (rc != 0) {
    si_reply_free(reply);
    if (rc == -2) return SI_E_OUTOFMEMORY;
    *problem = problem_text("hns-mock answered %s with a malformed frame (fields do not fill it)", fields[0]);
    return SI_RPC_S_CALL_FAILED;
  }
  return SI_S_OK;
}

HRESULT si_framed_call(const char *method, const char *id, const char *json, const char *network_id,
                       si_reply *reply, char **problem) {
  *problem = NULL;
  reply->json = NULL;
  reply->error_record = NULL;
#ifdef _WIN32
  WSADATA wsa;
  /* WSAStartup is reference-counted, so pairing it per call is safe from any thread. */
  int started = WSAStartup(MAKEWORD(2, 2), &wsa);
  if (started != 0) {
    *problem = problem_text("WSAStartup failed (%d)", started);
    return SI_RPC_S_SERVER_UNAVAILABLE;
  }
#endif
  HRESULT hr;
  si_socket s = connect_mock(problem);
  if (s == SI_BAD_SOCKET) {
    hr = SI_RPC_S_SERVER_UNAVAILABLE;
  } else {
    const char *const fields[4] = {method, id, json, network_id};
    hr = exchange(s, fields, reply, problem);
    si_close_socket(s);
  }
#ifdef _WIN32
  WSACleanup();
#endif
  return hr;
}
