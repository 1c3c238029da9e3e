/* openrsp smdp: the SM-DP+ server — ES9+ and ES2+ over HTTPS (libmicrohttpd through the http
 * module), /metrics, one log line per request. Stateless apart from a pool of database
 * handles (on one connection, taking turns): every session lives in the database
 * (es9p_handler.c). */
#include <errno.h>
#include <float.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "es9p_internal.h"
#include "smdp_internal.h"
#include "openrsp/http.h"
#include "openrsp/store.h"

#define POOL_MAX 16
#define MAX_SERIES 256
/* request latency buckets in seconds (Prometheus' base unit), past the 5 s busy timeout */
static const double buckets_s[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BUCKETS (sizeof(buckets_s) / sizeof(buckets_s[0]))

typedef struct series {
	char function[40];
	char code[40]; /* "ok", "204", "8.1/6.1", "500" ... */
	uint64_t count;
} series;

typedef struct histo {
	char function[40];
	uint64_t le[N_BUCKETS + 1]; /* cumulative per bucket, last = +Inf */
	double sum_s;
	uint64_t count;
} histo;

/* What /metrics reads from the database: the profiles by state (a scan of every profile)
 * and the progress reports not delivered. */
typedef struct db_figures {
	bool states_ok, reports_ok; /* the reads succeeded; both: reusable */
	size_t states[ORSP_SMDP_STATE__COUNT], pending, given_up;
	size_t held[ORSP_SMDP_STATE__COUNT];  /* of states, those still holding their package */
	int64_t ages[ORSP_SMDP_STATE__COUNT]; /* oldest last state change per state, s; -1 none */
	/* how long the reading took (wall clock); since it ended (in a scrape's copy) */
	double read_s, age_s;
} db_figures;

/* The figures are kept at least FIGURES_COST_FACTOR times as long as their last reading took
 * (and at least metrics_cache): the readings take at most 1/FIGURES_COST_FACTOR of a core
 * (5 %) however large the inventory (a million profiles: about 1 s a reading, so kept 20 s) */
#define FIGURES_COST_FACTOR 20

/* A signing key of the server held in a PKCS#11 token, for /health's probe: name is the
 * configuration's key ("dpauth_key", "dppb_key of keyset 2", "tls_key"), never its URI (it
 * may hold a PIN). */
#define TOKEN_KEYS_MAX (2 * ORSP_SMDP_MAX_KEYSETS + 1)
typedef struct token_key {
	const orsp_ec_key *k;
	char name[40];
} token_key;

/* the claims of other processes one process watches at most (sender_round): one per sender
 * of each, and those a stopped process left */
#define LEASE_SEEN_MAX 64
/* the claims held (by any process), through smdp_progress_due (done, next_at) */
#define LEASES_SQL                                                                                 \
	"SELECT id, lease FROM smdp_progress WHERE " SMDP_PROGRESS_PENDING                         \
	" AND next_at = " SMDP_PROGRESS_CLAIMED_SQL " ORDER BY id LIMIT 64"
_Static_assert(LEASE_SEEN_MAX == 64, "LEASES_SQL's limit");

/* The log lines of refused requests (result=refused: a 4xx without SGP.22 codes) are rate
 * limited per kind (interface, function, status): at most REFUSED_LOG_MAX lines of a kind per
 * window of REFUSED_LOG_WINDOW_MS, the window opened by the first such line after the last one
 * closed. The others are counted, and said in one line once the window is over: by the next
 * request line, the background thread's next round, or the stop (refused_log_close). A flood
 * of failed ES2+ authentications or 404s wrote a line each, 2,400 a second in a review, and a
 * rate limit of journald or syslog then dropped the other lines with them. /metrics still
 * counts every request; every other line (answered, 5xx, aborted, warnings) is written. */
#define REFUSED_LOG_MAX 10
#define REFUSED_LOG_WINDOW_MS 1000.0
/* kinds told apart in one window; refused lines of further kinds are held from the first on */
#define REFUSED_KINDS_MAX 16

typedef struct refused_kind {
	char iface[16];
	char function[40];
	int status;
	unsigned logged;
	uint64_t held;
} refused_kind;

typedef struct refused_log {
	pthread_mutex_t lock;
	double window_ms; /* REFUSED_LOG_WINDOW_MS; tests: smdp_server_set_refused_window */
	bool open;        /* a window is open, since since_ms (now_ms) */
	double since_ms;
	refused_kind kinds[REFUSED_KINDS_MAX];
	size_t n_kinds;
	uint64_t held, held_unkinded; /* lines not written in the window: all, and of no kind */
	atomic_bool pending;          /* held is not 0: read without the lock */
} refused_log;

struct orsp_smdp_server {
	const orsp_smdp_config *c;
	orsp_http_server *http;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	orsp_smdp *pool[POOL_MAX];
	bool busy[POOL_MAX];
	size_t n_pool;
	series ser[MAX_SERIES];
	size_t n_ser;
	uint64_t ser_dropped; /* requests whose (function, result) found no room: counted so */
	histo his[16];
	size_t n_his;
	orsp_http_route routes[16];
	char paths[16][64];
	/* the background thread: order expiry, session sweep, call pruning, progress reports */
	pthread_t sender;
	bool sender_running;
	atomic_bool stopping; /* set by orsp_smdp_server_stop, read by the sender */
	/* orsp_smdp_server_drain: /health answers 503 "draining" until the stop; drain_until_ms
	 * (now_ms) under lock */
	atomic_bool draining;
	double drain_until_ms;
	pthread_cond_t wake; /* with lock: the stop wakes the senders from their wait */
	/* with lock: wakes an idle one of the callback_senders - 1 threads (reports_wake), each
	 * wake-up counted in report_wakes (at most callback_senders - 1 owed, one taken by the
	 * thread it wakes) so that none is lost while they are all busy; the stop broadcasts */
	pthread_cond_t reports_due;
	unsigned report_wakes, n_extra; /* n_extra: callback_senders - 1, 0 without callback_url */
	/* the next-report queries of the background thread's rounds and of the other senders',
	 * for /metrics */
	atomic_ullong report_queries_bg, report_queries_others;
	orsp_smdp *sender_db;
	/* the callback_senders - 1 threads that only send progress reports, each with a handle
	 * of sender_db's connection (orsp_smdp_open_view); n_senders of them started */
	struct extra_sender {
		orsp_smdp_server *srv;
		orsp_smdp *db;
		pthread_t thread;
	} senders[ORSP_SMDP_CALLBACK_SENDERS_MAX - 1];
	size_t n_senders;
	/* the progress reports' leases (sender_round), under lock: the tokens of the claims this
	 * process's senders hold (0: a free place), the claims of others seen held (since_ms on
	 * now_ms, plus lease_ms_add: tests), and the name of this clock (next_by) */
	int64_t lease_mine[ORSP_SMDP_CALLBACK_SENDERS_MAX];
	struct lease_seen {
		int64_t id, lease;
		double since_ms;
	} lease_seen[LEASE_SEEN_MAX];
	size_t n_lease_seen;
	double lease_ms_add;
	char clock_id[SMDP_CLOCK_ID_MAX];
	/* what /metrics reads from the database (a scan of every profile), kept for
	 * c->metrics_cache_s seconds or FIGURES_COST_FACTOR times the last reading's duration,
	 * whichever is longer: scrapes, unauthenticated and as frequent as anyone likes, cost
	 * one scan per period. Under mlock (db_figures_get): a scrape that finds the figures old
	 * asks the figures' reader thread (figures_main) for new ones and is answered with the
	 * previous ones at once; only the first reading, and every one with metrics_cache 0, is
	 * a scrape's own, outside mlock, while the scrapes meanwhile are answered with the
	 * previous ones (m_refreshing) */
	orsp_smdp *metrics_db; /* the reading's connection (metrics_db_open); NULL: a pool handle */
	pthread_mutex_t mlock;
	pthread_cond_t m_read_once; /* with mlock: m_read set, for the scrapes that wait for it */
	pthread_cond_t m_wanted;    /* with mlock: m_want set, or the stop, for figures_main */
	bool m_refreshing;          /* a reading is under way (a scrape's or figures_main's) */
	bool m_read;                /* a reading ended: m and m_at are its */
	bool m_want;                /* a scrape asked figures_main for a reading */
	struct timespec m_at;
	db_figures m;
	double m_read_ms_add, m_age_ms_add; /* tests: smdp_server_set_figures_clock */
	pthread_t figures_reader;           /* figures_main, with metrics_cache */
	bool figures_reader_running;
	/* crl_reload (the sender thread's): what the `crl` files were when the CRLs in force were
	 * read, and when a reading failed, what they were then (not tried again, nor said again,
	 * until one of them changes) */
	orsp_smdp_crl_file *crl_in_force, *crl_failed;
	bool crl_failed_set;
	bool crl_stale_said; /* the CRLs in force went stale, and it was said */
	atomic_ullong crl_reloads_ok, crl_reloads_failed; /* for /metrics */
	/* the certificates of es2_client_ca, the operator CAs: the path from an operator's client
	 * certificate to them is judged by the CRLs in force (es2_crl_refusal), and each
	 * reading of the `crl` files verifies their CRLs under them (crl_round) */
	orsp_cert **es2_cas;
	size_t n_es2_cas;
	/* verified notifications whose eUICC had signed their seqNumber before for another
	 * (orsp_smdp_reply.sequence_reused), for /metrics */
	atomic_ullong seq_reused;
	/* /health's probe of the signing keys in a token (probe_main): tkeys the keys, prober
	 * its thread (started only with n_tkeys), the rest under plock. p_want: a /health asked
	 * for a probe at p_asked_ms (now_ms); p_busy: the prober is at it, signing with
	 * tkeys[p_current]; p_done: a probe ended, at p_at_ms, p_bad the first key that did not
	 * sign (-1: none), p_detail why */
	token_key tkeys[TOKEN_KEYS_MAX];
	size_t n_tkeys;
	pthread_t prober;
	bool prober_running;
	refused_log rl; /* the refused requests' lines (log_request) */
	pthread_mutex_t plock;
	pthread_cond_t p_wanted, p_ended; /* with plock, on CLOCK_MONOTONIC */
	bool p_want, p_busy, p_done;
	double p_asked_ms, p_at_ms;
	size_t p_current;
	int p_bad;
	char p_detail[256];
};

/* A free handle of the pool, waiting up to ms for one (0: as long as it takes); NULL when
 * none was given back in time. */
static orsp_smdp *take_within(orsp_smdp_server *srv, unsigned ms, size_t *slot)
{
	orsp_smdp *s = NULL;
	struct timespec until;
	bool last = false;

	if (ms)
		orsp_deadline_ms(&until, ms); /* srv->freed waits on CLOCK_MONOTONIC */
	pthread_mutex_lock(&srv->lock);
	for (;;) {
		for (size_t i = 0; i < srv->n_pool; i++) {
			if (!srv->busy[i]) {
				srv->busy[i] = true;
				*slot = i;
				s = srv->pool[i];
				break;
			}
		}
		if (s || last)
			break;
		/* after a timeout the pool is looked at once more: POSIX lets a timed-out wait
		 * consume the signal of a handle given back at that moment, which would leave it
		 * free while another taker sleeps on */
		if (!ms)
			pthread_cond_wait(&srv->freed, &srv->lock);
		else if (pthread_cond_timedwait(&srv->freed, &srv->lock, &until) == ETIMEDOUT)
			last = true;
	}
	pthread_mutex_unlock(&srv->lock);
	return s;
}

static orsp_smdp *take(orsp_smdp_server *srv, size_t *slot)
{
	return take_within(srv, 0, slot);
}

static void give(orsp_smdp_server *srv, size_t slot)
{
	pthread_mutex_lock(&srv->lock);
	srv->busy[slot] = false;
	pthread_cond_signal(&srv->freed);
	pthread_mutex_unlock(&srv->lock);
}

/* A progress report may be due: one of the idle callback_senders - 1 threads looks (they
 * wait for this, not polling the database; sender_extra_main). Called when this process
 * queued one and by a sender that claimed one (more may be due: another sender takes the
 * next); a wake-up none waited for is kept for the next thread to finish its round. */
static void reports_wake(orsp_smdp_server *srv)
{
	if (!srv->n_extra)
		return;
	pthread_mutex_lock(&srv->lock);
	if (srv->report_wakes < srv->n_extra)
		srv->report_wakes++;
	pthread_cond_signal(&srv->reports_due);
	pthread_mutex_unlock(&srv->lock);
}

static void count(orsp_smdp_server *srv, const orsp_smdp_reply *r, double ms)
{
	char code[40];
	series *se = NULL;
	histo *h = NULL;

	if (r->out_of_memory)
		snprintf(code, sizeof(code), "out_of_memory");
	else if (r->subject_code[0])
		snprintf(code, sizeof(code), "%s/%s", r->subject_code, r->reason_code);
	else if (r->http_status == 0)
		snprintf(code, sizeof(code), "aborted");
	else
		snprintf(code, sizeof(code), "%d", r->http_status);
	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < srv->n_ser && !se; i++)
		if (!strcmp(srv->ser[i].function, r->function) && !strcmp(srv->ser[i].code, code))
			se = &srv->ser[i];
	if (!se && srv->n_ser < MAX_SERIES) {
		se = &srv->ser[srv->n_ser++];
		snprintf(se->function, sizeof(se->function), "%s", r->function);
		snprintf(se->code, sizeof(se->code), "%s", code);
	}
	if (se)
		se->count++;
	else
		srv->ser_dropped++;
	for (size_t i = 0; i < srv->n_his && !h; i++)
		if (!strcmp(srv->his[i].function, r->function))
			h = &srv->his[i];
	if (!h && srv->n_his < ORSP_ARRAY_LEN(srv->his)) {
		h = &srv->his[srv->n_his++];
		snprintf(h->function, sizeof(h->function), "%s", r->function);
	}
	if (h) {
		for (size_t b = 0; b < N_BUCKETS; b++)
			if (ms / 1e3 <= buckets_s[b])
				h->le[b]++;
		h->le[N_BUCKETS]++;
		h->sum_s += ms / 1e3;
		h->count++;
	}
	pthread_mutex_unlock(&srv->lock);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef orsp_err (*handle_fn)(const orsp_smdp_service *, orsp_smdp *, const char *,
                              const uint8_t *, size_t, orsp_smdp_reply *);

/* Under rl->lock: the window closed, its held lines said in *out ("" if none): "N refused
 * requests not logged in the last T s (es2+ downloadOrder 401: N; ...)". */
static void refused_close_locked(refused_log *rl, double now, char *out, size_t cap)
{
	const char *sep = "";
	size_t n = 0;
	int w;

	out[0] = '\0';
	if (rl->held) {
		w = snprintf(out, cap,
		             "openrsp smdp: %llu refused request%s not logged in the last "
		             "%.1f s (",
		             (unsigned long long)rl->held, rl->held == 1 ? "" : "s",
		             (now - rl->since_ms) / 1e3);
		n = w > 0 && (size_t)w < cap ? (size_t)w : 0;
		for (size_t i = 0; i < rl->n_kinds && n < cap; i++) {
			const refused_kind *k = &rl->kinds[i];
			if (!k->held)
				continue;
			w = snprintf(out + n, cap - n, "%s%s %s %d: %llu", sep, k->iface,
			             k->function, k->status, (unsigned long long)k->held);
			n = w > 0 ? n + (size_t)w : n;
			sep = "; ";
		}
		if (rl->held_unkinded && n < cap) {
			w = snprintf(out + n, cap - n, "%sof other kinds: %llu", sep,
			             (unsigned long long)rl->held_unkinded);
			n = w > 0 ? n + (size_t)w : n;
		}
		if (n < cap)
			snprintf(out + n, cap - n, ")");
	}
	rl->open = false;
	rl->n_kinds = 0;
	rl->held = rl->held_unkinded = 0;
	atomic_store(&rl->pending, false);
}

#define REFUSED_SUMMARY_MAX (128 + REFUSED_KINDS_MAX * 96)

/* The lines held in the window said, once it is over (force: now, the stop) */
static void refused_log_flush(orsp_smdp_server *srv, bool force)
{
	refused_log *rl = &srv->rl;
	char said[REFUSED_SUMMARY_MAX] = "";
	double now;

	if (!atomic_load(&rl->pending))
		return;
	pthread_mutex_lock(&rl->lock);
	now = now_ms();
	if (rl->open && (force || now - rl->since_ms >= rl->window_ms))
		refused_close_locked(rl, now, said, sizeof(said));
	pthread_mutex_unlock(&rl->lock);
	if (said[0])
		orsp_log_line("%s", said);
}

/* Whether the refused request's line (iface, function, status) is written: its kind has not
 * had its REFUSED_LOG_MAX lines in the window yet; else it is counted. A window that is over
 * is said first (*said, "" if nothing held). */
static bool refused_admit(orsp_smdp_server *srv, const char *iface, const char *function,
                          int status, char *said, size_t cap)
{
	refused_log *rl = &srv->rl;
	refused_kind *k = NULL;
	bool admit = false;
	double now;

	said[0] = '\0';
	pthread_mutex_lock(&rl->lock);
	now = now_ms();
	if (rl->open && now - rl->since_ms >= rl->window_ms)
		refused_close_locked(rl, now, said, cap);
	if (!rl->open) {
		rl->open = true;
		rl->since_ms = now;
	}
	for (size_t i = 0; i < rl->n_kinds && !k; i++)
		if (rl->kinds[i].status == status && !strcmp(rl->kinds[i].iface, iface) &&
		    !strcmp(rl->kinds[i].function, function))
			k = &rl->kinds[i];
	if (!k && rl->n_kinds < REFUSED_KINDS_MAX) {
		k = &rl->kinds[rl->n_kinds++];
		memset(k, 0, sizeof(*k));
		snprintf(k->iface, sizeof(k->iface), "%s", iface);
		snprintf(k->function, sizeof(k->function), "%s", function);
		k->status = status;
	}
	if (k && k->logged < REFUSED_LOG_MAX) {
		k->logged++;
		admit = true;
	} else {
		rl->held++;
		if (k)
			k->held++;
		else
			rl->held_unkinded++;
		atomic_store(&rl->pending, true);
	}
	pthread_mutex_unlock(&rl->lock);
	return admit;
}

/* The request's one log line; never a secret (no body, no key). An internal failure's detail
 * (a database error, say) is written here and nowhere else: the client gets a bare 500. extra:
 * more fields (" client=..."), or "". A refused request's line may be held (refused_admit). */
static void log_request(orsp_smdp_server *srv, const char *iface, const orsp_smdp_reply *r,
                        double ms, orsp_err e, const char *extra)
{
	if (srv->c->quiet)
		return;
	if (!r->subject_code[0] && r->http_status >= 400 && r->http_status < 500) {
		char said[REFUSED_SUMMARY_MAX];
		bool admit =
		    refused_admit(srv, iface, r->function, r->http_status, said, sizeof(said));
		if (said[0])
			orsp_log_line("%s", said);
		if (!admit)
			return;
	} else {
		refused_log_flush(srv, false);
	}
	/* extra (the client, ...) and the handler's note before the error, whose text runs to
	 * the end of the line */
	orsp_log_line("openrsp smdp: %s function=%s tid=%s eid=%s http=%d result=%s%s%s%s%s "
	              "ms=%.1f%s%s%s%s%s%s",
	              iface, r->function, r->transaction_id[0] ? r->transaction_id : "-",
	              r->eid[0] ? r->eid : "-", r->http_status,
	              r->out_of_memory        ? "out_of_memory"
	              : r->subject_code[0]    ? r->subject_code
	              : r->http_status == 0   ? "aborted"
	              : r->http_status >= 500 ? "error"
	              : r->http_status >= 400 ? "refused"
	                                      : "ok",
	              r->subject_code[0] ? "/" : "", r->reason_code, r->policy[0] ? " policy=" : "",
	              r->policy, ms, extra, r->note[0] ? " reason=\"" : "", r->note,
	              r->note[0] ? "\"" : "", e ? " error=" : "", e ? orsp_err_detail() : "");
}

/* A request answered outside serve() (a refusal before its handler, a scrape): its log line
 * and its count under function, as serve() does for the others; e: a failure, for the log;
 * note: the line's reason="..." (none if ""). */
static void answered(orsp_smdp_server *srv, const char *iface, const char *function, int status,
                     double t0, orsp_err e, const char *extra, const char *note)
{
	double ms = now_ms() - t0;
	orsp_smdp_reply r;

	memset(&r, 0, sizeof(r));
	snprintf(r.function, sizeof(r.function), "%s", function);
	r.http_status = status;
	snprintf(r.note, sizeof(r.note), "%s", note);
	log_request(srv, iface, &r, ms, e, extra);
	count(srv, &r, ms);
}

/* " client=ADDR" of a request's log line; behind a trusted proxy the client it forwarded, and
 * " via=PROXY" */
static const char *client_text(const orsp_http_request *req, char *buf, size_t cap)
{
	char via[ORSP_HTTP_VIA_MAX];

	snprintf(buf, cap, " client=%s%s", req->client_addr,
	         orsp_http_via(req->client_addr, req->peer_addr, via, sizeof(via)));
	return buf;
}

/* A request of a known function refused before its handler (400, 401, 403): logged and counted
 * under the function; note: the line's reason="..." (none if ""). */
static orsp_err refuse(orsp_smdp_server *srv, const char *iface, const orsp_http_request *req,
                       double t0, orsp_http_response *resp, int status, const char *text,
                       const char *note)
{
	char extra[128];

	answered(srv, iface, strrchr(req->path, '/') + 1, status, t0, ORSP_OK,
	         client_text(req, extra, sizeof(extra)), note);
	return orsp_http_response_set_body(resp, status, "text/plain", text, strlen(text));
}

/* refuse, with why (not ORSP_OK) the line's error=..., orsp_err_detail() */
static orsp_err refuse_with(orsp_smdp_server *srv, const char *iface, const orsp_http_request *req,
                            double t0, orsp_http_response *resp, int status, const char *text,
                            const char *note, orsp_err why)
{
	char extra[128];

	answered(srv, iface, strrchr(req->path, '/') + 1, status, t0, why,
	         client_text(req, extra, sizeof(extra)), note);
	return orsp_http_response_set_body(resp, status, "text/plain", text, strlen(text));
}

/* The length of a header field's value without the whitespace after it: no part of the value
 * (RFC 9110 §5.5), which libmicrohttpd strips before the value only. */
static size_t field_len(const char *v)
{
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n;
}

/* auth: how the request was authenticated, for the audit rows it writes (ES2+:
 * orsp_smdp_set_auth); NULL: not said (ES9+, whose eUICC signs its own requests). */
static orsp_err serve(orsp_smdp_server *srv, handle_fn fn, const char *iface, const char *auth,
                      const orsp_http_request *req, orsp_http_response *resp, double t0)
{
	const char *function = strrchr(req->path, '/') + 1;
	const char *proto = orsp_http_request_header(req, "X-Admin-Protocol");
	char pv[32], client[128];
	unsigned ma, mi, pa;
	double ms;
	orsp_smdp_reply r;
	orsp_smdp *s;
	size_t slot;
	uint64_t queued;
	orsp_err e;

	/* SGP.22 §6.5.1: the request must say which binding version it speaks. */
	if (proto) {
		size_t n = field_len(proto);
		proto = n < sizeof(pv) ? memcpy(pv, proto, n) : NULL;
		if (proto)
			pv[n] = 0;
	}
	if (!proto || orsp_http_admin_protocol_parse(proto, &ma, &mi, &pa) || ma != 2)
		return refuse(srv, iface, req, t0, resp, 400,
		              "X-Admin-Protocol gsma/rsp/v2.x.y required\n", "");
	/* and that its body is JSON (§6.5.1: application/json, a charset parameter with it) */
	if (!orsp_http_media_json(orsp_http_request_header(req, "Content-Type")))
		return refuse(srv, iface, req, t0, resp, 415,
		              "Content-Type application/json required\n", "");
	s = take(srv, &slot);
	queued = smdp_progress_queued(s);
	if (auth)
		orsp_smdp_set_auth(s, auth);
	e = fn(&srv->c->svc, s, function, req->body, req->body_len, &r);
	if (auth)
		orsp_smdp_set_auth(s, NULL);
	queued = smdp_progress_queued(s) - queued;
	give(srv, slot);
	/* committed by now: an idle sender finds it at once */
	if (queued)
		reports_wake(srv);
	ms = now_ms() - t0;
	if (e && r.http_status != 500) {
		memset(&r, 0, sizeof(r));
		r.http_status = 500;
	}
	if (!r.function[0])
		snprintf(r.function, sizeof(r.function), "%s", function);
	/* the client too (until session 57 only refused requests named it: a download could not
	 * be told from whom, trusted_proxies or not) */
	log_request(srv, iface, &r, ms, e, client_text(req, client, sizeof(client)));
	count(srv, &r, ms);
	/* proof of a rolled-back or cloned eUICC: said also with `quiet`, which silences the
	 * request lines only; the audit row (eUICCSequenceReused) has the whole detail */
	if (!e && r.sequence_reused)
		srv->seq_reused++;
	if (!e)
		smdp_reply_log_warnings(&r);
	if (e)
		orsp_err_clear();
	if (r.http_status == 500 || !r.body) {
		orsp_err ee = orsp_http_response_set_body(resp, r.http_status, NULL, NULL, 0);
		/* a 204 (handleNotification) says its binding version as every answer does
		 * (§6.5.1) */
		if (!ee && r.http_status != 500)
			ee = orsp_http_response_add_header(resp, "X-Admin-Protocol",
			                                   ORSP_HTTP_ADMIN_PROTOCOL);
		orsp_smdp_reply_free(&r);
		return ee;
	}
	e = orsp_http_response_set_body(resp, r.http_status, ORSP_HTTP_JSON_CONTENT_TYPE, r.body,
	                                r.body_len);
	if (!e)
		e = orsp_http_response_add_header(resp, "X-Admin-Protocol", ORSP_HTTP_ADMIN_PROTOCOL);
	orsp_smdp_reply_free(&r);
	return e;
}

static orsp_err on_es9p(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	return serve(ctx, orsp_es9p_handle, "es9+", NULL, req, resp, now_ms());
}

/* Whether the request carries "Authorization: Bearer <token>" (token not empty), compared
 * in constant time. The scheme's name is case-insensitive and followed by one or more spaces
 * (RFC 9110 §11.1, §11.4: credentials = auth-scheme [ 1*SP ... ]): "bearer" is Bearer. */
static bool bearer_ok(const orsp_http_request *req, const char *token)
{
	const char *auth = orsp_http_request_header(req, "Authorization");
	size_t n = strlen(token);

	size_t len;

	if (!n || !auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return false;
	auth += 7;
	while (*auth == ' ')
		auth++;
	len = field_len(auth);
	/* the digests compared, not the strings: a length compared first would tell the
	 * token's length by the time the answer takes */
	uint8_t got[ORSP_SHA256_LEN], want[ORSP_SHA256_LEN];
	bool ok = orsp_sha256(auth, len, got) == ORSP_OK &&
	          orsp_sha256(token, n, want) == ORSP_OK && orsp_ct_eq(got, want, sizeof(got));
	ORSP_WIPE_OBJ(want);
	return ok;
}

/* A request without the credentials its route needs, logged and counted as refuse() does.
 * With a bearer token configured: 401, which must name a scheme the client can answer with
 * (RFC 9110 §15.5.2, §11.6.1; RFC 6750 §3): "Bearer", also for ES2+ when mutual TLS is
 * configured as well, the token being one way in. Without one (ES2+ by client certificate
 * only) no HTTP scheme would be accepted, so there is no challenge to send and 401 would break
 * that MUST: 403, as the HTTP server answers a missing client certificate it requires; "not
 * accepted" for one sent and refused. Such a refusal's reason (client-cert-expired, ...) goes
 * into the log line either way: the HTTP server's own line of it is at INFO, below the
 * program's level. why: the certificate's refusal (req->client_cert_refused, or the CRLs',
 * es2_crl_refusal), NULL for none sent; detail (not ORSP_OK): the line's error=..., what
 * orsp_err_detail() says. */
static orsp_err refuse_unauthorised(orsp_smdp_server *srv, const char *iface,
                                    const orsp_http_request *req, double t0,
                                    orsp_http_response *resp, const char *token, const char *why,
                                    orsp_err detail)
{
	char note[64] = "";
	orsp_err e;

	if (why)
		snprintf(note, sizeof(note), "client-cert-%s", why);
	if (!token[0])
		return refuse_with(srv, iface, req, t0, resp, 403,
		                   why ? "client certificate not accepted\n"
		                       : "client certificate required\n",
		                   note, detail);
	if ((e = refuse_with(srv, iface, req, t0, resp, 401,
	                     "authentication required (Authorization: Bearer)\n", note, detail)))
		return e;
	return orsp_http_response_add_header(resp, "WWW-Authenticate", "Bearer");
}

/* Until session 78 a subject longer than 167 characters (an ordinary one with C, ST, L, O,
 * two OUs and a host name as CN) left only "certificate", and two operators' certificates
 * could not be told apart in the audit. */
void smdp_cert_auth_name(const uint8_t *der, size_t len, char out[ORSP_SMDP_AUTH_MAX])
{
	static const char ellipsis[] = "...", prefix[] = "certificate ";
	char subj[1024], fp[2 * 8 + 1] = "";
	uint8_t md[ORSP_SHA256_LEN];
	orsp_cert *cc = NULL;
	bool named;
	int n;

	named = orsp_cert_parse(der, len, &cc) == ORSP_OK &&
	        orsp_cert_subject_text(cc, subj, sizeof(subj)) == ORSP_OK;
	orsp_cert_free(cc);
	if (named && sizeof(prefix) + strlen(subj) <= ORSP_SMDP_AUTH_MAX) {
		memcpy(out, prefix, sizeof(prefix) - 1);
		memcpy(out + sizeof(prefix) - 1, subj, strlen(subj) + 1);
		orsp_err_clear();
		return;
	}
	if (orsp_sha256(der, len, md) != ORSP_OK ||
	    orsp_hex_encode(md, 8, fp, sizeof(fp)) != ORSP_OK)
		fp[0] = '\0';
	orsp_err_clear();
	n = snprintf(out, ORSP_SMDP_AUTH_MAX, "certificate%s%s", fp[0] ? " sha256:" : "", fp);
	if (!named || n < 0 || (size_t)n + 1 + sizeof(ellipsis) >= ORSP_SMDP_AUTH_MAX)
		return;
	/* the subject's beginning, then "..." where it was cut (it is longer than the room) */
	{
		size_t at = (size_t)n, take = ORSP_SMDP_AUTH_MAX - at - 1 - sizeof(ellipsis);
		out[at++] = ' ';
		memcpy(out + at, subj, take);
		memcpy(out + at + take, ellipsis, sizeof(ellipsis));
	}
}

/* One link of an operator's client certificate's chain (es2_chain): cert, whose signature the
 * key of issuer verifies. */
typedef struct es2_link {
	const orsp_cert *cert, *issuer;
} es2_link;

/* the client's certificate, what it sent after it, and a CA of es2_client_ca above those */
#define ES2_CHAIN_MAX (ORSP_HTTP_CLIENT_CHAIN_MAX + 2)

static bool same_cert(const orsp_cert *a, const orsp_cert *b)
{
	orsp_slice x = orsp_cert_der(a), y = orsp_cert_der(b);

	return x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
}

/* Whether c is one of the CAs of es2_client_ca (the same DER). */
static bool es2_listed(const orsp_smdp_server *srv, const orsp_cert *c)
{
	for (size_t i = 0; i < srv->n_es2_cas; i++)
		if (same_cert(c, srv->es2_cas[i]))
			return true;
	return false;
}

/* The path the TLS layer verified from an operator's client certificate cc to es2_client_ca,
 * rebuilt link by link, each certificate's issuer the one whose key verifies its signature
 * (orsp_cert_signed_by): another CA of es2_client_ca first; else, until the path is at one of
 * those, one of the n_sent certificates the client sent after its own (an intermediate CA).
 * Above a CA of es2_client_ca only es2_client_ca is looked in (an intermediate listed with
 * its root: the intermediate is judged by the root's CRL). It ends at a certificate whose
 * issuer is none of those, or is the certificate itself (a root; a self-signed client
 * certificate is not judged by a CRL of its own, RFC 5280 §6.1 judges the certificates below
 * the trust anchor), or is on the path already (two CAs that certified each other). links
 * gets the links from cc up, *n of them. false when no CA of es2_client_ca is on the path:
 * the TLS layer found one this walk does not, and the chain cannot be judged. */
static bool es2_chain(const orsp_smdp_server *srv, const orsp_cert *cc, orsp_cert *const *sent,
                      size_t n_sent, es2_link links[ES2_CHAIN_MAX], size_t *n)
{
	const orsp_cert *cur = cc;
	bool reached = false;

	*n = 0;
	for (;;) {
		const orsp_cert *up = NULL;
		reached = reached || es2_listed(srv, cur);
		if (*n == ES2_CHAIN_MAX)
			break;
		for (size_t i = 0; i < srv->n_es2_cas && !up; i++)
			if (!same_cert(srv->es2_cas[i], cur) &&
			    orsp_cert_signed_by(cur, srv->es2_cas[i]))
				up = srv->es2_cas[i];
		for (size_t i = 0; i < n_sent && !up && !reached; i++)
			if (!same_cert(sent[i], cur) && orsp_cert_signed_by(cur, sent[i]))
				up = sent[i];
		for (size_t k = 0; k < *n && up; k++)
			if (same_cert(up, links[k].cert))
				up = NULL;
		if (!up)
			break;
		links[(*n)++] = (es2_link){cur, up};
		cur = up;
	}
	return reached;
}

/* What the CRLs in force say of an operator's client certificate (req->client_cert, cc its
 * parse, NULL when it does not parse), which the TLS layer verified up to a CA of
 * es2_client_ca, and of the CAs between them that the client sent (req->client_chain): NULL
 * when they let it through; else the refusal's word, "revoked" or "revocation-unknown", and
 * *why the verdict (orsp_err_detail() says it). Each link of the path (es2_chain) is judged
 * by the CRLs of its issuer (orsp_crl_check_why): the client's certificate by those of the CA
 * that issued it, an intermediate CA it sent by those of the CA of es2_client_ca (or the
 * intermediate) above it. "revoked": a CRL of its issuer lists one of them, the first from the
 * client's own up; else "revocation-unknown": the current CRL of an issuer of one is past its
 * nextUpdate or not yet valid (unless crl_stale = accept, as for an eUICC), or, with CRLs
 * held, the certificate does not parse or no path to es2_client_ca is found among those sent.
 * A CA's verdict names that CA ("CA certificate SUBJECT in the client's chain, N above the
 * client's own: ..."); the client's own is the CRL check's. An issuer without a CRL held lets
 * its link through. The CRLs of es2_client_ca were verified under their CA when read
 * (orsp_smdp_crl_bind); one of an intermediate the client sent and es2_client_ca does not
 * list is verified at the check with that intermediate's key, once its path is verified, as an
 * EUM's is (orsp_crl_check_why). Until session 79 a certificate none of es2_client_ca issued
 * (through an intermediate CA the client sent) was judged by no CRL, nor was that
 * intermediate: a CA that revoked its intermediate could not cut it off. */
static const char *es2_crl_refusal(const orsp_smdp_server *srv, const orsp_http_request *req,
                                   const orsp_cert *cc, orsp_err *why)
{
	const orsp_crl_store *crls = srv->c->svc.crls;
	orsp_cert *sent[ORSP_HTTP_CLIENT_CHAIN_MAX] = {0};
	es2_link links[ES2_CHAIN_MAX];
	char d[ORSP_ERR_DETAIL_MAX] = "", subj[512];
	const char *word = NULL;
	size_t n_sent = 0, n = 0, at = 0;

	*why = ORSP_OK;
	if (!srv->n_es2_cas || !orsp_crl_store_count(crls))
		return NULL;
	if (!cc) {
		snprintf(d, sizeof(d), "%s", orsp_err_detail());
		*why = orsp_errf(ORSP_E_POLICY,
		                 "the client certificate's revocation status is unknown: %s", d);
		return "revocation-unknown";
	}
	/* one that does not parse is left out: the path is then not found through it */
	for (size_t i = 0; i < req->n_client_chain && i < ORSP_HTTP_CLIENT_CHAIN_MAX; i++)
		if (orsp_cert_parse(req->client_chain[i].p, req->client_chain[i].len,
		                    &sent[n_sent]) == ORSP_OK)
			n_sent++;
	if (!es2_chain(srv, cc, sent, n_sent, links, &n)) {
		*why = orsp_errf(ORSP_E_POLICY,
		                 "the client certificate's revocation status is unknown: no path "
		                 "from it to a CA of es2_client_ca is found among the %zu "
		                 "certificate(s) it sent after its own",
		                 req->n_client_chain);
		word = "revocation-unknown";
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		orsp_crl_status st = ORSP_CRL_GOOD;
		orsp_crl_why w;
		orsp_slice der = orsp_cert_der(links[k].cert);
		if (!orsp_crl_check_why(crls, links[k].issuer, der.p, der.len, 0, &st, &w) ||
		    (st == ORSP_CRL_STALE && srv->c->svc.crl_accept_stale))
			continue;
		/* a revocation further up before an unknown status below it */
		if (word && st != ORSP_CRL_REVOKED)
			continue;
		snprintf(d, sizeof(d), "%s", orsp_err_detail());
		word = st == ORSP_CRL_REVOKED ? "revoked" : "revocation-unknown";
		at = k;
		if (st == ORSP_CRL_REVOKED)
			break;
	}
	if (!word) {
		orsp_err_clear();
		goto out;
	}
	if (!at) {
		*why = orsp_errf(ORSP_E_POLICY, "%s", d);
		goto out;
	}
	if (orsp_cert_subject_text(links[at].cert, subj, sizeof(subj)))
		snprintf(subj, sizeof(subj), "(a subject not shown)");
	*why = orsp_errf(ORSP_E_POLICY,
	                 "CA certificate \"%s\" in the client's chain, %zu above the client's "
	                 "own: %s",
	                 subj, at, d);
out:
	for (size_t i = 0; i < n_sent; i++)
		orsp_cert_free(sent[i]);
	return word;
}

static orsp_err on_es2p(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	orsp_smdp_server *srv = ctx;
	double t0 = now_ms();
	char auth[ORSP_SMDP_AUTH_MAX] = "token";
	const char *refused = req->client_cert_refused;
	orsp_cert *cc = NULL;
	orsp_err e, why = ORSP_OK;

	/* Neither a token nor a client CA configured: ES2+ is off (orders are placed on the
	 * database, `openrsp smdp order`), which the answer says, rather than asking for a
	 * client certificate that no CA could verify. */
	if (!srv->c->es2_token[0] && !srv->c->es2_client_ca[0])
		return refuse(srv, "es2+", req, t0, resp, 403,
		              "ES2+ is not enabled on this SM-DP+: its configuration has neither "
		              "es2_token nor es2_client_ca\n",
		              "");
	/* a verified client certificate that a CRL of its operator CA revokes is refused as one
	 * the TLS layer refused (expired, another CA's) */
	if (req->client_cert) {
		char detail[ORSP_ERR_DETAIL_MAX] = "";
		e = orsp_cert_parse(req->client_cert, req->client_cert_len, &cc);
		if (e == ORSP_E_RESOURCE)
			return e;
		refused = es2_crl_refusal(srv, req, cc, &why);
		if (why)
			snprintf(detail, sizeof(detail), "%s", orsp_err_detail());
		/* The operator: a verified client certificate (mutual TLS), or the bearer token. */
		if (refused && !bearer_ok(req, srv->c->es2_token)) {
			orsp_cert_free(cc);
			if (why)
				why = orsp_errf(why, "%s", detail);
			return refuse_unauthorised(srv, "es2+", req, t0, resp, srv->c->es2_token,
			                           refused, why);
		}
	} else if (!bearer_ok(req, srv->c->es2_token)) {
		return refuse_unauthorised(srv, "es2+", req, t0, resp, srv->c->es2_token, refused,
		                           ORSP_OK);
	}
	/* which of the two, the certificate by its subject, goes into the audit rows the
	 * request writes (orsp_smdp_set_auth) */
	if (req->client_cert && !refused)
		smdp_cert_auth_name(req->client_cert, req->client_cert_len, auth);
	orsp_err_clear();
	orsp_cert_free(cc);
	return serve(srv, orsp_es2p_handle, "es2+", auth, req, resp, t0);
}

/* A scrape is a request like the others: one log line, and counted under function="metrics"
 * (seen from the next scrape on); e: the answer could not be made (the client gets 500). */
static void scraped(orsp_smdp_server *srv, double t0, orsp_err e)
{
	answered(srv, "metrics", "metrics", e ? 500 : 200, t0, e, "", "");
}

/* s as the value of a label of the Prometheus text format: \\, \" and \n escaped, and UTF-8
 * kept, but a byte of no UTF-8 sequence and a control character made '?' (the format is
 * UTF-8, and one label value that is not, a CRL file's path in another encoding, made the
 * scraper refuse the whole page until session 56). */
static void label_value(FILE *f, const char *raw)
{
	char buf[4 * ORSP_SMDP_PATH_MAX];
	const char *s = buf;

	orsp_utf8_printable((const uint8_t *)raw, strlen(raw), buf, sizeof(buf));
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* metric{crl="FILE",issuer="CN",key="AKI",number="cRLNumber"} of one CRL: a file may hold
 * several CRLs of issuers with one common name (SGP.26's two EUMs), or two of one issuer, and
 * the CRLs held differ in key or number, or, without a cRLNumber, in their DER
 * (orsp_crl_store refuses the same twice, and holds a second file's copy of the very same
 * bytes once, under the first file's name): number is then "sha256:" and the first 8 bytes of
 * the DER's hash, so each CRL has a series of its own (two series of one label set, and
 * Prometheus kept only the first). */
static void crl_series(FILE *f, const char *metric, const orsp_crl_info *info)
{
	fprintf(f, "%s{crl=\"", metric);
	label_value(f, info->name);
	fputs("\",issuer=\"", f);
	label_value(f, info->issuer_cn);
	fprintf(f, "\",key=\"%s\",number=\"%s%s\"}", info->key,
	        info->number[0] ? "" : "sha256:", info->number[0] ? info->number : info->digest);
}

/* metric{cert="WHAT",keyset="N"} of one of this SM-DP+'s own certificates, without keyset
 * for those of no key set (DPtls, callback) */
static void own_series(FILE *f, const char *metric, const char *what, size_t keyset)
{
	fprintf(f, "%s{cert=\"%s\"", metric, what);
	if (keyset)
		fprintf(f, ",keyset=\"%zu\"", keyset);
	fputc('}', f);
}

/* Whether the CRLs in force revoke this SM-DP+'s own certificates (each key set's DPauth and
 * DPpb, the DPtls certificate): 1 or 0 each, for an alert (orsp_smdp_crl_warn_own says it on
 * stderr at start and after a reading). */
static void own_metrics(orsp_smdp_server *srv, FILE *f)
{
	const orsp_smdp_config *c = srv->c;
	const orsp_cert *cert;
	const char *what;
	size_t keyset;
	orsp_crl_why why;

	fputs("# HELP openrsp_smdp_own_certificate_revoked 1 when a CRL in force revokes this "
	      "SM-DP+'s own certificate\n"
	      "# TYPE openrsp_smdp_own_certificate_revoked gauge\n",
	      f);
	for (size_t i = 0; orsp_smdp_own_cert(c, i, &cert, &what, &keyset); i++) {
		own_series(f, "openrsp_smdp_own_certificate_revoked", what, keyset);
		fprintf(f, " %d\n", orsp_smdp_own_revoked(c, cert, &why));
	}
}

/* When this SM-DP+'s own certificates expire (each key set's DPauth and DPpb, the DPtls
 * certificate, the callback certificate: orsp_smdp_own_cert_all), each notAfter in seconds
 * since the epoch, with or without CRLs: the start warns once of one within
 * ORSP_SMDP_EXPIRY_WARN_DAYS, and a server that runs for months needs an alert
 * (`... - time() < 30*86400`) for what comes later (until session 71 nothing but `serve
 * --check` said it). Labelled as openrsp_smdp_own_certificate_revoked, whose series are the
 * same but for the callback certificate, which no CI's CRL judges. */
static void own_expiry_metrics(orsp_smdp_server *srv, FILE *f)
{
	const orsp_cert *cert;
	const char *what;
	size_t keyset;

	fputs("# HELP openrsp_smdp_own_certificate_not_after_seconds notAfter of this SM-DP+'s "
	      "own certificate, seconds since the epoch\n"
	      "# TYPE openrsp_smdp_own_certificate_not_after_seconds gauge\n",
	      f);
	for (size_t i = 0; orsp_smdp_own_cert_all(srv->c, i, &cert, &what, &keyset); i++) {
		time_t na = 0;

		if (orsp_cert_validity(cert, NULL, &na) != ORSP_OK) {
			orsp_err_clear(); /* the configuration parsed it: not seen */
			continue;
		}
		own_series(f, "openrsp_smdp_own_certificate_not_after_seconds", what, keyset);
		fprintf(f, " %lld\n", (long long)na);
	}
}

/* The CRLs in force (configuration crl): when each goes stale, for an alert before it does,
 * how many certificates each lists, and how the readings of changed files went. The list is
 * read once, under one lock (orsp_crl_store_infos): read an index at a time, a reading put
 * in force meanwhile could give a CRL's series twice in one family (until session 65). */
static void crl_metrics(orsp_smdp_server *srv, FILE *f)
{
	const orsp_crl_store *crls = srv->c->svc.crls;
	orsp_crl_info *info = NULL;
	size_t n = 0;

	if (!crls)
		return;
	if (orsp_crl_store_infos(crls, &info, &n))
		orsp_err_clear(); /* out of memory: the families without series */
	fputs("# HELP openrsp_smdp_crl_next_update_seconds nextUpdate of each CRL in force (not "
	      "superseded by a newer one of its issuer), seconds since the epoch\n"
	      "# TYPE openrsp_smdp_crl_next_update_seconds gauge\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		/* a superseded CRL no longer decides anything: its nextUpdate passing is no
		 * reason for an alert */
		if (info[i].superseded)
			continue;
		crl_series(f, "openrsp_smdp_crl_next_update_seconds", &info[i]);
		fprintf(f, " %lld\n", (long long)info[i].next_update);
	}
	fputs("# HELP openrsp_smdp_crl_revoked certificates each CRL in force lists\n"
	      "# TYPE openrsp_smdp_crl_revoked gauge\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		crl_series(f, "openrsp_smdp_crl_revoked", &info[i]);
		fprintf(f, " %zu\n", info[i].revoked);
	}
	free(info);
	fprintf(f,
	        "# HELP openrsp_smdp_crl_reloads_total readings of changed CRL files while "
	        "serving (crl_reload), by result\n"
	        "# TYPE openrsp_smdp_crl_reloads_total counter\n"
	        "openrsp_smdp_crl_reloads_total{result=\"ok\"} %llu\n"
	        "openrsp_smdp_crl_reloads_total{result=\"failed\"} %llu\n",
	        (unsigned long long)srv->crl_reloads_ok,
	        (unsigned long long)srv->crl_reloads_failed);
	own_metrics(srv, f);
}

/* Milliseconds from a to b on the monotonic clock */
static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* A reading of the database's figures, by the thread that set m_refreshing under mlock
 * (outside it): written whole under mlock, m_refreshing cleared, the waiting scrapes woken.
 * A failed read is kept as such (its series left out): the next scrape asks again. */
static void figures_read(orsp_smdp_server *srv)
{
	struct timespec t0, t1;
	db_figures fresh = {0};
	size_t slot = 0; /* set by take when metrics_db is NULL (gcc -O3 -flto cannot tell) */
	orsp_smdp *s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* metrics_db is this reading's alone (m_refreshing) */
	s = srv->metrics_db ? srv->metrics_db : take(srv, &slot);
	fresh.states_ok = orsp_smdp_state_ages(s, fresh.states, fresh.ages, fresh.held) == ORSP_OK;
	fresh.reports_ok =
	    orsp_smdp_count_undelivered(s, &fresh.pending, &fresh.given_up) == ORSP_OK;
	if (!srv->metrics_db)
		give(srv, slot);
	orsp_err_clear();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fresh.read_s = ms_between(&t0, &t1) / 1e3;
	pthread_mutex_lock(&srv->mlock);
	srv->m = fresh;
	srv->m_at = t1;
	srv->m_read = true;
	srv->m_refreshing = false;
	pthread_cond_broadcast(&srv->m_read_once);
	pthread_mutex_unlock(&srv->mlock);
}

/* The figures' reader thread (with metrics_cache): a reading each time a scrape found the
 * figures old (db_figures_get), so that no scrape waits for one; the scrape that asked, and
 * those until the reading ends, get the previous figures. Apart from the background thread,
 * whose rounds (a progress report's send up to callback_timeout, the order expiry) would
 * hold the reading up, and which a reading (about 1 s at a million profiles) would hold up. */
static void *figures_main(void *arg)
{
	orsp_smdp_server *srv = arg;

	pthread_mutex_lock(&srv->mlock);
	for (;;) {
		while (!(srv->m_want && !srv->m_refreshing) && !srv->stopping)
			pthread_cond_wait(&srv->m_wanted, &srv->mlock);
		if (srv->stopping)
			break;
		srv->m_want = false;
		srv->m_refreshing = true;
		pthread_mutex_unlock(&srv->mlock);
		figures_read(srv);
		pthread_mutex_lock(&srv->mlock);
	}
	pthread_mutex_unlock(&srv->mlock);
	return NULL;
}

/* The database's figures for a scrape, into out, with their age. They are kept (a scrape
 * reuses them) while younger than metrics_cache and FIGURES_COST_FACTOR times their reading's
 * duration. Older ones are answered at once all the same, and the figures' reader thread
 * asked for new ones (until session 79 the scrape read them itself: some 1 s at a million
 * profiles, every metrics_cache period, whatever the inventory's size). Only the scrapes that
 * come before any reading has ended read (the first) or wait for it, so that the first page
 * has them; and with metrics_cache 0 (the figures of the moment: bench smdp --url, the
 * tests), every scrape that finds no reading under way reads. One reading at a time, without
 * holding mlock: the scrapes meanwhile get the previous figures at once rather than a worker
 * thread each waiting for the reading (until session 74 each waited on mlock, so that
 * concurrent scrapes of a large inventory held every worker and ES9+ waited). A set is
 * written and copied whole under mlock: no scrape sees part of one reading. */
static void db_figures_get(orsp_smdp_server *srv, db_figures *out)
{
	struct timespec now;
	bool waited = false, kept = false;
	double age_ms = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&srv->mlock);
	while (srv->m_refreshing && !srv->m_read) {
		pthread_cond_wait(&srv->m_read_once, &srv->mlock);
		waited = true;
	}
	if (srv->m_read) {
		double life_ms = 1e3 * srv->c->metrics_cache_s,
		       cost_ms = FIGURES_COST_FACTOR * (1e3 * srv->m.read_s + srv->m_read_ms_add);

		age_ms = ms_between(&srv->m_at, &now) + srv->m_age_ms_add;
		kept = srv->m.states_ok && srv->m.reports_ok && srv->c->metrics_cache_s &&
		       age_ms < (cost_ms > life_ms ? cost_ms : life_ms);
	}
	if (srv->m_read && !kept && !waited && srv->figures_reader_running) {
		/* old: figures_main reads them, this scrape has the previous ones */
		if (!srv->m_refreshing && !srv->m_want) {
			srv->m_want = true;
			pthread_cond_signal(&srv->m_wanted);
		}
		kept = true;
	}
	if (!waited && !kept && !srv->m_refreshing) {
		srv->m_refreshing = true;
		pthread_mutex_unlock(&srv->mlock);
		figures_read(srv);
		pthread_mutex_lock(&srv->mlock);
		age_ms = srv->m_age_ms_add;
	}
	*out = srv->m;
	out->age_s = age_ms > 0 ? age_ms / 1e3 : 0;
	out->read_s += srv->m_read_ms_add / 1e3;
	pthread_mutex_unlock(&srv->mlock);
}

/* The connection /metrics reads its figures through: one of its own, read-only, beside the
 * pool's. Through a pool handle the scan held the shared connection's turn (0.8 to 1 s at a
 * million profiles in the scale review, session 74), and every request that needed the
 * database waited for it; in WAL mode a reader of another connection waits for nobody and
 * makes nobody wait (the openrsp VFS shares the file's one -shm descriptor between the
 * connections, sqlite_vfs.c). Opened as `serve --check` opens (ORSP_DB_OPEN_READONLY): the
 * schema checked, nothing migrated or written, the KEK checked against the stored check
 * value (the open asks for it; the counts never use it, so the handle lets go of it once
 * open: smdp_drop_kek, one raw copy of the KEK fewer in memory). Its page cache kept small: every
 * commit of the pool's empties it anyway, and the file's pages are in the kernel's cache.
 * When it does not open, the figures are read through the pool as before, and the start
 * says so. */
static void metrics_db_open(orsp_smdp_server *srv, const orsp_secret *kek)
{
	orsp_err e =
	    orsp_smdp_open_ex(srv->c->database, ORSP_DB_OPEN_READONLY, kek, &srv->metrics_db);

	if (!e)
		e = orsp_db_exec(orsp_smdp_db(srv->metrics_db), "PRAGMA cache_size = -512");
	if (!e) {
		smdp_drop_kek(srv->metrics_db);
		return;
	}
	orsp_log_line(
	    "openrsp smdp: warning: /metrics reads the profile figures through the "
	    "requests' database connection, whose requests wait for each reading: its own "
	    "read-only connection did not open (%s: %s)",
	    orsp_err_str(e), orsp_err_detail());
	orsp_err_clear();
	orsp_smdp_close(srv->metrics_db);
	srv->metrics_db = NULL;
}

static orsp_err on_metrics(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	orsp_smdp_server *srv = ctx;
	double t0 = now_ms();
	db_figures m;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	orsp_err e;

	/* with metrics_token, only a scraper that has it (the figures say how many profiles
	 * are in each state and how the server is doing) */
	if (srv->c->metrics_token[0] && !bearer_ok(req, srv->c->metrics_token))
		return refuse_unauthorised(srv, "metrics", req, t0, resp, srv->c->metrics_token,
		                           req->client_cert_refused, ORSP_OK);
	if (!(f = open_memstream(&buf, &len))) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		scraped(srv, t0, e);
		return e;
	}
	db_figures_get(srv, &m);
	fprintf(f, "# HELP openrsp_smdp_requests_total ES9+, ES2+, /metrics and /health requests by"
	           " function and result\n"
	           "# TYPE openrsp_smdp_requests_total counter\n");
	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < srv->n_ser; i++)
		fprintf(f, "openrsp_smdp_requests_total{function=\"%s\",result=\"%s\"} %llu\n",
		        srv->ser[i].function, srv->ser[i].code, (unsigned long long)srv->ser[i].count);
	/* the requests of a (function, result) past the series' room: counted, not lost from
	 * sight (they went uncounted until session 56) */
	if (srv->ser_dropped)
		fprintf(f,
		        "openrsp_smdp_requests_total{function=\"other\",result=\"series_limit\"} "
		        "%llu\n",
		        (unsigned long long)srv->ser_dropped);
	fprintf(f, "# HELP openrsp_smdp_request_duration_seconds request latency\n"
	           "# TYPE openrsp_smdp_request_duration_seconds histogram\n");
	for (size_t i = 0; i < srv->n_his; i++) {
		histo *h = &srv->his[i];
		for (size_t b = 0; b < N_BUCKETS; b++)
			fprintf(f,
			        "openrsp_smdp_request_duration_seconds_bucket{function=\"%s\",le="
			        "\"%g\"} "
			        "%llu\n",
			        h->function, buckets_s[b], (unsigned long long)h->le[b]);
		fprintf(f,
		        "openrsp_smdp_request_duration_seconds_bucket{function=\"%s\",le=\"+Inf\"} "
		        "%llu\n",
		        h->function, (unsigned long long)h->le[N_BUCKETS]);
		fprintf(f, "openrsp_smdp_request_duration_seconds_sum{function=\"%s\"} %.6f\n",
		        h->function, h->sum_s);
		fprintf(f, "openrsp_smdp_request_duration_seconds_count{function=\"%s\"} %llu\n",
		        h->function, (unsigned long long)h->count);
	}
	pthread_mutex_unlock(&srv->lock);
	if (m.states_ok) {
		fprintf(f, "# HELP openrsp_smdp_profiles profiles by state\n"
		           "# TYPE openrsp_smdp_profiles gauge\n");
		for (int st = 0; st < ORSP_SMDP_STATE__COUNT; st++)
			fprintf(f, "openrsp_smdp_profiles{state=\"%s\"} %zu\n",
			        orsp_smdp_state_name((orsp_smdp_state)st), m.states[st]);
		/* how long the oldest profile of a state has been in it: Downloaded for hours
		 * is a download stuck on a device (no installation result), Released for days an
		 * order nobody picked up */
		fprintf(f, "# HELP openrsp_smdp_profile_oldest_change_seconds age of the oldest"
		           " last state change among the profiles of each state\n"
		           "# TYPE openrsp_smdp_profile_oldest_change_seconds gauge\n");
		for (int st = 0; st < ORSP_SMDP_STATE__COUNT; st++)
			if (m.ages[st] >= 0)
				fprintf(f,
				        "openrsp_smdp_profile_oldest_change_seconds{state=\"%s\"} "
				        "%lld\n",
				        orsp_smdp_state_name((orsp_smdp_state)st),
				        (long long)m.ages[st]);
		/* the subscription keys kept: in a final state until `smdp profile purge` */
		fprintf(f, "# HELP openrsp_smdp_profile_packages profiles by state that still hold"
		           " their package (K, OPc)\n"
		           "# TYPE openrsp_smdp_profile_packages gauge\n");
		for (int st = 0; st < ORSP_SMDP_STATE__COUNT; st++)
			fprintf(f, "openrsp_smdp_profile_packages{state=\"%s\"} %zu\n",
			        orsp_smdp_state_name((orsp_smdp_state)st), m.held[st]);
	}
	if (m.reports_ok)
		fprintf(f,
		        "# HELP openrsp_smdp_progress_reports progress reports to the operator not"
		        " delivered\n"
		        "# TYPE openrsp_smdp_progress_reports gauge\n"
		        "openrsp_smdp_progress_reports{delivery=\"pending\"} %zu\n"
		        "openrsp_smdp_progress_reports{delivery=\"given_up\"} %zu\n",
		        m.pending, m.given_up);
	/* how old the figures above are (kept metrics_cache, longer when their reading is slow:
	 * FIGURES_COST_FACTOR), and what their reading cost */
	fprintf(f,
	        "# HELP openrsp_smdp_db_figures_age_seconds seconds since the reading of the"
	        " profile and progress report figures ended\n"
	        "# TYPE openrsp_smdp_db_figures_age_seconds gauge\n"
	        "openrsp_smdp_db_figures_age_seconds %.3f\n"
	        "# HELP openrsp_smdp_db_figures_read_seconds how long that reading took\n"
	        "# TYPE openrsp_smdp_db_figures_read_seconds gauge\n"
	        "openrsp_smdp_db_figures_read_seconds %.3f\n",
	        m.age_s, m.read_s);
	/* what the senders cost the database: the background thread's look every 200 ms, the
	 * others' only when woken (sender_extra_main) */
	fprintf(f,
	        "# HELP openrsp_smdp_progress_report_queries_total queries of the outbox for the"
	        " next due progress report, by sender: the background thread, the other"
	        " callback_senders together\n"
	        "# TYPE openrsp_smdp_progress_report_queries_total counter\n"
	        "openrsp_smdp_progress_report_queries_total{sender=\"background\"} %llu\n"
	        "openrsp_smdp_progress_report_queries_total{sender=\"others\"} %llu\n",
	        (unsigned long long)srv->report_queries_bg,
	        (unsigned long long)srv->report_queries_others);
	fprintf(
	    f,
	    "# HELP openrsp_smdp_euicc_sequence_reused_total verified notifications whose eUICC"
	    " had signed their seqNumber before for another notification (its state rolled back,"
	    " or cloned)\n"
	    "# TYPE openrsp_smdp_euicc_sequence_reused_total counter\n"
	    "openrsp_smdp_euicc_sequence_reused_total %llu\n",
	    (unsigned long long)srv->seq_reused);
	/* lines the log lost since the start (stderr: a full disk, a closed pipe) */
	fprintf(f,
	        "# HELP openrsp_log_lines_dropped_total log lines that could not be written to"
	        " stderr (a full disk, a pipe whose reader is gone)\n"
	        "# TYPE openrsp_log_lines_dropped_total counter\n"
	        "openrsp_log_lines_dropped_total %llu\n",
	        (unsigned long long)orsp_log_dropped());
	crl_metrics(srv, f);
	own_expiry_metrics(srv, f);
	{
		orsp_http_conn_stats cs;
		orsp_http_server_conn_stats(srv->http, &cs);
		fprintf(f,
		        "# HELP openrsp_http_connections_accepted_total TCP connections accepted\n"
		        "# TYPE openrsp_http_connections_accepted_total counter\n"
		        "openrsp_http_connections_accepted_total %llu\n"
		        "# HELP openrsp_http_connections_refused_total connections closed at once"
		        " (max_connections_per_ip)\n"
		        "# TYPE openrsp_http_connections_refused_total counter\n"
		        "openrsp_http_connections_refused_total %llu\n"
		        "# HELP openrsp_http_connections_reset_total accepted connections reset by"
		        " the server: idle with every slot taken, or past request_timeout\n"
		        "# TYPE openrsp_http_connections_reset_total counter\n"
		        "openrsp_http_connections_reset_total{reason=\"idle\"} %llu\n"
		        "openrsp_http_connections_reset_total{reason=\"deadline\"} %llu\n"
		        "# HELP openrsp_http_connections_open connections open now\n"
		        "# TYPE openrsp_http_connections_open gauge\n"
		        "openrsp_http_connections_open %u\n"
		        "# HELP openrsp_http_connections_max connections open at most (256, or"
		        " fewer to fit the open file limit)\n"
		        "# TYPE openrsp_http_connections_max gauge\n"
		        "openrsp_http_connections_max %u\n"
		        "# HELP openrsp_http_accept_failures_total failed accepts of a new"
		        " connection: fd_limit, no file descriptor left (RLIMIT_NOFILE or the"
		        " system's)\n"
		        "# TYPE openrsp_http_accept_failures_total counter\n"
		        "openrsp_http_accept_failures_total{reason=\"fd_limit\"}"
		        " %llu\n"
		        "# HELP openrsp_http_tls_handshake_failures_total TLS connections closed"
		        " without a completed handshake\n"
		        "# TYPE openrsp_http_tls_handshake_failures_total counter\n"
		        "openrsp_http_tls_handshake_failures_total %llu\n",
		        (unsigned long long)cs.accepted, (unsigned long long)cs.refused,
		        (unsigned long long)cs.reset_idle, (unsigned long long)cs.reset_deadline,
		        cs.open, cs.max, (unsigned long long)cs.accept_fd_limit,
		        (unsigned long long)cs.tls_handshake_failures);
	}
	{
		struct rusage ru;
		double cpu = 0;
		if (getrusage(RUSAGE_SELF, &ru) == 0)
			cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
			      ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
		fprintf(f,
		        "# HELP openrsp_smdp_crypto_cpu_seconds_total CPU time in ECDSA, key"
		        " generation, ECKA and BPP building\n"
		        "# TYPE openrsp_smdp_crypto_cpu_seconds_total counter\n"
		        "openrsp_smdp_crypto_cpu_seconds_total %.6f\n"
		        "# HELP process_cpu_seconds_total user and system CPU time of the process\n"
		        "# TYPE process_cpu_seconds_total counter\n"
		        "process_cpu_seconds_total %.6f\n",
		        (double)orsp_crypto_cpu_ns() / 1e9, cpu);
	}
	fclose(f);
	e = orsp_http_response_set_body(resp, 200, "text/plain; version=0.0.4", buf, len);
	free(buf);
	scraped(srv, t0, e);
	return e;
}

/* How long GET /health waits for a database handle: a balancer's check times out after a few
 * seconds, and a server whose handles stay busy that long is no place to send more work. */
#define HEALTH_WAIT_MS 2000

/* How often /health probes the signing keys in a token at most: a probe's result is reused for
 * that long, so that checks from several balancers cost the token one signature per key per
 * period; a key that comes back (re-imported, the token reconnected) is found within it. */
#define HEALTH_PROBE_S 5

/* The message of a probe's test signatures: any will do, the signature is thrown away. */
static const char probe_msg[] = "openrsp smdp /health: signing key probe";

/* The signing keys of c held in a token, into srv->tkeys: each key set's DPauth and DPpb, and
 * DPtls's. Keys in files are not probed: they cannot go away while the process runs. */
static void token_keys(orsp_smdp_server *srv, const orsp_smdp_config *c)
{
	const orsp_smdp_service *svc = &c->svc;

	for (size_t i = 0; i < svc->n_sets && i < ORSP_SMDP_MAX_KEYSETS; i++) {
		const orsp_ec_key *k[2] = {svc->sets[i].dpauth_key, svc->sets[i].dppb_key};
		static const char *const role[2] = {"dpauth_key", "dppb_key"};

		for (size_t j = 0; j < 2; j++) {
			token_key *t = &srv->tkeys[srv->n_tkeys];

			if (!orsp_ec_in_token(k[j]))
				continue;
			t->k = k[j];
			if (svc->n_sets > 1)
				snprintf(t->name, sizeof(t->name), "%s of keyset %zu", role[j],
				         i + 1);
			else
				snprintf(t->name, sizeof(t->name), "%s", role[j]);
			srv->n_tkeys++;
		}
	}
	if (!c->plain_http && orsp_ec_in_token(c->tls_token_key)) {
		srv->tkeys[srv->n_tkeys].k = c->tls_token_key;
		snprintf(srv->tkeys[srv->n_tkeys].name, sizeof(srv->tkeys[0].name), "tls_key");
		srv->n_tkeys++;
	}
}

/* The prober's thread: at each request of /health's (probe_ask), a test signature with each
 * token key in turn, checked with the key's public half, up to the first that fails. It runs
 * apart from the health checks so that a token that hangs holds this thread only: the checks
 * wait for it a bounded time (probe_failed). */
static void *probe_main(void *arg)
{
	orsp_smdp_server *srv = arg;

	pthread_mutex_lock(&srv->plock);
	for (;;) {
		int bad = -1;
		char detail[sizeof(srv->p_detail)] = "";

		while (!srv->p_want && !srv->stopping)
			pthread_cond_wait(&srv->p_wanted, &srv->plock);
		if (srv->stopping)
			break;
		srv->p_want = false;
		srv->p_busy = true;
		for (size_t i = 0; i < srv->n_tkeys && bad < 0; i++) {
			uint8_t sig[ORSP_EC_SIG_LEN];
			orsp_err e;

			srv->p_current = i;
			pthread_mutex_unlock(&srv->plock);
			e = orsp_ecdsa_sign(srv->tkeys[i].k, probe_msg, sizeof(probe_msg) - 1, sig);
			if (!e)
				e = orsp_ecdsa_verify(srv->tkeys[i].k, probe_msg,
				                      sizeof(probe_msg) - 1, sig);
			if (e) {
				orsp_err_detail_copy(detail, sizeof(detail));
				orsp_err_clear();
				bad = (int)i;
			}
			pthread_mutex_lock(&srv->plock);
		}
		srv->p_bad = bad;
		memcpy(srv->p_detail, detail, sizeof(detail));
		srv->p_at_ms = now_ms();
		srv->p_done = true;
		srv->p_busy = false;
		pthread_cond_broadcast(&srv->p_ended);
	}
	pthread_mutex_unlock(&srv->plock);
	return NULL;
}

/* A probe for this health check, unless the last one ended less than HEALTH_PROBE_S ago or
 * one is asked for or under way already. Nothing without token keys. */
static void probe_ask(orsp_smdp_server *srv)
{
	double now = now_ms();

	if (!srv->prober_running)
		return;
	pthread_mutex_lock(&srv->plock);
	if (!srv->p_want && !srv->p_busy &&
	    (!srv->p_done || now - srv->p_at_ms >= HEALTH_PROBE_S * 1000.0)) {
		srv->p_want = true;
		srv->p_asked_ms = now;
		pthread_cond_signal(&srv->p_wanted);
	}
	pthread_mutex_unlock(&srv->plock);
}

/* The token keys' part of a health check: false when they all signed in the last probe; else
 * true, *name the key that did not (or whose signature is awaited), *e the error with its
 * detail for the log line. A probe asked for or under way is waited for up to HEALTH_WAIT_MS
 * from when it was asked; one not done by then counts as failed (a token that hangs). */
static bool probe_failed(orsp_smdp_server *srv, char *name, size_t cap, orsp_err *e)
{
	bool failed = false;

	if (!srv->prober_running)
		return false;
	pthread_mutex_lock(&srv->plock);
	while ((srv->p_want || srv->p_busy) && !srv->stopping) {
		double left = srv->p_asked_ms + HEALTH_WAIT_MS - now_ms();
		struct timespec until;

		if (left <= 0)
			break;
		orsp_deadline_ms(&until, (unsigned)left + 1);
		pthread_cond_timedwait(&srv->p_ended, &srv->plock, &until);
	}
	if (srv->p_want || srv->p_busy) {
		size_t i = srv->p_busy ? srv->p_current : 0;

		snprintf(name, cap, "%s", srv->tkeys[i].name);
		*e = orsp_errf(
		    ORSP_E_CRYPTO,
		    "%s: no test signature from the token within %d ms (asked %.0f ms ago)",
		    srv->tkeys[i].name, HEALTH_WAIT_MS, now_ms() - srv->p_asked_ms);
		failed = true;
	} else if (srv->p_done && srv->p_bad >= 0) {
		snprintf(name, cap, "%s", srv->tkeys[srv->p_bad].name);
		*e = orsp_errf(ORSP_E_CRYPTO, "%s: test signature failed: %s",
		               srv->tkeys[srv->p_bad].name, srv->p_detail);
		failed = true;
	}
	pthread_mutex_unlock(&srv->plock);
	return failed;
}

/* GET /health (and HEAD) for load balancers and orchestrators: 200 "ok" when this process can
 * serve, 503 with a one-line reason when not: stopping (a stop was asked: the requests in
 * flight finish, and the balancer should send no more), draining (a stop is coming: requests
 * are still served, but the balancer should take the instance out), an earlier flush of the
 * database failed (no write begins any more: docs/deploy.md), a write found the disk full,
 * the lock state of the database file is lost (every statement fails until a restart:
 * orsp_db_lock_lost; until session 76 it was "database read failed", which is not the
 * reason), no handle free within HEALTH_WAIT_MS, a read through a handle failed, or a signing
 * key in a token did not sign (probe_failed: "signing key unavailable: dpauth_key"; until
 * session 77 a key deleted from the token, or a token gone, left /health at 200 while every
 * download failed with a 500). The read
 * is one statement outside a transaction: it takes neither the write queue nor SQLite's write
 * lock, only the handle's turn on the connection, as any request does. Open like /metrics
 * without its token (it says nothing about the profiles); logged and counted under
 * function="health". The reason names no file: the detail of a failed read goes to the log
 * only, as a 500's does. */
static orsp_err on_health(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	orsp_smdp_server *srv = ctx;
	double t0 = now_ms();
	const char *why = NULL;
	char extra[160] = "", body[96], key[40], why_key[80];
	orsp_stmt *st = NULL;
	orsp_smdp *s = NULL;
	size_t slot;
	bool row = false;
	orsp_err e = ORSP_OK;

	(void)req;
	if (srv->stopping)
		why = "stopping";
	else if (srv->draining)
		why = "draining";
	else if (orsp_db_flush_failed(orsp_smdp_db(srv->pool[0])))
		why = "database flush failed";
	else if (orsp_db_out_of_room(orsp_smdp_db(srv->pool[0])))
		why = "database disk full";
	else if (orsp_db_lock_lost(orsp_smdp_db(srv->pool[0])))
		why = "database lock lost";
	else {
		/* asked before the database's turn is waited for: the two waits overlap */
		probe_ask(srv);
		if (!(s = take_within(srv, HEALTH_WAIT_MS, &slot)))
			why = "database busy";
	}
	if (s) {
		/* sqlite_master: a read of the file itself (a read transaction), not only of
		 * the connection as "SELECT 1" would be */
		e = orsp_db_prepare(orsp_smdp_db(s), "SELECT count(*) FROM sqlite_master", &st);
		if (!e)
			e = orsp_stmt_step(st, &row);
		orsp_stmt_finalize(st);
		give(srv, slot);
		/* the read may be the first to find the lock state lost */
		if (e)
			why = orsp_db_lock_lost(orsp_smdp_db(srv->pool[0]))
			          ? "database lock lost"
			          : "database read failed";
		else if (probe_failed(srv, key, sizeof(key), &e)) {
			snprintf(why_key, sizeof(why_key), "signing key unavailable: %s", key);
			why = why_key;
		}
	}
	if (why)
		snprintf(extra, sizeof(extra), " reason=\"%s\"", why);
	answered(srv, "health", "health", why ? 503 : 200, t0, e, extra, "");
	if (e)
		orsp_err_clear();
	snprintf(body, sizeof(body), "%s\n", why ? why : "ok");
	return orsp_http_response_set_body(resp, why ? 503 : 200, "text/plain", body, strlen(body));
}

/* The HTTP server's hook: requests that reached a handler are logged and counted by it (one
 * line each); the others, answered by the HTTP server (404, 405, 413 ...) or not answered at
 * all (the client went away before its request was whole, or was reset at the request
 * deadline: status 0, result "aborted"; no memory for its body: 503, result "out_of_memory"),
 * here, counted under function "other" (never the
 * path: a client could make up any number of series). */
static void unhandled(void *ctx, const orsp_http_log_entry *e)
{
	orsp_smdp_server *srv = ctx;
	double ms = (double)e->duration_us / 1e3;
	char extra[512], via[ORSP_HTTP_VIA_MAX];
	orsp_smdp_reply r;

	if (e->handled || (e->status > 0 && e->status < 400))
		return;
	memset(&r, 0, sizeof(r));
	snprintf(r.function, sizeof(r.function), "other");
	r.http_status = e->status;
	r.out_of_memory = e->out_of_memory;
	snprintf(extra, sizeof(extra), " client=%s%s method=%s path=%s", e->client_addr,
	         orsp_http_via(e->client_addr, e->peer_addr, via, sizeof(via)), e->method, e->path);
	log_request(srv, "http", &r, ms, ORSP_OK, extra);
	count(srv, &r, ms);
}

/* ----- ES2+ HandleDownloadProgressInfo: the outbox sender -----
 * Reports of one profile go out in order: a report waits while an earlier one of the same
 * ICCID is not delivered yet. */

#define PROGRESS_MAX_ATTEMPTS 10

/* One report of the outbox, as queued (smdp_store.c). */
typedef struct progress_row {
	int64_t id, at, attempts, next_at;
	char iccid[24], eid[40], type[404];
	int point;
	bool success;
	char subject[16], reason[16], detail[256];
	char result[1400]; /* resultData, base64 ("" none) */
} progress_row;

/* The report's functionCallIdentifier: its row and a digest of what it reports (time, ICCID,
 * EID, point, outcome, codes, detail), the same for every retry of it. The row number alone was
 * used again after a restore from a backup (the rows after the backup's are numbered anew), so an
 * operator that drops a call it has seen would drop new reports as duplicates. */
static void progress_call_id(const progress_row *pr, char *out, size_t cap)
{
	char text[512];
	uint8_t d[ORSP_SHA256_LEN];
	int n = snprintf(text, sizeof(text), "%lld|%lld|%s|%s|%d|%d|%s|%s|%s", (long long)pr->id,
	                 (long long)pr->at, pr->iccid, pr->eid, pr->point, pr->success ? 1 : 0,
	                 pr->subject, pr->reason, pr->detail);

	if (n < 0 || (size_t)n >= sizeof(text) || orsp_sha256(text, (size_t)n, d) != ORSP_OK) {
		orsp_err_clear();
		memset(d, 0, sizeof(d));
	}
	snprintf(out, cap, "progress-%lld-%02x%02x%02x%02x", (long long)pr->id, d[0], d[1], d[2],
	         d[3]);
}

/* The operator's answer to a report (2xx), when it is JSON with the common header (SGP.22
 * JSON binding: a function that fails answers 200 with functionExecutionStatus Failed, one
 * without output that succeeds 204): ORSP_OK for an answer that is no such header (the report
 * was taken), else an error naming the status, its codes and message (printable ASCII only: it
 * goes to the log, cut at a NUL); *refused for Failed, which the same report would get again.
 * Read leniently: only the status and its codes are read, and a Failed with a \u0000 in its
 * message or a repeated key, valid JSON that the strict reader refuses, was taken for a
 * delivery. */
static orsp_err progress_answer(const orsp_http_result *r, bool *refused)
{
	json_t *o = NULL;
	orsp_json_status st;
	char msg[ORSP_JSON_MESSAGE_MAX];
	size_t i;

	if (!r->body_len || orsp_json_parse_lenient(r->body, r->body_len, 65536, &o) != ORSP_OK) {
		orsp_err_clear();
		return ORSP_OK;
	}
	if (orsp_json_header_get(o, &st) != ORSP_OK) {
		/* a Failed or Expired status the strict reader refuses (Failed without its
		 * statusCodeData) is still no execution */
		const char *v = json_string_value(json_object_get(
		    json_object_get(json_object_get(o, "header"), "functionExecutionStatus"),
		    "status"));
		memset(&st, 0, sizeof(st));
		st.status = v && !strcmp(v, "Failed")    ? ORSP_FES_FAILED
		            : v && !strcmp(v, "Expired") ? ORSP_FES_EXPIRED
		                                         : ORSP_FES_SUCCESS;
		orsp_err_clear();
	}
	json_decref(o);
	if (st.status == ORSP_FES_SUCCESS || st.status == ORSP_FES_WARNING)
		return ORSP_OK;
	for (i = 0; i < sizeof(msg) - 1 && st.message[i]; i++)
		msg[i] = st.message[i] >= 0x20 && st.message[i] < 0x7f ? st.message[i] : '?';
	msg[i] = '\0';
	*refused = st.status == ORSP_FES_FAILED;
	return orsp_errf(ORSP_E_STATE, "the operator answered %s%s%s%s%s%s%s",
	                 orsp_json_fes_str(st.status), st.has_status_code_data ? " " : "",
	                 st.subject_code, st.has_status_code_data ? "/" : "", st.reason_code,
	                 msg[0] ? ": " : "", msg);
}

/* POST one report; ORSP_OK when the operator answered 2xx without a Failed or Expired status
 * (progress_answer; *refused: Failed). A failure carries the statusCodeData it was queued
 * with (subjectCode, reasonCode, the detail as message). */
static orsp_err send_progress(orsp_smdp_server *srv, orsp_http_client *http, const progress_row *pr,
                              bool *refused)
{
	static const char *const none[] = {NULL};
	char url[600], ts[ORSP_UTC_TEXT_CAP], callid[48];
	json_t *o = json_object(), *h = json_object();
	orsp_json_status st = {0};
	char *body = NULL;
	size_t blen = 0;
	orsp_http_result r;
	orsp_err e;

	orsp_utc_text((time_t)pr->at, 'T', ts);
	progress_call_id(pr, callid, sizeof(callid));
	snprintf(url, sizeof(url), "%s/gsma/rsp2/es2plus/handleDownloadProgressInfo",
	         srv->c->callback_url);
	if (!o || !h) {
		json_decref(o);
		json_decref(h);
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	}
	json_object_set_new(h, "functionRequesterIdentifier", json_string(srv->c->svc.fqdn));
	json_object_set_new(h, "functionCallIdentifier", json_string(callid));
	json_object_set_new(o, "header", h);
	if (pr->eid[0])
		json_object_set_new(o, "eid", json_string(pr->eid));
	json_object_set_new(o, "iccid", json_string(pr->iccid));
	json_object_set_new(o, "profileType", json_string(pr->type));
	json_object_set_new(o, "timestamp", json_string(ts));
	json_object_set_new(o, "notificationPointId", json_integer(pr->point));
	/* a Failed report without its codes is refused here, never sent */
	st.status = pr->success ? ORSP_FES_SUCCESS : ORSP_FES_FAILED;
	if (!pr->success && pr->subject[0]) {
		st.has_status_code_data = true;
		snprintf(st.subject_code, sizeof(st.subject_code), "%s", pr->subject);
		snprintf(st.reason_code, sizeof(st.reason_code), "%s", pr->reason);
		snprintf(st.message, sizeof(st.message), "%s", pr->detail);
	}
	e = orsp_json_status_put(o, "notificationPointStatus", &st);
	if (!e && pr->result[0])
		json_object_set_new(o, "resultData", json_string(pr->result));
	if (!e)
		e = orsp_json_dump(o, &body, &blen);
	json_decref(o);
	if (e)
		return e;
	e = orsp_http_client_post_json(http, url, body, blen, none, &r);
	free(body);
	if (!e && (r.status < 200 || r.status > 299))
		e = orsp_errf(ORSP_E_IO, "%s: HTTP %ld", url, r.status);
	else if (!e)
		e = progress_answer(&r, refused);
	orsp_http_result_free(&r);
	return e;
}

/* How long a claim another process holds is its to send, counted from when this process
 * first saw it, on its own monotonic clock: far above one send's timeout (callback_timeout:
 * 5 s by default, ORSP_SMDP_CALLBACK_TIMEOUT_MAX at most). */
#define PROGRESS_LEASE_S SMDP_PROGRESS_LEASE_S
_Static_assert(2 * ORSP_SMDP_CALLBACK_TIMEOUT_MAX <= PROGRESS_LEASE_S,
               "a report's send ends well within its lease");

#define ROUND_MAX 20 /* reports a round takes at most */

/* The report on st's row (SMDP_PROGRESS_COLS). */
static void progress_read(orsp_stmt *st, progress_row *pr)
{
	pr->id = orsp_stmt_column_int64(st, 0);
	snprintf(pr->iccid, sizeof(pr->iccid), "%s", orsp_stmt_column_text(st, 1));
	snprintf(pr->eid, sizeof(pr->eid), "%s", orsp_stmt_column_text(st, 2));
	snprintf(pr->type, sizeof(pr->type), "%s", orsp_stmt_column_text(st, 3));
	pr->point = (int)orsp_stmt_column_int64(st, 4);
	pr->success = orsp_stmt_column_int64(st, 5) != 0;
	pr->at = orsp_stmt_column_int64(st, 6);
	pr->attempts = orsp_stmt_column_int64(st, 7);
	pr->next_at = orsp_stmt_column_int64(st, 8);
	snprintf(pr->subject, sizeof(pr->subject), "%s", orsp_stmt_column_text(st, 9));
	snprintf(pr->reason, sizeof(pr->reason), "%s", orsp_stmt_column_text(st, 10));
	snprintf(pr->detail, sizeof(pr->detail), "%s", orsp_stmt_column_text(st, 11));
	snprintf(pr->result, sizeof(pr->result), "%s", orsp_stmt_column_text(st, 12));
}

/* The first line of file into id[cap] when it is a 32-digit lowercase hex id (a machine-id)
 * or a UUID (the kernel's boot_id), else "". */
static void read_id(const char *file, char *id, size_t cap)
{
	FILE *f = fopen(file, "r");
	size_t n;

	id[0] = '\0';
	if (!f)
		return;
	if (fgets(id, (int)cap, f))
		id[strcspn(id, "\r\n")] = '\0';
	fclose(f);
	n = strlen(id);
	if (!((n == 32 || n == 36) && strspn(id, "0123456789abcdef-") == n))
		id[0] = '\0';
}

/* The name of this machine's clock, which next_by records with a retry time (sender_round):
 * /etc/machine-id's (systemd, dbus), else "boot:" and the kernel's boot_id, which every
 * container of the machine shares and keeps when it is made anew (its host name does not:
 * "host:" and it, the name until the diff review of session 77, changed with each new
 * container, and its retry times then waited as another clock's), else "host:" and the host's
 * name, else "". Processes on one machine share its clock: a retry time one of them wrote far
 * ahead of it was written before it was set back. Two machines that have one name (a cloned
 * machine-id) are taken for one clock, as every process was before migration 20; one whose
 * name changed (no machine-id, a reboot) waits at most SMDP_PROGRESS_FOREIGN_MAX_S more. */
static void clock_name(char *out, size_t cap)
{
	char id[SMDP_CLOCK_ID_MAX] = "";

	out[0] = '\0';
	read_id("/etc/machine-id", id, sizeof(id));
	if (strlen(id) == 32 && !strchr(id, '-')) {
		snprintf(out, cap, "%s", id);
		return;
	}
	read_id("/proc/sys/kernel/random/boot_id", id, sizeof(id));
	if (id[0]) {
		snprintf(out, cap, "boot:%.*s", (int)(cap > 6 ? cap - 6 : 0), id);
		return;
	}
	if (gethostname(id, sizeof(id) - 1) == 0) {
		id[sizeof(id) - 1] = '\0';
		snprintf(out, cap, "host:%.*s", (int)(cap > 6 ? cap - 6 : 0), id);
	}
}

/* This clock's name (next_by) into out, as clock_name found it or a test set it
 * (smdp_server_set_clock, under lock). */
static void clock_id_of(orsp_smdp_server *srv, char out[SMDP_CLOCK_ID_MAX])
{
	pthread_mutex_lock(&srv->lock);
	memcpy(out, srv->clock_id, SMDP_CLOCK_ID_MAX);
	pthread_mutex_unlock(&srv->lock);
}

/* A claim's token: random, positive, never 0 (no claim); 0 when none could be drawn. Put
 * among this process's (lease_mine) before the claim is written, so that no sender of this
 * process ever takes over a report another of them is sending, whatever the clocks do. */
static int64_t lease_new(orsp_smdp_server *srv)
{
	uint64_t r = 0;
	int64_t t;

	if (orsp_random(&r, sizeof(r))) {
		orsp_err_clear();
		return 0;
	}
	t = (int64_t)(r >> 1);
	if (!t)
		return 0;
	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(srv->lease_mine); i++)
		if (!srv->lease_mine[i]) {
			srv->lease_mine[i] = t;
			pthread_mutex_unlock(&srv->lock);
			return t;
		}
	pthread_mutex_unlock(&srv->lock);
	return 0; /* more senders than places: cannot be (callback_senders) */
}

