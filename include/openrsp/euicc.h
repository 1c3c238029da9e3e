/* openrsp euicc: the software eUICC.
 *
 * Built so far: the card side of ISO/IEC 7816 that every eUICC application sits behind
 * (docs/euicc-apdu.md):
 *  - command APDU parsing, short and extended, cases 1-4, with strict length checks;
 *  - the ATR;
 *  - logical channels (MANAGE CHANNEL) with the channel number carried in CLA;
 *  - SELECT by AID on each channel, against a registry of applications;
 *  - STORE DATA block chaining reassembled into one command for the application (SGP.22
 *    §5.7.2, the way lpac and pySim send ES10 functions);
 *  - responses kept and delivered with 61xx + GET RESPONSE in chunks of at most 256 bytes;
 *  - TERMINAL CAPABILITY;
 *  - every refusal as the ISO/IEC 7816-4 / ETSI TS 102 221 status word;
 *  - a vpcd client that exposes the card to PC/SC (pcscd + vsmartcard's vpcd driver).
 * To come, as applications registered here: the ISD-R (ES10a/b/c), the ECASD, the ISD-Ps and
 * the USIM, and the UICC file system as the master-file handler.
 *
 * The APDU layer allocates nothing and keeps no global state: the caller allocates an
 * orsp_euicc_apdu_ctx and hands in the two buffers; limits are in euicc_config.h. It makes
 * no system calls, so it can run on a microcontroller or in a TEE. Only orsp_vpcd_serve()
 * uses sockets. A context is not thread-safe: one thread drives it at a time.
 */
#ifndef OPENRSP_EUICC_H
#define OPENRSP_EUICC_H

#include <signal.h>

#include "openrsp/core.h"
#include "openrsp/euicc_config.h"

/* ---------------------------------------------------------------- status words ---------- */

/* ISO/IEC 7816-4 §5.6 and ETSI TS 102 221 §10.2.1. The table of which check returns which
 * word is in docs/euicc-apdu.md. */
#define ORSP_SW_OK 0x9000
#define ORSP_SW1_BYTES_AVAILABLE 0x61 /* 61xx: xx more response bytes (00: 256 or more) */
#define ORSP_SW_MEMORY_PROBLEM 0x6581
#define ORSP_SW_WRONG_LENGTH 0x6700
#define ORSP_SW_CHANNEL_NOT_SUPPORTED 0x6881  /* channel not supported or not open */
#define ORSP_SW_SM_NOT_SUPPORTED 0x6882       /* secure messaging indicated in CLA */
#define ORSP_SW_CHAINING_NOT_SUPPORTED 0x6884 /* ISO command chaining indicated in CLA */
#define ORSP_SW_SECURITY_STATUS 0x6982
#define ORSP_SW_CONDITIONS_NOT_SATISFIED 0x6985
#define ORSP_SW_INCORRECT_DATA 0x6A80
#define ORSP_SW_FUNCTION_NOT_SUPPORTED 0x6A81
#define ORSP_SW_NOT_FOUND 0x6A82 /* file or application not found */
#define ORSP_SW_NOT_ENOUGH_MEMORY 0x6A84
#define ORSP_SW_INCORRECT_P1P2 0x6A86
#define ORSP_SW_REFERENCED_DATA_NOT_FOUND 0x6A88
#define ORSP_SW_ALREADY_EXISTS 0x6A89
#define ORSP_SW1_WRONG_LE 0x6C /* 6Cxx: wrong Le, xx bytes are available */
#define ORSP_SW_INS_NOT_SUPPORTED 0x6D00
#define ORSP_SW_CLA_NOT_SUPPORTED 0x6E00
#define ORSP_SW_TECHNICAL_PROBLEM 0x6F00

/* The one table from error categories to status words, for applications that fail with an
 * orsp_err: ORSP_OK -> 9000, MALFORMED -> 6A80, VERIFY -> 6982, POLICY and STATE -> 6985,
 * STORAGE -> 6581, RESOURCE -> 6A84, NOT_FOUND -> 6A88, EXISTS -> 6A89, anything else ->
 * 6F00. */
uint16_t orsp_euicc_sw_from_err(orsp_err e);

/* ---------------------------------------------------------------- command APDUs --------- */

/* A parsed command APDU (ISO/IEC 7816-4 §5.1). The data borrows the caller's buffer. */
typedef struct orsp_apdu {
	uint8_t cla, ins, p1, p2;
	orsp_slice data; /* Nc bytes of command data; len 0 when Lc is absent */
	uint32_t ne;     /* Ne: 0 when Le is absent, else 1..256 (short) or 1..65536 (extended) */
	bool le_present; /* Le field present (Le = 00 / 0000 means the maximum) */
	bool extended;   /* extended length fields */
	uint8_t channel; /* logical channel from CLA (set by the APDU layer, 0 after parse) */
} orsp_apdu;

