/* tlog.c - transparency-log proofs: RFC 9162 inclusion proofs and
 * c2sp.org/tlog-checkpoint signed notes. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/sig/tlog.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "policy/sig/internal.h"
#include "policy/sig/sig.h"

#define HLEN		SIG_TLOG_HASH_LEN
/* How much untrusted text (an origin, a signer name) a reason quotes. */
#define SHOW_MAX	100
#define QBUF		(SHOW_MAX * 4 + 16)
/* What starts a signature line: U+2014 EM DASH, then a space. */
#define SIG_PREFIX	"\xe2\x80\x94 "
#define SIG_PREFIX_LEN	4
/* Base64 of 32 bytes. */
#define ROOT_B64_LEN	44
/* A signature line's payload: the key hint, then at least one byte. */
#define HINT_LEN	4

/* One signature line; NAME borrowed from the note, RAW owned. */
struct sigline {
	const char	*name;
	size_t		 nlen;
	uint32_t	 hint;
	unsigned char	*raw;	/* hint and signature, decoded */
	size_t		 rawlen;
};

/* A checkpoint being judged; TEXT and ORIGIN borrowed from the note. */
struct note {
	const char	*text;	/* the signed message, with its last '\n' */
	size_t		 tlen;
	const char	*origin;
	size_t		 olen;
	uint64_t	 size;
	unsigned char	 root[HLEN];
	struct sigline	 sigs[SIG_CHECKPOINT_SIGS_MAX];
	size_t		 nsigs;
};

/* Whose signature lines count: the log's signer name and key hint. */
struct ident {
	char		 name[SIG_CHECKPOINT_ORIGIN_MAX + 1];
	uint32_t	 hint;
};

static void
say(char *reason, size_t rsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(char *reason, size_t rsize, const char *fmt, ...)
{
	va_list ap;

	if (reason == NULL || rsize == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, rsize, fmt, ap);
	va_end(ap);
}

/*
 * LEN bytes of untrusted S, escaped and cut, into BUF: the reason ends up
 * in a JSON body, a Warning header and a log line.
 */
static const char *
show(char buf[QBUF], const char *s, size_t len)
{
	char tmp[SHOW_MAX + 2];
	struct rw_sb sb;
	size_t n = len < SHOW_MAX + 1 ? len : SHOW_MAX + 1;

	memcpy(tmp, s, n);
	tmp[n] = '\0';
	rw_sb_init(&sb, buf, QBUF);
	rw_sb_safe(&sb, tmp, SHOW_MAX);
	rw_sb_finish(&sb);
	return buf;
}

/* The first N bytes of B in hex, with "..." when that is not all of it. */
static const char *
hex_prefix(char *buf, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	if (n < HLEN)
		memcpy(buf + 2 * n, "...", 4);
	return buf;
}

static uint32_t
be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* ------------------------------------------------------- Merkle proofs */

/* SHA-256(PREFIX || A || B) into OUT, which may alias A or B. */
static int
digest3(EVP_MD_CTX *c, unsigned char prefix, const void *a, size_t alen,
    const void *b, size_t blen, unsigned char out[HLEN])
{
	unsigned int n = 0;

	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, &prefix, 1) != 1 ||
	    (alen > 0 && EVP_DigestUpdate(c, a, alen) != 1) ||
	    (blen > 0 && EVP_DigestUpdate(c, b, blen) != 1) ||
	    EVP_DigestFinal_ex(c, out, &n) != 1 || n != HLEN)
		return -1;
	return 0;
}

int
sig_tlog_leaf_hash(const void *body, size_t len, unsigned char out[HLEN],
    struct rw_err *err)
{
	EVP_MD_CTX *c;
	int rc = RW_OK;