/* The claim of token t ended (recorded or not): no longer this process's. */
static void lease_end(orsp_smdp_server *srv, int64_t t)
{
	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(srv->lease_mine); i++)
		if (srv->lease_mine[i] == t)
			srv->lease_mine[i] = 0;
	pthread_mutex_unlock(&srv->lock);
}

/* The claims on the database that this process's senders do not hold, each watched from when
 * this process first saw it (the same report with the same token): one seen held for
 * PROGRESS_LEASE_S is a stopped sender's (a process killed, or whose update failed) and is
 * returned in *id and *lease, to be taken over. A lease is never compared with a wall clock:
 * written on one process's and read on another's, the difference of the two clocks made a
 * fresh claim look run out (the taker ahead by more than the lease) and the taker's own claim
 * look run out to the first, so two such processes took a report from each other without end;
 * and a forward step of a process's clock during a send made another of its own senders take
 * the report again. A takeover writes a new token, which every other process watches anew:
 * at most one takeover per lease. False when none is due (or the query failed). */
static bool lease_run_out(orsp_smdp_server *srv, orsp_db *db, int64_t *id, int64_t *lease)
{
	struct lease_seen now_seen[LEASE_SEEN_MAX];
	size_t n = 0;
	orsp_stmt *st = NULL;
	bool row = false, found = false;
	double t;

	if (orsp_db_prepare(db, LEASES_SQL, &st)) {
		orsp_err_clear();
		return false;
	}
	while (n < LEASE_SEEN_MAX && orsp_stmt_step(st, &row) == ORSP_OK && row) {
		now_seen[n].id = orsp_stmt_column_int64(st, 0);
		now_seen[n].lease = orsp_stmt_column_int64(st, 1);
		n++;
	}
	orsp_stmt_finalize(st);
	orsp_err_clear();
	pthread_mutex_lock(&srv->lock);
	t = now_ms() + srv->lease_ms_add;
	for (size_t i = 0; i < n; i++) {
		now_seen[i].since_ms = t;
		for (size_t j = 0; j < srv->n_lease_seen; j++)
			if (srv->lease_seen[j].id == now_seen[i].id &&
			    srv->lease_seen[j].lease == now_seen[i].lease)
				now_seen[i].since_ms = srv->lease_seen[j].since_ms;
		for (size_t j = 0; j < ORSP_ARRAY_LEN(srv->lease_mine); j++)
			if (srv->lease_mine[j] && srv->lease_mine[j] == now_seen[i].lease)
				now_seen[i].since_ms = t; /* ours: never run out */
		if (!found && t - now_seen[i].since_ms >= 1000.0 * PROGRESS_LEASE_S) {
			*id = now_seen[i].id;
			*lease = now_seen[i].lease;
			found = true;
		}
	}
	/* the claims no longer seen are forgotten: a token comes back only by a new claim */
	memcpy(srv->lease_seen, now_seen, n * sizeof(now_seen[0]));
	srv->n_lease_seen = n;
	pthread_mutex_unlock(&srv->lock);
	return found;
}

