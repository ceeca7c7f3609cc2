/* eval.c - choosing the rule for a request and deciding it, with reasons. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdio.h>
#include <string.h>

const char *
policy_mode_name(int mode)
{
	switch (mode) {
	case POLICY_ENFORCE:
		return "enforce";
	case POLICY_WARN:
		return "warn";
	case POLICY_AUDIT:
		return "audit";
	}
	return "unknown";
}

const char *
verdict_name(int kind)
{
	switch (kind) {
	case VERDICT_ALLOW:
		return "allow";
	case VERDICT_DENY:
		return "deny";
	case VERDICT_WARN:
		return "warn";
	}
	return "unknown";
}

const char *
policy_rule_name(const struct policy_rule *r)
{
	return r->name;
}

int
policy_rule_line(const struct policy_rule *r)
{
	return r->line;
}

/* ------------------------------------------------------------- matching */

/*
 * "host/repository" with the host lower-cased and Docker Hub's aliases
 * folded, as patterns are stored.  Returns 0, or -1 when it does not fit.
 */
static int
subject(char *out, size_t size, const char *host, const char *repo)
{
	char h[256];
	size_t i, n = strlen(host);

	if (n >= sizeof(h))
		return -1;
	for (i = 0; i <= n; i++)
		h[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ?
		    host[i] - 'A' + 'a' : host[i]);
	n = (size_t)snprintf(out, size, "%s/%s", policy_canon_host(h), repo);
	return n < size ? 0 : -1;
}

static const struct policy_rule *
find_rule(const struct policy *p, const char *subj, int op, size_t *pat)
{
	const struct policy_rule *r;
	size_t i, k;

	for (i = 0; i < p->nrules; i++) {
		r = &p->rules[i];
		if ((r->ops & (unsigned)op) == 0)
			continue;
		for (k = 0; k < r->nmatch; k++)
			if (policy_glob_match(r->match[k], subj)) {
				*pat = k;
				return r;
			}
	}
	return NULL;
}

int
policy_config_checks(const struct policy_rule *r)
{
	return r->non_root || r->no_secrets || r->nlabels > 0 ||
	    r->max_age_days > 0;
}

static unsigned
needs_of(const struct policy_rule *r, int op, int has_tag)
{
	unsigned needs = 0;

	if (!r->allow)
		return 0;	/* a blocked source needs no evidence */
	if (policy_config_checks(r) || r->nplats > 0)
		needs |= POLICY_NEED_CONFIG;
	if (op == POLICY_OP_PULL && has_tag && r->has_pins)
		needs |= POLICY_NEED_PIN;
	if (op == POLICY_OP_PUSH && has_tag && r->immutable)
		needs |= POLICY_NEED_TAG_DIGEST;
	if (op == POLICY_OP_PULL && r->has_scan)
		needs |= POLICY_NEED_SCAN;
	if (op == POLICY_OP_PULL && r->has_scan && r->scan_grace > 0)
		needs |= POLICY_NEED_GRACE;
	if (r->has_sigs)
		needs |= POLICY_NEED_SIGS;
	if (r->natts > 0 || (op == POLICY_OP_PULL && r->has_vex))
		needs |= POLICY_NEED_ATTS;
	if (r->has_content)
		needs |= POLICY_NEED_CONTENT;
	return needs;
}

const struct policy_rule *
policy_match(const struct policy *p, const char *host, const char *repo,
    int op, int has_tag, unsigned *needs)
{
	char subj[POLICY_SUBJECT_MAX + 2];
	const struct policy_rule *r;
	size_t pat;

	*needs = 0;
	if (host == NULL || repo == NULL ||
	    subject(subj, sizeof(subj), host, repo) != 0)
		return NULL;
	r = find_rule(p, subj, op, &pat);
	if (r != NULL)
		*needs = needs_of(r, op, has_tag);
	return r;
}

/* -------------------------------------------------------------- reasons */

/*
 * Starts reason CHECK in SB.  The table has room for every check one rule
 * can make; should it ever be full, a failure replaces a pass and a pass is
 * written to scratch, so a refusal never loses its cause.
 */
