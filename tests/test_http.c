/* http module: server and client against each other on 127.0.0.1 (plain and HTTPS, mutual
 * TLS), and the SGP.22 JSON helpers against a real ES9+ exchange
 * (tests/vectors/sgp22/es9p, see its README for the expected decoded values).
 *
 * Certificates for the HTTPS cases are minted here with OpenSSL (tests/certmint.h), which is
 * independent of the code under test (libmicrohttpd/GnuTLS and libcurl). Every loop is
 * bounded; only loopback addresses are used. */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#undef h_addr /* netdb.h's, a name of this file's */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <gnutls/gnutls.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "../src/core/secret_internal.h" /* orsp__wipe_alloc_test_limit: a shortage */
#include "certmint.h"
#include "openrsp/http.h"
#include "testutil.h"

/* ---------------------------------------------------------------- helpers --------------- */

/* libcurl's curl_version_info as the HTTP client (linked in statically) sees it: this binary's
 * definition is the one it calls. With fake_ssl_version set, the TLS backend named is another
 * one (the client tells a name mismatch apart with OpenSSL's verify codes only). */
static const char *fake_ssl_version;

curl_version_info_data *curl_version_info(CURLversion age)
{
	static curl_version_info_data copy;
	curl_version_info_data *(*real)(CURLversion);
	curl_version_info_data *v;

	*(void **)&real = dlsym(RTLD_NEXT, "curl_version_info");
	v = real ? real(age) : NULL;
	if (!v || !fake_ssl_version)
		return v;
	copy = *v;
	copy.ssl_version = fake_ssl_version;
	return &copy;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void assert_ok(orsp_err e)
{
	if (e != ORSP_OK)
		fail_msg("unexpected error: %s: %s", orsp_err_str(e), orsp_err_detail());
}

/* Assert category and that the detail mentions `needle`. */
static void assert_err(orsp_err e, orsp_err want, const char *needle)
{
	if (e != want)
		fail_msg("got %s (%s), want %s", orsp_err_str(e), orsp_err_detail(),
		         orsp_err_str(want));
	if (needle && !strstr(orsp_err_detail(), needle))
		fail_msg("detail \"%s\" does not mention \"%s\"", orsp_err_detail(), needle);
}

static char *url_for(const char *scheme, uint16_t port, const char *path)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s://127.0.0.1:%u%s", scheme, (unsigned)port, path);
	return buf;
}

/* ---------------------------------------------------------------- handlers -------------- */

struct slow_ctx {
	unsigned sleep_ms;
	atomic_int started;
	atomic_int finished;
};

/* Echo: parse the JSON body, answer Executed-Success with the body's "value" and the request's
 * X-Admin-Protocol; malformed JSON gets HTTP 200 + Failed as SGP.22 does for function errors. */
static orsp_err h_echo(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	orsp_err err;
	json_t *in = NULL, *out = json_object();
	const char *value;
	const char *proto = orsp_http_request_header(req, "x-admin-protocol");

	(void)ctx;
	if (!out)
		return ORSP_E_RESOURCE;
	if (orsp_json_parse(req->body, req->body_len, 4096, &in) != ORSP_OK ||
	    orsp_json_get_string(in, "value", 64, &value, NULL) != ORSP_OK) {
		err = orsp_json_header_put_failed(out, "1.2", "2.1", orsp_err_detail());
	} else {
		err = orsp_json_header_put_success(out);
		if (!err)
			err = orsp_json_put_string(out, "value", value);
		if (!err)
			err = orsp_json_put_string(out, "proto", proto ? proto : "");
		if (!err)
			err = orsp_json_put_string(out, "client", req->client_addr);
	}
	if (!err)
		err = orsp_http_response_set_json(resp, 200, out);
	if (!err)
		err = orsp_http_response_add_header(resp, "X-Admin-Protocol",
		                                    ORSP_HTTP_ADMIN_PROTOCOL);
	json_decref(in);
	json_decref(out);
	return err;
}

/* HandleNotification: 204, empty body. */
static orsp_err h_notify(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	(void)ctx;
	(void)req;
	return orsp_http_response_set_body(resp, 204, NULL, NULL, 0);
}

/* The method the handler saw, as the body and in X-Method. */
static orsp_err h_method(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	(void)ctx;
	orsp_err err =
	    orsp_http_response_set_body(resp, 200, "text/plain", req->method, strlen(req->method));
	return err ? err : orsp_http_response_add_header(resp, "X-Method", req->method);
}

/* Raw echo of the body length as text (for size tests). */
static orsp_err h_len(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	char buf[32];
	(void)ctx;
	if (req->body[req->body_len] != 0)
		return ORSP_E_STATE; /* the promised terminating NUL */
	int n = snprintf(buf, sizeof(buf), "%zu", req->body_len);
	return orsp_http_response_set_body(resp, 200, "text/plain", buf, (size_t)n);
}

static orsp_err h_fail(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	(void)ctx;
	(void)req;
	(void)resp;
	return orsp_errf(ORSP_E_STORAGE, "secret detail that must not reach the client");
}

static orsp_err h_slow(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	struct slow_ctx *s = ctx;
	(void)req;
	atomic_store(&s->started, 1);
	sleep_ms(s->sleep_ms);
	atomic_store(&s->finished, 1);
	return orsp_http_response_set_body(resp, 200, "text/plain", "done", 4);
}

/* A gate: /gate/wait blocks until /gate/open is called (or wait_ms pass) and answers which
 * came first; two handlers must run at once for it to answer "opened". */
struct gate_ctx {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool open;
	unsigned wait_ms;
	atomic_int waiting;
};

static orsp_err h_gate_wait(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	struct gate_ctx *g = ctx;
	struct timespec until;
	bool opened;

	(void)req;
	orsp_deadline_ms(&until, g->wait_ms);
	pthread_mutex_lock(&g->mu);
	atomic_store(&g->waiting, 1);
	while (!g->open)
		if (pthread_cond_timedwait(&g->cv, &g->mu, &until) != 0)
			break;
	opened = g->open;
	pthread_mutex_unlock(&g->mu);
	return opened ? orsp_http_response_set_body(resp, 200, "text/plain", "opened", 6)
	              : orsp_http_response_set_body(resp, 200, "text/plain", "timeout", 7);
}

static orsp_err h_gate_open(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	struct gate_ctx *g = ctx;
	(void)req;
	pthread_mutex_lock(&g->mu);
	g->open = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	return orsp_http_response_set_body(resp, 200, "text/plain", "ok", 2);
}

/* Reports the verified client certificate length (mutual TLS), and why one sent was refused. */
static orsp_err h_whoami(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	char buf[32];
	(void)ctx;
	int n = snprintf(buf, sizeof(buf), "%zu%s%s", req->client_cert ? req->client_cert_len : 0,
	                 req->client_cert_refused ? " " : "",
	                 req->client_cert_refused ? req->client_cert_refused : "");
	return orsp_http_response_set_body(resp, 200, "text/plain", buf, (size_t)n);
}

/* The hook keeps the entry of the one path a test is looking for (other requests of the same
 * server may complete in any order). */
struct hook_log {
	pthread_mutex_t lock;
	char want_path[64];
	int seen;
	char method[32];
	int status;
	bool completed;
	bool handled;
	bool out_of_memory;
	uint64_t duration_us;
	size_t body_len;
	char client_addr[64];
	char peer_addr[64];
};

static void hook(void *ctx, const orsp_http_log_entry *e)
{
	struct hook_log *h = ctx;
	pthread_mutex_lock(&h->lock);
	if (h->want_path[0] && strcmp(e->path, h->want_path) == 0) {
		h->seen++;
		snprintf(h->method, sizeof(h->method), "%s", e->method);
		h->status = e->status;
		h->completed = e->completed;
		h->handled = e->handled;
		h->out_of_memory = e->out_of_memory;
		h->duration_us = e->duration_us;
		h->body_len = e->body_len;
		snprintf(h->client_addr, sizeof(h->client_addr), "%s", e->client_addr);
		snprintf(h->peer_addr, sizeof(h->peer_addr), "%s", e->peer_addr);
	}
	pthread_mutex_unlock(&h->lock);
}

static struct slow_ctx slow = {.sleep_ms = 1200};
static struct slow_ctx slow3 = {.sleep_ms = 3000};
static struct slow_ctx nap = {.sleep_ms = 400};
static struct gate_ctx gate = {.mu = PTHREAD_MUTEX_INITIALIZER}; /* cv: made in main */
static struct hook_log hooklog = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const orsp_http_route routes[] = {
    {"POST", "/gsma/rsp2/es9plus/initiateAuthentication", h_echo, NULL},
    {"POST", "/gsma/rsp2/es9plus/handleNotification", h_notify, NULL},
    {"POST", "/len", h_len, NULL},
    {"PUT", "/len", h_len, NULL},
    {"POST", "/fail", h_fail, NULL},
    {"POST", "/slow", h_slow, &slow},
    {"POST", "/slow3", h_slow, &slow3},
    {"POST", "/nap", h_slow, &nap},
    {"POST", "/whoami", h_whoami, NULL},
    {"POST", "/gate/wait", h_gate_wait, &gate},
    {"POST", "/gate/open", h_gate_open, &gate},
    {"GET", "/get", h_method, NULL},
};

#define EP_INIT "/gsma/rsp2/es9plus/initiateAuthentication"
#define EP_NOTIFY "/gsma/rsp2/es9plus/handleNotification"

static orsp_http_server *start_plain(size_t max_body)
{
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {
	    .address = "127.0.0.1",
	    .routes = routes,
	    .n_routes = ORSP_ARRAY_LEN(routes),
	    .max_body = max_body,
	    .timeout_s = 5,
	    .threads = 4,
	    .on_request = hook,
	    .hook_ctx = &hooklog,
	};
	assert_ok(orsp_http_server_start(&cfg, &srv));
	assert_int_not_equal(orsp_http_server_port(srv), 0);
	return srv;
}

static orsp_http_client *plain_client(unsigned timeout_ms)
{
	orsp_http_client *c = NULL;
	/* Plain http: no TLS, so no trust anchor. */
	orsp_http_client_opts o = {.timeout_ms = timeout_ms};
	assert_ok(orsp_http_client_new(&o, &c));
	return c;
}

/* ---------------------------------------------------------------- plain HTTP ------------ */

static void test_echo_json(void **state)
{
	(void)state;
	orsp_http_server *srv = start_plain(0);
	orsp_http_client *c = plain_client(5000);
	orsp_http_result r;
	orsp_json_status st;
	json_t *obj = NULL;
	const char *v;
	static const char body[] = "{\"value\":\"hello\"}";

	assert_ok(orsp_http_client_post_json(
	    c, url_for("http", orsp_http_server_port(srv), EP_INIT), body, strlen(body), NULL, &r));
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(r.x_admin_protocol, ORSP_HTTP_ADMIN_PROTOCOL);
	assert_ok(orsp_json_parse(r.body, r.body_len, 4096, &obj));
	assert_ok(orsp_json_header_get(obj, &st));
	assert_int_equal(st.status, ORSP_FES_SUCCESS);
	assert_false(st.has_status_code_data);
	assert_ok(orsp_json_get_string(obj, "value", 64, &v, NULL));
	assert_string_equal(v, "hello");
	/* The handler saw our request header, case-insensitively. */
	assert_ok(orsp_json_get_string(obj, "proto", 64, &v, NULL));
	assert_string_equal(v, ORSP_HTTP_ADMIN_PROTOCOL);
	assert_ok(orsp_json_get_string(obj, "client", 64, &v, NULL));
	assert_string_equal(v, "127.0.0.1");
	json_decref(obj);
	orsp_http_result_free(&r);

	/* Keep-alive: a second request on the same client works too. */
	assert_ok(orsp_http_client_post_json(
	    c, url_for("http", orsp_http_server_port(srv), EP_INIT), body, strlen(body), NULL, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);

	orsp_http_client_free(c);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

static void test_malformed_json_in_handler(void **state)
{
	(void)state;
	orsp_http_server *srv = start_plain(0);
	orsp_http_client *c = plain_client(5000);
	orsp_http_result r;
	orsp_json_status st;
	json_t *obj = NULL;
	static const char *const bodies[] = {"{\"value\":", "[1,2]", "{\"value\":1}",
	                                     "{\"value\":\"a\",\"value\":\"b\"}", "\xff\xfe"};

	for (size_t i = 0; i < ORSP_ARRAY_LEN(bodies); i++) {
		assert_ok(orsp_http_client_post_json(
		    c, url_for("http", orsp_http_server_port(srv), EP_INIT), bodies[i],
		    strlen(bodies[i]), NULL, &r));
		/* SGP.22: function errors are HTTP 200 with status Failed. */
		assert_int_equal(r.status, 200);
		assert_ok(orsp_json_parse(r.body, r.body_len, 4096, &obj));
		assert_ok(orsp_json_header_get(obj, &st));
		assert_int_equal(st.status, ORSP_FES_FAILED);
		assert_string_equal(st.subject_code, "1.2");
		assert_string_equal(st.reason_code, "2.1");
		json_decref(obj);
		orsp_http_result_free(&r);
	}
	orsp_http_client_free(c);
	orsp_http_server_stop(srv, 2000);
}

static void test_204_404_405_500(void **state)
{
	(void)state;
	orsp_http_server *srv = start_plain(0);
	orsp_http_client *c = plain_client(5000);
	uint16_t port = orsp_http_server_port(srv);
	orsp_http_result r;
	json_t *obj = NULL;
	json_int_t code;

	assert_ok(
	    orsp_http_client_post_json(c, url_for("http", port, EP_NOTIFY), "{}", 2, NULL, &r));
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body_len, 0);
	orsp_http_result_free(&r);

	/* Unknown path: 404 with a JSON body. */
	assert_ok(orsp_http_client_post_json(c, url_for("http", port, "/gsma/rsp2/es9plus/nope"),
	                                     "{}", 2, NULL, &r));
	assert_int_equal(r.status, 404);
	assert_string_equal(r.content_type, "application/json");
	assert_ok(orsp_json_parse(r.body, r.body_len, 4096, &obj));
	assert_int_equal(json_unpack(obj, "{s:I}", "status", &code), 0);
	assert_int_equal(code, 404);
	json_decref(obj);
	orsp_http_result_free(&r);

	/* Paths match exactly: no prefix, no trailing slash, query string ignored. */
	assert_ok(
	    orsp_http_client_post_json(c, url_for("http", port, EP_INIT "/"), "{}", 2, NULL, &r));
	assert_int_equal(r.status, 404);
	orsp_http_result_free(&r);
	assert_ok(orsp_http_client_post_json(c, url_for("http", port, EP_NOTIFY "?x=1"), "{}", 2,
	                                     NULL, &r));
	assert_int_equal(r.status, 204);
	orsp_http_result_free(&r);

	/* Known path, wrong method: 405. */
	assert_ok(
	    orsp_http_client_request(c, "GET", url_for("http", port, EP_INIT), NULL, NULL, 0, &r));
	assert_int_equal(r.status, 405);
	orsp_http_result_free(&r);
	assert_ok(orsp_http_client_request(c, "DELETE", url_for("http", port, "/len"), NULL, NULL,
	                                   0, &r));
	assert_int_equal(r.status, 405);
	orsp_http_result_free(&r);
	/* The other method of a two-method path works. */
	assert_ok(
	    orsp_http_client_request(c, "PUT", url_for("http", port, "/len"), NULL, "abc", 3, &r));
	assert_int_equal(r.status, 200);
	assert_string_equal((const char *)r.body, "3");
	orsp_http_result_free(&r);

	/* A failing handler: 500 with a generic body, the detail stays inside. */
	assert_ok(orsp_http_client_post_json(c, url_for("http", port, "/fail"), "{}", 2, NULL, &r));
	assert_int_equal(r.status, 500);
	assert_null(strstr((const char *)r.body, "secret"));
	orsp_http_result_free(&r);

	orsp_http_client_free(c);
	orsp_http_server_stop(srv, 2000);
}

static void test_413_body_limit(void **state)
{
	(void)state;
	enum { MAX = 1024 };
	orsp_http_server *srv = start_plain(MAX);
	orsp_http_client *c = plain_client(5000);
	uint16_t port = orsp_http_server_port(srv);
	orsp_http_result r;
	static char big[4 * MAX];
	static const char *const chunked[] = {"Transfer-Encoding: chunked", NULL};

	memset(big, 'a', sizeof(big));
	/* Exactly the limit passes, one more byte does not (Content-Length known up front). */
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, big, MAX, &r));
	assert_int_equal(r.status, 200);
	assert_string_equal((const char *)r.body, "1024");
	orsp_http_result_free(&r);
	assert_ok(orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, big,
	                                   MAX + 1, &r));
	assert_int_equal(r.status, 413);
	orsp_http_result_free(&r);

	/* Chunked (no Content-Length): exactly the limit passes, beyond it 413 after reading. */
	assert_ok(orsp_http_client_request(c, "POST", url_for("http", port, "/len"), chunked, big,
	                                   MAX, &r));
	assert_int_equal(r.status, 200);
	assert_string_equal((const char *)r.body, "1024");
	orsp_http_result_free(&r);
	assert_ok(orsp_http_client_request(c, "POST", url_for("http", port, "/len"), chunked, big,
	                                   MAX + 100, &r));
	assert_int_equal(r.status, 413);
	orsp_http_result_free(&r);

	/* The server is still fine. */
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "x", 1, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	orsp_http_server_stop(srv, 2000);
}

static int raw_connect(uint16_t port);

/* A chunked body to /len: a first chunk of first bytes (the server takes it whole before the
 * rest comes), then chunks up to total bytes in all and the last chunk; what the server sent
 * back before it closed (NUL-terminated, "" when nothing). */
static void post_chunked(uint16_t port, size_t first, size_t total, char *resp, size_t cap)
{
	static const char head[] = "POST /len HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	                           "Transfer-Encoding: chunked\r\n\r\n";
	static char data[4096];
	char size[16];
	size_t sent = 0, got = 0;
	ssize_t n;
	int fd = raw_connect(port);

	memset(data, 'a', sizeof(data));
	(void)!send(fd, head, strlen(head), MSG_NOSIGNAL);
	while (sent < total) {
		size_t k = sent ? total - sent : first;
		if (k > sizeof(data))
			k = sizeof(data);
		snprintf(size, sizeof(size), "%zx\r\n", k);
		if (send(fd, size, strlen(size), MSG_NOSIGNAL) < 0 ||
		    send(fd, data, k, MSG_NOSIGNAL) < 0 || send(fd, "\r\n", 2, MSG_NOSIGNAL) < 0)
			break; /* closed by the server */
		if (!sent)
			sleep_ms(100);
		sent += k;
	}
	(void)!send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL);
	while (got < cap - 1 && (n = recv(fd, resp + got, cap - 1 - got, 0)) > 0)
		got += (size_t)n;
	resp[got] = 0;
	close(fd);
}

/* A chunked body above max_body is read and dropped up to 2 x max_body + 64 KiB in all, then
 * answered 413; one byte past that, the connection is closed without an answer. The part
 * stored before the body outgrew max_body counts (it was left out, so a client could send up
 * to max_body more, 3 x max_body + 64 KiB). */
static void test_chunked_drop_limit(void **state)
{
	(void)state;
	enum { MAX = 1024, LIMIT = 2 * MAX + 65536 };
	orsp_http_server *srv = start_plain(MAX);
	uint16_t port = orsp_http_server_port(srv);
	char resp[1024];

	post_chunked(port, MAX, LIMIT, resp, sizeof(resp));
	if (strncmp(resp, "HTTP/1.1 413", 12) != 0)
		fail_msg("a chunked body of the drop limit: want 413, got \"%.60s\"", resp);
	post_chunked(port, MAX, LIMIT + 1, resp, sizeof(resp));
	if (resp[0])
		fail_msg("a chunked body past the drop limit: want no answer, got \"%.60s\"", resp);
	orsp_http_server_stop(srv, 2000);
}

static void test_client_limits_and_errors(void **state)
{
	(void)state;
	orsp_http_server *srv = start_plain(0);
	uint16_t port = orsp_http_server_port(srv);
	orsp_http_client *c = NULL;
	orsp_http_result r;
	orsp_err e;

	/* Response larger than max_response. */
	orsp_http_client_opts small = {.max_response = 10};
	assert_ok(orsp_http_client_new(&small, &c));
	static const char body[] = "{\"value\":\"0123456789abcdef\"}";
	e = orsp_http_client_post_json(c, url_for("http", port, EP_INIT), body, strlen(body), NULL,
	                               &r);
	assert_err(e, ORSP_E_RESOURCE, "larger than 10");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_TOO_LARGE);
	assert_null(r.body);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);

	/* Timeout against a handler that sleeps 3 s: the client gives up after 300 ms, before the
	 * handler's answer (its end is the bound, not the clock: until session 60 the 1.2 s
	 * handler's request was to end within 1,100 ms, 800 ms for a loaded machine's delays) */
	c = plain_client(300);
	atomic_store(&slow3.started, 0);
	atomic_store(&slow3.finished, 0);
	e = orsp_http_client_request(c, "POST", url_for("http", port, "/slow3"), NULL, "x", 1, &r);
	assert_err(e, ORSP_E_IO, "timeout");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_TIMEOUT);
	assert_int_equal(atomic_load(&slow3.finished), 0);
	orsp_http_result_free(&r);

	/* Bad arguments and header injection. */
	static const char *const bad_hdr[] = {"X-A: 1\r\nX-B: 2", NULL};
	e = orsp_http_client_request(c, "POST", url_for("http", port, "/len"), bad_hdr, "x", 1, &r);
	assert_err(e, ORSP_E_USAGE, "header");
	orsp_http_result_free(&r);
	static const char *const no_colon[] = {"X-A", NULL};
	e = orsp_http_client_request(c, "POST", url_for("http", port, "/len"), no_colon, "x", 1,
	                             &r);
	assert_err(e, ORSP_E_USAGE, "header");
	orsp_http_result_free(&r);
	e = orsp_http_client_request(c, "po st", url_for("http", port, "/len"), NULL, NULL, 0, &r);
	assert_err(e, ORSP_E_USAGE, "method");
	orsp_http_result_free(&r);
	e = orsp_http_client_request(c, "GET", "ftp://127.0.0.1/x", NULL, NULL, 0, &r);
	assert_err(e, ORSP_E_USAGE, NULL);
	orsp_http_result_free(&r);
	/* a usage error is a failure too: fail says OTHER, as orsp_http_fail documents */
	e = orsp_http_client_request(c, "GET", NULL, NULL, NULL, 0, &r);
	assert_err(e, ORSP_E_USAGE, "bad arguments");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_OTHER);
	orsp_http_result_free(&r);
	e = orsp_http_client_request(c, "po st", url_for("http", port, "/len"), NULL, NULL, 0, &r);
	assert_err(e, ORSP_E_USAGE, "method");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_OTHER);
	orsp_http_result_free(&r);
	e = orsp_http_client_request(c, "GET", "https://127.0.0.1:1/x", NULL, NULL, 0, &r);
	assert_err(e, ORSP_E_USAGE, "trust anchor");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_OTHER);
	orsp_http_result_free(&r);
	static const char *const fourteen[] = {"A: 1", "B: 1", "C: 1", "D: 1", "E: 1",
	                                       "F: 1", "G: 1", "H: 1", "I: 1", "J: 1",
	                                       "K: 1", "L: 1", "M: 1", "N: 1", NULL};
	e = orsp_http_client_post_json(c, url_for("http", port, EP_INIT), "{}", 2, fourteen, &r);
	assert_err(e, ORSP_E_USAGE, "too many extra headers");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_OTHER);
	orsp_http_result_free(&r);
	assert_ok(orsp_http_client_post_json(c, url_for("http", port, EP_INIT), "{}", 2,
	                                     fourteen + 1, &r)); /* 13: taken */
	orsp_http_result_free(&r);
	orsp_http_client_free(c);

	/* The stop waits for the sleeping handler (it finishes well within the grace time). */
	assert_int_equal(orsp_http_server_stop(srv, 5000), 0);
	assert_int_equal(atomic_load(&slow3.finished), 1);
}

/* A server of one canned answer per connection: it reads the request's head, sends the
 * answer as it is and closes (with a reset when reset). */
struct canned {
	int fd;
	const char *answer;
	size_t len;
	bool reset;
	pthread_t thread;
	char head[4096]; /* the request's head as received (up to its blank line) */
};

