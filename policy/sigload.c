/* sigload.c - loading trusted keys ("keys") and rules' "signatures". */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "policy/sig/sig.h"

/* A path in a message is quoted and cut like any other user text. */
#define PATH_MAX_LEN	4096

/* Longest trusted_root.json read; Sigstore's public one is 10 KiB. */
#define TRUSTROOT_MAX	(1024 * 1024)

static const char *const require_names[] = { "any", "all", NULL };

/* ------------------------------------------------------------ key files */

/*
 * The file's text (at most MAX bytes; WHAT names it: "key file") into
 * *OUT, or -1 after reporting at W.  A file anyone may write is refused: whoever
 * can replace a trusted key can sign anything.
 */
static int
read_file(struct ld *ld, const struct where *w, const char *path,
    const char *shown, const char *what, size_t max, char **out,
    size_t *outlen)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		policy_bad(ld, w, "cannot read %s %s: %s", what, shown,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		policy_bad(ld, w, "%s %s is not a regular file", what, shown);
		goto out;
	}
	if ((sb.st_mode & S_IWOTH) != 0) {
		policy_bad(ld, w, "%s %s is writable by anyone (chmod "
		    "o-w it): whoever can replace a trusted key can sign "
		    "anything", what, shown);
		goto out;
	}
	buf = malloc(max + 1);
	if (buf == NULL) {
		ld->nomem = 1;
		goto out;
	}
	for (;;) {
		r = read(fd, buf + len, max + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			policy_bad(ld, w, "cannot read %s %s: %s", what,
			    shown, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			policy_bad(ld, w, "%s %s is larger than %zu bytes",
			    what, shown, max);
			goto out;
		}
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/*
 * REL resolved against the directory of the policy file, as named by
 * the caller, into BUF.  Returns 0, or -1 when it does not fit.
 */
static int
key_path(const struct ld *ld, const char *rel, char *buf, size_t size)
{
	const char *slash = strrchr(ld->file, '/');
	int n;

	if (rel[0] == '/' || slash == NULL)
		n = snprintf(buf, size, "%s", rel);
	else
		n = snprintf(buf, size, "%.*s/%s", (int)(slash - ld->file),
		    ld->file, rel);
	return n >= 0 && (size_t)n < size ? 0 : -1;
}

/* ------------------------------------------------------------- one key */

/* PEM text into KE's key, or an error at W prefixed with SHOWN_FILE. */
static void
parse_pem(struct ld *ld, const struct where *w, const char *pem,
    size_t len, const char *shown_file, struct policy_keyent *ke)
{
	struct rw_err err;
	int rc;

	/* With both "cosign" and "cosign_file" (an error) the last wins. */
	sig_key_free(ke->key);
	ke->key = NULL;
	rw_err_clear(&err);
	rc = sig_key_load(pem, len, &ke->key, &err);
	if (rc == RW_ENOMEM)
		ld->nomem = 1;
	else if (rc != RW_OK && shown_file != NULL)
		policy_bad(ld, w, "key file %s: %s", shown_file, err.msg);
	else if (rc != RW_OK)
		policy_bad(ld, w, "%s", err.msg);
}

static void
cosign_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_keyent *ke = ctx;
	const char *s = policy_want_string(ld, w, v);

	if (s != NULL)
		parse_pem(ld, w, s, json_string_length(v), NULL, ke);
}

/*
 * The file named by the string V, relative to the policy file, read into
 * *PEM (*LEN bytes; WHAT and MAX as read_file) with its name as shown in
 * messages in Q.  Returns 0, or -1 after reporting at W.
 */
static int
read_rel(struct ld *ld, const struct where *w, json_t *v, const char *what,
    size_t max, char *q, size_t qsize, char **pem, size_t *len)
{
	const char *s = policy_want_string(ld, w, v);
	char path[PATH_MAX_LEN], qp[POLICY_QBUF];
	size_t n;

	if (s == NULL)
		return -1;
	if (s[0] == '\0') {
		policy_bad(ld, w, "must not be empty");
		return -1;
	}
	policy_quote(q, qsize, s);
	if (key_path(ld, s, path, sizeof(path)) != 0) {
		policy_bad(ld, w, "%s path %s is too long", what, q);
		return -1;
	}
	/* Relative to the policy file, which may not be where one runs. */
	n = strlen(q);
	if (strcmp(path, s) != 0)
		snprintf(q + n, qsize - n, " (%s)", policy_quote(qp,
		    sizeof(qp), path));
	return read_file(ld, w, path, q, what, max, pem, len);
}

static void
cosign_file_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_keyent *ke = ctx;
	char q[POLICY_QBUF * 2 + 8], *pem = NULL;
	size_t len = 0;

	if (read_rel(ld, w, v, "key file", SIG_KEY_PEM_MAX, q, sizeof(q),
	    &pem, &len) != 0)
		return;
	ke->from_file = 1;
	if (rw_digest(RW_HASH_SHA256, pem, len, ke->file_digest) != RW_OK)
		ld->nomem = 1;
	else
		parse_pem(ld, w, pem, len, q, ke);
	free(pem);
}

