/* facts.c - reading image configs: root users and secret-looking env. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <string.h>

int
policy_user_is_root(const char *user)
{
	size_t n = strcspn(user, ":"), i;

	/* Only the user part decides; "0:1000" is root with another group. */
	if (n == 0)
		return 1;	/* "" and ":gid": the runtime defaults to root */
	if (n == 4 && strncmp(user, "root", 4) == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (user[i] != '0')
			return 0;
	return 1;	/* "0", "00": UID 0 however it is written */
}

/* ---------------------------------------------------------------- names */

static int
upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Whether NAME (LEN bytes) contains WORD, ignoring case. */
static int
has(const char *name, size_t len, const char *word)
{
	size_t wl = strlen(word), i, j;

	for (i = 0; i + wl <= len; i++) {
		for (j = 0; j < wl && upper((unsigned char)name[i + j]) ==
		    word[j]; j++)
			;
		if (j == wl)
			return 1;
	}
	return 0;
}

static int
ends(const char *name, size_t len, const char *word)
{
	size_t wl = strlen(word);

	return len >= wl && has(name + len - wl, wl, word);
}

/*
 * Name rules (POLICY.md lists them): PASSWORD, PASSWD, PASSPHRASE and
 * SECRET anywhere; TOKEN and KEY as the last word.  *_FILE, *_PATH and
 * *_DIR only point at a secret (the Docker secrets convention), and key
 * names mentioning GPG, PGP or PUBLIC hold public material: official images
 * set GPG_KEY to a fingerprint.  An empty value holds nothing.
 */
static int
secret_name(const char *name, size_t len)
{
	if (ends(name, len, "_FILE") || ends(name, len, "_PATH") ||
	    ends(name, len, "_DIR"))
		return 0;
	if (has(name, len, "PASSWORD") || has(name, len, "PASSWD") ||
	    has(name, len, "PASSPHRASE") || has(name, len, "SECRET"))
		return 1;
	if (ends(name, len, "_TOKEN") || (len == 5 && has(name, len, "TOKEN")))
		return 1;
	if (has(name, len, "GPG") || has(name, len, "PGP") ||
	    has(name, len, "PUBLIC") || has(name, len, "_PUB_"))
		return 0;
	return ends(name, len, "_KEY") || has(name, len, "PRIVATE_KEY") ||
	    (len == 3 && has(name, len, "KEY"));
}

/* --------------------------------------------------------------- values */

enum alpha {
	A_ALNUM, A_ALNUM_US, A_ALNUM_US_DASH, A_ALNUM_DASH, A_UPPER_DIGIT
};

struct token {
	const char	*prefix;
	enum alpha	 alpha;
	size_t		 min;	/* characters of ALPHA after the prefix */
	const char	*what;
};

/* Published formats; the minimum lengths keep documentation text out. */
static const struct token tokens[] = {
	{ "ghp_", A_ALNUM, 36, "a GitHub token" },
	{ "gho_", A_ALNUM, 36, "a GitHub token" },
	{ "ghu_", A_ALNUM, 36, "a GitHub token" },
	{ "ghs_", A_ALNUM, 36, "a GitHub token" },
	{ "ghr_", A_ALNUM, 36, "a GitHub token" },
	{ "github_pat_", A_ALNUM_US, 40, "a GitHub token" },
	{ "glpat-", A_ALNUM_US_DASH, 20, "a GitLab token" },
	{ "xoxb-", A_ALNUM_DASH, 10, "a Slack token" },
	{ "xoxp-", A_ALNUM_DASH, 10, "a Slack token" },
	{ "xoxa-", A_ALNUM_DASH, 10, "a Slack token" },
	{ "xoxs-", A_ALNUM_DASH, 10, "a Slack token" },
	{ "AKIA", A_UPPER_DIGIT, 16, "an AWS access key" },
	{ "ASIA", A_UPPER_DIGIT, 16, "an AWS access key" },
	{ "sk_live_", A_ALNUM, 24, "a Stripe secret key" },
	{ "rk_live_", A_ALNUM, 24, "a Stripe secret key" },
	{ "AIza", A_ALNUM_US_DASH, 35, "a Google API key" },
	{ "npm_", A_ALNUM, 36, "an npm token" },
};

static int
in_alpha(int c, enum alpha a)
{
	int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');

	switch (a) {
	case A_ALNUM:
		return alnum;
	case A_ALNUM_US:
		return alnum || c == '_';
	case A_ALNUM_US_DASH:
		return alnum || c == '_' || c == '-';
	case A_ALNUM_DASH:
		return alnum || c == '-';
	case A_UPPER_DIGIT:
		return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
	}
	return 0;
}

static int
is_word(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* The token format found in S (LEN bytes), or NULL. */
static const char *
token_in(const char *s, size_t len)
{
	const struct token *t;
	size_t i, j, pl;

	for (i = 0; i < len; i++) {
		/* A token starts a word: "XAKIA..." is base64, not a key. */
		if (i > 0 && is_word((unsigned char)s[i - 1]))
			continue;
		for (t = tokens; t < tokens + sizeof(tokens) / sizeof(*t);
		    t++) {
			pl = strlen(t->prefix);
			if (len - i < pl + t->min ||
			    memcmp(s + i, t->prefix, pl) != 0)
				continue;
			for (j = 0; j < t->min && in_alpha(
			    (unsigned char)s[i + pl + j], t->alpha); j++)
				;
			if (j == t->min)
				return t->what;
		}
	}
	return NULL;
}

/* "-----BEGIN ... PRIVATE KEY-----" (PEM, OpenSSH, PGP key blocks). */
static int
private_key_in(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *hdr, *close;

	while ((p = memmem(p, (size_t)(end - p), "-----BEGIN ", 11)) != NULL) {
		hdr = p + 11;
		close = memmem(hdr, (size_t)(end - hdr), "-----", 5);
		if (close == NULL)
			return 0;
		if (memmem(hdr, (size_t)(close - hdr), "PRIVATE KEY", 11) !=
		    NULL)
			return 1;
		p = hdr;
	}
	return 0;
}

/* "scheme://user:password@host": a URL that carries its password. */
static int
url_password_in(const char *s, size_t len)
{
	const char *p = s, *end = s + len, *u, *colon;

	while ((p = memmem(p, (size_t)(end - p), "://", 3)) != NULL) {
		u = p + 3;
		colon = NULL;
		for (p = u; p < end && strchr("/?#@ \t\r\n", *p) == NULL; p++)
			if (*p == ':' && colon == NULL)
				colon = p;
		if (p < end && *p == '@' && colon != NULL && colon > u &&
		    colon + 1 < p)
			return 1;
	}
	return 0;
}

static const char *
value_secret(const char *s, size_t len)
{
	if (private_key_in(s, len))
		return "a private key";
	if (url_password_in(s, len))
		return "a URL with a password";
	return token_in(s, len);
}

const char *
policy_env_secret(const char *entry, int *hide_name)
{
	const char *eq = strchr(entry, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - entry) : strlen(entry);
	const char *value = eq != NULL ? eq + 1 : "";
	const char *what;

	*hide_name = 0;
	/* A name that is itself a credential must not be printed either. */
	if (value_secret(entry, nlen) != NULL) {
		*hide_name = 1;
		return value_secret(entry, nlen);
	}
	what = value_secret(value, strlen(value));
	if (what != NULL)
		return what;
	if (value[0] != '\0' && secret_name(entry, nlen))
		return "";
	return NULL;
}
