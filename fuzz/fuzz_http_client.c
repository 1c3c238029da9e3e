/* libFuzzer target for the HTTP client's handling of a server's answer (src/http/client.c:
 * the status, the Content-Length agreement check, get_header's Content-Type and
 * X-Admin-Protocol, the on_write sink and its max_response, map_curl_error and
 * malformed_response). A server thread of this process, on an ephemeral loopback port, reads
 * each request whole and writes the input, after its first byte, as the raw answer, then
 * closes. The first byte chooses the request: bits 0-1 orsp_http_client_post_json as the
 * LPA's ES9+ client sends it (User-Agent extra header), GET, HEAD or PUT with a body through
 * orsp_http_client_request; bit 2 the client, of max_response 64 or 1 MiB. Both clients live
 * across inputs, but the server closes each connection after its answer and each request has
 * an easy handle of its own, so only libcurl's DNS cache carries over. libcurl 7.88's freed
 * header (curl #11101) is tested by test_client_fold_after_reuse, not here.
 *
 * Bits 3 and 4 both set (the other bits unused): a kept-alive connection with bytes left
 * after an answer. Two GETs on the 1 MiB client; the server answers the first with a fixed 200
 * of body "{}" followed, in the same send, by the input's bytes, and keeps the connection
 * open: the second request, on it or on a new one, gets a fixed 201 of body "next". The first
 * must succeed as that 200. A second request that arrives on the connection with bytes left
 * over is a response desync, whatever the client makes of the answer: the server notes it,
 * and it aborts. Otherwise the second must succeed as that 201, or fail with an I/O failure
 * when the server never sent it that answer.
 *
 * Properties, checked with abort():
 *  - success: fail is NONE, status is 100..599 and its three digits are in the answer; the
 *    body is non-NULL, NUL-terminated, at most max_response bytes (none for HEAD) and, when
 *    the answer has no Transfer-Encoding (no chunks, no decoding), bytes of the answer as
 *    sent; Content-Type and X-Admin-Protocol are NUL-terminated in their fields and hold no
 *    control character (C0 but HTAB, DEL);
 *  - failure: the category is one an answer may cause (docs/http.md, http.h):
 *    ORSP_E_MALFORMED with PROTOCOL, ORSP_E_RESOURCE with TOO_LARGE or OTHER, ORSP_E_IO with
 *    OTHER or TIMEOUT; never a usage, resolve, connect or TLS failure; status 0, no body; the
 *    detail (it reaches logs and terminals) is printable ASCII.
 * No proxy: the proxy variables are unset (the client ignores them anyway, CURLOPT_PROXY ""). */
#define _GNU_SOURCE /* memmem */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loopback.h"
#include "openrsp/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SMALL_MAX 64
#define LARGE_MAX ((size_t)1 << 20)

static const char json[] = "{\"transactionId\":\"0123456789ABCDEF0123456789ABCDEF\"}";
/* the kept-alive mode's fixed answers */
static const char first_answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
static const char second_answer[] = "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\nnext";

/* What the server thread answers next, and how far it got: asked numbers the inputs,
 * answered is the number of the last one whose last connection the server closed. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const uint8_t *answer;
	size_t answer_len, request_body;
	bool keep; /* the kept-alive mode: answer is what follows first_answer */
	/* the kept-alive mode, of the current input: a second request came on the connection
	 * with bytes left over (desync); second_answer was sent whole */
	bool reused_dirty, second_sent;
	unsigned long asked, answered;
} next = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, false, false, false, 0, 0};

static void note(bool *flag)
{
	pthread_mutex_lock(&next.mu);
	*flag = true;
	pthread_mutex_unlock(&next.mu);
}

static bool noted(const bool *flag)
{
	pthread_mutex_lock(&next.mu);
	bool v = *flag;
	pthread_mutex_unlock(&next.mu);
	return v;
}

/* Send the kept-alive mode's second answer on fd. */
static void send_second(int fd)
{
	if (loopback_send_all(fd, (const uint8_t *)second_answer, sizeof(second_answer) - 1))
		note(&next.second_sent);
}

static int listen_fd = -1;
static char url[64];
static orsp_http_client *small, *large;

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* Read the request: its header section, then body_len bytes; false when the client went away
 * or stalled for a second. */
