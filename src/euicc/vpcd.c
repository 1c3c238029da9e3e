/* vpcd client: exposes the APDU layer as a PC/SC card through vsmartcard's vpcd, the pcscd
 * reader driver that listens on TCP (port 35963 by default, /etc/reader.conf.d/vpcd) for a
 * virtual card. The protocol (vsmartcard's virtualsmartcard docs, "Creating a virtual smart
 * card"): every message in either direction is a 2-byte big-endian length and that many
 * bytes. From vpcd, one byte is a control (00 power off, 01 power on, 02 reset: no reply;
 * 04 get ATR: the ATR), more bytes a command APDU (reply: the response APDU). vpcd treats a
 * reply of length 0 as the card leaving, so we never send one.
 *
 * This file is the only one of the module that makes system calls. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apdu_internal.h"

#define POLL_MS 200             /* how often a blocked wait looks at *stop */
#define CONNECT_TIMEOUT_MS 5000 /* give up one connection attempt after this */
#define VPCD_KEEPALIVE_IDLE_S 30 /* silence before the first keepalive probe */
#define VPCD_KEEPALIVE_INTVL_S 10
#define VPCD_KEEPALIVE_CNT 3 /* unanswered probes: the peer is gone */
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 5000
/* Messages skipped as malformed that one connection logs each; the rest are counted, and the
 * count is logged every SKIPPED_REPORT_EVERY of them and when the connection ends (a peer
 * sending garbage fills no log, and one that keeps sending it is still seen). */
#define SKIPPED_LOGGED 5
#define SKIPPED_REPORT_EVERY 1000

orsp_err orsp_vpcd_handle(orsp_euicc_apdu_ctx *ctx, const uint8_t *msg, size_t len, uint8_t *out,
                          size_t cap, size_t *out_len)
{
	if (!ctx || (!msg && len) || !out || !out_len || cap < ORSP_EUICC_RAPDU_MAX)
		return orsp_errf(ORSP_E_USAGE, "vpcd_handle: bad arguments");
	*out_len = 0;
	if (len == 0)
		return orsp_errf(ORSP_E_MALFORMED, "empty vpcd message");
	if (len > 1)
		return orsp_euicc_apdu_process(ctx, msg, len, out, cap, out_len);
	switch (msg[0]) {
	case ORSP_VPCD_CTRL_OFF:
	case ORSP_VPCD_CTRL_ON:
	case ORSP_VPCD_CTRL_RESET:
		orsp_euicc_apdu_reset(ctx);
		return ORSP_OK;
	case ORSP_VPCD_CTRL_ATR: {
		orsp_slice atr = orsp_euicc_atr();
		memcpy(out, atr.p, atr.len);
		*out_len = atr.len;
		return ORSP_OK;
	}
	default:
		return orsp_errf(ORSP_E_MALFORMED, "unknown vpcd control byte %02X", msg[0]);
	}
}

/* ---------------------------------------------------------------- sockets -------------- */

typedef enum { IO_OK, IO_CLOSED, IO_STOPPED } io_result;

static bool stopped(const volatile sig_atomic_t *stop)
{
	return orsp_stop_set(stop);
}

/* Sleep ms milliseconds, waking early when stopped. */
static void nap(unsigned ms, const volatile sig_atomic_t *stop)
{
	while (ms > 0 && !stopped(stop)) {
		unsigned step = ms < POLL_MS ? ms : POLL_MS;
		(void)poll(NULL, 0, (int)step);
		ms -= step;
	}
}

/* Wait until fd is ready for `events`; IO_CLOSED on an error or hang-up. */
static io_result wait_fd(int fd, short events, const volatile sig_atomic_t *stop)
{
	for (;;) {
		if (stopped(stop))
			return IO_STOPPED;
		struct pollfd p = {.fd = fd, .events = events, .revents = 0};
		int r = poll(&p, 1, POLL_MS);
		if (r < 0 && errno != EINTR)
			return IO_CLOSED;
		if (r > 0)
			return IO_OK; /* readable, writable, or an error the next call reports */
	}
}

