/* scan_secret.c - the secret findings of scan reports: stored and read back. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

int
db_secrets_check(const struct db_scan_report *r, struct rw_err *err)
{
	const struct db_secret *s;
	size_t i;

	if (r->secrets == NULL && r->nsecrets > 0)
		return rw_err_set(err, RW_EINVAL, "db_scan_put: missing argument");
	for (i = 0; i < r->nsecrets; i++) {
		s = &r->secrets[i];
		if (s->target == NULL || s->rule_id == NULL)
			return rw_err_set(err, RW_EINVAL,
			    "db_scan_put: missing argument");
		if (s->severity < DB_SEV_UNKNOWN || s->severity > DB_SEV_CRITICAL)
			return rw_err_set(err, RW_EINVAL, "db_scan_put: secret "
			    "%zu has severity %d", i, s->severity);
	}
	return RW_OK;
}

int
db_secrets_insert(struct db *db, const struct db_scan_report *r, int64_t id,
    struct rw_err *err)
{
	static const char sql[] = "INSERT INTO scan_secrets(scan_id, target, "
	    "rule_id, title, line, severity) VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT DO NOTHING";
	const struct db_secret *s;
	const char *text[3];
	struct db_st *st;
	size_t i;
	int rc = RW_OK;

	if (r->nsecrets == 0)
		return RW_OK;
	rc = db_stmt(db, DB_ST_SCAN_SECRET, sql, &st, err);
	for (i = 0; rc == RW_OK && i < r->nsecrets; i++) {
		s = &r->secrets[i];
		text[0] = s->target;
		text[1] = s->rule_id;
		text[2] = s->title != NULL ? s->title : "";
		rc = db_bind_texts(db, st, 2, text, 3, err);
		if (rc == RW_OK && (db_bind_int64(st, 1, id) != RW_OK ||
		    db_bind_int64(st, 5, s->line > 0 ? s->line : 0) != RW_OK ||
		    db_bind_int64(st, 6, s->severity) != RW_OK))
			rc = db_bind_fail(db, err);
		if (rc != RW_OK) {
			db_stmt_done(st);
			break;
		}
		rc = db_step_done(db, st, err);
	}
	return rc;
}

void
db_secrets_free(struct db_secret *s, char **blocks, size_t n)
{
	size_t i;

	for (i = 0; blocks != NULL && i < n; i++)
		free(blocks[i]);
	free(blocks);
	free(s);
}

/* One more row of ST (target, rule_id, title, line, severity) into the arrays. */
static int
add_row(struct db_st *st, struct db_secret **s, char ***blocks, size_t *n,
    size_t *alloc)
{
	static const int cols[] = { 0, 1, 2 };
	const char *t[3];
	struct db_secret *ns;
	char **nb;
	size_t na;

	if (*n == *alloc) {
		na = *alloc > 0 ? *alloc * 2 : 8;
		ns = realloc(*s, na * sizeof(**s));
		if (ns == NULL)
			return RW_ENOMEM;
		*s = ns;
		nb = realloc(*blocks, na * sizeof(**blocks));
		if (nb == NULL)
			return RW_ENOMEM;
		*blocks = nb;
		*alloc = na;
	}
	(*blocks)[*n] = db_copy_texts(st, cols, 3, t);
	if ((*blocks)[*n] == NULL)
		return RW_ENOMEM;
	(*s)[*n].target = t[0];
	(*s)[*n].rule_id = t[1];
	(*s)[*n].title = t[2];
	(*s)[*n].line = (int)db_col_int64(st, 3);
	(*s)[*n].severity = (int)db_col_int64(st, 4);
	(*n)++;
	return RW_OK;
}

int
db_secrets_read(struct db *db, int64_t id, struct db_secret **out,
    char ***blocks, size_t *n, struct rw_err *err)
{
	static const char sql[] = "SELECT target, rule_id, title, line, "
	    "severity FROM scan_secrets WHERE scan_id = ?1 "
	    "ORDER BY target, rule_id, line";
	struct db_st *st;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*blocks = NULL;
	*n = 0;
	rc = db_stmt(db, DB_ST_SCAN_SECRETS, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	if (db_bind_int64(st, 1, id) != RW_OK) {
		rc = db_bind_fail(db, err);
		goto out;
	}
	for (;;) {
		rc = db_step(st);
		if (rc != DB_ROW)
			break;
		if (add_row(st, out, blocks, n, &alloc) != RW_OK) {
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = db_step_rc(db, rc, err);
out:
	db_stmt_done(st);
	return rc;
}
