/*
 * scansecret.c - a scan report's secret findings against the "secrets" key
 * of a rule's "scan" section: loading the key and judging the report.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "policy/internal.h"

#include <string.h>

/* Files named in one reason before " and N more". */
#define SHOW_FILES	3
/* How much of one path, rule title or scanner name a reason quotes. */
#define SHOW_PATH	120
#define SHOW_FIELD	64

/* Follows enum policy_secrets from POLICY_SECRETS_DENY on. */
static const char *const secrets_names[] = { "deny", "warn", "ignore", NULL };

void
policy_scan_secrets_load(struct ld *ld, const struct where *w, json_t *v,
    void *ctx)
{
	struct policy_rule *r = ctx;
	const char *s = policy_want_string(ld, w, v);
	char q[POLICY_QBUF], sug[128];
	int i;

	if (s == NULL)
		return;
	for (i = 0; secrets_names[i] != NULL; i++)
		if (strcmp(s, secrets_names[i]) == 0) {
			r->scan_secrets = POLICY_SECRETS_DENY + i;
			return;
		}
	policy_bad(ld, w, "unknown value %s %s", policy_quote(q, sizeof(q), s),
	    rw_suggest(sug, sizeof(sug), s, secrets_names));
}

/* Whether secret I repeats the file and rule of secret I - 1 (sorted). */
static int
repeats(const struct policy_scan *s, size_t i)
{
	return i > 0 && strcmp(s->s[i].target, s->s[i - 1].target) == 0 &&
	    strcmp(s->s[i].rule_id, s->s[i - 1].rule_id) == 0;
}

/* "/app/.env (AWS Access Key ID), /app/deploy.sh (My Secret) and 2 more" */
static void
list_files(struct rw_sb *sb, const struct policy_scan *s)
{
	const struct policy_scan_secret *x;
	size_t i, shown = 0, distinct = 0;

	for (i = 0; i < s->ns; i++) {
		if (repeats(s, i))
			continue;
		distinct++;
		if (shown == SHOW_FILES)
			continue;
		x = &s->s[i];
		rw_sb_add(sb, "%s", shown++ > 0 ? ", " : "");
		rw_sb_safe(sb, x->target, SHOW_PATH);
		rw_sb_add(sb, " (");
		rw_sb_safe(sb, x->title != NULL && x->title[0] != '\0' ?
		    x->title : x->rule_id, SHOW_FIELD);
		rw_sb_add(sb, ")");
	}
	policy_list_more(sb, shown, distinct);
}

void
policy_check_scan_secrets(struct policy_ev *e)
{
	const struct policy_scan *s = e->req->scan;
	int how = e->r->scan_secrets, fails;
	struct rw_sb sb;

	if (how == POLICY_SECRETS_UNSET)
		return;
	fails = s->ns > 0 && how != POLICY_SECRETS_IGNORE;
	policy_reason(e, &sb, "scan.secrets", fails);
	if (fails && how == POLICY_SECRETS_WARN)
		e->nsoft++;
	if (s->ns == 0) {
		rw_sb_add(&sb, "the scan found no secrets");
		rw_sb_finish(&sb);
		return;
	}
	rw_sb_safe(&sb, s->scanner != NULL ? s->scanner : "the scanner",
	    SHOW_FIELD);
	rw_sb_add(&sb, " found %zu secret%s in the image: ", s->ns,
	    s->ns == 1 ? "" : "s");
	list_files(&sb, s);
	if (how == POLICY_SECRETS_IGNORE)
		rw_sb_add(&sb, "; not judged (secrets: ignore)");
	else
		rw_sb_add(&sb, "; remove %s from the image, rotate %s and "
		    "mount secrets at run time", s->ns == 1 ? "it" : "them",
		    s->ns == 1 ? "it" : "them");
	rw_sb_finish(&sb);
}
