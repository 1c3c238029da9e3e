/* libFuzzer target for the HTTP server's own request checks (src/http/server.c:
 * framing_error, check_field, section_*, codings_then_chunked, xff_field, content_length,
 * target checks, unescape): the input is sent as raw bytes on one loopback connection
 * (ephemeral port) to a server with one POST and one GET route and 127.0.0.0/8 as a trusted
 * proxy, the write side shut, and the answer read until the server closes or 300 ms pass.
 * Property: no crash or sanitizer report in the server (it runs in this process). */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"
#include "openrsp/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static orsp_http_server *srv;
static uint16_t port;

static orsp_err echo(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	(void)ctx;
	(void)req;
	return orsp_http_response_set_body(resp, 200, "text/plain", "ok", 2);
}

static void setup(void)
{
	static orsp_http_route routes[] = {
	    {"POST", "/gsma/rsp2/es9plus/initiateAuthentication", echo, NULL},
	    {"GET", "/metrics", echo, NULL}};
	static orsp_http_prefix tp;
	orsp_http_server_config cfg = {0};
	if (orsp_http_prefix_parse("127.0.0.0/8", 11, &tp))
		abort();
	cfg.address = "127.0.0.1";
	cfg.routes = routes;
	cfg.n_routes = 2;
	cfg.timeout_s = 2;
	cfg.request_timeout_ms = 300;
	cfg.trusted_proxies = &tp;
	cfg.n_trusted_proxies = 1;
	if (orsp_http_server_start(&cfg, &srv))
		abort();
	port = orsp_http_server_port(srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in a;
	char buf[4096];
	size_t got = 0;
	int fd;

	if (!srv)
		setup();
	a = loopback_addr(port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) { /* ports in TIME_WAIT, backlog */
		close(fd);
		return 0;
	}
	(void)loopback_send_all(fd, data, size); /* the server may answer and close first */
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		if (poll(&p, 1, 300) <= 0)
			break;
		n = recv(fd, buf + (got < sizeof(buf) ? got : 0),
		         got < sizeof(buf) ? sizeof(buf) - got : sizeof(buf), 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	(void)got; /* an answer's form is not checked: sanitizers and crashes only */
	close(fd);
	return 0;
}
