/* The vpcd transport (src/euicc/vpcd.c): message handling, and orsp_vpcd_serve() against a
 * stand-in for vpcd written here from the protocol description in vsmartcard's docs
 * ("Creating a virtual smart card": 2-byte big-endian length + payload; 1-byte controls 00
 * power off, 01 power on, 02 reset, 04 get ATR; anything longer an APDU). The test listens
 * on a loopback port as vpcd does and the card connects to it. tests/pcsc/run.sh runs the
 * real vpcd inside pcscd.
 */
#include "testutil.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "openrsp/euicc.h"

static orsp_euicc_apdu_ctx ctx;
static uint8_t cmd_buf[ORSP_EUICC_MAX_COMMAND];
static uint8_t rsp_buf[ORSP_EUICC_MAX_RESPONSE];
static const uint8_t AID[] = {0xF0, 'v', 'p', 'c', 'd'};

static uint16_t echo(void *user, uint8_t ch, orsp_slice data, orsp_writer *rsp)
{
	(void)user;
	(void)ch;
	orsp_write_bytes(rsp, data.p, data.len);
	return ORSP_SW_OK;
}

static const orsp_euicc_app_ops echo_ops = {.store_data = echo};

static void card(void)
{
	assert_int_equal(
	    orsp_euicc_apdu_init(&ctx, cmd_buf, sizeof(cmd_buf), rsp_buf, sizeof(rsp_buf)),
	    ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&ctx, AID, sizeof(AID), &echo_ops, NULL),
	                 ORSP_OK);
}

static size_t handle(const char *hex, uint8_t *out, orsp_err want)
{
	uint8_t msg[300];
	size_t n = 0, out_len = 99;
	if (*hex)
		assert_int_equal(orsp_hex_decode(hex, msg, sizeof(msg), &n), ORSP_OK);
	assert_int_equal(orsp_vpcd_handle(&ctx, msg, n, out, ORSP_EUICC_RAPDU_MAX, &out_len), want);
	if (want != ORSP_OK)
		assert_int_equal(out_len, 0);
	return out_len;
}

static void test_handle(void **state)
{
	(void)state;
	uint8_t out[ORSP_EUICC_RAPDU_MAX];
	orsp_slice atr = orsp_euicc_atr();
	card();

	assert_int_equal(handle("04", out, ORSP_OK), atr.len);
	assert_bytes_equal(out, atr.p, atr.len);
	/* power and reset: no reply, the card resets */
	assert_int_equal(handle("0070000001", out, ORSP_OK), 3);
	assert_bytes_equal(out, "\x01\x90\x00", 3);
	assert_int_equal(handle("01", out, ORSP_OK), 0);
	assert_int_equal(handle("81C0000000", out, ORSP_OK), 2);
	assert_bytes_equal(out, "\x68\x81", 2); /* channel 1 closed by the reset */
	for (const char *c = "0002"; *c; c += 2) {
		char one[3] = {c[0], c[1], 0};
		assert_int_equal(handle("0070000001", out, ORSP_OK), 3);
		assert_int_equal(handle(one, out, ORSP_OK), 0);
		assert_int_equal(handle("0070800100", out, ORSP_OK), 2);
		assert_bytes_equal(out, "\x68\x81", 2);
	}
	/* what is not a message */
	handle("", out, ORSP_E_MALFORMED);
	handle("03", out, ORSP_E_MALFORMED);
	handle("05", out, ORSP_E_MALFORMED);
	handle("FF", out, ORSP_E_MALFORMED);
	/* two bytes are an APDU, a broken one */
	assert_int_equal(handle("0004", out, ORSP_OK), 2);
	assert_bytes_equal(out, "\x67\x00", 2);
	/* arguments */
	size_t n = 0;
	assert_int_equal(
	    orsp_vpcd_handle(&ctx, (const uint8_t *)"\x04", 1, out, ORSP_EUICC_RAPDU_MAX - 1, &n),
	    ORSP_E_USAGE);
	assert_int_equal(orsp_vpcd_handle(NULL, (const uint8_t *)"\x04", 1, out, sizeof(out), &n),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_vpcd_handle(&ctx, NULL, 1, out, sizeof(out), &n), ORSP_E_USAGE);
}

