/* Who holds a lock on a file, from Linux's /proc/locks: read there, never by opening the file
 * (F_GETLK needs a descriptor, and closing any descriptor of a file drops all of the process's
 * POSIX locks on it, those SQLite holds included). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "openrsp/core.h"

/* the locks of other devices on a file of the same inode number looked at (overlayfs) */
#define OTHER_DEV_MAX 64

typedef struct other_dev {
	unsigned maj, min;
	long pid;
} other_dev;

long orsp_lock_holder(dev_t dev, ino_t ino, const char *kind, const char *type, long self)
{
	char line[256];
	other_dev other[OTHER_DEV_MAX];
	size_t n_other = 0;
	bool many = false; /* more than other[] holds */
	unsigned self_maj = 0, self_min = 0;
	bool self_seen = false;
	long pid = 0;
	FILE *f;

	if (!kind)
		return 0;
	/* "1: POSIX  ADVISORY  READ 1234 fe:00:5678 128 128": the pid of the process that took
	 * it, then major:minor:inode (hex, hex, decimal) of the file, then the range; a waiting
	 * request's line has "->" after the number (then read as the kind, and skipped) */
	if (!(f = fopen("/proc/locks", "re")))
		return -1;
	while (!pid && fgets(line, sizeof(line), f)) {
		char k[16], t[16];
		unsigned maj, min;
		unsigned long long i;
		long p;
		if (sscanf(line, "%*d: %15s %*s %15s %ld %x:%x:%llu", k, t, &p, &maj, &min, &i) !=
		        6 ||
		    strcmp(k, kind) != 0 || p <= 0 || i != (unsigned long long)ino)
			continue;
		bool same_dev = maj == major(dev) && min == minor(dev);
		if (p == self) {
			/* the device /proc/locks names for the file, when it is not stat()'s */
			if (!same_dev && !self_seen) {
				self_seen = true;
				self_maj = maj;
				self_min = min;
			}
			continue;
		}
		if (type && strcmp(t, type) != 0)
			continue;
		if (same_dev)
			pid = p;
		else if (n_other < OTHER_DEV_MAX)
			other[n_other++] = (other_dev){maj, min, p};
		else
			many = true;
	}
	fclose(f);
	if (pid || n_other == 0)
		return pid;
	/* overlayfs: /proc/locks names the layer's device, not the one stat() gives */
	if (self_seen) {
		for (size_t j = 0; j < n_other; j++)
			if (other[j].maj == self_maj && other[j].min == self_min)
				return other[j].pid;
		return 0;
	}
	/* without a lock of self's to name the device: the one process holding such locks on
	 * a file of that inode number, none when several do */
	for (size_t j = 1; j < n_other; j++)
		if (other[j].pid != other[0].pid)
			return 0;
	return many ? 0 : other[0].pid;
}

long orsp_proc_self_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	char *end;
	long pid;

	if (n <= 0)
		return (long)getpid();
	buf[n] = 0;
	pid = strtol(buf, &end, 10);
	return *end || pid <= 0 ? (long)getpid() : pid;
}

/* a word of a command line said as it is: nothing a shell or a terminal reads otherwise, and
 * not an option (whose value comes next) */
static bool plain_arg(const char *w)
{
	if (!w[0] || w[0] == '-' || strlen(w) > 64)
		return false;
	return strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	       strlen(w);
}

size_t orsp_proc_command(long pid, char *buf, size_t cap)
{
	char path[64], raw[1024];
	size_t n = 0, len = 0;
	FILE *f;

	if (!buf || cap < 16)
		return 0;
	buf[0] = 0;
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cmdline");
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(raw, 1, sizeof(raw) - 1, f);
	fclose(f);
	if (!n)
		return 0;
	raw[n] = 0; /* a command line longer than raw: its last word cut, said as the rest */
	if (cap > ORSP_PROC_COMMAND_MAX + 1)
		cap = ORSP_PROC_COMMAND_MAX + 1;
	for (size_t i = 0; i < n;) {
		const char *w = raw + i;
		size_t ol = strlen(w);
		if (i == 0) { /* the program: its base name */
			const char *slash = strrchr(w, '/');
			w = slash ? slash + 1 : w;
		}
		size_t wl = strlen(w);
		bool whole = i + ol < n || n < sizeof(raw) - 1;
		if (!plain_arg(w) || !whole || len + (len ? 1 : 0) + wl + 4 >= cap) {
			if (len && len + 4 < cap) {
				memcpy(buf + len, " ...", 5);
				len += 4;
			}
			break;
		}
		if (len)
			buf[len++] = ' ';
		memcpy(buf + len, w, wl);
		len += wl;
		buf[len] = 0;
		i += ol + 1;
	}
	return len;
}
