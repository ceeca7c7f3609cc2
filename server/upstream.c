/* upstream.c - libcurl multi loop moving bytes to and from upstream registries. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/upstream.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <curl/curl.h>

#define HDR_CAP		(64 * 1024)	/* response header bytes we keep */
#define CURL_BUFSIZE	(64 * 1024)
#define MIN_RING	(2 * CURL_BUFSIZE)	/* room for a whole curl write */
/*
 * Hysteresis: the reader is woken once this much is buffered (or at the
 * end), and a parked writer once half the send ring is free, so a fast
 * transfer moves in large batches instead of waking a thread per packet.
 */
#define WAKE_READER	(32 * 1024)
/*
 * Easy handles kept for the next transfer.  curl_easy_init and
 * curl_easy_cleanup cost about 4% of the CPU of a manifest GET by tag
 * (allocations, the handle's caches); a handle reset with curl_easy_reset
 * is as good as new, and its TLS session cache stays warm.
 */
#define EASY_POOL	32

struct ring {
	char	*buf;
	size_t	 size;
	size_t	 head;		/* first byte */
	size_t	 len;		/* bytes held */
};

struct xfer {
	pthread_mutex_t	 mu;
	int		 refs;		/* caller + engine while running */
	struct up_engine *eng;
	CURL		*easy;
	struct curl_slist *hdrlist;
	char		*url;
	char		*bearer;
	char		*user;
	char		*pass;
	char		*body_copy;
	size_t		 body_copy_len, body_copy_off;
	int		 body_fd;	/* a body in a file, or -1 */
	int64_t		 body_fd_off, body_fd_left;
	struct xfer_hooks hooks;
	int		 parked;
	int		 detached;	/* caller gone: no hooks, discard data */
	int		 stream;
	int		 follow;
	int		 send_body;

	/* response, written by the engine thread */
	long		 status;
	int		 headers_done;
	struct rw_buf	 hdrs;
	struct rw_buf	 body;		/* buffered mode */
	struct ring	 rx;		/* streamed mode */
	int		 rx_paused;
	int		 too_big;
	int		 done;
	int		 failed;
	int		 fail_kind;	/* XFER_FAIL_*, under mu */
	char		 errbuf[CURL_ERROR_SIZE];

	/* streamed body verification (engine thread until done) */
	struct rw_hash	 vhash;
	int		 verifying;
	int		 digest_bad;
	char		 want[RW_DIGEST_MAX];
	char		 got[RW_DIGEST_MAX];

	/* request body */
	struct ring	 tx;
	int64_t		 tx_left;	/* announced bytes not yet sent, or -1 */
	int		 tx_eof;
	int		 tx_paused;

	/* engine bookkeeping (queue flags under the engine's qmu) */
	int		 queued_add, queued_unpause, queued_cancel;
	struct xfer	*qnext;
	/* engine thread only */
	int		 running;
	struct xfer	*rprev, *rnext;	/* running list */
};

enum { Q_ADD = 1, Q_UNPAUSE = 2, Q_CANCEL = 4 };

struct up_engine {
	pthread_t	 thr;
	CURLM		*multi;
	pthread_mutex_t	 qmu;
	struct xfer	*queue;		/* xfers with pending ops */
	struct xfer	*running;	/* engine thread only */
	atomic_int	 stop;
	atomic_int	 abort_all;
	atomic_uint	 active;
	int		 epfd;
	int		 evfd;		/* eventfd: wakes the loop */
	long		 timeout_ms;	/* from libcurl's timer callback */
	pthread_mutex_t	 pmu;		/* the pool of spare easy handles */
	CURL		*pool[EASY_POOL];
	int		 npool;
};

/* ------------------------------------------------------------- ring */

static int
ring_init(struct ring *r, size_t size)
{
	r->buf = malloc(size);
	r->size = r->buf != NULL ? size : 0;
	r->head = r->len = 0;
	return r->buf != NULL ? RW_OK : RW_ENOMEM;
}

static size_t
ring_put(struct ring *r, const char *p, size_t n)
{
	size_t tail, first, room = r->size - r->len;

	if (n > room)
		n = room;
	tail = (r->head + r->len) % r->size;
	first = r->size - tail < n ? r->size - tail : n;
	memcpy(r->buf + tail, p, first);
	memcpy(r->buf, p + first, n - first);
	r->len += n;
	return n;
}

