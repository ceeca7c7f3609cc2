/* test_dcache.c - decision cache: expiry, LRU bound, one flight per key. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "server/dcache.h"

struct fake {
	int	 parked;
	int	 unparked;
};

static void
fpark(void *arg)
{
	((struct fake *)arg)->parked++;
}

static void
funpark(void *arg)
{
	((struct fake *)arg)->unparked++;
}

static struct dverdict
verdict(int kind, const char *msg)
{
	struct dverdict v;

	memset(&v, 0, sizeof(v));
	v.kind = kind;
	v.line = 12;
	rw_strlcpy(v.rule, "apps", sizeof(v.rule));
	rw_strlcpy(v.file, "policy.json", sizeof(v.file));
	rw_strlcpy(v.message, msg, sizeof(v.message));
	return v;
}

static void
test_hit_and_expiry(void **state)
{
	struct dcache *dc = dcache_new(10);
	struct dverdict v = verdict(1, "regwarden: no"), out;
	struct fake f = { 0, 0 };
	struct dc_waiter w = { fpark, funpark, &f, NULL, NULL };
	uint64_t hits, misses;
	size_t n;

	(void)state;
	assert_int_equal(dcache_lookup(dc, "k", 1000, &out, &w), DC_LEAD);
	dcache_complete(dc, "k", &v, 2000);
	assert_int_equal(dcache_lookup(dc, "k", 1999, &out, &w), DC_HIT);
	assert_int_equal(out.kind, 1);
	assert_string_equal(out.message, "regwarden: no");
	assert_string_equal(out.rule, "apps");
	assert_int_equal(out.line, 12);
	/* expiry is exclusive: at 2000 the entry is gone */
	assert_int_equal(dcache_lookup(dc, "k", 2000, &out, &w), DC_LEAD);
	dcache_abandon(dc, "k");
	dcache_stats(dc, &hits, &misses, &n);
	assert_int_equal(hits, 1);
	assert_int_equal(misses, 2);
	assert_int_equal(n, 0);
	assert_int_equal(f.parked, 0);
	dcache_free(dc);
}

static void
test_one_flight(void **state)
{
	struct dcache *dc = dcache_new(10);
	struct dverdict v = verdict(0, "ok"), out;
	struct fake f1 = { 0, 0 }, f2 = { 0, 0 }, f3 = { 0, 0 };
	struct dc_waiter lead = { fpark, funpark, &f1, NULL, NULL };
	struct dc_waiter w2 = { fpark, funpark, &f2, NULL, NULL };
	struct dc_waiter w3 = { fpark, funpark, &f3, NULL, NULL };

	(void)state;
	assert_int_equal(dcache_lookup(dc, "k", 1, &out, &lead), DC_LEAD);
	assert_int_equal(dcache_lookup(dc, "k", 1, &out, &w2), DC_WAIT);
	assert_int_equal(dcache_lookup(dc, "k", 1, &out, &w3), DC_WAIT);
	assert_int_equal(f2.parked, 1);
	assert_int_equal(f3.parked, 1);
	/* another key is independent */
	assert_int_equal(dcache_lookup(dc, "other", 1, &out, &lead), DC_LEAD);
	dcache_forget(dc, &w3);		/* w3's client went away */
	dcache_complete(dc, "k", &v, 100);
	assert_int_equal(f2.unparked, 1);
	assert_int_equal(f3.unparked, 0);
	assert_int_equal(f1.parked + f1.unparked, 0);
	assert_int_equal(dcache_lookup(dc, "k", 2, &out, &w2), DC_HIT);
	dcache_abandon(dc, "other");
	dcache_free(dc);
}

static void
test_abandon_and_errors(void **state)
{
	struct dcache *dc = dcache_new(10);
	struct dverdict err = verdict(DV_ERROR, "could not decide"), out;
	struct fake f = { 0, 0 };
	struct dc_waiter w = { fpark, funpark, &f, NULL, NULL };

	(void)state;
	assert_int_equal(dcache_lookup(dc, "k", 1, &out, &w), DC_LEAD);
	assert_int_equal(dcache_lookup(dc, "k", 1, &out, &w), DC_WAIT);
	dcache_abandon(dc, "k");
	assert_int_equal(f.unparked, 1);
	assert_int_equal(dcache_lookup(dc, "k", 1, &out, &w), DC_LEAD);
	dcache_complete(dc, "k", &err, 100);	/* errors are never cached */
	assert_int_equal(dcache_lookup(dc, "k", 2, &out, &w), DC_LEAD);
	dcache_abandon(dc, "k");
	dcache_free(dc);
}

static void
test_lru_bound_and_clear(void **state)
{
	struct dcache *dc = dcache_new(2);
	struct dverdict v = verdict(0, "ok"), out;
	struct fake f = { 0, 0 };
	struct dc_waiter w = { fpark, funpark, &f, NULL, NULL };
	uint64_t h, m;
	size_t n;

	(void)state;
	dcache_complete(dc, "a", &v, 100);
	dcache_complete(dc, "b", &v, 100);
	dcache_complete(dc, "c", &v, 100);	/* evicts "a", the oldest */
	dcache_stats(dc, &h, &m, &n);
	assert_int_equal(n, 2);
	assert_int_equal(dcache_lookup(dc, "a", 1, &out, &w), DC_LEAD);
	dcache_abandon(dc, "a");
	assert_int_equal(dcache_lookup(dc, "b", 1, &out, &w), DC_HIT);
	assert_int_equal(dcache_lookup(dc, "c", 1, &out, &w), DC_HIT);
	dcache_clear(dc);
	assert_int_equal(dcache_lookup(dc, "c", 1, &out, &w), DC_LEAD);
	dcache_abandon(dc, "c");
	dcache_free(dc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_and_expiry),
		cmocka_unit_test(test_one_flight),
		cmocka_unit_test(test_abandon_and_errors),
		cmocka_unit_test(test_lru_bound_and_clear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
