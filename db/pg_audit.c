/*
 * pg_audit.c - a batch of audit rows into PostgreSQL as one multi-row
 * INSERT: one round trip for the batch rather than one per row, which is
 * what keeps the audit writer ahead of the decisions.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db/internal.h"

/* S as a quoted literal (libpq's escaping), or NULL; appended to B. */
static int
add_lit(struct db *db, struct rw_buf *b, const char *s)
{
	char *q;
	int rc;

	if (s == NULL)
		return rw_buf_addf(b, "NULL");
	q = PQescapeLiteral(db->pg->conn, s, strlen(s));
	if (q == NULL)
		return RW_ENOMEM;
	rc = rw_buf_addf(b, "%s", q);
	PQfreemem(q);
	return rc;
}

static int
add_row(struct db *db, struct rw_buf *b, const struct db_audit_row *r)
{
	const char *text[] = { r->request_id, r->client, r->identity,
	    r->operation, r->upstream, r->host, r->repo, r->reference,
	    r->digest, r->verdict, r->mode, r->rule, r->rule_file };
	size_t i;
	int rc;

	rc = rw_buf_addf(b, "(%" PRId64, r->ts);
	for (i = 0; rc == RW_OK && i < sizeof(text) / sizeof(text[0]); i++) {
		rc = rw_buf_addf(b, ", ");
		if (rc == RW_OK)
			rc = add_lit(db, b, text[i]);
	}
	if (rc == RW_OK)
		rc = r->rule_line > 0 ? rw_buf_addf(b, ", %d, ", r->rule_line) :
		    rw_buf_addf(b, ", NULL, ");
	if (rc == RW_OK)
		rc = add_lit(db, b, r->reasons_json);
	if (rc == RW_OK)
		rc = rw_buf_addf(b, ", ");
	if (rc == RW_OK)
		rc = add_lit(db, b, r->message);
	if (rc == RW_OK)
		rc = rw_buf_addf(b, ")");
	return rc;
}

int
db_pg_audit_insert(struct db *db, const struct db_audit_row *rows, size_t n,
    struct rw_err *err)
{
	struct rw_buf b;
	size_t i;
	int rc;

	rc = db_pg_ready(db, err);
	if (rc != RW_OK)
		return rc;
	/* Escaping needs the connection (its encoding): it is up now. */
	rw_buf_init(&b, (size_t)64 << 20);
	rc = rw_buf_addf(&b, "INSERT INTO audit(ts, request_id, client, "
	    "identity, operation, upstream, host, repo, reference, digest, "
	    "verdict, mode, rule, rule_file, rule_line, reasons_json, message) "
	    "VALUES ");
	for (i = 0; rc == RW_OK && i < n; i++) {
		if (i > 0)
			rc = rw_buf_addf(&b, ", ");
		if (rc == RW_OK)
			rc = add_row(db, &b, &rows[i]);
	}
	if (rc != RW_OK) {
		rw_buf_free(&b);
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	rc = db_pg_exec(db, b.data);
	rw_buf_free(&b);
	return rc == RW_OK ? RW_OK : db_fail(db, rc, "pq_exec audit", err);
}