static void *canned_main(void *arg)
{
	struct canned *k = arg;
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	int c = accept(k->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	while (got < sizeof(buf) - 1 && (n = recv(c, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	buf[got] = '\0';
	snprintf(k->head, sizeof(k->head), "%s", buf);
	for (size_t off = 0; off < k->len; off += (size_t)n) {
		n = send(c, k->answer + off, k->len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
	}
	if (k->reset) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
		return NULL;
	}
	shutdown(c, SHUT_WR);
	while (recv(c, buf, sizeof(buf), 0) > 0)
		;
	close(c);
	return NULL;
}

/* Start k's server on an ephemeral loopback port; its URL for /x. */
static const char *canned_start(struct canned *k)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	k->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(k->fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(k->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(k->fd, 1), 0);
	assert_int_equal(getsockname(k->fd, (struct sockaddr *)&sa, &sl), 0);
	assert_int_equal(pthread_create(&k->thread, NULL, canned_main, k), 0);
	return url_for("http", ntohs(sa.sin_port), "/x");
}

/* GET, by a client of these options, from a canned server answering these bytes (then
 * closing with a reset when reset): the client's error and result.fail. */
static orsp_err get_canned_opts(const char *answer, size_t len, bool reset,
                                const orsp_http_client_opts *o, orsp_http_fail *fail)
{
	struct canned k = {.answer = answer, .len = len, .reset = reset};
	orsp_http_client *c = NULL;
	orsp_http_result r;
	orsp_err e;

	assert_ok(orsp_http_client_new(o, &c));
	e = orsp_http_client_request(c, "GET", canned_start(&k), NULL, NULL, 0, &r);
	*fail = r.fail;
	if (e) { /* a failure leaves nothing of the answer, and says why */
		assert_int_not_equal(r.fail, ORSP_HTTP_FAIL_NONE);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.content_type, "");
		assert_string_equal(r.x_admin_protocol, "");
		assert_null(r.body);
		assert_int_equal(r.body_len, 0);
	}
	orsp_http_result_free(&r);
	orsp_http_client_free(c); /* closes a kept-alive connection: the server's drain ends */
	pthread_join(k.thread, NULL);
	close(k.fd);
	return e;
}

static orsp_err get_canned(const char *answer, size_t len, orsp_http_fail *fail)
{
	orsp_http_client_opts o = {.timeout_ms = 5000};
	return get_canned_opts(answer, len, false, &o, fail);
}

/* An answer that is not HTTP is PROTOCOL (ORSP_E_MALFORMED), whatever libcurl calls it: no
 * status line (HTTP/0.9, which libcurl reports as an unsupported protocol, as it does a URL's
 * scheme: the LPA said "bad URL"), a status line of another version, a broken chunked coding
 * (a receive error to libcurl), a header line over libcurl's limit (out of memory to it). An
 * answer cut short stays an I/O failure, an unsupported scheme in the URL a usage error. */
/* getaddrinfo, for this program: the name slow-dns.test hangs 3 s and then fails (a resolver
 * whose packets are dropped, resolv.conf's timeouts and attempts); every other name is the C
 * library's. libcurl's resolver thread calls it. */
#define SLOW_DNS "slow-dns.test"
static atomic_int slow_dns_returned;

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

	if (node && strcmp(node, SLOW_DNS) == 0) {
		sleep(3);
		atomic_fetch_add(&slow_dns_returned, 1);
		return EAI_AGAIN;
	}
	*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	return real ? real(node, service, hints, res) : EAI_SYSTEM;
}

/* The timeout bounds a name lookup too: the request ends when it runs out, not when the
 * lookup gives up (libcurl waited for its resolver thread until CURLOPT_QUICK_EXIT, session
 * 66: a DNS outage held a progress report's send, and the server's stop, for as long as
 * resolv.conf's timeouts). Its end is the bound, not the clock: the lookup has not returned. */
static void test_client_timeout_bounds_lookup(void **state)
{
	(void)state;
	orsp_http_client *c = plain_client(300);
	orsp_http_result r;

	atomic_store(&slow_dns_returned, 0);
	assert_err(
	    orsp_http_client_request(c, "POST", "http://" SLOW_DNS ":8080/x", NULL, "x", 1, &r),
	    ORSP_E_IO, "timeout");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_TIMEOUT);
	assert_int_equal(atomic_load(&slow_dns_returned), 0);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
}

/* A stop asked while the exchange waits for an answer that never comes (a listener that
 * never accepts: the kernel completes the connection, the request waits in its buffer) ends it
 * within about a second, ORSP_E_STATE "interrupted", not at the 30 s timeout; cleared with
 * orsp_http_client_set_stop, the next exchange runs to its own end. */
static volatile sig_atomic_t client_stop;

static void *stop_later(void *arg)
{
	(void)arg;
	sleep_ms(300);
	__atomic_store_n(&client_stop, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void test_client_stop(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	orsp_http_client_opts o = {.timeout_ms = 30000, .stop = &client_stop};
	orsp_http_client *c = NULL;
	orsp_http_result r;
	pthread_t th;
	struct timespec t0, t1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	(void)state;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	const char *url = url_for("http", ntohs(sa.sin_port), "/x");
	assert_ok(orsp_http_client_new(&o, &c));
	client_stop = 0;
	assert_int_equal(pthread_create(&th, NULL, stop_later, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_err(orsp_http_client_request(c, "POST", url, NULL, "x", 1, &r), ORSP_E_STATE,
	           "interrupted");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_OTHER);
	orsp_http_result_free(&r);
	/* a bound for a hang only: the stop came at 0.3 s, libcurl looks about once a second */
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	/* the flag taken away: a request goes out whatever it says (to its 0.5 s timeout) */
	orsp_http_client_free(c);
	o.timeout_ms = 500;
	assert_ok(orsp_http_client_new(&o, &c));
	orsp_http_client_set_stop(c, NULL);
	assert_err(orsp_http_client_request(c, "POST", url, NULL, "x", 1, &r), ORSP_E_IO,
	           "timeout");
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	close(fd);
}

static void test_client_malformed_answers(void **state)
{
	static const char http09[] = "hello\n";
	static const char version[] = "HTTP/1.1 abc\r\n\r\n";
	static const char chunk[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                            "ZZ\r\nabc\r\n0\r\n\r\n";
	static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab";
	static const char fine[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	const char *const bad[] = {http09, version, chunk};
	orsp_http_fail fail;
	orsp_err e;
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		e = get_canned(bad[i], strlen(bad[i]), &fail);
		assert_err(e, ORSP_E_MALFORMED, "malformed response");
		assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
	}
	size_t big_len = 200000;
	char *big = malloc(big_len + 64);
	assert_non_null(big);
	int h = snprintf(big, 64, "HTTP/1.1 200 OK\r\nX-Big: ");
	memset(big + h, 'a', big_len);
	static const char tail[] = "\r\nContent-Length: 0\r\n\r\n";
	memcpy(big + h + big_len, tail, strlen(tail));
	e = get_canned(big, (size_t)h + big_len + strlen(tail), &fail);
	free(big);
	assert_err(e, ORSP_E_MALFORMED, "header");
	assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);

	e = get_canned(cut, strlen(cut), &fail);
	assert_err(e, ORSP_E_IO, NULL);
	assert_int_equal(fail, ORSP_HTTP_FAIL_OTHER);
	assert_ok(get_canned(fine, strlen(fine), &fail));
	assert_int_equal(fail, ORSP_HTTP_FAIL_NONE);

	/* Content-Length fields that disagree (RFC 9112 §6.3): PROTOCOL; libcurl took the last
	 * and served "{}x". The same value twice is taken. */
	static const char cl_disagree[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	                                  "Content-Length: 3\r\n\r\n{}x";
	static const char cl_same[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	                              "Content-Length: 2\r\n\r\n{}";
	e = get_canned(cl_disagree, strlen(cl_disagree), &fail);
	assert_err(e, ORSP_E_MALFORMED, "Content-Length fields disagree");
	assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
	assert_ok(get_canned(cl_same, strlen(cl_same), &fail));
	/* one field that is no number, or a list of numbers that differ (RFC 9112 §6.3):
	 * PROTOCOL; libcurl read its leading digits and served what they framed. A list of one
	 * number is that number, also next to a field of it alone. Transfer-Encoding beside a
	 * Content-Length is invalid framing too (libcurl followed the chunks). */
	{
		static const char *const cl_bad[] = {
		    "HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\n{}x",
		    "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n{}",
		    "HTTP/1.1 200 OK\r\nContent-Length: 2abc\r\n\r\n{}x",
		    "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}",
		    "HTTP/1.1 200 OK\r\nContent-Length: 2,\r\n\r\n{}",
		    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 3\r\n\r\n{}x",
		};
		static const char both[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		                           "Content-Length: 3\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
		static const char cl_list[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
		                              "Content-Length: 2 , 2\r\n\r\n{}";
		for (size_t i = 0; i < ORSP_ARRAY_LEN(cl_bad); i++) {
			e = get_canned(cl_bad[i], strlen(cl_bad[i]), &fail);
			assert_err(e, ORSP_E_MALFORMED, "Content-Length");
			assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
		}
		e = get_canned(both, strlen(both), &fail);
		assert_err(e, ORSP_E_MALFORMED, "both Content-Length and Transfer-Encoding");
		assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
		assert_ok(get_canned(cl_list, strlen(cl_list), &fail));
	}
	/* Content-Type or X-Admin-Protocol twice, even the same value: PROTOCOL (the first was
	 * taken) */
	{
		static const char *const twice[] = {
		    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Type: text/html\r\nContent-Length: 2\r\n\r\n{}",
		    "HTTP/1.1 200 OK\r\nX-Admin-Protocol: gsma/rsp/v2.2.0\r\nX-Admin-Protocol: "
		    "gsma/rsp/v2.2.0\r\nContent-Length: 2\r\n\r\n{}",
		};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(twice); i++) {
			e = get_canned(twice[i], strlen(twice[i]), &fail);
			assert_err(e, ORSP_E_MALFORMED, "given 2 times");
			assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
		}
	}
	/* a Content-Length value too long to compare (64 characters or more; libcurl reads the
	 * leading zeros as 2): PROTOCOL, not compared cut short */
	{
		char longcl[200];
		int n = snprintf(longcl, sizeof(longcl), "HTTP/1.1 200 OK\r\nContent-Length: ");
		memset(longcl + n, '0', 70);
		snprintf(longcl + n + 70, sizeof(longcl) - (size_t)n - 70, "2\r\n\r\n{}");
		e = get_canned(longcl, strlen(longcl), &fail);
		assert_err(e, ORSP_E_MALFORMED, "Content-Length too long");
		assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
	}
	/* header lines each short, over libcurl's 300 KiB for the whole section: PROTOCOL (it
	 * was an I/O failure, "check the network") */
	{
		size_t lines = 400, ln = 1000, off;
		char *many = malloc(lines * (ln + 8) + 64);
		assert_non_null(many);
		off = (size_t)sprintf(many, "HTTP/1.1 200 OK\r\n");
		for (size_t i = 0; i < lines; i++) {
			memcpy(many + off, "X-A: ", 5);
			memset(many + off + 5, 'a', ln);
			memcpy(many + off + 5 + ln, "\r\n", 2);
			off += ln + 7;
		}
		off += (size_t)sprintf(many + off, "Content-Length: 0\r\n\r\n");
		e = get_canned(many, off, &fail);
		free(many);
		assert_err(e, ORSP_E_MALFORMED, "Too large response headers");
		assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
	}
	/* a negative Content-Length (libcurl: a weird server reply): PROTOCOL */
	static const char negative[] = "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok";
	e = get_canned(negative, strlen(negative), &fail);
	assert_err(e, ORSP_E_MALFORMED, "malformed response: Invalid Content-Length");
	assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
	/* the answer cut short by a reset (a receive error to libcurl, not about chunking): an
	 * I/O failure, not PROTOCOL */
	e = get_canned_opts(cut, strlen(cut), true, &(orsp_http_client_opts){.timeout_ms = 5000},
	                    &fail);
	assert_err(e, ORSP_E_IO, "http: Recv failure");
	assert_int_equal(fail, ORSP_HTTP_FAIL_OTHER);
	/* a chunked body (no Content-Length for libcurl's size limit to check first) of 16 bytes
	 * to a client taking at most 10: TOO_LARGE, as the write is refused; 10 bytes are taken */
	static const char chunked16[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                                "10\r\n0123456789abcdef\r\n0\r\n\r\n";
	static const char chunked10[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                                "a\r\n0123456789\r\n0\r\n\r\n";
	orsp_http_client_opts ten = {.timeout_ms = 5000, .max_response = 10};
	e = get_canned_opts(chunked16, strlen(chunked16), false, &ten, &fail);
	assert_err(e, ORSP_E_RESOURCE, "http: response larger than 10 bytes");
	assert_int_equal(fail, ORSP_HTTP_FAIL_TOO_LARGE);
	assert_ok(get_canned_opts(chunked10, strlen(chunked10), false, &ten, &fail));
	assert_int_equal(fail, ORSP_HTTP_FAIL_NONE);

	/* an X-Admin-Protocol of 64 characters (the result keeps 63) or a Content-Type of 128
	 * (it keeps 127) in an otherwise fine answer: PROTOCOL (ORSP_E_MALFORMED), never cut to
	 * another value; one character less is taken */
	static const struct {
		const char *name;
		size_t len;
		const char *detail;
	} hdr[] = {
	    {"X-Admin-Protocol", 64, "response header X-Admin-Protocol longer than 63"},
	    {"Content-Type", 128, "response header Content-Type longer than 127"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(hdr); i++) {
		for (size_t len = hdr[i].len - 1; len <= hdr[i].len; len++) {
			char ans[400];
			int n = snprintf(ans, sizeof(ans), "HTTP/1.1 200 OK\r\n%s: gsma/rsp/v2.",
			                 hdr[i].name);
			assert_true(n > 0 && (size_t)n + len + 64 < sizeof(ans));
			memset(ans + n, '9', len - strlen("gsma/rsp/v2."));
			n += (int)(len - strlen("gsma/rsp/v2."));
			n += snprintf(ans + n, sizeof(ans) - (size_t)n,
			              "\r\nContent-Length: 2\r\n\r\nok");
			e = get_canned(ans, (size_t)n, &fail);
			if (len < hdr[i].len) {
				assert_ok(e);
				assert_int_equal(fail, ORSP_HTTP_FAIL_NONE);
				continue;
			}
			assert_err(e, ORSP_E_MALFORMED, hdr[i].detail);
			assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
		}
	}

	/* a control character in Content-Type or X-Admin-Protocol (RFC 9110 §5.5): PROTOCOL,
	 * not handed on (libcurl keeps it; "application/json;\x01" passed as JSON); a tab, which
	 * a field value may hold, is taken */
	static const char *const ctl[] = {
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json;\x01\r\nContent-Length: 2\r\n\r\n{}",
	    ("HTTP/1.1 200 OK\r\nX-Admin-Protocol: gsma/rsp/v2.2.0\x1b[2J\r\nContent-Length: 2\r\n"
	     "\r\n{}"),
	    "HTTP/1.1 200 OK\r\nContent-Type: application/\x7fjson\r\nContent-Length: 2\r\n\r\n{}",
	    /* Content-Type read and good, then the failure */
	    ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Admin-Protocol: \x01\r\n"
	     "Content-Length: 2\r\n\r\n{}")};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(ctl); i++) {
		e = get_canned(ctl[i], strlen(ctl[i]), &fail);
		assert_err(e, ORSP_E_MALFORMED, "holds a control character");
		assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
	}
	static const char tab[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: application/json;\tcharset=UTF-8"
	    "\r\nContent-Length: 2\r\n\r\n{}";
	assert_ok(get_canned(tab, strlen(tab), &fail));
	assert_int_equal(fail, ORSP_HTTP_FAIL_NONE);

	/* a status line that is not HTTP/1.x, a space, 100..599 and a space or the end:
	 * PROTOCOL. libcurl read the first as 200 (an error page passed as a success), took
	 * "HTTP/2" on an HTTP/1.1 connection, lower case, "200OK" and 999. Interim answers and a
	 * trailer field after a chunked body are no status line of the answer. */
	static const char *const status_bad[] = {
	    "HTTP/HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\nno",
	    "HTTP/2 200\r\nContent-Length: 2\r\n\r\n{}",
	    "http/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
	    "HTTP/1.1 200OK\r\nContent-Length: 2\r\n\r\n{}",
	    "HTTP/1.1 999 Nine\r\nContent-Length: 2\r\n\r\n{}",
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/ 1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(status_bad); i++) {
		e = get_canned(status_bad[i], strlen(status_bad[i]), &fail);
		assert_err(e, ORSP_E_MALFORMED, "not an HTTP/1.x status line");
		assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
	}
	static const char *const status_good[] = {
	    "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}", "HTTP/1.1 204\r\n\r\n",
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"
	    "X-Trailer: HTTP/1.1 999\r\n\r\n"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(status_good); i++) {
		assert_ok(get_canned(status_good[i], strlen(status_good[i]), &fail));
		assert_int_equal(fail, ORSP_HTTP_FAIL_NONE);
	}
	/* a trailer field without a colon (libcurl's header store refuses it: a bad function
	 * argument to libcurl): PROTOCOL, not an I/O failure */
	static const char trailer[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	                              "2\r\n{}\r\n0\r\nno colon\r\n\r\n";
	e = get_canned(trailer, strlen(trailer), &fail);
	assert_err(e, ORSP_E_MALFORMED, "malformed response");
	assert_int_equal(fail, ORSP_HTTP_FAIL_PROTOCOL);
}

/* The client never sends Expect: 100-continue (libcurl adds it to a body over 1 MiB). A
 * server answering it 417 made libcurl send the request again within the call, and the
 * second answer's status line, after a final 417, was not checked as one: the request
 * failed as PROTOCOL (session 58, found by review). */
static void test_client_no_expect(void **state)
{
	static const char fine[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct canned k = {.answer = fine, .len = sizeof(fine) - 1};
	orsp_http_client_opts o = {.timeout_ms = 5000};
	orsp_http_client *c = NULL;
	orsp_http_result r;
	size_t big = 2u << 20;
	char *body = malloc(big);
	(void)state;

	assert_non_null(body);
	memset(body, 'a', big);
	assert_ok(orsp_http_client_new(&o, &c));
	assert_ok(orsp_http_client_request(c, "POST", canned_start(&k), NULL, body, big, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	pthread_join(k.thread, NULL);
	close(k.fd);
	free(body);
	if (strncmp(k.head, "POST ", 5) != 0 || strcasestr(k.head, "\r\nExpect:"))
		fail_msg("request head: %s", k.head);
}

/* One client, two answers: the second's first header line a fold (it starts with
 * whitespace). libcurl 7.88 appended it to the first answer's last header, freed at the
 * second transfer's start when the client reused its easy handle (curl #11101): a use after
 * free and a double free (glibc aborted). Each request has a handle of its own now; a fold
 * with nothing before it is PROTOCOL. */
static void test_client_fold_after_reuse(void **state)
{
	static const char first[] = "HTTP/1.1 200 OK\r\nX-First: a\r\nContent-Length: 2\r\n\r\n{}";
	static const char second[] =
	    "HTTP/1.1 200 OK\r\n X-Folded: onto nothing\r\n"
	    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
	struct canned k1 = {.answer = first, .len = strlen(first)};
	struct canned k2 = {.answer = second, .len = strlen(second)};
	orsp_http_client *c = plain_client(5000);
	orsp_http_result r;
	orsp_err e;
	(void)state;

	assert_ok(orsp_http_client_request(c, "GET", canned_start(&k1), NULL, NULL, 0, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	e = orsp_http_client_request(c, "GET", canned_start(&k2), NULL, NULL, 0, &r);
	assert_err(e, ORSP_E_MALFORMED, "malformed response");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_PROTOCOL);
	orsp_http_result_free(&r);
	orsp_http_client_free(c); /* closes the kept-alive connections: the servers' drains end */
	pthread_join(k1.thread, NULL);
	pthread_join(k2.thread, NULL);
	close(k1.fd);
	close(k2.fd);
}

static void test_connection_refused(void **state)
{
	(void)state;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	orsp_http_client *c = plain_client(3000);
	orsp_http_result r;
	orsp_err e;

	/* A port that was just free and is bound but not listening: connect is refused. */
	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	e = orsp_http_client_request(c, "POST", url_for("http", ntohs(sa.sin_port), "/x"), NULL,
	                             "x", 1, &r);
	close(fd);
	assert_err(e, ORSP_E_IO, "refused");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_CONNECT);
	assert_int_equal(r.status, 0);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
}

/* A proxy that answers every request with 204, counting the connections it got. Static and
 * stopped by the teardown: a failed assertion leaves the test function early. */
static const char *const proxy_vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                         "ALL_PROXY"};
static struct fake_proxy {
	int fd;
	bool running;
	pthread_t thread;
	atomic_int stop;
	atomic_int connections;
} fake_proxy = {.fd = -1};

static void *fake_proxy_main(void *arg)
{
	struct fake_proxy *p = arg;
	static const char answer[] = "HTTP/1.1 204 No Content\r\n\r\n";

	while (!atomic_load(&p->stop)) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		char buf[4096];
		int c;

		if (poll(&pfd, 1, 20) <= 0)
			continue;
		c = accept(p->fd, NULL, NULL);
		if (c < 0)
			continue;
		atomic_fetch_add(&p->connections, 1);
		if (recv(c, buf, sizeof(buf), 0) > 0)
			(void)!send(c, answer, sizeof(answer) - 1, MSG_NOSIGNAL);
		close(c);
	}
	return NULL;
}

static int fake_proxy_stop(void **state)
{
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(proxy_vars); i++)
		unsetenv(proxy_vars[i]);
	atomic_store(&fake_proxy.stop, 1);
	if (fake_proxy.running)
		pthread_join(fake_proxy.thread, NULL);
	fake_proxy.running = false;
	if (fake_proxy.fd >= 0)
		close(fake_proxy.fd);
	fake_proxy.fd = -1;
	return 0;
}

/* The client uses no proxy, whatever the environment says: libcurl took http_proxy,
 * https_proxy, ALL_PROXY ... from it, so the SM-DP+'s ES2+ reports (EIDs, ICCIDs; plain http
 * to loopback only) and an LPA's requests went to whatever proxy was set, and the proxy's 204
 * passed as the server's answer. */
static void test_proxy_environment_ignored(void **state)
{
	(void)state;
	struct fake_proxy *p = &fake_proxy;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	orsp_http_server *srv = start_plain(64);
	orsp_http_client *c = plain_client(5000);
	orsp_http_result r;
	char proxy[64];

	p->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p->fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(p->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->fd, 8), 0);
	assert_int_equal(getsockname(p->fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
	for (size_t i = 0; i < ORSP_ARRAY_LEN(proxy_vars); i++)
		assert_int_equal(setenv(proxy_vars[i], proxy, 1), 0);
	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	assert_int_equal(pthread_create(&p->thread, NULL, fake_proxy_main, p), 0);
	p->running = true;

	assert_ok(orsp_http_client_request(
	    c, "POST", url_for("http", orsp_http_server_port(srv), "/len"), NULL, "x", 1, &r));
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 1);
	assert_memory_equal(r.body, "1", 1);
	orsp_http_result_free(&r);
	fake_proxy_stop(NULL);
	assert_int_equal(atomic_load(&p->connections), 0);
	orsp_http_client_free(c);
	orsp_http_server_stop(srv, 2000);
}

/* A request sent raw on a keep-alive connection (HTTP/1.1, no Connection header, no
 * half-close) from another thread: everything the server sends until it closes, and how the
 * exchange ended (0: closed by the server; else the errno). No cmocka asserts here. */
struct bg_request {
	uint16_t port;
	char path[16]; /* /slow when empty */
	int err;
	size_t len;
	char resp[1024];
};

static void *bg_post(void *arg)
{
	struct bg_request *b = arg;
	char req[128];
	int len =
	    snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx",
	             b->path[0] ? b->path : "/slow");
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(b->port)};
	struct timeval tv = {10, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	b->err = EBADF;
	if (fd < 0)
		return NULL;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    send(fd, req, (size_t)len, MSG_NOSIGNAL) != (ssize_t)len) {
		b->err = errno;
		close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t n = recv(fd, b->resp + b->len, sizeof(b->resp) - 1 - b->len, 0);
		if (n <= 0) {
			b->err = n == 0 ? 0 : errno;
			break;
		}
		b->len += (size_t)n;
		if (b->len == sizeof(b->resp) - 1) {
			b->err = EMSGSIZE;
			break;
		}
	}
	b->resp[b->len] = '\0';
	close(fd);
	return NULL;
}

static void test_graceful_stop(void **state)
{
	(void)state;
	orsp_http_server *srv = start_plain(0);
	uint16_t port = orsp_http_server_port(srv);
	struct bg_request b = {.port = port};
	pthread_t t;
	orsp_http_client *c;
	orsp_http_result r;
	orsp_err e;
	int i;

	atomic_store(&slow.started, 0);
	atomic_store(&slow.finished, 0);
	assert_int_equal(pthread_create(&t, NULL, bg_post, &b), 0);
	for (i = 0; i < 500 && !atomic_load(&slow.started); i++)
		sleep_ms(10);
	assert_int_equal(atomic_load(&slow.started), 1);
	/* The handler is sleeping: the stop lets it finish and its response go out. */
	assert_int_equal(orsp_http_server_stop(srv, 10000), 0);
	assert_int_equal(atomic_load(&slow.finished), 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* its answer, with Connection: close (the client asked for nothing: a keep-alive one),
	 * and then the close */
	assert_int_equal(b.err, 0);
	if (strncmp(b.resp, "HTTP/1.1 200", 12) != 0 ||
	    !strstr(b.resp, "\r\nConnection: close\r\n") || b.len < 8 ||
	    strcmp(b.resp + b.len - 8, "\r\n\r\ndone") != 0)
		fail_msg("the answer in flight: want 200, Connection: close, \"done\"; got \"%s\"",
		         b.resp);

	/* Nobody listens any more. */
	c = plain_client(2000);
	e = orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "x", 1, &r);
	assert_err(e, ORSP_E_IO, NULL);
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_CONNECT);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	/* Stopping nothing is harmless. */
	assert_int_equal(orsp_http_server_stop(NULL, 0), 0);
}

static int connected(uint16_t port, const struct timeval *rcv_timeout)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, rcv_timeout, sizeof(*rcv_timeout)),
	                 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Read fd until the server closes or resets it (read_to_close below takes no reset), into resp
 * (cap bytes, NUL-terminated), and close it; returns the length read. */
static size_t read_and_close(int fd, char *resp, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < cap && (n = recv(fd, resp + len, cap - 1 - len, 0)) > 0)
		len += (size_t)n;
	resp[len] = 0;
	close(fd);
	return len;
}

/* Send a request to /len with the body "abc" on fd, whole; len3_answer: whether resp is its
 * 200 answer, "3", with Connection: close when want_close. */
static void send_len3(int fd)
{
	static const char req[] = "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";

	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(req) - 1));
}

static bool len3_answer(const char *resp, size_t len, bool want_close)
{
	return strncmp(resp, "HTTP/1.1 200", 12) == 0 &&
	       (!want_close || strstr(resp, "\r\nConnection: close\r\n")) && len >= 5 &&
	       strcmp(resp + len - 5, "\r\n\r\n3") == 0;
}

/* Requests that arrived whole while their polling thread was busy in another connection's
 * handler are answered by a graceful stop: one thread, a 400 ms handler, and 100 requests
 * waiting behind it when the stop begins, their connections not yet taken over by the thread
 * (round 0) or taken over with their bytes unread (the others). Between two of them no
 * request is in flight for a moment; a stop that went by that count alone took such a moment
 * for the end and lost the answers of the pass the thread was in (its handlers ran and were
 * logged): about two rounds in five lost some, so nine rounds. */
static void test_graceful_stop_waiting_requests(void **state)
{
	enum { WAITING = 100 };
	(void)state;

	for (int round = 0; round < 9; round++) {
		orsp_http_server_config cfg = {
		    .address = "127.0.0.1",
		    .routes = routes,
		    .n_routes = ORSP_ARRAY_LEN(routes),
		    .timeout_s = 5,
		    .threads = 1,
		};
		orsp_http_server *srv = NULL;
		struct timeval tv = {5, 0};
		struct bg_request b;
		int fds[WAITING];
		unsigned answered = 0;
		pthread_t t;

		/* round 0: the connections open while the handler runs (the thread has not
		 * taken them over); then open before it (taken over, their bytes unread) */
		bool early = round > 0;

		assert_ok(orsp_http_server_start(&cfg, &srv));
		memset(&b, 0, sizeof(b));
		b.port = orsp_http_server_port(srv);
		snprintf(b.path, sizeof(b.path), "/nap");
		for (int i = 0; early && i < WAITING; i++)
			fds[i] = connected(b.port, &tv);
		if (early)
			sleep_ms(100);
		atomic_store(&nap.started, 0);
		atomic_store(&nap.finished, 0);
		assert_int_equal(pthread_create(&t, NULL, bg_post, &b), 0);
		for (int i = 0; i < 500 && !atomic_load(&nap.started); i++)
			sleep_ms(2);
		assert_int_equal(atomic_load(&nap.started), 1);
		for (int i = 0; i < WAITING; i++) {
			if (!early)
				fds[i] = connected(b.port, &tv);
			send_len3(fds[i]);
		}
		/* accepted (the accept thread is not the busy one; one still in the listen queue
		 * at the stop is taken then: test_stop_serves_queued_connections). On a loaded
		 * machine the handler may be over by the stop: the round then proves nothing, and
		 * must still pass. */
		sleep_ms(200);
		assert_int_equal(orsp_http_server_stop(srv, 10000), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(b.err, 0);
		assert_true(strncmp(b.resp, "HTTP/1.1 200", 12) == 0);
		for (int i = 0; i < WAITING; i++) {
			char resp[512];
			size_t len = read_and_close(fds[i], resp, sizeof(resp));

			if (len3_answer(resp, len, false))
				answered++;
		}
		if (answered != WAITING)
			fail_msg("round %d: %u of %d waiting requests answered", round, answered,
			         WAITING);
	}
}

/* recv, interposed (libmicrohttpd's calls bind to this definition in the executable): armed,
 * the read that returns a request holding "X-Spin:" keeps its thread running (a busy wait, so
 * that its state stays R, as a thread preempted there) for a second before it returns, between
 * libmicrohttpd's read of the request and its parse. Not under a sanitizer, whose runtime
 * intercepts recv itself (ThreadSanitizer's takes the sender's writes as seen by the reader). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RECV_NOT_OURS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RECV_NOT_OURS 1
#endif
#endif
static atomic_bool spin_armed, spinning;

#ifndef RECV_NOT_OURS
static ssize_t (*real_recv)(int, void *, size_t, int);

static void find_recv(void)
{
	*(void **)&real_recv = dlsym(RTLD_NEXT, "recv");
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	ssize_t n;
	bool armed = true;

	(void)pthread_once(&once, find_recv);
	n = real_recv(fd, buf, len, flags);
	if (n > 0 && atomic_load(&spin_armed) && memmem(buf, (size_t)n, "X-Spin:", 7) &&
	    atomic_compare_exchange_strong(&spin_armed, &armed, false)) {
		uint64_t until = mono_ms() + 1000;
		atomic_store(&spinning, true);
		while (mono_ms() < until)
			;
	}
	return n;
}
#endif

/* A stop that finds no request in flight and no unread bytes still waits while a polling
 * thread runs: its thread was between reading a request (the socket's bytes gone) and parsing
 * it (on_target: in flight), as a thread preempted there on a loaded machine. The stop took
 * that for the end, and libmicrohttpd's stop ended the thread's pass, the request's handler
 * run and its answer never sent (test_graceful_stop_waiting_requests, 99 answers of 100 under
 * TSan on a loaded machine). The connection is 300 ms old (not fresh: STOP_FRESH_US). */
static void test_stop_waits_for_request_being_read(void **state)
{
	static const char req[] =
	    "POST /len HTTP/1.1\r\nHost: x\r\nX-Spin: 1\r\nContent-Length: 3\r\n\r\nabc";
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .timeout_s = 5,
	                               .threads = 1};
	orsp_http_server *srv = NULL;
	struct timeval tv = {10, 0};
	char resp[512];
	size_t len;
	int fd;

	(void)state;
#ifdef RECV_NOT_OURS
	skip();
#endif
	/* the server looks at its threads there; without it, it does not */
	if (access("/proc/self/task", R_OK) != 0)
		skip();
	assert_ok(orsp_http_server_start(&cfg, &srv));
	fd = connected(orsp_http_server_port(srv), &tv);
	sleep_ms(300);
	atomic_store(&spinning, false);
	atomic_store(&spin_armed, true);
	assert_int_equal(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(req) - 1));
	for (int i = 0; i < 6000 && !atomic_load(&spinning); i++)
		sleep_ms(10);
	if (!atomic_load(&spinning))
		fail_msg("no polling thread read the request through this program's recv in 60 s");
	assert_int_equal(orsp_http_server_stop(srv, 10000), 0);
	len = read_and_close(fd, resp, sizeof(resp));
	/* answered during the stop: with Connection: close */
	if (!len3_answer(resp, len, true))
		fail_msg("the request read when the stop began was not answered: \"%.60s\"", resp);
}

/* __wrap_poll (-Wl,--wrap=poll): armed, the next poll of two descriptors in this program (the
 * accept thread's: its wake pipe, then the listening socket) first waits for the wake pipe
 * alone (the stop) and then polls both at once: connections made meanwhile are in the listen
 * queue, unaccepted, when the stop comes. */
static atomic_int hold_accept_poll;
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (n == 2 && atomic_exchange(&hold_accept_poll, 0)) {
		struct pollfd wake = {.fd = fds[0].fd, .events = POLLIN};

		(void)__real_poll(&wake, 1, 10000);
		return __real_poll(fds, n, 0);
	}
	return __real_poll(fds, n, timeout);
}

/* Connections the kernel completed and queued before the stop are served, not reset when the
 * listening socket closes: a proxy (nginx) that connected and sent a POST gets its answer,
 * where a reset would be a 502 it does not retry. Four queued requests, a limit of three
 * connections: three answered 200 with Connection: close, the fourth closed unanswered. */
static void test_stop_serves_queued_connections(void **state)
{
	enum { QUEUED = 4, LIMIT = 3 };
	orsp_http_server_config cfg = {
	    .address = "127.0.0.1",
	    .routes = routes,
	    .n_routes = ORSP_ARRAY_LEN(routes),
	    .timeout_s = 5,
	    .threads = 2,
	    .max_connections = LIMIT,
	};
	orsp_http_server *srv = NULL;
	struct timeval tv = {5, 0};
	int fds[QUEUED];
	unsigned answered = 0, unanswered = 0;
	(void)state;

	atomic_store(&hold_accept_poll, 1); /* the accept thread's first poll */
	assert_ok(orsp_http_server_start(&cfg, &srv));
	for (int i = 0; i < QUEUED; i++) {
		fds[i] = connected(orsp_http_server_port(srv), &tv);
		send_len3(fds[i]);
	}
	sleep_ms(50);
	assert_int_equal(orsp_http_server_stop(srv, 10000), 0);
	assert_int_equal(atomic_load(&hold_accept_poll), 0); /* the poll was held */
	for (int i = 0; i < QUEUED; i++) {
		char resp[512];
		size_t len = read_and_close(fds[i], resp, sizeof(resp));

		if (len3_answer(resp, len, true))
			answered++;
		else if (len == 0)
			unanswered++;
		else
			fail_msg("queued connection %d: \"%s\"", i, resp);
	}
	if (answered != LIMIT || unanswered != QUEUED - LIMIT)
		fail_msg("%u of %d queued requests answered, %u not (want %d and %d)", answered,
		         QUEUED, unanswered, LIMIT, QUEUED - LIMIT);
}

static void *bg_stop(void *arg)
{
	return (void *)(uintptr_t)orsp_http_server_stop(arg, 10000);
}

/* A connection made, early (its first bytes) sent and before_ms waited, then a stop begun;
 * into_ms into it the rest of a POST /len of "abc" is sent: it must be answered 200 "3". */
static void served_across_stop(const char *early, unsigned before_ms, unsigned into_ms,
                               const char *what)
{
	static const char req[] = "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
	orsp_http_server *srv = start_plain(0);
	struct timeval tv = {5, 0};
	int fd = connected(orsp_http_server_port(srv), &tv);
	size_t el = strlen(early), len;
	char resp[512];
	pthread_t t;
	void *left;

	assert_int_equal(strncmp(req, early, el), 0);
	if (el)
		assert_int_equal(send(fd, early, el, MSG_NOSIGNAL), (ssize_t)el);
	sleep_ms(before_ms);
	assert_int_equal(pthread_create(&t, NULL, bg_stop, srv), 0);
	sleep_ms(into_ms);
	assert_int_equal(send(fd, req + el, sizeof(req) - 1 - el, MSG_NOSIGNAL),
	                 (ssize_t)(sizeof(req) - 1 - el));
	len = read_and_close(fd, resp, sizeof(resp));
	assert_int_equal(pthread_join(t, &left), 0);
	assert_int_equal((uintptr_t)left, 0);
	if (!len3_answer(resp, len, true))
		fail_msg("%s: want 200 \"3\", got \"%s\"", what, resp);
}

/* A connection made just before the stop whose request comes 40 ms into it is served: the stop
 * waits up to 250 ms from a connection's accept for its first request (STOP_FRESH_US; a
 * client between its connect and its first write, or in its TLS handshake), where it had ended
 * about 10 ms in, closing the connection under the request. */
static void test_stop_waits_for_new_connection(void **state)
{
	(void)state;
	served_across_stop("", 0, 40, "the request sent 40 ms into the stop");
}

/* A request whose request line came before the stop and whose header section comes 400 ms
 * into it (past the 250 ms a fresh connection is waited for) is served: the stop counts a
 * header section on its way as a request, where it closed the connection under it, and the
 * client got nothing (review find). */
static void test_stop_waits_for_header_section(void **state)
{
	(void)state;
	/* 300 ms after the request line: no longer fresh */
	served_across_stop("POST /len HTTP/1.1\r\n", 300, 400,
	                   "the header section sent 400 ms into the stop");
}

/* Send raw bytes (then half-close when half_close), read until the server closes the
 * connection (end of stream or reset), bounded by cap. A server that neither answers in full
 * nor closes within the 2 s receive timeout fails the test: a hang is never a pass. */
static size_t raw_exchange_in(uint16_t port, const void *req, size_t req_len, bool half_close,
                              size_t piece, char *resp, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {2, 0};
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	for (size_t off = 0; off < req_len;) {
		size_t n = piece && req_len - off > piece ? piece : req_len - off;
		/* a server closing while the request is still being sent: closed, nothing
		 * answered */
		if (send(fd, (const char *)req + off, n, MSG_NOSIGNAL) < 0) {
			close(fd);
			resp[0] = 0;
			return 0;
		}
		off += n;
		if (piece && off < req_len)
			usleep(200);
	}
	if (half_close)
		shutdown(fd, SHUT_WR);
	while (got + 1 < cap) {
		ssize_t n = recv(fd, resp + got, cap - 1 - got, 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0) {
			resp[got] = 0;
			close(fd);
			fail_msg("\"%.40s\": no answer in full and no close within 2 s (%s); got "
			         "\"%.60s\"",
			         (const char *)req, strerror(errno), resp);
		}
		got += (size_t)n;
	}
	resp[got] = 0;
	close(fd);
	return got;
}

static size_t raw_exchange(uint16_t port, const void *req, size_t req_len, bool half_close,
                           char *resp, size_t cap)
{
	return raw_exchange_in(port, req, req_len, half_close, 0, resp, cap);
}

/* resp (n bytes, as raw_exchange read them) is exactly one answer: the status line, a header
 * block, then as many bytes as its Content-Length says (body, if not NULL), nothing after. */
static void assert_one_answer(const char *what, const char *resp, size_t n, int status,
                              const char *body)
{
	char line[32];
	const char *end = strstr(resp, "\r\n\r\n");
	const char *cl = strstr(resp, "\r\nContent-Length: ");
	int k = snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	size_t len;

	if (strncmp(resp, line, (size_t)k) != 0 || !end || !cl || cl > end)
		fail_msg("%s: want one answer %d, got \"%s\"", what, status, resp);
	len = (size_t)strtoul(cl + strlen("\r\nContent-Length: "), NULL, 10);
	if ((size_t)(end + 4 - resp) + len != n)
		fail_msg("%s: %zu bytes after the header block, Content-Length %zu: \"%s\"", what,
		         n - (size_t)(end + 4 - resp), len, resp);
	if (body && (strlen(body) != len || memcmp(end + 4, body, len) != 0))
		fail_msg("%s: want the body \"%s\", got \"%s\"", what, body, end + 4);
}

/* Wait (bounded) until the hook has seen want_path; its entry stays in hooklog. */
static int hook_wait(void)
{
	int n = 0;
	for (int i = 0; i < 300 && !n; i++) {
		pthread_mutex_lock(&hooklog.lock);
		n = hooklog.seen;
		pthread_mutex_unlock(&hooklog.lock);
		if (!n)
			sleep_ms(10);
	}
	return n;
}

/* POST to url_path; the hook saw the request (as log_path) once, with its status and whether
 * a handler ran. The hook runs after the response went out: waited for (bounded). */
static void hook_request(orsp_http_client *c, uint16_t port, const char *url_path,
                         const char *log_path, int status, bool handled)
{
	orsp_http_result r;

	pthread_mutex_lock(&hooklog.lock);
	snprintf(hooklog.want_path, sizeof(hooklog.want_path), "%s", log_path);
	hooklog.seen = 0;
	pthread_mutex_unlock(&hooklog.lock);
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for("http", port, url_path), NULL, "x", 1, &r));
	assert_int_equal(r.status, status);
	orsp_http_result_free(&r);
	(void)hook_wait();
	pthread_mutex_lock(&hooklog.lock);
	assert_int_equal(hooklog.seen, 1);
	assert_string_equal(hooklog.method, "POST");
	assert_int_equal(hooklog.status, status);
	assert_true(hooklog.completed);
	assert_int_equal(hooklog.handled, handled);
	assert_true(hooklog.duration_us < 60u * 1000000u);
	hooklog.want_path[0] = 0;
	pthread_mutex_unlock(&hooklog.lock);
}

/* No memory for a request's body (the server's buffer for it not allocated): the body is read
 * and dropped, the answer is a 503 that closes the connection, and the log entry says so
 * (out_of_memory). Until session 79 the connection was closed with no answer, logged as a
 * client gone (status 0, aborted). The next request is served. */
static void test_body_out_of_memory(void **state)
{
	(void)state;
	orsp_http_server_config cfg = {
	    .address = "127.0.0.1",
	    .routes = routes,
	    .n_routes = ORSP_ARRAY_LEN(routes),
	    .max_body = 4096,
	    .timeout_s = 5,
	    .threads = 2,
	    .on_request = hook,
	    .hook_ctx = &hooklog,
	};
	static const char req[] = "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
	orsp_http_server *srv = NULL;
	char resp[4096];
	size_t n;

	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	pthread_mutex_lock(&hooklog.lock);
	snprintf(hooklog.want_path, sizeof(hooklog.want_path), "/len");
	hooklog.seen = 0;
	pthread_mutex_unlock(&hooklog.lock);
	(void)orsp__wipe_alloc_test_limit(0);
	n = raw_exchange(port, req, sizeof(req) - 1, false, resp, sizeof(resp));
	(void)orsp__wipe_alloc_test_limit(-1);
	assert_one_answer("no memory for the body", resp, n, 503,
	                  "{\"status\":503,\"error\":\"out of memory\"}");
	assert_non_null(strstr(resp, "\r\nConnection: close\r\n"));
	(void)hook_wait();
	pthread_mutex_lock(&hooklog.lock);
	assert_int_equal(hooklog.seen, 1);
	assert_int_equal(hooklog.status, 503);
	assert_true(hooklog.out_of_memory);
	assert_false(hooklog.handled);
	assert_int_equal(hooklog.body_len, 5);
	pthread_mutex_unlock(&hooklog.lock);

	orsp_http_client *c = plain_client(5000);
	hook_request(c, port, "/len", "/len", 200, true);
	pthread_mutex_lock(&hooklog.lock);
	assert_false(hooklog.out_of_memory);
	pthread_mutex_unlock(&hooklog.lock);
	orsp_http_client_free(c);
	orsp_http_server_stop(srv, 2000);
}

static void test_malformed_http_and_log_hook(void **state)
{
	(void)state;
	/* start_plain's, with a request deadline within raw_exchange's 2 s */
	orsp_http_server_config cfg = {
	    .address = "127.0.0.1",
	    .routes = routes,
	    .n_routes = ORSP_ARRAY_LEN(routes),
	    .max_body = 64,
	    .timeout_s = 5,
	    .request_timeout_ms = 1000,
	    .threads = 4,
	    .on_request = hook,
	    .hook_ctx = &hooklog,
	};
	orsp_http_server *srv = NULL;
	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	orsp_http_client *c = plain_client(5000);
	orsp_http_result r;
	char resp[4096];
	/* Answered by the server (O: its status and body, the answer parsed whole: nothing but
	 * one answer) or by libmicrohttpd before any callback (G: the start of its status line;
	 * NULL: closed without an answer, or with a 4xx). libmicrohttpd (0.9.75) answers a
	 * Content-Length that is not a plain decimal number with 400, one above 2^64 - 1 with
	 * 413, and writes its header block twice (docs/http.md): only the status line is ours
	 * to check there. */
#define G(lit, want)                                                                               \
	{                                                                                          \
		lit, sizeof(lit) - 1, want, 0, NULL, false                                         \
	}
#define O(lit, status, body)                                                                       \
	{                                                                                          \
		lit, sizeof(lit) - 1, NULL, status, body, false                                    \
	}
	/* a case of the header section's layout (section_field), only with 0.9.75 */
#define S(lit, status, body)                                                                       \
	{                                                                                          \
		lit, sizeof(lit) - 1, NULL, status, body, true                                     \
	}
#define E400(msg) "{\"status\":400,\"error\":\"" msg "\"}"
#define SECTION_CUT "empty field name, NUL or mixed line endings in the header section"
#define SECTION_FOLDED "obsolete line folding in the header section"
	static const struct {
		const char *req;
		size_t len;
		const char *want;
		int status;
		const char *body;
		bool section;
	} garbage[] = {
	    G("GARBAGE\r\n\r\n", NULL),
	    G("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "HTTP/1.1 400"),
	    G("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\nab", "HTTP/1.1 400"),
	    G("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\nab", "HTTP/1.1 400"),
	    G("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 0x2\r\n\r\nab", "HTTP/1.1 400"),
	    G("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2 \r\n\r\nab", "HTTP/1.1 400"),
	    G("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	      "HTTP/1.1 413"),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
	      400, E400("ambiguous message framing")),
	    G("POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
	      "HTTP/1.1 400"),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: "
	      "chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
	      400, E400("ambiguous message framing")),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	      "identity\r\n\r\n2\r\nab\r\n0\r\n\r\n",
	      400, E400("transfer coding not supported")),
	    /* a chunked body's trailers: refused, the connection closed (a line starting with a
	     * colon ended the trailers for libmicrohttpd, and the rest was a second request) */
	    O("POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	      "2\r\nab\r\n0\r\n\r\n",
	      200, "2"),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	      "2\r\nab\r\n0\r\nX: a\r\n\r\n",
	      400, E400("trailer fields in a chunked request")),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	      "2\r\nab\r\n0\r\nX: a\r\n: b\r\nPOST /len HTTP/1.1\r\nHost: x\r\n"
	      "Content-Length: 3\r\n\r\nabc",
	      400, E400("trailer fields in a chunked request")),
	    G("POST /len HTTP/9.9\r\n\r\n", "HTTP/1.1 505"),
	    /* libmicrohttpd (0.9.75) waits for more after a line starting with a NUL byte, even
	     * after the client's half-close: closed by the request deadline */
	    G("\0\1\2\3\r\n\r\n", NULL),
	    G("POST /len HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n", "HTTP/1.1 400"),
	    /* RFC 9112 §5.1: whitespace between a field name and its colon is a 400.
	     * libmicrohttpd kept it in the name ("Transfer-Encoding "), so the framing checks
	     * missed the field: 200, framed by the Content-Length (a proxy in front trimming the
	     * name frames by the chunking), or the second Content-Length's 2 bytes read */
	    O("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding : "
	      "chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
	      400, E400("malformed header field name")),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length : 1\r\nContent-Length: 2\r\n\r\nab",
	      400, E400("malformed header field name")),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding\t: "
	      "chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
	      400, E400("malformed header field name")),
	    O("POST /len HTTP/1.1\r\n Host: x\r\nContent-Length: 2\r\n\r\nab", 400,
	      E400("malformed header field name")),
	    /* RFC 9112 §2.2: a bare CR ends the line for some recipients; libmicrohttpd kept it
	     * in the value, a Transfer-Encoding behind it included. Other controls likewise */
	    O("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nX: y\rTransfer-Encoding: "
	      "chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
	      400, E400("control character in a header field value")),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nX: a\1b\r\n\r\nab", 400,
	      E400("control character in a header field value")),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nX: a\177b\r\n\r\nab", 400,
	      E400("control character in a header field value")),
	    /* obs-fold (RFC 9112 §5.2): libmicrohttpd appends the continuation to the field's
	     * name ("Transfer-Encodingchunked", "Transfer-Encodingidentity", "X-Ac d"), so the
	     * folded framing field was not one for it, but is for a proxy that unfolds */
	    O("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding:\r\n "
	      "chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
	      400, E400("folded framing header field")),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n identity\r\n\r\n"
	      "2\r\nab\r\n0\r\n\r\n",
	      400, E400("folded framing header field")),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\t2\r\n\r\nab", 400,
	      E400("folded framing header field")),
	    O("POST /len HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c d\r\nContent-Length: 2\r\n\r\nab", 400,
	      E400("malformed header field name")),
	    /* the header section as libmicrohttpd leaves it in its buffer (section_field): a line
	     * starting with a colon ended the section there, its bytes after read as the next
	     * request (200, then a 400 for "Content-Length: 2" as a request line), where a proxy
	     * in front may frame by the fields after it; with CRLF, with a bare LF */
	    S("POST /len HTTP/1.1\r\nHost: x\r\n: v\r\nContent-Length: 2\r\n\r\nab", 400,
	      E400(SECTION_CUT)),
	    S("POST /len HTTP/1.1\r\nHost: x\r\n:\r\nContent-Length: 2\r\n\r\nab", 400,
	      E400(SECTION_CUT)),
	    S("POST /len HTTP/1.1\nHost: x\n:\nContent-Length: 2\n\nab", 400, E400(SECTION_CUT)),
	    /* as the first field line it is a field of an empty name */
	    S("POST /len HTTP/1.1\r\n: v\r\nHost: x\r\nContent-Length: 2\r\n\r\nab", 400,
	      E400("malformed header field")),
	    /* a NUL cut a value short, the rest of its line unseen: in a middle line, the last */
	    S("POST /len HTTP/1.1\r\nHost: x\r\nX: a\0Transfer-Encoding: chunked\r\n"
	      "Content-Length: 2\r\n\r\nab",
	      400, E400(SECTION_CUT)),
	    S("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nX: a\0b\r\n\r\nab", 400,
	      E400(SECTION_CUT)),
	    S("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nX: a\0\r\n\r\nab", 400,
	      E400(SECTION_CUT)),
	    /* line endings mixed: after the request line, between fields, at the end */
	    S("POST /len HTTP/1.1\nHost: x\r\nContent-Length: 2\r\n\r\nab", 400, E400(SECTION_CUT)),
	    S("POST /len HTTP/1.1\r\nHost: x\nContent-Length: 2\r\n\r\nab", 400, E400(SECTION_CUT)),
	    S("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\nab", 400, E400(SECTION_CUT)),
	    S("POST /len HTTP/1.0\r\n\nab", 400, E400(SECTION_CUT)),
	    /* obs-fold of any field (RFC 9112 §5.2), not only of the framing fields above */
	    S("POST /len HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\nContent-Length: 2\r\n\r\nab", 400,
	      E400(SECTION_FOLDED)),
	    S("POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nX-A: b\r\n\tc\r\n\r\nab", 400,
	      E400(SECTION_FOLDED)),
	    /* bare LF throughout is a request (RFC 9112 §2.2 lets a recipient take it) */
	    S("POST /len HTTP/1.1\nHost: x\nContent-Length: 2\n\nab", 200, "2"),
	    S("POST /len HTTP/1.1\nHost: x\nX:\nY: \t\nContent-Length: 2\n\nab", 200, "2"),
	    /* what is allowed still passes: any token character in a name, tab and obs-text in a
	     * value, whitespace around it */
	    O("POST /len HTTP/1.1\r\nhost: x\r\nX-Tok!#$%&'*+-.^_`|~09: \t a\tb \xe9\xff \r\n"
	      "content-length:2\r\n\r\nab",
	      200, "2"),
	};
