/* facts.c - image config and index platforms, parsed for policy_eval. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* Strings for one facts_image are packed into one allocation: first
 * measured, then copied, so the view needs no per-string frees. */
struct pack {
	char	*base;
	size_t	 size;
	size_t	 used;
};

static const char *
pack_str(struct pack *pk, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (pk->base == NULL) {		/* measuring pass */
		pk->used += n;
		return "";
	}
	p = pk->base + pk->used;
	memcpy(p, s, n);
	pk->used += n;
	return p;
}

static const char *
obj_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

long long
facts_parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	char *end;
	long off = 0;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		long h = strtol(p + 1, &end, 10), m = 0;
		if (end != p + 3 || *end != ':')
			return -1;
		m = strtol(end + 1, &end, 10);
		off = (h * 3600 + m * 60) * (*p == '-' ? -1 : 1);
		p = end;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	return (long long)timegm(&tm) - off;
}

/* Validate the shape before anything is copied. */
static int
check_shape(json_t *root, json_t *cfg, struct rw_err *err)
{
	json_t *env = json_object_get(cfg, "Env");
	json_t *labels = json_object_get(cfg, "Labels");
	size_t i;
	const char *k;
	json_t *v;

	if (!json_is_object(root))
		return rw_err_set(err, RW_EPARSE, "image config: not a JSON "
		    "object");
	if (cfg != NULL && !json_is_object(cfg) && !json_is_null(cfg))
		return rw_err_set(err, RW_EPARSE, "image config: \"config\" is "
		    "not an object");
	if (env != NULL && !json_is_null(env)) {
		if (!json_is_array(env))
			goto bad_env;
		if (json_array_size(env) > FACTS_MAX_ENV)
			return rw_err_set(err, RW_ETOOBIG, "image config: more "
			    "than %d environment variables", FACTS_MAX_ENV);
		json_array_foreach(env, i, v)
			if (!json_is_string(v))
				goto bad_env;
	}
	if (labels != NULL && !json_is_null(labels)) {
		if (!json_is_object(labels))
			return rw_err_set(err, RW_EPARSE, "image config: "
			    "\"config.Labels\" is not an object");
		if (json_object_size(labels) > FACTS_MAX_LABELS)
			return rw_err_set(err, RW_ETOOBIG, "image config: more "
			    "than %d labels", FACTS_MAX_LABELS);
		json_object_foreach(labels, k, v)
			if (!json_is_string(v))
				return rw_err_set(err, RW_EPARSE, "image config: "
				    "label \"%.64s\" is not a string", k);
	}
	return RW_OK;
bad_env:
	return rw_err_set(err, RW_EPARSE, "image config: \"config.Env\" is not "
	    "an array of strings");
}

/* Fill OUT's view from ROOT, packing strings into PK (measure or copy). */
static void
fill(struct facts_image *out, json_t *root, json_t *cfg, struct pack *pk)
{
	json_t *env = cfg != NULL ? json_object_get(cfg, "Env") : NULL;
	json_t *labels = cfg != NULL ? json_object_get(cfg, "Labels") : NULL;
	const char *k;
	json_t *v;
	size_t i, n = 0;

	out->img.user = pack_str(pk, cfg != NULL ? obj_str(cfg, "User") : "");
	out->img.os = pack_str(pk, obj_str(root, "os"));
	out->img.arch = pack_str(pk, obj_str(root, "architecture"));
	out->img.variant = pack_str(pk, obj_str(root, "variant"));
	json_array_foreach(env, i, v)
		out->env[i] = pack_str(pk, json_string_value(v));
	json_object_foreach(labels, k, v) {
		out->labels[n].key = pack_str(pk, k);
		out->labels[n].value = pack_str(pk, json_string_value(v));
		n++;
	}
}

