/*
 * upstream.h - the upstream transfer engine: one libcurl multi loop on a
 * thread of its own, moving bytes between upstream registries and bounded
 * per-transfer buffers that the front end (front.c) drains or fills.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Threading: xfer_* functions are called from MHD worker threads; all libcurl
 * calls happen on the engine thread.  A caller that cannot make progress
 * (no bytes yet, buffer full, headers not in) is *parked*: the engine calls
 * the caller's park hook while holding the transfer's lock, and the unpark
 * hook (also under that lock) as soon as the transfer can move again.  With
 * MHD these hooks are MHD_suspend_connection/MHD_resume_connection, so no
 * worker thread ever blocks on an upstream, and memory per transfer is fixed:
 * a full receive buffer pauses the curl transfer (CURL_WRITEFUNC_PAUSE), an
 * empty send buffer pauses the upload (CURL_READFUNC_PAUSE).
 *
 * Credentials: a transfer carries at most one of a bearer token, a basic
 * user/password (both handed to libcurl's own auth) or a client
 * Authorization header to pass through.  libcurl (>= 7.83) sends neither
 * its own auth nor a custom Authorization header to another host or port
 * when it follows a redirect; tests/e2e/integrity.test.sh checks that.
 */
#ifndef RW_UPSTREAM_H
#define RW_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "server/config.h"
#include "util/util.h"

struct up_engine;
struct xfer;

/** Hooks the front end gives a transfer; called with the transfer locked. */
struct xfer_hooks {
	void	(*park)(void *arg);	/* e.g. MHD_suspend_connection */
	void	(*unpark)(void *arg);	/* e.g. MHD_resume_connection */
	void	*arg;
};

#define XFER_MAX_HEADERS	24
#define XFER_ERRMSG_MAX		256	/* = CURL_ERROR_SIZE */

struct xfer_spec {
	const char		*method;	/* GET HEAD POST PUT PATCH DELETE */
	const char		*url;		/* absolute http(s) URL */
	const struct cfg_upstream *up;		/* TLS settings (ca_file, insecure) */
	const char		*headers[XFER_MAX_HEADERS]; /* "Name: value", NULL-ended */
	int			 stream;	/* 1: ring buffer, 0: buffer whole body */
	size_t			 max_body;	/* cap for buffered bodies */
	size_t			 ring_size;	/* for streamed bodies */
	int			 send_body;	/* request body comes via xfer_write */
	int64_t			 body_len;	/* known length, or -1 (chunked) */
	const char		*body;		/* or a body in memory (copied) */
	size_t			 body_size;
	/* or BODY_FD_LEN bytes of the file BODY_FD from BODY_FD_OFF (the
	 * descriptor is duplicated; the file must not shrink meanwhile) */
	int			 body_file;
	int			 body_fd;
	int64_t			 body_fd_off;
	int64_t			 body_fd_len;
	int			 follow;	/* follow redirects (blob GET) */
	/*
	 * Streamed 200 bodies only: the digest the body must hash to.  The
	 * engine hashes as bytes arrive (on its own thread, so the hashing
	 * runs beside the TLS work of the front end), holds the last byte
	 * back until the whole body checked out, and fails the read instead
	 * of releasing it when the digest differs.
	 */
	const char		*verify_digest;
	const char		*bearer;	/* upstream bearer token, or NULL */
	const char		*user;		/* upstream basic auth, or NULL */
	const char		*pass;
	int			 connect_timeout; /* seconds */
	int			 total_timeout;	/* seconds, 0 = none */
	int			 stall_timeout;	/* seconds with no progress */
	struct xfer_hooks	 hooks;
};

/** Return values of xfer_read / xfer_write besides byte counts. */
#define XFER_AGAIN	0	/* parked; the unpark hook will fire */
#define XFER_EOF	(-1)
#define XFER_ERROR	(-2)

/** Start the engine thread.  NULL with ERR set on failure. */
struct up_engine *up_engine_new(unsigned max_conns, struct rw_err *err);
/** Abort every transfer (waking parked callers), stop the thread, free. */
void	 up_engine_free(struct up_engine *eng);
/** Fail every transfer in flight (SIGTERM after the drain time). */
void	 up_engine_abort_all(struct up_engine *eng);
/** Transfers currently running. */
unsigned up_engine_active(struct up_engine *eng);

/**
 * Start a transfer.  Copies everything it needs from SPEC.  Returns a
 * transfer holding one reference for the caller (release with
 * xfer_release), or NULL with ERR set.
 */
struct xfer	*xfer_start(struct up_engine *eng, const struct xfer_spec *spec,
		    struct rw_err *err);

/**
 * The caller is gone (client disconnected or request finished): cancel the
 * transfer if it is still running, never call a hook again, and drop the
 * caller's reference.
 */
void	 xfer_release(struct xfer *x);

/**
 * 1 when the final response's status and headers are in (or the transfer
 * failed: see xfer_failed), else parks and returns 0.
 */
int	 xfer_wait_headers(struct xfer *x);
/** 1 when the transfer is complete (buffered mode), else parks, 0. */
int	 xfer_wait_done(struct xfer *x);

/** Status of the final response (valid once headers are in), 0 if failed. */
long	 xfer_status(const struct xfer *x);
/** Non-zero if the transfer failed; MSG (may be NULL) gets curl's reason. */
int	 xfer_failed(struct xfer *x, char *msg, size_t msgsize);

/** Why a failed transfer failed, for the metrics. */
enum { XFER_FAIL_OTHER = 0, XFER_FAIL_CONNECT, XFER_FAIL_TIMEOUT };
/** The XFER_FAIL_* of X (OTHER when it did not fail or for another reason). */
int	 xfer_fail_kind(struct xfer *x);

/**
 * First value of header NAME (case-insensitive) in the final response,
 * copied into OUT.  Returns its length, or -1 when absent (or too long).
 */
ssize_t	 xfer_header(const struct xfer *x, const char *name, char *out,
	    size_t outsize);

/**
 * Iterate the final response's header lines: *POS starts at 0.  Returns 1
 * and sets name/value spans, 0 at the end.
 */
int	 xfer_header_next(const struct xfer *x, size_t *pos, const char **name,
	    size_t *namelen, const char **value, size_t *valuelen);

/** Buffered body (valid after xfer_wait_done returned 1). */
const char *xfer_body(const struct xfer *x, size_t *len);
/** 1 when a buffered body exceeded spec.max_body (transfer failed). */
int	 xfer_too_big(const struct xfer *x);

/**
 * After a verified stream failed: 1 and the digest the bytes had (into GOT)
 * when it was a digest mismatch, else 0.
 */
int	 xfer_digest_mismatch(struct xfer *x, char *got, size_t size);

/**
 * Streamed body: copy up to MAX bytes into BUF.  Returns the count, or
 * XFER_AGAIN (parked), XFER_EOF or XFER_ERROR.
 */
ssize_t	 xfer_read(struct xfer *x, char *buf, size_t max);

/**
 * Streamed request body: take up to LEN bytes.  Returns the count accepted
 * (> 0), XFER_AGAIN when the buffer is full (parked) or XFER_ERROR when the
 * transfer has already failed.
 */
ssize_t	 xfer_write(struct xfer *x, const char *data, size_t len);
/** No more request body. */
void	 xfer_write_eof(struct xfer *x);

#endif /* RW_UPSTREAM_H */