#undef G
#undef O
#undef S
#undef E400
#undef SECTION_CUT
#undef SECTION_FOLDED

	bool layout = strcmp(MHD_get_version(), "0.9.75") == 0;
	if (!layout)
		print_message("libmicrohttpd %s: the header section's layout is not checked\n",
		              MHD_get_version());
	for (size_t i = 0; i < ORSP_ARRAY_LEN(garbage); i++) {
		if (garbage[i].section && !layout)
			continue;
		size_t n =
		    raw_exchange(port, garbage[i].req, garbage[i].len, true, resp, sizeof(resp));
		char what[32];
		snprintf(what, sizeof(what), "request %zu", i);
		if (garbage[i].status) {
			assert_one_answer(what, resp, n, garbage[i].status, garbage[i].body);
		} else if (garbage[i].want) {
			if (strncmp(resp, garbage[i].want, strlen(garbage[i].want)) != 0)
				fail_msg("request %zu: want \"%s\", got \"%.40s\"", i,
				         garbage[i].want, resp);
		} else if (n) {
			/* closed without an answer, or at most with an error */
			assert_true(strncmp(resp, "HTTP/1.1 4", 10) == 0);
		}
	}
	/* Huge header block (beyond libmicrohttpd's per-connection memory): an error or a close
	 * (the server may close while the block is still being sent). */
	{
		size_t big = 64 * 1024, n;
		char *req = malloc(big);
		assert_non_null(req);
		int k = snprintf(req, big, "POST /len HTTP/1.1\r\nHost: x\r\nX-Big: ");
		memset(req + k, 'a', big - (size_t)k - 4);
		memcpy(req + big - 4, "\r\n\r\n", 4);
		n = raw_exchange(port, req, big, true, resp, sizeof(resp));
		free(req);
		if (n)
			assert_true(strncmp(resp, "HTTP/1.1 4", 10) == 0);
	}
	/* A header section of 100 fields and 20 KiB, past the read buffer libmicrohttpd starts with
	 * (half its 32 KiB per connection), sent in one piece and in pieces: libmicrohttpd grows
	 * its read buffer in place under the lines read so far, so section_field finds them where
	 * they were sent (200, with CRLF and with LF alone). */
	for (int lf = 0; lf <= 1; lf++) {
		for (int drip = 0; drip <= 1; drip++) {
			const char *eol = lf ? "\n" : "\r\n";
			char req[24576];
			int k =
			    snprintf(req, sizeof(req), "POST /len HTTP/1.1%sHost: x%s", eol, eol);
			for (int f = 0; f < 100; f++)
				k += snprintf(req + k, sizeof(req) - (size_t)k, "X-F%02d: %0200d%s",
				              f, f, eol);
			k += snprintf(req + k, sizeof(req) - (size_t)k, "Content-Length: 2%s%sab",
			              eol, eol);
			assert_true(k > 20 * 1024 && (size_t)k < sizeof(req));
			/* in pieces of 97 bytes, 0.2 ms apart: lines cut anywhere */
			size_t n = raw_exchange_in(port, req, (size_t)k, true, drip ? 97 : 0, resp,
			                           sizeof(resp));
			assert_one_answer(lf ? "100 fields, LF" : "100 fields, CRLF", resp, n, 200,
			                  "2");
		}
	}
	/* A header section of 33 KiB: above libmicrohttpd's default pool of 32 KiB (431), within
	 * the server's, 32 KiB and a page (conn_pool_size: a pool libmicrohttpd maps) */
	{
		static char req[36 * 1024];
		int k = snprintf(req, sizeof(req), "POST /len HTTP/1.1\r\nHost: x\r\n");
		for (int f = 0; f < 11; f++)
			k += snprintf(req + k, sizeof(req) - (size_t)k, "X-F%02d: %03100d\r\n", f,
			              f);
		k += snprintf(req + k, sizeof(req) - (size_t)k, "Content-Length: 2\r\n\r\nab");
		assert_true(k > 33 * 1024 && (size_t)k < sizeof(req));
		size_t n = raw_exchange(port, req, (size_t)k, true, resp, sizeof(resp));
		assert_one_answer("a 33 KiB header section", resp, n, 200, "2");
	}

	/* Still serving; the hook saw the request with its status. A %-encoded newline in the path
	 * is decoded by libmicrohttpd and sanitised for the log line. */
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "abc", 3, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	/* answered by the server, no handler ran */
	hook_request(c, port, "/a%0Ab", "/a?b", 404, false);
	/* a decoded space would separate fields of the client's in the line */
	hook_request(c, port, "/x%20status=200%20client=10.0.0.1", "/x?status=200?client=10.0.0.1",
	             404, false);
	/* Routes are exact: an encoded NUL is not decoded, so it does not cut the path short
	 * (the route /len answered /len%00x and the log showed /len); other escapes are. */
	hook_request(c, port, "/len%00x", "/len%00x", 404, false);
	hook_request(c, port, "/len%00", "/len%00", 404, false);
	hook_request(c, port, "/l%65%6E", "/len", 200, true);
	/* a request a handler answered (also with an error status) says so */
	hook_request(c, port, "/fail", "/fail", 500, true);
	orsp_http_client_free(c);
	orsp_http_server_stop(srv, 2000);
}

/* RFC 9112 §6.3: a request whose last transfer coding is not chunked has no knowable length;
 * it gets 400 and the connection is closed, at once, before any body is read, and a request
 * pipelined after it is not answered. (libmicrohttpd read everything after the headers as the
 * body, the pipelined request with it, and nothing was answered until the request deadline:
 * raw_exchange's 2 s failed.) Exactly "chunked", in any case, is decoded, and the request
 * pipelined after it is answered too. No half-close: a client waiting for its answer keeps
 * the connection open. */
static void test_transfer_coding(void **state)
{
	(void)state;
	static const char *const refused[] = {
	    "identity",
	    "chunked, identity",
	    "chunked, chunked",
	    "chunked ",
	    "gzip",
	    ", chunked",
	    "gzip,, chunked",
	    "gzip, chunked ",
	    "chunked , chunked",
	    "gzip, chunked\t, chunked",
	    "a b, chunked",
	    "gzip, chunked, chunked",
	    "gzip;q, chunked",
	    "gzip;=1, chunked",
	    "gzip;q=, chunked",
	    "gzip;q=\"1, chunked",
	    "gzip;q=\"a\"b, chunked",
	    "gzip;;q=1, chunked",
	    "gzip;q=1",
	    "chunked;q=1",
	    "gzip, chunked;q=1",
	    /* RFC 9112 §6.1: codings this server does not decode, chunked last: 501 */
	    "gzip, chunked",
	    "gzip,chunked",
	    "x-foo, gzip, CHUNKED",
	    "gzip\t,\tchunked",
	    /* with parameters, RFC 9112 §7.3 */
	    "gzip;q=1, chunked",
	    "gzip ; q = 1 , chunked",
	    "x-foo;a=\"b,\\\";c\";d=e, chunked",
	};
	const size_t not_implemented = 7; /* the last ones */
	static const char *const accepted[] = {"chunked", "Chunked", "CHUNKED", "  chunked"};
	static const char next[] = "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
	                           "Connection: close\r\n\r\nx";
	orsp_http_server *srv = start_plain(64);
	uint16_t port = orsp_http_server_port(srv);
	char req[512], resp[4096];
	size_t n, len;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(refused) + ORSP_ARRAY_LEN(accepted); i++) {
		bool ok = i >= ORSP_ARRAY_LEN(refused);
		const char *te = ok ? accepted[i - ORSP_ARRAY_LEN(refused)] : refused[i];
		int k = snprintf(req, sizeof(req),
		                 "POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: %s\r\n\r\n"
		                 "2\r\nab\r\n0\r\n\r\n%s",
		                 te, next);
		assert_true(k > 0 && (size_t)k < sizeof(req));
		n = raw_exchange(port, req, (size_t)k, false, resp, sizeof(resp));
		if (!ok) {
			bool e501 = i >= ORSP_ARRAY_LEN(refused) - not_implemented;
			if (strncmp(resp, e501 ? "HTTP/1.1 501" : "HTTP/1.1 400", 12) != 0 ||
			    !strstr(resp, e501 ? "transfer coding not implemented"
			                       : "transfer coding not supported") ||
			    !strstr(resp, "Connection: close\r\n") || strstr(resp + 1, "HTTP/1.1"))
				fail_msg("Transfer-Encoding \"%s\": want one %d and a close, got "
				         "\"%s\"",
				         te, e501 ? 501 : 400, resp);
			continue;
		}
		/* the chunked body (2 bytes), then the pipelined request (1 byte) */
		len = strlen("\r\n\r\n1");
		if (strncmp(resp, "HTTP/1.1 200", 12) != 0 ||
		    !strstr(resp, "\r\n\r\n2HTTP/1.1 200") || n < len ||
		    strcmp(resp + n - len, "\r\n\r\n1") != 0)
			fail_msg("Transfer-Encoding \"%s\": want two 200 (2, 1), got \"%s\"", te,
			         resp);
	}
	/* RFC 9112 §6.1: a Transfer-Encoding in an HTTP/1.0 request is faulty framing: 400 and a
	 * close, the request pipelined after it not answered. libmicrohttpd decoded the body as
	 * chunked and answered 200, with keep-alive asked for the pipelined request too. */
	static const char *const http10[] = {
	    "POST /len HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n",
	    ("POST /len HTTP/1.0\r\nHost: x\r\nConnection: Keep-Alive\r\nTransfer-Encoding: "
	     "CHUNKED\r\n\r\n"),
	    "POST /len HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(http10); i++) {
		int k = snprintf(req, sizeof(req), "%s2\r\nab\r\n0\r\n\r\n%s", http10[i], next);
		assert_true(k > 0 && (size_t)k < sizeof(req));
		char what[32];
		snprintf(what, sizeof(what), "HTTP/1.0 request %zu", i);
		n = raw_exchange(port, req, (size_t)k, false, resp, sizeof(resp));
		assert_one_answer(what, resp, n, 400,
		                  "{\"status\":400,\"error\":\"transfer coding in an HTTP/1.0 "
		                  "request\"}");
		assert_non_null(strstr(resp, "\r\nConnection: close\r\n"));
	}
	orsp_http_server_stop(srv, 2000);
}

/* A request's head (request line and fields) before "Content-Length: 1", the body "x", and
 * the answer expected. */
typedef struct head_case {
	const char *head;
	int status;
	const char *body;
} head_case;

/* Each case on a connection of its own to a new server: its one answer, and a 400 closes the
 * connection. */
static void head_cases_answered(const head_case *cases, size_t n_cases)
{
	orsp_http_server *srv = start_plain(64);
	uint16_t port = orsp_http_server_port(srv);
	char req[512], resp[4096], what[32];

	for (size_t i = 0; i < n_cases; i++) {
		int k = snprintf(req, sizeof(req), "%sContent-Length: 1\r\n\r\nx", cases[i].head);
		assert_true(k > 0 && (size_t)k < sizeof(req));
		snprintf(what, sizeof(what), "request %zu", i);
		size_t n = raw_exchange(port, req, (size_t)k, true, resp, sizeof(resp));
		assert_one_answer(what, resp, n, cases[i].status, cases[i].body);
		if (cases[i].status == 400)
			assert_non_null(strstr(resp, "\r\nConnection: close\r\n"));
	}
	orsp_http_server_stop(srv, 2000);
}

/* RFC 9112 §3.2: an HTTP/1.1 request without Host, and any request with more than one, get
 * 400 (and the connection closed, the body not read); HTTP/1.0 needs none, an empty one is
 * allowed (libmicrohttpd checked neither: each got 200). */
static void test_host_field(void **state)
{
	(void)state;
	static const char none[] = "{\"status\":400,\"error\":\"no Host field\"}";
	static const char two[] = "{\"status\":400,\"error\":\"more than one Host field\"}";
	static const head_case cases[] = {
	    {"POST /len HTTP/1.1\r\n", 400, none},
	    {"POST /len HTTP/1.1\r\nX-Host: x\r\n", 400, none},
	    {"POST /len HTTP/1.2\r\n", 400, none},
	    {"POST /len HTTP/1.1\r\nHost: a\r\nHost: b\r\n", 400, two},
	    {"POST /len HTTP/1.1\r\nHost: a\r\nhost: a\r\n", 400, two},
	    {"POST /len HTTP/1.0\r\nHost: a\r\nHOST: b\r\n", 400, two},
	    {"POST /len HTTP/1.1\r\nHost: a\r\nConnection: close\r\n", 200, "1"},
	    {"POST /len HTTP/1.1\r\nHost:\r\nConnection: close\r\n", 200, "1"},
	    {"POST /len HTTP/1.0\r\n", 200, "1"},
	};

	head_cases_answered(cases, ORSP_ARRAY_LEN(cases));
}

/* A field the handlers read as one value (Authorization, Content-Type, X-Admin-Protocol) that
 * comes twice, in any case: 400, the connection closed (until session 78 the first was taken,
 * where a gateway in front may have judged the last: the ES2+ auth review). One of each, and
 * list fields twice (X-Forwarded-For, Accept), are served. */
static void test_single_fields(void **state)
{
	(void)state;
#define POST_HOST "POST /len HTTP/1.1\r\nHost: a\r\n"
	static const head_case cases[] = {
	    {POST_HOST "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n", 400,
	     "{\"status\":400,\"error\":\"more than one Authorization field\"}"},
	    {POST_HOST "authorization: Bearer a\r\nX-A: 1\r\nAUTHORIZATION: Bearer a\r\n", 400,
	     "{\"status\":400,\"error\":\"more than one Authorization field\"}"},
	    {POST_HOST "Content-Type: application/json\r\ncontent-type: text/plain\r\n", 400,
	     "{\"status\":400,\"error\":\"more than one Content-Type field\"}"},
	    {POST_HOST "X-Admin-Protocol: gsma/rsp/v2.2.0\r\nX-Admin-Protocol: gsma/rsp/v3.0.0\r\n",
	     400, "{\"status\":400,\"error\":\"more than one X-Admin-Protocol field\"}"},
	    {POST_HOST "Authorization: Bearer a\r\nContent-Type: application/json\r\n"
	               "X-Admin-Protocol: gsma/rsp/v2.2.0\r\nAccept: a\r\nAccept: b\r\n"
	               "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-For: 192.0.2.2\r\n"
	               "Connection: close\r\n",
	     200, "1"},
	};
#undef POST_HOST

	head_cases_answered(cases, ORSP_ARRAY_LEN(cases));
}

/* RFC 9112 §3.2.2: a server must accept a target in absolute form; the scheme (http or https,
 * any case) and authority are not part of the path routed (a 404 before). They are kept as
 * sent, a "%2F" there too, so the path starts where it did; the path is decoded as usual (%00
 * kept), and the log shows the whole target but a userinfo's (user name and password). A target
 * that is neither a path nor the absolute form as sent, one that only decodes to either included,
 * gets 400 (a proxy in front matching paths sees no path in it: "%2Flen" was routed to /len). So
 * does a target with whitespace, a control character or a NUL as sent (RFC 9112 §3.2; "/len\0junk"
 * was routed to /len, "/len x" to the path "/len x"), and a path with an encoded slash or
 * backslash as sent, logged as sent ("/x%2Flen" was routed to the path "/x/len", where a proxy
 * in front reads one segment "x%2Flen"). */
static void test_request_target(void **state)
{
	(void)state;
	static const char not_found[] = "{\"status\":404,\"error\":\"not found\"}";
	static const char invalid[] = "{\"status\":400,\"error\":\"invalid request target\"}";
	static const char split[] =
	    "{\"status\":400,\"error\":\"encoded slash or backslash in the request path\"}";
	static const struct {
		const char *target, *log; /* as sent; as the log hook sees it */
		int status;
		const char *body;
		size_t len; /* of target, when it holds a NUL; 0: strlen */
	} cases[] = {
	    {"http://x/len", "http://x/len", 200, "1", 0},
	    {"HTTPS://h.example:8443/len?a=http://y/z", "HTTPS://h.example:8443/len", 200, "1", 0},
	    {"http://x%2Fy/len", "http://x%2Fy/len", 200, "1", 0},
	    {"http://x/l%65n", "http://x/len", 200, "1", 0},
	    {"/l%65n", "/len", 200, "1", 0},
	    {"http://x/len%00", "http://x/len%00", 404, not_found, 0},
	    /* an encoded slash or backslash in the path as sent: 400, logged as sent (decoded,
	     * "/x%2Flen" was routed to the path "/x/len"); in the query string it is fine */
	    {"http://x/x%2Flen", "http://x/x%2Flen", 400, split, 0},
	    {"/x%2Flen", "/x%2Flen", 400, split, 0},
	    {"/x%2flen", "/x%2flen", 400, split, 0},
	    {"/x%5Clen", "/x%5Clen", 400, split, 0},
	    {"/x%5clen", "/x%5clen", 400, split, 0},
	    {"/len%2F", "/len%2F", 400, split, 0},
	    {"/len?a=%2F%5c", "/len", 200, "1", 0},
	    {"http://x/l%65n?b=%2f", "http://x/len", 200, "1", 0},
	    {"/x%252Flen", "/x%2Flen", 404, not_found, 0},
	    {"http://x", "http://x", 404, not_found, 0},
	    {"http://x?len", "http://x", 404, not_found, 0},
	    /* a userinfo is not logged: it may hold a password (since session 55) */
	    {"http://u@x/len", "http://-@x/len", 400, invalid, 0},
	    {"http://operator:S3cret@x/len?q", "http://-@x/len", 400, invalid, 0},
	    {"HTTPS://a@b:c@x:1/len", "HTTPS://-@x:1/len", 400, invalid, 0},
	    /* judged as sent: decoded, a "%2F" or "%3F" in a password ended the authority first */
	    {"http://user:se%2Fcret@x/len", "http://-@x/len", 400, invalid, 0},
	    {"http://u:a%3Fb%20c@x/l%65n", "http://-@x/l%65n", 400, invalid, 0},
	    {"http:///len", "http:///len", 400, invalid, 0},
	    {"ftp://x/len", "ftp://x/len", 400, invalid, 0},
	    {"%68ttp://x/len", "http://x/len", 400, invalid, 0},
	    {"%2Flen", "/len", 400, invalid, 0},
	    {"*", "*", 400, invalid, 0},
	    /* whitespace or a control in the target as sent (libmicrohttpd took the target up
	     * to the line's last space), a NUL (it cut the target there: /len was served) */
	    {"/len x", "/len?x", 400, invalid, 0},
	    {"/len\tx", "/len?x", 400, invalid, 0},
	    {"/len\rx", "/len?x", 400, invalid, 0},
	    {"/len\x01", "/len?", 400, invalid, 0},
	    {"/len\x7f", "/len?", 400, invalid, 0},
	    {"/len ", "/len?", 400, invalid, 0},
	    {"/len\0junk", "/len", 400, invalid, 9},
	    {"/len\0?a=b", "/len", 400, invalid, 9},
	    {"http://x/len\0", "http://x/len", 400, invalid, 13},
	    {"/len%20x", "/len?x", 404, not_found, 0},
	    {"/len?a=\x80", "/len", 200, "1", 0},
	};
	static const char head[] = "POST ";
	static const char tail[] = " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	                           "Content-Length: 1\r\n\r\nx";
	orsp_http_server *srv = start_plain(64);
	uint16_t port = orsp_http_server_port(srv);
	char req[256], resp[4096];

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		int seen = 0;
		size_t t = cases[i].len ? cases[i].len : strlen(cases[i].target);
		size_t k = sizeof(head) - 1 + t + sizeof(tail) - 1;
		assert_true(k < sizeof(req));
		memcpy(req, head, sizeof(head) - 1);
		memcpy(req + sizeof(head) - 1, cases[i].target, t);
		memcpy(req + sizeof(head) - 1 + t, tail, sizeof(tail) - 1);
		pthread_mutex_lock(&hooklog.lock);
		snprintf(hooklog.want_path, sizeof(hooklog.want_path), "%s", cases[i].log);
		hooklog.seen = 0;
		pthread_mutex_unlock(&hooklog.lock);
		size_t n = raw_exchange(port, req, k, false, resp, sizeof(resp));
		assert_one_answer(cases[i].target, resp, n, cases[i].status, cases[i].body);
		for (int j = 0; j < 300 && !seen; j++) {
			pthread_mutex_lock(&hooklog.lock);
			seen = hooklog.seen;
			pthread_mutex_unlock(&hooklog.lock);
			if (!seen)
				sleep_ms(10);
		}
		pthread_mutex_lock(&hooklog.lock);
		if (hooklog.seen != 1 || hooklog.status != cases[i].status)
			fail_msg("%s: the log hook saw \"%s\" %d times, status %d", cases[i].target,
			         cases[i].log, hooklog.seen, hooklog.status);
		assert_int_equal(hooklog.handled, cases[i].status == 200);
		hooklog.want_path[0] = 0;
		pthread_mutex_unlock(&hooklog.lock);
	}
	orsp_http_server_stop(srv, 2000);
}

/* RFC 9110 §9.1, RFC 9112 §3: the method is a token followed by one space. A NUL in it
 * ("POST\0X" was served as POST), more than one space before the target (served), or a
 * character that is not a token's (405 before) get 400 and the connection closed. */
static void test_request_method(void **state)
{
	(void)state;
	static const char bad[] = "{\"status\":400,\"error\":\"malformed request line\"}";
	static const char not_allowed[] = "{\"status\":405,\"error\":\"method not allowed\"}";
	static const struct {
		const char *line; /* up to the target */
		size_t len;       /* of line, when it holds a NUL; 0: strlen */
		int status;
		const char *body;
	} cases[] = {
	    {"POST /len", 0, 200, "1"},
	    {"POST\0X /len", 11, 400, bad},
	    {"POST\0 /len", 10, 400, bad},
	    {"POST  /len", 0, 400, bad},
	    {"PO(ST /len", 0, 400, bad},
	    {"PO\x01ST /len", 0, 400, bad},
	    {"POST\x80 /len", 0, 400, bad},
	    {"post /len", 0, 405, not_allowed},
	    {"M-SEARCH /len", 0, 405, not_allowed},
	};
	static const char tail[] = " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	                           "Content-Length: 1\r\n\r\nx";
	orsp_http_server *srv = start_plain(64);
	uint16_t port = orsp_http_server_port(srv);
	char req[256], resp[4096];

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		size_t t = cases[i].len ? cases[i].len : strlen(cases[i].line);
		assert_true(t + sizeof(tail) <= sizeof(req));
		memcpy(req, cases[i].line, t);
		memcpy(req + t, tail, sizeof(tail) - 1);
		size_t n = raw_exchange(port, req, t + sizeof(tail) - 1, false, resp, sizeof(resp));
		assert_one_answer(cases[i].line, resp, n, cases[i].status, cases[i].body);
		if (cases[i].status == 400)
			assert_non_null(strstr(resp, "\r\nConnection: close\r\n"));
	}
	orsp_http_server_stop(srv, 2000);
}

/* RFC 9110 §9.3.2: HEAD on a path routed for GET is answered by the GET route, the header
 * fields (Content-Length of the body included) without the body; the handler sees HEAD. A path
 * with GET lists HEAD in Allow. (HEAD got 405, Allow: GET.) Answers to HEAD never carry a
 * body, 404 and 405 included. */
static void test_head(void **state)
{
	(void)state;
	static const struct {
		const char *req, *status_line, *has; /* has: a header field the answer has */
		const char *body;                    /* what GET would get; NULL: none */
	} cases[] = {
	    {"HEAD /get", "HTTP/1.1 200 ", "\r\nX-Method: HEAD\r\nContent-Length: 4\r\n", NULL},
	    {"GET /get", "HTTP/1.1 200 ", "\r\nX-Method: GET\r\n", "GET"},
	    {"POST /get", "HTTP/1.1 405 ", "\r\nAllow: GET, HEAD\r\n",
	     "{\"status\":405,\"error\":\"method not allowed\"}"},
	    {"HEAD /len", "HTTP/1.1 405 ", "\r\nAllow: POST, PUT\r\n", NULL},
	    {"HEAD /nope", "HTTP/1.1 404 ", "\r\nContent-Type: application/json\r\n", NULL},
	};
	orsp_http_server *srv = start_plain(64);
	uint16_t port = orsp_http_server_port(srv);
	char req[128], resp[4096];

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		int k =
		    snprintf(req, sizeof(req),
		             "%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", cases[i].req);
		assert_true(k > 0 && (size_t)k < sizeof(req));
		size_t n = raw_exchange(port, req, (size_t)k, false, resp, sizeof(resp));
		const char *end = strstr(resp, "\r\n\r\n");
		if (strncmp(resp, cases[i].status_line, strlen(cases[i].status_line)) != 0 ||
		    !end || !strstr(resp, cases[i].has) || strstr(end, cases[i].has))
			fail_msg("%s: want %s with %s, got \"%s\"", cases[i].req,
			         cases[i].status_line, cases[i].has, resp);
		if (cases[i].body)
			assert_one_answer(cases[i].req, resp, n, atoi(cases[i].status_line + 9),
			                  cases[i].body);
		else if ((size_t)(end + 4 - resp) != n)
			fail_msg("%s: want no body, got \"%s\"", cases[i].req, end + 4);
	}
	orsp_http_server_stop(srv, 2000);
}

/* An early answer (before the body: 400 for the framing, 404, 405, 413 above the drop limit)
 * is sent with Connection: close, none of the body is read (the log counts 0 bytes) and the
 * connection is closed, while the client keeps its side open and, for the 413, has sent only
 * the start of its body. (The docs said the body was still read and dropped, up to
 * 2 × max_body + 64 KiB, and counted: it never was.) */
static void test_early_answer_body_not_read(void **state)
{
	(void)state;
	static const struct {
		const char *req, *path, *want;
		int status;
	} early[] = {
	    {"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", "/nope",
	     "HTTP/1.1 404", 404},
	    {"GET /len HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", "/len",
	     "HTTP/1.1 405", 405},
	    {"POST /len HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\nabcde", "/len",
	     "HTTP/1.1 400", 400},
	    /* max_body 64: the drop limit is 2 × 64 + 64 KiB */
	    {"POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n0123456789", "/len",
	     "HTTP/1.1 413", 413},
	    /* the largest lengths libmicrohttpd takes, 2^64 - 2 and 2^64 - 1: the same 413 at once
	     * (those from 2^64 - 6 on were not read as numbers, so no 413: the body was read
	     * until the request deadline or the drop limit, then closed without an answer) */
	    {"POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551614\r\n\r\n01234",
	     "/len", "HTTP/1.1 413", 413},
	    {"POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551615\r\n\r\n01234",
	     "/len", "HTTP/1.1 413", 413},
	    /* within the drop limit, but the client waits for 100 Continue and sends nothing
	     * before: answered at once (it got 100 Continue, then nothing within 2 s) */
	    {"POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n",
	     "/len", "HTTP/1.1 413", 413},
	    {"POST /len HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 65\r\n\r\n",
	     "/len", "HTTP/1.1 413", 413},
	};
	orsp_http_server *srv = start_plain(64);
	uint16_t port = orsp_http_server_port(srv);
	char resp[4096];

	for (size_t i = 0; i < ORSP_ARRAY_LEN(early); i++) {
		int seen = 0;

		pthread_mutex_lock(&hooklog.lock);
		snprintf(hooklog.want_path, sizeof(hooklog.want_path), "%s", early[i].path);
		hooklog.seen = 0;
		pthread_mutex_unlock(&hooklog.lock);
		/* raw_exchange fails unless the server closes within 2 s */
		raw_exchange(port, early[i].req, strlen(early[i].req), false, resp, sizeof(resp));
		if (strncmp(resp, early[i].want, strlen(early[i].want)) != 0 ||
		    !strstr(resp, "Connection: close\r\n"))
			fail_msg("request %zu: want \"%s\" with Connection: close, got \"%.60s\"",
			         i, early[i].want, resp);
		for (int k = 0; k < 300 && !seen; k++) {
			pthread_mutex_lock(&hooklog.lock);
			seen = hooklog.seen;
			pthread_mutex_unlock(&hooklog.lock);
			if (!seen)
				sleep_ms(10);
		}
		pthread_mutex_lock(&hooklog.lock);
		assert_int_equal(hooklog.seen, 1);
		assert_int_equal(hooklog.status, early[i].status);
		assert_true(hooklog.completed);
		assert_false(hooklog.handled);
		assert_int_equal(hooklog.body_len, 0);
		hooklog.want_path[0] = 0;
		pthread_mutex_unlock(&hooklog.lock);
	}
	orsp_http_server_stop(srv, 2000);
}

static int raw_socket(void)
{
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static void raw_connect_fd(int fd, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

static int raw_connect(uint16_t port)
{
	int fd = raw_socket();
	raw_connect_fd(fd, port);
	return fd;
}

/* POST path with a one-byte body on fd. */
static void raw_post(int fd, const char *path)
{
	char req[160];
	int n = snprintf(req, sizeof(req),
	                 "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", path);
	assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
}

/* Read one answer from fd; its body, NUL-terminated, into body. */
static void raw_answer(int fd, char *body, size_t cap)
{
	char buf[2048];
	size_t len = 0;
	const char *end = NULL, *cl;

	/* headers, then Content-Length bytes */
	for (;;) {
		ssize_t got = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		assert_true(got > 0);
		len += (size_t)got;
		buf[len] = 0;
		if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL)
			end += 4;
		if (end && (cl = strstr(buf, "Content-Length:")) != NULL &&
		    len - (size_t)(end - buf) >= strtoul(cl + 15, NULL, 10))
			break;
		assert_true(len < sizeof(buf) - 1);
	}
	snprintf(body, cap, "%s", end);
}

/* Everything fd receives until the server closes it (each read within the 5 s receive
 * timeout), NUL-terminated into out. */
static void read_to_close(int fd, char *out, size_t cap)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = recv(fd, out + len, cap - 1 - len, 0);
		assert_true(n >= 0); /* not the receive timeout: the server closed the connection */
		if (n == 0)
			break;
		len += (size_t)n;
		assert_true(len < cap - 1);
	}
	out[len] = 0;
}

/* orsp_http_server_close_connections (a drain before a stop): from then on the answer on a
 * keep-alive connection carries Connection: close and the connection closes after it, while
 * new connections are still accepted and served, their answers alike. */
