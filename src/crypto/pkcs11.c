/* EC private keys held in a PKCS#11 token (a hardware security module, or SoftHSM in the
 * tests): named by an RFC 7512 URI, they sign inside the token and never leave it
 * (docs/crypto.md, "Keys in a PKCS#11 token").
 *
 * p11-kit parses the URI and loads the module (a "managed" module: each key has its own
 * instance with its own sessions, and the module is initialised with OS locking, so that
 * threads may call it). A key keeps a pool of sessions, one per concurrent signature; the
 * login of the first one holds for every session of the process on that token. A signature
 * that finds its session gone or the user logged out (the token was reset, a network HSM
 * reconnected) opens a new session, logs in again with the kept PIN, looks the key up again
 * and tries once more.
 *
 * The token computes ECDSA over the SHA-256 digest (CKM_ECDSA), whose output is r || s, the
 * raw format SGP.22 uses. */
#define CRYPTOKI_GNU 1 /* p11-kit's names, not the compatibility macros (value, count ...) */
#include <stddef.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "ec_internal.h"

#define URI_MAX 4096
#define PIN_MAX 256
#define ID_MAX 128
#define LABEL_MAX 256
#define POOL_MAX 16
#define SLOTS_MAX 256

struct orsp__p11_key {
	struct ck_function_list *m;
	ck_object_class_t cls; /* the object looked for: CKO_PRIVATE_KEY (EC) or CKO_SECRET_KEY */
	ck_key_type_t ktype;   /* CKK_EC or CKK_AES */
	ck_slot_id_t slot;
	pthread_mutex_t mu;
	ck_object_handle_t obj;             /* under mu */
	ck_session_handle_t pool[POOL_MAX]; /* idle sessions, under mu */
	size_t n_pool;
	/* what names the private key, to find it again */
	uint8_t id[ID_MAX];
	size_t id_len;
	char label[LABEL_MAX];
	bool has_id, has_label;
	char pin[PIN_MAX + 1];
	size_t pin_len;
	bool has_pin, protected_path;
	atomic_bool pin_refused; /* a login after the start was refused: never tried again */
	uint8_t token[32];       /* SHA-256 of the token's label, maker, model and serial number */
	bool final_try;          /* the last login was not tried: the PIN had one try left */
	bool refused_before;     /* the last login was not tried: refused earlier (refused[]) */
	atomic_uint logins;      /* C_Login calls made (orsp__p11_login_count, for the tests) */
	char what[160]; /* "key L in token T", for messages (never the URI: it may hold a PIN) */
};

#define RV(x)                                                                                      \
	{                                                                                          \
		x, #x                                                                              \
	}
static const struct {
	ck_rv_t rv;
	const char *name;
} rv_names[] = {
    RV(CKR_OK),
    RV(CKR_HOST_MEMORY),
    RV(CKR_SLOT_ID_INVALID),
    RV(CKR_GENERAL_ERROR),
    RV(CKR_FUNCTION_FAILED),
    RV(CKR_ARGUMENTS_BAD),
    RV(CKR_ATTRIBUTE_TYPE_INVALID),
    RV(CKR_ATTRIBUTE_SENSITIVE),
    RV(CKR_DEVICE_ERROR),
    RV(CKR_DEVICE_MEMORY),
    RV(CKR_DEVICE_REMOVED),
    RV(CKR_KEY_HANDLE_INVALID),
    RV(CKR_KEY_TYPE_INCONSISTENT),
    RV(CKR_KEY_FUNCTION_NOT_PERMITTED),
    RV(CKR_MECHANISM_INVALID),
    RV(CKR_OBJECT_HANDLE_INVALID),
    RV(CKR_OPERATION_ACTIVE),
    RV(CKR_ENCRYPTED_DATA_INVALID),
    RV(CKR_ENCRYPTED_DATA_LEN_RANGE),
    RV(CKR_PIN_INCORRECT),
    RV(CKR_PIN_INVALID),
    RV(CKR_PIN_LEN_RANGE),
    RV(CKR_PIN_EXPIRED),
    RV(CKR_PIN_LOCKED),
    RV(CKR_SESSION_CLOSED),
    RV(CKR_SESSION_COUNT),
    RV(CKR_SESSION_HANDLE_INVALID),
    RV(CKR_TOKEN_NOT_PRESENT),
    RV(CKR_TOKEN_NOT_RECOGNIZED),
    RV(CKR_USER_ALREADY_LOGGED_IN),
    RV(CKR_USER_NOT_LOGGED_IN),
    RV(CKR_USER_PIN_NOT_INITIALIZED),
    RV(CKR_BUFFER_TOO_SMALL),
    RV(CKR_CRYPTOKI_NOT_INITIALIZED),
};
#undef RV

static const char *rv_name(ck_rv_t rv)
{
	for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	return "a PKCS#11 error";
}

static orsp_err rv_fail(orsp_err e, ck_rv_t rv, const char *what, const char *where)
{
	return orsp_errf(e, "PKCS#11 %s: %s (%s, 0x%lx)", where, what, rv_name(rv),
	                 (unsigned long)rv);
}

/* The session (or the token behind it) is gone, or the login with it, or the key's handle:
 * a new session, a new login and a new look-up may help. */
static bool session_lost(ck_rv_t rv)
{
	return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	       rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_DEVICE_REMOVED ||
	       rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_KEY_HANDLE_INVALID ||
	       rv == CKR_OBJECT_HANDLE_INVALID;
}

/* The session itself is gone: its handle must not be closed (the module may have handed the
 * same number to a new session since). */
static bool session_gone(ck_rv_t rv)
{
	return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	       rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT;
}

/* ------------------------------------------------------------------ the URI ----------- */

/* The PIN of pin-source: a file of the owner's alone, its first line. */
static orsp_err read_pin_file(const char *src, char *pin, size_t *len)
{
	char buf[PIN_MAX + 3];
	struct stat st;
	ssize_t n;
	size_t k;
	int fd;

	if (strncmp(src, "file:", 5) == 0)
		src += 5;
	if (src[0] != '/')
		return orsp_errf(ORSP_E_USAGE,
		                 "PKCS#11 URI: pin-source must be an absolute file path");
	/* O_NONBLOCK: a FIFO planted there must not hang the start (refused just below) */
	fd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return orsp_errf(ORSP_E_IO, "PKCS#11 URI: cannot open the pin-source %s: %s", src,
		                 strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: the pin-source %s is not a file", src);
	}
	if (st.st_mode & 077) {
		close(fd);
		return orsp_errf(
		    ORSP_E_POLICY,
		    "PKCS#11 URI: the pin-source %s can be read or written by group or "
		    "others (chmod 600 it)",
		    src);
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		orsp_wipe(buf, sizeof(buf));
		return orsp_errf(ORSP_E_IO, "PKCS#11 URI: cannot read the pin-source %s", src);
	}
	k = 0;
	while (k < (size_t)n && buf[k] != '\n' && buf[k] != '\r')
		k++;
	if (k == 0 || k > PIN_MAX) {
		orsp_wipe(buf, sizeof(buf));
		return orsp_errf(ORSP_E_MALFORMED,
		                 "PKCS#11 URI: the pin-source %s holds no PIN of 1 to %d bytes on "
		                 "its first line",
		                 src, PIN_MAX);
	}
	memcpy(pin, buf, k);
	pin[k] = '\0';
	*len = k;
	orsp_wipe(buf, sizeof(buf));
	return ORSP_OK;
}

