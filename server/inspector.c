/*
 * inspector.c - layer inspection off the worker threads: a queue of
 * jobs (one per image), a few threads that fetch and index layers, and
 * a ticker that wakes waiters whose hold time ran out.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "server/inspector.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "content/content.h"
#include "db/db.h"
#include "server/internal.h"
#include "server/rpmspool.h"

#define MAX_THREADS	16
#define RING_SIZE	((size_t)256 << 10)
#define INDEX_CAP	((size_t)256 << 20)	/* one encoded layer index */
#define TICK_MS		100

struct job {
	struct job		*next;
	char			*key;
	struct cfg_holder	*ch;
	const struct cfg_upstream *up;
	char			*repo;
	char			**layers;
	size_t			 nlayers;
	char			*bearer;
	char			*user;
	char			*pass;
	char			*authz;		/* "Authorization: ..." or NULL */
	int			 connect_timeout;
	int			 stall_timeout;
	int			 running;
	struct insp_waiter	*waiters;
};

struct inspector {
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;
	pthread_t		 threads[MAX_THREADS];
	int			 nthreads;
	pthread_t		 ticker;
	int			 have_ticker;
	int			 stop;
	struct job		*jobs;
	struct up_engine	*eng;
	struct db		*db;
	atomic_ulong		 fetches;
};

/* -------------------------------------------------------- blocking reads */

/* A worker reads a streamed transfer as a blocking file: the engine's
 * park and unpark hooks drive a condition variable instead of MHD. */
struct breader {
	struct inspector	*in;
	struct xfer		*x;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 ready;
	int			 headers;
	long			 status;
	char			 msg[256];
};

static void
b_park(void *arg)
{
	struct breader *b = arg;

	pthread_mutex_lock(&b->mu);
	b->ready = 0;
	pthread_mutex_unlock(&b->mu);
}

static void
b_unpark(void *arg)
{
	struct breader *b = arg;

	pthread_mutex_lock(&b->mu);
	b->ready = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

static int
stopping(struct inspector *in)
{
	int s;

	pthread_mutex_lock(&in->mu);
	s = in->stop;
	pthread_mutex_unlock(&in->mu);
	return s;
}

/* Wait for the engine's unpark, waking each second to notice a stop. */
static int
b_wait(struct breader *b)
{
	struct timespec ts;

	pthread_mutex_lock(&b->mu);
	while (!b->ready) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&b->cv, &b->mu, &ts);
		if (!b->ready && stopping(b->in)) {
			pthread_mutex_unlock(&b->mu);
			return -1;
		}
	}
	pthread_mutex_unlock(&b->mu);
	return 0;
}

static ssize_t
b_read(void *arg, void *buf, size_t size)
{
	struct breader *b = arg;
	ssize_t n;

	while (!b->headers) {
		if (xfer_wait_headers(b->x)) {
			b->headers = 1;
			b->status = xfer_status(b->x);
			if (b->status != 200) {
				if (b->status == 0)
					xfer_failed(b->x, b->msg,
					    sizeof(b->msg));
				return -1;
			}
		} else if (b_wait(b) != 0)
			return -1;
	}
	for (;;) {
		n = xfer_read(b->x, buf, size);
		if (n > 0)
			return n;
		if (n == XFER_EOF)
			return 0;
		if (n == XFER_ERROR) {
			xfer_failed(b->x, b->msg, sizeof(b->msg));
			return -1;
		}
		if (b_wait(b) != 0)
			return -1;
	}
}

/* ---------------------------------------------------------------- layers */

static int
store(struct inspector *in, const char *digest,
    const struct content_index *idx, const char *refusal,
    struct rw_err *err)
{
	if (refusal != NULL)
		return db_layer_index_put(in->db, digest, CONTENT_FORMAT, NULL,
		    0, refusal, 0, 0, (int64_t)time(NULL), err);
	return inspector_keep(in->db, digest, idx, err);
}