static bool read_request(int fd, size_t body_len)
{
	char buf[4096];
	size_t got = 0, need = SIZE_MAX;

	while (got < need) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		if (poll(&p, 1, 1000) <= 0)
			return false;
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			return false;
		got += (size_t)n;
		buf[got] = '\0';
		if (need == SIZE_MAX) {
			char *end = strstr(buf, "\r\n\r\n");
			if (end)
				need = (size_t)(end + 4 - buf) + body_len;
			else if (got == sizeof(buf) - 1)
				return false;
		}
	}
	return got == need;
}

/* The kept-alive mode's connection fd: the first request gets first_answer and the bytes left
 * over (one send), a second one on it second_answer; the second request on a new connection
 * is the next connection's (second_answer alone). */
static bool serve_kept(int fd, const uint8_t *left, size_t left_len, bool *first_done)
{
	if (*first_done) { /* the client left the kept connection: this is the second request */
		if (read_request(fd, 0))
			send_second(fd);
		return true;
	}
	if (!read_request(fd, 0))
		return false;
	size_t n = sizeof(first_answer) - 1 + left_len;
	uint8_t *both = malloc(n);
	check(both != NULL);
	memcpy(both, first_answer, sizeof(first_answer) - 1);
	memcpy(both + sizeof(first_answer) - 1, left, left_len); /* left: never NULL (serve) */
	bool sent = loopback_send_all(fd, both, n);
	free(both);
	*first_done = true;
	if (!sent || !read_request(fd, 0))
		return false; /* the client left it: the second request comes on a new one */
	if (left_len)
		note(&next.reused_dirty); /* before the answer the client waits for */
	send_second(fd);
	return true;
}

static void *serve(void *arg)
{
	bool first_done = false; /* the kept-alive mode: the first request was answered */
	unsigned long input = 0;

	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		uint8_t *answer;
		size_t len, body;
		bool keep;
		if (fd < 0)
			continue;
		/* a copy: the input is libFuzzer's only until the call returns */
		pthread_mutex_lock(&next.mu);
		len = next.answer_len;
		body = next.request_body;
		keep = next.keep;
		if (input != next.asked) { /* a new input */
			input = next.asked;
			first_done = false;
		}
		answer = malloc(len ? len : 1);
		check(answer != NULL);
		memcpy(answer, next.answer, len);
		pthread_mutex_unlock(&next.mu);
		/* the request whole, so that the close sends a FIN (a reset with bytes unread) */
		bool done = true; /* this input's last connection is closed */
		if (keep)
			done = serve_kept(fd, answer, len, &first_done);
		else if (read_request(fd, body))
			(void)loopback_send_all(fd, answer, len); /* the client may give up first */
		close(fd);
		free(answer);
		if (done) {
			pthread_mutex_lock(&next.mu);
			next.answered = input;
			pthread_cond_signal(&next.cv);
			pthread_mutex_unlock(&next.mu);
		}
	}
	return NULL;
}

static orsp_http_client *client(size_t max)
{
	orsp_http_client_opts o = {.connect_timeout_ms = 2000, .timeout_ms = 5000};
	orsp_http_client *c = NULL;
	o.max_response = max;
	check(orsp_http_client_new(&o, &c) == ORSP_OK);
	return c;
}

static void setup(void)
{
	static const char *const proxy_vars[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
	                                         "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
	struct sockaddr_in a = loopback_addr(0);
	socklen_t al = sizeof(a);
	pthread_t t;

	for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
		unsetenv(proxy_vars[i]);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	check(listen_fd >= 0 && bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	      listen(listen_fd, 16) == 0 &&
	      getsockname(listen_fd, (struct sockaddr *)&a, &al) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/gsma/rsp2/es9plus/initiateAuthentication",
	         (unsigned)ntohs(a.sin_port));
	check(pthread_create(&t, NULL, serve, NULL) == 0 && pthread_detach(t) == 0);
	small = client(SMALL_MAX);
	large = client(LARGE_MAX);
}

/* Whether s holds a control character (C0 or DEL) other than HTAB, which a field value may
 * hold (RFC 9110 §5.5; "application/json;\tcharset=UTF-8" is valid). */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || (unsigned char)*s == 0x7f)
			return true;
	return false;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static bool contains_nocase(const uint8_t *p, size_t n, const char *word)
{
	size_t w = strlen(word);
	for (size_t i = 0; i + w <= n; i++)
		if (strncasecmp((const char *)p + i, word, w) == 0)
			return true;
	return false;
}