/* ----------------------------------------------------- notation keys */

/* How many certificates PEM (LEN bytes) holds; -1 when a block is bad. */
static int
count_certs(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x;
	int n = 0;

	if (bio == NULL)
		return -1;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		X509_free(x);
		n++;
	}
	/* The loop ends at the end of the text or at a broken block. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE &&
	    ERR_peek_last_error() != 0)
		n = -1;
	ERR_clear_error();
	BIO_free(bio);
	return n;
}

static void
trust_store_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_keyent *ke = ctx;
	char q[POLICY_QBUF * 2 + 8], *pem = NULL;
	size_t len = 0;
	int n;

	if (read_rel(ld, w, v, "trust store", SIG_NOTATION_TRUST_MAX, q,
	    sizeof(q), &pem, &len) != 0)
		return;
	/* Replacing the file changes what is trusted: it joins the revision. */
	ke->from_file = 1;
	if (rw_digest(RW_HASH_SHA256, pem, len, ke->root_digest) != RW_OK) {
		ld->nomem = 1;
		free(pem);
		return;
	}
	n = count_certs(pem, len);
	if (n < 0)
		policy_bad(ld, w, "trust store %s: a PEM block is not an X.509 "
		    "certificate", q);
	else if (n == 0)
		policy_bad(ld, w, "trust store %s holds no certificate (expected "
		    "PEM \"CERTIFICATE\" blocks, the roots signers chain to)",
		    q);
	if (n <= 0) {
		free(pem);
		return;
	}
	pem[len] = '\0';	/* read_file leaves room for it */
	ke->trust_pem = pem;
	ke->trust_len = len;
}

#define ID_PREFIX	"x509.subject: "
/* Longest registry scope, canonical: a host and a repository name. */
#define SCOPE_MAX	512

/* One of "identities": "*" or "x509.subject: <DN>", as Notation writes. */
static int
identity_ok(struct ld *ld, const struct where *w, const char *s)
{
	char q[POLICY_QBUF];

	if (strcmp(s, "*") == 0 || (strncmp(s, ID_PREFIX,
	    strlen(ID_PREFIX)) == 0 && s[strlen(ID_PREFIX)] != '\0'))
		return 0;
	policy_bad(ld, w, "%s is not a trusted identity (expected "
	    "\"x509.subject: <subject DN>\", e.g. \"x509.subject: C=US, "
	    "O=acme, CN=release\", or \"*\")", policy_quote(q, sizeof(q), s));
	return -1;
}

static void
identities_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_keyent *ke = ctx;
	char **ids = NULL;
	size_t i, n = 0, plen = strlen(ID_PREFIX);

	if (policy_want_strv(ld, w, v, 0, identity_ok, &ids, &n) != 0)
		return;
	/* Kept as the subject sig_notation reports, the prefix dropped. */
	for (i = 0; i < n; i++)
		if (strncmp(ids[i], ID_PREFIX, plen) == 0)
			memmove(ids[i], ids[i] + plen, strlen(ids[i]) - plen + 1);
	ke->identities = ids;
	ke->nidentities = n;
}