/* One NAME=VALUE of the URI, seg up to *end: if it is a pin-value, its VALUE decoded into
 * k->pin as p11-kit would decode it (%XX, anything else as it is) and cut out of the URI,
 * *end moved back to where it was. */
static orsp_err cut_pin_value(char *seg, char **end, struct orsp__p11_key *k, bool *given)
{
	static const char name[] = "pin-value=";
	char *v = seg + sizeof(name) - 1;
	size_t n = 0;

	if ((size_t)(*end - seg) < sizeof(name) - 1 || memcmp(seg, name, sizeof(name) - 1) != 0)
		return ORSP_OK;
	for (char *p = v; p < *end; n++) {
		int hi, lo;
		if (n == PIN_MAX) {
			orsp_wipe(k->pin, sizeof(k->pin));
			return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: pin-value of 1 to %d bytes",
			                 PIN_MAX);
		}
		if (*p != '%') {
			k->pin[n] = *p++;
			continue;
		}
		if (*end - p < 3 || (hi = orsp_hex_digit(p[1])) < 0 ||
		    (lo = orsp_hex_digit(p[2])) < 0) {
			orsp_wipe(k->pin, sizeof(k->pin));
			return orsp_errf(ORSP_E_USAGE, "not a PKCS#11 URI (RFC 7512): %s",
			                 p11_kit_uri_message(P11_KIT_URI_BAD_ENCODING));
		}
		k->pin[n] = (char)(hi << 4 | lo);
		p += 3;
	}
	/* p11-kit keeps the last of several; so do we */
	orsp_wipe(k->pin + n, sizeof(k->pin) - n);
	k->pin_len = n;
	*given = true;
	orsp_wipe(v, (size_t)(*end - v));
	memmove(v, *end, strlen(*end) + 1);
	*end = v;
	return ORSP_OK;
}

/* A query attribute p11-kit reads (RFC 7512 §2.3, and pinfile, its old name of pin-source). */
static bool query_known(const char *name, size_t n)
{
	static const char *const known[] = {"module-path", "module-name", "pin-source", "pin-value",
	                                    "pinfile"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(known); i++)
		if (strlen(known[i]) == n && memcmp(known[i], name, n) == 0)
			return true;
	return false;
}

/* Whether the path's attributes from p up to end (each NAME=VALUE, then ';') hold one whose
 * NAME is name (n bytes). */
static bool path_has(const char *p, const char *end, const char *name, size_t n)
{
	while (p < end) {
		if (strcspn(p, "=") == n && memcmp(p, name, n) == 0)
			return true;
		p += strcspn(p, ";") + 1;
	}
	return false;
}

/* The value v (n bytes) of a path attribute p11-kit reads into a number or a class, checked
 * as it is not (p11-kit 0.24): an unknown type= was called an attribute it does not know, a
 * slot-id beyond a CK_ULONG was read modulo 2^64 (18446744073709551616 named slot 0), and the
 * largest, p11-kit's "none", matched every slot. A percent-encoded type is left to p11-kit. */
static orsp_err path_value_check(const char *name, size_t nn, const char *v, size_t n)
{
	static const char *const types[] = {"cert", "data", "private", "public", "secret-key"};
	bool digits = n > 0 && n <= 20;

	if (nn == 7 && memcmp(name, "slot-id", 7) == 0) {
		unsigned long long id = 0;
		for (size_t i = 0; i < n && digits; i++) {
			digits = v[i] >= '0' && v[i] <= '9';
			if (digits && __builtin_mul_overflow(id, 10, &id))
				digits = false;
			if (digits && __builtin_add_overflow(id, (unsigned)(v[i] - '0'), &id))
				digits = false;
		}
		if (!digits || id >= (unsigned long long)(ck_slot_id_t)-1)
			return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: slot-id is a slot's number "
			                               "(decimal, below 2^64 - 1)");
	} else if (nn == 4 && memcmp(name, "type", 4) == 0 && !memchr(v, '%', n)) {
		for (size_t i = 0; i < ORSP_ARRAY_LEN(types); i++)
			if (strlen(types[i]) == n && memcmp(types[i], v, n) == 0)
				return ORSP_OK;
		return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: type is one of cert, data, private, "
		                               "public, secret-key");
	}
	return ORSP_OK;
}

/* The URI for p11-kit, into out (URI_MAX + 1 bytes): without white space and with each
 * pin-value's value cut out (decoded into k->pin, *given set). p11-kit frees the copies it
 * makes of a PIN without wiping them (its parsed value, one given twice, one half decoded
 * when the encoding is bad, the whole URI when it drops white space), so it is never given
 * one. The URI's parts are found as p11-kit's parser finds them (p11_kit_uri_parse, 0.24):
 * white space (" \n\r\v") dropped first, then the path split at ';' up to '?', then the
 * query at '&', pin-value accepted in both. */
static orsp_err uri_without_pin(const char *uri, char *out, struct orsp__p11_key *k, bool *given)
{
	char *s, *end, *eq;
	size_t n = 0;
	orsp_err e;

	*given = false;
	for (const char *p = uri; *p && n < URI_MAX; p++)
		if (!strchr(" \n\r\v", *p))
			out[n++] = *p;
	out[n] = '\0';
	s = out + 7; /* "pkcs11:", checked by the caller */
	for (;;) {
		end = s + strcspn(s, ";?");
		/* RFC 7512 §2.3: no empty attribute ("a;;b", ";b"), which p11-kit skips; read on
		 * as the query, the path's next attribute was called an unknown query one */
		if (end == s && *s == ';')
			return orsp_errf(ORSP_E_USAGE,
			                 "PKCS#11 URI: an empty attribute in the path "
			                 "(RFC 7512)");
		if (end == s)
			break;
		eq = strchr(s, '=');
		if (!eq || eq == s || eq >= end)
			goto syntax;
		/* RFC 7512 §2.3: an attribute at most once in the path; p11-kit keeps the last of
		 * two silently ("object=a;object=b" named key b) */
		if (path_has(out + 7, s, s, (size_t)(eq - s)))
			return orsp_errf(ORSP_E_USAGE,
			                 "PKCS#11 URI: an attribute given twice in the "
			                 "path (RFC 7512: at most once)");
		if ((e = path_value_check(s, (size_t)(eq - s), eq + 1, (size_t)(end - eq - 1))))
			return e;
		if ((e = cut_pin_value(s, &end, k, given)))
			return e;
		s = end;
		if (*s == '\0' || *s == '?')
			break;
		s++;
	}
	while (*s != '\0') {
		s++;
		end = strchr(s, '&');
		if (!end) {
			end = s + strlen(s);
			if (end == s)
				break;
		}
		eq = strchr(s, '=');
		if (!eq || end == s || eq == s || eq >= end)
			goto syntax;
		/* p11-kit keeps a query attribute it does not know as a vendor one, silently:
		 * a misspelt pin-source would go unnoticed */
		if (!query_known(s, (size_t)(eq - s)))
			return orsp_errf(ORSP_E_USAGE,
			                 "PKCS#11 URI: a query attribute it does not know (known: "
			                 "module-path, module-name, pin-source, pin-value)");
		if ((e = cut_pin_value(s, &end, k, given)))
			return e;
		s = end;
	}
	return ORSP_OK;
syntax:
	/* refused here, as p11-kit would, before a pin-value further on reaches it */
	return orsp_errf(ORSP_E_USAGE, "not a PKCS#11 URI (RFC 7512): %s",
	                 p11_kit_uri_message(P11_KIT_URI_BAD_SYNTAX));
}

