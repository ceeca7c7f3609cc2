/* metrics.c - lock-free counters and their Prometheus text rendering. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/metrics.h"

#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/metrics_int.h"

/* Method classes; the last one takes every method not listed. */
static const char *const methods[] = { "GET", "HEAD", "PUT", "POST", "PATCH",
	"DELETE", "OTHER" };
#define NMETHODS	(sizeof(methods) / sizeof(methods[0]))

static const char *const classes[] = { "2xx", "3xx", "4xx", "5xx" };
#define NCLASSES	(sizeof(classes) / sizeof(classes[0]))

/* Indexed by enum metrics_verdict. */
static const char *const verdicts[METRICS_NVERDICTS] = { "allow", "deny",
	"warn", "error" };

/* Indexed by enum metrics_cache. */
static const char *const caches[METRICS_NCACHES] = { "manifest", "decision",
	"tag" };

/*
 * Upstream latency buckets (Prometheus' defaults), upper bounds in
 * microseconds so that an observation never touches floating point, and the
 * same bounds as they appear in the "le" label.
 */
static const uint64_t bucket_usec[] = { 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000 };
static const char *const bucket_le[] = { "0.005", "0.01", "0.025", "0.05",
	"0.1", "0.25", "0.5", "1", "2.5", "5", "10" };
#define NBUCKETS	(sizeof(bucket_usec) / sizeof(bucket_usec[0]))

/*
 * Twice the rule limit, so that open addressing always finds a free slot
 * after a short probe.
 */
#define RULE_SLOTS	(2 * METRICS_MAX_RULES)

struct rule_slot {
	_Atomic(char *)		 name;	/* NULL = free; set once, never moved */
	atomic_uint_fast64_t	 n[METRICS_NVERDICTS];
};

/*
 * A short string that one thread may replace while another renders it: a
 * sequence lock over atomic words.  Writers are rare (a policy reload) and
 * take turns on the odd sequence number; readers retry while it moves.
 */
#define ATEXT_WORDS	(RW_DIGEST_MAX / 8 + 1)

struct atext {
	atomic_uint		 seq;
	atomic_uint_fast64_t	 w[ATEXT_WORDS];
};

struct metrics {
	atomic_uint_fast64_t	 req[NMETHODS][NCLASSES];
	atomic_uint_fast64_t	 bytes;
	atomic_int_fast64_t	 inflight;
	atomic_uint_fast64_t	 verdict[METRICS_NVERDICTS];
	struct rule_slot	 rules[RULE_SLOTS];
	atomic_uint		 nrules;	/* slots claimed, <= METRICS_MAX_RULES */
	struct rule_slot	 other;		/* name unused */
	atomic_uint_fast64_t	 cache[METRICS_NCACHES][2];	/* [miss, hit] */
	atomic_uint_fast64_t	 lat[NBUCKETS + 1];	/* last: above 10 s */
	atomic_uint_fast64_t	 lat_usec;		/* sum */
	atomic_uint_fast64_t	 policy_errors;
	atomic_uint_fast64_t	 blob_lookups[METRICS_NBLOB_RESULTS];
	atomic_uint_fast64_t	 blob_bytes[2];	/* [upstream, cache] */
	atomic_uint_fast64_t	 blob_store[3];	/* bytes, blobs, evictions */
	atomic_int		 blob_on;
	atomic_uint_fast64_t	 upstream_down;
	struct atext		 policy;
	struct atext		 version;
	struct mops		*ops;
};

/* ---------------------------------------------------------- strings */

