/* scan.c - imported scan reports: storing one, and the verdict for a digest. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

static const char *
kind_name(int kind)
{
	switch (kind) {
	case DB_DIGEST_MANIFEST:
		return "manifest";
	case DB_DIGEST_CONFIG:
		return "config";
	case DB_DIGEST_INDEX:
		return "index";
	}
	return NULL;
}

static int
kind_of(const char *name)
{
	if (strcmp(name, "manifest") == 0)
		return DB_DIGEST_MANIFEST;
	if (strcmp(name, "config") == 0)
		return DB_DIGEST_CONFIG;
	return DB_DIGEST_INDEX;
}

/* "" for NULL: optional text is stored as an empty string, never NULL. */
static const char *
opt(const char *s)
{
	return s != NULL ? s : "";
}

static int
check_report(const struct db_scan_report *r, struct rw_err *err)
{
	const struct db_finding *f;
	size_t i;

	if (r == NULL || r->scanner == NULL || r->report_digest == NULL ||
	    r->digests == NULL || r->digest_kinds == NULL || r->ndigests == 0 ||
	    (r->findings == NULL && r->nfindings > 0))
		return rw_err_set(err, RW_EINVAL, "db_scan_put: missing argument");
	if (strcmp(r->scanner, "trivy") != 0 && strcmp(r->scanner, "grype") != 0)
		return rw_err_set(err, RW_EINVAL, "db_scan_put: unknown scanner "
		    "\"%s\"", r->scanner);
	for (i = 0; i < r->ndigests; i++) {
		if (r->digests[i] == NULL)
			return rw_err_set(err, RW_EINVAL,
			    "db_scan_put: missing argument");
		if (kind_name(r->digest_kinds[i]) == NULL)
			return rw_err_set(err, RW_EINVAL, "db_scan_put: digest "
			    "%zu has an unknown kind", i);
	}
	for (i = 0; i < r->nfindings; i++) {
		f = &r->findings[i];
		if (f->id == NULL || f->pkg == NULL)
			return rw_err_set(err, RW_EINVAL,
			    "db_scan_put: missing argument");
		if (f->severity < DB_SEV_UNKNOWN || f->severity > DB_SEV_CRITICAL)
			return rw_err_set(err, RW_EINVAL, "db_scan_put: finding "
			    "%zu has severity %d", i, f->severity);
	}
	return db_secrets_check(r, err);
}

int
db_scans_bump(struct db *db, struct rw_err *err)
{
	static const char sql[] = "UPDATE scan_rev SET gen = gen + 1";
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_SCAN_BUMP, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_step_done(db, st, err);
	if (rc == RW_OK && db_pg_notify(db, DB_CHANGED_SCANS) != RW_OK)
		rc = db_fail(db, DB_PG_FAIL, "pg_notify", err);
	return rc;
}

/* The id of the scan stored from REPORT_DIGEST: RW_OK or RW_ENOTFOUND. */
static int
find_scan(struct db *db, const char *report_digest, int64_t *id,
    struct rw_err *err)
{
	static const char sql[] = "SELECT id FROM scans WHERE report_digest = ?1";
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_SCAN_FIND, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_bind_texts(db, st, 1, &report_digest, 1, err);
	if (rc == RW_OK) {
		rc = db_step(st);
		if (rc == DB_ROW) {
			*id = db_col_int64(st, 0);
			rc = RW_OK;
		} else if (rc == DB_DONE) {
			rc = RW_ENOTFOUND;
		} else {
			rc = db_fail(db, rc, "sqlite3_step", err);
		}
	}
	db_stmt_done(st);
	return rc;
}

/* The scans row, with totals of zero until fix_totals counts them. */
static int
insert_scan(struct db *db, const struct db_scan_report *r, int64_t now,
    int64_t *id, struct rw_err *err)
{
	static const char sql[] = "INSERT INTO scans(scanner, scanner_version, "
	    "db_version, artifact, report_digest, scanned_at, imported_at, "
	    "max_severity, nfindings) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0) "
	    "RETURNING id";
	const char *text[] = { r->scanner, opt(r->scanner_version),
	    opt(r->db_version), opt(r->artifact), r->report_digest };
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_SCAN_INSERT, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_bind_texts(db, st, 1, text, 5, err);
	if (rc == RW_OK && ((r->scanned_at >= 0 ?
	    db_bind_int64(st, 6, r->scanned_at) :
	    db_bind_null(st, 6)) != RW_OK ||
	    db_bind_int64(st, 7, now) != RW_OK))
		rc = db_bind_fail(db, err);
	if (rc != RW_OK) {
		db_stmt_done(st);
		return rc;
	}
	return db_step_id(db, st, id, err);
}