static void test_close_connections(void **state)
{
	orsp_http_server *srv = start_plain(0);
	uint16_t port = orsp_http_server_port(srv);
	char body[64], ans[2048];
	int a, b;
	(void)state;

	a = raw_connect(port);
	raw_post(a, "/len");
	raw_answer(a, body, sizeof(body));
	assert_string_equal(body, "1");
	orsp_http_server_close_connections(srv);
	/* the same connection, kept alive so far */
	raw_post(a, "/len");
	read_to_close(a, ans, sizeof(ans));
	assert_true(strncmp(ans, "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(ans, "\r\nConnection: close\r\n"));
	close(a);
	b = raw_connect(port);
	raw_post(b, "/len");
	read_to_close(b, ans, sizeof(ans));
	assert_true(strncmp(ans, "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(ans, "\r\nConnection: close\r\n"));
	assert_non_null(strstr(ans, "\r\n\r\n1"));
	close(b);
	orsp_http_server_close_connections(NULL);
	assert_int_equal(orsp_http_server_stop(srv, 10000), 0);
}

/* The log hook as a thread descheduled between an answer and its connection's close: until
 * it returns libmicrohttpd has not closed the connection (its slot still open). */
static void hook_nap(void *ctx, const orsp_http_log_entry *e)
{
	(void)ctx;
	(void)e;
	sleep_ms(300);
}

/* A server of one thread whose log hook naps (hook_nap), with max_connections_per_ip = 1. */
static orsp_http_server *start_one_per_ip(void)
{
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 1,
	                               .timeout_s = 5,
	                               .max_connections_per_ip = 1,
	                               .on_request = hook_nap};
	assert_ok(orsp_http_server_start(&cfg, &srv));
	return srv;
}

/* During a drain every answer closes its connection, so a keep-alive client connects again
 * at once for its next request: with max_connections_per_ip = 1 that connection must not be
 * refused because the one just answered with Connection: close is not closed yet (the log
 * hook holds it open here, as a busy host does for a moment). */
static void test_close_connections_per_ip(void **state)
{
	orsp_http_server *srv = start_one_per_ip();
	struct timeval tv = {5, 0};
	char body[64], ans[2048];
	int a, b, c;
	(void)state;

	uint16_t port = orsp_http_server_port(srv);
	orsp_http_server_close_connections(srv);
	a = raw_connect(port);
	raw_post(a, "/len");
	raw_answer(a, body, sizeof(body)); /* whole, by its Content-Length */
	assert_string_equal(body, "1");
	b = raw_connect(port);
	assert_int_equal(setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	raw_post(b, "/len");
	read_to_close(b, ans, sizeof(ans));
	assert_true(strncmp(ans, "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(ans, "\r\n\r\n1"));
	close(a);
	close(b);
	/* the limit still holds for a connection whose answer is not out: a second one waiting
	 * beside it is closed at once */
	sleep_ms(500); /* a's and b's closes */
	a = raw_connect(port);
	sleep_ms(100);
	c = raw_connect(port);
	assert_int_equal(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	(void)send(c, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL);
	assert_true(recv(c, ans, sizeof(ans), 0) <= 0);
	close(c);
	close(a);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

/* The same outside a drain, for every answer after which libmicrohttpd closes the
 * connection: the client asked so (Connection: close, among other tokens and in any case;
 * HTTP/1.0 without keep-alive), or an early answer (404 here). Its next connection is served
 * while the log hook still holds the one answered (until session 67 it was closed unanswered
 * with max_connections_per_ip = 1). */
static void test_last_answer_connections_per_ip(void **state)
{
	static const char *const req[] = {
	    "POST /len HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
	    "POST /len HTTP/1.1\r\nHost: x\r\nConnection: TE, Close\r\nContent-Length: 1\r\n\r\nx",
	    "POST /len HTTP/1.0\r\nContent-Length: 1\r\n\r\nx",
	    "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	orsp_http_server *srv = start_one_per_ip();
	struct timeval tv = {5, 0};
	char body[64];
	(void)state;

	uint16_t port = orsp_http_server_port(srv);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(req); i++) {
		int a = raw_connect(port), b;
		assert_int_equal(send(a, req[i], strlen(req[i]), MSG_NOSIGNAL),
		                 (ssize_t)strlen(req[i]));
		raw_answer(a, body, sizeof(body));
		b = raw_connect(port);
		assert_int_equal(setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
		raw_post(b, "/len");
		raw_answer(b, body, sizeof(body));
		if (strcmp(body, "1") != 0)
			fail_msg("request %zu: the next connection got \"%s\"", i, body);
		close(a);
		close(b);
		sleep_ms(800); /* both naps over, both connections closed */
	}
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

/* Request bodies carry confirmation codes and tokens: the server wipes its copy of a body
 * before it frees it. The link wraps free and realloc (-Wl,--wrap, tests/CMakeLists.txt)
 * for this binary's own objects, the server's among them (libmicrohttpd's read buffer is its
 * own): while secret_watch is set, a buffer freed with SECRET_MARKER still in it, or handed
 * to realloc with it (which frees the old block unwiped when it moves it), is counted. */
#define SECRET_MARKER "CC-SECRET-7f3a9e21"
static atomic_int secret_watch;
static atomic_int secret_left;

void __real_free(void *p);
void __wrap_free(void *p);
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static void secret_check(void *p)
{
	if (p && atomic_load(&secret_watch) &&
	    memmem(p, malloc_usable_size(p), SECRET_MARKER, strlen(SECRET_MARKER)))
		atomic_fetch_add(&secret_left, 1);
}

void __wrap_free(void *p)
{
	secret_check(p);
	__real_free(p);
}

void *__wrap_realloc(void *p, size_t n)
{
	secret_check(p);
	return __real_realloc(p, n);
}

/* jansson's allocator for a test of its failure */
static void *json_no_malloc(size_t n)
{
	(void)n;
	return NULL;
}

/* A base64 field that fails to decode at its last quartet (padding bits set) has the bytes
 * before it decoded already: they are wiped before the buffer is freed (a prepareDownloadResponse
 * carries hashCc; they were freed as they were). */
static void test_base64_alloc_failure_wiped(void **state)
{
	char b64[64], text[128];
	uint8_t *out = NULL;
	size_t n = 0;
	json_t *obj = NULL;
	(void)state;

	assert_ok(orsp_base64_encode((const uint8_t *)SECRET_MARKER, strlen(SECRET_MARKER), b64,
	                             sizeof(b64)));
	snprintf(text, sizeof(text), "{\"f\":\"%sQR==\"}", b64);
	assert_ok(orsp_json_parse(text, strlen(text), 4096, &obj));
	atomic_store(&secret_left, 0);
	atomic_store(&secret_watch, 1);
	assert_err(orsp_json_get_base64_alloc(obj, "f", 1024, &out, &n), ORSP_E_MALFORMED,
	           "padding");
	atomic_store(&secret_watch, 0);
	assert_null(out);
	assert_int_equal(atomic_load(&secret_left), 0);
	json_decref(obj);
}

/* POST path on a new connection: head, then the body's first part (the marker in it), a
 * pause that lets the server take it on its own, the second part; the answer's version and
 * status code (the connection closes after it). */
static void post_in_parts(uint16_t port, const char *head, const char *part1, const char *part2,
                          char *status, size_t cap)
{
	int fd = raw_connect(port);
	char resp[1024];
	size_t got = 0;

	assert_int_equal(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
	assert_int_equal(send(fd, part1, strlen(part1), MSG_NOSIGNAL), (ssize_t)strlen(part1));
	sleep_ms(150);
	if (part2[0])
		assert_int_equal(send(fd, part2, strlen(part2), MSG_NOSIGNAL),
		                 (ssize_t)strlen(part2));
	while (got + 1 < sizeof(resp)) {
		ssize_t n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	resp[got] = 0;
	close(fd);
	snprintf(status, cap, "%.12s", resp);
}

static void test_body_wiped(void **state)
{
	(void)state;
	static char part1[601], part2[1001], big1[700], big2[1200];
	char head[160], status[64];
	void *probe;
	orsp_http_server *srv;

	/* the check sees a buffer freed with the marker in it */
	probe = malloc(64);
	assert_non_null(probe);
	snprintf(probe, 64, "x" SECRET_MARKER);
	atomic_store(&secret_watch, 1);
	free(probe);
	assert_int_equal(atomic_load(&secret_left), 1);
	atomic_store(&secret_left, 0);

	/* a body read in one piece, and one in two that outgrows the first buffer */
	memset(part1, 'a', sizeof(part1) - 1);
	memcpy(part1, SECRET_MARKER, strlen(SECRET_MARKER));
	memset(part2, 'b', sizeof(part2) - 1);
	srv = start_plain(0);
	snprintf(
	    head, sizeof(head),
	    "POST /len HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
	    strlen(part1));
	post_in_parts(orsp_http_server_port(srv), head, part1, "", status, sizeof(status));
	assert_string_equal(status, "HTTP/1.1 200");
	snprintf(
	    head, sizeof(head),
	    "POST /len HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
	    strlen(part1) + strlen(part2));
	post_in_parts(orsp_http_server_port(srv), head, part1, part2, status, sizeof(status));
	assert_string_equal(status, "HTTP/1.1 200");
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
	assert_int_equal(atomic_load(&secret_left), 0);

	/* a chunked body that goes beyond max_body after its first part was kept: 413 */
	srv = start_plain(1024);
	snprintf(big1, sizeof(big1), "258\r\n%s\r\n", part1); /* 0x258 = 600 */
	memset(part2, 'c', 1000);
	snprintf(big2, sizeof(big2), "3e8\r\n%s\r\n0\r\n\r\n", part2); /* 0x3e8 = 1000 */
	post_in_parts(orsp_http_server_port(srv),
	              "POST /len HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	              "Transfer-Encoding: chunked\r\n\r\n",
	              big1, big2, status, sizeof(status));
	assert_string_equal(status, "HTTP/1.1 413");
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
	atomic_store(&secret_watch, 0);
	assert_int_equal(atomic_load(&secret_left), 0);
}

/* Expect: 100-continue with a body within max_body: 100 Continue, then the body is read and
 * the handler answers (a larger one is answered 413 at once: test_early_answer_body_not_read). */
static void test_expect_continue(void **state)
{
	(void)state;
	static const char head[] = "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 64\r\n"
	                           "Expect: 100-continue\r\n\r\n";
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	orsp_http_server *srv = start_plain(64);
	int fd = raw_connect(orsp_http_server_port(srv));
	char buf[sizeof(cont)], body[64], data[64];
	size_t got = 0;

	assert_int_equal(send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL), (ssize_t)sizeof(head) - 1);
	while (got < sizeof(cont) - 1) {
		ssize_t n = recv(fd, buf + got, sizeof(cont) - 1 - got, 0);
		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_memory_equal(buf, cont, sizeof(cont) - 1);
	memset(data, 'a', sizeof(data));
	assert_int_equal(send(fd, data, sizeof(data), MSG_NOSIGNAL), (ssize_t)sizeof(data));
	raw_answer(fd, body, sizeof(body));
	assert_string_equal(body, "64");
	close(fd);
	orsp_http_server_stop(srv, 2000);
}

/* Connections are dealt to the polling threads by socket number: with two threads, two
 * connections accepted one after the other land on different threads, and a handler that blocks on
 * one does not hold up a request on the other (with libmicrohttpd's own accept, the first thread
 * awake took both, and the second request waited for the first handler). With one thread,
 * handlers run one at a time. */
static void run_gate(unsigned threads, unsigned wait_ms, const char *want)
{
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = threads,
	                               .timeout_s = 20};
	char body[64];
	int fd1, fd2, i;

	pthread_mutex_lock(&gate.mu);
	gate.open = false;
	gate.wait_ms = wait_ms;
	atomic_store(&gate.waiting, 0);
	pthread_mutex_unlock(&gate.mu);
	assert_ok(orsp_http_server_start(&cfg, &srv));
	/* Both client sockets exist before either connects, so that no descriptor of this
	 * process is made between the server's two accepts: its two sockets get consecutive
	 * numbers, as a server's do when connections come in one after another (the test's
	 * client and server share one descriptor table). */
	fd1 = raw_socket();
	fd2 = raw_socket();
	raw_connect_fd(fd1, orsp_http_server_port(srv));
	raw_connect_fd(fd2, orsp_http_server_port(srv));
	raw_post(fd1, "/gate/wait");
	for (i = 0; i < 1000 && !atomic_load(&gate.waiting); i++)
		sleep_ms(10);
	assert_int_equal(atomic_load(&gate.waiting), 1);
	raw_post(fd2, "/gate/open");
	raw_answer(fd2, body, sizeof(body));
	assert_string_equal(body, "ok");
	raw_answer(fd1, body, sizeof(body));
	assert_string_equal(body, want);
	close(fd1);
	close(fd2);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

/* Connections that are reset at once (SO_LINGER 0) must not slow the accept thread down. Fifty of
 * them, then a request is answered within the client's 5 s. */
static void test_reset_connections(void **state)
{
	(void)state;
	orsp_http_server *srv = start_plain(0);
	uint16_t port = orsp_http_server_port(srv);
	struct linger lg = {1, 0};
	orsp_http_client *c;
	orsp_http_result r;

	for (int i = 0; i < 50; i++) {
		int fd = raw_connect(port);
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
		close(fd);
	}
	c = plain_client(5000);
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "abc", 3, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

/* A slow handler must not stall accepting. Two threads; the server's sockets get chosen numbers
 * (descriptors are taken lowest first: placeholders are closed one at a time before each
 * connect): A, B and C on one thread, D on the other. A's handler sleeps 3 s; B and C queue
 * behind it, D's thread is idle. When the accept thread waited for each connection to be
 * taken over (up to 1 s), B and C cost it 2 s before it accepted D; now D is answered at
 * once. */
static void test_slow_handler_does_not_stall_accept(void **state)
{
	(void)state;
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 2,
	                               .timeout_s = 20};
	int cl[4], ph[16], pick[4], n = 0;
	struct pollfd p[2];
	char body[64];
	uint64_t t0, fastest;

	atomic_store(&slow3.started, 0);
	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	for (int i = 0; i < 4; i++)
		cl[i] = raw_socket();
	for (int i = 0; i < 16; i++) {
		ph[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(ph[i] >= 0);
	}
	/* Three placeholders of one parity, then a greater one of the other. */
	for (int i = 0; i < 16 && n < 4; i++)
		if (n < 3 ? ph[i] % 2 == ph[0] % 2 : ph[i] % 2 != ph[0] % 2)
			pick[n++] = i;
	assert_int_equal(n, 4);

	close(ph[pick[0]]);
	ph[pick[0]] = -1;
	raw_connect_fd(cl[0], port);
	raw_post(cl[0], "/slow3");
	for (int i = 0; i < 500 && !atomic_load(&slow3.started); i++)
		sleep_ms(10);
	assert_int_equal(atomic_load(&slow3.started), 1);
	t0 = mono_ms();
	for (int k = 1; k < 4; k++) {
		close(ph[pick[k]]);
		ph[pick[k]] = -1;
		raw_connect_fd(cl[k], port);
		raw_post(cl[k], "/len");
	}
	/* The first answer of C or D. */
	p[0] = (struct pollfd){.fd = cl[2], .events = POLLIN};
	p[1] = (struct pollfd){.fd = cl[3], .events = POLLIN};
	assert_true(poll(p, 2, 6000) > 0);
	fastest = mono_ms() - t0;
	raw_answer((p[1].revents & POLLIN) ? cl[3] : cl[2], body, sizeof(body));
	assert_string_equal(body, "1");
	assert_true(fastest < 1500);
	/* The others are answered too, A's after its handler. */
	raw_answer(cl[1], body, sizeof(body));
	assert_string_equal(body, "1");
	raw_answer((p[1].revents & POLLIN) ? cl[2] : cl[3], body, sizeof(body));
	assert_string_equal(body, "1");
	raw_answer(cl[0], body, sizeof(body));
	assert_string_equal(body, "done");
	for (int i = 0; i < 4; i++)
		close(cl[i]);
	for (int i = 0; i < 16; i++)
		if (ph[i] >= 0)
			close(ph[i]);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

static void test_connections_dealt_to_threads(void **state)
{
	(void)state;
	run_gate(2, 4000, "opened");
	run_gate(1, 300, "timeout");
}

static orsp_http_conn_stats conn_stats(orsp_http_server *srv)
{
	orsp_http_conn_stats st;
	orsp_http_server_conn_stats(srv, &st);
	return st;
}

/* Until the server counts n connections open (libmicrohttpd notices a close on its own
 * time), at most 5 s. */
static void wait_open_conns(orsp_http_server *srv, unsigned n)
{
	for (int i = 0; i < 500 && conn_stats(srv).open != n; i++)
		sleep_ms(10);
	assert_int_equal(conn_stats(srv).open, n);
}

/* A slot is free again: a request is answered 200 (bounded retries while the server notices
 * a closed connection). */
static void served_after_retries(orsp_http_client *c, uint16_t port)
{
	orsp_http_result r;
	orsp_err e = ORSP_OK;

	for (int i = 0; i < 50; i++) {
		e = orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "x", 1,
		                             &r);
		if (e == ORSP_OK)
			break;
		orsp_http_result_free(&r);
		sleep_ms(20);
	}
	assert_ok(e);
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
}

static void test_connection_limit_and_idle_timeout(void **state)
{
	(void)state;
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 1,
	                               .max_connections = 1,
	                               .timeout_s = 1};
	orsp_http_client *c;
	orsp_http_result r;
	orsp_err e = ORSP_OK;
	char buf[16];
	uint64_t t0;
	int fd;

	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);

	/* One idle connection holds the only slot: a request gets no service meanwhile. */
	fd = raw_connect(port);
	sleep_ms(100);
	c = plain_client(500);
	e = orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "x", 1, &r);
	/* libmicrohttpd stops accepting at the limit: the connection waits in the kernel's
	 * backlog and the client times out. */
	assert_err(e, ORSP_E_IO, "timeout");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_TIMEOUT);
	orsp_http_result_free(&r);

	/* The idle connection is closed by the server after timeout_s (recv sees EOF). */
	t0 = mono_ms();
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	assert_true(mono_ms() - t0 < 4000);
	close(fd);

	/* The slot is free again (bounded retries while the server notices). */
	served_after_retries(c, port);
	orsp_http_client_free(c);
	orsp_http_server_stop(srv, 1000);
}

/* Clients that send their request and close at once, the end of the stream arriving with the
 * request's bytes, before the server first reads the connection: a request cut short in its
 * body, and a whole one. Each slot they took is free again at once, not at the idle timeout
 * (30 s here; with libmicrohttpd's edge-triggered epoll, which MHD_USE_AUTO chose, the end of
 * the stream was never seen and each slot stayed taken until then). Two rounds of such
 * connections on the server's two slots; a request after them is served well within the
 * timeout (the client's own timeout, 5 s, tells "freed" from "held"). */
static void test_closed_at_once_frees_slot(void **state)
{
	(void)state;
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 1,
	                               .max_connections = 2,
	                               .timeout_s = 30};
	static const char cut[] = "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{";
	static const char whole[] = "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx";
	orsp_http_client *c;
	orsp_http_result r;

	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 2; i++) {
			const char *req = i ? whole : cut;
			int fd = raw_connect(port);
			assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL),
			                 (ssize_t)strlen(req));
			close(fd);
		}
		sleep_ms(100);
	}
	c = plain_client(5000);
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "ab", 2, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

/* Slow clients: four connections take every slot (max_connections 4) and send a header line
 * (or one body byte) every 500 ms, which keeps the idle timeout from ever firing. The request
 * deadline closes them, and a fifth client is served; its own timeout (3 x the deadline) only
 * tells "served" from "never served". */
struct drip {
	int fd[4]; /* -1: not dripping */
	bool body;
	atomic_bool stop;
};

static void *drip_main(void *arg)
{
	struct drip *d = arg;
	while (!atomic_load(&d->stop)) {
		for (int i = 0; i < 4; i++)
			if (d->fd[i] >= 0)
				(void)send(d->fd[i], d->body ? "x" : "X-Drip: 1\r\n",
				           d->body ? 1 : 11, MSG_NOSIGNAL);
		sleep_ms(500);
	}
	return NULL;
}

static void run_drip(bool body, unsigned timeout_s, unsigned request_timeout_ms, unsigned client_ms)
{
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 2,
	                               .max_connections = 4,
	                               .timeout_s = timeout_s,
	                               .request_timeout_ms = request_timeout_ms};
	static const char head[] = "POST /len HTTP/1.1\r\nHost: x\r\n";
	static const char head_body[] = "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: "
	                                "100000\r\n\r\n";
	struct drip d = {.body = body};
	struct timeval tv = {1, 0};
	orsp_http_client *c;
	orsp_http_result r;
	pthread_t t;
	char buf[256];

	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	for (int i = 0; i < 4; i++) {
		const char *h = body ? head_body : head;
		d.fd[i] = raw_connect(port);
		assert_int_equal(send(d.fd[i], h, strlen(h), MSG_NOSIGNAL), (ssize_t)strlen(h));
	}
	atomic_init(&d.stop, false);
	assert_int_equal(pthread_create(&t, NULL, drip_main, &d), 0);
	sleep_ms(200);
	c = plain_client(client_ms);
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "ab", 2, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	atomic_store(&d.stop, true);
	pthread_join(t, NULL);
	/* The slow connections were closed, never answered: the end of the stream or a reset,
	 * not the receive timeout of a connection still open. */
	for (int i = 0; i < 4; i++) {
		ssize_t got;
		assert_int_equal(setsockopt(d.fd[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
		got = recv(d.fd[i], buf, sizeof(buf), 0);
		assert_true(got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
		close(d.fd[i]);
	}
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

static void test_slow_clients_request_deadline(void **state)
{
	(void)state;
	run_drip(false, 1, 0, 6000);    /* headers; default deadline 2 x timeout_s */
	run_drip(true, 1, 0, 6000);     /* body */
	run_drip(false, 5, 1000, 3000); /* request_timeout_ms below the idle timeout */
}

/* Idle connections make room for a new one: max_connections 4, a 3 s request deadline, a
 * 10 s idle timeout. The four slots are taken by connections of the given kinds, opened one
 * after another: IDLE_KEPT made one request and stays open (keep-alive), IDLE_NEW sent
 * nothing, IDLE_DRIP sends a header line every 500 ms (a request in progress). A fifth client
 * comes. With an idle connection among them, the one idle the longest (index reset) is reset
 * after being idle idle_ms (0: the default 1 s), and the fifth is answered well before the
 * deadline (before, it waited for the deadline to reset one), while the others stay open.
 * With none (reset -1), no request in progress is cut: the fifth is answered only once the
 * deadline reset the dripping ones (after about 2.8 s here; 1 s if they were taken for
 * idle). */
enum idle_kind { IDLE_KEPT, IDLE_NEW, IDLE_DRIP };

static void run_idle_reset(const enum idle_kind kind[4], int reset, unsigned idle_ms)
{
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 2,
	                               .max_connections = 4,
	                               .timeout_s = 10,
	                               .request_timeout_ms = 3000,
	                               .idle_reset_ms = idle_ms};
	static const char head[] = "POST /len HTTP/1.1\r\nHost: x\r\n";
	struct drip d = {.fd = {-1, -1, -1, -1}};
	bool dripping = false;
	orsp_http_client *c;
	orsp_http_result r;
	orsp_err e;
	uint64_t t0, waited;
	bool closed[4];
	int fd[4];
	pthread_t t;
	char buf[64];
	orsp_http_conn_stats stats;

	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	atomic_init(&d.stop, false);
	for (int i = 0; i < 4; i++) {
		fd[i] = raw_connect(port);
		if (kind[i] == IDLE_KEPT) {
			raw_post(fd[i], "/len");
			raw_answer(fd[i], buf, sizeof(buf));
			assert_string_equal(buf, "1");
		} else if (kind[i] == IDLE_DRIP) {
			assert_int_equal(send(fd[i], head, strlen(head), MSG_NOSIGNAL),
			                 (ssize_t)strlen(head));
			d.fd[i] = fd[i];
			dripping = true;
		}
		sleep_ms(50);
	}
	if (dripping)
		assert_int_equal(pthread_create(&t, NULL, drip_main, &d), 0);
	t0 = mono_ms();
	c = plain_client(10000);
	e = orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "ab", 2, &r);
	waited = mono_ms() - t0;
	stats = conn_stats(srv);
	/* Closed: the end of the stream or a reset; open: nothing to read yet. With none reset
	 * for the newcomer, each is waited for (raw_socket's 5 s): the deadline resets them
	 * within 50 ms of each other. */
	for (int i = 0; i < 4; i++) {
		ssize_t got = recv(fd[i], buf, sizeof(buf), reset < 0 ? 0 : MSG_DONTWAIT);
		closed[i] = got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
	}
	/* the thread stopped before any assertion: a failure leaves it no dangling fd */
	if (dripping) {
		atomic_store(&d.stop, true);
		pthread_join(t, NULL);
	}
	assert_ok(e);
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	/* the first connection was opened about 200 ms before the fifth came */
	if (reset >= 0)
		assert_true(waited < 2500 && (!idle_ms || waited + 400 >= idle_ms));
	else
		assert_true(waited >= 2000);
	for (int i = 0; i < 4; i++)
		if (reset < 0 || i == reset)
			assert_true(closed[i]);
		else
			assert_false(closed[i]);
	/* counted: the five accepted, the one reset for the newcomer (idle) or the four at the
	 * deadline (read once all four were seen closed), none refused */
	if (reset < 0)
		stats = conn_stats(srv);
	assert_int_equal(stats.accepted, 5);
	assert_int_equal(stats.refused, 0);
	assert_int_equal(stats.reset_idle, reset >= 0 ? 1 : 0);
	assert_int_equal(stats.reset_deadline, reset >= 0 ? 0 : 4);
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

static void test_idle_kept_alive_make_room(void **state)
{
	static const enum idle_kind k[4] = {IDLE_KEPT, IDLE_KEPT, IDLE_KEPT, IDLE_KEPT};
	(void)state;
	run_idle_reset(k, 0, 0);
}

static void test_idle_new_make_room(void **state)
{
	static const enum idle_kind k[4] = {IDLE_NEW, IDLE_NEW, IDLE_NEW, IDLE_NEW};
	(void)state;
	run_idle_reset(k, 0, 0);
}

/* idle_reset_ms: the connection idle the longest is reset once it has been idle that long
 * (1.5 s, here), not after the default 1 s */
static void test_idle_reset_setting(void **state)
{
	static const enum idle_kind k[4] = {IDLE_KEPT, IDLE_KEPT, IDLE_KEPT, IDLE_KEPT};
	(void)state;
	run_idle_reset(k, 0, 1500);
}

/* ORSP_HTTP_IDLE_RESET_NEVER: no idle connection is reset for the newcomer; it is answered only
 * once the request deadline reset the four (their next request did not come within it) */
static void test_idle_reset_never(void **state)
{
	static const enum idle_kind k[4] = {IDLE_KEPT, IDLE_NEW, IDLE_KEPT, IDLE_NEW};
	(void)state;
	run_idle_reset(k, -1, ORSP_HTTP_IDLE_RESET_NEVER);
}

static void test_request_in_progress_not_reset(void **state)
{
	static const enum idle_kind k[4] = {IDLE_DRIP, IDLE_DRIP, IDLE_DRIP, IDLE_DRIP};
	(void)state;
	run_idle_reset(k, -1, 0);
}

static void test_idle_one_chosen(void **state)
{
	static const enum idle_kind k[4] = {IDLE_DRIP, IDLE_DRIP, IDLE_DRIP, IDLE_KEPT};
	(void)state;
	run_idle_reset(k, 3, 0);
}

/* A request that came while the connection's polling thread runs another's handler is not
 * read yet, so no request line marks its connection busy: the bytes in its socket do. One
 * thread, max_connections 4: A, B and C made a request each and are idle (A the longest), D
 * runs a 3 s handler; A sends a request meanwhile. After A's idle second a fifth client comes:
 * B is reset for it, not A, whose request is answered after D's handler. */
static void test_unread_request_not_reset(void **state)
{
	(void)state;
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 1,
	                               .max_connections = 4,
	                               .timeout_s = 10,
	                               .request_timeout_ms = 5000};
	orsp_http_client *c;
	orsp_http_result r;
	char body[64];
	int fd[4];
	ssize_t got;

	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	atomic_store(&slow3.started, 0);
	for (int i = 0; i < 4; i++) {
		fd[i] = raw_connect(port);
		raw_post(fd[i], i < 3 ? "/len" : "/slow3");
		if (i < 3) {
			raw_answer(fd[i], body, sizeof(body));
			assert_string_equal(body, "1");
		}
		sleep_ms(50);
	}
	for (int i = 0; i < 500 && !atomic_load(&slow3.started); i++)
		sleep_ms(10);
	assert_int_equal(atomic_load(&slow3.started), 1);
	raw_post(fd[0], "/len");
	sleep_ms(1000);
	c = plain_client(10000);
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "ab", 2, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	raw_answer(fd[0], body, sizeof(body));
	assert_string_equal(body, "1");
	got = recv(fd[1], body, sizeof(body), MSG_DONTWAIT);
	assert_true(got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
	got = recv(fd[2], body, sizeof(body), MSG_DONTWAIT);
	assert_true(got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	raw_answer(fd[3], body, sizeof(body));
	assert_string_equal(body, "done");
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

/* libmicrohttpd's own messages quote the client's bytes: 0.9.75 logs the target of a request
 * whose answer it could not send, as unescape decoded it. The route's handler waits until the
 * client has reset the connection, so the answer's first write fails; its target holds %0A and
 * %1B and is longer than the line. The line that reaches stderr is printable ASCII (a '?' for
 * each control byte) and cut, "..." at its end. */
#define FORGED_PATH "/x\n\x1b[31mforged"
static void test_mhd_log_sanitised(void **state)
{
	static struct gate_ctx g = {.mu = PTHREAD_MUTEX_INITIALIZER, .wait_ms = 5000};
	static const struct linger rst = {.l_onoff = 1, .l_linger = 0};
	char path[400], target[400], req[600], log_path[4200];
	orsp_http_route route = {"GET", path, h_gate_wait, &g};
	orsp_http_server_config cfg = {
	    .address = "127.0.0.1", .routes = &route, .n_routes = 1, .threads = 1, .timeout_s = 5};
	orsp_log_level level = orsp_log_get_level();
	orsp_http_server *srv = NULL;
	char *text = NULL, *line;
	size_t n = 0;
	int saved, fd;

	(void)state;
	assert_int_equal(orsp_cond_init_monotonic(&g.cv), 0); /* for orsp_deadline_ms */
	snprintf(path, sizeof(path), "%s%0300d", FORGED_PATH, 0);
	snprintf(target, sizeof(target), "/x%%0A%%1B[31mforged%0300d", 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
	snprintf(log_path, sizeof(log_path), "%s/stderr.txt", test_tmpdir("http_mhd_log"));
	assert_int_equal(fflush(stderr), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	orsp_log_set_level(ORSP_LOG_INFO);

	assert_ok(orsp_http_server_start(&cfg, &srv));
	fd = raw_connect(orsp_http_server_port(srv));
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	for (int i = 0; i < 500 && !atomic_load(&g.waiting); i++)
		sleep_ms(10);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst)), 0);
	close(fd);
	sleep_ms(100);
	pthread_mutex_lock(&g.mu);
	g.open = true;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	/* the line is written before the request's completion, which the stop waits for */
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);

	fflush(stderr);
	orsp_log_set_level(level);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_int_equal(atomic_load(&g.waiting), 1);
	text = (char *)test_read_file(log_path, &n);
	/* no control byte anywhere, nor the forged line on its own */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\n')
			fail_msg("control byte 0x%02x at %zu", (unsigned char)text[i], i);
	for (line = text; line; line = strchr(line + 1, '\n'))
		if (strncmp(line + (*line == '\n'), "[31mforged", 10) == 0)
			fail_msg("a line of the client's: '%.40s'", line);
	line = strstr(text, "http: libmicrohttpd: Failed to send");
	if (!line)
		fail_msg("no message of libmicrohttpd's quoting the target in '%s'", text);
	n = strcspn(line, "\n");
	if (!memmem(line, n, "for the request for `/x??[31mforged000", 38) ||
	    n != strlen("http: libmicrohttpd: ") + 255 || memcmp(line + n - 6, "000...", 6) != 0)
		fail_msg("'%.*s'", (int)n, line);
	free(text);
	pthread_cond_destroy(&g.cv);
}

/* A request cut short in its header block, by its client leaving or by the request deadline
 * (the slow client dripping header lines), or refused by libmicrohttpd itself (a Content-Length
 * it cannot parse), still gets its log entry: status 0, not completed, no handler, method "-"
 * (not known before the headers are in), the path as sent without the query string. Before,
 * the server allocated its request state only when the headers were in and logged nothing for
 * these: a header slowloris left no trace in the log or in the SM-DP+'s metrics. */
static void test_cut_in_headers_logged(void **state)
{
	(void)state;
	orsp_http_server_config cfg = {
	    .address = "127.0.0.1",
	    .routes = routes,
	    .n_routes = ORSP_ARRAY_LEN(routes),
	    .timeout_s = 5,
	    .request_timeout_ms = 500,
	    .threads = 2,
	    .on_request = hook,
	    .hook_ctx = &hooklog,
	};
	static const struct {
		const char *req;
		const char *path;
		bool drip;
	} cases[] = {
	    {"POST /cut1?k=v HTTP/1.1\r\nHost: x\r\n", "/cut1", false},
	    {"POST /cut2 HTTP/1.1\r\nHost: x\r\n", "/cut2", true},
	    {"POST /cut3 HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\nab", "/cut3", false},
	};
	orsp_http_server *srv = NULL;
	char buf[512];

	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		int fd;
		pthread_mutex_lock(&hooklog.lock);
		snprintf(hooklog.want_path, sizeof(hooklog.want_path), "%s", cases[i].path);
		hooklog.seen = 0;
		pthread_mutex_unlock(&hooklog.lock);
		fd = raw_connect(port);
		assert_int_equal(send(fd, cases[i].req, strlen(cases[i].req), MSG_NOSIGNAL),
		                 (ssize_t)strlen(cases[i].req));
		if (cases[i].drip) {
			/* a header line every 100 ms until the deadline resets the connection */
			for (int k = 0; k < 50 && send(fd, "X: y\r\n", 6, MSG_NOSIGNAL) == 6; k++)
				sleep_ms(100);
		} else {
			sleep_ms(100);
			(void)recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		}
		close(fd);
		if (hook_wait() != 1)
			fail_msg("case %zu: the hook saw %s %d times", i, cases[i].path,
			         hooklog.seen);
		pthread_mutex_lock(&hooklog.lock);
		assert_string_equal(hooklog.method, "-");
		assert_int_equal(hooklog.status, 0);
		assert_false(hooklog.handled);
		assert_int_equal(hooklog.body_len, 0);
		hooklog.want_path[0] = 0;
		pthread_mutex_unlock(&hooklog.lock);
	}
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

/* The request deadline counts the client's time, not the server's: one thread, connection B's
 * whole request arrives while the thread runs connection A's 3 s handler, past B's 1 s
 * deadline; B is still answered (the deadline moved by the thread's handler time). */
static void test_deadline_not_server_time(void **state)
{
	(void)state;
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 1,
	                               .timeout_s = 10,
	                               .request_timeout_ms = 1000};
	char body[64];
	int a, b;

	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	b = raw_connect(port);
	a = raw_connect(port);
	sleep_ms(100);
	raw_post(a, "/slow3");
	sleep_ms(200);
	raw_post(b, "/len");
	raw_answer(b, body, sizeof(body));
	assert_string_equal(body, "1");
	raw_answer(a, body, sizeof(body));
	assert_string_equal(body, "done");
	close(a);
	close(b);
	orsp_http_server_stop(srv, 1000);
}

/* Slow readers. /big answers more than loopback's socket buffers hold: the sender's buffer
 * grows up to tcp_wmem's maximum (4 MiB by default) and the test's readers keep theirs small
 * (SO_RCVBUF before connect), so the server is still sending while a client reads slowly. */
struct big_answer {
	uint8_t *body;
	size_t len;
	atomic_uint_fast64_t queued_ms;    /* the handler's last run */
	atomic_uint_fast64_t completed_ms; /* the last /big request's completion (the hook) */
};

static struct big_answer big_ans;

static orsp_err h_big(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	struct big_answer *b = ctx;
	(void)req;
	atomic_store(&b->queued_ms, mono_ms());
	return orsp_http_response_set_body(resp, 200, "application/octet-stream", b->body, b->len);
}

static void big_hook(void *ctx, const orsp_http_log_entry *e)
{
	struct big_answer *b = ctx;
	if (strcmp(e->path, "/big") == 0)
		atomic_store(&b->completed_ms, mono_ms());
}

static const orsp_http_route big_routes[] = {
    {"POST", "/big", h_big, &big_ans},
    {"POST", "/len", h_len, NULL},
};

/* Twice tcp_wmem's maximum and 1 MiB more (at least 8 MiB): more than half of the answer is
 * still in the server's hands whatever its socket buffer grew to. */
static void big_setup(void)
{
	unsigned long lo = 0, def = 0, max = 0;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");

	if (f) {
		if (fscanf(f, "%lu %lu %lu", &lo, &def, &max) != 3)
			max = 0;
		fclose(f);
	}
	big_ans.len = 2 * (size_t)max + (1u << 20);
	if (big_ans.len < (8u << 20))
		big_ans.len = 8u << 20;
	assert_true(big_ans.len <= (64u << 20));
	big_ans.body = calloc(1, big_ans.len);
	assert_non_null(big_ans.body);
	atomic_init(&big_ans.queued_ms, 0);
	atomic_init(&big_ans.completed_ms, 0);
}

static void big_teardown(void)
{
	free(big_ans.body);
	big_ans.body = NULL;
}

/* cert_pem and key_pem NULL: plain HTTP. */
static orsp_http_server *start_big_cfg(unsigned threads, unsigned max_conn,
                                       unsigned request_timeout_ms, const char *cert_pem,
                                       const char *key_pem)
{
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = big_routes,
	                               .n_routes = ORSP_ARRAY_LEN(big_routes),
	                               .threads = threads,
	                               .max_connections = max_conn,
	                               .timeout_s = 20,
	                               .request_timeout_ms = request_timeout_ms,
	                               .on_request = big_hook,
	                               .hook_ctx = &big_ans,
	                               .cert_pem = cert_pem,
	                               .key_pem = key_pem};
	assert_ok(orsp_http_server_start(&cfg, &srv));
	return srv;
}

static orsp_http_server *start_big(unsigned threads, unsigned max_conn, unsigned request_timeout_ms)
{
	return start_big_cfg(threads, max_conn, request_timeout_ms, NULL, NULL);
}

/* A raw connection with a receive buffer of rcvbuf bytes (no autotuning). */
static int small_window_connect(uint16_t port, int rcvbuf)
{
	int fd = raw_socket();
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	raw_connect_fd(fd, port);
	return fd;
}

/* Read one /big answer from fd: its first half paced to take about pace_ms, the rest as fast as
 * it comes; true when it came whole. The server cannot have written its whole answer while the
 * first half is being read (more than half of it is still in its hands: big_setup), so the
 * answer completes only after about pace_ms, and is then taken at once. */
static bool read_big_paced(int fd, unsigned pace_ms)
{
	static char buf[256 * 1024];
	size_t len = 0, body = 0, want;
	const char *end = NULL, *cl;
	uint64_t t0 = mono_ms();

	for (;;) { /* headers */
		ssize_t got = recv(fd, buf + len, 1024, 0);
		if (got <= 0)
			return false;
		len += (size_t)got;
		buf[len] = 0;
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		assert_true(len < 4096);
	}
	cl = strstr(buf, "Content-Length:");
	assert_non_null(cl);
	want = strtoul(cl + 15, NULL, 10);
	assert_int_equal(want, big_ans.len);
	body = len - (size_t)(end + 4 - buf);
	while (body < want) {
		uint64_t due = body < want / 2 ? t0 + (uint64_t)pace_ms * body / (want / 2) : 0;
		uint64_t now = mono_ms();
		size_t n = want - body < sizeof(buf) ? want - body : sizeof(buf);
		ssize_t got;

		if (due > now)
			sleep_ms((unsigned)(due - now));
		got = recv(fd, buf, n, 0);
		if (got <= 0)
			return false;
		body += (size_t)got;
	}
	return true;
}

/* While slow connections hold every slot: a fifth client is answered (within o's timeout,
 * once the answer deadline freed a slot), and a normal reader then gets a whole /big. */
static void served_while_held(const orsp_http_client_opts *o, const char *scheme, uint16_t port)
{
	orsp_http_client *c;
	orsp_http_result r;

	assert_ok(orsp_http_client_new(o, &c));
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for(scheme, port, "/len"), NULL, "ab", 2, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for(scheme, port, "/big"), NULL, "x", 1, &r));
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, big_ans.len);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
}

/* Whether the server has ended fd, by a reset or the end of its stream (which a slow reader
 * may not have read up to yet); no wait. */
static bool conn_ended(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLRDHUP));
}

/* Slow readers: four connections take every slot (max_connections 4), each sends a whole
 * request for /big and then reads nothing (two) or a byte every 100 ms (two). Before the
 * answer had a deadline they kept their slots until the idle timeout (20 s here; forever for a
 * reader that keeps bytes moving), and the fifth client below (10 s timeout) timed out. Now
 * they are cut request_timeout_ms (3 s) after their answer was queued: the fifth client is
 * served, a normal client gets the whole large answer (it reads as fast as it can: seconds of
 * room even on a loaded machine under a sanitizer), and each slow connection is ended by the
 * server (a reset or the end of the stream, within 2 minutes) without its whole answer. The
 * slow ones go on reading slowly until then: a deadline is on the clock of its connection's
 * thread, which stands still while that thread runs a handler (each /big handler copies 8 MiB
 * or more: up to 1.5 s under TSan on a loaded machine), so some are cut a second or more after
 * the first; drained at once, they took their whole answer first. */
struct drip_reader {
	int fd[4];
	size_t got[4];
	bool ended[4];
};

/* Every 100 ms until the server has ended each of the four connections fd (ended[i]), 2
 * minutes at most: read_slow(ctx, i) on connections 2 and 3, false when its read found the
 * end. */
static void drip_until_ended(const int *fd, bool *ended, bool (*read_slow)(void *, int), void *ctx)
{
	uint64_t give_up = mono_ms() + 120000;

	for (;;) {
		int open = 0;

		for (int i = 0; i < 4; i++) {
			if (ended[i] || (ended[i] = conn_ended(fd[i])))
				continue;
			open++;
			if (i >= 2 && !read_slow(ctx, i))
				ended[i] = true;
		}
		if (!open || mono_ms() > give_up)
			return;
		sleep_ms(100);
	}
}

static bool drip_byte(void *ctx, int i)
{
	struct drip_reader *d = ctx;
	char c;

	if (recv(d->fd[i], &c, 1, MSG_DONTWAIT) == 1)
		d->got[i]++;
	return true;
}

static void *drip_read_main(void *arg)
{
	struct drip_reader *d = arg;

	drip_until_ended(d->fd, d->ended, drip_byte, d);
	return NULL;
}

static void test_slow_readers_answer_deadline(void **state)
{
	(void)state;
	orsp_http_server *srv;
	/* static: a failed assertion leaves the thread running */
	static struct drip_reader d;
	struct timeval tv = {2, 0};
	orsp_http_client_opts o = {.timeout_ms = 10000};
	static char buf[64 * 1024];
	pthread_t t;

	memset(&d, 0, sizeof(d));
	big_setup();
	o.max_response = big_ans.len;
	srv = start_big(2, 4, 3000);
	uint16_t port = orsp_http_server_port(srv);
	for (int i = 0; i < 4; i++) {
		d.fd[i] = small_window_connect(port, 4096);
		raw_post(d.fd[i], "/big");
	}
	assert_int_equal(pthread_create(&t, NULL, drip_read_main, &d), 0);
	sleep_ms(200);
	served_while_held(&o, "http", port);
	pthread_join(t, NULL);
	for (int i = 0; i < 4; i++) {
		ssize_t got;

		if (!d.ended[i])
			fail_msg("slow connection %d not ended by the server in 2 minutes", i);
		/* what the client had not read when the server ended it */
		assert_int_equal(setsockopt(d.fd[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
		while ((got = recv(d.fd[i], buf, sizeof(buf), 0)) > 0)
			d.got[i] += (size_t)got;
		assert_true(got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK));
		assert_true(d.got[i] < big_ans.len);
		close(d.fd[i]);
	}
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
	big_teardown();
}

/* A normal reader is not cut, and on a keep-alive connection each answer and each request has
 * its own deadline: request_timeout_ms 6 s; the first answer is read slowly for 4 s (so that
 * it completes about 4 s after its queueing) and then at once, 2 s before its deadline; the
 * next request is sent past the first answer's deadline (counted from its queueing) but within
 * the request deadline that its completion started (about 2 s from either), and is served;
 * after the second answer (read at once), an incomplete request is cut no earlier than 6 s
 * after that answer's completion. Every margin is seconds wide: a loaded machine running the
 * suite under a sanitizer does not turn it into a failure. */
static void test_answer_deadline_keep_alive(void **state)
{
	(void)state;
	const unsigned deadline = 6000;
	struct timeval tv = {deadline / 1000 + 5, 0};
	orsp_http_server *srv;
	uint64_t queued, completed, due, t_eof;
	ssize_t got;
	char c;
	int fd;

	big_setup();
	srv = start_big(1, 4, deadline);
	fd = small_window_connect(orsp_http_server_port(srv), 64 * 1024);
	raw_post(fd, "/big");
	assert_true(read_big_paced(fd, 4000));
	for (int i = 0; i < 100 && !atomic_load(&big_ans.completed_ms); i++)
		sleep_ms(10);
	queued = atomic_load(&big_ans.queued_ms);
	completed = atomic_load(&big_ans.completed_ms);
	/* the premise: the sending took long enough to leave room between the two deadlines */
	assert_true(completed >= queued + 3500);
	due = queued + deadline + (completed - queued) / 2;
	if (due > mono_ms())
		sleep_ms((unsigned)(due - mono_ms()));
	atomic_store(&big_ans.completed_ms, 0);
	raw_post(fd, "/big");
	assert_true(read_big_paced(fd, 0));
	for (int i = 0; i < 100 && !atomic_load(&big_ans.completed_ms); i++)
		sleep_ms(10);
	completed = atomic_load(&big_ans.completed_ms);
	assert_true(completed != 0);
	/* An incomplete request now: cut by the request deadline from the completion (waited for
	 * up to 5 s past it: raw_socket's receive timeout is shorter than the deadline). */
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(send(fd, "POST /len HTTP/1.1\r\n", 20, MSG_NOSIGNAL), 20);
	got = recv(fd, &c, 1, 0);
	t_eof = mono_ms();
	assert_true(got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
	assert_true(t_eof + 2 >= completed + deadline);
	close(fd);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
	big_teardown();
}

/* A connection waiting in the backlog at max_connections is served once another closes: the
 * accept thread takes it when libmicrohttpd announces the close (CLOSED), but libmicrohttpd
 * counts that connection until it has closed its socket, after the announcement, and refused
 * the newcomer at its own limit while it did ("Server reached connection limit": the client
 * saw a reset, sometimes). One thread, max_connections 1, 200 times: A takes the slot, B
 * waits, A's request closes A, and B must be answered. */
static void test_backlog_taken_at_close(void **state)
{
	(void)state;
	static const char close_req[] = "POST /len HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	                                "Content-Length: 1\r\n\r\nx";
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 1,
	                               .max_connections = 1,
	                               .timeout_s = 10};
	char body[64];

	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	for (int i = 0; i < 200; i++) {
		int a = raw_connect(port), b = raw_connect(port);

		raw_post(b, "/len");
		assert_int_equal(send(a, close_req, strlen(close_req), MSG_NOSIGNAL),
		                 (ssize_t)strlen(close_req));
		raw_answer(a, body, sizeof(body));
		assert_string_equal(body, "1");
		raw_answer(b, body, sizeof(body));
		assert_string_equal(body, "1");
		close(a);
		close(b);
	}
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
}

/* An answer libmicrohttpd wrote out whole may still be in the socket's send queue while its
 * client reads it slowly: the connection is not idle, and is not reset for a newcomer (the reset,
 * SO_LINGER 0, drops the queue: the answer cut short). One thread, max_connections 2: a reader
 * with a 64 KiB window takes a /big answer until the server has completed it, then pauses; a
 * second connection opens and sends nothing. After more than 1 s a third client comes: the
 * second connection is reset for it (before, the reader's, idle the longest), and the reader
 * then gets the rest of its answer. */
static void test_unsent_answer_not_reset(void **state)
{
	(void)state;
	static char buf[256 * 1024];
	orsp_http_server *srv;
	orsp_http_client *c;
	orsp_http_result r;
	size_t len = 0, body, want;
	const char *end = NULL, *cl;
	ssize_t got;
	int fd, other;

	big_setup();
	srv = start_big(1, 2, 20000);
	uint16_t port = orsp_http_server_port(srv);
	fd = small_window_connect(port, 64 * 1024);
	raw_post(fd, "/big");
	for (;;) { /* headers */
		got = recv(fd, buf + len, 1024, 0);
		assert_true(got > 0);
		len += (size_t)got;
		buf[len] = 0;
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		assert_true(len < 4096);
	}
	cl = strstr(buf, "Content-Length:");
	assert_non_null(cl);
	want = strtoul(cl + 15, NULL, 10);
	body = len - (size_t)(end + 4 - buf);
	/* Read until the server completed the answer, the rest in its send queue. Paced (16 KiB a
	 * time, slower in the second half) and polling: a reader as fast as the server took the
	 * last bytes before the completion's notice (under ThreadSanitizer), then blocked on a
	 * connection with nothing more to come. */
	for (uint64_t t0 = mono_ms(); !atomic_load(&big_ans.completed_ms);) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		assert_true(mono_ms() - t0 < 20000);
		if (poll(&p, 1, 50) != 1)
			continue;
		got = recv(fd, buf, 16384, 0);
		assert_true(got > 0);
		body += (size_t)got;
		sleep_ms(body < want / 2 ? 1 : 10);
	}
	if (body >= want) {
		/* the whole answer taken before the server's notice of its completion: nothing
		 * left in the queue to protect, so nothing to check on this run */
		close(fd);
		assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
		big_teardown();
		skip();
	}
	other = raw_connect(port);
	sleep_ms(1200);
	c = plain_client(5000);
	assert_ok(
	    orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "ab", 2, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	while (body < want && (got = recv(fd, buf, sizeof(buf), 0)) > 0)
		body += (size_t)got;
	assert_int_equal(body, want);
	got = recv(other, buf, 1, MSG_DONTWAIT);
	assert_true(got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
	close(fd);
	close(other);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
	big_teardown();
}

/* max_connections_per_ip: a third connection from 127.0.0.1 is closed at once; when one of
 * the two closes, requests are served again. */
static void test_connections_per_ip(void **state)
{
	(void)state;
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 1,
	                               .timeout_s = 5,
	                               .max_connections_per_ip = 2};
	struct timeval tv = {2, 0};
	orsp_http_client *c;
	char buf[16];
	int a, b, third;

	assert_ok(orsp_http_server_start(&cfg, &srv));
	uint16_t port = orsp_http_server_port(srv);
	a = raw_connect(port);
	b = raw_connect(port);
	sleep_ms(100);
	third = raw_connect(port);
	assert_int_equal(setsockopt(third, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	(void)send(third, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL);
	assert_true(recv(third, buf, sizeof(buf), 0) <= 0);
	close(third);
	{
		orsp_http_conn_stats st = conn_stats(srv);
		assert_int_equal(st.accepted, 2);
		assert_int_equal(st.refused, 1);
		assert_int_equal(st.open, 2);
	}
	close(a);
	c = plain_client(2000);
	served_after_retries(c, port);
	orsp_http_client_free(c);
	close(b);
	wait_open_conns(srv, 0);
	{
		orsp_http_conn_stats st = conn_stats(srv);
		assert_true(st.accepted >= 3);
		assert_int_equal(st.reset_idle + st.reset_deadline, 0);
	}
	orsp_http_server_stop(srv, 1000);
}

/* orsp_http_server_conn_stats: a keep-alive client's requests share one connection, a second
 * client has its own, a close is counted when libmicrohttpd has seen it; NULL gives zeros. */
static void test_conn_stats(void **state)
{
	(void)state;
	orsp_http_server *srv;
	orsp_http_client *c1 = plain_client(2000), *c2 = plain_client(2000);
	orsp_http_conn_stats st;
	orsp_http_result r;

	orsp_http_server_conn_stats(NULL, &st);
	assert_true(st.accepted == 0 && st.refused == 0 && st.reset_idle == 0 &&
	            st.reset_deadline == 0 && st.open == 0);
	srv = start_plain(0);
	uint16_t port = orsp_http_server_port(srv);
	st = conn_stats(srv);
	assert_true(st.accepted == 0 && st.open == 0);
	for (int i = 0; i < 3; i++) {
		assert_ok(orsp_http_client_request(c1, "POST", url_for("http", port, "/len"), NULL,
		                                   "ab", 2, &r));
		assert_int_equal(r.status, 200);
		orsp_http_result_free(&r);
	}
	st = conn_stats(srv);
	assert_int_equal(st.accepted, 1);
	assert_int_equal(st.open, 1);
	assert_ok(
	    orsp_http_client_request(c2, "POST", url_for("http", port, "/len"), NULL, "ab", 2, &r));
	orsp_http_result_free(&r);
	st = conn_stats(srv);
	assert_int_equal(st.accepted, 2);
	assert_int_equal(st.open, 2);
	orsp_http_client_free(c1);
	wait_open_conns(srv, 1);
	orsp_http_client_free(c2);
	wait_open_conns(srv, 0);
	st = conn_stats(srv);
	assert_true(st.accepted == 2 && st.refused == 0 && st.reset_idle == 0 &&
	            st.reset_deadline == 0);
	orsp_http_server_stop(srv, 1000);
}

/* In a child process with the open file limit soft/hard: a server of 2 threads, 100
 * connections and 10 descriptors reserved starts with *max connections; exits 0 when it
 * started and the soft limit is then the hard one. */
static unsigned fd_fit_child(rlim_t soft, rlim_t hard, const char *log_path)
{
	int st = 0;
	pid_t pid;
	unsigned max = 0;
	int pipefd[2];

	assert_int_equal(pipe(pipefd), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		orsp_http_server_config cfg = {.address = "127.0.0.1",
		                               .routes = routes,
		                               .n_routes = ORSP_ARRAY_LEN(routes),
		                               .threads = 2,
		                               .max_connections = 100,
		                               .fd_reserve = 10};
		struct rlimit rl = {soft, hard};
		orsp_http_server *srv = NULL;
		orsp_http_conn_stats cs;
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		close(pipefd[0]);
		if (fd < 0 || dup2(fd, 2) != 2 || close(fd) != 0 ||
		    setrlimit(RLIMIT_NOFILE, &rl) != 0 ||
		    orsp_http_server_start(&cfg, &srv) != ORSP_OK)
			_exit(2);
		orsp_http_server_conn_stats(srv, &cs);
		if (write(pipefd[1], &cs.max, sizeof(cs.max)) != (ssize_t)sizeof(cs.max) ||
		    getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur != hard)
			_exit(3);
		orsp_http_server_stop(srv, 1000);
		_exit(0);
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &max, sizeof(max)), (ssize_t)sizeof(max));
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	return max;
}

/* The open file limit at a start: a soft limit below the hard one is raised to it, nothing
 * said; a hard one below the connections and the descriptors the server and the rest need
 * lowers max_connections to fit, said once (before session 74 the limit was left as it was:
 * accept failed with EMFILE, and a new client waited for a connection's idle timeout). */
static void test_fd_limit_at_start(void **state)
{
	char log_path[4200];
	struct rlimit rl;
	char *text;
	size_t n;

	(void)state;
	snprintf(log_path, sizeof(log_path), "%s/stderr", test_tmpdir("http_fd_fit"));
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 256) {
		assert_int_equal(fd_fit_child(64, rl.rlim_max, log_path), 100);
		text = (char *)test_read_file(log_path, &n);
		assert_null(strstr(text, "RLIMIT_NOFILE"));
		free(text);
	}
	/* 64 - (5 + 2 x 2: the server's own) - 10 */
	assert_int_equal(fd_fit_child(64, 64, log_path), 45);
	text = (char *)test_read_file(log_path, &n);
	assert_non_null(strstr(text, "the open file limit (RLIMIT_NOFILE) is 64, below the 100 "
	                             "connections of max_connections and 19 descriptors for the "
	                             "rest: at most 45 connections; raise it to 119 or more "
	                             "(LimitNOFILE= in the systemd unit, ulimit -n in a shell)"));
	free(text);
	/* no room beyond the 19: one connection per thread */
	assert_int_equal(fd_fit_child(21, 21, log_path), 2);
}

/* No descriptor left for a new connection while the server is below max_connections
 * (descriptors the process holds elsewhere): taken as a full server, the connection idle the
 * longest is reset to make room, and the failure counted and said. Three idle connections of
 * eight, then the process's soft limit lowered to its lowest free descriptor and a new
 * connection: answered within the receive timeout (5 s; the idle timeout is 30 s). Before
 * session 74 the accept thread slept 100 ms at each EMFILE, the idle reset never ran and the
 * newcomer waited for the idle timeout, nothing said or counted. */
static void test_accept_out_of_fds(void **state)
{
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .threads = 2,
	                               .max_connections = 8,
	                               .timeout_s = 30,
	                               .idle_reset_ms = 200};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct rlimit saved_rl, low;
	orsp_http_server *srv = NULL;
	orsp_http_conn_stats st;
	static const char req[] = "POST /len HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx";
	char log_path[4200], buf[2048] = "";
	int idle[3], fd, saved, lowest, rc, lines = 0;
	size_t len = 0, n;
	ssize_t got;
	uint64_t t0, waited;
	char *text, *p;

	(void)state;
	saved = test_stderr_to("http_fd_short", log_path, sizeof(log_path));
	assert_ok(orsp_http_server_start(&cfg, &srv));
	sa.sin_port = htons(orsp_http_server_port(srv));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 3; i++)
		idle[i] = raw_connect(orsp_http_server_port(srv));
	wait_open_conns(srv, 3);
	sleep_ms(300); /* idle longer than idle_reset_ms */
	fd = raw_socket();
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved_rl), 0);
	lowest = dup(2);
	assert_true(lowest >= 0);
	close(lowest);
	low = saved_rl;
	low.rlim_cur = (rlim_t)lowest;
	/* from here to the limit's restoring, no new descriptor in this process, no assertion */
	rc = setrlimit(RLIMIT_NOFILE, &low);
	t0 = mono_ms();
	if (rc == 0)
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc == 0)
		rc = send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req) ? 0 : -1;
	while (rc == 0 && len < sizeof(buf) - 1 && !strstr(buf, "\r\n\r\n1")) {
		got = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (got <= 0)
			break;
		len += (size_t)got;
		buf[len] = 0;
	}
	waited = mono_ms() - t0;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved_rl), 0);
	/* the line was written before the accept that took the connection */
	test_stderr_back(saved);
	assert_int_equal(rc, 0);
	buf[len] = 0;
	if (!strstr(buf, "\r\n\r\n1"))
		fail_msg("no answer within %llu ms: '%s'", (unsigned long long)waited, buf);
	st = conn_stats(srv);
	assert_true(st.accept_fd_limit >= 1);
	assert_true(st.reset_idle >= 1);
	assert_int_equal(st.max, 8);
	close(fd);
	for (int i = 0; i < 3; i++)
		close(idle[i]);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
	/* said once (at most one line per 10 s), with the limit and how to raise it */
	text = (char *)test_read_file(log_path, &n);
	for (p = text; (p = strstr(p, "a new connection cannot be accepted")) != NULL; p++)
		lines++;
	assert_int_equal(lines, 1);
	snprintf(buf, sizeof(buf),
	         "the process has all %d file descriptors of its limit (RLIMIT_NOFILE) open, 3 "
	         "of them connections (max_connections 8); ",
	         lowest);
	assert_non_null(strstr(text, buf));
	assert_non_null(strstr(text, "LimitNOFILE= in the systemd unit, ulimit -n"));
	free(text);
}