static void check_success(const orsp_http_result *r, size_t max, bool head, const uint8_t *ans,
                          size_t len)
{
	char digits[8];

	check(r->fail == ORSP_HTTP_FAIL_NONE);
	check(r->status >= 100 && r->status <= 599);
	snprintf(digits, sizeof(digits), "%03ld", r->status);
	check(memmem(ans, len, digits, 3) != NULL);
	check(r->body && r->body[r->body_len] == 0 && r->body_len <= max);
	check(!head || r->body_len == 0);
	if (r->body_len && !contains_nocase(ans, len, "transfer-encoding"))
		check(memmem(ans, len, r->body, r->body_len) != NULL);
	check(memchr(r->content_type, 0, sizeof(r->content_type)) != NULL);
	check(memchr(r->x_admin_protocol, 0, sizeof(r->x_admin_protocol)) != NULL);
	check(!has_control(r->content_type) && !has_control(r->x_admin_protocol));
}

static void check_failure(orsp_err e, const orsp_http_result *r)
{
	switch (r->fail) {
	case ORSP_HTTP_FAIL_PROTOCOL:
		check(e == ORSP_E_MALFORMED);
		break;
	case ORSP_HTTP_FAIL_TOO_LARGE:
		check(e == ORSP_E_RESOURCE);
		break;
	case ORSP_HTTP_FAIL_TIMEOUT:
		check(e == ORSP_E_IO);
		break;
	case ORSP_HTTP_FAIL_OTHER:
		check(e == ORSP_E_IO || e == ORSP_E_RESOURCE);
		break;
	default: /* NONE, RESOLVE, CONNECT, TLS, TLS_NAME: not from an answer */
		abort();
	}
	check(r->status == 0 && !r->body && r->body_len == 0);
	check(!r->content_type[0] && !r->x_admin_protocol[0]);
	check(printable(orsp_err_detail()));
}

/* The kept-alive mode (above): two GETs, the bytes left over after the first answer. */
static void kept_alive(void)
{
	orsp_http_result r;
	orsp_err e = orsp_http_client_request(large, "GET", url, NULL, NULL, 0, &r);

	check(e == ORSP_OK && r.status == 200 && r.body_len == 2 && memcmp(r.body, "{}", 2) == 0);
	orsp_http_result_free(&r);
	e = orsp_http_client_request(large, "GET", url, NULL, NULL, 0, &r);
	check(!noted(&next.reused_dirty));
	if (e == ORSP_OK)
		check(r.status == 201 && r.body_len == 4 && memcmp(r.body, "next", 4) == 0);
	else
		check(e == ORSP_E_IO && r.fail == ORSP_HTTP_FAIL_OTHER &&
		      !noted(&next.second_sent));
	orsp_http_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const lpa_hdrs[] = {"User-Agent: gsma-rsp-lpad", NULL};
	static const char *const put_hdrs[] = {"Content-Type: text/plain", NULL};
	orsp_http_client *c;
	orsp_http_result r;
	orsp_err e;
	unsigned mode;
	bool keep;
	size_t max, body = 0;
	struct timespec until;

	if (!size)
		return 0;
	if (listen_fd < 0)
		setup();
	mode = data[0];
	keep = (mode & 0x18) == 0x18;
	c = mode & 4 ? small : large;
	max = mode & 4 ? SMALL_MAX : LARGE_MAX;
	if ((mode & 3) == 0 || (mode & 3) == 3)
		body = sizeof(json) - 1;
	pthread_mutex_lock(&next.mu);
	next.answer = data + 1;
	next.answer_len = size - 1;
	next.request_body = body;
	next.keep = keep;
	next.reused_dirty = next.second_sent = false;
	next.asked++;
	pthread_mutex_unlock(&next.mu);

	if (keep) {
		kept_alive();
		goto wait;
	}
	switch (mode & 3) {
	case 0:
		e = orsp_http_client_post_json(c, url, json, body, lpa_hdrs, &r);
		break;
	case 1:
		e = orsp_http_client_request(c, "GET", url, NULL, NULL, 0, &r);
		break;
	case 2:
		e = orsp_http_client_request(c, "HEAD", url, NULL, NULL, 0, &r);
		break;
	default:
		e = orsp_http_client_request(c, "PUT", url, put_hdrs, json, body, &r);
		break;
	}
	if (e == ORSP_OK)
		check_success(&r, max, (mode & 3) == 2, data + 1, size - 1);
	else
		check_failure(e, &r);
	orsp_http_result_free(&r);

wait:
	/* the server done with this request: its close seen before the next request would
	 * reuse the connection */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&next.mu);
	while (next.answered < next.asked &&
	       pthread_cond_timedwait(&next.cv, &next.mu, &until) == 0)
		;
	pthread_mutex_unlock(&next.mu);
	return 0;
}
