/*
 * pg_audit.c - a batch of audit rows into PostgreSQL with COPY: one
 * statement (so all or none) whose rows the server neither parses nor
 * plans, which is what keeps the audit writer ahead of the decisions.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db/internal.h"

/* Bytes gathered before they go to the connection. */
#define COPY_CHUNK	(64 * 1024)
/* The most one row may take in COPY's text (the batch is sent in chunks). */
#define AUDIT_ROW_MAX	((size_t)16 << 20)

static const char copy_sql[] = "COPY audit(ts, request_id, client, identity, "
    "operation, upstream, host, repo, reference, digest, verdict, mode, rule, "
    "rule_file, rule_line, reasons_json, message) FROM STDIN";

/*
 * S as a field of COPY's text format, after a tab unless FIRST: "\N" for
 * NULL, and the four bytes the format gives a meaning (backslash, tab, new
 * line, carriage return) escaped, so no text can end a row or the data.
 */
static int
add_field(struct rw_buf *b, const char *s, int first)
{
	const char *p, *run;
	char esc[2] = { '\\', 0 };
	int rc = RW_OK;

	if (!first)
		rc = rw_buf_add(b, "\t", 1);
	if (rc != RW_OK)
		return rc;
	if (s == NULL)
		return rw_buf_add(b, "\\N", 2);
	for (run = p = s; rc == RW_OK && *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			esc[1] = '\\';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		default:
			continue;
		}
		rc = rw_buf_add(b, run, (size_t)(p - run));
		if (rc == RW_OK)
			rc = rw_buf_add(b, esc, 2);
		run = p + 1;
	}
	return rc == RW_OK ? rw_buf_add(b, run, (size_t)(p - run)) : rc;
}

static int
add_row(struct rw_buf *b, const struct db_audit_row *r)
{
	const char *text[] = { r->request_id, r->client, r->identity,
	    r->operation, r->upstream, r->host, r->repo, r->reference,
	    r->digest, r->verdict, r->mode, r->rule, r->rule_file };
	char num[24];
	size_t i;
	int rc;

	snprintf(num, sizeof(num), "%" PRId64, r->ts);
	rc = add_field(b, num, 1);
	for (i = 0; rc == RW_OK && i < sizeof(text) / sizeof(text[0]); i++)
		rc = add_field(b, text[i], 0);
	snprintf(num, sizeof(num), "%d", r->rule_line);
	if (rc == RW_OK)
		rc = add_field(b, r->rule_line > 0 ? num : NULL, 0);
	if (rc == RW_OK)
		rc = add_field(b, r->reasons_json, 0);
	if (rc == RW_OK)
		rc = add_field(b, r->message, 0);
	return rc == RW_OK ? rw_buf_add(b, "\n", 1) : rc;
}

int
db_pg_audit_insert(struct db *db, const struct db_audit_row *rows, size_t n,
    struct rw_err *err)
{
	struct rw_buf b;
	size_t i;
	int rc, built = RW_OK;

	rc = db_pg_ready(db, err);
	if (rc != RW_OK)
		return rc;
	if (db_pg_copy_begin(db, copy_sql) != RW_OK)
		return db_fail(db, DB_PG_FAIL, "pq_copy audit", err);
	rw_buf_init(&b, AUDIT_ROW_MAX);
	for (i = 0; rc == RW_OK && built == RW_OK && i < n; i++) {
		built = add_row(&b, &rows[i]);
		if (built == RW_OK && (b.len >= COPY_CHUNK || i + 1 == n)) {
			rc = db_pg_copy_put(db, b.data, b.len);
			rw_buf_reset(&b);
		}
	}
	rw_buf_free(&b);
	/*
	 * Ended either way, so the connection leaves COPY; a row that could
	 * not be built aborts it, and then none is written.
	 */
	if (db_pg_copy_end(db, rc != RW_OK || built != RW_OK ?
	    "regwarden gave up the batch" : NULL) != RW_OK && rc == RW_OK)
		rc = DB_PG_FAIL;
	if (built != RW_OK)
		return rw_err_set(err, built, "pq_copy audit: %s",
		    built == RW_ETOOBIG ? "a row is too big" : "out of memory");
	return rc == RW_OK ? RW_OK : db_fail(db, rc, "pq_copy audit", err);
}