/* max_connections_per_ip counts an IPv4 address, one mapped into IPv6 or translated into
 * 64:ff9b::/96 the same, and an IPv6 address by its /64 (a host takes any address of its /64: per
 * address, one client could open 2^64 times the limit), but a link-local one by its address and
 * scope id (every host of a link is in fe80::/64: by the /64 all were one client). */
static void test_client_key(void **state)
{
	static const struct {
		const char *a, *b;
		int family;
		bool same;
		uint32_t scope_a, scope_b; /* sin6_scope_id */
	} cases[] = {
	    {"192.0.2.1", "192.0.2.1", AF_INET, true, 0, 0},
	    {"192.0.2.1", "192.0.2.2", AF_INET, false, 0, 0},
	    {"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", AF_INET6, true, 0, 0},
	    {"2001:db8:1:2::1", "2001:db8:1:3::1", AF_INET6, false, 0, 0},
	    {"2001:db8::1", "2001:db9::1", AF_INET6, false, 0, 0},
	    {"::ffff:192.0.2.1", "192.0.2.1", AF_INET, true, 0, 0},
	    {"::ffff:192.0.2.1", "::ffff:192.0.2.2", AF_INET, false, 0, 0},
	    {"64:ff9b::192.0.2.1", "192.0.2.1", AF_INET, true, 0, 0},
	    {"64:ff9b::192.0.2.1", "64:ff9b::192.0.2.2", AF_INET, false, 0, 0},
	    {"64:ff9b:0:1::192.0.2.1", "64:ff9b:0:1::1", AF_INET6, true, 0, 0},
	    {"fe80::1", "fe80::2", AF_INET6, false, 2, 2},
	    {"fe80::1", "fe80::1", AF_INET6, true, 2, 2},
	    {"fe80::1", "fe80::1", AF_INET6, false, 2, 3},
	    {"fe80::1:0:0:1", "fe80::1", AF_INET6, false, 2, 2},
	    /* the rest of fe80::/10 too (the kernel takes any of it as link-local) */
	    {"febf:ffff::1", "febf:ffff::2", AF_INET6, false, 2, 2},
	    /* not link-local: still by the /64, whatever the scope id */
	    {"fec0::1", "fec0::2", AF_INET6, true, 2, 2},
	    {"2001:db8:1:2::1", "2001:db8:1:2::2", AF_INET6, true, 2, 3},
	};
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		uint8_t ka[ORSP_HTTP_CLIENT_KEY_LEN], kb[ORSP_HTTP_CLIENT_KEY_LEN];
		const char *addr[2] = {cases[i].a, cases[i].b};
		uint32_t scope[2] = {cases[i].scope_a, cases[i].scope_b};
		uint8_t *key[2] = {ka, kb};

		for (int j = 0; j < 2; j++) {
			struct sockaddr_storage ss;
			memset(&ss, 0, sizeof(ss));
			if (strchr(addr[j], ':')) {
				struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
				in6->sin6_family = AF_INET6;
				in6->sin6_port = htons((uint16_t)(1000 + j));
				in6->sin6_scope_id = scope[j];
				assert_int_equal(inet_pton(AF_INET6, addr[j], &in6->sin6_addr), 1);
			} else {
				struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
				in4->sin_family = AF_INET;
				in4->sin_port = htons((uint16_t)(1000 + j));
				assert_int_equal(inet_pton(AF_INET, addr[j], &in4->sin_addr), 1);
			}
			if (orsp__http_client_key(&ss, key[j]) != cases[i].family)
				fail_msg("%s: not family %d", addr[j], cases[i].family);
		}
		if ((memcmp(ka, kb, sizeof(ka)) == 0) != cases[i].same)
			fail_msg("%s%%%u and %s%%%u: expected %s", cases[i].a, scope[0], cases[i].b,
			         scope[1], cases[i].same ? "one client" : "two clients");
	}
	struct sockaddr_storage un = {.ss_family = AF_UNIX};
	uint8_t k[ORSP_HTTP_CLIENT_KEY_LEN];
	assert_int_equal(orsp__http_client_key(&un, k), 0);
}

static void test_server_config_errors(void **state)
{
	(void)state;
	orsp_http_server *srv = NULL, *srv2 = NULL;
	orsp_http_server_config cfg = {.routes = routes, .n_routes = ORSP_ARRAY_LEN(routes)};
	orsp_http_server_config bad;

	bad = cfg;
	bad.n_routes = 0;
	assert_err(orsp_http_server_start(&bad, &srv), ORSP_E_USAGE, "routes");
	bad = cfg;
	bad.address = "localhost"; /* numeric only: no resolver surprises */
	assert_err(orsp_http_server_start(&bad, &srv), ORSP_E_USAGE, "numeric");
	bad = cfg;
	bad.cert_pem = "-----BEGIN CERTIFICATE-----\n";
	assert_err(orsp_http_server_start(&bad, &srv), ORSP_E_USAGE, "together");
	bad = cfg;
	bad.client_ca_pem = "x";
	bad.require_client_cert = true;
	assert_err(orsp_http_server_start(&bad, &srv), ORSP_E_USAGE, "HTTPS");
	bad = cfg;
	bad.threads = 8;
	bad.max_connections = 4;
	assert_err(orsp_http_server_start(&bad, &srv), ORSP_E_USAGE, "threads");
	/* an idle wait beyond the idle timeout (the default's 30 s, or the one given) */
	bad = cfg;
	bad.idle_reset_ms = 30001;
	assert_err(orsp_http_server_start(&bad, &srv), ORSP_E_USAGE,
	           "idle_reset_ms 30001 above the idle timeout (30 s)");
	bad.timeout_s = 5;
	bad.idle_reset_ms = 5001;
	assert_err(orsp_http_server_start(&bad, &srv), ORSP_E_USAGE, "idle_reset_ms 5001");
	bad.idle_reset_ms = ORSP_HTTP_IDLE_RESET_NEVER - 1;
	assert_err(orsp_http_server_start(&bad, &srv), ORSP_E_USAGE, "idle_reset_ms");
	static const orsp_http_route no_slash[] = {{"POST", "len", h_len, NULL}};
	bad = cfg;
	bad.routes = no_slash;
	bad.n_routes = 1;
	assert_err(orsp_http_server_start(&bad, &srv), ORSP_E_USAGE, "route 0");
	bad = cfg;
	bad.cert_file = "/nonexistent/cert.pem";
	bad.key_file = "/nonexistent/key.pem";
	assert_err(orsp_http_server_start(&bad, &srv), ORSP_E_IO, "cannot open");
	assert_null(srv);

	/* Port already in use. */
	assert_ok(orsp_http_server_start(&cfg, &srv));
	bad = cfg;
	bad.port = orsp_http_server_port(srv);
	assert_err(orsp_http_server_start(&bad, &srv2), ORSP_E_IO, "cannot start");
	assert_null(srv2);
	orsp_http_server_stop(srv, 1000);

	/* IPv6 loopback, when the host has it. */
	bad = cfg;
	bad.address = "::1";
	if (orsp_http_server_start(&bad, &srv2) == ORSP_OK) {
		orsp_http_client *c = plain_client(3000);
		orsp_http_result r;
		char url[128];
		snprintf(url, sizeof(url), "http://[::1]:%u/len", orsp_http_server_port(srv2));
		assert_ok(orsp_http_client_request(c, "POST", url, NULL, "ab", 2, &r));
		assert_int_equal(r.status, 200);
		orsp_http_result_free(&r);
		orsp_http_client_free(c);
		orsp_http_server_stop(srv2, 1000);
	}
}

/* Starts cfg, expecting it refused with `want` and exactly `detail`, and nothing started. */
static void assert_start_refused(const orsp_http_server_config *cfg, orsp_err want,
                                 const char *detail)
{
	orsp_http_server *srv = NULL;
	orsp_err e = orsp_http_server_start(cfg, &srv);
	if (e != want)
		fail_msg("got %s (%s), want %s", orsp_err_str(e), orsp_err_detail(),
		         orsp_err_str(want));
	assert_string_equal(orsp_err_detail(), detail);
	assert_null(srv);
}

#define PEM_BLOCK(b64) "-----BEGIN CERTIFICATE-----\n" b64 "\n-----END CERTIFICATE-----\n"

/* Limits and TLS settings of a server configuration, refused before anything starts. */
static void test_server_config_limits(void **state)
{
	(void)state;
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {
	    .address = "127.0.0.1", .routes = routes, .n_routes = ORSP_ARRAY_LEN(routes)};
	orsp_http_server_config bad;

	/* max_connections above ORSP_HTTP_MAX_CONNECTIONS_LIMIT, a timeout over a day */
	bad = cfg;
	bad.max_connections = ORSP_HTTP_MAX_CONNECTIONS_LIMIT + 1;
	assert_start_refused(&bad, ORSP_E_USAGE,
	                     "http server: max_connections or timeout too large");
	bad = cfg;
	bad.timeout_s = 86401;
	assert_start_refused(&bad, ORSP_E_USAGE,
	                     "http server: max_connections or timeout too large");
	/* a day exactly is taken */
	bad.timeout_s = 86400;
	assert_ok(orsp_http_server_start(&bad, &srv));
	orsp_http_server_stop(srv, 1000);
	srv = NULL;
	/* max_body above SIZE_MAX / 4 */
	bad = cfg;
	bad.max_body = SIZE_MAX / 4 + 1;
	assert_start_refused(&bad, ORSP_E_USAGE, "http server: max_body too large");
	bad.max_body = SIZE_MAX;
	assert_start_refused(&bad, ORSP_E_USAGE, "http server: max_body too large");

	/* HTTPS (a certificate and a key given) requiring client certificates, no client CA */
	bad = cfg;
	bad.cert_pem = PEM_BLOCK("MAA=");
	bad.key_pem = "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n";
	bad.require_client_cert = true;
	assert_start_refused(&bad, ORSP_E_USAGE, "require_client_cert needs a client CA");
	/* a certificate, a key or a client CA given both as PEM text and as a file */
	bad.require_client_cert = false;
	bad.cert_file = "/nonexistent/cert.pem";
	assert_start_refused(&bad, ORSP_E_USAGE,
	                     "server certificate: give PEM text or a file, not both");
	bad.cert_file = NULL;
	bad.key_file = "/nonexistent/key.pem";
	assert_start_refused(&bad, ORSP_E_USAGE, "server key: give PEM text or a file, not both");
	bad.key_file = NULL;
	bad.client_ca_pem = PEM_BLOCK("MAA=");
	bad.client_ca_file = "/nonexistent/ca.pem";
	assert_start_refused(&bad, ORSP_E_USAGE, "client CA: give PEM text or a file, not both");
	bad.client_ca_file = NULL;
	bad.client_ca_pem = NULL;
	/* PEM text one byte over ORSP_HTTP_MAX_PEM (its first block well-formed) */
	{
		size_t n = ORSP_HTTP_MAX_PEM + 1;
		char *big = malloc(n + 1);
		char want[128];
		assert_non_null(big);
		memset(big, '\n', n);
		memcpy(big, PEM_BLOCK("MAA="), strlen(PEM_BLOCK("MAA=")));
		big[n] = '\0';
		snprintf(want, sizeof(want), "server certificate: PEM longer than %zu bytes",
		         ORSP_HTTP_MAX_PEM);
		bad.cert_pem = big;
		assert_start_refused(&bad, ORSP_E_USAGE, want);
		/* the key's limit as well */
		bad.cert_pem = PEM_BLOCK("MAA=");
		bad.key_pem = big;
		snprintf(want, sizeof(want), "server key: PEM longer than %zu bytes",
		         ORSP_HTTP_MAX_PEM);
		assert_start_refused(&bad, ORSP_E_USAGE, want);
		bad.key_pem = "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n";
		free(big);
	}
	/* A certificate block whose DER SEQUENCE has no definite length of 1 to 4 octets: the
	 * indefinite form (30 80), a 5-octet length (30 85), a 2-octet length cut off (30 82) */
	static const char *const not_der[] = {"MIA=", "MIU=", "MII="};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(not_der); i++) {
		char pem[256];
		snprintf(pem, sizeof(pem), PEM_BLOCK("MAA=") PEM_BLOCK("%s"), not_der[i]);
		bad.cert_pem = pem;
		assert_start_refused(&bad, ORSP_E_USAGE,
		                     "server certificate: certificate 1 is not DER");
		/* the same in the client CA */
		bad.cert_pem = PEM_BLOCK("MAA=");
		bad.client_ca_pem = pem;
		assert_start_refused(&bad, ORSP_E_USAGE, "client CA: certificate 1 is not DER");
		bad.client_ca_pem = NULL;
	}
}

/* Limits and URLs the client refuses before anything is sent. */
static void test_client_config_limits(void **state)
{
	(void)state;
	orsp_http_client *c = NULL;
	orsp_http_result r;

	/* max_response above SIZE_MAX / 4: no client */
	orsp_http_client_opts o = {.max_response = SIZE_MAX / 4 + 1};
	assert_err(orsp_http_client_new(&o, &c), ORSP_E_USAGE, NULL);
	assert_string_equal(orsp_err_detail(), "max_response too large");
	assert_null(c);
	o.max_response = SIZE_MAX / 4;
	assert_ok(orsp_http_client_new(&o, &c));
	orsp_http_client_free(c);
	c = NULL;

	/* a malformed SM-DP+ address (an unclosed IPv6 bracket): libcurl's URL_MALFORMAT */
	c = plain_client(3000);
	assert_err(orsp_http_client_request(c, "POST", "http://[::1/len", NULL, "x", 1, &r),
	           ORSP_E_USAGE, "http: bad URL: ");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_OTHER);
	assert_int_equal(r.status, 0);
	orsp_http_client_free(c);

	/* With expected_host, the URL is parsed to pin its host: one that does not parse, or
	 * whose host does not fit the pin entry, is refused before any connection. */
	orsp_http_client_opts pinned = {.expected_host = "smdp.test.example", .timeout_ms = 3000};
	c = NULL;
	assert_ok(orsp_http_client_new(&pinned, &c));
	assert_err(orsp_http_client_request(c, "POST", "http://[::1/len", NULL, "x", 1, &r),
	           ORSP_E_USAGE, NULL);
	assert_string_equal(orsp_err_detail(), "http client: cannot parse URL");
	assert_int_equal(r.fail, ORSP_HTTP_FAIL_OTHER);
	{
		char url[700], host[600];
		memset(host, 'a', sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		snprintf(url, sizeof(url), "http://%s:1/len", host);
		assert_err(orsp_http_client_request(c, "POST", url, NULL, "x", 1, &r), ORSP_E_USAGE,
		           NULL);
		assert_string_equal(orsp_err_detail(), "http client: URL host too long");
		assert_int_equal(r.fail, ORSP_HTTP_FAIL_OTHER);
	}
	orsp_http_client_free(c);
}

/* Counts the requests one server answered (reuse_port: which of two servers took them). */
static orsp_err h_count(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	(void)req;
	__atomic_add_fetch((unsigned *)ctx, 1, __ATOMIC_SEQ_CST);
	return orsp_http_response_set_body(resp, 200, "text/plain", "ok", 2);
}

/* One request on a connection of its own: the kernel deals each new connection to one of
 * the servers sharing the port. */
static void post_new_connection(uint16_t port)
{
	orsp_http_client *c = plain_client(3000);
	orsp_http_result r;
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/count", (unsigned)port);
	assert_ok(orsp_http_client_request(c, "POST", url, NULL, "x", 1, &r));
	assert_int_equal(r.status, 200);
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
}

/* reuse_port: two servers on one port share its new connections; once one stops, the other
 * takes them all (a rolling restart); a server without it cannot join them, nor can one with
 * it join a port held without. */
static void test_reuse_port(void **state)
{
	(void)state;
	static unsigned count_a, count_b;
	static const orsp_http_route ra[] = {{"POST", "/count", h_count, &count_a}};
	static const orsp_http_route rb[] = {{"POST", "/count", h_count, &count_b}};
	orsp_http_server *a = NULL, *b = NULL, *c = NULL;
	orsp_http_server_config ca = {.address = "127.0.0.1",
	                              .routes = ra,
	                              .n_routes = 1,
	                              .timeout_s = 5,
	                              .threads = 2,
	                              .reuse_port = true};
	orsp_http_server_config cb = ca;
	uint16_t port;

	assert_ok(orsp_http_server_start(&ca, &a));
	port = orsp_http_server_port(a);
	cb.routes = rb;
	cb.port = port;
	assert_ok(orsp_http_server_start(&cb, &b));
	assert_int_equal(orsp_http_server_port(b), port);

	/* both answer: 64 connections all dealt to one of two would be a 2^-63 chance */
	for (int i = 0; i < 64; i++)
		post_new_connection(port);
	assert_int_equal(count_a + count_b, 64);
	assert_true(count_a > 0);
	assert_true(count_b > 0);

	/* without reuse_port, a third cannot take the port */
	orsp_http_server_config cc = cb;
	cc.reuse_port = false;
	assert_err(orsp_http_server_start(&cc, &c), ORSP_E_IO, "cannot start");
	assert_null(c);

	/* a stops: every new connection goes to b */
	orsp_http_server_stop(a, 1000);
	unsigned before = count_b;
	for (int i = 0; i < 16; i++)
		post_new_connection(port);
	assert_int_equal(count_b, before + 16);
	orsp_http_server_stop(b, 1000);

	/* a port held without reuse_port is not shared either */
	cc = ca;
	cc.reuse_port = false;
	assert_ok(orsp_http_server_start(&cc, &a));
	cb.port = orsp_http_server_port(a);
	assert_err(orsp_http_server_start(&cb, &b), ORSP_E_IO, "cannot start");
	assert_null(b);
	orsp_http_server_stop(a, 1000);
}

/* orsp_http_server_probe binds as the start does and releases the port at once: a port a
 * server listens on is EADDRINUSE (free with reuse_port when the server has it too), an
 * address not this host's EADDRNOTAVAIL with the start's message, a name ORSP_E_USAGE. */
static void test_server_probe(void **state)
{
	(void)state;
	static const orsp_http_route r[] = {{"GET", "/x", h_echo, NULL}};
	orsp_http_server_config cfg = {
	    .address = "127.0.0.1", .routes = r, .n_routes = 1, .timeout_s = 5, .threads = 1};
	orsp_http_server *srv = NULL;
	char want[128];
	uint16_t port;
	int sys_errno = -1;

	assert_ok(orsp_http_server_probe("127.0.0.1", 0, false, &sys_errno));
	assert_int_equal(sys_errno, 0);
	assert_ok(orsp_http_server_start(&cfg, &srv));
	port = orsp_http_server_port(srv);
	assert_err(orsp_http_server_probe("127.0.0.1", port, false, &sys_errno), ORSP_E_IO,
	           strerror(EADDRINUSE));
	assert_int_equal(sys_errno, EADDRINUSE);
	assert_err(orsp_http_server_probe(NULL, port, true, NULL), ORSP_E_IO, "cannot start");
	orsp_http_server_stop(srv, 1000);
	/* released: the server that held it starts on it again */
	assert_ok(orsp_http_server_probe("127.0.0.1", port, false, &sys_errno));
	cfg.port = port;
	assert_ok(orsp_http_server_start(&cfg, &srv));
	orsp_http_server_stop(srv, 1000);
	/* a server with reuse_port shares its port with a probe with it */
	cfg.port = 0;
	cfg.reuse_port = true;
	assert_ok(orsp_http_server_start(&cfg, &srv));
	assert_ok(orsp_http_server_probe("127.0.0.1", orsp_http_server_port(srv), true, NULL));
	orsp_http_server_stop(srv, 1000);

	snprintf(want, sizeof(want), "http server: cannot start on 192.0.2.1 port 8443: %s",
	         strerror(EADDRNOTAVAIL));
	assert_err(orsp_http_server_probe("192.0.2.1", 8443, false, &sys_errno), ORSP_E_IO, want);
	assert_int_equal(sys_errno, EADDRNOTAVAIL);
	assert_err(orsp_http_server_probe("localhost", 8443, false, &sys_errno), ORSP_E_USAGE,
	           "not a numeric IP address");
	assert_int_equal(sys_errno, 0);
}

/* orsp_http_port_served: a connection another server accepts on the port, a wildcard address
 * reached through the loopback one; a server bound with reuse_port but paused (not listening,
 * as orsp_smdp_server_start asks it) accepts none, nor does a stopped one; port 0 is nobody's,
 * a name not an address. */
static void test_port_served(void **state)
{
	(void)state;
	static const orsp_http_route r[] = {{"GET", "/x", h_echo, NULL}};
	orsp_http_server_config cfg = {.address = "127.0.0.1",
	                               .routes = r,
	                               .n_routes = 1,
	                               .timeout_s = 5,
	                               .threads = 1,
	                               .reuse_port = true};
	orsp_http_server *a = NULL, *b = NULL;
	bool served = true;
	uint16_t port;

	cfg.paused = true;
	assert_ok(orsp_http_server_start(&cfg, &a));
	port = orsp_http_server_port(a);
	assert_ok(orsp_http_port_served("127.0.0.1", port, &served));
	assert_false(served);
	assert_ok(orsp_http_server_listen(a));
	assert_ok(orsp_http_port_served("127.0.0.1", port, &served));
	assert_true(served);
	served = false;
	assert_ok(orsp_http_port_served("0.0.0.0", port, &served));
	assert_true(served);
	/* a second server, paused on the same port: the first one answers */
	cfg.port = port;
	assert_ok(orsp_http_server_start(&cfg, &b));
	served = false;
	assert_ok(orsp_http_port_served(NULL, port, &served));
	assert_true(served);
	orsp_http_server_stop(a, 1000);
	/* the paused one alone */
	assert_ok(orsp_http_port_served("127.0.0.1", port, &served));
	assert_false(served);
	orsp_http_server_stop(b, 1000);
	assert_ok(orsp_http_port_served("127.0.0.1", port, &served));
	assert_false(served);

	served = true;
	assert_ok(orsp_http_port_served("127.0.0.1", 0, &served));
	assert_false(served);
	assert_err(orsp_http_port_served("localhost", 8443, &served), ORSP_E_USAGE,
	           "not a numeric IP address");
	assert_err(orsp_http_port_served("127.0.0.1", 8443, NULL), ORSP_E_USAGE, NULL);
}

static void test_response_setters(void **state)
{
	(void)state;
	orsp_http_response resp = {0};

	assert_ok(orsp_http_response_add_header(&resp, "X-Admin-Protocol", "gsma/rsp/v2.2.0"));
	assert_err(orsp_http_response_add_header(&resp, "X-A", "a\r\nSet-Cookie: x"), ORSP_E_USAGE,
	           "control");
	assert_err(orsp_http_response_add_header(&resp, "X A", "1"), ORSP_E_USAGE, "token");
	assert_err(orsp_http_response_add_header(&resp, "content-length", "1"), ORSP_E_USAGE,
	           "server");
	assert_err(orsp_http_response_add_header(&resp, "", "1"), ORSP_E_USAGE, NULL);
	for (int i = 1; i < ORSP_HTTP_MAX_EXTRA_HEADERS; i++)
		assert_ok(orsp_http_response_add_header(&resp, "X-N", "1"));
	assert_err(orsp_http_response_add_header(&resp, "X-N", "1"), ORSP_E_RESOURCE, "more than");
	assert_err(orsp_http_response_set_body(&resp, 99, NULL, NULL, 0), ORSP_E_USAGE, "99");
	/* an interim status is no answer: libmicrohttpd sent it as one, without a body */
	assert_err(orsp_http_response_set_body(&resp, 100, NULL, NULL, 0), ORSP_E_USAGE, "100");
	assert_err(orsp_http_response_set_body(&resp, 199, NULL, NULL, 0), ORSP_E_USAGE, "199");
	assert_err(orsp_http_response_set_body(&resp, 600, NULL, NULL, 0), ORSP_E_USAGE, "600");
	assert_err(orsp_http_response_set_body(&resp, 200, "text/plain\n", "x", 1), ORSP_E_USAGE,
	           "Content-Type");
	assert_ok(orsp_http_response_set_body(&resp, 201, "text/plain", "xy", 2));
	assert_int_equal(resp.status, 201);
	assert_int_equal(resp.body_len, 2);
	free(resp.body);
}

/* ---------------------------------------------------------------- HTTPS ----------------- */

struct pki {
	EVP_PKEY *ca_key, *other_key, *srv_key, *cli_key, *foreign_cli_key;
	X509 *ca, *other, *srv, *cli, *foreign_cli, *expired_cli;
	char *ca_pem, *other_pem, *srv_pem, *srv_key_pem, *cli_pem, *cli_key_pem, *expired_cli_pem;
	char *foreign_cli_pem, *foreign_cli_key_pem;
	uint8_t *cli_der;
	size_t cli_der_len;
};

static struct pki pki;

static char *bio_text(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, data, (size_t)n);
	s[n] = 0;
	BIO_free(b);
	return s;
}

static char *cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	assert_non_null(b);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	return bio_text(b);
}

static char *key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	assert_non_null(b);
	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	return bio_text(b);
}

static int pki_setup(void **state)
{
	(void)state;
	certmint_spec ca = {.subject = "/O=openrsp test/CN=Test TLS CA",
	                    .basic_constraints = "critical,CA:TRUE",
	                    .key_usage = "critical,keyCertSign,cRLSign"};
	certmint_spec other = ca;
	certmint_spec srv = {.subject = "/O=openrsp test/CN=smdp.test.example",
	                     .serial = 2,
	                     .key_usage = "critical,digitalSignature",
	                     .ext_key_usage = "serverAuth",
	                     .san = "DNS:smdp.test.example,DNS:localhost,IP:127.0.0.1"};
	certmint_spec cli = {.subject = "/O=openrsp test/CN=operator",
	                     .serial = 3,
	                     .key_usage = "critical,digitalSignature",
	                     .ext_key_usage = "clientAuth"};

	certmint_spec expired = cli;
	other.subject = "/O=somebody else/CN=Other TLS CA";
	expired.serial = 4;
	expired.not_before = certmint_time(2015, 1, 1);
	expired.not_after = certmint_time(2016, 1, 1);
	pki.ca_key = certmint_key_new("prime256v1");
	pki.other_key = certmint_key_new("prime256v1");
	pki.srv_key = certmint_key_new("prime256v1");
	pki.cli_key = certmint_key_new("prime256v1");
	pki.foreign_cli_key = certmint_key_new("prime256v1");
	pki.ca = certmint_issue(&ca, pki.ca_key, NULL, pki.ca_key);
	pki.other = certmint_issue(&other, pki.other_key, NULL, pki.other_key);
	pki.srv = certmint_issue(&srv, pki.srv_key, pki.ca, pki.ca_key);
	pki.cli = certmint_issue(&cli, pki.cli_key, pki.ca, pki.ca_key);
	pki.foreign_cli = certmint_issue(&cli, pki.foreign_cli_key, pki.other, pki.other_key);
	pki.expired_cli = certmint_issue(&expired, pki.cli_key, pki.ca, pki.ca_key);
	pki.expired_cli_pem = cert_pem(pki.expired_cli);
	pki.ca_pem = cert_pem(pki.ca);
	pki.other_pem = cert_pem(pki.other);
	pki.srv_pem = cert_pem(pki.srv);
	pki.srv_key_pem = key_pem(pki.srv_key);
	pki.cli_pem = cert_pem(pki.cli);
	pki.cli_key_pem = key_pem(pki.cli_key);
	pki.foreign_cli_pem = cert_pem(pki.foreign_cli);
	pki.foreign_cli_key_pem = key_pem(pki.foreign_cli_key);
	pki.cli_der = certmint_der(pki.cli, &pki.cli_der_len);
	return 0;
}

static int pki_teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(pki.ca_key);
	EVP_PKEY_free(pki.other_key);
	EVP_PKEY_free(pki.srv_key);
	EVP_PKEY_free(pki.cli_key);
	EVP_PKEY_free(pki.foreign_cli_key);
	X509_free(pki.ca);
	X509_free(pki.other);
	X509_free(pki.srv);
	X509_free(pki.cli);
	X509_free(pki.foreign_cli);
	X509_free(pki.expired_cli);
	free(pki.expired_cli_pem);
	free(pki.ca_pem);
	free(pki.other_pem);
	free(pki.srv_pem);
	free(pki.srv_key_pem);
	free(pki.cli_pem);
	free(pki.cli_key_pem);
	free(pki.foreign_cli_pem);
	free(pki.foreign_cli_key_pem);
	free(pki.cli_der);
	return 0;
}

static orsp_http_server *start_tls(const char *client_ca, bool require)
{
	orsp_http_server *srv = NULL;
	orsp_http_server_config cfg = {
	    .routes = routes,
	    .n_routes = ORSP_ARRAY_LEN(routes),
	    .threads = 2,
	    .timeout_s = 5,
	    .cert_pem = pki.srv_pem,
	    .key_pem = pki.srv_key_pem,
	    .client_ca_pem = client_ca,
	    .require_client_cert = require,
	};
	assert_ok(orsp_http_server_start(&cfg, &srv));
	return srv;
}

/* POST /len over HTTPS with the given options; returns the error, fills *status. */
/* A malloc'ed PEM text of `total` bytes: pem, then newlines (as a file with text after its
 * blocks); the caller frees it. */
static char *pem_padded(const char *pem, size_t total)
{
	size_t n = strlen(pem);
	char *big = malloc(total + 1);

	assert_non_null(big);
	assert_true(n <= total);
	memcpy(big, pem, n);
	memset(big + n, '\n', total - n);
	big[total] = '\0';
	return big;
}

static orsp_err tls_post(const orsp_http_client_opts *o, uint16_t port, const char *path,
                         long *status, orsp_http_fail *fail, char *body, size_t cap)
{
	orsp_http_client *c = NULL;
	orsp_http_result r;
	orsp_err e = orsp_http_client_new(o, &c);

	if (e)
		return e;
	e = orsp_http_client_request(c, "POST", url_for("https", port, path), NULL, "abcd", 4, &r);
	*status = r.status;
	*fail = r.fail;
	if (body && cap) {
		body[0] = 0;
		if (r.body)
			snprintf(body, cap, "%s", (const char *)r.body);
	}
	orsp_http_result_free(&r);
	orsp_http_client_free(c);
	return e;
}

