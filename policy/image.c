/* image.c - the image checks: user, environment, labels, platforms, age. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * A manifest has one image; an index has one per platform, and each must
 * pass, because admitting an index admits the children fetched through it.
 */

typedef int	(*img_fails_fn)(const struct policy_ev *e,
		    const struct policy_image *img);

static size_t
ntargets(const struct policy_ev *e)
{
	return e->req->is_index ? e->req->nplatforms : 1;
}

/* Buildkit stores attestations in the index as platform unknown/unknown. */
int
policy_attestation(const struct policy_platform *pl)
{
	return pl->os != NULL && strcmp(pl->os, "unknown") == 0;
}

void
policy_plat_label(char *buf, size_t size, const char *os, const char *arch,
    const char *variant)
{
	struct rw_sb sb;

	rw_sb_init(&sb, buf, size);
	rw_sb_safe(&sb, os != NULL ? os : "?", POLICY_SHOW_ITEM);
	rw_sb_add(&sb, "/");
	rw_sb_safe(&sb, arch != NULL ? arch : "?", POLICY_SHOW_ITEM);
	if (variant != NULL && variant[0] != '\0') {
		rw_sb_add(&sb, "/");
		rw_sb_safe(&sb, variant, POLICY_SHOW_ITEM);
	}
	rw_sb_finish(&sb);
}

/*
 * Image I of the request: the request's own for a manifest, a platform's
 * for an index.  Returns 0 for entries that are not images (attestations).
 */
static int
target(const struct policy_ev *e, size_t i, const struct policy_image **img,
    char *label, size_t size)
{
	const struct policy_platform *pl;

	if (!e->req->is_index) {
		*img = e->req->image;
		label[0] = '\0';
		return 1;
	}
	pl = &e->req->platforms[i];
	if (policy_attestation(pl))
		return 0;
	*img = pl->image;
	policy_plat_label(label, size, pl->os, pl->arch, pl->variant);
	return 1;
}

/* Targets failing FAILS; *FIRST gets the first failing image. */
static size_t
failing(const struct policy_ev *e, img_fails_fn fails,
    const struct policy_image **first)
{
	const struct policy_image *img;
	char label[POLICY_SHOW_ITEM * 12];
	size_t i, n = 0;

	*first = NULL;
	for (i = 0; i < ntargets(e); i++) {
		if (!target(e, i, &img, label, sizeof(label)) ||
		    !fails(e, img))
			continue;
		if (n++ == 0)
			*first = img;
	}
	return n;
}

/* For an index, " on linux/amd64, linux/arm64/v8": where a check failed. */
static void
where_failing(const struct policy_ev *e, struct rw_sb *sb,
    img_fails_fn fails)
{
	const struct policy_image *img;
	char label[POLICY_SHOW_ITEM * 12];
	size_t i, n = 0;

	if (!e->req->is_index)
		return;
	for (i = 0; i < ntargets(e); i++) {
		if (!target(e, i, &img, label, sizeof(label)) ||
		    !fails(e, img))
			continue;
		if (n < POLICY_LIST_MAX)
			rw_sb_add(sb, "%s%s", n == 0 ? " on " : ", ", label);
		n++;
	}
	policy_list_more(sb, n < POLICY_LIST_MAX ? n : POLICY_LIST_MAX, n);
}

static int
root_fails(const struct policy_ev *e, const struct policy_image *img)
{
	return policy_user_is_root(img->user != NULL ? img->user : "");
}

static void
check_root(struct policy_ev *e)
{
	const struct policy_image *first;
	struct rw_sb sb;
	size_t n;

	if (!e->r->non_root)
		return;
	n = failing(e, root_fails, &first);
	policy_reason(e, &sb, "image.non_root", n > 0);
	if (n > 0 && (first->user == NULL || first->user[0] == '\0'))
		rw_sb_add(&sb, "image runs as root (User is empty)");
	else if (n > 0 || !e->req->is_index) {
		rw_sb_add(&sb, n > 0 ? "image runs as root (User is \"" :
		    "image runs as user \"");
		rw_sb_safe(&sb, (n > 0 ? first : e->req->image)->user,
		    POLICY_SHOW_ITEM);
		rw_sb_add(&sb, n > 0 ? "\")" : "\"");
	} else
		rw_sb_add(&sb, "image runs as a non-root user on every "
		    "platform");
	if (n > 0) {
		where_failing(e, &sb, root_fails);
		rw_sb_add(&sb, "; rebuild with USER set to a non-root "
		    "user, e.g. USER 65532");
	}
	rw_sb_finish(&sb);
}