static int
insert_digests(struct db *db, const struct db_scan_report *r, int64_t id,
    struct rw_err *err)
{
	static const char sql[] = "INSERT INTO scan_digests(scan_id, "
	    "digest, kind) VALUES(?1, ?2, ?3) ON CONFLICT DO NOTHING";
	struct db_st *st;
	const char *text[2];
	size_t i;
	int rc;

	rc = db_stmt(db, DB_ST_SCAN_DIGEST, sql, &st, err);
	for (i = 0; rc == RW_OK && i < r->ndigests; i++) {
		text[0] = r->digests[i];
		text[1] = kind_name(r->digest_kinds[i]);
		rc = db_bind_texts(db, st, 2, text, 2, err);
		if (rc == RW_OK && db_bind_int64(st, 1, id) != RW_OK)
			rc = db_bind_fail(db, err);
		if (rc != RW_OK) {
			db_stmt_done(st);
			break;
		}
		rc = db_step_done(db, st, err);
	}
	return rc;
}

static int
insert_findings(struct db *db, const struct db_scan_report *r, int64_t id,
    struct rw_err *err)
{
	static const char sql[] = "INSERT INTO vulns(scan_id, "
	    "vuln_id, pkg, installed, fixed, status, severity, fixable) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING";
	const struct db_finding *f;
	const char *text[5];
	struct db_st *st;
	size_t i;
	int rc;

	rc = db_stmt(db, DB_ST_SCAN_VULN, sql, &st, err);
	for (i = 0; rc == RW_OK && i < r->nfindings; i++) {
		f = &r->findings[i];
		text[0] = f->id;
		text[1] = f->pkg;
		text[2] = opt(f->installed);
		text[3] = opt(f->fixed);
		text[4] = opt(f->status);
		rc = db_bind_texts(db, st, 2, text, 5, err);
		if (rc == RW_OK && (db_bind_int64(st, 1, id) != RW_OK ||
		    db_bind_int64(st, 7, f->severity) != RW_OK ||
		    db_bind_int64(st, 8, f->fixable != 0) != RW_OK))
			rc = db_bind_fail(db, err);
		if (rc != RW_OK) {
			db_stmt_done(st);
			break;
		}
		rc = db_step_done(db, st, err);
	}
	return rc;
}

/* Totals from the rows actually stored, so repeated findings count once. */
static int
fix_totals(struct db *db, int64_t id, struct rw_err *err)
{
	static const char sql[] = "UPDATE scans SET "
	    "nfindings = (SELECT count(*) FROM vulns WHERE scan_id = ?1), "
	    "max_severity = coalesce((SELECT max(severity) FROM vulns "
	    "WHERE scan_id = ?1), 0) WHERE id = ?1";
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_SCAN_TOTALS, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	if (db_bind_int64(st, 1, id) != RW_OK) {
		rc = db_bind_fail(db, err);
		db_stmt_done(st);
		return rc;
	}
	return db_step_done(db, st, err);
}

int
db_scan_put(struct db *db, const struct db_scan_report *r, int64_t now,
    int64_t *scan_id, int *was_new, struct rw_err *err)
{
	int64_t id = 0;
	int rc, fresh = 0;

	rc = check_report(r, err);
	if (rc != RW_OK)
		return rc;
	db = db_lock(db);
	rc = db_tx_begin(db, err);
	if (rc != RW_OK)
		goto out;
	/* Looked up under the write lock: two importers agree on one row. */
	rc = find_scan(db, r->report_digest, &id, err);
	if (rc == RW_ENOTFOUND) {
		fresh = 1;
		rc = insert_scan(db, r, now, &id, err);
		if (rc == RW_OK)
			rc = insert_digests(db, r, id, err);
		if (rc == RW_OK)
			rc = insert_findings(db, r, id, err);
		if (rc == RW_OK)
			rc = db_secrets_insert(db, r, id, err);
		if (rc == RW_OK)
			rc = fix_totals(db, id, err);
		if (rc == RW_OK)
			rc = db_scans_bump(db, err);
	}
	if (rc == RW_OK)
		rc = db_tx_commit(db, err);
	if (rc != RW_OK)
		db_tx_rollback(db);
out:
	db_unlock(db);
	if (rc == RW_OK && scan_id != NULL)
		*scan_id = id;
	if (rc == RW_OK && was_new != NULL)
		*was_new = fresh;
	return rc;
}

