/* `openrsp bench e2e`: complete download + install + enable cycles per second, in-process:
 * the SM-DP+ server (HTTPS on loopback), the software eUICC (sealed state directory) and the
 * LPA on the eUICC's APDU interface. Each cycle also disables and deletes the profile and
 * delivers the notifications, so the eUICC never fills up. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_smdp.h"
#include "bench_util.h"
#include "cli.h"
#include "openrsp/euicc.h"
#include "openrsp/lpa.h"
#include "openrsp/smdp.h"

#define FQDN "smdp-e2e.openrsp.test"

enum { OPT_CYCLES = CLI_OPT_CMD, OPT_JSON };

static orsp_err read_all(const char *path, uint8_t **out, size_t *n)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		return orsp_errf(ORSP_E_NOT_FOUND, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	*out = len > 0 ? malloc((size_t)len) : NULL;
	if (!*out || fread(*out, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(*out);
		return orsp_errf(ORSP_E_IO, "%s: cannot read", path);
	}
	fclose(f);
	*n = (size_t)len;
	return ORSP_OK;
}

/* The device's eUICC from the PKI's eUICC identity. */
static orsp_err make_euicc(const char *pki, const char *dir, char eid[33])
{
	const char *names[4] = {"euicc/euicc_key.pem", "euicc/euicc.der", "eum/eum.der", "ci/ci.der"};
	uint8_t *b[4] = {0};
	size_t n[4] = {0};
	orsp_euicc_identity id = {0};
	orsp_cert *cert = NULL;
	char path[1200];
	orsp_err e = ORSP_OK;

	for (int i = 0; !e && i < 4; i++) {
		snprintf(path, sizeof(path), "%.1000s/%s", pki, names[i]);
		e = read_all(path, &b[i], &n[i]);
	}
	if (!e)
		e = orsp_cert_parse(b[1], n[1], &cert);
	if (!e)
		e = orsp_cert_subject_serial(cert, eid, 33);
	if (!e) {
		id.eid = eid;
		id.sk_euicc = orsp_slice_make(b[0], n[0]);
		id.cert_euicc = orsp_slice_make(b[1], n[1]);
		id.cert_eum = orsp_slice_make(b[2], n[2]);
		id.ci_certs[0] = orsp_slice_make(b[3], n[3]);
		id.n_ci = 1;
		e = orsp_euicc_host_create(dir, &id);
	}
	orsp_cert_free(cert);
	for (int i = 0; i < 4; i++) {
		if (b[i])
			orsp_wipe(b[i], n[i]);
		free(b[i]);
	}
	return e;
}