static io_result read_full(int fd, uint8_t *p, size_t n, const volatile sig_atomic_t *stop)
{
	size_t got = 0;
	while (got < n) {
		io_result w = wait_fd(fd, POLLIN, stop);
		if (w != IO_OK)
			return w;
		ssize_t r = recv(fd, p + got, n - got, 0);
		if (r == 0) {
			orsp_log(ORSP_LOG_INFO, "vpcd closed the connection");
			return IO_CLOSED;
		}
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			orsp_log(ORSP_LOG_WARN, "vpcd: receive failed: %s", strerror(errno));
			return IO_CLOSED;
		}
		got += (size_t)r;
	}
	return IO_OK;
}

static io_result write_full(int fd, const uint8_t *p, size_t n, const volatile sig_atomic_t *stop)
{
	size_t sent = 0;
	while (sent < n) {
		io_result w = wait_fd(fd, POLLOUT, stop);
		if (w != IO_OK)
			return w;
		ssize_t r = send(fd, p + sent, n - sent, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			orsp_log(ORSP_LOG_WARN, "vpcd: send failed: %s", strerror(errno));
			return IO_CLOSED;
		}
		sent += (size_t)r;
	}
	return IO_OK;
}

/* One non-blocking connection attempt to host:port, bounded by CONNECT_TIMEOUT_MS and
 * *stop. Returns the socket or -1 with the reason in why. */
static int vpcd_connect(const char *host, uint16_t port, const volatile sig_atomic_t *stop,
                        char *why, size_t why_len)
{
	struct addrinfo hints, *res = NULL;
	char service[8];
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	int rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0) {
		snprintf(why, why_len, "%s", gai_strerror(rc));
		return -1;
	}
	snprintf(why, why_len, "no address");
	for (const struct addrinfo *ai = res; ai && fd < 0 && !stopped(stop); ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0) {
			snprintf(why, why_len, "socket: %s", strerror(errno));
			continue;
		}
		int err = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			err = errno;
			if (err == EINPROGRESS) {
				err = ETIMEDOUT;
				for (unsigned waited = 0;
				     waited < CONNECT_TIMEOUT_MS && !stopped(stop);
				     waited += POLL_MS) {
					struct pollfd p = {
					    .fd = fd, .events = POLLOUT, .revents = 0};
					if (poll(&p, 1, POLL_MS) > 0) {
						socklen_t l = sizeof(err);
						if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
						               &l) != 0)
							err = errno;
						break;
					}
				}
			}
		}
		if (err != 0) {
			snprintf(why, why_len, "%s", strerror(err));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd >= 0) {
		/* One small APDU at a time, each waiting for its answer: no Nagle delay. */
		int one = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* The card only ever answers: a vpcd host gone without a FIN or RST (a reboot,
		 * a cut network) left it waiting for the next message for ever, never
		 * reconnecting. TCP keepalive finds such a peer after about a minute of silence
		 * (30 s idle, then 3 probes 10 s apart), and the read fails: a reconnect. */
		int idle = VPCD_KEEPALIVE_IDLE_S, intvl = VPCD_KEEPALIVE_INTVL_S,
		    cnt = VPCD_KEEPALIVE_CNT;
		(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
		/* Linux sends no probe while sent data waits for its acknowledgement: a host gone
		 * right after an answer went out was found by the retransmissions alone, about 15
		 * minutes (review find). The same minute bounds that wait. */
		unsigned ut =
		    1000u * (VPCD_KEEPALIVE_IDLE_S + VPCD_KEEPALIVE_INTVL_S * VPCD_KEEPALIVE_CNT);
		(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut));
	}
	return fd;
}

/* ---------------------------------------------------------------- trace ---------------- */