static size_t
ring_get(struct ring *r, char *p, size_t n)
{
	size_t first;

	if (n > r->len)
		n = r->len;
	first = r->size - r->head < n ? r->size - r->head : n;
	memcpy(p, r->buf + r->head, first);
	memcpy(p + first, r->buf, n - first);
	r->head = (r->head + n) % r->size;
	r->len -= n;
	if (r->len == 0)
		r->head = 0;
	return n;
}

/* ------------------------------------------------------ easy pool */

/* A spare handle, or a new one; NULL when out of memory. */
static CURL *
easy_get(struct up_engine *eng)
{
	CURL *e = NULL;

	pthread_mutex_lock(&eng->pmu);
	if (eng->npool > 0)
		e = eng->pool[--eng->npool];
	pthread_mutex_unlock(&eng->pmu);
	return e != NULL ? e : curl_easy_init();
}

/*
 * Keep E, off the multi handle, for another transfer.  A handle that
 * carried upstream credentials is not kept: curl_easy_reset clears the
 * options, but nothing of a credential should outlive its transfer.
 */
static void
easy_put(struct up_engine *eng, CURL *e, int had_creds)
{
	if (!had_creds) {
		curl_easy_reset(e);
		pthread_mutex_lock(&eng->pmu);
		if (eng->npool < EASY_POOL) {
			eng->pool[eng->npool++] = e;
			e = NULL;
		}
		pthread_mutex_unlock(&eng->pmu);
	}
	if (e != NULL)
		curl_easy_cleanup(e);
}

/* ---------------------------------------------------- lifetime */

static void
xfer_free(struct xfer *x)
{
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrlist);
	free(x->url);
	if (x->bearer != NULL)
		rw_freezero(x->bearer, strlen(x->bearer));
	if (x->user != NULL)
		rw_freezero(x->user, strlen(x->user));
	if (x->pass != NULL)
		rw_freezero(x->pass, strlen(x->pass));
	free(x->body_copy);
	if (x->body_fd >= 0)
		close(x->body_fd);
	rw_buf_free(&x->hdrs);
	rw_buf_free(&x->body);
	free(x->rx.buf);
	free(x->tx.buf);
	rw_hash_cleanup(&x->vhash);
	pthread_mutex_destroy(&x->mu);
	free(x);
}

static void
unref_locked_and_unlock(struct xfer *x)
{
	int last = --x->refs == 0;

	pthread_mutex_unlock(&x->mu);
	if (last)
		xfer_free(x);
}

/* Wake the caller if it is parked.  Called with x->mu held. */
static void
wake(struct xfer *x)
{
	if (x->parked && !x->detached) {
		x->parked = 0;
		x->hooks.unpark(x->hooks.arg);
	}
}

/* Park the caller.  Called with x->mu held. */
static void
park(struct xfer *x)
{
	if (!x->parked) {
		x->parked = 1;
		x->hooks.park(x->hooks.arg);
	}
}

static void	kick(struct up_engine *eng);

/* Queue an operation for the engine thread and wake it. */
static void
enqueue(struct up_engine *eng, struct xfer *x, int op)
{
	int was_queued;

	pthread_mutex_lock(&eng->qmu);
	was_queued = x->queued_add | x->queued_unpause | x->queued_cancel;
	if (op == Q_ADD)
		x->queued_add = 1;
	else if (op == Q_UNPAUSE)
		x->queued_unpause = 1;
	else
		x->queued_cancel = 1;
	if (!was_queued) {
		/* The queue holds a reference until the engine drains it. */
		pthread_mutex_lock(&x->mu);
		x->refs++;
		pthread_mutex_unlock(&x->mu);
		x->qnext = eng->queue;
		eng->queue = x;
	}
	pthread_mutex_unlock(&eng->qmu);
	kick(eng);
}

/* ------------------------------------------------- curl callbacks */