int bench_e2e(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"cycles", required_argument, NULL, OPT_CYCLES},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	static orsp_smdp_config cfg;
	uint64_t cycles = 30;
	bool json = false;
	char base[1024], pki[1100], conf[1100], db[1100], edir[1100], ca[1200], url[64], eid[33];
	orsp_smdp_server *srv = NULL;
	orsp_euicc_host *host = NULL;
	orsp_lpa_transport t;
	orsp_lpa_card card = {0};
	orsp_lpa_route route;
	orsp_lpa_server sv = {0};
	double *t_dl = NULL, *t_en = NULL, *t_rm = NULL, t0, total;
	volatile sig_atomic_t *stop;
	int c, rc;
	orsp_err e = ORSP_OK;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_CYCLES) {
			if ((rc = cli_uint("--cycles", optarg, 1, 10000, &cycles)))
				return rc;
		} else if (c == OPT_JSON) {
			json = true;
		} else {
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	rc = CLI_FAIL;
	/* SIGINT, SIGTERM, SIGHUP: the run stops before its next profile or cycle and removes its
	 * directory (the default action left the PKI's keys and the eUICC's state there) */
	stop = cli_stop_on_signals();
	snprintf(base, sizeof(base), "%.900s/openrsp-bench-e2e.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base))
		return cli_failf(base, "cannot create: %s", strerror(errno));
	snprintf(pki, sizeof(pki), "%s/pki", base);
	snprintf(conf, sizeof(conf), "%s/smdp.conf", base);
	snprintf(db, sizeof(db), "%s/smdp.db", base);
	snprintf(edir, sizeof(edir), "%s/euicc", base);
	snprintf(ca, sizeof(ca), "%s/ci/ci.pem", pki);
	t_dl = calloc(cycles, sizeof(double));
	t_en = calloc(cycles, sizeof(double));
	t_rm = calloc(cycles, sizeof(double));
	if (!t_dl || !t_en || !t_rm || cli_pki_create(pki, FQDN, "2.999.10") != CLI_OK)
		goto out;
	if ((e = make_euicc(pki, edir, eid)))
		goto fail;
	if (bench_smdp_conf(conf, FQDN, pki, db, false, "log = no\n") != 0) {
		cli_failf(conf, "cannot write: %s", strerror(errno));
		goto out;
	}
	const char *const eid_list[] = {eid};
	if ((e = orsp_smdp_config_load(conf, &cfg)) ||
	    (e = bench_smdp_inventory(&cfg.svc, db, eid_list, 1, cycles, NULL, NULL, stop)) ||
	    (e = orsp_smdp_server_start(&cfg, &srv)) || (e = orsp_euicc_host_open(edir, &host)) ||
	    (e = orsp_lpa_transport_apdu(orsp_euicc_host_apdu(host), &t)) ||
	    (e = orsp_lpa_card_open(&card, &t)))
		goto fail;
	snprintf(url, sizeof(url), "https://127.0.0.1:%u", (unsigned)orsp_smdp_server_port(srv));
	route = (orsp_lpa_route){FQDN, url};
	sv.ca_file = ca;
	sv.routes = &route;
	sv.n_routes = 1;
	t0 = orsp_mono_s();
	for (uint64_t i = 0; i < cycles; i++) {
		char ac[96], iccid[21];
		orsp_lpa_ac pac;
		orsp_lpa_download_opts o = {0};
		double a = orsp_mono_s(), b2, c2;
		size_t sent;

		if (orsp_stop_set(stop)) {
			e = orsp_errf(ORSP_E_STATE, "stopped by a signal");
			goto fail;
		}
		snprintf(ac, sizeof(ac), "LPA:1$%s$BENCH-%llu", FQDN, (unsigned long long)i);
		o.ac = &pac;
		o.server = &sv;
		if ((e = orsp_lpa_ac_parse(ac, &pac)) || (e = orsp_lpa_download(&card, &o, iccid)))
			goto fail;
		b2 = orsp_mono_s();
		if ((e = orsp_lpa_enable(&card, iccid)))
			goto fail;
		c2 = orsp_mono_s();
		if ((e = orsp_lpa_disable(&card, iccid)) || (e = orsp_lpa_delete(&card, iccid)) ||
		    (e = orsp_lpa_process_notifications(&card, &sv, &sent)))
			goto fail;
		t_dl[i] = b2 - a;
		t_en[i] = c2 - b2;
		t_rm[i] = orsp_mono_s() - c2;
	}
	total = orsp_mono_s() - t0;
	{
		double md = bench_median(t_dl, (int)cycles), me = bench_median(t_en, (int)cycles),
		       mr = bench_median(t_rm, (int)cycles);
		if (json)
			printf("{\"cycles\":%llu,\"seconds\":%.3f,\"cycles_per_s\":%.2f,"
			       "\"download_install_ms\":%.2f,\"enable_ms\":%.2f,"
			       "\"disable_delete_notify_ms\":%.2f}\n",
			       (unsigned long long)cycles, total, (double)cycles / total, md * 1e3,
			       me * 1e3, mr * 1e3);
		else
			printf("bench e2e: %llu cycles in %.2f s: %.1f cycles/s\n"
			       "  download + install (ES9+ over HTTPS, ES10, result sent): %.1f ms median\n"
			       "  enable (USIM loaded): %.1f ms; disable + delete + notifications: %.1f ms\n",
			       (unsigned long long)cycles, total, (double)cycles / total, md * 1e3,
			       me * 1e3, mr * 1e3);
	}
	rc = CLI_OK;
	goto out;
fail:
	cli_fail("bench e2e", e);
out:
	orsp_lpa_card_close(&card);
	orsp_euicc_host_close(host);
	orsp_smdp_server_stop(srv);
	orsp_smdp_config_free(&cfg);
	free(t_dl);
	free(t_en);
	free(t_rm);
	if (strstr(base, "openrsp-bench-e2e.") && cli_rm_rf(base) != 0)
		fprintf(stderr, "bench e2e: could not remove %s\n", base);
	return rc;
}
