/* scan.c - the scan checks: a stored report against a rule's limits. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* "→", as in "openssl 1.1.1k → 1.1.1w". */
#define ARROW		"\xe2\x86\x92"
/* How much of a report's id, package or version a message quotes. */
#define SHOW_FIELD	64
/* One listed finding, with an expired exception's date. */
#define ITEM_MAX	(SHOW_FIELD * 4 * 4 + 96)
/* The least of the worst finding a reason shows, however long the rest. */
#define ITEM_MIN	48
/* Room kept for " and N more" after the last finding that fits. */
#define MORE_ROOM	24
#define NSEV		(POLICY_SEV_CRITICAL + 1)

static const char *const sev_names[] = { "unknown", "negligible", "low",
	"medium", "high", "critical" };

const char *
policy_severity_name(int severity)
{
	if (severity < 0 || severity >= NSEV)
		return "unknown";
	return sev_names[severity];
}

int
policy_severity_parse(const char *name)
{
	int i;

	for (i = 0; i < NSEV; i++)
		if (strcasecmp(name, sev_names[i]) == 0)
			return i;
	return -1;
}

/*
 * A severity out of the scale is the caller's bug; reading it as critical
 * keeps that bug from admitting anything.
 */
static int
sev_of(const struct policy_finding *f)
{
	if (f->severity < 0)
		return POLICY_SEV_UNKNOWN;
	return f->severity > POLICY_SEV_CRITICAL ? POLICY_SEV_CRITICAL :
	    f->severity;
}

static const char *
str_or(const char *s, const char *dflt)
{
	return s != NULL && s[0] != '\0' ? s : dflt;
}

/* ---------------------------------------------------------- exceptions */

/* Whether exception X names finding F: its id, its package, or both. */
static int
names_finding(const struct policy_exception *x,
    const struct policy_finding *f)
{
	if (x->id == NULL && x->pkg == NULL)
		return 0;
	if (x->id != NULL && (f->id == NULL || strcasecmp(x->id, f->id) != 0))
		return 0;
	return x->pkg == NULL || (f->pkg != NULL &&
	    strcmp(x->pkg, f->pkg) == 0);
}

/*
 * Whether X's glob matches the request's repository.  Globs from the store
 * are checked here as the file's are at load; one that is not a valid glob
 * excepts nothing, which is the safe way to be wrong.
 */
static int
in_scope(const struct policy_ev *e, const struct policy_exception *x)
{
	char canon[600], why[200];

	if (x->repo_glob == NULL || policy_glob_check(x->repo_glob, canon,
	    sizeof(canon), why, sizeof(why)) != 0)
		return 0;
	return policy_glob_match(canon, e->subject);
}

enum { F_SKIP, F_EXCEPTED, F_SUPPRESSED, F_GRACE, F_COUNTED };

/*
 * The second the grace period of finding F ends, or 0 when it has none:
 * the rule gives none, or the image was not admitted here before F first
 * appeared (an image never admitted gets none, nor does a finding whose
 * first report came before the image's first admission).
 */
static int64_t
grace_end(const struct policy_ev *e, const struct policy_finding *f)
{
	int64_t days = e->r->scan_grace, adm = e->req->first_admitted, seen;

	if (days <= 0 || adm <= 0 || e->req->first_seen == NULL)
		return 0;
	/* F is one of the report's findings (judge's callers' loops). */
	seen = e->req->first_seen[f - e->req->scan->f];
	if (seen <= adm || seen > INT64_MAX - days * 86400)
		return 0;
	return seen + days * 86400;
}

/*
 * Whether finding F counts: F_SKIP when only fixable findings count and it
 * has no fix, F_SUPPRESSED when trusted OpenVEX marks it not_affected or
 * fixed for this image (for good: a VEX does not expire), F_EXCEPTED while
 * an exception covers it, F_GRACE while it is in its grace period (the
 * verdict may change when either ends).  *EXPIRED gets an exception that
 * covered it and has expired (messages say so), or NULL.
 */