/* A report claimed with a new token of this process (*mine, lease_new), read into *pr: the
 * first report due (SMDP_SQL_NEXT_REPORT; *queries counts the query) or, when take_over, a
 * claim another process has held for PROGRESS_LEASE_S (lease_run_out). 1 when claimed; 0 when
 * none is due (or the query failed); -1 when one was found but the claim not written
 * (another sender took it first, a full disk): *mine is then 0. */
static int progress_claim(orsp_smdp_server *srv, orsp_smdp *s, bool take_over,
                          atomic_ullong *queries, progress_row *pr, int64_t *mine)
{
	orsp_db *db = orsp_smdp_db(s);
	orsp_stmt *st = NULL;
	bool row = false;
	int64_t now = orsp_smdp_now(s), id = 0, old = 0;
	char clock_id[SMDP_CLOCK_ID_MAX];
	orsp_err e;

	*mine = 0;
	if (take_over && lease_run_out(srv, db, &id, &old)) {
		e = orsp_db_prepare(db, SMDP_PROGRESS_COLS " WHERE id = ?1", &st);
		if (!e)
			e = orsp_stmt_bind_int64(st, 1, id);
	} else {
		clock_id_of(srv, clock_id);
		(*queries)++;
		e = orsp_db_prepare(db, SMDP_SQL_NEXT_REPORT, &st);
		if (!e)
			e = orsp_stmt_bind_int64(st, 1, now);
		/* a retry time further ahead, written on this clock, was written before it was set
		 * back: due now */
		if (!e)
			e = orsp_stmt_bind_int64(st, 2, now + SMDP_PROGRESS_AHEAD_MAX_S);
		if (!e)
			e = orsp_stmt_bind_text(st, 3, clock_id);
	}
	if (!e)
		e = orsp_stmt_step(st, &row);
	if (!e && row)
		progress_read(st, pr);
	orsp_stmt_finalize(st);
	st = NULL;
	if (e || !row) {
		orsp_err_clear();
		return 0;
	}
	if (!(*mine = lease_new(srv)))
		return -1;
	/* claim it (another server process may share the database): as read, a retry time
	 * (next_at) or, taken over, the lease seen run out */
	e = orsp_db_prepare(
	    db,
	    "UPDATE smdp_progress SET next_at = " SMDP_PROGRESS_CLAIMED_SQL
	    ", lease = ?1 WHERE id = ?2 AND done = 0 AND next_at = ?3 AND lease = ?4",
	    &st);
	if (!e)
		e = orsp_stmt_bind_int64(st, 1, *mine);
	if (!e)
		e = orsp_stmt_bind_int64(st, 2, pr->id);
	if (!e)
		e = orsp_stmt_bind_int64(st, 3, pr->next_at);
	if (!e)
		e = orsp_stmt_bind_int64(st, 4, old);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	if (e || orsp_db_changes(db) != 1) {
		orsp_err_clear();
		lease_end(srv, *mine);
		*mine = 0;
		return -1;
	}
	if (old)
		orsp_log_line("openrsp smdp: progress report %lld (ICCID %s, point %d) taken over: "
		              "its sender held it %d s without an answer (stopped?)",
		              (long long)pr->id, pr->iccid, pr->point, PROGRESS_LEASE_S);
	return 1;
}