static int
is_redirect(long st)
{
	return st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	long st;

	pthread_mutex_lock(&x->mu);
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after 100-continue or a redirect). */
		rw_buf_reset(&x->hdrs);
		st = 0;
		if (len > 9)
			st = strtol(p + 9, NULL, 10);
		x->status = st;
	} else if (len <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		if (x->status >= 200 &&
		    !(x->follow && is_redirect(x->status))) {
			x->headers_done = 1;
			wake(x);
		}
	} else if (rw_buf_add(&x->hdrs, p, len) != RW_OK) {
		x->too_big = 1;
		pthread_mutex_unlock(&x->mu);
		return 0;	/* abort: absurd header block */
	}
	pthread_mutex_unlock(&x->mu);
	return len;
}

static size_t
on_write(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, rc = len;

	pthread_mutex_lock(&x->mu);
	if (x->detached) {
		/* Nobody reads: discard, the cancel is on its way. */
	} else if (!x->stream) {
		if (rw_buf_add(&x->body, p, len) != RW_OK) {
			x->too_big = 1;
			rc = 0;
		}
	} else if (x->rx.size - x->rx.len < len) {
		x->rx_paused = 1;
		rc = CURL_WRITEFUNC_PAUSE;
	} else {
		ring_put(&x->rx, p, len);
		if (x->verifying && x->status == 200)
			rw_hash_update(&x->vhash, p, len);
		if (x->rx.len >= x->rx.size / 2 || x->rx.len == x->rx.size)
			wake(x);
	}
	pthread_mutex_unlock(&x->mu);
	return rc;
}

/* The next bytes of a body in a file; the read stays short of the
 * announced length, so a file that grew adds nothing. */
static size_t
file_read(struct xfer *x, char *p, size_t max)
{
	ssize_t n;

	if (x->body_fd_left <= 0)
		return 0;
	if ((int64_t)max > x->body_fd_left)
		max = (size_t)x->body_fd_left;
	do {
		n = pread(x->body_fd, p, max, (off_t)x->body_fd_off);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return CURL_READFUNC_ABORT;	/* a short file: never pad */
	x->body_fd_off += n;
	x->body_fd_left -= n;
	return (size_t)n;
}

static size_t
on_read(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t max = size * n, got;

	pthread_mutex_lock(&x->mu);
	if (x->body_fd >= 0) {
		got = file_read(x, p, max);
		pthread_mutex_unlock(&x->mu);
		return got;
	}
	if (x->body_copy != NULL) {
		got = x->body_copy_len - x->body_copy_off;
		if (got > max)
			got = max;
		memcpy(p, x->body_copy + x->body_copy_off, got);
		x->body_copy_off += got;
		pthread_mutex_unlock(&x->mu);
		return got;
	}
	if (x->detached) {
		pthread_mutex_unlock(&x->mu);
		return CURL_READFUNC_ABORT;
	}
	/* Never more than the Content-Length libcurl announced: bytes past
	 * it would reach the registry as the start of another request. */
	if (x->tx_left >= 0 && (int64_t)max > x->tx_left)
		max = (size_t)x->tx_left;
	got = ring_get(&x->tx, p, max);
	if (x->tx_left >= 0)
		x->tx_left -= (int64_t)got;
	if (got == 0 && !x->tx_eof && x->tx_left != 0) {
		x->tx_paused = 1;
		pthread_mutex_unlock(&x->mu);
		return CURL_READFUNC_PAUSE;
	}
	if (got > 0 && x->tx.size - x->tx.len >= x->tx.size / 2)
		wake(x);	/* room for the client's next bytes */
	pthread_mutex_unlock(&x->mu);
	return got;
}

/* ------------------------------------------------------ easy setup */

static int
dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return RW_OK;
	*dst = strdup(src);
	return *dst != NULL ? RW_OK : RW_ENOMEM;
}