static int
judge(struct policy_ev *e, const struct policy_finding *f,
    const struct policy_exception **expired)
{
	const struct policy_exception *x;
	size_t i;

	*expired = NULL;
	if (e->r->scan_fixable && !f->fixable)
		return F_SKIP;
	if (e->vex != NULL && policy_vex_suppresses(e->vex, f))
		return F_SUPPRESSED;
	for (i = 0; e->req->exceptions != NULL && i < e->req->nexceptions;
	    i++) {
		x = &e->req->exceptions[i];
		if (!names_finding(x, f) || !in_scope(e, x))
			continue;
		/* It stops applying at the second it expires. */
		if (e->now < x->expires) {
			policy_until(e, x->expires);
			return F_EXCEPTED;
		}
		if (*expired == NULL)
			*expired = x;
	}
	/* Like an exception, it stops applying at the second it ends. */
	if (grace_end(e, f) > e->now) {
		policy_until(e, grace_end(e, f));
		return F_GRACE;
	}
	return F_COUNTED;
}

/* --------------------------------------------------------------- tally */

/* Per severity, the findings that count (fixable, not excepted). */
struct tally {
	size_t	counted[NSEV];
	size_t	grace[NSEV];	/* in their grace period */
	size_t	excepted_over;	/* excepted, above max_severity */
	size_t	grace_over;	/* in their grace period, above it */
	size_t	suppressed_over; /* by OpenVEX, above max_severity */
	size_t	over;		/* counted, above max_severity */
};

static void
count(struct policy_ev *e, struct tally *t)
{
	const struct policy_scan *s = e->req->scan;
	const struct policy_exception *expired;
	size_t i;
	int sev, how;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < s->nf; i++) {
		sev = sev_of(&s->f[i]);
		how = judge(e, &s->f[i], &expired);
		if (how == F_COUNTED)
			t->counted[sev]++;
		if (how == F_COUNTED && sev > e->r->scan_max_sev)
			t->over++;
		if (how == F_EXCEPTED && sev > e->r->scan_max_sev)
			t->excepted_over++;
		if (how == F_GRACE)
			t->grace[sev]++;
		if (how == F_GRACE && sev > e->r->scan_max_sev)
			t->grace_over++;
		if (how == F_SUPPRESSED && sev > e->r->scan_max_sev)
			t->suppressed_over++;
	}
}

/* Whether the counts at severity SEV exceed the rule's limit for it. */
static int
count_fails(const struct policy_rule *r, const struct tally *t, int sev)
{
	return r->scan_counts[sev] >= 0 &&
	    t->counted[sev] > (size_t)r->scan_counts[sev];
}

/* ------------------------------------------------------ worst findings */

/* The worst failing findings, worst first: severity, then id, package. */
struct worst {
	const struct policy_finding	*f[POLICY_LIST_MAX];
	const struct policy_exception	*x[POLICY_LIST_MAX];
	size_t				 n;
	size_t				 total;
};

static int
before(const struct policy_finding *a, const struct policy_finding *b)
{
	int c;

	if (sev_of(a) != sev_of(b))
		return sev_of(a) > sev_of(b);
	c = strcmp(str_or(a->id, ""), str_or(b->id, ""));
	if (c != 0)
		return c < 0;
	return strcmp(str_or(a->pkg, ""), str_or(b->pkg, "")) < 0;
}

static void
worst_add(struct worst *w, const struct policy_finding *f,
    const struct policy_exception *x)
{
	size_t i;

	w->total++;
	if (w->n == POLICY_LIST_MAX && !before(f, w->f[w->n - 1]))
		return;
	i = w->n < POLICY_LIST_MAX ? w->n++ : w->n - 1;
	for (; i > 0 && before(f, w->f[i - 1]); i--) {
		w->f[i] = w->f[i - 1];
		w->x[i] = w->x[i - 1];
	}
	w->f[i] = f;
	w->x[i] = x;
}

