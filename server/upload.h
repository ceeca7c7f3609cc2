/*
 * upload.h - the blob uploads of a push kept on disk while they pass, so
 * that a layer is read before the registry commits it.
 * SPDX-License-Identifier: Apache-2.0
 *
 * An upload session (POST, PATCH..., PUT ?digest=) to a repository whose
 * push rule has "content": {"no_secrets": true} has its bytes spooled to
 * one file under <state_dir>/uploads before they are forwarded; at the
 * final PUT the whole file is hashed against the digest the client names
 * and read by content/, and the PUT goes upstream only when the layer
 * holds no secret (server/proxy_upload.c does the HTTP side).
 *
 * A session is keyed by upstream, repository and the upload id the
 * registry handed out, and bound to the client that first sent bytes to
 * it.  A request takes a session exclusively (upload_take) and gives it
 * back (upload_give) or ends it (upload_end); a second request on a
 * session in use is refused.  Bytes a request adds are pending until the
 * upstream accepted them (upload_commit) and are cut off otherwise
 * (upload_rollback), so the file holds what the registry holds.
 *
 * Bounded: at most max_sessions sessions, max_bytes per session; a
 * session idle for idle_seconds is dropped with its file when another is
 * made, and by the readers' periodic sweep (every quarter of
 * idle_seconds, 1 to 60 s) when none is.  Every file in the folder is removed when the table is made (a
 * previous run's) and when it is freed.  Thread-safe; never logs.
 */
#ifndef RW_UPLOAD_H
#define RW_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Sessions dropped idle that are remembered, so that a later request on
 * one is refused as such (the last this many, by key). */
#define UPLOAD_GONE_MAX	256

struct content_index;
struct upload;
struct upload_table;

/**
 * A table spooling into DIR (made 0700 if missing; files in it removed),
 * with READERS threads (at most 16; 0: upload_judge_start refuses) for
 * the final reads.  NULL with ERR set (RW_EIO: DIR unusable; RW_ENOMEM).
 */
struct upload_table *upload_table_new(const char *dir, uint64_t max_bytes,
	    int max_sessions, int idle_seconds, int readers,
	    struct rw_err *err);
/**
 * Stop the readers: a read in progress fails, queued jobs end with
 * RW_EBUSY ("regwarden is stopping"), every DONE is called.  Idempotent.
 */
void	 upload_table_stop(struct upload_table *t);
/** Stop, remove every spool file and free T.  NULL does nothing. */
void	 upload_table_free(struct upload_table *t);
/**
 * Drop the sessions no request holds that were last used idle_seconds or
 * more before NOW (unix seconds), with their files.  Returns how many
 * went.  The readers call it on their own every quarter of idle_seconds
 * (1 to 60 s); with no readers only upload_take's sweep runs.
 */
int	 upload_sweep(struct upload_table *t, int64_t now);
/** Sessions dropped idle since T was made (either sweep). */
uint64_t upload_table_swept(struct upload_table *t);
/** Sessions held now (tests, metrics). */
int	 upload_table_count(struct upload_table *t);

/**
 * Take session KEY for one request of OWNER at NOW (unix seconds).  With
 * CREATE a missing session is made (idle sessions are dropped first).
 * Returns RW_OK and *OUT, or RW_ENOTFOUND (missing, CREATE 0; or one of
 * the last UPLOAD_GONE_MAX sessions dropped idle, ERR saying so), RW_EPERM
 * (another owner's), RW_EBUSY (another request holds it), RW_ETOOBIG
 * (max_sessions reached), RW_EIO (the file could not be made), RW_ENOMEM;
 * ERR says which for a client.
 */
int	 upload_take(struct upload_table *t, const char *key,
	    const char *owner, int create, int64_t now, struct upload **out,
	    struct rw_err *err);
/** Give U back (pending bytes rolled back), touched at NOW. */
void	 upload_give(struct upload_table *t, struct upload *u, int64_t now);
/** End U: forget it and remove its file. */
void	 upload_end(struct upload_table *t, struct upload *u);