/* Up to ROUND_MAX reports, ending early once now_ms() reaches deadline_ms (checked before
 * each send; one send takes at most its client's 5 s): order expiry and the session sweep
 * are due then, however slow the operator's endpoint. True when it sent ROUND_MAX: more may
 * be due, and the next round comes at once (a pause after each round held a backlog, 200,000
 * orders expiring together, to 100 reports a second, and newer reports waited behind it).
 * Only reports claimed and sent count: a claim that fails (a full disk) leaves the report
 * due, and rounds of such claims one after another took a core. Each next-report query is
 * counted in *queries (/metrics). The first claim of a round may be a lease another process
 * left (lease_run_out). */
static bool sender_round(orsp_smdp_server *srv, orsp_smdp *s, orsp_http_client *http,
                         double deadline_ms, atomic_ullong *queries)
{
	orsp_db *db = orsp_smdp_db(s);
	orsp_stmt *st = NULL;
	orsp_err e;

	int sent = 0;

	for (int n = 0; n < ROUND_MAX && !srv->stopping && now_ms() < deadline_ms; n++) {
		progress_row pr;
		char why[512]; /* a failed send's detail, for the line logged after the update */
		char clock_id[SMDP_CLOCK_ID_MAX];
		bool recorded, refused;
		int64_t lease = 0;

		int got = progress_claim(srv, s, n == 0, queries, &pr, &lease);

		if (got < 0)
			continue;
		if (!got)
			return false;
		refused = false;
		sent++;
		/* more may be due: an idle sender looks while this one sends */
		reports_wake(srv);
		e = send_progress(srv, http, &pr, &refused);
		pr.attempts++;
		snprintf(why, sizeof(why), "%s", e ? orsp_err_detail() : "");
		orsp_err_clear();
		/* only while the claim is still ours (its token): a process that took the report
		 * over (lease_run_out) decides for it */
		recorded = false;
		clock_id_of(srv, clock_id);
		if (orsp_db_prepare(
		        db,
		        "UPDATE smdp_progress SET attempts = ?1, done = ?2, next_at = ?3,"
		        " lease = 0, next_by = ?6 WHERE id = ?4 AND lease = ?5 AND done = 0",
		        &st) == ORSP_OK) {
			int64_t backoff = pr.attempts >= 8 ? SMDP_PROGRESS_BACKOFF_MAX_S
			                                   : (int64_t)1 << pr.attempts;
			/* an answer Failed would come again: given up at once */
			int done = !e ? 1 : refused || pr.attempts >= PROGRESS_MAX_ATTEMPTS ? 2 : 0;
			if (orsp_stmt_bind_int64(st, 1, pr.attempts) ||
			    orsp_stmt_bind_int64(st, 2, done) ||
			    /* the wait counts from the attempt's end: from its start, a send
			     * that took its 5 s timeout had used up the first waits, and the
			     * next attempts came back to back. In whole seconds: due from
			     * backoff - 1 s after the end on (docs/smdp-server.md says "about");
			     * on this clock, named in next_by */
			    orsp_stmt_bind_int64(st, 3, orsp_smdp_now(s) + (e ? backoff : 0)) ||
			    orsp_stmt_bind_int64(st, 4, pr.id) ||
			    orsp_stmt_bind_int64(st, 5, lease) ||
			    orsp_stmt_bind_text(st, 6, clock_id) || orsp_stmt_run(st))
				orsp_err_clear();
			else
				recorded = orsp_db_changes(db) == 1;
		}
		orsp_err_clear();
		orsp_stmt_finalize(st);
		st = NULL;
		lease_end(srv, lease);
		/* the last attempt's line says the report is given up (done = 2 above), so the
		 * operator's staff learn it from the log, not only from /metrics; only once that is
		 * recorded: a report another process took over, or whose update failed, is live */
		if (e && recorded && refused)
			orsp_log_line(
			    "openrsp smdp: progress report %lld (ICCID %s, point %d) refused "
			    "(attempt %lld): %s; given up, not sent again (`openrsp smdp reports` "
			    "lists it)",
			    (long long)pr.id, pr.iccid, pr.point, (long long)pr.attempts, why);
		else if (e && recorded && pr.attempts >= PROGRESS_MAX_ATTEMPTS)
			orsp_log_line(
			    "openrsp smdp: progress report %lld (ICCID %s, point %d) not delivered "
			    "(attempt %lld of %d): %s; given up, not sent again (`openrsp smdp "
			    "reports` lists it)",
			    (long long)pr.id, pr.iccid, pr.point, (long long)pr.attempts,
			    PROGRESS_MAX_ATTEMPTS, why);
		else if (e)
			orsp_log_line(
			    "openrsp smdp: progress report %lld (ICCID %s, point %d) not delivered "
			    "(attempt %lld): %s",
			    (long long)pr.id, pr.iccid, pr.point, (long long)pr.attempts, why);
		/* delivered: said so only once recorded; one whose update failed or matched no
		 * row (another process took it over) is live and goes again after its lease, so
		 * the operator may get it twice (the same functionCallIdentifier), and its line
		 * says so, where each send said "delivered" */
		if (!e && recorded)
			orsp_log_line(
			    "openrsp smdp: progress report %lld (ICCID %s, point %d) delivered",
			    (long long)pr.id, pr.iccid, pr.point);
		else if (!e)
			orsp_log_line(
			    "openrsp smdp: progress report %lld (ICCID %s, point %d) delivered, "
			    "but not recorded so: it may be sent again",
			    (long long)pr.id, pr.iccid, pr.point);
	}
	return sent == ROUND_MAX;
}