static int
setup_method(struct xfer *x, const struct xfer_spec *s)
{
	CURL *e = x->easy;
	int has_body = s->send_body || s->body != NULL || s->body_file;

	if (strcmp(s->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(s->method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, s->method);
	if (!has_body && (strcmp(s->method, "POST") == 0 ||
	    strcmp(s->method, "PUT") == 0 || strcmp(s->method, "PATCH") == 0)) {
		/* An empty body still needs "Content-Length: 0". */
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		x->tx_eof = 1;
		return RW_OK;
	}
	if (!has_body)
		return RW_OK;
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(e, CURLOPT_READDATA, x);
	if (s->body_file) {
		x->body_fd = dup(s->body_fd);
		if (x->body_fd < 0)
			return RW_EIO;
		x->body_fd_off = s->body_fd_off;
		x->body_fd_left = s->body_fd_len;
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)s->body_fd_len);
		return RW_OK;
	}
	if (s->body != NULL) {
		x->body_copy = malloc(s->body_size > 0 ? s->body_size : 1);
		if (x->body_copy == NULL)
			return RW_ENOMEM;
		memcpy(x->body_copy, s->body, s->body_size);
		x->body_copy_len = s->body_size;
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)s->body_size);
		return RW_OK;
	}
	/* -1 makes libcurl send the body chunked. */
	curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)s->body_len);
	x->tx_left = s->body_len >= 0 ? s->body_len : -1;
	return ring_init(&x->tx, s->ring_size > MIN_RING ? s->ring_size :
	    MIN_RING);
}

static int
setup_headers(struct xfer *x, const struct xfer_spec *s)
{
	struct curl_slist *l;
	int i, accept = 0;

	/* No 100-continue round trip: the registry always reads the body. */
	l = curl_slist_append(NULL, "Expect:");
	for (i = 0; l != NULL && i < XFER_MAX_HEADERS && s->headers[i] != NULL;
	    i++) {
		if (strncasecmp(s->headers[i], "Accept:", 7) == 0)
			accept = 1;
		l = curl_slist_append(l, s->headers[i]);
	}
	/* The client's Accept is forwarded verbatim, and so is its absence:
	 * libcurl's default "Accept: * / *" would change what the registry
	 * answers (fact 6 of reference/oci-protocol.md). */
	if (l != NULL && !accept)
		l = curl_slist_append(l, "Accept:");
	if (l == NULL)
		return RW_ENOMEM;
	x->hdrlist = l;
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, l);
	return RW_OK;
}

static void
setup_transport(struct xfer *x, const struct xfer_spec *s)
{
	CURL *e = x->easy;

	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)CURL_BUFSIZE);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)s->connect_timeout);
	if (s->total_timeout > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)s->total_timeout);
	if (s->stall_timeout > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
		    (long)s->stall_timeout);
	}
	if (s->follow) {
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
		curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		/* Credentials stay with the first host (the default). */
		curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	}
	if (s->up != NULL && s->up->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, s->up->ca_file);
	if (s->up != NULL && s->up->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (x->bearer != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, x->bearer);
	} else if (x->user != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, x->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD,
		    x->pass != NULL ? x->pass : "");
	}
}

static struct xfer *
xfer_new(struct up_engine *eng, const struct xfer_spec *s,
    struct rw_err *err)
{
	struct xfer *x;
	int rc;

	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&x->mu, NULL);
	x->refs = 1;
	x->tx_left = -1;
	x->body_fd = -1;
	x->hooks = s->hooks;
	x->stream = s->stream;
	x->follow = s->follow;
	x->send_body = s->send_body;
	rw_buf_init(&x->hdrs, HDR_CAP);
	rw_buf_init(&x->body, s->max_body);
	rc = dup_opt(&x->url, s->url);
	if (rc == RW_OK)
		rc = dup_opt(&x->bearer, s->bearer);
	if (rc == RW_OK)
		rc = dup_opt(&x->user, s->user);
	if (rc == RW_OK)
		rc = dup_opt(&x->pass, s->pass);
	if (rc == RW_OK && s->stream)
		rc = ring_init(&x->rx, s->ring_size > MIN_RING ? s->ring_size :
		    MIN_RING);
	if (rc == RW_OK && s->stream && s->verify_digest != NULL &&
	    rw_hash_init(&x->vhash, rw_hash_alg_of(s->verify_digest)) == RW_OK) {
		x->verifying = 1;
		rw_strlcpy(x->want, s->verify_digest, sizeof(x->want));
	}
	if (rc == RW_OK && (x->easy = easy_get(eng)) == NULL)
		rc = RW_ENOMEM;
	if (rc == RW_OK)
		rc = setup_method(x, s);
	if (rc == RW_OK)
		rc = setup_headers(x, s);
	if (rc != RW_OK) {
		rw_err_set(err, rc, "cannot set up upstream request: %s",
		    rw_strerror(rc));
		xfer_free(x);
		return NULL;
	}
	setup_transport(x, s);
	return x;
}