/*
 * One of "registry_scopes": "*", or a repository "host/path" as Notation
 * writes it (no wildcard, tag or digest); docker.io aliases are folded.
 */
static int
scope_ok(struct ld *ld, const struct where *w, const char *s)
{
	char q[POLICY_QBUF], canon[SCOPE_MAX];
	struct rw_err e;

	rw_err_clear(&e);
	if (strcmp(s, "*") == 0)
		return 0;
	if (strchr(s, '/') != NULL && strpbrk(s, "*?@") == NULL &&
	    strchr(strrchr(s, '/'), ':') == NULL &&
	    policy_glob_canon(s, canon, sizeof(canon), &e) == RW_OK)
		return 0;
	policy_bad(ld, w, "%s is not a registry scope (expected \"*\" or a "
	    "repository such as \"registry.example.com/acme/api\", without "
	    "wildcard, tag or digest)", policy_quote(q, sizeof(q), s));
	return -1;
}

static void
scopes_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_keyent *ke = ctx;
	char canon[SCOPE_MAX], **sc = NULL, *c;
	size_t i, n = 0;

	if (policy_want_strv(ld, w, v, 0, scope_ok, &sc, &n) != 0)
		return;
	/* Kept canonical, as requests are named ("docker.io/library/x"). */
	for (i = 0; i < n; i++) {
		if (strcmp(sc[i], "*") == 0 || policy_glob_canon(sc[i], canon,
		    sizeof(canon), NULL) != RW_OK)
			continue;
		if ((c = strdup(canon)) == NULL) {
			ld->nomem = 1;
			continue;
		}
		free(sc[i]);
		sc[i] = c;
	}
	ke->scopes = sc;
	ke->nscopes = n;
}

static void
level_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	static const char *const names[] = { "strict", "permissive", "audit" };
	struct policy_keyent *ke = ctx;
	const char *s = policy_want_string(ld, w, v);
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			ke->level = (int)i;	/* enum sig_notation_level */
			return;
		}
	if (strcmp(s, "skip") == 0)
		policy_bad(ld, w, "\"skip\" verifies nothing: leave the key out "
		    "of the rule's \"signatures\" (or set the rule's \"mode\" "
		    "to \"audit\") instead");
	else
		policy_bad(ld, w, "expected \"strict\", \"permissive\" or "
		    "\"audit\"");
}

static const struct policy_key notation_keys[] = {
	{ "trust_store", trust_store_fn, 1 },
	{ "identities", identities_fn, 0 },
	{ "registry_scopes", scopes_fn, 0 },
	{ "verification_level", level_fn, 0 },
	{ NULL, NULL, 0 },
};

static void
notation_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_keyent *ke = ctx;

	ke->notation = 1;
	(void)policy_walk(ld, w, v, notation_keys, ke);
}

/* ------------------------------------------------------- keyless keys */

/* The trusted root at V into KE (FLAGS as sig_trustroot_parse). */
static void
troot_load(struct ld *ld, const struct where *w, json_t *v, int flags,
    struct policy_keyent *ke)
{
	char q[POLICY_QBUF * 2 + 8], *json = NULL;
	struct rw_err err;
	size_t len = 0;
	int rc;

	if (read_rel(ld, w, v, "trusted root", TRUSTROOT_MAX, q, sizeof(q),
	    &json, &len) != 0)
		return;
	/* Replacing the file changes what is trusted: it joins the revision. */
	ke->from_file = 1;
	/* With both kinds of root (an error) the last one wins. */
	sig_trustroot_free(ke->troot);
	ke->troot = NULL;
	rw_err_clear(&err);
	if (rw_digest(RW_HASH_SHA256, json, len, ke->root_digest) != RW_OK)
		rc = RW_ENOMEM;
	else
		rc = sig_trustroot_parse(json, len, flags, &ke->troot, &err);
	if (rc == RW_ENOMEM)
		ld->nomem = 1;
	else if (rc != RW_OK)
		policy_bad(ld, w, "trusted root %s: %s", q, err.msg);
	free(json);
}

