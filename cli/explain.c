/* explain.c - `regwarden check` and `regwarden explain`: a policy and one decision, shown to an admin. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/explain.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "db/db.h"
#include "cli/cli.h"
#include "server/config.h"
#include "cli/explain_int.h"
#include "server/facts.h"
#include "server/rpmspool.h"
#include "content/content.h"
#include "server/facts_content.h"
#include "server/internal.h"
#include "server/mcache.h"
#include "cli/upclient.h"
#include "util/util.h"

#define CONFIG_CAP	(8 * 1024 * 1024)	/* image config blobs, as the proxy */
#define SHOW_MAX	200	/* bytes of a label value shown */
#define SHOW_LABELS	50	/* labels listed per image */

const char explain_usage[] =
    "usage: regwarden check [-c config.json] [policy.json]\n"
    "       regwarden explain [-c config.json] [--op pull|push] [--json] "
    "<image-ref>\n"
    "check validates a policy (default: the config's \"policy\") and prints\n"
    "every error as file:line:col: message.\n"
    "  exit status: 0 valid, 1 errors, 2 usage\n"
    "explain decides one image against the live upstream, enforcing and\n"
    "recording nothing.  image-ref: nginx:1.25, ghcr.io/org/app@sha256:...\n"
    "  exit status: 0 served (allow, warn, audit), 2 usage, 3 refused,\n"
    "  4 could not decide (config, policy, upstream or database error)\n";


static json_t	*jstr(const char *s);

/* ------------------------------------------------------------ arguments */

static int
is_opt(const char *a, const char *s, const char *l)
{
	return strcmp(a, s) == 0 || (l != NULL && strcmp(a, l) == 0);
}

int
explain_parse_check(int argc, char **argv, const char *default_config,
    struct explain_args *out, struct rw_err *err)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->config = default_config;
	for (i = 1; i < argc; i++) {
		if (is_opt(argv[i], "-c", "--config")) {
			if (i + 1 >= argc)
				return rw_err_set(err, RW_EINVAL, "option %s needs "
				    "a value", argv[i]);
			out->config = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			out->config = argv[i] + 9;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return rw_err_set(err, RW_EINVAL, "unknown option \"%s\"",
			    argv[i]);
		} else if (out->policy != NULL) {
			return rw_err_set(err, RW_EINVAL, "too many arguments: "
			    "\"%s\"", argv[i]);
		} else {
			out->policy = argv[i];
		}
	}
	return RW_OK;
}

static int
parse_op(const char *s, int *op, struct rw_err *err)
{
	if (strcmp(s, "pull") == 0)
		*op = POLICY_OP_PULL;
	else if (strcmp(s, "push") == 0)
		*op = POLICY_OP_PUSH;
	else
		return rw_err_set(err, RW_EINVAL, "--op must be \"pull\" or "
		    "\"push\", not \"%s\"", s);
	return RW_OK;
}

int
explain_parse_explain(int argc, char **argv, const char *default_config,
    struct explain_args *out, struct rw_err *err)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->config = default_config;
	out->op = POLICY_OP_PULL;
	for (i = 1; i < argc; i++) {
		if (is_opt(argv[i], "-c", "--config") || is_opt(argv[i], "--op",
		    NULL)) {
			if (i + 1 >= argc)
				return rw_err_set(err, RW_EINVAL, "option %s needs "
				    "a value", argv[i]);
			if (argv[i][1] == 'c' || argv[i][2] == 'c')
				out->config = argv[++i];
			else if (parse_op(argv[++i], &out->op, err) != RW_OK)
				return RW_EINVAL;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			out->config = argv[i] + 9;
		} else if (strncmp(argv[i], "--op=", 5) == 0) {
			if (parse_op(argv[i] + 5, &out->op, err) != RW_OK)
				return RW_EINVAL;
		} else if (is_opt(argv[i], "--json", NULL)) {
			out->json = 1;
		} else if (argv[i][0] == '-') {
			return rw_err_set(err, RW_EINVAL, "unknown option \"%s\"",
			    argv[i]);
		} else if (out->ref != NULL) {
			return rw_err_set(err, RW_EINVAL, "too many arguments: "
			    "\"%s\"", argv[i]);
		} else {
			out->ref = argv[i];
		}
	}
	if (out->ref == NULL)
		return rw_err_set(err, RW_EINVAL, "missing image reference");
	return RW_OK;
}

/* ---------------------------------------------------------------- check */

static void
print_diags(FILE *fp, const struct rw_diags *d)
{
	char line[600];
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(fp, "%s\n", rw_err_str(&d->e[i], line, sizeof(line)));
	if (d->dropped > 0)
		fprintf(fp, "(%zu more errors not shown)\n", d->dropped);
}

static int
usage_error(FILE *err, const struct rw_err *e)
{
	fprintf(err, "regwarden: %s\n", e->msg);
	fputs(explain_usage, err);
	return EXPLAIN_EXIT_USAGE;
}

int
explain_check_main(int argc, char **argv, const char *default_config,
    FILE *out, FILE *err)
{
	struct explain_args a;
	struct rw_config *cfg = NULL;
	struct policy *p = NULL;
	struct rw_diags d;
	struct rw_err e;
	const char *path;
	size_t n;
	int rc = EXPLAIN_EXIT_INVALID;

	rw_err_clear(&e);
	if (explain_parse_check(argc, argv, default_config, &a, &e) != RW_OK)
		return usage_error(err, &e);
	memset(&d, 0, sizeof(d));
	path = a.policy;
	if (path == NULL) {
		if (config_load(a.config, &cfg, &d) != RW_OK) {
			print_diags(err, &d);
			goto out;
		}
		if (cfg->policy_path == NULL) {
			fprintf(err, "regwarden: %s has no \"policy\" key; name the "
			    "file to check: regwarden check policy.json\n",
			    a.config);
			goto out;
		}
		path = cfg->policy_path;
	}
	if (policy_load(path, &p, &d) != RW_OK) {
		print_diags(err, &d);
		goto out;
	}
	n = policy_nrules(p);
	fprintf(out, "%s: policy OK (revision %s, %zu rule%s)\n", path,
	    policy_revision(p), n, n == 1 ? "" : "s");
	rc = fflush(out) == 0 && !ferror(out) ? 0 : EXPLAIN_EXIT_INVALID;
out:
	policy_free(p);
	config_free(cfg);
	return rc;
}

/* ------------------------------------------------------------ gathering */

