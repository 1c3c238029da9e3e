/* The backend-independent half of the store interface: URI dispatch, transaction state,
 * failure injection, a per-handle cache of prepared statements and an in-process queue for
 * the write lock. Every call goes through the backend's vtable.
 *
 * Statement cache: preparing (parsing and planning) a statement costs more than running
 * most of ours, and callers prepare the same few dozen texts again and again. A handle
 * keeps up to STMT_CACHE statements by their SQL text; orsp_stmt_finalize() resets and
 * unbinds a cached one instead of destroying it. Nothing changes for callers.
 *
 * Write queue: SQLite's busy handler waits for a held write lock by sleeping (1, 2, 5, 10
 * ... ms), which leaves cores idle when the threads of one server contend for it. Handles
 * of one process on the same file therefore first queue on a process-wide lock, then take
 * SQLite's lock, which other processes still contend for through the busy handler. The
 * queue is first come, first served: waiters line up in a list, and the holder that leaves
 * hands the queue to the first of them (woken alone, on its own condition variable), so a
 * handle that arrives later cannot take it before one that has waited (with one condition
 * variable for all, a newcomer often did, and under load one request could wait the whole
 * busy timeout while others passed). A waiter gives up after the busy timeout, leaves the
 * line without holding up those behind it, and lets SQLite decide, so a handle that waits
 * on itself fails as before, only later.
 *
 * Group commit: a commit is made durable after the write lock is released (ops->sync_log, the
 * SQLite backend's fdatasync of its log). Commits of one file are numbered in the order
 * they were made; a handle whose commit number is already covered by a sync that started
 * after it skips its own, so concurrent commits share one flush. Commit returns only once
 * its transaction is durable. After one failed flush none is reported durable on the file
 * again while the process has a handle on it (make_durable).
 *
 * Shared connections: orsp_db_open_view gives another handle on the same backend
 * connection, for another thread. The handles take turns: a handle has the connection from
 * its BEGIN to the end of the transaction, and from preparing a statement to finalizing it
 * (nested turns of one handle count up). A connection's page cache survives the commits
 * made through it, while each commit of another connection on the file makes SQLite throw
 * away every other connection's cache at their next transaction; with one connection per
 * server thread, that was most of the pages a request read. A commit's flush runs after
 * the turn is given back, so other handles use the connection while the disk syncs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "db_internal.h"
#include "store_impl.h"

#define STMT_CACHE 64

struct orsp_stmt {
	orsp_db *db;
	void *impl;
	int slot; /* index in db->cache, or -1 for a statement of its own */
};

typedef struct cached_stmt {
	char *sql;
	uint64_t hash; /* sql_hash(sql), compared before the text */
	bool busy;
	orsp_stmt st;
} cached_stmt;

/* A handle waiting for the write queue (on its thread's stack, in the queue's line). */
typedef struct queue_waiter {
	pthread_cond_t cv;
	bool granted; /* the holder handed the queue over (under the queue's mu) */
	struct queue_waiter *next;
} queue_waiter;

/* The in-process write queue of one database file. */
typedef struct write_queue {
	char *path;
	unsigned refs;
	bool held; /* false only while nobody waits: a holder hands it to the first waiter */
	pthread_mutex_t mu;
	queue_waiter *first, **last; /* the line, in order of arrival (under mu) */
	uint64_t committed; /* commits made through this queue (under mu) */
	uint64_t synced;    /* commits known durable (under sync_mu) */
	/* a flush of the file failed: no commit is known durable from then on (set under
	 * sync_mu; read without it by a write about to begin, which must not wait for a flush
	 * under way) */
	_Atomic bool sync_failed;
	/* a write of the file failed for want of room (the disk or the quota full): the bytes
	 * then free for this process; -1 when none did, or a commit succeeded since
	 * (orsp_db_out_of_room) */
	_Atomic int64_t full_free;
	/* a call failed for an unlock of the WAL-index that failed for good: the lock state of
	 * the file is lost in the process until every handle on it is closed
	 * (orsp_db_lock_lost) */
	_Atomic bool lock_lost;
	pthread_mutex_t sync_mu;
	struct write_queue *next;
} write_queue;

/* A backend connection shared by several handles (orsp_db_open_view). */
typedef struct shared_conn {
	pthread_mutex_t turn;    /* held by the handle whose turn it is */
	_Atomic uintptr_t owner; /* the holding thread's turn_marker address; 0 when free */
	unsigned refs;           /* handles on the connection (under queues_mu) */
} shared_conn;

struct orsp_db {
	const struct orsp_db_ops *ops;
	void *conn;
	shared_conn *sc;      /* NULL: the connection is this handle's alone */
	unsigned turns;       /* nested turns this handle holds on sc */
	int64_t last_changes; /* orsp_db_changes of a shared connection, kept in the turn */
	unsigned depth; /* open transactions: 1 = the outermost, more = savepoints in it */
	bool aborted;   /* the whole transaction is gone: an inner rollback took it with it, or
	                   the backend ended it after an error (lost_check) */
	bool flat;      /* nested levels of this transaction are not savepoints */
	int fail_in; /* operations left before an injected failure; -1 = disarmed */
	bool fail_sync; /* fail the next flush (orsp_db_inject_sync_failure) */
	bool committed; /* the last outermost transaction was committed (orsp_db_committed) */
	unsigned busy_ms;
	write_queue *wq; /* NULL for a database without a file */
	bool wq_held;
	size_t n_cache, evict_next;
	cached_stmt cache[STMT_CACHE];
};

static pthread_mutex_t queues_mu = PTHREAD_MUTEX_INITIALIZER;
static write_queue *queues;

/* One per thread; its address names the thread in shared_conn.owner. */
static _Thread_local char turn_marker;

/* Take the connection's turn (a no-op for a connection of one's own). A thread that has the
 * turn through another handle would wait for itself: that is refused instead. */
static orsp_err turn_take(orsp_db *db)
{
	shared_conn *sc = db->sc;

	if (!sc)
		return ORSP_OK;
	if (db->turns) {
		db->turns++;
		return ORSP_OK;
	}
	if (atomic_load_explicit(&sc->owner, memory_order_relaxed) == (uintptr_t)&turn_marker)
		return orsp_errf(ORSP_E_STATE,
		                 "the database connection is in use by another handle "
		                 "of this thread");
	pthread_mutex_lock(&sc->turn);
	atomic_store_explicit(&sc->owner, (uintptr_t)&turn_marker, memory_order_relaxed);
	db->turns = 1;
	return ORSP_OK;
}

static void turn_give(orsp_db *db)
{
	if (!db->sc || db->turns == 0 || --db->turns > 0)
		return;
	atomic_store_explicit(&db->sc->owner, 0, memory_order_relaxed);
	pthread_mutex_unlock(&db->sc->turn);
}

