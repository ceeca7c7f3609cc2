/* metrics_ops.c - the operator's series: per upstream, per route, process, reloads, scanner, audit. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/metrics.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/metrics_int.h"

static const char *const up_errs[METRICS_NUP_ERRS] = { "connect", "timeout",
	"5xx", "digest_mismatch", "other" };
static const char *const routes[METRICS_NROUTES] = { "manifest", "blob",
	"upload", "other" };

/* The same buckets as regwarden_upstream_request_duration_seconds. */
static const uint64_t hb_usec[] = { 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000 };
static const char *const hb_le[] = { "0.005", "0.01", "0.025", "0.05",
	"0.1", "0.25", "0.5", "1", "2.5", "5", "10" };
#define HB	(sizeof(hb_usec) / sizeof(hb_usec[0]))

struct hist {
	atomic_uint_fast64_t	 b[HB + 1];
	atomic_uint_fast64_t	 usec;
};

struct up_slot {
	_Atomic(char *)		 name;	/* NULL = free; set once */
	atomic_uint_fast64_t	 requests;
	atomic_uint_fast64_t	 errs[METRICS_NUP_ERRS];
	struct hist		 lat;
};

struct mops {
	struct up_slot		 up[METRICS_MAX_UPSTREAMS];
	struct up_slot		 up_other;
	struct hist		 route[METRICS_NROUTES];
	int64_t			 start_time;
	atomic_int_fast64_t	 reload_ok;	/* -1: none yet */
	atomic_int_fast64_t	 reload_ts;
	atomic_int_fast64_t	 reload_ok_ts;
	atomic_int_fast64_t	 tls_not_after;
	atomic_uint_fast64_t	 scans[2];	/* [failed, ok] */
	struct hist		 scan_lat;
	atomic_uint_fast64_t	 sigs[2];	/* [failed, verified] */
	atomic_uint_fast64_t	 atts[2];	/* [failed, verified] */
	atomic_int_fast64_t	 auditq_depth;
	atomic_uint_fast64_t	 audit_drops;
};

static void
inc(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint64_t
get(atomic_uint_fast64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void
observe(struct hist *h, uint64_t usec)
{
	size_t i;

	for (i = 0; i < HB && usec > hb_usec[i]; i++)
		;
	inc(&h->b[i]);
	atomic_fetch_add_explicit(&h->usec, usec, memory_order_relaxed);
}

struct mops *
mops_new(void)
{
	struct mops *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->start_time = (int64_t)time(NULL);
	atomic_store(&o->reload_ok, -1);
	return o;
}

void
mops_free(struct mops *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < METRICS_MAX_UPSTREAMS; i++)
		free(atomic_load(&o->up[i].name));
	free(o);
}

/* The slot of upstream NAME: found, claimed, or "other" when all are taken. */
static struct up_slot *
up_slot(struct mops *o, const char *name)
{
	char *cur, *copy;
	size_t i;

	for (i = 0; name != NULL && i < METRICS_MAX_UPSTREAMS; i++) {
		cur = atomic_load(&o->up[i].name);
		if (cur == NULL) {
			copy = strdup(name);
			if (copy == NULL)
				break;
			if (atomic_compare_exchange_strong(&o->up[i].name, &cur,
			    copy))
				return &o->up[i];
			free(copy);	/* another thread claimed it: look */
		}
		if (strcmp(cur, name) == 0)
			return &o->up[i];
	}
	return &o->up_other;
}

void
metrics_upstream(struct metrics *m, const char *name, uint64_t usec)
{
	struct up_slot *s = up_slot(metrics_mops(m), name);

	inc(&s->requests);
	observe(&s->lat, usec);
}

void
metrics_upstream_error(struct metrics *m, const char *name, int kind)
{
	struct up_slot *s = up_slot(metrics_mops(m), name);

	if (kind < 0 || kind >= METRICS_NUP_ERRS)
		kind = METRICS_UP_OTHER;
	inc(&s->errs[kind]);
}

void
metrics_client_latency(struct metrics *m, int route, uint64_t usec)
{
	if (route < 0 || route >= METRICS_NROUTES)
		route = METRICS_ROUTE_OTHER;
	observe(&metrics_mops(m)->route[route], usec);
}

void
metrics_policy_reload(struct metrics *m, int ok, int64_t now)
{
	struct mops *o = metrics_mops(m);

	atomic_store(&o->reload_ok, ok ? 1 : 0);
	atomic_store(&o->reload_ts, now);
	if (ok)
		atomic_store(&o->reload_ok_ts, now);
}

void
metrics_set_tls_expiry(struct metrics *m, int64_t not_after)
{
	atomic_store(&metrics_mops(m)->tls_not_after, not_after);
}

void
metrics_scanner_run(struct metrics *m, int ok, uint64_t usec)
{
	struct mops *o = metrics_mops(m);

	inc(&o->scans[ok ? 1 : 0]);
	observe(&o->scan_lat, usec);
}

void
metrics_signature_check(struct metrics *m, int verified)
{
	inc(&metrics_mops(m)->sigs[verified ? 1 : 0]);
}

void
metrics_attestation_check(struct metrics *m, int verified)
{
	inc(&metrics_mops(m)->atts[verified ? 1 : 0]);
}

void
metrics_set_auditq(struct metrics *m, int64_t depth)
{
	atomic_store(&metrics_mops(m)->auditq_depth, depth);
}

void
metrics_audit_drop(struct metrics *m)
{
	inc(&metrics_mops(m)->audit_drops);
}

/* ---------------------------------------------------------- rendering */

/* The rendering state: the first failed append wins and stops the rest. */
struct ob {
	struct rw_buf	*buf;
	int		 rc;
};

static void __attribute__((format(printf, 2, 3)))
addf(struct ob *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (b->rc != RW_OK)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		b->rc = RW_ETOOBIG;
	else
		b->rc = rw_buf_add(b->buf, line, (size_t)n);
}

static void
hist_render(struct ob *b, const char *name, const char *label,
    struct hist *h)
{
	uint64_t cum = 0, sum = get(&h->usec);
	const char *sep = label[0] != '\0' ? "," : "";
	size_t i;

	for (i = 0; i <= HB; i++) {
		cum += get(&h->b[i]);
		addf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, label,
		    sep, i < HB ? hb_le[i] : "+Inf", (unsigned long long)cum);
	}
	addf(b, "%s_sum%s%s%s %llu.%06llu\n", name,
	    label[0] != '\0' ? "{" : "", label, label[0] != '\0' ? "}" : "",
	    (unsigned long long)(sum / 1000000),
	    (unsigned long long)(sum % 1000000));
	addf(b, "%s_count%s%s%s %llu\n", name,
	    label[0] != '\0' ? "{" : "", label, label[0] != '\0' ? "}" : "",
	    (unsigned long long)cum);
}