int
inspector_keep(struct db *db, const char *digest,
    const struct content_index *idx, struct rw_err *err)
{
	struct rw_buf buf;
	int rc;

	rw_buf_init(&buf, INDEX_CAP);
	rc = content_encode(idx, &buf);
	if (rc != RW_OK) {
		rw_buf_free(&buf);
		return rw_err_set(err, rc, "encoding the index of %s: %s",
		    digest, rw_strerror(rc));
	}
	rc = db_layer_index_put(db, digest, CONTENT_FORMAT, buf.data,
	    buf.len, NULL, (int64_t)idx->nentries, (int64_t)idx->nfindings,
	    (int64_t)time(NULL), err);
	rw_buf_free(&buf);
	return rc;
}

/* Fetch and index one layer.  A layer that cannot be read as one keeps its
 * refusal; a fetch that fails is an error of this job only. */
static int
one_layer(struct inspector *in, const struct job *j, const char *digest,
    struct rw_err *err)
{
	struct content_index *idx = NULL;
	struct content_limits lim;
	struct rpmspool rs;
	struct breader b;
	struct xfer_spec s;
	struct rw_err ierr;
	char url[ROUTE_NAME_MAX + 1024];
	int rc;

	memset(&b, 0, sizeof(b));
	b.in = in;
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.cv, NULL);
	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", j->up->url, j->repo,
	    digest);
	memset(&s, 0, sizeof(s));
	s.method = "GET";
	s.url = url;
	s.up = j->up;
	s.stream = 1;
	s.ring_size = RING_SIZE;
	s.follow = 1;
	s.body_len = -1;
	s.verify_digest = digest;
	s.bearer = j->bearer;
	s.user = j->user;
	s.pass = j->pass;
	s.headers[0] = j->authz;
	s.connect_timeout = j->connect_timeout;
	s.stall_timeout = j->stall_timeout;
	s.hooks.park = b_park;
	s.hooks.unpark = b_unpark;
	s.hooks.arg = &b;
	b.x = xfer_start(in->eng, &s, err);
	if (b.x == NULL) {
		rc = err->code != 0 ? err->code : RW_EUPSTREAM;
		goto out;
	}
	atomic_fetch_add(&in->fetches, 1);
	rw_err_clear(&ierr);
	/* rpm databases are spooled to the state directory and read there. */
	content_limits_default(&lim);
	rpmspool_init(&rs, j->ch->cfg->state_dir, lim.rpmdb_max, &lim);
	rc = content_inspect(b_read, &b, &lim, &idx, &ierr);
	if (rc == RW_EIO) {
		if (b.status != 0 && b.status != 200)
			rc = rw_err_set(err, RW_EUPSTREAM, "upstream answered "
			    "%ld for layer %s", b.status, digest);
		else
			rc = rw_err_set(err, RW_EUPSTREAM, "fetching layer %s "
			    "failed: %s", digest, b.msg[0] != '\0' ? b.msg :
			    "cancelled");
	} else if (rc == RW_EPARSE || rc == RW_ETOOBIG)
		rc = store(in, digest, NULL, ierr.msg, err);
	else if (rc != RW_OK)
		rc = rw_err_set(err, rc, "inspecting layer %s: %s", digest,
		    ierr.msg);
	else
		rc = store(in, digest, idx, NULL, err);
out:
	if (b.x != NULL)
		xfer_release(b.x);
	content_index_free(idx);
	pthread_cond_destroy(&b.cv);
	pthread_mutex_destroy(&b.mu);
	return rc;
}

static int
run_job(struct inspector *in, struct job *j, struct rw_err *err)
{
	char *refusal;
	void *body;
	size_t i, len;
	int rc;

	for (i = 0; i < j->nlayers && !stopping(in); i++) {
		/* Another image carrying the same layer may have read it. */
		rc = db_layer_index_get(in->db, j->layers[i], CONTENT_FORMAT,
		    &body, &len, &refusal, err);
		free(body);
		free(refusal);
		if (rc == RW_OK)
			continue;
		if (rc != RW_ENOTFOUND)
			return rc;
		rw_err_clear(err);
		if ((rc = one_layer(in, j, j->layers[i], err)) != RW_OK)
			return rc;
	}
	return stopping(in) ? rw_err_set(err, RW_EBUSY, "regwarden is "
	    "stopping") : RW_OK;
}

