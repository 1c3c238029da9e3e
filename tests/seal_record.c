/* A record of a sealed store (docs/seal.md) read out or written back, for tests/cli that
 * need a state no command makes (e.g. a card that answers what openrsp's never does). Test
 * use only: it is not part of the product.
 *
 *   seal_record DIR NAME get   the record's bytes to stdout
 *   seal_record DIR NAME put   stdin committed as the record
 *
 * Exit status 0, 1 on a failure (named on stderr), 2 on bad usage.
 */
#include <stdio.h>
#include <string.h>

#include "openrsp/seal.h"

static uint8_t buf[ORSP_SEAL_MAX_RECORD];

int main(int argc, char **argv)
{
	orsp_seal *s = NULL;
	size_t len = 0;
	orsp_err e;

	if (argc != 4 || (strcmp(argv[3], "get") && strcmp(argv[3], "put"))) {
		fprintf(stderr, "usage: seal_record DIR NAME get|put\n");
		return 2;
	}
	if ((e = orsp_seal_open(argv[1], NULL, &s)))
		goto out;
	if (!strcmp(argv[3], "get")) {
		if (!(e = orsp_seal_read(s, argv[2], buf, sizeof(buf), &len)) &&
		    fwrite(buf, 1, len, stdout) != len)
			e = ORSP_E_IO;
	} else {
		orsp_seal_record r = {argv[2], buf, 0};
		r.len = fread(buf, 1, sizeof(buf), stdin);
		/* more than a record holds, or a read error: refused, not cut short */
		if (ferror(stdin) || (r.len == sizeof(buf) && fgetc(stdin) != EOF))
			e = ORSP_E_USAGE;
		else
			e = orsp_seal_commit(s, &r, 1);
	}
out:
	orsp_seal_close(s);
	if (e)
		fprintf(stderr, "seal_record: %s\n", orsp_err_str(e));
	return e ? 1 : 0;
}