/* Secret-looking environment: counted once per name across platforms. */
struct secrets {
	size_t		 n;		/* distinct names */
	size_t		 checked;	/* entries looked at */
};

static int
same_name(const char *a, const char *b)
{
	size_t la = strcspn(a, "="), lb = strcspn(b, "=");

	return la == lb && memcmp(a, b, la) == 0;
}

/* Whether ENV (entry J of target T) repeats an earlier secret's name. */
static int
seen_secret(const struct policy_ev *e, size_t t, size_t j, const char *env)
{
	const struct policy_image *img;
	char label[POLICY_SHOW_ITEM * 12];
	size_t i, k;
	int hide;

	for (i = 0; i <= t; i++) {
		if (!target(e, i, &img, label, sizeof(label)))
			continue;
		for (k = 0; k < (i == t ? j : img->nenv); k++)
			if (same_name(img->env[k], env) &&
			    policy_env_secret(img->env[k], &hide) != NULL)
				return 1;
	}
	return 0;
}

static void
secret_item(struct rw_sb *sb, const char *env, size_t shown)
{
	char name[POLICY_SHOW_ITEM + 2];
	const char *what;
	size_t n;
	int hide;

	what = policy_env_secret(env, &hide);
	rw_sb_add(sb, "%s", shown > 0 ? ", " : "");
	if (hide) {
		rw_sb_add(sb, "a variable whose name looks like %s", what);
		return;
	}
	n = strcspn(env, "=");
	memcpy(name, env, n < sizeof(name) ? n : sizeof(name) - 1);
	name[n < sizeof(name) ? n : sizeof(name) - 1] = '\0';
	rw_sb_safe(sb, name, POLICY_SHOW_ITEM);
	if (what[0] != '\0')
		rw_sb_add(sb, " (value looks like %s)", what);
}

/* Walks every entry; lists up to POLICY_LIST_MAX names into SB if given. */
static void
scan_secrets(const struct policy_ev *e, struct secrets *s,
    struct rw_sb *sb)
{
	const struct policy_image *img;
	char label[POLICY_SHOW_ITEM * 12];
	size_t i, j;
	int hide;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < ntargets(e); i++) {
		if (!target(e, i, &img, label, sizeof(label)))
			continue;
		for (j = 0; j < img->nenv; j++) {
			s->checked++;
			if (policy_env_secret(img->env[j], &hide) == NULL ||
			    seen_secret(e, i, j, img->env[j]))
				continue;
			if (sb != NULL && s->n < POLICY_LIST_MAX)
				secret_item(sb, img->env[j], s->n);
			s->n++;
		}
	}
}

static int
secrets_fail(const struct policy_ev *e, const struct policy_image *img)
{
	size_t j;
	int hide;

	for (j = 0; j < img->nenv; j++)
		if (policy_env_secret(img->env[j], &hide) != NULL)
			return 1;
	return 0;
}

static void
check_secrets(struct policy_ev *e)
{
	struct secrets s;
	struct rw_sb sb;

	if (!e->r->no_secrets)
		return;
	scan_secrets(e, &s, NULL);
	policy_reason(e, &sb, "image.no_secrets", s.n > 0);
	if (s.n == 0) {
		rw_sb_add(&sb, "no secret-looking environment variables "
		    "(%zu checked)", s.checked);
		rw_sb_finish(&sb);
		return;
	}
	rw_sb_add(&sb, "image sets %s: ", s.n == 1 ?
	    "a secret-looking environment variable" :
	    "secret-looking environment variables");
	scan_secrets(e, &s, &sb);
	policy_list_more(&sb, s.n < POLICY_LIST_MAX ? s.n : POLICY_LIST_MAX, s.n);
	where_failing(e, &sb, secrets_fail);
	rw_sb_add(&sb, "; remove %s from the image and pass secrets at "
	    "run time", s.n == 1 ? "it" : "them");
	rw_sb_finish(&sb);
}

static int
has_label(const struct policy_image *img, const char *key)
{
	size_t i;

	for (i = 0; i < img->nlabels; i++)
		if (img->labels[i].key != NULL &&
		    strcmp(img->labels[i].key, key) == 0)
			return img->labels[i].value != NULL &&
			    img->labels[i].value[0] != '\0';
	return 0;
}