static write_queue *queue_get(const char *target)
{
	char real[PATH_MAX];
	write_queue *q;

	if (!realpath(target, real))
		return NULL;
	pthread_mutex_lock(&queues_mu);
	for (q = queues; q; q = q->next)
		if (strcmp(q->path, real) == 0)
			break;
	if (!q && (q = calloc(1, sizeof(*q))) != NULL) {
		q->path = strdup(real);
		if (!q->path) {
			free(q);
			q = NULL;
		} else {
			pthread_mutex_init(&q->mu, NULL);
			q->last = &q->first;
			pthread_mutex_init(&q->sync_mu, NULL);
			atomic_init(&q->full_free, -1);
			q->next = queues;
			queues = q;
		}
	}
	if (q)
		q->refs++;
	pthread_mutex_unlock(&queues_mu);
	return q;
}

static void queue_put(write_queue *q)
{
	write_queue **pp;

	if (!q)
		return;
	pthread_mutex_lock(&queues_mu);
	if (--q->refs == 0) {
		for (pp = &queues; *pp && *pp != q; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = q->next;
		pthread_mutex_destroy(&q->mu);
		pthread_mutex_destroy(&q->sync_mu);
		free(q->path);
		free(q);
	}
	pthread_mutex_unlock(&queues_mu);
}

/* Wait up to ms for the queue, after those already waiting; false if it was not handed over
 * in time (the waiter has left the line then). */
static bool queue_enter(write_queue *q, unsigned ms)
{
	struct timespec until;
	queue_waiter me = {.granted = false, .next = NULL};
	queue_waiter **pp;

	pthread_mutex_lock(&q->mu);
	if (!q->held) {
		q->held = true; /* a free queue has nobody waiting */
		pthread_mutex_unlock(&q->mu);
		return true;
	}
	orsp_deadline_ms(&until, ms);
	orsp_cond_init_monotonic(&me.cv); /* for orsp_deadline_ms */
	*q->last = &me;
	q->last = &me.next;
	while (!me.granted)
		if (pthread_cond_timedwait(&me.cv, &q->mu, &until) == ETIMEDOUT)
			break;
	if (!me.granted) {
		/* out of the line; those behind move up, and a holder hands the queue to them */
		for (pp = &q->first; *pp != &me; pp = &(*pp)->next)
			;
		*pp = me.next;
		if (q->last == &me.next)
			q->last = pp;
	}
	pthread_mutex_unlock(&q->mu);
	pthread_cond_destroy(&me.cv);
	return me.granted;
}

unsigned orsp__db_test_queue_waiting(orsp_db *db)
{
	unsigned n = 0;

	if (!db->wq)
		return 0;
	pthread_mutex_lock(&db->wq->mu);
	for (const queue_waiter *w = db->wq->first; w; w = w->next)
		n++;
	pthread_mutex_unlock(&db->wq->mu);
	return n;
}

bool orsp__db_test_queue_held(const orsp_db *db)
{
	return db->wq_held;
}

/* Number a commit just made while holding the queue; 0 without a queue. */
static uint64_t queue_committed(orsp_db *db)
{
	uint64_t n;
	/* a commit that wrote found room: what a write that did not said is over. One that
	 * wrote nothing (a sweep that found nothing to delete, as the server's background
	 * thread runs every few seconds) proves nothing: /health went back to 200 on a full
	 * disk after such a commit until session 74's test_health_disk_full caught it */
	bool wrote = !db->ops->wrote || db->ops->wrote(db->conn);

	if (wrote && db->wq && atomic_load_explicit(&db->wq->full_free, memory_order_relaxed) >= 0)
		atomic_store(&db->wq->full_free, -1);
	if (!db->wq_held)
		return 0;
	pthread_mutex_lock(&db->wq->mu);
	n = ++db->wq->committed;
	pthread_mutex_unlock(&db->wq->mu);
	return n;
}

/* The log to flush for this handle's connection, found in a turn (the flush itself runs
 * outside it). Taken before sync_mu, never while holding it: a handle with the turn (a
 * write outside a transaction) may wait for sync_mu, so its holder must not wait for the
 * turn. */
static orsp_err log_of(orsp_db *db, void **log)
{
	orsp_err err = turn_take(db);

	if (err)
		return err;
	err = db->ops->log_of(db->conn, log);
	turn_give(db);
	return err;
}

/* Flush the log (the injected failure first, orsp_db_inject_sync_failure). */
static orsp_err sync_log(orsp_db *db, void *log)
{
	if (db->fail_sync) {
		db->fail_sync = false;
		return orsp_errf(ORSP_E_STORAGE, "injected failure at sync");
	}
	return db->ops->sync_log(log);
}

/* What a commit or write on a file whose flush failed is told (%s: the file). */
#define FLUSH_FAILED                                                                               \
	"an earlier flush of %s failed, and its lost writes may not be seen again: restart "       \
	"(close every handle on the database)"

/* Make commit number n (0: every commit of this handle) durable by flushing log (the
 * connection's, as ops->log_of found it in a turn), sharing the flush with other handles on
 * the same file: a sync covers every commit numbered when it started.
 * A failed flush is final for the file's queue: after fsync fails, Linux may have marked the
 * pages it could not write clean and dropped them, and a later fsync (of any handle) succeeds
 * without writing them (PostgreSQL's "fsyncgate"), so no commit of this process on the file is
 * reported durable again until every handle on it is closed. */
static orsp_err flush_log(orsp_db *db, uint64_t n, void *log)
{
	write_queue *q = db->wq;
	uint64_t upto;
	orsp_err err = ORSP_OK;

	if (!q) {
		err = sync_log(db, log);
	} else {
		pthread_mutex_lock(&q->sync_mu);
		if (q->sync_failed) {
			err = orsp_errf(ORSP_E_STORAGE, FLUSH_FAILED, q->path);
		} else if (n == 0 || q->synced < n || db->fail_sync) {
			/* an injected failure is this handle's next flush even when another
			 * handle's has covered the commit meanwhile (a test's premise; it passed
			 * untouched under load: test_health, session 65) */
			pthread_mutex_lock(&q->mu);
			upto = q->committed;
			pthread_mutex_unlock(&q->mu);
			err = sync_log(db, log);
			if (err)
				q->sync_failed = true;
			else if (n)
				q->synced = upto;
		}
		pthread_mutex_unlock(&q->sync_mu);
	}
	if (err)
		return orsp_errf(ORSP_E_STORAGE, "the transaction was committed but may not survive "
		                 "a power cut: %s", orsp_err_detail());
	return ORSP_OK;
}

/* A checkpoint of db's connection failed (commit): as a failed flush_log, final for the
 * file's queue; without a queue (a database in memory) nothing is flushed anyway. */
static void checkpoint_failed(orsp_db *db)
{
	write_queue *q = db->wq;

	if (!q)
		return;
	pthread_mutex_lock(&q->sync_mu);
	q->sync_failed = true;
	pthread_mutex_unlock(&q->sync_mu);
}

/* flush_log with the log found in a turn of its own. */
static orsp_err make_durable(orsp_db *db, uint64_t n)
{
	void *log = NULL;
	orsp_err err = log_of(db, &log);

	return err ? err : flush_log(db, n, log);
}

orsp_err orsp_db_sync(orsp_db *db)
{
	if (!db)
		return orsp_errf(ORSP_E_USAGE, "orsp_db_sync: NULL argument");
	if (db->depth)
		return orsp_errf(ORSP_E_STATE, "sync: a transaction is open");
	/* n = 0: flushed whatever this process's counts say (flush_log) */
	return make_durable(db, 0);
}

/* A write about to begin on a file whose flush failed (make_durable): refused before anything
 * is written, so that no change is committed and then reported failed (a server would count a
 * download it never delivered). */
static orsp_err refuse_after_failed_flush(orsp_db *db)
{
	if (db->wq && atomic_load(&db->wq->sync_failed))
		return orsp_errf(ORSP_E_STORAGE, FLUSH_FAILED "; nothing was written",
		                 db->wq->path);
	return ORSP_OK;
}

static void queue_leave(orsp_db *db)
{
	write_queue *q;
	queue_waiter *w;

	if (!db->wq_held)
		return;
	q = db->wq;
	pthread_mutex_lock(&q->mu);
	/* handed to the first waiter, still held: a handle arriving now queues behind it */
	w = q->first;
	if (w) {
		q->first = w->next;
		if (!q->first)
			q->last = &q->first;
		w->granted = true;
		pthread_cond_signal(&w->cv);
	} else {
		q->held = false;
	}
	pthread_mutex_unlock(&q->mu);
	db->wq_held = false;
}

/* The end of a write that was a transaction of its own: number the commit if there was
 * one, leave the queue, then wait for the flush. */
static orsp_err write_done(orsp_db *db, bool committed)
{
	uint64_t n = committed ? queue_committed(db) : 0;
	/* an automatic checkpoint this write's commit ran that failed: as in commit() */
	if (db->ops->checkpoint_failed && db->ops->checkpoint_failed(db->conn))
		checkpoint_failed(db);
	queue_leave(db);
	return committed ? make_durable(db, n) : ORSP_OK;
}

/* Failure injection: counts operations and fails the chosen one. */
static orsp_err injected(orsp_db *db, const char *what)
{
	if (db->fail_in < 0)
		return ORSP_OK;
	if (db->fail_in > 0) {
		db->fail_in--;
		return ORSP_OK;
	}
	db->fail_in = -1;
	return orsp_errf(ORSP_E_STORAGE, "injected failure at %s", what);
}

void orsp_db_inject_failure(orsp_db *db, int n)
{
	if (db)
		db->fail_in = n < 0 ? -1 : n;
}

void orsp_db_inject_sync_failure(orsp_db *db)
{
	if (db)
		db->fail_sync = true;
}

orsp_err orsp_db_open(const char *uri, orsp_db **out)
{
	return orsp_db_open_ex(uri, ORSP_DB_OPEN_CREATE, out);
}

orsp_err orsp_db_open_ex(const char *uri, orsp_db_open_mode mode, orsp_db **out)
{
	orsp_err err;
	const struct orsp_db_ops *ops = NULL;
	const char *target = uri, *file;
	orsp_db *db = NULL;

	if (!uri || !out || !uri[0])
		return orsp_errf(ORSP_E_USAGE, "no database given");
	*out = NULL;
	/* the database is opened as EXISTING opens it; the difference is the module's */
	if (mode == ORSP_DB_OPEN_UNMIGRATED)
		mode = ORSP_DB_OPEN_EXISTING;
	if (strncmp(uri, "sqlite:", 7) == 0) {
		ops = &orsp_db_sqlite_ops;
		target = uri + 7;
	} else if (strncmp(uri, "postgresql:", 11) == 0 || strncmp(uri, "postgres:", 9) == 0) {
		return orsp_errf(ORSP_E_USAGE, "PostgreSQL is not supported by this build");
	} else {
		ops = &orsp_db_sqlite_ops;
	}
	if (!target[0])
		return orsp_errf(ORSP_E_USAGE, "empty database path");

	db = calloc(1, sizeof(*db));
	if (!db)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	db->ops = ops;
	db->fail_in = -1;
	db->busy_ms = ORSP_DB_BUSY_TIMEOUT_MS;
	err = ops->open(target, mode, &db->conn);
	if (err)
		goto out;
	/* the backend's name of the file, not the URI (an SQLite "file:" URI names it too) */
	file = ops->file_of(db->conn);
	db->wq = file ? queue_get(file) : NULL;
	*out = db;
	db = NULL;
out:
	free(db);
	return err;
}

orsp_err orsp_db_open_view(orsp_db *db, orsp_db **out)
{
	orsp_db *v;

	if (!db || !out)
		return orsp_errf(ORSP_E_USAGE, "open view: missing arguments");
	*out = NULL;
	if (db->depth)
		return orsp_errf(ORSP_E_STATE, "open view: a transaction is open");
	v = calloc(1, sizeof(*v));
	if (!v)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	if (!db->sc) {
		shared_conn *sc = calloc(1, sizeof(*sc));
		if (!sc) {
			free(v);
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		}
		pthread_mutex_init(&sc->turn, NULL);
		sc->refs = 1;
		db->sc = sc;
	}
	v->ops = db->ops;
	v->conn = db->conn;
	v->sc = db->sc;
	v->fail_in = -1;
	v->busy_ms = db->busy_ms;
	v->wq = db->wq;
	pthread_mutex_lock(&queues_mu);
	v->sc->refs++;
	if (v->wq)
		v->wq->refs++;
	pthread_mutex_unlock(&queues_mu);
	*out = v;
	return ORSP_OK;
}

void orsp_db_close(orsp_db *db)
{
	shared_conn *sc;
	bool last = true, turn;

	if (!db)
		return;
	while (db->depth)
		orsp_db_rollback(db);
	sc = db->sc;
	/* The statements go in a turn (nothing to take for a connection of one's own); if this
	 * thread has the connection through another handle, the turn is that handle's already. */
	turn = turn_take(db) == ORSP_OK;
	if (!turn)
		orsp_err_clear();
	for (size_t i = 0; i < db->n_cache; i++) {
		db->ops->finalize(db->cache[i].st.impl);
		free(db->cache[i].sql);
	}
	/* with it go the turns of statements the caller left open */
	if (turn && db->turns) {
		db->turns = 1;
		turn_give(db);
	}
	if (sc) {
		pthread_mutex_lock(&queues_mu);
		last = --sc->refs == 0;
		pthread_mutex_unlock(&queues_mu);
	}
	if (last) {
		db->ops->close(db->conn);
		if (sc) {
			pthread_mutex_destroy(&sc->turn);
			free(sc);
		}
	}
	queue_put(db->wq);
	free(db);
}

orsp_db_backend orsp_db_backend_of(const orsp_db *db)
{
	return db->ops->backend;
}

orsp_err orsp_db_set_busy_timeout(orsp_db *db, unsigned ms)
{
	orsp_err err = turn_take(db);
	if (err)
		return err;
	err = db->ops->set_busy_timeout(db->conn, ms);
	turn_give(db);
	if (!err)
		db->busy_ms = ms;
	return err;
}

/* After an inner rollback took the whole transaction, or the backend ended it (lost_check),
 * the backend is outside any transaction: a statement run now would commit on its own.
 * Nothing runs until the outermost level ends. */
static orsp_err check_aborted(const orsp_db *db)
{
	if (db->aborted)
		return orsp_errf(ORSP_E_STORAGE, "the enclosing transaction was rolled back");
	return ORSP_OK;
}

/* The bytes of path's file system free for this process (root may use the blocks kept for
 * it); -1 when statvfs fails. */
static int64_t free_bytes(const char *path)
{
	struct statvfs v;
	uint64_t blocks;

	if (statvfs(path, &v) != 0)
		return -1;
	blocks = geteuid() == 0 ? v.f_bfree : v.f_bavail;
	if (v.f_frsize && blocks > (uint64_t)INT64_MAX / v.f_frsize)
		return INT64_MAX;
	return (int64_t)(blocks * v.f_frsize);
}

/* After a backend call failed (in the turn): one that found no room marks the file's queue
 * full (orsp_db_out_of_room). */
static void room_check(orsp_db *db)
{
	int64_t avail;

	if (!db->wq || !db->ops->out_of_room || !db->ops->out_of_room(db->conn))
		return;
	/* what was written before does not count as room found after */
	if (db->ops->wrote)
		(void)db->ops->wrote(db->conn);
	avail = free_bytes(db->wq->path);
	atomic_store(&db->wq->full_free, avail < 0 ? 0 : avail);
}

/* After a backend call failed (in the turn): one that found the file's lock state lost marks
 * the file's queue so (orsp_db_lock_lost). */
static void lock_check(orsp_db *db)
{
	if (db->wq && db->ops->lock_lost && db->ops->lock_lost(db->conn))
		atomic_store(&db->wq->lock_lost, true);
}

/* After a statement failed inside a transaction (called in the turn): the backend may have
 * rolled the whole transaction back by itself (SQLite does after an I/O error, a full disk,
 * an interrupt, a trigger's RAISE(ROLLBACK)). A caller that goes on after such an error
 * would otherwise run its next statements outside any transaction, each committed on its
 * own, and learn only at the commit that there was nothing to commit. */
static void lost_check(orsp_db *db, orsp_err err)
{
	if (err) {
		room_check(db);
		lock_check(db);
	}
	if (err && db->depth > 0 && !db->aborted && !db->ops->in_tx(db->conn))
		db->aborted = true;
}

orsp_err orsp_db_exec(orsp_db *db, const char *sql)
{
	orsp_err err = check_aborted(db);
	if (!err)
		err = injected(db, "exec");
	if (!err && db->depth == 0)
		err = refuse_after_failed_flush(db);
	if (!err)
		err = turn_take(db);
	if (err)
		return err;
	err = db->ops->exec(db->conn, sql);
	lost_check(db, err);
	if (db->sc)
		db->last_changes = db->ops->changes(db->conn);
	/* outside a transaction the text may have committed (DDL, pragmas: rare), and run an
	 * automatic checkpoint: one that failed counts as in commit() */
	if (db->depth == 0 && db->ops->checkpoint_failed && db->ops->checkpoint_failed(db->conn))
		checkpoint_failed(db);
	if (!err && db->depth == 0)
		err = make_durable(db, 0);
	turn_give(db);
	return err;
}

const char *orsp__db_file(const orsp_db *db)
{
	return db->ops->file_of(db->conn);
}

orsp_err orsp__db_use_wal(orsp_db *db)
{
	orsp_err err = ORSP_OK;

	if (!db->ops->use_wal)
		return ORSP_OK;
	if (db->depth)
		return orsp_errf(ORSP_E_STATE, "journal mode: a transaction is open");
	err = turn_take(db);
	if (err)
		return err;
	err = db->ops->use_wal(db->conn);
	turn_give(db);
	return err;
}

/* Nested transactions are savepoints "orsp_<level>" inside the outermost one. */
static orsp_err savepoint_exec(orsp_db *db, const char *verb, unsigned level)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "%s orsp_%u", verb, level);
	return db->ops->exec(db->conn, sql);
}

