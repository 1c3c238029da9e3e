/* HTTP(S) server over libmicrohttpd: a route table, bounded request bodies, JSON error
 * answers, one log line per request, optional mutual TLS, and a graceful stop.
 *
 * Request life cycle (libmicrohttpd calls on_access several times per request):
 *   on_target  request line read: allocate the request state (a request cut short in its
 *              headers is logged too); the target as sent is a path, in absolute form or
 *              neither;
 *   1st call   headers complete: the request is in flight; check the framing, route,
 *              check the client certificate and Content-Length; answer 400/404/405/403 at
 *              once when they fail, and 413 at once for a body beyond DROP_LIMIT, or beyond
 *              max_body when the client waits for 100 Continue (an early answer:
 *              libmicrohttpd then reads none of the body and closes);
 *   next calls body chunks: appended up to max_body, then counted and dropped;
 *   last call  body complete: run the handler, queue its response;
 *   on_completed (libmicrohttpd): log line, free the state, in-flight count down.
 * Deadlines (request_timeout_ms): the request must arrive whole within it from the
 * connection's accept or the previous request's completion; the answer must be taken
 * (written to the socket whole) within it from its queueing. The accept thread shuts down
 * a connection past its deadline.
 *
 * Connections: this module accepts them itself, on a thread of its own, and deals them to
 * libmicrohttpd's polling threads in turn (MHD_add_connection picks the thread by the socket
 * number, and sockets opened one after another have consecutive numbers). libmicrohttpd's
 * own accept let the first thread awake take up to ten connections in a row: connections
 * opened together all landed on one thread, whose handlers then ran one after another while
 * the other threads idled (seen with eight keep-alive clients: one thread of eight did all
 * the work, 0.88 cores busy). At max_connections, with a new connection waiting in the
 * kernel's backlog, the accept thread resets the connection idle the longest (no request in
 * progress, idle idle_reset_ms at least: idle_reset_locked); with none such, or with
 * idle_reset_ms ORSP_HTTP_IDLE_RESET_NEVER, it waits for a connection to close, the new ones
 * waiting in the backlog. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "openrsp/http.h"
#include "http_internal.h"

#define LOG_FIELD_MAX 200
/* The most of a libmicrohttpd message logged (mhd_log) */
#define MHD_LOG_MAX 255
/* Bytes of an oversized body (chunked, or with a Content-Length up to this) we read and drop
 * before answering 413; a Content-Length above it is answered at once, its body not read. */
#define DROP_LIMIT(max) (2 * (max) + 65536)
/* libmicrohttpd's default memory pool of a connection (MHD_POOL_SIZE_DEFAULT), the most it
 * mallocs for one (conn_pool_size) */
#define MHD_POOL_MALLOC_MAX (32 * 1024)
/* conn_slot.idle_since_us: chosen by the accept thread to be reset (idle_reset_locked) */
#define SLOT_CHOSEN UINT64_MAX
/* A stop waits for a connection that has had no request yet for this long after its accept
 * (input_waiting_locked): its client connected to send one (a proxy writes its request as soon
 * as its connection is up, a TLS client its handshake), and closing it would lose the request
 * the client may already have sent. */
#define STOP_FRESH_US (250 * 1000)
/* The most a stop waits, in all, for a polling thread seen running when nothing else keeps it
 * (polling_thread_running): a preemption between a read and a parse is over in milliseconds;
 * a /proc that never showed a thread asleep, or a thread that loops, would hold every stop for
 * its whole grace period. */
#define STOP_RUNNING_MAX_US (2 * 1000 * 1000)
/* The server's own descriptors besides its connections (fd_fit): the listening socket, the
 * wake-up pipe, and libmicrohttpd's inter-thread channel (an eventfd, or a pipe where there is
 * none) of each polling thread and of the daemon. */
#define FD_OWN(threads) (5u + 2u * (threads))
/* An accept that failed for want of a descriptor is said at most once in this long
 * (accept_fd_short), with the count of those so far. */
#define FD_SHORT_LOG_US (10u * 1000 * 1000)
/* Connections closed without a completed TLS handshake are said at most once in this long
 * (tls_handshake_failed), with the count since the last such line. */
#define TLS_FAIL_LOG_US (10u * 1000 * 1000)
/* After a slot came free this recently, an accept's EMFILE is the closing socket not closed
 * yet (libmicrohttpd closes it right after its CLOSED notice): retried after FD_CLOSING_MS, not
 * taken for a full server, whose idle reset would reset a second connection for one newcomer. */
#define FD_CLOSING_US (50u * 1000)
#define FD_CLOSING_MS 5

struct route {
	char *method;
	char *path;
	orsp_http_handler handler;
	void *ctx;
};

/* An open connection, from accept to libmicrohttpd's CLOSED notification. Its socket is
 * libmicrohttpd's only from STARTED on (before it, a failed hand-over may have closed it
 * unannounced), and libmicrohttpd closes it only after CLOSED; fd, state and addr change
 * under conn_lock, so the sweeper never shuts down a socket number that was closed and
 * reused. After accept, the deadline is set without the lock, by the connection's polling
 * thread. */
enum slot_state { SLOT_FREE, SLOT_PENDING, SLOT_STARTED };

struct conn_slot {
	enum slot_state state;
	int fd;
	bool shut; /* the sweeper shut it down */
	/* The request must be complete, or the answer taken, by then on the clock of the
	 * connection's polling thread, which stands still while that thread runs a handler (it
	 * reads and writes nothing meanwhile): monotonic time minus the thread's handler time.
	 * One value, so that the sweeper never pairs a deadline with another's base. 0: none. */
	_Atomic uint64_t deadline_us;
	_Atomic bool sending; /* the deadline is the answer's (for the log line) */
	/* Monotonic time since when no request is in progress on the connection: its accept, or
	 * its previous request's completion (on_completed). 0 from a request line (on_target) to
	 * that request's completion; SLOT_CHOSEN once the accept thread chose it to reset. A
	 * compare-and-swap on both sides: either the request line or the reset comes first. */
	_Atomic uint64_t idle_since_us;
	_Atomic bool fresh;   /* no request line yet since its accept (slot_busy) */
	uint64_t accepted_us; /* when (conn_lock) */
	unsigned worker;
	/* An answer with Connection: close was queued on it: it ends once that is out, and no
	 * longer counts against its client's max_per_ip (the client's next connection may come
	 * before libmicrohttpd has closed it). */
	_Atomic bool ending;
	int family; /* the client the connection counts for (orsp__http_client_key) */
	uint8_t addr[ORSP_HTTP_CLIENT_KEY_LEN];
	/* A TLS connection (STARTED), and whether its client's ClientHello and Finished came in
	 * (on_tls_message): written and read by the connection's polling thread only */
	bool tls, tls_begun, tls_done;
};

struct orsp_http_server {
	struct MHD_Daemon *daemon;
	struct route *routes;
	size_t n_routes;
	size_t max_body;
	bool client_ca;
	bool require_client_cert;
	bool section_layout; /* the header section lies as section_field reads it */
	size_t pool_size;    /* libmicrohttpd's memory pool of a connection (conn_pool_size) */
	char *cert_pem;
	char *key_pem; /* wiped on destroy */
	size_t key_len;
	/* The key held elsewhere (cfg->key_sign): the certificate chain and a GnuTLS key whose
	 * signatures go to key_sign, handed to libmicrohttpd by ext_cert (ext_server). */
	orsp_http_key_sign_fn key_sign;
	void *key_sign_ctx;
	gnutls_pcert_st *pcerts;
	unsigned n_pcerts;
	gnutls_privkey_t ext_key;
	char *ca_pem;
	char *priorities;
	orsp_http_request_hook hook;
	void *hook_ctx;
	/* cfg->trusted_proxies, copied: whose X-Forwarded-For names the client (struct xff) */
	orsp_http_prefix *trusted;
	size_t n_trusted;
	uint16_t port;
	atomic_uint in_flight;
	atomic_bool stopping;
	atomic_bool closing; /* orsp_http_server_close_connections: answers end their connection */
	/* The listening socket and the thread that accepts on it. */
	int listen_fd;
	int wake[2]; /* a pipe: a byte in wake[1] stops the accept thread */
	pthread_t acceptor;
	bool acceptor_running;
	bool paused; /* bound, not listening yet (orsp_http_server_config.paused) */
	pthread_mutex_t conn_lock;
	pthread_cond_t conn_cv;
	unsigned open_conns, max_conns; /* open_conns: slots in use */
	orsp_http_conn_stats stats;     /* under conn_lock; .open is open_conns */
	uint64_t released_us;           /* under conn_lock: when a slot last came free */
	/* under conn_lock: when an accept's EMFILE or ENFILE was last said (accept_fd_short) */
	uint64_t fd_short_said_us;
	/* under conn_lock: when failed TLS handshakes were last said, and their count then
	 * (tls_handshake_failed) */
	uint64_t tls_fail_said_us, tls_fail_said_count;
	unsigned max_per_ip;
	uint64_t request_timeout_us;
	/* How long a connection must have been idle (no request in progress) before a new
	 * connection may take its slot (orsp_http_server_config.idle_reset_ms); 0: never */
	uint64_t idle_reset_us;
	struct conn_slot *slots; /* max_conns of them */
	/* per libmicrohttpd worker thread (the one of a connection is its socket number modulo
	 * their count, as libmicrohttpd deals them): time spent in handlers */
	struct worker_acct {
		_Atomic uint64_t busy_total_us; /* finished handler runs */
		_Atomic uint64_t busy_since_us; /* the running one's start; 0: none */
	} * workers;
	unsigned n_workers;
	/* under conn_lock: the thread IDs of the polling threads (n_workers at most), in the
	 * order on_connection first ran on each; 0: none yet */
	pid_t *polling_tids;
	/* The first libmicrohttpd message while starting, for the error detail. */
	pthread_mutex_t log_lock;
	bool starting;
	char start_error[256];
};

struct req_state {
	orsp_http_server *srv;
	uint64_t start_us;
	struct conn_slot *slot; /* NULL if libmicrohttpd's notice did not find one */
	const struct route *route;
	uint8_t *body;
	size_t len, cap;
	bool overflow;
	bool out_of_memory; /* no memory for the body: dropped, answered 503 (append) */
	size_t dropped;
	bool responded;
	bool handled;      /* the route's handler ran */
	bool accessed;     /* on_access was called: the headers are in, the request in flight */
	bool chosen;       /* its connection was chosen to be reset (slot_busy): not served */
	bool close;        /* answer with Connection: close (framing the server cannot trust) */
	bool asked_close;  /* the client asked to close after the answer (client_closes) */
	bool early;        /* in first_call: an answer queued now is an early one, before the
	                    * body, after which libmicrohttpd closes the connection */
	bool absolute;     /* the target is in absolute form (on_target) */
	bool userinfo;     /* it has a userinfo, cut out of path (req_new) */
	bool other_target; /* neither a path nor the absolute form (on_target), or with bytes
	                    * a target cannot have (on_target, target_cut) */
	bool split_path;   /* its path as sent holds an encoded slash or backslash (on_target) */
	const char *target; /* the target as on_target saw it, and its length then */
	size_t target_len;
	size_t path_off;   /* the path in the target: after the scheme and authority of one in
	                    * absolute form; "/" if nothing follows them (RFC 9112 §3.3) */
	int status;
	char method[LOG_FIELD_MAX + 1];
	char path[LOG_FIELD_MAX + 1];
	char addr[INET6_ADDRSTRLEN]; /* the client's: peer's, or forwarded (first_call) */
	char peer[INET6_ADDRSTRLEN]; /* the TCP peer's */
	uint16_t port;
	const uint8_t *client_cert;
	size_t client_cert_len;
	orsp_slice chain[ORSP_HTTP_CLIENT_CHAIN_MAX]; /* what the client sent after it */
	size_t n_chain;
	const char *cert_refused; /* why a certificate sent was refused (cert_refusal) */
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The handler time of a worker thread up to now (a run under way counted so far). since is
 * read first, with acquire: run_handler clears it with release after adding the run to the
 * total, so a run seen finished (since 0) is in the total read next; never the other way round
 * (the clock would then run ahead on a weakly ordered CPU and cut a connection early). */
static uint64_t worker_busy(const struct worker_acct *w, uint64_t now)
{
	uint64_t since = atomic_load_explicit(&w->busy_since_us, memory_order_acquire);
	uint64_t total = atomic_load_explicit(&w->busy_total_us, memory_order_relaxed);
	return total + (since && now > since ? now - since : 0);
}

/* now on the clock of worker w: it stands still while w runs a handler. (Read from another
 * thread, the handler time may count a run that just ended twice for a moment: the clock
 * then lags, never runs ahead, and stays at 0 rather than wrap.) */
static uint64_t worker_clock(const struct worker_acct *w, uint64_t now)
{
	uint64_t busy = worker_busy(w, now);
	return busy < now ? now - busy : 0;
}

/* A request begins on the slot's connection now (sending false: it must be complete within
 * the request timeout), or its answer was queued now (sending true: it must be written out
 * within the request timeout); either way plus the handler time of the slot's thread from
 * now on. A slow reader otherwise holds its connection for ever: libmicrohttpd's idle
 * timeout restarts with every byte written. */
static void slot_arm(const orsp_http_server *srv, struct conn_slot *s, bool sending)
{
	uint64_t now = now_us();
	atomic_store_explicit(&s->sending, sending, memory_order_relaxed);
	atomic_store_explicit(&s->deadline_us,
	                      worker_clock(&srv->workers[s->worker], now) + srv->request_timeout_us,
	                      memory_order_release);
}

/* A request line came in on the slot's connection: a request is in progress on it until
 * on_completed, and idle_reset_locked leaves it alone. False if the accept thread chose the
 * connection to reset before: the request is then not served (the reset follows at once), so
 * that a request cut by the reset never had its handler run. */
static bool slot_busy(struct conn_slot *s)
{
	uint64_t since;

	if (!s)
		return true;
	since = atomic_load(&s->idle_since_us);
	while (since != SLOT_CHOSEN && !atomic_compare_exchange_weak(&s->idle_since_us, &since, 0))
		;
	if (since == SLOT_CHOSEN)
		return false;
	atomic_store(&s->fresh, false);
	return true;
}

/* Copy for a log line: printable ASCII other than the space only (the line's fields are
 * separated by spaces: a decoded %20 in a path would add fields of the client's, such as a
 * status or a client address), cut at LOG_FIELD_MAX. */
static void sanitise(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[i] = '\0';
}

/* The length of s's "http://" or "https://" (any case), 0 for another start. */
static size_t scheme_len(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 ? 7 : strncasecmp(s, "https://", 8) == 0 ? 8 : 0;
}

/* Where the userinfo of an absolute-form target as sent ends: the last '@' of its authority
 * (RFC 3986 §3.2), or NULL without one. Judged on the raw target: decoded, a "%2F" in a
 * password ended the authority before its '@'. */
static const char *userinfo_end(const char *t)
{
	size_t skip = scheme_len(t);
	const char *auth = t + skip, *at = NULL;
	size_t alen = strcspn(auth, "/?#");

	for (size_t i = 0; skip && i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;
	return at;
}

/* The request target for the log, sanitised and cut to cap: a userinfo (a user name and a
 * password perhaps: "http://user:pass@host/...", refused, but logged before) as '-', cut out
 * of the target as sent, before anything is decoded or cut. Whether it had one. */
static bool log_target(char *dst, size_t cap, const char *t, size_t n)
{
	const char *at = t ? userinfo_end(t) : NULL;
	size_t scheme;
	char *b;

	if (!at) {
		sanitise(dst, n < cap ? n : cap, t);
		return false;
	}
	scheme = scheme_len(t);
	n -= (size_t)(at - t);
	if (!(b = malloc(scheme + 1 + n))) {
		sanitise(dst, cap, "-");
		return true;
	}
	memcpy(b, t, scheme);
	b[scheme] = '-';
	memcpy(b + scheme + 1, at, n);
	b[scheme + n] = '\0';
	sanitise(dst, scheme + n + 1 < cap ? scheme + n + 1 : cap, b);
	free(b);
	return true;
}

/* ---------------------------------------------------------------- responses ------------- */

static bool token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Header values: visible ASCII, space and tab; never CR/LF (header injection). */
static bool value_ok(const char *v)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (!(c == '\t' || (c >= 0x20 && c < 0x7f)))
			return false;
	}
	return true;
}

