/* `openrsp bench smdp`: complete downloads per second against a running SM-DP+
 * (bench/bench_smdp.c). One row in the bench_cmds table of cli/cmd_bench.c uses this. */
#ifndef ORSP_BENCH_SMDP_H
#define ORSP_BENCH_SMDP_H

#define BENCH_SMDP_SUMMARY "Complete profile downloads per second against the SM-DP+"
#define BENCH_SMDP_SYNOPSIS                                                                        \
	"[--downloads N] [--clients C] [--server-threads T]\n"                                     \
	"                          [--servers S [--sticky]] [--reconnect] [--plain-http]\n"        \
	"                          [--refused-requests R] [--crl N] [--json]\n"                    \
	"       openrsp bench smdp --url URL --server-pid PID --pki DIR\n"                         \
	"                          --smdp-address FQDN --matching-id ID [--downloads N]\n"         \
	"                          [--clients C] [--reconnect] [--json]"
#define BENCH_SMDP_HELP                                                                            \
	"Starts `openrsp smdp serve` as a separate process on a throw-away PKI and\n"              \
	"database holding N generated, ordered and released profiles (the TS.48 template\n"        \
	"personalised), then C client threads play eUICCs with real signatures and run\n"          \
	"the four ES9+ calls of each download (initiateAuthentication,\n"                          \
	"authenticateClient, getBoundProfilePackage, handleNotification with a signed\n"           \
	"installation result) over one keep-alive connection each; the run fails unless\n"         \
	"every download left its profile Installed (the server's /metrics). Reports\n"             \
	"downloads per second, latency percentiles, the SM-DP+ process's CPU time per\n"           \
	"download (from /proc) and, measured in the same run, the cryptography one\n"              \
	"download costs the server (2 ECDSA signs, 4 verifications, one key generation,\n"         \
	"the BPP, on the curve of the PKI's keys), timed alone in this process, with\n"            \
	"warm caches and with cold ones (4 MiB touched before each operation); and the\n"          \
	"crypto CPU time the server itself counted during the load (its /metrics), with\n"         \
	"the ratio of its CPU time to each; and how the machine's cores were shared: the\n"        \
	"server, the load generator (this process), idle. After the load, R requests the\n"        \
	"server refuses at once (initiateAuthentication with an euiccChallenge that is\n"          \
	"not base64), one after another over one connection, give its CPU time per\n"              \
	"request without ES9+ work.\n\n"                                                           \
	"options:\n"                                                                               \
	"  --downloads N        complete downloads (default 400)\n"                                \
	"  --clients C          concurrent clients (default 4)\n"                                  \
	"  --server-threads T   the server's threads (default: C, at most 8)\n"                    \
	"  --servers S          S server processes on the one database (1..8, default 1),\n"       \
	"                       each client with a connection to each; a download's\n"             \
	"                       steps go to the next server each (no session affinity);\n"         \
	"                       CPU and crypto are the servers' together, the refused\n"           \
	"                       requests go to the first\n"                                        \
	"  --sticky             with --servers: each client keeps to one server\n"                 \
	"  --reconnect          each request on a new connection (with TLS a full\n"               \
	"                       handshake, no session resumed), as lpac makes them\n"              \
	"  --plain-http         without TLS (the server behind a TLS-terminating proxy)\n"         \
	"  --refused-requests R the requests refused at once after the load (default\n"            \
	"                       5000; 0: none)\n"                                                  \
	"  --crl N              the server checks revocation: a CRL of the EUM listing N\n"        \
	"                       random serial numbers (none of the bench's eUICCs) and\n"          \
	"                       one of the CI listing one (default: no CRL)\n"                     \
	"  --json               one JSON object instead of text\n\n"                               \
	"Another SM-DP+ (pySim's osmo-smdpp, say), already running on this machine:\n"             \
	"  --url URL            its ES9+ base URL (http://127.0.0.1:8000); https://\n"             \
	"                       checks its TLS certificate against DIR/ci/ci.pem and the\n"        \
	"                       FQDN\n"                                                            \
	"  --server-pid PID     its process, whose CPU time is read from /proc\n"                  \
	"  --pki DIR            a CI it trusts and an EUM under it, laid out as\n"                 \
	"                       `pki init` does: DIR/ci/ci.der, DIR/eum/eum.der,\n"                \
	"                       DIR/eum/eum_key.pem and DIR/euicc/euicc.der (its EID's\n"          \
	"                       first 8 digits start every EID); one eUICC per download\n"         \
	"                       is issued under the EUM\n"                                         \
	"  --smdp-address FQDN  the address it answers to\n"                                       \
	"  --matching-id ID     the matching ID of every download, \"{n}\" replaced by the\n"      \
	"                       download's number (0, 1, ...) where the server consumes\n"         \
	"                       orders\n"

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
	"In one process: an SM-DP+ server over HTTPS on loopback (a throw-away PKI and\n"          \
	"database with N released profiles), a software eUICC in a sealed state directory\n"       \
	"and the LPA on its APDU interface. Each cycle downloads a profile (ES9+ and\n"            \
	"ES10, the installation result sent), enables it, then disables and deletes it\n"          \
	"and delivers the notifications, so the eUICC never fills up. Reports cycles per\n"        \
	"second and the median time of each part.\n\n"                                             \
	"options:\n"                                                                               \
	"  --cycles N           cycles (default 30)\n"                                             \
	"  --json               one JSON object instead of text\n"

int bench_e2e(int argc, char **argv);

#endif
