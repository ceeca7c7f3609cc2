/*
 * scan_shared.c - the scanner's single flight across replicas, through
 * claims in the shared database (db_scan_claim): the scanner hooks of
 * struct scanner_shared.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "db/db.h"
#include "server/internal.h"
#include "server/scanner.h"

/* How long a finished claim is kept: the scanner's own "recently" guard. */
#define CLAIM_KEEP_S	60

struct scan_shared {
	struct db	*db;
	char		 owner[96];	/* host:pid:random, unique per process */
};

static int
hook_claim(void *arg, const char *digest, int lease_s, char *msg,
    size_t size)
{
	struct scan_shared *c = arg;
	struct rw_err err;
	int rc;

	rw_err_clear(&err);
	rc = db_scan_claim(c->db, digest, c->owner, (int64_t)time(NULL),
	    lease_s, &err);
	if (rc < 0)
		snprintf(msg, size, "cannot claim the scan: %s", err.msg);
	return rc;
}

static int
hook_poll(void *arg, const char *digest, char *msg, size_t size)
{
	struct scan_shared *c = arg;
	struct rw_err err;
	int st;

	rw_err_clear(&err);
	/* A database that does not answer: keep waiting, within the hold. */
	if (db_scan_claim_get(c->db, digest, (int64_t)time(NULL), &st, msg,
	    size, &err) != RW_OK)
		return SCAN_PENDING;
	switch (st) {
	case DB_CLAIM_RUNNING:
		return SCAN_PENDING;
	case DB_CLAIM_DONE:
		return SCAN_DONE;
	case DB_CLAIM_FAILED:
		return SCAN_FAILED;
	default:
		return -1;
	}
}

static void
hook_end(void *arg, const char *digest, int ok, const char *msg)
{
	struct scan_shared *c = arg;
	struct rw_err err;

	rw_err_clear(&err);
	if (db_scan_claim_end(c->db, digest, c->owner, ok ? DB_CLAIM_DONE :
	    DB_CLAIM_FAILED, msg, (int64_t)time(NULL), CLAIM_KEEP_S,
	    &err) != RW_OK)
		log_warnx("scan of %s: cannot end its claim: %s (the other "
		    "replicas wait until the claim expires)", digest, err.msg);
}

int
scan_shared_attach(struct server *srv)
{
	struct scanner_shared sh;
	struct scan_shared *c;
	unsigned char rnd[6];
	char host[64];

	if (srv->scanner == NULL)
		return RW_OK;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return RW_ENOMEM;
	if (gethostname(host, sizeof(host)) != 0)
		rw_strlcpy(host, "?", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	c->db = srv->db;
	snprintf(c->owner, sizeof(c->owner),
	    "%.60s:%ld:%02x%02x%02x%02x%02x%02x", host, (long)getpid(), rnd[0],
	    rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
	sh.claim = hook_claim;
	sh.poll = hook_poll;
	sh.end = hook_end;
	sh.arg = c;
	scanner_set_shared(srv->scanner, &sh);
	srv->scan_shared = c;
	return RW_OK;
}

void
scan_shared_free(struct scan_shared *c)
{
	free(c);
}
