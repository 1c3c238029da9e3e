/* The SGP.22 JSON binding over jansson: strict parsing of bodies, the common `header` object
 * with functionExecutionStatus, and base64 members carrying BER TLVs.
 *
 * Everything that reads a value from outside names the field in its error detail, so a
 * handler can answer with a precise message and the fuzz target can check that nothing but
 * ORSP_E_MALFORMED (or ORSP_E_RESOURCE) ever comes back. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "openrsp/http.h"

/* Every block jansson frees is wiped first. A body can carry a secret (ES2+ confirmOrder's
 * confirmationCode), and jansson frees copies of it that no caller can reach: its lexer's
 * buffer, the tree of a body it refuses half-way, and the tree the fast reader below built
 * before handing the body over. Set before main, while the process has one thread
 * (json_set_alloc_funcs is not thread-safe); orsp_wipe_block wipes the block's whole usable
 * size. */
static void (*json_release)(void *) = free;

static void wiping_free(void *p)
{
	if (p) {
		orsp_wipe_block(p);
		json_release(p);
	}
}

void orsp__json_release_hook(void (*release)(void *))
{
	json_release = release ? release : free;
}

/* A parse out of memory fails at once. jansson (2.14) ignores a failed append to its lexer's
 * token buffer and goes on, trying to grow the buffer again for every byte after it: a body of
 * megabytes under an address-space limit held a worker for tens of seconds, some 8,000 failed
 * mmap calls a second (12 MB in one string: 67 s). Then, given the block for the string's
 * value, it decodes the token it saved cut short, reading and writing past the ends of both
 * blocks (valgrind; glibc's "double free or corruption" in test_json_parse_out_of_memory). In
 * this thread's parse (parse_flags sets `parsing`, never another use of jansson), once one
 * allocation failed every later one fails without asking, that block's too, and the parse
 * gives up with ORSP_E_RESOURCE. */
static void *(*json_get)(size_t) = malloc;
static _Thread_local bool parsing, parse_short;

static void *json_alloc(size_t n)
{
	if (parsing && parse_short)
		return NULL;
	void *p = json_get(n);
	if (!p && parsing)
		parse_short = true;
	return p;
}

void orsp__json_alloc_hook(void *(*alloc)(size_t))
{
	json_get = alloc ? alloc : malloc;
}

__attribute__((constructor)) static void json_wiping_alloc(void)
{
	json_set_alloc_funcs(json_alloc, wiping_free);
}

static const char *const fes_names[] = {
    [ORSP_FES_SUCCESS] = "Executed-Success",
    [ORSP_FES_WARNING] = "Executed-WithWarning",
    [ORSP_FES_FAILED] = "Failed",
    [ORSP_FES_EXPIRED] = "Expired",
};

const char *orsp_json_fes_str(orsp_json_fes s)
{
	if ((unsigned)s >= ORSP_ARRAY_LEN(fes_names))
		return "?";
	return fes_names[s];
}

/* Fast paths for the common documents of RSP, in both directions (the reader and the writer
 * below); both hand anything else to jansson. FAST_DEPTH bounds their nesting. */
#define FAST_DEPTH 16

/* Bytes written for each input byte: 1 for printable ASCII other than " and \\, 2 for the
 * short escapes, 6 for other control characters (\\u00XX); 0 marks a non-ASCII byte. */
