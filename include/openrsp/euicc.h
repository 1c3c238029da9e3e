/* openrsp euicc: the software eUICC.
 *
 * The card side of ISO/IEC 7816 that every eUICC application sits behind
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
 * The applications registered there: the ISD-R (ES10a/b/c), the ECASD, the ISD-Ps with the
 * enabled profile's USIM and ISIM and its file system (docs/euicc.md, docs/usim.md,
 * docs/isim.md).
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
	/* SELECT by AID with P2 04 (FCP): called after select accepted; anything written is
	 * appended inside the FCP after the life cycle status, for the security attributes
	 * and PIN status template a UICC application's FCP carries (TS 102 221 §11.1.1.3.1).
	 * NULL: nothing appended. */
	void (*fcp)(void *user, uint8_t channel, orsp_writer *fcp_tail);
	/* The select just accepted on `channel` is withdrawn (its FCI/FCP did not fit the
	 * response buffer: 6F00): put the channel's state back as it was before that select,
	 * current file and record included (ISO/IEC 7816-4: a failed SELECT leaves the current
	 * file unchanged); the application selected before, if another, is then simply still
	 * selected. NULL: the layer calls deselect and selects that application again (its
	 * current file is not kept). */
	void (*select_undo)(void *user, uint8_t channel);
	/* The card was reset (orsp_euicc_apdu_reset: power on, power off, reset), after every
	 * channel was closed and every application deselected: state that outlives a selection
	 * but not a power cycle ends here (the ISD-R's RSP session). NULL: nothing to do. */
	void (*reset)(void *user);
	/* A channel was opened (MANAGE CHANNEL open) from channel `from`, not the basic one,
	 * where this application is selected, and the select on the new `channel` accepted:
	 * the new channel's current DF is the one of `from` (TS 102 221 §11.1.17, ISO/IEC
	 * 7816-4 §5.4.2), with no current EF. NULL: the new channel stays where select put it. */
	void (*opened_from)(void *user, uint8_t from, uint8_t channel);
	/* A GlobalPlatform security domain (the ISD-R): SELECT by AID answers with its FCI ('6F')
	 * whatever P2's response bits ask (GlobalPlatform Card Specification §11.9.3: a
	 * security domain's SELECT response is its FCI; pySim asks for the FCP, P2 04, and reads
	 * the ISD-R's answer as an FCI), except P2 0C, no data (P2 08, file management data,
	 * stays refused: 6A86). false: P2 04 gets the FCP. */
	bool fci_only;
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

/* Remove the application registered under exactly this AID: it is first deselected (its
 * deselect called) on every channel where it is selected, and a pending response or STORE
 * DATA chain of those channels is dropped. ORSP_E_USAGE for NULL arguments, ORSP_E_NOT_FOUND
 * if no application has that AID. */
ORSP_MUST_CHECK orsp_err orsp_euicc_apdu_unregister(orsp_euicc_apdu_ctx *ctx, const uint8_t *aid,
                                                    size_t aid_len);

/* Set (or, with ops NULL, remove) the master-file handler: it receives, through its
 * `process` callback, the commands of channels on which no application is selected, SELECT
 * by file identifier or path included (the UICC file system, later). Its `deselect`, if
 * any, is called for a channel with no application selected when that channel is closed or
 * the card is reset (its current file goes back to the MF). Without one, such commands get
 * 6D00 (SELECT: 6A86). */
void orsp_euicc_apdu_set_mf(orsp_euicc_apdu_ctx *ctx, const orsp_euicc_app_ops *ops, void *user);

/* Cold or warm reset (power on, reset, power off): every application is deselected, every
 * logical channel but the basic one closed, the STORE DATA chain and any pending response
 * dropped and wiped, then the reset callback of every registered application called.
 * Registered applications stay. */
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
	 * them in logs. What is secret is left out (docs/euicc-apdu.md, "Trace"): the response
	 * data of AUTHENTICATE (RES, CK, IK, Kc; in GET RESPONSE too), the command data of the
	 * PIN commands and of UPDATE BINARY/RECORD, and PrepareDownload's STORE DATA chain and
	 * its answer; for such a command its header is printed, then the number of bytes after
	 * it (Lc and Le included). */
	bool trace;
	unsigned retry_min_ms; /* first reconnect delay; 0: 100 ms */
	unsigned retry_max_ms; /* the delay doubles up to this; 0: 5000 ms */
	/* Called (when set) each time a connection to vpcd is made, before anything is read
	 * from it, with connected_arg: a caller that says "served" says it only then. */
	void (*connected)(void *connected_arg);
	void *connected_arg;
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
 * "upp.<n>" (the installed profile package of ISD-P number n, the last two bytes of its AID),
 * "sqn.<n>" and "isqn.<n>" (the USIM's and ISIM's SQN state of that profile), "pin.<n>" (the
 * state of its PINs and PUKs). */
#define ORSP_EUICC_RECORD_NAME_MAX 32

typedef struct orsp_euicc_record {
	const char *name;
	const uint8_t *data; /* NULL: delete the record (absent already: not an error) */
	size_t len;
} orsp_euicc_record;