void
policy_reason(struct policy_ev *e, struct rw_sb *sb, const char *check,
    int failed)
{
	struct verdict *v = e->v;
	struct verdict_reason *r = NULL;
	size_t i;

	if (failed)
		e->nfail++;
	if (v->nreasons < VERDICT_REASONS)
		r = &v->reasons[v->nreasons++];
	for (i = v->nreasons; r == NULL && failed && i-- > 0;)
		if (!v->reasons[i].failed)
			r = &v->reasons[i];
	if (r == NULL) {
		rw_sb_init(sb, e->scratch, sizeof(e->scratch));
		return;
	}
	e->detail &= ~(1u << (r - v->reasons));
	memset(r, 0, sizeof(*r));
	rw_strlcpy(r->check, check, sizeof(r->check));
	r->failed = failed;
	rw_sb_init(sb, r->text, sizeof(r->text));
}

/* policy_ev.detail has one bit per reason. */
_Static_assert(VERDICT_REASONS <= 32, "policy_ev.detail is too narrow");

void
policy_detail(struct policy_ev *e, struct rw_sb *sb, const char *check,
    int failed)
{
	struct verdict *v = e->v;
	struct verdict_reason *r;

	if (v->nreasons >= VERDICT_REASONS) {
		rw_sb_init(sb, e->scratch, sizeof(e->scratch));
		return;
	}
	e->detail |= 1u << v->nreasons;
	r = &v->reasons[v->nreasons++];
	memset(r, 0, sizeof(*r));
	rw_strlcpy(r->check, check, sizeof(r->check));
	r->failed = failed;
	rw_sb_init(sb, r->text, sizeof(r->text));
}

void
policy_until(struct policy_ev *e, int64_t t)
{
	if (t > e->now && (e->until == 0 || t < e->until))
		e->until = t;
}

/* ", a, b, c and 2 more" style lists end with this. */
void
policy_list_more(struct rw_sb *sb, size_t shown, size_t total)
{
	if (total > shown)
		rw_sb_add(sb, " and %zu more", total - shown);
}

static const char *
op_word(const struct policy_ev *e)
{
	return e->req->op == POLICY_OP_PUSH ? "pushed" : "pulled";
}

/* ------------------------------------------------------ source and tags */

static void
check_source(struct policy_ev *e)
{
	const struct policy_rule *r = e->r;
	struct rw_sb sb;
	int push = e->req->op == POLICY_OP_PUSH;

	policy_reason(e, &sb, "sources", !r->allow);
	if (r->allow)
		rw_sb_add(&sb, "%s %s (pattern \"%s\")", e->name,
		    push ? "accepts pushes" : "is an allowed source",
		    r->match[e->pat]);
	else if (push)
		rw_sb_add(&sb, "pushes to %s are not allowed (pattern "
		    "\"%s\")", e->name, r->match[e->pat]);
	else
		rw_sb_add(&sb, "source %s is not allowed (pattern \"%s\"); "
		    "use an image from an approved registry", e->name,
		    r->match[e->pat]);
	rw_sb_finish(&sb);
}

/* What to do about a refused tag. */
static void
tag_remedy(struct policy_ev *e, struct rw_sb *sb)
{
	const struct policy_rule *r = e->r;

	if (e->req->op == POLICY_OP_PUSH) {
		if (r->pattern != NULL)
			rw_sb_add(sb, "push a tag matching %s", r->pattern);
		else
			rw_sb_add(sb, "push a version tag");
		return;
	}
	if (e->digest[0] != '\0')
		rw_sb_add(sb, "pin the digest: %s@%s", e->name, e->digest);
	else
		rw_sb_add(sb, "pull by digest");
	if (r->pattern != NULL)
		rw_sb_add(sb, " or use a tag matching %s", r->pattern);
	else
		rw_sb_add(sb, " or use a version tag");
}

static int
denied_tag(const struct policy_rule *r, const char *tag)
{
	size_t i;

	for (i = 0; i < r->ndeny; i++)
		if (strcmp(r->deny[i], tag) == 0)
			return 1;
	return 0;
}