/* ------------------------------------------------------------------ jobs */

static void
job_free(struct job *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nlayers; i++)
		free(j->layers[i]);
	free(j->layers);
	free(j->key);
	free(j->repo);
	if (j->bearer != NULL)
		rw_freezero(j->bearer, strlen(j->bearer));
	free(j->user);
	if (j->pass != NULL)
		rw_freezero(j->pass, strlen(j->pass));
	if (j->authz != NULL)
		rw_freezero(j->authz, strlen(j->authz));
	if (j->ch != NULL)
		server_cfg_release(j->ch);
	free(j);
}

static char *
dup_or_null(const char *s, int *bad)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*bad = 1;
	return d;
}

static struct job *
job_new(const struct insp_spec *spec)
{
	struct job *j = calloc(1, sizeof(*j));
	int bad = 0;
	size_t i;

	if (j == NULL)
		return NULL;
	j->key = dup_or_null(spec->key, &bad);
	j->repo = dup_or_null(spec->repo, &bad);
	j->bearer = dup_or_null(spec->bearer, &bad);
	j->user = dup_or_null(spec->user, &bad);
	j->pass = dup_or_null(spec->pass, &bad);
	if (spec->authz != NULL && asprintf(&j->authz, "Authorization: %s",
	    spec->authz) < 0) {
		j->authz = NULL;
		bad = 1;
	}
	j->layers = calloc(spec->nlayers + 1, sizeof(char *));
	bad |= j->layers == NULL;
	for (i = 0; !bad && i < spec->nlayers; i++, j->nlayers++)
		j->layers[i] = dup_or_null(spec->layers[i], &bad);
	j->up = spec->up;
	j->connect_timeout = spec->connect_timeout;
	j->stall_timeout = spec->stall_timeout;
	if (bad) {
		job_free(j);
		return NULL;
	}
	j->ch = spec->ch;
	atomic_fetch_add(&j->ch->refs, 1);
	return j;
}

/* Wake every waiter of J with STATE; the caller holds in->mu. */
static void
settle(struct job *j, int state, const char *msg)
{
	struct insp_waiter *w, *next;

	for (w = j->waiters; w != NULL; w = next) {
		next = w->next;
		w->state = state;
		rw_strlcpy(w->msg, msg != NULL ? msg : "", sizeof(w->msg));
		w->job = NULL;
		w->next = NULL;
		w->unpark(w->arg);
	}
	j->waiters = NULL;
}

static void
unlink_job(struct inspector *in, struct job *j)
{
	struct job **p;

	for (p = &in->jobs; *p != NULL; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			return;
		}
}

static void *
worker(void *arg)
{
	struct inspector *in = arg;
	struct rw_err err;
	struct job *j;
	int rc;

	pthread_mutex_lock(&in->mu);
	while (!in->stop) {
		for (j = in->jobs; j != NULL && j->running; j = j->next)
			;
		if (j == NULL) {
			pthread_cond_wait(&in->work, &in->mu);
			continue;
		}
		j->running = 1;
		pthread_mutex_unlock(&in->mu);
		rw_err_clear(&err);
		rc = run_job(in, j, &err);
		pthread_mutex_lock(&in->mu);
		unlink_job(in, j);
		settle(j, rc == RW_OK ? INSP_DONE : INSP_FAILED, err.msg);
		pthread_mutex_unlock(&in->mu);
		job_free(j);
		pthread_mutex_lock(&in->mu);
	}
	pthread_mutex_unlock(&in->mu);
	return NULL;
}

/* Waiters whose hold time ran out are woken; the job goes on for the
 * next pull. */
static void *
ticker(void *arg)
{
	struct inspector *in = arg;
	struct insp_waiter **wp, *w;
	struct timespec ts = { 0, TICK_MS * 1000000L };
	struct job *j;
	uint64_t now;

	pthread_mutex_lock(&in->mu);
	while (!in->stop) {
		now = rw_now_ms();
		for (j = in->jobs; j != NULL; j = j->next)
			for (wp = &j->waiters; (w = *wp) != NULL;) {
				if (now < w->deadline_ms) {
					wp = &w->next;
					continue;
				}
				*wp = w->next;
				w->next = NULL;
				w->job = NULL;
				w->state = INSP_TIMED_OUT;
				w->unpark(w->arg);
			}
		pthread_mutex_unlock(&in->mu);
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&in->mu);
	}
	pthread_mutex_unlock(&in->mu);
	return NULL;
}