/* Until now_ms() reaches until_ms, or at once when the server stops (the stop signals cond
 * under lock after setting stopping, so the wake-up cannot come between the check and the
 * wait); with wakes, also when *wakes is not 0, taking one (reports_wake). */
static void wait_on(orsp_smdp_server *srv, pthread_cond_t *cond, double until_ms, unsigned *wakes)
{
	pthread_mutex_lock(&srv->lock);
	for (double now = now_ms(); !srv->stopping && now < until_ms && !(wakes && *wakes);
	     now = now_ms()) {
		struct timespec ts;
		int64_t left_ns = (int64_t)((until_ms - now) * 1e6);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(left_ns / 1000000000);
		ts.tv_nsec += (long)(left_ns % 1000000000);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(cond, &srv->lock, &ts);
	}
	if (wakes && *wakes)
		(*wakes)--;
	pthread_mutex_unlock(&srv->lock);
}

static void sender_wait(orsp_smdp_server *srv, double until_ms)
{
	wait_on(srv, &srv->wake, until_ms, NULL);
}

/* A pause between two batches of order expiry (the write lock released), so that writers
 * waiting for it get it: those of this process are woken at once, those of other processes
 * poll in SQLite's busy handler, at most 100 ms apart. */
#define EXPIRE_PAUSE_MS 50

