/* A server that stops with an error, for the CLI tests (tests/cli/bench.sh): loaded with
 * LD_PRELOAD into openrsp, it makes a process whose command line holds "smdp serve" end with
 * status $ORSP_FAILEXIT (1..255; unset: nothing happens) once it is done, as a sanitizer's
 * report at the stop does (ThreadSanitizer: 66), and says so on standard error ("failexit:
 * ..."). Not part of openrsp: a test library only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void __attribute__((destructor)) failexit(void)
{
	const char *v = getenv("ORSP_FAILEXIT");
	long status = v ? strtol(v, NULL, 10) : 0;
	char cmd[512];
	size_t n = 0;
	FILE *f;

	if (status < 1 || status > 255 || !(f = fopen("/proc/self/cmdline", "r")))
		return;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	cmd[n] = '\0';
	if (!strstr(cmd, "smdp serve"))
		return;
	fprintf(stderr, "failexit: the SM-DP+ ends with status %ld\n", status);
	_exit((int)status);
}
