/* libFuzzer target for the SM-DP+ server's HTTP glue (src/smdp/smdp_server.c): the routes of
 * ES9+, ES2+, /metrics and /health, the checks before a handler (X-Admin-Protocol,
 * Content-Type, the ES2+ bearer token, the metrics token), the answer built from the handler's
 * reply, the log hook of what the HTTP server answered itself, and the request log lines.
 *
 * One real SM-DP+ server runs in the fuzzer's process, started at the first input: plain HTTP
 * on 127.0.0.1 (an ephemeral port), one thread, a configuration written to a mkdtemp directory
 * (SGP.26's CI, DPauth and DPpb from tests/vectors, es2_token and metrics_token set,
 * es2_call_replay on), its database an in-memory one (SQLite's memdb) holding the GSMA TS.48
 * test profile, ordered under matching ID FUZZ-1 and released, and pySim's TS.48 v1 with a
 * unique ICCID (8949449999999990023, the same profileType) left Available, so that a
 * downloadOrder can succeed, and two pipelined ones with the same header are a replay of one
 * call (es2p_handler.c's call_of, the store's orsp_smdp_call; until session 74 there was no
 * profile to order and replay was off). The database is restored from a copy taken at start
 * before every input, so an ES2+ order or an ES9+ session of one input is not there for the
 * next (the server's request counters, which /metrics shows, do carry over). Each input is
 * sent on a new loopback connection, the write side shut, and the answer read until the server
 * closes. Byte 0 % 5 picks what is sent: 0 the rest of the input as raw bytes; 1 to 4 a valid
 * request head, POST /gsma/rsp2/es9plus/<function> with X-Admin-Protocol and Content-Type
 * application/json (the function by byte 0 / 5: the five of ES9+ or an unknown one), POST
 * /gsma/rsp2/es2plus/<function> with those and the ES2+ bearer token (the four of ES2+ or an
 * unknown one), GET /metrics with its token, GET /health, followed by the input's header lines
 * (the rest up to its first empty line, CRLF CRLF, if it has one), a Content-Length of the
 * input's body (the rest), and the body.
 * The server's stderr, its request log on (its FILE *stderr, reassigned as fuzz_euicc_vpcd does;
 * glibc's stderr is a variable) goes to a pipe the harness reads: the sanitizers write to file
 * descriptor 2.
 *
 * Properties (abort on violation):
 *  - the answer is a sequence of well-formed HTTP/1.1 responses (status line, header fields
 *    whose names are tokens and values free of control characters, an empty line), each with a
 *    Content-Length (but 1xx and 204) followed by that many body bytes (an answer to HEAD has
 *    none), nothing after one that says Connection: close; tolerated: libmicrohttpd 0.9.75's
 *    own answer to a malformed Content-Length, with its header block written twice
 *    (docs/http.md), and the end of an answer cut by a reset;
 *  - every status is one the server or libmicrohttpd answers (docs/smdp-server.md, docs/http.md):
 *    100, 200, 204, 400, 401, 404, 405, 413, 414, 415, 431, 501, 505, and 503 only from
 *    /health with one of its reasons: no 403 (ES2+ is on, by the token), and no 500 (an
 *    internal failure only, which a database in memory does not have);
 *  - a 200 is JSON with X-Admin-Protocol gsma/rsp/v2.2.0 and a body whose
 *    header.functionExecutionStatus reads (orsp_json_header_get), or text/plain without
 *    X-Admin-Protocol (/metrics, /health); a 204 carries X-Admin-Protocol and no body; a 401
 *    carries WWW-Authenticate: Bearer;
 *  - with a valid head and no header lines of the input's (and a body within max_body), ES9+
 *    and ES2+ functions answer 200 (handleNotification 204), an unknown function 404, /metrics 200
 * with its text, /health 200 "ok";
 *  - every line the server writes on stderr is printable ASCII, and neither an answer nor a
 *    line holds the ES2+ or the metrics token (unless the input holds it itself);
 *  - the server answers GET /health with 200 "ok" after every 16th input.
 * The server is stopped at exit (atexit); its files are removed once it has started. */