static void
troot_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	troot_load(ld, w, v, 0, ctx);
}

/* A key-based key whose signatures must also be logged in Rekor. */
static void
rekor_root_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	troot_load(ld, w, v, SIG_TROOT_REKOR_ONLY, ctx);
}

static void
issuer_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_keyent *ke = ctx;
	const char *s = policy_want_string(ld, w, v);

	if (s == NULL)
		return;
	/* Fulcio writes the issuer as the token's "iss", a URL. */
	if (strncmp(s, "https://", 8) != 0 || s[8] == '\0')
		policy_bad(ld, w, "expected the OIDC issuer URL exactly as "
		    "Fulcio records it, e.g. \"https://github.com/login/oauth\"");
	else
		ke->issuer = policy_strdup(ld, s);
}

static void
subject_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_keyent *ke = ctx;
	const char *s = policy_want_string(ld, w, v);

	if (s != NULL && s[0] == '\0')
		policy_bad(ld, w, "must not be empty");
	else if (s != NULL)
		ke->subject = policy_strdup(ld, s);
}

/* Compiled here as sig_keyless_verify will, anchored, to report it now. */
static void
subject_re_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_keyent *ke = ctx;
	const char *s = policy_want_string(ld, w, v);
	char *anchored, msg[128];
	size_t n;
	regex_t re;
	int rc;

	if (s == NULL)
		return;
	if (s[0] == '\0') {
		policy_bad(ld, w, "must not be empty");
		return;
	}
	n = strlen(s) + 5;
	anchored = malloc(n);
	if (anchored == NULL) {
		ld->nomem = 1;
		return;
	}
	snprintf(anchored, n, "^(%s)$", s);
	rc = regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc != 0) {
		regerror(rc, &re, msg, sizeof(msg));
		policy_bad(ld, w, "not a POSIX extended regex: %s", msg);
		return;
	}
	regfree(&re);
	ke->subject_regex = policy_strdup(ld, s);
}

static const struct policy_key keyless_keys[] = {
	{ "trusted_root", troot_fn, 1 },
	{ "issuer", issuer_fn, 1 },
	{ "subject", subject_fn, 0 },
	{ "subject_regex", subject_re_fn, 0 },
	{ NULL, NULL, 0 },
};

static void
keyless_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	struct policy_keyent *ke = ctx;
	int subj, re;

	ke->keyless = 1;
	if (policy_walk(ld, w, v, keyless_keys, ke) != 0)
		return;
	subj = json_object_get(v, "subject") != NULL;
	re = json_object_get(v, "subject_regex") != NULL;
	if (subj && re)
		policy_bad(ld, w, "give either \"subject\" (exact) or "
		    "\"subject_regex\", not both");
	else if (!subj && !re)
		policy_bad(ld, w, "needs \"subject\" (the certificate's "
		    "email or URI, exactly) or \"subject_regex\"");
}

static const struct policy_key key_keys[] = {
	{ "cosign", cosign_fn, 0 },
	{ "cosign_file", cosign_file_fn, 0 },
	{ "keyless", keyless_fn, 0 },
	{ "notation", notation_fn, 0 },
	{ "rekor_trusted_root", rekor_root_fn, 0 },
	{ NULL, NULL, 0 },
};

