/*
 * vex.c - OpenVEX: the statements of a verified OpenVEX attestation that
 * name this image, and which findings of its scan they suppress.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "policy/internal.h"
#include "policy/sig/sig.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Statements read from one document; a larger one is refused whole. */
#define VEX_STMTS_MAX		4096
/* Products, subcomponents and aliases read from one statement. */
#define VEX_LIST_MAX		256
/* How much of an id, product or justification a message quotes. */
#define VEX_SHOW		96
/* A product's purl: its digest comes after the image's name. */
#define VEX_PRODUCT_SHOW	160

static const char *const status_names[] = { "not_affected", "affected",
	"fixed", "under_investigation", NULL };
static const char *const justifications[] = { "component_not_present",
	"vulnerable_code_not_present", "vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist", NULL };

const char *
policy_vex_status_name(int status)
{
	return status >= 0 && status <= POLICY_VEX_UNDER_INVESTIGATION ?
	    status_names[status] : "unknown";
}

/* ----------------------------------------------------------- products */

static unsigned
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	return 16;
}

/* "sha256%3Aabc" decoded into OUT; 0 when it does not fit or is bad. */
static int
pct_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;
	unsigned hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= size)
			return 0;
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return 0;
		hi = hexval(s[i + 1]);
		lo = hexval(s[i + 2]);
		if (hi > 15 || lo > 15)
			return 0;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return 1;
}

/*
 * Whether product identifier ID names DIGEST: the digest itself, an image
 * reference ending "@<digest>", or a package URL pkg:oci/<name>@<digest>
 * (the ':' percent-encoded or not, qualifiers and subpath ignored).
 */
int
policy_vex_id_names(const char *id, const char *digest)
{
	char ver[RW_DIGEST_MAX * 3];
	const char *at, *end;
	size_t n = strlen(id), d = strlen(digest);

	if (strcmp(id, digest) == 0)
		return 1;
	if (strncmp(id, "pkg:", 4) == 0 && strncmp(id, "pkg:oci/", 8) != 0)
		return 0;	/* a package of another kind */
	if (strncmp(id, "pkg:oci/", 8) != 0)
		return n > d && id[n - d - 1] == '@' &&
		    strcmp(id + n - d, digest) == 0;
	end = id + strcspn(id, "?#");
	for (at = end; at > id && *at != '@'; at--)
		;
	if (*at != '@' || !pct_decode(at + 1, (size_t)(end - at - 1), ver,
	    sizeof(ver)))
		return 0;
	return strcmp(ver, digest) == 0;
}

/* Whether product P (an object or, in OpenVEX v0.0.1, a string) is DIGEST. */
static int
product_names(json_t *p, const char *digest)
{
	const char *id, *hex = strchr(digest, ':');
	json_t *v;

	if (json_is_string(p))
		return policy_vex_id_names(json_string_value(p), digest);
	id = json_string_value(json_object_get(p, "@id"));
	if (id != NULL && policy_vex_id_names(id, digest))
		return 1;
	v = json_object_get(json_object_get(p, "identifiers"), "purl");
	if (json_is_string(v) && policy_vex_id_names(json_string_value(v),
	    digest))
		return 1;
	/* The product's own hash: an image's is its manifest digest. */
	v = json_object_get(json_object_get(p, "hashes"),
	    rw_hash_alg_of(digest) == RW_HASH_SHA256 ? "sha-256" : "sha-512");
	return hex != NULL && json_is_string(v) &&
	    strcmp(json_string_value(v), hex + 1) == 0;
}

/* The identifier a message shows for product P. */
static const char *
product_id(json_t *p)
{
	const char *id;

	if (json_is_string(p))
		return json_string_value(p);
	id = json_string_value(json_object_get(p, "@id"));
	if (id == NULL)
		id = json_string_value(json_object_get(json_object_get(p,
		    "identifiers"), "purl"));
	return id != NULL ? id : "(a product without @id)";
}

/* ------------------------------------------------------------ parsing */

static void
stmt_free(struct policy_vex_stmt *s)
{
	size_t i;

	free(s->vuln);
	for (i = 0; i < s->naliases; i++)
		free(s->aliases[i]);
	free(s->aliases);
	for (i = 0; i < s->npkgs; i++) {
		free(s->pkgs[i].name);
		free(s->pkgs[i].path);
		free(s->pkgs[i].version);
	}
	free(s->pkgs);
	free(s->justification);
	free(s->impact);
	free(s->other_product);
}