/* Everything one explanation fetched; facts point into it. */
struct gathered {
	char			 ref[800];	/* the image as the policy names it */
	char			 digest[RW_DIGEST_MAX];
	char			 media_type[256];
	int			 is_index;
	char			 cfg_digest[RW_DIGEST_MAX];
	struct facts_image	 img;
	int			 have_img;
	struct facts_platforms	 plats;
	int			 have_plats;
	char			 child_cfg[FACTS_MAX_PLATFORMS][RW_DIGEST_MAX];
	struct facts_image	 child_img[FACTS_MAX_PLATFORMS];
	struct policy_platform	 pl[FACTS_MAX_PLATFORMS];
	/* POLICY_NEED_CONTENT on an index: each platform's layers */
	struct facts_content	 cfc[FACTS_MAX_PLATFORMS];
	char			 labels[FACTS_MAX_PLATFORMS][128];
	const char		*label_ptr[FACTS_MAX_PLATFORMS];
	struct explain_image	 ev[FACTS_MAX_PLATFORMS];
	char			 pin[RW_DIGEST_MAX];
	const char		*pin_source;
	struct explain_sigs	 sigs;		/* POLICY_NEED_SIGS */
	struct explain_atts	 atts;		/* POLICY_NEED_ATTS */
};

static void
gathered_free(struct gathered *g)
{
	size_t i;

	if (g == NULL)
		return;
	facts_image_cleanup(&g->img);
	facts_platforms_cleanup(&g->plats);
	for (i = 0; i < FACTS_MAX_PLATFORMS; i++) {
		facts_image_cleanup(&g->child_img[i]);
		facts_content_cleanup(&g->cfc[i]);
	}
	explain_sigs_cleanup(&g->sigs);
	explain_atts_cleanup(&g->atts);
	free(g);
}

static int
index_type(const char *mt)
{
	return strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
	    strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json")
	    == 0;
}

/* The media type from the body, else from Content-Type (parameters cut). */
static void
media_type_of(const char *from_body, const char *ctype, char *out,
    size_t size)
{
	size_t n;

	if (from_body[0] != '\0') {
		rw_strlcpy(out, from_body, size);
		return;
	}
	n = strcspn(ctype, "; \t");
	snprintf(out, size, "%.*s", (int)n, ctype);
}

/* The config digest among REFS, or "". */
static void
config_ref(const struct mcache_ref *refs, size_t n, char *out, size_t size)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		if (refs[i].kind == DB_REF_CONFIG) {
			rw_strlcpy(out, refs[i].digest, size);
			return;
		}
}

/* The image config DIGEST, verified and parsed into FI. */
static int
fetch_config(struct upc *s, const char *digest, struct facts_image *fi,
    struct rw_err *err)
{
	char url[4096], got[RW_DIGEST_MAX], what[RW_DIGEST_MAX + 32];
	struct upc_resp r;
	int rc;

	snprintf(url, sizeof(url), "%s/v2/%s/blobs/%s", upc_upstream(s)->url,
	    upc_repo(s), digest);
	snprintf(what, sizeof(what), "the image config %s", digest);
	upc_resp_init(&r, CONFIG_CAP);
	rc = upc_get(s, url, UPC_BLOB, &r, err);
	if (rc == RW_OK && r.status != 200)
		rc = upc_bad_status(s, &r, what, err);
	if (rc == RW_OK &&
	    !upc_hash_matches(r.body.data, r.body.len, digest, got))
		rc = rw_err_set(err, RW_EDIGEST, "%s from upstream %s hashes to "
		    "%s", what, upc_upstream(s)->name, got);
	if (rc == RW_OK)
		rc = facts_image_parse(r.body.data != NULL ? r.body.data : "",
		    r.body.len, fi, err);
	upc_resp_cleanup(&r);
	return rc;
}

/*
 * Fetch the manifest at REFERENCE (a tag or a digest) and check it: by
 * digest it must hash to that digest; by tag to Docker-Content-Digest when
 * the upstream sends one.  Fills G's digest, media type and config digest;
 * *BODY gets the bytes (caller frees).
 */
static int
fetch_manifest(struct upc *s, const char *reference, int by_digest,
    struct gathered *g, char **body, size_t *len, struct rw_err *err)
{
	char url[4096], got[RW_DIGEST_MAX], mt[256], what[900];
	struct mcache_ref *refs = NULL;
	const char *want;
	struct upc_resp r;
	size_t n = 0;
	int rc;

	*body = NULL;
	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s",
	    upc_upstream(s)->url, upc_repo(s), reference);
	snprintf(what, sizeof(what), "manifest %s%s%s", upc_repo(s),
	    by_digest ? "@" : ":", reference);
	upc_resp_init(&r, upc_config(s)->max_manifest_bytes);
	rc = upc_get(s, url, UPC_MANIFEST, &r, err);
	if (rc == RW_OK && r.status != 200)
		rc = upc_bad_status(s, &r, what, err);
	if (rc != RW_OK)
		goto out;
	/* By tag without Docker-Content-Digest there is nothing to compare
	 * with: the digest is then the SHA-256 of the bytes, as clients
	 * compute it ("sha256:" only picks the algorithm). */
	want = by_digest ? reference : r.dcd[0] != '\0' ? r.dcd : "sha256:";
	if (!upc_hash_matches(r.body.data, r.body.len, want, got) &&
	    strcmp(want, "sha256:") != 0) {
		rc = by_digest ? rw_err_set(err, RW_EDIGEST, "%s from upstream "
		    "%s hashes to %s", what, upc_upstream(s)->name, got) :
		    rw_err_set(err, RW_EDIGEST, "%s from upstream %s hashes to "
		    "%s, not to its Docker-Content-Digest %s", what,
		    upc_upstream(s)->name, got, want);
		goto out;
	}
	rw_strlcpy(g->digest, got, sizeof(g->digest));
	rc = mcache_manifest_refs(r.body.data != NULL ? r.body.data : "",
	    r.body.len, &refs, &n, mt, sizeof(mt), err);
	if (rc != RW_OK)
		goto out;
	media_type_of(mt, r.ctype, g->media_type, sizeof(g->media_type));
	g->is_index = index_type(g->media_type);
	config_ref(refs, n, g->cfg_digest, sizeof(g->cfg_digest));
	*len = r.body.len;
	*body = rw_buf_steal(&r.body, NULL);
out:
	free(refs);
	upc_resp_cleanup(&r);
	return rc;
}

/* Buildkit lists its attestations in an index as unknown/unknown. */
static int
attestation_entry(const struct policy_platform *p)
{
	return p->os != NULL && strcmp(p->os, "unknown") == 0;
}

/* Platform I of an index: its manifest (verified), then what NEEDS asks
 * of it: its config, its layers (not an attestation's). */