/* The parts of the URI a key needs, checked: module-path, a PIN, the key's label or id. The
 * URI is the one uri_without_pin made; pin_value says whether it held a pin-value (in
 * k->pin). */
static orsp_err uri_take(P11KitUri *u, struct orsp__p11_key *k, bool pin_value, bool read_pin,
                         const char **module)
{
	struct ck_attribute *a;
	const char *pv, *ps;

	if (p11_kit_uri_any_unrecognized(u))
		return orsp_errf(ORSP_E_USAGE,
		                 "PKCS#11 URI: an attribute it does not know (known: token, "
		                 "manufacturer, serial, model, slot-id, slot-description, "
		                 "slot-manufacturer, library-manufacturer, library-description, "
		                 "library-version, object, id, type, module-path, pin-source, "
		                 "pin-value)");
	*module = p11_kit_uri_get_module_path(u);
	if (!*module || (*module)[0] != '/')
		return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: needs the module's absolute path "
		                               "(?module-path=/usr/lib/.../libX.so)");
	if (p11_kit_uri_get_module_name(u))
		return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: module-name is not supported, "
		                               "give module-path");
	a = p11_kit_uri_get_attribute(u, CKA_CLASS);
	if (a &&
	    (a->value_len != sizeof(ck_object_class_t) || *(ck_object_class_t *)a->value != k->cls))
		return orsp_errf(ORSP_E_USAGE,
		                 k->cls == CKO_PRIVATE_KEY
		                     ? "PKCS#11 URI: names an object that is not a private key "
		                       "(type=private, or no type)"
		                     : "PKCS#11 URI: names an object that is not a secret key "
		                       "(type=secret-key, or no type)");
	a = p11_kit_uri_get_attribute(u, CKA_LABEL);
	if (a) {
		if (a->value_len == 0 || a->value_len >= LABEL_MAX)
			return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: object= of 1 to %d bytes",
			                 LABEL_MAX - 1);
		/* the label is compared as a string: one cut at a %00 would name another key */
		if (memchr(a->value, 0, a->value_len))
			return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: object= with a NUL (%%00)");
		memcpy(k->label, a->value, a->value_len);
		k->label[a->value_len] = '\0';
		k->has_label = true;
	}
	a = p11_kit_uri_get_attribute(u, CKA_ID);
	if (a) {
		if (a->value_len == 0 || a->value_len > ID_MAX)
			return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: id= of 1 to %d bytes", ID_MAX);
		memcpy(k->id, a->value, a->value_len);
		k->id_len = a->value_len;
		k->has_id = true;
	}
	if (!k->has_label && !k->has_id)
		return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: name the key (object=LABEL or id=ID)");
	/* never a PIN from p11-kit: uri_without_pin cut every one out (should a later p11-kit
	 * find one all the same: refused, and wiped by token_open) */
	pv = p11_kit_uri_get_pin_value(u);
	if (pv && pv[0])
		return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: a pin-value openrsp does not read "
		                               "(give it as ?pin-value=PIN)");
	ps = p11_kit_uri_get_pin_source(u);
	if (pin_value && ps)
		return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: pin-value and pin-source both given");
	if (pin_value) {
		if (k->pin_len == 0)
			return orsp_errf(ORSP_E_USAGE, "PKCS#11 URI: pin-value of 1 to %d bytes",
			                 PIN_MAX);
		k->has_pin = true;
	} else if (ps && read_pin) {
		orsp_err e = read_pin_file(ps, k->pin, &k->pin_len);
		if (e)
			return e;
		k->has_pin = true;
	}
	return ORSP_OK;
}

/* The URI as a key load reads it into u: without white space and its pin-value into bare
 * (URI_MAX + 1 bytes; wiped when refused there), p11-kit's parse, and the checks of its
 * parts into k (*pin_value: a pin-value was cut out; *module: the module path). */
static orsp_err uri_parse(const char *uri, struct orsp__p11_key *k, P11KitUri *u, char *bare,
                          bool *pin_value, bool read_pin, const char **module)
{
	orsp_err e;
	int rc;

	if ((e = uri_without_pin(uri, bare, k, pin_value))) {
		orsp_wipe(bare, URI_MAX + 1);
		return e;
	}
	/* FOR_MODULE_WITH_VERSION: without it p11-kit takes library-version for an attribute
	 * it does not know */
	rc = p11_kit_uri_parse(bare,
	                       P11_KIT_URI_FOR_OBJECT_ON_TOKEN_AND_MODULE | P11_KIT_URI_FOR_SLOT |
	                           P11_KIT_URI_FOR_MODULE_WITH_VERSION,
	                       u);
	if (rc != P11_KIT_URI_OK)
		return orsp_errf(ORSP_E_USAGE, "not a PKCS#11 URI (RFC 7512): %s",
		                 p11_kit_uri_message(rc));
	return uri_take(u, k, *pin_value, read_pin, module);
}

/* The URI read as a key load reads it (uri_parse), nothing loaded: the pin-source read when
 * read_pin. The caller checked that uri is a pkcs11: URI of at most URI_MAX characters. */
static orsp_err uri_check(const char *uri, bool secret, bool read_pin, char bare[URI_MAX + 1],
                          bool *pin_value, size_t *pin_len)
{
	struct orsp__p11_key k = {.cls = secret ? CKO_SECRET_KEY : CKO_PRIVATE_KEY};
	P11KitUri *u;
	const char *module = NULL, *pv;
	orsp_err e;

	bare[0] = '\0';
	*pin_value = false;
	*pin_len = 0;
	if (!(u = p11_kit_uri_new()))
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	e = uri_parse(uri, &k, u, bare, pin_value, read_pin, &module);
	*pin_len = k.pin_len;
	if ((pv = p11_kit_uri_get_pin_value(u)) != NULL)
		orsp_wipe((void *)(uintptr_t)pv, strlen(pv));
	p11_kit_uri_free(u);
	orsp_wipe(&k, sizeof(k));
	return e;
}

orsp_err orsp__p11_uri_parse(const char *uri, bool secret, char bare[4097], bool *pin_value,
                             size_t *pin_len)
{
	bare[0] = '\0';
	*pin_value = false;
	*pin_len = 0;
	if (!orsp_ec_pkcs11_uri(uri) || strnlen(uri, URI_MAX + 1) > URI_MAX)
		return orsp_errf(ORSP_E_USAGE, "not a pkcs11: URI of at most %d characters",
		                 URI_MAX);
	return uri_check(uri, secret, true, bare, pin_value, pin_len);
}

/* ------------------------------------------------------------------ the token --------- */

static void token_label(const struct ck_token_info *ti, char *out, size_t cap)
{
	size_t n = p11_kit_space_strlen(ti->label, sizeof(ti->label));
	if (n >= cap)
		n = cap - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = ti->label[i] >= 0x20 && ti->label[i] < 0x7f ? (char)ti->label[i] : '?';
	out[n] = '\0';
}