/* The trace leaves out what is secret in the APDUs of a NAA (docs/euicc-apdu.md, "Trace"):
 * the command data of the PIN commands (TS 102 221 §11.1.9-11.1.13: VERIFY, CHANGE,
 * DISABLE, ENABLE and UNBLOCK PIN carry PIN and PUK values) and the response data of
 * AUTHENTICATE (§11.1.16, INS 88 and 89: RES, CK, IK and Kc, or AUTS), whether it comes
 * with the command or later in GET RESPONSE, and the command data of UPDATE BINARY and
 * UPDATE RECORD (§11.1.4, §11.1.6, INS D6, D7, DC, DD): a terminal writes the keys of the
 * last AUTHENTICATE back to EF.KEYS, EF.KEYSPS and the NAS security contexts (TS 31.102
 * §4.2), and this layer does not know which file is current; and PrepareDownload's hashCc
 * (below), in the command's data and in the response's. Only their length is printed. */
static bool hidden_data_command(uint8_t ins)
{
	return ins == 0x20 || ins == 0x24 || ins == 0x26 || ins == 0x28 || ins == 0x2C ||
	       ins == 0xD6 || ins == 0xD7 || ins == 0xDC || ins == 0xDD;
}

static bool auth_command(uint8_t ins)
{
	return ins == 0x88 || ins == 0x89;
}

/* "vpcd DIR " and the first `shown` bytes of p in hex; the rest of its n bytes counted. */
static void trace(const char *dir, const uint8_t *p, size_t n, size_t shown)
{
	flockfile(stderr);
	fprintf(stderr, "vpcd %s ", dir);
	if (n == 1 && dir[0] == '>') {
		static const char *const names[] = {"power off", "power on", "reset", "?",
		                                    "get ATR"};
		fprintf(stderr, "%s", p[0] < ORSP_ARRAY_LEN(names) ? names[p[0]] : "?");
	} else {
		for (size_t i = 0; i < n && i < shown; i++)
			fprintf(stderr, "%02X", p[i]);
		if (n > shown)
			fprintf(stderr, " [%zu bytes not shown]", n - shown);
	}
	fputc('\n', stderr);
	funlockfile(stderr);
}

/* What the trace carries from one message to the next. */
typedef struct trace_state {
	bool secret_pending;  /* the response waiting for GET RESPONSE is secret (below) */
	uint32_t store_chain; /* bit ch: PrepareDownload's STORE DATA goes on in the next block
	                         on channel ch */
} trace_state;

/* Whether this STORE DATA (INS E2, parsed as a, on channel ch) is PrepareDownload's (ES10b,
 * BF21), in its first block or a later one of its chain on that channel (st->store_chain:
 * more blocks of it follow, P1 b8 clear; a command on another channel in between does not
 * end it). Its hashCc is SHA-256 over the confirmation code's hash and the transactionId,
 * which the trace shows elsewhere, so a code of a few digits would be found from it by
 * trying them all; the response (EUICCSigned2) echoes it. */
static bool prepare_download_block(const orsp_apdu *a, uint8_t ch, trace_state *st)
{
	uint32_t bit = (uint32_t)1 << ch;
	/* a first block of one byte, BF, may be PrepareDownload's cut after it (an LPA's block
	 * size may be 1): taken for it, which hides no more than that chain of another
	 * command's (until session 51 its blocks were shown, hashCc among them) */
	bool hide = (st->store_chain & bit) ||
	            (a->data.len >= 2 && a->data.p[0] == 0xBF && a->data.p[1] == 0x21) ||
	            (a->data.len == 1 && a->data.p[0] == 0xBF);
	if (hide && !(a->p1 & 0x80))
		st->store_chain |= bit;
	else
		st->store_chain &= ~bit;
	return hide;
}

/* The command: all of it, but the data of a PIN or UPDATE command or of PrepareDownload's
 * STORE DATA (its 4-byte header only; the data found by the APDU parser, whatever the
 * length encoding). A command the parser refuses is refused by the card too; its header is
 * all that is printed when its INS is one of those. Returns whether the response data is
 * secret: AUTHENTICATE's or PrepareDownload's. */