orsp_err orsp_http_response_set_body(orsp_http_response *resp, int status, const char *content_type,
                                     const void *p, size_t n)
{
	uint8_t *copy = NULL;

	if (!resp || (!p && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_http_response_set_body: bad arguments");
	/* a final answer: 1xx are interim (RFC 9110 §15.2), and libmicrohttpd sends one as the
	 * answer without a body, its client left waiting for the final one */
	if (status < 200 || status > 599)
		return orsp_errf(ORSP_E_USAGE, "HTTP status %d out of range", status);
	if (content_type &&
	    (!value_ok(content_type) || strlen(content_type) >= sizeof(resp->content_type)))
		return orsp_errf(ORSP_E_USAGE, "bad Content-Type");
	if (n) {
		copy = malloc(n);
		if (!copy)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory for a %zu-byte body", n);
		memcpy(copy, p, n);
	}
	free(resp->body);
	resp->body = copy;
	resp->body_len = n;
	resp->status = status;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s",
	         content_type ? content_type : "");
	return ORSP_OK;
}

orsp_err orsp_http_response_set_json(orsp_http_response *resp, int status, const json_t *obj)
{
	orsp_err err;
	char *text = NULL;
	size_t n = 0;

	err = orsp_json_dump(obj, &text, &n);
	if (err)
		return err;
	err = orsp_http_response_set_body(resp, status, ORSP_HTTP_JSON_CONTENT_TYPE, text, n);
	free(text);
	return err;
}

orsp_err orsp_http_response_add_header(orsp_http_response *resp, const char *name,
                                       const char *value)
{
	static const char *const reserved[] = {"Content-Type", "Content-Length", "Connection",
	                                       "Transfer-Encoding", "Date"};
	orsp_http_header *h;

	if (!resp || !name || !value || !name[0])
		return orsp_errf(ORSP_E_USAGE, "orsp_http_response_add_header: bad arguments");
	for (const char *c = name; *c; c++)
		if (!token_char((unsigned char)*c))
			return orsp_errf(ORSP_E_USAGE, "header name is not an HTTP token");
	if (!value_ok(value))
		return orsp_errf(ORSP_E_USAGE, "header value has control characters");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(reserved); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return orsp_errf(ORSP_E_USAGE, "header %s is set by the server",
			                 reserved[i]);
	if (resp->n_headers >= ORSP_HTTP_MAX_EXTRA_HEADERS)
		return orsp_errf(ORSP_E_RESOURCE, "more than %d extra headers",
		                 ORSP_HTTP_MAX_EXTRA_HEADERS);
	h = &resp->headers[resp->n_headers];
	if (strlen(name) >= sizeof(h->name) || strlen(value) >= sizeof(h->value))
		return orsp_errf(ORSP_E_RESOURCE, "header field too long");
	memcpy(h->name, name, strlen(name) + 1);
	memcpy(h->value, value, strlen(value) + 1);
	resp->n_headers++;
	return ORSP_OK;
}

static void response_clear(orsp_http_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

/* Hand resp to libmicrohttpd (the body moves; resp is cleared either way). */
static enum MHD_Result queue(struct req_state *st, struct MHD_Connection *conn,
                             orsp_http_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret = MHD_NO;
	bool closing;

	if (resp->body_len)
		r = MHD_create_response_from_buffer(resp->body_len, resp->body,
		                                    MHD_RESPMEM_MUST_FREE);
	else
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r)
		goto out;
	if (resp->body_len)
		resp->body = NULL; /* now owned by r */
	if (resp->content_type[0] &&
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type) != MHD_YES)
		goto out_r;
	for (size_t i = 0; i < resp->n_headers; i++)
		if (MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value) !=
		    MHD_YES)
			goto out_r;
	/* Stopping, or draining before a stop: tell keep-alive clients not to send another
	 * request on this connection. */
	closing = st->close || atomic_load(&st->srv->stopping) || atomic_load(&st->srv->closing);
	if (closing && MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES)
		goto out_r;
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	if (ret == MHD_YES) {
		/* the last answer on its connection: its client, during a drain or having asked
		 * so, connects again at once for its next request, which the per-address limit
		 * must not refuse while libmicrohttpd has yet to tell that this one closed */
		if ((closing || st->asked_close || st->early) && st->slot)
			atomic_store(&st->slot->ending, true);
		st->responded = true;
		st->status = resp->status;
		/* The answer goes out from now on: it has the request timeout to be taken
		 * (until on_completed). An early answer (400, 403, 404, 405, 413 before the
		 * body) replaces the request's own deadline too: libmicrohttpd reads none of
		 * the body after it and closes the connection once the answer is out. */
		if (st->slot)
			slot_arm(st->srv, st->slot, true);
	}
out_r:
	MHD_destroy_response(r);
out:
	response_clear(resp);
	return ret;
}

/* A fixed JSON error answer; message is a literal, never outside data. */
static enum MHD_Result reply_error(struct req_state *st, struct MHD_Connection *conn, int status,
                                   const char *message, const char *allow)
{
	orsp_http_response resp = {0};
	char body[160];
	int n = snprintf(body, sizeof(body), "{\"status\":%d,\"error\":\"%s\"}", status, message);

	if (n < 0 || (size_t)n >= sizeof(body))
		return MHD_NO;
	if (orsp_http_response_set_body(&resp, status, ORSP_HTTP_JSON_CONTENT_TYPE, body,
	                                (size_t)n) != ORSP_OK)
		return MHD_NO;
	if (allow && orsp_http_response_add_header(&resp, "Allow", allow) != ORSP_OK) {
		response_clear(&resp);
		return MHD_NO;
	}
	return queue(st, conn, &resp);
}

/* ---------------------------------------------------------------- requests -------------- */

const char *orsp_http_request_header(const orsp_http_request *req, const char *name)
{
	if (!req || !req->impl_ || !name)
		return NULL;
	return MHD_lookup_connection_value((struct MHD_Connection *)req->impl_, MHD_HEADER_KIND,
	                                   name);
}

/* The TCP peer's address and port into st->peer and st->port, and st->addr (the client's
 * until first_call reads an X-Forwarded-For of a trusted proxy). */
static void peer_address(struct MHD_Connection *conn, struct req_state *st)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(st->peer, sizeof(st->peer), "?");
	if (sa && sa->sa_family == AF_INET) {
		struct sockaddr_in in4;
		memcpy(&in4, sa, sizeof(in4));
		inet_ntop(AF_INET, &in4.sin_addr, st->peer, sizeof(st->peer));
		st->port = ntohs(in4.sin_port);
	} else if (sa && sa->sa_family == AF_INET6) {
		struct sockaddr_in6 in6;
		memcpy(&in6, sa, sizeof(in6));
		inet_ntop(AF_INET6, &in6.sin6_addr, st->peer, sizeof(st->peer));
		st->port = ntohs(in6.sin6_port);
	}
	memcpy(st->addr, st->peer, sizeof(st->addr));
}

const char *orsp_http_via(const char *client_addr, const char *peer_addr, char *buf, size_t cap)
{
	if (strcmp(client_addr, peer_addr) == 0)
		return "";
	snprintf(buf, cap, " via=%s", peer_addr);
	return buf;
}

/* s[0..n) as a plain IPv4 or IPv6 address, as inet_pton reads one (nothing around it: no
 * port, brackets, zone, whitespace), into a (16 bytes; an IPv4 address in the first 4) and
 * *v6. False for anything else, and for more than INET6_ADDRSTRLEN - 1 characters. */
static bool addr_parse(const char *s, size_t n, uint8_t a[16], bool *v6)
{
	char buf[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(buf) || memchr(s, '\0', n))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(a, 0, 16);
	*v6 = false;
	if (inet_pton(AF_INET, buf, a) == 1)
		return true;
	*v6 = true;
	return inet_pton(AF_INET6, buf, a) == 1;
}

/* Whether the first bits bits of a and b are the same. */
static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask = (uint8_t)(0xFF00u >> rest);

	return memcmp(a, b, whole) == 0 && (!rest || ((a[whole] ^ b[whole]) & mask) == 0);
}

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

orsp_err orsp_http_prefix_parse(const char *s, size_t n, orsp_http_prefix *out)
{
	const char *slash = s ? memchr(s, '/', n) : NULL;
	size_t an = slash ? (size_t)(slash - s) : n;
	orsp_http_prefix p = {0}, net;
	unsigned max, bits = 0;
	bool v6 = false;

	if (!s || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_http_prefix_parse: bad arguments");
	if (!addr_parse(s, an, p.addr, &v6))
		return orsp_errf(ORSP_E_USAGE,
		                 "not an IPv4 or IPv6 address (a numeric one: no name, port, "
		                 "brackets or zone)");
	if (v6 && memcmp(p.addr, v4_mapped, sizeof(v4_mapped)) == 0)
		return orsp_errf(ORSP_E_USAGE,
		                 "an IPv4-mapped IPv6 address: give the IPv4 address itself");
	max = v6 ? 128 : 32;
	if (slash) {
		const char *d = slash + 1;
		size_t dn = n - an - 1;
		bool digits = dn >= 1 && dn <= 3 && !(dn > 1 && d[0] == '0');
		for (size_t i = 0; digits && i < dn; i++) {
			digits = d[i] >= '0' && d[i] <= '9';
			bits = bits * 10 + (unsigned)(d[i] - '0');
		}
		if (!digits || bits > max)
			return orsp_errf(ORSP_E_USAGE,
			                 "bad prefix length: after '/', 0 to %u for an %s address",
			                 max, v6 ? "IPv6" : "IPv4");
	} else {
		bits = max;
	}
	p.v6 = v6;
	p.bits = (uint8_t)bits;
	net = p;
	for (unsigned i = 0; i < 16; i++)
		if (8 * i >= bits)
			net.addr[i] = 0;
		else if (bits - 8 * i < 8)
			net.addr[i] &= (uint8_t)(0xFF00u >> (bits - 8 * i));
	if (memcmp(net.addr, p.addr, sizeof(p.addr)) != 0) {
		char text[ORSP_HTTP_PREFIX_TEXT_MAX];
		orsp_http_prefix_text(&net, text, sizeof(text));
		return orsp_errf(ORSP_E_USAGE,
		                 "address bits set after the prefix length (the network is %s)",
		                 text);
	}
	*out = p;
	return ORSP_OK;
}

void orsp_http_prefix_text(const orsp_http_prefix *p, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (!out || !cap)
		return;
	if (!p || !inet_ntop(p->v6 ? AF_INET6 : AF_INET, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(out, cap, "%s/%u", a, p ? (unsigned)p->bits : 0u);
}

/* Whether the address a (as addr_parse gives it) is inside one of the trusted proxies'
 * prefixes. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is taken as its IPv4 address. */
static bool trusted_addr(const orsp_http_server *srv, bool v6, const uint8_t *a)
{
	if (v6 && memcmp(a, v4_mapped, sizeof(v4_mapped)) == 0) {
		a += sizeof(v4_mapped);
		v6 = false;
	}
	for (size_t i = 0; i < srv->n_trusted; i++)
		if (srv->trusted[i].v6 == v6 &&
		    prefix_match(srv->trusted[i].addr, a, srv->trusted[i].bits))
			return true;
	return false;
}

/* Whether the request's TCP peer is a trusted proxy. */
static bool trusted_peer(const orsp_http_server *srv, const struct req_state *st)
{
	uint8_t a[16];
	bool v6;

	return srv->n_trusted && addr_parse(st->peer, strlen(st->peer), a, &v6) &&
	       trusted_addr(srv, v6, a);
}

/* The X-Forwarded-For fields of a request from a trusted proxy, read one by one as
 * check_field meets them (xff_field), then the client they name (xff_client). Joined in order
 * with commas they are one list (RFC 9110 §5.3), walked from the right: entries that are
 * trusted proxies skipped, the first other one the client if it is an address, none if it is
 * not (the peer stays the client: text that is no address is never logged); every entry a
 * trusted proxy, the leftmost. Read from the left instead, without keeping the list: the last
 * entry that is not a trusted proxy's address decides, or with none such the first. */
struct xff {
	const orsp_http_server *srv;
	size_t entries;
	bool stop;                        /* an entry that is no trusted proxy's address seen */
	char stop_addr[INET6_ADDRSTRLEN]; /* the last such as inet_ntop writes it; "": no address */
	char first[INET6_ADDRSTRLEN];     /* the leftmost entry, likewise */
};

/* One X-Forwarded-For field's value: its comma-separated entries, each without the optional
 * whitespace around it (RFC 9110 §5.6.1). */
static void xff_field(struct xff *x, const char *value)
{
	for (const char *p = value;;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char text[INET6_ADDRSTRLEN] = "";
		uint8_t a[16] = {0};
		bool v6 = false, ok;

		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		ok = addr_parse(p, n, a, &v6) &&
		     inet_ntop(v6 ? AF_INET6 : AF_INET, a, text, sizeof(text)) != NULL;
		if (!ok)
			text[0] = '\0';
		if (x->entries++ == 0)
			memcpy(x->first, text, sizeof(text));
		if (!ok || !trusted_addr(x->srv, v6, a)) {
			x->stop = true;
			memcpy(x->stop_addr, text, sizeof(text));
		}
		if (!end)
			return;
		p = end + 1;
	}
}

/* The client the X-Forwarded-For fields read name into st->addr; the peer's kept when there
 * were none, or the walk ended at an entry that is no address. */
static void xff_client(const struct xff *x, struct req_state *st)
{
	const char *client = !x->entries ? NULL : x->stop ? x->stop_addr : x->first;

	if (client && client[0])
		snprintf(st->addr, sizeof(st->addr), "%s", client);
}

/* Why GnuTLS refused a client certificate, as orsp_http_request.client_cert_refused says it:
 * one word of a fixed set, the chain's fault before the certificate's own (a certificate of
 * another CA is "untrusted" whatever its dates). */
static const char *cert_refusal(int rc, unsigned status)
{
	if (rc < 0)
		return "invalid";
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA |
	              GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE | GNUTLS_CERT_SIGNATURE_FAILURE |
	              GNUTLS_CERT_INSECURE_ALGORITHM | GNUTLS_CERT_REVOKED))
		return "untrusted";
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		return "purpose";
	if (status & GNUTLS_CERT_EXPIRED)
		return "expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "not-yet-valid";
	return "invalid";
}

/* libmicrohttpd asks GnuTLS for a client certificate when a trust list is configured, but does
 * not check it (GNUTLS_CERT_REQUEST, no verification): we verify the chain here against the
 * same trust list, with the TLS client key purpose. */
static bool verify_client_cert(struct MHD_Connection *conn, struct req_state *st)
{
	static unsigned char kp_client[] = GNUTLS_KP_TLS_WWW_CLIENT;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_typed_vdata_st data = {.type = GNUTLS_DT_KEY_PURPOSE_OID, .data = kp_client};
	unsigned status = 0, n = 0;
	const gnutls_datum_t *certs;
	gnutls_session_t session;
	int rc;

	if (!ci || !ci->tls_session)
		return false;
	session = (gnutls_session_t)ci->tls_session;
	if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509)
		return false;
	rc = gnutls_certificate_verify_peers(session, &data, 1, &status);
	/* none sent where one is optional (the SM-DP+'s ES9+ clients beside its ES2+ ones):
	 * nothing refused, nothing to log on every such request */
	if (rc == GNUTLS_E_NO_CERTIFICATE_FOUND && !st->srv->require_client_cert)
		return false;
	if (rc < 0 || status != 0) {
		char via[ORSP_HTTP_VIA_MAX];
		if (rc != GNUTLS_E_NO_CERTIFICATE_FOUND)
			st->cert_refused = cert_refusal(rc, status);
		orsp_log(ORSP_LOG_INFO,
		         "http: client %s%s: certificate not accepted (%s, status 0x%x)", st->addr,
		         orsp_http_via(st->addr, st->peer, via, sizeof(via)),
		         rc < 0 ? gnutls_strerror(rc) : "verification failed", status);
		return false;
	}
	certs = gnutls_certificate_get_peers(session, &n);
	if (!certs || n == 0)
		return false;
	st->client_cert = certs[0].data;
	st->client_cert_len = certs[0].size;
	for (unsigned i = 1; i < n && st->n_chain < ORSP_HTTP_CLIENT_CHAIN_MAX; i++)
		st->chain[st->n_chain++] = orsp_slice_make(certs[i].data, certs[i].size);
	return true;
}