static int
labels_fail(const struct policy_ev *e, const struct policy_image *img)
{
	size_t i;

	for (i = 0; i < e->r->nlabels; i++)
		if (!has_label(img, e->r->labels[i]))
			return 1;
	return 0;
}

static void
check_labels(struct policy_ev *e)
{
	const struct policy_rule *r = e->r;
	const struct policy_image *first;
	struct rw_sb sb;
	size_t i, n = 0;

	if (r->nlabels == 0)
		return;
	policy_reason(e, &sb, "image.required_labels",
	    failing(e, labels_fail, &first) > 0);
	if (first == NULL) {
		rw_sb_add(&sb, "required labels are present: ");
		for (i = 0; i < r->nlabels && i < POLICY_LIST_MAX; i++)
			rw_sb_add(&sb, "%s%s", i > 0 ? ", " : "",
			    r->labels[i]);
		policy_list_more(&sb, i, r->nlabels);
		rw_sb_finish(&sb);
		return;
	}
	for (i = 0; i < r->nlabels; i++)
		n += !has_label(first, r->labels[i]);
	rw_sb_add(&sb, "image lacks the required label%s ", n > 1 ?
	    "s" : "");
	for (i = 0, n = 0; i < r->nlabels; i++)
		if (!has_label(first, r->labels[i]))
			rw_sb_add(&sb, "%s%s", n++ > 0 ? ", " : "",
			    r->labels[i]);
	where_failing(e, &sb, labels_fail);
	rw_sb_add(&sb, "; add %s with LABEL in the Dockerfile (or docker "
	    "build --label)", n > 1 ? "them" : "it");
	rw_sb_finish(&sb);
}

/* ------------------------------------------------------ platforms, age */

/* containerd's normalisation: arm64 means v8 and arm means v7 unless said. */
static const char *
norm_variant(const char *arch, const char *variant)
{
	if (variant != NULL && variant[0] != '\0')
		return variant;
	if (arch != NULL && strcmp(arch, "arm64") == 0)
		return "v8";
	if (arch != NULL && strcmp(arch, "arm") == 0)
		return "v7";
	return "";
}

static int
plat_allowed(const struct policy_rule *r, const char *os, const char *arch,
    const char *variant)
{
	const struct policy_plat *pl;
	size_t i;

	if (os == NULL || arch == NULL)
		return 0;
	for (i = 0; i < r->nplats; i++) {
		pl = &r->plats[i];
		if (strcmp(pl->os, os) == 0 && strcmp(pl->arch, arch) == 0 &&
		    (pl->variant == NULL || strcmp(pl->variant,
		    norm_variant(arch, variant)) == 0))
			return 1;
	}
	return 0;
}

static void
allowed_list(const struct policy_rule *r, struct rw_sb *sb)
{
	size_t i;

	rw_sb_add(sb, "allowed: ");
	for (i = 0; i < r->nplats && i < POLICY_LIST_MAX; i++)
		rw_sb_add(sb, "%s%s", i > 0 ? ", " : "", r->plats[i].text);
	policy_list_more(sb, i, r->nplats);
}

static void
check_platform_image(struct policy_ev *e)
{
	const struct policy_image *img = e->req->image;
	struct rw_sb sb;
	char label[POLICY_SHOW_ITEM * 12];
	int ok;

	ok = plat_allowed(e->r, img->os, img->arch, img->variant);
	policy_reason(e, &sb, "image.platforms", !ok);
	if (img->os == NULL || img->os[0] == '\0' || img->arch == NULL ||
	    img->arch[0] == '\0') {
		rw_sb_add(&sb, "image declares no platform (os and "
		    "architecture are missing from its config)");
		rw_sb_finish(&sb);
		return;
	}
	policy_plat_label(label, sizeof(label), img->os, img->arch, img->variant);
	rw_sb_add(&sb, "platform %s is %s", label, ok ? "allowed" :
	    "not allowed (");
	if (!ok) {
		allowed_list(e->r, &sb);
		rw_sb_add(&sb, "); use an image built for an allowed "
		    "platform");
	}
	rw_sb_finish(&sb);
}