/* Split a command APDU into header, Lc/data and Le. Exactly one of the seven encodings of
 * ISO/IEC 7816-4 §5.1 must match the whole buffer: case 1; 2S; 3S and 4S with Lc 1..255;
 * 2E; 3E and 4E with Lc 1..65535. Anything else (shorter than 4 bytes, Lc disagreeing with
 * the length, a short Lc of 00, an extended Lc of 0000, trailing bytes) is ORSP_E_MALFORMED
 * with a detail. CLA is not interpreted here. */
ORSP_MUST_CHECK orsp_err orsp_apdu_parse(const uint8_t *buf, size_t len, orsp_apdu *out);

/* Decode CLA per ETSI TS 102 221 §10.1.1 / ISO/IEC 7816-4 §5.4.1: '0X' and '8X' carry
 * channels 0-3 in b2b1 and secure messaging in b4b3; '4X'-'7X' and 'CX'/'EX' carry channels
 * 4-19 in b4..b1, secure messaging in b6 and (interindustry) chaining in b5; '1X' is '0X'
 * with command chaining. Returns ORSP_SW_OK and sets *channel and *proprietary (b8 set), or
 * the status word that refuses the class: 6882 secure messaging, 6884 command chaining,
 * 6E00 anything else ('2X', '3X', '9X', 'AX', 'BX', 'DX', 'FX'). */
uint16_t orsp_apdu_decode_cla(uint8_t cla, uint8_t *channel, bool *proprietary);

/* ---------------------------------------------------------------- applications ---------- */

/* An application behind the APDU layer (ISD-R, USIM, ...). Every callback is optional. A
 * callback returns the status word of the command; response data may come only with 9000
 * (with any other word the data is dropped), 61xx and 6Cxx belong to the layer, and a word
 * that is not a valid SW1 SW2 becomes 6F00. Writing more than the response buffer holds
 * becomes 6F00 too. Callbacks must not call back into the layer. */
typedef struct orsp_euicc_app_ops {
	/* The application is being selected on `channel` (SELECT by AID, or a channel opened from
	 * one where it is selected). Anything written to fci_prop becomes the proprietary
	 * template (tag A5) of the FCI/FCP. Not 9000: the selection is refused and the channel
	 * keeps what it had. NULL: always accepted, no proprietary data. */
	uint16_t (*select)(void *user, uint8_t channel, orsp_writer *fci_prop);
	/* The application stops being selected on `channel` (another SELECT, MANAGE CHANNEL close,
	 * SELECT with termination, reset). */
	void (*deselect)(void *user, uint8_t channel);
	/* One complete STORE DATA command: all blocks of the chain, reassembled (ES10a/b/c
	 * functions). The data lives in the reassembly buffer, which is wiped after the call.
	 * NULL: STORE DATA is answered 6D00. */
	uint16_t (*store_data)(void *user, uint8_t channel, orsp_slice data, orsp_writer *rsp);
	/* Any other command sent to the application: every INS except MANAGE CHANNEL, GET
	 * RESPONSE, TERMINAL CAPABILITY, STORE DATA and SELECT by AID, which the layer handles.
	 * NULL: 6D00. */
	uint16_t (*process)(void *user, uint8_t channel, const orsp_apdu *cmd, orsp_writer *rsp);
} orsp_euicc_app_ops;

typedef struct orsp_euicc_app {
	uint8_t aid[ORSP_EUICC_AID_MAX];
	uint8_t aid_len;
	const orsp_euicc_app_ops *ops;
	void *user;
} orsp_euicc_app;

/* ---------------------------------------------------------------- the APDU layer -------- */

/* Caller-allocated context. Every field is private to the layer; the struct is public only
 * so that it can be allocated statically or on the stack. */
typedef struct orsp_euicc_apdu_ctx {
	orsp_euicc_app apps[ORSP_EUICC_MAX_APPS];
	uint8_t n_apps;
	orsp_euicc_app mf; /* master-file handler (aid_len 0), ops NULL when none */
	bool open[ORSP_EUICC_MAX_CHANNELS];
	int8_t selected[ORSP_EUICC_MAX_CHANNELS]; /* index into apps, -1: none */
	/* STORE DATA reassembly, one chain at a time on one channel */
	uint8_t *cmd;
	size_t cmd_cap, cmd_len;
	int8_t chain_channel; /* -1: no chain in progress */
	uint16_t chain_next;  /* block number expected next */
	/* the pending response, owned by one channel */
	uint8_t *rsp;
	size_t rsp_cap, rsp_len, rsp_off;
	int8_t rsp_channel; /* -1: nothing pending */
	bool terminal_capability;
	bool ready;
} orsp_euicc_apdu_ctx;