static int
fetch_child(struct upc *s, struct gathered *g, size_t i, unsigned needs,
    struct rw_err *err)
{
	char url[4096], got[RW_DIGEST_MAX], mt[256], what[RW_DIGEST_MAX + 40];
	const char *digest = g->plats.digest[i];
	struct mcache_ref *refs = NULL;
	struct upc_resp r;
	size_t n = 0;
	int rc;

	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s",
	    upc_upstream(s)->url, upc_repo(s), digest);
	snprintf(what, sizeof(what), "platform manifest %s", digest);
	upc_resp_init(&r, upc_config(s)->max_manifest_bytes);
	rc = upc_get(s, url, UPC_MANIFEST, &r, err);
	if (rc == RW_OK && r.status != 200)
		rc = upc_bad_status(s, &r, what, err);
	if (rc == RW_OK &&
	    !upc_hash_matches(r.body.data, r.body.len, digest, got))
		rc = rw_err_set(err, RW_EDIGEST, "%s from upstream %s hashes to "
		    "%s", what, upc_upstream(s)->name, got);
	if (rc == RW_OK && (needs & POLICY_NEED_CONTENT) &&
	    !attestation_entry(&g->plats.p[i]))
		rc = facts_content_layers(r.body.data != NULL ? r.body.data :
		    "", r.body.len, &g->cfc[i], err);
	if (rc == RW_OK && (needs & POLICY_NEED_CONFIG))
		rc = mcache_manifest_refs(r.body.data != NULL ? r.body.data : "",
		    r.body.len, &refs, &n, mt, sizeof(mt), err);
	if (rc == RW_OK && (needs & POLICY_NEED_CONFIG)) {
		config_ref(refs, n, g->child_cfg[i], sizeof(g->child_cfg[i]));
		if (g->child_cfg[i][0] == '\0')
			rc = rw_err_set(err, RW_EPARSE, "%s names no image config",
			    what);
	}
	free(refs);
	upc_resp_cleanup(&r);
	if (rc == RW_OK && (needs & POLICY_NEED_CONFIG))
		rc = fetch_config(s, g->child_cfg[i], &g->child_img[i], err);
	if (rc == RW_OK && (needs & POLICY_NEED_CONFIG))
		g->pl[i].image = &g->child_img[i].img;
	return rc;
}

/* The platforms of the manifest (BODY) and, when NEEDS says so, each
 * image config. */
static int
gather_images(struct upc *s, struct gathered *g, const char *body,
    size_t len, unsigned needs, struct rw_err *err)
{
	size_t i;
	int rc;

	if (g->is_index) {
		rc = facts_platforms_parse(body, len, &g->plats, err);
		if (rc != RW_OK)
			return rc;
		g->have_plats = 1;
		for (i = 0; i < g->plats.n; i++) {
			g->pl[i] = g->plats.p[i];
			g->pl[i].image = NULL;
			if (!(needs & POLICY_NEED_CONFIG) &&
			    (!(needs & POLICY_NEED_CONTENT) ||
			    attestation_entry(&g->plats.p[i])))
				continue;
			rc = fetch_child(s, g, i, needs, err);
			if (rc != RW_OK)
				return rc;
		}
		return RW_OK;
	}
	if (!(needs & POLICY_NEED_CONFIG))
		return RW_OK;
	if (g->cfg_digest[0] == '\0')
		return rw_err_set(err, RW_EPARSE, "the manifest %s names no "
		    "image config", g->ref);
	rc = fetch_config(s, g->cfg_digest, &g->img, err);
	g->have_img = rc == RW_OK;
	return rc;
}

/*
 * The pin the proxy would read for HOST/REPO:TAG.  The policy file's pins
 * win: the proxy copies them into the db whenever it loads the policy.
 * The db is opened only when it exists, so explaining never creates one.
 */
static int
find_pin(const struct rw_config *cfg, const struct policy *p,
    const char *host, const char *repo, const char *tag, struct gathered *g,
    struct rw_err *err)
{
	const char *ph, *pr, *pt, *pd;
	struct db *db = NULL;
	size_t i;
	int rc;

	for (i = 0; i < policy_npins(p); i++) {
		policy_pin(p, i, &ph, &pr, &pt, &pd);
		if (strcasecmp(ph, host) == 0 && strcmp(pr, repo) == 0 &&
		    strcmp(pt, tag) == 0) {
			rw_strlcpy(g->pin, pd, sizeof(g->pin));
			g->pin_source = "policy file";
			return RW_OK;
		}
	}
	rc = config_open_db(cfg, 1, &db, err);
	if (rc == RW_ENOTFOUND)
		return RW_OK;	/* no db yet: nothing pinned */
	if (rc == RW_OK)
		rc = db_pin_get(db, host, repo, tag, g->pin, sizeof(g->pin), err);
	db_close(db);
	if (rc == RW_ENOTFOUND) {
		g->pin[0] = '\0';
		return RW_OK;
	}
	if (rc == RW_OK)
		g->pin_source = "state db";
	return rc;
}

/* ------------------------------------------------------- scan verdicts */

/* The scan verdict and exceptions explain reads (POLICY_NEED_SCAN). */
struct scanfacts {
	struct db_scan_view	 view;
	int			 have;
	struct policy_finding	*pf;
	struct policy_scan_secret *psec;
	struct policy_scan	 ps;
	struct db_exception	*dbx;
	size_t			 ndbx;
	struct policy_exception	*px;
	size_t			 npx;
	int64_t			 first_admitted;	/* POLICY_NEED_GRACE */
	int64_t			*seen;		/* per finding of pf */
};

static void
scanfacts_free(struct scanfacts *sf)
{
	db_scan_view_cleanup(&sf->view);
	free(sf->pf);
	free(sf->psec);
	db_exceptions_free(sf->dbx, sf->ndbx);
	free(sf->px);
	free(sf->seen);
	memset(sf, 0, sizeof(*sf));
}

/* The config digest a manifest names, or "". */
static void
config_of(const char *body, size_t len, char *out, size_t size)
{
	json_t *root = json_loadb(body, len, 0, NULL), *d;

	out[0] = '\0';
	d = json_object_get(json_object_get(root, "config"), "digest");
	if (json_is_string(d))
		rw_strlcpy(out, json_string_value(d), size);
	json_decref(root);
}

static int
scan_from_db(struct db *db, const char *const *digests, size_t n,
    struct scanfacts *sf, struct rw_err *err)
{
	size_t i;
	int rc;

	rc = db_scan_latest(db, digests, n, &sf->view, err);
	if (rc == RW_ENOTFOUND)
		rc = RW_OK;
	else if (rc == RW_OK) {
		sf->pf = calloc(sf->view.nfindings + 1, sizeof(*sf->pf));
		if (sf->pf == NULL)
			return rw_err_set(err, RW_ENOMEM, "out of memory");
		for (i = 0; i < sf->view.nfindings; i++) {
			sf->pf[i].id = sf->view.findings[i].id;
			sf->pf[i].pkg = sf->view.findings[i].pkg;
			sf->pf[i].installed = sf->view.findings[i].installed;
			sf->pf[i].fixed = sf->view.findings[i].fixed;
			sf->pf[i].severity = sf->view.findings[i].severity;
			sf->pf[i].fixable = sf->view.findings[i].fixable;
		}
		sf->ps.scanner = sf->view.scanner;
		sf->ps.scanner_version = sf->view.scanner_version;
		sf->ps.db_version = sf->view.db_version;
		sf->ps.scanned_at = sf->view.scanned_at;
		sf->ps.f = sf->pf;
		sf->ps.nf = sf->view.nfindings;
		rc = facts_scan_secrets(&sf->view, &sf->psec, err);
		sf->ps.s = sf->psec;
		sf->ps.ns = sf->view.nsecrets;
		sf->have = 1;
	}
	if (rc == RW_OK)
		rc = db_exceptions_for(db, &sf->dbx, &sf->ndbx, err);
	return rc;
}