/* ---------------------------------------------------------------- a stand-in vpcd ------ */

static volatile sig_atomic_t stop;
static orsp_vpcd_opts opts;
static orsp_err served;

/* Stop the serving thread as a program would: a signal whose handler sets the flag, here
 * delivered to that thread (a plain store from this thread would be a data race). */
static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void stop_serving(pthread_t th)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	assert_int_equal(pthread_kill(th, SIGUSR1), 0);
}

/* orsp_vpcd_opts.connected: the connections made, counted (read after the join) */
static int connects;

static void count_connect(void *arg)
{
	(*(int *)arg)++;
}

static void *serve_thread(void *arg)
{
	(void)arg;
	served = orsp_vpcd_serve_opts(&opts, &ctx, &stop);
	return NULL;
}

static int listen_loopback(uint16_t *port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 1), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return s;
}

static int accept_within(int s, int ms)
{
	struct pollfd p = {.fd = s, .events = POLLIN, .revents = 0};
	if (poll(&p, 1, ms) != 1)
		fail_msg("the card did not connect within %d ms", ms);
	int c = accept(s, NULL, NULL);
	assert_true(c >= 0);
	return c;
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
		assert_true(r > 0);
		p += r;
		n -= (size_t)r;
	}
}

static void send_msg(int fd, const char *hex)
{
	uint8_t b[2 + 300];
	size_t n = 0;
	if (*hex)
		assert_int_equal(orsp_hex_decode(hex, b + 2, sizeof(b) - 2, &n), ORSP_OK);
	b[0] = (uint8_t)(n >> 8);
	b[1] = (uint8_t)n;
	send_all(fd, b, n + 2);
}

