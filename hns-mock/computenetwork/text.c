/*
 * Text for the stand-in: UTF-16 <-> UTF-8 (HCN speaks UTF-16, the wire speaks UTF-8), the JSON
 * quoting HNSCall needs, the one JSON lookup Create needs, and GUID strings.
 */
#include "standin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *si_utf16_to_utf8(PCWSTR s) {
  size_t n = 0;
  if (s != NULL) {
    while (s[n] != 0) n++;
  }
  /* Each code unit yields at most 3 bytes (a surrogate pair: 2 units, 4 bytes). */
  if (n > (SIZE_MAX - 1) / 3) return NULL;
  char *out = malloc(3 * n + 1);
  if (out == NULL) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t cp = s[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (uint32_t)(s[i + 1] - 0xDC00);
      i++;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD; /* lone surrogate: what WideCharToMultiByte substitutes too */
    }
    if (cp < 0x80) {
      out[o++] = (char)cp;
    } else if (cp < 0x800) {
      out[o++] = (char)(0xC0 | (cp >> 6));
      out[o++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out[o++] = (char)(0xE0 | (cp >> 12));
      out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      out[o++] = (char)(0x80 | (cp & 0x3F));
    } else {
      out[o++] = (char)(0xF0 | (cp >> 18));
      out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
      out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
      out[o++] = (char)(0x80 | (cp & 0x3F));
    }
  }
  out[o] = '\0';
  return out;
}

/* Decodes one UTF-8 sequence at s[*i]; returns U+FFFD (consuming one byte) when it is malformed,
 * overlong, a surrogate or beyond U+10FFFF. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i) {
  unsigned char b = s[*i];
  uint32_t cp;
  size_t need;
  uint32_t min;
  if (b < 0x80) {
    *i += 1;
    return b;
  } else if ((b & 0xE0) == 0xC0) {
    cp = b & 0x1F, need = 1, min = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    cp = b & 0x0F, need = 2, min = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    cp = b & 0x07, need = 3, min = 0x10000;
  } else {
    *i += 1;
    return 0xFFFD;
  }
  if (len - *i <= need) {
    *i += 1;
    return 0xFFFD;
  }
  for (size_t k = 1; k <= need; k++) {
    unsigned char c = s[*i + k];
    if ((c & 0xC0) != 0x80) {
      *i += 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    *i += 1;
    return 0xFFFD;
  }
  *i += need + 1;
  return cp;
}

PWSTR si_utf8_to_task_utf16(const char *s, size_t len) {
  /* Every byte yields at most one code unit (a 4-byte sequence yields two). */
  if (len > SIZE_MAX / 2 - 1) return NULL;
  PWSTR out = si_task_alloc((len + 1) * sizeof(WCHAR));
  if (out == NULL) return NULL;
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, o = 0;
  while (i < len) {
    uint32_t cp = utf8_next(u, len, &i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out[o++] = (WCHAR)(0xD800 + (cp >> 10));
      out[o++] = (WCHAR)(0xDC00 + (cp & 0x3FF));
    } else {
      out[o++] = (WCHAR)cp;
    }
  }
  out[o] = 0;
  return out;
}

char *si_json_quote(const char *s) {
  size_t n = strlen(s);
  if (n > (SIZE_MAX - 3) / 6) return NULL;
  char *out = malloc(6 * n + 3); /* worst case: every byte as \u00XX, plus quotes and NUL */
  if (out == NULL) return NULL;
  size_t o = 0;
  out[o++] = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20) {
      o += (size_t)snprintf(out + o, 7, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  out[o++] = '"';
  out[o] = '\0';
  return out;
}

/* ---- a minimal JSON walk: enough to find one top-level member; it does not validate ---- */

static size_t skip_ws(const char *s, size_t i, size_t n) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
  return i;
}

/* s[*i] is the opening quote; leaves *i just past the closing quote. */
static int skip_string(const char *s, size_t *i, size_t n) {
  size_t j = *i + 1;
  while (j < n) {
    if (s[j] == '\\') {
      j += 2;
    } else if (s[j] == '"') {
      *i = j + 1;
      return 0;
    } else {
      j++;
    }
  }
  return -1;
}

static int skip_value(const char *s, size_t *i, size_t n) {
  if (*i >= n) return -1;
  if (s[*i] == '"') return skip_string(s, i, n);
  if (s[*i] == '{' || s[*i] == '[') {
    int depth = 0;
    while (*i < n) {
      char c = s[*i];
      if (c == '"') {
        if (skip_string(s, i, n) != 0) return -1;
        continue;
      }
      if (c == '{' || c == '[') depth++;
      if (c == '}' || c == ']') depth--;
      (*i)++;
      if (depth == 0) return 0;
    }
    return -1;
  }
  /* number, true, false, null */
  while (*i < n && s[*i] != ',' && s[*i] != '}' && s[*i] != ']' && s[*i] != ' ' && s[*i] != '\t' &&
         s[*i] != '\r' && s[*i] != '\n')
    (*i)++;
  return 0;
}

int si_json_top_level_guid(const char *s, size_t n, const char *key, GUID *out) {
  size_t key_len = strlen(key);
  size_t i = skip_ws(s, 0, n);
  if (i >= n || s[i] != '{') return -1;
  i++;
  for (;;) {
    i = skip_ws(s, i, n);
    if (i >= n || s[i] != '"') return -1; /* also covers "}" of an object without the key */
    size_t key_start = i + 1;
    if (skip_string(s, &i, n) != 0) return -1;
    /* Keys are compared as written; the mock's JSON.stringify never escapes plain letters. */
    int match = (i - 1 - key_start == key_len) && memcmp(s + key_start, key, key_len) == 0;
    i = skip_ws(s, i, n);
    if (i >= n || s[i] != ':') return -1;
    i = skip_ws(s, i + 1, n);
    if (match && i < n && s[i] == '"') {
      size_t value_start = i + 1;
      if (skip_string(s, &i, n) != 0) return -1;
      return si_guid_parse(s + value_start, i - 1 - value_start, out);
    }
    if (skip_value(s, &i, n) != 0) return -1;
    i = skip_ws(s, i, n);
    if (i < n && s[i] == ',') {
      i++;
      continue;
    }
    return -1;
  }
}

void si_guid_format(const GUID *g, char out[37]) {
  snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned)g->Data1, (unsigned)g->Data2,
           (unsigned)g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5],
           g->Data4[6], g->Data4[7]);
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Reads `digits` hex digits at s into *v. */
static int hex_run(const char *s, int digits, uint32_t *v) {
  uint32_t x = 0;
  for (int k = 0; k < digits; k++) {
    int h = hex_value(s[k]);
    if (h < 0) return -1;
    x = (x << 4) | (uint32_t)h;
  }
  *v = x;
  return 0;
}

int si_guid_parse(const char *s, size_t len, GUID *out) {
  if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return -1;
  uint32_t d1, d2, d3, b;
  if (hex_run(s, 8, &d1) || hex_run(s + 9, 4, &d2) || hex_run(s + 14, 4, &d3)) return -1;
  /* Data4 is stored in string order: two bytes before the fourth dash, six after it. */
  static const int offsets[8] = {19, 21, 24, 26, 28, 30, 32, 34};
  uint8_t d4[8];
  for (int k = 0; k < 8; k++) {
    if (hex_run(s + offsets[k], 2, &b)) return -1;
    d4[k] = (uint8_t)b;
  }
  out->Data1 = d1;
  out->Data2 = (uint16_t)d2;
  out->Data3 = (uint16_t)d3;
  memcpy(out->Data4, d4, 8);
  return 0;
}
