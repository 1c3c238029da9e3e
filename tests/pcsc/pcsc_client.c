/* A small PC/SC client for tests/pcsc/run.sh: it talks to the software eUICC (serving the
 * test echo application through vpcd) the way lpac does (euicc/es10x.c, driver/apdu/pcsc.c):
 * TERMINAL CAPABILITY, MANAGE CHANNEL open, SELECT by AID on that channel with the FCI
 * fetched by GET RESPONSE, one command in chained STORE DATA blocks of 120 bytes (P1 11 then
 * 91, P2 the block number), the response collected over 61xx + GET RESPONSE with CLA 8X,
 * MANAGE CHANNEL close; then checks that a closed channel is refused.
 *
 *   pcsc_client READER_SUBSTRING AID_HEX ATR_HEX T0|T1 [TIMEOUT_SECONDS]
 *
 * T0 connects with SCARD_PROTOCOL_T0 only, as lpac does; T1 with T=1 only. Exit status 0
 * when every step gives the expected answer, 1 otherwise, 2 on bad usage. It waits up to
 * TIMEOUT_SECONDS (default 20) for the reader and the card to appear.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <winscard.h>

#define MAX_APDU 261
#define BLOCK 120 /* lpac's default STORE DATA segment (LPAC_CUSTOM_ES10X_MSS) */
#define PAYLOAD 700

static SCARDHANDLE card;
static const SCARD_IO_REQUEST *pci;

static int hex_decode(const char *hex, unsigned char *out, size_t cap, size_t *len)
{
	size_t n = strlen(hex);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*len = n / 2;
	return 0;
}

static void hex_print(const char *label, const unsigned char *p, size_t n)
{
	printf("%s", label);
	for (size_t i = 0; i < n; i++)
		printf("%02X", p[i]);
	printf("\n");
}

/* Send one APDU; on success *sw is SW1SW2 and the data (without SW) is in rsp/rsp_len. */
static int transmit(const unsigned char *apdu, size_t len, unsigned char *rsp, size_t *rsp_len,
                    unsigned *sw)
{
	unsigned char buf[MAX_APDU + 2];
	DWORD n = sizeof(buf);

	hex_print("  > ", apdu, len);
	LONG rv = SCardTransmit(card, pci, apdu, (DWORD)len, NULL, buf, &n);
	if (rv != SCARD_S_SUCCESS) {
		printf("SCardTransmit: %s\n", pcsc_stringify_error(rv));
		return -1;
	}
	hex_print("  < ", buf, n);
	if (n < 2) {
		printf("response of %lu bytes: no status word\n", (unsigned long)n);
		return -1;
	}
	*sw = ((unsigned)buf[n - 2] << 8) | buf[n - 1];
	*rsp_len = n - 2;
	if (rsp)
		memcpy(rsp, buf, n - 2);
	return 0;
}

static int expect_sw(const char *step, unsigned got, unsigned want)
{
	if (got == want)
		return 0;
	printf("FAIL %s: status word %04X, expected %04X\n", step, got, want);
	return -1;
}