orsp_err orsp_db_begin(orsp_db *db)
{
	orsp_err err = check_aborted(db);
	if (err)
		return err;
	/* an outermost begin ends what committed said of the last transaction, also one that
	 * fails from here on (an injected failure returned before this until session 66, and
	 * orsp_db_unflushed took that failure for the last transaction's flush) */
	if (db->depth == 0)
		db->committed = false;
	err = injected(db, "begin");
	if (err)
		return err;
	if (db->depth > 0) {
		err = db->flat ? ORSP_OK : savepoint_exec(db, "SAVEPOINT", db->depth);
		lost_check(db, err);
		if (err)
			return err;
		db->depth++;
		return ORSP_OK;
	}
	err = refuse_after_failed_flush(db);
	if (!err)
		err = turn_take(db);
	if (err)
		return err;
	if (db->wq)
		db->wq_held = queue_enter(db->wq, db->busy_ms);
	err = db->ops->begin(db->conn);
	if (err) {
		lock_check(db);
		queue_leave(db);
		turn_give(db);
		return err;
	}
	db->depth = 1;
	return ORSP_OK;
}

orsp_err orsp_db_begin_flat(orsp_db *db)
{
	orsp_err err;
	if (db->depth > 0)
		return orsp_errf(ORSP_E_STATE, "a flat transaction cannot be nested");
	err = orsp_db_begin(db);
	if (!err)
		db->flat = true;
	return err;
}