#define _GNU_SOURCE /* memmem, F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "loopback.h"
#include "memdb.h"
#include "openrsp/http.h"
#include "openrsp/smdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIVE "file:/orsp-fuzz-smdp-server?vfs=memdb"
#define TEMPLATE "file:/orsp-fuzz-smdp-server-template?vfs=memdb"
#define ES2_TOKEN "fuzz-es2-token-0123456789"
#define METRICS_TOKEN "fuzz-metrics-token-0123456789"
#define ANSWER_MAX (1024 * 1024)
#define HEAD_MAX 1024
#define HEALTH_EVERY 16
#define WAIT_MS 3000 /* the server closes at once after the client's EOF */

static orsp_smdp_config cfg;
static orsp_smdp_server *srv;
static uint16_t port;
static sqlite3 *live, *tmpl;
static char dir[256];
static FILE *orig_stderr, *log_w;
static int log_r = -1;
static char log_line[8192]; /* a line of the server's stderr not yet ended */
static size_t log_n;
static bool input_has_token; /* the input holds a token itself: it may be echoed */
static uint8_t *req_buf, *ans;

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* A violated property: what and the answer said on file descriptor 2, with the server's log
 * lines not read yet, then abort */
static void fail(const char *why, const uint8_t *a, size_t n)
{
	char buf[4096];
	ssize_t k;

	dprintf(2, "fuzz_smdp_server: %s\n--- answer (%zu bytes) ---\n%.*s\n--- log ---\n%.*s", why,
	        n, (int)(n < 4096 ? n : 4096), (const char *)a, (int)log_n, log_line);
	if (log_w)
		fflush(log_w);
	while (log_r >= 0 && (k = read(log_r, buf, sizeof(buf))) > 0)
		(void)!write(2, buf, (size_t)k);
	abort();
}

static void in_dir(char *out, size_t cap, const char *name)
{
	check(snprintf(out, cap, "%s/%s", dir, name) < (int)cap);
}

static uint8_t *vector(const char *rel, size_t *n)
{
	char path[1024];
	uint8_t *b = malloc(256 * 1024);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", ORSP_FUZZ_VECTORS, rel);
	f = fopen(path, "rb");
	check(b && f);
	*n = fread(b, 1, 256 * 1024, f);
	check(*n > 0 && *n < 256 * 1024 && fclose(f) == 0);
	return b;
}

/* tests/vectors/<rel> copied into the directory as name, mode 0600 (a private key) */
static void key_copy(const char *rel, const char *name)
{
	char path[512];
	size_t n;
	uint8_t *b = vector(rel, &n);
	FILE *f;

	in_dir(path, sizeof(path), name);
	f = fopen(path, "wb");
	check(f && fwrite(b, 1, n, f) == n && fclose(f) == 0 && chmod(path, 0600) == 0);
	free(b);
}

/* The files of the directory and the directory: the server has read them at its start (the
 * configuration, the keys it names, the KEK file), so they go at once, and a crash leaves none */
static void remove_files(void)
{
	static const char *const files[] = {"smdp.conf", "dpauth.pem", "dppb.pem", "smdp.db.kek"};
	char path[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		in_dir(path, sizeof(path), files[i]);
		unlink(path);
	}
	check(rmdir(dir) == 0);
}

static void teardown(void)
{
	orsp_smdp_server_stop(srv);
	srv = NULL;
	orsp_smdp_config_free(&cfg);
	stderr = orig_stderr;
	fclose(log_w);
	close(log_r);
	sqlite3_close(live);
	sqlite3_close(tmpl);
	free(req_buf);
	free(ans);
}

/* The configuration, the database with its released profile and its Available one, the
 * server. */