static void
check_deny(struct policy_ev *e)
{
	const struct policy_rule *r = e->r;
	struct rw_sb sb;
	size_t i;

	if (denied_tag(r, e->req->tag)) {
		policy_reason(e, &sb, "tags.deny", 1);
		rw_sb_add(&sb, "tag \"%s\" is not allowed; ", e->tag);
		tag_remedy(e, &sb);
	} else {
		policy_reason(e, &sb, "tags.deny", 0);
		rw_sb_add(&sb, "tag \"%s\" is not on the deny list (",
		    e->tag);
		for (i = 0; i < r->ndeny && i < POLICY_LIST_MAX; i++)
			rw_sb_add(&sb, "%s%s", i > 0 ? ", " : "",
			    r->deny[i]);
		policy_list_more(&sb, i, r->ndeny);
		rw_sb_add(&sb, ")");
	}
	rw_sb_finish(&sb);
}

static void
check_tags(struct policy_ev *e)
{
	const struct policy_rule *r = e->r;
	struct rw_sb sb;
	int fail;

	if (!r->has_tags)
		return;
	if (e->req->tag == NULL) {
		policy_reason(e, &sb, "tags", 0);
		rw_sb_add(&sb, "%s by digest; tag rules do not apply",
		    op_word(e));
	} else if (r->digest_only && e->req->op == POLICY_OP_PULL) {
		policy_reason(e, &sb, "tags.digest_only", 1);
		if (e->digest[0] != '\0')
			rw_sb_add(&sb, "pulls by tag are not allowed here; "
			    "pull by digest: %s@%s", e->name, e->digest);
		else
			rw_sb_add(&sb, "pulls by tag are not allowed "
			    "here; pull by digest");
	} else {
		/* One reason per tag: a denied tag is not also a mismatch. */
		if (r->ndeny > 0)
			check_deny(e);
		if ((r->ndeny > 0 && denied_tag(r, e->req->tag)) || !r->has_re)
			return;
		fail = regexec(&r->re, e->req->tag, 0, NULL, 0) != 0;
		policy_reason(e, &sb, "tags.pattern", fail);
		if (!fail)
			rw_sb_add(&sb, "tag \"%s\" matches %s", e->tag,
			    r->pattern);
		else if (e->req->op == POLICY_OP_PUSH)
			rw_sb_add(&sb, "tag \"%s\" does not match %s; "
			    "push a tag that does", e->tag, r->pattern);
		else if (e->digest[0] != '\0')
			rw_sb_add(&sb, "tag \"%s\" does not match %s; "
			    "pin the digest: %s@%s or use a matching tag",
			    e->tag, r->pattern, e->name, e->digest);
		else
			rw_sb_add(&sb, "tag \"%s\" does not match %s; "
			    "pull by digest or use a matching tag", e->tag,
			    r->pattern);
	}
	rw_sb_finish(&sb);
}

/* ---------------------------------------------------- pins, immutability */

static void
check_pins(struct policy_ev *e)
{
	const struct admission_req *q = e->req;
	const struct policy_rule *r = e->r;
	struct rw_sb sb;
	char pin[RW_DIGEST_MAX * 4];
	int drift;

	if (!r->has_pins || q->op != POLICY_OP_PULL)
		return;
	if (q->tag == NULL) {
		policy_reason(e, &sb, "pins", 0);
		rw_sb_add(&sb, "pulled by digest; pins do not apply");
	} else if (q->pinned_digest != NULL) {
		drift = strcmp(q->pinned_digest, q->digest) != 0;
		rw_sb_init(&sb, pin, sizeof(pin));
		rw_sb_safe(&sb, q->pinned_digest, RW_DIGEST_MAX);
		policy_reason(e, &sb, "pins", drift);
		if (drift)
			rw_sb_add(&sb, "tag \"%s\" moved: pinned to %s, now "
			    "%s; pull the pinned image %s@%s or update the pin "
			    "with \"regwarden pins add %s:%s %s\"", e->tag, pin,
			    e->digest, e->name, pin, e->name, e->tag,
			    e->digest);
		else
			rw_sb_add(&sb, "tag \"%s\" resolves to its pinned "
			    "digest %s", e->tag, pin);
	} else if (r->pin_first) {
		e->pin_now = 1;
		policy_reason(e, &sb, "pins", 0);
		rw_sb_add(&sb, "tag \"%s\" has no pin yet; an admitted pull "
		    "pins it to %s (pin on first pull)", e->tag, e->digest);
	} else {
		policy_reason(e, &sb, "pins", r->pin_require);
		if (r->pin_require)
			rw_sb_add(&sb, "tag \"%s\" is not pinned; pull by "
			    "digest: %s@%s, or ask an admin to pin it with "
			    "\"regwarden pins add %s:%s %s\"", e->tag, e->name,
			    e->digest, e->name, e->tag, e->digest);
		else
			rw_sb_add(&sb, "tag \"%s\" has no pin (pins are not "
			    "required by this rule)", e->tag);
	}
	rw_sb_finish(&sb);
}