static bool trace_command(const uint8_t *msg, size_t n, trace_state *st)
{
	orsp_apdu a;
	uint8_t ch = 0;
	bool prop = false, hide, secret_rsp = auth_command(msg[1]);

	if (orsp_apdu_parse(msg, n, &a) != ORSP_OK ||
	    orsp_apdu_decode_cla(msg[0], &ch, &prop) != ORSP_SW_OK || (a.ins == 0xE2 && !prop)) {
		/* refused before it reaches a STORE DATA chain, which goes on: so does the
		 * trace's */
		hide = hidden_data_command(msg[1]) || msg[1] == 0xE2;
	} else if (a.ins == 0xE2) {
		hide = secret_rsp = prepare_download_block(&a, ch, st);
	} else {
		hide = hidden_data_command(a.ins);
	}
	trace(">>", msg, n, hide && n > 4 ? 4 : n);
	return secret_rsp;
}

/* The response rsp (n >= 2: data, SW1 SW2) to a command with instruction ins, whose response
 * data is secret when secret_rsp. st->secret_pending says whether the response data waiting
 * for GET RESPONSE is secret: it is when a command other than GET RESPONSE with a secret
 * response answered 61xx (the layer keeps one pending response, that command's), and stays
 * so until a GET RESPONSE delivers the last of it (9000) or another command answers 61xx.
 * Any other answer may leave it pending (a command on another channel), so the flag stays:
 * data in a GET RESPONSE can only be the last 61xx's. */