/* Set up ctx over two caller buffers, which must outlive it and which it wipes whenever
 * their contents are dropped: cmd (STORE DATA reassembly, at least ORSP_EUICC_MIN_COMMAND
 * bytes, ORSP_EUICC_MAX_COMMAND recommended; a chain longer than cmd_cap is refused with
 * 6A80) and rsp (pending responses, at least ORSP_EUICC_MIN_RESPONSE bytes,
 * ORSP_EUICC_MAX_RESPONSE recommended). The card starts as after a reset: only the basic
 * channel open, nothing selected. ORSP_E_USAGE for NULL or too small buffers. */
ORSP_MUST_CHECK orsp_err orsp_euicc_apdu_init(orsp_euicc_apdu_ctx *ctx, uint8_t *cmd,
                                              size_t cmd_cap, uint8_t *rsp, size_t rsp_cap);

/* Register an application under its AID (5..16 bytes, copied). ops and user are borrowed
 * for the lifetime of ctx. ORSP_E_USAGE for a bad AID length or NULL ops, ORSP_E_EXISTS if
 * the AID is registered already, ORSP_E_RESOURCE when ORSP_EUICC_MAX_APPS are registered.
 * SELECT matches registered AIDs in registration order. */
ORSP_MUST_CHECK orsp_err orsp_euicc_apdu_register(orsp_euicc_apdu_ctx *ctx, const uint8_t *aid,
                                                  size_t aid_len, const orsp_euicc_app_ops *ops,
                                                  void *user);

/* Set (or, with ops NULL, remove) the master-file handler: it receives, through its
 * `process` callback, the commands of channels on which no application is selected, SELECT
 * by file identifier or path included (the UICC file system, later). Without one, such
 * commands get 6D00 (SELECT: 6A86). */
void orsp_euicc_apdu_set_mf(orsp_euicc_apdu_ctx *ctx, const orsp_euicc_app_ops *ops, void *user);

/* Cold or warm reset (power on, reset, power off): every application is deselected, every
 * logical channel but the basic one closed, the STORE DATA chain and any pending response
 * dropped and wiped. Registered applications stay. */
void orsp_euicc_apdu_reset(orsp_euicc_apdu_ctx *ctx);

/* Process one command APDU and write the response APDU (data, SW1, SW2) into rapdu, which
 * must hold ORSP_EUICC_RAPDU_MAX bytes. Input from outside never makes this fail: every
 * problem is answered with a status word, and orsp_err_detail() then says why (for traces;
 * it never contains command data). ORSP_E_USAGE only for NULL arguments, a too small rapdu
 * or a context that was not initialised. */
ORSP_MUST_CHECK orsp_err orsp_euicc_apdu_process(orsp_euicc_apdu_ctx *ctx, const uint8_t *capdu,
                                                 size_t capdu_len, uint8_t *rapdu, size_t rapdu_cap,
                                                 size_t *rapdu_len);

/* True once a TERMINAL CAPABILITY command has been accepted since the last reset. */
bool orsp_euicc_apdu_terminal_capability(const orsp_euicc_apdu_ctx *ctx);

/* The ATR (ISO/IEC 7816-3 §8): T=0 and T=1 offered, ETSI TS 102 221 class indication, the
 * historical bytes of ISO/IEC 7816-4 §12.1.1; byte by byte in docs/euicc-apdu.md. */
#define ORSP_EUICC_ATR_MAX 33
orsp_slice orsp_euicc_atr(void);

/* ---------------------------------------------------------------- vpcd transport -------- */

/* vsmartcard's vpcd (a PC/SC reader driver loaded by pcscd) listens on TCP, by default
 * port 35963, and the virtual card connects to it. Each message is a 2-byte big-endian
 * length and that many bytes; a 1-byte message is a control (00 power off, 01 power on,
 * 02 reset, 04 get ATR), anything longer a command APDU. Only get ATR and APDUs are
 * answered (with the ATR, with the response APDU). */
#define ORSP_VPCD_DEFAULT_HOST "127.0.0.1"
#define ORSP_VPCD_DEFAULT_PORT 35963
#define ORSP_VPCD_CTRL_OFF 0x00
#define ORSP_VPCD_CTRL_ON 0x01
#define ORSP_VPCD_CTRL_RESET 0x02
#define ORSP_VPCD_CTRL_ATR 0x04
#define ORSP_VPCD_MAX_MSG 0xFFFF

