/* openrsp http: thin glue over libmicrohttpd (server), libcurl (client) and jansson (the SGP.22
 * JSON binding of ES9+, ES11, ES2+, ES12). See docs/http.md for defaults, limits and TLS notes.
 *
 * TLS is done inside the libraries: libmicrohttpd with GnuTLS on the server side, libcurl with
 * OpenSSL on the client side. This module never calls OpenSSL; certificates and keys come in as
 * PEM text or file paths. The server calls GnuTLS only to verify client certificates (mutual
 * TLS, ES2+), because libmicrohttpd requests them but does not check them.
 *
 * Threads: a server runs its own pool of threads; handlers run on those threads, possibly
 * several at once. A client object must be used by one thread at a time.
 */
#ifndef OPENRSP_HTTP_H
#define OPENRSP_HTTP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "openrsp/core.h"

/* ---------------------------------------------------------------- defaults -------------- */

#define ORSP_HTTP_DEFAULT_ADDRESS "127.0.0.1"
#define ORSP_HTTP_DEFAULT_MAX_BODY ((size_t)1 << 20)      /* server: request body, 1 MiB */
#define ORSP_HTTP_DEFAULT_TIMEOUT_S 30u                   /* server: idle connection, s */
#define ORSP_HTTP_DEFAULT_MAX_CONNECTIONS 256u            /* server: open connections */
#define ORSP_HTTP_MAX_CONNECTIONS_LIMIT 65536u            /* server: max_connections at most */
#define ORSP_HTTP_DEFAULT_THREADS 4u                      /* server: polling threads */
#define ORSP_HTTP_DEFAULT_IDLE_RESET_MS 1000u             /* server: idle_reset_ms */
#define ORSP_HTTP_IDLE_RESET_NEVER UINT_MAX               /* server: idle_reset_ms, none */
#define ORSP_HTTP_DEFAULT_FD_RESERVE 64u                  /* server: fd_reserve */
#define ORSP_HTTP_CLIENT_CHAIN_MAX 16u /* server: orsp_http_request.client_chain at most */
#define ORSP_HTTP_DEFAULT_MAX_RESPONSE ((size_t)16 << 20) /* client: response body, 16 MiB */
#define ORSP_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000u       /* client: TCP + TLS connect */
#define ORSP_HTTP_DEFAULT_CLIENT_TIMEOUT_MS 60000u        /* client: whole exchange */
#define ORSP_HTTP_MAX_EXTRA_HEADERS 8                     /* per response */
#define ORSP_HTTP_MAX_PEM ((size_t)1 << 20)               /* a PEM file we agree to read */
/* client: CA or certificate PEM text, as large as a file of them OpenSSL reads (a system CA
 * bundle given as text); a key's at most ORSP_HTTP_MAX_PEM */
#define ORSP_HTTP_CLIENT_MAX_PEM ((size_t)64 << 20)

/* GnuTLS priority string of the server: TLS 1.2 (required by SGP.22 for ES9+/ES2+) and 1.3.
 * SGP.22 names TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 and _AES_128_CBC_SHA256 for TLS 1.2:
 * NORMAL has no CBC suite with HMAC-SHA256 (+SHA256 adds them) but CBC suites with HMAC-SHA1
 * (-SHA1 drops them, but not SHA-1 signatures: -SIGN-*-SHA1 do, RFC 9155 §2, in the server's
 * ServerKeyExchange and in an ES2+ client's CertificateVerify; until session 55 both took
 * them); the server's order decides, so GCM wins over CBC. The ciphers are
 * NORMAL's with AES-128-GCM moved first (NORMAL begins with AES-256-GCM): SGP.22's suite for
 * TLS 1.2, and in TLS 1.3 TLS_AES_128_GCM_SHA256, whose key schedule runs on SHA-256 rather
 * than SHA-384 (a handshake about 0.045 ms cheaper). The groups are NORMAL's with X25519
 * moved first (NORMAL begins with P-256): TLS 1.3 clients (OpenSSL, BoringSSL) send their one
 * key share for X25519, and the server's preference for P-256 made it answer each of them a
 * HelloRetryRequest. */
#define ORSP_HTTP_DEFAULT_TLS_PRIORITIES                                                           \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-SHA1:+SHA256:-SIGN-RSA-SHA1:"                 \
	"-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1:-CIPHER-ALL:+AES-128-GCM:"                                \
	"+AES-256-GCM:+CHACHA20-POLY1305:+AES-256-CCM:+AES-256-CBC:+AES-128-CCM:+AES-128-CBC:"     \
	"-GROUP-ALL:+GROUP-X25519:"                                                                \
	"+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1:+GROUP-X448:+GROUP-FFDHE2048:"         \
	"+GROUP-FFDHE3072:+GROUP-FFDHE4096:+GROUP-FFDHE6144:+GROUP-FFDHE8192:%SERVER_PRECEDENCE"

/* SGP.22 JSON binding: media type of every JSON body and the protocol header value we send. */
#define ORSP_HTTP_JSON_CONTENT_TYPE "application/json"
#define ORSP_HTTP_ADMIN_PROTOCOL "gsma/rsp/v2.2.0"

/* ---------------------------------------------------------------- server ---------------- */

typedef struct orsp_http_server orsp_http_server;