/*
 * scan.grace_days: when the server first admitted the image DIGESTS[0] in
 * HOST/REPO, and when each finding of the report first appeared.
 */
static int
grace_from_db(struct db *db, const char *host, const char *repo,
    const char *const *digests, size_t n, struct scanfacts *sf,
    struct rw_err *err)
{
	int rc;

	if (!sf->have)
		return RW_OK;
	rc = db_admitted_first(db, host, repo, digests[0], &sf->first_admitted,
	    err);
	if (rc == RW_ENOTFOUND)
		return RW_OK;
	if (rc != RW_OK)
		return rc;
	sf->seen = calloc(sf->view.nfindings + 1, sizeof(*sf->seen));
	if (sf->seen == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	return db_scan_first_seen(db, digests, n, &sf->view, sf->seen, err);
}

/* ------------------------------------------------------------ the run */

/* One `regwarden explain`: what it read, what it fetched, what it says. */
struct run {
	struct explain_args	 a;
	struct cli_image	 ci;
	struct rw_config	*cfg;
	struct policy		*p;
	const struct cfg_upstream *up;
	char			 host[256];	/* as the policy names it */
	char			 upwhy[400];
	struct upc		*s;
	struct gathered		*g;
	struct verdict		 v;
	unsigned		 needs;
	struct scanfacts	 sf;
	struct facts_content	 fc;		/* POLICY_NEED_CONTENT */
	int			 have_content;
	FILE			*out;
	FILE			*err;
};

/*
 * The newest report naming the manifest or its config, with the store's
 * and the policy file's exceptions.  No db yet: no verdict, no exceptions.
 */
static int
find_scan(const struct run *rn, const char *digest, const char *config,
    struct scanfacts *sf, struct rw_err *err)
{
	const char *digests[2] = { digest, config };
	size_t n = config[0] != '\0' ? 2 : 1;
	struct db *db = NULL;
	int rc = RW_OK;

	rc = config_open_db(rn->cfg, 1, &db, err);
	if (rc == RW_ENOTFOUND) {
		rc = RW_OK;
	} else {
		if (rc == RW_OK)
			rc = scan_from_db(db, digests, n, sf, err);
		if (rc == RW_OK && (rn->needs & POLICY_NEED_GRACE))
			rc = grace_from_db(db, rn->host, rn->ci.repo, digests,
			    n, sf, err);
		db_close(db);
	}
	if (rc != RW_OK)
		return rc;
	return facts_exceptions(sf->dbx, sf->ndbx, rn->p, &sf->px, &sf->npx,
	    err);
}

/*
 * What the layers hold, from the indexes the proxy kept: explain reads no
 * layer itself, so an image the proxy never read cannot be decided here.
 */
static int
find_content(struct run *rn, const char *body, size_t len,
    struct rw_err *err)
{
	struct facts_content *set[FACTS_MAX_PLATFORMS];
	const char **missing = NULL;
	char path[4096];
	struct db *db = NULL;
	size_t i, n = 0, nset = 0, all = 0;
	int rc;