/* ---------------------------------------------------------------- latest */

/* What a db_scan_view's mem points at. */
struct view_mem {
	char			*row;	/* the scan's texts */
	struct db_finding	*f;
	char			*text;	/* every finding's strings */
	struct db_secret	*s;
	char			**sblocks;	/* one per secret */
	size_t			 ns;
};

/* Findings being read: strings go to one buffer, by offset until it is final. */
struct frows {
	struct db_finding	*f;
	size_t			*off;	/* 5 per finding */
	size_t			 n;
	size_t			 alloc;
	char			*text;
	size_t			 len;
	size_t			 cap;
};

static int
frows_grow(struct frows *fr, size_t need)
{
	struct db_finding *nf;
	size_t na, nc, *no;
	char *nt;

	if (fr->n == fr->alloc) {
		na = fr->alloc > 0 ? fr->alloc * 2 : 32;
		nf = realloc(fr->f, na * sizeof(*nf));
		if (nf == NULL)
			return RW_ENOMEM;
		fr->f = nf;
		no = realloc(fr->off, na * 5 * sizeof(*no));
		if (no == NULL)
			return RW_ENOMEM;
		fr->off = no;
		fr->alloc = na;
	}
	if (fr->cap - fr->len < need) {
		nc = fr->cap > 0 ? fr->cap : 1024;
		while (nc - fr->len < need)
			nc *= 2;
		nt = realloc(fr->text, nc);
		if (nt == NULL)
			return RW_ENOMEM;
		fr->text = nt;
		fr->cap = nc;
	}
	return RW_OK;
}

/* Columns: vuln_id, pkg, installed, fixed, status, severity, fixable. */
static int
frows_add(struct frows *fr, struct db_st *st)
{
	const char *t;
	size_t need = 0, i, len;
	int rc;

	for (i = 0; i < 5; i++) {
		db_col_text(st, (int)i);
		need += (size_t)db_col_bytes(st, (int)i) + 1;
	}
	rc = frows_grow(fr, need);
	if (rc != RW_OK)
		return rc;
	for (i = 0; i < 5; i++) {
		t = db_col_text(st, (int)i);
		len = (size_t)db_col_bytes(st, (int)i);
		if (t != NULL && len > 0)
			memcpy(fr->text + fr->len, t, len);
		fr->text[fr->len + len] = '\0';
		fr->off[fr->n * 5 + i] = fr->len;
		fr->len += len + 1;
	}
	fr->f[fr->n].severity = db_col_int64(st, 5);
	fr->f[fr->n].fixable = db_col_int64(st, 6);
	fr->n++;
	return RW_OK;
}

/* Point every finding at its strings, now that the buffer stops moving. */
static void
frows_finish(struct frows *fr, struct db_scan_view *v)
{
	struct db_finding *f;
	const size_t *o;
	size_t i;

	for (i = 0; i < fr->n; i++) {
		f = &fr->f[i];
		o = &fr->off[i * 5];
		f->id = fr->text + o[0];
		f->pkg = fr->text + o[1];
		f->installed = fr->text + o[2];
		f->fixed = fr->text + o[3];
		f->status = fr->text + o[4];
		if (f->severity >= 0 && f->severity < DB_SEV_COUNT)
			v->counts[f->severity]++;
	}
	v->findings = fr->f;
	v->nfindings = fr->n;
}