static void
family(struct ob *b, const char *name, const char *type, const char *help)
{
	addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render_upstreams(struct ob *b, struct mops *o)
{
	struct up_slot *s[METRICS_MAX_UPSTREAMS + 1];
	const char *names[METRICS_MAX_UPSTREAMS + 1];
	char label[300], esc[256];
	size_t n = 0, i, k;

	for (i = 0; i < METRICS_MAX_UPSTREAMS; i++) {
		names[n] = atomic_load(&o->up[i].name);
		if (names[n] != NULL)
			s[n++] = &o->up[i];
	}
	if (get(&o->up_other.requests) > 0) {
		names[n] = "other";
		s[n++] = &o->up_other;
	}
	family(b, "regwarden_upstream_requests_total", "counter",
	    "Requests answered by each upstream (any status).");
	for (i = 0; i < n; i++)
		addf(b, "regwarden_upstream_requests_total{upstream=\"%s\"}"
		    " %llu\n", metrics_label(esc, sizeof(esc), names[i]),
		    (unsigned long long)get(&s[i]->requests));
	family(b, "regwarden_upstream_errors_total", "counter",
	    "Upstream failures by upstream and kind: connect, timeout, 5xx, "
	    "digest_mismatch (bytes that do not match their digest), other.");
	for (i = 0; i < n; i++)
		for (k = 0; k < METRICS_NUP_ERRS; k++)
			addf(b, "regwarden_upstream_errors_total{upstream="
			    "\"%s\",kind=\"%s\"} %llu\n", metrics_label(esc,
			    sizeof(esc), names[i]), up_errs[k],
			    (unsigned long long)get(&s[i]->errs[k]));
	family(b, "regwarden_upstream_duration_seconds", "histogram",
	    "Upstream request time by upstream, from sending to the answer.");
	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "upstream=\"%s\"",
		    metrics_label(esc, sizeof(esc), names[i]));
		hist_render(b, "regwarden_upstream_duration_seconds", label,
		    &s[i]->lat);
	}
}

/* Open descriptors and resident bytes, from /proc; -1 when unknown. */
static void
process_usage(int64_t *fds, int64_t *rss)
{
	struct dirent *de;
	unsigned long long size, res;
	DIR *d;
	FILE *fp;

	*fds = -1;
	*rss = -1;
	d = opendir("/proc/self/fd");
	if (d != NULL) {
		*fds = 0;
		while ((de = readdir(d)) != NULL)
			*fds += de->d_name[0] != '.';
		*fds -= 1;	/* the one opendir holds */
		closedir(d);
	}
	fp = fopen("/proc/self/statm", "r");
	if (fp != NULL) {
		if (fscanf(fp, "%llu %llu", &size, &res) == 2)
			*rss = (int64_t)res * sysconf(_SC_PAGESIZE);
		fclose(fp);
	}
}