/* The length of the "http://authority" or "https://authority" (scheme in any case) that s
 * starts with: a request target in absolute form (RFC 9112 §3.2.2), which a server must
 * accept; 0 if none. The authority (RFC 3986 §3.2) runs to the first '/' or '?' and is not
 * empty (RFC 9110 §4.2.1); one with userinfo ('@', RFC 9110 §4.2.4) or a '#' is refused. */
static size_t absolute_prefix(const char *s)
{
	size_t start = scheme_len(s), n;

	if (!start)
		return 0;
	n = start + strcspn(s + start, "/?@#");
	return n == start || s[n] == '@' || s[n] == '#' ? 0 : n;
}

/* RFC 9112 §3.2: a request target has no whitespace nor control character (RFC 3986 allows
 * neither in a URI). libmicrohttpd (0.9.75, not in its strict mode) takes the target up to the
 * line's last space, so "GET /a b HTTP/1.1" had the target "/a b", and keeps a bare CR or other
 * control in it; a proxy in front may end the target at the first space, or the line at the
 * CR, and see another request (RFC 9112 §3.2: such a line "might be deliberately crafted to
 * bypass security filters", SHOULD be 400). Seen before any decoding: %20 is allowed. */
static bool target_chars_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* Whether the path as sent (p, up to its '?') holds %2F or %5C, any case: an encoded slash or
 * backslash. libmicrohttpd decodes the path before it is routed, so that
 * /gsma/rsp2/es2plus%2FdownloadOrder was routed as /gsma/rsp2/es2plus/downloadOrder, where a
 * proxy in front reads one segment "es2plus%2FdownloadOrder" and lets it past a rule that
 * denies the path /gsma/rsp2/es2plus/ (authentication still applied); a backslash some proxies
 * take for a slash. No client of these routes sends either: refused (first_call). */
static bool path_split(const char *p)
{
	for (; *p && *p != '?'; p++)
		if (p[0] == '%' && ((p[1] == '2' && (p[2] == 'F' || p[2] == 'f')) ||
		                    (p[1] == '5' && (p[2] == 'C' || p[2] == 'c'))))
			return true;
	return false;
}

/* Marker (never read or written): on_target could not allocate the request's state. */
static char target_oom;

/* The request's state, from its request line on: a request cut short in its headers (its
 * client gone, or reset at the request deadline) or refused by libmicrohttpd itself still
 * gets its log line (status 0, method "-", the target as sent). */
static struct req_state *req_new(orsp_http_server *srv, struct MHD_Connection *conn,
                                 const char *target)
{
	struct req_state *st = calloc(1, sizeof(*st));
	const union MHD_ConnectionInfo *ci;
	size_t n = target ? strcspn(target, "?") + 1 : 1; /* the query string is never logged */

	if (!st)
		return NULL;
	st->srv = srv;
	st->start_us = now_us();
	snprintf(st->method, sizeof(st->method), "-");
	st->userinfo = log_target(st->path, sizeof(st->path), target, n);
	peer_address(conn, st);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	st->slot = ci ? ci->socket_context : NULL;
	return st;
}

/* libmicrohttpd: the request target as sent, before any decoding, once per request, when its
 * request line is in. Its return value is the request's first *con_cls: the request's state,
 * with the target's form: a path (origin form, RFC 9112 §3.2.1), the absolute form (see
 * unescape and on_access), or anything else, which first_call refuses (RFC 9112 §3: "*" and
 * the authority form are for OPTIONS and CONNECT through a proxy). Told apart here, before
 * decoding: "%2Fx" decodes to a path and "%68ttp://h/x" to the absolute form; routed, they
 * passed a proxy in front that matches the paths of valid targets only. */
static void *on_target(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req_state *st = req_new(cls, conn, uri);

	if (!st)
		return &target_oom;
	st->chosen = !slot_busy(st->slot);
	if (uri && uri[0] != '/') {
		st->absolute = absolute_prefix(uri) != 0;
		st->other_target = !st->absolute;
	}
	if (uri) {
		st->target = uri;
		st->target_len = strlen(uri);
		st->other_target |= !target_chars_ok(uri);
		/* the path's: the authority of the absolute form is kept as sent (unescape) */
		st->split_path = (uri[0] == '/' || st->absolute) &&
		                 path_split(uri + (st->absolute ? absolute_prefix(uri) : 0));
	}
	return st;
}

/* GnuTLS's blocks wiped before they are freed. Its record layer decrypts each record into a
 * block of its own (some 16 KiB) and freed it unwiped once libmicrohttpd had read it: an ES2+
 * request's token and confirmation code stayed in the heap. GnuTLS 3.7 has no call for its
 * allocator (gnutls_global_set_mem_functions does nothing since 3.3), but it allocates, resizes
 * and frees through the variables gnutls.h exports, gnutls_malloc, gnutls_realloc and
 * gnutls_free, read at each call: its free and realloc are the wiping ones (every freed block
 * zeroed, no realloc in place), set before main, while the process has one thread. A GnuTLS
 * that stopped reading them would fail tests/cli/heapscan.sh over HTTPS. */
__attribute__((constructor)) static void tls_wiping_free(void)
{
	gnutls_free = orsp_wipe_free;
	gnutls_realloc = orsp_wipe_realloc;
}

/* libmicrohttpd's memory pool of a connection: the request as read (its line, its header
 * section, its body as it comes) and the answer's header block; a request line or header
 * section larger than the pool gets 414 or 431. libmicrohttpd 0.9.75 mallocs a pool of up
 * to 32 KiB, its default, and frees it unwiped when the connection closes (after an answer
 * that ends it: a refusal, 404, 405...): an ES2+ request's token and confirmation code stayed
 * in the heap. A larger one it maps, and unmaps at the close (MHD_pool_create: above 32 KiB
 * and at least 4/3 of a page): 32 KiB and a page, 36 KiB with 4 KiB pages (tests/cli/
 * heapscan.sh, docs/http.md). On keep-alive libmicrohttpd zeroes the pool between requests. */
static size_t conn_pool_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return MHD_POOL_MALLOC_MAX + (page > 0 ? (size_t)page : 4096);
}

/* Whether the target as sent held a NUL: libmicrohttpd (0.9.75) hands it on as a C string, so
 * "/metrics\0junk" was the path /metrics (routed, and logged so), as "%00" was before unescape
 * kept it. It is not seen in the string: only where the request line goes on. The target and
 * the version are one line in libmicrohttpd's read buffer, the version right after the space
 * that ends the target (parse_initial_message_line: the space after the target, the last of
 * the line, is made the target's NUL; '?' is cut only after on_target saw it): a version that
 * starts further than one byte past the target on_target measured follows a NUL inside it. url
 * is the same pointer then; anything else (another libmicrohttpd's layout) is left alone. */
static bool target_cut(const struct req_state *st, const char *url, const char *version)
{
	uintptr_t u = (uintptr_t)url, v = (uintptr_t)version;

	return st->target && url == st->target && v > u && v - u > st->target_len + 1 &&
	       v - u <= st->srv->pool_size;
}

/* Whether the request line's method is a token (RFC 9110 §9.1) followed by exactly one space
 * (RFC 9112 §3). libmicrohttpd (0.9.75) ends the method at the line's first space and hands it
 * on as a C string, so "GET\0X /metrics" was the method GET (served, where a proxy in front
 * sees another method), and it skips more spaces before the target ("GET  /metrics", an empty
 * target to a proxy parting the line at each space). Both leave a gap between the method's
 * end and the target: the method starts the line in libmicrohttpd's read buffer and the target
 * follows the space made the method's NUL. Another layout (url not after the method, or
 * further than a line: span, the pool's size) is left alone. */
static bool method_ok(const char *method, const char *url, size_t span)
{
	uintptr_t m = (uintptr_t)method, u = (uintptr_t)url;
	size_t n = strlen(method);

	if (!n)
		return false;
	for (const char *c = method; *c; c++)
		if (!token_char((unsigned char)*c))
			return false;
	return !(u > m && u - m <= span && u - m != n + 1);
}

/* libmicrohttpd's %-decoding (%HH; anything else kept as it is), except that %00 is kept too.
 * It decodes the path in place and hands it on as a C string: a decoded NUL cut it there, so
 * "/admin%00junk" matched the route /admin (and "/metrics%00.css" /metrics, past a proxy's
 * suffix rule), and the log showed the cut path. Kept, %00 matches no route (404) and is
 * logged as sent. Query arguments are decoded alike; no handler reads them. The scheme and
 * authority of a target in absolute form are kept as sent (an argument starting with one
 * likewise): a decoded "%2F" there would move where the path starts. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *w = s + absolute_prefix(s);
	const char *r = w;
	int hi, lo;

	(void)cls;
	(void)conn;
	while (*r) {
		if (r[0] == '%' && (hi = orsp_hex_digit(r[1])) >= 0 &&
		    (lo = orsp_hex_digit(r[2])) >= 0 && (hi | lo) != 0) {
			*w++ = (char)((hi << 4) | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* Strict decimal Content-Length; false if absent or not a plain number. */
static bool content_length(struct MHD_Connection *conn, uint64_t *out)
{
	const char *v =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t n = 0;

	if (!v || !*v)
		return false;
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX - (uint64_t)(*v - '0')) / 10)
			return false;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*out = n;
	return true;
}

/* Where the header section's lines lie in libmicrohttpd's read buffer (see section_begin). */
struct section {
	uintptr_t at;  /* the end of the last line's text: the request line's, then a field's */
	uintptr_t end; /* the end of the section, its empty line included */
	size_t eol;    /* the length of a line ending (1: LF, 2: CRLF); 0 until one is seen */
	bool on;       /* the layout is the one below; otherwise nothing is checked */
};

/* Fields a handler reads as one value (orsp_http_request_header gives the first of several):
 * the credentials, the media type and SGP.22's binding version. A request with two of one is
 * refused (RFC 9110 §5.3: these are not lists), as two Host fields are: a proxy or gateway in
 * front that judged the last of two Authorization fields let the request through on one, and
 * this server acted on the other (the ES2+ auth review of session 78). */
static const struct {
	const char *name, *twice;
} SINGLE_FIELDS[] = {
    {"Authorization", "more than one Authorization field"},
    {"Content-Type", "more than one Content-Type field"},
    {"X-Admin-Protocol", "more than one X-Admin-Protocol field"},
};

struct framing {
	unsigned content_length;
	unsigned transfer_encoding;
	unsigned host;
	unsigned single[ORSP_ARRAY_LEN(SINGLE_FIELDS)]; /* how many of each of SINGLE_FIELDS */
	bool chunked;          /* the Transfer-Encoding is exactly "chunked" */
	bool other_codings;    /* it is codings, then chunked once, last ("gzip, chunked") */
	const char *malformed; /* a field libmicrohttpd passed on that must be refused, why */
	struct section sec;
	struct xff *xff; /* the X-Forwarded-For fields go there; NULL: not read */
};

/* framing_error's answer for codings before chunked: 501, not 400 (compared as a pointer) */
static const char TE_NOT_IMPLEMENTED[] = "transfer coding not implemented";
#define SECTION_FOLDED "obsolete line folding in the header section"
#define SECTION_CUT "empty field name, NUL or mixed line endings in the header section"

/* Whether len bytes at a are NUL: what libmicrohttpd (0.9.75) makes of a line ending, the
 * colon after a field name, and nothing else it reads from the header section. */
static bool all_nul(uintptr_t a, size_t len)
{
	const char *c = (const char *)a;
	for (size_t i = 0; i < len; i++)
		if (c[i])
			return false;
	return true;
}

/* A line ending from the end of a line's text at a to the next line at b: NULs, as long as
 * every line ending before it (CRLF or LF, never both: RFC 9112 §2.2 lets a recipient take a
 * bare LF; not a mix, which would leave the gaps below ambiguous). */
static bool line_end_ok(struct section *sec, uintptr_t a, uintptr_t b)
{
	if (b <= a || b - a > 2 || !all_nul(a, b - a) || (sec->eol && b - a != sec->eol))
		return false;
	sec->eol = b - a;
	return true;
}

/* libmicrohttpd (0.9.75) reads the header section in place: it makes each line ending NUL
 * (CRLF two bytes, LF one), and a field line's colon, and hands on the name (the line's start)
 * and the value (after the colon and the whitespace after it), so the request line and the
 * field lines follow each other as sent. Three things it does not refuse break that order,
 * and this is how they are seen:
 *  - a line starting with a colon (an empty field name) after the first field line ends the
 *    section there, the field dropped, and the bytes after it are read as the body or the next
 *    request, where a proxy in front may read more fields (request smuggling): the section's
 *    end lies further from the last value than two line endings;
 *  - a NUL in a line cuts the name or value short: the rest of the line lies between it and
 *    the next line;
 *  - obs-fold (RFC 9112 §5.2, a server MUST refuse it or unfold it): the continuation is
 *    appended to the field's name, which is moved out of the line (the old bytes zeroed), so
 *    the name is not where the next line starts.
 * Not seen, after lines ended by CRLF: a line of a colon alone ended by a bare LF (the same
 * two NULs as the empty line), a field line's text ended by a NUL and a bare LF (the same as
 * CRLF), a line of a NUL alone ended by a bare LF (taken for the empty line); docs/http.md
 * says what a proxy in front is to refuse. This is the layout of 0.9.75, read in its source
 * (connection.c: get_next_header_line, process_header_line, process_broken_line); another
 * version (on: false) is left alone, as is a request whose version does not lie inside the
 * section as libmicrohttpd measures it. */
static void section_begin(struct section *sec, bool on, struct MHD_Connection *conn,
                          const char *method, const char *version)
{
	const union MHD_ConnectionInfo *ci =
	    on ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE) : NULL;
	uintptr_t m = (uintptr_t)method, v = (uintptr_t)version;

	*sec = (struct section){0, 0, 0, false};
	if (!ci || v <= m || v - m >= ci->header_size)
		return;
	sec->at = v + strlen(version);
	sec->end = m + ci->header_size;
	sec->on = sec->at < sec->end;
}

/* A field line: its name where the last line ended, the colon's NUL after it, whitespace, the
 * value. NULL if so, else why not. */
static const char *section_field(struct section *sec, const char *key, const char *value)
{
	uintptr_t k = (uintptr_t)key, v = (uintptr_t)value, colon = k + strlen(key);

	if (!sec->on)
		return NULL;
	if (k <= sec->at || k >= sec->end)
		return SECTION_FOLDED;
	if (!line_end_ok(sec, sec->at, k) || v <= colon || v >= sec->end || !all_nul(colon, 1))
		return SECTION_CUT;
	for (const char *c = (const char *)colon + 1; c < value; c++)
		if (*c != ' ' && *c != '\t')
			return SECTION_CUT;
	sec->at = v + strlen(value);
	return NULL;
}

/* The section's end: the last line's ending and the empty line, nothing else. Without a
 * field line, the request line's ending is one of the two. */
static const char *section_end(const struct section *sec)
{
	size_t gap = sec->on ? sec->end - sec->at : 0;

	if (!sec->on)
		return NULL;
	if (sec->eol ? gap != 2 * sec->eol : gap != 2 && gap != 4)
		return SECTION_CUT;
	return all_nul(sec->at, gap) ? NULL : SECTION_CUT;
}

/* RFC 9110 §5.5: a field value is visible characters, obs-text, SP and HTAB; CR, LF and NUL are
 * dangerous, other controls invalid. libmicrohttpd ends a line at CRLF or LF, so a bare CR
 * stayed in the value ("X: y\rTransfer-Encoding: chunked"), where a recipient that ends lines
 * at CR sees a field more (RFC 9112 §2.2). A NUL cut the value short inside libmicrohttpd: not
 * seen here. */
