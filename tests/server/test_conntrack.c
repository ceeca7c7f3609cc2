/* test_conntrack.c - header deadlines: a socket past its deadline is shut down once, others are left alone. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "server/conntrack.h"

/* 1 when the peer of PAIR[0] sees end of stream, 0 when it would block. */
static int
peer_sees_eof(int pair[2])
{
	char c;
	ssize_t n = recv(pair[1], &c, 1, MSG_DONTWAIT);

	if (n == 0)
		return 1;
	assert_int_equal(n, -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	return 0;
}

static void
test_reap(void **state)
{
	struct conntrack *ct = conntrack_new();
	struct ct_conn *a, *b, *c;
	int pa[2], pb[2], pc[2];

	(void)state;
	assert_non_null(ct);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pa), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pb), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pc), 0);
	a = conntrack_open(ct, pa[0], 1000);
	b = conntrack_open(ct, pb[0], 3000);
	c = conntrack_open(ct, pc[0], 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_int_equal(conntrack_count(ct), 3);

	assert_int_equal(conntrack_reap(ct, 999), 0);
	assert_int_equal(peer_sees_eof(pa), 0);
	assert_int_equal(conntrack_reap(ct, 1000), 1);
	assert_int_equal(peer_sees_eof(pa), 1);
	assert_int_equal(peer_sees_eof(pb), 0);
	assert_int_equal(conntrack_reap(ct, 1000), 0);	/* once */

	/* The header came in: no deadline; a later request line caps one. */
	conntrack_set(ct, b, 0);
	assert_int_equal(conntrack_reap(ct, 10000), 0);
	conntrack_cap(ct, b, 12000);
	conntrack_cap(ct, b, 20000);	/* later: ignored */
	assert_int_equal(conntrack_reap(ct, 11999), 0);
	assert_int_equal(conntrack_reap(ct, 12000), 1);
	assert_int_equal(peer_sees_eof(pb), 1);
	assert_int_equal(peer_sees_eof(pc), 0);	/* never had a deadline */

	/* Closed entries are never touched again. */
	conntrack_set(ct, c, 5);
	conntrack_close(ct, c);
	assert_int_equal(conntrack_reap(ct, 100000), 0);
	assert_int_equal(peer_sees_eof(pc), 0);
	conntrack_close(ct, a);
	conntrack_close(ct, b);
	assert_int_equal(conntrack_count(ct), 0);
	conntrack_free(ct);
	close(pa[0]);
	close(pa[1]);
	close(pb[0]);
	close(pb[1]);
	close(pc[0]);
	close(pc[1]);
}

/* Out of memory at open leaves a NULL entry every call accepts. */
static void
test_null(void **state)
{
	struct conntrack *ct = conntrack_new();

	(void)state;
	assert_null(conntrack_open(ct, -1, 5));
	conntrack_set(ct, NULL, 1);
	conntrack_cap(ct, NULL, 1);
	conntrack_close(ct, NULL);
	assert_int_equal(conntrack_reap(NULL, 1), 0);
	assert_int_equal(conntrack_count(ct), 0);
	conntrack_free(ct);
	conntrack_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reap),
		cmocka_unit_test(test_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