static bool expire_pause(void *arg)
{
	orsp_smdp_server *srv = arg;

	sender_wait(srv, now_ms() + EXPIRE_PAUSE_MS);
	return !srv->stopping;
}

/* Open orders past their expiry become Unavailable (orsp_smdp_expire_with, batches of 1000
 * with a pause between them; a stop ends it after the batch in progress): an expired order
 * can no longer be downloaded anyway, and it must not stay Released, where the default
 * SM-DP+ case and /metrics would still see it. */
static void expire_round(orsp_smdp_server *srv)
{
	size_t n = 0;
	uint64_t queued = smdp_progress_queued(srv->sender_db);

	if (orsp_smdp_expire_with(srv->sender_db, 0, expire_pause, srv, &n) != ORSP_OK) {
		orsp_log_line("openrsp smdp: order expiry: %s", orsp_err_detail());
		orsp_err_clear();
	}
	if (n) /* also those of the batches committed before a failure */
		orsp_log_line("openrsp smdp: %zu order(s) expired", n);
	/* their reports (a batch that rolled back wakes a sender for nothing) */
	if (smdp_progress_queued(srv->sender_db) != queued)
		reports_wake(srv);
}

/* ES9+ sessions no request can use any more are deleted (orsp_es9p_sweep), and so are the
 * ES2+ calls older than es2_call_days (orsp_smdp_call_prune), in batches of SWEEP_BATCH
 * rows, each its own short write transaction, so that a large backlog (a database from
 * before the sweep, or a flood of sessions or orders) does not hold the write lock for long;
 * at most SWEEP_BATCHES per round, the rest in the next rounds. */