/* The one token the URI names (and whether it wants a login and how). */
static orsp_err find_slot(struct orsp__p11_key *k, P11KitUri *u, char *tname, size_t cap)
{
	ck_slot_id_t slots[SLOTS_MAX], want = p11_kit_uri_get_slot_id(u);
	unsigned long n = SLOTS_MAX;
	struct ck_token_info ti;
	struct ck_slot_info si;
	size_t found = 0;
	bool login = false;
	ck_rv_t rv = k->m->C_GetSlotList(1, slots, &n);

	if (rv != CKR_OK)
		return rv_fail(ORSP_E_CRYPTO, rv, "cannot list the slots", "module");
	for (unsigned long i = 0; i < n && i < SLOTS_MAX; i++) {
		if (want != (ck_slot_id_t)-1 && slots[i] != want)
			continue;
		if (k->m->C_GetSlotInfo(slots[i], &si) != CKR_OK ||
		    p11_kit_uri_match_slot_info(u, &si) != 1)
			continue;
		/* an uninitialised token (SoftHSM's free slot) holds no key */
		if (k->m->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED) ||
		    p11_kit_uri_match_token_info(u, &ti) != 1)
			continue;
		if (found++ == 0) {
			uint8_t tid[sizeof(ti.label) + sizeof(ti.manufacturer_id) +
			            sizeof(ti.model) + sizeof(ti.serial_number)];
			size_t o = 0;
			memcpy(tid + o, ti.label, sizeof(ti.label));
			o += sizeof(ti.label);
			memcpy(tid + o, ti.manufacturer_id, sizeof(ti.manufacturer_id));
			o += sizeof(ti.manufacturer_id);
			memcpy(tid + o, ti.model, sizeof(ti.model));
			o += sizeof(ti.model);
			memcpy(tid + o, ti.serial_number, sizeof(ti.serial_number));
			if (orsp_sha256(tid, sizeof(tid), k->token))
				orsp_err_clear(); /* not reached: then all tokens are one */
			k->slot = slots[i];
			token_label(&ti, tname, cap);
			k->protected_path = (ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
			login = (ti.flags & CKF_LOGIN_REQUIRED) != 0;
		}
	}
	if (found == 0)
		return orsp_errf(
		    ORSP_E_NOT_FOUND,
		    "PKCS#11: no initialised token of the module matches the URI (token=, "
		    "serial=, slot-id= ...)");
	/* which token first: a PIN for one of several would not settle which (until session 70
	 * a URI matching two tokens that both want a PIN was told only to give one) */
	if (found > 1)
		return orsp_errf(ORSP_E_USAGE,
		                 "PKCS#11: %zu tokens match the URI; name one (token=, serial=)",
		                 found);
	if (login && !k->has_pin && !k->protected_path)
		return orsp_errf(ORSP_E_USAGE,
		                 "PKCS#11: the token %s asks for a PIN (pin-source= or pin-value= "
		                 "in the URI)",
		                 tname);
	return ORSP_OK;
}

static bool pin_refusal(ck_rv_t rv)
{
	return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE ||
	       rv == CKR_PIN_EXPIRED || rv == CKR_PIN_LOCKED;
}

/* The PINs a token refused, for the whole process: SHA-256 of the token's identity
 * (orsp__p11_key.token) and the PIN. Every key of that token with that PIN (DPauth, DPpb,
 * DPtls, other key sets) then stops logging in: each refusal counts towards the token's
 * lock-out, and a per-key memory let each key, and each thread that lost its session at the
 * same moment, spend one more try. Logins go one at a time under login_mu. */
#define REFUSED_MAX 64
static pthread_mutex_t login_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t refused[REFUSED_MAX][32]; /* under login_mu */
static size_t n_refused;

static bool refused_key(const struct orsp__p11_key *k, uint8_t out[32])
{
	uint8_t in[32 + PIN_MAX];
	bool ok;

	memcpy(in, k->token, 32);
	memcpy(in + 32, k->pin, k->pin_len);
	ok = orsp_sha256(in, 32 + k->pin_len, out) == ORSP_OK;
	orsp_wipe(in, sizeof(in));
	orsp_err_clear();
	return ok;
}

/* Whether k's last login was not tried for the PIN's one try left (login, under its lock). */
static bool final_try(struct orsp__p11_key *k)
{
	bool f;

	pthread_mutex_lock(&login_mu);
	f = k->final_try;
	pthread_mutex_unlock(&login_mu);
	return f;
}

static ck_rv_t login(struct orsp__p11_key *k, ck_session_handle_t s)
{
	struct ck_token_info ti;
	uint8_t key[32];
	bool have_key;
	ck_rv_t rv;

	if (!k->has_pin && !k->protected_path)
		return CKR_USER_NOT_LOGGED_IN;
	if (atomic_load(&k->pin_refused))
		return CKR_PIN_INCORRECT;
	have_key = k->has_pin && refused_key(k, key);
	pthread_mutex_lock(&login_mu);
	k->final_try = k->refused_before = false;
	for (size_t i = 0; have_key && i < n_refused; i++)
		if (memcmp(refused[i], key, 32) == 0) {
			atomic_store(&k->pin_refused, true);
			k->refused_before = true;
			pthread_mutex_unlock(&login_mu);
			orsp_wipe(key, sizeof(key));
			return CKR_PIN_INCORRECT;
		}
	/* a PIN with one try left, or locked, is not tried by a server: a wrong one would lock
	 * the token (and a supervisor restarting the server would spend the tries in seconds) */
	if (k->has_pin && k->m->C_GetTokenInfo(k->slot, &ti) == CKR_OK &&
	    (ti.flags & (CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED))) {
		k->final_try = !(ti.flags & CKF_USER_PIN_LOCKED);
		pthread_mutex_unlock(&login_mu);
		orsp_wipe(key, sizeof(key));
		return CKR_PIN_LOCKED;
	}
	atomic_fetch_add(&k->logins, 1);
	rv = k->m->C_Login(s, CKU_USER, k->has_pin ? (unsigned char *)k->pin : NULL,
	                   k->has_pin ? k->pin_len : 0);
	/* A PIN the token refuses (changed since the start) is not sent again, by any key of
	 * the token: every try counts towards the token's lock-out. */
	if (pin_refusal(rv)) {
		atomic_store(&k->pin_refused, true);
		if (have_key && n_refused < REFUSED_MAX)
			memcpy(refused[n_refused++], key, 32);
	}
	pthread_mutex_unlock(&login_mu);
	orsp_wipe(key, sizeof(key));
	/* CKR_USER_ALREADY_LOGGED_IN, the PIN unchecked, is the caller's to judge */
	return rv;
}

/* Find the objects of class cls and key type kt named by id and/or label: the first in *out,
 * how many (0, 1 or 2 for "more") in *count. */
static ck_rv_t find_one(struct orsp__p11_key *k, ck_session_handle_t s, ck_object_class_t cls,
                        ck_key_type_t kt, const uint8_t *id, size_t id_len, const char *label,
                        ck_object_handle_t *out, unsigned long *count)
{
	uint8_t idc[ID_MAX];
	char lc[LABEL_MAX];
	struct ck_attribute t[4] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_KEY_TYPE, &kt, sizeof(kt)},
	};
	unsigned long nt = 2;
	ck_object_handle_t h[2];
	ck_rv_t rv, rv2;

	/* the template's values are not const in the API: copies */
	if (id) {
		memcpy(idc, id, id_len < ID_MAX ? id_len : ID_MAX);
		t[nt++] = (struct ck_attribute){CKA_ID, idc, id_len < ID_MAX ? id_len : ID_MAX};
	}
	if (label) {
		size_t n = strnlen(label, LABEL_MAX - 1);
		memcpy(lc, label, n);
		t[nt++] = (struct ck_attribute){CKA_LABEL, lc, n};
	}
	*count = 0;
	rv = k->m->C_FindObjectsInit(s, t, nt);
	if (rv != CKR_OK)
		return rv;
	rv = k->m->C_FindObjects(s, h, 2, count);
	rv2 = k->m->C_FindObjectsFinal(s);
	if (rv == CKR_OK)
		rv = rv2;
	if (rv == CKR_OK && *count >= 1)
		*out = h[0];
	return rv;
}