static const uint8_t esc_width[256] = {
    6, 6, 6, 6, 6, 6, 6, 6, 2, 2, 2, 6, 2, 2, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
    1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Whether any of the 8 bytes in x needs more than itself in JSON (a control character, '"',
 * '\\') or is not ASCII: word-at-a-time tests, exact for "any byte" (a zero byte of x ^ c
 * is a byte equal to c). */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
static bool word_special(uint64_t x)
{
	uint64_t quote = x ^ (ONES * '"'), bslash = x ^ (ONES * '\\');
	uint64_t ctl = (x - ONES * 0x20) & ~x & HIGHS;
	return (ctl | ((quote - ONES) & ~quote & HIGHS) | ((bslash - ONES) & ~bslash & HIGHS) |
	        (x & HIGHS)) != 0;
}

/* The end of the run of bytes from i on that JSON takes as they are. */
static size_t plain_run(const char *s, size_t i, size_t n)
{
	uint64_t x;

	while (i + 8 <= n) {
		memcpy(&x, s + i, 8);
		if (word_special(x))
			break;
		i += 8;
	}
	while (i < n && esc_width[(unsigned char)s[i]] == 1)
		i++;
	return i;
}

/* A fast path for what RSP peers send: jansson's lexer reads strings one code point at a
 * time, about 50-75 MB/s here (an authenticateClient body took 50-75 µs, the answer that
 * carries a 17 KiB BPP 350 µs). Documents made only of objects, arrays, strings of printable
 * ASCII without escapes, integers of at most 18 digits, true, false and null, at most
 * FAST_DEPTH deep and without a repeated key, are built here directly. At the first thing
 * outside that set the whole body goes to jansson, so what is accepted, what is refused and
 * every error message stay jansson's (the fuzz target compares the two on every input). */
typedef struct fast_in {
	const unsigned char *p, *end;
} fast_in;

static void fast_ws(fast_in *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r'))
		f->p++;
}

/* At '"': the string's bytes, if all are printable ASCII other than '"' and '\\'. */
static bool fast_str(fast_in *f, const char **s, size_t *n)
{
	const char *b = (const char *)f->p + 1;
	size_t len = plain_run(b, 0, (size_t)(f->end - f->p - 1));

	if (f->p + 1 + len == f->end || f->p[1 + len] != '"')
		return false; /* an escape, a control or non-ASCII byte, or no end */
	*s = b;
	*n = len;
	f->p += len + 2;
	return true;
}

static json_t *fast_value(fast_in *f, int depth);

static bool fast_member(fast_in *f, json_t *obj, int depth)
{
	const char *k;
	size_t kn;
	json_t *v;

	if (f->p == f->end || *f->p != '"' || !fast_str(f, &k, &kn))
		return false;
	fast_ws(f);
	if (f->p == f->end || *f->p != ':')
		return false;
	f->p++;
	fast_ws(f);
	v = fast_value(f, depth + 1);
	if (!v)
		return false;
	/* a repeated key: jansson refuses it with its own message */
	if (json_object_getn(obj, k, kn)) {
		json_decref(v);
		return false;
	}
	/* takes v, also when it fails */
	return json_object_setn_new_nocheck(obj, k, kn, v) == 0;
}

/* The container's members or elements after its opening bracket, up to the closing one. */
static bool fast_items(fast_in *f, json_t *c, int depth)
{
	bool obj = json_is_object(c);
	char close = obj ? '}' : ']';

	fast_ws(f);
	if (f->p < f->end && *f->p == close) {
		f->p++;
		return true;
	}
	for (;;) {
		if (obj) {
			if (!fast_member(f, c, depth))
				return false;
		} else {
			json_t *v = fast_value(f, depth + 1);
			if (!v || json_array_append_new(c, v))
				return false;
		}
		fast_ws(f);
		if (f->p == f->end)
			return false;
		if (*f->p == close) {
			f->p++;
			return true;
		}
		if (*f->p != ',')
			return false;
		f->p++;
		fast_ws(f);
	}
}

static json_t *fast_int(fast_in *f)
{
	const unsigned char *q = f->p;
	bool neg = *q == '-';
	int64_t v = 0;
	int digits = 0;

	if (neg)
		q++;
	if (q < f->end && *q == '0') {
		q++;
		digits = 1;
	} else {
		/* at most 18 digits: no overflow (a 19th digit is left for jansson below) */
		while (q < f->end && *q >= '0' && *q <= '9' && digits < 18) {
			v = v * 10 + (*q++ - '0');
			digits++;
		}
	}
	/* fractions, exponents, 19 digits and more, "-" alone, a leading zero: jansson's */
	if (!digits ||
	    (q < f->end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E')))
		return NULL;
	f->p = q;
	return json_integer(neg ? -v : v);
}

static json_t *fast_value(fast_in *f, int depth)
{
	json_t *v = NULL;
	const char *s;
	size_t n;

	if (depth > FAST_DEPTH || f->p == f->end)
		return NULL;
	switch (*f->p) {
	case '{':
	case '[':
		v = *f->p == '{' ? json_object() : json_array();
		f->p++;
		if (v && !fast_items(f, v, depth)) {
			json_decref(v);
			v = NULL;
		}
		return v;
	case '"':
		return fast_str(f, &s, &n) ? json_stringn_nocheck(s, n) : NULL;
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = {"true", "false", "null"};
		int i = *f->p == 't' ? 0 : *f->p == 'f' ? 1 : 2;
		size_t l = strlen(lit[i]);
		if ((size_t)(f->end - f->p) < l || memcmp(f->p, lit[i], l) != 0)
			return NULL;
		f->p += l;
		return i == 0 ? json_true() : i == 1 ? json_false() : json_null();
	}
	default:
		return *f->p == '-' || (*f->p >= '0' && *f->p <= '9') ? fast_int(f) : NULL;
	}
}

/* The document as jansson would read it, or NULL: then jansson decides. */
static json_t *fast_parse(const void *body, size_t len)
{
	fast_in f = {body, (const unsigned char *)body + len};
	json_t *root;

	fast_ws(&f);
	if (f.p == f.end || *f.p != '{')
		return NULL;
	root = fast_value(&f, 0);
	fast_ws(&f);
	if (root && f.p != f.end) {
		json_decref(root);
		root = NULL;
	}
	return root;
}

/* Whether the document has max or more brackets and commas outside strings: it holds at most
 * one value more than it has of them (an empty array or object counts as two, though). Each value
 * costs jansson about 220 bytes against 2 to 3 in the text, so a 16 MiB answer of `[{},{},..]` (an
 * LPA's limit) took about 1.3 GB; RSP's messages hold a few dozen. A string's plain bytes are
 * skipped a word at a time. */
static bool too_many_values(const char *s, size_t n, size_t max)
{
	size_t i = 0, count = 0;
	bool in_str = false;

	while (i < n) {
		if (in_str) {
			i = plain_run(s, i, n);
			if (i < n && s[i] == '\\')
				i++; /* the escaped byte: not the string's end */
			else if (i < n && s[i] == '"')
				in_str = false;
			i++;
			continue;
		}
		switch (s[i++]) {
		case '"':
			in_str = true;
			break;
		case '{':
		case '[':
		case ',':
			if (++count >= max)
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

/* Whether the first byte that is not JSON whitespace (RFC 8259 §2) opens an object: every body
 * read here must be one (SGP.22's ES9+, ES2+ and their answers), and anything else is refused
 * before jansson reads megabytes of it. */
static bool opens_object(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i < n && s[i] == '{';
}

/* parse_flags' parse, its allocations failing once one failed */
static orsp_err parse(const void *body, size_t len, size_t flags, json_t **out)
{
	json_error_t jerr;
	json_t *root = fast_parse(body, len);

	/* fast_parse takes neither a repeated key nor an escape: it reads a body as either
	 * flags would; out of memory, jansson then fails at once */
	if (!root)
		root = json_loadb((const char *)body, len, flags, &jerr);
	if (parse_short) {
		/* never a tree made all the same: a token jansson could not save whole would be
		 * read cut short */
		json_decref(root);
		ORSP_WIPE_OBJ(jerr);
		return orsp_errf(ORSP_E_RESOURCE, "JSON: out of memory parsing a body of %zu bytes",
		                 len);
	}
	if (!root) {
		/* jansson ends most messages with the token it stopped in ("... near '...'"): in
		 * an ES2+ confirmOrder that may be the confirmation code, cut short. The detail
		 * goes back to the sender and into logs, so it keeps jansson's words, the line and
		 * the column, never the sender's bytes; and those words printable ASCII only. */
		char *near = strstr(jerr.text, " near '");
		if (near)
			*near = '\0';
		orsp_ascii_printable(jerr.text);
		orsp_err e = orsp_errf(ORSP_E_MALFORMED, "JSON: %s at line %d column %d", jerr.text,
		                       jerr.line, jerr.column);
		ORSP_WIPE_OBJ(jerr);
		return e;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return orsp_errf(ORSP_E_MALFORMED, "JSON: top level is not an object");
	}
	*out = root;
	return ORSP_OK;
}

/* orsp_json_parse (flags JSON_REJECT_DUPLICATES) and orsp_json_parse_lenient (JSON_ALLOW_NUL). */
static orsp_err parse_flags(const void *body, size_t len, size_t max_len, size_t flags,
                            json_t **out)
{
	if (!out || (!body && len))
		return orsp_errf(ORSP_E_USAGE, "orsp_json_parse: bad arguments");
	*out = NULL;
	if (len > max_len)
		return orsp_errf(ORSP_E_MALFORMED, "JSON body of %zu bytes exceeds %zu", len,
		                 max_len);
	if (len == 0)
		return orsp_errf(ORSP_E_MALFORMED, "empty JSON body");
	if (!opens_object(body, len))
		return orsp_errf(ORSP_E_MALFORMED, "JSON: top level is not an object");
	if (too_many_values(body, len, ORSP_JSON_MAX_VALUES))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "JSON body of %d or more brackets and commas outside strings",
		                 ORSP_JSON_MAX_VALUES);
	parsing = true;
	parse_short = false;
	orsp_err e = parse(body, len, flags, out);
	parsing = false;
	return e;
}

orsp_err orsp_json_parse(const void *body, size_t len, size_t max_len, json_t **out)
{
	/* JSON_REJECT_DUPLICATES: two values for one key would let two readers disagree.
	 * No JSON_ALLOW_NUL: a NUL inside a string would cut it short for C code. */
	return parse_flags(body, len, max_len, JSON_REJECT_DUPLICATES, out);
}

orsp_err orsp_json_parse_lenient(const void *body, size_t len, size_t max_len, json_t **out)
{
	return parse_flags(body, len, max_len, JSON_ALLOW_NUL, out);
}

/* A fast path for what the servers send: jansson's dumper validates and escapes strings one
 * code point at a time, which is most of an answer's cost when it carries a 17 KiB base64
 * BoundProfilePackage. Documents made only of objects, arrays, ASCII strings, integers,
 * booleans and null are written here in one pass, byte for byte as json_dumps(JSON_COMPACT)
 * would (tests/test_http.c compares the two); anything else goes to jansson. */
static size_t escaped_len(const char *s, size_t n, bool *ascii)
{
	size_t len = 2, i = 0;
	while (i < n) {
		size_t run = plain_run(s, i, n);
		len += run - i;
		if (run == n)
			break;
		uint8_t w = esc_width[(unsigned char)s[run]];
		if (!w)
			*ascii = false;
		len += w;
		i = run + 1;
	}
	return len;
}

/* The length of a key json_object_foreach gave: since jansson 2.14 a key may hold a NUL
 * (json_object_setn), which json_dumps writes as \u0000; before it, keys are C strings. */
static size_t key_len(const char *k)
{
#if JANSSON_VERSION_HEX >= 0x020e00
	return json_object_iter_key_len(json_object_key_to_iter(k));
#else
	return strlen(k);
#endif
}

static bool fast_size(json_t *v, int depth, size_t *n)
{
	bool ascii = true;

	if (depth > FAST_DEPTH)
		return false;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *m;
		size_t i = 0;
		*n += 2;
		json_object_foreach (v, k, m) {
			*n += escaped_len(k, key_len(k), &ascii) + 1 + (i++ ? 1 : 0);
			if (!ascii || !fast_size(m, depth + 1, n))
				return false;
		}
		return true;
	}
	case JSON_ARRAY:
		*n += 2;
		for (size_t i = 0; i < json_array_size(v); i++) {
			*n += i ? 1 : 0;
			if (!fast_size(json_array_get(v, i), depth + 1, n))
				return false;
		}
		return true;
	case JSON_STRING:
		*n += escaped_len(json_string_value(v), json_string_length(v), &ascii);
		return ascii;
	case JSON_INTEGER:
		*n += 21;
		return true;
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		*n += 5;
		return true;
	default:
		return false; /* reals: jansson's formatting */
	}
}

static char *put_escaped(char *p, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF"; /* jansson writes \\u%04X */
	*p++ = '"';
	for (size_t i = 0; i < n; i++) {
		/* a run that needs no escaping is copied as it is (all of a base64 text) */
		size_t run = plain_run(s, i, n);
		if (run > i) {
			memcpy(p, s + i, run - i);
			p += run - i;
			i = run;
			if (i == n)
				break;
		}
		unsigned char c = (unsigned char)s[i];
		const char *esc = c == '"'    ? "\\\""
		                  : c == '\\' ? "\\\\"
		                  : c == '\b'  ? "\\b"
		                  : c == '\f'  ? "\\f"
		                  : c == '\n'  ? "\\n"
		                  : c == '\r'  ? "\\r"
		                  : c == '\t'  ? "\\t"
		                                : NULL;
		if (esc) {
			*p++ = esc[0];
			*p++ = esc[1];
		} else if (c < 0x20) {
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	return p;
}

static char *fast_write(json_t *v, char *p)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *m;
		bool first = true;
		*p++ = '{';
		json_object_foreach (v, k, m) {
			if (!first)
				*p++ = ',';
			first = false;
			p = put_escaped(p, k, key_len(k));
			*p++ = ':';
			p = fast_write(m, p);
		}
		*p++ = '}';
		return p;
	}
	case JSON_ARRAY:
		*p++ = '[';
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				*p++ = ',';
			p = fast_write(json_array_get(v, i), p);
		}
		*p++ = ']';
		return p;
	case JSON_STRING:
		return put_escaped(p, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		/* at most 20 characters and the NUL: the 21 bytes fast_size reserved */
		return p + snprintf(p, 21, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_TRUE:
		memcpy(p, "true", 4);
		return p + 4;
	case JSON_FALSE:
		memcpy(p, "false", 5);
		return p + 5;
	default:
		memcpy(p, "null", 4);
		return p + 4;
	}
}

orsp_err orsp_json_dump(const json_t *obj, char **out, size_t *out_len)
{
	char *s;
	size_t cap = 1;

	if (!obj || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_json_dump: bad arguments");
	*out = NULL;
	/* as json_dumps without JSON_ENCODE_ANY, which returns NULL for anything else */
	if (!json_is_object(obj) && !json_is_array(obj))
		return orsp_errf(ORSP_E_USAGE,
		                 "orsp_json_dump: top level is not an object or array");
	/* jansson iterates objects through non-const pointers only; nothing is changed */
	json_t *doc = (json_t *)(uintptr_t)obj;
	if (fast_size(doc, 0, &cap)) {
		char *end;
		s = malloc(cap);
		if (!s)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		end = fast_write(doc, s);
		*end = '\0';
		if (out_len)
			*out_len = (size_t)(end - s);
		*out = s;
		return ORSP_OK;
	}
	s = json_dumps(obj, JSON_COMPACT);
	if (!s)
		return orsp_errf(ORSP_E_RESOURCE, "JSON serialisation failed (out of memory?)");
	if (out_len)
		*out_len = strlen(s);
	*out = s;
	return ORSP_OK;
}

/* Codes are dotted decimal ("8.1.1", "3.8"): 1..4 groups of 1..3 digits. SGP.22 lists subject
 * and reason codes in this form; anything else is not a code. */
static bool code_ok(const char *s)
{
	size_t digits = 0, groups = 1;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			if (++digits > 3)
				return false;
		} else if (*s == '.') {
			if (digits == 0 || ++groups > 4)
				return false;
			digits = 0;
		} else {
			return false;
		}
	}
	return digits > 0;
}

static orsp_err set_new(json_t *obj, const char *field, json_t *v)
{
	/* json_object_set_new steals v even on failure. */
	if (!v || json_object_set_new(obj, field, v) != 0)
		return orsp_errf(ORSP_E_RESOURCE, "JSON: cannot set %s", field);
	return ORSP_OK;
}

orsp_err orsp_json_put_string(json_t *obj, const char *field, const char *str)
{
	if (!json_is_object(obj) || !field || !str)
		return orsp_errf(ORSP_E_USAGE, "orsp_json_put_string: bad arguments");
	json_t *v = json_string(str);
	/* jansson refuses text that is not UTF-8, and fails for want of memory too: a message
	 * it could not copy was "not valid UTF-8" in the log of a 500 (the limits review) */
	if (!v && orsp_utf8_chars((const uint8_t *)str, strlen(str)) < 0)
		return orsp_errf(ORSP_E_USAGE, "JSON %s: not valid UTF-8", field);
	if (!v)
		return orsp_errf(ORSP_E_RESOURCE, "JSON %s: out of memory", field);
	return set_new(obj, field, v);
}

orsp_err orsp_json_status_put(json_t *obj, const char *field, const orsp_json_status *st)
{
	orsp_err err = ORSP_OK;
	json_t *fes = NULL, *scd = NULL;

	if (!json_is_object(obj) || !field || !st ||
	    (unsigned)st->status >= ORSP_ARRAY_LEN(fes_names))
		return orsp_errf(ORSP_E_USAGE, "orsp_json_status_put: bad arguments");
	/* SGP.22 §6.5.1, FunctionExecutionStatus: statusCodeData when the status is Failed */
	if (st->status == ORSP_FES_FAILED && !st->has_status_code_data)
		return orsp_errf(ORSP_E_USAGE, "Failed status needs statusCodeData");
	fes = json_object();
	if (!fes)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	err = orsp_json_put_string(fes, "status", fes_names[st->status]);
	if (err)
		goto out;
	if (st->has_status_code_data) {
		if (!code_ok(st->subject_code) || !code_ok(st->reason_code)) {
			err = orsp_errf(ORSP_E_USAGE, "subject/reason code not dotted decimal");
			goto out;
		}
		scd = json_object();
		if (!scd) {
			err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			goto out;
		}
		err = orsp_json_put_string(scd, "subjectCode", st->subject_code);
		if (!err)
			err = orsp_json_put_string(scd, "reasonCode", st->reason_code);
		if (!err && st->subject_identifier[0])
			err =
			    orsp_json_put_string(scd, "subjectIdentifier", st->subject_identifier);
		if (!err && st->message[0])
			err = orsp_json_put_string(scd, "message", st->message);
		if (err)
			goto out;
		err = set_new(fes, "statusCodeData", scd);
		scd = NULL;
		if (err)
			goto out;
	}
	err = set_new(obj, field, fes);
	fes = NULL;
out:
	json_decref(scd);
	json_decref(fes);
	return err;
}

orsp_err orsp_json_header_put(json_t *obj, const orsp_json_status *st)
{
	orsp_err err;
	json_t *header;

	if (!json_is_object(obj))
		return orsp_errf(ORSP_E_USAGE, "orsp_json_header_put: bad arguments");
	header = json_object();
	if (!header)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	err = orsp_json_status_put(header, "functionExecutionStatus", st);
	if (err) {
		json_decref(header);
		return err;
	}
	return set_new(obj, "header", header);
}

orsp_err orsp_json_header_put_success(json_t *obj)
{
	orsp_json_status st = {.status = ORSP_FES_SUCCESS};
	return orsp_json_header_put(obj, &st);
}

static orsp_err copy_field(char *dst, size_t cap, const char *src, const char *what)
{
	size_t n = strlen(src);
	if (n >= cap)
		return orsp_errf(ORSP_E_USAGE, "%s longer than %zu", what, cap - 1);
	memcpy(dst, src, n + 1);
	return ORSP_OK;
}

orsp_err orsp_json_header_put_failed(json_t *obj, const char *subject_code, const char *reason_code,
                                     const char *message)
{
	orsp_err err;
	orsp_json_status st = {.status = ORSP_FES_FAILED, .has_status_code_data = true};

	if (!subject_code || !reason_code)
		return orsp_errf(ORSP_E_USAGE, "Failed status needs subject and reason codes");
	err = copy_field(st.subject_code, sizeof(st.subject_code), subject_code, "subjectCode");
	if (!err)
		err = copy_field(st.reason_code, sizeof(st.reason_code), reason_code, "reasonCode");
	if (!err && message)
		err = copy_field(st.message, sizeof(st.message), message, "message");
	if (err)
		return err;
	return orsp_json_header_put(obj, &st);
}

enum get_into_how { INTO_REQUIRED, INTO_TEXT };

/* A string member of obj (named path.field in errors) copied into dst: INTO_REQUIRED must be
 * there and fit dst; INTO_TEXT is optional free text (a message), cut to fit at a UTF-8
 * character's start: SGP.22 sets no length to it, and a long one refused the whole answer, a
 * success's with a warning too. */
static orsp_err get_into(const json_t *obj, const char *path, const char *field, char *dst,
                         size_t cap, enum get_into_how how)
{
	bool required = how == INTO_REQUIRED;
	const json_t *v = json_object_get(obj, field);

	dst[0] = '\0';
	if (!v) {
		if (required)
			return orsp_errf(ORSP_E_MALFORMED, "%s.%s: missing", path, field);
		return ORSP_OK;
	}
	if (!json_is_string(v))
		return orsp_errf(ORSP_E_MALFORMED, "%s.%s: not a string", path, field);
	size_t n = json_string_length(v);
	const char *p = json_string_value(v);
	/* jansson holds a NUL only with JSON_ALLOW_NUL (orsp_json_parse_lenient): free text is
	 * cut there, anything else refused */
	if (strlen(p) != n && how == INTO_TEXT)
		n = strlen(p);
	else if (strlen(p) != n)
		return orsp_errf(ORSP_E_MALFORMED, "%s.%s: contains NUL", path, field);
	if (n >= cap && how != INTO_TEXT)
		return orsp_errf(ORSP_E_MALFORMED, "%s.%s: longer than %zu", path, field, cap - 1);
	if (n >= cap) {
		/* jansson's strings are valid UTF-8 */
		n = orsp_utf8_cut(p, n, cap - 1);
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
	return ORSP_OK;
}

orsp_err orsp_json_header_get(const json_t *obj, orsp_json_status *out)
{
	orsp_err err;
	const json_t *header, *fes, *scd;
	char status[32];

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "orsp_json_header_get: no output");
	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return orsp_errf(ORSP_E_MALFORMED, "JSON body is not an object");
	header = json_object_get(obj, "header");
	if (!header)
		return orsp_errf(ORSP_E_MALFORMED, "header: missing");
	if (!json_is_object(header))
		return orsp_errf(ORSP_E_MALFORMED, "header: not an object");
	fes = json_object_get(header, "functionExecutionStatus");
	if (!fes)
		return orsp_errf(ORSP_E_MALFORMED, "header.functionExecutionStatus: missing");
	if (!json_is_object(fes))
		return orsp_errf(ORSP_E_MALFORMED, "header.functionExecutionStatus: not an object");
	err = get_into(fes, "header.functionExecutionStatus", "status", status, sizeof(status),
	               INTO_REQUIRED);
	if (err)
		return err;
	size_t i;
	for (i = 0; i < ORSP_ARRAY_LEN(fes_names); i++)
		if (strcmp(status, fes_names[i]) == 0)
			break;
	if (i == ORSP_ARRAY_LEN(fes_names))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "header.functionExecutionStatus.status: unknown value");
	out->status = (orsp_json_fes)i;

	scd = json_object_get(fes, "statusCodeData");
	if (!scd) {
		if (out->status == ORSP_FES_FAILED)
			return orsp_errf(ORSP_E_MALFORMED, "header.functionExecutionStatus."
			                                   "statusCodeData: missing for Failed");
		return ORSP_OK;
	}
	static const char scd_path[] = "header.functionExecutionStatus.statusCodeData";
	if (!json_is_object(scd))
		return orsp_errf(ORSP_E_MALFORMED, "%s: not an object", scd_path);
	out->has_status_code_data = true;
	err = get_into(scd, scd_path, "subjectCode", out->subject_code, sizeof(out->subject_code),
	               INTO_REQUIRED);
	if (!err)
		err = get_into(scd, scd_path, "reasonCode", out->reason_code,
		               sizeof(out->reason_code), INTO_REQUIRED);
	if (!err)
		err = get_into(scd, scd_path, "subjectIdentifier", out->subject_identifier,
		               sizeof(out->subject_identifier), INTO_TEXT);
	if (!err)
		err = get_into(scd, scd_path, "message", out->message, sizeof(out->message),
		               INTO_TEXT);
	if (err)
		return err;
	if (!code_ok(out->subject_code))
		return orsp_errf(ORSP_E_MALFORMED, "%s.subjectCode: not dotted decimal", scd_path);
	if (!code_ok(out->reason_code))
		return orsp_errf(ORSP_E_MALFORMED, "%s.reasonCode: not dotted decimal", scd_path);
	return ORSP_OK;
}