void
policy_vex_doc_free(struct policy_vex_doc *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		stmt_free(&d->s[i]);
	free(d->s);
	memset(d, 0, sizeof(*d));
}

static char *
dup_or_null(const char *s, int *nomem)
{
	char *c;

	if (s == NULL)
		return NULL;
	c = strdup(s);
	if (c == NULL)
		*nomem = 1;
	return c;
}

/*
 * A subcomponent's package, from its purl ("pkg:deb/debian/openssl@3.0.1"
 * gives openssl, debian/openssl and 3.0.1) or, for another identifier,
 * the identifier itself as the name.
 */
static int
subcomponent(json_t *c, struct policy_vex_pkg *out)
{
	char buf[512];
	const char *id, *at, *slash, *end, *name;
	int nomem = 0;

	id = json_is_string(c) ? json_string_value(c) :
	    json_string_value(json_object_get(c, "@id"));
	if (id == NULL)
		id = json_string_value(json_object_get(json_object_get(c,
		    "identifiers"), "purl"));
	if (id == NULL || id[0] == '\0')
		return -1;
	memset(out, 0, sizeof(*out));
	if (strncmp(id, "pkg:", 4) != 0) {
		out->name = dup_or_null(id, &nomem);
		return nomem ? -2 : 0;
	}
	end = id + strcspn(id, "?#");
	for (at = end; at > id && *at != '@'; at--)
		;
	if (*at != '@')
		at = end;
	slash = strchr(id + 4, '/');	/* after the type */
	if (slash == NULL || slash >= at)
		return -1;
	if (!pct_decode(slash + 1, (size_t)(at - slash - 1), buf, sizeof(buf)))
		return -1;
	out->path = dup_or_null(buf, &nomem);
	name = strrchr(buf, '/');
	out->name = dup_or_null(name != NULL ? name + 1 : buf, &nomem);
	if (at < end && pct_decode(at + 1, (size_t)(end - at - 1), buf,
	    sizeof(buf)))
		out->version = dup_or_null(buf, &nomem);
	return nomem ? -2 : 0;
}

static int
vuln_of(json_t *st, struct policy_vex_stmt *s, char *why, size_t wsize)
{
	json_t *v = json_object_get(st, "vulnerability"), *al, *a;
	const char *name;
	size_t i;
	int nomem = 0;

	name = json_is_string(v) ? json_string_value(v) :
	    json_string_value(json_object_get(v, "name"));
	if (name == NULL || name[0] == '\0') {
		snprintf(why, wsize, "no vulnerability.name");
		return -1;
	}
	s->vuln = dup_or_null(name, &nomem);
	al = json_object_get(v, "aliases");
	if (json_array_size(al) > 0 && json_array_size(al) <= VEX_LIST_MAX) {
		s->aliases = calloc(json_array_size(al), sizeof(char *));
		if (s->aliases == NULL)
			return -2;
		json_array_foreach(al, i, a)
			if (json_is_string(a))
				s->aliases[s->naliases++] = dup_or_null(
				    json_string_value(a), &nomem);
	}
	return nomem ? -2 : 0;
}

static int
status_of(json_t *st, struct policy_vex_stmt *s, char *why, size_t wsize)
{
	const char *status = json_string_value(json_object_get(st, "status"));
	const char *j = json_string_value(json_object_get(st,
	    "justification"));
	const char *imp = json_string_value(json_object_get(st,
	    "impact_statement"));
	char q[VEX_SHOW * 4 + 16];
	int i, nomem = 0;

	for (i = 0; status != NULL && status_names[i] != NULL; i++)
		if (strcmp(status, status_names[i]) == 0)
			break;
	if (status == NULL || status_names[i] == NULL) {
		snprintf(why, wsize, "status %s is none of not_affected, "
		    "affected, fixed, under_investigation", status == NULL ?
		    "(missing)" : rw_show(q, sizeof(q), status, VEX_SHOW));
		return -1;
	}
	s->status = i;
	if (j != NULL) {
		for (i = 0; justifications[i] != NULL; i++)
			if (strcmp(j, justifications[i]) == 0)
				break;
		if (justifications[i] == NULL) {
			snprintf(why, wsize, "justification %s is not one of "
			    "OpenVEX's", rw_show(q, sizeof(q), j, VEX_SHOW));
			return -1;
		}
	}
	/* The specification requires one of the two; without, no claim. */
	if (s->status == POLICY_VEX_NOT_AFFECTED && j == NULL && (imp == NULL ||
	    imp[0] == '\0')) {
		snprintf(why, wsize, "not_affected without a justification or "
		    "an impact_statement");
		return -1;
	}
	s->justification = dup_or_null(j, &nomem);
	s->impact = dup_or_null(imp, &nomem);
	return nomem ? -2 : 0;
}

