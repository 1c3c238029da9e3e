/* libFuzzer target for the vpcd transport (src/euicc/vpcd.c) in front of the whole software
 * eUICC: the SGP.26 NIST test identity of fuzz/euicc_fixture.h, provisioned once into an
 * in-memory record store; every input opens it from the provisioned records and attaches it
 * (ISD-R) to a fresh APDU context.
 *
 * The input is what vpcd sends on the wire: messages, each a 2-byte big-endian length and that
 * many bytes; a message cut short by the end of the input is never delivered. Two layers run
 * on it, one after the other, on the same card:
 *  1. every whole message goes to orsp_vpcd_handle();
 *  2. the raw input is written to the connection that orsp_vpcd_serve_opts(), in a thread of
 *     this process (1 ms backoff, trace on), makes to a loopback port this target listens
 *     on, and the replies are read as they come. Once all are in, the thread is stopped as a
 *     program stops it (a signal whose handler sets the flag), the connection is reset (no
 *     TIME_WAIT), and the serve loop must return ORSP_OK. Its trace and log lines go to
 *     /dev/null meanwhile: the FILE *stderr is swapped, fd 2 is not, so sanitizer reports
 *     still show.
 * Properties (abort() when violated):
 *  - an empty message or a 1-byte one other than 00, 01, 02, 04 is ORSP_E_MALFORMED with no
 *    reply; 00, 01, 02 are ORSP_OK with no reply; 04 is the ATR, byte for byte; anything
 *    longer is ORSP_OK with a response APDU of 2..ORSP_EUICC_RAPDU_MAX bytes ending in a
 *    status word a card may send (data only with 9000 or 61xx);
 *  - on the socket, every reply is a frame of 1..ORSP_EUICC_RAPDU_MAX bytes (never the length
 *    0 that vpcd takes for the card leaving), one for each message that layer 1 answered and
 *    in the same order, the reply that message is due (the ATR, or a response APDU as
 *    above); nothing else is sent, and the connection stays up until this side resets it;
 *  - after each layer the card still works: SELECT ISD-R on the basic channel, then STORE
 *    DATA GetEuiccData (BF3E, tag 5A) answers 9000 with the EID (61xx fetched with GET
 *    RESPONSE), without a reset after layer 1.
 * The eUICC draws random challenges and keys, so runs are not bit-for-bit reproducible, but no
 * property depends on them. Slow for a fuzz target (about 100 inputs/s under ASan): opening
 * the card decodes SK.EUICC, which takes most of the time; the serve loop adds 1-2 ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "openrsp/euicc.h"

#include "euicc_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define IDLE_MS 5000 /* the serve loop silent this long: a hang */

static orsp_euicc *card;
static store live, base;
static orsp_euicc_apdu_ctx ctx;
static uint8_t cmd_buf[ORSP_EUICC_MAX_COMMAND], rsp_buf[ORSP_EUICC_MAX_RESPONSE];
static int listen_fd;
static uint16_t listen_port;
static FILE *devnull;
static volatile sig_atomic_t stop;
static orsp_err served;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t l = sizeof(a);
	struct sigaction sa;

	(void)argc;
	(void)argv;
	fx_provision(&card, &live, &base);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	check(listen_fd >= 0 && bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	      listen(listen_fd, 4) == 0 && getsockname(listen_fd, (struct sockaddr *)&a, &l) == 0);
	listen_port = ntohs(a.sin_port);
	devnull = fopen("/dev/null", "w");
	check(devnull != NULL);
	/* SIGUSR1 and SIGUSR2 are libFuzzer's */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	check(sigaction(SIGRTMIN, &sa, NULL) == 0);
	return 0;
}

/* The card from the provisioned records, on a fresh APDU context. */
static void card_open(void)
{
	st_copy(&live, &base);
	memset(card, 0, sizeof(*card));
	check(orsp_euicc_open(card, &st_ops, &live) == ORSP_OK);
	check(orsp_euicc_apdu_init(&ctx, cmd_buf, sizeof(cmd_buf), rsp_buf, sizeof(rsp_buf)) ==
	      ORSP_OK);
	check(orsp_euicc_attach(card, &ctx) == ORSP_OK);
}