/* One request as a handler sees it. Everything is borrowed and valid only during the call. */
typedef struct orsp_http_request {
	const char *method;      /* "POST", as sent */
	const char *path;        /* %-decoded path without the query string (%00 kept as sent);
	                          * of a target in absolute form, its path ("/" if none) */
	const uint8_t *body;     /* body_len bytes, followed by one NUL not counted; never NULL */
	size_t body_len;         /* at most the configured max_body */
	const char *client_addr; /* numeric, "127.0.0.1" or "::1": the TCP peer's (peer_addr),
	                          * or from a trusted proxy the client its X-Forwarded-For names
	                          * (orsp_http_server_config.trusted_proxies) */
	const char *peer_addr;   /* the TCP peer's numeric address: a proxy's behind one */
	uint16_t client_port;    /* the TCP peer's port */
	/* Mutual TLS: the DER leaf certificate the client presented, set only when it verified
	 * against the configured client CA (chain, validity, clientAuth if EKU present); NULL
	 * otherwise. The handler decides what the identity is worth (e.g. which operator). */
	const uint8_t *client_cert;
	size_t client_cert_len;
	/* Mutual TLS: the certificates the client sent after client_cert (DER, in its order: its
	 * issuers, up to a CA of the client CA file, and whatever else it sent), set with
	 * client_cert, at most ORSP_HTTP_CLIENT_CHAIN_MAX of them (what follows is left out);
	 * n_client_chain 0 otherwise. The verification found a path among them and the
	 * configured CAs; the handler may walk it (the SM-DP+ judges each link by its
	 * issuer's CRL). */
	const orsp_slice *client_chain;
	size_t n_client_chain;
	/* Mutual TLS: why the certificate the client presented was refused, one word of a fixed
	 * set: "untrusted" (not from the client CA: another CA, a chain cut short, a bad
	 * signature), "purpose" (an extendedKeyUsage without clientAuth), "expired",
	 * "not-yet-valid", "invalid" (any other reason); NULL when none was sent or it
	 * verified. A static string. */
	const char *client_cert_refused;
	void *impl_; /* private */
} orsp_http_request;

/* The value of request header `name` (case-insensitive), or NULL if absent. */
const char *orsp_http_request_header(const orsp_http_request *req, const char *name);

typedef struct orsp_http_header {
	char name[64];
	char value[256];
} orsp_http_header;

/* What a handler answers. The server hands a zeroed response with status 200 to the handler and
 * frees the body afterwards. Use the setters below; they copy. */
typedef struct orsp_http_response {
	int status;             /* 200..599 (a final answer) */
	char content_type[128]; /* "" = no Content-Type header */
	orsp_http_header headers[ORSP_HTTP_MAX_EXTRA_HEADERS];
	size_t n_headers;
	uint8_t *body; /* malloc'ed, owned by the response */
	size_t body_len;
} orsp_http_response;

/* Replace the body with a copy of n bytes at p (p may be NULL when n is 0), set status and
 * Content-Type (NULL: none). ORSP_E_USAGE for a status outside 200..599 or a content type with
 * control characters; ORSP_E_RESOURCE when out of memory. */
ORSP_MUST_CHECK orsp_err orsp_http_response_set_body(orsp_http_response *resp, int status,
                                                     const char *content_type, const void *p,
                                                     size_t n);
/* Body = compact JSON of obj, Content-Type application/json. */
ORSP_MUST_CHECK orsp_err orsp_http_response_set_json(orsp_http_response *resp, int status,
                                                     const json_t *obj);
/* Add a response header. Name: an RFC 9110 token; value: printable, no CR/LF. Content-Type,
 * Content-Length, Connection, Transfer-Encoding and Date belong to the server (ORSP_E_USAGE).
 * ORSP_E_RESOURCE beyond ORSP_HTTP_MAX_EXTRA_HEADERS or when a field does not fit. */
ORSP_MUST_CHECK orsp_err orsp_http_response_add_header(orsp_http_response *resp, const char *name,
                                                       const char *value);

/* A handler. Return ORSP_OK with resp filled in; any other value makes the server answer 500
 * with a generic JSON body (the error detail is logged, never sent). Protocol failures that
 * SGP.22 reports as HTTP 200 + "Failed" are the handler's business, not errors here. */
typedef orsp_err (*orsp_http_handler)(void *ctx, const orsp_http_request *req,
                                      orsp_http_response *resp);

/* One route: exact method (case-sensitive, as HTTP says) and exact path. A GET route also
 * answers HEAD (without the body) unless the path has a HEAD route. */
typedef struct orsp_http_route {
	const char *method;
	const char *path;
	orsp_http_handler handler;
	void *ctx;
} orsp_http_route;

/* What the request hook receives once per request, after the response went out (or the
 * connection failed). Strings are sanitised for logs (non-printable bytes and the space -> '?', cut
 * at 200). */