	/* An index: every platform's image that fetch_child listed. */
	for (i = 0; rn->g->is_index && i < rn->g->plats.n; i++)
		if (rn->g->cfc[i].layers != NULL)
			set[nset++] = &rn->g->cfc[i];
	if (!rn->g->is_index) {
		if ((rc = facts_content_layers(body, len, &rn->fc, err)) !=
		    RW_OK)
			return rc;
		set[nset++] = &rn->fc;
	}
	for (i = 0; i < nset; i++)
		all += set[i]->nlayers;
	if ((size_t)snprintf(path, sizeof(path), "%s/regwarden.db",
	    rn->cfg->state_dir) >= sizeof(path))
		return rw_err_set(err, RW_EINVAL, "state_dir path is too long");
	if (access(path, F_OK) != 0)
		return rw_err_set(err, RW_ENOTFOUND, "its layers have not been "
		    "read yet (no state database): pull it through regwarden "
		    "once");
	rc = db_open(path, &db, err);
	if (rc == RW_OK)
		rc = facts_content_load_set(db, set, nset, &missing, &n, err);
	db_close(db);
	free(missing);
	if (rc == RW_OK && n > 0)
		rc = rw_err_set(err, RW_ENOTFOUND, "%zu of its %zu layers have "
		    "not been read yet: pull it through regwarden once", n,
		    all);
	rn->have_content = rc == RW_OK;
	for (i = 0; rc == RW_OK && rn->g->is_index && i < rn->g->plats.n; i++)
		rn->g->pl[i].content = rn->g->cfc[i].layers != NULL ?
		    &rn->g->cfc[i].pc : NULL;
	return rc;
}

/* Print "could not decide" (and the JSON error object); returns 4. */
static int
undecided(struct run *rn, const char *why)
{
	json_t *o;
	char note[512];

	note[0] = '\0';
	if (rn->up != NULL && rn->upwhy[0] != '\0')
		snprintf(note, sizeof(note), " (upstream %s is %s)",
		    rn->up->name, rn->upwhy);
	fprintf(rn->err, "regwarden: could not decide on %s: %s%s\n",
	    rn->g != NULL && rn->g->ref[0] != '\0' ? rn->g->ref : rn->a.ref, why,
	    note);
	if (rn->a.json) {
		o = json_pack("{s:o,s:s,s:o}", "image", jstr(rn->g != NULL &&
		    rn->g->ref[0] != '\0' ? rn->g->ref : rn->a.ref), "decision",
		    "error", "error", jstr(why));
		if (o != NULL && json_dumpf(o, rn->out, JSON_COMPACT) == 0)
			fputc('\n', rn->out);
		json_decref(o);
	}
	return EXPLAIN_EXIT_UNDECIDED;
}

/* Config, policy and upstream.  Returns 0 or an exit status. */
static int
setup(struct run *rn)
{
	struct rw_diags d;

	memset(&d, 0, sizeof(d));
	if (config_load(rn->a.config, &rn->cfg, &d) != RW_OK) {
		print_diags(rn->err, &d);
		return undecided(rn, "the configuration has errors");
	}
	if (rn->cfg->policy_path != NULL &&
	    policy_load(rn->cfg->policy_path, &rn->p, &d) != RW_OK) {
		print_diags(rn->err, &d);
		return undecided(rn, "the policy has errors");
	}
	rn->up = config_upstream_by_host(rn->cfg, rn->ci.host);
	if (rn->up == NULL) {
		rn->up = config_default_upstream(rn->cfg);
		if (rn->up == NULL) {
			snprintf(rn->upwhy, sizeof(rn->upwhy), "no upstream "
			    "answers for %s and none is the default", rn->ci.host);
			return undecided(rn, rn->upwhy);
		}
		snprintf(rn->upwhy, sizeof(rn->upwhy), "the default: no upstream "
		    "lists host %s", rn->ci.host);
	}
	/* The proxy names an image by its upstream's host, not the client's. */
	decide_host(rn->up, rn->host, sizeof(rn->host));
	snprintf(rn->g->ref, sizeof(rn->g->ref), "%s/%s%s%s", rn->host,
	    rn->ci.repo, rn->ci.digest[0] != '\0' ? "@" : ":",
	    rn->ci.digest[0] != '\0' ? rn->ci.digest : rn->ci.tag);
	rn->s = upc_new(rn->cfg, rn->up, rn->ci.repo, 0, "regwarden-explain");
	if (rn->s == NULL)
		return undecided(rn, "cannot start libcurl");
	return 0;
}

/*
 * Fetch the manifest and what the rule needs.  *MLEN gets the manifest's
 * size.  Returns RW_OK, or an error with ERR set.
 */
static int
gather(struct run *rn, const char *tag, size_t *mlen, struct rw_err *e)
{
	char *body = NULL, cfgd[RW_DIGEST_MAX];
	int rc;

	rc = fetch_manifest(rn->s, tag != NULL ? tag : rn->ci.digest,
	    tag == NULL, rn->g, &body, mlen, e);
	if (rc == RW_OK && rn->p != NULL)
		policy_match(rn->p, rn->host, rn->ci.repo, rn->a.op, tag != NULL,
		    &rn->needs);
	if (rc == RW_OK)
		rc = gather_images(rn->s, rn->g, body, *mlen, rn->needs, e);
	if (rc == RW_OK && (rn->needs & POLICY_NEED_CONTENT))
		rc = find_content(rn, body, *mlen, e);
	if (rc == RW_OK && (rn->needs & POLICY_NEED_SCAN)) {
		config_of(body, *mlen, cfgd, sizeof(cfgd));
		rc = find_scan(rn, rn->g->digest, cfgd, &rn->sf, e);
	}
	free(body);
	if (rc == RW_OK && (rn->needs & POLICY_NEED_PIN) && tag != NULL)
		rc = find_pin(rn->cfg, rn->p, rn->host, rn->ci.repo, tag, rn->g,
		    e);
	if (rc == RW_OK && (rn->needs & POLICY_NEED_SIGS))
		rc = explain_sigs_gather(rn->s, rn->g->digest, &rn->g->sigs, e);
	if (rc == RW_OK && (rn->needs & POLICY_NEED_ATTS))
		rc = explain_atts_gather(rn->s, rn->g->digest, &rn->g->atts, e);
	return rc;
}

/* Fetch what the rule needs and decide.  Returns 0 or an exit status. */
static int
decide(struct run *rn)
{
	struct admission_req q;
	struct rw_err e;
	const char *tag = rn->ci.digest[0] != '\0' ? NULL : rn->ci.tag;
	size_t len = 0;
	int rc;

	rw_err_clear(&e);
	rc = gather(rn, tag, &len, &e);
	if (rc != RW_OK)
		return undecided(rn, e.msg[0] != '\0' ? e.msg : rw_strerror(rc));
	if (rn->p == NULL)
		return 0;
	memset(&q, 0, sizeof(q));
	q.op = rn->a.op;
	q.host = rn->host;
	q.repo = rn->ci.repo;
	q.tag = tag;
	q.digest = rn->g->digest;
	q.media_type = rn->g->media_type;
	q.is_index = rn->g->is_index;
	q.platforms = rn->g->have_plats ? rn->g->pl : NULL;
	q.nplatforms = rn->g->have_plats ? rn->g->plats.n : 0;
	q.image = rn->g->have_img ? &rn->g->img.img : NULL;
	q.pinned_digest = rn->g->pin[0] != '\0' ? rn->g->pin : NULL;
	q.identity = "explain";
	if (rn->needs & POLICY_NEED_SCAN) {
		q.scan = rn->sf.have ? &rn->sf.ps : NULL;
		q.exceptions = rn->sf.px;
		q.nexceptions = rn->sf.npx;
		q.first_admitted = rn->sf.first_admitted;
		q.first_seen = rn->sf.seen;
	}
	if (rn->needs & POLICY_NEED_SIGS)
		explain_sigs_req(&rn->g->sigs, (int64_t)len, &q);
	if (rn->needs & POLICY_NEED_ATTS)
		explain_atts_req(&rn->g->atts, &q);
	q.content = rn->have_content && !rn->g->is_index ? &rn->fc.pc : NULL;
	/* Push: what the tag points to now would come from a HEAD; explain
	 * judges the image the tag names, so the tag has not moved. */
	q.tag_digest = rn->a.op == POLICY_OP_PUSH && tag != NULL ?
	    rn->g->digest : NULL;
	if (policy_eval(rn->p, &q, (int64_t)time(NULL), &rn->v, &e) != RW_OK)
		return undecided(rn, e.msg);
	return 0;
}

/* "os/arch[/variant]" as printable ASCII. */
static void
plat_label(char *out, size_t size, const char *os, const char *arch,
    const char *variant)
{
	size_t i;

	snprintf(out, size, "%s/%s%s%s", os != NULL ? os : "?",
	    arch != NULL ? arch : "?", variant != NULL && variant[0] != '\0' ?
	    "/" : "", variant != NULL ? variant : "");
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] < 0x20 || out[i] >= 0x7f)
			out[i] = '?';
}

/* Labels and evidence rows pointing into G. */
static void
build_report(struct run *rn, struct explain_report *r)
{
	struct gathered *g = rn->g;
	const struct policy_image *img;
	size_t i, n = 0;

	memset(r, 0, sizeof(*r));
	if (g->is_index) {
		for (i = 0; i < g->plats.n; i++) {
			plat_label(g->labels[i], sizeof(g->labels[i]),
			    g->pl[i].os, g->pl[i].arch, g->pl[i].variant);
			g->label_ptr[i] = g->labels[i];
			if (g->pl[i].image == NULL)
				continue;
			g->ev[n].platform = g->labels[i];
			g->ev[n].manifest = g->plats.digest[i];
			g->ev[n].config_digest = g->child_cfg[i];
			g->ev[n++].img = g->pl[i].image;
		}
		r->nplatforms = g->plats.n;
	} else if (g->have_img) {
		img = &g->img.img;
		plat_label(g->labels[0], sizeof(g->labels[0]), img->os,
		    img->arch, img->variant);
		g->label_ptr[0] = g->labels[0];
		r->nplatforms = 1;
		g->ev[n].config_digest = g->cfg_digest;
		g->ev[n++].img = img;
	}
	r->image = g->ref;
	r->upstream = rn->up->name;
	r->upstream_url = rn->up->url;
	r->upstream_why = rn->upwhy[0] != '\0' ? rn->upwhy : NULL;
	r->op = rn->a.op;
	r->digest = g->digest;
	r->media_type = g->media_type;
	r->platforms = g->label_ptr;
	r->has_policy = rn->p != NULL;
	r->v = rn->p != NULL ? &rn->v : NULL;
	r->images = g->ev;
	r->nimages = n;
	r->pin_needed = (rn->needs & POLICY_NEED_PIN) && rn->ci.digest[0] == '\0';
	r->pin = g->pin[0] != '\0' ? g->pin : NULL;
	r->pin_source = g->pin_source;
	r->sigs_gathered = g->sigs.gathered;
	r->sigs = g->sigs.shown;
	r->nsigs = g->sigs.n;
	r->sig_subject = g->sigs.subject[0] != '\0' ? g->sigs.subject : NULL;
}