struct xfer *
xfer_start(struct up_engine *eng, const struct xfer_spec *spec,
    struct rw_err *err)
{
	struct xfer *x;

	if (atomic_load(&eng->stop) || atomic_load(&eng->abort_all)) {
		rw_err_set(err, RW_EBUSY, "shutting down");
		return NULL;
	}
	x = xfer_new(eng, spec, err);
	if (x == NULL)
		return NULL;
	x->eng = eng;
	x->refs = 2;		/* the caller's, and the engine's */
	enqueue(eng, x, Q_ADD);
	return x;
}

/* ------------------------------------------------------ engine thread */

static void
unref(struct xfer *x)
{
	pthread_mutex_lock(&x->mu);
	unref_locked_and_unlock(x);
}

static void
run_add(struct up_engine *eng, struct xfer *x)
{
	if (curl_multi_add_handle(eng->multi, x->easy) != CURLM_OK) {
		pthread_mutex_lock(&x->mu);
		x->failed = x->done = x->headers_done = 1;
		rw_strlcpy(x->errbuf, "cannot add transfer", sizeof(x->errbuf));
		wake(x);
		unref_locked_and_unlock(x);	/* the engine's reference */
		return;
	}
	x->running = 1;
	x->rprev = NULL;
	x->rnext = eng->running;
	if (eng->running != NULL)
		eng->running->rprev = x;
	eng->running = x;
	atomic_fetch_add(&eng->active, 1);
}

/* Take X off the multi handle, record RES, wake the caller, drop the
 * engine's reference. */
static void
finish(struct up_engine *eng, struct xfer *x, CURLcode res, const char *why)
{
	if (!x->running)
		return;
	curl_multi_remove_handle(eng->multi, x->easy);
	/* Nothing calls libcurl on this transfer again. */
	easy_put(eng, x->easy, x->bearer != NULL || x->user != NULL);
	x->easy = NULL;
	x->running = 0;
	if (x->rprev != NULL)
		x->rprev->rnext = x->rnext;
	else
		eng->running = x->rnext;
	if (x->rnext != NULL)
		x->rnext->rprev = x->rprev;
	atomic_fetch_sub(&eng->active, 1);
	pthread_mutex_lock(&x->mu);
	x->done = 1;
	if (x->verifying) {
		x->verifying = 0;
		rw_hash_final(&x->vhash, x->got);
		if (res == CURLE_OK && why == NULL && x->status == 200 &&
		    strcmp(x->got, x->want) != 0) {
			x->digest_bad = 1;
			rw_strlcpy(x->errbuf, "blob digest mismatch",
			    sizeof(x->errbuf));
		}
	}
	if (res != CURLE_OK || why != NULL) {
		x->failed = 1;
		x->fail_kind = res == CURLE_OPERATION_TIMEDOUT ?
		    XFER_FAIL_TIMEOUT : res == CURLE_COULDNT_CONNECT ||
		    res == CURLE_COULDNT_RESOLVE_HOST ||
		    res == CURLE_SSL_CONNECT_ERROR ? XFER_FAIL_CONNECT :
		    XFER_FAIL_OTHER;
		if (why != NULL)
			rw_strlcpy(x->errbuf, why, sizeof(x->errbuf));
		else if (x->errbuf[0] == '\0')
			rw_strlcpy(x->errbuf, curl_easy_strerror(res),
			    sizeof(x->errbuf));
	}
	x->headers_done = 1;
	wake(x);
	unref_locked_and_unlock(x);
}

static void
run_queue(struct up_engine *eng)
{
	struct xfer *list, *x;
	int add, unpause, cancel;

	pthread_mutex_lock(&eng->qmu);
	list = eng->queue;
	eng->queue = NULL;
	pthread_mutex_unlock(&eng->qmu);
	while ((x = list) != NULL) {
		list = x->qnext;
		pthread_mutex_lock(&eng->qmu);
		add = x->queued_add;
		unpause = x->queued_unpause;
		cancel = x->queued_cancel;
		x->queued_add = x->queued_unpause = x->queued_cancel = 0;
		pthread_mutex_unlock(&eng->qmu);
		if (add && cancel)
			unref(x);	/* never started: drop the engine's ref */
		else if (add)
			run_add(eng, x);
		else if (cancel)
			finish(eng, x, CURLE_ABORTED_BY_CALLBACK, "cancelled");
		if (unpause && !cancel && x->running)
			curl_easy_pause(x->easy, CURLPAUSE_CONT);
		unref(x);		/* the queue's reference */
	}
}