static bool recv_exact(int fd, uint8_t *p, size_t n, int ms)
{
	while (n > 0) {
		struct pollfd q = {.fd = fd, .events = POLLIN, .revents = 0};
		if (poll(&q, 1, ms) != 1)
			return false;
		ssize_t r = recv(fd, p, n, 0);
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

/* Receive one message and compare it with hex. */
static void expect_msg(int fd, const char *hex)
{
	uint8_t want[300], hdr[2], got[300];
	size_t wn = 0;
	assert_int_equal(orsp_hex_decode(hex, want, sizeof(want), &wn), ORSP_OK);
	assert_true(recv_exact(fd, hdr, 2, 3000));
	size_t n = (size_t)hdr[0] << 8 | hdr[1];
	assert_int_equal(n, wn);
	assert_true(recv_exact(fd, got, n, 3000));
	assert_bytes_equal(got, want, n);
}

/* Nothing arrives within ms. */
static void expect_silence(int fd, int ms)
{
	struct pollfd q = {.fd = fd, .events = POLLIN, .revents = 0};
	assert_int_equal(poll(&q, 1, ms), 0);
}

/* The card's own socket of the connection whose vpcd end is c (same process: found by its
 * address), or -1. */
static int card_socket_of(int c)
{
	struct sockaddr_in peer, mine;
	socklen_t l = sizeof(peer);
	assert_int_equal(getpeername(c, (struct sockaddr *)&peer, &l), 0);
	for (int fd = 3; fd < 1024; fd++) {
		l = sizeof(mine);
		if (fd == c || getsockname(fd, (struct sockaddr *)&mine, &l) != 0 ||
		    mine.sin_family != AF_INET)
			continue;
		if (mine.sin_port == peer.sin_port && mine.sin_addr.s_addr == peer.sin_addr.s_addr)
			return fd;
	}
	return -1;
}

static void test_serve(void **state)
{
	(void)state;
	char atr_hex[2 * ORSP_EUICC_ATR_MAX + 1];
	orsp_slice atr = orsp_euicc_atr();
	uint16_t port = 0;
	pthread_t th;

	assert_int_equal(orsp_hex_encode(atr.p, atr.len, atr_hex, sizeof(atr_hex)), ORSP_OK);
	card();
	int ls = listen_loopback(&port);
	memset(&opts, 0, sizeof(opts));
	opts.host = "127.0.0.1";
	opts.port = port;
	opts.retry_min_ms = 10;
	opts.retry_max_ms = 40;
	opts.connected = count_connect;
	opts.connected_arg = &connects;
	connects = 0;
	stop = 0;
	assert_int_equal(pthread_create(&th, NULL, serve_thread, NULL), 0);

	int c = accept_within(ls, 5000);
	send_msg(c, "04");
	expect_msg(c, atr_hex);
	/* TCP keepalive on the card's socket: a vpcd host gone silently (no FIN, no RST) is
	 * found after about a minute and the card reconnects (until session 56 it waited for
	 * ever) */
	{
		int fd = card_socket_of(c), v = 0;
		socklen_t vl = sizeof(v);
		assert_true(fd >= 0);
		assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &vl), 0);
		assert_int_equal(v, 1);
		assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl), 0);
		assert_int_equal(v, 30);
		assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &vl), 0);
		assert_int_equal(v, 10);
		assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &vl), 0);
		assert_int_equal(v, 3);
		/* and while an answer waits for its acknowledgement, when Linux sends no probe:
		 * the same minute, not the retransmissions' 15 (until session 66) */
		assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &vl), 0);
		assert_int_equal(v, 60000);
	}
	send_msg(c, "01"); /* power on: no reply */
	send_msg(c, "0070000001");
	expect_msg(c, "019000");
	/* malformed messages are skipped, the connection stays */
	send_msg(c, "03");
	send_msg(c, "");
	expect_silence(c, 300);
	send_msg(c, "04");
	expect_msg(c, atr_hex);
	/* a message arriving byte by byte */
	static const uint8_t sel[] = {0x00, 0x0A, 0x01, 0xA4, 0x04, 0x0C,
	                              0x05, 0xF0, 'v',  'p',  'c',  'd'};
	for (size_t i = 0; i < sizeof(sel); i++) {
		send_all(c, sel + i, 1);
		struct timespec ts = {0, 2 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	expect_msg(c, "9000");
	send_msg(c, "81E2910003BF2E00");
	expect_msg(c, "6103");
	send_msg(c, "81C0000003");
	expect_msg(c, "BF2E009000");
	/* a message longer than any APDU we take is still read whole and answered */
	uint8_t big[2 + 300];
	big[0] = 0x01;
	big[1] = 0x2C;
	memset(big + 2, 0x00, 300);
	send_all(c, big, sizeof(big));
	expect_msg(c, "6700");

	/* the connection drops: the card resets and comes back */
	close(c);
	c = accept_within(ls, 5000);
	send_msg(c, "81C0000000");
	expect_msg(c, "6881"); /* channel 1 went with the old connection */
	send_msg(c, "04");
	expect_msg(c, atr_hex);

	/* a truncated message, then the peer goes: no reply, a reconnect */
	static const uint8_t cut[] = {0x00, 0x05, 0x00, 0x70};
	send_all(c, cut, sizeof(cut));
	close(c);
	c = accept_within(ls, 5000);
	send_msg(c, "04");
	expect_msg(c, atr_hex);

	/* stop: the loop returns promptly, even mid-connection */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	stop_serving(th);
	assert_int_equal(pthread_join(th, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(served, ORSP_OK);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
	/* connected was called for each of the three connections (the first, two reconnects) */
	assert_int_equal(connects, 3);
	/* the card closed its side */
	uint8_t b;
	assert_true(recv(c, &b, 1, 0) <= 0);
	close(c);
	close(ls);
}

/* Nobody listening: it keeps retrying, quietly, until stopped. */
static void test_serve_retries(void **state)
{
	(void)state;
	uint16_t port = 0;
	pthread_t th;
	card();
	int ls = listen_loopback(&port);
	close(ls); /* the port is now (very likely) closed */
	memset(&opts, 0, sizeof(opts));
	opts.port = port;
	opts.retry_min_ms = 5;
	opts.retry_max_ms = 20;
	opts.connected = count_connect;
	opts.connected_arg = &connects;
	connects = 0;
	stop = 0;
	assert_int_equal(pthread_create(&th, NULL, serve_thread, NULL), 0);
	struct timespec ts = {0, 300 * 1000 * 1000};
	nanosleep(&ts, NULL);
	stop_serving(th);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(served, ORSP_OK);
	assert_int_equal(connects, 0); /* never connected: never said so */
}

static void test_serve_args(void **state)
{
	(void)state;
	orsp_euicc_apdu_ctx blank;
	memset(&blank, 0, sizeof(blank));
	stop = 0;
	assert_int_equal(orsp_vpcd_serve(NULL, 1, NULL, &stop), ORSP_E_USAGE);
	assert_int_equal(orsp_vpcd_serve(NULL, 1, &blank, &stop), ORSP_E_USAGE);
	card();
	assert_int_equal(orsp_vpcd_serve(NULL, 1, &ctx, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_vpcd_serve_opts(NULL, &ctx, &stop), ORSP_E_USAGE);
	stop = 1; /* already stopped: returns at once */
	assert_int_equal(orsp_vpcd_serve(NULL, 0, &ctx, &stop), ORSP_OK);
}

/* --trace (orsp_vpcd_opts.trace) prints every APDU but the secrets of a NAA: the response
 * data of AUTHENTICATE (RES, CK, IK, Kc), with the command or in GET RESPONSE, also when
 * commands on another channel come in between, the data of the PIN and UPDATE commands,
 * and PrepareDownload's hashCc in its STORE DATA and in the answer. A test application on
 * the MF answers AUTHENTICATE with SECRET and echoes anything else; the echo application
 * answers STORE DATA with its data. */
static const uint8_t SECRET[] = {0xDB, 0x08, 0x5E, 0xC7, 0x2A, 0x91, 0x0B, 0xF4, 0x66, 0x3D,
                                 0x10, 0xA7, 0x52, 0xE9, 0x84, 0x1F, 0xC3, 0x78, 0x25, 0xBE};
#define SECRET_HEX "5EC72A910BF4663D" /* what must not appear */
#define PIN_HEX "3132333435363738"    /* the PIN sent */
#define KEYS_HEX "C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0" /* keys written back */

/* a hashCc (32 bytes) in two parts: 15 bytes, then 17 */
#define HASHCC1_HEX "C0FFEE0123456789ABCDEF01234567"
#define HASHCC2_HEX "89ABCDEFC0FFEE0123456789ABCDEF0123"
/* hashCc in commands the echo application answers: with extended lengths, and without Le */
#define HASHCC3_HEX "5A5A0F0F1E1E2D2D3C3C4B4B69697878"
#define HASHCC4_HEX "A1B2C3D4E5F60718293A4B5C6D7E8F90"

static uint16_t naa_process(void *user, uint8_t ch, const orsp_apdu *a, orsp_writer *rsp)
{
	(void)user;
	(void)ch;
	if (a->ins == 0x88 || a->ins == 0x89)
		orsp_write_bytes(rsp, SECRET, sizeof(SECRET));
	else if (a->ins != 0x20 && a->ins != 0x24 && a->ins != 0x26 && a->ins != 0x28 &&
	         a->ins != 0x2C && a->ins != 0xD6 && a->ins != 0xD7 && a->ins != 0xDC &&
	         a->ins != 0xDD) /* the PIN and UPDATE commands answer no data */
		orsp_write_bytes(rsp, a->data.p, a->data.len);
	return ORSP_SW_OK;
}

/* stderr while the trace goes elsewhere, put back by the teardown (a failed assertion
 * leaves the test early, and its message must be seen) */
static int saved_stderr = -1;
static FILE *trace_log; /* the trace; still set when the test ended early */

static int restore_stderr(void **state)
{
	(void)state;
	if (saved_stderr >= 0) {
		fflush(stderr);
		(void)dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	if (trace_log) {
		char line[512];
		rewind(trace_log);
		while (fgets(line, sizeof(line), trace_log))
			fputs(line, stderr);
		fclose(trace_log);
		trace_log = NULL;
	}
	return 0;
}

/* Serve the card to a stand-in vpcd on a loopback port, its stderr (trace and log) going to
 * log until end_logged; the listening socket. */
static int serve_logged(FILE *log, bool tracing, pthread_t *th)
{
	uint16_t port = 0;
	int ls = listen_loopback(&port);

	memset(&opts, 0, sizeof(opts));
	opts.host = "127.0.0.1";
	opts.port = port;
	opts.trace = tracing;
	opts.retry_min_ms = 10;
	stop = 0;
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fileno(log), STDERR_FILENO) >= 0);
	assert_int_equal(pthread_create(th, NULL, serve_thread, NULL), 0);
	return ls;
}

/* Stop serve_logged's card, close its sockets, and read what went to log into text. */
static void end_logged(void **state, pthread_t th, int c, int ls, FILE *log, char *text, size_t cap)
{
	stop_serving(th);
	assert_int_equal(pthread_join(th, NULL), 0);
	trace_log = NULL;
	restore_stderr(state);
	close(c);
	close(ls);
	assert_int_equal(served, ORSP_OK);
	rewind(log);
	size_t n = fread(text, 1, cap - 1, log);
	text[n] = '\0';
	fclose(log);
}

static void test_trace_redacts(void **state)
{
	static const orsp_euicc_app_ops naa_ops = {.process = naa_process};
	char hex[2 * sizeof(SECRET) + 1], secret_rsp[2 * sizeof(SECRET) + 5];
	pthread_t th;
	FILE *log = trace_log = tmpfile();

	assert_non_null(log);
	assert_int_equal(orsp_hex_encode(SECRET, sizeof(SECRET), hex, sizeof(hex)), ORSP_OK);
	snprintf(secret_rsp, sizeof(secret_rsp), "%s9000", hex);
	card();
	orsp_euicc_apdu_set_mf(&ctx, &naa_ops, NULL);
	/* the trace goes to stderr: into log while the card is served */
	int ls = serve_logged(log, true, &th);

	int c = accept_within(ls, 5000);
	send_msg(c, "0070000100"); /* channel 1, by number: nothing pending */
	expect_msg(c, "9000");
	/* with Le: the answer comes at once */
	send_msg(c, "008800812210"
	            "00112233445566778899AABBCCDDEEFF"
	            "10"
	            "00112233445566778899AABBCCDDEEFF"
	            "00");
	expect_msg(c, secret_rsp);
	send_msg(c, "0089008102100000");
	expect_msg(c, secret_rsp);
	/* without: in GET RESPONSE, two parts; a GET RESPONSE on another channel in between
	 * loses it, 6F00 there and on its own channel (TS 102 221 §12.1.1.1) */
	send_msg(c, "01880081021000");
	expect_msg(c, "6114");
	send_msg(c, "00C0000014");
	expect_msg(c, "6F00");
	send_msg(c, "01C000000A");
	expect_msg(c, "6F00");
	send_msg(c, "0070000200");
	expect_msg(c, "9000");
	send_msg(c, "01880081021000");
	expect_msg(c, "6114");
	send_msg(c, "01C000000A");
	expect_msg(c, "DB085EC72A910BF4663D610A");
	send_msg(c, "01C000000A");
	expect_msg(c, "10A752E9841FC37825BE9000");
	/* the response delivered: the next GET RESPONSE's data is shown again */
	send_msg(c, "01B0000003010203");
	expect_msg(c, "6103");
	send_msg(c, "01C0000003");
	expect_msg(c, "0102039000");
	/* the PIN commands' data */
	send_msg(c, "0020000108" PIN_HEX);
	expect_msg(c, "9000");
	send_msg(c, "002400011031323334FFFFFFFF" PIN_HEX);
	expect_msg(c, "9000");
	send_msg(c, "002C00011031323334FFFFFFFF" PIN_HEX);
	expect_msg(c, "9000");
	send_msg(c, "0026000108" PIN_HEX);
	expect_msg(c, "9000");
	send_msg(c, "0028000108" PIN_HEX);
	expect_msg(c, "9000");
	/* UPDATE BINARY and RECORD: CK and IK written back to EF.KEYS, a NAS context */
	send_msg(c, "00D6000011"
	            "01" KEYS_HEX);
	expect_msg(c, "9000");
	send_msg(c, "00D7000016"
	            "540200005310" KEYS_HEX);
	expect_msg(c, "9000");
	send_msg(c, "00DC010410" KEYS_HEX);
	expect_msg(c, "9000");
	send_msg(c, "00DD000016"
	            "540200005310" KEYS_HEX);
	expect_msg(c, "9000");
	/* PrepareDownload's STORE DATA (hashCc, from which a short confirmation code would be
	 * found) in two blocks, then another ES10 command's, shown (no ISD-R is selected here:
	 * refused, 6985; the trace is of the commands) */
	send_msg(c, "80E2110014BF21400420" HASHCC1_HEX);
	expect_msg(c, "6985");
	/* in between, a command refused unparsed (the card's chain goes on after it) and a
	 * STORE DATA on another channel: the next block is still PrepareDownload's */
	send_msg(c, "00B0000005AA");
	expect_msg(c, "6700");
	send_msg(c, "81E2910003BF2E00");
	expect_msg(c, "6985");
	send_msg(c, "80E2910111" HASHCC2_HEX);
	expect_msg(c, "6985");
	send_msg(c, "80E2910003BF2E00");
	expect_msg(c, "6985");
	/* its first block one byte long (an LPA's block size of 1: PrepareDownload's tag cut
	 * after its first byte), which the trace took for another command's, showing the
	 * blocks after it: the chain is hidden from it on */
	send_msg(c, "80E2110001BF");
	expect_msg(c, "6985");
	send_msg(c, "80E291010921C0FFEE0BADC0DE5E");
	expect_msg(c, "6985");
	/* the answer to PrepareDownload (EUICCSigned2 echoes hashCc), from the echo application
	 * on channel 2: at once, to a command with extended lengths; in GET RESPONSE, in two
	 * parts; another STORE DATA's answer is shown */
	send_msg(c, "02A4040C05F076706364");
	expect_msg(c, "9000");
	send_msg(c, "82E29100000015BF21128010" HASHCC3_HEX "0000");
	expect_msg(c, "BF21128010" HASHCC3_HEX "9000");
	send_msg(c, "82E2910015BF21128010" HASHCC4_HEX);
	expect_msg(c, "6115");
	send_msg(c, "02C0000008");
	expect_msg(c, "BF21128010A1B2C3610D");
	send_msg(c, "02C000000D");
	expect_msg(c, "D4E5F60718293A4B5C6D7E8F909000");
	send_msg(c, "82E2910003BF2E0000");
	expect_msg(c, "BF2E009000");
	/* a card reset forgets the pending response: an echo that follows is shown */
	send_msg(c, "01880081021000");
	expect_msg(c, "6114");
	send_msg(c, "02");
	send_msg(c, "00B0000002ABCD");
	expect_msg(c, "6102");
	send_msg(c, "00C0000002");
	expect_msg(c, "ABCD9000");

	char text[8192];
	end_logged(state, th, c, ls, log, text, sizeof(text));
	if (strstr(text, SECRET_HEX) || strstr(text, "10A752E9841FC378") || strstr(text, PIN_HEX) ||
	    strstr(text, KEYS_HEX) || strstr(text, HASHCC1_HEX) || strstr(text, HASHCC2_HEX) ||
	    strstr(text, HASHCC3_HEX) || strstr(text, "0F1E1E2D2D3C3C4B") ||
	    strstr(text, "A1B2C3") || strstr(text, "D4E5F6") || strstr(text, "C0FFEE0BADC0DE5E"))
		fail_msg("a secret in the trace:\n%s", text);
	/* what is left out is counted, the rest is there */
	assert_non_null(strstr(text, "vpcd << 9000 [20 bytes of response data not shown]"));
	assert_non_null(strstr(text, "vpcd << 610A [10 bytes of response data not shown]"));
	assert_non_null(strstr(text, "vpcd >> 00200001 [9 bytes not shown]"));
	assert_non_null(strstr(text, "vpcd >> 002C0001 [17 bytes not shown]"));
	assert_non_null(strstr(text, "vpcd >> 00D60000 [18 bytes not shown]"));
	assert_non_null(strstr(text, "vpcd >> 00DC0104 [17 bytes not shown]"));
	assert_non_null(strstr(text, "vpcd >> 008800812210"));
	assert_non_null(strstr(text, "vpcd >> 80E21100 [21 bytes not shown]"));
	assert_non_null(strstr(text, "vpcd >> 80E29101 [18 bytes not shown]"));
	assert_non_null(strstr(text, "vpcd >> 81E2910003BF2E00\n"));
	assert_non_null(strstr(text, "vpcd >> 80E2910003BF2E00\n"));
	assert_non_null(strstr(text, "vpcd >> 80E21100 [2 bytes not shown]"));
	assert_non_null(strstr(text, "vpcd >> 80E29101 [10 bytes not shown]"));
	assert_non_null(strstr(text, "vpcd >> 82E29100 [26 bytes not shown]"));
	assert_non_null(strstr(text, "vpcd << 9000 [21 bytes of response data not shown]"));
	assert_non_null(strstr(text, "vpcd >> 82E29100 [22 bytes not shown]"));
	assert_non_null(strstr(text, "vpcd << 6115\n"));
	assert_non_null(strstr(text, "vpcd << 610D [8 bytes of response data not shown]"));
	assert_non_null(strstr(text, "vpcd << 9000 [13 bytes of response data not shown]"));
	assert_non_null(strstr(text, "vpcd >> 82E2910003BF2E0000\n"));
	assert_non_null(strstr(text, "vpcd << BF2E009000\n"));
	assert_non_null(strstr(text, "vpcd << 0102039000"));
	assert_non_null(strstr(text, "vpcd << ABCD9000"));
}

/* A peer sending garbage fills no log: the first SKIPPED_LOGGED (5) malformed messages of a
 * connection are logged, one line each, and the rest are counted, in a line every
 * SKIPPED_REPORT_EVERY (1000) and one when the connection ends. The card keeps serving. */
static void test_serve_skipped_quiet(void **state)
{
	pthread_t th;
	FILE *log = trace_log = tmpfile();
	char atr_hex[2 * 64 + 1], text[8192];
	orsp_slice atr = orsp_euicc_atr();

	assert_non_null(log);
	assert_int_equal(orsp_hex_encode(atr.p, atr.len, atr_hex, sizeof(atr_hex)), ORSP_OK);
	card();
	int ls = serve_logged(log, false, &th);
	int c = accept_within(ls, 5000);
	for (int i = 0; i < 50; i++)
		send_msg(c, i % 2 ? "FF" : "");
	send_msg(c, "04"); /* still served */
	expect_msg(c, atr_hex);
	close(c);
	c = accept_within(ls, 5000); /* the first connection ended: its count is logged */
	for (int i = 0; i < 1001; i++)
		send_msg(c, "03");
	send_msg(c, "04");
	expect_msg(c, atr_hex);
	end_logged(state, th, c, ls, log, text, sizeof(text));

	size_t lines = 0;
	for (const char *p = text; (p = strstr(p, "message skipped")) != NULL; p++)
		lines++;
	if (lines != 10) /* five of each connection */
		fail_msg("%zu lines of a skipped message, not 10:\n%s", lines, text);
	assert_non_null(strstr(text, "message skipped; more on this connection are counted"));
	assert_non_null(
	    strstr(text, "50 malformed messages skipped on the connection, 45 not logged"));
	assert_non_null(strstr(text, "1000 malformed messages skipped on this connection so far"));
	assert_non_null(
	    strstr(text, "1001 malformed messages skipped on the connection, 996 not logged"));
	const char *so_far = strstr(text, "so far");
	assert_null(strstr(so_far + 1, "so far")); /* one count: at the 1000th */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handle),
	    cmocka_unit_test(test_serve),
	    cmocka_unit_test(test_serve_retries),
	    cmocka_unit_test(test_serve_args),
	    cmocka_unit_test_teardown(test_trace_redacts, restore_stderr),
	    cmocka_unit_test_teardown(test_serve_skipped_quiet, restore_stderr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