int
explain_main(int argc, char **argv, const char *default_config, FILE *out,
    FILE *err)
{
	struct explain_report rep;
	struct run *rn;
	struct rw_err e;
	int rc;

	rn = calloc(1, sizeof(*rn));
	if (rn != NULL)
		rn->g = calloc(1, sizeof(*rn->g));
	if (rn == NULL || rn->g == NULL) {
		free(rn);
		fprintf(err, "regwarden: out of memory\n");
		return EXPLAIN_EXIT_UNDECIDED;
	}
	rn->out = out;
	rn->err = err;
	rw_err_clear(&e);
	if (explain_parse_explain(argc, argv, default_config, &rn->a, &e) !=
	    RW_OK || cli_parse_image(rn->a.ref, &rn->ci, &e) != RW_OK) {
		rc = usage_error(err, &e);
		goto out;
	}
	if (rn->ci.tag[0] == '\0' && rn->ci.digest[0] == '\0')
		rw_strlcpy(rn->ci.tag, "latest", sizeof(rn->ci.tag));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = setup(rn);
	if (rc == 0)
		rc = decide(rn);
	if (rc == 0) {
		build_report(rn, &rep);
		rc = rn->a.json ? explain_print_json(out, &rep) :
		    explain_print_text(out, &rep);
		rc = rc == 0 && fflush(out) == 0 ? explain_exit_status(&rep) :
		    undecided(rn, "cannot write the report");
	}
	upc_free(rn->s);
	curl_global_cleanup();
out:
	scanfacts_free(&rn->sf);
	facts_content_cleanup(&rn->fc);
	policy_free(rn->p);
	config_free(rn->cfg);
	gathered_free(rn->g);
	free(rn);
	return rc;
}

/* --------------------------------------------------------------- content */

/* `regwarden content --layer FILE`: one layer blob on disk, read as the
 * proxy reads layers (no config, no store): a summary and its findings. */
static int
layer_file(const char *path, FILE *out, FILE *err)
{
	struct content_index *idx = NULL;
	struct content_limits lim;
	struct rpmspool rs;
	struct rw_err e;
	size_t i;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(err, "regwarden: content: cannot open %s\n", path);
		return EXPLAIN_EXIT_UNDECIDED;
	}
	rw_err_clear(&e);
	content_limits_default(&lim);
	rpmspool_init(&rs, getenv("TMPDIR") != NULL ? getenv("TMPDIR") :
	    "/tmp", lim.rpmdb_max, &lim);
	rc = content_inspect_fd(fd, &lim, &idx, &e);
	close(fd);
	if (rc != RW_OK) {
		fprintf(err, "regwarden: content: %s: %s\n", path, e.msg);
		return EXPLAIN_EXIT_UNDECIDED;
	}
	fprintf(out, "%s: %zu entries, %zu findings, %zu packages, %llu bytes "
	    "unpacked\n", path, idx->nentries, idx->nfindings, idx->npackages,
	    (unsigned long long)idx->stream_bytes);
	for (i = 0; i < idx->nfindings; i++)
		fprintf(out, "  %s (%s)\n", idx->findings[i].path,
		    idx->findings[i].what);
	content_index_free(idx);
	return fflush(out) == 0 ? 0 : EXPLAIN_EXIT_UNDECIDED;
}

int
explain_content_main(int argc, char **argv, const char *default_config,
    FILE *out, FILE *err)
{
	struct run *rn;
	struct rw_err e;
	char *body = NULL;
	size_t len = 0;
	int rc;

	if (argc == 3 && strcmp(argv[1], "--layer") == 0)
		return layer_file(argv[2], out, err);
	rn = calloc(1, sizeof(*rn));
	if (rn != NULL)
		rn->g = calloc(1, sizeof(*rn->g));
	if (rn == NULL || rn->g == NULL) {
		free(rn);
		fprintf(err, "regwarden: out of memory\n");
		return EXPLAIN_EXIT_UNDECIDED;
	}
	rn->out = out;
	rn->err = err;
	rw_err_clear(&e);
	if (explain_parse_explain(argc, argv, default_config, &rn->a, &e) !=
	    RW_OK || cli_parse_image(rn->a.ref, &rn->ci, &e) != RW_OK) {
		rc = usage_error(err, &e);
		goto out;
	}
	if (rn->ci.tag[0] == '\0' && rn->ci.digest[0] == '\0')
		rw_strlcpy(rn->ci.tag, "latest", sizeof(rn->ci.tag));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = setup(rn);
	if (rc == 0 && fetch_manifest(rn->s, rn->ci.digest[0] != '\0' ?
	    rn->ci.digest : rn->ci.tag, rn->ci.digest[0] != '\0', rn->g,
	    &body, &len, &e) != RW_OK)
		rc = undecided(rn, e.msg);
	if (rc == 0 && rn->g->is_index)
		rc = undecided(rn, "it is an index: name one platform's "
		    "manifest by digest");
	if (rc == 0 && find_content(rn, body, len, &e) != RW_OK)
		rc = undecided(rn, e.msg);
	if (rc == 0 && (explain_print_content(out, rn->g->ref, rn->g->digest,
	    &rn->fc, rn->a.json) != 0 || fflush(out) != 0))
		rc = undecided(rn, "cannot write the listing (a name that is "
		    "not UTF-8 cannot be written as JSON)");
	free(body);
	upc_free(rn->s);
	curl_global_cleanup();
out:
	facts_content_cleanup(&rn->fc);
	policy_free(rn->p);
	config_free(rn->cfg);
	gathered_free(rn->g);
	free(rn);
	return rc;
}

/* ------------------------------------------------------------ the report */

int
explain_exit_status(const struct explain_report *r)
{
	if (r->has_policy && r->v != NULL && r->v->kind == VERDICT_DENY)
		return EXPLAIN_EXIT_DENIED;
	return EXPLAIN_EXIT_SERVED;
}