static void
run_done(struct up_engine *eng)
{
	struct xfer *x;
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(eng->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		pthread_mutex_lock(&x->mu);
		if (x->too_big && x->errbuf[0] == '\0')
			rw_strlcpy(x->errbuf, "upstream response too large",
			    sizeof(x->errbuf));
		pthread_mutex_unlock(&x->mu);
		finish(eng, x, m->data.result, NULL);
	}
}

static void
run_abort_all(struct up_engine *eng)
{
	while (eng->running != NULL)
		finish(eng, eng->running, CURLE_ABORTED_BY_CALLBACK,
		    "regwarden is shutting down");
}

/*
 * The loop is event driven (curl_multi_socket_action over epoll): each
 * wake-up touches only the sockets that are ready, so the cost of a pass
 * does not grow with the number of transfers or of idle pooled
 * connections, as curl_multi_poll's would.
 */
static int
on_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct up_engine *eng = arg;
	struct epoll_event ev;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(eng->epfd, EPOLL_CTL_DEL, fd, NULL);
		curl_multi_assign(eng->multi, fd, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) |
	    ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
	ev.data.fd = fd;
	if (sockp == NULL) {
		if (epoll_ctl(eng->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
		    errno == EEXIST)
			epoll_ctl(eng->epfd, EPOLL_CTL_MOD, fd, &ev);
		curl_multi_assign(eng->multi, fd, eng);
	} else {
		epoll_ctl(eng->epfd, EPOLL_CTL_MOD, fd, &ev);
	}
	return 0;
}

static int
on_timer(CURLM *m, long timeout_ms, void *arg)
{
	struct up_engine *eng = arg;

	(void)m;
	eng->timeout_ms = timeout_ms;
	return 0;
}

static void
kick(struct up_engine *eng)
{
	uint64_t one = 1;
	ssize_t n;

	n = write(eng->evfd, &one, sizeof(one));
	(void)n;	/* EAGAIN: a wake-up is pending anyway */
}

static void
poll_once(struct up_engine *eng)
{
	struct epoll_event evs[64];
	uint64_t drain;
	int n, i, still, timeout;
	ssize_t r;

	timeout = eng->timeout_ms < 0 || eng->timeout_ms > 1000 ? 1000 :
	    (int)eng->timeout_ms;
	n = epoll_wait(eng->epfd, evs, 64, timeout);
	if (n <= 0) {
		eng->timeout_ms = -1;
		curl_multi_socket_action(eng->multi, CURL_SOCKET_TIMEOUT, 0,
		    &still);
		return;
	}
	for (i = 0; i < n; i++) {
		if (evs[i].data.fd == eng->evfd) {
			r = read(eng->evfd, &drain, sizeof(drain));
			(void)r;
			continue;
		}
		curl_multi_socket_action(eng->multi, evs[i].data.fd,
		    ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
		    ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
		    ((evs[i].events & (EPOLLERR | EPOLLHUP)) ?
		    CURL_CSELECT_ERR : 0), &still);
	}
	if (eng->timeout_ms == 0) {
		eng->timeout_ms = -1;
		curl_multi_socket_action(eng->multi, CURL_SOCKET_TIMEOUT, 0,
		    &still);
	}
}

static void *
engine_main(void *arg)
{
	struct up_engine *eng = arg;

	while (!atomic_load(&eng->stop)) {
		run_queue(eng);
		if (atomic_load(&eng->abort_all))
			run_abort_all(eng);
		run_done(eng);
		poll_once(eng);
		run_done(eng);
	}
	run_queue(eng);
	run_abort_all(eng);
	run_queue(eng);
	return NULL;
}