typedef struct orsp_http_log_entry {
	const char *method; /* "-" for a request cut short in its header block */
	const char *path;   /* as the request's path, but a target in absolute form whole */
	/* Numeric addresses, as orsp_http_request's: the client (forwarded by a trusted proxy)
	 * and the TCP peer; the same text when nothing was forwarded. A request refused before
	 * its X-Forwarded-For was read (by libmicrohttpd, cut short in its header section, or
	 * with a malformed header section or framing: 400) has the peer's in both. */
	const char *client_addr;
	const char *peer_addr;
	int status;           /* 0: no response was sent (client went away, connection error) */
	uint64_t duration_us; /* from the first byte of the request processed to completion */
	size_t body_len;      /* request body bytes received */
	bool completed;       /* false when the connection ended abnormally */
	bool handled;         /* a route's handler ran (false: answered by the server, 404 ...) */
	/* the server had no memory for the request's body: it was dropped and answered 503 with
	 * Connection: close (status 0 if even that could not be sent) */
	bool out_of_memory;
} orsp_http_log_entry;

typedef void (*orsp_http_request_hook)(void *ctx, const orsp_http_log_entry *e);

/* Whether the server checks where libmicrohttpd left each header line (section_field in
 * src/http/server.c, docs/http.md): only with the version whose source that was read in,
 * 0.9.75; with another, a malformed header section is not refused. */
bool orsp_http_header_layout_checked(void);

/* The libraries behind this module, one line each ended by '\n', for `openrsp --version`:
 * libmicrohttpd (and whether the header section's layout is checked), GnuTLS, libcurl and
 * jansson, with their run-time versions, written into buf (cap bytes; ORSP_HTTP_VERSIONS_MAX
 * is enough, a shorter buffer gets the text cut short). Returns buf. */
#define ORSP_HTTP_VERSIONS_MAX 512
const char *orsp_http_library_versions(char *buf, size_t cap);

/* For a log line after "client=CLIENT": " via=PEER" when the client is not the TCP peer (a
 * trusted proxy forwarded it), so that the proxy stays seen, written into buf (cap bytes,
 * ORSP_HTTP_VIA_MAX is enough); "" when they are the same. */
#define ORSP_HTTP_VIA_MAX 56
const char *orsp_http_via(const char *client_addr, const char *peer_addr, char *buf, size_t cap);

/* An IPv4 or IPv6 prefix, such as 10.0.0.0/8 or ::1/128: a trusted proxy's address or network
 * (orsp_http_server_config.trusted_proxies). addr in network byte order, its first 4 bytes for
 * IPv4, no bit set after the first `bits`. */
typedef struct orsp_http_prefix {
	bool v6;
	uint8_t bits; /* 0..32 (IPv4) or 0..128 (IPv6) */
	uint8_t addr[16];
} orsp_http_prefix;

/* An address or prefix, s[0..n): a numeric IPv4 or IPv6 address (as inet_pton reads it: no
 * port, brackets, zone or name), then optionally '/' and a prefix length in decimal (up to 32
 * or 128, no sign or leading zero); without one the address alone (/32, /128). ORSP_E_USAGE,
 * the detail saying what is wrong, for anything else, and for a prefix with bits set after its
 * length (10.0.0.1/8: the detail names 10.0.0.0/8). */
ORSP_MUST_CHECK orsp_err orsp_http_prefix_parse(const char *s, size_t n, orsp_http_prefix *out);
/* p as text, "10.0.0.0/8", "::1/128", into out (cap bytes, ORSP_HTTP_PREFIX_TEXT_MAX is
 * enough). */
#define ORSP_HTTP_PREFIX_TEXT_MAX 50
void orsp_http_prefix_text(const orsp_http_prefix *p, char *out, size_t cap);

typedef orsp_err (*orsp_http_key_sign_fn)(void *ctx, const uint8_t digest[32], uint8_t *der,
                                          size_t cap, size_t *der_len);

