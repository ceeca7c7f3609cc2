/*
 * config_secret.c - config values that live in secret files: upstream
 * credentials, the admin and metrics tokens, the database password.
 */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/config_int.h"

#include "db/db.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define CFG_MAX_CREDS	(64 * 1024)
/* The admin token: 16..4096 characters, plus room for a trailing newline. */
#define CFG_TOKEN_MIN	16
#define CFG_TOKEN_MAX	4096
#define CFG_MAX_TOKEN_FILE	8192

/* ------------------------------------------------------------ credentials */

/*
 * jansson has no way to wipe what it frees, so the password's copy inside
 * the parsed tree is cleared here, just before json_decref releases it.  The
 * string is jansson's own heap memory, never a literal.
 */
static void
wipe_json_string(json_t *s)
{
	if (json_is_string(s))
		OPENSSL_cleanse((void *)(uintptr_t)json_string_value(s),
		    json_string_length(s));
}

static void
creds_obj(struct ld *ld, const struct where *w, const char *shown,
    json_t *root, struct cfg_upstream *u)
{
	static const char *const keys[] = { "username", "password", NULL };
	char q[CFG_QUOTE_MAX + 16], sug[256];
	json_t *user, *pass, *v;
	const char *key;
	int ok = 1;

	if (!json_is_object(root)) {
		cfg_bad(ld, w, "%s: expected {\"username\": \"...\", \"password\": "
		    "\"...\"}", shown);
		return;
	}
	json_object_foreach(root, key, v) {
		if (cfg_one_of(key, keys) < 0) {
			cfg_bad(ld, w, "%s: unknown key %s %s", shown,
			    cfg_quote(q, sizeof(q), key),
			    rw_suggest(sug, sizeof(sug), key, keys));
			ok = 0;
		}
	}
	user = json_object_get(root, "username");
	pass = json_object_get(root, "password");
	if (!json_is_string(user) || json_string_length(user) == 0 ||
	    !json_is_string(pass) || json_string_length(pass) == 0) {
		cfg_bad(ld, w, "%s: \"username\" and \"password\" must be non-empty "
		    "strings", shown);
		ok = 0;
	}
	if (ok) {
		cfg_store_str(&u->username, cfg_sdup(ld, json_string_value(user)));
		u->password = cfg_sdup(ld, json_string_value(pass));
	}
	wipe_json_string(pass);
}

/* Reads "credentials_file" (W, written as PATH) into U's username/password. */
void
cfg_read_creds(struct ld *ld, const struct where *w, const char *path,
    struct cfg_upstream *u)
{
	char q[CFG_QUOTE_MAX + 16], *full, *text = NULL;
	json_error_t je;
	json_t *root;
	struct stat st;
	size_t len = 0;
	int rc;