static void
check_immutable(struct policy_ev *e)
{
	const struct admission_req *q = e->req;
	struct rw_sb sb;
	char old[RW_DIGEST_MAX * 4];
	int moved;

	if (!e->r->immutable || q->op != POLICY_OP_PUSH)
		return;
	if (q->tag == NULL) {
		policy_reason(e, &sb, "immutable_tags", 0);
		rw_sb_add(&sb, "pushed by digest; no tag moves");
	} else if (q->tag_digest == NULL) {
		policy_reason(e, &sb, "immutable_tags", 0);
		rw_sb_add(&sb, "tag \"%s\" is new", e->tag);
	} else {
		moved = strcmp(q->tag_digest, q->digest) != 0;
		rw_sb_init(&sb, old, sizeof(old));
		rw_sb_safe(&sb, q->tag_digest, RW_DIGEST_MAX);
		policy_reason(e, &sb, "immutable_tags", moved);
		if (moved)
			rw_sb_add(&sb, "tag \"%s\" already points to %s and "
			    "tags are immutable here; push under a new tag",
			    e->tag, old);
		else
			rw_sb_add(&sb, "tag \"%s\" already points to this "
			    "digest", e->tag);
	}
	rw_sb_finish(&sb);
}

/* ------------------------------------------------------------- deciding */

/*
 * The fact the rule needs and the request lacks, named for the caller's
 * error, or NULL.  NULL pins and tag digests mean "none", so only the image
 * config and the digest can be found missing.
 */
static const char *
missing_fact(const struct policy_ev *e, char *buf, size_t size)
{
	const struct admission_req *q = e->req;
	const struct policy_rule *r = e->r;
	char label[POLICY_SHOW_ITEM * 12];
	size_t i;

	if (!r->allow)
		return NULL;
	if (!q->is_index && (policy_config_checks(r) || r->nplats > 0) &&
	    q->image == NULL)
		return "the image config";
	if (q->is_index && q->nplatforms > 0 && q->platforms == NULL)
		return "the platforms of the index";
	for (i = 0; q->is_index && policy_config_checks(r) && i < q->nplatforms;
	    i++) {
		if (policy_attestation(&q->platforms[i]) ||
		    q->platforms[i].image != NULL)
			continue;
		policy_plat_label(label, sizeof(label), q->platforms[i].os,
		    q->platforms[i].arch, q->platforms[i].variant);
		snprintf(buf, size, "the image config of platform %s", label);
		return buf;
	}
	if (q->tag != NULL && q->digest == NULL &&
	    ((r->has_pins && q->op == POLICY_OP_PULL) ||
	    (r->immutable && q->op == POLICY_OP_PUSH)))
		return "the manifest digest";
	if (r->has_sigs && q->digest == NULL)
		return "the manifest digest";
	if (r->has_sigs && (!q->sigs_gathered ||
	    (q->nsigs > 0 && q->sigs == NULL)))
		return "the signatures of the image";
	if (r->natts > 0 && q->digest == NULL)
		return "the manifest digest";
	if (r->natts > 0 && (!q->atts_gathered ||
	    (q->natts > 0 && q->atts == NULL)))
		return "the attestations of the image";
	/* scan.vex reads them on pulls, as the scan section does */
	if (r->has_vex && q->op == POLICY_OP_PULL && (q->digest == NULL ||
	    !q->atts_gathered || (q->natts > 0 && q->atts == NULL)))
		return "the attestations of the image";
	if (r->has_content && !q->is_index && q->content == NULL)
		return "the content of the image's layers";
	for (i = 0; r->has_content && q->is_index && i < q->nplatforms; i++) {
		if (policy_attestation(&q->platforms[i]) ||
		    q->platforms[i].content != NULL)
			continue;
		policy_plat_label(label, sizeof(label), q->platforms[i].os,
		    q->platforms[i].arch, q->platforms[i].variant);
		snprintf(buf, size, "the content of platform %s's layers",
		    label);
		return buf;
	}
	return NULL;
}