typedef struct orsp_http_server_config {
	const char *address; /* numeric IPv4/IPv6 address; NULL: ORSP_HTTP_DEFAULT_ADDRESS */
	uint16_t port;       /* 0: an ephemeral port, see orsp_http_server_port() */
	const orsp_http_route *routes; /* copied by orsp_http_server_start */
	size_t n_routes;
	size_t max_body;          /* 0: ORSP_HTTP_DEFAULT_MAX_BODY; larger bodies get 413 */
	unsigned timeout_s;       /* idle connection timeout; 0: ORSP_HTTP_DEFAULT_TIMEOUT_S */
	unsigned max_connections; /* 0: ORSP_HTTP_DEFAULT_MAX_CONNECTIONS */
	unsigned threads;         /* polling thread pool; 0: ORSP_HTTP_DEFAULT_THREADS */
	/* Time a request may take to arrive whole (headers and body), from the connection's
	 * accept or the end of the previous request on it, and its answer to be taken whole,
	 * from when it is queued (after the handler); a connection past either is reset.
	 * 0: 2 x timeout_s. */
	unsigned request_timeout_ms;
	/* Open connections from one client address at most; 0: no limit. Leave it 0 behind a
	 * proxy, where every connection comes from the proxy's address (counted by the TCP peer,
	 * never by trusted_proxies' forwarded client). */
	unsigned max_connections_per_ip;
	/* Proxies in front whose X-Forwarded-For names the client (copied by
	 * orsp_http_server_start; none: the header is never read, the client is the TCP peer).
	 * From a peer inside one of them, the X-Forwarded-For fields of a request, joined in
	 * order with commas (RFC 9110 §5.3), are walked from the right: entries inside them are
	 * skipped (proxies in a chain), the first other one is the client (as nginx's
	 * real_ip_recursive); every one inside them: the leftmost. An entry, its optional
	 * whitespace trimmed, that is not a plain IPv4 or IPv6 address (empty, with a port or
	 * brackets, "unknown", a name) ends the walk: the client is the peer then, never text
	 * that is no address. From any other peer the header is ignored (the client's to
	 * write). Only the address logged and handed to handlers (client_addr) changes;
	 * peer_addr, max_connections_per_ip and client_port stay the TCP peer's. */
	const orsp_http_prefix *trusted_proxies;
	size_t n_trusted_proxies;
	/* At max_connections, with a new connection waiting, the connection idle the longest (no
	 * request in progress on it) is reset to make room once it has been idle this long: longer
	 * than a client takes from its accept, or from its previous answer, to a request line (a
	 * round trip or two and a TLS handshake, whose flights are seconds apart on slow links such
	 * as NB-IoT). 0: ORSP_HTTP_DEFAULT_IDLE_RESET_MS; ORSP_HTTP_IDLE_RESET_NEVER: none is reset
	 * so, the newcomer waits for one to close. At most timeout_s x 1000 (the idle timeout
	 * closes a connection before a longer wait is up): ORSP_E_USAGE above. */
	unsigned idle_reset_ms;
	/* File descriptors the rest of the process needs besides the server's connections and the
	 * server's own (its listening socket, a wake-up pipe and libmicrohttpd's two per thread
	 * and one more pair: 5 + 2 x threads): the standard streams, log files, database files,
	 * outgoing connections, a PKCS#11 module's. 0: ORSP_HTTP_DEFAULT_FD_RESERVE (see
	 * orsp_http_server_start). */
	unsigned fd_reserve;
	/* SO_REUSEPORT: other servers of the same user may listen on the same address and port
	 * (each with reuse_port too), and the kernel deals new connections among them. A
	 * replacement process started beside a running one takes over the port before the old
	 * one stops (a rolling restart, docs/deploy.md). */
	bool reuse_port;
	/* Bind the listening socket (a port in use is refused by orsp_http_server_start) but
	 * neither listen nor accept until orsp_http_server_listen: for a caller with work to do
	 * before it serves (opening and migrating a database) that a port in use is to stop
	 * before it starts. Meanwhile no connection is queued, nor dealt to this server by
	 * SO_REUSEPORT. */
	bool paused;

	/* HTTPS: a certificate (chain) and its private key, each as PEM text or a file path
	 * (exactly one form each). All NULL: plain HTTP. The server keeps its own copy of the key
	 * and wipes it when destroyed. */
	const char *cert_pem, *cert_file;
	const char *key_pem, *key_file;
	/* Or the key held elsewhere (a PKCS#11 token), for an ECDSA P-256 certificate: key_sign
	 * signs a SHA-256 digest of the handshake with it, from any thread, writing the DER
	 * Ecdsa-Sig-Value into der (cap bytes) and its length into *der_len; the handshakes then
	 * offer only ECDSA with SHA-256. One running server per process may use it
	 * (ORSP_E_STATE for a second): GnuTLS's certificate callback carries no context. */
	orsp_http_key_sign_fn key_sign;
	void *key_sign_ctx;
	const char *tls_priorities; /* GnuTLS syntax; NULL: ORSP_HTTP_DEFAULT_TLS_PRIORITIES */
	/* Mutual TLS (ES2+): client certificates are requested and verified against these CA
	 * certificates (PEM text or file). With require_client_cert, a request without a verified
	 * client certificate gets 403 before any handler runs. */
	const char *client_ca_pem, *client_ca_file;
	bool require_client_cert;

	/* Called once per request; NULL: one orsp_log INFO line per request. */
	orsp_http_request_hook on_request;
	void *hook_ctx;
} orsp_http_server_config;

/* Start listening and serving on the configured threads. Open files: the process's soft
 * RLIMIT_NOFILE is raised to its hard limit (silently; a system call filter's EPERM leaves it
 * as it is), and if the limit is still below max_connections plus the server's own descriptors
 * plus fd_reserve, max_connections is lowered to fit (to `threads` at the least) and one
 * ORSP_LOG_WARN line says so: a connection accepted beyond the limit would fail with EMFILE,
 * and the connections waiting behind it with it, rather than make room by an idle reset. An
 * accept that fails with EMFILE or ENFILE all the same (descriptors the estimate left out) is
 * taken as a full server: an idle connection is reset as at max_connections, and the failure
 * is counted (orsp_http_conn_stats.accept_fd_limit) and logged at most once per 10 s.
 * Errors: ORSP_E_USAGE (bad configuration: no routes, bad address, TLS material in only one
 * half, mutual TLS without HTTPS, HTTPS without TLS support in libmicrohttpd), ORSP_E_IO (address
 * in use or the daemon failed to start; detail says which), ORSP_E_RESOURCE (memory). */
ORSP_MUST_CHECK orsp_err orsp_http_server_start(const orsp_http_server_config *cfg,
                                                orsp_http_server **out);
/* Whether orsp_http_server_start could bind address (NULL: ORSP_HTTP_DEFAULT_ADDRESS) and
 * port now: a socket made as the server makes its own (SO_REUSEADDR, SO_REUSEPORT with
 * reuse_port, IPV6_V6ONLY for IPv6) is bound and closed at once, nothing listens on it. Errors
 * as the start gives them: ORSP_E_USAGE (not a numeric address), ORSP_E_IO (the socket could not
 * be made or bound; the detail is the start's), with the failed call's errno in *sys_errno
 * (EADDRINUSE: another socket has the port; EADDRNOTAVAIL: the address is not this host's;
 * EACCES: a port below 1024 without the privilege), else 0 there. sys_errno may be NULL. */