static void
render_process(struct ob *b, struct mops *o)
{
	int64_t fds, rss;

	process_usage(&fds, &rss);
	family(b, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.");
	addf(b, "process_start_time_seconds %lld\n",
	    (long long)o->start_time);
	if (fds >= 0) {
		family(b, "process_open_fds", "gauge",
		    "Number of open file descriptors.");
		addf(b, "process_open_fds %lld\n", (long long)fds);
	}
	if (rss >= 0) {
		family(b, "process_resident_memory_bytes", "gauge",
		    "Resident memory size in bytes.");
		addf(b, "process_resident_memory_bytes %lld\n",
		    (long long)rss);
	}
}

static void
render_state(struct ob *b, struct mops *o)
{
	int64_t ok = atomic_load(&o->reload_ok);

	family(b, "regwarden_policy_last_reload_success", "gauge",
	    "1 when the last policy load or reload succeeded, 0 when it "
	    "failed (the previous policy stays in force).");
	addf(b, "regwarden_policy_last_reload_success %d\n",
	    ok != 0 ? 1 : 0);
	family(b, "regwarden_policy_last_reload_timestamp_seconds", "gauge",
	    "When the policy was last loaded or reloaded, successfully or not.");
	addf(b, "regwarden_policy_last_reload_timestamp_seconds %lld\n",
	    (long long)atomic_load(&o->reload_ts));
	family(b, "regwarden_policy_last_reload_success_timestamp_seconds",
	    "gauge", "When the policy was last loaded successfully.");
	addf(b, "regwarden_policy_last_reload_success_timestamp_seconds "
	    "%lld\n", (long long)atomic_load(&o->reload_ok_ts));
	family(b, "regwarden_tls_certificate_expiry_timestamp_seconds", "gauge",
	    "When the listener's TLS certificate expires (notAfter).");
	addf(b, "regwarden_tls_certificate_expiry_timestamp_seconds "
	    "%lld\n", (long long)atomic_load(&o->tls_not_after));
	family(b, "regwarden_scanner_runs_total", "counter",
	    "Scanner runs by result: ok (a report imported) or failed.");
	addf(b, "regwarden_scanner_runs_total{result=\"ok\"} %llu\n"
	    "regwarden_scanner_runs_total{result=\"failed\"} %llu\n",
	    (unsigned long long)get(&o->scans[1]),
	    (unsigned long long)get(&o->scans[0]));
	family(b, "regwarden_scanner_duration_seconds", "histogram",
	    "Scanner run time, start to exit.");
	hist_render(b, "regwarden_scanner_duration_seconds", "", &o->scan_lat);
	family(b, "regwarden_signature_verifications_total", "counter",
	    "Signature requirements evaluated by outcome: verified (met) or "
	    "failed.");
	addf(b, "regwarden_signature_verifications_total{outcome="
	    "\"verified\"} %llu\nregwarden_signature_verifications_total{"
	    "outcome=\"failed\"} %llu\n", (unsigned long long)get(&o->sigs[1]),
	    (unsigned long long)get(&o->sigs[0]));
	family(b, "regwarden_attestation_verifications_total", "counter",
	    "Attestation requirements evaluated by outcome: verified (met) or "
	    "failed.");
	addf(b, "regwarden_attestation_verifications_total{outcome="
	    "\"verified\"} %llu\nregwarden_attestation_verifications_total{"
	    "outcome=\"failed\"} %llu\n", (unsigned long long)get(&o->atts[1]),
	    (unsigned long long)get(&o->atts[0]));
	family(b, "regwarden_audit_queue_depth", "gauge",
	    "Audit rows queued and not yet written.");
	addf(b, "regwarden_audit_queue_depth %lld\n",
	    (long long)atomic_load(&o->auditq_depth));
	family(b, "regwarden_audit_rows_dropped_total", "counter",
	    "Decisions whose audit row could not be queued (served as 503, or "
	    "a refusal logged without a row).");
	addf(b, "regwarden_audit_rows_dropped_total %llu\n",
	    (unsigned long long)get(&o->audit_drops));
}

int
mops_render(struct mops *o, struct rw_buf *out)
{
	struct ob ob = { out, RW_OK }, *b = &ob;
	char name[64];
	size_t r;

	render_upstreams(b, o);
	family(b, "regwarden_http_request_duration_seconds", "histogram",
	    "Client request time by route class, first byte in to last out.");
	for (r = 0; r < METRICS_NROUTES; r++) {
		snprintf(name, sizeof(name), "route=\"%s\"", routes[r]);
		hist_render(b, "regwarden_http_request_duration_seconds", name,
		    &o->route[r]);
	}
	render_state(b, o);
	render_process(b, o);
	return ob.rc;
}