static void test_https_verification(void **state)
{
	(void)state;
	orsp_http_server *srv = start_tls(NULL, false);
	uint16_t port = orsp_http_server_port(srv);
	long status;
	orsp_http_fail fail;
	char body[32];
	orsp_err e;

	/* Verified against the issuing CA, name from the URL (IP SAN 127.0.0.1). */
	orsp_http_client_opts ok = {.ca_pem = pki.ca_pem, .timeout_ms = 5000};
	assert_ok(tls_post(&ok, port, "/len", &status, &fail, body, sizeof(body)));
	assert_int_equal(status, 200);
	assert_string_equal(body, "4");

	/* Another CA: TLS failure. */
	orsp_http_client_opts other = {.ca_pem = pki.other_pem, .timeout_ms = 5000};
	e = tls_post(&other, port, "/len", &status, &fail, NULL, 0);
	assert_err(e, ORSP_E_VERIFY, "TLS");
	assert_int_equal(fail, ORSP_HTTP_FAIL_TLS);
	assert_int_equal(status, 0);

	/* The expected host name is checked against the certificate, the connection still goes
	 * to 127.0.0.1. */
	orsp_http_client_opts good_name = ok;
	good_name.expected_host = "smdp.test.example";
	assert_ok(tls_post(&good_name, port, "/len", &status, &fail, body, sizeof(body)));
	assert_int_equal(status, 200);
	orsp_http_client_opts wrong_name = ok;
	wrong_name.expected_host = "smdp.wrong.example";
	e = tls_post(&wrong_name, port, "/len", &status, &fail, NULL, 0);
	assert_err(e, ORSP_E_VERIFY, NULL);
	assert_int_equal(fail, ORSP_HTTP_FAIL_TLS_NAME); /* the chain is right, the name not */
	/* the verify result is read as OpenSSL's X509_V_* with that backend only: with another
	 * (GnuTLS's is a status bitmask) the failure is TLS, never a guessed name mismatch */
	{
		static const char *const others[] = {
		    "GnuTLS/3.7.9", "(OpenSSL/3.0.11) GnuTLS/3.7.9", "LibreSSL/3.8.2"};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(others); i++) {
			fake_ssl_version = others[i];
			e = tls_post(&wrong_name, port, "/len", &status, &fail, NULL, 0);
			fake_ssl_version = NULL;
			assert_err(e, ORSP_E_VERIFY, NULL);
			if (fail != ORSP_HTTP_FAIL_TLS)
				fail_msg("%s: category %d, expected TLS", others[i], (int)fail);
		}
		fake_ssl_version = "OpenSSL/3.0.11";
		e = tls_post(&wrong_name, port, "/len", &status, &fail, NULL, 0);
		fake_ssl_version = NULL;
		assert_int_equal(fail, ORSP_HTTP_FAIL_TLS_NAME);
	}
	/* another CA and the wrong name: the chain fails first */
	orsp_http_client_opts other_wrong = other;
	other_wrong.expected_host = "smdp.wrong.example";
	e = tls_post(&other_wrong, port, "/len", &status, &fail, NULL, 0);
	assert_err(e, ORSP_E_VERIFY, NULL);
	assert_int_equal(fail, ORSP_HTTP_FAIL_TLS);
	orsp_http_client_opts bad_name = ok;
	bad_name.expected_host = "smdp.test.example:443";
	assert_err(tls_post(&bad_name, port, "/len", &status, &fail, NULL, 0), ORSP_E_USAGE,
	           "DNS name");
	/* orsp_fqdn_check's rule, the SM-DP+'s and the LPA's: no IPv4 address, no one label */
	bad_name.expected_host = "192.0.2.1";
	assert_err(tls_post(&bad_name, port, "/len", &status, &fail, NULL, 0), ORSP_E_USAGE,
	           "expected_host is not a DNS name: the last label is all digits");
	bad_name.expected_host = "smdp";
	assert_err(tls_post(&bad_name, port, "/len", &status, &fail, NULL, 0), ORSP_E_USAGE,
	           "expected_host is not a DNS name: one label only");
	bad_name.expected_host = "smdp..example";
	assert_err(tls_post(&bad_name, port, "/len", &status, &fail, NULL, 0), ORSP_E_USAGE,
	           "empty label at character 6");

	/* No trust anchor at all is refused up front; insecure_for_tests connects. */
	orsp_http_client_opts none = {.timeout_ms = 5000};
	assert_err(tls_post(&none, port, "/len", &status, &fail, NULL, 0), ORSP_E_USAGE,
	           "trust anchor");
	orsp_http_client_opts insecure = {.insecure_for_tests = true, .timeout_ms = 5000};
	assert_ok(tls_post(&insecure, port, "/len", &status, &fail, NULL, 0));
	assert_int_equal(status, 200);

	/* The same trust anchor from a file; a CA given twice is refused. */
	const char *dir = test_tmpdir("http_tls");
	char ca_path[4200];
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	FILE *f = fopen(ca_path, "w");
	assert_non_null(f);
	fputs(pki.ca_pem, f);
	fclose(f);
	orsp_http_client_opts from_file = {.ca_file = ca_path, .timeout_ms = 5000};
	assert_ok(tls_post(&from_file, port, "/len", &status, &fail, NULL, 0));
	assert_int_equal(status, 200);
	/* As PEM text, a bundle larger than ORSP_HTTP_MAX_PEM (the CA, then lines of text) as a
	 * file of it is taken: it was refused as PEM of 1..1048576 bytes */
	{
		char *big = pem_padded(pki.ca_pem, 2 * ORSP_HTTP_MAX_PEM);
		orsp_http_client_opts big_ca = {.ca_pem = big, .timeout_ms = 5000};
		assert_ok(tls_post(&big_ca, port, "/len", &status, &fail, NULL, 0));
		assert_int_equal(status, 200);
		free(big);
	}
	orsp_http_client_opts both = from_file;
	both.ca_pem = pki.ca_pem;
	assert_err(tls_post(&both, port, "/len", &status, &fail, NULL, 0), ORSP_E_USAGE,
	           "not both");
	/* A CA "file" that is a directory, or a FIFO nobody writes to (OpenSSL's read of it
	 * waited for ever, whatever the timeouts): refused before connecting, naming it */
	orsp_http_client_opts odd = {.ca_file = dir, .timeout_ms = 5000};
	assert_err(tls_post(&odd, port, "/len", &status, &fail, NULL, 0), ORSP_E_USAGE,
	           "the CA file: ");
	unlink(ca_path);
	assert_int_equal(mkfifo(ca_path, 0600), 0);
	odd.ca_file = ca_path;
	assert_err(tls_post(&odd, port, "/len", &status, &fail, NULL, 0), ORSP_E_USAGE,
	           "ca.pem is not a regular file");
	unlink(ca_path);
	rmdir(dir);

	/* Plain http against the TLS port fails cleanly. */
	{
		orsp_http_client *c = plain_client(3000);
		orsp_http_result r;
		e = orsp_http_client_request(c, "POST", url_for("http", port, "/len"), NULL, "x", 1,
		                             &r);
		assert_int_not_equal(e, ORSP_OK);
		orsp_http_result_free(&r);
		orsp_http_client_free(c);
	}
	orsp_http_server_stop(srv, 2000);
}

/* key_sign: the server key held elsewhere (a PKCS#11 token in the SM-DP+); here OpenSSL signs
 * the handshake digests with the test server key, counting them, or fails on purpose. */
static atomic_int key_signs;
static atomic_bool key_sign_fails;

static orsp_err sign_with_srv_key(void *ctx, const uint8_t digest[32], uint8_t *der, size_t cap,
                                  size_t *der_len)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(ctx, NULL);
	size_t n = cap;
	int ok = c && EVP_PKEY_sign_init(c) == 1 && EVP_PKEY_sign(c, der, &n, digest, 32) == 1;

	EVP_PKEY_CTX_free(c);
	atomic_fetch_add(&key_signs, 1);
	if (!ok || atomic_load(&key_sign_fails))
		return orsp_errf(ORSP_E_CRYPTO, "the test key refused to sign");
	*der_len = n;
	return ORSP_OK;
}

static void test_https_key_sign(void **state)
{
	(void)state;
	orsp_http_server *srv = NULL, *second = NULL;
	orsp_http_server_config cfg = {
	    .routes = routes,
	    .n_routes = ORSP_ARRAY_LEN(routes),
	    .threads = 2,
	    .timeout_s = 5,
	    .cert_pem = pki.srv_pem,
	    .key_sign = sign_with_srv_key,
	    .key_sign_ctx = pki.srv_key,
	};
	orsp_http_client_opts ok = {.ca_pem = pki.ca_pem, .timeout_ms = 5000};
	orsp_http_fail fail;
	char body[32];
	long status;

	atomic_store(&key_signs, 0);
	atomic_store(&key_sign_fails, false);
	assert_ok(orsp_http_server_start(&cfg, &srv));
	assert_ok(
	    tls_post(&ok, orsp_http_server_port(srv), "/len", &status, &fail, body, sizeof(body)));
	assert_int_equal(status, 200);
	assert_string_equal(body, "4");
	assert_true(atomic_load(&key_signs) >= 1); /* the handshake was signed by key_sign */
	/* a key that fails: that handshake fails, the server goes on. GnuTLS closes the
	 * connection without an alert, which the client sees as any connection lost in the
	 * handshake (test_https_handshake_cut): ORSP_E_IO, nothing about certificates */
	atomic_store(&key_sign_fails, true);
	assert_err(tls_post(&ok, orsp_http_server_port(srv), "/len", &status, &fail, NULL, 0),
	           ORSP_E_IO, "during the TLS handshake");
	assert_int_equal(fail, ORSP_HTTP_FAIL_OTHER);
	atomic_store(&key_sign_fails, false);
	assert_ok(
	    tls_post(&ok, orsp_http_server_port(srv), "/len", &status, &fail, body, sizeof(body)));
	assert_int_equal(status, 200);
	/* one such server per process; and never a key beside key_sign */
	assert_err(orsp_http_server_start(&cfg, &second), ORSP_E_STATE, "one per process");
	assert_null(second);
	orsp_http_server_stop(srv, 1000);
	orsp_http_server_config both = cfg;
	both.key_pem = pki.srv_key_pem;
	assert_err(orsp_http_server_start(&both, &second), ORSP_E_USAGE, "both");
	/* free again once the first has stopped */
	assert_ok(orsp_http_server_start(&cfg, &second));
	assert_ok(tls_post(&ok, orsp_http_server_port(second), "/len", &status, &fail, body,
	                   sizeof(body)));
	assert_int_equal(status, 200);
	orsp_http_server_stop(second, 1000);
}

static void test_mutual_tls(void **state)
{
	(void)state;
	orsp_http_server *srv = start_tls(pki.ca_pem, true);
	uint16_t port = orsp_http_server_port(srv);
	long status;
	orsp_http_fail fail;
	char body[32], want[32];

	/* A client certificate from the configured CA: the handler sees it. */
	orsp_http_client_opts ok = {.ca_pem = pki.ca_pem,
	                            .client_cert_pem = pki.cli_pem,
	                            .client_key_pem = pki.cli_key_pem,
	                            .timeout_ms = 5000};
	assert_ok(tls_post(&ok, port, "/whoami", &status, &fail, body, sizeof(body)));
	assert_int_equal(status, 200);
	snprintf(want, sizeof(want), "%zu", pki.cli_der_len);
	assert_string_equal(body, want);

	orsp_http_client_opts expired = ok;
	expired.client_cert_pem = pki.expired_cli_pem;

	/* No client certificate: 403 before the handler, and before the routes: a path that
	 * is none is not told apart (it was 404) */
	orsp_http_client_opts anon = {.ca_pem = pki.ca_pem, .timeout_ms = 5000};
	char refusal[128];
	assert_ok(tls_post(&anon, port, "/whoami", &status, &fail, refusal, sizeof(refusal)));
	assert_int_equal(status, 403);
	assert_string_equal(refusal, "{\"status\":403,\"error\":\"client certificate required\"}");
	assert_ok(tls_post(&anon, port, "/nope", &status, &fail, body, sizeof(body)));
	assert_int_equal(status, 403);

	/* A certificate from another CA: the handshake completes (GnuTLS only requests client
	 * certificates), our check refuses it with 403, "not accepted" (one was sent: until
	 * session 75 "required" as for none) */
	orsp_http_client_opts foreign = ok;
	foreign.client_cert_pem = pki.foreign_cli_pem;
	foreign.client_key_pem = pki.foreign_cli_key_pem;
	assert_ok(tls_post(&foreign, port, "/whoami", &status, &fail, refusal, sizeof(refusal)));
	assert_int_equal(status, 403);
	assert_string_equal(refusal,
	                    "{\"status\":403,\"error\":\"client certificate not accepted\"}");

	/* A server certificate of the right CA used as client certificate: wrong key purpose. */
	orsp_http_client_opts wrong_eku = ok;
	wrong_eku.client_cert_pem = pki.srv_pem;
	wrong_eku.client_key_pem = pki.srv_key_pem;
	assert_ok(tls_post(&wrong_eku, port, "/whoami", &status, &fail, refusal, sizeof(refusal)));
	assert_int_equal(status, 403);
	assert_string_equal(refusal,
	                    "{\"status\":403,\"error\":\"client certificate not accepted\"}");

	/* An expired client certificate of the right CA. */
	assert_ok(tls_post(&expired, port, "/whoami", &status, &fail, refusal, sizeof(refusal)));
	assert_int_equal(status, 403);
	assert_string_equal(refusal,
	                    "{\"status\":403,\"error\":\"client certificate not accepted\"}");

	/* The certificate as PEM text larger than ORSP_HTTP_MAX_PEM (a long chain as a file of
	 * it may be: the certificate, then lines of text); the key's limit stays 1 MiB */
	{
		char *big = pem_padded(pki.cli_pem, 2 * ORSP_HTTP_MAX_PEM);
		orsp_http_client_opts big_cert = ok;
		big_cert.client_cert_pem = big;
		assert_ok(tls_post(&big_cert, port, "/whoami", &status, &fail, body, sizeof(body)));
		assert_int_equal(status, 200);
		assert_string_equal(body, want);
		free(big);
		big = pem_padded(pki.cli_key_pem, 2 * ORSP_HTTP_MAX_PEM);
		orsp_http_client_opts big_key = ok;
		big_key.client_key_pem = big;
		assert_err(tls_post(&big_key, port, "/whoami", &status, &fail, NULL, 0),
		           ORSP_E_USAGE, "client key: PEM of 1..1048576 bytes expected");
		free(big);
	}

	/* Key without certificate is refused up front. */
	orsp_http_client_opts half = {.ca_pem = pki.ca_pem, .client_key_pem = pki.cli_key_pem};
	assert_err(tls_post(&half, port, "/whoami", &status, &fail, NULL, 0), ORSP_E_USAGE,
	           "together");
	orsp_http_server_stop(srv, 2000);

	/* Optional client certificates: anonymous clients pass, the handler sees no identity;
	 * nothing is logged of the certificate they did not send (a line on every request of an
	 * LPA, until session 67), while one refused still is */
	char logpath[4200];
	orsp_log_level level = orsp_log_get_level();
	int saved = test_stderr_to("http_mtls_log", logpath, sizeof(logpath));
	orsp_log_set_level(ORSP_LOG_INFO);
	srv = start_tls(pki.ca_pem, false);
	port = orsp_http_server_port(srv);
	assert_ok(tls_post(&anon, port, "/whoami", &status, &fail, body, sizeof(body)));
	assert_int_equal(status, 200);
	assert_string_equal(body, "0");
	assert_ok(tls_post(&anon, port, "/nope", &status, &fail, body, sizeof(body)));
	assert_int_equal(status, 404);
	assert_ok(tls_post(&ok, port, "/whoami", &status, &fail, body, sizeof(body)));
	assert_string_equal(body, want);
	/* the handler is told why each refused certificate was (client_cert_refused) */
	assert_ok(tls_post(&expired, port, "/whoami", &status, &fail, body, sizeof(body)));
	assert_string_equal(body, "0 expired");
	assert_ok(tls_post(&foreign, port, "/whoami", &status, &fail, body, sizeof(body)));
	assert_string_equal(body, "0 untrusted");
	assert_ok(tls_post(&wrong_eku, port, "/whoami", &status, &fail, body, sizeof(body)));
	assert_string_equal(body, "0 purpose");
	orsp_http_server_stop(srv, 2000);
	orsp_log_set_level(level);
	test_stderr_back(saved);
	size_t n = 0;
	char *log = (char *)test_read_file(logpath, &n);
	assert_null(strstr(log, "No certificate was found"));
	assert_non_null(strstr(log, "certificate not accepted"));
	free(log);
}

/* Waits up to 3 s for srv's count of failed TLS handshakes to reach want (the count comes with
 * libmicrohttpd's CLOSED notice, just after the client saw the connection end). */
static void tls_failures_reach(orsp_http_server *srv, uint64_t want)
{
	orsp_http_conn_stats st;

	for (int i = 0; i < 300; i++) {
		orsp_http_server_conn_stats(srv, &st);
		if (st.tls_handshake_failures >= want)
			break;
		usleep(10000);
	}
	orsp_http_server_conn_stats(srv, &st);
	if (st.tls_handshake_failures != want)
		fail_msg("%llu failed TLS handshakes, expected %llu",
		         (unsigned long long)st.tls_handshake_failures, (unsigned long long)want);
}

/* Sends bytes on a new connection to port, then reads until the server closes it. */
static void raw_send_until_closed(uint16_t port, const char *bytes)
{
	char buf[512];
	int fd = raw_connect(port);

	assert_int_equal(send(fd, bytes, strlen(bytes), MSG_NOSIGNAL), (ssize_t)strlen(bytes));
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
}

/* TLS connections to a TLS port that close with a handshake begun (a ClientHello came in) and
 * not completed (a client that refuses the server's certificate) are counted and said in a
 * warning at most once per 10 s, with the count, and so is a TLS 1.0 client's, refused for its
 * version; bytes that are not TLS (garbage, plain HTTP),
 * a TCP connection closed without a byte (a balancer's TCP check), a good handshake closed
 * idle, with or without a request, are none. Until session 75 none was counted. */
static void test_tls_handshake_failures(void **state)
{
	(void)state;
	orsp_http_server *srv;
	uint16_t port;
	long status;
	orsp_http_fail fail;
	char body[32], logpath[4200];
	orsp_http_client_opts other = {.ca_pem = pki.other_pem, .timeout_ms = 5000};
	orsp_http_client_opts ok = {.ca_pem = pki.ca_pem, .timeout_ms = 5000};
	int saved = test_stderr_to("http_tls_fail_log", logpath, sizeof(logpath));
	size_t n = 0;
	char *log, *line;

	srv = start_tls(NULL, false);
	port = orsp_http_server_port(srv);
	raw_send_until_closed(port, "\x16\x03\x01\x00\x05hello garbage\r\n\r\n");
	raw_send_until_closed(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	{
		/* a TCP check: connect, close the sending side, wait for the server's close */
		int fd = raw_connect(port);
		assert_int_equal(shutdown(fd, SHUT_WR), 0);
		while (recv(fd, body, sizeof(body), 0) > 0)
			;
		close(fd);
	}
	usleep(300000);
	tls_failures_reach(srv, 0);
	assert_err(tls_post(&other, port, "/len", &status, &fail, NULL, 0), ORSP_E_VERIFY, "TLS");
	tls_failures_reach(srv, 1);
	{
		/* a TLS 1.0 client: its ClientHello refused for its version */
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
		SSL *ssl;
		int fd = raw_connect(port);
		assert_non_null(ctx);
		assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION), 1);
		assert_int_equal(SSL_CTX_set_max_proto_version(ctx, TLS1_VERSION), 1);
		assert_int_equal(SSL_CTX_set_cipher_list(ctx, "DEFAULT@SECLEVEL=0"), 1);
		ssl = SSL_new(ctx);
		assert_non_null(ssl);
		assert_int_equal(SSL_set_fd(ssl, fd), 1);
		assert_true(SSL_connect(ssl) != 1);
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		close(fd);
	}
	tls_failures_reach(srv, 2);
	/* a request over a good handshake, its connection closed by the client's free */
	assert_ok(tls_post(&ok, port, "/len", &status, &fail, body, sizeof(body)));
	assert_int_equal(status, 200);
	usleep(300000);
	tls_failures_reach(srv, 2);
	/* a good handshake and no request: closed idle */
	{
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
		SSL *ssl;
		int fd = raw_connect(port);
		assert_non_null(ctx);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		ssl = SSL_new(ctx);
		assert_non_null(ssl);
		assert_int_equal(SSL_set_fd(ssl, fd), 1);
		assert_int_equal(SSL_connect(ssl), 1);
		/* TLS 1.3: the server's session tickets come after the handshake */
		(void)SSL_peek(ssl, body, 0);
		SSL_shutdown(ssl);
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		close(fd);
	}
	usleep(300000);
	tls_failures_reach(srv, 2);
	orsp_http_server_stop(srv, 2000);
	test_stderr_back(saved);
	log = (char *)test_read_file(logpath, &n);
	assert_non_null(log);
	/* one line within 10 s, for the first */
	line = strstr(log, "TLS connection(s) closed without a completed handshake");
	if (!line || !strstr(log, "http: 1 TLS connection(s) closed without a completed handshake "
	                          "since the start (1 since the start)"))
		fail_msg("no warning of the failed handshakes: %s", log);
	assert_null(strstr(line + 1, "TLS connection(s) closed without"));
	free(log);
}

static void test_https_from_files(void **state)
{
	(void)state;
	const char *tmp = test_tmpdir("http_files");
	char dir[4096], cert[4200], key[4200], ca[4200];
	orsp_http_server *srv = NULL;
	long status;
	orsp_http_fail fail;
	char body[32];

	snprintf(dir, sizeof(dir), "%s", tmp);
	snprintf(cert, sizeof(cert), "%s/srv.pem", dir);
	snprintf(key, sizeof(key), "%s/srv.key", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	const char *paths[] = {cert, key, ca};
	const char *texts[] = {pki.srv_pem, pki.srv_key_pem, pki.ca_pem};
	for (int i = 0; i < 3; i++) {
		FILE *f = fopen(paths[i], "w");
		assert_non_null(f);
		fputs(texts[i], f);
		fclose(f);
	}
	orsp_http_server_config cfg = {.routes = routes,
	                               .n_routes = ORSP_ARRAY_LEN(routes),
	                               .cert_file = cert,
	                               .key_file = key,
	                               .client_ca_file = ca,
	                               .require_client_cert = true,
	                               .threads = 1,
	                               .tls_priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.2"};
	assert_ok(orsp_http_server_start(&cfg, &srv));
	orsp_http_client_opts o = {.ca_file = ca,
	                           .client_cert_pem = pki.cli_pem,
	                           .client_key_pem = pki.cli_key_pem,
	                           .timeout_ms = 5000};
	assert_ok(tls_post(&o, orsp_http_server_port(srv), "/whoami", &status, &fail, body,
	                   sizeof(body)));
	assert_int_equal(status, 200);
	orsp_http_server_stop(srv, 2000);

	/* A broken priority string or PEM is a start error. */
	cfg.tls_priorities = "NOT-A-PRIORITY";
	assert_err(orsp_http_server_start(&cfg, &srv), ORSP_E_IO, "cannot start");
	cfg.tls_priorities = NULL;
	cfg.cert_file = NULL;
	static const struct {
		const char *pem;
		const char *needle;
	} bad_certs[] = {
	    {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not DER"},
	    {"-----BEGIN CERTIFICATE-----\nMAMCAQ==\n-----END CERTIFICATE-----\n", "length"},
	    {"-----BEGIN CERTIFICATE-----\nMAA=!\n-----END CERTIFICATE-----\n", "base64"},
	    {"-----BEGIN CERTIFICATE-----\nMAA=\n", "missing"},
	    {"junk", "expected"},
	    {"\n\n", "no PEM"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_certs); i++) {
		cfg.cert_pem = bad_certs[i].pem;
		assert_err(orsp_http_server_start(&cfg, &srv), ORSP_E_USAGE, bad_certs[i].needle);
	}
	/* Well-formed, but the key is not the certificate's: GnuTLS refuses at start. */
	cfg.cert_pem = pki.srv_pem;
	cfg.key_file = NULL;
	cfg.key_pem = pki.cli_key_pem;
	assert_err(orsp_http_server_start(&cfg, &srv), ORSP_E_IO, "cannot start");
	cfg.key_pem = "not a key";
	assert_err(orsp_http_server_start(&cfg, &srv), ORSP_E_USAGE, "private key");
	/* A certificate "file" that is a directory, or a FIFO (nobody writing: the open must
	 * not wait for a writer) */
	char fifo[4200];
	snprintf(fifo, sizeof(fifo), "%s/fifo.pem", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	cfg.key_pem = pki.srv_key_pem;
	cfg.cert_pem = NULL;
	cfg.cert_file = dir;
	assert_err(orsp_http_server_start(&cfg, &srv), ORSP_E_IO, "not a regular file");
	cfg.cert_file = fifo;
	assert_err(orsp_http_server_start(&cfg, &srv), ORSP_E_IO, "not a regular file");
	unlink(fifo);
	/* A file's bytes already read are checked as the file would be: a configuration reads
	 * its file once, and checks and uses the same bytes. */
	assert_ok(orsp_http_server_pem_check(ca, false, "ca"));
	/* read once, the text kept: what was checked, for cert_pem, key_pem or client_ca_pem;
	 * nothing kept when it is refused */
	{
		char *text = NULL;
		size_t len = 0;
		assert_ok(orsp_http_server_pem_read(ca, false, "ca", &text, &len));
		assert_int_equal(len, strlen(pki.ca_pem));
		assert_string_equal(text, pki.ca_pem);
		free(text);
		assert_err(orsp_http_server_pem_read(ca, true, "key", &text, &len), ORSP_E_USAGE,
		           "key: no PEM private key");
		assert_null(text);
		assert_int_equal(len, 0);
		assert_err(orsp_http_server_pem_read(dir, false, "ca", &text, &len), ORSP_E_IO,
		           "not a regular file");
		assert_null(text);
		assert_err(orsp_http_server_pem_read(ca, false, "ca", NULL, &len), ORSP_E_USAGE,
		           "bad arguments");
	}
	assert_ok(orsp_http_server_pem_check_mem(pki.ca_pem, strlen(pki.ca_pem), false, "ca"));
	assert_ok(
	    orsp_http_server_pem_check_mem(pki.srv_key_pem, strlen(pki.srv_key_pem), true, "key"));
	assert_err(
	    orsp_http_server_pem_check_mem(pki.srv_key_pem, strlen(pki.srv_key_pem), false, "ca"),
	    ORSP_E_USAGE, "ca: expected -----BEGIN CERTIFICATE-----");
	assert_err(orsp_http_server_pem_check_mem(pki.ca_pem, strlen(pki.ca_pem), true, "key"),
	           ORSP_E_USAGE, "key: no PEM private key");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_certs); i++)
		assert_err(orsp_http_server_pem_check_mem(bad_certs[i].pem,
		                                          strlen(bad_certs[i].pem), false, "ca"),
		           ORSP_E_USAGE, bad_certs[i].needle);
	{
		/* the text with a NUL byte inside, none, or over the limit */
		size_t len = strlen(pki.ca_pem);
		char *big = calloc(1, ORSP_HTTP_MAX_PEM + 1);
		assert_non_null(big);
		memcpy(big, pki.ca_pem, len);
		big[len] = '\0';
		memcpy(big + len + 1, pki.ca_pem, len);
		assert_err(orsp_http_server_pem_check_mem(big, 2 * len + 1, false, "ca"),
		           ORSP_E_USAGE, "ca: not PEM text (NUL byte)");
		assert_err(orsp_http_server_pem_check_mem(big, 0, false, "ca"), ORSP_E_IO,
		           "ca: not PEM text of 1..");
		memset(big + len, '\n', ORSP_HTTP_MAX_PEM + 1 - len);
		assert_ok(orsp_http_server_pem_check_mem(big, ORSP_HTTP_MAX_PEM, false, "ca"));
		assert_err(orsp_http_server_pem_check_mem(big, ORSP_HTTP_MAX_PEM + 1, false, "ca"),
		           ORSP_E_IO, "ca: not PEM text of 1..");
		free(big);
	}
	assert_err(orsp_http_server_pem_check_mem(NULL, 1, false, "ca"), ORSP_E_USAGE,
	           "bad arguments");
	for (int i = 0; i < 3; i++)
		unlink(paths[i]);
	rmdir(dir);
}

/* libcurl's informational text (CURLOPT_VERBOSE) collected: it names the cipher suite. */
static int curl_text(CURL *curl, curl_infotype type, char *data, size_t n, void *ctx)
{
	char *buf = ctx;
	size_t len = strlen(buf);
	(void)curl;
	if (type == CURLINFO_TEXT && len + 1 < 1024) {
		n = n < 1024 - 1 - len ? n : 1024 - 1 - len;
		memcpy(buf + len, data, n);
		buf[len + n] = 0;
	}
	return 0;
}

static size_t curl_discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* POST "x" to /len over HTTPS (the test CI trusted), TLS 1.3 or 1.2 only, offering these
 * ciphers and groups (OpenSSL's syntax; NULL: curl's defaults), curl's verbose text to
 * debug(data). */
static CURLcode tls_offer_post(uint16_t port, bool tls13, const char *ciphers, const char *groups,
                               curl_debug_callback debug, void *data)
{
	struct curl_blob ca = {pki.ca_pem, strlen(pki.ca_pem), CURL_BLOB_COPY};
	CURL *curl = curl_easy_init();
	CURLcode rc;

	assert_non_null(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url_for("https", port, "/len"));
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION,
	                 tls13 ? (long)(CURL_SSLVERSION_TLSv1_3 | CURL_SSLVERSION_MAX_TLSv1_3)
	                       : (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
	if (ciphers)
		curl_easy_setopt(curl, CURLOPT_SSL_CIPHER_LIST, ciphers);
	if (groups)
		curl_easy_setopt(curl, CURLOPT_SSL_EC_CURVES, groups);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "x");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, curl_discard);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, debug);
	curl_easy_setopt(curl, CURLOPT_DEBUGDATA, data);
	rc = curl_easy_perform(curl);
	curl_easy_cleanup(curl);
	return rc;
}

/* A TLS 1.2 exchange by libcurl (OpenSSL) offering only the OpenSSL cipher list given;
 * libcurl's text (naming the suite it got) into text[1024]. */
static CURLcode tls12_suites(uint16_t port, const char *ciphers, char *text)
{
	text[0] = 0;
	return tls_offer_post(port, false, ciphers, NULL, curl_text, text);
}

/* RFC 9155 §2: no SHA-1 signature in TLS 1.2. A client (openssl s_client) that accepts only
 * ECDSA with SHA-1 for the server's ServerKeyExchange gets no handshake (the server signed
 * with SHA-1 when asked, before session 55); the same client accepting SHA-256 gets one. */