ORSP_MUST_CHECK orsp_err orsp_http_server_probe(const char *address, uint16_t port, bool reuse_port,
                                                int *sys_errno);
/* How long orsp_http_port_served waits for its connection to be answered. */
#define ORSP_HTTP_PORT_SERVED_MS 2000
/* Whether another process serves address (NULL: ORSP_HTTP_DEFAULT_ADDRESS; a wildcard one,
 * 0.0.0.0 or ::, through the loopback address of its family) and port now: a TCP connection
 * to it is accepted within ORSP_HTTP_PORT_SERVED_MS, then closed at once, before anything is
 * sent. A socket bound but not listening (a paused orsp_http_server_start) accepts none, so
 * a server that has bound its own socket with reuse_port asks this of the others sharing the
 * port. Port 0 (ephemeral) is never served. *served false when the connection was refused or
 * not answered in time. Errors: ORSP_E_USAGE (not a numeric address, served NULL),
 * ORSP_E_IO (no socket). */
ORSP_MUST_CHECK orsp_err orsp_http_port_served(const char *address, uint16_t port, bool *served);
/* Whether a file is one orsp_http_server_start takes as cert_file or client_ca_file (key:
 * false) or as key_file (key: true), read as it reads them, so that a configuration can be
 * refused at its line before anything else starts; what names the file in the detail.
 * ORSP_E_IO (not a regular file, empty, larger than ORSP_HTTP_MAX_PEM bytes, unreadable; the
 * detail says which), ORSP_E_USAGE
 * (not the PEM text the server takes). */
ORSP_MUST_CHECK orsp_err orsp_http_server_pem_check(const char *file, bool key, const char *what);
/* The same, keeping what was read and checked: *pem (malloc'ed, NUL-terminated, no NUL inside;
 * the caller wipes a key's and frees it) and *len, to be given as cert_pem, key_pem or
 * client_ca_pem, so that the bytes checked are those used and the file is read once. */
ORSP_MUST_CHECK orsp_err orsp_http_server_pem_read(const char *file, bool key, const char *what,
                                                   char **pem, size_t *len);
/* The same for a file's bytes already read (pem[0..len)), so that the bytes checked are
 * those used: ORSP_E_IO for 0 or more than ORSP_HTTP_MAX_PEM bytes, ORSP_E_USAGE as above
 * (also for a NUL byte). */
ORSP_MUST_CHECK orsp_err orsp_http_server_pem_check_mem(const void *pem, size_t len, bool key,
                                                        const char *what);
/* Listen and accept on a server started `paused`. Errors: ORSP_E_USAGE (not paused, or
 * listening already), ORSP_E_IO (listen failed), ORSP_E_RESOURCE. */
ORSP_MUST_CHECK orsp_err orsp_http_server_listen(orsp_http_server *srv);
/* The bound TCP port (useful with port 0). */
uint16_t orsp_http_server_port(const orsp_http_server *srv);
/* What became of the server's connections since it started (for /metrics). */
typedef struct orsp_http_conn_stats {
	uint64_t accepted;       /* taken into a slot and handed to libmicrohttpd */
	uint64_t refused;        /* closed at once: the client's max_connections_per_ip (or, at a
	                          * stop, every slot taken by the connections queued) */
	uint64_t reset_idle;     /* idle, reset to make room for a new one (idle_reset_ms) */
	uint64_t reset_deadline; /* a request or an answer not through by request_timeout */
	/* accept() calls that failed for want of a descriptor (EMFILE: the process's
	 * RLIMIT_NOFILE; ENFILE: the system's file table), each retry counted */
	uint64_t accept_fd_limit;
	/* TLS connections closed with a handshake begun (a ClientHello came in) and not
	 * completed: a version or cipher suite refused, the server's certificate refused by the
	 * client, the client gone or cut at request_timeout mid-handshake (one that sent no
	 * ClientHello, a TCP check or bytes that are not TLS, is none, and so is one idle after
	 * its handshake); also said in a warning at most once per 10 s, with the count since the
	 * last one */
	uint64_t tls_handshake_failures;
	unsigned open; /* open now */
	unsigned max;  /* max_connections in force (lowered to fit RLIMIT_NOFILE) */
} orsp_http_conn_stats;
/* srv's counts into *out (all 0 for NULL). */
void orsp_http_server_conn_stats(orsp_http_server *srv, orsp_http_conn_stats *out);
/* From now on every answer carries Connection: close and its connection closes once it is out,
 * as during a stop, while new connections are still accepted and served: a keep-alive client
 * opens a new connection for its next request (through a balancer, perhaps to another server).
 * For a drain before a stop. Cannot be undone; NULL is a no-op. */
void orsp_http_server_close_connections(orsp_http_server *srv);
/* Graceful stop: stop accepting connections, let requests in flight finish (at most grace_ms
 * milliseconds; 0: 10 s), then close every connection and free the server. NULL is a no-op.
 * Returns the number of requests still in flight when the grace period ran out (0 normally). */
