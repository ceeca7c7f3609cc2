/* misc.c - clocks, randomness, byte budgets, bounded string and number helpers. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

uint64_t
rw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
rw_random_hex(char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	size_t i, n = (len + 1) / 2;

	if (n > sizeof(raw))
		n = sizeof(raw);
	if (RAND_bytes(raw, (int)n) != 1)
		memset(raw, 0, n);	/* only ids come from here, never keys */
	for (i = 0; i < len && i / 2 < n; i++)
		buf[i] = hex[(i & 1) ? (raw[i / 2] & 15) : (raw[i / 2] >> 4)];
	buf[i] = '\0';
}

size_t
rw_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int
rw_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return RW_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return RW_EINVAL;
	*out = v;
	return RW_OK;
}

void
rw_wipe(void *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
}

void
rw_freezero(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

int
rw_ossl_err(struct rw_err *err, int code, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	if (reason == NULL)
		return rw_err_set(err, code, "%s", what);
	return rw_err_set(err, code, "%s: %s", what, reason);
}

int
rw_name_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (i == 0 || (c != '.' && c != '_' && c != '-'))
			return 0;
	}
	return 1;
}

int
rw_budget_take(atomic_size_t *used, size_t n, size_t cap)
{
	size_t cur = atomic_load(used);

	do {
		if (n > cap || cur > cap - n)
			return 0;
	} while (!atomic_compare_exchange_weak(used, &cur, cur + n));
	return 1;
}

void
rw_budget_give(atomic_size_t *used, size_t n)
{
	atomic_fetch_sub(used, n);
}
