/* test_auth_limit.c - failed logins per client (server/auth_limit.c). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "server/auth.h"

#define T0	UINT64_C(1000000)	/* an arbitrary monotonic start */

/* MAX failures open the wait; it lasts to the end of the window. */
static void
test_window(void **state)
{
	struct auth_limiter *l = auth_limiter_new(3, 60);
	int i;

	(void)state;
	assert_non_null(l);
	assert_int_equal(auth_limiter_wait(l, "192.0.2.1", T0), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(auth_limiter_wait(l, "192.0.2.1", T0 + 1000u *
		    (uint64_t)i), 0);
		auth_limiter_failed(l, "192.0.2.1", T0 + 1000u * (uint64_t)i);
	}
	/* The window began at the first failure. */
	assert_int_equal(auth_limiter_wait(l, "192.0.2.1", T0 + 2000), 58);
	assert_int_equal(auth_limiter_wait(l, "192.0.2.1", T0 + 59001), 1);
	assert_int_equal(auth_limiter_wait(l, "192.0.2.1", T0 + 59999), 1);
	assert_int_equal(auth_limiter_wait(l, "192.0.2.1", T0 + 60000), 0);
	/* A new window counts from zero again. */
	auth_limiter_failed(l, "192.0.2.1", T0 + 60000);
	assert_int_equal(auth_limiter_wait(l, "192.0.2.1", T0 + 60001), 0);
	auth_limiter_free(l);
}

/* Clients are counted apart; looking claims nothing. */
static void
test_clients(void **state)
{
	struct auth_limiter *l = auth_limiter_new(2, 60);
	char ip[32];
	int i;

	(void)state;
	auth_limiter_failed(l, "198.51.100.7", T0);
	auth_limiter_failed(l, "198.51.100.7", T0);
	/* Many other clients only asking do not evict the count. */
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%d:%d", i % 256, i);
		assert_int_equal(auth_limiter_wait(l, ip, T0 + 10), 0);
	}
	assert_int_equal(auth_limiter_wait(l, "198.51.100.7", T0 + 10), 60);
	assert_int_equal(auth_limiter_wait(l, "198.51.100.8", T0 + 10), 0);
	assert_int_equal(auth_limiter_wait(l, "::1", T0 + 10), 0);
	auth_limiter_free(l);
}

/* 0 turns it off; a missing limiter lets everyone try. */
static void
test_off(void **state)
{
	struct auth_limiter *l = auth_limiter_new(0, 60);
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		auth_limiter_failed(l, "192.0.2.9", T0);
	assert_int_equal(auth_limiter_wait(l, "192.0.2.9", T0), 0);
	auth_limiter_free(l);
	auth_limiter_failed(NULL, "192.0.2.9", T0);
	assert_int_equal(auth_limiter_wait(NULL, "192.0.2.9", T0), 0);
	auth_limiter_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