struct up_engine *
up_engine_new(unsigned max_conns, struct rw_err *err)
{
	struct epoll_event ev;
	struct up_engine *eng;

	eng = calloc(1, sizeof(*eng));
	if (eng == NULL) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&eng->qmu, NULL);
	pthread_mutex_init(&eng->pmu, NULL);
	eng->timeout_ms = -1;
	eng->epfd = epoll_create1(EPOLL_CLOEXEC);
	eng->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	eng->multi = curl_multi_init();
	if (eng->multi == NULL || eng->epfd < 0 || eng->evfd < 0) {
		rw_err_set(err, RW_ENOMEM, "cannot set up the upstream loop: %s",
		    strerror(errno));
		goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = eng->evfd;
	epoll_ctl(eng->epfd, EPOLL_CTL_ADD, eng->evfd, &ev);
	curl_multi_setopt(eng->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(eng->multi, CURLMOPT_SOCKETDATA, eng);
	curl_multi_setopt(eng->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(eng->multi, CURLMOPT_TIMERDATA, eng);
	/* Keep upstream connections warm for reuse across requests. */
	curl_multi_setopt(eng->multi, CURLMOPT_MAXCONNECTS,
	    (long)(max_conns > 0 ? max_conns : 64));
	if (pthread_create(&eng->thr, NULL, engine_main, eng) != 0) {
		rw_err_set(err, RW_ENOMEM, "cannot start the upstream thread");
		goto fail;
	}
	return eng;
fail:
	if (eng->multi != NULL)
		curl_multi_cleanup(eng->multi);
	if (eng->epfd >= 0)
		close(eng->epfd);
	if (eng->evfd >= 0)
		close(eng->evfd);
	pthread_mutex_destroy(&eng->qmu);
	pthread_mutex_destroy(&eng->pmu);
	free(eng);
	return NULL;
}

void
up_engine_abort_all(struct up_engine *eng)
{
	atomic_store(&eng->abort_all, 1);
	kick(eng);
}

unsigned
up_engine_active(struct up_engine *eng)
{
	return atomic_load(&eng->active);
}

void
up_engine_free(struct up_engine *eng)
{
	if (eng == NULL)
		return;
	atomic_store(&eng->stop, 1);
	kick(eng);
	pthread_join(eng->thr, NULL);
	curl_multi_cleanup(eng->multi);
	while (eng->npool > 0)
		curl_easy_cleanup(eng->pool[--eng->npool]);
	close(eng->epfd);
	close(eng->evfd);
	pthread_mutex_destroy(&eng->qmu);
	pthread_mutex_destroy(&eng->pmu);
	free(eng);
}

/* ------------------------------------------------------- caller side */

void
xfer_release(struct xfer *x)
{
	int cancel;

	if (x == NULL)
		return;
	pthread_mutex_lock(&x->mu);
	x->detached = 1;
	x->parked = 0;
	cancel = !x->done && x->eng != NULL;
	pthread_mutex_unlock(&x->mu);
	if (cancel)
		enqueue(x->eng, x, Q_CANCEL);
	unref(x);
}

int
xfer_wait_headers(struct xfer *x)
{
	int ready;

	pthread_mutex_lock(&x->mu);
	ready = x->headers_done || x->done;
	if (!ready)
		park(x);
	pthread_mutex_unlock(&x->mu);
	return ready;
}

int
xfer_wait_done(struct xfer *x)
{
	int ready;

	pthread_mutex_lock(&x->mu);
	ready = x->done;
	if (!ready)
		park(x);
	pthread_mutex_unlock(&x->mu);
	return ready;
}

long
xfer_status(const struct xfer *x)
{
	return x->failed ? 0 : x->status;
}

int
xfer_failed(struct xfer *x, char *msg, size_t msgsize)
{
	int failed;

	pthread_mutex_lock(&x->mu);
	failed = x->failed;
	if (failed && msg != NULL)
		rw_strlcpy(msg, x->errbuf, msgsize);
	pthread_mutex_unlock(&x->mu);
	return failed;
}

int
xfer_header_next(const struct xfer *x, size_t *pos, const char **name,
    size_t *namelen, const char **value, size_t *valuelen)
{
	const char *p, *end, *eol, *colon;

	if (x->hdrs.data == NULL)
		return 0;
	end = x->hdrs.data + x->hdrs.len;
	while (x->hdrs.data + *pos < end) {
		p = x->hdrs.data + *pos;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		*pos = (size_t)(eol - x->hdrs.data) + (eol < end ? 1 : 0);
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || colon == p || *p == ' ' || *p == '\t')
			continue;	/* folded or malformed: skipped */
		*name = p;
		*namelen = (size_t)(colon - p);
		for (colon++; colon < eol && (*colon == ' ' || *colon == '\t');)
			colon++;
		while (eol > colon && (eol[-1] == '\r' || eol[-1] == '\n' ||
		    eol[-1] == ' ' || eol[-1] == '\t'))
			eol--;
		*value = colon;
		*valuelen = (size_t)(eol - colon);
		return 1;
	}
	return 0;
}

ssize_t
xfer_header(const struct xfer *x, const char *name, char *out, size_t outsize)
{
	const char *n, *v;
	size_t pos = 0, nl, vl, want = strlen(name);

	while (xfer_header_next(x, &pos, &n, &nl, &v, &vl)) {
		if (nl != want || strncasecmp(n, name, nl) != 0)
			continue;
		if (vl >= outsize)
			return -1;
		memcpy(out, v, vl);
		out[vl] = '\0';
		return (ssize_t)vl;
	}
	return -1;
}

const char *
xfer_body(const struct xfer *x, size_t *len)
{
	*len = x->body.len;
	return x->body.data != NULL ? x->body.data : "";
}

int
xfer_too_big(const struct xfer *x)
{
	return x->too_big;
}

ssize_t
xfer_read(struct xfer *x, char *buf, size_t max)
{
	ssize_t rc;
	int unpause = 0;

	pthread_mutex_lock(&x->mu);
	/* A verified stream keeps its last byte until the digest is known. */
	if (x->verifying && !x->done && max >= x->rx.len)
		max = x->rx.len > 0 ? x->rx.len - 1 : 0;
	if (x->digest_bad) {
		pthread_mutex_unlock(&x->mu);
		return XFER_ERROR;
	}
	rc = (ssize_t)ring_get(&x->rx, buf, max);
	if (rc > 0) {
		if (x->rx_paused && x->rx.size - x->rx.len >= CURL_BUFSIZE) {
			x->rx_paused = 0;
			unpause = 1;
		}
	} else if (x->done && x->rx.len == 0) {
		rc = x->failed ? XFER_ERROR : XFER_EOF;
	} else {
		park(x);
		rc = XFER_AGAIN;
	}
	pthread_mutex_unlock(&x->mu);
	if (unpause)
		enqueue(x->eng, x, Q_UNPAUSE);
	return rc;
}

int
xfer_digest_mismatch(struct xfer *x, char *got, size_t size)
{
	int bad;

	pthread_mutex_lock(&x->mu);
	bad = x->digest_bad;
	if (bad)
		rw_strlcpy(got, x->got, size);
	pthread_mutex_unlock(&x->mu);
	return bad;
}

ssize_t
xfer_write(struct xfer *x, const char *data, size_t len)
{
	ssize_t rc;
	int unpause = 0;

	pthread_mutex_lock(&x->mu);
	if (x->done) {
		rc = x->failed ? XFER_ERROR : XFER_EOF;
	} else {
		rc = (ssize_t)ring_put(&x->tx, data, len);
		if (rc == 0) {
			park(x);
			rc = XFER_AGAIN;
		} else if (x->tx_paused) {
			x->tx_paused = 0;
			unpause = 1;
		}
	}
	pthread_mutex_unlock(&x->mu);
	if (unpause)
		enqueue(x->eng, x, Q_UNPAUSE);
	return rc;
}

void
xfer_write_eof(struct xfer *x)
{
	int unpause;

	pthread_mutex_lock(&x->mu);
	x->tx_eof = 1;
	unpause = x->tx_paused && !x->done;
	x->tx_paused = 0;
	pthread_mutex_unlock(&x->mu);
	if (unpause)
		enqueue(x->eng, x, Q_UNPAUSE);
}

int
xfer_fail_kind(struct xfer *x)
{
	int kind;

	pthread_mutex_lock(&x->mu);
	kind = x->failed ? x->fail_kind : XFER_FAIL_OTHER;
	pthread_mutex_unlock(&x->mu);
	return kind;
}