orsp_err orsp_json_get_string(const json_t *obj, const char *field, size_t max_len,
                              const char **out, size_t *out_len)
{
	const json_t *v;

	if (!field || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_json_get_string: bad arguments");
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!json_is_object(obj))
		return orsp_errf(ORSP_E_MALFORMED, "%s: enclosing value is not an object", field);
	v = json_object_get(obj, field);
	if (!v)
		return orsp_errf(ORSP_E_MALFORMED, "%s: missing", field);
	if (!json_is_string(v))
		return orsp_errf(ORSP_E_MALFORMED, "%s: not a string", field);
	size_t n = json_string_length(v);
	if (n > max_len)
		return orsp_errf(ORSP_E_MALFORMED, "%s: %zu bytes, longer than %zu", field, n,
		                 max_len);
	if (strlen(json_string_value(v)) != n)
		return orsp_errf(ORSP_E_MALFORMED, "%s: contains NUL", field);
	*out = json_string_value(v);
	if (out_len)
		*out_len = n;
	return ORSP_OK;
}

/* Longest base64 text (with padding) that can decode to at most max bytes. */
static size_t b64_max_text(size_t max)
{
	if (max > (SIZE_MAX / 4) * 3 - 2)
		return SIZE_MAX;
	return (max + 2) / 3 * 4;
}