bool orsp__http_field_value_ok(const char *v)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* Optional white space (OWS, RFC 9110 §5.6.3) from p on: its end. */
static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* After a transfer coding's name: its parameters, *( OWS ";" OWS token BWS "=" BWS ( token /
 * quoted-string ) ) (RFC 9112 §7.3, RFC 9110 §5.6.4, §5.6.6), then OWS. The end of what was
 * read, or NULL when a parameter is malformed. */
static const char *skip_coding_params(const char *p, const char *tchar)
{
	for (;;) {
		size_t len;
		p = skip_ows(p);
		if (*p != ';')
			return p;
		p = skip_ows(p + 1);
		len = strspn(p, tchar);
		if (!len)
			return NULL;
		p = skip_ows(p + len);
		if (*p != '=')
			return NULL;
		p = skip_ows(p + 1);
		if (*p != '"') {
			len = strspn(p, tchar);
			if (!len)
				return NULL;
			p += len;
			continue;
		}
		/* qdtext, or a quoted-pair's escaped byte: HTAB, SP, VCHAR, obs-text (a "\\"
		 * escapes the byte after it, a quote included) */
		for (p++; *p != '"'; p++) {
			unsigned char c;
			if (*p == '\\')
				p++;
			c = (unsigned char)*p;
			if (c != '\t' && (c < 0x20 || c == 0x7f))
				return NULL;
		}
		p++;
	}
}

/* Is v a list of transfer codings (RFC 9112 §6.1: `coding *( OWS "," OWS coding )`) whose
 * last is chunked, after one or more others, none of them chunked ("gzip, chunked")? Such a
 * body has a length, but codings this server does not decode: 501. Anything else that is
 * not exactly "chunked" is 400 (framing_error). */
static bool codings_then_chunked(const char *v)
{
	/* tchar, RFC 9110 §5.6.2 */
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
	                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	size_t n = 0;

	for (const char *p = skip_ows(v);; p = skip_ows(p)) {
		size_t len = strspn(p, tchar);
		bool chunked;
		if (!len)
			return false; /* an empty element, or one that is no token */
		n++;
		chunked = len == 7 && strncasecmp(p, "chunked", 7) == 0;
		p += len;
		if (!*p) /* the last: chunked after other codings, nothing after it */
			return n > 1 && chunked;
		if (chunked)
			return false; /* chunked before the last, or with a parameter: 400 */
		p = skip_coding_params(p, tchar);
		if (!p)
			return false;
		if (!*p)
			return false; /* the last is not chunked */
		if (*p != ',')
			return false; /* anything else: 400 */
		p++;
	}
}

/* A name starting with a framing field's name, longer: how libmicrohttpd 0.9.75 hands on that
 * field folded onto a next line (obs-fold, RFC 9112 §5.2). It appends the continuation, its
 * leading whitespace dropped, to the field's name, not its value: "Transfer-Encoding:\r\n
 * chunked" arrives as "Transfer-Encodingchunked" with an empty value, no framing field for
 * libmicrohttpd, Transfer-Encoding: chunked for a proxy that unfolds it. */
static bool folded_framing(const char *k)
{
	static const char *const names[] = {MHD_HTTP_HEADER_CONTENT_LENGTH,
	                                    MHD_HTTP_HEADER_TRANSFER_ENCODING};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(names); i++)
		if (strncasecmp(k, names[i], strlen(names[i])) == 0 && k[strlen(names[i])])
			return true;
	return false;
}

static enum MHD_Result check_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	struct framing *f = cls;
	(void)kind;
	/* RFC 9110 §5.6.2: a field name is a token. libmicrohttpd 0.9.75 keeps whitespace before
	 * the colon in the name ("Transfer-Encoding "), so that field escaped the checks below
	 * while a proxy in front may have framed by it; RFC 9112 §5.1: 400. */
	if (!key || !*key || !value) {
		f->malformed = "malformed header field";
		return MHD_NO;
	}
	for (const char *c = key; *c; c++) {
		if (!token_char((unsigned char)*c)) {
			f->malformed = "malformed header field name";
			return MHD_NO;
		}
	}
	if (!orsp__http_field_value_ok(value)) {
		f->malformed = "control character in a header field value";
		return MHD_NO;
	}
	if (folded_framing(key)) {
		f->malformed = "folded framing header field";
		return MHD_NO;
	}
	if ((f->malformed = section_field(&f->sec, key, value)) != NULL)
		return MHD_NO;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		f->content_length++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->transfer_encoding++;
		f->chunked = strcasecmp(value, "chunked") == 0;
		f->other_codings = codings_then_chunked(value);
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		f->host++;
	} else if (f->xff && strcasecmp(key, "X-Forwarded-For") == 0) {
		xff_field(f->xff, value);
	} else {
		for (size_t i = 0; i < ORSP_ARRAY_LEN(SINGLE_FIELDS); i++)
			f->single[i] += strcasecmp(key, SINGLE_FIELDS[i].name) == 0;
	}
	return MHD_YES;
}

/* NULL if the request's header fields, Host and body framing are usable, else why not (RFC
 * 9112 §3.2, §6.3). A field libmicrohttpd should have refused (see check_field) is refused here.
 * Ambiguous framing is refused: libmicrohttpd takes the first of several Content-Length
 * fields, a proxy in front might take another (request smuggling).
 * A Transfer-Encoding whose last coding is not chunked leaves the body's length unknown: the
 * server MUST answer 400 and close. libmicrohttpd decodes a chunked body only when the value
 * is "chunked" (any case; it strips leading whitespace, not trailing), and reads anything
 * else ("identity", "gzip, chunked", "chunked, identity", "chunked ") as a body running to the
 * end of the connection, a pipelined request with it, answering nothing until the request
 * deadline; so exactly that value is accepted. An HTTP/1.0 request with a Transfer-Encoding
 * has faulty framing (RFC 9112 §6.1: an HTTP/1.0 recipient may not know chunking, a proxy in
 * front may frame it otherwise): libmicrohttpd decoded it as chunked and, asked for
 * keep-alive, read the next request after it. The same pass over the fields gives xff (not
 * NULL) the X-Forwarded-For fields. */
static const char *framing_error(const orsp_http_server *srv, struct MHD_Connection *conn,
                                 const char *method, const char *version, bool http10,
                                 struct xff *xff)
{
	struct framing f = {.xff = xff};
	section_begin(&f.sec, srv->section_layout, conn, method, version);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, check_field, &f);
	if (f.malformed)
		return f.malformed;
	if ((f.malformed = section_end(&f.sec)) != NULL)
		return f.malformed;
	/* RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host and for any request with more
	 * than one (libmicrohttpd checks neither; its pedantic mode checks the first, and answers
	 * it with its header block written twice, see docs/http.md). */
	if (f.host > 1)
		return "more than one Host field";
	for (size_t i = 0; i < ORSP_ARRAY_LEN(SINGLE_FIELDS); i++)
		if (f.single[i] > 1)
			return SINGLE_FIELDS[i].twice;
	if (!f.host && !http10)
		return "no Host field";
	if (f.content_length > 1 || f.transfer_encoding > 1 ||
	    (f.content_length && f.transfer_encoding))
		return "ambiguous message framing";
	if (f.transfer_encoding && http10)
		return "transfer coding in an HTTP/1.0 request";
	if (f.transfer_encoding && !f.chunked)
		return f.other_codings ? TE_NOT_IMPLEMENTED : "transfer coding not supported";
	return NULL;
}

/* The client waits for 100 Continue before it sends the body: as libmicrohttpd (0.9.75)
 * decides whether to send it, an HTTP/1.1 request whose Expect is "100-continue" (any case). */
/* The tokens of the request's Connection fields (RFC 9110 §7.6.1: a comma-separated list,
 * in any case, every such field) that libmicrohttpd decides keep-alive by. */
struct conn_tokens {
	bool close, keep_alive;
};

static enum MHD_Result connection_tokens(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
	struct conn_tokens *t = cls;
	(void)kind;
	if (!key || !value || strcasecmp(key, MHD_HTTP_HEADER_CONNECTION) != 0)
		return MHD_YES;
	for (const char *p = value; *p;) {
		size_t n;
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		t->close |= n == 5 && strncasecmp(p, "close", 5) == 0;
		t->keep_alive |= n == 10 && strncasecmp(p, "keep-alive", 10) == 0;
		p += n;
	}
	return MHD_YES;
}

/* Whether libmicrohttpd (keepalive_possible) closes the connection after the answer, as the
 * client asked: Connection: close, or HTTP/1.0 without Connection: keep-alive. */
static bool client_closes(struct MHD_Connection *conn, bool http10)
{
	struct conn_tokens t = {false, false};
	(void)MHD_get_connection_values(conn, MHD_HEADER_KIND, connection_tokens, &t);
	return t.close || (http10 && !t.keep_alive);
}

static bool expects_continue(struct MHD_Connection *conn, bool http10)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
	return !http10 && v && strcasecmp(v, "100-continue") == 0;
}

/* The path of the target url (decoded, without the query string). */
static const char *request_path(const struct req_state *st, const char *url)
{
	return url[st->path_off] ? url + st->path_off : "/";
}

static enum MHD_Result first_call(orsp_http_server *srv, struct MHD_Connection *conn,
                                  const char *url, const char *method, const char *version,
                                  struct req_state *st)
{
	char allow[256] = "";
	bool path_found = false, head_route = false;
	const struct route *get = NULL;
	uint64_t cl;
	/* libmicrohttpd passes on HTTP/1.0 and 1.1 to 1.9 only (others get its 400 or 505) */
	bool http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
	/* from a trusted proxy, its X-Forwarded-For is read in framing_error's pass */
	struct xff xff = {.srv = srv};
	const char *framing =
	    framing_error(srv, conn, method, version, http10, trusted_peer(srv, st) ? &xff : NULL);
	const char *path = request_path(st, url);

	/* A request refused here keeps the peer's address as the client's: its fields may not
	 * have been read whole (a malformed one stops the pass), nor as sent. So does one that
	 * never got here (refused by libmicrohttpd, cut short in its header section). Every
	 * other request has its client from now on, before anything logs it. */
	if (framing)
		return reply_error(st, conn, framing == TE_NOT_IMPLEMENTED ? 501 : 400, framing,
		                   NULL);
	xff_client(&xff, st);
	st->asked_close = client_closes(conn, http10);
	if (st->other_target)
		return reply_error(st, conn, 400, "invalid request target", NULL);
	if (st->split_path)
		return reply_error(st, conn, 400, "encoded slash or backslash in the request path",
		                   NULL);
	if (!method_ok(method, url, srv->pool_size))
		return reply_error(st, conn, 400, "malformed request line", NULL);
	/* The client's certificate before the routes: where one is required, a client without
	 * one learns nothing of the paths and their methods (no 404, no 405 with Allow) */
	if (srv->client_ca && !verify_client_cert(conn, st) && srv->require_client_cert)
		return reply_error(st, conn, 403,
		                   st->cert_refused ? "client certificate not accepted"
		                                    : "client certificate required",
		                   NULL);
	for (size_t i = 0; i < srv->n_routes; i++) {
		const struct route *r = &srv->routes[i];
		if (strcmp(r->path, path) != 0)
			continue;
		if (strcmp(r->method, method) == 0) {
			st->route = r;
			break;
		}
		if (strcmp(r->method, MHD_HTTP_METHOD_GET) == 0)
			get = r;
		head_route |= strcmp(r->method, MHD_HTTP_METHOD_HEAD) == 0;
		/* Allow lists every method of the path (RFC 9110 §15.5.6). */
		if (path_found)
			strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
		strncat(allow, r->method, sizeof(allow) - strlen(allow) - 1);
		path_found = true;
	}
	/* RFC 9110 §9.3.2: HEAD is GET without the body; the GET route answers it (the handler
	 * sees the method HEAD), and libmicrohttpd sends the header fields of its answer,
	 * Content-Length included, without the body. A HEAD route of the path comes first. */
	if (!st->route && get && strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		st->route = get;
	if (!st->route && path_found) {
		if (get && !head_route)
			strncat(allow, ", " MHD_HTTP_METHOD_HEAD,
			        sizeof(allow) - strlen(allow) - 1);
		return reply_error(st, conn, 405, "method not allowed", allow);
	}
	if (!st->route)
		return reply_error(st, conn, 404, "not found", NULL);
	if (content_length(conn, &cl) && cl > srv->max_body) {
		/* Answering before the body is read makes the connection close with the body
		 * still unread, and the client's TCP stack may then get a reset before it reads
		 * the 413. A body within DROP_LIMIT is read and dropped first, the 413 follows;
		 * unless the client waits for 100 Continue before it sends the body (RFC 9110
		 * §10.1.1): libmicrohttpd sent that, and the body came only to be dropped. */
		if (cl > DROP_LIMIT(srv->max_body) || expects_continue(conn, http10))
			return reply_error(st, conn, 413, "request body too large", NULL);
		st->overflow = true;
	}
	return MHD_YES;
}

static enum MHD_Result run_handler(struct MHD_Connection *conn, const char *url, const char *method,
                                   struct req_state *st)
{
	orsp_http_response resp = {.status = 200};
	orsp_http_request req = {
	    .method = method,
	    .path = request_path(st, url),
	    .body = st->body ? st->body : (const uint8_t *)"",
	    .body_len = st->len,
	    .client_addr = st->addr,
	    .peer_addr = st->peer,
	    .client_port = st->port,
	    .client_cert = st->client_cert,
	    .client_cert_len = st->client_cert_len,
	    .client_chain = st->n_chain ? st->chain : NULL,
	    .n_client_chain = st->n_chain,
	    .client_cert_refused = st->cert_refused,
	    .impl_ = conn,
	};
	orsp_err err;

	struct worker_acct *w = NULL;
	uint64_t t0 = now_us();