static void trace_response(uint8_t ins, bool secret_rsp, const uint8_t *rsp, size_t n,
                           trace_state *st)
{
	uint8_t sw1 = rsp[n - 2];
	bool get_response = ins == INS_GET_RESPONSE;
	bool secret = secret_rsp || (get_response && st->secret_pending);

	if (!secret) {
		trace("<<", rsp, n, n);
	} else {
		/* the status word, then how many bytes of data were left out */
		flockfile(stderr);
		fprintf(stderr, "vpcd << %02X%02X", sw1, rsp[n - 1]);
		if (n > 2)
			fprintf(stderr, " [%zu bytes of response data not shown]", n - 2);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	if (!get_response && sw1 == ORSP_SW1_BYTES_AVAILABLE)
		st->secret_pending = secret_rsp;
	else if (get_response && sw1 == 0x90)
		st->secret_pending = false;
}

/* ---------------------------------------------------------------- serve ---------------- */

/* Serve one connection until it closes or *stop is set; *skipped counts the messages it
 * skipped as malformed. */
static io_result serve_connection(int fd, orsp_euicc_apdu_ctx *ctx, bool tracing, uint8_t *msg,
                                  const volatile sig_atomic_t *stop, unsigned long *skipped)
{
	uint8_t reply[2 + ORSP_EUICC_RAPDU_MAX];
	trace_state st = {0}; /* for the trace: a new connection is a card reset */
	bool secret_rsp = false;

	for (;;) {
		uint8_t hdr[2];
		io_result r = read_full(fd, hdr, sizeof(hdr), stop);
		if (r != IO_OK)
			return r;
		size_t n = ((size_t)hdr[0] << 8) | hdr[1];
		r = read_full(fd, msg, n, stop);
		if (r != IO_OK)
			return r;
		if (tracing && n > 1)
			secret_rsp = trace_command(msg, n, &st);
		else if (tracing)
			trace(">>", msg, n, n);
		uint8_t ins = n > 1 ? msg[1] : 0;
		if (n == 1 && (msg[0] == ORSP_VPCD_CTRL_OFF || msg[0] == ORSP_VPCD_CTRL_ON ||
		               msg[0] == ORSP_VPCD_CTRL_RESET))
			st = (trace_state){0}; /* the card is reset: the response is gone */

		size_t rlen = 0;
		orsp_err e = orsp_vpcd_handle(ctx, msg, n, reply + 2, sizeof(reply) - 2, &rlen);
		orsp_wipe(msg, n); /* may have been profile data */
		if (e != ORSP_OK) {
			if (++*skipped <= SKIPPED_LOGGED)
				orsp_log(ORSP_LOG_ERROR, "vpcd: %s (%s); message skipped%s",
				         orsp_err_str(e), orsp_err_detail(),
				         *skipped == SKIPPED_LOGGED
				             ? "; more on this connection are counted, not logged"
				             : "");
			else if (*skipped % SKIPPED_REPORT_EVERY == 0)
				orsp_log(ORSP_LOG_ERROR,
				         "vpcd: %lu malformed messages skipped on this connection "
				         "so far",
				         *skipped);
			continue;
		}
		if (rlen == 0)
			continue;
		if (tracing) {
			if (n > 1)
				trace_response(ins, secret_rsp, reply + 2, rlen, &st);
			else
				trace("<<", reply + 2, rlen, rlen);
			if (n > 1 && orsp_err_detail()[0] != '\0')
				fprintf(stderr, "vpcd    (%s)\n", orsp_err_detail());
		}
		reply[0] = (uint8_t)(rlen >> 8);
		reply[1] = (uint8_t)rlen;
		r = write_full(fd, reply, rlen + 2, stop);
		orsp_wipe(reply, sizeof(reply));
		if (r != IO_OK)
			return r;
	}
}

orsp_err orsp_vpcd_serve_opts(const orsp_vpcd_opts *opts, orsp_euicc_apdu_ctx *ctx,
                              const volatile sig_atomic_t *stop)
{
	/* The largest message vpcd can send; on the stack, as nothing here may allocate. */
	uint8_t msg[ORSP_VPCD_MAX_MSG];

	if (!opts || !ctx || !ctx->ready || !stop)
		return orsp_errf(ORSP_E_USAGE,
		                 "vpcd_serve: NULL argument or context not initialised");
	const char *host = opts->host ? opts->host : ORSP_VPCD_DEFAULT_HOST;
	uint16_t port = opts->port ? opts->port : ORSP_VPCD_DEFAULT_PORT;
	unsigned lo = opts->retry_min_ms ? opts->retry_min_ms : RETRY_MIN_MS;
	unsigned hi = opts->retry_max_ms ? opts->retry_max_ms : RETRY_MAX_MS;
	if (hi < lo)
		hi = lo;
	/* an IPv6 address is logged in brackets, [::1]:35963 */
	const char *lb = strchr(host, ':') ? "[" : "", *rb = *lb ? "]" : "";

	unsigned delay = lo;
	bool warned = false;
	while (!stopped(stop)) {
		char why[128];
		int fd = vpcd_connect(host, port, stop, why, sizeof(why));
		if (fd < 0) {
			if (stopped(stop))
				break;
			/* Say it once, then quietly keep trying: vpcd appears when pcscd starts. */
			orsp_log(warned ? ORSP_LOG_DEBUG : ORSP_LOG_WARN,
			         "vpcd at %s%s%s:%u: %s; retrying (every %u ms at most)", lb, host,
			         rb, (unsigned)port, why, hi);
			warned = true;
			nap(delay, stop);
			delay = delay > hi / 2 ? hi : delay * 2;
			continue;
		}
		orsp_log(ORSP_LOG_INFO, "connected to vpcd at %s%s%s:%u", lb, host, rb,
		         (unsigned)port);
		if (opts->connected)
			opts->connected(opts->connected_arg);
		warned = false;
		delay = lo;
		orsp_euicc_apdu_reset(ctx); /* a new connection is a card insertion */
		unsigned long skipped = 0;
		io_result r = serve_connection(fd, ctx, opts->trace, msg, stop, &skipped);
		close(fd);
		if (skipped > SKIPPED_LOGGED)
			orsp_log(ORSP_LOG_ERROR,
			         "vpcd: %lu malformed messages skipped on the connection, %lu not "
			         "logged",
			         skipped, skipped - SKIPPED_LOGGED);
		orsp_euicc_apdu_reset(ctx);
		if (r == IO_CLOSED)
			nap(delay, stop);
	}
	orsp_wipe(msg, sizeof(msg));
	return ORSP_OK;
}

orsp_err orsp_vpcd_serve(const char *host, uint16_t port, orsp_euicc_apdu_ctx *ctx,
                         const volatile sig_atomic_t *stop)
{
	orsp_vpcd_opts opts;
	memset(&opts, 0, sizeof(opts));
	opts.host = host;
	opts.port = port;
	return orsp_vpcd_serve_opts(&opts, ctx, stop);
}