/** Bytes the upstream accepted so far. */
uint64_t upload_committed(const struct upload *u);
/** Bytes in the file: committed plus this request's pending ones. */
uint64_t upload_size(const struct upload *u);
/** The spool file, open for reading (pread); owned by U. */
int	 upload_fd(const struct upload *u);

/**
 * Append LEN bytes of the current request.  Returns RW_OK, RW_ETOOBIG
 * (past max_bytes), RW_EIO (a write failed, a full disk among them; the
 * file is cut back to the committed bytes) or RW_EINVAL (the session was
 * made unusable before), ERR saying so.  After RW_ETOOBIG or RW_EIO the
 * session is unusable (upload_poisoned).
 */
int	 upload_append(struct upload_table *t, struct upload *u,
	    const void *data, size_t len, struct rw_err *err);
/** The pending bytes were accepted upstream. */
void	 upload_commit(struct upload *u);
/** The pending bytes were not: cut the file back to what was. */
int	 upload_rollback(struct upload *u);
/**
 * Mark U unusable (the registry's idea of it differs from the file):
 * every later request on it is refused, and its final PUT never sent.
 */
void	 upload_poison(struct upload *u, const char *why);
/** NULL, or why U is unusable. */
const char *upload_poisoned(const struct upload *u);

/**
 * Read the whole file: hash it with DIGEST's algorithm and index it with
 * content/ in the same pass.  Returns RW_OK with *IDX (content_index_free)
 * when the bytes are a layer, *IDX NULL when they are not a tar stream
 * (a config or another blob: NOTE says why), RW_EDIGEST when they do not
 * hash to DIGEST (ERR names what they hash to), RW_EIO or RW_ENOMEM.
 */
int	 upload_judge(const struct upload *u, const char *digest,
	    struct content_index **idx, char *note, size_t notesize,
	    struct rw_err *err);

/*
 * One final read on a reader thread (upload_judge_start), so the worker
 * threads serving clients never read a layer.  The caller fills U, DIGEST,
 * DONE and ARG, and keeps J (and U taken) until DONE ran; DONE is called
 * once, from a reader thread, after the results are in (it must only wake
 * the request).  The results are upload_judge's.
 */
struct upload_job {
	struct upload		*u;
	char			 digest[RW_DIGEST_MAX];
	void			(*done)(void *arg);
	void			*arg;
	/* results, once upload_job_done says 1 */
	int			 rc;
	struct content_index	*idx;		/* the caller frees it */
	char			 note[256];
	struct rw_err		 err;
	/* private */
	int			 state;
	struct upload_job	*next;
};

/** Queue J.  RW_OK, or RW_EBUSY (stopping, no readers): DONE not called. */
int	 upload_judge_start(struct upload_table *t, struct upload_job *j);
/** 1 once J's results are in. */
int	 upload_job_done(struct upload_table *t, const struct upload_job *j);

/* ------------------------------------------------------- protocol helpers */

/**
 * The Content-Range of a chunk, "<start>-<end>" (a "bytes=" or "bytes "
 * prefix allowed), into *START and *END (inclusive).  Returns 0, or -1
 * when malformed or END < START.
 */
int	 upload_parse_range(const char *h, uint64_t *start, uint64_t *end);

/**
 * The value of query parameter NAME in QUERY ("" or "?a=b&..."),
 * percent-decoded, into OUT.  Returns 1 when present once, 0 when absent,
 * -1 when repeated, malformed or longer than SIZE - 1.
 */
int	 upload_query_param(const char *query, const char *name, char *out,
	    size_t size);

/**
 * Remove the "mount" and "from" parameters from QUERY in place (a mount
 * is then an ordinary upload).  Returns 1 when any was removed.
 */
int	 upload_query_drop_mount(char *query);

#endif /* RW_UPLOAD_H */
