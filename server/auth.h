/*
 * auth.h - upstream token auth (challenges, token responses, a token cache)
 * and client basic auth against a bcrypt htpasswd file.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Upstream side: auth_parse_challenge() reads a WWW-Authenticate value,
 * auth_token_url() builds the token request, auth_parse_token_response()
 * reads the answer and struct auth_cache keeps tokens per (upstream, scope).
 * Client side: struct auth_htpasswd checks "Authorization: Basic" credentials.
 *
 * Threads: the parsers and builders are pure functions of their arguments
 * (no I/O, no globals, no allocation except struct auth_token).  An
 * auth_cache and an auth_htpasswd may be shared by every worker thread; each
 * guards its mutable state with its own mutex.  Nothing here blocks except
 * auth_htpasswd_check() on a cache miss (one bcrypt, tens of milliseconds)
 * and auth_htpasswd_load() (file I/O, startup or reload only).
 *
 * Never: logs, performs network I/O, or lets a token or password reach an
 * error message.  Tokens and passwords are wiped before their memory is
 * freed.
 */
#ifndef RW_AUTH_H
#define RW_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Longest accepted value of each challenge parameter, in bytes. */
#define AUTH_REALM_MAX		1024
#define AUTH_SERVICE_MAX	256
#define AUTH_SCOPE_MAX		1024
#define AUTH_ERROR_MAX		64

/* Longest accepted bearer token, and token response body, in bytes. */
#define AUTH_TOKEN_MAX		16384
#define AUTH_TOKEN_BODY_MAX	65536

/* Token lifetime the distribution token spec assumes when none is given. */
#define AUTH_TOKEN_MIN_TTL	60

/* A cached token is treated as expired this many seconds early. */
#define AUTH_CACHE_SKEW		10
/* Entries an auth_cache holds at most. */
#define AUTH_CACHE_MAX		4096

/* Longest user name and password auth_basic_decode() accepts. */
#define AUTH_USER_MAX		255
#define AUTH_PASS_MAX		1023

enum auth_scheme { AUTH_SCHEME_BEARER = 1, AUTH_SCHEME_BASIC = 2 };

/**
 * One parsed WWW-Authenticate challenge.  Absent parameters are "".  Each
 * array holds at most the AUTH_*_MAX bytes above plus the NUL.
 */
struct auth_challenge {
	int	 scheme;			/* enum auth_scheme */
	char	 realm[AUTH_REALM_MAX + 1];
	char	 service[AUTH_SERVICE_MAX + 1];
	char	 scope[AUTH_SCOPE_MAX + 1];
	char	 error[AUTH_ERROR_MAX + 1];	/* e.g. "insufficient_scope" */
};

/**
 * Parse the value of a WWW-Authenticate header (without the header name).
 *
 * Accepts the RFC 9110 challenge grammar: a scheme, Bearer or Basic in any
 * case, then comma-separated auth-params `name=value` where the value is a
 * token or a quoted string with backslash escapes; spaces and tabs around
 * `=` and commas and empty list elements are allowed.  Parameter names are
 * case-insensitive; realm, service, scope and error are kept, others are
 * checked for syntax and ignored.  Only the first challenge is read: when a
 * header lists several (`Bearer realm="a", Basic realm="b"`), parsing stops
 * at the second scheme.  Callers that receive several WWW-Authenticate
 * header lines pass them one at a time.
 *
 * Bearer needs an http:// or https:// realm; Basic's realm is optional
 * (regwarden needs nothing from it).  Whether an http realm is acceptable
 * (credentials in clear text) is the caller's decision.
 *
 * Returns RW_OK and fills *OUT; RW_EPARSE (malformed: unterminated quote,
 * control character, missing `=` or value, a kept parameter given twice,
 * missing or non-http(s) Bearer realm), RW_EUNSUPPORTED (another scheme) or RW_ETOOBIG (a kept parameter
 * longer than its AUTH_*_MAX), with ERR saying what and where, e.g.
 * `WWW-Authenticate: unterminated quoted string in "realm"`.  *OUT is
 * cleared on error.
 */
int	 auth_parse_challenge(const char *www_authenticate,
	    struct auth_challenge *out, struct rw_err *err);

/** A bearer token from a token service.  Init with {0}; see auth_token_cleanup. */
struct auth_token {
	char	*token;		/* NUL-terminated, printable ASCII; secret */
	size_t	 len;
	long	 expires_in;	/* seconds, at least AUTH_TOKEN_MIN_TTL */
	long	 expires_at;	/* unix seconds */
};