/* The counted findings failing max_severity (BY_COUNT 0) or max_counts. */
static void
collect(struct policy_ev *e, const struct tally *t, int by_count,
    struct worst *w)
{
	const struct policy_scan *s = e->req->scan;
	const struct policy_exception *expired;
	size_t i;
	int sev;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < s->nf; i++) {
		sev = sev_of(&s->f[i]);
		if (by_count ? !count_fails(e->r, t, sev) :
		    sev <= e->r->scan_max_sev)
			continue;
		if (judge(e, &s->f[i], &expired) == F_COUNTED)
			worst_add(w, &s->f[i], expired);
	}
}

/* "CVE-2024-1234 (critical, openssl 1.1.1k → 1.1.1w)" into BUF. */
static void
item(char *buf, size_t size, const struct policy_finding *f,
    const struct policy_exception *expired)
{
	struct rw_sb sb;
	char when[32];

	rw_sb_init(&sb, buf, size);
	rw_sb_safe(&sb, str_or(f->id, "(no id)"), SHOW_FIELD);
	rw_sb_add(&sb, " (%s, ", policy_severity_name(sev_of(f)));
	rw_sb_safe(&sb, str_or(f->pkg, "(no package)"), SHOW_FIELD);
	if (f->installed != NULL && f->installed[0] != '\0') {
		rw_sb_add(&sb, " ");
		rw_sb_safe(&sb, f->installed, SHOW_FIELD);
	}
	rw_sb_add(&sb, " " ARROW " ");
	rw_sb_safe(&sb, str_or(f->fixed, "no fix"), SHOW_FIELD);
	if (expired != NULL) {
		rw_time_str(when, sizeof(when), expired->expires);
		rw_sb_add(&sb, "; exception expired %s", when);
	}
	rw_sb_add(&sb, ")");
	rw_sb_finish(&sb);
}

/*
 * Lists W into SB, leaving TAIL_LEN bytes for what follows: a finding that
 * would crowd out the advice is counted in "and N more" instead.  The worst
 * one is always named, shortened ("...") when even it does not fit.
 */
static void
list_worst(struct rw_sb *sb, const struct worst *w, size_t tail_len)
{
	char buf[ITEM_MAX];
	size_t i, shown = 0, keep = MORE_ROOM + tail_len + 1, room;

	for (i = 0; i < w->n; i++) {
		item(buf, sizeof(buf), w->f[i], w->x[i]);
		room = sb->size > sb->len + keep ? sb->size - sb->len - keep :
		    0;
		if (strlen(buf) + (i > 0 ? 2 : 0) > room) {
			if (i > 0)
				break;
			room = room < ITEM_MIN ? ITEM_MIN : room;
			item(buf, room + 1 < sizeof(buf) ? room + 1 :
			    sizeof(buf), w->f[i], w->x[i]);
		}
		rw_sb_add(sb, "%s%s", i > 0 ? ", " : "", buf);
		shown++;
	}
	policy_list_more(sb, shown, w->total);
}

/* "scanned 2025-06-14T15:06:40Z by trivy 0.50.1" */
static void
scanned_by(struct rw_sb *sb, const struct policy_scan *s)
{
	char when[32];

	if (s->scanned_at >= 0) {
		rw_time_str(when, sizeof(when), s->scanned_at);
		rw_sb_add(sb, "scanned %s by ", when);
	} else
		rw_sb_add(sb, "scanned (date unknown) by ");
	rw_sb_safe(sb, str_or(s->scanner, "an unknown scanner"),
	    SHOW_FIELD);
	if (s->scanner_version != NULL && s->scanner_version[0] != '\0') {
		rw_sb_add(sb, " ");
		rw_sb_safe(sb, s->scanner_version, SHOW_FIELD);
	}
}