	cfg_quote(q, sizeof(q), path);
	full = cfg_resolve(ld, path);
	if (full == NULL)
		return;
	rc = cfg_slurp(full, CFG_MAX_CREDS, &text, &len, &st);
	if (rc == SLURP_ERRNO)
		cfg_bad(ld, w, "cannot open %s: %s", q, strerror(errno));
	else if (rc == SLURP_NOTREG)
		cfg_bad(ld, w, "%s is not a regular file", q);
	else if (rc == SLURP_TOOBIG)
		cfg_bad(ld, w, "%s is too large (more than %d bytes)", q,
		    CFG_MAX_CREDS);
	if (rc != SLURP_OK)
		goto out;
	/* relayd's check_file_secrecy: a secret readable by others is refused. */
	if (!rw_secret_mode_ok(&st)) {
		cfg_bad(ld, w, "%s is accessible by group or others (mode %04o); "
		    "chmod 600 it", q, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		/* jansson's text quotes the input: it could hold the secret. */
		cfg_bad(ld, w, "%s is not valid JSON (line %d)", q, je.line);
		goto out;
	}
	creds_obj(ld, w, q, root, u);
	json_decref(root);
out:
	if (text != NULL)
		rw_freezero(text, len);
	free(full);
}

/* ------------------------------------------------------------ admin token */

/*
 * A bearer token travels in an Authorization header, which cannot carry
 * control characters and loses leading or trailing blanks, so the token is
 * restricted to visible ASCII: what works in the file works on the wire.
 */
static size_t
token_bad_byte(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return i;
	return len;
}

/* Checks the token text T (LEN bytes, trailing newlines trimmed). */
static int
token_ok(struct ld *ld, const struct where *w, const char *q, const char *t,
    size_t len)
{
	size_t at;

	if (len < CFG_TOKEN_MIN || len > CFG_TOKEN_MAX) {
		cfg_bad(ld, w, "the token in %s is %zu characters long; it must be "
		    "%d..%d", q, len, CFG_TOKEN_MIN, CFG_TOKEN_MAX);
		return 0;
	}
	at = token_bad_byte(t, len);
	if (at < len) {
		cfg_bad(ld, w, "the token in %s may hold only printable ASCII "
		    "without spaces (byte %zu is not)", q, at + 1);
		return 0;
	}
	return 1;
}

/*
 * Read the secret file PATH (the value at W) of at most CAP bytes, mode
 * 0600 (rw_secret_mode_ok), into *TEXT (LEN bytes, wiped and freed by the
 * caller with rw_freezero) with *N the length less its trailing line
 * ends; Q gets PATH quoted for messages.  Returns 0, or -1 with the
 * problem reported at W and nothing to free.
 */
static int
read_secret(struct ld *ld, const struct where *w, const char *path,
    int cap, char q[CFG_QUOTE_MAX + 16], char **text, size_t *len,
    size_t *n)
{
	struct stat st;
	char *full;
	int rc;

	*text = NULL;
	*len = 0;
	cfg_quote(q, CFG_QUOTE_MAX + 16, path);
	full = cfg_resolve(ld, path);
	if (full == NULL)
		return -1;
	rc = cfg_slurp(full, cap, text, len, &st);
	free(full);
	if (rc == SLURP_ERRNO)
		cfg_bad(ld, w, "cannot open %s: %s", q, strerror(errno));
	else if (rc == SLURP_NOTREG)
		cfg_bad(ld, w, "%s is not a regular file", q);
	else if (rc == SLURP_TOOBIG)
		cfg_bad(ld, w, "%s is too large (more than %d bytes)", q, cap);
	if (rc == SLURP_OK && !rw_secret_mode_ok(&st)) {
		cfg_bad(ld, w, "%s is accessible by group or others (mode %04o); "
		    "chmod 600 it", q, (unsigned)(st.st_mode & 07777));
		rc = SLURP_NOTREG;	/* refused all the same */
	}
	if (rc != SLURP_OK) {
		if (*text != NULL)
			rw_freezero(*text, *len);
		*text = NULL;
		return -1;
	}
	/* Editors and `echo` end the file with a newline; it is not secret. */
	*n = *len;
	while (*n > 0 && ((*text)[*n - 1] == '\n' || (*text)[*n - 1] == '\r'))
		(*n)--;
	return 0;
}

/* Reads a token file (the value at W, written as PATH) into *DST. */
static void
read_token(struct ld *ld, const struct where *w, const char *path,
    char **dst)
{
	char q[CFG_QUOTE_MAX + 16], *text;
	size_t len, n;

	if (read_secret(ld, w, path, CFG_MAX_TOKEN_FILE, q, &text, &len,
	    &n) != 0)
		return;
	if (token_ok(ld, w, q, text, n)) {
		*dst = strndup(text, n);
		if (*dst == NULL)
			ld->nomem = 1;
	}
	rw_freezero(text, len);
}

void
cfg_read_token_file(struct ld *ld, const struct where *w, const char *path,
    char **dst)
{
	read_token(ld, w, path, dst);
}

void
cfg_metrics_file_fn(struct ld *ld, const struct where *w, json_t *v,
    void *base)
{
	(void)base;
	/* "" is a value here (no token for /metrics); read in admin_post. */
	if (!json_is_string(v))
		cfg_bad(ld, w, "expected a string (a file, or \"\" for no token)");
}

static int
is_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/*
 * The admin object's checks across keys, after the walk: the token is read
 * once "listen" is known, and an exposed listener without one is refused.
 */
void
cfg_admin_post(struct ld *ld, const struct where *root, json_t *doc,
    struct rw_config *cfg)
{
	json_t *admin = json_object_get(doc, "admin");
	json_t *lv = json_object_get(admin, "listen");
	json_t *tf = json_object_get(admin, "token_file");
	json_t *mf = json_object_get(admin, "metrics_token_file");
	struct where aw, w, lw;
	char q[CFG_QUOTE_MAX + 16];

