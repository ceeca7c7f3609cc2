/*
 * inspector.h - reading the layers of pulled and pushed images for the
 * "content" rules: once per layer digest, off the worker threads, while
 * the requests that need them wait a bounded time.
 * SPDX-License-Identifier: Apache-2.0
 *
 * A fixed number of threads of its own (max_running) fetch each layer
 * blob from the upstream through the transfer engine (streamed, its
 * digest verified as it arrives), index it with content/ and keep the
 * index in the state database (db_layer_index_put); a layer that cannot
 * be inspected keeps its refusal.  Requests for the same image share one
 * job; each waiter is woken when the job ends or its own deadline passes
 * first.  Thread-safe.  Hooks are called with the inspector's lock held
 * and must only resume a connection.
 */
#ifndef RW_INSPECTOR_H
#define RW_INSPECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct cfg_holder;
struct cfg_upstream;
struct db;
struct up_engine;

enum insp_state {
	INSP_PENDING = 0,	/* parked */
	INSP_DONE,		/* every layer is in the store: decide again */
	INSP_FAILED,		/* a fetch failed: msg says why */
	INSP_TIMED_OUT		/* the hold time ran out first */
};

struct insp_waiter {
	void		(*park)(void *arg);
	void		(*unpark)(void *arg);
	void		*arg;
	uint64_t	 deadline_ms;	/* rw_now_ms() based */
	int		 state;		/* enum insp_state */
	char		 msg[256];
	/* private */
	struct insp_waiter *next;
	void		*job;
};

/* What one job reads: the layers of one image at one upstream. */
struct insp_spec {
	const char		 *key;		/* upstream name + manifest digest */
	struct cfg_holder	 *ch;		/* the config UP lives in */
	const struct cfg_upstream *up;
	const char		 *repo;
	const char *const	 *layers;	/* digests not yet indexed */
	size_t			  nlayers;
	const char		 *bearer;	/* upstream credentials, or NULL */
	const char		 *user;
	const char		 *pass;
	/* pass-through upstreams: the client's Authorization value, or
	 * NULL; its manifest GET was already answered with it, and only a
	 * verdict (never a layer) goes back to the requests that share it */
	const char		 *authz;
	int			  connect_timeout;
	int			  stall_timeout;
};

struct inspector;

/**
 * MAX_RUNNING threads reading through ENG into DB.  NULL with ERR set.
 */
struct inspector *inspector_new(struct up_engine *eng, struct db *db,
	    int max_running, struct rw_err *err);
/** Stop the threads (a running fetch is cancelled), wake every waiter. */
void	 inspector_free(struct inspector *in);

/**
 * Wait until the layers SPEC names are indexed.  Starts a job unless one
 * for SPEC->key is queued or running (SPEC is copied; a reference on
 * SPEC->ch is held while it runs), and parks W until it ends or
 * W->deadline_ms passes.  Returns W->state.
 */
int	 inspector_wait(struct inspector *in, const struct insp_spec *spec,
	    struct insp_waiter *w);
/** W is going away: forget it (safe when not waiting). */
void	 inspector_forget(struct inspector *in, struct insp_waiter *w);
/**
 * Keep IDX, the index of layer DIGEST read elsewhere (an upload), in DB as
 * the inspector keeps its own.  RW_OK, or the error of encoding or of
 * db_layer_index_put with ERR set.
 */
struct content_index;
int	 inspector_keep(struct db *db, const char *digest,
	    const struct content_index *idx, struct rw_err *err);
/** Layer blobs fetched since start (tests and metrics). */
uint64_t inspector_fetches(struct inspector *in);

#endif /* RW_INSPECTOR_H */