static void test_https_no_sha1_signatures(void **state)
{
	static const struct {
		const char *sigalgs;
		bool ok;
	} cases[] = {{"ECDSA+SHA1", false}, {"ECDSA+SHA256", true}};
	orsp_http_server *srv = start_tls(NULL, false);
	uint16_t port = orsp_http_server_port(srv);
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		char cmd[256], out[8192];
		size_t n = 0, r;
		FILE *p;
		snprintf(cmd, sizeof(cmd),
		         "openssl s_client -connect 127.0.0.1:%u -tls1_2 -sigalgs %s "
		         "-cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>&1",
		         port, cases[i].sigalgs);
		p = popen(cmd, "r");
		assert_non_null(p);
		while (n + 1 < sizeof(out) && (r = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
			n += r;
		out[n] = 0;
		pclose(p);
		if (cases[i].ok != (strstr(out, "Peer signing digest") != NULL))
			fail_msg("%s: want %s, got: %s", cases[i].sigalgs,
			         cases[i].ok ? "a handshake" : "none", out);
		assert_null(strstr(out, "Peer signing digest: SHA1"));
	}
	orsp_http_server_stop(srv, 2000);
}

/* SGP.22 names two suites for ES9+/ES11 over TLS 1.2: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
 * and TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256. With the default priorities a client offering
 * either alone completes a handshake (the CBC one failed: GnuTLS's NORMAL has no CBC suite
 * with HMAC-SHA256), one offering only CBC suites with HMAC-SHA1 is refused (NORMAL had them),
 * and one offering both, CBC first, gets GCM (the server's order), as one offering AES-256-GCM
 * first gets AES-128-GCM, one offering it alone AES-256-GCM. The HTTP client (libcurl
 * with OpenSSL, as the LPA uses it) completes a handshake with a server offering either
 * alone. */
static void test_https_cipher_suites(void **state)
{
	(void)state;
	static const struct {
		const char *ciphers; /* OpenSSL names */
		const char *got;     /* the suite negotiated; NULL: refused */
	} cases[] = {
	    {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
	    {"ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA256"},
	    {"ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256",
	     "ECDHE-ECDSA-AES128-GCM-SHA256"},
	    /* AES-128-GCM first in the server's order (NORMAL has AES-256-GCM first) */
	    {"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256",
	     "ECDHE-ECDSA-AES128-GCM-SHA256"},
	    {"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
	    {"ECDHE-ECDSA-AES128-SHA", NULL},
	    {"ECDHE-ECDSA-AES256-SHA", NULL},
	};
	/* GnuTLS priorities offering one of the two suites (with an ECDSA key) */
	static const char *const only[] = {
	    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:-MAC-ALL:+AEAD",
	    "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA256",
	};
	orsp_http_server *srv = start_tls(NULL, false);
	uint16_t port = orsp_http_server_port(srv);
	orsp_http_client_opts o = {.ca_pem = pki.ca_pem, .timeout_ms = 5000};
	char text[1024], want[128], body[32];
	orsp_http_fail fail;
	long status;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		CURLcode rc = tls12_suites(port, cases[i].ciphers, text);
		if (!cases[i].got) {
			if (rc != CURLE_SSL_CONNECT_ERROR)
				fail_msg("%s: want a refused handshake, got %d (%s)",
				         cases[i].ciphers, (int)rc, text);
			continue;
		}
		snprintf(want, sizeof(want), " %s", cases[i].got);
		if (rc != CURLE_OK || !strstr(text, "TLSv1.2") || !strstr(text, want))
			fail_msg("%s: want %s over TLS 1.2, got %d (%s)", cases[i].ciphers,
			         cases[i].got, (int)rc, text);
	}
	orsp_http_server_stop(srv, 2000);

	for (size_t i = 0; i < ORSP_ARRAY_LEN(only); i++) {
		orsp_http_server_config cfg = {
		    .routes = routes,
		    .n_routes = ORSP_ARRAY_LEN(routes),
		    .threads = 1,
		    .timeout_s = 5,
		    .cert_pem = pki.srv_pem,
		    .key_pem = pki.srv_key_pem,
		    .tls_priorities = only[i],
		};
		assert_ok(orsp_http_server_start(&cfg, &srv));
		assert_ok(tls_post(&o, orsp_http_server_port(srv), "/len", &status, &fail, body,
		                   sizeof(body)));
		assert_int_equal(status, 200);
		assert_string_equal(body, "4");
		orsp_http_server_stop(srv, 2000);
	}
}

/* What curl's verbose text says of a handshake: how many ClientHellos it sent (2 after a
 * HelloRetryRequest) and the line naming the version and suite. */
struct hello_text {
	unsigned client_hellos;
	char using[128];
};

static int hello_text_cb(CURL *curl, curl_infotype type, char *data, size_t n, void *ctx)
{
	struct hello_text *h = ctx;
	static const char hello[] = "TLS handshake, Client hello (1)";
	static const char conn[] = "SSL connection using ";
	(void)curl;
	if (type != CURLINFO_TEXT)
		return 0;
	if (n >= sizeof(hello) - 1 && memmem(data, n, hello, sizeof(hello) - 1))
		h->client_hellos++;
	if (n > sizeof(conn) - 1 && memcmp(data, conn, sizeof(conn) - 1) == 0)
		snprintf(h->using, sizeof(h->using), "%.*s", (int)(n - (sizeof(conn) - 1)),
		         data + sizeof(conn) - 1);
	return 0;
}

/* POST /len over HTTPS offering these groups (the first gets the TLS 1.3 key share). */
static CURLcode tls_groups_post(uint16_t port, const char *groups, bool tls13, struct hello_text *h)
{
	memset(h, 0, sizeof(*h));
	return tls_offer_post(port, tls13, NULL, groups, hello_text_cb, h);
}

/* The default priorities put X25519 first among the groups: TLS 1.3 clients (OpenSSL, and so
 * curl and lpac; BoringSSL) send their key share for it, and with P-256 first the server
 * answered each of them a HelloRetryRequest (a second ClientHello, a round trip and a P-256
 * key exchange more per connection). A client offering P-256 alone gets no retry either. One
 * that shares P-256 but offers X25519 too is asked for X25519 (the server's order decides,
 * as for the suites): the retry moved to that rarer client. TLS 1.2 with P-256 alone
 * (SGP.22's curve) completes. TLS 1.3 gets TLS_AES_128_GCM_SHA256 (curl offers AES-256-GCM
 * first; the server's order puts AES-128-GCM first). */
static void test_https_no_hello_retry(void **state)
{
	(void)state;
	static const struct {
		const char *groups;
		bool tls13;
		const char *version;
		unsigned hellos;
	} cases[] = {
	    {"X25519:P-256", true, "TLSv1.3", 1}, {"X25519", true, "TLSv1.3", 1},
	    {"P-256", true, "TLSv1.3", 1},        {"P-256:X25519", true, "TLSv1.3", 2},
	    {"P-256", false, "TLSv1.2", 1},       {"X25519:P-256", false, "TLSv1.2", 1},
	};
	orsp_http_server *srv = start_tls(NULL, false);
	uint16_t port = orsp_http_server_port(srv);
	struct hello_text h;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		CURLcode rc = tls_groups_post(port, cases[i].groups, cases[i].tls13, &h);
		if (rc != CURLE_OK || h.client_hellos != cases[i].hellos ||
		    strncmp(h.using, cases[i].version, 7) ||
		    (cases[i].tls13 && !strstr(h.using, " / TLS_AES_128_GCM_SHA256")))
			fail_msg("groups %s, %s: rc %d, %u ClientHellos, %s", cases[i].groups,
			         cases[i].version, (int)rc, h.client_hellos, h.using);
	}
	orsp_http_server_stop(srv, 2000);
}

/* A TLS server of OpenSSL's (GnuTLS, the HTTP server's, has no brainpool curves): one
 * connection, answered 200 "ok" whatever it asks. With ciphers, TLS 1.2 only and those
 * suites (OpenSSL names); with renegotiate, a renegotiation asked (HelloRequest) once the
 * handshake is done, and after the answer the connection read until it ends, so that the
 * client's response to it (a ClientHello, or a no_renegotiation alert) is seen. */
struct ossl_server {
	int lfd;
	uint16_t port;
	SSL_CTX *ctx;
	pthread_t th;
	int handshake; /* SSL_accept's result */
	const char *ciphers;
	bool renegotiate;
	unsigned client_hellos;     /* renegotiations' included */
	unsigned long end_error;    /* with renegotiate: the error that ended the connection */
	unsigned char offered[512]; /* the cipher suites of the first ClientHello */
	size_t n_offered;
};

static int ossl_hello(SSL *ssl, int *alert, void *arg)
{
	struct ossl_server *o = arg;
	const unsigned char *c;
	size_t n = SSL_client_hello_get0_ciphers(ssl, &c);
	(void)alert;
	o->client_hellos++;
	if (!o->n_offered && n <= sizeof(o->offered)) {
		memcpy(o->offered, c, n);
		o->n_offered = n;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

static void *ossl_serve(void *arg)
{
	struct ossl_server *o = arg;
	struct pollfd p = {.fd = o->lfd, .events = POLLIN};
	struct timeval tv = {.tv_sec = 5};
	char buf[4096];
	SSL *ssl;
	int fd;

	if (poll(&p, 1, 10000) != 1 || (fd = accept(o->lfd, NULL, NULL)) < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssl = SSL_new(o->ctx);
	SSL_set_fd(ssl, fd);
	o->handshake = SSL_accept(ssl);
	if (o->handshake == 1 && o->renegotiate &&
	    (SSL_renegotiate(ssl) != 1 || SSL_do_handshake(ssl) != 1))
		o->handshake = -98;
	if (o->handshake == 1) {
		static const char ans[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
		                          "Connection: close\r\n\r\nok";
		size_t got = 0;
		int n;
		while (got < sizeof(buf) - 1 &&
		       (n = SSL_read(ssl, buf + got, (int)(sizeof(buf) - 1 - got))) > 0) {
			got += (size_t)n;
			buf[got] = 0;
			if (strstr(buf, "\r\n\r\nabcd"))
				break;
		}
		SSL_write(ssl, ans, (int)strlen(ans));
		if (o->renegotiate) {
			while (SSL_read(ssl, buf, sizeof(buf)) > 0)
				;
			o->end_error = ERR_peek_last_error();
		}
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	close(fd);
	return NULL;
}

/* os serving cert and key on a loopback port of its own, in a thread (ossl_serve). */
static void ossl_server_start(struct ossl_server *os, X509 *cert, EVP_PKEY *key)
{
	os->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(os->ctx);
	assert_int_equal(SSL_CTX_use_certificate(os->ctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(os->ctx, key), 1);
	SSL_CTX_set_client_hello_cb(os->ctx, ossl_hello, os);
	if (os->ciphers) {
		assert_int_equal(SSL_CTX_set_max_proto_version(os->ctx, TLS1_2_VERSION), 1);
		assert_int_equal(SSL_CTX_set_cipher_list(os->ctx, os->ciphers), 1);
	}
	os->lfd = test_listen_loopback(&os->port);
	assert_int_equal(pthread_create(&os->th, NULL, ossl_serve, os), 0);
}

/* SGP.22 §2.6.6: the TLS client supports brainpoolP256r1 besides secp256r1. A server whose
 * certificate is on brainpoolP256r1 (an SM-DP+ with the SGP.26 brainpool DPtls) is reached:
 * the client offers that curve (libcurl's default, OpenSSL's, has none: the server found no
 * shared cipher suite and the handshake failed). */
static void test_https_brainpool_server(void **state)
{
	(void)state;
	certmint_spec ca_spec = {.subject = "/O=openrsp test/CN=Brainpool TLS CA",
	                         .basic_constraints = "critical,CA:TRUE",
	                         .key_usage = "critical,keyCertSign,cRLSign"};
	certmint_spec srv_spec = {.subject = "/O=openrsp test/CN=localhost",
	                          .serial = 2,
	                          .key_usage = "critical,digitalSignature",
	                          .ext_key_usage = "serverAuth",
	                          .san = "DNS:localhost,IP:127.0.0.1"};
	EVP_PKEY *ca_key = certmint_key_new("brainpoolP256r1");
	EVP_PKEY *srv_key = certmint_key_new("brainpoolP256r1");
	X509 *ca = certmint_issue(&ca_spec, ca_key, NULL, ca_key);
	X509 *srv = certmint_issue(&srv_spec, srv_key, ca, ca_key);
	char *ca_text = cert_pem(ca);
	orsp_http_client_opts o = {.ca_pem = ca_text, .timeout_ms = 5000};
	struct ossl_server os = {.handshake = -99};
	orsp_http_fail fail;
	long status = 0;
	char body[32];
	orsp_err e;

	ossl_server_start(&os, srv, srv_key);

	e = tls_post(&o, os.port, "/x", &status, &fail, body, sizeof(body));
	pthread_join(os.th, NULL);
	if (e != ORSP_OK)
		fail_msg("brainpoolP256r1 server: %s (fail %d, server handshake %d)",
		         orsp_err_detail(), (int)fail, os.handshake);
	assert_int_equal(os.handshake, 1);
	assert_int_equal(status, 200);
	assert_string_equal(body, "ok");

	close(os.lfd);
	SSL_CTX_free(os.ctx);
	free(ca_text);
	X509_free(srv);
	X509_free(ca);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(ca_key);
}

/* Whether suite (its two bytes) is one the HTTP client may offer: a TLS 1.3 suite, the
 * renegotiation SCSV (RFC 5746), or ECDHE with ECDSA or RSA and AES-GCM or AES-CBC with
 * HMAC-SHA256/384 (SGP.22 §2.6.6's c02b and c023, c02c and c024, their ECDHE-RSA twins). */
static bool suite_allowed(const unsigned char *suite)
{
	static const unsigned tls12[] = {0xc02b, 0xc023, 0xc02c, 0xc024,
	                                 0xc02f, 0xc027, 0xc030, 0xc028};
	unsigned id = (unsigned)suite[0] << 8 | suite[1];

	if (suite[0] == 0x13 || id == 0x00ff)
		return true;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(tls12); i++)
		if (id == tls12[i])
			return true;
	return false;
}

/* SGP.22 §2.6.6: TLS 1.2 with TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 or
 * TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256. The HTTP client offers TLS 1.3 and, for TLS 1.2,
 * ECDHE suites with AES-GCM or CBC with HMAC-SHA256/384 only: a server (OpenSSL's) that
 * takes only a suite with an HMAC-SHA1 (ECDHE-ECDSA-AES128-SHA, the kind OpenSSL's default
 * list offered: c009, c00a, and static RSA key exchange too) is refused, with words saying
 * so; one taking only one of the suites offered is reached. */
static void test_https_client_suites(void **state)
{
	(void)state;
	static const struct {
		const char *ciphers;
		bool ok;
	} cases[] = {
	    {NULL, true}, /* TLS 1.3 */
	    {"ECDHE-ECDSA-AES128-GCM-SHA256", true},
	    {"ECDHE-ECDSA-AES128-SHA256", true},
	    {"ECDHE-ECDSA-AES256-GCM-SHA384", true},
	    {"ECDHE-ECDSA-AES256-SHA384", true},
	    {"ECDHE-ECDSA-AES128-SHA", false},
	    {"ECDHE-ECDSA-AES256-SHA", false},
	};
	orsp_http_client_opts o = {.ca_pem = pki.ca_pem, .timeout_ms = 5000};

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		struct ossl_server os = {.handshake = -99, .ciphers = cases[i].ciphers};
		orsp_http_fail fail;
		long status = 0;
		char body[32];
		orsp_err e;

		ossl_server_start(&os, pki.srv, pki.srv_key);
		e = tls_post(&o, os.port, "/x", &status, &fail, body, sizeof(body));
		pthread_join(os.th, NULL);
		close(os.lfd);
		SSL_CTX_free(os.ctx);
		if (!os.n_offered || os.n_offered % 2)
			fail_msg("%s: no ClientHello seen", cases[i].ciphers);
		for (size_t j = 0; j < os.n_offered; j += 2)
			if (!suite_allowed(os.offered + j))
				fail_msg("%s: the client offered suite %02x%02x", cases[i].ciphers,
				         os.offered[j], os.offered[j + 1]);
		if (cases[i].ok) {
			if (e != ORSP_OK || status != 200 || os.handshake != 1)
				fail_msg("%s: %d, status %ld: %s", cases[i].ciphers, (int)e, status,
				         e ? orsp_err_detail() : "");
			assert_string_equal(body, "ok");
			continue;
		}
		if (e != ORSP_E_VERIFY || fail != ORSP_HTTP_FAIL_TLS || os.handshake == 1 ||
		    !strstr(orsp_err_detail(),
		            "the server accepted none of the TLS versions and cipher suites"))
			fail_msg("%s: want a refused handshake, got %d, fail %d, status %ld: %s",
			         cases[i].ciphers, (int)e, (int)fail, status,
			         e ? orsp_err_detail() : "");
	}
}

/* A server that asks for a renegotiation (TLS 1.2 HelloRequest) once connected is refused
 * (SSL_OP_NO_RENEGOTIATION): the client answers with a no_renegotiation alert, never a second
 * ClientHello. Until session 76 it renegotiated, as OpenSSL does by default. The exchange
 * itself goes on (the alert is a warning, RFC 5246 §7.2.2): this server answered before it
 * read the alert, and ends the connection then (OpenSSL takes the alert as fatal). */
static void test_https_no_renegotiation(void **state)
{
	(void)state;
	orsp_http_client_opts o = {.ca_pem = pki.ca_pem, .timeout_ms = 5000};
	struct ossl_server os = {
	    .handshake = -99, .ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256", .renegotiate = true};
	/* the server may write to a connection the client closed (a renegotiation under way) */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	orsp_http_fail fail;
	long status = 0;
	orsp_err e;

	assert_int_equal(sigaction(SIGPIPE, &ign, &old), 0);
	ossl_server_start(&os, pki.srv, pki.srv_key);
	e = tls_post(&o, os.port, "/x", &status, &fail, NULL, 0);
	pthread_join(os.th, NULL);
	sigaction(SIGPIPE, &old, NULL);
	close(os.lfd);
	SSL_CTX_free(os.ctx);
	if (e != ORSP_OK || status != 200 || os.handshake != 1 || os.client_hellos != 1 ||
	    ERR_GET_REASON(os.end_error) != SSL_R_NO_RENEGOTIATION)
		fail_msg(
		    "want the renegotiation refused: %d, status %ld, %u ClientHellos, server's "
		    "end %s: %s",
		    (int)e, status, os.client_hellos, ERR_reason_error_string(os.end_error),
		    e ? orsp_err_detail() : "");
}

/* The client's words for a server certificate OpenSSL refused, with an OpenSSL server (GnuTLS
 * serves no CA certificate as its own): one signed by another key than its issuer's is a
 * "certificate signature failure" (libcurl said only the error OpenSSL queued on the way,
 * "error:06880006:asn1 encoding routines::EVP lib", until session 75), and one not for a TLS
 * server says why: a CA certificate (keyUsage keyCertSign, cRLSign) whose extendedKeyUsage
 * has serverAuth, by its keyUsage; one whose extendedKeyUsage is clientAuth only, by that. */
static void test_https_refusal_words(void **state)
{
	(void)state;
	static const struct {
		const char *ku, *bc, *eku;
		bool other_key;
		const char *words;
	} cases[] = {
	    {"critical,digitalSignature", NULL, "serverAuth", true,
	     "http: TLS failure: SSL certificate problem: certificate signature failure ("},
	    {"critical,keyCertSign,cRLSign", "critical,CA:TRUE", "serverAuth", false,
	     "http: TLS failure: SSL certificate problem: unsuitable certificate purpose (the "
	     "server's certificate: its keyUsage has none of digitalSignature, keyEncipherment, "
	     "keyAgreement)"},
	    {"critical,digitalSignature", NULL, "clientAuth", false,
	     "http: TLS failure: SSL certificate problem: unsuitable certificate purpose (the "
	     "server's certificate: its extendedKeyUsage leaves out serverAuth)"},
	};
	certmint_spec ca_spec = {.subject = "/O=openrsp test/CN=Refusal TLS CA",
	                         .basic_constraints = "critical,CA:TRUE",
	                         .key_usage = "critical,keyCertSign,cRLSign"};
	EVP_PKEY *ca_key = certmint_key_new("prime256v1");
	EVP_PKEY *other_key = certmint_key_new("prime256v1");
	EVP_PKEY *srv_key = certmint_key_new("prime256v1");
	X509 *ca = certmint_issue(&ca_spec, ca_key, NULL, ca_key);
	char *ca_text = cert_pem(ca);

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		certmint_spec srv_spec = {.subject = "/O=openrsp test/CN=localhost",
		                          .serial = 2 + (long)i,
		                          .key_usage = cases[i].ku,
		                          .basic_constraints = cases[i].bc,
		                          .ext_key_usage = cases[i].eku,
		                          .san = "DNS:localhost,IP:127.0.0.1"};
		X509 *srv =
		    certmint_issue(&srv_spec, srv_key, ca, cases[i].other_key ? other_key : ca_key);
		orsp_http_client_opts o = {.ca_pem = ca_text, .timeout_ms = 5000};
		struct ossl_server os = {.handshake = -99};
		orsp_http_fail fail;
		long status = 0;
		orsp_err e;

		ossl_server_start(&os, srv, srv_key);
		e = tls_post(&o, os.port, "/x", &status, &fail, NULL, 0);
		pthread_join(os.th, NULL);
		if (e != ORSP_E_VERIFY || fail != ORSP_HTTP_FAIL_TLS ||
		    !strstr(orsp_err_detail(), cases[i].words))
			fail_msg("case %zu: %d, fail %d: %s", i, (int)e, (int)fail,
			         orsp_err_detail());
		close(os.lfd);
		SSL_CTX_free(os.ctx);
		X509_free(srv);
	}
	free(ca_text);
	X509_free(ca);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(ca_key);
}

/* A server that takes one connection, reads what the client sends first (its ClientHello)
 * and closes it: with a reset (SO_LINGER 0: the connections in a killed server's backlog get
 * one) or a plain close (an EOF in the middle of the handshake). */
struct cut_server {
	int lfd;
	bool reset;
	pthread_t th;
};

static void *cut_serve(void *arg)
{
	struct cut_server *cs = arg;
	struct pollfd p = {.fd = cs->lfd, .events = POLLIN};
	struct timeval tv = {.tv_sec = 5};
	char buf[4096];
	int fd;

	if (poll(&p, 1, 10000) != 1 || (fd = accept(cs->lfd, NULL, NULL)) < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)!recv(fd, buf, sizeof(buf), 0);
	if (cs->reset) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(fd);
	return NULL;
}

/* A connection the server resets or closes during the TLS handshake (an SM-DP+ killed
 * mid-request, `kill -9`) is an I/O failure, ORSP_E_IO naming it: libcurl reports it as
 * CURLE_SSL_CONNECT_ERROR, and it was `http: TLS failure: Recv failure: Connection reset by
 * peer` (ORSP_E_VERIFY, FAIL_TLS), which the LPA explained with `check --ca`. A certificate
 * the client refuses is still a TLS failure (test_https_verification). */
static void test_https_handshake_cut(void **state)
{
	(void)state;
	for (int reset = 0; reset < 2; reset++) {
		struct cut_server cs = {.reset = reset};
		struct sockaddr_in a = {.sin_family = AF_INET,
		                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t al = sizeof(a);
		orsp_http_client_opts o = {.ca_pem = pki.ca_pem, .timeout_ms = 5000};
		orsp_http_fail fail;
		long status = -1;
		orsp_err e;

		cs.lfd = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(cs.lfd >= 0);
		assert_int_equal(bind(cs.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(listen(cs.lfd, 4), 0);
		assert_int_equal(getsockname(cs.lfd, (struct sockaddr *)&a, &al), 0);
		assert_int_equal(pthread_create(&cs.th, NULL, cut_serve, &cs), 0);
		e = tls_post(&o, ntohs(a.sin_port), "/x", &status, &fail, NULL, 0);
		pthread_join(cs.th, NULL);
		close(cs.lfd);
		static const char said[] =
		    "http: the connection was closed or reset during the TLS handshake: ";
		if (e != ORSP_E_IO || fail == ORSP_HTTP_FAIL_TLS ||
		    strncmp(orsp_err_detail(), said, sizeof(said) - 1) != 0)
			fail_msg("%s: %s (fail %d): %s", reset ? "reset" : "closed",
			         orsp_err_str(e), (int)fail, orsp_err_detail());
		assert_int_equal(status, 0);
	}
}

/* The answer deadline over HTTPS (the plain HTTP case: test_slow_readers_answer_deadline).
 * Four TLS connections take every slot, each sends a whole request for /big; two then read
 * nothing and two a TLS record every 100 ms. They are cut request_timeout_ms (3 s) after
 * their answers were queued (on their thread's clock: see the plain case), so a fifth client
 * (10 s timeout) is served, a normal client gets the whole answer, and each slow connection is
 * ended by the server (a reset, the end of the stream or a TLS error, within 2 minutes)
 * without its whole answer. Without the deadline they kept their slots until the idle timeout
 * (20 s), and the fifth client timed out. */
struct tls_drip {
	int fd[4];
	gnutls_session_t s[4];
	size_t got[4];
	bool ended[4];
};

static bool tls_drip_record(void *ctx, int i)
{
	struct tls_drip *d = ctx;
	struct pollfd p = {.fd = d->fd[i], .events = POLLIN};
	char buf[16384];
	ssize_t got;

	if (!gnutls_record_check_pending(d->s[i]) && poll(&p, 1, 0) != 1)
		return true;
	got = gnutls_record_recv(d->s[i], buf, sizeof(buf));
	if (got > 0)
		d->got[i] += (size_t)got;
	return got > 0 || !(got == 0 || gnutls_error_is_fatal((int)got));
}

static void *tls_drip_main(void *arg)
{
	struct tls_drip *d = arg;

	drip_until_ended(d->fd, d->ended, tls_drip_record, d);
	return NULL;
}

static void test_https_slow_readers_answer_deadline(void **state)
{
	(void)state;
	orsp_http_server *srv;
	/* static: a failed assertion leaves the thread running */
	static struct tls_drip d;
	struct timeval tv = {2, 0};
	gnutls_certificate_credentials_t cred;
	orsp_http_client_opts o = {.ca_pem = pki.ca_pem, .timeout_ms = 10000};
	static const char req[] = "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx";
	static char buf[64 * 1024];
	pthread_t t;

	memset(&d, 0, sizeof(d));
	big_setup();
	o.max_response = big_ans.len;
	srv = start_big_cfg(2, 4, 3000, pki.srv_pem, pki.srv_key_pem);
	uint16_t port = orsp_http_server_port(srv);
	assert_int_equal(gnutls_certificate_allocate_credentials(&cred), GNUTLS_E_SUCCESS);
	for (int i = 0; i < 4; i++) {
		int rc;
		d.fd[i] = small_window_connect(port, 4096);
		/* no verification: these clients only hold their slots */
		assert_int_equal(gnutls_init(&d.s[i], GNUTLS_CLIENT), GNUTLS_E_SUCCESS);
		assert_int_equal(gnutls_set_default_priority(d.s[i]), GNUTLS_E_SUCCESS);
		assert_int_equal(gnutls_credentials_set(d.s[i], GNUTLS_CRD_CERTIFICATE, cred),
		                 GNUTLS_E_SUCCESS);
		gnutls_transport_set_int(d.s[i], d.fd[i]);
		do
			rc = gnutls_handshake(d.s[i]);
		while (rc < 0 && !gnutls_error_is_fatal(rc));
		assert_int_equal(rc, GNUTLS_E_SUCCESS);
		assert_int_equal(gnutls_record_send(d.s[i], req, sizeof(req) - 1),
		                 (ssize_t)(sizeof(req) - 1));
	}
	assert_int_equal(pthread_create(&t, NULL, tls_drip_main, &d), 0);
	sleep_ms(200);
	served_while_held(&o, "https", port);
	pthread_join(t, NULL);
	for (int i = 0; i < 4; i++) {
		ssize_t got;

		if (!d.ended[i])
			fail_msg("slow connection %d not ended by the server in 2 minutes", i);
		/* what the client had not read when the server ended it */
		assert_int_equal(setsockopt(d.fd[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
		while ((got = gnutls_record_recv(d.s[i], buf, sizeof(buf))) > 0)
			d.got[i] += (size_t)got;
		assert_true(got != GNUTLS_E_AGAIN && got != GNUTLS_E_INTERRUPTED);
		assert_true(d.got[i] < big_ans.len);
		gnutls_deinit(d.s[i]);
		close(d.fd[i]);
	}
	gnutls_certificate_free_credentials(cred);
	assert_int_equal(orsp_http_server_stop(srv, 2000), 0);
	big_teardown();
}
/* ---------------------------------------------------------------- JSON binding ---------- */

static json_t *load_json_vector(const char *rel)
{
	size_t len;
	uint8_t *data = test_read_vector(rel, &len);
	json_t *obj = NULL;
	assert_ok(orsp_json_parse(data, len, 1 << 20, &obj));
	free(data);
	return obj;
}

static void test_json_thales_response(void **state)
{
	(void)state;
	json_t *obj = load_json_vector("sgp22/es9p/thales_initiateAuthentication_response.json");
	orsp_json_status st;
	const char *tid;
	size_t n;
	uint8_t buf[2048], want[128];
	size_t want_len;
	uint8_t *heap = NULL;

	assert_ok(orsp_json_header_get(obj, &st));
	assert_int_equal(st.status, ORSP_FES_SUCCESS);
	assert_false(st.has_status_code_data);

	assert_ok(orsp_json_get_string(obj, "transactionId", 32, &tid, &n));
	assert_int_equal(n, 32);
	assert_string_equal(tid, "E4F6996D64A543FC8A7F6F8F97F9428D");

	/* serverSigned1: 91 octets, equal to the decoded value in the vector README. */
	assert_ok(orsp_json_get_base64(obj, "serverSigned1", buf, sizeof(buf), &n));
	assert_ok(orsp_hex_decode(
	    "30598010e4f6996d64a543fc8a7f6f8f97f9428d81108bcf1be4ada9c98af06298733005610383217762"
	    "672e70726f642e6f6e64656d616e64636f6e6e65637469766974792e636f6d84100982f87937a6c56b"
	    "25569c568e4c4d68",
	    want, sizeof(want), &want_len));
	assert_int_equal(n, 91);
	assert_int_equal(want_len, 91);
	assert_bytes_equal(buf, want, 91);

	/* serverSignature1: 5F37 40 || r || s. */
	assert_ok(orsp_json_get_base64(obj, "serverSignature1", buf, sizeof(buf), &n));
	assert_int_equal(n, 3 + 64);
	assert_int_equal(buf[0], 0x5f);
	assert_int_equal(buf[1], 0x37);
	assert_int_equal(buf[2], 0x40);

	/* euiccCiPKIdToBeUsed: OCTET STRING of the CI SKI given in the README. */
	assert_ok(orsp_json_get_base64(obj, "euiccCiPKIdToBeUsed", buf, sizeof(buf), &n));
	assert_ok(orsp_hex_decode("041481370f5125d0b1d408d4c3b232e6d25e795bebfb", want,
	                          sizeof(want), &want_len));
	assert_int_equal(n, 22);
	assert_bytes_equal(buf, want, 22);

	/* serverCertificate: a DER SEQUENCE whose length header accounts for every byte. */
	assert_ok(orsp_json_get_base64_alloc(obj, "serverCertificate", 4096, &heap, &n));
	assert_int_equal(heap[0], 0x30);
	assert_int_equal(heap[1], 0x82);
	assert_int_equal(n, 4 + ((size_t)heap[2] << 8 | heap[3]));
	assert_int_equal(n, 630);
	free(heap);

	/* Limits name the field: one byte too small fails, exact fits. */
	assert_err(orsp_json_get_base64(obj, "serverSigned1", buf, 90, &n), ORSP_E_MALFORMED,
	           "serverSigned1");
	assert_ok(orsp_json_get_base64(obj, "serverSigned1", buf, 91, &n));
	assert_err(orsp_json_get_base64_alloc(obj, "serverCertificate", 629, &heap, &n),
	           ORSP_E_MALFORMED, "serverCertificate");
	assert_null(heap);
	assert_err(orsp_json_get_string(obj, "transactionId", 31, &tid, &n), ORSP_E_MALFORMED,
	           "transactionId");
	/* transactionId is hex, not base64 of the right shape for every cap: as base64 it would
	 * decode to 24 bytes, so an 8-byte cap must refuse it. */
	assert_err(orsp_json_get_base64(obj, "transactionId", buf, 8, &n), ORSP_E_MALFORMED,
	           "transactionId");
	assert_err(orsp_json_get_base64(obj, "nonexistent", buf, sizeof(buf), &n), ORSP_E_MALFORMED,
	           "nonexistent: missing");
	assert_err(orsp_json_get_base64(obj, "header", buf, sizeof(buf), &n), ORSP_E_MALFORMED,
	           "header: not a string");
	json_decref(obj);
}

static void test_json_thales_request(void **state)
{
	(void)state;
	json_t *obj = load_json_vector("sgp22/es9p/thales_initiateAuthentication_request.json");
	uint8_t buf[64], want[16];
	size_t n, wl;
	const char *addr;
	orsp_json_status st;

	assert_ok(orsp_json_get_base64(obj, "euiccChallenge", buf, 16, &n));
	assert_ok(orsp_hex_decode("8bcf1be4ada9c98af062987330056103", want, sizeof(want), &wl));
	assert_int_equal(n, 16);
	assert_bytes_equal(buf, want, 16);
	assert_ok(orsp_json_get_string(obj, "smdpAddress", 255, &addr, NULL));
	assert_string_equal(addr, "wbg.prod.ondemandconnectivity.com");
	/* euiccInfo1 is a BF20 TLV. */
	assert_ok(orsp_json_get_base64(obj, "euiccInfo1", buf, sizeof(buf), &n));
	assert_int_equal(buf[0], 0xbf);
	assert_int_equal(buf[1], 0x20);
	assert_int_equal(n, 3 + (size_t)buf[2]);
	/* A request has no header: the response-side parser says so. */
	assert_err(orsp_json_header_get(obj, &st), ORSP_E_MALFORMED, "header: missing");
	json_decref(obj);
}

static void test_json_header_negative(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		const char *needle;
	} cases[] = {
	    {"{}", "header: missing"},
	    {"{\"header\":[]}", "header: not an object"},
	    {"{\"header\":{}}", "functionExecutionStatus: missing"},
	    {"{\"header\":{\"functionExecutionStatus\":\"Executed-Success\"}}",
	     "functionExecutionStatus: not an object"},
	    {"{\"header\":{\"functionExecutionStatus\":{}}}", "status: missing"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":1}}}", "status: not a string"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"executed-success\"}}}",
	     "status: unknown value"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\"}}}",
	     "statusCodeData: missing for Failed"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":[]}}}",
	     "statusCodeData: not an object"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":{\"reasonCode\":\"3.8\"}}}}",
	     "subjectCode: missing"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":{\"subjectCode\":8.1,\"reasonCode\":\"3.8\"}}}}",
	     "subjectCode: not a string"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":\"3.x\"}}}}",
	     "reasonCode: not dotted decimal"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":{\"subjectCode\":\"8..1\",\"reasonCode\":\"3.8\"}}}}",
	     "subjectCode: not dotted decimal"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":\"3.8\","
	     "\"message\":7}}}}",
	     "message: not a string"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":{\"subjectCode\":\"8.1.1.1.1\",\"reasonCode\":\"3.8\"}}}}",
	     "subjectCode: not dotted decimal"},
	    /* a group of four digits (at most three), last or first; an empty code */
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":{\"subjectCode\":\"8.1000\",\"reasonCode\":\"3.8\"}}}}",
	     "statusCodeData.subjectCode: not dotted decimal"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":\"1000.8\"}}}}",
	     "statusCodeData.reasonCode: not dotted decimal"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":{\"subjectCode\":\"\",\"reasonCode\":\"3.8\"}}}}",
	     "statusCodeData.subjectCode: not dotted decimal"},
	    {"{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	     "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":\"\"}}}}",
	     "statusCodeData.reasonCode: not dotted decimal"},
	};
	orsp_json_status st;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		json_t *obj = NULL;
		assert_ok(orsp_json_parse(cases[i].json, strlen(cases[i].json), 4096, &obj));
		assert_err(orsp_json_header_get(obj, &st), ORSP_E_MALFORMED, cases[i].needle);
		json_decref(obj);
	}

	/* the longest groups there may be, four of three digits: taken */
	{
		static const char ok[] = "{\"header\":{\"functionExecutionStatus\":{\"status\":"
		                         "\"Failed\",\"statusCodeData\":{\"subjectCode\":"
		                         "\"123.456.789.100\",\"reasonCode\":\"999.9\"}}}}";
		json_t *obj = NULL;
		assert_ok(orsp_json_parse(ok, strlen(ok), 4096, &obj));
		assert_ok(orsp_json_header_get(obj, &st));
		assert_string_equal(st.subject_code, "123.456.789.100");
		assert_string_equal(st.reason_code, "999.9");
		json_decref(obj);
	}

	/* A long message or subjectIdentifier (free text, no length in SGP.22): cut to fit, at
	 * a character's start, the answer taken (it was refused whole: "message: longer than
	 * 255", a success's with a warning too). Codes and status stay strict. */
	char big[1200], msg[400], sid[300];
	memset(msg, 'm', 254);
	memcpy(msg + 254, "\xc3\xa9tail", 7); /* é across the cut */
	memset(sid, 's', 200);
	sid[200] = '\0';
	snprintf(big, sizeof(big),
	         "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-WithWarning\","
	         "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":\"3.8\","
	         "\"subjectIdentifier\":\"%s\",\"message\":\"%s\"}}}}",
	         sid, msg);
	json_t *obj = NULL;
	assert_ok(orsp_json_parse(big, strlen(big), 4096, &obj));
	assert_ok(orsp_json_header_get(obj, &st));
	assert_int_equal(st.status, ORSP_FES_WARNING);
	assert_int_equal(strlen(st.message), 254);
	assert_int_equal(strspn(st.message, "m"), 254);
	assert_int_equal(strlen(st.subject_identifier), ORSP_JSON_SUBJECT_ID_MAX - 1);
	assert_string_equal(st.subject_code, "8.1");
	json_decref(obj);
	/* exactly 255 bytes, é whole at the end: kept whole */
	memset(msg, 'm', 253);
	memcpy(msg + 253, "\xc3\xa9", 3);
	snprintf(big, sizeof(big),
	         "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	         "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":\"3.8\","
	         "\"message\":\"%s\"}}}}",
	         msg);
	assert_ok(orsp_json_parse(big, strlen(big), 4096, &obj));
	assert_ok(orsp_json_header_get(obj, &st));
	assert_int_equal(strlen(st.message), 255);
	assert_memory_equal(st.message + 253, "\xc3\xa9", 2);
	json_decref(obj);
	/* a long subjectCode stays refused */
	memset(sid, '1', 60);
	sid[60] = '\0';
	snprintf(big, sizeof(big),
	         "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	         "\"statusCodeData\":{\"subjectCode\":\"%s\",\"reasonCode\":\"3.8\"}}}}",
	         sid);
	assert_ok(orsp_json_parse(big, strlen(big), 4096, &obj));
	assert_err(orsp_json_header_get(obj, &st), ORSP_E_MALFORMED, "subjectCode: longer than");
	json_decref(obj);
}

static void test_json_header_build(void **state)
{
	(void)state;
	json_t *obj = json_object();
	char *text = NULL;
	size_t n;
	orsp_json_status st;

	/* The shape of SGP.22 error responses as real servers send them. */
	assert_ok(orsp_json_header_put_failed(obj, "8.10.1", "3.9", "unknown transaction"));
	assert_ok(orsp_json_dump(obj, &text, &n));
	assert_string_equal(text, "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\","
	                          "\"statusCodeData\":{\"subjectCode\":\"8.10.1\",\"reasonCode\":"
	                          "\"3.9\",\"message\":\"unknown transaction\"}}}}");
	assert_int_equal(n, strlen(text));
	free(text);
	assert_ok(orsp_json_header_get(obj, &st));
	assert_int_equal(st.status, ORSP_FES_FAILED);
	assert_string_equal(st.subject_code, "8.10.1");
	assert_string_equal(st.reason_code, "3.9");
	assert_string_equal(st.message, "unknown transaction");
	assert_string_equal(orsp_json_fes_str(st.status), "Failed");

	assert_ok(orsp_json_header_put_success(obj)); /* replaces */
	assert_ok(orsp_json_dump(obj, &text, &n));
	assert_string_equal(
	    text, "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}}}");
	free(text);

	orsp_json_status warn = {.status = ORSP_FES_WARNING,
	                         .has_status_code_data = true,
	                         .subject_code = "8.1",
	                         .reason_code = "6.1",
	                         .subject_identifier = "x"};
	assert_ok(orsp_json_header_put(obj, &warn));
	assert_ok(orsp_json_header_get(obj, &st));
	assert_int_equal(st.status, ORSP_FES_WARNING);
	assert_string_equal(st.subject_identifier, "x");

	/* Caller mistakes. */
	assert_err(orsp_json_header_put_failed(obj, "8.1", "x", NULL), ORSP_E_USAGE, "dotted");
	assert_err(orsp_json_header_put_failed(obj, NULL, "1", NULL), ORSP_E_USAGE, NULL);
	orsp_json_status failed_bare = {.status = ORSP_FES_FAILED};
	assert_err(orsp_json_header_put(obj, &failed_bare), ORSP_E_USAGE, "statusCodeData");
	orsp_json_status bad = {.status = (orsp_json_fes)9};
	assert_err(orsp_json_header_put(obj, &bad), ORSP_E_USAGE, NULL);
	assert_string_equal(orsp_json_fes_str((orsp_json_fes)9), "?");
	json_decref(obj);

	/* the same object under another member (HandleDownloadProgressInfo's
	 * notificationPointStatus), by the same rules; nothing set on refusal */
	obj = json_object();
	assert_err(orsp_json_status_put(obj, "notificationPointStatus", &failed_bare), ORSP_E_USAGE,
	           "statusCodeData");
	assert_int_equal(json_object_size(obj), 0);
	orsp_json_status failed = {.status = ORSP_FES_FAILED,
	                           .has_status_code_data = true,
	                           .subject_code = "8.1",
	                           .reason_code = "4.2",
	                           .message = "m"};
	assert_ok(orsp_json_status_put(obj, "notificationPointStatus", &failed));
	assert_ok(orsp_json_dump(obj, &text, &n));
	assert_string_equal(text, "{\"notificationPointStatus\":{\"status\":\"Failed\","
	                          "\"statusCodeData\":{\"subjectCode\":\"8.1\",\"reasonCode\":"
	                          "\"4.2\",\"message\":\"m\"}}}");
	free(text);
	assert_err(orsp_json_status_put(obj, NULL, &failed), ORSP_E_USAGE, NULL);
	json_decref(obj);
}

static void test_json_fields(void **state)
{
	(void)state;
	json_t *obj = json_object();
	static const uint8_t blob[] = {0xbf, 0x20, 0x00, 0xff};
	uint8_t buf[8];
	size_t n;
	const char *s;
	uint8_t *heap = NULL;

	assert_ok(orsp_json_put_base64(obj, "euiccInfo1", blob, sizeof(blob)));
	assert_ok(orsp_json_get_string(obj, "euiccInfo1", 64, &s, &n));
	assert_string_equal(s, "vyAA/w=="); /* RFC 4648 of BF 20 00 FF */
	assert_ok(orsp_json_get_base64(obj, "euiccInfo1", buf, sizeof(buf), &n));
	assert_int_equal(n, 4);
	assert_bytes_equal(buf, blob, 4);
	assert_ok(orsp_json_put_base64(obj, "empty", NULL, 0));
	assert_ok(orsp_json_get_base64(obj, "empty", buf, sizeof(buf), &n));
	assert_int_equal(n, 0);
	assert_ok(orsp_json_get_base64_alloc(obj, "empty", 0, &heap, &n));
	assert_int_equal(n, 0);
	free(heap);

	static const struct {
		const char *value;
		const char *needle;
	} bad64[] = {
	    {"vyAA/w=", "bad base64"},    /* length not a multiple of 4 */
	    {"vyAA/w==\n", "bad base64"}, /* whitespace */
	    {"vyAA_w==", "bad base64"},   /* URL-safe alphabet */
	    {"vyAA/x==", "bad base64"},   /* non-zero bits under padding */
	    {"vy==AAAA", "bad base64"},   /* padding in the middle */
	    {"AAAAAAAAAAAAAAAA", "more than 8"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad64); i++) {
		assert_ok(orsp_json_put_string(obj, "f", bad64[i].value));
		assert_err(orsp_json_get_base64(obj, "f", buf, sizeof(buf), &n), ORSP_E_MALFORMED,
		           bad64[i].needle);
		assert_err(orsp_json_get_base64(obj, "f", buf, sizeof(buf), &n), ORSP_E_MALFORMED,
		           "f:");
	}

	/* Wrong types, NUL inside, missing. */
	assert_int_equal(json_object_set_new(obj, "num", json_integer(5)), 0);
	assert_int_equal(json_object_set_new(obj, "nul", json_stringn("a\0b", 3)), 0);
	assert_int_equal(json_object_set_new(obj, "null", json_null()), 0);
	assert_err(orsp_json_get_string(obj, "num", 64, &s, &n), ORSP_E_MALFORMED,
	           "num: not a string");
	assert_err(orsp_json_get_string(obj, "null", 64, &s, &n), ORSP_E_MALFORMED,
	           "null: not a string");
	assert_err(orsp_json_get_string(obj, "nul", 64, &s, &n), ORSP_E_MALFORMED, "nul: contains");
	assert_err(orsp_json_get_string(obj, "gone", 64, &s, &n), ORSP_E_MALFORMED,
	           "gone: missing");
	json_t *arr = json_array();
	assert_err(orsp_json_get_string(arr, "x", 64, &s, &n), ORSP_E_MALFORMED, "not an object");
	json_decref(arr);
	assert_err(orsp_json_put_string(obj, "bad", "\xc3\x28"), ORSP_E_USAGE, "UTF-8");
	/* jansson out of memory: a resource error, not the caller's text (the limits review) */
	{
		json_malloc_t real_malloc;
		json_free_t real_free;
		json_get_alloc_funcs(&real_malloc, &real_free);
		json_set_alloc_funcs(json_no_malloc, real_free);
		orsp_err e = orsp_json_put_string(obj, "message", "caf\xc3\xa9");
		json_set_alloc_funcs(real_malloc, real_free);
		assert_err(e, ORSP_E_RESOURCE, "JSON message: out of memory");
	}
	json_decref(obj);
}

/* orsp_json_parse_lenient takes what orsp_json_parse refuses only for \u0000 and a repeated key
 * (the last value stays), and the header's message is cut at the NUL while its codes with one
 * are refused; the bounds and the top-level object stay. */
static void test_json_parse_lenient(void **state)
{
	static const char nul[] =
	    "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\",\"statusCodeData\":"
	    "{\"subjectCode\":\"8.1\",\"reasonCode\":\"1.1\",\"message\":\"bad\\u0000x\"}}}}";
	static const char code_nul[] =
	    "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\",\"statusCodeData\":"
	    "{\"subjectCode\":\"8.1\\u0000\",\"reasonCode\":\"1.1\"}}}}";
	json_t *obj = NULL;
	orsp_json_status st;
	(void)state;

	assert_err(orsp_json_parse(nul, sizeof(nul) - 1, 4096, &obj), ORSP_E_MALFORMED, "JSON");
	assert_ok(orsp_json_parse_lenient(nul, sizeof(nul) - 1, 4096, &obj));
	assert_ok(orsp_json_header_get(obj, &st));
	assert_int_equal(st.status, ORSP_FES_FAILED);
	assert_string_equal(st.subject_code, "8.1");
	assert_string_equal(st.message, "bad");
	json_decref(obj);
	assert_ok(orsp_json_parse_lenient(code_nul, sizeof(code_nul) - 1, 4096, &obj));
	assert_err(orsp_json_header_get(obj, &st), ORSP_E_MALFORMED, "subjectCode: contains NUL");
	json_decref(obj);
	assert_ok(orsp_json_parse_lenient("{\"a\":1,\"a\":2}", 13, 4096, &obj));
	assert_int_equal(json_integer_value(json_object_get(obj, "a")), 2);
	json_decref(obj);
	assert_err(orsp_json_parse_lenient("[]", 2, 4096, &obj), ORSP_E_MALFORMED, "not an object");
	assert_err(orsp_json_parse_lenient("{\"a\":1}", 7, 6, &obj), ORSP_E_MALFORMED, "exceeds");
	assert_err(orsp_json_parse_lenient("{\"a\":1", 6, 4096, &obj), ORSP_E_MALFORMED, "JSON");
	assert_null(obj);
}

static void test_json_parse_strict(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t len;
		const char *needle;
	} cases[] = {
	    {"", 0, "empty"},
	    {"[]", 2, "not an object"},
	    {"\"x\"", 3, "JSON"},
	    {"{\"a\":1,\"a\":2}", 13, "JSON"},
	    {"{\"a\":\"\\u0000\"}", 14, "JSON"},
	    {"{\"a\":\"\xc3\x28\"}", 10, "JSON"},
	    {"{\"a\":1} x", 9, "JSON"},
	    {"{\"a\":1}\0", 8, "JSON"},
	    {"{\"a\":", 5, "JSON"},
	    {"{'a':1}", 7, "JSON"},
	    /* lone surrogates in \u escapes (RFC 8259 §8.2: no Unicode text) */
	    {"{\"a\":\"\\uD800\"}", 14, "JSON"},
	    {"{\"a\":\"\\uDC00x\"}", 15, "JSON"},
	    {"{\"a\":\"\\uD800\\u0041\"}", 20, "JSON"},
	};
	json_t *obj = NULL;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		assert_err(orsp_json_parse(cases[i].text, cases[i].len, 4096, &obj),
		           ORSP_E_MALFORMED, cases[i].needle);
		assert_null(obj);
	}
	/* jansson quotes the input: the detail keeps printable ASCII only (an escape sequence,
	 * a C1 CSI, a right-to-left override and a control byte of a server's making) */
	static const char *const hostile[] = {
	    "{\"a\": \x1b]0;X\x07}",
	    "{\"t\": \"\xc2\x9b"
	    "2J\xc2\x9b"
	    "1;31m\xe2\x80\xae"
	    "evil\x01\"}",
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(hostile); i++) {
		assert_err(orsp_json_parse(hostile[i], strlen(hostile[i]), 4096, &obj),
		           ORSP_E_MALFORMED, "JSON: ");
		for (const char *t = orsp_err_detail(); *t; t++)
			if ((unsigned char)*t < 0x20 || (unsigned char)*t > 0x7E)
				fail_msg("case %zu: byte %02X in \"%s\"", i, (unsigned char)*t,
				         orsp_err_detail());
	}
	/* nor the sender's bytes at all: jansson's "near '...'" quote (a string cut short may be a
	 * secret) is cut; its words, the line and the column stay */
	static const char *const quoting[] = {"{\"k\": \"SECRET-cut-short",
	                                      "{\"k\": \"SECRET\x01\"}", "{\"k\": \"SECRET\\q\"}",
	                                      "{\"k\": SECRET}"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(quoting); i++) {
		assert_err(orsp_json_parse(quoting[i], strlen(quoting[i]), 4096, &obj),
		           ORSP_E_MALFORMED, " at line 1 column ");
		if (strstr(orsp_err_detail(), "SECRET") || strstr(orsp_err_detail(), "near"))
			fail_msg("case %zu: \"%s\"", i, orsp_err_detail());
	}
	assert_err(orsp_json_parse("{\"a\":1}", 7, 6, &obj), ORSP_E_MALFORMED, "exceeds");
	assert_ok(orsp_json_parse("{\"a\":1}", 7, 7, &obj));
	json_decref(obj);

	/* Deep nesting is refused by the parser's depth limit, not by the stack. */
	size_t depth = 100000;
	char *deep = malloc(2 * depth + 8);
	assert_non_null(deep);
	size_t k = 0;
	deep[k++] = '{';
	memcpy(deep + k, "\"a\":", 4);
	k += 4;
	for (size_t i = 0; i < depth; i++)
		deep[k++] = '[';
	for (size_t i = 0; i < depth; i++)
		deep[k++] = ']';
	deep[k++] = '}';
	assert_err(orsp_json_parse(deep, k, 1 << 20, &obj), ORSP_E_MALFORMED, "JSON");
	free(deep);
}

/* jansson's allocator for test_json_parse_out_of_memory (orsp__json_alloc_hook): a block of
 * oom_from bytes or more is refused, as under an address-space limit; the calls are counted,
 * and those after the first refusal apart. */
static size_t oom_from;
static unsigned long oom_calls, oom_after;
static bool oom_failed;

static void *oom_alloc(size_t n)
{
	oom_calls++;
	oom_after += oom_failed;
	if (n >= oom_from) {
		oom_failed = true;
		return NULL;
	}
	return malloc(n);
}

static void oom_reset(size_t from)
{
	oom_from = from;
	oom_calls = oom_after = 0;
	oom_failed = false;
}

/* Out of memory, a parse stops at the first failed allocation: jansson (2.14) ignores a
 * failed append to its token buffer and tries to grow it again for every byte after it (an
 * 11 MB string held a server's worker for 27 s under an address-space limit). A body that
 * does not open an object is refused before jansson reads it. Outside a parse, jansson's
 * allocations fail one by one, as before. Counts, not timings: the old code asked for some
 * 200,000 more blocks after the first refusal here, and read the body of A's. */
static void test_json_parse_out_of_memory(void **state)
{
	size_t n = 200000;
	char *t = malloc(n + 16);
	json_t *obj = NULL;
	(void)state;

	assert_non_null(t);
	/* {"a":"\nAAA...A"}: the escape keeps it from the fast reader, jansson's lexer saves
	 * the string a byte at a time */
	memcpy(t, "{\"a\":\"\\n", 8);
	memset(t + 8, 'A', n - 10);
	memcpy(t + n - 2, "\"}", 2);
	orsp__json_alloc_hook(oom_alloc);
	oom_reset(4096);
	assert_err(orsp_json_parse(t, n, n, &obj), ORSP_E_RESOURCE, "out of memory");
	assert_null(obj);
	assert_true(oom_failed);
	assert_int_equal(oom_after, 0);
	/* the next parse starts afresh */
	oom_reset(4096);
	assert_ok(orsp_json_parse("{\"a\":\"\\n\"}", 10, 4096, &obj));
	assert_false(oom_failed);
	json_decref(obj);
	/* outside a parse, a failure is not carried on */
	oom_reset(4096);
	assert_null(json_stringn(t + 8, 5000));
	json_t *small = json_string("x");
	assert_non_null(small);
	json_decref(small);
	/* not an object: refused before jansson allocates anything */
	memset(t, 'A', n);
	oom_reset(SIZE_MAX);
	assert_err(orsp_json_parse(t, n, n, &obj), ORSP_E_MALFORMED, "top level is not an object");
	assert_err(orsp_json_parse(" \r\n\t[]", 6, 64, &obj), ORSP_E_MALFORMED,
	           "top level is not an object");
	assert_int_equal(oom_calls, 0);
	assert_ok(orsp_json_parse(" \r\n\t{}", 6, 64, &obj));
	json_decref(obj);
	orsp__json_alloc_hook(NULL);
	free(t);
}

/* A body of more values than ORSP_JSON_MAX_VALUES is refused before it is built (a 16 MiB
 * answer of `[{},{},..]` took the LPA about 1.3 GB); one of exactly that many is taken, and
 * brackets and commas inside strings (escaped quotes among them) count nothing. */
static void test_json_parse_value_limit(void **state)
{
	size_t cap = 8 * ORSP_JSON_MAX_VALUES + 64, n;
	char *t = malloc(cap);
	json_t *obj = NULL;
	(void)state;

	assert_non_null(t);
	/* {"a":[0,0,..]}: the object, the array and ORSP_JSON_MAX_VALUES - 2 numbers */
	n = (size_t)snprintf(t, cap, "{\"a\":[");
	for (int i = 0; i < ORSP_JSON_MAX_VALUES - 2; i++)
		n += (size_t)snprintf(t + n, cap - n, i ? ",0" : "0");
	n += (size_t)snprintf(t + n, cap - n, "]}");
	assert_ok(orsp_json_parse(t, n, cap, &obj));
	assert_int_equal(json_array_size(json_object_get(obj, "a")), ORSP_JSON_MAX_VALUES - 2);
	json_decref(obj);
	obj = NULL;
	/* one more */
	memcpy(t + n - 2, ",0]}", 4);
	n += 2;
	assert_err(orsp_json_parse(t, n, cap, &obj), ORSP_E_MALFORMED,
	           "1024 or more brackets and commas outside strings");
	assert_null(obj);
	/* the same count of brackets and commas inside a string: one value */
	n = (size_t)snprintf(t, cap, "{\"a\":\"\\\"");
	for (int i = 0; i < ORSP_JSON_MAX_VALUES; i++)
		n += (size_t)snprintf(t + n, cap - n, "[{,");
	n += (size_t)snprintf(t + n, cap - n, "\"}");
	assert_ok(orsp_json_parse(t, n, cap, &obj));
	json_decref(obj);
	free(t);
}

/* orsp_json_parse reads common documents itself: for every text, valid or not, the outcome
 * must be jansson's (accepted or not, the same value, the same message), but for a text that
 * does not open an object, refused before jansson reads it. */
static void assert_parse_is_janssons(const char *text, size_t len)
{
	json_error_t jerr;
	json_t *ours = NULL, *theirs = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	orsp_err e = orsp_json_parse(text, len, 1 << 20, &ours);
	size_t at = 0;

	while (at < len &&
	       (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
		at++;
	if ((theirs && !json_is_object(theirs)) || at == len || text[at] != '{') {
		json_decref(theirs);
		theirs = NULL;
		snprintf(jerr.text, sizeof(jerr.text), "top level is not an object");
	}
	char *near = strstr(jerr.text, " near '"); /* as orsp_json_parse cuts the quote */
	if (near)
		*near = '\0';
	for (char *t = jerr.text; *t; t++) /* as orsp_json_parse makes it printable */
		if ((unsigned char)*t < 0x20 || (unsigned char)*t > 0x7E)
			*t = '?';
	if (!theirs) {
		if (e != ORSP_E_MALFORMED || !strstr(orsp_err_detail(), jerr.text))
			fail_msg("\"%.*s\": jansson refuses (%s), ours: %s", (int)len, text,
			         jerr.text, orsp_err_detail());
		assert_null(ours);
		return;
	}
	if (e != ORSP_OK || !json_equal(ours, theirs))
		fail_msg("\"%.*s\": jansson accepts, ours differs (%s)", (int)len, text,
		         orsp_err_detail());
	json_decref(ours);
	json_decref(theirs);
}

static void test_json_parse_fast_path(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    /* read by the fast path */
	    "{}",
	    "{\"a\":1}",
	    " \t\r\n{ \"a\" : [ 1 , -2 , 0 , -0 , 123456789012345678 ] }\n",
	    "{\"\":\"\",\"t\":true,\"f\":false,\"n\":null,\"o\":{},\"l\":[],\"s\":\"x\"}",
	    "{\"h\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"a\":[[{}]]}",
	    "{\"a\":-123456789012345678,\"b\":[true,[false,[null]]]}",
	    "{\"del\":\"\x7f\",\"x\":\"~ !#$%&'()*+,-./:;<=>?@[]^_`{|}\"}",
	    /* valid, but for jansson to read */
	    "{\"a\":1.5}",
	    "{\"a\":1e3}",
	    "{\"a\":1E-3}",
	    "{\"a\":1234567890123456789}",
	    "{\"a\":9223372036854775807}",
	    "{\"a\":9999999999999999999}",
	    "{\"a\":999999999999999999}",
	    "{\"a\":-999999999999999999}",
	    "{\"a\":\"\\u00e9\"}",
	    "{\"a\":\"caf\xc3\xa9\"}",
	    "{\"a\":\"x\\ny\"}",
	    "{\"k\\\"\":1}",
	    "{\"a\":[1,{\"b\":\"\\/\"}]}",
	    /* not JSON, or not what we take */
	    "{\"a\":01}",
	    "{\"a\":-}",
	    "{\"a\":--1}",
	    "{\"a\":+1}",
	    "{\"a\":tru}",
	    "{\"a\":truex}",
	    "{\"a\":nul}",
	    "{\"a\":1,}",
	    "{\"a\":[1,]}",
	    "{\"a\" 1}",
	    "{\"a\":1 \"b\":2}",
	    "{,}",
	    "{\"a\":1}}",
	    "{\"a\":\"x}",
	    "{\"a\":\"x\x01y\"}",
	    "{\"a\":1,\"a\":1}",
	    "{\"x\":{\"a\":1,\"a\":2}}",
	    "{\"a\":1}x",
	    "[1]",
	    "\"s\"",
	    "1",
	    "{\"a\":.5}",
	    "{\"a\":1.}",
	    "{\"a\":99999999999999999999}",
	    "{\"a\":-0.0}",
	    "{a:1}",
	    "{\"a\"}",
	    "\xef\xbb\xbf{}",
	    "{\"a\":\"\xff\"}",
	    "{\"a\":[}",
	    "{\"a\":]}",
	    "}",
	    "{",
	    "",
	};
	/* read by the fast path whole; each of its prefixes ends inside a container, in a buffer
	 * of its length (a read past the end is seen by ASan: the end check after a value in a
	 * container is masked otherwise, as the document is then refused at its end) */
	static const char whole[] = "{\"a\":[1,{\"b\":true},\"s\"] ,\"c\":null }";
	char deep[128];
	size_t k;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(texts); i++)
		if (texts[i][0])
			assert_parse_is_janssons(texts[i], strlen(texts[i]));
	for (size_t len = 1; len < strlen(whole); len++) {
		char *cut = malloc(len);
		assert_non_null(cut);
		memcpy(cut, whole, len);
		assert_parse_is_janssons(cut, len);
		free(cut);
	}
	assert_parse_is_janssons(whole, strlen(whole));
	/* a NUL inside and after */
	assert_parse_is_janssons("{\"a\":\"x\0y\"}", 11);
	assert_parse_is_janssons("{\"a\":1}\0", 8);
	/* nesting around the fast path's depth limit */
	for (size_t d = 10; d < 24; d++) {
		k = 0;
		memcpy(deep, "{\"a\":", 5);
		k = 5;
		for (size_t i = 0; i < d; i++)
			deep[k++] = '[';
		for (size_t i = 0; i < d; i++)
			deep[k++] = ']';
		deep[k++] = '}';
		assert_parse_is_janssons(deep, k);
	}
	/* every byte value inside a string, and as the byte after a value */
	for (int c = 0; c < 256; c++) {
		char t[16];
		int n = snprintf(t, sizeof(t), "{\"a\":\"%c\"}", c ? c : '?');
		t[6] = (char)c;
		assert_parse_is_janssons(t, (size_t)n);
		n = snprintf(t, sizeof(t), "{\"a\":1%c}", c ? c : '?');
		t[6] = (char)c;
		assert_parse_is_janssons(t, (size_t)n);
	}
}

/* orsp_json_dump writes common documents itself: the bytes must be jansson's. */
static void assert_dump_is_janssons(json_t *doc)
{
	char *ours = NULL, *theirs = json_dumps(doc, JSON_COMPACT);
	size_t n = 0;
	assert_non_null(theirs);
	assert_int_equal(orsp_json_dump(doc, &ours, &n), ORSP_OK);
	assert_string_equal(ours, theirs);
	assert_int_equal(n, strlen(theirs));
	free(ours);
	free(theirs);
	json_decref(doc);
}

static void test_json_dump_fast_path(void **state)
{
	(void)state;
	char ctl[64], *big = malloc(20001);
	size_t k = 0;
	assert_non_null(big);
	for (int c = 1; c < 0x20; c++)
		ctl[k++] = (char)c;
	memcpy(ctl + k, "\"\\/\x7f~ ", 6);
	ctl[k + 6] = '\0';
	for (size_t i = 0; i < 20000; i++)
		big[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64];
	big[20000] = '\0';
	assert_dump_is_janssons(json_pack("{s:{s:{s:s}},s:s,s:s}", "header",
	                                  "functionExecutionStatus", "status", "Executed-Success",
	                                  "transactionId", "0123ABCD", "boundProfilePackage", big));
	assert_dump_is_janssons(json_pack("{s:s,s:[],s:{},s:[i,i,I,b,b,n,s],s:s}", ctl, ctl,
	                                  "empty", "obj", "arr", 0, -1, (json_int_t)INT64_MIN, 1, 0,
	                                  "", "k\"ey\\", "v"));
	assert_dump_is_janssons(json_pack("[[[[{}]]],{s:[{s:i}]}]", "a", "b", 7));
	/* every ASCII byte alone, at the start, between runs and at the end of a string */
	for (int c = 1; c < 0x80; c++) {
		char t[8] = {(char)c, 'a', 'b', (char)c, 'c', 'd', (char)c, '\0'};
		assert_dump_is_janssons(json_pack("{s:s}", t, t));
	}
	/* and at every position of a longer string (the scan goes a word of 8 bytes at a time) */
	for (int c = 1; c < 0x80; c++) {
		for (size_t pos = 0; pos < 21; pos++) {
			char t[22];
			memset(t, 'a', 21);
			t[21] = '\0';
			t[pos] = (char)c;
			assert_dump_is_janssons(json_pack("{s:s}", "k", t));
		}
	}
	/* jansson's path: non-ASCII text, reals */
	assert_dump_is_janssons(json_pack("{s:s,s:i}", "name", "caf\xc3\xa9", "n", 1));
	assert_dump_is_janssons(json_pack("{s:f}", "x", 0.5));
	assert_dump_is_janssons(json_pack("{s:s}", "k\xe2\x82\xac", "v"));
#if JANSSON_VERSION_HEX >= 0x020e00
	/* a key holding a NUL (jansson 2.14): written "k\u0000z", not cut to "k" */
	{
		json_t *o = json_object(), *inner = json_object();
		assert_int_equal(json_object_setn_new(inner, "\0", 1, json_true()), 0);
		assert_int_equal(json_object_setn_new(o, "k\0z", 3, json_string("v")), 0);
		assert_int_equal(json_object_setn_new(o, "ab\0", 3, json_pack("[o]", inner)), 0);
		assert_dump_is_janssons(o);
	}
#endif
	/* json_dumps writes objects and arrays only (returns NULL for anything else) */
	{
		json_t *scalars[] = {json_string("x"), json_integer(1), json_true(), json_null(),
		                     json_real(0.5)};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(scalars); i++) {
			char *text = json_dumps(scalars[i], JSON_COMPACT), *ours = (char *)1;
			size_t n = 7;
			assert_null(text);
			assert_err(orsp_json_dump(scalars[i], &ours, &n), ORSP_E_USAGE,
			           "not an object or array");
			assert_null(ours);
			assert_int_equal(n, 7);
			json_decref(scalars[i]);
		}
	}
	free(big);
}

static void test_admin_protocol(void **state)
{
	(void)state;
	unsigned a, b, c;
	assert_ok(orsp_http_admin_protocol_parse("gsma/rsp/v2.2.0", &a, &b, &c));
	assert_int_equal(a, 2);
	assert_int_equal(b, 2);
	assert_int_equal(c, 0);
	assert_ok(orsp_http_admin_protocol_parse("gsma/rsp/v3.1.12", &a, &b, &c));
	assert_int_equal(a, 3);
	assert_int_equal(c, 12);
	assert_ok(orsp_http_admin_protocol_parse(ORSP_HTTP_ADMIN_PROTOCOL, NULL, NULL, NULL));
	static const char *const bad[] = {
	    "gsma/rsp/v2.2",      "gsma/rsp/2.2.0",    "gsma/rsp/v2.2.0 ",
	    "gsma/rsp/v.2.0",     "gsma/rsp/v2..0",    "GSMA/rsp/v2.2.0",
	    "gsma/rsp/v1000.0.0", "gsma/rsp/v2.2.0.1", ""};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++)
		assert_err(orsp_http_admin_protocol_parse(bad[i], &a, &b, &c), ORSP_E_MALFORMED,
		           "X-Admin-Protocol");
	assert_err(orsp_http_admin_protocol_parse(NULL, &a, &b, &c), ORSP_E_MALFORMED, "missing");
}

/* ---------------------------------------------------------------- trusted proxies ------- */

/* The addresses a handler sees: "client=<client_addr> peer=<peer_addr>". */
static orsp_err h_addr(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	char buf[160];
	(void)ctx;
	int n = snprintf(buf, sizeof(buf), "client=%s peer=%s", req->client_addr, req->peer_addr);
	return orsp_http_response_set_body(resp, 200, "text/plain", buf, (size_t)n);
}

static const orsp_http_route addr_routes[] = {{"POST", "/addr", h_addr, NULL}};

/* A plain server on 127.0.0.1 answering POST /addr (h_addr), trusting the proxies in text (a
 * list of prefixes separated by spaces; "" none). */
static orsp_http_server *start_addr(const char *text)
{
	orsp_http_prefix pre[8];
	size_t n = 0;
	orsp_http_server *srv = NULL;

	for (const char *p = text; *p;) {
		size_t k = strcspn(p, " ");
		assert_true(n < ORSP_ARRAY_LEN(pre));
		assert_ok(orsp_http_prefix_parse(p, k, &pre[n++]));
		p += k + strspn(p + k, " ");
	}
	orsp_http_server_config cfg = {
	    .address = "127.0.0.1",
	    .routes = addr_routes,
	    .n_routes = ORSP_ARRAY_LEN(addr_routes),
	    .timeout_s = 5,
	    .request_timeout_ms = 1000,
	    .threads = 2,
	    .trusted_proxies = n ? pre : NULL,
	    .n_trusted_proxies = n,
	    .on_request = hook,
	    .hook_ctx = &hooklog,
	};
	assert_ok(orsp_http_server_start(&cfg, &srv)); /* pre is copied */
	return srv;
}

/* POST /addr from 127.0.0.1 with the header fields `fields` (each ended by CRLF) and, with
 * host, a Host field: the handler (200) and the log hook see want as client_addr and
 * 127.0.0.1 as peer_addr; without Host the request is refused (400) and the hook sees want. */
static void xff_case(uint16_t port, const char *fields, bool host, const char *want)
{
	char req[2048], resp[4096], body[160];
	int k = snprintf(req, sizeof(req),
	                 "POST /addr HTTP/1.1\r\n%s%sConnection: close\r\nContent-Length: 1\r\n"
	                 "\r\nx",
	                 host ? "Host: x\r\n" : "", fields);
	int seen = 0;

	assert_true(k > 0 && (size_t)k < sizeof(req));
	pthread_mutex_lock(&hooklog.lock);
	snprintf(hooklog.want_path, sizeof(hooklog.want_path), "/addr");
	hooklog.seen = 0;
	pthread_mutex_unlock(&hooklog.lock);
	size_t n = raw_exchange(port, req, (size_t)k, false, resp, sizeof(resp));
	snprintf(body, sizeof(body), "client=%s peer=127.0.0.1", want);
	assert_one_answer(fields, resp, n, host ? 200 : 400, host ? body : NULL);
	for (int j = 0; j < 300 && !seen; j++) {
		pthread_mutex_lock(&hooklog.lock);
		seen = hooklog.seen;
		pthread_mutex_unlock(&hooklog.lock);
		if (!seen)
			sleep_ms(10);
	}
	pthread_mutex_lock(&hooklog.lock);
	if (hooklog.seen != 1 || strcmp(hooklog.client_addr, want) != 0 ||
	    strcmp(hooklog.peer_addr, "127.0.0.1") != 0)
		fail_msg("\"%s\": the log hook saw it %d times, client %s peer %s; want client %s",
		         fields, hooklog.seen, hooklog.client_addr, hooklog.peer_addr, want);
	hooklog.want_path[0] = 0;
	pthread_mutex_unlock(&hooklog.lock);
}

/* trusted_proxies: from a trusted peer, the client is the rightmost X-Forwarded-For entry
 * (all its fields joined in order) that is not a trusted proxy; an entry that is no plain
 * address before it keeps the peer; all trusted, the leftmost. From another peer, or with no
 * trusted proxies, the header is ignored. */
static void test_trusted_proxies(void **state)
{
	static const struct {
		const char *fields, *client;
	} cases[] = {
	    {"X-Forwarded-For: 1.2.3.4\r\n", "1.2.3.4"},
	    {"x-forwarded-for: 1.2.3.4\r\n", "1.2.3.4"},
	    /* a chain: the proxies in 10.0.0.0/8 skipped from the right */
	    {"X-Forwarded-For: 1.2.3.4, 10.0.0.1\r\n", "1.2.3.4"},
	    {"X-Forwarded-For: 1.2.3.4,10.0.0.1,10.255.0.9\r\n", "1.2.3.4"},
	    /* the rightmost one not trusted, not the leftmost (the client's to write) */
	    {"X-Forwarded-For: 9.9.9.9, 1.2.3.4, 10.0.0.1\r\n", "1.2.3.4"},
	    /* optional whitespace around entries (a trailing one too: libmicrohttpd keeps it) */
	    {"X-Forwarded-For:   1.2.3.4 \t,\t10.0.0.1  \r\n", "1.2.3.4"},
	    /* two fields are one list, in order (libmicrohttpd's lookup gives the first only) */
	    {"X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-For: 5.6.7.8\r\n", "5.6.7.8"},
	    {"X-Forwarded-For: 1.2.3.4\r\nHost-X: y\r\nx-forwarded-for: 10.0.0.1\r\n", "1.2.3.4"},
	    {"X-Forwarded-For: 5.6.7.8, 1.2.3.4\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2\r\n",
	     "1.2.3.4"},
	    /* IPv6, as inet_ntop writes it; 2001:db8:1::/48 trusted; an IPv4-mapped entry taken
	     * as its IPv4 address */
	    {"X-Forwarded-For: 2001:DB8::7\r\n", "2001:db8::7"},
	    {"X-Forwarded-For: 2001:db8::7, 2001:db8:1::5\r\n", "2001:db8::7"},
	    {"X-Forwarded-For: 2001:db8:1::5, 2001:db8:2::5\r\n", "2001:db8:2::5"},
	    {"X-Forwarded-For: 1.2.3.4, ::ffff:10.0.0.1\r\n", "1.2.3.4"},
	    {"X-Forwarded-For: ::ffff:1.2.3.4\r\n", "::ffff:1.2.3.4"},
	    /* an entry that is no plain address ends the walk: the peer stays */
	    {"X-Forwarded-For: unknown\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: 1.2.3.4:80\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: [::1]\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: [2001:db8::7]:443\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: fe80::1%eth0\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: client.example\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: 1.2.3.4 5.6.7.8\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: 1.2.3\r\n", "127.0.0.1"},
	    {"X-Forwarded-For:\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: 1.2.3.4,\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: 1.2.3.4, , 10.0.0.1\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: 1.2.3.4, unknown, 10.0.0.1\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-For:\r\n", "127.0.0.1"},
	    /* one left of the client is never reached */
	    {"X-Forwarded-For: unknown, 1.2.3.4, 10.0.0.1\r\n", "1.2.3.4"},
	    /* every entry trusted: the leftmost */
	    {"X-Forwarded-For: 10.0.0.1, 10.0.0.2\r\n", "10.0.0.1"},
	    {"X-Forwarded-For: 127.0.0.1\r\n", "127.0.0.1"},
	    {"X-Forwarded-For: 2001:db8:1::5, 10.0.0.2\r\n", "2001:db8:1::5"},
	    /* none, or another field */
	    {"", "127.0.0.1"},
	    {"Forwarded: for=1.2.3.4\r\nX-Real-IP: 1.2.3.4\r\n", "127.0.0.1"},
	    {"X-Forwarded-For-X: 1.2.3.4\r\n", "127.0.0.1"},
	};
	char fields[512];
	(void)state;

	orsp_http_server *srv = start_addr("127.0.0.1/32 10.0.0.0/8 2001:db8:1::/48");
	uint16_t port = orsp_http_server_port(srv);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++)
		xff_case(port, cases[i].fields, true, cases[i].client);
	/* an entry longer than any address (300 digits), alone or left of a trusted one */
	for (int chained = 0; chained < 2; chained++) {
		int k = snprintf(fields, sizeof(fields), "X-Forwarded-For: ");
		memset(fields + k, '1', 300);
		snprintf(fields + k + 300, sizeof(fields) - (size_t)k - 300, "%s\r\n",
		         chained ? ", 10.0.0.1" : "");
		xff_case(port, fields, true, "127.0.0.1");
	}
	/* 45 characters, the longest an IPv6 address is written with, and one more */
	xff_case(port, "X-Forwarded-For: 0000:0000:0000:0000:0000:ffff:255.255.255.255\r\n", true,
	         "::ffff:255.255.255.255");
	xff_case(port, "X-Forwarded-For: 0000:0000:0000:0000:0000:ffff:255.255.255.0255\r\n", true,
	         "127.0.0.1");
	xff_case(port, "X-Forwarded-For: 0000:0000:0000:0000:0000:0000:255.255.255.255\r\n", true,
	         "::255.255.255.255");
	/* refused by the framing checks (no Host): the peer's, its fields not read */
	xff_case(port, "X-Forwarded-For: 1.2.3.4\r\n", false, "127.0.0.1");
	orsp_http_server_stop(srv, 2000);

	/* no trusted proxy, or none that is the peer: the header is ignored */
	static const char *const others[] = {"", "10.0.0.0/8 ::1", "127.0.0.2/32 128.0.0.0/1"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(others); i++) {
		srv = start_addr(others[i]);
		port = orsp_http_server_port(srv);
		xff_case(port, "X-Forwarded-For: 1.2.3.4\r\n", true, "127.0.0.1");
		xff_case(port, "X-Forwarded-For: 1.2.3.4, 10.0.0.1\r\n", true, "127.0.0.1");
		orsp_http_server_stop(srv, 2000);
	}
	/* the whole of 127.0.0.0/8, or every IPv4 address */
	static const char *const wide[] = {"127.0.0.0/8", "0.0.0.0/0", "::/0 127.0.0.1"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(wide); i++) {
		srv = start_addr(wide[i]);
		port = orsp_http_server_port(srv);
		xff_case(port, "X-Forwarded-For: 1.2.3.4\r\n", true, "1.2.3.4");
		orsp_http_server_stop(srv, 2000);
	}
}

/* orsp_http_prefix_parse: an address, or one with a prefix length, nothing else. */
static void test_prefix_parse(void **state)
{
	static const struct {
		const char *in, *text;
	} good[] = {
	    {"127.0.0.1", "127.0.0.1/32"},
	    {"10.0.0.0/8", "10.0.0.0/8"},
	    {"0.0.0.0/0", "0.0.0.0/0"},
	    {"192.168.1.128/25", "192.168.1.128/25"},
	    {"::1", "::1/128"},
	    {"2001:DB8::/32", "2001:db8::/32"},
	    {"fd00::/8", "fd00::/8"},
	    {"::/0", "::/0"},
	    {"10.1.2.3/32", "10.1.2.3/32"},
	    {"2001:db8::1/128", "2001:db8::1/128"},
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
	    {"", "not an IPv4 or IPv6 address"},
	    {"localhost", "not an IPv4 or IPv6 address"},
	    {"10.0.0", "not an IPv4 or IPv6 address"},
	    {"10.0.0.256", "not an IPv4 or IPv6 address"},
	    {"10.0.0.1:80", "not an IPv4 or IPv6 address"},
	    {"[::1]", "not an IPv4 or IPv6 address"},
	    {"fe80::1%eth0", "not an IPv4 or IPv6 address"},
	    {" 10.0.0.1", "not an IPv4 or IPv6 address"},
	    {"/8", "not an IPv4 or IPv6 address"},
	    {"10.0.0.0/", "bad prefix length: after '/', 0 to 32 for an IPv4 address"},
	    {"10.0.0.0/33", "bad prefix length: after '/', 0 to 32 for an IPv4 address"},
	    {"10.0.0.0/08", "bad prefix length"},
	    {"10.0.0.0/+8", "bad prefix length"},
	    {"10.0.0.0/-1", "bad prefix length"},
	    {"10.0.0.0/8x", "bad prefix length"},
	    {"10.0.0.0/8/8", "bad prefix length"},
	    {"10.0.0.0/1000", "bad prefix length"},
	    {"::/129", "bad prefix length: after '/', 0 to 128 for an IPv6 address"},
	    {"10.0.0.1/8", "address bits set after the prefix length (the network is 10.0.0.0/8)"},
	    {"192.168.1.129/25", "(the network is 192.168.1.128/25)"},
	    {"2001:db8::1/32", "(the network is 2001:db8::/32)"},
	    {"::ffff:10.0.0.1", "an IPv4-mapped IPv6 address: give the IPv4 address itself"},
	};
	orsp_http_prefix p;
	char text[ORSP_HTTP_PREFIX_TEXT_MAX];
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(good); i++) {
		assert_ok(orsp_http_prefix_parse(good[i].in, strlen(good[i].in), &p));
		orsp_http_prefix_text(&p, text, sizeof(text));
		assert_string_equal(text, good[i].text);
	}
	/* the length given is read, not what follows it */
	assert_ok(orsp_http_prefix_parse("10.0.0.0/8, ::1", 10, &p));
	assert_int_equal(p.bits, 8);
	assert_false(p.v6);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++)
		assert_err(orsp_http_prefix_parse(bad[i].in, strlen(bad[i].in), &p), ORSP_E_USAGE,
		           bad[i].why);
	/* the longest text */
	assert_ok(orsp_http_prefix_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 43, &p));
	orsp_http_prefix_text(&p, text, sizeof(text));
	assert_string_equal(text, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	/* a prefix length the server cannot take */
	{
		orsp_http_prefix wrong = {.v6 = false, .bits = 33};
		orsp_http_server *srv = NULL;
		orsp_http_server_config cfg = {
		    .routes = addr_routes,
		    .n_routes = 1,
		    .trusted_proxies = &wrong,
		    .n_trusted_proxies = 1,
		};
		assert_err(orsp_http_server_start(&cfg, &srv), ORSP_E_USAGE, "prefix length 33");
		assert_null(srv);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_echo_json),
	    cmocka_unit_test(test_client_timeout_bounds_lookup),
	    cmocka_unit_test(test_malformed_json_in_handler),
	    cmocka_unit_test(test_204_404_405_500),
	    cmocka_unit_test(test_413_body_limit),
	    cmocka_unit_test(test_chunked_drop_limit),
	    cmocka_unit_test(test_body_wiped),
	    cmocka_unit_test(test_base64_alloc_failure_wiped),
	    cmocka_unit_test(test_client_limits_and_errors),
	    cmocka_unit_test(test_client_stop),
	    cmocka_unit_test(test_client_malformed_answers),
	    cmocka_unit_test(test_client_fold_after_reuse),
	    cmocka_unit_test(test_client_no_expect),
	    cmocka_unit_test(test_connection_refused),
	    cmocka_unit_test(test_conn_stats),
	    cmocka_unit_test(test_fd_limit_at_start),
	    cmocka_unit_test(test_accept_out_of_fds),
	    cmocka_unit_test_teardown(test_proxy_environment_ignored, fake_proxy_stop),
	    cmocka_unit_test(test_graceful_stop),
	    cmocka_unit_test(test_graceful_stop_waiting_requests),
	    cmocka_unit_test(test_stop_waits_for_request_being_read),
	    cmocka_unit_test(test_stop_serves_queued_connections),
	    cmocka_unit_test(test_stop_waits_for_new_connection),
	    cmocka_unit_test(test_stop_waits_for_header_section),
	    cmocka_unit_test(test_close_connections),
	    cmocka_unit_test(test_close_connections_per_ip),
	    cmocka_unit_test(test_last_answer_connections_per_ip),
	    cmocka_unit_test(test_connections_dealt_to_threads),
	    cmocka_unit_test(test_slow_handler_does_not_stall_accept),
	    cmocka_unit_test(test_reset_connections),
	    cmocka_unit_test(test_malformed_http_and_log_hook),
	    cmocka_unit_test(test_body_out_of_memory),
	    cmocka_unit_test(test_transfer_coding),
	    cmocka_unit_test(test_host_field),
	    cmocka_unit_test(test_single_fields),
	    cmocka_unit_test(test_request_target),
	    cmocka_unit_test(test_request_method),
	    cmocka_unit_test(test_head),
	    cmocka_unit_test(test_early_answer_body_not_read),
	    cmocka_unit_test(test_mhd_log_sanitised),
	    cmocka_unit_test(test_expect_continue),
	    cmocka_unit_test(test_connection_limit_and_idle_timeout),
	    cmocka_unit_test(test_closed_at_once_frees_slot),
	    cmocka_unit_test(test_slow_clients_request_deadline),
	    cmocka_unit_test(test_idle_kept_alive_make_room),
	    cmocka_unit_test(test_idle_new_make_room),
	    cmocka_unit_test(test_idle_reset_setting),
	    cmocka_unit_test(test_idle_reset_never),
	    cmocka_unit_test(test_request_in_progress_not_reset),
	    cmocka_unit_test(test_idle_one_chosen),
	    cmocka_unit_test(test_unread_request_not_reset),
	    cmocka_unit_test(test_cut_in_headers_logged),
	    cmocka_unit_test(test_connections_per_ip),
	    cmocka_unit_test(test_client_key),
	    cmocka_unit_test(test_deadline_not_server_time),
	    cmocka_unit_test(test_slow_readers_answer_deadline),
	    cmocka_unit_test(test_answer_deadline_keep_alive),
	    cmocka_unit_test(test_unsent_answer_not_reset),
	    cmocka_unit_test(test_backlog_taken_at_close),
	    cmocka_unit_test(test_server_config_errors),
	    cmocka_unit_test(test_server_config_limits),
	    cmocka_unit_test(test_client_config_limits),
	    cmocka_unit_test(test_reuse_port),
	    cmocka_unit_test(test_port_served),
	    cmocka_unit_test(test_server_probe),
	    cmocka_unit_test(test_response_setters),
	    cmocka_unit_test(test_https_verification),
	    cmocka_unit_test(test_https_key_sign),
	    cmocka_unit_test(test_mutual_tls),
	    cmocka_unit_test(test_tls_handshake_failures),
	    cmocka_unit_test(test_https_from_files),
	    cmocka_unit_test(test_https_slow_readers_answer_deadline),
	    cmocka_unit_test(test_https_cipher_suites),
	    cmocka_unit_test(test_https_no_sha1_signatures),
	    cmocka_unit_test(test_https_no_hello_retry),
	    cmocka_unit_test(test_https_brainpool_server),
	    cmocka_unit_test(test_https_client_suites),
	    cmocka_unit_test(test_https_no_renegotiation),
	    cmocka_unit_test(test_https_refusal_words),
	    cmocka_unit_test(test_https_handshake_cut),
	    cmocka_unit_test(test_json_thales_response),
	    cmocka_unit_test(test_json_thales_request),
	    cmocka_unit_test(test_json_header_negative),
	    cmocka_unit_test(test_json_header_build),
	    cmocka_unit_test(test_json_fields),
	    cmocka_unit_test(test_json_dump_fast_path),
	    cmocka_unit_test(test_json_parse_strict),
	    cmocka_unit_test(test_json_parse_lenient),
	    cmocka_unit_test(test_json_parse_value_limit),
	    cmocka_unit_test(test_json_parse_out_of_memory),
	    cmocka_unit_test(test_json_parse_fast_path),
	    cmocka_unit_test(test_admin_protocol),
	    cmocka_unit_test(test_trusted_proxies),
	    cmocka_unit_test(test_prefix_parse),
	};
	orsp_log_set_level(ORSP_LOG_WARN);
	if (orsp_cond_init_monotonic(&gate.cv)) /* for orsp_deadline_ms */
		return 1;
	return cmocka_run_group_tests(tests, pki_setup, pki_teardown);
}