static void
key_load(struct ld *ld, const struct where *w, const struct where *kw,
    const char *name, json_t *v, struct policy_keyent *ke)
{
	char q[POLICY_QBUF];
	int has_pem, has_file, has_kl, has_rr, has_nt;

	ke->line = policy_line_of(ld, kw, 1);
	if (!rw_name_ok(name, POLICY_NAME_MAX))
		policy_bad_key(ld, w, kw, "invalid key name %s (expected 1 to "
		    "%d of a-z, 0-9, '.', '_', '-', starting with a letter or "
		    "digit)", policy_quote(q, sizeof(q), name),
		    POLICY_NAME_MAX);
	ke->name = policy_strdup(ld, name);
	if (policy_walk(ld, kw, v, key_keys, ke) != 0)
		return;
	has_pem = json_object_get(v, "cosign") != NULL;
	has_file = json_object_get(v, "cosign_file") != NULL;
	has_kl = json_object_get(v, "keyless") != NULL;
	has_rr = json_object_get(v, "rekor_trusted_root") != NULL;
	has_nt = json_object_get(v, "notation") != NULL;
	if (has_pem + has_file + has_kl + has_nt > 1)
		policy_bad(ld, kw, "give one of \"cosign\" (the PEM text), "
		    "\"cosign_file\" (a path), \"keyless\" (an identity) or "
		    "\"notation\" (a trust store)");
	else if (json_object_size(v) == (size_t)has_rr)	/* else unknown */
		policy_bad(ld, kw, "needs \"cosign\" (a PEM public key), "
		    "\"cosign_file\" (a path relative to the policy file), "
		    "\"keyless\" (a Fulcio identity) or \"notation\" (a trust "
		    "store)");
	else if ((has_kl || has_nt) && has_rr)
		policy_bad(ld, kw, "\"rekor_trusted_root\" is for public keys; "
		    "a keyless identity's Rekor keys come from its "
		    "\"trusted_root\"");
	if (has_pem + has_file + has_kl + has_nt > 1) {
		sig_key_free(ke->key);
		ke->key = NULL;
		ke->keyless = 0;
		ke->notation = 0;
	}
}

/*
 * One key under two names would count twice toward "all" or N: a single
 * signature would pass for two signers.
 */
static void
same_keys(struct ld *ld, const struct where *w)
{
	const struct policy *p = ld->p;
	struct where kw;
	size_t i, j;

	for (j = 1; j < p->nkeys; j++) {
		for (i = 0; p->keys[j].key != NULL && i < j; i++) {
			if (p->keys[i].key == NULL ||
			    strcmp(sig_key_id(p->keys[i].key),
			    sig_key_id(p->keys[j].key)) != 0)
				continue;
			policy_where_key(&kw, w, p->keys[j].name);
			policy_bad_key(ld, w, &kw, "\"%s\" is the same public "
			    "key as \"%s\" (%s:%d); one signature would count "
			    "for both", p->keys[j].name, p->keys[i].name,
			    ld->base, p->keys[i].line);
			break;
		}
	}
}

static int
same_str(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Likewise for identities: the same issuer and subject (or regex) twice. */
static void
same_identities(struct ld *ld, const struct where *w)
{
	const struct policy_keyent *a, *b;
	const struct policy *p = ld->p;
	struct where kw;
	size_t i, j;

	for (j = 1; j < p->nkeys; j++) {
		b = &p->keys[j];
		for (i = 0; b->keyless && b->issuer != NULL && i < j; i++) {
			a = &p->keys[i];
			if (!a->keyless || !same_str(a->issuer, b->issuer) ||
			    !(same_str(a->subject, b->subject) ||
			    same_str(a->subject_regex, b->subject_regex)))
				continue;
			policy_where_key(&kw, w, b->name);
			policy_bad_key(ld, w, &kw, "\"%s\" is the same identity "
			    "as \"%s\" (%s:%d); one signature would count for "
			    "both", b->name, a->name, ld->base, a->line);
			break;
		}
	}
}

void
policy_keys_load(struct ld *ld, const struct where *w, json_t *v)
{
	struct policy *p = ld->p;
	struct where kw;
	const char *name;
	json_t *val;

	if (!json_is_object(v)) {
		policy_bad(ld, w, "expected an object of named keys, e.g. "
		    "{\"release\": {\"cosign_file\": \"keys/release.pub\"}}");
		return;
	}
	p->keys = calloc(json_object_size(v) + 1, sizeof(*p->keys));
	if (p->keys == NULL) {
		ld->nomem = 1;
		return;
	}
	json_object_foreach(v, name, val) {
		policy_where_key(&kw, w, name);
		key_load(ld, w, &kw, name, val, &p->keys[p->nkeys]);
		if (p->keys[p->nkeys].name != NULL)
			p->nkeys++;
	}
	same_keys(ld, w);
	same_identities(ld, w);
}

void
policy_keys_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nkeys; i++) {
		free(p->keys[i].name);
		sig_key_free(p->keys[i].key);
		sig_trustroot_free(p->keys[i].troot);
		free(p->keys[i].issuer);
		free(p->keys[i].subject);
		free(p->keys[i].subject_regex);
		free(p->keys[i].trust_pem);
		policy_strv_free(p->keys[i].identities,
		    p->keys[i].nidentities);
		policy_strv_free(p->keys[i].scopes, p->keys[i].nscopes);
	}
	free(p->keys);
	p->keys = NULL;
	p->nkeys = 0;
}