/* The field's base64 text, after the length check shared by both decoders. */
static orsp_err b64_text(const json_t *obj, const char *field, size_t max, const char **s,
                         size_t *n)
{
	orsp_err err = orsp_json_get_string(obj, field, SIZE_MAX, s, n);
	if (err)
		return err;
	if (*n > b64_max_text(max))
		return orsp_errf(ORSP_E_MALFORMED, "%s: decodes to more than %zu bytes", field,
		                 max);
	return ORSP_OK;
}

static orsp_err b64_decode_field(const char *field, const char *s, size_t n, uint8_t *out,
                                 size_t cap, size_t *out_len)
{
	orsp_err err = orsp_base64_decode(s, n, out, cap, out_len);
	if (err == ORSP_E_RESOURCE)
		return orsp_errf(ORSP_E_MALFORMED, "%s: decodes to more than %zu bytes", field,
		                 cap);
	if (err)
		return orsp_errf(ORSP_E_MALFORMED, "%s: bad base64 (%s)", field, orsp_err_detail());
	return ORSP_OK;
}

orsp_err orsp_json_get_base64(const json_t *obj, const char *field, uint8_t *out, size_t cap,
                              size_t *out_len)
{
	orsp_err err;
	const char *s;
	size_t n;

	if (!field || !out_len || (!out && cap))
		return orsp_errf(ORSP_E_USAGE, "orsp_json_get_base64: bad arguments");
	*out_len = 0;
	err = b64_text(obj, field, cap, &s, &n);
	if (err)
		return err;
	return b64_decode_field(field, s, n, out, cap, out_len);
}

