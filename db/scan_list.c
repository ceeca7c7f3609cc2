/* scan_list.c - every stored scan, with its digests and images, for `scans ls`. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/* A scan's ordering key: its scan time, or its import time if it has none. */
#define WHEN(s)	"coalesce(" s ".scanned_at, " s ".imported_at)"

#define COUNT(sev)							\
	"(SELECT count(*) FROM vulns v WHERE v.scan_id = s.id "		\
	"AND v.severity = " #sev "), "

/*
 * Columns: 0 id, 1 scanned_at, 2 imported_at, 3 max_severity, 4 nfindings,
 * 5-10 counts per severity, 11 superseded, then the texts 12 scanner,
 * 13 scanner_version, 14 db_version, 15 artifact, 16 report_digest,
 * 17 digests, 18 images.  Manifests are found through the indexes on
 * manifests(digest) and manifest_blobs(blob_digest, kind).
 */
static const char list_sql[] = "SELECT s.id, s.scanned_at, s.imported_at, "
    "s.max_severity, s.nfindings, "
    COUNT(0) COUNT(1) COUNT(2) COUNT(3) COUNT(4) COUNT(5)
    "EXISTS(SELECT 1 FROM scan_digests d "
    "  JOIN scan_digests o ON o.digest = d.digest "
    "  JOIN scans n ON n.id = o.scan_id "
    "  WHERE d.scan_id = s.id AND n.id <> s.id AND "
    "  (" WHEN("n") " > " WHEN("s") " OR "
    "  (" WHEN("n") " = " WHEN("s") " AND n.id > s.id))), "
    "s.scanner, s.scanner_version, s.db_version, s.artifact, "
    "s.report_digest, "
    "(SELECT group_concat(kind || ' ' || digest, ' ') FROM "
    "  (SELECT kind, digest FROM scan_digests WHERE scan_id = s.id "
    "  ORDER BY CASE kind WHEN 'manifest' THEN 1 WHEN 'index' THEN 2 "
    "  ELSE 3 END, digest) AS k), "
    "(SELECT group_concat(name, ' ') FROM "
    "  (SELECT m.upstream || '/' || m.repo AS name FROM scan_digests d "
    "  JOIN manifests m ON m.digest = d.digest WHERE d.scan_id = s.id "
    "  UNION SELECT b.upstream || '/' || b.repo FROM scan_digests d "
    "  JOIN manifest_blobs b ON b.blob_digest = d.digest "
    "  AND b.kind = 'config' WHERE d.scan_id = s.id AND d.kind = 'config' "
    "  ORDER BY 1) AS n) "
    "FROM scans s WHERE s.max_severity >= ?1 "
    "ORDER BY " WHEN("s") " DESC, s.id DESC";

struct scan_list {
	struct db_scan_row	*rows;
	char			**mem;
	size_t			 n;
	size_t			 alloc;
};

static void
scan_list_free(struct scan_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->mem[i]);
	free(l->rows);
	free(l->mem);
}

static int
grow(struct scan_list *l)
{
	struct db_scan_row *nr;
	char **nm;
	size_t na;

	if (l->n < l->alloc)
		return RW_OK;
	na = l->alloc > 0 ? l->alloc * 2 : 16;
	nr = realloc(l->rows, na * sizeof(*nr));
	if (nr == NULL)
		return RW_ENOMEM;
	l->rows = nr;
	nm = realloc(l->mem, na * sizeof(*nm));
	if (nm == NULL)
		return RW_ENOMEM;
	l->mem = nm;
	l->alloc = na;
	return RW_OK;
}