static orsp_err commit(orsp_db *db, bool durable)
{
	orsp_err err;
	if (db->depth == 0)
		return orsp_errf(ORSP_E_STATE, "no transaction is open");
	if (db->aborted) {
		/* an inner rollback could not be contained, or the backend ended the
		 * transaction: everything is gone already */
		orsp_db_rollback(db);
		return orsp_errf(ORSP_E_STORAGE, "the transaction was rolled back");
	}
	err = injected(db, "commit");
	if (!err && db->depth > 1)
		err = db->flat ? ORSP_OK : savepoint_exec(db, "RELEASE", db->depth - 1);
	else if (!err && (err = db->ops->commit(db->conn)) != ORSP_OK) {
		room_check(db);
		lock_check(db);
	}
	if (err) {
		/* A failed COMMIT may leave the transaction open (SQLITE_BUSY); end it so
		 * that nothing of it survives and the handle is usable again. */
		orsp_db_rollback(db);
		return err;
	}
	if (--db->depth == 0) {
		/* The turn ends with the transaction, before the flush. The log to flush is found
		 * in it: taking the turn again for that (make_durable) could make the thread wait
		 * for the handle that took the turn when this one gave it back (about 0.3 futex
		 * calls fewer per SM-DP+ download without it). */
		uint64_t n = queue_committed(db);
		void *log = NULL;
		/* a checkpoint in this commit that failed counts as a failed flush of the file: no
		 * commit on it is called durable again (flush_log), lazy ones included from the
		 * next durable one on */
		if (db->ops->checkpoint_failed && db->ops->checkpoint_failed(db->conn))
			checkpoint_failed(db);
		err = durable ? db->ops->log_of(db->conn, &log) : ORSP_OK;
		db->committed = true;
		db->flat = false;
		queue_leave(db);
		turn_give(db);
		if (!durable)
			return ORSP_OK;
		return err ? err : flush_log(db, n, log);
	}
	return ORSP_OK;
}