typedef struct orsp_euicc_storage_ops {
	/* Replace the given records all together or not at all: after a crash at any point the
	 * store holds either every old or every new value. ORSP_E_STORAGE on failure, which
	 * means that nothing changed: the core answers it as a failed command and goes on from
	 * the stored state. A commit whose new values were stored durably but whose completion
	 * failed (orsp_euicc_host: the seal store's counter after its manifest) is ORSP_OK, the
	 * implementation's to report (a warning). One whose new values may not be durable
	 * (orsp_euicc_host: the directory's flush after the manifest failed) must not be
	 * ORSP_OK, since the core then answers with what it made: ORSP_E_STORAGE, and the read
	 * that follows fails too, so that the card stops until it is opened again. */
	orsp_err (*commit)(void *user, const orsp_euicc_record *recs, size_t n);
	/* Read one record into buf. ORSP_E_NOT_FOUND when absent; ORSP_E_RESOURCE when cap is too
	 * small (then *len is the size needed); ORSP_E_VERIFY / ORSP_E_STORAGE when the store is
	 * damaged, tampered with or rolled back. */
	orsp_err (*read)(void *user, const char *name, uint8_t *buf, size_t cap, size_t *len);
} orsp_euicc_storage_ops;

/* ================================================================ USIM application ======= */

/* SECTION-USIM: declarations of the USIM application (file system of the enabled profile,
 * READ BINARY/RECORD, AUTHENTICATE) go here.
 *
 * The USIM of the enabled profile (docs/usim.md): the UICC file system the profile package
 * creates under the MF and ADF.USIM (ETSI TS 102 221, 3GPP TS 31.102, TCA templates), read
 * only, and AUTHENTICATE with the profile's Milenage or TUAK parameters. orsp_usim_load()
 * decodes the package once and copies what the card needs into the fixed tables below; after
 * that nothing is allocated. Two operation tables plug it into the APDU layer:
 * orsp_usim_app_ops (registered under the ADF.USIM AID) and orsp_usim_mf_ops (the MF
 * handler, for channels on which no application is selected); both take the orsp_usim as
 * user and share its per-channel file selection. No file and no command ever returns K or
 * OPc/TOPc. */
#include "openrsp/aka.h"

#define ORSP_USIM_MAX_FILES 96   /* MF, ADF.USIM and ADF.ISIM files kept */
#define ORSP_USIM_DATA_MAX 16384 /* their contents together */
#define ORSP_USIM_NAME_MAX 16    /* PE member name ("ef-imsi"), NUL included */
/* Serialised SQN state: "SQ", version 1, IND bits, delta (6), age limit (6), then SEQ_MS of
 * each of the 2^IND values (6 bytes each, big endian). */
#define ORSP_USIM_SQN_STATE_VERSION 1
#define ORSP_USIM_SQN_STATE_MAX (16 + 6 * (1u << ORSP_SQN_MAX_IND_BITS))

#define ORSP_USIM_DF_MF 0  /* orsp_usim_file.df: under the MF */
#define ORSP_USIM_DF_ADF 1 /* under ADF.USIM */
#define ORSP_USIM_DF_ISIM 2 /* under ADF.ISIM (docs/isim.md) */

/* One file (TS 102 221 §11.1.1.4): what the FCP reports and where its content lives. */
typedef struct orsp_usim_file {
	char name[ORSP_USIM_NAME_MAX];
	uint16_t fid;
	uint8_t df;         /* ORSP_USIM_DF_* */
	bool is_df;         /* the MF itself (the ADFs are orsp_usim.aid, isim.aid) */
	uint8_t descriptor; /* file descriptor byte: 41 transparent, 42 linear fixed, 46 cyclic */
	uint16_t rec_len;   /* record length (record files) */
	uint8_t sfi;        /* short file identifier, 0: none */
	uint8_t lcsi;       /* life cycle status integer (TS 102 221 §11.1.1.4.9) */
	uint8_t arr[3];     /* security attributes referenced (tag 8B) as given */
	uint8_t arr_len;
	uint32_t off, size; /* content: data[off .. off+size) */
} orsp_usim_file;

/* What one logical channel has selected. */
typedef struct orsp_usim_channel {
	bool adf_active;  /* ADF.USIM selected by AID on this channel */
	bool isim_active; /* ADF.ISIM selected by AID on this channel (never both) */
	uint8_t df;       /* current DF: ORSP_USIM_DF_MF, _ADF or _ISIM */
	int16_t ef;      /* current EF: index into files, -1 none */
	uint16_t rec;    /* current record number, 0 none */
} orsp_usim_channel;

typedef orsp_err (*orsp_usim_persist_fn)(void *user, const uint8_t *sqn_state, size_t len);

/* The ISIM of the profile (TS 31.103, docs/isim.md): its AID, its own AKA parameters and,
 * with a K of its own, its own SQN state (TS 33.203 §6.1: SQN_ISIM, apart from the USIM's);
 * with the USIM's algoParameter or parameters that verify the same challenges (algorithm,
 * K, OPc, Milenage r1/c1/r2/c2; TUAK: all) it uses the USIM's SQN state and persist
 * (shared_sqn). Its files are in the orsp_usim's tables under ORSP_USIM_DF_ISIM. */
typedef struct orsp_usim_isim {
	bool loaded; /* the profile has a PE-ISIM */
	uint8_t aid[ORSP_EUICC_AID_MAX];
	size_t aid_len;
	bool aka_ok; /* Milenage or TUAK parameters present */
	orsp_aka_subscriber sub;
	bool shared_sqn; /* the USIM's K: sqn and persist below unused, the USIM's serve */
	orsp_usim_sqn sqn;
	uint8_t arr[3]; /* ADF.ISIM's security attributes referenced (tag 8B) as given */
	uint8_t arr_len;
	orsp_usim_persist_fn persist; /* NULL until orsp_usim_isim_state: AUTHENTICATE 6581 */
	void *persist_user;
	/* orsp_usim.n_files and data_len before its files went in (the MF's and USIM's end
	 * there): what orsp_usim_isim_drop puts the counts back to */
	size_t first_file;
	uint32_t data_off;
} orsp_usim_isim;

