/* scanreport.c - Trivy and Grype JSON reports into a struct db_scan_report. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scanreport/scanreport.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "db/db.h"
#include "util/util.h"

#define CHUNK_SIZE	65536
#define WHERE_MAX	96	/* "Results[123456].Vulnerabilities[123456]" */

/* Strings copied out of the JSON tree, so the tree can go at once. */
struct scanreport_chunk {
	struct scanreport_chunk	*next;
	size_t			 used;
	size_t			 size;
	char			 data[];
};

/* State while one report is read. */
struct builder {
	struct scanreport	*sr;
	size_t			 cap;		/* findings allocated */
	size_t			*slots;		/* finding index + 1; 0 empty */
	size_t			 mask;
	struct rw_err		*err;
};

static const char *const sev_names[DB_SEV_COUNT] = { "unknown", "negligible",
    "low", "medium", "high", "critical" };

const char *
scanreport_sev_name(int sev)
{
	if (sev < 0 || sev >= DB_SEV_COUNT)
		return "?";
	return sev_names[sev];
}

int
scanreport_sev_parse(const char *name)
{
	int i;

	for (i = 0; i < DB_SEV_COUNT; i++) {
		if (strcasecmp(name, sev_names[i]) == 0)
			return i;
	}
	return -1;
}

void
scanreport_counts(const struct db_scan_report *r, size_t counts[DB_SEV_COUNT])
{
	size_t i;

	memset(counts, 0, DB_SEV_COUNT * sizeof(counts[0]));
	for (i = 0; i < r->nfindings; i++) {
		if (r->findings[i].severity >= 0 &&
		    r->findings[i].severity < DB_SEV_COUNT)
			counts[r->findings[i].severity]++;
	}
}

const struct db_scan_report *
scanreport_report(const struct scanreport *sr)
{
	return &sr->r;
}