	if (st->slot) {
		w = &st->srv->workers[st->slot->worker];
		atomic_store_explicit(&w->busy_since_us, t0, memory_order_relaxed);
	}
	orsp_err_clear();
	st->handled = true;
	err = st->route->handler(st->route->ctx, &req, &resp);
	if (w) {
		/* the total first, then "finished" with release: worker_busy */
		atomic_fetch_add_explicit(&w->busy_total_us, now_us() - t0, memory_order_relaxed);
		atomic_store_explicit(&w->busy_since_us, 0, memory_order_release);
	}
	if (err) {
		orsp_log(ORSP_LOG_WARN, "http: %s %s: handler failed: %s: %s", st->method, st->path,
		         orsp_err_str(err), orsp_err_detail());
		response_clear(&resp);
		return reply_error(st, conn, 500, "internal error", NULL);
	}
	if (resp.status < 200 || resp.status > 599) {
		orsp_log(ORSP_LOG_WARN, "http: %s %s: handler set status %d", st->method, st->path,
		         resp.status);
		response_clear(&resp);
		return reply_error(st, conn, 500, "internal error", NULL);
	}
	return queue(st, conn, &resp);
}

/* Request bodies carry confirmation codes, bearer tokens and keys: the buffer is wiped before
 * it is freed, whatever the route (a memset of at most max_body). */
static void body_free(struct req_state *st)
{
	if (st->body)
		orsp_wipe(st->body, st->cap);
	free(st->body);
	st->body = NULL;
	st->cap = 0;
}

/* Append a body chunk (keeps one spare byte for the terminating NUL). */
static bool append(struct req_state *st, const char *data, size_t n)
{
	size_t max = st->srv->max_body;

	if (st->out_of_memory) {
		st->dropped += n;
		return st->dropped <= DROP_LIMIT(max);
	}
	if (st->overflow || n > max - st->len) {
		if (!st->overflow) {
			/* the part stored so far counts as dropped too: the limit is the body's */
			st->dropped = st->len;
			st->len = 0;
		}
		st->overflow = true;
		body_free(st);
		st->dropped += n;
		/* A body of unannounced size (chunked) is read and dropped up to DROP_LIMIT so that
		 * the client gets a clean 413; beyond that, close the connection. */
		return st->dropped <= DROP_LIMIT(max);
	}
	if (st->len + n + 1 > st->cap) {
		size_t cap = st->cap ? st->cap : 1024;
		while (cap < st->len + n + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		/* not realloc, which would free the part read so far unwiped when it moves it */
		uint8_t *p = orsp_wipe_malloc(cap);
		if (!p) {
			/* read and dropped as a body too large is, then a 503 that closes the
			 * connection, logged as such (until session 79 the connection was closed
			 * with no answer, logged as a client gone: status 0, aborted) */
			st->dropped = st->len + n;
			st->len = 0;
			st->out_of_memory = true;
			body_free(st);
			return true;
		}
		if (st->len)
			memcpy(p, st->body, st->len);
		body_free(st);
		st->body = p;
		st->cap = cap;
	}
	memcpy(st->body + st->len, data, n);
	st->len += n;
	st->body[st->len] = 0;
	return true;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
	orsp_http_server *srv = cls;
	struct req_state *st = *con_cls;

	if (st == (void *)&target_oom)
		return MHD_NO;
	if (!st || !st->accessed) {
		if (!st) {
			if (!(st = req_new(srv, conn, url)))
				return MHD_NO;
			st->chosen = !slot_busy(st->slot);
		}
		*con_cls = st;
		/* its connection is being reset for a new one: closed without an answer */
		if (st->chosen)
			return MHD_NO;
		st->accessed = true;
		/* unescape kept the scheme and authority as sent: the path starts where it did */
		if (st->absolute)
			st->path_off = absolute_prefix(url);
		st->other_target |= target_cut(st, url, version);
		sanitise(st->method, sizeof(st->method), method);
		/* not with a userinfo, nor an encoded slash: that path, from the target as sent,
		 * stays (decoded, es2plus%2FdownloadOrder was logged as a route's path) */
		if (!st->userinfo && !st->split_path)
			sanitise(st->path, sizeof(st->path), url);
		atomic_fetch_add(&srv->in_flight, 1);
		st->early = true;
		enum MHD_Result ret = first_call(srv, conn, url, method, version, st);
		st->early = false;
		return ret;
	}
	/* An early answer (first_call's 400, 403, 404, 405, 413) is queued before the body:
	 * libmicrohttpd (0.9.75) then sends it with Connection: close, reads none of the body and
	 * does not call again for the request. Should a version pass body bytes all the same, the
	 * connection is closed rather than an unbounded body read; the bytes it passed are
	 * counted, so that the log (and test_early_answer_body_not_read) shows them. */
	if (st->responded) {
		st->dropped += *upload_data_size;
		return *upload_data_size ? MHD_NO : MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		return append(st, upload_data, n) ? MHD_YES : MHD_NO;
	}
	/* The request is complete: no deadline while the handler runs (it is bounded
	 * otherwise); the answer's starts when it is queued. */
	if (st->slot)
		atomic_store_explicit(&st->slot->deadline_us, 0, memory_order_relaxed);
	/* A chunked body's trailer section (RFC 9112 §7.1.2). Nothing here reads trailers, and
	 * libmicrohttpd (0.9.75) takes their lines without the checks the header section gets
	 * (check_field, section_field): a line starting with a colon ends the section for it,
	 * and the lines after it, trailers to a proxy in front, are read as the next request on
	 * the connection (request smuggling). A line like that follows at least one trailer
	 * field, so any trailer is refused, and the connection closed with the answer. */
	if (MHD_get_connection_values(conn, MHD_FOOTER_KIND, NULL, NULL) > 0) {
		st->close = true;
		return reply_error(st, conn, 400, "trailer fields in a chunked request", NULL);
	}
	if (st->overflow)
		return reply_error(st, conn, 413, "request body too large", NULL);
	if (st->out_of_memory) {
		st->close = true;
		return reply_error(st, conn, 503, "out of memory", NULL);
	}
	return run_handler(conn, url, method, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	orsp_http_server *srv = cls;
	struct req_state *st = *con_cls;

	(void)conn;
	if (!st || st == (void *)&target_oom) {
		*con_cls = NULL;
		return;
	}
	orsp_http_log_entry e = {
	    .method = st->method,
	    .path = st->path,
	    .client_addr = st->addr,
	    .peer_addr = st->peer,
	    .status = st->responded ? st->status : 0,
	    .duration_us = now_us() - st->start_us,
	    .body_len = st->len + st->dropped,
	    .completed = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK,
	    .handled = st->handled,
	    .out_of_memory = st->out_of_memory,
	};
	if (srv->hook) {
		srv->hook(srv->hook_ctx, &e);
	} else {
		char via[ORSP_HTTP_VIA_MAX];
		orsp_log(ORSP_LOG_INFO,
		         "http method=%s path=%s status=%d duration_us=%llu client=%s%s body=%zu%s",
		         e.method, e.path, e.status, (unsigned long long)e.duration_us,
		         e.client_addr, orsp_http_via(e.client_addr, e.peer_addr, via, sizeof(via)),
		         e.body_len, e.completed ? "" : " aborted");
	}
	/* The answer is out (or the connection failed): the next request on a keep-alive
	 * connection has the deadline from now. A request that never reached on_access (cut
	 * short in its headers, or answered by libmicrohttpd) was not in flight. */
	if (st->accessed && st->slot)
		slot_arm(srv, st->slot, false);
	/* no request in progress on the connection from now on (idle_reset_locked) */
	if (st->slot)
		atomic_store(&st->slot->idle_since_us, now_us());
	body_free(st);
	*con_cls = NULL;
	if (st->accessed)
		atomic_fetch_sub(&srv->in_flight, 1);
	free(st);
}

/* libmicrohttpd's messages quote the client's bytes: the target of a request whose answer
 * could not be sent ("Failed to send the response headers for the request for `%s'", 0.9.75),
 * after unescape decoded it, so that a %0A in it began a log line of the client's and a %1B a
 * terminal escape. Made printable ASCII as the request log's fields are (sanitise; the space
 * kept: the message is words, and the line has no fields after it), cut at MHD_LOG_MAX bytes
 * with "..." at the end. */
static void mhd_log_text(char *buf, size_t cap, const char *fmt, va_list ap) ORSP_PRINTF(3, 0);
static void mhd_log_text(char *buf, size_t cap, const char *fmt, va_list ap)
{
	int full = vsnprintf(buf, cap, fmt, ap);
	size_t n = strlen(buf);

	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	orsp_ascii_printable(buf);
	if (full > 0 && (size_t)full >= cap && cap > 4)
		memcpy(buf + cap - 4, "...", 4);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) ORSP_PRINTF(2, 0);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	orsp_http_server *srv = cls;
	char buf[MHD_LOG_MAX + 1];
	bool starting;

	mhd_log_text(buf, sizeof(buf), fmt, ap);
	pthread_mutex_lock(&srv->log_lock);
	starting = srv->starting;
	if (starting && !srv->start_error[0])
		snprintf(srv->start_error, sizeof(srv->start_error), "%s", buf);
	pthread_mutex_unlock(&srv->log_lock);
	orsp_log(starting ? ORSP_LOG_WARN : ORSP_LOG_INFO, "http: libmicrohttpd: %s", buf);
}

/* ---------------------------------------------------------------- start / stop ---------- */

/* PEM text from memory or a file (exactly one of them), NUL-terminated, malloc'ed. */
static orsp_err load_pem(const char *pem, const char *file, const char *what, char **out,
                         size_t *out_len)
{
	orsp_err err = ORSP_OK;
	int fd = -1;
	char *buf = NULL;
	size_t len = 0;
	struct stat sb;

	*out = NULL;
	if (pem && file)
		return orsp_errf(ORSP_E_USAGE, "%s: give PEM text or a file, not both", what);
	if (pem) {
		len = strnlen(pem, ORSP_HTTP_MAX_PEM + 1);
		if (len > ORSP_HTTP_MAX_PEM)
			return orsp_errf(ORSP_E_USAGE, "%s: PEM longer than %zu bytes", what,
			                 ORSP_HTTP_MAX_PEM);
		buf = malloc(len + 1);
		if (!buf)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		memcpy(buf, pem, len + 1);
		goto done;
	}
	/* O_NONBLOCK: a FIFO without a writer would block the open (it is refused below) */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return orsp_errf(ORSP_E_IO, "%s: cannot open %s: %s", what, file, strerror(errno));
	/* each reason its own words: the key of a configuration names the file, they say why */
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		err = orsp_errf(ORSP_E_IO, "%s: %s is not a regular file", what, file);
		goto out;
	}
	if (sb.st_size <= 0 || (uint64_t)sb.st_size > ORSP_HTTP_MAX_PEM) {
		err = sb.st_size <= 0 ? orsp_errf(ORSP_E_IO, "%s: %s is empty", what, file)
		                      : orsp_errf(ORSP_E_IO, "%s: %s is larger than %zu bytes",
		                                  what, file, ORSP_HTTP_MAX_PEM);
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	while (len < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)sb.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = orsp_errf(ORSP_E_IO, "%s: reading %s failed", what, file);
			goto out;
		}
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		err = orsp_errf(ORSP_E_USAGE, "%s: %s is not PEM text (NUL byte)", what, file);
		goto out;
	}
done:
	*out = buf;
	*out_len = len;
	buf = NULL;
out:
	if (buf) {
		orsp_wipe(buf, len);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return err;
}

/* Check that pem holds one or more CERTIFICATE blocks, each strict base64 of one DER SEQUENCE
 * whose length covers it exactly, and nothing but whitespace around them. This gives a clear
 * error before GnuTLS sees the text (and keeps broken input away from GnuTLS error paths). */
static orsp_err check_cert_pem(const char *pem, const char *what)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	orsp_err err = ORSP_OK;
	size_t cap = strlen(pem) + 1, blocks = 0;
	char *b64 = malloc(cap);
	uint8_t *der = malloc(cap);
	const char *p = pem;

	if (!b64 || !der) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	for (;;) {
		size_t n = 0, der_len = 0, hdr, body;
		const char *e;

		p += strspn(p, " \t\r\n");
		if (!*p)
			break;
		if (strncmp(p, begin, sizeof(begin) - 1) != 0) {
			err = orsp_errf(ORSP_E_USAGE, "%s: expected %s", what, begin);
			goto out;
		}
		p += sizeof(begin) - 1;
		e = strstr(p, end);
		if (!e) {
			err = orsp_errf(ORSP_E_USAGE, "%s: %s missing", what, end);
			goto out;
		}
		for (; p < e; p++)
			if (!strchr(" \t\r\n", *p))
				b64[n++] = *p;
		p = e + sizeof(end) - 1;
		if (orsp_base64_decode(b64, n, der, cap, &der_len) != ORSP_OK) {
			err = orsp_errf(ORSP_E_USAGE, "%s: certificate %zu: bad base64", what,
			                blocks);
			goto out;
		}
		/* SEQUENCE with a definite length of at most 4 octets. */
		if (der_len < 2 || der[0] != 0x30) {
			err =
			    orsp_errf(ORSP_E_USAGE, "%s: certificate %zu is not DER", what, blocks);
			goto out;
		}
		if (der[1] < 0x80) {
			hdr = 2;
			body = der[1];
		} else if (der[1] >= 0x81 && der[1] <= 0x84 && der_len >= 2u + (der[1] & 0x7fu)) {
			hdr = 2u + (der[1] & 0x7fu);
			body = 0;
			for (size_t i = 2; i < hdr; i++)
				body = body << 8 | der[i];
		} else {
			err =
			    orsp_errf(ORSP_E_USAGE, "%s: certificate %zu is not DER", what, blocks);
			goto out;
		}
		if (hdr + body != der_len) {
			err = orsp_errf(ORSP_E_USAGE, "%s: certificate %zu: length mismatch", what,
			                blocks);
			goto out;
		}
		blocks++;
	}
	if (!blocks)
		err = orsp_errf(ORSP_E_USAGE, "%s: no PEM certificate", what);
out:
	free(b64);
	free(der);
	return err;
}

/* orsp_http_server_pem_check's reading of text load_pem gave. */
static orsp_err pem_text_check(const char *pem, bool key, const char *what)
{
	if (!key)
		return check_cert_pem(pem, what);
	if (!strstr(pem, "-----BEGIN ") || !strstr(pem, "PRIVATE KEY-----"))
		return orsp_errf(ORSP_E_USAGE, "%s: no PEM private key", what);
	return ORSP_OK;
}

orsp_err orsp_http_server_pem_read(const char *file, bool key, const char *what, char **pem,
                                   size_t *len)
{
	char *text = NULL;
	size_t n = 0;
	orsp_err err;

	if (!file || !what || !pem || !len)
		return orsp_errf(ORSP_E_USAGE, "orsp_http_server_pem_read: bad arguments");
	*pem = NULL;
	*len = 0;
	err = load_pem(NULL, file, what, &text, &n);
	if (!err)
		err = pem_text_check(text, key, what);
	if (err) {
		if (text) {
			orsp_wipe(text, n);
			free(text);
		}
		return err;
	}
	*pem = text;
	*len = n;
	return ORSP_OK;
}

orsp_err orsp_http_server_pem_check(const char *file, bool key, const char *what)
{
	char *pem = NULL;
	size_t len = 0;
	orsp_err err;

	if (!file || !what)
		return orsp_errf(ORSP_E_USAGE, "orsp_http_server_pem_check: bad arguments");
	err = orsp_http_server_pem_read(file, key, what, &pem, &len);
	if (pem) {
		orsp_wipe(pem, len);
		free(pem);
	}
	return err;
}

orsp_err orsp_http_server_pem_check_mem(const void *pem, size_t len, bool key, const char *what)
{
	char *text = NULL;
	orsp_err err;

	if ((!pem && len) || !what)
		return orsp_errf(ORSP_E_USAGE, "orsp_http_server_pem_check_mem: bad arguments");
	/* the limits load_pem puts on a file */
	if (len == 0 || len > ORSP_HTTP_MAX_PEM)
		return orsp_errf(ORSP_E_IO, "%s: not PEM text of 1..%zu bytes", what,
		                 ORSP_HTTP_MAX_PEM);
	if (memchr(pem, '\0', len))
		return orsp_errf(ORSP_E_USAGE, "%s: not PEM text (NUL byte)", what);
	if (!(text = malloc(len + 1)))
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	memcpy(text, pem, len);
	text[len] = '\0';
	err = pem_text_check(text, key, what);
	orsp_wipe(text, len);
	free(text);
	return err;
}

static void acceptor_stop(orsp_http_server *srv, bool take_queued);

/* The one server of the process whose key is held elsewhere: libmicrohttpd's certificate
 * callback (GnuTLS's retrieve_function2) carries no context, so it finds the server here. */
static pthread_mutex_t ext_mu = PTHREAD_MUTEX_INITIALIZER;
static orsp_http_server *_Atomic ext_server;

static int ext_cert(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	orsp_http_server *srv = atomic_load(&ext_server);
	(void)session;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (!srv)
		return -1;
	/* still the server's: GnuTLS frees nothing a retrieve_function2 returns */
	*pcert = srv->pcerts;
	*pcert_length = srv->n_pcerts;
	*pkey = srv->ext_key;
	return 0;
}

/* ECDSA over the digest GnuTLS computed (SHA-256: ext_info offers nothing else). */
static int ext_sign_hash(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *userdata,
                         unsigned int flags, const gnutls_datum_t *hash, gnutls_datum_t *signature)
{
	orsp_http_server *srv = userdata;
	uint8_t der[80];
	size_t len = 0;
	(void)key;
	(void)flags;
	if ((algo != GNUTLS_SIGN_ECDSA_SHA256 && algo != GNUTLS_SIGN_ECDSA_SECP256R1_SHA256) ||
	    hash->size != 32)
		return GNUTLS_E_INVALID_REQUEST;
	if (srv->key_sign(srv->key_sign_ctx, hash->data, der, sizeof(der), &len) != ORSP_OK ||
	    len == 0 || len > sizeof(der)) {
		orsp_log(ORSP_LOG_ERROR, "https: the server key did not sign: %s",
		         orsp_err_detail());
		orsp_err_clear();
		return GNUTLS_E_PK_SIGN_FAILED;
	}
	signature->data = gnutls_malloc(len);
	if (!signature->data)
		return GNUTLS_E_MEMORY_ERROR;
	memcpy(signature->data, der, len);
	signature->size = (unsigned)len;
	return 0;
}