static int
time_of(json_t *obj, int64_t dflt, int64_t *out, char *why, size_t wsize)
{
	json_t *t = json_object_get(obj, "timestamp");

	*out = dflt;
	if (t == NULL)
		return 0;
	if (!json_is_string(t) || rw_parse_time(json_string_value(t), out,
	    NULL) != RW_OK) {
		snprintf(why, wsize, "timestamp is not an RFC 3339 date and "
		    "time");
		return -1;
	}
	return 0;
}

/* The subcomponents of the product that named the image, if any. */
static int
pkgs_of(json_t *prod, struct policy_vex_stmt *s, char *why, size_t wsize)
{
	json_t *subs = json_object_get(prod, "subcomponents"), *c;
	size_t i;
	int rc;

	if (json_array_size(subs) == 0)
		return 0;
	if (json_array_size(subs) > VEX_LIST_MAX) {
		snprintf(why, wsize, "more than %d subcomponents",
		    VEX_LIST_MAX);
		return -1;
	}
	s->pkgs = calloc(json_array_size(subs), sizeof(*s->pkgs));
	if (s->pkgs == NULL)
		return -2;
	json_array_foreach(subs, i, c) {
		rc = subcomponent(c, &s->pkgs[s->npkgs]);
		if (rc == -1) {
			snprintf(why, wsize, "subcomponent %zu has no @id", i);
			return -1;
		}
		s->npkgs++;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Statement ST into S: its vulnerability, status, justification, time, and
 * whether one of its products names DIGEST (S->applies; otherwise the first
 * product, for messages).  Returns 0, -1 (malformed, WHY), -2 (no memory).
 */
static int
stmt_parse(json_t *st, int64_t doc_ts, const char *digest,
    struct policy_vex_stmt *s, char *why, size_t wsize)
{
	json_t *prods = json_object_get(st, "products"), *p;
	size_t i;
	int rc, nomem = 0;

	if (!json_is_object(st)) {
		snprintf(why, wsize, "not an object");
		return -1;
	}
	if ((rc = vuln_of(st, s, why, wsize)) != 0 ||
	    (rc = status_of(st, s, why, wsize)) != 0 ||
	    (rc = time_of(st, doc_ts, &s->ts, why, wsize)) != 0)
		return rc;
	if (prods != NULL && (!json_is_array(prods) ||
	    json_array_size(prods) > VEX_LIST_MAX)) {
		snprintf(why, wsize, "products is not an array of at most %d",
		    VEX_LIST_MAX);
		return -1;
	}
	json_array_foreach(prods, i, p) {
		if (product_names(p, digest)) {
			s->applies = 1;
			return pkgs_of(p, s, why, wsize);
		}
	}
	if (json_array_size(prods) > 0)
		s->other_product = dup_or_null(product_id(json_array_get(prods,
		    0)), &nomem);
	return nomem ? -2 : 0;
}

int
policy_vex_parse(json_t *doc, const char *digest, struct policy_vex_doc *out,
    char *why, size_t wsize)
{
	char one[160];
	json_t *sts, *st;
	int64_t ts;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	sts = json_object_get(doc, "statements");
	if (!json_is_array(sts)) {
		snprintf(why, wsize, "no statements array");
		return -1;
	}
	if (json_array_size(sts) > VEX_STMTS_MAX) {
		snprintf(why, wsize, "%zu statements (at most %d)",
		    json_array_size(sts), VEX_STMTS_MAX);
		return -1;
	}
	if (time_of(doc, -1, &ts, why, wsize) != 0)
		return -1;
	out->s = calloc(json_array_size(sts) + 1, sizeof(*out->s));
	if (out->s == NULL)
		return -2;
	json_array_foreach(sts, i, st) {
		rc = stmt_parse(st, ts, digest, &out->s[out->n++], one,
		    sizeof(one));
		if (rc == -1)
			snprintf(why, wsize, "statements[%zu]: %s", i, one);
		if (rc != 0) {
			policy_vex_doc_free(out);
			return rc;
		}
	}
	return 0;
}

/* ----------------------------------------------------------- matching */

static int
pkg_names(const struct policy_vex_pkg *p, const struct policy_finding *f)
{
	if (f->pkg == NULL || (strcmp(f->pkg, p->name) != 0 &&
	    (p->path == NULL || strcmp(f->pkg, p->path) != 0)))
		return 0;
	/* A version named must be the one installed. */
	return p->version == NULL || f->installed == NULL ||
	    f->installed[0] == '\0' || strcmp(p->version, f->installed) == 0;
}

static int
names_vuln(const struct policy_vex_stmt *s, const char *id)
{
	size_t i;

	if (id == NULL)
		return 0;
	if (strcasecmp(s->vuln, id) == 0)
		return 1;
	for (i = 0; i < s->naliases; i++)
		if (s->aliases[i] != NULL && strcasecmp(s->aliases[i], id) == 0)
			return 1;
	return 0;
}

int
policy_vex_stmt_covers(const struct policy_vex_stmt *s,
    const struct policy_finding *f)
{
	size_t i;

	if (!s->applies || !names_vuln(s, f->id))
		return 0;
	if (s->npkgs == 0)
		return 1;
	for (i = 0; i < s->npkgs; i++)
		if (pkg_names(&s->pkgs[i], f))
			return 1;
	return 0;
}

static int
suppressing(int status)
{
	return status == POLICY_VEX_NOT_AFFECTED || status == POLICY_VEX_FIXED;
}

/*
 * The statement that decides F: of those covering it, the latest; at the
 * same time (or with none), one that does not suppress wins, so that two
 * statements that disagree never hide a finding.
 */
const struct policy_vex_stmt *
policy_vex_decide(const struct policy_vex_set *v,
    const struct policy_finding *f, size_t *key)
{
	const struct policy_vex_stmt *best = NULL, *s;
	size_t i, j;

	for (i = 0; v != NULL && i < v->ndocs; i++)
		for (j = 0; j < v->docs[i].n; j++) {
			s = &v->docs[i].s[j];
			if (!policy_vex_stmt_covers(s, f))
				continue;
			if (best != NULL && (s->ts < best->ts ||
			    (s->ts == best->ts && !suppressing(best->status))))
				continue;
			best = s;
			*key = v->key[i];
		}
	return best;
}

int
policy_vex_suppresses(const struct policy_vex_set *v,
    const struct policy_finding *f)
{
	const struct policy_vex_stmt *s;
	size_t key;

	s = policy_vex_decide(v, f, &key);
	return s != NULL && suppressing(s->status);
}

/* ---------------------------------------------------------- gathering */

static int
openvex_type(const char *pt)
{
	size_t n = strlen(POLICY_OPENVEX_URI);

	return strncmp(pt, POLICY_OPENVEX_URI, n) == 0 && (pt[n] == '\0' ||
	    pt[n] == '/');
}

/* A note on VEX that suppresses nothing, kept when there is room. */
static void
note(struct policy_vex_set *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct policy_vex_set *v, const char *fmt, ...)
{
	char buf[sizeof(v->notes[0])];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (i = 0; i < v->nnotes; i++)
		if (strcmp(v->notes[i], buf) == 0)
			return;
	v->total++;
	if (v->nnotes < POLICY_VEX_NOTES)
		rw_strlcpy(v->notes[v->nnotes++], buf, sizeof(buf));
}

/* S from an attestation, printable (\xNN otherwise), unquoted. */
static const char *
plain(char *buf, size_t size, const char *s)
{
	struct rw_sb sb;

	rw_sb_init(&sb, buf, size);
	rw_sb_safe(&sb, s, size / 4 - 4);
	rw_sb_finish(&sb);
	return buf;
}

static const char *
key_name(const struct policy_ev *e, size_t k)
{
	return e->p->keys[k].name;
}

/* "ci, scanner": the keys the rule trusts for VEX. */
static void
trusted(const struct policy_ev *e, char *buf, size_t size)
{
	struct rw_sb sb;
	size_t i;

	rw_sb_init(&sb, buf, size);
	for (i = 0; i < e->r->nvex_keys; i++)
		rw_sb_add(&sb, "%s%s", i > 0 ? ", " : "",
		    key_name(e, e->r->vex_keys[i]));
	rw_sb_finish(&sb);
}

static int
failed(struct policy_ev *e, int rc, const struct rw_err *err)
{
	if (e->fail_rc == RW_OK) {
		e->fail_rc = rc;
		snprintf(e->fail_msg, sizeof(e->fail_msg), "%s",
		    err->msg[0] != '\0' ? err->msg : rw_strerror(rc));
	}
	return -1;
}

/* A statement verified by KEY: its OpenVEX document into V. */
static int
take(struct policy_ev *e, struct policy_vex_set *v, const char *origin,
    size_t key, const char *stmt, size_t slen, const char *digest)
{
	char why[200], q[VEX_SHOW * 4 + 16];
	json_t *st;
	int rc;

	st = json_loadb(stmt, slen, 0, NULL);
	if (st == NULL)
		return -2;
	rc = policy_vex_parse(json_object_get(st, "predicate"), digest,
	    &v->docs[v->ndocs], why, sizeof(why));
	json_decref(st);
	if (rc == -1)
		note(v, "%s by %s is malformed: %s", plain(q, sizeof(q),
		    origin), key_name(e, key), why);
	if (rc != 0)
		return rc == -1 ? 0 : rc;
	v->key[v->ndocs++] = key;
	return 0;
}

/* Attestation IN against every key the rule trusts for VEX. */
static int
one(struct policy_ev *e, struct policy_vex_set *v,
    const struct policy_att_input *in, const char *digest)
{
	const struct policy_keyent *ke;
	struct sig_dsse_result res;
	struct rw_err err;
	char who[200], q[VEX_SHOW * 4 + 16], pt[256] = "";
	const char *origin = in->origin != NULL ? in->origin : "attestation";
	size_t i;
	int rc;

	for (i = 0; i < e->r->nvex_keys; i++) {
		ke = &e->p->keys[e->r->vex_keys[i]];
		if (ke->troot != NULL || ke->key == NULL)
			continue;	/* it verifies bundles only */
		rw_err_clear(&err);
		rc = sig_dsse_verify(ke->key, in->envelope, in->elen, digest,
		    &res, &err);
		if (rc != RW_OK)
			return failed(e, rc, &err);
		rw_strlcpy(pt, res.predicate_type, sizeof(pt));
		if (res.verdict == SIG_WRONG_DIGEST && openvex_type(pt))
			note(v, "%s by %s is about another image (%s)",
			    plain(q, sizeof(q), origin),
			    ke->name, res.digest);
		if (res.verdict == SIG_WRONG_DIGEST)
			return 0;
		if (res.verdict != SIG_VALID)
			continue;
		rc = openvex_type(pt) ? take(e, v, origin, e->r->vex_keys[i],
		    res.statement, res.slen, digest) : 0;
		sig_dsse_result_free(&res);
		if (rc == -2) {
			rw_err_set(&err, RW_ENOMEM, "out of memory");
			return failed(e, RW_ENOMEM, &err);
		}
		return 0;
	}
	if (openvex_type(pt)) {
		trusted(e, who, sizeof(who));
		note(v, "%s is not signed by a key trusted for VEX (%s)",
		    plain(q, sizeof(q), origin), who);
	}
	return 0;
}

/* VEX in Sigstore bundle IN, by one of the keys judged by a trusted root. */
static int
one_bundle(struct policy_ev *e, struct policy_vex_set *v,
    const struct policy_att_input *in, const char *digest)
{
	const struct policy_keyent *ke;
	struct sig_bundle_result res;
	struct rw_err err;
	char who[200], q[VEX_SHOW * 4 + 16], pt[256] = "", other[80];
	const char *origin = in->origin != NULL ? in->origin : "attestation";
	char *st = NULL;
	size_t i, slen;
	int rc;

	for (i = 0; i < e->r->nvex_keys; i++) {
		ke = &e->p->keys[e->r->vex_keys[i]];
		if (ke->troot == NULL)
			continue;	/* it verifies .att layers only */
		rw_err_clear(&err);
		rc = policy_bundle_check(e->p, e->r->vex_keys[i], in, digest,
		    e->now, &res, &err);
		if (rc != RW_OK)
			return failed(e, rc, &err);
		if (!openvex_type(res.predicate_type))
			continue;
		if (res.verdict == SIG_WRONG_DIGEST) {
			policy_bundle_subject(in, other, sizeof(other));
			note(v, "%s by %s is about another image (%s)",
			    plain(q, sizeof(q), origin), ke->name, other);
			return 0;
		}
		if (res.verdict != SIG_VALID)
			continue;
		rc = sig_bundle_statement(in->envelope, in->elen, &st, &slen,
		    &err);
		if (rc != RW_OK)
			return failed(e, rc, &err);
		rc = take(e, v, origin, e->r->vex_keys[i], st, slen, digest);
		free(st);
		if (rc == -2) {
			rw_err_set(&err, RW_ENOMEM, "out of memory");
			return failed(e, RW_ENOMEM, &err);
		}
		return 0;
	}
	policy_bundle_peek(in, pt, sizeof(pt));
	if (openvex_type(pt)) {
		trusted(e, who, sizeof(who));
		note(v, "%s is not signed by a key trusted for VEX (%s)",
		    plain(q, sizeof(q), origin), who);
	}
	return 0;
}

struct policy_vex_set *
policy_vex_gather(struct policy_ev *e)
{
	const struct admission_req *q = e->req;
	const char *digest = q->sig_subject != NULL ? q->sig_subject :
	    q->digest;
	struct policy_vex_set *v;
	struct rw_err err;
	const char *mt;
	size_t i;
	int rc;

	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		rw_err_clear(&err);
		rw_err_set(&err, RW_ENOMEM, "out of memory");
		failed(e, RW_ENOMEM, &err);
		return NULL;
	}
	for (i = 0; digest != NULL && i < q->natts && i < POLICY_ATT_INPUT_MAX;
	    i++) {
		mt = q->atts[i].media_type;
		if (mt != NULL && strcmp(mt, SIG_DSSE_MEDIA) == 0)
			rc = one(e, v, &q->atts[i], digest);
		else if (mt != NULL && strncmp(mt, SIG_BUNDLE_MEDIA_PREFIX,
		    strlen(SIG_BUNDLE_MEDIA_PREFIX)) == 0)
			rc = one_bundle(e, v, &q->atts[i], digest);
		else
			rc = 0;
		if (rc != 0) {
			policy_vex_set_free(v);
			return NULL;
		}
	}
	return v;
}

void
policy_vex_set_free(struct policy_vex_set *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->ndocs; i++)
		policy_vex_doc_free(&v->docs[i]);
	free(v);
}