/*
 * A rule's (or the default's) closing note, as a sentence: a leading plain
 * word is capitalised ("ask #platform" becomes "Ask #platform", a URL or a
 * command stays as written) and a full stop is added when it has none.
 */
static void
add_note(struct rw_sb *sb, const char *msg)
{
	size_t n, w;

	if (msg == NULL || msg[0] == '\0')
		return;
	n = strlen(msg);
	w = strspn(msg, "abcdefghijklmnopqrstuvwxyz");
	if (w > 0 && (msg[w] == ' ' || msg[w] == '\0'))
		rw_sb_add(sb, " %c%s", msg[0] - 'a' + 'A', msg + 1);
	else
		rw_sb_add(sb, " %s", msg);
	if (strchr(".!?", msg[n - 1]) == NULL)
		rw_sb_add(sb, ".");
}

static void
failed_reasons(const struct policy_ev *e, struct rw_sb *sb)
{
	const struct verdict *v = e->v;
	size_t i, n = 0;

	for (i = 0; i < v->nreasons; i++)
		if (v->reasons[i].failed && (e->detail & (1u << i)) == 0)
			rw_sb_add(sb, "%s%s", n++ > 0 ? ". Also: " : "",
			    v->reasons[i].text);
}

/* "regwarden: [warning: |audit: ][push of ]REF " */
static void
head(const struct policy_ev *e, struct rw_sb *sb)
{
	const struct verdict *v = e->v;

	rw_sb_add(sb, "regwarden: %s%s%s ", v->kind == VERDICT_WARN ?
	    "warning: " : v->kind == VERDICT_ALLOW && e->nfail > 0 ?
	    "audit: " : "", e->req->op == POLICY_OP_PUSH ? "push of " : "",
	    e->ref);
}

/*
 * The reasons get what room the head and the note leave, so that a long
 * list is cut ("...") while the rule's advice to the developer survives.
 */
static void
compose(struct policy_ev *e)
{
	struct verdict *v = e->v;
	char tail[POLICY_NOTE_MAX + 16], body[POLICY_MESSAGE_MAX + 1];
	struct rw_sb sb, tb, bb;
	size_t room;

	rw_sb_init(&sb, v->message, POLICY_MESSAGE_MAX + 1);
	head(e, &sb);
	if (e->nfail == 0 || e->hold) {
		rw_sb_add(&sb, "%s rule \"%s\" (%s:%d)%s.", e->hold ?
		    "is being scanned:" : "admitted by", v->rule, e->p->base,
		    v->line, e->hold ? " admits only scanned images" : "");
		rw_sb_finish(&sb);
		return;
	}
	/* Only "unscanned: warn" failed: admitted, and told why. */
	rw_sb_add(&sb, "%s by rule \"%s\" (%s:%d%s): ",
	    e->nfail == e->nsoft ? "admitted" : v->kind == VERDICT_DENY ?
	    "refused" : "would be refused", v->rule, e->p->base, v->line,
	    v->mode == POLICY_WARN ? ", warn mode" : v->mode == POLICY_AUDIT ?
	    ", audit mode" : "");
	rw_sb_init(&tb, tail, sizeof(tail));
	rw_sb_add(&tb, ".");
	add_note(&tb, e->r->message);
	room = sb.len + tb.len + 16 < POLICY_MESSAGE_MAX ?
	    POLICY_MESSAGE_MAX + 1 - sb.len - tb.len : 16;
	rw_sb_init(&bb, body, room < sizeof(body) ? room : sizeof(body));
	failed_reasons(e, &bb);
	rw_sb_finish(&bb);
	rw_sb_add(&sb, "%s%s", body, tail);
	rw_sb_finish(&sb);
}