/* Wait until a reader whose name contains `want` has a card; copy its name. */
static int wait_card(SCARDCONTEXT ctx, const char *want, char *name, size_t cap, int timeout)
{
	time_t end = time(NULL) + timeout;
	for (;;) {
		char readers[2048];
		DWORD n = sizeof(readers);
		LONG rv = SCardListReaders(ctx, NULL, readers, &n);
		if (rv == SCARD_S_SUCCESS) {
			for (const char *r = readers; *r; r += strlen(r) + 1) {
				if (!strstr(r, want) || strlen(r) >= cap)
					continue;
				SCARD_READERSTATE st;
				memset(&st, 0, sizeof(st));
				st.szReader = r;
				st.dwCurrentState = SCARD_STATE_UNAWARE;
				rv = SCardGetStatusChange(ctx, 1000, &st, 1);
				if (rv == SCARD_S_SUCCESS &&
				    (st.dwEventState & SCARD_STATE_PRESENT)) {
					memcpy(name, r, strlen(r) + 1); /* fits: checked above */
					return 0;
				}
			}
		}
		if (time(NULL) >= end) {
			printf("FAIL no reader matching \"%s\" with a card after %d s (last: %s)\n",
			       want, timeout, pcsc_stringify_error(rv));
			return -1;
		}
		struct timespec ts = {0, 200 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static int run(const unsigned char *aid, size_t aid_len, const unsigned char *atr, size_t atr_len)
{
	unsigned char apdu[MAX_APDU], rsp[MAX_APDU], payload[PAYLOAD], echo[PAYLOAD + 256];
	size_t rlen = 0, echo_len = 0;
	unsigned sw = 0;

	/* The ATR as pcscd parsed and reported it. */
	unsigned char got_atr[MAX_ATR_SIZE];
	DWORD got_atr_len = sizeof(got_atr), state = 0, proto = 0;
	char rname[256];
	DWORD rname_len = sizeof(rname);
	if (SCardStatus(card, rname, &rname_len, &state, &proto, got_atr, &got_atr_len) !=
	    SCARD_S_SUCCESS)
		return printf("FAIL SCardStatus\n"), -1;
	hex_print("ATR ", got_atr, got_atr_len);
	if (got_atr_len != atr_len || memcmp(got_atr, atr, atr_len) != 0)
		return printf("FAIL ATR differs from the expected one\n"), -1;

	printf("TERMINAL CAPABILITY\n");
	static const unsigned char tc[] = {0x80, 0xAA, 0x00, 0x00, 0x0A, 0xA9, 0x08, 0x81,
	                                   0x00, 0x82, 0x01, 0x01, 0x83, 0x01, 0x07};
	if (transmit(tc, sizeof(tc), rsp, &rlen, &sw) ||
	    expect_sw("terminal capability", sw, 0x9000))
		return -1;

	printf("MANAGE CHANNEL open\n");
	static const unsigned char open_ch[] = {0x00, 0x70, 0x00, 0x00, 0x01};
	if (transmit(open_ch, sizeof(open_ch), rsp, &rlen, &sw) || expect_sw("open", sw, 0x9000))
		return -1;
	if (rlen != 1 || rsp[0] < 1 || rsp[0] > 3)
		return printf("FAIL open: expected one channel number 1-3\n"), -1;
	unsigned char ch = rsp[0];

	printf("SELECT by AID on channel %u\n", ch);
	apdu[0] = ch;
	apdu[1] = 0xA4;
	apdu[2] = 0x04;
	apdu[3] = 0x00;
	apdu[4] = (unsigned char)aid_len;
	memcpy(apdu + 5, aid, aid_len);
	if (transmit(apdu, 5 + aid_len, rsp, &rlen, &sw))
		return -1;
	if ((sw >> 8) != 0x61 || rlen != 0)
		return printf("FAIL select: expected 61xx and no data, got %04X\n", sw), -1;
	unsigned char gr[] = {ch, 0xC0, 0x00, 0x00, (unsigned char)sw};
	if (transmit(gr, sizeof(gr), rsp, &rlen, &sw) || expect_sw("select FCI", sw, 0x9000))
		return -1;
	/* FCI: 6F L 84 L AID ... */
	if (rlen < 4 + aid_len || rsp[0] != 0x6F || rsp[1] != rlen - 2 || rsp[2] != 0x84 ||
	    rsp[3] != aid_len || memcmp(rsp + 4, aid, aid_len) != 0)
		return printf("FAIL select: the FCI does not name the AID\n"), -1;

	printf("STORE DATA, %d bytes in blocks of %d\n", PAYLOAD, BLOCK);
	for (size_t i = 0; i < PAYLOAD; i++)
		payload[i] = (unsigned char)(i * 31 + 7);
	unsigned block = 0;
	for (size_t off = 0; off < PAYLOAD; off += BLOCK, block++) {
		size_t n = PAYLOAD - off < BLOCK ? PAYLOAD - off : BLOCK;
		bool last = off + n == PAYLOAD;
		apdu[0] = (unsigned char)(0x80 | ch);
		apdu[1] = 0xE2;
		apdu[2] = last ? 0x91 : 0x11;
		apdu[3] = (unsigned char)block;
		apdu[4] = (unsigned char)n;
		memcpy(apdu + 5, payload + off, n);
		if (transmit(apdu, 5 + n, rsp, &rlen, &sw))
			return -1;
		if (!last && (expect_sw("store data block", sw, 0x9000) || rlen != 0))
			return -1;
	}
	while ((sw >> 8) == 0x61) {
		unsigned char more[] = {(unsigned char)(0x80 | ch), 0xC0, 0x00, 0x00,
		                        (unsigned char)sw};
		if (transmit(more, sizeof(more), rsp, &rlen, &sw))
			return -1;
		if (echo_len + rlen > sizeof(echo))
			return printf("FAIL response longer than the command\n"), -1;
		memcpy(echo + echo_len, rsp, rlen);
		echo_len += rlen;
	}
	if (expect_sw("store data response", sw, 0x9000))
		return -1;
	if (echo_len != PAYLOAD || memcmp(echo, payload, PAYLOAD) != 0)
		return printf("FAIL the echo of %zu bytes differs from the %d sent\n", echo_len,
		              PAYLOAD),
		       -1;

	printf("MANAGE CHANNEL close\n");
	unsigned char close_ch[] = {0x00, 0x70, 0x80, ch, 0x00};
	if (transmit(close_ch, sizeof(close_ch), rsp, &rlen, &sw) || expect_sw("close", sw, 0x9000))
		return -1;

	printf("STORE DATA on the closed channel\n");
	unsigned char late[] = {(unsigned char)(0x80 | ch), 0xE2, 0x91, 0x00, 0x01, 0x00};
	if (transmit(late, sizeof(late), rsp, &rlen, &sw) ||
	    expect_sw("closed channel", sw, 0x6881))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char aid[16], atr[33];
	size_t aid_len = 0, atr_len = 0;
	SCARDCONTEXT ctx = 0;
	int status = 1;

	if (argc < 5 || argc > 6 || hex_decode(argv[2], aid, sizeof(aid), &aid_len) ||
	    aid_len < 5 || hex_decode(argv[3], atr, sizeof(atr), &atr_len) ||
	    (strcmp(argv[4], "T0") != 0 && strcmp(argv[4], "T1") != 0)) {
		fprintf(stderr,
		        "usage: %s READER_SUBSTRING AID_HEX ATR_HEX T0|T1 [TIMEOUT_SECONDS]\n",
		        argv[0]);
		return 2;
	}
	DWORD want = strcmp(argv[4], "T1") == 0 ? SCARD_PROTOCOL_T1 : SCARD_PROTOCOL_T0;
	int timeout = argc == 6 ? (int)strtol(argv[5], NULL, 10) : 20;
	setvbuf(stdout, NULL, _IOLBF, 0);

	LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		printf("FAIL SCardEstablishContext: %s\n", pcsc_stringify_error(rv));
		return 1;
	}
	char reader[256];
	if (wait_card(ctx, argv[1], reader, sizeof(reader), timeout) != 0)
		goto out;
	printf("reader: %s\n", reader);
	DWORD proto = 0;
	rv = SCardConnect(ctx, reader, SCARD_SHARE_EXCLUSIVE, want, &card, &proto);
	if (rv != SCARD_S_SUCCESS) {
		printf("FAIL SCardConnect: %s\n", pcsc_stringify_error(rv));
		goto out;
	}
	if (proto != want) {
		printf("FAIL SCardConnect gave protocol %lu, not %s\n", (unsigned long)proto,
		       argv[4]);
		SCardDisconnect(card, SCARD_UNPOWER_CARD);
		goto out;
	}
	pci = proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	printf("protocol: T=%d\n", proto == SCARD_PROTOCOL_T1 ? 1 : 0);
	if (run(aid, aid_len, atr, atr_len) == 0) {
		printf("PASS\n");
		status = 0;
	}
	SCardDisconnect(card, SCARD_UNPOWER_CARD);
out:
	SCardReleaseContext(ctx);
	return status;
}