static int
read_findings(struct db *db, int64_t id, struct frows *fr, struct rw_err *err)
{
	static const char sql[] = "SELECT vuln_id, pkg, installed, fixed, "
	    "status, severity, fixable FROM vulns WHERE scan_id = ?1 "
	    "ORDER BY severity DESC, vuln_id, pkg, installed";
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_SCAN_FINDINGS, sql, &st, err);
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
		if (frows_add(fr, st) != RW_OK) {
			rc = rw_err_set(err, RW_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = db_step_rc(db, rc, err);
out:
	db_stmt_done(st);
	return rc;
}

/*
 * Columns: id, scanned_at, imported_at, max_severity, then the texts kind,
 * digest, scanner, scanner_version, db_version, artifact, report_digest.
 */
static int
copy_scan(struct db_st *st, struct db_scan_view *v, struct view_mem *m)
{
	static const int cols[] = { 4, 5, 6, 7, 8, 9, 10 };
	const char *s[7];

	m->row = db_copy_texts(st, cols, 7, s);
	if (m->row == NULL)
		return RW_ENOMEM;
	v->id = db_col_int64(st, 0);
	v->scanned_at = db_col_is_null(st, 1) ? -1 :
	    db_col_int64(st, 1);
	v->imported_at = db_col_int64(st, 2);
	v->max_severity = db_col_int64(st, 3);
	v->matched_kind = kind_of(s[0]);
	v->matched_digest = s[1];
	v->scanner = s[2];
	v->scanner_version = s[3];
	v->db_version = s[4];
	v->artifact = s[5];
	v->report_digest = s[6];
	return RW_OK;
}

/* The newest scan naming one of DIGESTS into V; RW_ENOTFOUND when none. */
static int
find_latest(struct db *db, const char *const *digests, size_t n,
    struct db_scan_view *v, struct view_mem *m, struct rw_err *err)
{
	/*
	 * A fixed list of parameters keeps this one cached statement; unused
	 * ones are NULL, which equals nothing.
	 */
	static const char sql[] = "SELECT s.id, s.scanned_at, s.imported_at, "
	    "s.max_severity, d.kind, d.digest, s.scanner, s.scanner_version, "
	    "s.db_version, s.artifact, s.report_digest "
	    "FROM scan_digests d JOIN scans s ON s.id = d.scan_id "
	    "WHERE d.digest IN (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	    "ORDER BY coalesce(s.scanned_at, s.imported_at) DESC, s.id DESC "
	    "LIMIT 1";
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_SCAN_LATEST, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_bind_texts(db, st, 1, digests, n, err);
	if (rc != RW_OK)
		goto out;
	rc = db_step(st);
	if (rc == DB_ROW)
		rc = copy_scan(st, v, m) == RW_OK ? RW_OK :
		    rw_err_set(err, RW_ENOMEM, "out of memory");
	else if (rc == DB_DONE)
		rc = RW_ENOTFOUND;
	else
		rc = db_fail(db, rc, "sqlite3_step", err);
out:
	db_stmt_done(st);
	return rc;
}

int
db_scan_latest(struct db *db, const char *const *digests, size_t n,
    struct db_scan_view *out, struct rw_err *err)
{
	struct view_mem *m;
	struct frows fr;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (digests == NULL || n == 0 || n > DB_SCAN_MAX_DIGESTS)
		return rw_err_set(err, RW_EINVAL, "db_scan_latest: %zu digests "
		    "(expected 1 to %d)", digests == NULL ? 0 : n,
		    DB_SCAN_MAX_DIGESTS);
	for (i = 0; i < n; i++) {
		if (digests[i] == NULL)
			return rw_err_set(err, RW_EINVAL,
			    "db_scan_latest: missing argument");
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	memset(&fr, 0, sizeof(fr));
	db = db_lock(db);
	rc = find_latest(db, digests, n, out, m, err);
	if (rc == RW_OK)
		rc = read_findings(db, out->id, &fr, err);
	if (rc == RW_OK)
		rc = db_secrets_read(db, out->id, &m->s, &m->sblocks, &m->ns,
		    err);
	db_unlock(db);
	m->f = fr.f;
	m->text = fr.text;
	out->mem = m;
	if (rc == RW_OK) {
		frows_finish(&fr, out);
		out->secrets = m->s;
		out->nsecrets = m->ns;
	}
	free(fr.off);
	if (rc != RW_OK)
		db_scan_view_cleanup(out);
	return rc;
}

void
db_scan_view_cleanup(struct db_scan_view *v)
{
	struct view_mem *m = v->mem;

	if (m != NULL) {
		free(m->row);
		free(m->f);
		free(m->text);
		db_secrets_free(m->s, m->sblocks, m->ns);
		free(m);
	}
	memset(v, 0, sizeof(*v));
}

/* ------------------------------------------------------------ first seen */

/* A finding of a view and where its time goes, sorted by id and package. */
struct seen_ix {
	const struct db_finding	*f;
	int64_t			*t;
};

static int
by_id_pkg(const void *a, const void *b)
{
	const struct db_finding *x = ((const struct seen_ix *)a)->f;
	const struct db_finding *y = ((const struct seen_ix *)b)->f;
	int c = strcmp(x->id, y->id);

	return c != 0 ? c : strcmp(x->pkg, y->pkg);
}

/*
 * Gives every finding in IX (N of them, sorted) that has the row's id and
 * package the row's time.  Several findings share them when a package is
 * installed in more than one version.
 */
static void
seen_row(struct seen_ix *ix, size_t n, struct db_st *st)
{
	struct db_finding f;
	struct seen_ix key, *hit;
	size_t lo, hi;

	memset(&f, 0, sizeof(f));
	f.id = db_col_text(st, 0);
	f.pkg = db_col_text(st, 1);
	if (f.id == NULL || f.pkg == NULL)
		return;
	key.f = &f;
	key.t = NULL;
	hit = bsearch(&key, ix, n, sizeof(*ix), by_id_pkg);
	if (hit == NULL)
		return;
	lo = hi = (size_t)(hit - ix);
	while (lo > 0 && by_id_pkg(&ix[lo - 1], &key) == 0)
		lo--;
	while (hi + 1 < n && by_id_pkg(&ix[hi + 1], &key) == 0)
		hi++;
	for (; lo <= hi; lo++)
		*ix[lo].t = db_col_int64(st, 2);
}

static int
read_seen(struct db *db, const char *const *digests, size_t n,
    struct seen_ix *ix, size_t nix, struct rw_err *err)
{
	/* Reports naming two of the digests join twice; min() is unmoved. */
	static const char sql[] = "SELECT v.vuln_id, v.pkg, "
	    "min(s.imported_at) FROM scan_digests d "
	    "JOIN scans s ON s.id = d.scan_id "
	    "JOIN vulns v ON v.scan_id = d.scan_id "
	    "WHERE d.digest IN (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	    "GROUP BY v.vuln_id, v.pkg";
	struct db_st *st;
	int rc;

	rc = db_stmt(db, DB_ST_SCAN_SEEN, sql, &st, err);
	if (rc != RW_OK)
		return rc;
	rc = db_bind_texts(db, st, 1, digests, n, err);
	if (rc != RW_OK)
		goto out;
	for (;;) {
		rc = db_step(st);
		if (rc != DB_ROW)
			break;
		seen_row(ix, nix, st);
	}
	rc = db_step_rc(db, rc, err);
out:
	db_stmt_done(st);
	return rc;
}

int
db_scan_first_seen(struct db *db, const char *const *digests, size_t n,
    const struct db_scan_view *v, int64_t *seen, struct rw_err *err)
{
	struct seen_ix *ix;
	size_t i;
	int rc;

	if (digests == NULL || n == 0 || n > DB_SCAN_MAX_DIGESTS ||
	    (seen == NULL && v->nfindings > 0))
		return rw_err_set(err, RW_EINVAL, "db_scan_first_seen: %zu "
		    "digests (expected 1 to %d) or nowhere to write",
		    digests == NULL ? 0 : n, DB_SCAN_MAX_DIGESTS);
	for (i = 0; i < n; i++)
		if (digests[i] == NULL)
			return rw_err_set(err, RW_EINVAL,
			    "db_scan_first_seen: missing argument");
	if (v->nfindings == 0)
		return RW_OK;
	ix = calloc(v->nfindings, sizeof(*ix));
	if (ix == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; i < v->nfindings; i++) {
		seen[i] = 0;
		ix[i].f = &v->findings[i];
		ix[i].t = &seen[i];
	}
	qsort(ix, v->nfindings, sizeof(*ix), by_id_pkg);
	db = db_lock(db);
	rc = read_seen(db, digests, n, ix, v->nfindings, err);
	db_unlock(db);
	for (i = 0; rc != RW_OK && i < v->nfindings; i++)
		seen[i] = 0;
	free(ix);
	return rc;
}

/* -------------------------------------------------------------- revision */

int
db_scans_revision(struct db *db, char out[64], struct rw_err *err)
{
	static const char sql[] = "SELECT tag, gen FROM scan_rev";
	const char *tag;
	unsigned long gen;
	struct db_st *st;
	int rc;

	out[0] = '\0';
	/* PostgreSQL: from memory while no notification says it moved. */
	if (db_pg_scans_rev_cached(db, out))
		return RW_OK;
	db = db_lock(db);
	gen = db_pg_scans_gen(db);
	rc = db_stmt(db, DB_ST_SCAN_REV, sql, &st, err);
	if (rc != RW_OK)
		goto out;
	rc = db_step(st);
	if (rc == DB_ROW) {
		tag = db_col_text(st, 0);
		snprintf(out, 64, "%.24s.%lld", tag != NULL ? (const char *)tag :
		    "", (long long)db_col_int64(st, 1));
		db_pg_scans_rev_store(db, gen, out);
		rc = RW_OK;
	} else {
		rc = rc == DB_DONE ? rw_err_set(err, RW_EDB, "scan_rev has "
		    "no row") : db_fail(db, rc, "sqlite3_step", err);
	}
	db_stmt_done(st);
out:
	db_unlock(db);
	return rc;
}