static void
atext_set(struct atext *t, const char *s)
{
	char buf[ATEXT_WORDS * 8];
	uint_fast64_t word;
	unsigned seq;
	size_t i;

	memset(buf, 0, sizeof(buf));
	if (s != NULL)
		rw_strlcpy(buf, s, sizeof(buf));
	seq = atomic_load(&t->seq);
	for (;;) {
		if ((seq & 1) != 0) {
			seq = atomic_load(&t->seq);
			continue;
		}
		if (atomic_compare_exchange_weak(&t->seq, &seq, seq + 1))
			break;
	}
	for (i = 0; i < ATEXT_WORDS; i++) {
		memcpy(&word, buf + 8 * i, 8);
		atomic_store_explicit(&t->w[i], word, memory_order_relaxed);
	}
	atomic_store_explicit(&t->seq, seq + 2, memory_order_release);
}

/* Copies T into OUT (ATEXT_WORDS * 8 bytes, NUL-terminated). */
static void
atext_get(struct atext *t, char *out)
{
	uint_fast64_t word;
	unsigned before, after;
	size_t i;

	for (;;) {
		before = atomic_load_explicit(&t->seq, memory_order_acquire);
		for (i = 0; i < ATEXT_WORDS; i++) {
			word = atomic_load_explicit(&t->w[i],
			    memory_order_relaxed);
			memcpy(out + 8 * i, &word, 8);
		}
		atomic_thread_fence(memory_order_acquire);
		after = atomic_load_explicit(&t->seq, memory_order_relaxed);
		if (before == after && (before & 1) == 0)
			break;
		sched_yield();	/* a writer is mid-copy; it is short */
	}
	out[ATEXT_WORDS * 8 - 1] = '\0';
}

/* ---------------------------------------------------------- counting */

static void
inc(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t
get(atomic_uint_fast64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

struct metrics *
metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->ops = mops_new();
	if (m->ops == NULL) {
		free(m);
		return NULL;
	}
	atext_set(&m->version, "unknown");
	return m;
}

void
metrics_free(struct metrics *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < RULE_SLOTS; i++)
		free(atomic_load(&m->rules[i].name));
	mops_free(m->ops);
	free(m);
}

void
metrics_request(struct metrics *m, const char *method, int status)
{
	size_t mi, ci;

	for (mi = 0; mi < NMETHODS - 1; mi++)
		if (method != NULL && strcmp(method, methods[mi]) == 0)
			break;
	ci = status >= 200 && status <= 599 ? (size_t)(status / 100 - 2) :
	    NCLASSES - 1;
	inc(&m->req[mi][ci], 1);
}

void
metrics_bytes_sent(struct metrics *m, uint64_t bytes)
{
	inc(&m->bytes, bytes);
}

void
metrics_set_inflight(struct metrics *m, int64_t n)
{
	atomic_store_explicit(&m->inflight, n, memory_order_relaxed);
}

static size_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * Claims a slot for NAME, starting the probe at FROM, or returns &m->other
 * when the table is full.  Two threads may race to add the same name; the
 * loser finds the winner's copy on its probe and frees its own.
 */
static struct rule_slot *
rule_add(struct metrics *m, const char *name, size_t from)
{
	char *dup, *seen;
	size_t i, k;

	if (atomic_fetch_add(&m->nrules, 1) >= METRICS_MAX_RULES)
		goto full;
	dup = strdup(name);
	if (dup == NULL)
		goto full;
	for (i = 0; i < RULE_SLOTS; i++) {
		k = (from + i) % RULE_SLOTS;
		seen = NULL;
		if (atomic_compare_exchange_strong(&m->rules[k].name, &seen,
		    dup))
			return &m->rules[k];
		if (strcmp(seen, name) == 0) {
			free(dup);
			atomic_fetch_sub(&m->nrules, 1);
			return &m->rules[k];
		}
	}
	free(dup);	/* NOTREACHED: at most half the slots are taken */
full:
	atomic_fetch_sub(&m->nrules, 1);
	return &m->other;
}