/* Handle one vpcd message (the bytes after the length prefix) and write the reply, if one
 * is due, into out (at least ORSP_EUICC_RAPDU_MAX bytes); *out_len = 0 means no reply.
 * Power off, power on and reset reset the card. ORSP_E_MALFORMED (and no reply) for an empty
 * message or an unknown control byte; ORSP_E_USAGE for bad arguments. */
ORSP_MUST_CHECK orsp_err orsp_vpcd_handle(orsp_euicc_apdu_ctx *ctx, const uint8_t *msg, size_t len,
                                          uint8_t *out, size_t cap, size_t *out_len);

typedef struct orsp_vpcd_opts {
	const char *host; /* vpcd's address; NULL: ORSP_VPCD_DEFAULT_HOST */
	uint16_t port;    /* 0: ORSP_VPCD_DEFAULT_PORT */
	/* Print every message and reply in hex on stderr. Off unless asked for: STORE DATA
	 * carries whole ES10 requests, bound profile packages included, and the trace would put
	 * them in logs. */
	bool trace;
	unsigned retry_min_ms; /* first reconnect delay; 0: 100 ms */
	unsigned retry_max_ms; /* the delay doubles up to this; 0: 5000 ms */
} orsp_vpcd_opts;

/* Connect to vpcd and serve ctx as the card until *stop becomes non-zero (checked at least
 * every 200 ms; a signal handler may set it). A refused or lost connection is retried with
 * exponential backoff; a new connection starts with a card reset. A malformed message is
 * logged and skipped (the connection stays). Returns ORSP_OK once stopped; ORSP_E_USAGE for
 * bad arguments. Never returns because of the peer. */
ORSP_MUST_CHECK orsp_err orsp_vpcd_serve_opts(const orsp_vpcd_opts *opts, orsp_euicc_apdu_ctx *ctx,
                                              const volatile sig_atomic_t *stop);

/* orsp_vpcd_serve_opts() with host and port, no trace, default backoff. */
ORSP_MUST_CHECK orsp_err orsp_vpcd_serve(const char *host, uint16_t port, orsp_euicc_apdu_ctx *ctx,
                                         const volatile sig_atomic_t *stop);

/* ================================================================ persistent storage ===== */

/* The eUICC core keeps its persistent state as named records and reaches storage only
 * through these operations, so that a sealed directory (orsp_euicc_host below, the seal
 * module), a TEE or a flash driver can provide it. Record names are 1..32 characters of
 * [a-z0-9._-]. Records the core uses: "ecasd" (identity: EID, SK.EUICC, CERT.EUICC,
 * CERT.EUM, CI certificates), "isdr" (profiles, notifications, addresses, counters),
 * "upp.<isdp-aid-hex>" (an installed profile package), "sqn.<isdp-aid-hex>" (the USIM's SQN
 * state of that profile). */
#define ORSP_EUICC_RECORD_NAME_MAX 32

typedef struct orsp_euicc_record {
	const char *name;
	const uint8_t *data; /* NULL: delete the record (absent already: not an error) */
	size_t len;
} orsp_euicc_record;

typedef struct orsp_euicc_storage_ops {
	/* Replace the given records all together or not at all: after a crash at any point the
	 * store holds either every old or every new value. ORSP_E_STORAGE on failure (nothing
	 * changed). */
	orsp_err (*commit)(void *user, const orsp_euicc_record *recs, size_t n);
	/* Read one record into buf. ORSP_E_NOT_FOUND when absent; ORSP_E_RESOURCE when cap is too
	 * small (then *len is the size needed); ORSP_E_VERIFY / ORSP_E_STORAGE when the store is
	 * damaged, tampered with or rolled back. */
	orsp_err (*read)(void *user, const char *name, uint8_t *buf, size_t cap, size_t *len);
} orsp_euicc_storage_ops;

/* ================================================================ USIM application ======= */

/* SECTION-USIM: declarations of the USIM application (file system of the enabled profile,
 * READ BINARY/RECORD, AUTHENTICATE) go here. */

/* ================================================================ ISD-R / ECASD ========== */

/* SECTION-ISDR: declarations of the eUICC core (ISD-R ES10a/b/c, ECASD, ISD-Ps) go here. */

/* ================================================================ host glue ============== */

/* SECTION-HOST: orsp_euicc_host (an eUICC whose records are sealed in a directory). */

#endif