orsp_err orsp_db_commit(orsp_db *db)
{
	return commit(db, true);
}

orsp_err orsp_db_commit_lazy(orsp_db *db)
{
	return commit(db, false);
}

void orsp_db_rollback(orsp_db *db)
{
	if (!db || db->depth == 0)
		return;
	/* Keep the caller's error detail: the rollback is a consequence, not the cause. */
	char detail[ORSP_ERR_DETAIL_MAX];
	orsp_err_detail_copy(detail, sizeof(detail));
	if (db->depth > 1) {
		/* undo the inner part only; if that fails, the whole transaction goes and
		 * the enclosing levels learn it at their commit */
		if (!db->aborted && (db->flat || savepoint_exec(db, "ROLLBACK TO", db->depth - 1) ||
		                     savepoint_exec(db, "RELEASE", db->depth - 1))) {
			(void)db->ops->rollback(db->conn);
			db->aborted = true;
		}
		db->depth--;
	} else {
		if (!db->aborted)
			(void)db->ops->rollback(db->conn);
		db->depth = 0;
		db->aborted = false;
		db->flat = false;
		queue_leave(db);
		turn_give(db);
	}
	(void)orsp_errf(ORSP_OK, "%s", detail);
}

bool orsp_db_committed(const orsp_db *db)
{
	return db && db->committed;
}

bool orsp_db_unflushed(const orsp_db *db, orsp_err e)
{
	return e == ORSP_E_STORAGE && orsp_db_committed(db);
}

bool orsp_db_flush_failed(const orsp_db *db)
{
	return db && db->wq && atomic_load(&db->wq->sync_failed);
}

/* The room a file system must have gained since a write found none before the file counts
 * as having room again: twice what was free then, and 1 MiB more. */
#define ROOM_REGAINED(then) ((then) + ((then) > (1 << 20) ? (then) : (1 << 20)))

bool orsp_db_out_of_room(const orsp_db *db)
{
	write_queue *q = db ? db->wq : NULL;
	int64_t then, now;

	if (!q || (then = atomic_load(&q->full_free)) < 0)
		return false;
	now = free_bytes(q->path);
	if (now < 0 || then > INT64_MAX / 2 || now < ROOM_REGAINED(then))
		return true;
	/* room was made (files removed, the volume grown): the next write will tell */
	(void)atomic_compare_exchange_strong(&q->full_free, &then, -1);
	return false;
}

bool orsp_db_lock_lost(const orsp_db *db)
{
	return db && db->wq && atomic_load(&db->wq->lock_lost);
}

bool orsp_db_in_transaction(const orsp_db *db)
{
	return db->depth > 0;
}

bool orsp_db_transaction_lost(const orsp_db *db)
{
	return db && db->depth > 0 && db->aborted;
}

int64_t orsp_db_changes(orsp_db *db)
{
	/* the connection's own count may be another handle's by now */
	return db->sc ? db->last_changes : db->ops->changes(db->conn);
}

/* FNV-1a over the text. Many of the cached texts begin alike ("SELECT iccid, imsi, ..."), so
 * comparing them one by one read far into each (strcmp was 0.3 % of the SM-DP+'s CPU). */
static uint64_t sql_hash(const char *sql)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 0x100000001b3u;
	return h;
}

/* A free cached statement for sql (hash: sql_hash(sql)), or a slot to cache a new one in
 * (-1: none). */
static int cache_find(orsp_db *db, const char *sql, uint64_t hash, bool *hit)
{
	*hit = false;
	for (size_t i = 0; i < db->n_cache; i++) {
		if (!db->cache[i].busy && db->cache[i].hash == hash &&
		    strcmp(db->cache[i].sql, sql) == 0) {
			*hit = true;
			return (int)i;
		}
	}
	if (db->n_cache < STMT_CACHE)
		return (int)db->n_cache;
	/* Full: replace a free one, round robin. */
	for (size_t n = 0; n < STMT_CACHE; n++) {
		size_t i = (db->evict_next + n) % STMT_CACHE;
		if (!db->cache[i].busy) {
			db->evict_next = (i + 1) % STMT_CACHE;
			return (int)i;
		}
	}
	return -1;
}

orsp_err orsp_db_prepare(orsp_db *db, const char *sql, orsp_stmt **out)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	void *impl = NULL;
	char *copy = NULL;
	bool hit;
	int slot;
	uint64_t hash;

	if (!sql || !out)
		return orsp_errf(ORSP_E_USAGE, "no statement");
	*out = NULL;
	err = injected(db, "prepare");
	if (!err)
		err = turn_take(db); /* given back when the statement is finalized */
	if (err)
		return err;
	hash = sql_hash(sql);
	slot = cache_find(db, sql, hash, &hit);
	if (hit) {
		db->cache[slot].busy = true;
		*out = &db->cache[slot].st;
		return ORSP_OK;
	}
	err = db->ops->prepare(db->conn, sql, &impl);
	if (err) {
		lock_check(db);
		turn_give(db);
		return err;
	}
	if (slot >= 0 && (copy = strdup(sql)) != NULL) {
		cached_stmt *c = &db->cache[slot];
		if ((size_t)slot == db->n_cache)
			db->n_cache++;
		else {
			db->ops->finalize(c->st.impl);
			free(c->sql);
		}
		c->sql = copy;
		c->hash = hash;
		c->busy = true;
		c->st.db = db;
		c->st.impl = impl;
		c->st.slot = slot;
		*out = &c->st;
		return ORSP_OK;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		db->ops->finalize(impl);
		turn_give(db);
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	}
	st->db = db;
	st->impl = impl;
	st->slot = -1;
	*out = st;
	return ORSP_OK;
}