static ck_rv_t find_private(struct orsp__p11_key *k, ck_session_handle_t s, ck_object_handle_t *out,
                            unsigned long *count)
{
	return find_one(k, s, k->cls, k->ktype, k->has_id ? k->id : NULL, k->id_len,
	                k->has_label ? k->label : NULL, out, count);
}

/* An attribute into buf (cap bytes): *len its length, at most cap. */
static ck_rv_t get_attr(struct orsp__p11_key *k, ck_session_handle_t s, ck_object_handle_t o,
                        ck_attribute_type_t type, void *buf, size_t cap, size_t *len)
{
	struct ck_attribute a = {type, buf, cap};
	ck_rv_t rv = k->m->C_GetAttributeValue(s, o, &a, 1);

	if (rv == CKR_OK && a.value_len == (unsigned long)-1)
		rv = CKR_ATTRIBUTE_TYPE_INVALID;
	/* A value longer than buf is CKR_BUFFER_TOO_SMALL (C_GetAttributeValue); a module that says
	 * CKR_OK with such a length is not believed, since the callers index buf with it. */
	else if (rv == CKR_OK && a.value_len > cap)
		rv = CKR_BUFFER_TOO_SMALL;
	*len = rv == CKR_OK ? a.value_len : 0;
	return rv;
}

static const uint8_t OID_P256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t OID_BP256[] = {0x06, 0x09, 0x2B, 0x24, 0x03, 0x03,
                                    0x02, 0x08, 0x01, 0x01, 0x07};

static orsp_curve curve_of_params(const uint8_t *p, size_t n)
{
	if (n == sizeof(OID_P256) && memcmp(p, OID_P256, n) == 0)
		return ORSP_CURVE_P256;
	if (n == sizeof(OID_BP256) && memcmp(p, OID_BP256, n) == 0)
		return ORSP_CURVE_BRAINPOOLP256R1;
	return ORSP_CURVE_NONE;
}

/* The public key beside the private one (same id, else same label): CKA_EC_POINT, a DER
 * OCTET STRING around the uncompressed point (or, from some modules, the bare point). */
static orsp_err public_key(struct orsp__p11_key *k, ck_session_handle_t s, ck_object_handle_t priv,
                           orsp_curve curve, orsp_ec_key **out)
{
	uint8_t id[ID_MAX], pt[ORSP_EC_POINT_LEN + 8];
	char label[LABEL_MAX];
	size_t id_len = 0, label_len = 0, n = 0;
	ck_object_handle_t pub = 0;
	unsigned long count = 0;
	const uint8_t *p = pt;
	ck_rv_t rv;

	if (get_attr(k, s, priv, CKA_ID, id, sizeof(id), &id_len) != CKR_OK)
		id_len = 0;
	if (id_len == 0 &&
	    (get_attr(k, s, priv, CKA_LABEL, label, sizeof(label) - 1, &label_len) != CKR_OK ||
	     label_len == 0))
		return orsp_errf(ORSP_E_NOT_FOUND,
		                 "PKCS#11: %s has neither an id nor a label to find its public key "
		                 "by",
		                 k->what);
	label[label_len] = '\0';
	rv = find_one(k, s, CKO_PUBLIC_KEY, CKK_EC, id_len ? id : NULL, id_len,
	              id_len ? NULL : label, &pub, &count);
	if (rv != CKR_OK)
		return rv_fail(ORSP_E_CRYPTO, rv, "cannot search for the public key", k->what);
	if (count != 1)
		return orsp_errf(ORSP_E_NOT_FOUND,
		                 "PKCS#11: %s has %s public key object with the same %s (import or "
		                 "generate the key pair in the token)",
		                 k->what, count ? "more than one" : "no", id_len ? "id" : "label");
	rv = get_attr(k, s, pub, CKA_EC_POINT, pt, sizeof(pt), &n);
	if (rv != CKR_OK)
		return rv_fail(ORSP_E_CRYPTO, rv, "cannot read the public point", k->what);
	if (n == ORSP_EC_POINT_LEN + 2 && pt[0] == 0x04 && pt[1] == ORSP_EC_POINT_LEN) {
		p = pt + 2;
		n -= 2;
	}
	if (n != ORSP_EC_POINT_LEN)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "PKCS#11: the public point of %s is not an uncompressed point of "
		                 "%d bytes",
		                 k->what, ORSP_EC_POINT_LEN);
	return orsp_ec_from_public_point(curve, p, n, out);
}

/* ------------------------------------------------------------------ sessions ---------- */

static ck_rv_t session_take(struct orsp__p11_key *k, ck_session_handle_t *s)
{
	pthread_mutex_lock(&k->mu);
	if (k->n_pool > 0) {
		*s = k->pool[--k->n_pool];
		pthread_mutex_unlock(&k->mu);
		return CKR_OK;
	}
	pthread_mutex_unlock(&k->mu);
	return k->m->C_OpenSession(k->slot, CKF_SERIAL_SESSION, NULL, NULL, s);
}

static void session_give(struct orsp__p11_key *k, ck_session_handle_t s)
{
	pthread_mutex_lock(&k->mu);
	if (k->n_pool < POOL_MAX) {
		k->pool[k->n_pool++] = s;
		s = 0;
	}
	pthread_mutex_unlock(&k->mu);
	if (s)
		k->m->C_CloseSession(s);
}

/* After a session found gone: the kept ones are closed, their results ignored, and forgotten.
 * A token reset has ended them all (the close only hears so); a session ended alone (an idle
 * timeout, an operator) leaves its siblings alive, which would stay open, held from a token
 * with few sessions to give, until the key is freed. They are not asked about and kept when
 * alive: a dead one's number may belong to a new session by now, which a question would take
 * for ours and two threads would then share. Closed under mu, so that a thread of this key
 * finding the pool empty opens its new session after the closes, never with the number of one
 * about to be closed. (A module that gave a dead one's number to another key's new session
 * already sees that one closed; its signature is tried again in a new session.) */
static void pool_forget(struct orsp__p11_key *k)
{
	pthread_mutex_lock(&k->mu);
	while (k->n_pool > 0)
		k->m->C_CloseSession(k->pool[--k->n_pool]);
	pthread_mutex_unlock(&k->mu);
}

/* One attempt: sign the digest in session s, logging in or finding the key again first if
 * the token asks for it. */
static ck_rv_t sign_in(struct orsp__p11_key *k, ck_session_handle_t s, const uint8_t dg[32],
                       uint8_t sig[ORSP_EC_SIG_LEN], bool fresh)
{
	struct ck_mechanism mech = {CKM_ECDSA, NULL, 0};
	unsigned long len = ORSP_EC_SIG_LEN, count = 0;
	ck_object_handle_t obj;
	uint8_t d[32];
	ck_rv_t rv;

	memcpy(d, dg, sizeof(d)); /* C_Sign's input is not const */
	pthread_mutex_lock(&k->mu);
	obj = k->obj;
	pthread_mutex_unlock(&k->mu);
	if (fresh) {
		/* a new session after a lost one: the login and the handle may be gone too */
		if ((k->has_pin || k->protected_path) && (rv = login(k, s)) != CKR_OK &&
		    rv != CKR_USER_ALREADY_LOGGED_IN)
			return rv;
		if ((rv = find_private(k, s, &obj, &count)) != CKR_OK)
			return rv;
		if (count != 1)
			return CKR_KEY_HANDLE_INVALID;
		pthread_mutex_lock(&k->mu);
		k->obj = obj;
		pthread_mutex_unlock(&k->mu);
	}
	rv = k->m->C_SignInit(s, &mech, obj);
	if (rv == CKR_OK)
		rv = k->m->C_Sign(s, d, sizeof(d), sig, &len);
	if (rv == CKR_OK && len != ORSP_EC_SIG_LEN)
		rv = CKR_FUNCTION_FAILED;
	return rv;
}

