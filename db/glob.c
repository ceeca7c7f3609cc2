/* glob.c - the policy glob ("*" one segment, "**" any) for audit queries. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

enum tok { T_CHAR, T_STAR, T_ANY, T_ANYDIR };

/* Read the token at PAT[*I] and advance *I past it. */
static enum tok
next_token(const char *pat, size_t *i, char *c)
{
	size_t k = *i;

	*c = pat[k];
	if (pat[k] != '*') {
		*i = k + 1;
		return T_CHAR;
	}
	if (pat[k + 1] != '*') {
		*i = k + 1;
		return T_STAR;
	}
	/* A whole "**" segment followed by a slash may stand for no segment. */
	if ((k == 0 || pat[k - 1] == '/') && pat[k + 2] == '/') {
		*i = k + 3;
		return T_ANYDIR;
	}
	for (k += 2; pat[k] == '*'; k++)
		;
	*i = k;
	return T_ANY;
}

/*
 * One column of the match table: NXT[j] says whether the pattern up to and
 * including this token matches the first j bytes of S, given CUR for the
 * pattern before it.
 */
static void
advance(enum tok t, char c, const char *s, size_t n,
    const unsigned char *cur, unsigned char *nxt)
{
	int seen = 0;
	size_t j;

	for (j = 0; j <= n; j++) {
		switch (t) {
		case T_CHAR:
			nxt[j] = j > 0 && cur[j - 1] && s[j - 1] == c;
			break;
		case T_STAR:
			nxt[j] = cur[j] || (j > 0 && nxt[j - 1] && s[j - 1] != '/');
			break;
		case T_ANY:
			nxt[j] = cur[j] || (j > 0 && nxt[j - 1]);
			break;
		case T_ANYDIR:
			/* "" or anything that ends with a slash. */
			nxt[j] = cur[j] || (j > 0 && s[j - 1] == '/' && seen);
			seen |= cur[j];
			break;
		}
	}
}

int
db_glob_match(const char *pat, const char *text)
{
	/*
	 * A table rather than backtracking: patterns come from the command
	 * line and "*a*a*a*b" against a long name would backtrack
	 * exponentially.  This is O(pattern x text) whatever the input.
	 */
	size_t n = strlen(text), i = 0;
	unsigned char *mem, *cur, *nxt, *tmp;
	enum tok t;
	int ret;
	char c;

	mem = calloc(2, n + 1);
	if (mem == NULL)
		return RW_ENOMEM;
	cur = mem;
	nxt = mem + n + 1;
	cur[0] = 1;
	while (pat[i] != '\0') {
		t = next_token(pat, &i, &c);
		advance(t, c, text, n, cur, nxt);
		tmp = cur;
		cur = nxt;
		nxt = tmp;
	}
	ret = cur[n];
	free(mem);
	return ret;
}

static void
sql_glob(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *pat, *text;
	int rc;

	(void)argc;
	pat = (const char *)sqlite3_value_text(argv[0]);
	text = (const char *)sqlite3_value_text(argv[1]);
	if (pat == NULL || text == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	rc = db_glob_match(pat, text);
	if (rc < 0)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_int(ctx, rc);
}

int
db_glob_register(struct db *db, struct rw_err *err)
{
	int rc;

	rc = sqlite3_create_function_v2(db->h, "rw_glob", 2, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, sql_glob, NULL, NULL,
	    NULL);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, "sqlite3_create_function", err);
	return RW_OK;
}
