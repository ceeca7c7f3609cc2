/* rescan.c - scheduled rescans of the images pulled recently. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/rescan.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "server/scanner.h"
#include "util/util.h"

/* At most this many images a round: a bound, not a expected size. */
#define RESCAN_MAX	4096

struct rescan {
	pthread_t	 thr;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;	/* CLOCK_MONOTONIC */
	int		 stop;
	struct db	*db;
	struct scanner	*sc;
	uint64_t	 every_ms;
	int64_t		 within_s;
};

/* The images of one round: "host/repo@digest" refs, distinct digests. */
struct round {
	char	(*ref)[600];
	char	(*digest)[RW_DIGEST_MAX];
	size_t	 n;
};

static int
collect(const struct db_audit_row *r, void *arg)
{
	struct round *rd = arg;
	size_t i;

	/* Images in use: admitted pulls (and the HEADs nodes resolve by). */
	if (r->digest == NULL || r->digest[0] == '\0' ||
	    (strcmp(r->verdict, "allow") != 0 &&
	    strcmp(r->verdict, "warn") != 0) ||
	    strcmp(r->operation, "push") == 0)
		return 0;
	for (i = 0; i < rd->n; i++)
		if (strcmp(rd->digest[i], r->digest) == 0)
			return 0;
	if (rd->n == RESCAN_MAX)
		return 0;
	rw_strlcpy(rd->digest[rd->n], r->digest, sizeof(rd->digest[0]));
	snprintf(rd->ref[rd->n], sizeof(rd->ref[0]), "%s/%s@%s",
	    r->host[0] != '\0' ? r->host : r->upstream, r->repo, r->digest);
	rd->n++;
	return 0;
}

/* One round: every image admitted within the window goes to the scanner. */
static void
round_run(struct rescan *rs)
{
	struct db_audit_filter f;
	struct round rd;
	struct rw_err err;
	size_t i, queued = 0;

	memset(&rd, 0, sizeof(rd));
	rd.ref = calloc(RESCAN_MAX, sizeof(*rd.ref));
	rd.digest = calloc(RESCAN_MAX, sizeof(*rd.digest));
	if (rd.ref == NULL || rd.digest == NULL) {
		log_warnx("rescan: out of memory; next round at the next "
		    "interval");
		goto out;
	}
	memset(&f, 0, sizeof(f));
	f.since = (int64_t)time(NULL) - rs->within_s;
	rw_err_clear(&err);
	if (db_audit_query(rs->db, &f, collect, &rd, &err) != RW_OK) {
		log_warnx("rescan: cannot read the audit log: %s", err.msg);
		goto out;
	}
	for (i = 0; i < rd.n; i++)
		queued += (size_t)scanner_submit(rs->sc, rd.ref[i],
		    rd.digest[i]);
	log_info("rescan: %zu image%s pulled in the last %lld day%s, %zu "
	    "queued for the scanner", rd.n, rd.n == 1 ? "" : "s",
	    (long long)(rs->within_s / 86400), rs->within_s / 86400 == 1 ?
	    "" : "s", queued);
out:
	free(rd.ref);
	free(rd.digest);
}

static void *
loop(void *arg)
{
	struct rescan *rs = arg;
	struct timespec ts;
	uint64_t ns;

	pthread_mutex_lock(&rs->mu);
	while (!rs->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ns = (uint64_t)ts.tv_nsec + (rs->every_ms % 1000) * 1000000u;
		ts.tv_sec += (time_t)(rs->every_ms / 1000 + ns / 1000000000u);
		ts.tv_nsec = (long)(ns % 1000000000u);
		while (!rs->stop && pthread_cond_timedwait(&rs->cv, &rs->mu,
		    &ts) != ETIMEDOUT)
			;
		if (rs->stop)
			break;
		pthread_mutex_unlock(&rs->mu);
		round_run(rs);
		pthread_mutex_lock(&rs->mu);
	}
	pthread_mutex_unlock(&rs->mu);
	return NULL;
}

struct rescan *
rescan_start(struct db *db, struct scanner *sc, uint64_t every_ms,
    int64_t within_s, struct rw_err *err)
{
	struct rescan *rs = calloc(1, sizeof(*rs));
	pthread_condattr_t ca;

	if (rs == NULL) {
		rw_err_set(err, RW_ENOMEM, "out of memory");
		return NULL;
	}
	rs->db = db;
	rs->sc = sc;
	rs->every_ms = every_ms > 0 ? every_ms : 1;
	rs->within_s = within_s;
	pthread_mutex_init(&rs->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rs->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&rs->thr, NULL, loop, rs) != 0) {
		pthread_cond_destroy(&rs->cv);
		pthread_mutex_destroy(&rs->mu);
		free(rs);
		rw_err_set(err, RW_ENOMEM, "cannot start the rescan thread");
		return NULL;
	}
	return rs;
}

void
rescan_stop(struct rescan *rs)
{
	if (rs == NULL)
		return;
	pthread_mutex_lock(&rs->mu);
	rs->stop = 1;
	pthread_cond_signal(&rs->cv);
	pthread_mutex_unlock(&rs->mu);
	pthread_join(rs->thr, NULL);
	pthread_cond_destroy(&rs->cv);
	pthread_mutex_destroy(&rs->mu);
	free(rs);
}