static void
decide_default(struct policy_ev *e)
{
	const struct policy *p = e->p;
	struct verdict *v = e->v;
	struct rw_sb sb;
	int push = e->req->op == POLICY_OP_PUSH;

	v->kind = p->default_allow ? VERDICT_ALLOW : VERDICT_DENY;
	rw_strlcpy(v->rule, "default", sizeof(v->rule));
	policy_reason(e, &sb, "default", !p->default_allow);
	rw_sb_add(&sb, "no rule in %s matches %s%s (default: %s)", p->base,
	    e->name, push ? " for push" : "", p->default_allow ? "allow" :
	    "deny");
	rw_sb_finish(&sb);
	rw_sb_init(&sb, v->message, POLICY_MESSAGE_MAX + 1);
	head(e, &sb);
	rw_sb_add(&sb, "%s: %s.", p->default_allow ? "admitted" :
	    "refused", v->reasons[0].text);
	if (!p->default_allow)
		add_note(&sb, p->default_message);
	rw_sb_finish(&sb);
}

/* Fail closed: a verdict that refuses, and the error that says why. */
static int
could_not(struct policy_ev *e, struct rw_err *err, const char *fact)
{
	struct verdict *v = e->v;
	struct rw_sb sb;

	v->kind = VERDICT_DENY;
	v->nreasons = 0;
	rw_sb_init(&sb, v->message, POLICY_MESSAGE_MAX + 1);
	if (e->r == NULL) {
		rw_sb_add(&sb, "regwarden: request could not be decided: "
		    "%s.", fact);
		rw_sb_finish(&sb);
		return rw_err_set(err, RW_EINVAL, "%s", fact);
	}
	rw_sb_add(&sb, "regwarden: %s%s could not be decided: rule \"%s\" "
	    "(%s:%d) needs %s, which was not gathered.",
	    e->req->op == POLICY_OP_PUSH ? "push of " : "", e->ref, v->rule,
	    e->p->base, v->line, fact);
	rw_sb_finish(&sb);
	return rw_err_set(err, RW_EINVAL, "rule \"%s\" needs %s, which was "
	    "not gathered", v->rule, fact);
}

/* Verifying a signature failed to run (not: did not verify): fail closed. */
static int
broken(struct policy_ev *e, struct rw_err *err)
{
	struct verdict *v = e->v;
	struct rw_sb sb;

	v->kind = VERDICT_DENY;
	v->nreasons = 0;
	v->pin_now = 0;
	v->hold = 0;
	v->valid_until = 0;
	rw_sb_init(&sb, v->message, POLICY_MESSAGE_MAX + 1);
	rw_sb_add(&sb, "regwarden: %s%s could not be decided: rule \"%s\" "
	    "(%s:%d) checks signatures, and verifying them failed: %s.",
	    e->req->op == POLICY_OP_PUSH ? "push of " : "", e->ref, v->rule,
	    e->p->base, v->line, e->fail_msg);
	rw_sb_finish(&sb);
	return rw_err_set(err, e->fail_rc, "verifying signatures failed: %s",
	    e->fail_msg);
}

/* The request's names as messages show them. */
static void
display(struct policy_ev *e)
{
	const struct admission_req *q = e->req;
	struct rw_sb sb;

	rw_sb_init(&sb, e->name, sizeof(e->name));
	rw_sb_safe(&sb, e->subject, POLICY_SHOW_NAME);
	rw_sb_init(&sb, e->tag, sizeof(e->tag));
	rw_sb_safe(&sb, q->tag != NULL ? q->tag : "", POLICY_SHOW_TAG);
	rw_sb_init(&sb, e->digest, sizeof(e->digest));
	rw_sb_safe(&sb, q->digest != NULL ? q->digest : "", RW_DIGEST_MAX);
	rw_sb_init(&sb, e->ref, sizeof(e->ref));
	rw_sb_add(&sb, "%s", e->name);
	if (q->tag != NULL)
		rw_sb_add(&sb, ":%s", e->tag);
	else if (q->digest != NULL)
		rw_sb_add(&sb, "@%s", e->digest);
}

static void
run_checks(struct policy_ev *e)
{
	check_source(e);
	if (!e->r->allow)
		return;	/* a blocked source: nothing else matters */
	check_tags(e);
	check_pins(e);
	check_immutable(e);
	policy_check_image(e);
	policy_check_sigs(e);
	policy_check_atts(e);
	policy_check_content(e);
	/* Last: holding for a scan depends on whether anything else failed. */
	policy_check_scan(e);
}