static int ext_info(gnutls_privkey_t key, unsigned int flags, void *userdata)
{
	(void)key;
	(void)userdata;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO)
		return GNUTLS_PK_ECDSA;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS)
		return 256;
	if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO) {
		unsigned a = GNUTLS_FLAGS_TO_SIGN_ALGO(flags);
		return a == GNUTLS_SIGN_ECDSA_SHA256 || a == GNUTLS_SIGN_ECDSA_SECP256R1_SHA256;
	}
	if (flags & GNUTLS_PRIVKEY_INFO_SIGN_ALGO)
		return GNUTLS_SIGN_ECDSA_SHA256;
	return -1;
}

/* The chain of cert_pem as GnuTLS certificates and the key signing through key_sign; the
 * process's one such server (ORSP_E_STATE if another runs). */
static orsp_err ext_setup(orsp_http_server *srv, size_t cert_len)
{
	gnutls_datum_t d = {(unsigned char *)srv->cert_pem, (unsigned)cert_len};
	unsigned n = 16;
	int rc;

	srv->pcerts = calloc(n, sizeof(*srv->pcerts));
	if (!srv->pcerts)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	rc = gnutls_pcert_list_import_x509_raw(srv->pcerts, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || n == 0)
		return orsp_errf(ORSP_E_USAGE, "server certificate: %s",
		                 rc < 0 ? gnutls_strerror(rc) : "no certificate");
	srv->n_pcerts = n;
	if (gnutls_privkey_init(&srv->ext_key) < 0 ||
	    gnutls_privkey_import_ext4(srv->ext_key, srv, NULL, ext_sign_hash, NULL, NULL, ext_info,
	                               0) < 0)
		return orsp_errf(ORSP_E_RESOURCE, "https: cannot set up the server key");
	pthread_mutex_lock(&ext_mu);
	if (atomic_load(&ext_server)) {
		pthread_mutex_unlock(&ext_mu);
		return orsp_errf(ORSP_E_STATE, "https: another server of this process already has "
		                               "its key in a token (one per process)");
	}
	atomic_store(&ext_server, srv);
	pthread_mutex_unlock(&ext_mu);
	return ORSP_OK;
}

static void ext_free(orsp_http_server *srv)
{
	pthread_mutex_lock(&ext_mu);
	if (atomic_load(&ext_server) == srv)
		atomic_store(&ext_server, NULL);
	pthread_mutex_unlock(&ext_mu);
	if (srv->ext_key)
		gnutls_privkey_deinit(srv->ext_key);
	for (unsigned i = 0; i < srv->n_pcerts; i++)
		gnutls_pcert_deinit(&srv->pcerts[i]);
	free(srv->pcerts);
}

static void server_free(orsp_http_server *srv)
{
	if (!srv)
		return;
	acceptor_stop(srv, false);
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	ext_free(srv);
	for (int i = 0; i < 2; i++)
		if (srv->wake[i] >= 0)
			close(srv->wake[i]);
	pthread_mutex_destroy(&srv->conn_lock);
	pthread_cond_destroy(&srv->conn_cv);
	free(srv->slots);
	free(srv->workers);
	free(srv->polling_tids);
	for (size_t i = 0; i < srv->n_routes; i++) {
		free(srv->routes[i].method);
		free(srv->routes[i].path);
	}
	free(srv->routes);
	free(srv->trusted);
	if (srv->key_pem)
		orsp_wipe(srv->key_pem, srv->key_len);
	free(srv->key_pem);
	free(srv->cert_pem);
	free(srv->ca_pem);
	free(srv->priorities);
	pthread_mutex_destroy(&srv->log_lock);
	free(srv);
}

/* cfg->trusted_proxies into srv. */
static orsp_err copy_trusted(orsp_http_server *srv, const orsp_http_server_config *cfg)
{
	size_t n = cfg->n_trusted_proxies;

	if (!n)
		return ORSP_OK;
	if (!cfg->trusted_proxies)
		return orsp_errf(ORSP_E_USAGE, "http server: n_trusted_proxies without a list");
	for (size_t i = 0; i < n; i++)
		if (cfg->trusted_proxies[i].bits > (cfg->trusted_proxies[i].v6 ? 128 : 32))
			return orsp_errf(ORSP_E_USAGE,
			                 "http server: trusted proxy %zu: prefix length %u", i,
			                 (unsigned)cfg->trusted_proxies[i].bits);
	if (n > SIZE_MAX / sizeof(*srv->trusted) ||
	    !(srv->trusted = malloc(n * sizeof(*srv->trusted))))
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	memcpy(srv->trusted, cfg->trusted_proxies, n * sizeof(*srv->trusted));
	srv->n_trusted = n;
	return ORSP_OK;
}

static orsp_err copy_routes(orsp_http_server *srv, const orsp_http_server_config *cfg)
{
	if (!cfg->routes || cfg->n_routes == 0)
		return orsp_errf(ORSP_E_USAGE, "http server: no routes");
	srv->routes = calloc(cfg->n_routes, sizeof(*srv->routes));
	if (!srv->routes)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	srv->n_routes = cfg->n_routes;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const orsp_http_route *r = &cfg->routes[i];
		if (!r->method || !r->method[0] || !r->path || r->path[0] != '/' || !r->handler)
			return orsp_errf(ORSP_E_USAGE, "http server: route %zu incomplete", i);
		srv->routes[i].method = strdup(r->method);
		srv->routes[i].path = strdup(r->path);
		if (!srv->routes[i].method || !srv->routes[i].path)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		srv->routes[i].handler = r->handler;
		srv->routes[i].ctx = r->ctx;
	}
	return ORSP_OK;
}

static orsp_err load_tls(orsp_http_server *srv, const orsp_http_server_config *cfg, bool *tls)
{
	orsp_err err;
	size_t len;
	bool have_cert = cfg->cert_pem || cfg->cert_file;
	bool have_key = cfg->key_pem || cfg->key_file || cfg->key_sign;
	bool have_ca = cfg->client_ca_pem || cfg->client_ca_file;

	*tls = false;
	if (have_cert != have_key)
		return orsp_errf(ORSP_E_USAGE, "https: certificate and key must be given together");
	if (!have_cert) {
		if (have_ca || cfg->require_client_cert)
			return orsp_errf(ORSP_E_USAGE,
			                 "mutual TLS needs HTTPS (certificate + key)");
		return ORSP_OK;
	}
	if (cfg->key_sign && (cfg->key_pem || cfg->key_file))
		return orsp_errf(ORSP_E_USAGE, "https: a key and a key_sign function both given");
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return orsp_errf(ORSP_E_USAGE, "https: this libmicrohttpd was built without TLS "
		                               "(GnuTLS) support");
	if (cfg->require_client_cert && !have_ca)
		return orsp_errf(ORSP_E_USAGE, "require_client_cert needs a client CA");
	err = load_pem(cfg->cert_pem, cfg->cert_file, "server certificate", &srv->cert_pem, &len);
	if (!err && cfg->key_sign) {
		srv->key_sign = cfg->key_sign;
		srv->key_sign_ctx = cfg->key_sign_ctx;
		err = check_cert_pem(srv->cert_pem, "server certificate");
		if (!err)
			err = ext_setup(srv, len);
	} else if (!err) {
		err = load_pem(cfg->key_pem, cfg->key_file, "server key", &srv->key_pem,
		               &srv->key_len);
	}
	if (!err && have_ca)
		err = load_pem(cfg->client_ca_pem, cfg->client_ca_file, "client CA", &srv->ca_pem,
		               &len);
	if (!err)
		err = check_cert_pem(srv->cert_pem, "server certificate");
	if (!err && srv->ca_pem)
		err = check_cert_pem(srv->ca_pem, "client CA");
	if (!err && !srv->key_sign &&
	    (!strstr(srv->key_pem, "-----BEGIN ") || !strstr(srv->key_pem, "PRIVATE KEY-----")))
		err = orsp_errf(ORSP_E_USAGE, "server key: no PEM private key");
	if (err)
		return err;
	srv->priorities =
	    strdup(cfg->tls_priorities ? cfg->tls_priorities : ORSP_HTTP_DEFAULT_TLS_PRIORITIES);
	if (!srv->priorities)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	srv->client_ca = have_ca;
	srv->require_client_cert = cfg->require_client_cert;
	*tls = true;
	return ORSP_OK;
}

static int conn_fd(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

static void slot_release(orsp_http_server *srv, struct conn_slot *s)
{
	s->state = SLOT_FREE;
	s->fd = -1;
	srv->open_conns--;
	srv->released_us = now_us();
	pthread_cond_broadcast(&srv->conn_cv);
}

/* Lock held: note the calling thread (a polling thread: on_connection) among the ones a stop
 * looks at (polling_thread_running). */
static void note_polling_thread_locked(orsp_http_server *srv)
{
	static _Thread_local pid_t me;

	if (!me)
		me = (pid_t)syscall(SYS_gettid);

	for (unsigned i = 0; i < srv->n_workers; i++) {
		if (srv->polling_tids[i] == me)
			return;
		if (srv->polling_tids[i] == 0) {
			srv->polling_tids[i] = me;
			return;
		}
	}
}

/* GnuTLS, at each handshake message: the client's ClientHello marks the connection's handshake
 * begun, its Finished marks it done (the last message of the client, sent once it accepted the
 * server's certificate; TLS 1.2 and 1.3). A connection that closes with a handshake begun and
 * not done is a failed one; one that never sent a ClientHello (a balancer's TCP check, bytes
 * that are not TLS) is none. libmicrohttpd neither logs nor counts a connection closed before
 * the handshake's end, and frees the GnuTLS session before its CLOSED notice, so that the
 * session cannot be asked then: its slot keeps the answer. The session's pointer is
 * libmicrohttpd's connection (its own gnutls_session_set_ptr), whose socket context is the
 * slot. GnuTLS calls the hook of a received message before it reads it (GNUTLS_HOOK_PRE),
 * so a ClientHello of a version it refuses is seen too. */
static int on_tls_message(gnutls_session_t session, unsigned htype, unsigned when,
                          unsigned incoming, const gnutls_datum_t *msg)
{
	struct MHD_Connection *conn = gnutls_session_get_ptr(session);
	const union MHD_ConnectionInfo *ci =
	    conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
	struct conn_slot *slot = ci ? ci->socket_context : NULL;

	(void)msg;
	if (!slot || !incoming)
		return 0;
	if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO)
		slot->tls_begun = true;
	else if (htype == GNUTLS_HANDSHAKE_FINISHED && when == GNUTLS_HOOK_POST)
		slot->tls_done = true;
	return 0;
}

/* Lock held: count a connection closed without a completed TLS handshake; true when it is time
 * to say so (at most once per TLS_FAIL_LOG_US), *since the count since the last such line,
 * *total the count since the start. */
static bool tls_handshake_failed_locked(orsp_http_server *srv, uint64_t *since, uint64_t *total)
{
	uint64_t now = now_us();

	*total = ++srv->stats.tls_handshake_failures;
	if (srv->tls_fail_said_us && now - srv->tls_fail_said_us < TLS_FAIL_LOG_US)
		return false;
	*since = *total - srv->tls_fail_said_count;
	srv->tls_fail_said_us = now;
	srv->tls_fail_said_count = *total;
	return true;
}

/* libmicrohttpd: a connection started or closed. STARTED finds the slot taken at accept by the
 * socket number; CLOSED comes before libmicrohttpd closes the socket, so the slot is free
 * before the number can be reused. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe)
{
	orsp_http_server *srv = cls;
	const union MHD_ConnectionInfo *ci = NULL;
	bool say = false;
	uint64_t since = 0, total = 0;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	pthread_mutex_lock(&srv->conn_lock);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		int fd = conn_fd(conn);
		note_polling_thread_locked(srv);
		*socket_ctx = NULL;
		for (unsigned i = 0; fd >= 0 && i < srv->max_conns; i++)
			if (srv->slots[i].state == SLOT_PENDING && srv->slots[i].fd == fd) {
				struct conn_slot *s = &srv->slots[i];
				s->state = SLOT_STARTED;
				s->tls = ci && ci->tls_session;
				s->tls_begun = s->tls_done = false;
				if (s->tls)
					gnutls_handshake_set_hook_function(
					    (gnutls_session_t)ci->tls_session, GNUTLS_HANDSHAKE_ANY,
					    GNUTLS_HOOK_BOTH, on_tls_message);
				*socket_ctx = s;
				break;
			}
	} else if (*socket_ctx) {
		struct conn_slot *s = *socket_ctx;
		if (s->tls && s->tls_begun && !s->tls_done)
			say = tls_handshake_failed_locked(srv, &since, &total);
		slot_release(srv, *socket_ctx);
		*socket_ctx = NULL;
	}
	pthread_mutex_unlock(&srv->conn_lock);
	if (say)
		orsp_log(
		    ORSP_LOG_WARN,
		    "http: %llu TLS connection(s) closed without a completed handshake since %s "
		    "(%llu since the start): a protocol version or cipher suite refused, the "
		    "server's certificate refused by the client, or the client gone after its "
		    "ClientHello; said at most once per %u s",
		    (unsigned long long)since, since == total ? "the start" : "the last such line",
		    (unsigned long long)total, TLS_FAIL_LOG_US / 1000000u);
}

/* Lock held: shut down the connections whose request or answer is past its deadline
 * (libmicrohttpd then sees the end of the stream, or fails to write, and closes them);
 * returns the milliseconds until the next look (-1: no connection open). A deadline set
 * after this look is seen at most max_wait late. */
static int sweep_locked(orsp_http_server *srv)
{
	static const struct linger reset = {.l_onoff = 1, .l_linger = 0};
	uint64_t now = now_us(), next = UINT64_MAX;
	uint64_t max_wait = srv->request_timeout_us / 2;

	if (!srv->open_conns)
		return -1;
	for (unsigned i = 0; i < srv->max_conns; i++) {
		struct conn_slot *s = &srv->slots[i];
		uint64_t d, clock;
		bool sending;

		if (s->state == SLOT_FREE || s->shut)
			continue;
		d = atomic_load_explicit(&s->deadline_us, memory_order_acquire);
		if (!d)
			continue;
		sending = atomic_load_explicit(&s->sending, memory_order_relaxed);
		/* the deadline is on the clock of the connection's thread, which gains on
		 * monotonic time only while that thread runs a handler */
		clock = worker_clock(&srv->workers[s->worker], now);
		if (d > clock) {
			if (now + (d - clock) < next)
				next = now + (d - clock);
			continue;
		}
		/* Overdue. Not yet started: libmicrohttpd's thread has not taken the socket
		 * over yet; it is shut down at a later look. Closed with a reset (SO_LINGER 0
		 * for libmicrohttpd's close): an answer still queued in the kernel is dropped
		 * rather than trickled on to the slow reader after the slot is free. */
		if (s->state == SLOT_STARTED) {
			(void)setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
			(void)shutdown(s->fd, SHUT_RDWR);
			s->shut = true;
			srv->stats.reset_deadline++;
			orsp_log(ORSP_LOG_INFO, "http: %s within %llu ms: connection reset",
			         sending ? "an answer not taken" : "a request not complete",
			         (unsigned long long)(srv->request_timeout_us / 1000));
		}
	}
	if (max_wait > 1000000u)
		max_wait = 1000000u;
	if (max_wait < 10000u)
		max_wait = 10000u;
	if (next == UINT64_MAX || next - now > max_wait)
		next = now + max_wait;
	return (int)((next - now + 999) / 1000);
}

/* Lock held, every slot taken and a new connection waiting in the backlog: reset the
 * connection idle the longest, as sweep_locked resets an overdue one, if it has been idle for
 * idle_reset_us at least. Idle: no request in progress (idle_since_us), no bytes in its socket
 * that libmicrohttpd's thread has not read yet (a request on its way to a thread busy in a
 * handler), and none in its send queue (an answer libmicrohttpd wrote out, the client still
 * reading it: SO_LINGER 0 would drop the rest). A connection with a request in progress is never
 * chosen: its request and its answer have their deadline. Returns the milliseconds until the one
 * idle the longest qualifies; -1 if none may (the accept thread then waits for a connection to
 * close, as without this), if one was reset now, or if one is being closed already (its slot comes
 * free: one reset per newcomer). */