void orsp_stmt_finalize(orsp_stmt *st)
{
	orsp_db *db;

	if (!st)
		return;
	db = st->db;
	if (st->slot >= 0) {
		/* Back to the cache, reset and with no bindings left for the next user. */
		db->ops->recycle(st->impl);
		db->cache[st->slot].busy = false;
	} else {
		db->ops->finalize(st->impl);
		free(st);
	}
	turn_give(db);
}

orsp_err orsp_stmt_reset(orsp_stmt *st)
{
	return st->db->ops->reset(st->impl);
}

orsp_err orsp_stmt_bind_int64(orsp_stmt *st, int idx, int64_t v)
{
	return st->db->ops->bind_int64(st->impl, idx, v);
}

orsp_err orsp_stmt_bind_text(orsp_stmt *st, int idx, const char *v)
{
	if (!v)
		return orsp_stmt_bind_null(st, idx);
	return st->db->ops->bind_text(st->impl, idx, v);
}

orsp_err orsp_stmt_bind_blob(orsp_stmt *st, int idx, const void *p, size_t n)
{
	return st->db->ops->bind_blob(st->impl, idx, p, n);
}

orsp_err orsp_stmt_bind_null(orsp_stmt *st, int idx)
{
	return st->db->ops->bind_null(st->impl, idx);
}

orsp_err orsp_stmt_step(orsp_stmt *st, bool *row)
{
	orsp_db *db = st->db;
	orsp_err err = check_aborted(db);
	bool write;

	if (!err)
		err = injected(db, "step");
	if (err) {
		*row = false;
		return err;
	}
	/* A write outside a transaction is a transaction of its own: it queues like one, and
	 * is durable when the step returns (a write that returns rows commits when it is
	 * reset, and becomes durable with the next sync). */
	write = db->depth == 0 && !db->ops->readonly(st->impl);
	if (write && (err = refuse_after_failed_flush(db)) != ORSP_OK) {
		*row = false;
		return err;
	}
	if (write && db->wq)
		db->wq_held = queue_enter(db->wq, db->busy_ms);
	err = db->ops->step(st->impl, row);
	lost_check(db, err);
	if (db->sc && !err && !*row)
		db->last_changes = db->ops->changes(db->conn);
	if (write) {
		bool committed = !err && !*row;
		orsp_err done = write_done(db, committed);
		if (committed)
			err = done;
	}
	return err;
}

orsp_err orsp_stmt_run(orsp_stmt *st)
{
	bool row = false;
	orsp_err err = orsp_stmt_step(st, &row);
	if (err)
		return err;
	if (row)
		return orsp_errf(ORSP_E_USAGE, "statement returned rows where none were expected");
	return ORSP_OK;
}

bool orsp_stmt_column_is_null(orsp_stmt *st, int col)
{
	return st->db->ops->column_is_null(st->impl, col);
}

int64_t orsp_stmt_column_int64(orsp_stmt *st, int col)
{
	return st->db->ops->column_int64(st->impl, col);
}

const char *orsp_stmt_column_text(orsp_stmt *st, int col)
{
	return st->db->ops->column_text(st->impl, col);
}

orsp_slice orsp_stmt_column_blob(orsp_stmt *st, int col)
{
	return st->db->ops->column_blob(st->impl, col);
}

/* ----- the database's own files ----- */

orsp_err orsp_db_uri_file(const char *uri, char *out, size_t cap)
{
	const char *p;
	size_t n = 0;

	if (!uri || !out || !cap)
		return orsp_errf(ORSP_E_USAGE, "database file: missing arguments");
	p = strncmp(uri, "sqlite:", 7) == 0 ? uri + 7 : uri;
	if (strncmp(p, "file:", 5) != 0) {
		if (snprintf(out, cap, "%s", p) >= (int)cap)
			return orsp_errf(ORSP_E_USAGE, "path too long");
		return ORSP_OK;
	}
	/* SQLite's reading of a file: URI (sqlite3ParseUri, on Unix) */
	p += 5;
	if (strncmp(p, "//", 2) == 0) {
		p += 2;
		if (strncmp(p, "localhost/", 10) == 0)
			p += 9;
		else if (p[0] != '/')
			return orsp_errf(ORSP_E_USAGE, "a file: URI names no host but localhost");
	}
	for (; *p && *p != '?' && *p != '#'; p++) {
		char c = *p;
		if (c == '%') {
			int hi = orsp_hex_digit(p[1]), lo = hi < 0 ? -1 : orsp_hex_digit(p[2]);
			if (lo < 0 || (hi == 0 && lo == 0))
				return orsp_errf(ORSP_E_USAGE, "bad %%-escape in the file: URI");
			c = (char)(hi << 4 | lo);
			p += 2;
		}
		if (n + 1 >= cap)
			return orsp_errf(ORSP_E_USAGE, "path too long");
		out[n++] = c;
	}
	if (n == 0)
		return orsp_errf(ORSP_E_USAGE, "a file: URI without a path");
	out[n] = 0;
	return ORSP_OK;
}

/* path's absolute name for comparing: the real path of the file where it exists (symbolic
 * links followed, as an open follows them), else its directory's real path and its last
 * component (the file is yet to be made). false if neither resolves. */
static bool own_resolve(const char *path, char out[PATH_MAX])
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	int n;

	if (realpath(path, out))
		return true;
	n = slash
	        ? snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path)
	        : snprintf(dir, sizeof(dir), ".");
	if (n < 0 || n >= (int)sizeof(dir) || !base[0] || !realpath(dir, real))
		return false;
	n = snprintf(out, PATH_MAX, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
	return n > 0 && n < PATH_MAX;
}

/* Refuse path where it is the database file db_file or one of SQLite's files beside it. */
static orsp_err not_own_file(const char *db_file, const char *path, const char *what)
{
	static const char *const suffix[] = {"", "-journal", "-wal", "-shm"};
	static const char *const role[] = {"", "rollback journal", "write-ahead log", "WAL-index"};
	char db_real[PATH_MAX], p_real[PATH_MAX], name[PATH_MAX + 16];
	struct stat ps, ns;
	bool p_exists;

	if (!db_file || !db_file[0] || strcmp(db_file, ":memory:") == 0)
		return ORSP_OK;
	if (!own_resolve(db_file, db_real) || !own_resolve(path, p_real))
		return ORSP_OK; /* a directory that does not exist: nothing can be made there */
	p_exists = stat(path, &ps) == 0;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(suffix); i++) {
		snprintf(name, sizeof(name), "%s%s", db_real, suffix[i]);
		if (strcmp(name, p_real) != 0 &&
		    !(p_exists && stat(name, &ns) == 0 && ns.st_dev == ps.st_dev &&
		      ns.st_ino == ps.st_ino))
			continue;
		if (i == 0)
			return orsp_errf(ORSP_E_USAGE,
			                 "%s %s is the database %s itself: name another file", what,
			                 path, db_file);
		return orsp_errf(
		    ORSP_E_USAGE,
		    "%s %s is the %s of the database %s, a file SQLite deletes or takes "
		    "over: name another file",
		    what, path, role[i], db_file);
	}
	return ORSP_OK;
}