#define SWEEP_BATCH 1000
#define SWEEP_BATCHES 10
typedef orsp_err (*sweep_fn)(orsp_smdp_server *srv, size_t max, size_t *deleted);

/* The rows fn deleted in this round's batches; a failure is logged, what (e.g. "session
 * sweep") naming the sweep, and ends the round. */
static size_t sweep_batches(orsp_smdp_server *srv, sweep_fn fn, const char *what)
{
	size_t n = 0, total = 0;

	for (int i = 0; i < SWEEP_BATCHES && !srv->stopping; i++) {
		if (fn(srv, SWEEP_BATCH, &n) != ORSP_OK) {
			orsp_log_line("openrsp smdp: %s: %s", what, orsp_err_detail());
			orsp_err_clear();
			break;
		}
		total += n;
		if (n < SWEEP_BATCH)
			break;
	}
	return total;
}

static orsp_err sweep_sessions(orsp_smdp_server *srv, size_t max, size_t *deleted)
{
	return orsp_es9p_sweep(&srv->c->svc, srv->sender_db, max, deleted);
}

static unsigned call_days(const orsp_smdp_server *srv)
{
	return srv->c->es2_call_days ? srv->c->es2_call_days : ORSP_SMDP_CALL_DAYS_DEFAULT;
}

static orsp_err sweep_calls(orsp_smdp_server *srv, size_t max, size_t *deleted)
{
	return orsp_smdp_call_prune(srv->sender_db, (int64_t)call_days(srv) * 86400, max, deleted);
}

static void sweep_round(orsp_smdp_server *srv)
{
	size_t n = sweep_batches(srv, sweep_sessions, "session sweep");

	if (n)
		orsp_log_line("openrsp smdp: %zu ES9+ session(s) deleted", n);
	/* a call deleted is no longer a replay: sent again, it places a new order */
	n = sweep_batches(srv, sweep_calls, "ES2+ call pruning");
	if (n)
		orsp_log_line(
		    "openrsp smdp: %zu ES2+ call(s) older than %u days deleted (no longer "
		    "replays)",
		    n, call_days(srv));
}

/* A file of the configuration as its user is given it: the PEM text the loader read and
 * checked (*pem), or the path (*file) in a configuration filled in without the loader;
 * neither when the path is not set. */
static void pem_or_file(const char *path, const char *text, const char **pem, const char **file)
{
	*pem = path[0] ? text : NULL;
	*file = path[0] && !text ? path : NULL;
}

/* crl_reload: when one of the `crl` files changed since its CRLs were put in force (or since
 * a reading failed), all of them are read again into a new store, bound to the CIs, and put in
 * force at once (orsp_crl_store_swap); a reading that fails leaves the CRLs in force as they
 * are and says why. The requests go on meanwhile. */
static void crl_round(orsp_smdp_server *srv)
{
	const orsp_smdp_config *c = srv->c;
	size_t n = c->n_crl_files;
	orsp_smdp_crl_file *now = calloc(n, sizeof(*now));
	orsp_crl_store *fresh = NULL;
	/* changed since the CRLs in force were read; and since the last reading that failed */
	bool changed = false, retry = !srv->crl_failed_set;
	orsp_err e;

	if (!now)
		return;
	/* said once when one of the CRLs in force passes its nextUpdate while the server runs */
	if (!srv->crl_stale_said)
		srv->crl_stale_said = orsp_smdp_crl_warn_stale(c);
	for (size_t i = 0; i < n; i++) {
		snprintf(now[i].path, sizeof(now[i].path), "%s", c->crl_files[i].path);
		orsp_smdp_crl_file_id(now[i].path, &now[i]);
		changed |= !orsp_smdp_crl_file_same(&now[i], &srv->crl_in_force[i]);
		if (srv->crl_failed_set)
			retry |= !orsp_smdp_crl_file_same(&now[i], &srv->crl_failed[i]);
	}
	if (!changed || !retry) {
		free(now);
		return;
	}
	e = orsp_crl_store_new(&fresh);
	for (size_t i = 0; !e && i < n; i++)
		e = orsp_crl_store_add_file(fresh, now[i].path);
	if (!e)
		e = orsp_smdp_crl_bind(c, fresh, srv->es2_cas, srv->n_es2_cas);
	if (!e)
		e = orsp_crl_store_swap(c->svc.crls, fresh);
	if (e) {
		orsp_log_line(
		    "openrsp smdp: crl: the changed CRL files are not in force (the CRLs read "
		    "before stay so until they are read whole): %s",
		    orsp_err_detail());
		orsp_err_clear();
		memcpy(srv->crl_failed, now, n * sizeof(*now));
		srv->crl_failed_set = true;
		srv->crl_reloads_failed++;
	} else {
		memcpy(srv->crl_in_force, now, n * sizeof(*now));
		srv->crl_failed_set = false;
		srv->crl_reloads_ok++;
		orsp_smdp_crl_print(c, stderr, "openrsp smdp: crl reloaded: ");
		srv->crl_stale_said = orsp_smdp_crl_warn_stale(c);
		(void)orsp_smdp_crl_warn_own(c);
		(void)orsp_smdp_crl_warn_es2_anchor(c);
	}
	orsp_crl_store_free(fresh); /* the CRLs that were in force, or the new ones refused */
	free(now);
}

/* The client a sender posts its reports with: the operator's CA, the SM-DP+'s own client
 * certificate when the operator asks for one, callback_timeout. ORSP_OK or the failure. */
static orsp_err sender_http_new(orsp_smdp_server *srv, orsp_http_client **http)
{
	orsp_http_client_opts o = {0};

	/* the bytes checked at load, not the files read again */
	pem_or_file(srv->c->callback_ca, srv->c->callback_ca_pem, &o.ca_pem, &o.ca_file);
	pem_or_file(srv->c->callback_cert, srv->c->callback_cert_pem, &o.client_cert_pem,
	            &o.client_cert_file);
	pem_or_file(srv->c->callback_key, srv->c->callback_key_pem, &o.client_key_pem,
	            &o.client_key_file);
	o.timeout_ms = 1000u * (srv->c->callback_timeout_s ? srv->c->callback_timeout_s
	                                                   : ORSP_SMDP_CALLBACK_TIMEOUT_DEFAULT);
	return orsp_http_client_new(&o, http);
}

/* The progress report senders of one process (`callback_senders`; 0: the default) */
static unsigned sender_count(const orsp_smdp_config *c)
{
	unsigned n = c->callback_senders ? c->callback_senders : ORSP_SMDP_CALLBACK_SENDERS_DEFAULT;
	return n < ORSP_SMDP_CALLBACK_SENDERS_MAX ? n : ORSP_SMDP_CALLBACK_SENDERS_MAX;
}

/* The background thread: order expiry, the session sweep and the ES2+ call pruning at start
 * and then every c->housekeeping_s seconds (default EXPIRE_EVERY_S) on the monotonic clock,
 * and the progress reports every 200 ms when a callback URL is configured, in rounds that end
 * when the next expiry is due (so a slow operator endpoint delays it by one send at most),
 * beside the callback_senders - 1 threads that only send them (sender_extra_main). In
 * between it waits, until the next of these is due (without a callback URL, the next expiry)
 * or the server stops. */
#define EXPIRE_EVERY_S 30
static void *sender_main(void *arg)
{
	orsp_smdp_server *srv = arg;
	orsp_http_client *http = NULL;
	double every_ms =
	    1000.0 * (srv->c->housekeeping_s ? srv->c->housekeeping_s : EXPIRE_EVERY_S);
	double next_ms = now_ms(), until_ms;
	bool more;
	double crl_every_ms = 1000.0 * srv->c->crl_reload_s, crl_next_ms = now_ms() + crl_every_ms;
	bool crl_watch = crl_every_ms > 0 && srv->c->n_crl_files > 0 && srv->crl_in_force;

	if (srv->c->callback_url[0] && sender_http_new(srv, &http)) {
		orsp_log_line("openrsp smdp: progress reports disabled: %s", orsp_err_detail());
		orsp_err_clear();
	}
	while (!srv->stopping) {
		if (now_ms() >= next_ms) {
			expire_round(srv);
			sweep_round(srv);
			next_ms = now_ms() + every_ms;
		}
		if (crl_watch && now_ms() >= crl_next_ms) {
			crl_round(srv);
			crl_next_ms = now_ms() + crl_every_ms;
		}
		more = http &&
		       sender_round(srv, srv->sender_db, http, next_ms, &srv->report_queries_bg);
		until_ms = next_ms;
		if (http && now_ms() + 200 < until_ms)
			until_ms = more ? now_ms() : now_ms() + 200;
		if (crl_watch && crl_next_ms < until_ms)
			until_ms = crl_next_ms;
		/* refused requests' lines held in a window now over said, should no request
		 * line come to say them; a window that holds some now is said once over */
		refused_log_flush(srv, false);
		if (atomic_load(&srv->rl.pending)) {
			pthread_mutex_lock(&srv->rl.lock);
			if (srv->rl.open && srv->rl.since_ms + srv->rl.window_ms < until_ms)
				until_ms = srv->rl.since_ms + srv->rl.window_ms;
			pthread_mutex_unlock(&srv->rl.lock);
		}
		sender_wait(srv, until_ms);
	}
	orsp_http_client_free(http);
	return NULL;
}

/* How long one of the callback_senders - 1 threads waits, with nothing due, before it looks
 * again unwoken: for reports queued by other processes on the database while the background
 * thread (which looks every 200 ms and wakes the others once it claims one) is held up in a
 * send. */
#define EXTRA_IDLE_MS 5000

/* One of the callback_senders - 1 threads beside the background thread: only progress
 * reports, in rounds with no deadline, the next at once after a full round; else it waits
 * until woken (reports_wake: a report queued by this process, or claimed by another sender,
 * more perhaps due), EXTRA_IDLE_MS at most, or the stop. Until session 76 each looked every
 * 200 ms, idle or not: 15 queries a second per idle process with the default 4 senders.
 * Each sends one report at a time, so a send that hangs until callback_timeout holds up only
 * its own thread; the claim (sender_round) keeps two senders from taking one report, and the
 * next report's query keeps the reports of one ICCID in order. */
static void *sender_extra_main(void *arg)
{
	struct extra_sender *x = arg;
	orsp_smdp_server *srv = x->srv;
	orsp_http_client *http = NULL;

	/* the background thread's client is built the same way and says its failure */
	if (sender_http_new(srv, &http)) {
		orsp_err_clear();
		return NULL;
	}
	while (!srv->stopping) {
		if (!sender_round(srv, x->db, http, DBL_MAX, &srv->report_queries_others))
			wait_on(srv, &srv->reports_due, now_ms() + EXTRA_IDLE_MS,
			        &srv->report_wakes);
	}
	orsp_http_client_free(http);
	return NULL;
}

/* The DPtls key in a PKCS#11 token signs the handshake's digest (orsp_http_key_sign_fn). */
static orsp_err tls_token_sign(void *ctx, const uint8_t digest[32], uint8_t *der, size_t cap,
                               size_t *der_len)
{
	uint8_t sig[ORSP_EC_SIG_LEN];
	orsp_err e = orsp_ecdsa_sign_digest(ctx, digest, 32, sig);

	return e ? e : orsp_ecdsa_sig_to_der(sig, der, cap, der_len);
}

orsp_err orsp_smdp_shared_port_check(const orsp_smdp_config *c)
{
	bool served = false, tables = false, v6;
	char where[sizeof(c->listen) + 96];
	orsp_db *probe = NULL;
	orsp_err e;

	if (!c)
		return orsp_errf(ORSP_E_USAGE, "smdp shared port check: missing arguments");
	/* without reuse_port a port in use is refused by the bind */
	if (!c->reuse_port || orsp_http_port_served(c->listen, c->port, &served) || !served) {
		orsp_err_clear();
		return ORSP_OK;
	}
	/* read-only: no -wal or -shm made (serve --check) */
	e = orsp_db_open_ex(c->database, ORSP_DB_OPEN_READONLY, &probe);
	if (!e)
		e = orsp_db_has_tables(probe, &tables);
	orsp_db_close(probe);
	/* what else is wrong with the database the start says (the same for --check) */
	if (e && e != ORSP_E_NOT_FOUND) {
		orsp_err_clear();
		return ORSP_OK;
	}
	v6 = strchr(c->listen, ':') != NULL;
	snprintf(where, sizeof(where),
	         "another process serves %s%s%s:%u already (reuse_port = yes shares the port)",
	         v6 ? "[" : "", c->listen, v6 ? "]" : "", (unsigned)c->port);
	if (!tables)
		return orsp_errf(
		    ORSP_E_STATE,
		    "%s, and the database %s %s: this start would create a new, empty inventory "
		    "(and "
		    "its KEK file) beside the one that process serves, and the kernel would deal "
		    "the devices' connections and the ES2+ calls between the two. A rolling "
		    "restart takes the running server's database: check `database` in the "
		    "configuration; to create a new inventory, stop the other server first or give "
		    "this one another port",
		    where, c->database, e ? "does not exist" : "holds no table");
	/* an existing inventory that no process has open: not the one served there (its
	 * servers hold it open for their life); -1, not known (no /proc/locks), goes on */
	if (orsp_db_file_user(c->database) == 0)
		return orsp_errf(
		    ORSP_E_STATE,
		    "%s, but no other process has the database %s open: that process serves "
		    "another "
		    "database, and the kernel would deal the devices' connections and the ES2+ "
		    "calls between the two inventories. A rolling restart takes the running "
		    "server's database: check `database` in the configuration, or stop the other "
		    "server first, or give this one another port",
		    where, c->database);
	orsp_err_clear();
	return ORSP_OK;
}

/* orsp_http_server_config.fd_reserve of the SM-DP+ (orsp_smdp_server_start) */
#define SMDP_FD_RESERVE 64u