int
facts_image_parse(const char *body, size_t len, struct facts_image *out,
    struct rw_err *err)
{
	struct pack pk = { NULL, 0, 0 };
	json_error_t je;
	json_t *root, *cfg, *env, *labels;
	int rc;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return rw_err_set(err, RW_EPARSE, "image config: invalid JSON "
		    "at byte %d: %s", je.position, je.text);
	cfg = json_object_get(root, "config");
	if (json_is_null(cfg))
		cfg = NULL;
	rc = check_shape(root, cfg, err);
	if (rc != RW_OK)
		goto out;
	env = cfg != NULL ? json_object_get(cfg, "Env") : NULL;
	labels = cfg != NULL ? json_object_get(cfg, "Labels") : NULL;
	out->img.nenv = json_is_array(env) ? json_array_size(env) : 0;
	out->img.nlabels = json_is_object(labels) ? json_object_size(labels) : 0;
	out->env = calloc(out->img.nenv + 1, sizeof(*out->env));
	out->labels = calloc(out->img.nlabels + 1, sizeof(*out->labels));
	rc = rw_err_set(err, RW_ENOMEM, "out of memory");
	if (out->env == NULL || out->labels == NULL)
		goto out;
	fill(out, root, cfg, &pk);		/* measure */
	pk.base = out->strings = malloc(pk.used + 1);
	pk.used = 0;
	if (pk.base == NULL)
		goto out;
	fill(out, root, cfg, &pk);		/* copy */
	out->img.env = out->env;
	out->img.labels = out->labels;
	out->img.created = facts_parse_time(obj_str(root, "created"));
	rc = RW_OK;
out:
	json_decref(root);
	if (rc != RW_OK)
		facts_image_cleanup(out);
	return rc;
}

void
facts_image_cleanup(struct facts_image *fi)
{
	free(fi->strings);
	free(fi->env);
	free(fi->labels);
	memset(fi, 0, sizeof(*fi));
}

int
facts_platforms_parse(const char *body, size_t len,
    struct facts_platforms *out, struct rw_err *err)
{
	json_error_t je;
	json_t *root, *list, *m, *pl;
	size_t i, need = 0, used = 0;
	const char *s[4];
	int pass, j;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return rw_err_set(err, RW_EPARSE, "index: invalid JSON: %s",
		    je.text);
	list = json_object_get(root, "manifests");
	for (pass = 0; pass < 2; pass++) {
		out->n = 0;
		json_array_foreach(list, i, m) {
			pl = json_object_get(m, "platform");
			if (!json_is_object(pl) || out->n >= FACTS_MAX_PLATFORMS)
				continue;
			s[0] = obj_str(pl, "os");
			s[1] = obj_str(pl, "architecture");
			s[2] = obj_str(pl, "variant");
			s[3] = obj_str(m, "digest");
			/* attestation manifests say unknown/unknown */
			if (strcmp(s[0], "unknown") == 0)
				continue;
			for (j = 0; j < 4; j++) {
				size_t n = strlen(s[j]) + 1;
				if (pass == 0) {
					need += n;
					continue;
				}
				memcpy(out->strings + used, s[j], n);
				s[j] = out->strings + used;
				used += n;
			}
			if (pass == 1) {
				out->p[out->n].os = s[0];
				out->p[out->n].arch = s[1];
				out->p[out->n].variant = s[2];
				out->digest[out->n] = s[3];
			}
			out->n++;
		}
		if (pass == 0 && (out->strings = malloc(need + 1)) == NULL) {
			json_decref(root);
			return rw_err_set(err, RW_ENOMEM, "out of memory");
		}
	}
	json_decref(root);
	return RW_OK;
}

void
facts_platforms_cleanup(struct facts_platforms *fp)
{
	free(fp->strings);
	memset(fp, 0, sizeof(*fp));
}

int
facts_exceptions(const struct db_exception *dbx, size_t ndbx,
    const struct policy *p, struct policy_exception **out, size_t *n,
    struct rw_err *err)
{
	size_t i, nfile = policy_nexceptions(p);
	struct policy_exception *px;

	*out = NULL;
	*n = 0;
	px = calloc(ndbx + nfile + 1, sizeof(*px));
	if (px == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; i < ndbx; i++) {
		px[i].id = dbx[i].vuln_id;
		px[i].pkg = dbx[i].pkg;
		px[i].repo_glob = dbx[i].repo_glob;
		px[i].expires = dbx[i].expires;
		px[i].reason = dbx[i].reason;
		px[i].source = "cli";
	}
	for (i = 0; i < nfile; i++)
		policy_exception(p, i, &px[ndbx + i]);
	*out = px;
	*n = ndbx + nfile;
	return RW_OK;
}

int
facts_scan_secrets(const struct db_scan_view *v,
    struct policy_scan_secret **out, struct rw_err *err)
{
	struct policy_scan_secret *ps;
	size_t i;

	*out = NULL;
	ps = calloc(v->nsecrets + 1, sizeof(*ps));
	if (ps == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	for (i = 0; i < v->nsecrets; i++) {
		ps[i].target = v->secrets[i].target;
		ps[i].rule_id = v->secrets[i].rule_id;
		ps[i].title = v->secrets[i].title;
		ps[i].severity = v->secrets[i].severity;
	}
	*out = ps;
	return RW_OK;
}