	if (out == NULL || (body == NULL && len > 0))
		return rw_err_set(err, RW_EINVAL, "leaf hash: no body");
	memset(out, 0, HLEN);
	c = EVP_MD_CTX_new();
	if (c == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (digest3(c, 0x00, body, len, NULL, 0, out) != 0) {
		memset(out, 0, HLEN);
		rc = rw_err_set(err, RW_ECRYPTO, "SHA-256 failed");
	}
	EVP_MD_CTX_free(c);
	return rc;
}

/*
 * How many hashes the path from leaf INDEX of a tree of SIZE leaves holds
 * (INDEX < SIZE): one per level below the point where the paths to INDEX
 * and to the last leaf part, then one per left sibling subtree above it,
 * that is per bit set in what remains of INDEX.
 */
static unsigned
path_len(uint64_t index, uint64_t size)
{
	uint64_t x = index ^ (size - 1);
	unsigned inner = 0, border = 0;

	for (; x != 0; x >>= 1)
		inner++;
	for (x = inner < 64 ? index >> inner : 0; x != 0; x >>= 1)
		border += (unsigned)(x & 1);
	return inner + border;
}

/*
 * RFC 9162 §2.1.3.2, steps 2 to 5: walks P's hashes up from LEAF into R.
 * FN is the node's index at each level, SN the last node's; where FN is
 * the last node of its level and a left child, it has no sibling there,
 * so the levels it is carried up unchanged are skipped.  Returns 0 when
 * the path ends at the root (compare R then), 1 when there are more or
 * fewer hashes than the path has levels, -1 when SHA-256 failed.  At most
 * 64 hashes are hashed, however many P holds.
 */
static int
walk(EVP_MD_CTX *c, const unsigned char leaf[HLEN],
    const struct sig_tlog_proof *p, unsigned char r[HLEN])
{
	uint64_t fn = p->index, sn = p->size - 1;
	size_t i;
	int bad;

	memcpy(r, leaf, HLEN);
	for (i = 0; i < p->nhashes; i++) {
		if (sn == 0)
			return 1;
		if ((fn & 1) != 0 || fn == sn) {
			bad = digest3(c, 0x01, p->hashes[i], HLEN, r, HLEN, r);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else
			bad = digest3(c, 0x01, r, HLEN, p->hashes[i], HLEN, r);
		if (bad)
			return -1;
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 ? 0 : 1;
}

int
sig_tlog_inclusion_verify(const unsigned char leaf[HLEN],
    const struct sig_tlog_proof *p, int *good, char *reason, size_t rsize,
    struct rw_err *err)
{
	unsigned char r[HLEN];
	char hx[2 * HLEN + 4];
	EVP_MD_CTX *c;
	unsigned need;
	int rc;

	if (good != NULL)
		*good = 0;
	say(reason, rsize, "%s", "");
	if (leaf == NULL || p == NULL || good == NULL ||
	    (p->hashes == NULL && p->nhashes > 0) ||
	    (reason == NULL && rsize > 0))
		return rw_err_set(err, RW_EINVAL, "inclusion proof: missing "
		    "argument");
	if (p->index >= p->size) {
		say(reason, rsize, "inclusion proof: leaf index %" PRIu64
		    " is not below tree size %" PRIu64, p->index, p->size);
		return RW_OK;
	}
	c = EVP_MD_CTX_new();
	if (c == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	rc = walk(c, leaf, p, r);
	EVP_MD_CTX_free(c);
	if (rc < 0)
		return rw_err_set(err, RW_ECRYPTO, "SHA-256 failed");
	if (rc == 1) {
		/* The walk decided; the count is worked out for the human. */
		need = path_len(p->index, p->size);
		say(reason, rsize, "inclusion proof has %zu hash%s; leaf %"
		    PRIu64 " of a tree of %" PRIu64 " needs %u", p->nhashes,
		    p->nhashes == 1 ? "" : "es", p->index, p->size, need);
		return RW_OK;
	}
	*good = memcmp(r, p->root, HLEN) == 0;
	say(reason, rsize, "inclusion proof of leaf %" PRIu64 " in a tree of %"
	    PRIu64 " %s its root hash %s", p->index, p->size, *good ?
	    "leads to" : "does not lead to", hex_prefix(hx, p->root, 8));
	return RW_OK;
}

/* ----------------------------------------------------- parsing a note */

/*
 * Length of the UTF-8 sequence at S (N bytes left) and its code point in
 * *CP, or 0 when it is not one.  Overlong forms, surrogates and code
 * points past U+10FFFF are refused, as Go's decoder (which wrote and
 * checks these notes) refuses them.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	c &= 0x7fu >> len;	/* the lead byte's payload bits */
	min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Offset of the first byte of S that is not UTF-8 or is a control
 * character other than '\n', or LEN. */
static size_t
text_bad(const char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t c;

	while (i < len) {
		n = utf8_seq((const unsigned char *)s + i, len - i, &c);
		if (n == 0 || (c < 0x20 && c != '\n'))
			return i;
		i += n;
	}
	return len;
}

/* Go's unicode.IsSpace, which the signed-note name rule uses. */
static int
is_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

/* A signer name: non-empty, no white space, no '+' (c2sp.org/signed-note). */
static int
name_ok(const char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t c;

	if (len == 0)
		return 0;
	while (i < len) {
		n = utf8_seq((const unsigned char *)s + i, len - i, &c);
		if (n == 0 || c == '+' || is_space(c))
			return 0;
		i += n;
	}
	return 1;
}

/* S (LEN bytes): "0" or a decimal without sign or leading zeros. */
static int
parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0, d;
	size_t i;

	if (len == 0 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Strict base64 S (LEN bytes) into a new *OUT; 1 when it is not. */
static int
b64(const char *s, size_t len, unsigned char **out, size_t *olen,
    struct rw_err *err)
{
	struct rw_err e;
	int rc;

	*out = NULL;
	rw_err_clear(&e);
	rc = sig_b64_decode(s, len, 0, out, olen, &e);
	if (rc == RW_ENOMEM)
		return rw_err_set(err, rc, "out of memory");
	return rc == RW_OK ? RW_OK : 1;
}

/*
 * The checkpoint body: origin, size and root hash lines (extension lines
 * after them are allowed and ignored).  RW_OK with WHY "" when it parses,
 * else WHY says what is wrong; RW_ENOMEM.
 */
static int
parse_text(struct note *n, char *why, size_t wsize, struct rw_err *err)
{
	const char *p = n->text, *end = n->text + n->tlen, *line[3], *nl;
	size_t len[3], k, blen = 0;
	unsigned char *bin = NULL;
	int rc;

	for (k = 0; k < 3; k++) {
		if (p == end) {
			snprintf(why, wsize, "the text has %zu line%s, not "
			    "origin, size and root hash", k, k == 1 ? "" : "s");
			return RW_OK;
		}
		nl = memchr(p, '\n', (size_t)(end - p));	/* TEXT ends in one */
		line[k] = p;
		len[k] = (size_t)(nl - p);
		p = nl + 1;
	}
	n->origin = line[0];
	n->olen = len[0];
	if (len[0] == 0 || len[0] > SIG_CHECKPOINT_ORIGIN_MAX) {
		snprintf(why, wsize, "the origin line is empty or longer than "
		    "%d bytes", SIG_CHECKPOINT_ORIGIN_MAX);
		return RW_OK;
	}
	if (parse_size(line[1], len[1], &n->size) != 0) {
		snprintf(why, wsize, "the size line is not a decimal number "
		    "without sign or leading zeros");
		return RW_OK;
	}
	rc = len[2] == ROOT_B64_LEN ? b64(line[2], len[2], &bin, &blen, err) :
	    1;
	if (rc == RW_OK && blen == HLEN)
		memcpy(n->root, bin, HLEN);
	else if (rc != RW_ENOMEM)
		snprintf(why, wsize, "the root hash line is not base64 of 32 "
		    "bytes");
	if (rc == RW_OK)
		free(bin);
	return rc == RW_ENOMEM ? rc : RW_OK;
}

/* Signature line NO (S, LEN bytes without its '\n') into SL; as parse_text. */
static int
parse_sigline(const char *s, size_t len, size_t no, struct sigline *sl,
    char *why, size_t wsize, struct rw_err *err)
{
	const char *sp;
	int rc;

	if (len < SIG_PREFIX_LEN || memcmp(s, SIG_PREFIX, SIG_PREFIX_LEN)) {
		snprintf(why, wsize, "signature line %zu does not start with "
		    "an em dash and a space", no);
		return RW_OK;
	}
	s += SIG_PREFIX_LEN;
	len -= SIG_PREFIX_LEN;
	sp = memchr(s, ' ', len);
	if (sp == NULL || !name_ok(s, (size_t)(sp - s))) {
		snprintf(why, wsize, "signature line %zu has no name, or one "
		    "with white space or '+'", no);
		return RW_OK;
	}
	sl->name = s;
	sl->nlen = (size_t)(sp - s);
	rc = b64(sp + 1, len - sl->nlen - 1, &sl->raw, &sl->rawlen, err);
	if (rc == RW_ENOMEM)
		return rc;
	if (rc != RW_OK || sl->rawlen <= HINT_LEN) {
		snprintf(why, wsize, "signature line %zu is not base64 of a "
		    "key hint and a signature", no);
		return RW_OK;
	}
	sl->hint = be32(sl->raw);
	return RW_OK;
}

/*
 * NOTE (LEN bytes) into N as c2sp.org/signed-note lays it out: the text,
 * a blank line, signature lines.  As parse_text; N's lines are freed by
 * note_cleanup whatever happens.
 */
static int
parse_note(const char *note, size_t len, struct note *n, char *why,
    size_t wsize, struct rw_err *err)
{
	const char *sep, *s, *end = note + len, *nl;
	size_t bad;
	int rc;

	if (len > SIG_CHECKPOINT_MAX) {
		snprintf(why, wsize, "it is %zu bytes (limit %d)", len,
		    SIG_CHECKPOINT_MAX);
		return RW_OK;
	}
	bad = text_bad(note, len);
	if (bad < len) {
		snprintf(why, wsize, "byte %zu is a control character or not "
		    "UTF-8", bad);
		return RW_OK;
	}
	/*
	 * The text ends at the first blank line.  Go's note.Open takes the
	 * last, but no line of a checkpoint's text or of its signatures may
	 * be empty, so in a note we accept the two are the same.
	 */
	sep = memmem(note, len, "\n\n", 2);
	if (sep == NULL || sep + 2 == end || end[-1] != '\n') {
		snprintf(why, wsize, "%s", sep == NULL ? "no blank line ends "
		    "the text" : sep + 2 == end ? "no signature lines" :
		    "it does not end with a newline");
		return RW_OK;
	}
	n->text = note;
	n->tlen = (size_t)(sep + 1 - note);
	for (s = sep + 2; s < end; s = nl + 1) {
		if (n->nsigs == SIG_CHECKPOINT_SIGS_MAX) {
			snprintf(why, wsize, "more than %d signature lines",
			    SIG_CHECKPOINT_SIGS_MAX);
			return RW_OK;
		}
		nl = memchr(s, '\n', (size_t)(end - s));
		rc = parse_sigline(s, (size_t)(nl - s), n->nsigs + 1,
		    &n->sigs[n->nsigs], why, wsize, err);
		n->nsigs++;	/* its RAW, if any, is now note_cleanup's */
		if (rc != RW_OK || why[0] != '\0')
			return rc;
	}
	return parse_text(n, why, wsize, err);
}

static void
note_cleanup(struct note *n)
{
	size_t i;

	for (i = 0; i < n->nsigs; i++)
		free(n->sigs[i].raw);
}

/* ------------------------------------------------- judging a checkpoint */

/*
 * Length of HOST in a Rekor v1 origin "HOST - TREEID" (TREEID decimal; the
 * pattern sigstore-go tells Rekor v1 checkpoints by), or 0 when O is not
 * one or HOST is empty.
 */
static size_t
v1_host(const char *o, size_t len)
{
	size_t i = len;

	while (i > 0 && o[i - 1] >= '0' && o[i - 1] <= '9')
		i--;
	if (i == len || i <= 3 || memcmp(o + i - 3, " - ", 3) != 0)
		return 0;
	return i - 3;
}

/* The first 4 bytes of the SHA-256 of K's SPKI, from its "sha256:<hex>". */
static uint32_t
spki_hint(const struct sig_key *k)
{
	const char *h = sig_key_id(k) + strlen("sha256:");
	uint32_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 4 | (uint32_t)(h[i] <= '9' ? h[i] - '0' :
		    h[i] - 'a' + 10);
	return v;
}

/*
 * Whose signature lines are LOG's in checkpoint N (see tlog.h) into ID.
 * Returns 0, or -1 with REASON saying why N cannot be LOG's.
 */
static int
ident(const struct sig_tlog_key *log, const struct note *n, struct ident *id,
    char *reason, size_t rsize)
{
	int ed = strcmp(sig_key_kind(log->key), "Ed25519") == 0;
	size_t host = ed ? 0 : v1_host(n->origin, n->olen);
	char q[QBUF], o[QBUF];

	if (host > 0) {
		/* Rekor v1 signs "HOST - TREEID" as HOST. */
		memcpy(id->name, n->origin, host);
		id->name[host] = '\0';
	} else if (log->origin == NULL || (ed && !log->has_note_id)) {
		say(reason, rsize, "log has no origin (baseUrl) in the trusted "
		    "root to identify its checkpoint signatures by");
		return -1;
	} else if (strlen(log->origin) != n->olen ||
	    memcmp(log->origin, n->origin, n->olen) != 0) {
		say(reason, rsize, "checkpoint origin \"%s\" is not log %s",
		    show(q, n->origin, n->olen),
		    show(o, log->origin, strlen(log->origin)));
		return -1;
	} else
		rw_strlcpy(id->name, log->origin, sizeof(id->name));
	id->hint = ed ? be32(log->note_id) : spki_hint(log->key);
	return 0;
}

/*
 * Checks every signature line of N that is ID's with LOG's key: *FOUND
 * counts them, *OK says whether all of them verify.
 */
static int
judge(const struct sig_tlog_key *log, const struct note *n,
    const struct ident *id, size_t *found, int *ok, struct rw_err *err)
{
	const struct sigline *sl;
	size_t i, nlen = strlen(id->name);
	int rc;

	*found = 0;
	*ok = 1;
	for (i = 0; i < n->nsigs && *ok; i++) {
		sl = &n->sigs[i];
		if (sl->hint != id->hint || sl->nlen != nlen ||
		    memcmp(sl->name, id->name, nlen) != 0)
			continue;
		(*found)++;
		rc = sig_key_verify(log->key, n->text, n->tlen,
		    sl->raw + HINT_LEN, sl->rawlen - HINT_LEN, ok, err);
		if (rc != RW_OK)
			return rc;
	}
	return RW_OK;
}

/* The verdict once N parsed: *GOOD and REASON, and CP when good. */
static int
verdict(const struct sig_tlog_key *log, const struct note *n,
    struct sig_checkpoint *cp, int *good, char *reason, size_t rsize,
    struct rw_err *err)
{
	struct ident id;
	char q[QBUF];
	size_t found;
	int ok, rc;

	if (ident(log, n, &id, reason, rsize) != 0)
		return RW_OK;
	rc = judge(log, n, &id, &found, &ok, err);
	if (rc != RW_OK)
		return rc;
	show(q, id.name, strlen(id.name));
	if (found == 0 || !ok) {
		say(reason, rsize, found == 0 ? "checkpoint has no signature by "
		    "log %s (key hint %08" PRIx32 ")" : "checkpoint signature by "
		    "log %s (key hint %08" PRIx32 ") does not verify", q, id.hint);
		return RW_OK;
	}
	memcpy(cp->origin, n->origin, n->olen);
	cp->origin[n->olen] = '\0';
	cp->size = n->size;
	memcpy(cp->root, n->root, HLEN);
	*good = 1;
	say(reason, rsize, "checkpoint of %s at size %" PRIu64 " signed by the "
	    "log (key hint %08" PRIx32 ")", show(q, n->origin, n->olen),
	    n->size, id.hint);
	return RW_OK;
}

int
sig_checkpoint_verify(const char *note, size_t len,
    const struct sig_tlog_key *log, struct sig_checkpoint *cp, int *good,
    char *reason, size_t rsize, struct rw_err *err)
{
	struct note *n;
	char why[160];
	int rc;

	if (good != NULL)
		*good = 0;
	if (cp != NULL)
		memset(cp, 0, sizeof(*cp));
	say(reason, rsize, "%s", "");
	if (note == NULL || log == NULL || log->key == NULL || cp == NULL ||
	    good == NULL || (reason == NULL && rsize > 0))
		return rw_err_set(err, RW_EINVAL, "checkpoint: missing "
		    "argument");
	/* About 5 KiB: kept off the stack of the MHD worker threads. */
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	why[0] = '\0';
	rc = parse_note(note, len, n, why, sizeof(why), err);
	if (rc == RW_OK && why[0] != '\0')
		say(reason, rsize, "checkpoint is malformed: %s", why);
	else if (rc == RW_OK)
		rc = verdict(log, n, cp, good, reason, rsize, err);
	note_cleanup(n);
	free(n);
	return rc;
}

/* -------------------------------------------------------- both at once */

int
sig_tlog_verify(const void *body, size_t blen, const struct sig_tlog_proof *p,
    const char *note, size_t nlen, const struct sig_tlog_key *log, int *good,
    char *reason, size_t rsize, struct rw_err *err)
{
	unsigned char leaf[HLEN];
	struct sig_checkpoint cp;
	char a[2 * HLEN + 4], b[2 * HLEN + 4];
	int rc;

	if (good != NULL)
		*good = 0;
	if (p == NULL || log == NULL || good == NULL)
		return rw_err_set(err, RW_EINVAL, "tlog entry: missing "
		    "argument");
	rc = sig_tlog_leaf_hash(body, blen, leaf, err);
	if (rc == RW_OK)
		rc = sig_tlog_inclusion_verify(leaf, p, good, reason, rsize,
		    err);
	if (rc != RW_OK || !*good)
		return rc;
	*good = 0;
	if (note == NULL) {
		say(reason, rsize, "inclusion proof has no checkpoint");
		return RW_OK;
	}
	rc = sig_checkpoint_verify(note, nlen, log, &cp, good, reason, rsize,
	    err);
	if (rc != RW_OK || !*good)
		return rc;
	/* The signature covers the checkpoint; it must be the proof's tree. */
	if (cp.size != p->size) {
		*good = 0;
		say(reason, rsize, "checkpoint size %" PRIu64 " is not the "
		    "inclusion proof's tree size %" PRIu64, cp.size, p->size);
	} else if (memcmp(cp.root, p->root, HLEN) != 0) {
		*good = 0;
		say(reason, rsize, "checkpoint root hash %s is not the inclusion "
		    "proof's root hash %s", hex_prefix(a, cp.root, 8),
		    hex_prefix(b, p->root, 8));
	}
	return RW_OK;
}