void
scanreport_cleanup(struct scanreport *sr)
{
	struct scanreport_chunk *c, *next;

	for (c = sr->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(sr->findings);
	free(sr->secrets);
	free(sr->digests);
	free(sr->kinds);
	memset(sr, 0, sizeof(*sr));
}

/* A copy of S (N bytes) that lives as long as SR; NULL when out of memory. */
static const char *
keepn(struct scanreport *sr, const char *s, size_t n)
{
	struct scanreport_chunk *c = sr->chunks;
	size_t size;
	char *p;

	if (c == NULL || c->size - c->used < n + 1) {
		size = n + 1 > CHUNK_SIZE ? n + 1 : CHUNK_SIZE;
		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->size = size;
		c->next = sr->chunks;
		sr->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

static const char *
keep(struct scanreport *sr, const char *s)
{
	return keepn(sr, s, strlen(s));
}

/* ---------------------------------------------------------------- errors */

/* "WHERE.KEY: <message>" (or "KEY: ..." at the top level, "WHERE: ..."). */
static int
bad(struct rw_err *err, int code, const char *where, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
bad(struct rw_err *err, int code, const char *where, const char *key,
    const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rw_err_set(err, code, "%s%s%s: %s", where,
	    *where != '\0' && key != NULL ? "." : "", key != NULL ? key : "",
	    msg);
}

static int
nomem(struct rw_err *err)
{
	return rw_err_set(err, RW_ENOMEM, "out of memory");
}

/* WHERE.KEY[I] into BUF. */
static const char *
at_index(char *buf, size_t size, const char *where, const char *key, size_t i)
{
	/* Paths are short; a cut one only shortens a message. */
	if (snprintf(buf, size, "%s%s%s[%zu]", where, *where != '\0' ? "." :
	    "", key, i) < 0)
		buf[0] = '\0';
	return buf;
}

/* WHERE.KEY into BUF. */
static const char *
at_key(char *buf, size_t size, const char *where, const char *key)
{
	if (snprintf(buf, size, "%s%s%s", where, *where != '\0' ? "." : "",
	    key) < 0)
		buf[0] = '\0';
	return buf;
}

/* ---------------------------------------------------------------- fields */

/*
 * The string at O.KEY into *OUT, borrowed from the tree.  Absent and null
 * give "" unless REQUIRED, which also refuses "".
 */
static int
get_str(json_t *o, const char *where, const char *key, int required,
    const char **out, struct rw_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = "";
	if ((v == NULL || json_is_null(v)) && !required)
		return RW_OK;
	if (!json_is_string(v) || (required && json_string_length(v) == 0))
		return bad(err, RW_EPARSE, where, key, "expected a %sstring",
		    required ? "non-empty " : "");
	*out = json_string_value(v);
	return RW_OK;
}

/* The object (or array, with ARRAY set) at O.KEY, NULL when absent or null. */
static int
get_node(json_t *o, const char *where, const char *key, int array,
    int required, json_t **out, struct rw_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if ((v == NULL || json_is_null(v)) && !required)
		return RW_OK;
	if (array ? !json_is_array(v) : !json_is_object(v))
		return bad(err, RW_EPARSE, where, key, "expected an %s",
		    array ? "array" : "object");
	*out = v;
	return RW_OK;
}

static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

/* "sha256:" and 64 lowercase hex digits, or "sha512:" and 128. */
static int
valid_digest(const char *s)
{
	size_t n = strlen(s);

	if (strncmp(s, "sha256:", 7) == 0)
		return n == 7 + 64 && is_hex(s + 7, 64);
	if (strncmp(s, "sha512:", 7) == 0)
		return n == 7 + 128 && is_hex(s + 7, 128);
	return 0;
}

/* Record digest D of KIND once; WHERE names it in messages. */
static int
add_digest(struct builder *b, const char *where, const char *d, int kind)
{
	struct scanreport *sr = b->sr;
	size_t i;

	if (!valid_digest(d))
		return bad(b->err, RW_EPARSE, where, NULL, "\"%.80s\" is not a "
		    "digest", d);
	for (i = 0; i < sr->r.ndigests; i++) {
		if (strcmp(sr->digests[i], d) == 0)
			return RW_OK;
	}
	if (sr->r.ndigests == SCANREPORT_MAX_DIGESTS)
		return bad(b->err, RW_ETOOBIG, where, NULL, "more than %d digests",
		    SCANREPORT_MAX_DIGESTS);
	if (sr->digests == NULL) {
		sr->digests = calloc(SCANREPORT_MAX_DIGESTS, sizeof(*sr->digests));
		sr->kinds = calloc(SCANREPORT_MAX_DIGESTS, sizeof(*sr->kinds));
		if (sr->digests == NULL || sr->kinds == NULL)
			return nomem(b->err);
	}
	sr->digests[sr->r.ndigests] = keep(sr, d);
	if (sr->digests[sr->r.ndigests] == NULL)
		return nomem(b->err);
	sr->kinds[sr->r.ndigests++] = kind;
	return RW_OK;
}

/* The digest at O.KEY, when there is one. */
static int
digest_field(struct builder *b, json_t *o, const char *where, const char *key,
    int kind)
{
	char w[WHERE_MAX];
	const char *s;
	int rc;

	rc = get_str(o, where, key, 0, &s, b->err);
	if (rc != RW_OK || *s == '\0')
		return rc;
	return add_digest(b, at_key(w, sizeof(w), where, key), s, kind);
}

/*
 * Every "repo@digest" of the array at O.KEY as an INDEX digest: the repo
 * is whatever the scanner was given, the digest is what it resolved to.
 */
static int
repo_digests(struct builder *b, json_t *o, const char *where, const char *key)
{
	char w[WHERE_MAX];
	const char *s, *at;
	json_t *a, *v;
	size_t i;
	int rc;

	rc = get_node(o, where, key, 1, 0, &a, b->err);
	json_array_foreach(a, i, v) {
		if (rc != RW_OK)
			break;
		at_index(w, sizeof(w), where, key, i);
		if (!json_is_string(v))
			return bad(b->err, RW_EPARSE, w, NULL, "expected a string");
		s = json_string_value(v);
		at = strrchr(s, '@');
		rc = add_digest(b, w, at != NULL ? at + 1 : s, DB_DIGEST_INDEX);
	}
	return rc;
}

/* The RFC 3339 time at O.KEY into *OUT; -1 when absent or empty. */
static int
time_field(json_t *o, const char *where, const char *key, int64_t *out,
    struct rw_err *err)
{
	const char *s;
	int rc;

	*out = -1;
	rc = get_str(o, where, key, 0, &s, err);
	if (rc != RW_OK || *s == '\0')
		return rc;
	if (rw_parse_time(s, out, NULL) != RW_OK) {
		*out = -1;
		return bad(err, RW_EPARSE, where, key, "\"%.60s\" is not an "
		    "RFC 3339 time", s);
	}
	return RW_OK;
}

/* The severity name at O.KEY; absent means unknown. */
static int
severity_field(json_t *o, const char *where, const char *key, int *out,
    struct rw_err *err)
{
	const char *s;
	int rc;

	*out = DB_SEV_UNKNOWN;
	rc = get_str(o, where, key, 0, &s, err);
	if (rc != RW_OK || *s == '\0')
		return rc;
	*out = scanreport_sev_parse(s);
	if (*out < 0)
		return bad(err, RW_EPARSE, where, key, "unknown severity "
		    "\"%.40s\"", s);
	return RW_OK;
}

/* -------------------------------------------------------------- findings */

static uint64_t
fnv(uint64_t h, const char *s)
{
	/* The NUL goes in too, so ("ab", "c") and ("a", "bc") differ. */
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	} while (*s++ != '\0');
	return h;
}

/* Room for TOTAL findings and the table that spots repeats. */
static int
builder_alloc(struct builder *b, size_t total)
{
	size_t size = 16;

	if (total > SCANREPORT_MAX_FINDINGS)
		return rw_err_set(b->err, RW_ETOOBIG, "report has more than %d "
		    "findings", SCANREPORT_MAX_FINDINGS);
	while (size < total * 2)
		size *= 2;
	b->slots = calloc(size, sizeof(*b->slots));
	b->sr->findings = calloc(total > 0 ? total : 1,
	    sizeof(*b->sr->findings));
	if (b->slots == NULL || b->sr->findings == NULL)
		return nomem(b->err);
	b->mask = size - 1;
	b->cap = total;
	return RW_OK;
}

/* Add F (strings borrowed from the tree) unless it repeats an earlier one. */
static int
add_finding(struct builder *b, const struct db_finding *f)
{
	struct scanreport *sr = b->sr;
	struct db_finding *g;
	size_t i, k;

	i = (size_t)fnv(fnv(fnv(0xcbf29ce484222325ULL, f->id), f->pkg),
	    f->installed) & b->mask;
	for (; b->slots[i] != 0; i = (i + 1) & b->mask) {
		g = &sr->findings[b->slots[i] - 1];
		if (strcmp(g->id, f->id) == 0 && strcmp(g->pkg, f->pkg) == 0 &&
		    strcmp(g->installed, f->installed) == 0) {
			if (f->severity > g->severity)
				g->severity = f->severity;
			return RW_OK;
		}
	}
	k = sr->r.nfindings;
	if (k == b->cap)	/* counted before: cannot happen */
		return rw_err_set(b->err, RW_EPARSE, "findings miscounted");
	g = &sr->findings[k];
	g->id = keep(sr, f->id);
	g->pkg = keep(sr, f->pkg);
	g->installed = keep(sr, f->installed);
	g->fixed = keep(sr, f->fixed);
	g->status = keep(sr, f->status);
	if (g->id == NULL || g->pkg == NULL || g->installed == NULL ||
	    g->fixed == NULL || g->status == NULL)
		return nomem(b->err);
	g->severity = f->severity;
	g->fixable = *f->fixed != '\0' || strcmp(f->status, "fixed") == 0;
	b->slots[i] = k + 1;
	sr->r.nfindings = k + 1;
	return RW_OK;
}

/* ----------------------------------------------------------------- Trivy */

static int
trivy_vuln(struct builder *b, json_t *v, const char *w)
{
	struct db_finding f;
	int rc;

	memset(&f, 0, sizeof(f));
	if (!json_is_object(v))
		return bad(b->err, RW_EPARSE, w, NULL, "expected an object");
	rc = get_str(v, w, "VulnerabilityID", 1, &f.id, b->err);
	if (rc == RW_OK)
		rc = get_str(v, w, "PkgName", 1, &f.pkg, b->err);
	if (rc == RW_OK)
		rc = get_str(v, w, "InstalledVersion", 0, &f.installed, b->err);
	if (rc == RW_OK)
		rc = get_str(v, w, "FixedVersion", 0, &f.fixed, b->err);
	if (rc == RW_OK)
		rc = get_str(v, w, "Status", 0, &f.status, b->err);
	if (rc == RW_OK)
		rc = severity_field(v, w, "Severity", &f.severity, b->err);
	if (rc == RW_OK)
		rc = add_finding(b, &f);
	return rc;
}

/*
 * One of Results[].Secrets[], found in TARGET.  Match and Code hold the
 * matched line (redacted by Trivy, but not always wholly): they are never
 * read, so no byte of a secret reaches the store or a message.
 */
static int
trivy_secret(struct builder *b, json_t *v, const char *w, const char *target)
{
	struct scanreport *sr = b->sr;
	struct db_secret *s = &sr->secrets[sr->r.nsecrets];
	const char *rule, *title;
	json_t *line;
	int rc;

	if (!json_is_object(v))
		return bad(b->err, RW_EPARSE, w, NULL, "expected an object");
	rc = get_str(v, w, "RuleID", 1, &rule, b->err);
	if (rc == RW_OK)
		rc = get_str(v, w, "Title", 0, &title, b->err);
	if (rc == RW_OK)
		rc = severity_field(v, w, "Severity", &s->severity, b->err);
	if (rc != RW_OK)
		return rc;
	line = json_object_get(v, "StartLine");
	if (line != NULL && !json_is_null(line) && (!json_is_integer(line) ||
	    json_integer_value(line) < 0 || json_integer_value(line) > INT32_MAX))
		return bad(b->err, RW_EPARSE, w, "StartLine", "expected a line "
		    "number");
	s->line = line != NULL ? (int)json_integer_value(line) : 0;
	s->target = keep(sr, target);
	s->rule_id = keep(sr, rule);
	s->title = keep(sr, title);
	if (s->target == NULL || s->rule_id == NULL || s->title == NULL)
		return nomem(b->err);
	sr->r.nsecrets++;
	return RW_OK;
}

/*
 * Results[I]'s Vulnerabilities and Secrets, checked; NULL when absent.  A
 * result with secrets must say in which file (Target).
 */
static int
trivy_result(struct builder *b, json_t *results, size_t i, json_t **vulns,
    json_t **secrets, const char **target)
{
	char w[WHERE_MAX];
	json_t *r = json_array_get(results, i);
	int rc;

	at_index(w, sizeof(w), "", "Results", i);
	*secrets = NULL;
	if (!json_is_object(r))
		return bad(b->err, RW_EPARSE, w, NULL, "expected an object");
	rc = get_node(r, w, "Vulnerabilities", 1, 0, vulns, b->err);
	if (rc == RW_OK)
		rc = get_node(r, w, "Secrets", 1, 0, secrets, b->err);
	if (rc == RW_OK)
		rc = get_str(r, w, "Target", json_array_size(*secrets) > 0,
		    target, b->err);
	return rc;
}

/* Results[I]'s findings and secrets into the report. */
static int
trivy_one(struct builder *b, json_t *results, size_t i)
{
	char w[WHERE_MAX], wv[WHERE_MAX];
	json_t *vulns, *secrets, *v;
	const char *target;
	size_t j;
	int rc;

	rc = trivy_result(b, results, i, &vulns, &secrets, &target);
	at_index(w, sizeof(w), "", "Results", i);
	json_array_foreach(vulns, j, v) {
		if (rc != RW_OK)
			break;
		at_index(wv, sizeof(wv), w, "Vulnerabilities", j);
		rc = trivy_vuln(b, v, wv);
	}
	json_array_foreach(secrets, j, v) {
		if (rc != RW_OK)
			break;
		at_index(wv, sizeof(wv), w, "Secrets", j);
		rc = trivy_secret(b, v, wv, target);
	}
	return rc;
}

static int
secret_cmp(const void *a, const void *b)
{
	const struct db_secret *x = a, *y = b;
	int c = strcmp(x->target, y->target);

	if (c == 0)
		c = strcmp(x->rule_id, y->rule_id);
	if (c == 0)
		c = (x->line > y->line) - (x->line < y->line);
	return c;
}

/*
 * Sort the secrets by file, rule and line, and keep one of each (the worst
 * severity): Trivy lists a file once per layer that holds it.
 */
static void
secrets_unique(struct scanreport *sr)
{
	struct db_secret *s = sr->secrets;
	size_t i, n = 0;

	if (sr->r.nsecrets < 2)
		return;
	qsort(s, sr->r.nsecrets, sizeof(*s), secret_cmp);
	for (i = 1; i < sr->r.nsecrets; i++) {
		if (secret_cmp(&s[n], &s[i]) == 0) {
			if (s[i].severity > s[n].severity)
				s[n].severity = s[i].severity;
			continue;
		}
		s[++n] = s[i];
	}
	sr->r.nsecrets = n + 1;
}

static int
trivy_results(struct builder *b, json_t *root)
{
	json_t *results, *vulns, *secrets;
	size_t i, total = 0, nsec = 0;
	const char *target;
	int rc;

	rc = get_node(root, "", "Results", 1, 0, &results, b->err);
	/* Count first: a report over the limit is refused before copying. */
	for (i = 0; rc == RW_OK && i < json_array_size(results); i++) {
		rc = trivy_result(b, results, i, &vulns, &secrets, &target);
		total += json_array_size(vulns);
		nsec += json_array_size(secrets);
	}
	if (rc == RW_OK && nsec > SCANREPORT_MAX_FINDINGS - total)
		total += nsec;	/* over the limit: builder_alloc says so */
	if (rc == RW_OK)
		rc = builder_alloc(b, total);
	if (rc == RW_OK && nsec > 0) {
		b->sr->secrets = calloc(nsec, sizeof(*b->sr->secrets));
		if (b->sr->secrets == NULL)
			rc = nomem(b->err);
	}
	for (i = 0; rc == RW_OK && i < json_array_size(results); i++)
		rc = trivy_one(b, results, i);
	if (rc == RW_OK)
		secrets_unique(b->sr);
	return rc;
}

static int
trivy(struct builder *b, json_t *root)
{
	struct scanreport *sr = b->sr;
	const char *version = "", *artifact = "";
	json_t *sv, *tv, *meta;
	int rc;

	sv = json_object_get(root, "SchemaVersion");
	if (!json_is_integer(sv))
		return rw_err_set(b->err, RW_EPARSE,
		    "SchemaVersion: expected an integer");
	if (json_integer_value(sv) != 2)
		return rw_err_set(b->err, RW_EUNSUPPORTED, "Trivy report "
		    "SchemaVersion %lld is not supported (expected 2)",
		    (long long)json_integer_value(sv));
	rc = get_node(root, "", "Trivy", 0, 0, &tv, b->err);
	if (rc == RW_OK)
		rc = get_str(tv, "Trivy", "Version", 0, &version, b->err);
	if (rc == RW_OK)
		rc = get_str(root, "", "ArtifactName", 0, &artifact, b->err);
	if (rc == RW_OK)
		rc = time_field(root, "", "CreatedAt", &sr->r.scanned_at, b->err);
	if (rc == RW_OK)
		rc = get_node(root, "", "Metadata", 0, 0, &meta, b->err);
	if (rc == RW_OK)
		rc = repo_digests(b, meta, "Metadata", "RepoDigests");
	if (rc == RW_OK)
		rc = digest_field(b, meta, "Metadata", "ImageID",
		    DB_DIGEST_CONFIG);
	if (rc == RW_OK)
		rc = trivy_results(b, root);
	if (rc != RW_OK)
		return rc;
	sr->r.scanner = "trivy";
	sr->r.scanner_version = keep(sr, version);
	sr->r.artifact = keep(sr, artifact);
	sr->r.db_version = "";
	if (sr->r.scanner_version == NULL || sr->r.artifact == NULL)
		return nomem(b->err);
	return RW_OK;
}

/* ----------------------------------------------------------------- Grype */

/* fix.versions joined by ", " into *OUT (a copy kept in SR). */
static int
grype_fixed(struct builder *b, json_t *fix, const char *w, const char **out)
{
	char wv[WHERE_MAX];
	struct rw_buf buf;
	json_t *a, *v;
	size_t i;
	int rc;

	*out = "";
	rc = get_node(fix, w, "versions", 1, 0, &a, b->err);
	if (rc != RW_OK || json_array_size(a) == 0)
		return rc;
	rw_buf_init(&buf, SCANREPORT_MAX_BYTES);
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			rc = bad(b->err, RW_EPARSE, at_index(wv, sizeof(wv), w,
			    "versions", i), NULL, "expected a string");
			break;
		}
		if ((i > 0 && rw_buf_add(&buf, ", ", 2) != RW_OK) ||
		    rw_buf_add(&buf, json_string_value(v),
		    json_string_length(v)) != RW_OK) {
			rc = nomem(b->err);
			break;
		}
	}
	if (rc == RW_OK && buf.data != NULL) {
		*out = keepn(b->sr, buf.data, buf.len);
		if (*out == NULL)
			rc = nomem(b->err);
	}
	rw_buf_free(&buf);
	return rc;
}

static int
grype_match(struct builder *b, json_t *m, const char *w)
{
	char wv[WHERE_MAX], wa[WHERE_MAX], wf[WHERE_MAX];
	json_t *vuln, *fix, *art;
	struct db_finding f;
	int rc;

	memset(&f, 0, sizeof(f));
	f.fixed = "";
	if (!json_is_object(m))
		return bad(b->err, RW_EPARSE, w, NULL, "expected an object");
	at_key(wv, sizeof(wv), w, "vulnerability");
	at_key(wa, sizeof(wa), w, "artifact");
	at_key(wf, sizeof(wf), wv, "fix");
	rc = get_node(m, w, "vulnerability", 0, 1, &vuln, b->err);
	if (rc == RW_OK)
		rc = get_node(m, w, "artifact", 0, 1, &art, b->err);
	if (rc == RW_OK)
		rc = get_str(vuln, wv, "id", 1, &f.id, b->err);
	if (rc == RW_OK)
		rc = severity_field(vuln, wv, "severity", &f.severity, b->err);
	if (rc == RW_OK)
		rc = get_node(vuln, wv, "fix", 0, 0, &fix, b->err);
	if (rc == RW_OK)
		rc = get_str(fix, wf, "state", 0, &f.status, b->err);
	if (rc == RW_OK)
		rc = grype_fixed(b, fix, wf, &f.fixed);
	if (rc == RW_OK)
		rc = get_str(art, wa, "name", 1, &f.pkg, b->err);
	if (rc == RW_OK)
		rc = get_str(art, wa, "version", 0, &f.installed, b->err);
	if (rc == RW_OK)
		rc = add_finding(b, &f);
	return rc;
}

static int
grype_matches(struct builder *b, json_t *root)
{
	char w[WHERE_MAX];
	json_t *matches, *m;
	size_t i;
	int rc;

	rc = get_node(root, "", "matches", 1, 1, &matches, b->err);
	if (rc == RW_OK)
		rc = builder_alloc(b, json_array_size(matches));
	json_array_foreach(matches, i, m) {
		if (rc != RW_OK)
			break;
		rc = grype_match(b, m, at_index(w, sizeof(w), "", "matches", i));
	}
	return rc;
}

/*
 * "schema 5, built 2024-05-01T01:30:00Z" from descriptor.db, or from
 * descriptor.db.status where Grype 0.88 and later put it.
 */
static int
grype_db(struct builder *b, json_t *desc, const char **out)
{
	const char *w = "descriptor.db", *built = "";
	char text[200], schema[64] = "";
	json_t *db, *status, *sv;
	int rc;

	*out = "";
	rc = get_node(desc, "descriptor", "db", 0, 0, &db, b->err);
	if (rc == RW_OK)
		rc = get_node(db, w, "status", 0, 0, &status, b->err);
	if (rc != RW_OK || db == NULL)
		return rc;
	if (status != NULL) {
		db = status;
		w = "descriptor.db.status";
	}
	rc = get_str(db, w, "built", 0, &built, b->err);
	if (rc != RW_OK)
		return rc;
	sv = json_object_get(db, "schemaVersion");
	if (json_is_integer(sv))
		snprintf(schema, sizeof(schema), "%lld",
		    (long long)json_integer_value(sv));
	else if (json_is_string(sv))
		snprintf(schema, sizeof(schema), "%s", json_string_value(sv));
	else if (sv != NULL && !json_is_null(sv))
		return bad(b->err, RW_EPARSE, w, "schemaVersion", "expected a "
		    "string or an integer");
	snprintf(text, sizeof(text), "%s%s%s%s%s", *schema != '\0' ? "schema " :
	    "", schema, *schema != '\0' && *built != '\0' ? ", " : "",
	    *built != '\0' ? "built " : "", built);
	*out = keep(b->sr, text);
	return *out != NULL ? RW_OK : nomem(b->err);
}

/* source.target: an object for an image; a plain string for other sources. */
static int
grype_source(struct builder *b, json_t *root, const char **artifact)
{
	const char *w = "source.target";
	json_t *src, *target;
	int rc;

	*artifact = "";
	rc = get_node(root, "", "source", 0, 0, &src, b->err);
	if (rc != RW_OK || src == NULL)
		return rc;
	target = json_object_get(src, "target");
	if (!json_is_object(target))
		return RW_OK;
	rc = get_str(target, w, "userInput", 0, artifact, b->err);
	if (rc == RW_OK)
		rc = digest_field(b, target, w, "manifestDigest",
		    DB_DIGEST_MANIFEST);
	if (rc == RW_OK)
		rc = digest_field(b, target, w, "imageID", DB_DIGEST_CONFIG);
	if (rc == RW_OK)
		rc = repo_digests(b, target, w, "repoDigests");
	return rc;
}

static int
grype(struct builder *b, json_t *root)
{
	struct scanreport *sr = b->sr;
	const char *version = "", *artifact = "", *dbv = "";
	json_t *desc;
	int rc;

	rc = get_node(root, "", "descriptor", 0, 0, &desc, b->err);
	if (rc == RW_OK)
		rc = get_str(desc, "descriptor", "version", 0, &version, b->err);
	if (rc == RW_OK)
		rc = time_field(desc, "descriptor", "timestamp",
		    &sr->r.scanned_at, b->err);
	if (rc == RW_OK)
		rc = grype_db(b, desc, &dbv);
	if (rc == RW_OK)
		rc = grype_source(b, root, &artifact);
	if (rc == RW_OK)
		rc = grype_matches(b, root);
	if (rc != RW_OK)
		return rc;
	sr->r.scanner = "grype";
	sr->r.scanner_version = keep(sr, version);
	sr->r.artifact = keep(sr, artifact);
	sr->r.db_version = dbv;
	if (sr->r.scanner_version == NULL || sr->r.artifact == NULL)
		return nomem(b->err);
	return RW_OK;
}

/* ----------------------------------------------------------------- entry */

static int
is_grype(json_t *root)
{
	json_t *desc = json_object_get(root, "descriptor");
	json_t *name = json_object_get(desc, "name");

	return json_object_get(root, "matches") != NULL ||
	    (json_is_string(name) && strcmp(json_string_value(name), "grype") == 0);
}

static int
parse_tree(struct builder *b, json_t *root)
{
	if (json_is_object(root) && json_object_get(root, "SchemaVersion") != NULL)
		return trivy(b, root);
	if (json_is_object(root) && is_grype(root))
		return grype(b, root);
	return rw_err_set(b->err, RW_EUNSUPPORTED,
	    "not a Trivy (SchemaVersion 2) or Grype report");
}

int
scanreport_parse(const char *body, size_t len, struct scanreport *out,
    struct rw_err *err)
{
	struct builder b;
	json_error_t je;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > SCANREPORT_MAX_BYTES)
		return rw_err_set(err, RW_ETOOBIG, "report is larger than %zu MiB",
		    SCANREPORT_MAX_BYTES >> 20);
	/* Duplicate keys are refused: which one a reader takes is not defined. */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return rw_err_set(err, RW_EPARSE, "not JSON at byte %d: %s",
		    je.position, je.text);
	memset(&b, 0, sizeof(b));
	b.sr = out;
	b.err = err;
	out->r.scanned_at = -1;
	rc = parse_tree(&b, root);
	json_decref(root);
	free(b.slots);
	if (rc == RW_OK && out->r.ndigests == 0)
		rc = rw_err_set(err, RW_EPARSE, "the report names no image digest");
	if (rc == RW_OK)
		rc = rw_digest(RW_HASH_SHA256, body, len, out->report_digest);
	if (rc != RW_OK) {
		if (rc == RW_ENOMEM)
			nomem(err);
		scanreport_cleanup(out);
		return rc;
	}
	out->r.report_digest = out->report_digest;
	out->r.findings = out->findings;
	out->r.secrets = out->secrets;
	out->r.digests = out->digests;
	out->r.digest_kinds = out->kinds;
	return RW_OK;
}