/**
 * Parse a token service response BODY of LEN bytes (JSON).
 *
 * The token is `access_token` when that is a non-empty string, else
 * `token` (the spec calls them equivalent; docker prefers access_token).
 * Either field, when present, must be a string.  The token must be
 * 1..AUTH_TOKEN_MAX bytes of visible ASCII, since it goes into an HTTP
 * header.  `expires_in`, an integer, defaults to 60 and is raised to 60 when
 * smaller, as docker's client does, because the spec says tokens never live
 * less.  `issued_at`, an RFC 3339 time, when present and earlier than
 * NOW_UNIX is the start of the lifetime; otherwise NOW_UNIX is, so a token
 * service whose clock runs ahead cannot stretch a token's life here.
 *
 * Returns RW_OK and fills *OUT (release with auth_token_cleanup); RW_EPARSE
 * (not JSON, not an object, no token, wrong type, bad issued_at, bad
 * character), RW_ETOOBIG (body over AUTH_TOKEN_BODY_MAX, token over
 * AUTH_TOKEN_MAX) or RW_ENOMEM, with ERR set and *OUT cleared.  Error
 * messages never quote the body, which may hold credentials.
 */
int	 auth_parse_token_response(const char *body, size_t len, long now_unix,
	    struct auth_token *out, struct rw_err *err);

/** Wipe and free TOK's token and clear *TOK.  NULL and {0} are fine. */
void	 auth_token_cleanup(struct auth_token *tok);

/**
 * Build the token request URL for challenge C into OUT (N bytes):
 * `<realm>?service=<svc>&scope=<s1>&scope=<s2>`, with '&' instead of '?'
 * when the realm already has a query.  service is left out when C has none.
 * SCOPE (NULL or "" for none) may hold several scopes separated by spaces,
 * as challenges do; each becomes its own scope parameter, as the token spec
 * asks.  Values are percent-encoded (everything but A-Z a-z 0-9 - . _ ~).
 *
 * Returns RW_OK; RW_EINVAL when C is not a Bearer challenge with an
 * http(s) realm; RW_ETOOBIG when the URL does not fit (OUT is then "").
 */
int	 auth_token_url(const struct auth_challenge *c, const char *scope,
	    char *out, size_t n);

/**
 * The token scope for repository REPO: "repository:<repo>:pull", or
 * "repository:<repo>:pull,push" when PUSH is nonzero.  REPO must be
 * non-empty and made of A-Z a-z 0-9 and "._-/:" (no spaces, which would
 * split the scope in two).  Returns RW_OK, RW_EINVAL or RW_ETOOBIG.
 */
int	 auth_scope_for(const char *repo, int push, char *out, size_t n);

/* ------------------------------------------------------------ token cache */

/*
 * Bearer tokens keyed by (upstream name, scope): a token fetched for one
 * upstream is never returned for another.  Thread-safe, at most
 * AUTH_CACHE_MAX entries; when full, expired entries go first, then the
 * oldest.  Tokens are wiped when replaced, evicted or freed.
 */
struct auth_cache;

/** A new empty cache, or NULL when out of memory. */
struct auth_cache	*auth_cache_new(void);
/** Wipe and free every entry and CACHE.  NULL is fine. */
void	 auth_cache_free(struct auth_cache *cache);

/**
 * Copy the token cached for (UPSTREAM, SCOPE) into TOK (N bytes, NUL
 * included).  An entry counts as expired from AUTH_CACHE_SKEW seconds
 * before its expiry, i.e. when NOW >= expires_at - AUTH_CACHE_SKEW; an
 * expired entry is removed.  Returns RW_OK, RW_ENOTFOUND (absent or
 * expired; TOK is "") or RW_ETOOBIG (N too small; TOK is "").
 */
int	 auth_cache_get(struct auth_cache *cache, const char *upstream,
	    const char *scope, long now, char *tok, size_t n);

/**
 * Store a copy of TOKEN for (UPSTREAM, SCOPE) until EXPIRES_AT (unix
 * seconds), replacing any entry for the same key.  When the cache is full
 * it first drops entries already expired by the wall clock, then the
 * oldest entry.  SCOPE may be "" (a token for /v2/ itself).  Returns
 * RW_OK, RW_EINVAL (empty UPSTREAM or TOKEN, UPSTREAM over 255 bytes, SCOPE
 * over AUTH_SCOPE_MAX, TOKEN over AUTH_TOKEN_MAX) or RW_ENOMEM.
 */
int	 auth_cache_put(struct auth_cache *cache, const char *upstream,
	    const char *scope, const char *token, long expires_at);

/**
 * Forget the token for (UPSTREAM, SCOPE), e.g. after the upstream refused
 * it.  Returns RW_OK or RW_ENOTFOUND.
 */
int	 auth_cache_drop(struct auth_cache *cache, const char *upstream,
	    const char *scope);

