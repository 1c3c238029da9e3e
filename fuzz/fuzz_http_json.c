/* libFuzzer target for the SGP.22 JSON binding helpers (src/http/json.c).
 *
 * For any input:
 *  - orsp_json_parse() fails only with ORSP_E_MALFORMED, and what it accepts is an object;
 *    it accepts exactly what jansson's json_loadb accepts as an object, as an equal value
 *    (its own fast path must not differ);
 *  - orsp_json_header_get() fails only with ORSP_E_MALFORMED; what it accepts has a known
 *    status, NUL-terminated fields within their bounds, dotted-decimal codes (checked here
 *    independently), and survives orsp_json_header_put() + orsp_json_header_get() unchanged;
 *  - for every member, orsp_json_get_string() and orsp_json_get_base64() fail only with
 *    ORSP_E_MALFORMED; a decoded base64 value re-encodes to exactly the text it came from
 *    (strict RFC 4648: one encoding per value), and the allocating decoder agrees;
 *  - orsp_json_dump() of an accepted object parses back to an equal object;
 *  - a refusal's detail is printable ASCII (jansson quotes the input in its message);
 *  - orsp_json_parse_lenient() (an operator's answer to a progress report) fails only with
 *    ORSP_E_MALFORMED and accepts exactly what jansson's json_loadb accepts as an object
 *    with NULs in strings and repeated keys allowed, as an equal value; its header reads
 *    as above (a message or subjectIdentifier cut at a NUL).
 * A violated property calls abort(). Deterministic: no clock, no randomness, no state kept
 * between inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "openrsp/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 65536
#define B64_CAP 4096

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool dotted(const char *s)
{
	size_t groups = 0, digits = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (!digits)
				return false;
			groups++;
			digits = 0;
		} else if (*s >= '0' && *s <= '9') {
			digits++;
			if (digits > 3)
				return false;
		} else {
			return false;
		}
	}
	return digits && groups + 1 <= 4;
}

static bool bounded(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_header(const json_t *obj)
{
	orsp_json_status st, again;
	orsp_err e = orsp_json_header_get(obj, &st);

	check(e == ORSP_OK || e == ORSP_E_MALFORMED);
	if (e)
		return;
	check((unsigned)st.status <= ORSP_FES_EXPIRED);
	check(bounded(st.subject_code, sizeof(st.subject_code)));
	check(bounded(st.reason_code, sizeof(st.reason_code)));
	check(bounded(st.subject_identifier, sizeof(st.subject_identifier)));
	check(bounded(st.message, sizeof(st.message)));
	if (st.status == ORSP_FES_FAILED)
		check(st.has_status_code_data);
	if (st.has_status_code_data)
		check(dotted(st.subject_code) && dotted(st.reason_code));

	json_t *copy = json_object();
	if (!copy)
		return;
	check(orsp_json_header_put(copy, &st) == ORSP_OK);
	check(orsp_json_header_get(copy, &again) == ORSP_OK);
	check(memcmp(&st, &again, sizeof(st)) == 0);
	json_decref(copy);
}

static void check_member(const json_t *obj, const char *key)
{
	static uint8_t buf[B64_CAP];
	const char *s = NULL;
	size_t n = 0, m = 0;
	uint8_t *heap = NULL;
	orsp_err e;

	e = orsp_json_get_string(obj, key, MAX_BODY, &s, &n);
	check(e == ORSP_OK || e == ORSP_E_MALFORMED);
	if (e)
		return;
	check(strlen(s) == n);

	e = orsp_json_get_base64(obj, key, buf, sizeof(buf), &m);
	check(e == ORSP_OK || e == ORSP_E_MALFORMED);
	orsp_err e2 = orsp_json_get_base64_alloc(obj, key, sizeof(buf), &heap, &n);
	check(e2 == e);
	if (e)
		return;
	check(n == m && (m == 0 || memcmp(heap, buf, m) == 0));
	free(heap);

	json_t *tmp = json_object();
	if (!tmp)
		return;
	check(orsp_json_put_base64(tmp, "v", buf, m) == ORSP_OK);
	check(strcmp(json_string_value(json_object_get(tmp, "v")), s) == 0);
	json_decref(tmp);
}

/* A parse's outcome e, obj for data against jansson's json_loadb with flags: the same
 * acceptance as an object and the same value; a refusal's words (they reach logs and
 * terminals) printable ASCII only, and no object. Whether it was accepted. */
static bool as_jansson(const uint8_t *data, size_t size, size_t flags, orsp_err e, json_t *obj)
{
	check(e == ORSP_OK || e == ORSP_E_MALFORMED);
	if (size > 0 && size <= MAX_BODY) {
		json_error_t jerr;
		json_t *ref = json_loadb((const char *)data, size, flags, &jerr);
		bool ref_ok = ref && json_is_object(ref);
		check(ref_ok == (e == ORSP_OK));
		check(!ref_ok || json_equal(ref, obj));
		json_decref(ref);
	}
	if (e) {
		check(obj == NULL);
		for (const char *t = orsp_err_detail(); *t; t++)
			check((unsigned char)*t >= 0x20 && (unsigned char)*t <= 0x7E);
		return false;
	}
	check(json_is_object(obj));
	return true;
}

/* The lenient parse: jansson's with JSON_ALLOW_NUL (repeated keys keep the last value). */
static void check_lenient(const uint8_t *data, size_t size)
{
	json_t *obj = NULL;
	orsp_err e = orsp_json_parse_lenient(data, size, MAX_BODY, &obj);

	if (as_jansson(data, size, JSON_ALLOW_NUL, e, obj))
		check_header(obj);
	json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_lenient(data, size);

	json_t *obj = NULL, *back = NULL;
	orsp_err e = orsp_json_parse(data, size, MAX_BODY, &obj);
	const char *key;
	json_t *value;
	char *text = NULL;
	size_t len;

	/* orsp_json_parse reads common documents without jansson: the outcome must be
	 * jansson's own, accepted or refused, and the same value */
	if (!as_jansson(data, size, JSON_REJECT_DUPLICATES, e, obj))
		return 0;
	check_header(obj);
	json_object_foreach(obj, key, value)
	{
		(void)value;
		check_member(obj, key);
	}
	if (orsp_json_dump(obj, &text, &len) == ORSP_OK) {
		check(orsp_json_parse(text, len, (size_t)-1, &back) == ORSP_OK);
		check(json_equal(obj, back));
		json_decref(back);
		free(text);
	}
	json_decref(obj);
	return 0;
}