static void setup(void)
{
	const char *t = getenv("TMPDIR");
	char conf[512];
	orsp_smdp_order o = {0};
	orsp_smdp_profile p;
	orsp_secret kek = {0};
	orsp_smdp *s = NULL;
	int pfd[2];
	uint8_t *upp;
	size_t n;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/orsp-fuzz-smdp-server.XXXXXX", t && t[0] ? t : "/tmp");
	check(mkdtemp(dir) != NULL);
	key_copy("sgp26/DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem", "dpauth.pem");
	key_copy("sgp26/DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem", "dppb.pem");
	in_dir(conf, sizeof(conf), "smdp.conf");
	f = fopen(conf, "w");
	check(f != NULL);
	fprintf(f,
	        "fqdn = testsmdpplus1.example.com\noid = 2.999.10\nlisten = 127.0.0.1\nport = 0\n"
	        "database = %s/smdp.db\nplain_http = yes\nthreads = 1\n"
	        "es2_token = " ES2_TOKEN "\nmetrics_token = " METRICS_TOKEN "\n"
	        "es2_call_replay = yes\n"
	        "[keyset]\nci = %s/sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der\n"
	        "dpauth_cert = %s/sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der\n"
	        "dpauth_key = %s/dpauth.pem\n"
	        "dppb_cert = %s/sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der\n"
	        "dppb_key = %s/dppb.pem\n",
	        dir, ORSP_FUZZ_VECTORS, ORSP_FUZZ_VECTORS, dir, ORSP_FUZZ_VECTORS, dir);
	check(fclose(f) == 0 && chmod(conf, 0600) == 0);
	check(orsp_smdp_config_load(conf, &cfg) == ORSP_OK);
	/* the database in memory (the KEK file stays <dir>/smdp.db.kek), and no housekeeping
	 * round after the one at start, which would take the database's write lock under the
	 * restore of an input */
	check(strlen(LIVE) < sizeof(cfg.database));
	memcpy(cfg.database, LIVE, strlen(LIVE) + 1);
	cfg.housekeeping_s = 86400;

	live = memdb_open(LIVE);
	tmpl = memdb_open(TEMPLATE);
	check(orsp_kek_load(cfg.kek_file, &kek) == ORSP_OK);
	check(orsp_smdp_open(LIVE, &kek, &s) == ORSP_OK);
	orsp_secret_wipe(&kek);
	check(orsp_es9p_prepare(s) == ORSP_OK); /* the session table, in the copy too */
	upp = vector("saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der", &n);
	check(orsp_smdp_import(s, upp, n, &p) == ORSP_OK);
	free(upp);
	o.iccid = p.iccid;
	o.matching_id = "FUZZ-1";
	check(orsp_smdp_download_order(s, &o, &p) == ORSP_OK);
	check(orsp_smdp_confirm_order(s, "FUZZ-1", NULL, true) == ORSP_OK);
	upp = vector("saip/pysim-unique/TS48V1-A-UNIQUE.der", &n);
	check(orsp_smdp_import(s, upp, n, &p) == ORSP_OK && p.state == ORSP_SMDP_AVAILABLE);
	free(upp);
	orsp_smdp_close(s);
	memdb_copy(tmpl, live);

	/* the server's stderr into a pipe, read after each input */
	check(pipe2(pfd, O_CLOEXEC) == 0);
	(void)fcntl(pfd[0], F_SETPIPE_SZ, 1024 * 1024);
	check(fcntl(pfd[0], F_SETFL, O_NONBLOCK) == 0);
	log_r = pfd[0];
	log_w = fdopen(pfd[1], "w");
	check(log_w != NULL);
	setvbuf(log_w, NULL, _IOLBF, 0);
	orig_stderr = stderr;
	stderr = log_w;

	check(orsp_smdp_server_start(&cfg, &srv) == ORSP_OK);
	port = orsp_smdp_server_port(srv);
	req_buf = malloc(HEAD_MAX + 1024 * 1024);
	ans = malloc(ANSWER_MAX);
	check(req_buf && ans);
	remove_files();
	atexit(teardown);
}

