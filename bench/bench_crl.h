/* `openrsp bench crl`: what a CRL of N entries costs the SM-DP+ to load, to hold and to
 * look a certificate up in (bench/bench_crl.c). One row in the bench_cmds table of
 * cli/cmd_bench.c. */
#ifndef ORSP_BENCH_CRL_H
#define ORSP_BENCH_CRL_H

#define BENCH_CRL_SUMMARY "Load time, memory and lookups/s of EUM CRLs of growing size"
#define BENCH_CRL_SYNOPSIS "[--entries N[,N]...] [--seconds S] [--json]"
#define BENCH_CRL_HELP                                                                             \
	"For each size N, in one run: an EUM (under a CI, both made in memory) issues a\n"         \
	"CRL listing N random 16-octet serial numbers and one eUICC's (N + 1 entries;\n"           \
	"orsp_crl_issue), written to a file under $TMPDIR (else /tmp) and removed once\n"          \
	"read. Measured: the issuing, the file's size, loading it as `smdp serve` does\n"          \
	"(orsp_crl_store_add_file, then _bind) with the heap it keeps and the resident\n"          \
	"size it added at its peak, the first check (which verifies the CRL's\n"                   \
	"signature), then checks per second of the listed eUICC and of one not listed,\n"          \
	"interleaved (7 rounds, median), against a store with no CRL. An SM-DP+ makes\n"           \
	"two checks per download (CERT.EUM, CERT.EUICC).\n\n"                                      \
	"options:\n"                                                                               \
	"  --entries N[,N]...   CRL sizes, 0 to 1500000 each, at most 8 (default\n"                \
	"                       1000,100000,1000000)\n"                                            \
	"  --seconds S          lookup measuring time per size (default 2)\n"                      \
	"  --json               one JSON object instead of text\n"

int bench_crl(int argc, char **argv);

#endif