/** Entries currently held, expired ones included. */
size_t	 auth_cache_count(struct auth_cache *cache);

/* --------------------------------------------------- client basic auth */

/*
 * An htpasswd file loaded whole: user names and bcrypt hashes.  Immutable
 * after loading apart from the success cache described at
 * auth_htpasswd_check(), so one instance may serve every worker thread.  A
 * reload builds a new instance, which starts with an empty cache.
 */
struct auth_htpasswd;

/**
 * Load the htpasswd file PATH: one `user:hash` per line; blank lines and
 * lines starting with '#' are skipped, a trailing CR is ignored.  Only
 * bcrypt ($2a$, $2b$, $2y$) with cost 4..16 is accepted: higher costs would
 * hold a worker thread for seconds per check.  The file must not be
 * accessible by group or others (mode & 077), like a key.
 *
 * Returns the loaded file, or NULL with ERR set: RW_EPERM for the mode
 * (`PATH: mode 0644 is too open: it must not be accessible by group or
 * others (chmod 600)`), RW_EIO, RW_ETOOBIG (over 1 MiB), RW_ENOMEM or
 * RW_ECONFIG for a bad line, naming it: `PATH:3: user "bob": only bcrypt
 * hashes are supported`.
 */
struct auth_htpasswd	*auth_htpasswd_load(const char *path,
			    struct rw_err *err);

/** Wipe and free H.  NULL is fine. */
void	 auth_htpasswd_free(struct auth_htpasswd *h);

/** Number of users in H. */
size_t	 auth_htpasswd_count(const struct auth_htpasswd *h);

/**
 * Decode an Authorization header value "Basic <base64(user:pass)>" (scheme
 * in any case) into USER (UN bytes) and PASS (PN bytes).  Padding may be
 * omitted.  The user must be non-empty and the decoded text must contain a
 * ':' and no control characters; the password may be empty and may contain
 * ':'.  Returns RW_OK or RW_EINVAL (wrong scheme, bad base64, no ':',
 * does not fit); on RW_EINVAL both outputs are "".
 */
int	 auth_basic_decode(const char *authorization_header, char *user,
	    size_t un, char *pass, size_t pn);

/**
 * Check USER and PASS against H.  Returns RW_OK or RW_EAUTH (unknown user,
 * wrong password, or bcrypt failing internally: this fails closed).
 *
 * bcrypt costs tens of milliseconds and this runs on a web worker thread,
 * so a successful check is remembered for 60 seconds, keyed by SHA-256 of a
 * per-instance random salt, user, NUL, password, NUL and stored hash; only
 * the digest is kept, never the password.  The cache is direct-mapped with
 * 1024 slots, so it stays bounded.  Failed checks are never cached: each
 * one costs a full bcrypt, and an unknown user costs one too, so timing
 * does not reveal which users exist.  Callers rate-limit failures per
 * client with struct auth_limiter (below).  The comparison of the computed
 * hash with the stored one is constant-time.
 */
int	 auth_htpasswd_check(struct auth_htpasswd *h, const char *user,
	    const char *pass);

/** As auth_htpasswd_check with the monotonic clock NOW_MS (for tests). */
int	 auth_htpasswd_check_at(struct auth_htpasswd *h, const char *user,
	    const char *pass, uint64_t now_ms);

/** Successful checks answered from the cache, and checks that ran bcrypt. */
void	 auth_htpasswd_stats(struct auth_htpasswd *h, uint64_t *cache_hits,
	    uint64_t *bcrypt_runs);

/*
 * Failed logins per client (auth_limit.c), so that guessing passwords costs
 * time and a burst of wrong ones cannot keep every worker busy running
 * bcrypt.  A client (its IP address as text) may fail MAX times in a fixed
 * window of WINDOW seconds; then it waits until the window ends, whatever
 * it sends.  Counts live in a table of 1024 slots, keyed by a salted hash
 * of the client; clients that meet in a slot restart each other's count.
 * Thread-safe; MAX 0 disables it.
 */
struct auth_limiter;

/** A new limiter, or NULL when out of memory. */
struct auth_limiter *auth_limiter_new(unsigned max, unsigned window_seconds);
void	 auth_limiter_free(struct auth_limiter *l);

/**
 * 0 when CLIENT may try to log in at NOW_MS (monotonic milliseconds), else
 * the seconds left in its window (at least 1).  Claims nothing.
 */
unsigned auth_limiter_wait(struct auth_limiter *l, const char *client,
	    uint64_t now_ms);

/** Count a failed login of CLIENT at NOW_MS. */
void	 auth_limiter_failed(struct auth_limiter *l, const char *client,
	    uint64_t now_ms);

#endif /* RW_AUTH_H */
