/* `openrsp bench sign`: ECDSA signatures per second with a key in a PKCS#11 token against
 * one in memory (bench/bench_sign.c). One row in the bench_cmds table of cli/cmd_bench.c. */
#ifndef ORSP_BENCH_SIGN_H
#define ORSP_BENCH_SIGN_H

#define BENCH_SIGN_SUMMARY "ECDSA signatures per second by a PKCS#11 token against in memory"
#define BENCH_SIGN_SYNOPSIS "--pkcs11 URI [--threads T] [--seconds S] [--json]"
#define BENCH_SIGN_HELP                                                                            \
	"In one run: ECDSA (SHA-256) signatures per second by the key in a PKCS#11 token\n"        \
	"that URI names (as dpauth_key/dppb_key take it, docs/crypto.md) and by a key of\n"        \
	"the same curve in memory, one thread each, interleaved (7 rounds, median), with\n"        \
	"the wall time and the calling thread's CPU time per signature (a token in the\n"          \
	"process, such as SoftHSM, signs on that CPU; a hardware one mostly waits). Then\n"        \
	"T threads (default 4) signing at once with each key. A download takes 3\n"                \
	"signatures by the SM-DP+'s keys (serverSigned1, smdpSigned2 by DPauth; smdpSign\n"        \
	"by DPpb).\n\n"                                                                            \
	"options:\n"                                                                               \
	"  --pkcs11 URI         the token's key\n"                                                 \
	"                       (pkcs11:...?module-path=...&pin-source=...)\n"                     \
	"  --threads T          threads of the concurrent measurement (1..64, default 4)\n"        \
	"  --seconds S          total measuring time (default 3)\n"                                \
	"  --json               one JSON object instead of text\n"

int bench_sign(int argc, char **argv);

#endif