static int idle_reset_locked(orsp_http_server *srv)
{
	static const struct linger reset = {.l_onoff = 1, .l_linger = 0};
	uint64_t now = now_us(), oldest = SLOT_CHOSEN;
	struct conn_slot *pick = NULL;

	for (unsigned i = 0; i < srv->max_conns; i++) {
		struct conn_slot *s = &srv->slots[i];
		uint64_t since;
		int n = 0;

		/* a pending one is not libmicrohttpd's yet (see sweep_locked) */
		if (s->state != SLOT_STARTED)
			continue;
		/* shut down, here or by sweep_locked, and not closed yet */
		if (s->shut)
			return -1;
		/* 0: a request in progress; SLOT_CHOSEN (the greatest) goes with shut */
		since = atomic_load(&s->idle_since_us);
		if (!since || since >= oldest)
			continue;
		if (ioctl(s->fd, FIONREAD, &n) == 0 && n > 0)
			continue;
		/* an answer written out whole (on_completed) that its client has not taken yet:
		 * the reset would drop what is left of it in the send queue */
		if (ioctl(s->fd, SIOCOUTQ, &n) == 0 && n > 0)
			continue;
		oldest = since;
		pick = s;
	}
	if (!pick)
		return -1;
	if (now < oldest + srv->idle_reset_us)
		return (int)((oldest + srv->idle_reset_us - now + 999) / 1000);
	/* A request line read since the look came first (slot_busy): look again. */
	if (!atomic_compare_exchange_strong(&pick->idle_since_us, &oldest, SLOT_CHOSEN))
		return 0;
	(void)setsockopt(pick->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	(void)shutdown(pick->fd, SHUT_RDWR);
	pick->shut = true;
	srv->stats.reset_idle++;
	orsp_log(ORSP_LOG_INFO,
	         "http: idle for %llu ms with all %u connections taken and a new one waiting: "
	         "connection reset",
	         (unsigned long long)((now - oldest) / 1000), srv->max_conns);
	return -1;
}

static bool same_addr(const struct conn_slot *s, int family, const uint8_t *addr)
{
	return s->family == family && memcmp(s->addr, addr, ORSP_HTTP_CLIENT_KEY_LEN) == 0;
}

int orsp__http_client_key(const void *peer, uint8_t key[ORSP_HTTP_CLIENT_KEY_LEN])
{
	static const uint8_t nat64_wkp[12] = {0x00, 0x64, 0xff, 0x9b};
	const struct sockaddr_storage *ss = peer;
	const struct sockaddr_in6 *in6 = peer;
	const uint8_t *a6;

	memset(key, 0, ORSP_HTTP_CLIENT_KEY_LEN);
	if (ss->ss_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		return AF_INET;
	}
	if (ss->ss_family != AF_INET6)
		return 0;
	a6 = in6->sin6_addr.s6_addr;
	/* ::ffff:a.b.c.d (a socket that is not IPv6-only, which this server's is), and
	 * 64:ff9b::a.b.c.d (RFC 6052's well-known prefix: IPv4 clients translated to IPv6 in front
	 * of an IPv6-only server, RFC 7755; by their /64 all of them were one client) */
	if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) ||
	    memcmp(a6, nat64_wkp, sizeof(nat64_wkp)) == 0) {
		memcpy(key, a6 + 12, 4);
		return AF_INET;
	}
	/* fe80::/10: every host of a link has its address in fe80::/64 (RFC 4291 §2.5.6), so by
	 * their /64 all clients on the link were one; and the same address may be on another
	 * link, told apart by the scope id (RFC 4007 §6): both count */
	if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) {
		memcpy(key, a6, 16);
		memcpy(key + 16, &in6->sin6_scope_id, sizeof(in6->sin6_scope_id));
		return AF_INET6;
	}
	memcpy(key, a6, 8);
	return AF_INET6;
}

/* Take a slot for a new connection (lock held); NULL when the client (an IPv4 address, an IPv6
 * /64 or a link-local address, orsp__http_client_key) has its max_per_ip connections. A pending
 * slot with the same socket number is a connection that libmicrohttpd closed without notice (the
 * number was free for accept to return): released. */
static struct conn_slot *slot_take(orsp_http_server *srv, int fd,
                                   const struct sockaddr_storage *peer)
{
	struct conn_slot *free_slot = NULL;
	uint8_t addr[ORSP_HTTP_CLIENT_KEY_LEN];
	unsigned same = 0;
	int family = orsp__http_client_key(peer, addr);

	for (unsigned i = 0; i < srv->max_conns; i++) {
		struct conn_slot *s = &srv->slots[i];
		if (s->state == SLOT_PENDING && s->fd == fd)
			slot_release(srv, s);
		if (s->state == SLOT_FREE) {
			if (!free_slot)
				free_slot = s;
		} else if (srv->max_per_ip && !atomic_load(&s->ending) &&
		           same_addr(s, family, addr)) {
			same++;
		}
	}
	if (!free_slot || (srv->max_per_ip && same >= srv->max_per_ip))
		return NULL;
	free_slot->state = SLOT_PENDING;
	free_slot->fd = fd;
	free_slot->shut = false;
	atomic_store(&free_slot->ending, false);
	free_slot->family = family;
	memcpy(free_slot->addr, addr, sizeof(addr));
	free_slot->worker = (unsigned)fd % srv->n_workers;
	free_slot->accepted_us = now_us();
	atomic_store(&free_slot->fresh, true);
	atomic_store(&free_slot->idle_since_us, free_slot->accepted_us);
	slot_arm(srv, free_slot, false);
	srv->open_conns++;
	return free_slot;
}

static bool stop_requested(orsp_http_server *srv, int timeout_ms, bool *listen_ready)
{
	struct pollfd p[2] = {{.fd = srv->wake[0], .events = POLLIN},
	                      {.fd = srv->listen_fd, .events = POLLIN}};
	int n = poll(p, listen_ready ? 2 : 1, timeout_ms);

	if (listen_ready)
		*listen_ready = n > 0 && (p[1].revents & POLLIN);
	return n > 0 && (p[0].revents & (POLLIN | POLLHUP));
}

/* A connection accept() returned: into a slot and handed to libmicrohttpd, or closed. */
static void admit(orsp_http_server *srv, int fd, struct sockaddr_storage *peer, socklen_t len)
{
	struct conn_slot *slot;

	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	pthread_mutex_lock(&srv->conn_lock);
	slot = slot_take(srv, fd, peer);
	if (slot)
		srv->stats.accepted++;
	else
		srv->stats.refused++;
	pthread_mutex_unlock(&srv->conn_lock);
	if (!slot) {
		/* max_connections_per_ip, or the limit at a stop: closed at once (the client sees
		 * the end of the stream or a reset) */
		close(fd);
		return;
	}
	/* The connection counts from here (its slot). libmicrohttpd's polling thread takes it
	 * over asynchronously, when it next looks at its queue; the accept thread does not wait
	 * for that: a thread inside a slow handler would stall accepting for every thread. On
	 * failure libmicrohttpd closes the socket itself. */
	if (MHD_add_connection(srv->daemon, (MHD_socket)fd, (struct sockaddr *)peer, len) !=
	    MHD_YES) {
		pthread_mutex_lock(&srv->conn_lock);
		if (slot->state == SLOT_PENDING && slot->fd == fd)
			slot_release(srv, slot);
		pthread_mutex_unlock(&srv->conn_lock);
	}
}

/* At the stop, right before the listening socket closes: the connections the kernel has
 * completed and queued (the client sees them open and may have sent its request) are taken
 * and served, as far as the limit allows, instead of being reset by the close. One that comes
 * after the last accept is still reset: the socket closes a system call later. */
static void accept_queued(orsp_http_server *srv)
{
	for (unsigned n = 0; n < srv->max_conns; n++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept(srv->listen_fd, (struct sockaddr *)&peer, &len);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return; /* EAGAIN: none left */
		}
		admit(srv, fd, &peer, len);
	}
}

/* accept() failed with EMFILE or ENFILE (err): no descriptor for the connection waiting. Taken
 * as a server at max_connections: the connection idle the longest is reset once it qualifies
 * (idle_reset_locked), and its descriptor, closed, takes the newcomer; meanwhile a wait for a
 * slot to come free, at most 100 ms (the accept is retried then: descriptors the process holds
 * elsewhere may come free too). Counted, and said at most once per FD_SHORT_LOG_US, with the
 * count so far. */
static void accept_fd_short(orsp_http_server *srv, int err)
{
	uint64_t now = now_us(), failures = 0;
	struct timespec until;
	struct rlimit rl = {0, 0};
	unsigned open = 0, ms = 100;
	bool say = false;

	pthread_mutex_lock(&srv->conn_lock);
	failures = ++srv->stats.accept_fd_limit;
	if (!srv->fd_short_said_us || now - srv->fd_short_said_us >= FD_SHORT_LOG_US) {
		say = true;
		srv->fd_short_said_us = now;
		open = srv->open_conns;
	}
	if (srv->open_conns && now - srv->released_us < FD_CLOSING_US) {
		ms = FD_CLOSING_MS;
	} else if (srv->idle_reset_us) {
		int idle_ms = idle_reset_locked(srv);
		if (idle_ms >= 0 && (unsigned)idle_ms < ms)
			ms = (unsigned)idle_ms;
	}
	orsp_deadline_ms(&until, ms);
	(void)pthread_cond_timedwait(&srv->conn_cv, &srv->conn_lock, &until);
	pthread_mutex_unlock(&srv->conn_lock);
	if (!say)
		return;
	if (err == EMFILE)
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	if (err == EMFILE && rl.rlim_cur != RLIM_INFINITY)
		orsp_log(ORSP_LOG_WARN,
		         "http: a new connection cannot be accepted: the process has all %llu file "
		         "descriptors of its limit (RLIMIT_NOFILE) open, %u of them connections "
		         "(max_connections %u); %llu failed accept(s) so far; raise the limit "
		         "(LimitNOFILE= in the systemd unit, ulimit -n)",
		         (unsigned long long)rl.rlim_cur, open, srv->max_conns,
		         (unsigned long long)failures);
	else
		orsp_log(ORSP_LOG_WARN,
		         "http: a new connection cannot be accepted: %s, with %u connections open "
		         "(max_connections %u); %llu failed accept(s) so far",
		         err == EMFILE ? "no file descriptor left (EMFILE)"
		                       : "the system's file table is full (ENFILE, fs.file-max)",
		         open, srv->max_conns, (unsigned long long)failures);
}

static void *accept_main(void *arg)
{
	orsp_http_server *srv = arg;

	for (;;) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		bool ready = false;
		int fd, wait_ms;

		/* Overdue requests are cut; at the limit, with a new connection waiting, an idle
		 * one makes room, else wait for a connection to close (or the stop). */
		pthread_mutex_lock(&srv->conn_lock);
		wait_ms = sweep_locked(srv);
		while (srv->open_conns >= srv->max_conns && !stop_requested(srv, 0, &ready)) {
			struct timespec until;
			unsigned ms = wait_ms >= 0 && wait_ms < 100 ? (unsigned)wait_ms : 100;
			int idle_ms = ready && srv->idle_reset_us ? idle_reset_locked(srv) : -1;

			if (idle_ms >= 0 && (unsigned)idle_ms < ms)
				ms = (unsigned)idle_ms;
			orsp_deadline_ms(&until, ms);
			(void)pthread_cond_timedwait(&srv->conn_cv, &srv->conn_lock, &until);
			wait_ms = sweep_locked(srv);
		}
		pthread_mutex_unlock(&srv->conn_lock);
		if (stop_requested(srv, wait_ms, &ready))
			return NULL;
		if (!ready)
			continue;
		fd = accept(srv->listen_fd, (struct sockaddr *)&peer, &len);
		if (fd < 0) {
			/* EAGAIN (another wake-up took it), a connection reset before accept,
			 * out of descriptors (the server is full: an idle connection makes room),
			 * or of memory: wait a little rather than spin */
			if (errno == EMFILE || errno == ENFILE)
				accept_fd_short(srv, errno);
			else if (errno == ENOBUFS || errno == ENOMEM)
				(void)stop_requested(srv, 100, NULL);
			continue;
		}
		admit(srv, fd, &peer, len);
	}
}

/* Stop accepting: the accept thread ends and the listening socket closes; with take_queued,
 * the connections queued by then are taken first (accept_queued). */
static void acceptor_stop(orsp_http_server *srv, bool take_queued)
{
	if (srv->acceptor_running) {
		ssize_t w;
		do
			w = write(srv->wake[1], "x", 1);
		while (w < 0 && errno == EINTR);
		pthread_join(srv->acceptor, NULL);
		srv->acceptor_running = false;
	}
	if (srv->listen_fd >= 0) {
		if (take_queued && !srv->paused)
			accept_queued(srv);
		close(srv->listen_fd);
		srv->listen_fd = -1;
	}
}

/* address (numeric) and port into *ss. */
static orsp_err listen_address(const char *address, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
	} else {
		return orsp_errf(ORSP_E_USAGE, "http server: %s is not a numeric IP address",
		                 address);
	}
	return ORSP_OK;
}

/* A socket bound to ss, made as the server's listening socket is, into *fd (the caller closes
 * it, also on an error: then -1 or not bound); the errno of a failed call into *sys_errno. */
static orsp_err bind_socket(const struct sockaddr_storage *ss, const char *address, uint16_t want,
                            bool reuse_port, int *fd, int *sys_errno)
{
	socklen_t len =
	    ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int one = 1;

	*fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd < 0) {
		*sys_errno = errno;
		return orsp_errf(ORSP_E_IO, "http server: socket: %s", strerror(*sys_errno));
	}
	(void)setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuse_port && setsockopt(*fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
		*sys_errno = errno;
		return orsp_errf(ORSP_E_IO, "http server: cannot share port %u (SO_REUSEPORT): %s",
		                 (unsigned)want, strerror(*sys_errno));
	}
	if (ss->ss_family == AF_INET6)
		(void)setsockopt(*fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(*fd, (const struct sockaddr *)ss, len) != 0) {
		*sys_errno = errno;
		return orsp_errf(ORSP_E_IO, "http server: cannot start on %s port %u: %s", address,
		                 (unsigned)want, strerror(*sys_errno));
	}
	return ORSP_OK;
}

/* The listening socket on ss (bound only, not listening, when paused); its port into
 * *port. */
static orsp_err listen_on(orsp_http_server *srv, const struct sockaddr_storage *ss,
                          const char *address, uint16_t want, bool reuse_port, bool paused,
                          uint16_t *port)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int sys_errno = 0;
	orsp_err err = bind_socket(ss, address, want, reuse_port, &srv->listen_fd, &sys_errno);

	if (err)
		return err;
	if ((!paused && listen(srv->listen_fd, SOMAXCONN) != 0) ||
	    getsockname(srv->listen_fd, (struct sockaddr *)&bound, &blen) != 0)
		return orsp_errf(ORSP_E_IO, "http server: cannot start on %s port %u: %s", address,
		                 (unsigned)want, strerror(errno));
	*port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
	                                          : ((struct sockaddr_in *)&bound)->sin_port);
	return ORSP_OK;
}

orsp_err orsp_http_server_probe(const char *address, uint16_t port, bool reuse_port, int *sys_errno)
{
	struct sockaddr_storage ss;
	int fd = -1, e = 0;
	orsp_err err;

	if (!address)
		address = ORSP_HTTP_DEFAULT_ADDRESS;
	err = listen_address(address, port, &ss);
	if (!err)
		err = bind_socket(&ss, address, port, reuse_port, &fd, &e);
	if (fd >= 0)
		close(fd);
	if (sys_errno)
		*sys_errno = e;
	return err;
}

