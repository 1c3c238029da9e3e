/* The software eUICC's APDU layer with a test "echo" application, served to pcscd through
 * vpcd (tests/pcsc/run.sh). The echo application answers every complete STORE DATA command
 * with the command itself. Test use only: it is not part of the product.
 *
 *   pcsc_echo_card AID_HEX [PORT [HOST]] [--trace]
 *
 * Serves until SIGTERM or SIGINT, then exits 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/euicc.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint16_t echo_store_data(void *user, uint8_t channel, orsp_slice data, orsp_writer *rsp)
{
	(void)user;
	(void)channel;
	orsp_write_bytes(rsp, data.p, data.len);
	return ORSP_SW_OK;
}

static const orsp_euicc_app_ops echo_ops = {
    .store_data = echo_store_data,
};

static uint8_t cmd_buf[ORSP_EUICC_MAX_COMMAND];
static uint8_t rsp_buf[ORSP_EUICC_MAX_RESPONSE];

int main(int argc, char **argv)
{
	orsp_euicc_apdu_ctx ctx;
	orsp_vpcd_opts opts;
	uint8_t aid[ORSP_EUICC_AID_MAX];
	size_t aid_len = 0;
	int pos = 0;

	memset(&opts, 0, sizeof(opts));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--trace") == 0) {
			opts.trace = true;
			continue;
		}
		switch (pos++) {
		case 0:
			if (orsp_hex_decode(argv[i], aid, sizeof(aid), &aid_len) != ORSP_OK)
				goto usage;
			break;
		case 1: {
			char *end = NULL;
			unsigned long p = strtoul(argv[i], &end, 10);
			if (!end || *end || p == 0 || p > 65535)
				goto usage;
			opts.port = (uint16_t)p;
			break;
		}
		case 2:
			opts.host = argv[i];
			break;
		default:
			goto usage;
		}
	}
	if (pos < 1)
		goto usage;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	orsp_log_set_level(ORSP_LOG_INFO);

	if (orsp_euicc_apdu_init(&ctx, cmd_buf, sizeof(cmd_buf), rsp_buf, sizeof(rsp_buf)) !=
	        ORSP_OK ||
	    orsp_euicc_apdu_register(&ctx, aid, aid_len, &echo_ops, NULL) != ORSP_OK) {
		fprintf(stderr, "echo card: %s\n", orsp_err_detail());
		return 1;
	}
	if (orsp_vpcd_serve_opts(&opts, &ctx, &stop) != ORSP_OK) {
		fprintf(stderr, "echo card: %s\n", orsp_err_detail());
		return 1;
	}
	return 0;

usage:
	fprintf(stderr, "usage: %s AID_HEX [PORT [HOST]] [--trace]\n", argv[0]);
	return 2;
}
