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
	pthread_cond_t	 cv;	/* rows queued, or stop */
	pthread_cond_t	 done;	/* a batch was written */
	pthread_t	 thr;
	struct db	*db;
	struct qrow	*head, *tail;
	size_t		 n;
	int		 stop;
	int		 writing;
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

/* Write LIST (taken off the queue) in one transaction, then free it. */
static void
write_batch(struct auditq *q, struct qrow *list, size_t n)
{
	struct db_audit_row *rows;
	struct qrow *r, *next;
	struct rw_err err;
	size_t i = 0;

	rows = calloc(n, sizeof(*rows));
	rw_err_clear(&err);
	for (r = list; r != NULL && rows != NULL; r = r->next)
		rows[i++] = r->r;
	if (rows == NULL || db_audit_add_many(q->db, rows, n, &err) != RW_OK) {
		/* One by one, so one bad row does not cost the others. */
		for (r = list; r != NULL; r = r->next) {
			rw_err_clear(&err);
			if (db_audit_add(q->db, &r->r, &err) != RW_OK)
				log_warnx("cannot write an audit row (request "
				    "%s): %s", r->r.request_id, err.msg);
		}
	}
	free(rows);
	for (r = list; r != NULL; r = next) {
		next = r->next;
		free(r);
	}
}

static void *
writer(void *arg)
{
	struct auditq *q = arg;
	struct timespec ts;
	struct qrow *list;
	size_t n;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->n < AUDITQ_BATCH && !q->stop) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += AUDITQ_FLUSH_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&q->cv, &q->mu, &ts);
		}
		list = q->head;
		n = q->n;
		q->head = q->tail = NULL;
		q->n = 0;
		if (list == NULL && q->stop)
			break;
		q->writing = list != NULL;
		pthread_mutex_unlock(&q->mu);
		if (list != NULL)
			write_batch(q, list, n);
		pthread_mutex_lock(&q->mu);
		q->writing = 0;
		pthread_cond_broadcast(&q->done);
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
auditq_add(struct auditq *q, const struct db_audit_row *row)
{
	struct qrow *r = copy_row(row);
	struct rw_err err;

	pthread_mutex_lock(&q->mu);
	if (r != NULL && q->n < AUDITQ_MAX) {
		if (q->tail != NULL)
			q->tail->next = r;
		else
			q->head = r;
		q->tail = r;
		if (++q->n >= AUDITQ_BATCH)
			pthread_cond_signal(&q->cv);
		pthread_mutex_unlock(&q->mu);
		return;
	}
	pthread_mutex_unlock(&q->mu);
	/* Full (or out of memory): write it now rather than lose it. */
	rw_err_clear(&err);
	if (db_audit_add(q->db, row, &err) != RW_OK)
		log_warnx("cannot write an audit row (request %s): %s",
		    row->request_id, err.msg);
	free(r);
}

void
auditq_flush(struct auditq *q)
{
	pthread_mutex_lock(&q->mu);
	pthread_cond_signal(&q->cv);
	while (q->n > 0 || q->writing) {
		pthread_cond_signal(&q->cv);
		pthread_cond_wait(&q->done, &q->mu);
	}
	pthread_mutex_unlock(&q->mu);
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