/* PINs and PUKs of the profile (TS 102 221 §9.5, docs/usim.md "PINs"): the PE-PINCodes and
 * PE-PUKCodes configurations the USIM and ISIM use, their state persisted per profile. */
#define ORSP_USIM_MAX_PINS 32
#define ORSP_USIM_PIN_LEN 8    /* PINConfiguration pinValue, PUKConfiguration pukValue */
#define ORSP_USIM_PIN_GLOBAL 0 /* orsp_usim_pin.scope of a global PIN (MF) and of a PUK */
/* Serialised PIN state: "PN", version 1, count, then per PIN or PUK in table order: key
 * reference, kind, flags, tries left, value (8 bytes). */
#define ORSP_USIM_PIN_STATE_VERSION 1
#define ORSP_USIM_PIN_STATE_MAX (4 + 12 * ORSP_USIM_MAX_PINS)

typedef struct orsp_usim_pin {
	uint8_t ref;     /* key reference (TS 102 221 Table 9.3); a PUK's PUKKeyReferenceValue */
	uint8_t scope;   /* ORSP_USIM_PIN_GLOBAL, or ORSP_USIM_DF_ADF / _ISIM for a local PIN */
	bool puk;        /* from PE-PUKCodes */
	bool enabled;    /* PINs: verification required (pinAttributes b1 at install) */
	bool disable_ok; /* PINs: DISABLE PIN allowed (pinAttributes b3) */
	bool changed;    /* value set by CHANGE PIN or UNBLOCK PIN: persisted */
	bool verified;   /* security status: volatile, ends with a card reset (a local PIN's
	                  * also when its application is left on its last channel) */
	uint8_t max_tries, left;
	int8_t unblock; /* PINs: index of the PUK in pins[], -1 none */
	orsp_secret value;
} orsp_usim_pin;

/* Caller-allocated (about 29 KiB); every field is private. */
typedef struct orsp_usim {
	bool loaded;
	uint8_t aid[ORSP_EUICC_AID_MAX];
	size_t aid_len;
	uint8_t adf_arr[3]; /* ADF.USIM's security attributes referenced (tag 8B) as given */
	uint8_t adf_arr_len;
	char iccid[21];
	size_t n_files;
	orsp_usim_file files[ORSP_USIM_MAX_FILES];
	uint32_t data_len;
	uint8_t data[ORSP_USIM_DATA_MAX];
	bool aka_ok;             /* Milenage or TUAK parameters present */
	orsp_aka_subscriber sub; /* K, OPc/TOPc, constants */
	orsp_usim_sqn sqn;
	orsp_usim_persist_fn persist;
	void *persist_user;
	orsp_usim_isim isim;
	orsp_usim_channel ch[ORSP_EUICC_MAX_CHANNELS];
	orsp_usim_channel ch_undo[ORSP_EUICC_MAX_CHANNELS]; /* each before its last SELECT by AID */
	uint8_t state[ORSP_USIM_SQN_STATE_MAX]; /* serialisation scratch */
	size_t n_pins;
	orsp_usim_pin pins[ORSP_USIM_MAX_PINS];
	orsp_usim_persist_fn pin_persist; /* NULL until orsp_usim_pin_state */
	void *pin_persist_user;
	uint8_t pin_state[ORSP_USIM_PIN_STATE_MAX]; /* serialisation scratch */
} orsp_usim;

/* Decode the profile package upp (the Unprotected Profile Package, as installed) once and
 * fill u: the MF files of PE-MF, ADF.USIM and the files of PE-USIM and PE-OPT-USIM (TCA
 * template values where the package gives no FCP), and likewise ADF.ISIM with the files of
 * the first PE-ISIM and its PE-OPT-ISIM and the ISIM's own PE-AKAParameter (its SQN state
 * fresh from the package until orsp_usim_isim_state), the USIM's own PE-AKAParameter
 * (Milenage with its r/c constants, or TUAK with its Keccak iterations), and the SQN state:
 * sqn_state (ORSP_USIM_SQN_STATE_* format, from an earlier persist call) or, with sqn_len 0,
 * fresh from the package's sqnInit/sqnDelta/sqnAgeLimit. persist (may be NULL: then every
 * AUTHENTICATE is answered 6581) receives the new state after each accepted AUTHENTICATE,
 * before RES leaves the card. The package is freed (and wiped) before returning.
 * Errors: ORSP_E_USAGE (NULL arguments), ORSP_E_MALFORMED (package, a sqnInit above
 * '07FFFFFFFFFF', SQN state),
 * ORSP_E_NOT_FOUND (no PE-USIM, no ADF.USIM AID), ORSP_E_RESOURCE (tables too small); u is
 * wiped on error. The ISIM is loaded after the USIM, on its own: a PE-ISIM that cannot be
 * served (no or a wrong ADF.ISIM AID, a file or AKA parameter refused, the tables full) is
 * logged (ORSP_LOG_WARN) and left out, the USIM loaded as without it (docs/isim.md). */
ORSP_MUST_CHECK orsp_err orsp_usim_load(orsp_usim *u, const uint8_t *upp, size_t upp_len,
                                        const uint8_t *sqn_state, size_t sqn_len,
                                        orsp_usim_persist_fn persist, void *user);
/* Trial load (at install): ORSP_OK if the package has no PE-USIM or its USIM loads as
 * orsp_usim_load would load it (an ISIM that would not load does not count: the profile is
 * then served without it); else orsp_usim_load's error: ORSP_E_RESOURCE when the files do
 * not fit the tables (the eUICC answers installFailedDueToInsufficientMemoryForProfile) or
 * memory ran out (a failed allocation counted in orsp_wipe_alloc_failures, which tells the
 * two apart: the eUICC refuses the command, the package not judged), any other a package
 * defect. Allocates and wipes an orsp_usim of its own. */
