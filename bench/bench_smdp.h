/* `openrsp bench smdp`: complete downloads per second against a running SM-DP+
 * (bench/bench_smdp.c). One row in the bench_cmds table of cli/cmd_bench.c uses this. */
#ifndef ORSP_BENCH_SMDP_H
#define ORSP_BENCH_SMDP_H

#define BENCH_SMDP_SUMMARY "Complete profile downloads per second against the SM-DP+"
#define BENCH_SMDP_SYNOPSIS                                                                        \
	"[--downloads N] [--clients C] [--server-threads T] [--plain-http]\n"                      \
	"                          [--refused-requests R] [--json]\n"                              \
	"       openrsp bench smdp --url URL --server-pid PID --pki DIR --smdp-address FQDN\n"     \
	"                          --matching-id ID [--downloads N] [--clients C] [--json]"
#define BENCH_SMDP_HELP                                                                            \
	"Starts `openrsp smdp serve` as a separate process on a throw-away PKI and database\n"     \
	"holding N generated, ordered and released profiles (the TS.48 template personalised),\n"  \
	"then C client threads play eUICCs with real signatures and run the four ES9+ calls of\n"  \
	"each download (initiateAuthentication, authenticateClient, getBoundProfilePackage,\n"     \
	"handleNotification with a signed installation result) over one keep-alive connection\n"   \
	"each. Reports downloads per second, latency percentiles, the SM-DP+ process's CPU time\n" \
	"per download (from /proc) and, measured in the same run, the cryptography one download\n" \
	"costs the server (2 ECDSA signs, 5 verifications, one key generation, the BPP), timed\n"  \
	"alone in this process, with warm caches and with cold ones (4 MiB touched before each\n"  \
	"operation); and the crypto CPU time the server itself counted during the\n"               \
	"load (its /metrics), with the ratio of its CPU time to each; and how the machine's\n"     \
	"cores were shared: the server, the load generator (this process), idle. After the "       \
	"load,\n"                                                                                  \
	"R requests the server refuses at once (initiateAuthentication with an euiccChallenge\n"   \
	"that is not base64), one after another over one connection, give its CPU time per\n"      \
	"request without ES9+ work.\n\n"                                                           \
	"options:\n"                                                                               \
	"  --downloads N        complete downloads (default 400)\n"                                \
	"  --clients C          concurrent clients (default 4)\n"                                  \
	"  --server-threads T   the server's threads (default: C, at most 8)\n"                    \
	"  --plain-http         without TLS (the server behind a TLS-terminating proxy)\n"         \
	"  --refused-requests R the requests refused at once after the load (default 5000;\n"      \
	"                       0: none)\n"                                                        \
	"  --json               one JSON object instead of text\n\n"                               \
	"Another SM-DP+ (pySim's osmo-smdpp, say), already running on this machine:\n"             \
	"  --url URL            its ES9+ base URL (http://127.0.0.1:8000); https:// checks its\n"  \
	"                       TLS certificate against DIR/ci/ci.pem and the FQDN\n"              \
	"  --server-pid PID     its process, whose CPU time is read from /proc\n"                  \
	"  --pki DIR            a CI it trusts and an EUM under it, laid out as `pki init` "       \
	"does:\n"                                                                                  \
	"                       DIR/ci/ci.der, DIR/eum/eum.der, DIR/eum/eum_key.pem and\n"         \
	"                       DIR/euicc/euicc.der (its EID's first 8 digits start every EID);\n" \
	"                       one eUICC per download is issued under the EUM\n"                  \
	"  --smdp-address FQDN  the address it answers to\n"                                       \
	"  --matching-id ID     the matching ID of every download, \"{n}\" replaced by the\n"      \
	"                       download's number (0, 1, ...) where the server consumes orders\n"

int bench_smdp(int argc, char **argv);

/* Shared with bench e2e: n profiles from the TS.48 template (personalised ICCID/IMSI),
 * profile i ordered for eids[i % n_eids] with matching ID BENCH-<i>, released and its
 * metadata built; the first package is copied to *upp_out (malloc'd) when upp_out is not
 * NULL. Stops (ORSP_E_STATE) before the next profile once *stop is set, if stop is not NULL. */
#include <signal.h>
#include <stdbool.h>

#include "openrsp/smdp.h"
orsp_err bench_smdp_inventory(const orsp_smdp_service *svc, const char *db, const char *const *eids,
                              size_t n_eids, size_t n, uint8_t **upp_out, size_t *upp_len,
                              const volatile sig_atomic_t *stop);
/* Shared with bench e2e: the SM-DP+ configuration of a bench run written to path: fqdn, OID
 * 2.999.10, the PKI that cli_pki_create made under pki (DPtls for HTTPS unless plain),
 * database db, any free port, extra ("" or whole lines) in the global section. 0, or -1 if
 * it cannot be written (errno says why). */
int bench_smdp_conf(const char *path, const char *fqdn, const char *pki, const char *db, bool plain,
                    const char *extra);

#define BENCH_E2E_SUMMARY "download + install + enable cycles per second, all in-process"
#define BENCH_E2E_SYNOPSIS "[--cycles N] [--json]"
#define BENCH_E2E_HELP                                                                             \
	"In one process: an SM-DP+ server over HTTPS on loopback (a throw-away PKI and database\n" \
	"with N released profiles), a software eUICC in a sealed state directory and the LPA on\n" \
	"its APDU interface. Each cycle downloads a profile (ES9+ and ES10, the installation\n"    \
	"result sent), enables it, then disables and deletes it and delivers the notifications,\n" \
	"so the eUICC never fills up. Reports cycles per second and the median time of each\n"    \
	"part.\n\n"                                                                               \
	"options:\n"                                                                               \
	"  --cycles N           cycles (default 30)\n"                                             \
	"  --json               one JSON object instead of text\n"

int bench_e2e(int argc, char **argv);

#endif