static int
add_row(struct scan_list *l, struct db_st *st)
{
	static const int cols[] = { 12, 13, 14, 15, 16, 17, 18 };
	struct db_scan_row *r;
	const char *s[7];
	size_t i;

	if (grow(l) != RW_OK)
		return RW_ENOMEM;
	l->mem[l->n] = db_copy_texts(st, cols, 7, s);
	if (l->mem[l->n] == NULL)
		return RW_ENOMEM;
	r = &l->rows[l->n++];
	memset(r, 0, sizeof(*r));
	r->id = db_col_int64(st, 0);
	r->scanned_at = db_col_is_null(st, 1) ? -1 :
	    db_col_int64(st, 1);
	r->imported_at = db_col_int64(st, 2);
	r->max_severity = db_col_int64(st, 3);
	r->nfindings = (size_t)db_col_int64(st, 4);
	for (i = 0; i < DB_SEV_COUNT; i++)
		r->counts[i] = (size_t)db_col_int64(st, 5 + (int)i);
	r->superseded = db_col_int64(st, 11) != 0;
	r->scanner = s[0];
	r->scanner_version = s[1];
	r->db_version = s[2];
	r->artifact = s[3];
	r->report_digest = s[4];
	r->digests = s[5];
	r->images = s[6];
	return RW_OK;
}

static int
read_scans(struct db *db, int failing_min, struct scan_list *l,
    struct rw_err *err)
{
	struct db_st *st = NULL;
	int rc;

	db = db_lock(db);
	rc = db_stmt(db, DB_ST_SCAN_LIST, list_sql, &st, err);
	if (rc != RW_OK)
		goto out;
	if (db_bind_int64(st, 1, failing_min) != RW_OK) {
		rc = db_bind_fail(db, err);
		goto out;
	}
	for (;;) {
		rc = db_step(st);
		if (rc != DB_ROW)
			break;
		if (add_row(l, st) != RW_OK) {
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = db_step_rc(db, rc, err);
out:
	if (st != NULL)
		db_stmt_done(st);
	db_unlock(db);
	return rc;
}

/* Whether GLOB matches NAME (N bytes); RW_ENOMEM on failure. */
static int
glob_n(const char *glob, const char *name, size_t n)
{
	char *s;
	int rc;

	s = strndup(name, n);
	if (s == NULL)
		return RW_ENOMEM;
	rc = db_glob_match(glob, s);
	free(s);
	return rc;
}

/* The artifact without ":tag" or "@digest" after its last slash. */
static size_t
artifact_name_len(const char *a)
{
	const char *slash = strrchr(a, '/'), *at = strchr(a, '@'), *colon;

	if (at != NULL)
		return (size_t)(at - a);
	colon = strchr(slash != NULL ? slash : a, ':');
	return colon != NULL ? (size_t)(colon - a) : strlen(a);
}

/* Whether row R has an image or artifact matching GLOB: 1, 0 or RW_ENOMEM. */
static int
row_matches(const char *glob, const struct db_scan_row *r)
{
	const char *p = r->images, *sp, *slash;
	size_t n;
	int rc;

	while (*p != '\0') {
		sp = strchr(p, ' ');
		n = sp != NULL ? (size_t)(sp - p) : strlen(p);
		rc = glob_n(glob, p, n);
		slash = memchr(p, '/', n);
		if (rc == 0 && slash != NULL)
			rc = glob_n(glob, slash + 1, n - (size_t)(slash + 1 - p));
		if (rc != 0)
			return rc;
		p += n;
		if (*p == ' ')
			p++;
	}
	if (r->artifact[0] == '\0')
		return 0;
	return glob_n(glob, r->artifact, artifact_name_len(r->artifact));
}

int
db_scan_list(struct db *db, const char *repo_glob, int failing_min,
    db_scan_cb cb, void *arg, struct rw_err *err)
{
	struct scan_list l;
	size_t i, k = 0;
	int rc;

	if (failing_min < 0 || failing_min > DB_SEV_CRITICAL)
		return rw_err_set(err, RW_EINVAL, "db_scan_list: severity %d is "
		    "out of range", failing_min);
	memset(&l, 0, sizeof(l));
	rc = read_scans(db, failing_min, &l, err);
	/* Filter first, so that CB never runs when filtering fails. */
	for (i = 0; rc == RW_OK && i < l.n; i++) {
		if (failing_min > 0 && l.rows[i].superseded)
			continue;
		rc = repo_glob != NULL ? row_matches(repo_glob, &l.rows[i]) : 1;
		if (rc < 0) {
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
			break;
		}
		if (rc == 1)
			l.rows[k++] = l.rows[i];
		rc = RW_OK;
	}
	for (i = 0; rc == RW_OK && i < k; i++)
		rc = cb(&l.rows[i], arg);
	scan_list_free(&l);
	return rc;
}