unsigned orsp_http_server_stop(orsp_http_server *srv, unsigned grace_ms);

/* ---------------------------------------------------------------- client ---------------- */

typedef struct orsp_http_client orsp_http_client;

typedef struct orsp_http_client_opts {
	/* Trust anchors for the server certificate, PEM (a bundle may hold several): a file path or
	 * in-memory PEM, not both; required for https:// URLs unless insecure_for_tests (plain
	 * http:// needs none). For ES9+/ES11 this is the GSMA CI
	 * (or test CI) that the DPtls/DStls certificate chains to. The
	 * system store is never used. PEM text of up to ORSP_HTTP_CLIENT_MAX_PEM bytes. */
	const char *ca_file;
	const char *ca_pem;
	/* Verify the server certificate against this DNS name (an FQDN by orsp_fqdn_check's rule,
	 * core.h) instead of the URL's host, while
	 * still connecting to the URL's host and port (the URL is rewritten to this name and the
	 * connection pinned to the original host; Host and SNI carry this name). NULL: URL host. */
	const char *expected_host;
	/* Mutual TLS (ES2+, ES12): client certificate and key as PEM text or file path. The key
	 * copy is wiped when the client is freed. PEM text of the certificate (and its chain) of up
	 * to ORSP_HTTP_CLIENT_MAX_PEM bytes, of the key up to ORSP_HTTP_MAX_PEM. */
	const char *client_cert_pem, *client_cert_file;
	const char *client_key_pem, *client_key_file;
	unsigned connect_timeout_ms; /* 0: ORSP_HTTP_DEFAULT_CONNECT_TIMEOUT_MS */
	unsigned timeout_ms;         /* whole exchange; 0: ORSP_HTTP_DEFAULT_CLIENT_TIMEOUT_MS */
	size_t max_response;         /* 0: ORSP_HTTP_DEFAULT_MAX_RESPONSE */
	/* Skip certificate and hostname verification. Tests only; logged as a warning unless
	 * insecure_warned: the caller has warned its user already, in its own words. */
	bool insecure_for_tests;
	bool insecure_warned;
	/* A check of the server's certificate beyond the chain and the name, made once both
	 * verified and before each request is sent (on a new connection or a reused one):
	 * peer_check gets the whole chain OpenSSL verified, DER, n_chain (at least 1) of them:
	 * chain[0] the server's certificate, each next one the issuer of the one before, the
	 * last the trust anchor of ca_file/ca_pem the chain ended at (the server's certificate
	 * itself when the chain is that one certificate: libcurl lets OpenSSL end a chain at any
	 * certificate of the CA file). The array and the bytes are valid during the call only.
	 * Anything but ORSP_OK stops the exchange before the request goes out: ORSP_E_VERIFY
	 * (ORSP_HTTP_FAIL_TLS) with its detail; its ORSP_E_RESOURCE (the check out of memory)
	 * ORSP_E_RESOURCE (ORSP_HTTP_FAIL_OTHER). Called in the thread of the request. TLS sessions
	 * are not resumed then. NULL: none (nor with insecure_for_tests). */
	orsp_err (*peer_check)(void *arg, const orsp_slice *chain, size_t n_chain);
	void *peer_check_arg;
	/* A stop asked (a signal handler's flag, read with orsp_stop_set): an exchange under way
	 * ends within about a second (libcurl's progress calls), in its name lookup, connection,
	 * handshake or wait for the answer, with ORSP_E_STATE "http: interrupted"
	 * (ORSP_HTTP_FAIL_OTHER). NULL: none. */
	const volatile sig_atomic_t *stop;
} orsp_http_client_opts;

/* Why an exchange failed, finer than the orsp_err category (for retry decisions). */
typedef enum orsp_http_fail {
	ORSP_HTTP_FAIL_NONE = 0,
	ORSP_HTTP_FAIL_RESOLVE,   /* ORSP_E_IO: host name did not resolve */
	ORSP_HTTP_FAIL_CONNECT,   /* ORSP_E_IO: connection refused / unreachable */
	ORSP_HTTP_FAIL_TIMEOUT,   /* ORSP_E_IO: connect or exchange timed out */
	ORSP_HTTP_FAIL_TLS,       /* ORSP_E_VERIFY: handshake or certificate (chain) check */
	ORSP_HTTP_FAIL_TOO_LARGE, /* ORSP_E_RESOURCE: response body above max_response */
	ORSP_HTTP_FAIL_PROTOCOL,  /* ORSP_E_MALFORMED: not a valid HTTP response */
	ORSP_HTTP_FAIL_OTHER,     /* ORSP_E_IO, _USAGE or _RESOURCE: anything else (detail says) */
	/* ORSP_E_VERIFY: the certificate chains to a trust anchor but is not for the host (the
	 * URL's, or expected_host): the name is wrong, not the trust anchors */
	ORSP_HTTP_FAIL_TLS_NAME,
} orsp_http_fail;

typedef struct orsp_http_result {
	long status;               /* HTTP status, 0 if no response */
	char content_type[128];    /* "" if absent */
	char x_admin_protocol[64]; /* "" if absent */
	uint8_t *body;             /* body_len bytes + NUL; free with orsp_http_result_free */
	size_t body_len;
	orsp_http_fail fail; /* set on failure, ORSP_HTTP_FAIL_NONE on success */
} orsp_http_result;