/* The reply r (rn bytes, 0: none) to message m (n bytes) is the one due; whether one is. */
static bool check_reply(const uint8_t *m, size_t n, const uint8_t *r, size_t rn)
{
	if (n == 1 && m[0] == ORSP_VPCD_CTRL_ATR) {
		orsp_slice atr = orsp_euicc_atr();
		check(rn == atr.len && memcmp(r, atr.p, atr.len) == 0);
		return true;
	}
	if (n <= 1) {
		check(rn == 0);
		return false;
	}
	check(rn >= 2 && rn <= ORSP_EUICC_RAPDU_MAX);
	uint16_t sw = (uint16_t)(r[rn - 2] << 8 | r[rn - 1]);
	check(sw_allowed(sw));
	if (rn > 2)
		check(sw == ORSP_SW_OK || (sw >> 8) == 0x61);
	return true;
}

/* The next whole message of data (size bytes) from *off, or false at the end. */
static bool next_msg(const uint8_t *data, size_t size, size_t *off, const uint8_t **m, size_t *n)
{
	if (size - *off < 2)
		return false;
	*n = (size_t)data[*off] << 8 | data[*off + 1];
	if (*n > size - *off - 2)
		return false;
	*m = data + *off + 2;
	*off += 2 + *n;
	return true;
}

/* ---------------------------------------------------------------- layer 1 --------------- */

/* A message layer 1 answered: where it is in the input. */
typedef struct answered {
	size_t off, len;
} answered;

/* Every message through orsp_vpcd_handle(); the answered ones into ans[]. Returns their
 * count. */
static size_t run_handle(const uint8_t *data, size_t size, answered *ans)
{
	uint8_t out[ORSP_EUICC_RAPDU_MAX];
	const uint8_t *m;
	size_t off = 0, k = 0, n;

	while (next_msg(data, size, &off, &m, &n)) {
		size_t out_len = 12345;
		orsp_err e = orsp_vpcd_handle(&ctx, m, n, out, sizeof(out), &out_len);
		bool control =
		    n == 1 && (m[0] == ORSP_VPCD_CTRL_OFF || m[0] == ORSP_VPCD_CTRL_ON ||
		               m[0] == ORSP_VPCD_CTRL_RESET || m[0] == ORSP_VPCD_CTRL_ATR);
		check(e == (n > 1 || control ? ORSP_OK : ORSP_E_MALFORMED));
		if (check_reply(m, n, out, out_len))
			ans[k++] = (answered){.off = (size_t)(m - data), .len = n};
		orsp_err_clear();
	}
	return k;
}

/* ---------------------------------------------------------------- layer 2 --------------- */

static void *serve_thread(void *arg)
{
	orsp_vpcd_opts o;

	(void)arg;
	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.port = listen_port;
	o.retry_min_ms = 1;
	o.retry_max_ms = 1;
	o.trace = true; /* its reading of each command runs too */
	served = orsp_vpcd_serve_opts(&o, &ctx, &stop);
	return NULL;
}

/* poll() on one descriptor, again when a signal interrupts it (libFuzzer's timeout alarm
 * comes every few seconds): 1 ready, 0 nothing within IDLE_MS. */
static int wait_for(int fd, short events, short *revents)
{
	struct pollfd p = {.fd = fd, .events = events, .revents = 0};
	int r;

	while ((r = poll(&p, 1, IDLE_MS)) < 0)
		check(errno == EINTR);
	*revents = p.revents;
	return r;
}

/* The whole frames in buf[0..*len), checked against ans[*k..] and dropped. */
static void take_replies(const uint8_t *data, const answered *ans, size_t n_ans, size_t *k,
                         uint8_t *buf, size_t *len)
{
	size_t off = 0;
	while (*len - off >= 2) {
		size_t rn = (size_t)buf[off] << 8 | buf[off + 1];
		check(rn >= 1 && rn <= ORSP_EUICC_RAPDU_MAX && *k < n_ans);
		if (rn > *len - off - 2)
			break;
		const answered *a = &ans[(*k)++];
		check(check_reply(data + a->off, a->len, buf + off + 2, rn));
		off += 2 + rn;
	}
	memmove(buf, buf + off, *len - off);
	*len -= off;
}

