/* `openrsp bench euicc`: the software eUICC's speed and memory (bench/bench_euicc.c).
 * One row in the bench_cmds table of cli/cmd_bench.c uses what is declared here. */
#ifndef ORSP_BENCH_EUICC_H
#define ORSP_BENCH_EUICC_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_EUICC_SUMMARY "Software eUICC: profile install time, AUTHENTICATE/s, RAM"
#define BENCH_EUICC_SYNOPSIS                                                                       \
	"[--profile FILE] [--seconds S] [--installs N]\n"                                          \
	"                           [--json]"
#define BENCH_EUICC_HELP                                                                           \
	"On one core (7 interleaved rounds, median): USIM AUTHENTICATE commands per\n"             \
	"second through the APDU layer (Milenage, 3G context, a fresh SQN each time; the\n"        \
	"vectors are made beforehand and not timed), once with the SQN state kept in\n"            \
	"memory and once committed to a sealed store (AES-GCM record, manifest, fsync,\n"          \
	"counter) before RES leaves the card, as `openrsp euicc serve` does. Also the RAM\n"       \
	"a card needs: the USIM core (its struct holds the enabled profile's USIM), the\n"         \
	"APDU context and its two buffers. Then the time to install the profile into a\n"          \
	"fresh sealed card: a complete download (GetEUICCChallenge, AuthenticateServer,\n"         \
	"PrepareDownload, the BPP built in-process against the card's one-time key and\n"          \
	"sent in lpac's LoadBoundProfilePackage pieces as 120-byte STORE DATA blocks),\n"          \
	"with an in-process SM-DP+ on a fresh `pki init` hierarchy; the part spent inside\n"       \
	"the card is reported too (median of --installs).\n\n"                                     \
	"options:\n"                                                                               \
	"  --profile FILE       the profile package (DER) to load; default\n"                      \
	"                       <data dir>/profiles/ts48-v7-saip2.3-nobertlv.der (the\n"           \
	"                       TS.48 test profile), personalised with a benchmark K, OPc\n"       \
	"  --seconds S          total measuring time (default 3)\n"                                \
	"  --installs N         downloads to time, 1..64 (default 5)\n"                            \
	"  --json               one JSON object instead of text\n"

int bench_euicc(int argc, char **argv);

/* The install part (bench/bench_euicc_install.c): a `pki init` hierarchy made in a temporary
 * directory, then per run a fresh sealed eUICC, one complete download timed. CLI_* codes. */
typedef struct bench_euicc_install bench_euicc_install;
int bench_euicc_install_setup(bench_euicc_install **out);
/* One download of upp (ICCID in EF.ICCID coding) into a fresh card: the whole time and
 * the time inside the card; *ram_core = sizeof(orsp_euicc). */
int bench_euicc_install_once(bench_euicc_install *b, const uint8_t *upp, size_t upp_len,
                             const uint8_t iccid_ef[10], double *total_s, double *card_s,
                             size_t *ram_core);
void bench_euicc_install_free(bench_euicc_install *b);

#endif