orsp_err orsp_db_uri_not_own_file(const char *db_uri, const char *path, const char *what)
{
	char file[PATH_MAX];
	orsp_err err;

	if (!db_uri || !path || !what)
		return orsp_errf(ORSP_E_USAGE, "database files: missing arguments");
	err = orsp_db_uri_file(db_uri, file, sizeof(file));
	return err ? err : not_own_file(file, path, what);
}

orsp_err orsp_db_not_own_file(orsp_db *db, const char *path, const char *what)
{
	if (!db || !path || !what)
		return orsp_errf(ORSP_E_USAGE, "database files: missing arguments");
	/* the backend's name of the file: absolute, symbolic links resolved (SQLite) */
	return not_own_file(db->ops->file_of(db->conn), path, what);
}

/* ----- backups ----- */

/* out's directory (dir[cap]) and its last component (*base: not empty, "." or ".."). */
static orsp_err backup_split(const char *out, char *dir, size_t cap, const char **base)
{
	const char *slash = strrchr(out, '/');
	int n;

	*base = slash ? slash + 1 : out;
	if (!(*base)[0] || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
		return orsp_errf(ORSP_E_USAGE, "%s names a directory, not a file", out);
	if (!slash)
		n = snprintf(dir, cap, ".");
	else
		n = snprintf(dir, cap, "%.*s", slash == out ? 1 : (int)(slash - out), out);
	if (n < 0 || (size_t)n >= cap)
		return orsp_errf(ORSP_E_USAGE, "path too long: %s", out);
	return ORSP_OK;
}

/* The absolute name of the file open as fd (created as `name`), from the descriptor
 * (/proc/self/fd) as the AuC's export finds it, else from its name. */
static orsp_err backup_fd_path(int fd, const char *name, char out[ORSP_DB_PATH_MAX])
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, ORSP_DB_PATH_MAX);
	if (n < 0 && errno != ENAMETOOLONG && realpath(name, out))
		n = (ssize_t)strlen(out);
	if ((n < 0 && errno == ENAMETOOLONG) || n >= ORSP_DB_PATH_MAX)
		return orsp_errf(ORSP_E_USAGE, "path too long: %s", name);
	if (n < 0 || out[0] != '/')
		return orsp_errf(ORSP_E_IO, "cannot resolve the file created: %s: %s",
		                 n < 0 ? strerror(errno) : "not an absolute name", name);
	out[n] = '\0';
	return ORSP_OK;
}

/* The temporary file's name (mkstemp's template) for out: out + ".tmpXXXXXX" in out's
 * directory, out's last component cut (before a UTF-8 character, never inside one) so that
 * the name, and the "-journal" SQLite's VACUUM INTO writes beside its target, fit in the
 * directory's NAME_MAX: a valid name of up to NAME_MAX bytes must not fail for the suffix. */
static orsp_err backup_tmp_name(const char *out, const char *base, int dfd,
                                char tmp[ORSP_DB_PATH_MAX])
{
	static const size_t fixed = sizeof(".tmpXXXXXX") - 1 + sizeof("-journal") - 1;
	long name_max = fpathconf(dfd, _PC_NAME_MAX);
	size_t keep = strlen(base), room;
	int n;

	if (name_max <= 0 || name_max > NAME_MAX)
		name_max = NAME_MAX;
	room = (size_t)name_max > fixed ? (size_t)name_max - fixed : 0;
	if (keep > room) {
		keep = room;
		while (keep > 0 && ((unsigned char)base[keep] & 0xc0) == 0x80)
			keep--;
	}
	n = snprintf(tmp, ORSP_DB_PATH_MAX, "%.*s%.*s.tmpXXXXXX", (int)(base - out), out, (int)keep,
	             base);
	if (n < 0 || n >= ORSP_DB_PATH_MAX)
		return orsp_errf(ORSP_E_USAGE, "path too long: %s", out);
	return ORSP_OK;
}

/* Give tmp the name out, never replacing a file there: link() (the caller then removes
 * tmp), or on a file system without hard links renameat2 RENAME_NOREPLACE (*moved: tmp is
 * gone). */
static orsp_err backup_publish(const char *tmp, const char *out, bool *moved)
{
	*moved = false;
	if (link(tmp, out) == 0)
		return ORSP_OK;
#ifdef SYS_renameat2
	if (errno == EPERM || errno == EOPNOTSUPP || errno == EMLINK) {
		/* 1: RENAME_NOREPLACE (<linux/fs.h>) */
		if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, out, 1u) == 0) {
			*moved = true;
			return ORSP_OK;
		}
	}
#endif
	if (errno == EEXIST)
		return orsp_errf(ORSP_E_EXISTS, "%s appeared meanwhile (not overwritten)", out);
	return orsp_errf(ORSP_E_IO, "cannot create the backup: %s: %s", strerror(errno), out);
}

/* Check the copy at `path`, read-only: integrity_check, then the module's hook. A failure
 * injection armed on db goes on counting on the copy's handle meanwhile. */
static orsp_err backup_verify(orsp_db *db, const char *path, const orsp_db_backup_hooks *h)
{
	orsp_db *copy = NULL;
	orsp_stmt *st = NULL;
	bool row = false;
	char first[160] = "";
	orsp_err err = orsp_db_open_ex(path, ORSP_DB_OPEN_READONLY, &copy);

	if (err)
		return err;
	copy->fail_in = db->fail_in;
	db->fail_in = -1;
	err = orsp_db_prepare(copy, "PRAGMA integrity_check", &st);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && row)
		snprintf(first, sizeof(first), "%s", orsp_stmt_column_text(st, 0));
	orsp_stmt_finalize(st);
	if (!err && strcmp(first, "ok") != 0)
		err = orsp_errf(ORSP_E_STORAGE, "the copy failed its integrity check: %s",
		                first[0] ? first : "no answer");
	if (!err)
		err = h->verify(h->arg, copy);
	db->fail_in = copy->fail_in;
	orsp_db_close(copy);
	return err;
}

static orsp_err interrupted(const volatile sig_atomic_t *stop)
{
	if (orsp_stop_set(stop))
		return orsp_errf(ORSP_E_STATE, "interrupted: no backup made");
	return ORSP_OK;
}

/* The backup's absolute name: the temporary file's directory (abs_tmp) and out's name. */
static orsp_err backup_name(const char *abs_tmp, const char *base, const char *out,
                            orsp_db_backup_result *res)
{
	const char *slash = strrchr(abs_tmp, '/');
	int n = snprintf(res->path, sizeof(res->path), "%.*s/%s", (int)(slash - abs_tmp), abs_tmp,
	                 base);

	if (n < 0 || (size_t)n >= sizeof(res->path))
		return orsp_errf(ORSP_E_USAGE, "path too long: %s", out);
	return ORSP_OK;
}