ORSP_MUST_CHECK orsp_err orsp_usim_check(const uint8_t *upp, size_t upp_len);
struct orsp_pkg; /* pkg.h's orsp_pkg */
/* orsp_usim_check of a package already decoded (pkg.h's orsp_pkg_decode; not changed, still
 * the caller's), so that an install decodes its package once; ORSP_E_USAGE for NULL. */
ORSP_MUST_CHECK orsp_err orsp_usim_check_pkg(const struct orsp_pkg *pkg);
/* Wipe u (K, OPc, file contents, state). NULL is fine. */
void orsp_usim_unload(orsp_usim *u);
/* The ADF.USIM AID (from the PE-USIM ADF's dfName, else EF.DIR). ORSP_E_STATE if not
 * loaded. */
ORSP_MUST_CHECK orsp_err orsp_usim_aid(const orsp_usim *u, uint8_t aid[16], size_t *len);
/* Serialise / parse the SQN state (the bytes persist receives). Save refuses (ORSP_E_USAGE)
 * a state parse would refuse: a SEQ above 48 - ind_bits bits, delta or age limit above 48
 * bits. */
ORSP_MUST_CHECK orsp_err orsp_usim_sqn_save(const orsp_usim_sqn *st, uint8_t *out, size_t cap,
                                            size_t *len);
ORSP_MUST_CHECK orsp_err orsp_usim_sqn_parse(const uint8_t *in, size_t len, orsp_usim_sqn *st);

/* The ADF.ISIM AID (the PE-ISIM ADF's dfName, else EF.DIR). ORSP_E_STATE if not loaded,
 * ORSP_E_NOT_FOUND if the profile has no ISIM. */
ORSP_MUST_CHECK orsp_err orsp_usim_isim_aid(const orsp_usim *u, uint8_t aid[16], size_t *len);
/* The ISIM's SQN state and persist callback, as orsp_usim_load takes the USIM's: sqn_state
 * from an earlier call of this persist (sqn_len 0: keep the package's fresh state); persist
 * receives the ISIM's new state after each accepted IMS AKA, before RES leaves the card
 * (NULL: every ISIM AUTHENTICATE is answered 6581). ORSP_E_STATE if not loaded,
 * ORSP_E_NOT_FOUND without an ISIM, ORSP_E_MALFORMED for a bad state (nothing changed).
 * An ISIM that shares the USIM's SQN state (orsp_usim_isim_shares_sqn) has no state of its
 * own: a sqn_state is then ORSP_E_STATE, and with sqn_len 0 nothing is set (the USIM's state
 * and persist serve it). */
ORSP_MUST_CHECK orsp_err orsp_usim_isim_state(orsp_usim *u, const uint8_t *sqn_state,
                                              size_t sqn_len, orsp_usim_persist_fn persist,
                                              void *user);
/* Take the ISIM out of u as orsp_usim_load leaves an ISIM it cannot serve: its files out of
 * the tables (they follow the MF's and USIM's: the counts back to isim.first_file and
 * data_off, recorded by the load), the tables past the USIM's wiped, its
 * parameters and state wiped (orsp_usim_isim_aid then ORSP_E_NOT_FOUND, its select 6A82), a
 * channel on ADF.ISIM back at the MF. For a caller that will not serve the ISIM after all
 * (the eUICC when its state record cannot be read). Nothing without an ISIM; NULL is fine. */
void orsp_usim_isim_drop(orsp_usim *u);
/* True when the loaded profile's ISIM resolves to the USIM's PE-AKAParameter (a
 * mappingParameter) or has parameters that verify the same challenges (algorithm, K, OPc,
 * Milenage r1/c1/r2/c2; TUAK: all its parameters): one SQN state (the
 * USIM's, given to orsp_usim_load, persisted through its callback) serves both, so a
 * challenge accepted by one NAA is a replay for the other (TS 33.102 §6.3, Annex C). */
bool orsp_usim_isim_shares_sqn(const orsp_usim *u);
/* The PIN state (ORSP_USIM_PIN_STATE_* format: enabled or not, tries left, a value changed by
 * CHANGE PIN or UNBLOCK PIN, of every PIN and PUK) from an earlier call of persist (len 0:
 * keep the package's), and the callback that receives the new state before a PIN command
 * answers: a wrong value's decremented counter is stored before 63Cx leaves the card; a
 * failed persist changes nothing and the command answers 6581 (NULL: every command that
 * would change the state answers 6581). ORSP_E_STATE if not loaded, ORSP_E_MALFORMED for a
 * state that does not match the profile's PINs and PUKs (nothing changed). */
/* Serialise the PIN state (the bytes persist receives). ORSP_E_RESOURCE if cap is short. */
ORSP_MUST_CHECK orsp_err orsp_usim_pin_save(const orsp_usim *u, uint8_t *out, size_t cap,
                                            size_t *len);
ORSP_MUST_CHECK orsp_err orsp_usim_pin_state(orsp_usim *u, const uint8_t *state, size_t len,
                                             orsp_usim_persist_fn persist, void *user);

extern const orsp_euicc_app_ops orsp_usim_app_ops; /* user = orsp_usim*, registered under its AID */
extern const orsp_euicc_app_ops orsp_isim_app_ops; /* user = orsp_usim*, under the ISIM's AID */
extern const orsp_euicc_app_ops orsp_usim_mf_ops;  /* MF handler, user = orsp_usim* */

/* ================================================================ ISD-R / ECASD ========== */