int
policy_keys_revision(struct policy *p)
{
	struct rw_hash h;
	size_t i;
	int any = 0;

	for (i = 0; i < p->nkeys; i++)
		any |= p->keys[i].from_file;
	if (!any)
		return 0;	/* the file's bytes hold every key */
	if (rw_hash_init(&h, RW_HASH_SHA256) != RW_OK)
		return -1;
	rw_hash_update(&h, p->rev, strlen(p->rev));
	for (i = 0; i < p->nkeys; i++) {
		if (!p->keys[i].from_file)
			continue;
		rw_hash_update(&h, "\n", 1);
		rw_hash_update(&h, p->keys[i].name, strlen(p->keys[i].name));
		rw_hash_update(&h, " ", 1);
		rw_hash_update(&h, p->keys[i].file_digest,
		    strlen(p->keys[i].file_digest));
		/* Only when present, so that revisions made before stay. */
		if (p->keys[i].root_digest[0] != '\0')
			rw_hash_update(&h, " ", 1);
		rw_hash_update(&h, p->keys[i].root_digest,
		    strlen(p->keys[i].root_digest));
	}
	rw_hash_final(&h, p->rev);
	return 0;
}

/* ------------------------------------------------- a rule's "signatures" */

static void
sig_keys_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	char **names = NULL;
	size_t n = 0;

	/* Checked here for shape; pass two resolves the names. */
	if (policy_want_strv(ld, w, v, 0, NULL, &names, &n) == 0 &&
	    n > POLICY_SIG_KEYS_MAX)
		policy_bad(ld, w, "lists %zu keys (at most %d)", n,
		    POLICY_SIG_KEYS_MAX);
	policy_strv_free(names, n);
}

/* "require" against the number of keys listed, N (0: unknown yet). */
static void
require_one(struct ld *ld, const struct where *w, json_t *v, size_t n,
    struct policy_rule *r)
{
	char q[POLICY_QBUF], sug[128];
	json_int_t k;

	if (json_is_string(v) && strcmp(json_string_value(v), "any") == 0)
		r->sig_require = 1;
	else if (json_is_string(v) && strcmp(json_string_value(v), "all") == 0)
		r->sig_require = 0;
	else if (json_is_string(v) && strncmp(rw_suggest(sug, sizeof(sug),
	    json_string_value(v), require_names), "(did you mean", 13) == 0)
		policy_bad(ld, w, "unknown value %s %s", policy_quote(q,
		    sizeof(q), json_string_value(v)), sug);
	else if (!json_is_integer(v))
		policy_bad(ld, w, "expected \"any\", \"all\" or a number of "
		    "keys from 1 to %zu", n);
	else {
		k = json_integer_value(v);
		if (k < 1 || (json_int_t)n < k)
			policy_bad(ld, w, "%lld out of range (1..%zu, the number "
			    "of keys listed)", (long long)k, n);
		else
			r->sig_require = (int)k;
	}
}

/* Judged after the walk (policy_sigs_load): it depends on "keys". */
static void
sig_require_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
}

static void
sig_notation_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	policy_bad_key(ld, w, w, "not here: name the trust store in the "
	    "top-level \"keys\" ({\"notation\": {...}}) and list its name "
	    "in \"keys\"");
}

static void
sig_keyless_fn(struct ld *ld, const struct where *w, json_t *v, void *ctx)
{
	policy_bad_key(ld, w, w, "not here: name the identity in the "
	    "top-level \"keys\" ({\"keyless\": {...}}) and list its name "
	    "in \"keys\"");
}