/* The database as setup() left it; the server's handles are idle (its answer was read whole),
 * but the housekeeping at start may still hold the write lock. */
static void restore(void)
{
	for (int i = 0; i < 2000; i++) {
		sqlite3_backup *b = sqlite3_backup_init(live, "main", tmpl, "main");
		int rc;
		check(b != NULL);
		rc = sqlite3_backup_step(b, -1);
		check(sqlite3_backup_finish(b) == SQLITE_OK || rc != SQLITE_DONE);
		if (rc == SQLITE_DONE)
			return;
		check(rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
		usleep(1000);
	}
	abort();
}

static bool has(const void *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

/* The lines the server wrote on stderr since the last call: printable ASCII, no token. */
static void read_log(void)
{
	char buf[4096];
	ssize_t k;

	fflush(log_w);
	while ((k = read(log_r, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < k; i++) {
			if (buf[i] != '\n') {
				if (log_n < sizeof(log_line))
					log_line[log_n++] = buf[i];
				continue;
			}
			for (size_t j = 0; j < log_n; j++)
				if (log_line[j] < 0x20 || log_line[j] > 0x7e)
					fail("a log line that is not printable ASCII",
					     (const uint8_t *)log_line, log_n);
			if (!input_has_token && (has(log_line, log_n, ES2_TOKEN) ||
			                         has(log_line, log_n, METRICS_TOKEN)))
				fail("a token in a log line", (const uint8_t *)log_line, log_n);
			log_n = 0;
		}
	}
}

/* One connection: req sent, the write side shut, the answer read into ans until the server
 * closes: 1, or 0 when it did not within WAIT_MS, -1 when no connection was made (ports in
 * TIME_WAIT, the backlog full); *reset when the read ended in an error. */
static int exchange(const uint8_t *req, size_t n, size_t *got, bool *reset)
{
	struct sockaddr_in a = loopback_addr(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool closed = false;

	*got = 0;
	*reset = false;
	check(fd >= 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	(void)loopback_send_all(fd, req, n); /* the server may answer and close first */
	shutdown(fd, SHUT_WR);
	for (int waited = 0; waited < WAIT_MS;) {
		/* the log read meanwhile: a full pipe would stop the server */
		struct pollfd pf[2] = {{fd, POLLIN, 0}, {log_r, POLLIN, 0}};
		ssize_t k;
		int r = poll(pf, 2, 10);
		if (r < 0 && errno != EINTR) /* libFuzzer's SIGALRM for -timeout */
			break;
		if (r <= 0) {
			waited += 10;
			continue;
		}
		if (pf[1].revents)
			read_log();
		if (!pf[0].revents)
			continue;
		k = recv(fd, ans + *got, ANSWER_MAX - *got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0)
			closed = true;
		if (k <= 0) {
			*reset = k < 0;
			closed |= *reset;
			break;
		}
		*got += (size_t)k;
		if (*got == ANSWER_MAX) {
			closed = true; /* an answer that big is looked at no further */
			*reset = true;
			break;
		}
	}
	close(fd);
	return closed;
}

typedef struct response {
	int status;
	size_t head_len; /* status line, fields and the empty line */
	bool has_cl, close, xap, bearer;
	size_t cl;
	char ctype[128];
} response;

static bool tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The head of a response at p (n bytes): true when it is well formed, *r filled; false when
 * it is not, or not whole. */
static bool parse_head(const uint8_t *p, size_t n, response *r)
{
	size_t i = 0, line_end;

	memset(r, 0, sizeof(*r));
	if (n < 14 || memcmp(p, "HTTP/1.1 ", 9) || p[9] < '1' || p[9] > '5' || p[10] < '0' ||
	    p[10] > '9' || p[11] < '0' || p[11] > '9' || p[12] != ' ')
		return false;
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	for (i = 13; i + 1 < n && !(p[i] == '\r' && p[i + 1] == '\n'); i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return false;
	if (i + 1 >= n)
		return false;
	i += 2;
	for (;;) {
		size_t name, colon, v, vn;
		if (i + 1 >= n)
			return false;
		if (p[i] == '\r' && p[i + 1] == '\n')
			break;
		for (name = i; i < n && tchar(p[i]); i++)
			;
		if (i == name || i >= n || p[i] != ':')
			return false;
		colon = i++;
		for (line_end = i;
		     line_end + 1 < n && !(p[line_end] == '\r' && p[line_end + 1] == '\n');
		     line_end++)
			if ((p[line_end] < 0x20 && p[line_end] != '\t') || p[line_end] == 0x7f)
				return false;
		if (line_end + 1 >= n)
			return false;
		for (v = i; v < line_end && (p[v] == ' ' || p[v] == '\t'); v++)
			;
		vn = line_end - v;
		while (vn && (p[v + vn - 1] == ' ' || p[v + vn - 1] == '\t'))
			vn--;
#define FIELD(s)                                                                                   \
	(colon - name == sizeof(s) - 1 && !strncasecmp((const char *)p + name, s, colon - name))
#define VALUE(s) (vn == sizeof(s) - 1 && !strncasecmp((const char *)p + v, s, vn))
		if (FIELD("Content-Length")) {
			if (r->has_cl || !vn || vn > 9)
				return false;
			for (size_t k = 0; k < vn; k++) {
				if (p[v + k] < '0' || p[v + k] > '9')
					return false;
				r->cl = r->cl * 10 + (p[v + k] - '0');
			}
			r->has_cl = true;
		} else if (FIELD("Content-Type")) {
			if (r->ctype[0] || vn >= sizeof(r->ctype))
				return false;
			memcpy(r->ctype, p + v, vn);
		} else if (FIELD("Connection")) {
			r->close |= VALUE("close");
		} else if (FIELD("X-Admin-Protocol")) {
			if (r->xap || !VALUE(ORSP_HTTP_ADMIN_PROTOCOL))
				return false;
			r->xap = true;
		} else if (FIELD("WWW-Authenticate")) {
			r->bearer |= VALUE("Bearer");
		}
#undef FIELD
#undef VALUE
		i = line_end + 2;
	}
	r->head_len = i + 2;
	return true;
}

/* What the server answers: the properties of the header comment on one response */
static void check_response(const response *r, const uint8_t *body, size_t body_len, bool bodyless,
                           const uint8_t *a, size_t n)
{
	static const int ok[] = {100, 200, 204, 400, 401, 404, 405,
	                         413, 414, 415, 431, 501, 503, 505};
	bool known = false;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		known |= r->status == ok[i];
	if (!known)
		fail("a status the server does not answer", a, n);
	if (r->xap && r->status != 200 && r->status != 204)
		fail("X-Admin-Protocol on an answer other than 200 or 204", a, n);
	if (r->status == 204 && (!r->xap || r->cl || body_len))
		fail("a 204 without X-Admin-Protocol or with a body", a, n);
	if (r->status == 401 && !r->bearer)
		fail("a 401 without WWW-Authenticate: Bearer", a, n);
	if (r->status == 503 && !bodyless) {
		static const char *const why[] = {"stopping\n", "draining\n",
		                                  "database flush failed\n", "database busy\n",
		                                  "database read failed\n"};
		bool health = false;
		for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
			health |= body_len == strlen(why[i]) && !memcmp(body, why[i], body_len);
		if (!health)
			fail("a 503 that is not /health's", a, n);
	}
	if (r->status != 200)
		return;
	if (!strcasecmp(r->ctype, ORSP_HTTP_JSON_CONTENT_TYPE)) {
		json_t *j = NULL;
		orsp_json_status st;
		if (!r->xap)
			fail("an ES9+/ES2+ answer without X-Admin-Protocol", a, n);
		if (bodyless)
			return;
		if (orsp_json_parse(body, body_len, ANSWER_MAX, &j) != ORSP_OK ||
		    orsp_json_header_get(j, &st) != ORSP_OK)
			fail("an ES9+/ES2+ answer without header.functionExecutionStatus", a, n);
		json_decref(j);
	} else if (!strncasecmp(r->ctype, "text/plain", 10)) {
		if (r->xap)
			fail("X-Admin-Protocol on /metrics or /health", a, n);
		if (!bodyless && !(body_len == 3 && !memcmp(body, "ok\n", 3)) &&
		    !(body_len > 7 && !memcmp(body, "# HELP ", 7)))
			fail("a text/plain 200 that is neither /health's nor /metrics'", a, n);
	} else {
		fail("a 200 neither JSON nor text/plain", a, n);
	}
	orsp_err_clear();
}

/* The answer a (n bytes) as responses, each checked; head_ok: a response to HEAD may have no
 * body; cut: the connection was reset or the answer is too long, its end may be missing.
 * Returns the number of responses and the first one's status and body. */
static size_t check_answer(const uint8_t *a, size_t n, bool head_ok, bool cut, int *status,
                           const uint8_t **body0, size_t *body0_len)
{
	size_t off = 0, count = 0;

	*status = 0;
	while (off < n) {
		response r;
		const uint8_t *body;
		size_t body_len = 0, left;
		bool bodyless = false;

		if (!parse_head(a + off, n - off, &r)) {
			if (cut)
				break;
			fail("not a well-formed HTTP/1.1 response", a, n);
		}
		body = a + off + r.head_len;
		left = n - off - r.head_len;
		if (r.status < 200) {
			if (r.status != 100 || r.has_cl)
				fail("an interim answer other than 100 Continue", a, n);
		} else if (r.status == 204) {
			if (r.has_cl && r.cl)
				fail("a 204 with a Content-Length", a, n);
		} else if (!r.has_cl) {
			fail("an answer without Content-Length", a, n);
		} else if (head_ok && (left == 0 || (left >= 9 && !memcmp(body, "HTTP/1.1 ", 9)))) {
			bodyless = true; /* (a body never starts with a status line) */
		} else if (left < r.cl) {
			if (cut)
				break;
			fail("an answer shorter than its Content-Length", a, n);
		} else {
			body_len = r.cl;
		}
		/* libmicrohttpd's own 400/413 for a malformed Content-Length: its header block
		 * twice, then the HTML (docs/http.md); nothing is read after it */
		if (r.close && (r.status == 400 || r.status == 413) && left >= r.head_len &&
		    !memcmp(body, a + off, r.head_len))
			return count + 1;
		check_response(&r, body, body_len, bodyless, a, n);
		if (!count++) {
			*status = r.status;
			*body0 = body;
			*body0_len = body_len;
		}
		off += r.head_len + body_len;
		if (r.close && off != n)
			fail("bytes after an answer with Connection: close", a, n);
	}
	return count;
}

/* GET /health answers 200 "ok" */
static void health(void)
{
	static const char get[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
	const uint8_t *body = NULL;
	size_t got, body_len = 0;
	bool reset;
	int st;

	int x;

	while ((x = exchange((const uint8_t *)get, strlen(get), &got, &reset)) == -1)
		usleep(1000);
	if (x != 1)
		fail("/health did not answer", ans, 0);
	check_answer(ans, got, false, false, &st, &body, &body_len);
	if (st != 200 || body_len != 3 || memcmp(body, "ok\n", 3))
		fail("/health is not 200 ok", ans, got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const es9[] = {"initiateAuthentication", "authenticateClient",
	                                  "getBoundProfilePackage", "handleNotification",
	                                  "cancelSession",          "frobnicate"};
	static const char *const es2[] = {"downloadOrder", "confirmOrder", "cancelOrder",
	                                  "releaseProfile", "frobnicate"};
	static unsigned long runs;
	const uint8_t *req = data + 1, *sep, *body = NULL;
	size_t req_len = size ? size - 1 : 0, got, extra = 0, count, body_len = 0;
	int mode, st, want = 0;
	bool reset, known_fn = true;
	const char *want_text = NULL;

	if (!srv)
		setup();
	if (size < 1 || size > 1024 * 1024)
		return 0;
	restore();
	mode = data[0] % 5;
	if (mode) {
		const uint8_t *rest = data + 1;
		size_t rest_len = size - 1, h = 0;
		const char *fn = NULL;
		sep = memmem(rest, rest_len, "\r\n\r\n", 4);
		extra = sep ? (size_t)(sep - rest) + 2 : 0; /* its lines, each with its CRLF */
		if (mode == 1) {
			fn = es9[data[0] / 5 % 6];
			known_fn = data[0] / 5 % 6 < 5;
		} else if (mode == 2) {
			fn = es2[data[0] / 5 % 5];
			known_fn = data[0] / 5 % 5 < 4;
		}
		if (mode <= 2)
			h = (size_t)snprintf((char *)req_buf, HEAD_MAX,
			                     "POST /gsma/rsp2/%s/%s HTTP/1.1\r\nHost: x\r\n"
			                     "X-Admin-Protocol: gsma/rsp/v2.2.0\r\n"
			                     "Content-Type: application/json\r\n%s",
			                     mode == 1 ? "es9plus" : "es2plus", fn,
			                     mode == 2 ? "Authorization: Bearer " ES2_TOKEN "\r\n"
			                               : "");
		else
			h = (size_t)snprintf(
			    (char *)req_buf, HEAD_MAX, "GET /%s HTTP/1.1\r\nHost: x\r\n%s",
			    mode == 3 ? "metrics" : "health",
			    mode == 3 ? "Authorization: Bearer " METRICS_TOKEN "\r\n" : "");
		memcpy(req_buf + h, rest, extra);
		h += extra;
		if (sep) {
			rest += extra + 2;
			rest_len -= extra + 2;
		}
		h += (size_t)snprintf((char *)req_buf + h, 64, "Content-Length: %zu\r\n\r\n",
		                      rest_len);
		memcpy(req_buf + h, rest, rest_len);
		req = req_buf;
		req_len = h + rest_len;
		/* what a valid head without header lines of the input's gets */
		if (!sep && rest_len <= 256 * 1024) { /* max_body */
			want = mode <= 2 ? (known_fn ? 200 : 404) : 200;
			want_text = mode == 3 ? "# HELP " : mode == 4 ? "ok\n" : NULL;
		}
	}
	input_has_token = has(data, size, ES2_TOKEN) || has(data, size, METRICS_TOKEN);
	switch (exchange(req, req_len, &got, &reset)) {
	case -1:
		return 0;
	case 0:
		fail("the server did not close the connection", ans, got);
	}
	count = check_answer(ans, got, has(req, req_len, "HEAD"), reset, &st, &body, &body_len);
	if (!input_has_token && (has(ans, got, ES2_TOKEN) || has(ans, got, METRICS_TOKEN)))
		fail("a token in an answer", ans, got);
	if (want) {
		bool handle_notif = mode == 1 && data[0] / 5 % 6 == 3;
		if (!count || !(st == want || (handle_notif && st == 204)))
			fail("a valid request not answered as it should be", ans, got);
		if (want_text &&
		    (body_len < strlen(want_text) || memcmp(body, want_text, strlen(want_text))))
			fail("/metrics or /health without its text", ans, got);
	}
	read_log();
	if (++runs % HEALTH_EVERY == 0) {
		input_has_token = false;
		health();
		read_log();
	}
	return 0;
}