orsp_err orsp_json_get_base64_alloc(const json_t *obj, const char *field, size_t max_len,
                                    uint8_t **out, size_t *out_len)
{
	orsp_err err;
	const char *s;
	size_t n, cap;
	uint8_t *buf = NULL;

	if (!field || !out || !out_len)
		return orsp_errf(ORSP_E_USAGE, "orsp_json_get_base64_alloc: bad arguments");
	*out = NULL;
	*out_len = 0;
	err = b64_text(obj, field, max_len, &s, &n);
	if (err)
		return err;
	cap = n / 4 * 3;
	if (cap > max_len)
		cap = max_len;
	buf = malloc(cap ? cap : 1);
	if (!buf)
		return orsp_errf(ORSP_E_RESOURCE, "%s: out of memory for %zu bytes", field, cap);
	err = b64_decode_field(field, s, n, buf, cap, out_len);
	if (err) {
		/* the quartets before a bad one are decoded: a hashCc among them, say */
		orsp_wipe(buf, cap);
		free(buf);
		return err;
	}
	*out = buf;
	return ORSP_OK;
}

orsp_err orsp_json_put_base64(json_t *obj, const char *field, const uint8_t *p, size_t n)
{
	orsp_err err;
	char *text = NULL;
	size_t cap;

	if (!json_is_object(obj) || !field || (!p && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_json_put_base64: bad arguments");
	if (n > (SIZE_MAX - 8) / 4 * 3)
		return orsp_errf(ORSP_E_RESOURCE, "%s: %zu bytes too large to encode", field, n);
	cap = orsp_base64_encoded_len(n);
	text = malloc(cap);
	if (!text)
		return orsp_errf(ORSP_E_RESOURCE, "%s: out of memory", field);
	err = orsp_base64_encode(p, n, text, cap);
	if (!err)
		/* ASCII by construction: no UTF-8 validation */
		err = set_new(obj, field, json_stringn_nocheck(text, cap - 1));
	/* what it encodes may be secret (hashCc in a PrepareDownloadResponse) */
	orsp_wipe_free(text);
	return err;
}

bool orsp_http_media_json(const char *ct)
{
	/* the type/subtype ends at a parameter's ';' or white space before it (RFC 9110 §8.3.1) */
	return ct && strcspn(ct, "; \t") == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

orsp_err orsp_http_admin_protocol_parse(const char *value, unsigned *major, unsigned *minor,
                                        unsigned *patch)
{
	static const char prefix[] = "gsma/rsp/v";
	unsigned v[3] = {0, 0, 0};
	const char *p;

	if (!value)
		return orsp_errf(ORSP_E_MALFORMED, "X-Admin-Protocol: missing");
	if (strncmp(value, prefix, sizeof(prefix) - 1) != 0)
		return orsp_errf(ORSP_E_MALFORMED, "X-Admin-Protocol: not gsma/rsp/v<x.y.z>");
	p = value + sizeof(prefix) - 1;
	for (int i = 0; i < 3; i++) {
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			if (++digits > 3)
				return orsp_errf(ORSP_E_MALFORMED,
				                 "X-Admin-Protocol: number too long");
			v[i] = v[i] * 10 + (unsigned)(*p - '0');
			p++;
		}
		if (digits == 0 || (i < 2 && *p != '.'))
			return orsp_errf(ORSP_E_MALFORMED,
			                 "X-Admin-Protocol: not gsma/rsp/v<x.y.z>");
		if (i < 2)
			p++;
	}
	if (*p)
		return orsp_errf(ORSP_E_MALFORMED, "X-Admin-Protocol: trailing characters");
	if (major)
		*major = v[0];
	if (minor)
		*minor = v[1];
	if (patch)
		*patch = v[2];
	return ORSP_OK;
}