/* SECTION-ISDR: the eUICC core (src/euicc/es10_*.c, docs/euicc.md) — ISD-R with the
 * ES10a/b/c functions of SGP.22 v2.2 §5.7, the ECASD (SK.EUICC, CERT.EUICC, CERT.EUM, the
 * trusted CIs, NIST P-256 or brainpoolP256r1) and the ISD-Ps of the installed profiles.
 * The struct is caller-allocated with fixed tables (limits below); the core itself does not
 * allocate, the crypto, bsp and pkg modules it calls may. Persistent state goes through the
 * storage operations as records ("ecasd", "isdr", "upp.<n>", "sqn.<n>", "isqn.<n>", "pin.<n>"), one
 * commit per state change. */
#include "openrsp/bsp.h"
#include "openrsp/crypto.h"

#define ORSP_EUICC_MAX_CI 4
#ifndef ORSP_EUICC_MAX_PROFILES
#define ORSP_EUICC_MAX_PROFILES 8
#endif
#ifndef ORSP_EUICC_MAX_NOTIFICATIONS
#define ORSP_EUICC_MAX_NOTIFICATIONS 16
#endif
#ifndef ORSP_EUICC_MAX_UPP
#define ORSP_EUICC_MAX_UPP (48 * 1024) /* one profile package (TS.48: about 12 KiB) */
#endif
#define ORSP_EUICC_CERT_MAX 1024
#define ORSP_EUICC_NOTIF_MAX 768 /* one signed notification, certificates excluded */
#define ORSP_EUICC_ADDR_MAX 254
/* profileOwner (OperatorID: mccMnc [0] 3 bytes, gid1 [1], gid2 [2]) as kept from the metadata,
 * its DER content: gid1 and gid2 of up to 16 bytes each (a longer one is not kept) */
#define ORSP_EUICC_GID_MAX 16
#define ORSP_EUICC_OWNER_MAX (5 + 2 * (2 + ORSP_EUICC_GID_MAX))
/* a gid's length in one byte, owner_len in a uint8_t */
_Static_assert(ORSP_EUICC_GID_MAX < 128 && ORSP_EUICC_OWNER_MAX < 256,
               "ORSP_EUICC_GID_MAX must stay below 128");
/* SGP.22 sizes these UTF8Strings in characters: serviceProviderName SIZE(0..32), profileName
 * and profileNickname SIZE(0..64). A character takes up to 4 bytes of UTF-8, so the buffers
 * below hold 4 bytes per character and the NUL. */
#define ORSP_EUICC_SPN_CHARS 32
#define ORSP_EUICC_NAME_CHARS 64
#define ORSP_EUICC_SPN_BUF (4 * ORSP_EUICC_SPN_CHARS + 1)
#define ORSP_EUICC_NAME_BUF (4 * ORSP_EUICC_NAME_CHARS + 1)
#define ORSP_EUICC_RECORD_MAX (64 * 1024)
/* The largest RetrieveNotificationsList answer: every pending notification as an
 * OtherSignedNotification (4 bytes of header, metadata and signature, CERT.EUICC, CERT.EUM),
 * plus the BF2B and A0 headers. It must fit the recommended response buffer. */
#define ORSP_EUICC_NOTIF_LIST_MAX                                                                  \
	(ORSP_EUICC_MAX_NOTIFICATIONS * (4 + ORSP_EUICC_NOTIF_MAX + 2 * ORSP_EUICC_CERT_MAX) + 16)
_Static_assert(ORSP_EUICC_MAX_RESPONSE >= ORSP_EUICC_NOTIF_LIST_MAX,
               "ORSP_EUICC_MAX_RESPONSE must hold every pending notification in one answer");

typedef struct orsp_euicc_identity {
	const char *eid;                 /* 32 digits */
	orsp_slice sk_euicc;             /* SK.EUICC.ECDSA, PEM or DER */
	orsp_slice cert_euicc, cert_eum; /* DER */
	orsp_slice ci_certs[ORSP_EUICC_MAX_CI];
	size_t n_ci;
	const char *default_dp; /* NULL, "" or the default SM-DP+ address (orsp_fqdn_check) */
} orsp_euicc_identity;

typedef struct orsp_euicc_profile_rec {
	bool used, enabled;
	uint8_t aid[16];
	uint8_t aid_len;
	uint8_t iccid[10]; /* EF.ICCID coding */
	/* UTF-8, at most ORSP_EUICC_NAME_CHARS / ORSP_EUICC_SPN_CHARS characters */
	char name[ORSP_EUICC_NAME_BUF], spn[ORSP_EUICC_SPN_BUF], nickname[ORSP_EUICC_NAME_BUF];
	int8_t profile_class; /* 0 test, 1 provisioning, 2 operational */
	uint8_t ppr;          /* PprIds bits: 0x40 ppr1 (no disable), 0x20 ppr2 (no delete) */
	/* per NotificationEvent (0 install, 1 enable, 2 disable, 3 delete: bit 0x80 >> i) the
	 * address of the notificationConfigurationInfo entry that lists it; "" none */
	char notif_addr[4][ORSP_EUICC_ADDR_MAX];
	uint32_t upp_len;
	/* profileOwner's OperatorID content (80 mccMnc [81 gid1] [82 gid2]); owner_len 0: none */
	uint8_t owner[ORSP_EUICC_OWNER_MAX];
	uint8_t owner_len;
} orsp_euicc_profile_rec;

typedef struct orsp_euicc_notification_rec {
	bool used;
	uint32_t seq;
	uint8_t event; /* 0x80 install, 0x40 enable, 0x20 disable, 0x10 delete */
	char addr[ORSP_EUICC_ADDR_MAX];
	uint8_t iccid[10];
	uint16_t len;
	uint8_t data[ORSP_EUICC_NOTIF_MAX]; /* the PIR, or NotificationMetadata + signature */
} orsp_euicc_notification_rec;