orsp_err orsp_smdp_server_start(const orsp_smdp_config *c, orsp_smdp_server **out)
{
	static const char *const es9[] = {"initiateAuthentication", "authenticateClient",
	                                  "getBoundProfilePackage", "handleNotification",
	                                  "cancelSession"};
	static const char *const es2[] = {"downloadOrder", "confirmOrder", "cancelOrder",
	                                  "releaseProfile"};
	orsp_http_server_config hc = {0};
	orsp_smdp_server *srv;
	orsp_secret kek = {0};
	size_t n = 0, others_pending = 0;
	orsp_err e;
	bool kek_made = false;

	if (!c || !out)
		return orsp_errf(ORSP_E_USAGE, "smdp server: bad arguments");
	*out = NULL;
	/* its keys in a token were not loaded: the first download would sign with none; nor its
	 * CRLs (ORSP_SMDP_CONFIG_MAINTENANCE): a revoked eUICC would be served */
	if (c->mode != ORSP_SMDP_CONFIG_ALL)
		return orsp_errf(
		    ORSP_E_USAGE,
		    "smdp server: the configuration was loaded without its keys in a "
		    "token or its CRLs (ORSP_SMDP_CONFIG_NO_TOKEN_KEYS or _MAINTENANCE): "
		    "load it whole to serve");
	/* its lines say who lost log lines, as the others do */
	orsp_log_set_program("openrsp smdp");
	/* A start that fails after the database was opened leaves the new files: removing them
	 * could remove what another process, starting on the same database at the same moment,
	 * has opened and goes on using; the next start takes them (a port in use is found
	 * before, below) */
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	srv->c = c;
	/* the crypto share of the CPU time, for /metrics (two clock reads per operation) */
	orsp_crypto_account(true);
	pthread_mutex_init(&srv->lock, NULL);
	pthread_mutex_init(&srv->rl.lock, NULL);
	srv->rl.window_ms = REFUSED_LOG_WINDOW_MS;
	clock_name(srv->clock_id, sizeof(srv->clock_id));
	pthread_mutex_init(&srv->mlock, NULL);
	pthread_cond_init(&srv->m_read_once, NULL);
	pthread_cond_init(&srv->m_wanted, NULL);
	pthread_mutex_init(&srv->plock, NULL);
	pthread_cond_init(&srv->p_wanted, NULL);
	orsp_cond_init_monotonic(&srv->p_ended); /* probe_failed's deadline */
	srv->p_bad = -1;
	/* both on CLOCK_MONOTONIC, as take_within's and sender_wait's deadlines */
	orsp_cond_init_monotonic(&srv->freed);
	orsp_cond_init_monotonic(&srv->wake);
	orsp_cond_init_monotonic(&srv->reports_due);
	srv->n_extra = c->callback_url[0] ? sender_count(c) - 1 : 0;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(es9); i++, n++) {
		snprintf(srv->paths[n], sizeof(srv->paths[n]), "/gsma/rsp2/es9plus/%s", es9[i]);
		srv->routes[n] = (orsp_http_route){"POST", srv->paths[n], on_es9p, srv};
	}
	for (size_t i = 0; i < ORSP_ARRAY_LEN(es2); i++, n++) {
		snprintf(srv->paths[n], sizeof(srv->paths[n]), "/gsma/rsp2/es2plus/%s", es2[i]);
		srv->routes[n] = (orsp_http_route){"POST", srv->paths[n], on_es2p, srv};
	}
	srv->routes[n++] = (orsp_http_route){"GET", "/metrics", on_metrics, srv};
	srv->routes[n++] = (orsp_http_route){"GET", "/health", on_health, srv};
	hc.address = c->listen;
	hc.port = c->port;
	hc.reuse_port = c->reuse_port;
	hc.routes = srv->routes;
	hc.n_routes = n;
	hc.max_body = c->svc.max_body ? c->svc.max_body : 256 * 1024;
	hc.timeout_s = c->timeout_s;
	hc.request_timeout_ms = c->request_timeout_s * 1000u;
	hc.max_connections_per_ip = c->max_connections_per_ip;
	hc.trusted_proxies = c->trusted_proxies;
	hc.n_trusted_proxies = c->n_trusted_proxies;
	hc.idle_reset_ms = c->idle_reset_ms;
	hc.threads = c->threads;
	/* Descriptors besides the connections and the HTTP server's own: the standard streams
	 * (3), three SQLite connections, the pool's, the sender's and /metrics' read-only one
	 * (metrics_db), each with the database file and its -wal, and the -shm they share,
	 * SQLite's descriptor and the VFS's (8), files read now and then (the KEK, a CRL,
	 * /proc/locks: 4), the sender's progress report (a socket, a name lookup's and libcurl's:
	 * 4), a PKCS#11 module's (a dozen) and GnuTLS's: about 32 (31), doubled for margin; and
	 * as much, doubled, for each other progress report sender (callback_senders; their
	 * database handles share the sender's connection) */
	hc.fd_reserve = SMDP_FD_RESERVE + (c->callback_url[0] ? 8u * (sender_count(c) - 1) : 0);
	if (!c->plain_http) {
		/* the bytes the loader checked; the path (a file the server must find) else */
		hc.cert_pem = c->tls_cert[0] ? c->tls_cert_pem : NULL;
		hc.cert_file = hc.cert_pem ? NULL : c->tls_cert;
		if (c->tls_token_key) {
			hc.key_sign = tls_token_sign;
			hc.key_sign_ctx = c->tls_token_key;
		} else {
			hc.key_pem = c->tls_key[0] ? c->tls_key_pem : NULL;
			hc.key_file = hc.key_pem ? NULL : c->tls_key;
		}
	}
	pem_or_file(c->es2_client_ca, c->es2_client_ca_pem, &hc.client_ca_pem, &hc.client_ca_file);
	/* the operator CAs of those bytes, and their CRLs verified under them, as the loader did
	 * (again here for a configuration filled in by other means) */
	e = orsp_smdp_es2_client_cas(c, &srv->es2_cas, &srv->n_es2_cas);
	if (!e && c->svc.crls && srv->n_es2_cas)
		e = orsp_crl_store_bind_client_cas(c->svc.crls, srv->es2_cas, srv->n_es2_cas, NULL);
	if (e)
		goto fail;
	hc.on_request = unhandled;
	hc.hook_ctx = srv;
	/* The listening socket is bound before the database is opened, and listens once it is
	 * ready: a port in use (a start beside a running server) stops the start before the
	 * database is created or migrated, or its KEK file made. */
	hc.paused = true;
	e = orsp_http_server_start(&hc, &srv->http);
	/* with reuse_port: another server on the port, of another inventory (a typo in
	 * `database`), found while this one's socket is bound but accepts nothing yet */
	if (!e)
		e = orsp_smdp_shared_port_check(c);
	/* a database this user may not read and write (root made it): said with its owner and
	 * mode; one it may only read was served, every write failing (until session 73) */
	if (!e)
		e = orsp_db_access_check(c->database, ORSP_DB_OPEN_EXISTING);
	if (e)
		goto fail;
	e = orsp_smdp_config_kek_missing(
	    c, orsp_kek_load_for_db_ex(c->database, c->kek_file, &kek, &kek_made));
	srv->n_pool = c->threads ? (c->threads < POOL_MAX ? c->threads : POOL_MAX) : 4;
	for (size_t i = 0; !e && i < srv->n_pool; i++) {
		/* one connection, its handles taking turns (store.h, orsp_db_open_view) */
		e = i == 0 ? orsp_smdp_open(c->database, &kek, &srv->pool[0])
		           : orsp_smdp_open_view(srv->pool[0], &srv->pool[i]);
		if (!e && i == 0)
			e = orsp_es9p_prepare(srv->pool[0]);
		if (!e)
			e = orsp_db_set_busy_timeout(orsp_smdp_db(srv->pool[i]), 5000);
		if (!e)
			orsp_smdp_set_progress(srv->pool[i], c->callback_url[0] != '\0');
	}
	/* once the pool's open made and migrated the database, and made its -wal and -shm */
	if (!e)
		metrics_db_open(srv, &kek);
	/* the figures' reader: with metrics_cache 0 every scrape reads */
	if (!e && c->metrics_cache_s) {
		if (pthread_create(&srv->figures_reader, NULL, figures_main, srv) != 0)
			e = orsp_errf(ORSP_E_RESOURCE, "cannot start the /metrics figures' reader");
		else
			srv->figures_reader_running = true;
	}
	/* the sender's connection, with the KEK of this one load (ORSP_KEK may be read only
	 * once, orsp_kek_env_once: `smdp serve`) */
	if (!e)
		e = orsp_smdp_open(c->database, &kek, &srv->sender_db);
	orsp_secret_wipe(&kek);
	/* the open checked the KEK; what the senders and the rounds do with the handle (progress
	 * reports, order expiry, the ES9+ and call sweeps) unwraps nothing: the handle and its
	 * views below hold none (one raw copy of the KEK fewer in memory) */
	smdp_drop_kek(srv->sender_db);
	if (e)
		goto fail;
	/* /health's probe of the keys in a token (none for keys in files), there before the
	 * first health check */
	token_keys(srv, c);
	if (srv->n_tkeys) {
		if (pthread_create(&srv->prober, NULL, probe_main, srv) != 0) {
			e = orsp_errf(ORSP_E_RESOURCE,
			              "cannot start the signing key probe of /health");
			goto fail;
		}
		srv->prober_running = true;
	}
	/* accepting only once the database is ready (the port was bound above) */
	e = orsp_http_server_listen(srv->http);
	if (e)
		goto fail;
	{
		orsp_smdp_set_progress(srv->sender_db, c->callback_url[0] != '\0');
		/* counted before the sender thread starts: the connection is its own after */
		if (!e && !c->callback_url[0]) {
			size_t given_up = 0;
			if (orsp_smdp_count_undelivered(srv->sender_db, &others_pending, &given_up))
				orsp_err_clear();
		}
		/* what the `crl` files were when the configuration read them */
		if (!e && c->n_crl_files && c->svc.crls) {
			srv->crl_in_force = calloc(c->n_crl_files, sizeof(*srv->crl_in_force));
			srv->crl_failed = calloc(c->n_crl_files, sizeof(*srv->crl_failed));
			if (!srv->crl_in_force || !srv->crl_failed)
				e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			else
				memcpy(srv->crl_in_force, c->crl_files,
				       c->n_crl_files * sizeof(*c->crl_files));
			/* orsp_smdp_config_warn says it below, if so */
			time_t next = orsp_crl_store_next_update(c->svc.crls);
			srv->crl_stale_said = next && next < time(NULL);
		}
		/* the other senders' handles of the background thread's connection, opened
		 * before a thread uses it (orsp_db_open_view); each thread its own */
		for (unsigned i = 1; c->callback_url[0] && !e && i < sender_count(c); i++) {
			srv->senders[i - 1].srv = srv;
			e = orsp_smdp_open_view(srv->sender_db, &srv->senders[i - 1].db);
		}
		if (!e && pthread_create(&srv->sender, NULL, sender_main, srv) != 0)
			e = orsp_errf(ORSP_E_RESOURCE, "cannot start the background thread");
		if (e)
			goto fail;
		srv->sender_running = true;
		for (size_t i = 0; i < ORSP_ARRAY_LEN(srv->senders) && srv->senders[i].db; i++) {
			if (pthread_create(&srv->senders[i].thread, NULL, sender_extra_main,
			                   &srv->senders[i]) != 0) {
				e = orsp_errf(ORSP_E_RESOURCE,
				              "cannot start a progress report sender");
				goto fail;
			}
			srv->n_senders++;
		}
	}
	/* a typo in `database` would otherwise go unnoticed: a server with no profiles. Said by
	 * the process that made them, not by another one starting on the same new path at the
	 * same moment (a file missing before the open is no proof) */
	if (orsp_smdp_created(srv->pool[0])) {
		orsp_log_line("openrsp smdp: created a new, empty database %s%s%s", c->database,
		              kek_made ? " and its KEK file " : "", kek_made ? c->kek_file : "");
	}
	/* Reports are queued only by servers with a callback_url: one without it on a database
	 * whose outbox holds reports another server queued (several processes on one database
	 * with different configurations) drops the reports of what it does itself, silently
	 * before: said at start. */
	if (!c->callback_url[0] && others_pending)
		orsp_log_line("openrsp smdp: warning: no callback_url, but the database holds %zu "
		              "progress report(s) for the operator queued by another server: this "
		              "one queues none of its own (expired orders, downloads); give every "
		              "server of the database the same callback_url",
		              others_pending);
	/* the operator sees which eUICCs authenticateClient will refuse (no secret in it) */
	{
		char pol[1024];
		es9p_platform_describe(&c->svc.platform, pol, sizeof(pol));
		if (pol[0])
			orsp_log_line("openrsp smdp: platform policy: %s", pol);
	}
	/* and which CRLs it checks them against */
	orsp_smdp_crl_print(c, stderr, "openrsp smdp: crl ");
	orsp_smdp_config_warn(c);
	*out = srv;
	return ORSP_OK;
fail:
	orsp_smdp_server_stop(srv);
	return e;
}

void smdp_server_set_clock(orsp_smdp_server *srv, int64_t now, const char *clock_id,
                           double lease_ms_add)
{
	orsp_smdp_set_clock(srv->sender_db, now);
	for (size_t i = 0; i < srv->n_senders; i++)
		orsp_smdp_set_clock(srv->senders[i].db, now);
	pthread_mutex_lock(&srv->lock);
	if (clock_id)
		snprintf(srv->clock_id, sizeof(srv->clock_id), "%s", clock_id);
	srv->lease_ms_add = lease_ms_add;
	pthread_mutex_unlock(&srv->lock);
}

void smdp_server_set_refused_window(orsp_smdp_server *srv, double window_ms)
{
	pthread_mutex_lock(&srv->rl.lock);
	srv->rl.window_ms = window_ms;
	pthread_mutex_unlock(&srv->rl.lock);
}

void smdp_server_set_figures_clock(orsp_smdp_server *srv, double read_ms_add, double age_ms_add)
{
	pthread_mutex_lock(&srv->mlock);
	srv->m_read_ms_add = read_ms_add;
	srv->m_age_ms_add = age_ms_add;
	pthread_mutex_unlock(&srv->mlock);
}

orsp_smdp *smdp_server_db(const orsp_smdp_server *srv, const char *which, size_t i)
{
	if (!srv || !which)
		return NULL;
	if (!strcmp(which, "pool"))
		return i < srv->n_pool ? srv->pool[i] : NULL;
	if (!strcmp(which, "metrics"))
		return srv->metrics_db;
	if (!strcmp(which, "sender"))
		return srv->sender_db;
	if (!strcmp(which, "senders"))
		return i < ORSP_ARRAY_LEN(srv->senders) ? srv->senders[i].db : NULL;
	return NULL;
}

uint16_t orsp_smdp_server_port(const orsp_smdp_server *srv)
{
	return srv ? orsp_http_server_port(srv->http) : 0;
}

void orsp_smdp_server_drain(orsp_smdp_server *srv, unsigned seconds)
{
	if (!srv || !seconds)
		return;
	pthread_mutex_lock(&srv->lock);
	if (!srv->draining) {
		srv->drain_until_ms = now_ms() + 1000.0 * seconds;
		srv->draining = true;
	}
	pthread_mutex_unlock(&srv->lock);
	/* a keep-alive connection would keep bringing its client back here, past the balancer's
	 * decision, until the stop closes it */
	orsp_http_server_close_connections(srv->http);
}

bool orsp_smdp_server_drained(orsp_smdp_server *srv)
{
	bool over;

	if (!srv)
		return true;
	pthread_mutex_lock(&srv->lock);
	over = !srv->draining || now_ms() >= srv->drain_until_ms;
	pthread_mutex_unlock(&srv->lock);
	return over;
}

void orsp_smdp_server_stop(orsp_smdp_server *srv)
{
	if (!srv)
		return;
	/* the senders end at their next check (after the send in progress, up to
	 * callback_timeout; woken at once from their wait); meanwhile the listener closes at once
	 * and the requests in flight finish */
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_cond_broadcast(&srv->wake);
	pthread_cond_broadcast(&srv->reports_due);
	pthread_mutex_unlock(&srv->lock);
	/* the prober ends at once, or after the signature it is in (a token that hangs holds
	 * the stop as it holds a request's); a health check waiting for it answers at once */
	pthread_mutex_lock(&srv->plock);
	pthread_cond_broadcast(&srv->p_wanted);
	pthread_cond_broadcast(&srv->p_ended);
	pthread_mutex_unlock(&srv->plock);
	/* the figures' reader ends at once, or after the reading it is in */
	pthread_mutex_lock(&srv->mlock);
	pthread_cond_broadcast(&srv->m_wanted);
	pthread_mutex_unlock(&srv->mlock);
	if (srv->http)
		orsp_http_server_stop(srv->http, 10000);
	if (srv->prober_running)
		pthread_join(srv->prober, NULL);
	if (srv->sender_running)
		pthread_join(srv->sender, NULL);
	/* as the background thread: each after the send it is in, up to callback_timeout */
	for (size_t i = 0; i < srv->n_senders; i++)
		pthread_join(srv->senders[i].thread, NULL);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(srv->senders); i++)
		orsp_smdp_close(srv->senders[i].db);
	orsp_smdp_close(srv->sender_db);
	if (srv->figures_reader_running)
		pthread_join(srv->figures_reader, NULL);
	/* no scrape runs now (the HTTP server's stop waited for the handlers), no reading of
	 * figures_main's (joined); closed before
	 * the pool, whose last close checkpoints the log and removes -wal and -shm, which a
	 * connection still open would keep */
	orsp_smdp_close(srv->metrics_db);
	for (size_t i = 0; i < srv->n_pool; i++)
		orsp_smdp_close(srv->pool[i]);
	/* no request is answered now: the lines held in the last window said, however short */
	refused_log_flush(srv, true);
	pthread_mutex_destroy(&srv->rl.lock);
	pthread_mutex_destroy(&srv->lock);
	pthread_mutex_destroy(&srv->mlock);
	pthread_cond_destroy(&srv->m_read_once);
	pthread_cond_destroy(&srv->m_wanted);
	pthread_mutex_destroy(&srv->plock);
	pthread_cond_destroy(&srv->p_wanted);
	pthread_cond_destroy(&srv->p_ended);
	pthread_cond_destroy(&srv->freed);
	pthread_cond_destroy(&srv->wake);
	pthread_cond_destroy(&srv->reports_due);
	free(srv->crl_in_force);
	free(srv->crl_failed);
	orsp_cert_list_free(srv->es2_cas, srv->n_es2_cas);
	free(srv);
}
