/* auditq.c - audit rows queued and written in batches. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/auditq.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A row with its strings in the same allocation. */
struct qrow {
	struct qrow		*next;
	struct db_audit_row	 r;
	char			 data[];
};

struct auditq {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;	/* rows due, a flush, or stop */
	pthread_cond_t	 done;	/* a write was tried */
	pthread_t	 thr;
	struct db	*db;
	struct qrow	*head, *tail;
	size_t		 n;		/* rows queued */
	size_t		 inflight;	/* rows being written */
	unsigned	 tries;		/* writes tried, for auditq_flush */
	int		 flushers;	/* threads waiting in auditq_flush */
	int		 stop;
	int		 fail_code;	/* RW_OK, or the last write's failure */
	int		 retention_days;	/* 0: keep every row */
	uint64_t	 next_prune_ms;
	uint64_t	 pruned;
	int		 index_days;	/* layer_index retention, 0: off */
	uint64_t	 next_index_ms;
	uint64_t	 index_pruned;
	uint64_t	 index_round;	/* rows deleted in this round */
	char		 fail_msg[sizeof(((struct rw_err *)0)->msg)];
};

static size_t
slen(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static const char *
put(char **p, const char *s)
{
	size_t n;
	char *d = *p;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	memcpy(d, s, n);
	*p += n;
	return d;
}

static struct qrow *
copy_row(const struct db_audit_row *r)
{
	size_t n = slen(r->request_id) + slen(r->client) + slen(r->identity) +
	    slen(r->operation) + slen(r->upstream) + slen(r->host) +
	    slen(r->repo) + slen(r->reference) + slen(r->digest) +
	    slen(r->verdict) + slen(r->mode) + slen(r->rule) +
	    slen(r->rule_file) + slen(r->reasons_json) + slen(r->message);
	struct qrow *q = malloc(sizeof(*q) + n);
	char *p;

	if (q == NULL)
		return NULL;
	p = q->data;
	q->next = NULL;
	q->r = *r;
	q->r.request_id = put(&p, r->request_id);
	q->r.client = put(&p, r->client);
	q->r.identity = put(&p, r->identity);
	q->r.operation = put(&p, r->operation);
	q->r.upstream = put(&p, r->upstream);
	q->r.host = put(&p, r->host);
	q->r.repo = put(&p, r->repo);
	q->r.reference = put(&p, r->reference);
	q->r.digest = put(&p, r->digest);
	q->r.verdict = put(&p, r->verdict);
	q->r.mode = put(&p, r->mode);
	q->r.rule = put(&p, r->rule);
	q->r.rule_file = put(&p, r->rule_file);
	q->r.reasons_json = put(&p, r->reasons_json);
	q->r.message = put(&p, r->message);
	return q;
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "-";
}

static void
free_rows(struct qrow *list)
{
	struct qrow *next;

	for (; list != NULL; list = next) {
		next = list->next;
		free(list);
	}
}

/* Try LIST (N rows, off the queue) in one transaction.  RW_OK: written. */
static int
write_batch(struct auditq *q, struct qrow *list, size_t n, struct rw_err *err)
{
	struct db_audit_row *rows = calloc(n, sizeof(*rows));
	struct qrow *r;
	size_t i = 0;
	int rc;

	if (rows == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (r = list; r != NULL; r = r->next)
		rows[i++] = r->r;
	/*
	 * All or none: a row the store refuses for what it is cannot get
	 * here (auditq_add checks it), so a failure is the store's and the
	 * whole batch waits for the next try.
	 */
	rc = db_audit_add_many(q->db, rows, n, err);
	free(rows);
	return rc;
}

/* The store failed on the batch LIST..LAST (N rows): back to the front of
 * the queue, in order, for the next try. */
static void
requeue(struct auditq *q, struct qrow *list, struct qrow *last, size_t n,
    const struct rw_err *err)
{
	last->next = q->head;
	if (q->head == NULL)
		q->tail = last;
	q->head = list;
	q->n += n;
	if (q->fail_code == RW_OK)
		log_warnx("cannot write the audit log (%s): %zu row%s kept "
		    "and tried again every %d ms; until a write succeeds, "
		    "decisions are refused rather than served unaudited",
		    err->msg, q->n, q->n == 1 ? "" : "s", AUDITQ_RETRY_MS);
	q->fail_code = err->code != RW_OK ? err->code : RW_EDB;
	rw_strlcpy(q->fail_msg, err->msg, sizeof(q->fail_msg));
}

/* Shutting down and the store still fails: the log is the last record. */
static void
drop_lost(struct qrow *list, const struct rw_err *err)
{
	const struct db_audit_row *a;
	struct qrow *r;

	for (r = list; r != NULL; r = r->next) {
		a = &r->r;
		log_warnx("audit row lost at shutdown (%s): request %s, "
		    "client %s, %s %s/%s %s, digest %s, verdict %s, rule %s",
		    err->msg, str(a->request_id), str(a->client),
		    a->operation, str(a->host), a->repo, str(a->reference),
		    str(a->digest), a->verdict, str(a->rule));
	}
	free_rows(list);
}

static int
due(const struct auditq *q)
{
	if (q->stop)
		return 1;
	if (q->head == NULL)
		return 0;
	return q->flushers > 0 || (q->fail_code == RW_OK &&
	    q->n >= AUDITQ_BATCH);
}

/* Sleep until rows are due or a flush period (a retry period while the
 * store fails) has passed. */
static void
nap(struct auditq *q)
{
	long ms = q->fail_code != RW_OK ? AUDITQ_RETRY_MS : AUDITQ_FLUSH_MS;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&q->cv, &q->mu, &ts);
}

/* The batch LIST..LAST (N rows) was tried with result RC: account for it. */
static void
settle(struct auditq *q, struct qrow *list, struct qrow *last, size_t n,
    int rc, const struct rw_err *err)
{
	q->inflight = 0;
	q->tries++;
	if (rc == RW_OK) {
		if (q->fail_code != RW_OK)
			log_info("the audit log is written again: the %zu "
			    "row%s that waited %s in", n, n == 1 ? "" : "s",
			    n == 1 ? "is" : "are");
		q->fail_code = RW_OK;
		q->fail_msg[0] = '\0';
		free_rows(list);
	} else if (q->stop) {
		drop_lost(list, err);
	} else {
		requeue(q, list, last, n, err);
	}
	pthread_cond_broadcast(&q->done);
}

/*
 * One batch of retention, when it is time and nothing waits to be written.
 * Q->mu held; released around the delete.  Returns 1 when it ran.
 */
static int
prune_step(struct auditq *q)
{
	struct rw_err err;
	int64_t before;
	uint64_t now = rw_now_ms();
	int n;

	if (q->retention_days <= 0 || q->stop || q->head != NULL ||
	    q->fail_code != RW_OK || now < q->next_prune_ms)
		return 0;
	before = (int64_t)time(NULL) - (int64_t)q->retention_days * 86400;
	pthread_mutex_unlock(&q->mu);
	rw_err_clear(&err);
	n = db_audit_prune(q->db, before, AUDITQ_PRUNE_BATCH, &err);
	if (n < 0)
		log_warnx("audit retention: %s (trying again in %d s)", err.msg,
		    AUDITQ_PRUNE_EVERY_MS / 1000);
	pthread_mutex_lock(&q->mu);
	if (n > 0)
		q->pruned += (uint64_t)n;
	/* A full batch: more are old; go on after the next look at rows. */
	q->next_prune_ms = n == AUDITQ_PRUNE_BATCH ? now :
	    now + AUDITQ_PRUNE_EVERY_MS;
	return 1;
}

/*
 * One batch of layer index retention, on the terms of prune_step (Q->mu
 * held; released around the delete).  Returns 1 when it ran.
 */
static int
index_step(struct auditq *q)
{
	struct rw_err err;
	int64_t before;
	uint64_t now = rw_now_ms();
	int n, days = q->index_days;

	if (days <= 0 || q->stop || q->head != NULL ||
	    q->fail_code != RW_OK || now < q->next_index_ms)
		return 0;
	before = (int64_t)time(NULL) - (int64_t)days * 86400;
	pthread_mutex_unlock(&q->mu);
	rw_err_clear(&err);
	n = db_layer_index_prune(q->db, before, AUDITQ_PRUNE_BATCH, &err);
	if (n < 0)
		log_warnx("layer index retention: %s (trying again in %d s)",
		    err.msg, AUDITQ_PRUNE_EVERY_MS / 1000);
	pthread_mutex_lock(&q->mu);
	if (n > 0) {
		q->index_pruned += (uint64_t)n;
		q->index_round += (uint64_t)n;
	}
	if (n >= 0 && n < AUDITQ_PRUNE_BATCH && q->index_round > 0) {
		log_info("layer index retention: %llu indexes of layers no "
		    "manifest references, read more than %d days ago, "
		    "deleted", (unsigned long long)q->index_round, days);
		q->index_round = 0;
	}
	q->next_index_ms = n == AUDITQ_PRUNE_BATCH ? now :
	    now + AUDITQ_PRUNE_EVERY_MS;
	return 1;
}

static void *
writer(void *arg)
{
	struct auditq *q = arg;
	struct qrow *list, *last;
	struct rw_err err;
	size_t n;
	int rc;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (!due(q) && !prune_step(q) && !index_step(q))
			nap(q);
		if (q->head == NULL) {
			if (q->stop)
				break;
			continue;
		}
		list = q->head;
		last = q->tail;
		n = q->n;
		q->head = q->tail = NULL;
		q->n = 0;
		q->inflight = n;
		pthread_mutex_unlock(&q->mu);
		rw_err_clear(&err);
		rc = write_batch(q, list, n, &err);
		pthread_mutex_lock(&q->mu);
		settle(q, list, last, n, rc, &err);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct auditq *
auditq_new(struct db *db, struct rw_err *err)
{
	struct auditq *q = calloc(1, sizeof(*q));

	if (q == NULL) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return NULL;
	}
	q->db = db;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	pthread_cond_init(&q->done, NULL);
	if (pthread_create(&q->thr, NULL, writer, q) != 0) {
		rw_err_set(err, RW_ENOMEM, "cannot start the audit writer");
		pthread_cond_destroy(&q->cv);
		pthread_cond_destroy(&q->done);
		pthread_mutex_destroy(&q->mu);
		free(q);
		return NULL;
	}
	return q;
}

void
auditq_set_retention(struct auditq *q, int days)
{
	pthread_mutex_lock(&q->mu);
	q->retention_days = days > 0 ? days : 0;
	q->next_prune_ms = 0;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void
auditq_set_index_retention(struct auditq *q, int days)
{
	pthread_mutex_lock(&q->mu);
	q->index_days = days > 0 ? days : 0;
	q->next_index_ms = 0;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

uint64_t
auditq_index_pruned(struct auditq *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->mu);
	n = q->index_pruned;
	pthread_mutex_unlock(&q->mu);
	return n;
}

uint64_t
auditq_pruned(struct auditq *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->mu);
	n = q->pruned;
	pthread_mutex_unlock(&q->mu);
	return n;
}

/* Why rows are refused while the store fails; Q->mu held. */
static int
failure(const struct auditq *q, struct rw_err *err)
{
	return rw_err_set(err, q->fail_code, "its last write failed (%s)",
	    q->fail_msg);
}

int
auditq_add(struct auditq *q, const struct db_audit_row *row,
    struct rw_err *err)
{
	struct qrow *r;
	int rc;

	rc = db_audit_check(row, err);
	if (rc != RW_OK)
		return rc;
	r = copy_row(row);
	if (r == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	pthread_mutex_lock(&q->mu);
	if (q->fail_code != RW_OK)
		rc = failure(q, err);
	else if (q->n + q->inflight >= AUDITQ_MAX)
		rc = rw_err_set(err, RW_EBUSY, "%d rows are waiting to be "
		    "written", AUDITQ_MAX);
	else {
		if (q->tail != NULL)
			q->tail->next = r;
		else
			q->head = r;
		q->tail = r;
		if (++q->n >= AUDITQ_BATCH)
			pthread_cond_signal(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	if (rc != RW_OK)
		free(r);
	return rc;
}

int
auditq_flush(struct auditq *q, struct rw_err *err)
{
	unsigned start;
	int rc = RW_OK;

	pthread_mutex_lock(&q->mu);
	start = q->tries;
	q->flushers++;
	while (q->n + q->inflight > 0) {
		if (q->fail_code != RW_OK && q->tries != start) {
			rc = failure(q, err);
			break;
		}
		pthread_cond_signal(&q->cv);
		pthread_cond_wait(&q->done, &q->mu);
	}
	q->flushers--;
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int
auditq_state(struct auditq *q, size_t *waiting, struct rw_err *err)
{
	int rc = RW_OK;

	pthread_mutex_lock(&q->mu);
	if (waiting != NULL)
		*waiting = q->n + q->inflight;
	if (q->fail_code != RW_OK)
		rc = failure(q, err);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void
auditq_free(struct auditq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thr, NULL);
	pthread_cond_destroy(&q->cv);
	pthread_cond_destroy(&q->done);
	pthread_mutex_destroy(&q->mu);
	free(q);
}