/* ------------------------------------------------------------ reasons */

/* "not_affected (vulnerable_code_not_in_execute_path)" */
static void
status_text(struct rw_sb *sb, const struct policy_vex_stmt *s)
{
	rw_sb_add(sb, "%s", policy_vex_status_name(s->status));
	if (s->justification != NULL)
		rw_sb_add(sb, " (%s)", s->justification);
	else if (s->impact != NULL && s->status == POLICY_VEX_NOT_AFFECTED) {
		rw_sb_add(sb, " (impact: ");
		rw_sb_safe(sb, s->impact, VEX_SHOW);
		rw_sb_add(sb, ")");
	}
}

/* "CVE-2024-1234 suppressed by OpenVEX from key ci: not_affected (...)" */
static void
suppressed_text(struct rw_sb *sb, const struct policy_ev *e,
    const struct policy_finding *f, const struct policy_vex_stmt *s,
    size_t key)
{
	rw_sb_safe(sb, f->id, VEX_SHOW);
	rw_sb_add(sb, " suppressed by OpenVEX from key %s: ", key_name(e, key));
	status_text(sb, s);
}

static int
sev_of(const struct policy_finding *f)
{
	if (f->severity < 0)
		return POLICY_SEV_UNKNOWN;
	return f->severity > POLICY_SEV_CRITICAL ? POLICY_SEV_CRITICAL :
	    f->severity;
}

