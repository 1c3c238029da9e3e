/* `openrsp bench inventory`: profiles generated per second into a new inventory, with and
 * without an AuC, one profile per commit against batches (bench/bench_inventory.c). One row
 * in the bench_cmds table of cli/cmd_bench.c uses what is declared here. */
#ifndef ORSP_BENCH_INVENTORY_H
#define ORSP_BENCH_INVENTORY_H

#define BENCH_INVENTORY_SUMMARY "Inventory generation: profiles/s with and without --auc, by batch"
#define BENCH_INVENTORY_SYNOPSIS                                                                   \
	"[--count N] [--rounds R] [--batch N]\n"                                                   \
	"                               [--template FILE] [--dir DIR] [--json]"
#define BENCH_INVENTORY_HELP                                                                       \
	"Runs `openrsp smdp profile generate` (this binary, a process of its own) into\n"          \
	"new databases in a throw-away directory: N profiles without and with --auc, each\n"       \
	"with --batch 1 (a commit, so a flush, per profile: the versions before batches)\n"        \
	"and with the batch size given; the four runs interleaved in R rounds (rotating\n"         \
	"order, a fresh database each run), the median per run reported: profiles per\n"           \
	"second, CPU seconds (user + system of the generate process) per 1000 profiles,\n"         \
	"and wall time.\n\n"                                                                       \
	"options:\n"                                                                               \
	"  --count N            profiles per run, 1..1000000 (default 2000)\n"                     \
	"  --rounds R           rounds, 1..15 (default 3)\n"                                       \
	"  --batch N            the batch size set against --batch 1, 2..10000 (default\n"         \
	"                       256, generate's default)\n"                                        \
	"  --template FILE      the template (default <data dir>/profiles/\n"                      \
	"                       ts48-v7-saip2.3-nobertlv.der)\n"                                   \
	"  --dir DIR            where the throw-away directory is made (default $TMPDIR,\n"        \
	"                       else /tmp): the file system the inventory lives on, whose\n"       \
	"                       flushes are what batches save\n"                                   \
	"  --json               one JSON object instead of text\n"

int bench_inventory(int argc, char **argv);

#endif