static int
id_safe(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' &&
		    id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9') ||
		    strchr("._:-", id[i]) != NULL))
			return 0;
	return i > 0 && i <= SHOW_FIELD;
}

/*
 * "; scanned ... by ...; upgrade the packages, or ask for an exception:
 * regwarden exceptions add ID --repo ..." for the worst finding W.  An id
 * that is not plainly an id is not put in a command meant to be pasted.
 */
static void
advice(struct policy_ev *e, char *buf, size_t size, const struct worst *w)
{
	const struct policy_finding *worst = w->f[0];
	const char *dg = e->req->digest;
	struct rw_sb sb;
	size_t i;
	int one = w->total <= w->n;

	/* Findings under more than one id: one command for all of them. */
	for (i = 1; one && i < w->n; i++)
		one = worst->id != NULL && w->f[i]->id != NULL &&
		    strcmp(worst->id, w->f[i]->id) == 0;
	rw_sb_init(&sb, buf, size);
	policy_vex_tail(e, e->vex, &sb);
	rw_sb_add(&sb, "; ");
	scanned_by(&sb, e->req->scan);
	rw_sb_add(&sb, "; upgrade the packages, or ask for an exception: ");
	if (!one && dg != NULL && rw_hash_alg_of(dg) != 0 &&
	    strchr(dg, ':') != NULL && strlen(dg) < 160 &&
	    strspn(strchr(dg, ':') + 1, "0123456789abcdef") ==
	    strlen(strchr(dg, ':') + 1))
		rw_sb_add(&sb, "regwarden exceptions add --from-scan %s --repo "
		    "%s --expires 30d --reason \"<why>\"", dg, e->name);
	else
		rw_sb_add(&sb, "regwarden exceptions add %s --repo %s --expires "
		    "30d --reason \"<why>\"", worst->id != NULL &&
		    id_safe(worst->id) ? worst->id : "<id>", e->name);
	rw_sb_finish(&sb);
}

/* ------------------------------------------------------------- checks */

/*
 * After "no finding above X": what was not counted above it, e.g.
 * " (1 excepted, 2 suppressed by OpenVEX)"; nothing when all counted.
 */
static void
below_notes(struct rw_sb *sb, const struct tally *t)
{
	const char *sep = " (";

	if (t->excepted_over > 0) {
		rw_sb_add(sb, "%s%zu excepted", sep, t->excepted_over);
		sep = ", ";
	}
	if (t->suppressed_over > 0) {
		rw_sb_add(sb, "%s%zu suppressed by OpenVEX", sep,
		    t->suppressed_over);
		sep = ", ";
	}
	if (t->grace_over > 0) {
		rw_sb_add(sb, "%s%zu within the grace period", sep,
		    t->grace_over);
		sep = ", ";
	}
	if (sep[0] == ',')
		rw_sb_add(sb, ")");
}

static void
check_severity(struct policy_ev *e, const struct tally *t)
{
	const struct policy_rule *r = e->r;
	const char *max = policy_severity_name(r->scan_max_sev);
	const char *fx = r->scan_fixable ? "fixable " : "";
	char tail[sizeof(e->scratch)];
	struct rw_sb sb;
	struct worst w;

	if (r->scan_max_sev < 0)
		return;
	policy_reason(e, &sb, "scan.max_severity", t->over > 0);
	if (t->over == 0) {
		rw_sb_add(&sb, "no %sfinding above %s", fx, max);
		below_notes(&sb, t);
		rw_sb_finish(&sb);
		return;
	}
	collect(e, t, 0, &w);
	advice(e, tail, sizeof(tail), &w);
	rw_sb_add(&sb, "%zu %sfinding%s above %s: ", t->over, fx,
	    t->over == 1 ? "" : "s", max);
	list_worst(&sb, &w, strlen(tail));
	rw_sb_add(&sb, "%s", tail);
	rw_sb_finish(&sb);
}

