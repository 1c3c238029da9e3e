/* `openrsp bench smdp`: complete downloads per second against a running SM-DP+
 * (bench/bench_smdp.c). One row in the bench_cmds table of cli/cmd_bench.c uses this. */
#ifndef ORSP_BENCH_SMDP_H
#define ORSP_BENCH_SMDP_H

#define BENCH_SMDP_SUMMARY "complete profile downloads per second against the SM-DP+"
#define BENCH_SMDP_SYNOPSIS "[--downloads N] [--clients C] [--plain-http] [--json]"
#define BENCH_SMDP_HELP                                                                            \
	"Starts `openrsp smdp serve` as a separate process on a throw-away PKI and database\n"      \
	"holding N generated, ordered and released profiles (the TS.48 template personalised),\n"  \
	"then C client threads play eUICCs with real signatures and run the four ES9+ calls of\n"  \
	"each download (initiateAuthentication, authenticateClient, getBoundProfilePackage,\n"     \
	"handleNotification with a signed installation result) over one keep-alive connection\n"  \
	"each. Reports downloads per second, latency percentiles, the SM-DP+ process's CPU time\n" \
	"per download (from /proc) and, measured in the same run, the cryptography one download\n" \
	"costs the server (2 ECDSA signs, 5 verifications, one key generation, the BPP).\n\n"       \
	"options:\n"                                                                               \
	"  --downloads N        complete downloads (default 400)\n"                                \
	"  --clients C          concurrent clients (default 4)\n"                                 \
	"  --plain-http         without TLS (the server behind a TLS-terminating proxy)\n"          \
	"  --json               one JSON object instead of text\n"

int bench_smdp(int argc, char **argv);

#endif