/* Whether a limit of the rule reads F: VEX about others is noise. */
static int
limited(const struct policy_ev *e, const struct policy_finding *f)
{
	int sev = sev_of(f);

	return (e->r->scan_max_sev >= 0 && sev > e->r->scan_max_sev) ||
	    e->r->scan_counts[sev] >= 0;
}

/* Whether F's id came earlier in the report (each id is said once). */
static int
seen(const struct policy_scan *sc, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (sc->f[j].id != NULL && strcasecmp(sc->f[j].id,
		    sc->f[i].id) == 0)
			return 1;
	return 0;
}

/* Why VEX left finding F counted, when some statement spoke of it. */
static void
finding_note(struct policy_ev *e, struct policy_vex_set *v,
    const struct policy_finding *f)
{
	const struct policy_vex_stmt *s;
	char q[VEX_SHOW * 4 + 16], p[VEX_PRODUCT_SHOW * 4 + 16];
	size_t key = 0, i, j;

	s = policy_vex_decide(v, f, &key);
	if (s != NULL) {
		note(v, "key %s says %s is %s", key_name(e, key),
		    plain(q, sizeof(q), f->id),
		    policy_vex_status_name(s->status));
		return;
	}
	for (i = 0; i < v->ndocs; i++)
		for (j = 0; j < v->docs[i].n; j++) {
			s = &v->docs[i].s[j];
			if (s->applies || s->other_product == NULL ||
			    !names_vuln(s, f->id))
				continue;
			note(v, "the statement of key %s on %s names another "
			    "product (%s)", key_name(e, v->key[i]),
			    plain(q, sizeof(q), f->id),
			    plain(p, sizeof(p), s->other_product));
			return;
		}
}