orsp_err orsp_http_port_served(const char *address, uint16_t port, bool *served)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, r, so_err = 0;
	socklen_t so_len = sizeof(so_err);
	orsp_err err;

	if (!served)
		return orsp_errf(ORSP_E_USAGE, "http port served: missing arguments");
	*served = false;
	if (!address)
		address = ORSP_HTTP_DEFAULT_ADDRESS;
	if (port == 0)
		return ORSP_OK; /* an ephemeral port is nobody else's */
	err = listen_address(address, port, &ss);
	if (err)
		return err;
	/* a wildcard address is reached through the loopback address of its family */
	if (ss.ss_family == AF_INET && in4->sin_addr.s_addr == htonl(INADDR_ANY))
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
		in6->sin6_addr = in6addr_loopback;
	len = ss.ss_family == AF_INET6 ? sizeof(*in6) : sizeof(*in4);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return orsp_errf(ORSP_E_IO, "http server: socket: %s", strerror(errno));
	r = connect(fd, (const struct sockaddr *)&ss, len);
	if (r != 0 && errno == EINPROGRESS) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int n;
		/* a signal is no answer: asked again */
		do
			n = poll(&p, 1, ORSP_HTTP_PORT_SERVED_MS);
		while (n < 0 && errno == EINTR);
		/* no answer in time (a listener whose queue is full drops the SYN): not known
		 * to be served */
		r = n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &so_len) == 0 &&
		            so_err == 0
		        ? 0
		        : -1;
	}
	*served = r == 0;
	close(fd);
	return ORSP_OK;
}

/* The open file limit at a start: the soft RLIMIT_NOFILE raised to the hard one (systemd's
 * default soft limit is 1024 whatever the hard one; a failure, such as a system call filter's
 * EPERM, leaves it: systemd's ~@resources is not one, as glibc's setrlimit() makes prlimit64,
 * which @default allows), then *max_conn lowered to what fits beside the server's own
 * descriptors and reserve others (to threads at the least: libmicrohttpd's pool takes one per
 * thread), said in one line. Beyond the limit, accept fails with EMFILE while every slot looks
 * free to the idle reset, and a new client waited for a connection to time out (the idle
 * timeout, 30 s by default) with nothing logged (a resource-limits review, session 74). */
static void fd_fit(unsigned threads, unsigned reserve, unsigned *max_conn)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)*max_conn + FD_OWN(threads) + reserve, others = want - *max_conn;
	unsigned fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		struct rlimit raised = {rl.rlim_max, rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			rl.rlim_cur = rl.rlim_max;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return;
	fit = rl.rlim_cur > others + threads ? (unsigned)(rl.rlim_cur - others) : threads;
	orsp_log(ORSP_LOG_WARN,
	         "http server: the open file limit (RLIMIT_NOFILE) is %llu, below the %u "
	         "connections of max_connections and %llu descriptors for the rest: at most %u "
	         "connections; raise it to %llu or more (LimitNOFILE= in the systemd unit, "
	         "ulimit -n in a shell)",
	         (unsigned long long)rl.rlim_cur, *max_conn, (unsigned long long)others, fit,
	         (unsigned long long)want);
	*max_conn = fit;
}

orsp_err orsp_http_server_start(const orsp_http_server_config *cfg, orsp_http_server **out)
{
	orsp_err err;
	orsp_http_server *srv = NULL;
	struct sockaddr_storage ss;
	const char *address;
	/* poll(), not the epoll MHD_USE_AUTO picks: libmicrohttpd 0.9.75 waits for its epoll
	 * edge-triggered, and misses the end of a stream that came with the request's bytes
	 * before its first read of the connection; the slot of a client that sent its request
	 * and closed at once then stayed taken until the idle timeout (a few hundred such
	 * connections kept every other client out for that long). */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
	                 MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;
	unsigned threads, max_conn, timeout_s, idle_ms;
	bool tls = false;
	struct MHD_OptionItem opts[6];
	size_t n_opts = 0;

	if (!cfg || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_http_server_start: bad arguments");
	*out = NULL;
	threads = cfg->threads ? cfg->threads : ORSP_HTTP_DEFAULT_THREADS;
	max_conn = cfg->max_connections ? cfg->max_connections : ORSP_HTTP_DEFAULT_MAX_CONNECTIONS;
	timeout_s = cfg->timeout_s ? cfg->timeout_s : ORSP_HTTP_DEFAULT_TIMEOUT_S;
	if (threads > 256 || max_conn < threads)
		return orsp_errf(ORSP_E_USAGE, "http server: %u threads for %u connections",
		                 threads, max_conn);
	if (max_conn > ORSP_HTTP_MAX_CONNECTIONS_LIMIT || timeout_s > 86400)
		return orsp_errf(ORSP_E_USAGE, "http server: max_connections or timeout too large");
	idle_ms = cfg->idle_reset_ms ? cfg->idle_reset_ms : ORSP_HTTP_DEFAULT_IDLE_RESET_MS;
	/* the idle timeout closes a connection before a longer wait is up */
	if (idle_ms != ORSP_HTTP_IDLE_RESET_NEVER && idle_ms > 1000u * timeout_s)
		return orsp_errf(ORSP_E_USAGE,
		                 "http server: idle_reset_ms %u above the idle timeout (%u s)",
		                 idle_ms, timeout_s);

	address = cfg->address ? cfg->address : ORSP_HTTP_DEFAULT_ADDRESS;
	err = listen_address(address, cfg->port, &ss);
	if (err)
		return err;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	fd_fit(threads, cfg->fd_reserve ? cfg->fd_reserve : ORSP_HTTP_DEFAULT_FD_RESERVE,
	       &max_conn);

	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	pthread_mutex_init(&srv->log_lock, NULL);
	pthread_mutex_init(&srv->conn_lock, NULL);
	orsp_cond_init_monotonic(&srv->conn_cv); /* for orsp_deadline_ms */
	srv->listen_fd = -1;
	srv->wake[0] = srv->wake[1] = -1;
	srv->section_layout = orsp_http_header_layout_checked();
	srv->max_conns = max_conn;
	srv->max_per_ip = cfg->max_connections_per_ip;
	srv->request_timeout_us =
	    (uint64_t)(cfg->request_timeout_ms ? cfg->request_timeout_ms : 2000u * timeout_s) *
	    1000u;
	srv->idle_reset_us = idle_ms == ORSP_HTTP_IDLE_RESET_NEVER ? 0 : (uint64_t)idle_ms * 1000u;
	srv->slots = calloc(max_conn, sizeof(*srv->slots));
	if (!srv->slots) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < max_conn; i++)
		srv->slots[i].fd = -1;
	srv->n_workers = threads;
	srv->workers = calloc(threads, sizeof(*srv->workers));
	srv->polling_tids = calloc(threads, sizeof(*srv->polling_tids));
	if (!srv->workers || !srv->polling_tids) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	srv->max_body = cfg->max_body ? cfg->max_body : ORSP_HTTP_DEFAULT_MAX_BODY;
	srv->pool_size = conn_pool_size();
	if (srv->max_body > SIZE_MAX / 4) {
		err = orsp_errf(ORSP_E_USAGE, "http server: max_body too large");
		goto out;
	}
	srv->hook = cfg->on_request;
	srv->hook_ctx = cfg->hook_ctx;
	atomic_init(&srv->in_flight, 0);
	atomic_init(&srv->stopping, false);
	atomic_init(&srv->closing, false);
	err = copy_routes(srv, cfg);
	if (!err)
		err = copy_trusted(srv, cfg);
	if (!err)
		err = load_tls(srv, cfg, &tls);
	if (err)
		goto out;
	/* A pool of one is no pool: libmicrohttpd then uses its single polling thread. */
	if (threads > 1)
		opts[n_opts++] =
		    (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
	if (tls) {
		flags |= MHD_USE_TLS;
		if (srv->key_sign) {
			/* the certificate and the key through ext_cert (a function pointer in
			 * libmicrohttpd's void *) */
			struct MHD_OptionItem cb = {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, NULL};
			gnutls_certificate_retrieve_function2 *fn = ext_cert;
			memcpy(&cb.ptr_value, &fn, sizeof(fn));
			opts[n_opts++] = cb;
		} else {
			opts[n_opts++] =
			    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->cert_pem};
			opts[n_opts++] =
			    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->key_pem};
		}
		opts[n_opts++] =
		    (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, srv->priorities};
		if (srv->ca_pem)
			opts[n_opts++] =
			    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, srv->ca_pem};
	}
	opts[n_opts] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

	srv->starting = true;
	/* max_connections is kept by the accept thread. libmicrohttpd splits its own limit among
	 * the threads and checks a thread's share in MHD_add_connection and when that thread takes
	 * a queued connection over, closing it unannounced beyond the share. It counts a closed
	 * connection until after its CLOSED notice, where on_connection frees the slot and the
	 * accept thread takes the next one at once: one more than max_conn for every thread, so
	 * that no thread's share is ever reached (at most one of a thread's connections is between
	 * the two: its thread closes them one at a time). The logger must come first to see every
	 * message. */
	srv->daemon = MHD_start_daemon(
	    flags, cfg->port, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    srv->pool_size, MHD_OPTION_CONNECTION_LIMIT, (max_conn + 1) * threads,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, srv, MHD_OPTION_URI_LOG_CALLBACK, on_target, srv,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	pthread_mutex_lock(&srv->log_lock);
	srv->starting = false;
	pthread_mutex_unlock(&srv->log_lock);
	if (!srv->daemon) {
		err = orsp_errf(ORSP_E_IO, "http server: cannot start on %s port %u: %s", address,
		                (unsigned)cfg->port,
		                srv->start_error[0] ? srv->start_error : "libmicrohttpd failed");
		goto out;
	}
	if (pipe(srv->wake) != 0 || fcntl(srv->wake[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(srv->wake[1], F_SETFD, FD_CLOEXEC) != 0) {
		err = orsp_errf(ORSP_E_RESOURCE, "http server: pipe: %s", strerror(errno));
		goto out;
	}
	err = listen_on(srv, &ss, address, cfg->port, cfg->reuse_port, cfg->paused, &srv->port);
	if (err)
		goto out;
	srv->paused = cfg->paused;
	if (!srv->paused && pthread_create(&srv->acceptor, NULL, accept_main, srv) != 0) {
		err = orsp_errf(ORSP_E_RESOURCE, "http server: cannot start the accept thread");
		goto out;
	}
	srv->acceptor_running = !srv->paused;
	*out = srv;
	srv = NULL;
out:
	server_free(srv);
	return err;
}

orsp_err orsp_http_server_listen(orsp_http_server *srv)
{
	if (!srv || !srv->paused)
		return orsp_errf(ORSP_E_USAGE, "http server: not paused");
	if (listen(srv->listen_fd, SOMAXCONN) != 0)
		return orsp_errf(ORSP_E_IO, "http server: cannot listen on port %u: %s",
		                 (unsigned)srv->port, strerror(errno));
	if (pthread_create(&srv->acceptor, NULL, accept_main, srv) != 0)
		return orsp_errf(ORSP_E_RESOURCE, "http server: cannot start the accept thread");
	srv->acceptor_running = true;
	srv->paused = false;
	return ORSP_OK;
}

uint16_t orsp_http_server_port(const orsp_http_server *srv)
{
	return srv ? srv->port : 0;
}

void orsp_http_server_conn_stats(orsp_http_server *srv, orsp_http_conn_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!srv)
		return;
	pthread_mutex_lock(&srv->conn_lock);
	*out = srv->stats;
	out->open = srv->open_conns;
	out->max = srv->max_conns;
	pthread_mutex_unlock(&srv->conn_lock);
}

/* Whether a connection may hold a request that is not yet "in flight" (that starts at its
 * first callback): one accepted that libmicrohttpd's polling thread has not taken over yet,
 * or one with bytes in its socket that the thread has not read, both while it was busy in
 * another connection's handler, or one accepted less than STOP_FRESH_US ago that has had no
 * request yet (its first bytes, or the rest of its TLS handshake, are on the way), or one
 * whose request line came and whose header section is still arriving (its request deadline
 * bounds the wait; such a request was cut by the stop, its client answered nothing).
 * Connections the sweeper shut down do not count. */
static bool input_waiting_locked(const orsp_http_server *srv)
{
	uint64_t now = now_us();

	for (unsigned i = 0; i < srv->max_conns; i++) {
		const struct conn_slot *s = &srv->slots[i];
		int n = 0;

		if (s->state == SLOT_PENDING && !s->shut)
			return true;
		if (s->state != SLOT_STARTED || s->shut)
			continue;
		if (atomic_load(&s->fresh) && now - s->accepted_us < STOP_FRESH_US)
			return true;
		if (atomic_load(&s->idle_since_us) == 0)
			return true;
		if (ioctl(s->fd, FIONREAD, &n) == 0 && n > 0)
			return true;
	}
	return false;
}

/* Whether one of the n polling threads tids (0: none) is running or ready to run, not asleep
 * in its poll: its state in /proc is R (or D, as in a page fault in its pass). libmicrohttpd
 * reads a request's bytes and then parses its request line, where on_target marks it in
 * progress: between the two, the socket has no unread bytes and no request is in flight, and a
 * thread preempted there (seen under ThreadSanitizer on a loaded machine) looked done; a stop
 * then ended its pass, whose answers were never sent. A thread asleep there (S, on a lock of
 * its allocator, say) is not seen: the stop's second look 5 ms later makes it unlikely. Without
 * /proc: false, as before. */
static bool polling_thread_running(const pid_t *tids, unsigned n)
{
	for (unsigned i = 0; i < n && tids[i]; i++) {
		char path[64], line[512], *end;
		ssize_t got;
		int fd;

		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tids[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		got = read(fd, line, sizeof(line) - 1);
		close(fd);
		if (got <= 0)
			continue;
		line[got] = 0;
		/* "tid (comm) S ...": the comm may hold ") " itself, the state follows the last */
		end = strrchr(line, ')');
		if (end && end[1] == ' ' && (end[2] == 'R' || end[2] == 'D'))
			return true;
	}
	return false;
}

void orsp_http_server_close_connections(orsp_http_server *srv)
{
	if (srv)
		atomic_store(&srv->closing, true);
}

unsigned orsp_http_server_stop(orsp_http_server *srv, unsigned grace_ms)
{
	unsigned left, quiet = 0;
	uint64_t deadline, running_since = 0;
	pid_t *tids;

	if (!srv)
		return 0;
	/* a copy of polling_tids, read without the lock; NULL: the threads are not looked at */
	tids = calloc(srv->n_workers, sizeof(*tids));
	atomic_store(&srv->stopping, true);
	/* No new connections (the listening socket closes); requests on open connections go
	 * on. */
	acceptor_stop(srv, true);
	deadline = now_us() + (uint64_t)(grace_ms ? grace_ms : 10000u) * 1000u;
	/* Done when no request is in flight, no connection has unread bytes and no polling
	 * thread is running, twice in a row 5 ms apart: between two requests of a connection,
	 * or of two connections its polling thread serves, the count is 0 for a moment, and
	 * libmicrohttpd's stop ends the pass it is in without sending what that pass
	 * answered. A thread seen running with nothing else to wait for is waited for
	 * STOP_RUNNING_MAX_US at most. */
	while (now_us() < deadline) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		bool busy;

		/* The accept thread is gone: request deadlines are kept here. */
		pthread_mutex_lock(&srv->conn_lock);
		(void)sweep_locked(srv);
		busy = atomic_load(&srv->in_flight) > 0 || input_waiting_locked(srv);
		if (tids)
			memcpy(tids, srv->polling_tids, srv->n_workers * sizeof(*tids));
		pthread_mutex_unlock(&srv->conn_lock);
		if (!busy && tids && polling_thread_running(tids, srv->n_workers)) {
			uint64_t now = now_us();
			if (!running_since)
				running_since = now;
			busy = now - running_since < STOP_RUNNING_MAX_US;
		}
		quiet = busy ? 0 : quiet + 1;
		if (quiet == 2)
			break;
		nanosleep(&ts, NULL);
	}
	free(tids);
	left = atomic_load(&srv->in_flight);
	if (left)
		orsp_log(ORSP_LOG_WARN, "http: stopping with %u request(s) still in flight", left);
	/* Closes every connection; joins the threads (a handler still running is waited for). */
	MHD_stop_daemon(srv->daemon);
	srv->daemon = NULL;
	server_free(srv);
	return left;
}