/* "1 critical (at most 0), 7 high (at most 5)", the failing ones or all. */
static void
count_list(struct rw_sb *sb, const struct policy_ev *e,
    const struct tally *t, int failing)
{
	int sev, n = 0;

	for (sev = POLICY_SEV_CRITICAL; sev >= 0; sev--) {
		if (e->r->scan_counts[sev] < 0 ||
		    (failing && !count_fails(e->r, t, sev)))
			continue;
		rw_sb_add(sb, "%s%zu %s (at most %lld)", n++ > 0 ? ", " :
		    "", t->counted[sev], sev_names[sev],
		    (long long)e->r->scan_counts[sev]);
	}
}

static void
check_counts(struct policy_ev *e, const struct tally *t)
{
	const char *fx = e->r->scan_fixable ? "fixable " : "";
	char tail[sizeof(e->scratch)];
	struct rw_sb sb;
	struct worst w;
	int sev, fails = 0;

	if (!e->r->has_counts)
		return;
	for (sev = 0; sev < NSEV; sev++)
		fails |= count_fails(e->r, t, sev);
	policy_reason(e, &sb, "scan.max_counts", fails);
	if (!fails) {
		rw_sb_add(&sb, "%sfindings within limits: ", fx);
		count_list(&sb, e, t, 0);
		rw_sb_finish(&sb);
		return;
	}
	collect(e, t, 1, &w);
	advice(e, tail, sizeof(tail), &w);
	rw_sb_add(&sb, "too many %sfindings: ", fx);
	count_list(&sb, e, t, 1);
	rw_sb_add(&sb, ": ");
	list_worst(&sb, &w, strlen(tail));
	rw_sb_add(&sb, "%s", tail);
	rw_sb_finish(&sb);
}

/* ---------------------------------------------------------- grace_days */

/*
 * Whether a finding of severity SEV in its grace period would refuse the
 * image once the period ends: above max_severity, or in a severity whose
 * count with the findings in grace exceeds max_counts.
 */
static int
grace_refuses(const struct policy_rule *r, const struct tally *t, int sev)
{
	if (r->scan_max_sev >= 0 && sev > r->scan_max_sev)
		return 1;
	return r->scan_counts[sev] >= 0 &&
	    t->counted[sev] + t->grace[sev] > (size_t)r->scan_counts[sev];
}

/*
 * New findings on an image already in use: those that would refuse it
 * admit it with a warning (a soft failure) until the earliest grace period
 * ends, naming them, the date and what to do.
 */
static void
check_grace(struct policy_ev *e, const struct tally *t)
{
	const struct policy_scan *s = e->req->scan;
	const struct policy_exception *expired;
	char tail[sizeof(e->scratch)], when[32];
	int64_t end = 0;
	struct rw_sb sb;
	struct worst w;
	size_t i;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < s->nf; i++) {
		if (!grace_refuses(e->r, t, sev_of(&s->f[i])) ||
		    judge(e, &s->f[i], &expired) != F_GRACE)
			continue;
		worst_add(&w, &s->f[i], NULL);
		if (end == 0 || grace_end(e, &s->f[i]) < end)
			end = grace_end(e, &s->f[i]);
	}
	if (w.total == 0)
		return;
	policy_reason(e, &sb, "scan.grace", 1);
	e->nsoft++;
	rw_time_str(when, sizeof(when), end);
	advice(e, tail, sizeof(tail), &w);
	rw_sb_add(&sb, "%zu new finding%s within the grace period until %s "
	    "(scan.grace_days %lld): ", w.total, w.total == 1 ? "" : "s", when,
	    (long long)e->r->scan_grace);
	/* Room for "; fix it before then" too. */
	list_worst(&sb, &w, strlen(tail) + 24);
	rw_sb_add(&sb, "; fix %s before then%s", w.total == 1 ? "it" : "them",
	    tail);
	rw_sb_finish(&sb);
}