void orsp_http_result_free(orsp_http_result *r);

/* Create a client. The options are copied. ORSP_E_USAGE for contradictory options (both file
 * and PEM, key without certificate, expected_host not an FQDN). */
ORSP_MUST_CHECK orsp_err orsp_http_client_new(const orsp_http_client_opts *opts,
                                              orsp_http_client **out);
void orsp_http_client_free(orsp_http_client *c);
/* Replace the client's stop flag (orsp_http_client_opts.stop; NULL: none) for the exchanges
 * from now on: a request that must go out although a stop was asked (a session's cancel,
 * which the stop itself asks for). */
void orsp_http_client_set_stop(orsp_http_client *c, const volatile sig_atomic_t *stop);

/* One exchange. method: "POST", "GET", ... (upper-case letters); url: http:// or https://
 * (https:// without a trust anchor is ORSP_E_USAGE unless insecure_for_tests); headers:
 * NULL-terminated "Name: value" strings
 * (may be NULL); body may be NULL when body_len is 0. Any HTTP status is a success at this
 * level (out->status says); failures set out->fail and return the category described at
 * orsp_http_fail, with a detail, and leave nothing else of the answer in out (status 0, no
 * headers, no body; fail is never ORSP_HTTP_FAIL_NONE then, a usage error included). out is
 * always initialised; free it with orsp_http_result_free in every case. */
ORSP_MUST_CHECK orsp_err orsp_http_client_request(orsp_http_client *c, const char *method,
                                                  const char *url, const char *const *headers,
                                                  const void *body, size_t body_len,
                                                  orsp_http_result *out);
/* POST with the SGP.22 JSON headers (Content-Type: application/json, X-Admin-Protocol:
 * ORSP_HTTP_ADMIN_PROTOCOL) plus extra_headers (at most 13; an LPA adds
 * "User-Agent: gsma-rsp-lpad" there, as deployed LPAs do). */
ORSP_MUST_CHECK orsp_err orsp_http_client_post_json(orsp_http_client *c, const char *url,
                                                    const char *json, size_t json_len,
                                                    const char *const *extra_headers,
                                                    orsp_http_result *out);

/* The client a connection from peer (a struct sockaddr_storage) counts for under
 * max_connections_per_ip, into key (ORSP_HTTP_CLIENT_KEY_LEN bytes, zero-padded): an IPv4
 * address (also one mapped into IPv6, ::ffff:a.b.c.d, or translated into 64:ff9b::/96, RFC 6052),
 * the /64 of an IPv6 address (RFC 4291 §2.5.4: a host picks any address of its /64, and 3GPP gives
 * each PDN connection a /64 prefix of its own, RFC 6459, so counting per address would not limit
 * one), or for a link-local one (fe80::/10) the whole address and its scope id: every host of a
 * link shares fe80::/64. Returns AF_INET or AF_INET6, 0 for another family. Exported for the
 * tests. */
#define ORSP_HTTP_CLIENT_KEY_LEN 20
int orsp__http_client_key(const void *peer, uint8_t key[ORSP_HTTP_CLIENT_KEY_LEN]);

/* ---------------------------------------------------------------- SGP.22 JSON ----------- */

/* Every block jansson frees in this process is wiped first (json.c sets jansson's allocator
 * before main): a body's secret (ES2+ confirmationCode) leaves no copy in freed memory, on
 * any path. For tests: `release` frees the wiped block instead of free() (NULL: free). */
void orsp__json_release_hook(void (*release)(void *));
/* For tests: `alloc` stands for malloc in jansson's allocations (NULL: malloc). In a parse
 * (orsp_json_parse, orsp_json_parse_lenient), once one allocation failed no further one is
 * asked of it: the parse fails at once, ORSP_E_RESOURCE. */
void orsp__json_alloc_hook(void *(*alloc)(size_t));

/* The bound on a body's values (objects, arrays, strings, numbers, literals), counted as its
 * brackets and commas outside strings, at most ORSP_JSON_MAX_VALUES - 1 of them: RSP messages
 * hold a few dozen values, and a value costs jansson about a hundred times its text. */
#define ORSP_JSON_MAX_VALUES 1024

/* Parse a request/response body: UTF-8 JSON whose top level is an object, no duplicate keys, no
 * NUL bytes, at most max_len bytes and fewer than ORSP_JSON_MAX_VALUES brackets and commas.
 * ORSP_E_MALFORMED with the parser's position otherwise (a first byte after whitespace that
 * is not '{': "top level is not an object", before any parsing); ORSP_E_RESOURCE when an
 * allocation failed (the parse stops there). Caller releases *out with json_decref. */
ORSP_MUST_CHECK orsp_err orsp_json_parse(const void *body, size_t len, size_t max_len,
                                         json_t **out);
/* The same, but a NUL inside a string (\u0000, valid JSON) is taken and a repeated key keeps
 * its last value. Only for an answer of which one reader reads a few fields and acts on none
 * of them but its status (the operator's answer to an ES2+ HandleDownloadProgressInfo): a
 * Failed answer that the strict reading refused was taken for a delivery. */
ORSP_MUST_CHECK orsp_err orsp_json_parse_lenient(const void *body, size_t len, size_t max_len,
                                                 json_t **out);