void
policy_vex_notes(struct policy_ev *e, struct policy_vex_set *v)
{
	const struct policy_scan *sc = e->req->scan;
	size_t i;

	for (i = 0; sc != NULL && i < sc->nf; i++)
		if (sc->f[i].id != NULL && !seen(sc, i) &&
		    limited(e, &sc->f[i]) &&
		    !policy_vex_suppresses(v, &sc->f[i]))
			finding_note(e, v, &sc->f[i]);
}

void
policy_vex_report(struct policy_ev *e, const struct policy_vex_set *v)
{
	const struct policy_scan *sc = e->req->scan;
	const struct policy_vex_stmt *s;
	struct rw_sb sb;
	size_t i, key = 0, n = 0, shown = 0;

	for (i = 0; sc != NULL && i < sc->nf; i++) {
		if (sc->f[i].id == NULL || seen(sc, i))
			continue;
		s = policy_vex_decide(v, &sc->f[i], &key);
		if (s == NULL || !suppressing(s->status))
			continue;
		if (n++ == 0)
			policy_reason(e, &sb, "scan.vex", 0);
		if (shown < POLICY_LIST_MAX) {
			rw_sb_add(&sb, "%s", shown > 0 ? "; " : "");
			suppressed_text(&sb, e, &sc->f[i], s, key);
			shown++;
		}
	}
	if (n > 0) {
		policy_list_more(&sb, shown, n);
		rw_sb_finish(&sb);
	}
	if (v->nnotes == 0)
		return;
	policy_detail(e, &sb, "scan.vex", 1);
	rw_sb_add(&sb, "OpenVEX not applied: ");
	for (i = 0; i < v->nnotes; i++)
		rw_sb_add(&sb, "%s%s", i > 0 ? "; " : "", v->notes[i]);
	policy_list_more(&sb, v->nnotes, v->total);
	rw_sb_finish(&sb);
}

void
policy_vex_tail(const struct policy_ev *e, const struct policy_vex_set *v,
    struct rw_sb *sb)
{
	const struct policy_scan *sc = e->req->scan;
	const struct policy_vex_stmt *s;
	size_t i, key = 0, n = 0;

	if (v == NULL)
		return;
	for (i = 0; sc != NULL && i < sc->nf; i++) {
		if (sc->f[i].id == NULL || seen(sc, i))
			continue;
		s = policy_vex_decide(v, &sc->f[i], &key);
		if (s == NULL || !suppressing(s->status))
			continue;
		if (n++ == 0) {
			rw_sb_add(sb, "; ");
			suppressed_text(sb, e, &sc->f[i], s, key);
		}
	}
	policy_list_more(sb, n > 0 ? 1 : 0, n);
	if (v->nnotes > 0) {
		rw_sb_add(sb, "; OpenVEX not applied: %.200s", v->notes[0]);
		policy_list_more(sb, 1, v->total);
	}
}
