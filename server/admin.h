/*
 * admin.h - the admin listener: health, readiness, metrics and reload over
 * plain HTTP.  SPDX-License-Identifier: Apache-2.0
 *
 * A second libmicrohttpd daemon, separate from the proxy's, with its own
 * two worker threads, so a scrape or a reload never waits behind registry
 * traffic and vice versa.  It speaks plain HTTP: it binds loopback by
 * default, and anything wider goes behind a TLS-terminating proxy (the
 * config refuses a non-loopback bind without a token).
 *
 *   GET  /healthz  200 "ok\n"; never needs a token (liveness probes)
 *   GET  /readyz   200 "ready\n", or 503 and the hook's reason; never
 *                  needs a token (readiness probes: it reveals nothing)
 *   GET  /metrics  200, Prometheus text format 0.0.4; the token that
 *                  struct admin_tokens says
 *   POST /reload   200 "reloaded\n", or 500 and the hook's message
 *
 * HEAD is accepted wherever GET is.  Other paths answer 404, other methods
 * 405 with an Allow header.  With an admin token, /reload and /scans need
 * `Authorization: Bearer <token>` (compared in constant time) and answer 401
 * otherwise; /metrics needs the admin token or the metrics token, or nothing
 * when it is open (see struct admin_tokens).  Kubelet probes and `regwarden
 * health` therefore never carry a secret.  A request body longer than
 * ADMIN_MAX_BODY is refused: 413 when Content-Length announces it; a chunked
 * body that grows past it has the connection closed, since MHD cannot answer
 * mid-upload.  Checks run in that order: path, token, method, body size.
 *
 * The hooks run on the admin threads, possibly two at once, and may block
 * (a reload reads files); they must be thread-safe.  The admin module never
 * logs a token and keeps only its SHA-256.
 */
#ifndef RW_ADMIN_H
#define RW_ADMIN_H

#include "util/util.h"

/* Largest request body the admin listener accepts (POST /scans: larger). */
#define ADMIN_MAX_BODY		(64 * 1024)
#define ADMIN_MAX_SCAN_BODY	(64 * 1024 * 1024)

/** What the server lends the admin listener.  Every callback but post_scans is required. */
struct admin_hooks {
	void	*arg;	/* passed to each callback; outlives the admin */
	/**
	 * 1 when ready to serve, 0 when not, with a one-line reason for a
	 * human appended to WHY (e.g. "policy not loaded").
	 */
	int	(*ready)(void *arg, struct rw_buf *why);
	/** Append the metrics text (metrics_render) to OUT. */
	void	(*metrics)(void *arg, struct rw_buf *out);
	/**
	 * Reload config and policy.  0 when the new ones are in force, -1
	 * when they were refused (the running ones stay), with the reason
	 * (e.g. the first file:line:col error) appended to MSG.
	 */
	int	(*reload)(void *arg, struct rw_buf *msg);
	/**
	 * POST /scans: import the scanner report BODY (LEN bytes).  Returns
	 * the HTTP status (201 imported, 200 already known, 400 refused) with
	 * a one-line message appended to MSG.  May be NULL: /scans is then
	 * not served (404).
	 */
	int	(*post_scans)(void *arg, const char *body, size_t len,
		    struct rw_buf *msg);
};

/**
 * Who may call what.  /reload and /scans need ADMIN, or nothing when it is
 * NULL.  /metrics needs ADMIN or METRICS, whichever are not NULL (nothing
 * when both are), or nothing at all when METRICS_OPEN is 1 (a scrape
 * reveals counters only; the admin's choice, config
 * "admin.metrics_token_file": "").
 */
struct admin_tokens {
	const char	*admin;
	const char	*metrics;
	int		 metrics_open;
};

struct admin;

/**
 * Listen on HOST (an IPv4 or IPv6 literal) and PORT (0 = any free port, see
 * admin_port) and serve until admin_stop.  TOK NULL means no token is
 * required; its tokens are copied (as their SHA-256) and the caller's copies
 * may be wiped at once.  HOOKS is copied.  Returns the running listener, or
 * NULL with ERR set: RW_EINVAL (not an IP literal, a NULL hook), RW_EIO
 * (cannot bind, e.g. "admin: cannot listen on 127.0.0.1:5444: Address
 * already in use"), RW_ENOMEM.
 */
struct admin	*admin_start(const char *host, int port,
		    const struct admin_tokens *tok,
		    const struct admin_hooks *hooks, struct rw_err *err);

/** The port A is bound to (the kernel's pick when started with port 0). */
int		 admin_port(const struct admin *a);

/**
 * Stop listening, wait for requests in progress (and their hooks) to end,
 * wipe the token hashes and free A.  NULL is fine.
 */
void		 admin_stop(struct admin *a);

#endif /* RW_ADMIN_H */