/* The largest "isdr" record (save_isdr in es10_isdr.c, docs/euicc.md "Records"), from the
 * largest encoding of each field, every tag one byte: {next seqNumber, next ISD-P, default
 * address, A3 {profile entries}, A4 {notification entries}, A5 the installation in progress}.
 * It must fit the record buffer, or
 * a card with every ISD-P in use and a full notification list could not commit anything: an
 * override of ORSP_EUICC_MAX_PROFILES or ORSP_EUICC_MAX_NOTIFICATIONS that cannot work fails
 * here, at compile time (34 013 bytes with the defaults; 23 profiles fit, 24 do not). */
#define ORSP_EUICC_DER_LEN(n)                                                                      \
	((n) < 0x80 ? 1 : (n) < 0x100 ? 2 : (n) < 0x10000 ? 3 : (n) < 0x1000000 ? 4 : 5)
#define ORSP_EUICC_DER_TLV(n) (1 + ORSP_EUICC_DER_LEN(n) + (n))
enum {
	/* an unsigned INTEGER of 32 bits: at most 5 content bytes */
	ORSP_EUICC_ENC_UINT = ORSP_EUICC_DER_TLV(5),
	ORSP_EUICC_ENC_ADDR = ORSP_EUICC_DER_TLV(ORSP_EUICC_ADDR_MAX - 1),
	/* notificationConfigurationInfo: up to one {NotificationEvent, address} per event */
	ORSP_EUICC_ENC_NOTIF_CONFIG =
	    ORSP_EUICC_DER_TLV(4 * ORSP_EUICC_DER_TLV(ORSP_EUICC_DER_TLV(2) + ORSP_EUICC_ENC_ADDR)),
	/* a profile: AID, ICCID, enabled, nickname, serviceProviderName, profileName, class,
	 * PPRs, event bits, the address of older readers, the configuration, package length,
	 * profileOwner */
	ORSP_EUICC_ENC_PROFILE = ORSP_EUICC_DER_TLV(
	    ORSP_EUICC_DER_TLV(16) + ORSP_EUICC_DER_TLV(10) + ORSP_EUICC_DER_TLV(1) +
	    2 * ORSP_EUICC_DER_TLV(ORSP_EUICC_NAME_BUF - 1) +
	    ORSP_EUICC_DER_TLV(ORSP_EUICC_SPN_BUF - 1) + ORSP_EUICC_ENC_UINT +
	    2 * ORSP_EUICC_DER_TLV(1) + ORSP_EUICC_ENC_ADDR + ORSP_EUICC_ENC_NOTIF_CONFIG +
	    ORSP_EUICC_ENC_UINT + ORSP_EUICC_DER_TLV(ORSP_EUICC_OWNER_MAX)),
	/* a notification: seqNumber, event, address, ICCID, the signed data */
	ORSP_EUICC_ENC_NOTIFICATION =
	    ORSP_EUICC_DER_TLV(ORSP_EUICC_ENC_UINT + ORSP_EUICC_DER_TLV(1) + ORSP_EUICC_ENC_ADDR +
	                       ORSP_EUICC_DER_TLV(10) + ORSP_EUICC_DER_TLV(ORSP_EUICC_NOTIF_MAX)),
	/* the installation in progress: bppCommandId, transactionId, SM-DP+ OID, address, ICCID */
	ORSP_EUICC_ENC_LOAD = ORSP_EUICC_DER_TLV(ORSP_EUICC_ENC_UINT + ORSP_EUICC_DER_TLV(16) +
	                                         ORSP_EUICC_DER_TLV(32) + ORSP_EUICC_ENC_ADDR +
	                                         ORSP_EUICC_DER_TLV(10)),
	ORSP_EUICC_ENC_ISDR = ORSP_EUICC_DER_TLV(
	    2 * ORSP_EUICC_ENC_UINT + ORSP_EUICC_ENC_ADDR +
	    ORSP_EUICC_DER_TLV(ORSP_EUICC_MAX_PROFILES * ORSP_EUICC_ENC_PROFILE) +
	    ORSP_EUICC_DER_TLV(ORSP_EUICC_MAX_NOTIFICATIONS * ORSP_EUICC_ENC_NOTIFICATION) +
	    ORSP_EUICC_ENC_LOAD),
};
_Static_assert(ORSP_EUICC_ENC_ISDR <= ORSP_EUICC_RECORD_MAX,
               "the isdr record of ORSP_EUICC_MAX_PROFILES profiles and "
               "ORSP_EUICC_MAX_NOTIFICATIONS notifications must fit ORSP_EUICC_RECORD_MAX");
/* The records an ISD-P owns ("upp.<n>", "sqn.<n>", "isqn.<n>", "pin.<n>"), and the most records one
 * store holds: "ecasd", "isdr" and those of every ISD-P. A commit (eUICCMemoryReset: "isdr"
 * and the removal of every ISD-P's records) never names more. The host glue asserts that its
 * sealed store takes as many (ORSP_SEAL_MAX_RECORDS). */
#define ORSP_EUICC_ISDP_RECORDS 4
#define ORSP_EUICC_MAX_RECORDS (2 + ORSP_EUICC_ISDP_RECORDS * ORSP_EUICC_MAX_PROFILES)