/* The report is judged at decision time: it ages while it is cached. */
static void
check_age(struct policy_ev *e)
{
	const struct policy_scan *s = e->req->scan;
	int64_t max = e->r->scan_max_age;
	struct rw_sb sb;
	char when[32];
	int fails;

	if (max == 0)
		return;
	fails = s->scanned_at < 0 || e->now - s->scanned_at > max * 86400;
	policy_reason(e, &sb, "scan.max_age_days", fails);
	rw_time_str(when, sizeof(when), s->scanned_at);
	if (s->scanned_at < 0)
		rw_sb_add(&sb, "scan has no date");
	else if (fails)
		rw_sb_add(&sb, "scan of %s is older than %lld day%s", when,
		    (long long)max, max == 1 ? "" : "s");
	else
		rw_sb_add(&sb, "scan of %s is %lld days old (at most %lld)",
		    when, (long long)(e->now > s->scanned_at ?
		    (e->now - s->scanned_at) / 86400 : 0), (long long)max);
	if (fails)
		rw_sb_add(&sb, "; rescan it and import the report with "
		    "regwarden scans import");
	else if (s->scanned_at <= INT64_MAX / 2)
		policy_until(e, s->scanned_at + max * 86400 + 1);
	rw_sb_finish(&sb);
}

/* "scan": what the report says, before any limit is applied. */
static void
summary(struct policy_ev *e)
{
	const struct policy_scan *s = e->req->scan;
	size_t n[NSEV], i;
	struct rw_sb sb;
	int sev, k = 0;

	memset(n, 0, sizeof(n));
	for (i = 0; i < s->nf; i++)
		n[sev_of(&s->f[i])]++;
	policy_reason(e, &sb, "scan", 0);
	scanned_by(&sb, s);
	if (s->db_version != NULL && s->db_version[0] != '\0') {
		rw_sb_add(&sb, " (db ");
		rw_sb_safe(&sb, s->db_version, SHOW_FIELD);
		rw_sb_add(&sb, ")");
	}
	rw_sb_add(&sb, ": ");
	for (sev = POLICY_SEV_CRITICAL; sev >= 0; sev--)
		if (n[sev] > 0)
			rw_sb_add(&sb, "%s%zu %s", k++ > 0 ? ", " : "",
			    n[sev], sev_names[sev]);
	if (k == 0)
		rw_sb_add(&sb, "no findings");
	rw_sb_finish(&sb);
}

/* ---------------------------------------------- exceptions in explain */

/* Whether X, in scope, names any finding of the report. */
static int
relevant(const struct policy_ev *e, const struct policy_exception *x)
{
	const struct policy_scan *s = e->req->scan;
	size_t i;

	for (i = 0; i < s->nf; i++)
		if (names_finding(x, &s->f[i]))
			return in_scope(e, x);
	return 0;
}

/* "exception CVE-2024-1234 for docker.io/acme/api" */
static void
exc_label(struct rw_sb *sb, const struct policy_exception *x)
{
	rw_sb_add(sb, "exception ");
	if (x->id != NULL)
		rw_sb_safe(sb, x->id, SHOW_FIELD);
	if (x->id != NULL && x->pkg != NULL)
		rw_sb_add(sb, " in ");
	if (x->pkg != NULL) {
		rw_sb_add(sb, "package ");
		rw_sb_safe(sb, x->pkg, SHOW_FIELD);
	}
	rw_sb_add(sb, " for ");
	rw_sb_safe(sb, x->repo_glob, POLICY_SHOW_NAME);
}

static void
exc_detail(struct rw_sb *sb, const struct policy_ev *e,
    const struct policy_exception *x, int live)
{
	char when[32];

	rw_time_str(when, sizeof(when), x->expires);
	exc_label(sb, x);
	if (!live) {
		rw_sb_add(sb, " expired %s", when);
		return;
	}
	rw_sb_add(sb, " applies until %s (", when);
	if (x->line > 0)
		rw_sb_add(sb, "%s:%d", e->p->base, x->line);
	else
		rw_sb_safe(sb, str_or(x->source, "store"), SHOW_FIELD);
	rw_sb_add(sb, ": ");
	rw_sb_safe(sb, str_or(x->reason, "no reason given"),
	    POLICY_NOTE_MAX);
	rw_sb_add(sb, ")");
}