/* The copy into the file fd (named tmp, abs_tmp), flushed, its size into res. */
static orsp_err backup_copy(orsp_db *db, int fd, const char *tmp, const char *abs_tmp,
                            const volatile sig_atomic_t *stop, orsp_db_backup_result *res)
{
	struct stat sb, sf;
	orsp_err err = injected(db, "backup");

	if (!err)
		err = turn_take(db);
	if (err)
		return err;
	err = db->ops->copy_into(db->conn, abs_tmp, stop);
	turn_give(db);
	if (err)
		return err;
	if (fsync(fd) != 0 || fstat(fd, &sf) != 0)
		return orsp_errf(ORSP_E_IO, "cannot flush the copy: %s: %s", strerror(errno), tmp);
	/* the copy went to the file this process created, not to one put in its place */
	if (stat(abs_tmp, &sb) != 0 || sb.st_dev != sf.st_dev || sb.st_ino != sf.st_ino)
		return orsp_errf(ORSP_E_IO, "%s was replaced during the copy", tmp);
	res->size = (uint64_t)sf.st_size;
	return ORSP_OK;
}

/* out's directory dir must exist and out must not: ORSP_OK with the directory open in *dfd
 * (NULL: closed again), or the error. */
static orsp_err backup_out_dir(const char *out, const char *dir, int *dfd)
{
	struct stat sb;
	orsp_err err = ORSP_OK;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR
		           ? orsp_errf(ORSP_E_NOT_FOUND, "no directory %s for %s", dir, out)
		           : orsp_errf(ORSP_E_IO, "cannot open the directory: %s: %s",
		                       strerror(errno), dir);
	if (lstat(out, &sb) == 0)
		err = orsp_errf(ORSP_E_EXISTS, "%s already exists (not overwritten)", out);
	else if (errno == ENAMETOOLONG)
		err = orsp_errf(ORSP_E_USAGE, "path too long: %s", out);
	else if (errno != ENOENT)
		err = orsp_errf(ORSP_E_IO, "cannot look at the file: %s: %s", strerror(errno), out);
	if (err || !dfd)
		close(fd);
	else
		*dfd = fd;
	return err;
}

orsp_err orsp_db_out_check(const char *db_uri, const char *out, const char *what)
{
	char dir[ORSP_DB_PATH_MAX];
	const char *base = NULL;
	orsp_err err;

	if (!db_uri || !out || !out[0] || !what)
		return orsp_errf(ORSP_E_USAGE, "output file check: missing arguments");
	err = backup_split(out, dir, sizeof(dir), &base);
	if (!err)
		err = orsp_db_uri_not_own_file(db_uri, out, what);
	if (!err)
		err = backup_out_dir(out, dir, NULL);
	return err;
}

orsp_err orsp_db_backup(orsp_db *db, const char *out, const orsp_db_backup_hooks *h,
                        const volatile sig_atomic_t *stop, orsp_db_backup_result *res)
{
	char dir[ORSP_DB_PATH_MAX], tmp[ORSP_DB_PATH_MAX], abs_tmp[ORSP_DB_PATH_MAX];
	const char *base = NULL;
	struct stat sb;
	int fd = -1, dfd = -1;
	bool made = false, audited = false, published = false, moved = false;
	orsp_err err;

	if (!db || !out || !out[0] || !h || !h->verify || !h->audit || !res)
		return orsp_errf(ORSP_E_USAGE, "backup: missing arguments");
	memset(res, 0, sizeof(*res));
	if (db->depth)
		return orsp_errf(ORSP_E_STATE, "backup: a transaction is open");
	if (!db->ops->copy_into)
		return orsp_errf(ORSP_E_USAGE, "backup: not supported by the %s backend",
		                 db->ops->name);
	err = backup_split(out, dir, sizeof(dir), &base);
	if (!err)
		err = orsp_db_not_own_file(db, out, "backup");
	if (!err)
		err = backup_out_dir(out, dir, &dfd);
	if (err)
		return err;
	err = interrupted(stop);
	if (!err)
		err = backup_tmp_name(out, base, dfd, tmp);
	if (err)
		goto out;
	fd = mkstemp(tmp); /* O_EXCL, mode 0600 */
	if (fd < 0) {
		err =
		    orsp_errf(ORSP_E_IO, "cannot create a temporary file beside the backup: %s: %s",
		              strerror(errno), out);
		goto out;
	}
	made = true;
	/* mkstemp's mode is 0600 less the umask. A file system without Unix modes (vfat, exfat)
	 * refuses this (EPERM), or ignores it (vfat's "quiet"), and shows every file with the
	 * mount's mode: the backup is refused there rather than made readable by whom the mount
	 * allows. */
	if (fchmod(fd, 0600) != 0 || fstat(fd, &sb) != 0)
		err = orsp_errf(ORSP_E_IO,
		                "cannot give the temporary file mode 0600 (a file system without "
		                "Unix modes?): %s: %s",
		                strerror(errno), tmp);
	else if ((sb.st_mode & 07777) != 0600)
		err = orsp_errf(ORSP_E_IO,
		                "cannot give the temporary file mode 0600 (a file system without "
		                "Unix modes?): its mode is %04o: %s",
		                (unsigned)(sb.st_mode & 07777), tmp);
	if (!err)
		err = backup_fd_path(fd, tmp, abs_tmp);
	if (!err)
		err = backup_name(abs_tmp, base, out, res);
	if (!err)
		err = backup_copy(db, fd, tmp, abs_tmp, stop, res);
	if (!err)
		err = interrupted(stop);
	if (!err)
		err = backup_verify(db, abs_tmp, h);
	if (!err)
		err = interrupted(stop);
	/* audited before it appears; no interruption from here on. A row whose commit failed in
	 * the flush alone is in (orsp_db_committed; cleared first, as the audit may fail before
	 * its begin), so it gets its "not written" one below */
	if (!err) {
		db->committed = false;
		err = h->audit(h->arg, res->path, true);
		audited = !err || orsp_db_committed(db);
	}
	if (err)
		goto out;
	err = backup_publish(tmp, out, &moved);
	if (err)
		goto out;
	published = true;
	if (moved || unlink(tmp) == 0)
		made = false;
	if (fsync(dfd) != 0)
		err = orsp_errf(ORSP_E_IO, "cannot flush the directory: %s: %s", strerror(errno),
		                dir);
out:
	if (fd >= 0)
		close(fd);
	if (err && published)
		unlink(out);
	if (made)
		unlink(tmp);
	if ((err && published) || made)
		(void)fsync(dfd);
	if (err && audited) {
		char why[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(why, sizeof(why));
		(void)h->audit(h->arg, res->path, false);
		err = orsp_errf(err, "%s", why);
	}
	if (err)
		res->size = 0;
	close(dfd);
	return err;
}