/* Caller-allocated; every field is private (about 185 KiB with the defaults). */
typedef struct orsp_euicc {
	const orsp_euicc_storage_ops *ops;
	void *user;
	char eid[33];
	uint8_t eid_bin[16];
	orsp_ec_key *sk;
	uint8_t cert[ORSP_EUICC_CERT_MAX], eum[ORSP_EUICC_CERT_MAX];
	size_t cert_len, eum_len;
	orsp_ci_store *cis;
	uint8_t ski[ORSP_EUICC_MAX_CI][20];
	size_t ski_len[ORSP_EUICC_MAX_CI], n_ci;
	uint8_t sign_ski[20]; /* the CI of our own certificate chain */
	size_t sign_ski_len;
	char default_dp[ORSP_EUICC_ADDR_MAX];
	char factory_dp[ORSP_EUICC_ADDR_MAX]; /* the one provisioned ("ecasd"), "" none */
	orsp_euicc_profile_rec profiles[ORSP_EUICC_MAX_PROFILES];
	orsp_euicc_notification_rec notifs[ORSP_EUICC_MAX_NOTIFICATIONS];
	uint32_t next_seq, next_isdp;
	/* The installation begun and not ended (persistent: "isdr"'s A5), from ConfigureISDP on
	 * and updated with each BppCommandId: what its interruption PIR needs, so that a power
	 * loss or a kill during LoadBoundProfilePackage still gives it, at the next open. cmd 0:
	 * none. load_stored: the stored "isdr" holds one (what its last commit or read had). */
	struct {
		int cmd;
		uint8_t tid[16];
		size_t tid_len;
		uint8_t smdp_oid[32];
		size_t smdp_oid_len;
		uint8_t iccid[10];
		char addr[ORSP_EUICC_ADDR_MAX];
	} load;
	bool load_stored;
	/* the current RSP session (not persistent) */
	struct {
		int step;
		uint8_t echal[16];
		uint8_t tid[16];
		size_t tid_len;
		char server_addr[ORSP_EUICC_ADDR_MAX];
		uint8_t smdp_oid[32];
		size_t smdp_oid_len;
		/* the key identifier of the CI that certified CERT.DPauth (its AKI): CERT.DPpb
		 * must come from the same one */
		uint8_t dp_ci[20];
		size_t dp_ci_len;
		/* the server authenticated with a CERT.DSauth (an SM-DS's event retrieval): no
		 * profile is prepared in this session */
		bool ds;
		uint8_t sig1[ORSP_EC_SIG_LEN];
		orsp_ec_key *otsk, *dppb;
		orsp_bsp_unwrap *uw;
		size_t bpp_total, bpp_fed;
		uint8_t meta[ORSP_BSP_MAX_STORE_METADATA];
		size_t meta_len;
		size_t upp_len;
		int refused; /* the ErrorReason a BPP callback refused the package with; 0 none */
		/* BppCommandId of the last BPP command executed (configureISDP 1, storeMetadata
		 * 2, replaceSessionKeys 4, loadProfileElements 5); 0: none yet, no ISD-P */
		int bpp_cmd;
		bool unstored; /* a BPP callback's commit of the load record failed */
	} s;
	/* otSK.EUICC.ECKA of the last PrepareDownload, kept across sessions until a profile is
	 * installed, for a retry with bppEuiccOtpk (SGP.22 §5.7.5); s.otsk borrows it */
	orsp_ec_key *kept_otsk;
	uint8_t kept_otpk[ORSP_EC_POINT_LEN];
	uint8_t upp[ORSP_EUICC_MAX_UPP];
	uint8_t rec[ORSP_EUICC_RECORD_MAX]; /* record serialisation */
	orsp_usim usim;
	orsp_euicc_apdu_ctx *apdu;
	bool usim_registered;
	uint8_t usim_aid[16];
	size_t usim_aid_len;
	bool open;
	char refusal[ORSP_ERR_DETAIL_MAX]; /* orsp_euicc_refusal */
} orsp_euicc;

/* Write the identity into a new store (records "ecasd" and an empty "isdr"). ORSP_E_EXISTS
 * if the store holds an eUICC already; ORSP_E_USAGE / ORSP_E_VERIFY when the key does not
 * belong to CERT.EUICC or the chain does not verify to one of the CIs; ORSP_E_USAGE for a
 * default_dp that orsp_fqdn_check refuses, before anything is read or written.
 * work is caller-allocated scratch (the core allocates nothing, and a card is too large for
 * the stack): the identity is loaded into it from the record about to be written, as
 * orsp_euicc_open will load it, to verify it first. Whatever it held is overwritten, not
 * freed: not an open eUICC (it may be the one opened next). On return it is all zero, the
 * result whatever it is (SK.EUICC read or written through it is wiped). */
ORSP_MUST_CHECK orsp_err orsp_euicc_provision(orsp_euicc *work, const orsp_euicc_storage_ops *ops,
                                              void *user, const orsp_euicc_identity *id);
/* Every check orsp_euicc_provision makes of id, on the same code path, without a store:
 * the identity complete, the EID valid, default_dp, the certificates' sizes, SK.EUICC a
 * key that belongs to CERT.EUICC, the chain verifying to one of the CIs, the EID
 * CERT.EUICC's; with the same errors. Nothing is read or written. For a caller that must
 * judge its input before it makes the store (orsp_euicc_host_create). work as for
 * orsp_euicc_provision: scratch, all zero on return. */
ORSP_MUST_CHECK orsp_err orsp_euicc_identity_check(orsp_euicc *work, const orsp_euicc_identity *id);
/* Load the records; the enabled profile's USIM is loaded. */
ORSP_MUST_CHECK orsp_err orsp_euicc_open(orsp_euicc *e, const orsp_euicc_storage_ops *ops,
                                         void *user);
void orsp_euicc_close(orsp_euicc *e); /* wipes */
/* Register the ISD-R (and the USIM and ISIM of the enabled profile, MF handler included) on
 * apdu; their registration follows enable / disable / delete. */