/* Compact serialisation (malloc'ed, NUL-terminated; caller frees), byte for byte as
 * json_dumps(obj, JSON_COMPACT). obj: an object or array (ORSP_E_USAGE otherwise, as json_dumps
 * refuses it). */
ORSP_MUST_CHECK orsp_err orsp_json_dump(const json_t *obj, char **out, size_t *out_len);

/* header.functionExecutionStatus.status values (SGP.22 JSON binding, common header). */
typedef enum orsp_json_fes {
	ORSP_FES_SUCCESS = 0, /* "Executed-Success" */
	ORSP_FES_WARNING,     /* "Executed-WithWarning" */
	ORSP_FES_FAILED,      /* "Failed" */
	ORSP_FES_EXPIRED,     /* "Expired" */
} orsp_json_fes;

#define ORSP_JSON_CODE_MAX 32 /* subjectCode / reasonCode, e.g. "8.1.1", "3.8" */
#define ORSP_JSON_SUBJECT_ID_MAX 128
#define ORSP_JSON_MESSAGE_MAX 256

/* functionExecutionStatus. statusCodeData is present when has_status_code_data. */
typedef struct orsp_json_status {
	orsp_json_fes status;
	bool has_status_code_data;
	char subject_code[ORSP_JSON_CODE_MAX];
	char reason_code[ORSP_JSON_CODE_MAX];
	char subject_identifier[ORSP_JSON_SUBJECT_ID_MAX]; /* optional, "" = absent */
	char message[ORSP_JSON_MESSAGE_MAX];               /* optional, "" = absent */
} orsp_json_status;

/* "Executed-Success" etc.; never NULL. */
const char *orsp_json_fes_str(orsp_json_fes s);

/* Set obj["header"] = {"functionExecutionStatus": {...}}. Codes must be dotted decimal
 * ("8.1.1"); ORSP_E_USAGE otherwise or when Failed comes without statusCodeData. */
ORSP_MUST_CHECK orsp_err orsp_json_header_put(json_t *obj, const orsp_json_status *st);
/* Set obj[field] to the FunctionExecutionStatus st, by the same rules (e.g. the
 * notificationPointStatus of ES2+ HandleDownloadProgressInfo). obj is unchanged on error. */
ORSP_MUST_CHECK orsp_err orsp_json_status_put(json_t *obj, const char *field,
                                              const orsp_json_status *st);
/* Shorthands: Executed-Success, and Failed with subject/reason codes and an optional message. */
ORSP_MUST_CHECK orsp_err orsp_json_header_put_success(json_t *obj);
ORSP_MUST_CHECK orsp_err orsp_json_header_put_failed(json_t *obj, const char *subject_code,
                                                     const char *reason_code, const char *message);
/* Read obj["header"]["functionExecutionStatus"]. Strict: the status must be one of the four
 * values; statusCodeData, when present, must be an object with string subjectCode and
 * reasonCode in dotted decimal; Failed requires it. Its message and subjectIdentifier are cut
 * at a NUL (which only orsp_json_parse_lenient lets through). ORSP_E_MALFORMED naming the field
 * otherwise (e.g. "header.functionExecutionStatus.status: unknown value"). */
ORSP_MUST_CHECK orsp_err orsp_json_header_get(const json_t *obj, orsp_json_status *out);

/* Required string member `field` of obj, at most max_len bytes, without NUL. *out is borrowed
 * from obj. ORSP_E_MALFORMED naming the field when missing, not a string or too long. */
ORSP_MUST_CHECK orsp_err orsp_json_get_string(const json_t *obj, const char *field, size_t max_len,
                                              const char **out, size_t *out_len);
/* Required base64 member decoded into out (cap bytes: the maximum decoded length). Strict
 * RFC 4648 (orsp_base64_decode). ORSP_E_MALFORMED naming the field when missing, not a string,
 * not base64, or longer than cap. */
ORSP_MUST_CHECK orsp_err orsp_json_get_base64(const json_t *obj, const char *field, uint8_t *out,
                                              size_t cap, size_t *out_len);
/* The same into a malloc'ed buffer of at most max_len decoded bytes (caller frees). */
ORSP_MUST_CHECK orsp_err orsp_json_get_base64_alloc(const json_t *obj, const char *field,
                                                    size_t max_len, uint8_t **out, size_t *out_len);
/* Set obj[field] = base64(p, n). */
ORSP_MUST_CHECK orsp_err orsp_json_put_base64(json_t *obj, const char *field, const uint8_t *p,
                                              size_t n);
/* Set obj[field] = str (valid UTF-8 required). */
ORSP_MUST_CHECK orsp_err orsp_json_put_string(json_t *obj, const char *field, const char *str);

/* Whether a Content-Type value (NULL: none) is JSON's media type, application/json, in any
 * case, parameters allowed (SGP.22 §6.5.1 sends "application/json;charset=UTF-8"). */
bool orsp_http_media_json(const char *content_type);

/* Parse an X-Admin-Protocol value "gsma/rsp/v<major>.<minor>.<patch>" (decimal, each < 1000).
 * ORSP_E_MALFORMED otherwise. */
ORSP_MUST_CHECK orsp_err orsp_http_admin_protocol_parse(const char *value, unsigned *major,
                                                        unsigned *minor, unsigned *patch);

#endif