struct inspector *
inspector_new(struct up_engine *eng, struct db *db, int max_running,
    struct rw_err *err)
{
	struct inspector *in = calloc(1, sizeof(*in));
	int i;

	if (in == NULL) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&in->mu, NULL);
	pthread_cond_init(&in->work, NULL);
	in->eng = eng;
	in->db = db;
	if (max_running < 1 || max_running > MAX_THREADS)
		max_running = 2;
	for (i = 0; i < max_running; i++) {
		if (pthread_create(&in->threads[i], NULL, worker, in) != 0)
			break;
		in->nthreads++;
	}
	if (in->nthreads == max_running &&
	    pthread_create(&in->ticker, NULL, ticker, in) == 0)
		in->have_ticker = 1;
	if (!in->have_ticker) {
		inspector_free(in);
		rw_err_set(err, RW_ENOMEM, "starting the layer inspectors "
		    "failed");
		return NULL;
	}
	return in;
}

void
inspector_free(struct inspector *in)
{
	struct job *j;
	int i;

	if (in == NULL)
		return;
	pthread_mutex_lock(&in->mu);
	in->stop = 1;
	pthread_cond_broadcast(&in->work);
	pthread_mutex_unlock(&in->mu);
	for (i = 0; i < in->nthreads; i++)
		pthread_join(in->threads[i], NULL);
	if (in->have_ticker)
		pthread_join(in->ticker, NULL);
	while ((j = in->jobs) != NULL) {
		in->jobs = j->next;
		settle(j, INSP_FAILED, "regwarden is stopping");
		job_free(j);
	}
	pthread_cond_destroy(&in->work);
	pthread_mutex_destroy(&in->mu);
	free(in);
}

int
inspector_wait(struct inspector *in, const struct insp_spec *spec,
    struct insp_waiter *w)
{
	struct job *j;
	int state;

	w->state = INSP_PENDING;
	w->msg[0] = '\0';
	w->next = NULL;
	pthread_mutex_lock(&in->mu);
	for (j = in->jobs; j != NULL; j = j->next)
		if (strcmp(j->key, spec->key) == 0)
			break;
	if (j == NULL && !in->stop && (j = job_new(spec)) != NULL) {
		j->next = in->jobs;
		in->jobs = j;
		pthread_cond_signal(&in->work);
	}
	if (j == NULL) {
		w->state = INSP_FAILED;
		rw_strlcpy(w->msg, in->stop ? "regwarden is stopping" :
		    "out of memory", sizeof(w->msg));
	} else {
		w->park(w->arg);
		w->job = j;
		w->next = j->waiters;
		j->waiters = w;
	}
	/*
	 * Read under the lock: once it is released a worker may end the job
	 * and settle W.  A caller told "pending" is parked and woken by that
	 * settle; one told "done" here would decide at once while the wake-up
	 * is still coming, and decide_step would find its context dropped
	 * (seen as a NULL decide_ctx in e2e content's podman pulls).
	 */
	state = w->state;
	pthread_mutex_unlock(&in->mu);
	return state;
}

void
inspector_forget(struct inspector *in, struct insp_waiter *w)
{
	struct insp_waiter **wp;
	struct job *j;

	if (in == NULL)
		return;
	pthread_mutex_lock(&in->mu);
	j = w->job;
	if (j != NULL)
		for (wp = &j->waiters; *wp != NULL; wp = &(*wp)->next)
			if (*wp == w) {
				*wp = w->next;
				break;
			}
	w->job = NULL;
	w->next = NULL;
	pthread_mutex_unlock(&in->mu);
}

uint64_t
inspector_fetches(struct inspector *in)
{
	return in != NULL ? atomic_load(&in->fetches) : 0;
}