	if (!json_is_object(admin))
		return;
	cfg_where_key(&aw, root, "admin");
	cfg_where_key(&lw, &aw, "listen");
	if (json_is_string(tf) && json_string_length(tf) > 0) {
		cfg_where_key(&w, &aw, "token_file");
		read_token(ld, &w, json_string_value(tf), &cfg->admin_token);
	}
	/* "" opens /metrics to scrapers without a token, on purpose. */
	if (json_is_string(mf) && json_string_length(mf) > 0) {
		cfg_where_key(&w, &aw, "metrics_token_file");
		read_token(ld, &w, json_string_value(mf), &cfg->metrics_token);
	} else if (json_is_string(mf))
		cfg->metrics_open = 1;
	/* A bad "listen" is reported already and left the default in place. */
	if (!json_is_string(lv) || cfg->admin_port == 0)
		return;
	if (tf == NULL && !is_loopback(cfg->admin_host))
		cfg_bad(ld, &lw, "%s is not a loopback address, so "
		    "\"admin.token_file\" is required", cfg_quote(q, sizeof(q),
		    json_string_value(lv)));
	else if (cfg->admin_port == cfg->listen_port &&
	    strcmp(cfg->admin_host, cfg->listen_host) == 0) {
		cfg_where_key(&w, root, "listen");
		if (cfg_line_of(ld, &w) > 0)
			cfg_bad(ld, &lw, "same address as \"listen\" (line %d)",
			    cfg_line_of(ld, &w));
		else
			cfg_bad(ld, &lw, "same address as \"listen\" (default "
			    "127.0.0.1:5443)");
	}
}


/* --------------------------------------------------------------- database */

#define CFG_DB_URL_MAX		1024
#define CFG_MAX_PASSWORD_FILE	4096

/*
 * "database.url": any libpq connection URI, but never with a password in
 * it: the URL is logged and shown by `db status`, so the password comes
 * from "password_file" (or libpq's PGPASSWORD and ~/.pgpass) only.
 */
void
cfg_db_url_fn(struct ld *ld, const struct where *w, json_t *v, void *base)
{
	struct rw_config *cfg = base;
	char shown[CFG_DB_URL_MAX + 8];
	const char *s = json_string_value(v);

	if (s == NULL) {
		cfg_bad(ld, w, "expected a string");
		return;
	}
	if (!db_is_url(s)) {
		cfg_bad(ld, w, "expected a postgresql:// URL");
		return;
	}
	if (strlen(s) > CFG_DB_URL_MAX) {
		cfg_bad(ld, w, "longer than %d bytes", CFG_DB_URL_MAX);
		return;
	}
	db_url_redact(s, shown, sizeof(shown));
	if (strcmp(shown, s) != 0) {
		cfg_bad(ld, w, "must not contain a password (%s); put it in "
		    "\"password_file\"", shown);
		return;
	}
	cfg_store_str(&cfg->db_url, cfg_sdup(ld, s));
}

/* Reads "database.password_file" (W, written as PATH): mode 0600, one line. */
static void
read_password(struct ld *ld, const struct where *w, const char *path,
    struct rw_config *cfg)
{
	char q[CFG_QUOTE_MAX + 16], *text;
	size_t len, n;

	if (read_secret(ld, w, path, CFG_MAX_PASSWORD_FILE, q, &text, &len,
	    &n) != 0)
		return;
	if (n == 0 || memchr(text, '\0', n) != NULL ||
	    memchr(text, '\n', n) != NULL) {
		cfg_bad(ld, w, "%s must hold the password on one line", q);
	} else {
		cfg->db_password = strndup(text, n);
		if (cfg->db_password == NULL)
			ld->nomem = 1;
	}
	rw_freezero(text, len);
}

void
cfg_database_post(struct ld *ld, const struct where *root, json_t *doc,
    struct rw_config *cfg)
{
	json_t *dbo = json_object_get(doc, "database");
	json_t *pf = json_object_get(dbo, "password_file");
	struct where dw, w;

	if (!json_is_string(pf) || json_string_length(pf) == 0)
		return;
	cfg_where_key(&dw, root, "database");
	cfg_where_key(&w, &dw, "password_file");
	read_password(ld, &w, json_string_value(pf), cfg);
}