/*
 * Passed reasons for explain: the exceptions that apply to this report's
 * findings here (LIVE), or those that did and have expired.
 */
static void
list_exceptions(struct policy_ev *e, int live)
{
	const struct policy_exception *x;
	struct rw_sb sb;
	size_t i, n = 0;

	for (i = 0; e->req->exceptions != NULL && i < e->req->nexceptions;
	    i++) {
		x = &e->req->exceptions[i];
		if ((e->now < x->expires) != live || !relevant(e, x))
			continue;
		if (n == 0)
			policy_reason(e, &sb, live ? "scan.excepted" :
			    "scan.expired", 0);
		if (n < POLICY_LIST_MAX) {
			rw_sb_add(&sb, "%s", n > 0 ? "; " : "");
			exc_detail(&sb, e, x, live);
		}
		n++;
	}
	if (n == 0)
		return;
	policy_list_more(&sb, n < POLICY_LIST_MAX ? n : POLICY_LIST_MAX, n);
	rw_sb_finish(&sb);
}

/* --------------------------------------------------------- no verdict */

static void
unscanned(struct policy_ev *e)
{
	int how = e->r->scan_unscanned;
	struct rw_sb sb;

	if (how == POLICY_UNSCANNED_ALLOW) {
		policy_reason(e, &sb, "scan", 0);
		rw_sb_add(&sb, "image has no scan verdict; admitted "
		    "without one (unscanned: allow)");
		rw_sb_finish(&sb);
		return;
	}
	/*
	 * Holding is worth it only when the scan alone decides: an image
	 * refused for another reason is refused now, and in warn or audit
	 * mode nothing is refused, so nothing is held either.
	 */
	if (how == POLICY_UNSCANNED_HOLD && e->nfail == 0 &&
	    e->r->mode == POLICY_ENFORCE) {
		e->hold = 1;
		policy_reason(e, &sb, "scan", 1);
		rw_sb_add(&sb, "image has no scan verdict yet; it is held "
		    "while it is scanned");
		rw_sb_finish(&sb);
		return;
	}
	policy_reason(e, &sb, "scan", 1);
	if (how == POLICY_UNSCANNED_WARN)
		e->nsoft++;
	rw_sb_add(&sb, "image has no scan verdict; scan it (trivy image ");
	if (e->digest[0] != '\0')
		rw_sb_add(&sb, "%s@%s", e->name, e->digest);
	else
		rw_sb_add(&sb, "%s", e->ref);
	rw_sb_add(&sb, ") and import the report with regwarden scans "
	    "import");
	rw_sb_finish(&sb);
}

void
policy_check_scan(struct policy_ev *e)
{
	struct policy_vex_set *vex = NULL;
	struct tally t;

	if (!e->r->has_scan || e->req->op != POLICY_OP_PULL)
		return;
	if (e->req->scan == NULL) {
		unscanned(e);
		return;
	}
	if (e->r->has_vex) {
		vex = policy_vex_gather(e);
		if (vex == NULL)
			return;		/* E->fail_rc says why */
		policy_vex_notes(e, vex);
		e->vex = vex;
	}
	summary(e);
	count(e, &t);
	check_severity(e, &t);
	check_counts(e, &t);
	check_grace(e, &t);
	check_age(e);
	policy_check_scan_secrets(e);
	if (vex != NULL)
		policy_vex_report(e, vex);
	list_exceptions(e, 1);
	list_exceptions(e, 0);
	e->vex = NULL;
	policy_vex_set_free(vex);
}
