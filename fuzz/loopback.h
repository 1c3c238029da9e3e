/* Loopback TCP pieces of the HTTP fuzz targets (fuzz_http_server, fuzz_http_client,
 * fuzz_smdp_server): the address 127.0.0.1:port and a send of every byte. */
#ifndef ORSP_FUZZ_LOOPBACK_H
#define ORSP_FUZZ_LOOPBACK_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* 127.0.0.1:port (port in host order). */
static inline struct sockaddr_in loopback_addr(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* Send p[0..n) whole on fd (no SIGPIPE; a send interrupted by a signal, libFuzzer's SIGALRM,
 * goes on); false when the peer went away first. */
static inline bool loopback_send_all(int fd, const uint8_t *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t k = send(fd, p + off, n - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		off += (size_t)k;
	}
	return true;
}

#endif