static const struct policy_key sig_keys[] = {
	{ "keys", sig_keys_fn, 1 },
	{ "require", sig_require_fn, 0 },
	{ "keyless", sig_keyless_fn, 0 },
	{ "notation", sig_notation_fn, 0 },
	{ NULL, NULL, 0 },
};

void
policy_sigs_load(struct ld *ld, const struct where *w, json_t *v,
    struct policy_rule *r)
{
	struct where rw;
	json_t *keys, *req;

	r->sig_require = 1;
	if (policy_walk(ld, w, v, sig_keys, r) != 0)
		return;
	r->has_sigs = 1;
	keys = json_object_get(v, "keys");
	req = json_object_get(v, "require");
	/* Without a usable "keys" there is nothing to count against. */
	if (req != NULL && json_is_array(keys) && json_array_size(keys) > 0) {
		policy_where_key(&rw, w, "require");
		require_one(ld, &rw, req, json_array_size(keys), r);
	}
}

/* ------------------------------------------------------------ pass two */

size_t
policy_key_index(const struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nkeys; i++)
		if (strcmp(p->keys[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

void
policy_key_unknown(struct ld *ld, const struct where *w, const char *name)
{
	const struct policy *p = ld->p;
	const char **names;
	char q[POLICY_QBUF], sug[256];
	size_t i;

	if (p->nkeys == 0) {
		policy_bad(ld, w, "no key named %s: the file has no \"keys\"",
		    policy_quote(q, sizeof(q), name));
		return;
	}
	names = calloc(p->nkeys + 1, sizeof(*names));
	if (names == NULL) {
		ld->nomem = 1;
		return;
	}
	for (i = 0; i < p->nkeys; i++)
		names[i] = p->keys[i].name;
	policy_bad(ld, w, "no key named %s in \"keys\" %s",
	    policy_quote(q, sizeof(q), name), rw_suggest(sug, sizeof(sug),
	    name, names));
	free(names);
}

static int
listed(const struct policy_rule *r, size_t k)
{
	size_t i;

	for (i = 0; i < r->nsig_keys; i++)
		if (r->sig_keys[i] == k)
			return 1;
	return 0;
}

static void
resolve_rule(struct ld *ld, const struct where *rw, json_t *keys,
    struct policy_rule *r)
{
	struct where ew;
	const char *s;
	size_t i, k;
	json_t *e;

	r->sig_keys = calloc(json_array_size(keys) + 1, sizeof(*r->sig_keys));
	if (r->sig_keys == NULL) {
		ld->nomem = 1;
		return;
	}
	json_array_foreach(keys, i, e) {
		s = json_string_value(e);
		if (s == NULL || s[0] == '\0')
			continue;	/* reported by the first pass */
		k = policy_key_index(ld->p, s);
		if (k == SIZE_MAX) {
			policy_where_idx(&ew, rw, i);
			policy_key_unknown(ld, &ew, s);
		} else if (!listed(r, k))
			r->sig_keys[r->nsig_keys++] = k;
	}
	if (r->sig_require == 0)
		r->sig_require = (int)r->nsig_keys;
}

void
policy_sigs_resolve(struct ld *ld, json_t *doc)
{
	struct policy *p = ld->p;
	struct where rw;
	json_t *rules, *keys;
	size_t i;

	rules = json_object_get(doc, "rules");
	for (i = 0; i < p->nrules && json_is_array(rules); i++) {
		if (!p->rules[i].has_sigs)
			continue;
		keys = json_object_get(json_object_get(json_array_get(rules,
		    i), "signatures"), "keys");
		if (!json_is_array(keys))
			continue;
		memset(&rw, 0, sizeof(rw));
		policy_where_key(&rw, &rw, "rules");
		policy_where_idx(&rw, &rw, i);
		policy_where_key(&rw, &rw, "signatures");
		policy_where_key(&rw, &rw, "keys");
		resolve_rule(ld, &rw, keys, &p->rules[i]);
	}
}