/* S as printable ASCII (others as \xNN), cut after MAX bytes (0: never). */
static void
put_safe(FILE *fp, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t i;

	for (i = 0; p[i] != '\0'; i++) {
		if (max > 0 && i >= max) {
			fputs("...", fp);
			return;
		}
		if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], fp);
		else
			fprintf(fp, "\\x%02x", p[i]);
	}
}

static size_t
nfailed(const struct verdict *v)
{
	size_t i, n = 0;

	for (i = 0; i < v->nreasons; i++)
		n += v->reasons[i].failed != 0;
	return n;
}

/* What the decision means for a client. */
static const char *
decision_note(const struct explain_report *r)
{
	const struct verdict *v = r->v;

	if (!r->has_policy)
		return "allow (no policy configured: every image is served)";
	if (v->kind == VERDICT_DENY)
		return "deny (would be refused)";
	if (v->kind == VERDICT_WARN)
		return "warn (would be served with a warning)";
	if (v->matched && v->mode == POLICY_AUDIT && nfailed(v) > 0)
		return "allow (audit mode: would be served; the failed checks "
		    "are only recorded)";
	return "allow (would be served)";
}

static void
print_rule(FILE *fp, const struct explain_report *r)
{
	const struct verdict *v = r->v;

	fprintf(fp, "%-12s", "rule:");
	if (!r->has_policy)
		fputs("none (no policy configured)", fp);
	else if (!v->matched)
		fprintf(fp, "no rule matched: default %s",
		    v->kind == VERDICT_DENY ? "deny" : "allow");
	else {
		fputc('"', fp);
		put_safe(fp, v->rule, 0);
		fputs("\" (", fp);
		put_safe(fp, v->file, 0);
		fprintf(fp, ":%d, %s mode)", v->line, policy_mode_name(v->mode));
	}
	fputc('\n', fp);
}

static void
print_checks(FILE *fp, const struct explain_report *r)
{
	size_t i;

	fputs("checks:\n", fp);
	if (!r->has_policy || r->v->nreasons == 0) {
		fputs("  (none)\n", fp);
		return;
	}
	for (i = 0; i < r->v->nreasons; i++) {
		fprintf(fp, "  %s ", r->v->reasons[i].failed ? "FAIL" : "PASS");
		put_safe(fp, r->v->reasons[i].check, 0);
		fputs(": ", fp);
		put_safe(fp, r->v->reasons[i].text, 0);
		fputc('\n', fp);
	}
}

static void
rfc3339(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t < 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		rw_strlcpy(buf, "(unknown)", 32);
}

/* "NAME" of "NAME=value": the value is never shown. */
static void
put_env_name(FILE *fp, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char name[256];
	size_t n = eq != NULL ? (size_t)(eq - kv) : strlen(kv);

	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, kv, n);
	name[n] = '\0';
	put_safe(fp, name, 0);
}

static void
print_image(FILE *fp, const struct explain_image *im, const char *ind)
{
	const struct policy_image *img = im->img;
	char when[32];
	size_t i;

	fprintf(fp, "%s%-10s%s\n", ind, "config:", im->config_digest);
	fprintf(fp, "%s%-10s", ind, "user:");
	if (img->user == NULL || img->user[0] == '\0')
		fputs("(empty)", fp);
	else
		put_safe(fp, img->user, SHOW_MAX);
	fprintf(fp, "\n%s%-10s", ind, "env:");
	for (i = 0; i < img->nenv; i++) {
		fputs(i > 0 ? ", " : "", fp);
		put_env_name(fp, img->env[i]);
	}
	fprintf(fp, "%s\n%s%-10s", img->nenv == 0 ? "(none)" : "", ind,
	    "labels:");
	for (i = 0; i < img->nlabels && i < SHOW_LABELS; i++) {
		if (i > 0)
			fprintf(fp, "%s%-10s", ind, "");
		put_safe(fp, img->labels[i].key, SHOW_MAX);
		fputc('=', fp);
		put_safe(fp, img->labels[i].value, SHOW_MAX);
		fputc('\n', fp);
	}
	if (img->nlabels > SHOW_LABELS)
		fprintf(fp, "%s%-10s(and %zu more)\n", ind, "",
		    img->nlabels - SHOW_LABELS);
	if (img->nlabels == 0)
		fputs("(none)\n", fp);
	rfc3339(img->created, when);
	fprintf(fp, "%s%-10s%s\n", ind, "created:", when);
}

static void
print_pin(FILE *fp, const struct explain_report *r)
{
	fprintf(fp, "  %-10s", "pin:");
	if (!r->pin_needed)
		fputs("not read (the deciding rule checks no pin here)\n", fp);
	else if (r->pin != NULL)
		fprintf(fp, "%s (%s)\n", r->pin, r->pin_source != NULL ?
		    r->pin_source : "?");
	else if (r->v != NULL && r->v->pin_now)
		fprintf(fp, "none; a pull through regwarden would pin the tag "
		    "to %s (pin_on_first_pull), explain pins nothing\n",
		    r->digest);
	else
		fputs("none\n", fp);
}

/* One line per signature found; nothing when the rule reads none. */
static void
print_sigs(FILE *fp, const struct explain_report *r)
{
	size_t i;

	if (!r->sigs_gathered)
		return;
	if (r->nsigs == 0) {
		fputs("  signatures: none found (no cosign .sig tag, no Notation "
		    "or Sigstore bundle referrer)\n", fp);
		return;
	}
	fprintf(fp, "  signatures: %zu found", r->nsigs);
	if (r->sig_subject != NULL)
		fprintf(fp, " (the .sig tag of index %s, which lists this "
		    "manifest)", r->sig_subject);
	fputc('\n', fp);
	for (i = 0; i < r->nsigs; i++) {
		fputs("    ", fp);
		put_safe(fp, r->sigs[i].origin, 0);
		fputs(": ", fp);
		if (r->sigs[i].media_type == NULL ||
		    r->sigs[i].media_type[0] == '\0')
			fputs("(no media type)", fp);
		else
			put_safe(fp, r->sigs[i].media_type, SHOW_MAX);
		fputc('\n', fp);
	}
}

static void
print_evidence(FILE *fp, const struct explain_report *r)
{
	size_t i;

	fputs("evidence:\n", fp);
	if (r->nimages == 0)
		fprintf(fp, "  %-10snot fetched (the deciding rule does not read "
		    "it)\n", "config:");
	for (i = 0; i < r->nimages; i++) {
		if (r->images[i].platform == NULL) {
			print_image(fp, &r->images[i], "  ");
			continue;
		}
		fprintf(fp, "  %s: manifest %s\n", r->images[i].platform,
		    r->images[i].manifest);
		print_image(fp, &r->images[i], "    ");
	}
	print_pin(fp, r);
	print_sigs(fp, r);
}

