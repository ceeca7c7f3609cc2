/* time.c - RFC 3339 times: exception expiries in, dates in messages out. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define SHAPE	"expected an RFC 3339 date and time with a time zone, " \
		"e.g. \"2026-12-31T00:00:00Z\""

/* N decimal digits at S into *OUT; 0, or -1 when one is not a digit. */
static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

/*
 * Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar, by
 * counting whole 400-year eras (146097 days each) from March 1st, so that
 * the leap day ends a year.  timegm(3) would do, but it is not in C11 and
 * depends on the process's time zone tables.
 */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t yy = m <= 2 ? y - 1 : y, era, yoe, doy, doe;

	era = (yy >= 0 ? yy : yy - 399) / 400;
	yoe = yy - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "Z", "z", "+hh:mm" or "-hh:mm" at S into *OFF seconds east of UTC. */
static int
zone(const char *s, int64_t *off)
{
	int h, m;

	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*off = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || digits(s + 1, 2, &h) != 0 ||
	    s[3] != ':' || digits(s + 4, 2, &m) != 0 || s[6] != '\0' ||
	    h > 23 || m > 59)
		return -1;
	*off = (int64_t)(h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
	return 0;
}

int
rw_parse_time(const char *s, int64_t *out, struct rw_err *err)
{
	int y, mo, d, h, mi, se;
	const char *p;
	int64_t off;

	if (strlen(s) < 20 || digits(s, 4, &y) != 0 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) != 0 || s[7] != '-' ||
	    digits(s + 8, 2, &d) != 0 || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &h) != 0 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) != 0 || s[16] != ':' ||
	    digits(s + 17, 2, &se) != 0)
		return rw_err_set(err, RW_EINVAL, SHAPE);
	p = s + 19;
	if (*p == '.') {
		/* Fractions of a second do not change when it expires. */
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
		if (p == s + 20)
			return rw_err_set(err, RW_EINVAL, SHAPE);
	}
	if (zone(p, &off) != 0)
		return rw_err_set(err, RW_EINVAL, SHAPE);
	if (mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo))
		return rw_err_set(err, RW_EINVAL, "no such date");
	/* RFC 3339 allows a leap second, 60; it ends in the next minute. */
	if (h > 23 || mi > 59 || se > 60)
		return rw_err_set(err, RW_EINVAL, "no such time");
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	    off;
	return RW_OK;
}

void
rw_time_str(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}