/* Lists the index's platforms that are (ALLOWED) or are not allowed. */
static size_t
index_plats(const struct policy_ev *e, struct rw_sb *sb, int allowed)
{
	const struct policy_platform *pl;
	char label[POLICY_SHOW_ITEM * 12];
	size_t i, n = 0;

	for (i = 0; i < e->req->nplatforms; i++) {
		pl = &e->req->platforms[i];
		if (policy_attestation(pl) || plat_allowed(e->r, pl->os, pl->arch,
		    pl->variant) != allowed)
			continue;
		if (sb != NULL && n < POLICY_LIST_MAX) {
			policy_plat_label(label, sizeof(label), pl->os, pl->arch,
			    pl->variant);
			rw_sb_add(sb, "%s%s", n > 0 ? ", " : "", label);
		}
		n++;
	}
	if (sb != NULL)
		policy_list_more(sb, n < POLICY_LIST_MAX ? n : POLICY_LIST_MAX, n);
	return n;
}

static void
check_platforms(struct policy_ev *e)
{
	struct rw_sb sb;
	int ok;

	if (e->r->nplats == 0)
		return;
	if (!e->req->is_index) {
		check_platform_image(e);
		return;
	}
	ok = index_plats(e, NULL, 1) > 0;
	policy_reason(e, &sb, "image.platforms", !ok);
	if (ok) {
		rw_sb_add(&sb, "index offers allowed platforms: ");
		index_plats(e, &sb, 1);
	} else if (index_plats(e, NULL, 0) == 0) {
		rw_sb_add(&sb, "index lists no platforms (");
		allowed_list(e->r, &sb);
		rw_sb_add(&sb, ")");
	} else {
		rw_sb_add(&sb, "none of the index's platforms is allowed "
		    "(offers ");
		index_plats(e, &sb, 0);
		rw_sb_add(&sb, "; ");
		allowed_list(e->r, &sb);
		rw_sb_add(&sb, "); use an image built for an allowed "
		    "platform");
	}
	rw_sb_finish(&sb);
}

/* Whole days since CREATED; 0 for a clock behind the image. */
static int64_t
age_days(int64_t now, int64_t created)
{
	return now > created ? (now - created) / 86400 : 0;
}

static void
ymd(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}

static int
age_fails(const struct policy_ev *e, const struct policy_image *img)
{
	return img->created < 0 ||
	    age_days(e->now, img->created) > e->r->max_age_days;
}

/* A passing image fails once it is a day older than the limit. */
static void
age_until(struct policy_ev *e)
{
	const struct policy_image *img;
	char label[POLICY_SHOW_ITEM * 12];
	size_t i;

	for (i = 0; i < ntargets(e); i++)
		if (target(e, i, &img, label, sizeof(label)) && img != NULL &&
		    img->created >= 0 && img->created <= INT64_MAX / 2)
			policy_until(e, img->created + (e->r->max_age_days + 1) *
			    86400);
}

static void
check_age(struct policy_ev *e)
{
	const struct policy_image *first, *img;
	struct rw_sb sb;
	char date[32];
	int64_t max = e->r->max_age_days;
	size_t n;

	if (max == 0)
		return;
	n = failing(e, age_fails, &first);
	policy_reason(e, &sb, "image.max_age_days", n > 0);
	img = n > 0 ? first : e->req->image;
	if (n == 0 && e->req->is_index)
		rw_sb_add(&sb, "every platform's image is at most %lld "
		    "days old", (long long)max);
	else if (img->created < 0)
		rw_sb_add(&sb, "image has no creation time (config "
		    "\"created\" is missing or invalid)");
	else if (n > 0) {
		ymd(date, sizeof(date), img->created);
		rw_sb_add(&sb, "image is %lld days old (created %s), more "
		    "than the %lld allowed", (long long)age_days(e->now,
		    img->created), date, (long long)max);
	} else {
		ymd(date, sizeof(date), img->created);
		rw_sb_add(&sb, "image is %lld days old (created %s; at "
		    "most %lld allowed)", (long long)age_days(e->now,
		    img->created), date, (long long)max);
	}
	if (n == 0) {
		age_until(e);
		rw_sb_finish(&sb);
		return;
	}
	where_failing(e, &sb, age_fails);
	rw_sb_add(&sb, "; rebuild it %s", img->created < 0 ?
	    "with a tool that records the creation time" :
	    "on a current base image");
	rw_sb_finish(&sb);
}

/* The image checks of the rule, in the order POLICY.md gives. */
void
policy_check_image(struct policy_ev *e)
{
	check_root(e);
	check_secrets(e);
	check_labels(e);
	check_platforms(e);
	check_age(e);
}