ORSP_MUST_CHECK orsp_err orsp_euicc_attach(orsp_euicc *e, orsp_euicc_apdu_ctx *apdu);
/* One complete ES10 request TLV -> response TLV (what STORE DATA to the ISD-R does); rsp
 * empty (len 0) for an intermediate LoadBoundProfilePackage segment. Errors only for
 * requests that are not ES10 at all (then 6A80). */
ORSP_MUST_CHECK orsp_err orsp_euicc_es10(orsp_euicc *e, orsp_slice req, orsp_writer *rsp);
const char *orsp_euicc_eid(const orsp_euicc *e);
/* Why the last ES10 request was answered undefinedError, when the card can say more than the
 * code: an EnableProfile refused for a profile whose stored records do not authenticate
 * (tampered with or damaged; the profile can still be deleted).
 * "" otherwise; each request clears it. For an LPA running the card in its own process
 * (orsp_lpa_transport_local), which shows it. */
const char *orsp_euicc_refusal(const orsp_euicc *e);

typedef struct orsp_euicc_profile_info {
	char iccid[21];
	uint8_t aid[16];
	size_t aid_len;
	bool enabled;
	char name[ORSP_EUICC_NAME_BUF]; /* UTF-8, at most 64 characters */
	char spn[ORSP_EUICC_SPN_BUF];   /* UTF-8, at most 32 characters */
	char nickname[ORSP_EUICC_NAME_BUF];
	int profile_class;
	uint8_t ppr;
	char smdp_address[254];
} orsp_euicc_profile_info;

size_t orsp_euicc_profile_count(const orsp_euicc *e);
ORSP_MUST_CHECK orsp_err orsp_euicc_profile_get(const orsp_euicc *e, size_t i,
                                                orsp_euicc_profile_info *out);
size_t orsp_euicc_notification_count(const orsp_euicc *e);

#define ORSP_ISDR_AID_HEX "A0000005591010FFFFFFFF8900000100"

/* ================================================================ host glue ============== */

/* SECTION-HOST: orsp_euicc_host (an eUICC whose records are sealed in a directory). */

/* A software eUICC on a host: the core's records sealed in a directory (the seal module,
 * docs/seal.md: DIR/device.key, 32 random bytes, mode 0600, refused if group or others can
 * access it; sealed record files; a sealed manifest; a monotonic counter), plus the core
 * struct, the APDU layer's two buffers (ORSP_EUICC_MAX_COMMAND, ORSP_EUICC_MAX_RESPONSE) and
 * its context, all in one heap block. One process at a time per directory. */
typedef struct orsp_euicc_host orsp_euicc_host;

/* Create the sealed store in dir (created 0700 if missing) and provision the identity into
 * it (orsp_euicc_provision). The identity is judged first (orsp_euicc_identity_check): one
 * that is refused leaves dir as it was, not created, not written in, whatever it holds.
 * Then ORSP_E_EXISTS if dir holds a store with records already; an empty one (a create that
 * stopped before provisioning) is provisioned. On a later failure (storage) the files
 * created are removed again, and dir if this call made it. A provisioning whose records were
 * stored but whose commit was not completed (the store's directory flush or counter after
 * its manifest, orsp_seal_commit) made a whole card: ORSP_OK, with a warning logged, and the
 * next open completes the counter. Errors of
 * orsp_euicc_identity_check, orsp_seal_create and orsp_euicc_provision otherwise. */
ORSP_MUST_CHECK orsp_err orsp_euicc_host_create(const char *dir, const orsp_euicc_identity *id);

/* Open the store in dir, load the eUICC (orsp_euicc_open) and attach it to a fresh APDU
 * context (ISD-R registered, the enabled profile's USIM too). ORSP_E_NOT_FOUND when dir holds
 * no store, ORSP_E_POLICY for a device key others can read, ORSP_E_VERIFY for tampering or
 * rollback, ORSP_E_RESOURCE when out of memory. *out is NULL on error. A store another process
 * holds (an LPA command, `openrsp euicc serve`) is waited for up to ORSP_EUICC_HOST_WAIT_MS
 * (orsp_seal_open_wait: tried every 50 ms, a caught signal ends the wait), then ORSP_E_STATE
 * "in use by another process". */
ORSP_MUST_CHECK orsp_err orsp_euicc_host_open(const char *dir, orsp_euicc_host **out);
/* orsp_euicc_host_open waiting up to wait_ms (0: refused at once) for a store in use. */
ORSP_MUST_CHECK orsp_err orsp_euicc_host_open_wait(const char *dir, unsigned wait_ms,
                                                   orsp_euicc_host **out);
#define ORSP_EUICC_HOST_WAIT_MS 5000

/* The storage operations orsp_euicc_host runs the core on, over a sealed store the caller
 * opened (user: the orsp_seal *, borrowed), for a caller that opens the store itself (a
 * test, a store on a provider of its own): a seal commit applied with its counter's advance
 * failed is ORSP_OK there, with a warning logged; one applied but not flushed is
 * ORSP_E_STORAGE, the handle stopped (orsp_seal_unflushed), so that the card answers none
 * of its results and stops (orsp_euicc_storage_ops, orsp_seal_commit). */
const orsp_euicc_storage_ops *orsp_euicc_host_storage(void);

/* The APDU context, ready for orsp_euicc_apdu_process / orsp_vpcd_serve (borrowed). */
orsp_euicc_apdu_ctx *orsp_euicc_host_apdu(orsp_euicc_host *h);
/* The eUICC core, for queries (EID, profiles, notifications) (borrowed). */
orsp_euicc *orsp_euicc_host_core(orsp_euicc_host *h);
/* Close the core, wipe everything (keys, buffers) and free. NULL is a no-op. */
void orsp_euicc_host_close(orsp_euicc_host *h);

#endif
