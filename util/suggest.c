/* suggest.c - "did you mean" for keys and names an admin mistyped. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive edit distance; the words are keys and enum names. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, diag, up, best;
	size_t row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			best = diag + (lower(a[i - 1]) != lower(b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/*
 * "(did you mean "x"?)" when one of NAMES is close to WORD, else
 * "(expected one of: a, b, c)".  Close means at most two edits, and no more
 * than half the candidate, so that "ab" does not suggest "tls".
 */
const char *
rw_suggest(char *buf, size_t size, const char *word, const char *const *names)
{
	size_t best = SIZE_MAX, d, n, i;
	const char *pick = NULL;

	for (i = 0; names[i] != NULL; i++) {
		d = distance(word, names[i]);
		if (d < best) {
			best = d;
			pick = names[i];
		}
	}
	if (pick != NULL && best <= 2 && best * 2 <= strlen(pick)) {
		snprintf(buf, size, "(did you mean \"%s\"?)", pick);
		return buf;
	}
	n = (size_t)snprintf(buf, size, "(expected one of:");
	for (i = 0; names[i] != NULL && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s %s",
		    i > 0 ? "," : "", names[i]);
	if (n < size)
		snprintf(buf + n, size - n, ")");
	return buf;
}