int
policy_eval(const struct policy *p, const struct admission_req *req,
    int64_t now, struct verdict *out, struct rw_err *err)
{
	struct policy_ev e;
	char buf[POLICY_SHOW_ITEM * 16];
	const char *fact;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	e.p = p;
	e.req = req;
	e.v = out;
	e.now = now;
	rw_strlcpy(out->file, p->file, sizeof(out->file));
	if (req->host == NULL || req->repo == NULL)
		return could_not(&e, err, "the request names no repository");
	if (req->op != POLICY_OP_PULL && req->op != POLICY_OP_PUSH)
		return could_not(&e, err, "the request has no operation");
	if (subject(e.subject, sizeof(e.subject), req->host, req->repo) != 0)
		return could_not(&e, err, "the repository name is too long");
	display(&e);
	e.r = find_rule(p, e.subject, req->op, &e.pat);
	if (e.r == NULL) {
		decide_default(&e);
		return RW_OK;
	}
	out->matched = 1;
	out->mode = e.r->mode;
	out->line = e.r->line;
	rw_strlcpy(out->rule, e.r->name, sizeof(out->rule));
	fact = missing_fact(&e, buf, sizeof(buf));
	if (fact != NULL)
		return could_not(&e, err, fact);
	run_checks(&e);
	if (e.fail_rc != RW_OK)
		return broken(&e, err);
	if (e.nfail == 0 || e.r->mode == POLICY_AUDIT)
		out->kind = VERDICT_ALLOW;
	else if (e.nfail == e.nsoft)
		out->kind = VERDICT_WARN;	/* "unscanned: warn" alone */
	else
		out->kind = e.r->mode == POLICY_WARN ? VERDICT_WARN :
		    VERDICT_DENY;
	out->pin_now = e.pin_now && out->kind != VERDICT_DENY;
	out->hold = e.hold && out->kind == VERDICT_DENY;
	out->valid_until = e.until;
	compose(&e);
	return RW_OK;
}

int
policy_push_reads_uploads(const struct policy *p, const char *host,
    const char *repo)
{
	char subj[POLICY_SUBJECT_MAX + 2];
	const struct policy_rule *r;
	size_t pat;

	if (host == NULL || repo == NULL ||
	    subject(subj, sizeof(subj), host, repo) != 0)
		return 0;
	r = find_rule(p, subj, POLICY_OP_PUSH, &pat);
	return r != NULL && r->allow && r->has_content && r->c_secrets;
}

/*
 * One uploaded layer, judged alone: only its secrets can be (the final
 * filesystem, the packages and the size need the manifest, and are judged
 * at its PUT).  The message is composed as policy_eval's, so a client
 * reads the same sentence whichever of the two refused.
 */
int
policy_eval_layer(const struct policy *p, const char *host,
    const char *repo, const struct policy_content *c, struct verdict *out,
    struct rw_err *err)
{
	struct admission_req q;
	struct policy_ev e;

	memset(out, 0, sizeof(*out));
	memset(&q, 0, sizeof(q));
	memset(&e, 0, sizeof(e));
	q.op = POLICY_OP_PUSH;
	q.host = host;
	q.repo = repo;
	q.content = c;
	e.p = p;
	e.req = &q;
	e.v = out;
	rw_strlcpy(out->file, p->file, sizeof(out->file));
	out->kind = VERDICT_ALLOW;
	if (host == NULL || repo == NULL || c == NULL ||
	    subject(e.subject, sizeof(e.subject), host, repo) != 0)
		return could_not(&e, err, "the request names no repository");
	display(&e);
	e.r = find_rule(p, e.subject, POLICY_OP_PUSH, &e.pat);
	if (e.r == NULL || !e.r->allow || !e.r->has_content ||
	    !e.r->c_secrets)
		return RW_OK;	/* the manifest's PUT decides */
	out->matched = 1;
	out->mode = e.r->mode;
	out->line = e.r->line;
	rw_strlcpy(out->rule, e.r->name, sizeof(out->rule));
	policy_check_secrets(&e);
	if (e.nfail == 0 || e.r->mode == POLICY_AUDIT)
		out->kind = VERDICT_ALLOW;
	else
		out->kind = e.r->mode == POLICY_WARN ? VERDICT_WARN :
		    VERDICT_DENY;
	compose(&e);
	return RW_OK;
}