orsp_err orsp__p11_sign_digest(struct orsp__p11_key *k, const uint8_t dg[32],
                               uint8_t sig[ORSP_EC_SIG_LEN])
{
	ck_session_handle_t s = 0;
	bool have = false;
	ck_rv_t rv = CKR_OK;
	/* two attempts: the second after a lost session or login, in a session known to be
	 * alive (the first one's, if only the login or the key's handle was lost, else a new
	 * one), logging in and finding the key again */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!have) {
			rv = attempt == 0
			         ? session_take(k, &s)
			         : k->m->C_OpenSession(k->slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
			if (rv != CKR_OK) {
				if (attempt == 0 && session_lost(rv))
					continue;
				break;
			}
			have = true;
		}
		rv = sign_in(k, s, dg, sig, attempt > 0);
		if (rv == CKR_OK) {
			session_give(k, s);
			return ORSP_OK;
		}
		if (session_gone(rv)) {
			have = false;
			if (attempt == 0)
				pool_forget(k);
		}
		if (!session_lost(rv) || attempt > 0)
			break;
	}
	/* a live session in doubt is not given back */
	if (have)
		k->m->C_CloseSession(s);
	memset(sig, 0, ORSP_EC_SIG_LEN);
	if (pin_refusal(rv) && atomic_load(&k->pin_refused))
		return orsp_errf(ORSP_E_CRYPTO,
		                 "PKCS#11 %s: signing failed: the token refused the PIN it took at "
		                 "the start (changed since?); not tried again until a restart",
		                 k->what);
	/* a new login not tried: the PIN has one try left (login), which a wrong PIN would
	 * spend, locking the token; said as CKR_PIN_LOCKED until session 68 */
	if (rv == CKR_PIN_LOCKED && final_try(k))
		return orsp_errf(ORSP_E_CRYPTO,
		                 "PKCS#11 %s: signing failed: the token's PIN has one try left, "
		                 "not spent on a new login here (a wrong PIN would lock it): log "
		                 "in once by hand with the right PIN to reset the count",
		                 k->what);
	memset(sig, 0, ORSP_EC_SIG_LEN);
	return rv_fail(ORSP_E_CRYPTO, rv, "signing failed", k->what);
}

void orsp__p11_free(struct orsp__p11_key *k)
{
	if (!k)
		return;
	if (k->m) {
		for (size_t i = 0; i < k->n_pool; i++)
			k->m->C_CloseSession(k->pool[i]);
		p11_kit_module_finalize(k->m);
		p11_kit_module_release(k->m);
	}
	pthread_mutex_destroy(&k->mu);
	orsp_wipe(k, sizeof(*k));
	free(k);
}

unsigned orsp__p11_login_count(struct orsp__p11_key *k)
{
	return atomic_load(&k->logins);
}