static struct rule_slot *
rule_slot(struct metrics *m, const char *name)
{
	size_t h = fnv1a(name), i, k;
	char *seen;

	if (strcmp(name, "other") == 0)
		return &m->other;
	for (i = 0; i < RULE_SLOTS; i++) {
		k = (h + i) % RULE_SLOTS;
		seen = atomic_load(&m->rules[k].name);
		if (seen == NULL)
			return rule_add(m, name, k);
		if (strcmp(seen, name) == 0)
			return &m->rules[k];
	}
	return &m->other;
}

void
metrics_decision(struct metrics *m, int v, const char *rule)
{
	if (v < 0 || v >= METRICS_NVERDICTS)
		v = METRICS_ERROR;
	inc(&m->verdict[v], 1);
	if (rule != NULL)
		inc(&rule_slot(m, rule)->n[v], 1);
}

void
metrics_cache(struct metrics *m, int c, int hit)
{
	if (c >= 0 && c < METRICS_NCACHES)
		inc(&m->cache[c][hit != 0], 1);
}

void
metrics_blob_lookup(struct metrics *m, int result)
{
	if (result >= 0 && result < METRICS_NBLOB_RESULTS)
		inc(&m->blob_lookups[result], 1);
}

void
metrics_blob_bytes(struct metrics *m, int from_cache, uint64_t n)
{
	inc(&m->blob_bytes[from_cache != 0], n);
}

void
metrics_upstream_down(struct metrics *m)
{
	inc(&m->upstream_down, 1);
}

void
metrics_set_blob_store(struct metrics *m, uint64_t bytes, uint64_t blobs,
    uint64_t evictions)
{
	atomic_store(&m->blob_store[0], bytes);
	atomic_store(&m->blob_store[1], blobs);
	atomic_store(&m->blob_store[2], evictions);
	atomic_store(&m->blob_on, 1);
}

void
metrics_upstream_latency(struct metrics *m, uint64_t usec)
{
	size_t i;

	for (i = 0; i < NBUCKETS && usec > bucket_usec[i]; i++)
		;
	inc(&m->lat[i], 1);
	inc(&m->lat_usec, usec);
}

void
metrics_set_policy(struct metrics *m, const char *revision)
{
	atext_set(&m->policy, revision);
}

void
metrics_policy_error(struct metrics *m)
{
	inc(&m->policy_errors, 1);
}

void
metrics_set_version(struct metrics *m, const char *version)
{
	atext_set(&m->version, version);
}

/* ---------------------------------------------------------- rendering */

/* The rendering state: the first failed append wins and stops the rest. */
struct out {
	struct rw_buf	*b;
	int		 rc;
};

static void __attribute__((format(printf, 2, 3)))
emit(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char line[512];
	int n;

	if (o->rc != RW_OK)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		o->rc = RW_ETOOBIG;	/* every line we make is far shorter */
	else
		o->rc = rw_buf_add(o->b, line, (size_t)n);
}

static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	emit(o, "# HELP regwarden_%s %s\n# TYPE regwarden_%s %s\n", name, help,
	    name, type);
}

/*
 * A label value as the text format wants it: backslash, double quote and
 * line feed escaped.  Rule names are at most a few dozen bytes (policy.h
 * keeps 63), so OUT's fixed size only ever cuts a pathological one.
 */
static const char *
esc(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 3 < size; s++) {
		if (*s == '\\' || *s == '"') {
			out[n++] = '\\';
			out[n++] = *s;
		} else if (*s == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else
			out[n++] = *s;
	}
	out[n] = '\0';
	return out;
}

static void
render_requests(struct out *o, struct metrics *m)
{
	size_t i, j;

	family(o, "http_requests_total", "counter",
	    "Client requests answered, by method and status class.");
	for (i = 0; i < NMETHODS; i++)
		for (j = 0; j < NCLASSES; j++)
			emit(o, "regwarden_http_requests_total{method=\"%s\","
			    "code=\"%s\"} %llu\n", methods[i], classes[j],
			    (unsigned long long)get(&m->req[i][j]));
	family(o, "http_response_bytes_total", "counter",
	    "Response body bytes sent to clients.");
	emit(o, "regwarden_http_response_bytes_total %llu\n",
	    (unsigned long long)get(&m->bytes));
	family(o, "http_requests_in_flight", "gauge",
	    "Client requests being served now.");
	emit(o, "regwarden_http_requests_in_flight %lld\n",
	    (long long)atomic_load(&m->inflight));
}