int
explain_print_text(FILE *fp, const struct explain_report *r)
{
	size_t i;

	fprintf(fp, "%-12s", "image:");
	put_safe(fp, r->image, 0);
	fprintf(fp, "\n%-12s%s (%s)%s%s\n", "upstream:", r->upstream,
	    r->upstream_url, r->upstream_why != NULL ? ", " : "",
	    r->upstream_why != NULL ? r->upstream_why : "");
	fprintf(fp, "%-12s%s\n", "operation:", r->op == POLICY_OP_PUSH ?
	    "push" : "pull");
	fprintf(fp, "%-12s%s\n", "digest:", r->digest);
	fprintf(fp, "%-12s", "media type:");
	put_safe(fp, r->media_type, 0);
	fprintf(fp, "\n%-12s", "platforms:");
	for (i = 0; i < r->nplatforms; i++)
		fprintf(fp, "%s%s", i > 0 ? ", " : "", r->platforms[i]);
	fprintf(fp, "%s\n", r->nplatforms == 0 ? "(not fetched)" : "");
	fprintf(fp, "%-12s%s\n", "decision:", decision_note(r));
	print_rule(fp, r);
	print_checks(fp, r);
	print_evidence(fp, r);
	if (r->has_policy) {
		fprintf(fp, "%-12s", "message:");
		put_safe(fp, r->v->message, 0);
		fputc('\n', fp);
	}
	return ferror(fp) ? -1 : 0;
}

/* ------------------------------------------------------------------ JSON */

/* A JSON string for S (null for NULL); bytes that are not UTF-8 become
 * '?', so one odd label never loses the whole report. */
static json_t *
jstr(const char *s)
{
	json_t *v;
	char *c;
	size_t i;

	if (s == NULL)
		return json_null();
	v = json_string(s);
	if (v != NULL)
		return v;
	c = strdup(s);
	if (c == NULL)
		return NULL;
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] >= 0x80 || c[i] < 0x20)
			c[i] = '?';
	v = json_string(c);
	free(c);
	return v;
}

/* Set KEY of O to V (consumed); counts failures in *BAD. */
static void
jset(json_t *o, const char *key, json_t *v, int *bad)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		(*bad)++;
}

static void
jappend(json_t *a, json_t *v, int *bad)
{
	if (v == NULL || json_array_append_new(a, v) != 0)
		(*bad)++;
}

static json_t *
json_image(const struct explain_image *im, int *bad)
{
	const struct policy_image *img = im->img;
	json_t *o = json_object(), *env = json_array(), *lab = json_object();
	char name[256], when[32];
	size_t i, n;

	if (o == NULL || env == NULL || lab == NULL) {
		json_decref(o);
		json_decref(env);
		json_decref(lab);
		(*bad)++;
		return NULL;
	}
	for (i = 0; i < img->nenv; i++) {
		n = strcspn(img->env[i], "=");
		snprintf(name, sizeof(name), "%.*s", (int)n, img->env[i]);
		jappend(env, jstr(name), bad);
	}
	for (i = 0; i < img->nlabels; i++)
		jset(lab, img->labels[i].key, jstr(img->labels[i].value), bad);
	rfc3339(img->created, when);
	jset(o, "platform", jstr(im->platform), bad);
	jset(o, "manifest", jstr(im->manifest), bad);
	jset(o, "config", jstr(im->config_digest), bad);
	jset(o, "user", jstr(img->user != NULL ? img->user : ""), bad);
	jset(o, "env", env, bad);
	jset(o, "labels", lab, bad);
	jset(o, "created", img->created >= 0 ? jstr(when) : json_null(), bad);
	return o;
}

static json_t *
json_verdict(const struct explain_report *r, json_t *o, int *bad)
{
	const struct verdict *v = r->v;
	json_t *checks = json_array(), *c;
	size_t i;

	jset(o, "decision", jstr(r->has_policy ? verdict_name(v->kind) :
	    "allow"), bad);
	jset(o, "served", json_boolean(explain_exit_status(r) ==
	    EXPLAIN_EXIT_SERVED), bad);
	jset(o, "mode", r->has_policy && v->matched ?
	    jstr(policy_mode_name(v->mode)) : json_null(), bad);
	jset(o, "rule", r->has_policy && v->matched ? json_pack("{s:s,s:s,s:i}",
	    "name", v->rule, "file", v->file, "line", v->line) : json_null(),
	    bad);
	jset(o, "default", r->has_policy && !v->matched ? jstr(v->kind ==
	    VERDICT_DENY ? "deny" : "allow") : json_null(), bad);
	for (i = 0; checks != NULL && r->has_policy && i < v->nreasons; i++) {
		c = json_pack("{s:s,s:b,s:s}", "check", v->reasons[i].check,
		    "passed", !v->reasons[i].failed, "text", v->reasons[i].text);
		jappend(checks, c, bad);
	}
	jset(o, "checks", checks, bad);
	return o;
}

/* The signatures found, or null when the rule reads none. */
static json_t *
json_sigs(const struct explain_report *r, int *bad)
{
	json_t *a;
	size_t i;

	if (!r->sigs_gathered)
		return json_null();
	a = json_array();
	for (i = 0; a != NULL && i < r->nsigs; i++)
		jappend(a, json_pack("{s:o,s:o}", "origin",
		    jstr(r->sigs[i].origin), "media_type",
		    jstr(r->sigs[i].media_type)), bad);
	return a;
}

int
explain_print_json(FILE *fp, const struct explain_report *r)
{
	json_t *o = json_object(), *pl = json_array(), *ims = json_array();
	size_t i;
	int bad = 0;

	if (o == NULL || pl == NULL || ims == NULL) {
		json_decref(o);
		json_decref(pl);
		json_decref(ims);
		return -1;
	}
	jset(o, "image", jstr(r->image), &bad);
	jset(o, "upstream", jstr(r->upstream), &bad);
	jset(o, "operation", jstr(r->op == POLICY_OP_PUSH ? "push" : "pull"),
	    &bad);
	jset(o, "digest", jstr(r->digest), &bad);
	jset(o, "media_type", jstr(r->media_type), &bad);
	for (i = 0; i < r->nplatforms; i++)
		jappend(pl, jstr(r->platforms[i]), &bad);
	jset(o, "platforms", pl, &bad);
	json_verdict(r, o, &bad);
	for (i = 0; i < r->nimages; i++)
		jappend(ims, json_image(&r->images[i], &bad), &bad);
	jset(o, "images", ims, &bad);
	jset(o, "pin", r->pin != NULL ? json_pack("{s:s,s:s}", "digest", r->pin,
	    "source", r->pin_source != NULL ? r->pin_source : "") :
	    json_null(), &bad);
	jset(o, "signatures", json_sigs(r, &bad), &bad);
	jset(o, "message", jstr(r->has_policy ? r->v->message : NULL), &bad);
	if (bad == 0 && json_dumpf(o, fp, JSON_COMPACT) == 0)
		fputc('\n', fp);
	else
		bad++;
	json_decref(o);
	return bad == 0 && !ferror(fp) ? 0 : -1;
}