void orsp__p11_reset_sessions(struct orsp__p11_key *k, size_t idle)
{
	ck_session_handle_t s;

	pthread_mutex_lock(&k->mu);
	while (k->n_pool < idle && k->n_pool < POOL_MAX &&
	       k->m->C_OpenSession(k->slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK)
		k->pool[k->n_pool++] = s;
	/* as a token reset: every session ends, the handles kept stay where they are */
	k->m->C_CloseAllSessions(k->slot);
	pthread_mutex_unlock(&k->mu);
}

void orsp__p11_end_session(struct orsp__p11_key *k, size_t idle)
{
	ck_session_handle_t s;

	pthread_mutex_lock(&k->mu);
	while (k->n_pool < idle && k->n_pool < POOL_MAX &&
	       k->m->C_OpenSession(k->slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK)
		k->pool[k->n_pool++] = s;
	if (k->n_pool > 0)
		k->m->C_CloseSession(k->pool[k->n_pool - 1]);
	pthread_mutex_unlock(&k->mu);
}

size_t orsp__p11_pool(struct orsp__p11_key *k, unsigned long *out, size_t cap)
{
	size_t n;

	pthread_mutex_lock(&k->mu);
	for (n = 0; n < k->n_pool && n < cap; n++)
		out[n] = k->pool[n];
	pthread_mutex_unlock(&k->mu);
	return n;
}

/* ------------------------------------------------------------------ loading ----------- */

bool orsp_ec_pkcs11_uri(const char *s)
{
	/* a URI's scheme has no case (RFC 3986 §3.1), nor has it for p11-kit: "PKCS11:..."
	 * taken for a file's name was echoed in errors, its pin-value too */
	return s && strncasecmp(s, "pkcs11:", 7) == 0;
}

bool orsp_ec_pkcs11_uri_has_pin(const char *s)
{
	static const char name[] = "pin-value=";

	for (; s && *s; s++) {
		const char *p = s;
		size_t i = 0;
		for (; name[i]; i++, p++) {
			while (*p && strchr(" \t\n\r\v\f", *p))
				p++;
			if (tolower((unsigned char)*p) != name[i])
				break;
		}
		if (!name[i])
			return true;
	}
	return false;
}

/* The token the URI names, opened for k (its class and key type set): the module loaded and
 * initialised, the one matching token found, a session opened in *s and logged in, and the
 * one matching key in *obj. tname gets the token's label. */
static orsp_err token_open(struct orsp__p11_key *k, const char *uri, ck_session_handle_t *s,
                           ck_object_handle_t *obj, char *tname, size_t tcap)
{
	const char *module = NULL, *pv;
	P11KitUri *u = p11_kit_uri_new();
	char bare[URI_MAX + 1]; /* the URI without its PIN: uri_without_pin */
	unsigned long count = 0;
	bool pin_value = false;
	ck_rv_t rv;
	orsp_err e;

	*s = 0;
	if (!u)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	if ((e = uri_parse(uri, k, u, bare, &pin_value, true, &module)))
		goto out;
	k->m = p11_kit_module_load(module, 0);
	if (!k->m) {
		e = orsp_errf(ORSP_E_IO, "PKCS#11: cannot load the module %s: %s", module,
		              p11_kit_message() ? p11_kit_message() : "not a PKCS#11 module");
		goto out;
	}
	rv = p11_kit_module_initialize(k->m);
	if (rv != CKR_OK) {
		p11_kit_module_release(k->m);
		k->m = NULL;
		e = rv_fail(ORSP_E_CRYPTO, rv, "cannot initialise the module", module);
		goto out;
	}
	{
		/* library-manufacturer, library-description, library-version */
		struct ck_info info;
		if ((rv = k->m->C_GetInfo(&info)) != CKR_OK) {
			e = rv_fail(ORSP_E_CRYPTO, rv, "cannot read the module's information",
			            module);
			goto out;
		}
		if (p11_kit_uri_match_module_info(u, &info) != 1) {
			e = orsp_errf(ORSP_E_NOT_FOUND,
			              "PKCS#11: the module %s is not the library the URI names "
			              "(library-manufacturer, -description, -version)",
			              module);
			goto out;
		}
	}
	if ((e = find_slot(k, u, tname, tcap)))
		goto out;
	if (k->has_label) {
		snprintf(k->what, sizeof(k->what), "key %.100s in token %s", k->label, tname);
	} else {
		char hex[2 * 16 + 1];
		if (orsp_hex_encode(k->id, k->id_len < 16 ? k->id_len : 16, hex, sizeof(hex)))
			hex[0] = '\0';
		snprintf(k->what, sizeof(k->what), "key with id %s%s in token %s", hex,
		         k->id_len > 16 ? "..." : "", tname);
	}
	for (size_t i = 0; k->what[i]; i++)
		if ((unsigned char)k->what[i] < 0x20 || (unsigned char)k->what[i] >= 0x7f)
			k->what[i] = '?';
	rv = k->m->C_OpenSession(k->slot, CKF_SERIAL_SESSION, NULL, NULL, s);
	if (rv != CKR_OK) {
		e = rv_fail(ORSP_E_CRYPTO, rv, "cannot open a session", tname);
		goto out;
	}
	if (k->has_pin || k->protected_path) {
		rv = login(k, *s);
		/* Logged in already, by another key of the process on this token: C_Login did not
		 * check this PIN, which the token would refuse only at a login after a reset (each
		 * time counting towards its lock-out). Logged out and in again, it is checked now;
		 * the process's other sessions on the token share the new login, or log in again
		 * at their next signature if this PIN is refused. */
		if (rv == CKR_USER_ALREADY_LOGGED_IN && k->has_pin && k->m->C_Logout(*s) == CKR_OK)
			rv = login(k, *s);
		if (rv == CKR_USER_ALREADY_LOGGED_IN)
			rv = CKR_OK;
		if (rv == CKR_PIN_INCORRECT && k->refused_before) {
			e = orsp_errf(
			    ORSP_E_VERIFY,
			    "PKCS#11: the token %s refused the PIN earlier in this process: "
			    "not tried again (each try counts towards its lock-out)",
			    tname);
			goto out;
		}
		if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE) {
			e = orsp_errf(ORSP_E_VERIFY, "PKCS#11: the token %s refused the PIN",
			              tname);
			goto out;
		}
		if (rv == CKR_PIN_LOCKED && k->final_try) {
			e = orsp_errf(
			    ORSP_E_VERIFY,
			    "PKCS#11: the token %s has one PIN try left, which is not spent "
			    "here (a wrong PIN would lock it): log in once by hand with the "
			    "right PIN (pkcs11-tool --login --test) to reset the count",
			    tname);
			goto out;
		}
		/* locked, or expired: no restart mends it either (ORSP_E_CRYPTO until session 66,
		 * exit 1, and a supervisor restarting the server sent the PIN again as soon as
		 * the security officer set a new one) */
		if (rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED) {
			e = orsp_errf(ORSP_E_VERIFY, "PKCS#11: the token %s has its user PIN %s",
			              tname,
			              rv == CKR_PIN_LOCKED
			                  ? "locked: the security officer must set it again "
			                    "(pkcs11-tool --init-pin)"
			                  : "expired: change it first (pkcs11-tool --change-pin)");
			goto out;
		}
		if (rv != CKR_OK) {
			e = rv_fail(ORSP_E_CRYPTO, rv, "cannot log in", tname);
			goto out;
		}
	}
	rv = find_private(k, *s, obj, &count);
	if (rv != CKR_OK) {
		e = rv_fail(ORSP_E_CRYPTO, rv, "cannot search for the key", k->what);
		goto out;
	}
	if (count != 1) {
		e = orsp_errf(count ? ORSP_E_USAGE : ORSP_E_NOT_FOUND,
		              "PKCS#11: %s %s matches in token %s%s",
		              count ? "more than one" : "no",
		              k->cls == CKO_PRIVATE_KEY ? "EC private key" : "AES secret key",
		              tname, count ? " (name it with both object= and id=)" : "");
		goto out;
	}
out:
	if (e && *s) {
		k->m->C_CloseSession(*s);
		*s = 0;
	}
	if ((pv = p11_kit_uri_get_pin_value(u)) != NULL)
		orsp_wipe((void *)(uintptr_t)pv, strlen(pv)); /* see uri_take */
	p11_kit_uri_free(u);
	/* past the URI's end, bytes moved by the cuts (a later pin-value's among them) */
	orsp_wipe(bare, sizeof(bare));
	return e;
}

static orsp_err load(struct orsp__p11_key *k, const char *uri, orsp_ec_key **pub)
{
	char tname[40];
	ck_session_handle_t s = 0;
	ck_object_handle_t obj = 0;
	uint8_t params[32], probe[32], dg[ORSP_SHA256_LEN], sig[ORSP_EC_SIG_LEN];
	size_t plen = 0;
	orsp_curve curve;
	unsigned char flag = 1;
	size_t blen = 0;
	ck_rv_t rv;
	orsp_err e;

	k->cls = CKO_PRIVATE_KEY;
	k->ktype = CKK_EC;
	if ((e = token_open(k, uri, &s, &obj, tname, sizeof(tname))))
		return e;
	k->obj = obj;
	rv = get_attr(k, s, obj, CKA_EC_PARAMS, params, sizeof(params), &plen);
	if (rv != CKR_OK) {
		e = rv_fail(ORSP_E_CRYPTO, rv, "cannot read the curve", k->what);
		goto out;
	}
	curve = curve_of_params(params, plen);
	if (curve == ORSP_CURVE_NONE) {
		e = orsp_errf(ORSP_E_POLICY, "PKCS#11: %s is not on P-256 or brainpoolP256r1",
		              k->what);
		goto out;
	}
	if (get_attr(k, s, obj, CKA_SIGN, &flag, sizeof(flag), &blen) == CKR_OK && blen == 1 &&
	    !flag) {
		e = orsp_errf(ORSP_E_POLICY, "PKCS#11: %s may not sign (CKA_SIGN false)", k->what);
		goto out;
	}
	flag = 0;
	if (get_attr(k, s, obj, CKA_ALWAYS_AUTHENTICATE, &flag, sizeof(flag), &blen) == CKR_OK &&
	    blen == 1 && flag) {
		e = orsp_errf(ORSP_E_POLICY,
		              "PKCS#11: %s asks for the PIN again before each signature "
		              "(CKA_ALWAYS_AUTHENTICATE), which openrsp does not do",
		              k->what);
		goto out;
	}
	if ((e = public_key(k, s, obj, curve, pub)))
		goto out;
	session_give(k, s);
	s = 0;
	/* the pair checked once: a signature of the token verified with the public key */
	if ((e = orsp_random(probe, sizeof(probe))) ||
	    (e = orsp_sha256(probe, sizeof(probe), dg)) || (e = orsp__p11_sign_digest(k, dg, sig)))
		goto out;
	if (orsp_ecdsa_verify(*pub, probe, sizeof(probe), sig) != ORSP_OK) {
		orsp_err_clear();
		e = orsp_errf(ORSP_E_VERIFY,
		              "PKCS#11: the signature of %s does not verify with its public key "
		              "object",
		              k->what);
		goto out;
	}
out:
	if (s)
		k->m->C_CloseSession(s);
	return e;
}

orsp_err orsp_ec_load_pkcs11(const char *uri, orsp_ec_key **out)
{
	struct orsp__p11_key *k;
	orsp_ec_key *pub = NULL;
	orsp_err e;

	if (!uri || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_load_pkcs11: NULL argument");
	*out = NULL;
	if (!orsp_ec_pkcs11_uri(uri) || strnlen(uri, URI_MAX + 1) > URI_MAX)
		return orsp_errf(ORSP_E_USAGE, "not a PKCS#11 URI (pkcs11:..., at most %d bytes)",
		                 URI_MAX);
	k = calloc(1, sizeof(*k));
	if (!k)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	pthread_mutex_init(&k->mu, NULL);
	e = load(k, uri, &pub);
	if (!e)
		e = orsp__ec_attach_p11(pub, k);
	if (e) {
		orsp_ec_free(pub);
		orsp__p11_free(k);
		return e;
	}
	*out = pub;
	return ORSP_OK;
}

/* What a program that only reads its configuration checks of a key it will not use (the
 * SM-DP+'s maintenance verbs): no module loaded, no login, and the pin-source not read, as
 * the PIN is not needed (the file may be the service user's alone). */
/* The public checks of a key's URI (a private key's or a secret one's) without the token. */
static orsp_err uri_check_only(const char *uri, bool secret, const char *fn)
{
	char bare[URI_MAX + 1];
	bool pin_value = false;
	size_t pin_len = 0;
	orsp_err e;

	if (!uri)
		return orsp_errf(ORSP_E_USAGE, "%s: NULL argument", fn);
	/* the words of orsp_ec_load_pkcs11, as the same URI is refused with them there */
	if (!orsp_ec_pkcs11_uri(uri) || strnlen(uri, URI_MAX + 1) > URI_MAX)
		return orsp_errf(ORSP_E_USAGE, "not a PKCS#11 URI (pkcs11:..., at most %d bytes)",
		                 URI_MAX);
	e = uri_check(uri, secret, false, bare, &pin_value, &pin_len);
	orsp_wipe(bare, sizeof(bare));
	return e;
}

orsp_err orsp_ec_pkcs11_uri_check(const char *uri)
{
	return uri_check_only(uri, false, "orsp_ec_pkcs11_uri_check");
}

orsp_err orsp_p11_secret_uri_check(const char *uri)
{
	return uri_check_only(uri, true, "orsp_p11_secret_uri_check");
}

/* ------------------------------------------------------------------ AES-GCM ----------- */

/* One AES-GCM operation with the token's secret key (a KEK sealed at rest): the token opened,
 * used and closed again. */
static orsp_err aes_gcm(const char *uri, bool seal, const uint8_t iv[12], const uint8_t *aad,
                        size_t aad_len, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	struct orsp__p11_key *k;
	char tname[40];
	ck_session_handle_t s = 0;
	ck_object_handle_t obj = 0;
	uint8_t ivc[12], aadc[256], *inc = NULL, *res = NULL;
	unsigned char flag = 1;
	unsigned long len = n + 16; /* some modules want room for the input's length */
	size_t blen = 0;
	ck_rv_t rv;
	orsp_err e;

	if (!uri || !iv || (!aad && aad_len) || !in || !out)
		return orsp_errf(ORSP_E_USAGE, "PKCS#11 AES-GCM: NULL argument");
	if (!orsp_ec_pkcs11_uri(uri) || strnlen(uri, URI_MAX + 1) > URI_MAX)
		return orsp_errf(ORSP_E_USAGE, "not a PKCS#11 URI (pkcs11:..., at most %d bytes)",
		                 URI_MAX);
	if (aad_len > sizeof(aadc) || n > 4096 || (!seal && n < 16) ||
	    cap < (seal ? n + 16 : n - 16))
		return orsp_errf(ORSP_E_USAGE, "PKCS#11 AES-GCM: sizes out of range");
	k = calloc(1, sizeof(*k));
	inc = malloc(n ? n : 1);
	res = malloc(n + 16);
	if (!k || !inc || !res) {
		free(k);
		free(inc);
		free(res);
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	}
	pthread_mutex_init(&k->mu, NULL);
	k->cls = CKO_SECRET_KEY;
	k->ktype = CKK_AES;
	if ((e = token_open(k, uri, &s, &obj, tname, sizeof(tname))))
		goto out;
	{
		/* AES-256, as the sealed files say */
		unsigned long vlen = 0;
		if (get_attr(k, s, obj, CKA_VALUE_LEN, &vlen, sizeof(vlen), &blen) == CKR_OK &&
		    blen == sizeof(vlen) && vlen != 32) {
			e = orsp_errf(ORSP_E_POLICY,
			              "PKCS#11: %s is an AES key of %lu bits, not 256", k->what,
			              8 * vlen);
			goto out;
		}
	}
	if (get_attr(k, s, obj, seal ? CKA_ENCRYPT : CKA_DECRYPT, &flag, sizeof(flag), &blen) ==
	        CKR_OK &&
	    blen == 1 && !flag) {
		e = orsp_errf(ORSP_E_POLICY, "PKCS#11: %s may not %s", k->what,
		              seal ? "encrypt (CKA_ENCRYPT false)" : "decrypt (CKA_DECRYPT false)");
		goto out;
	}
	/* the API's buffers are not const: copies */
	memcpy(ivc, iv, sizeof(ivc));
	if (aad_len)
		memcpy(aadc, aad, aad_len);
	memcpy(inc, in, n);
	{
		struct ck_gcm_params gp = {ivc, sizeof(ivc), 8 * sizeof(ivc), aadc, aad_len, 128};
		struct ck_mechanism mech = {CKM_AES_GCM, &gp, sizeof(gp)};
		rv = seal ? k->m->C_EncryptInit(s, &mech, obj) : k->m->C_DecryptInit(s, &mech, obj);
		if (rv != CKR_OK) {
			e = rv_fail(ORSP_E_CRYPTO, rv, "cannot start AES-GCM", k->what);
			goto out;
		}
		rv = seal ? k->m->C_Encrypt(s, inc, n, res, &len)
		          : k->m->C_Decrypt(s, inc, n, res, &len);
	}
	/* a tag that does not match: CKR_ENCRYPTED_DATA_INVALID by the standard, a general or
	 * function failure from some modules (SoftHSM 2.6) */
	if (!seal && (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
	              rv == CKR_FUNCTION_FAILED || rv == CKR_GENERAL_ERROR)) {
		e = orsp_errf(ORSP_E_VERIFY,
		              "PKCS#11: %s does not open this sealed data (another key, or the "
		              "data was changed; %s)",
		              k->what, rv_name(rv));
		goto out;
	}
	if (rv != CKR_OK) {
		e = rv_fail(ORSP_E_CRYPTO, rv, seal ? "sealing failed" : "opening failed", k->what);
		goto out;
	}
	if (len != (seal ? n + 16 : n - 16)) {
		e = orsp_errf(ORSP_E_CRYPTO, "PKCS#11: %s: AES-GCM gave %lu bytes, not %zu",
		              k->what, len, seal ? n + 16 : n - 16);
		goto out;
	}
	memcpy(out, res, len);
out:
	if (e)
		orsp_wipe(out, cap);
	orsp_wipe(res, n + 16);
	free(res);
	if (s)
		k->m->C_CloseSession(s);
	orsp_wipe(inc, n);
	free(inc);
	orsp__p11_free(k);
	return e;
}

orsp_err orsp_p11_aes_gcm_seal(const char *uri, const uint8_t iv[12], const uint8_t *aad,
                               size_t aad_len, const uint8_t *in, size_t n, uint8_t *out,
                               size_t cap)
{
	return aes_gcm(uri, true, iv, aad, aad_len, in, n, out, cap);
}

orsp_err orsp_p11_aes_gcm_open(const char *uri, const uint8_t iv[12], const uint8_t *aad,
                               size_t aad_len, const uint8_t *in, size_t n, uint8_t *out,
                               size_t cap)
{
	return aes_gcm(uri, false, iv, aad, aad_len, in, n, out, cap);
}