static void run_serve(const uint8_t *data, size_t size, const answered *ans, size_t n_ans)
{
	static uint8_t buf[2 + ORSP_EUICC_RAPDU_MAX + 4096];
	struct linger lin = {.l_onoff = 1, .l_linger = 0};
	size_t sent = 0, len = 0, k = 0;
	FILE *saved = stderr;
	pthread_t th;
	short ev;
	int c;

	stop = 0;
	stderr = devnull;
	check(pthread_create(&th, NULL, serve_thread, NULL) == 0);
	check(wait_for(listen_fd, POLLIN, &ev) == 1);
	c = accept(listen_fd, NULL, NULL);
	check(c >= 0 && fcntl(c, F_SETFL, O_NONBLOCK) == 0 &&
	      setsockopt(c, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)) == 0);
	while (sent < size || k < n_ans) {
		if (wait_for(c, POLLIN | (sent < size ? POLLOUT : 0), &ev) != 1) {
			fprintf(saved, "fuzz: the serve loop is silent (%zu of %zu replies)\n", k,
			        n_ans);
			abort();
		}
		if (sent < size && (ev & POLLOUT)) {
			ssize_t r = send(c, data + sent, size - sent, MSG_NOSIGNAL);
			check(r > 0 || errno == EAGAIN || errno == EINTR);
			sent += r > 0 ? (size_t)r : 0;
		}
		if (ev & (POLLIN | POLLERR | POLLHUP)) {
			ssize_t r = recv(c, buf + len, sizeof(buf) - len, 0);
			/* closed by the serve loop: it must not while we are connected */
			check(r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)));
			len += r > 0 ? (size_t)r : 0;
			take_replies(data, ans, n_ans, &k, buf, &len);
		}
	}
	check(len == 0); /* nothing but the replies */
	check(pthread_kill(th, SIGRTMIN) == 0);
	close(c); /* a reset: no TIME_WAIT left behind, however many inputs run */
	check(pthread_join(th, NULL) == 0);
	stderr = saved;
	check(served == ORSP_OK);
}

/* ---------------------------------------------------------------- the card still works -- */

/* capdu, then GET RESPONSE while 61xx; the data in out, the last status word returned. */
static uint16_t xfer(const uint8_t *capdu, size_t n, uint8_t *out, size_t *out_len)
{
	uint8_t r[ORSP_EUICC_RAPDU_MAX], get[5] = {0x00, 0xC0, 0x00, 0x00, 0x00};
	size_t rn = 0;
	uint16_t sw;

	*out_len = 0;
	for (;;) {
		check(orsp_euicc_apdu_process(&ctx, capdu, n, r, sizeof(r), &rn) == ORSP_OK);
		check(rn >= 2);
		sw = (uint16_t)(r[rn - 2] << 8 | r[rn - 1]);
		if (*out_len + rn - 2 <= 512) {
			memcpy(out + *out_len, r, rn - 2);
			*out_len += rn - 2;
		}
		if ((sw >> 8) != 0x61)
			return sw;
		get[4] = (uint8_t)sw;
		capdu = get;
		n = sizeof(get);
	}
}

static void check_usable(void)
{
	static const uint8_t get_eid[] = {0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF,
	                                  0x3E, 0x03, 0x5C, 0x01, 0x5A, 0x00};
	uint8_t sel[5 + 16 + 1] = {0x00, 0xA4, 0x04, 0x00, 16}, out[512], want[5 + 16];
	size_t n;

	check(orsp_hex_decode_exact(ORSP_ISDR_AID_HEX, sel + 5, 16) == ORSP_OK);
	check(xfer(sel, sizeof(sel), out, &n) == ORSP_SW_OK);
	check(xfer(get_eid, sizeof(get_eid), out, &n) == ORSP_SW_OK);
	memcpy(want, "\xBF\x3E\x12\x5A\x10", 5);
	check(orsp_hex_decode_exact(FX_EID, want + 5, 16) == ORSP_OK);
	check(n == sizeof(want) && memcmp(out, want, n) == 0);
	orsp_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	answered *ans = malloc((size / 2 + 1) * sizeof(*ans));
	check(ans != NULL);

	card_open();
	size_t n_ans = run_handle(data, size, ans);
	check_usable();
	run_serve(data, size, ans, n_ans);
	check_usable();
	orsp_euicc_close(card);
	free(ans);
	return 0;
}