/* One rule's series; the overflow entry is named "other". */
struct rule_row {
	const char		*name;
	struct rule_slot	*slot;
};

static int
row_cmp(const void *a, const void *b)
{
	const struct rule_row *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void
render_rules(struct out *o, struct metrics *m)
{
	struct rule_row rows[METRICS_MAX_RULES + 1];
	char label[256];
	size_t n = 0, i, v;
	uint64_t other = 0;
	char *name;

	for (i = 0; i < RULE_SLOTS && n < METRICS_MAX_RULES; i++) {
		name = atomic_load(&m->rules[i].name);
		if (name != NULL) {
			rows[n].name = name;
			rows[n++].slot = &m->rules[i];
		}
	}
	for (v = 0; v < METRICS_NVERDICTS; v++)
		other += get(&m->other.n[v]);
	if (other > 0) {
		rows[n].name = "other";
		rows[n++].slot = &m->other;
	}
	qsort(rows, n, sizeof(rows[0]), row_cmp);
	family(o, "rule_decisions_total", "counter",
	    "Admission decisions by deciding rule and verdict; rules past the "
	    "first 256 seen count as \"other\".");
	for (i = 0; i < n; i++)
		for (v = 0; v < METRICS_NVERDICTS; v++)
			emit(o, "regwarden_rule_decisions_total{rule=\"%s\","
			    "verdict=\"%s\"} %llu\n", esc(label, sizeof(label),
			    rows[i].name), verdicts[v],
			    (unsigned long long)get(&rows[i].slot->n[v]));
}

static void
render_decisions(struct out *o, struct metrics *m)
{
	size_t v, c;

	family(o, "decisions_total", "counter",
	    "Admission decisions by verdict; error means regwarden could not "
	    "decide and refused.");
	for (v = 0; v < METRICS_NVERDICTS; v++)
		emit(o, "regwarden_decisions_total{verdict=\"%s\"} %llu\n",
		    verdicts[v], (unsigned long long)get(&m->verdict[v]));
	render_rules(o, m);
	family(o, "cache_lookups_total", "counter",
	    "Lookups in the in-memory manifest and decision caches; tag: "
	    "pulls by tag the upstream answered 304 (hit) or with the bytes.");
	for (c = 0; c < METRICS_NCACHES; c++) {
		emit(o, "regwarden_cache_lookups_total{cache=\"%s\","
		    "result=\"hit\"} %llu\n", caches[c],
		    (unsigned long long)get(&m->cache[c][1]));
		emit(o, "regwarden_cache_lookups_total{cache=\"%s\","
		    "result=\"miss\"} %llu\n", caches[c],
		    (unsigned long long)get(&m->cache[c][0]));
	}
}

/*
 * Buckets are stored one count each and summed here, and _count is the
 * last sum, so the +Inf bucket always equals _count even mid-update.
 */
static void
render_latency(struct out *o, struct metrics *m)
{
	uint64_t cum = 0, sum = get(&m->lat_usec);
	size_t i;

	family(o, "upstream_request_duration_seconds", "histogram",
	    "Upstream request time, from sending to the last byte received.");
	for (i = 0; i <= NBUCKETS; i++) {
		cum += get(&m->lat[i]);
		emit(o, "regwarden_upstream_request_duration_seconds_bucket"
		    "{le=\"%s\"} %llu\n", i < NBUCKETS ? bucket_le[i] : "+Inf",
		    (unsigned long long)cum);
	}
	emit(o, "regwarden_upstream_request_duration_seconds_sum %llu.%06llu\n",
	    (unsigned long long)(sum / 1000000),
	    (unsigned long long)(sum % 1000000));
	emit(o, "regwarden_upstream_request_duration_seconds_count %llu\n",
	    (unsigned long long)cum);
}

static void
render_policy(struct out *o, struct metrics *m)
{
	char rev[ATEXT_WORDS * 8], label[ATEXT_WORDS * 16];

	atext_get(&m->policy, rev);
	family(o, "policy_info", "gauge",
	    "Revision of the policy in force; absent when none is loaded.");
	if (rev[0] != '\0')
		emit(o, "regwarden_policy_info{revision=\"%s\"} 1\n",
		    esc(label, sizeof(label), rev));
	family(o, "policy_load_errors_total", "counter",
	    "Policy loads and reloads that failed validation.");
	emit(o, "regwarden_policy_load_errors_total %llu\n",
	    (unsigned long long)get(&m->policy_errors));
}

static void
render_blob_cache(struct out *o, struct metrics *m)
{
	static const char *const res[METRICS_NBLOB_RESULTS] = { "miss", "hit",
	    "follow" };
	size_t i;

	if (!atomic_load(&m->blob_on))
		return;
	family(o, "blob_cache_lookups_total", "counter",
	    "Blob GETs looked up in the cache on disk; follow joined a fetch "
	    "under way.");
	for (i = 0; i < METRICS_NBLOB_RESULTS; i++)
		emit(o, "regwarden_blob_cache_lookups_total{result=\"%s\"} "
		    "%llu\n", res[i],
		    (unsigned long long)get(&m->blob_lookups[i]));
	family(o, "blob_bytes_total", "counter",
	    "Blob bytes sent to clients, by where they came from.");
	emit(o, "regwarden_blob_bytes_total{source=\"cache\"} %llu\n",
	    (unsigned long long)get(&m->blob_bytes[1]));
	emit(o, "regwarden_blob_bytes_total{source=\"upstream\"} %llu\n",
	    (unsigned long long)get(&m->blob_bytes[0]));
	family(o, "blob_cache_evictions_total", "counter",
	    "Blobs the cache evicted to stay within its bounds.");
	emit(o, "regwarden_blob_cache_evictions_total %llu\n",
	    (unsigned long long)get(&m->blob_store[2]));
	family(o, "blob_cache_size_bytes", "gauge",
	    "Bytes of complete blobs in the cache.");
	emit(o, "regwarden_blob_cache_size_bytes %llu\n",
	    (unsigned long long)get(&m->blob_store[0]));
	family(o, "blob_cache_blobs", "gauge", "Complete blobs in the cache.");
	emit(o, "regwarden_blob_cache_blobs %llu\n",
	    (unsigned long long)get(&m->blob_store[1]));
	family(o, "upstream_unreachable_total", "counter",
	    "Requests the upstream could not be reached for; the cache "
	    "answers what it holds.");
	emit(o, "regwarden_upstream_unreachable_total %llu\n",
	    (unsigned long long)get(&m->upstream_down));
}

int
metrics_render(struct metrics *m, struct rw_buf *out)
{
	char ver[ATEXT_WORDS * 8], label[ATEXT_WORDS * 16];
	struct out o = { out, RW_OK };

	atext_get(&m->version, ver);
	family(&o, "build_info", "gauge",
	    "regwarden's version; the value is always 1.");
	emit(&o, "regwarden_build_info{version=\"%s\"} 1\n",
	    esc(label, sizeof(label), ver));
	render_requests(&o, m);
	render_decisions(&o, m);
	render_latency(&o, m);
	render_policy(&o, m);
	render_blob_cache(&o, m);
	if (o.rc == RW_OK)
		o.rc = mops_render(m->ops, out);
	return o.rc;
}

struct mops *
metrics_mops(struct metrics *m)
{
	return m->ops;
}

const char *
metrics_label(char *out, size_t size, const char *s)
{
	return esc(out, size, s);
}
