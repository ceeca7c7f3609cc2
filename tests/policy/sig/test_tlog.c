/* test_tlog.c - inclusion proofs and checkpoints (policy/sig/tlog.h). */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Three kinds of rows: the Sigstore conformance bundles, one per case, as
 * the bundle verifier will judge them; Merkle trees of 1 to 17 leaves built
 * here by RFC 6962's own recursive definitions (MTH, PATH), the first eight
 * being the RFC 6962 reference leaves with their well-known roots; and
 * checkpoints signed here by throwaway Ed25519 and ECDSA logs, so that
 * each parsing rule is tested on a note whose signature is otherwise good.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "policy/sig/tlog.h"
#include "policy/sig/sig.h"
#include "policy/sig/internal.h"
#include "tests/testutil.h"

#define N(a)		(sizeof(a) / sizeof((a)[0]))
#define HLEN		SIG_TLOG_HASH_LEN
#define RMAX		512
#define BV_DIR		RW_SOURCE_DIR \
	"/tests/fixtures/sigstore-conformance/bundle-verify"
#define GOOD_ROOT	RW_SOURCE_DIR \
	"/tests/fixtures/sigstore-conformance/trusted_root.public-good.json"
#define EM		"\xe2\x80\x94 "
/* The synthetic logs' baseUrl, and so their origin: its host alone. */
#define TEST_URL	"https://test.example.log:8443/path"
#define TEST_ORIGIN	"test.example.log"
#define MAX_LEAVES	17

/* ---------------------------------------------------------------- helpers */

static unsigned char *
unb64(const char *s, size_t *len)
{
	unsigned char *out = NULL;
	struct rw_err err;

	rw_err_clear(&err);
	assert_int_equal(sig_b64_decode(s, strlen(s), 0, &out, len, &err),
	    RW_OK);
	return out;
}

/* SHA-256 of DATA, computed here without the code under test. */
static void
sha_plain(const void *data, size_t len, unsigned char out[HLEN])
{
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL),
	    1);
	assert_int_equal(n, HLEN);
}

/* SHA-256(PREFIX || A || B), the RFC 6962 leaf and node hashes. */
static void
sha(unsigned char prefix, const void *a, size_t alen, const void *b,
    size_t blen, unsigned char out[HLEN])
{
	unsigned char *buf = malloc(1 + alen + blen);

	assert_non_null(buf);
	buf[0] = prefix;
	if (alen > 0)
		memcpy(buf + 1, a, alen);
	if (blen > 0)
		memcpy(buf + 1 + alen, b, blen);
	sha_plain(buf, 1 + alen + blen, out);
	free(buf);
}

/* ------------------------------------------------- conformance bundles */

/* One tlog entry of a bundle, and the trusted log it names. */
struct entry {
	unsigned char		*body;
	size_t			 blen;
	unsigned char		(*hashes)[HLEN];
	struct sig_tlog_proof	 p;
	char			*note;	/* NULL: the bundle has none */
	struct sig_trustroot	*tr;
	const struct sig_tlog_key *log;
};

static uint64_t
u64_of(json_t *v)
{
	unsigned long long x;
	char *end;

	assert_true(json_is_string(v));
	errno = 0;
	x = strtoull(json_string_value(v), &end, 10);
	assert_true(*end == '\0' && errno == 0);
	return x;
}

static void
proof_load(json_t *ip, struct entry *e)
{
	json_t *h, *env;
	unsigned char *b;
	size_t i, n;

	e->p.index = u64_of(json_object_get(ip, "logIndex"));
	e->p.size = u64_of(json_object_get(ip, "treeSize"));
	b = unb64(json_string_value(json_object_get(ip, "rootHash")), &n);
	assert_int_equal(n, HLEN);
	memcpy(e->p.root, b, HLEN);
	free(b);
	h = json_object_get(ip, "hashes");
	e->hashes = calloc(json_array_size(h) + 1, HLEN);
	assert_non_null(e->hashes);
	for (i = 0; i < json_array_size(h); i++) {
		b = unb64(json_string_value(json_array_get(h, i)), &n);
		assert_int_equal(n, HLEN);
		memcpy(e->hashes[i], b, HLEN);
		free(b);
	}
	e->p.hashes = (const unsigned char (*)[HLEN])e->hashes;
	e->p.nhashes = json_array_size(h);
	env = json_object_get(json_object_get(ip, "checkpoint"), "envelope");
	e->note = json_is_string(env) ? strdup(json_string_value(env)) : NULL;
}

/* The trusted root of case NAME (its own, else public-good), and the log
 * whose log id is KEY_ID. */
static void
log_load(const char *name, const unsigned char *key_id, struct entry *e)
{
	char path[512], *json;
	struct rw_err err;
	size_t len, i;

	snprintf(path, sizeof(path), "%s/%s/trusted_root.json", BV_DIR, name);
	json = tu_slurp(access(path, R_OK) == 0 ? path : GOOD_ROOT, &len);
	rw_err_clear(&err);
	assert_int_equal(sig_trustroot_parse(json, len, 0, &e->tr, &err),
	    RW_OK);
	free(json);
	for (i = 0; i < e->tr->ntlogs && e->log == NULL; i++)
		if (e->tr->tlogs[i].has_log_id &&
		    memcmp(e->tr->tlogs[i].log_id, key_id, HLEN) == 0)
			e->log = &e->tr->tlogs[i];
	assert_non_null(e->log);
}

static void
entry_load(const char *name, struct entry *e)
{
	char path[512], *text;
	json_t *doc, *tle;
	unsigned char *id;
	size_t n;

	memset(e, 0, sizeof(*e));
	snprintf(path, sizeof(path), "%s/%s/bundle.sigstore.json", BV_DIR,
	    name);
	text = tu_slurp(path, NULL);
	doc = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(doc);
	tle = json_array_get(json_object_get(json_object_get(doc,
	    "verificationMaterial"), "tlogEntries"), 0);
	e->body = unb64(json_string_value(json_object_get(tle,
	    "canonicalizedBody")), &e->blen);
	proof_load(json_object_get(tle, "inclusionProof"), e);
	id = unb64(json_string_value(json_object_get(json_object_get(tle,
	    "logId"), "keyId")), &n);
	assert_int_equal(n, HLEN);
	log_load(name, id, e);
	free(id);
	json_decref(doc);
}

static void
entry_free(struct entry *e)
{
	free(e->body);
	free(e->hashes);
	free(e->note);
	sig_trustroot_free(e->tr);
}

struct row {
	const char	*name;
	int		 good;
	const char	*reason;	/* verbatim, or NULL */
	const char	*prefix;	/* what the reason starts with */
	const char	*note_from;	/* judge another case's checkpoint */
};

#define V1_GOOD		"checkpoint of rekor.sigstore.dev - "
#define V2_GOOD		"checkpoint of log2025-alpha1.rekor.sigstage.dev " \
	"at size 736 signed by the log (key hint f30d5a99)"
#define V2_SHORT	"checkpoint is malformed: the text has 2 lines, not " \
	"origin, size and root hash"

static const struct row rows[] = {
	{ "happy-path-v0.2", 1, V1_GOOD "2605736670972794746 at size "
	    "23083062 signed by the log (key hint c0d23d6a)", NULL, NULL },
	{ "happy-path-v0.3", 1, V1_GOOD "2605736670972794746 at size "
	    "75408393 signed by the log (key hint c0d23d6a)", NULL, NULL },
	{ "happy-path-intoto-in-dsse-v3", 1, V1_GOOD "1193050959916656506 at "
	    "size 33786589 signed by the log (key hint c0d23d6a)", NULL, NULL },
	{ "managed-key-happy-path", 1, NULL, V1_GOOD "1193050959916656506 ",
	    NULL },
	{ "happy-path-v0.1", 1, NULL, V1_GOOD "2605736670972794746 ", NULL },
	/* A log of one leaf: no hashes, the root is the leaf. */
	{ "intoto-with-custom-trust-root", 1, NULL, "checkpoint of "
	    "localhost:8000 - 124190645164477 at size 1 signed by the log (key "
	    "hint f726caa3)", NULL },
	{ "rekor2-happy-path", 1, V2_GOOD, NULL, NULL },
	{ "rekor2-checkpoint-cosigned", 1, V2_GOOD, NULL, NULL },
	{ "rekor2-checkpoint-multiple-cosigs", 1, V2_GOOD, NULL, NULL },
	{ "rekor2-checkpoint-two-sigs-cosigned", 1, V2_GOOD, NULL, NULL },
	{ "rekor2-checkpoint-two-sigs-from-origin", 1, V2_GOOD, NULL, NULL },
	{ "rekor2-dsse-happy-path", 1, "checkpoint of log2025-alpha3.rekor."
	    "sigstage.dev at size 4026479 signed by the log (key hint "
	    "d3d3a70c)", NULL, NULL },
	{ "inclusion-proof-corrupted-hash_fail", 0, "inclusion proof of leaf "
	    "75408392 in a tree of 75408393 does not lead to its root hash "
	    "1679e3d7752ed637...", NULL, NULL },
	{ "invalid-inclusion-proof_fail", 0, NULL, "inclusion proof of leaf "
	    "19813533 in a tree of 19813536 does not lead to", NULL },
	{ "checkpoint-bad-keyhint_fail", 0, "checkpoint has no signature by "
	    "log rekor.sigstore.dev (key hint c0d23d6a)", NULL, NULL },
	{ "invalid-checkpoint-signature_fail", 0, "checkpoint signature by "
	    "log rekor.sigstore.dev (key hint c0d23d6a) does not verify", NULL,
	    NULL },
	{ "rekor2-checkpoint-missing-log-signature_fail", 0, "checkpoint is "
	    "malformed: no signature lines", NULL, NULL },
	{ "rekor2-checkpoint-missing-origin_fail", 0, V2_SHORT, NULL, NULL },
	{ "rekor2-checkpoint-missing-root-hash_fail", 0, V2_SHORT, NULL,
	    NULL },
	{ "rekor2-checkpoint-missing-size_fail", 0, V2_SHORT, NULL, NULL },
	{ "rekor2-checkpoint-no-matching-signature_fail", 0, "checkpoint "
	    "origin \"log2025-alpha1.rekor.github.dev\" is not log "
	    "log2025-alpha1.rekor.sigstage.dev", NULL, NULL },
	/* A good proof, and a good checkpoint of the same log, another size. */
	{ "happy-path-v0.3", 0, "checkpoint size 23083062 is not the "
	    "inclusion proof's tree size 75408393", NULL, "happy-path-v0.2" },
	{ "happy-path-v0.2", 0, "checkpoint size 75408393 is not the "
	    "inclusion proof's tree size 23083062", NULL, "happy-path-v0.3" },
};

static void
one_row(const struct row *r)
{
	struct entry e, other;
	char reason[RMAX];
	struct rw_err err;
	const char *note;
	int good = -1;

	entry_load(r->name, &e);
	memset(&other, 0, sizeof(other));
	if (r->note_from != NULL)
		entry_load(r->note_from, &other);
	note = r->note_from != NULL ? other.note : e.note;
	rw_err_clear(&err);
	assert_int_equal(sig_tlog_verify(e.body, e.blen, &e.p, note,
	    note != NULL ? strlen(note) : 0, e.log, &good, reason,
	    sizeof(reason), &err), RW_OK);
	if (good != r->good || (r->reason != NULL &&
	    strcmp(reason, r->reason) != 0) || (r->prefix != NULL &&
	    strncmp(reason, r->prefix, strlen(r->prefix)) != 0))
		fail_msg("%s: good %d, reason \"%s\"", r->name, good, reason);
	if (r->note_from != NULL)
		entry_free(&other);
	entry_free(&e);
}

static void
test_conformance(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(rows); i++)
		one_row(&rows[i]);
}

/* The failing proof fixtures fail on their own, whatever the checkpoint. */
static void
test_conformance_proofs(void **state)
{
	static const char *const bad[] = {
		"inclusion-proof-corrupted-hash_fail",
		"invalid-inclusion-proof_fail" };
	unsigned char leaf[HLEN];
	struct entry e;
	struct rw_err err;
	size_t i;
	int good;

	(void)state;
	for (i = 0; i < N(bad); i++) {
		entry_load(bad[i], &e);
		rw_err_clear(&err);
		assert_int_equal(sig_tlog_leaf_hash(e.body, e.blen, leaf,
		    &err), RW_OK);
		assert_int_equal(sig_tlog_inclusion_verify(leaf, &e.p, &good,
		    NULL, 0, &err), RW_OK);
		assert_int_equal(good, 0);
		entry_free(&e);
	}
}

/* ------------------------------------------------------- Merkle trees */

/* The RFC 6962 reference leaves and the roots of their first N. */
static const struct {
	const char	*data;
	size_t		 len;
	const char	*root;
} ref[] = {
	{ "", 0, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" },
	{ "\x00", 1, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" },
	{ "\x10", 1, "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77" },
	{ "\x20\x21", 2, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" },
	{ "\x30\x31", 2, "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4" },
	{ "\x40\x41\x42\x43", 4, "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef" },
	{ "\x50\x51\x52\x53\x54\x55\x56\x57", 8, "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c" },
	{ "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
	    16, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328" },
};

/* The largest power of two below N (N > 1). */
static size_t
split(size_t n)
{
	size_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[LO:HI]) of RFC 6962 §2.1, over the leaf hashes L. */
static void
mth(unsigned char (*l)[HLEN], size_t lo, size_t hi, unsigned char out[HLEN])
{
	unsigned char a[HLEN], b[HLEN];
	size_t k;

	if (hi - lo == 1) {
		memcpy(out, l[lo], HLEN);
		return;
	}
	k = split(hi - lo);
	mth(l, lo, lo + k, a);
	mth(l, lo + k, hi, b);
	sha(0x01, a, HLEN, b, HLEN, out);
}

/*
 * PATH(M, D[LO:HI]) of RFC 6962 §2.1.1, leaf to root, appended to OUT (may
 * be NULL), with which side each sibling hangs on appended to DIRS: 'r'
 * when the sibling is on the right, 'l' on the left.
 */
static void
path(unsigned char (*l)[HLEN], size_t m, size_t lo, size_t hi,
    unsigned char (*out)[HLEN], char *dirs, size_t *n)
{
	size_t k;

	if (hi - lo <= 1)
		return;
	k = split(hi - lo);
	if (m < k)
		path(l, m, lo, lo + k, out, dirs, n);
	else
		path(l, m - k, lo + k, hi, out, dirs, n);
	if (out != NULL)
		mth(l, m < k ? lo + k : lo, m < k ? hi : lo + k, out[*n]);
	dirs[(*n)++] = m < k ? 'r' : 'l';
	dirs[*n] = '\0';
}

/* Leaf hashes of the reference leaves, then of "leaf 8", "leaf 9", ... */
static void
leaves(unsigned char (*l)[HLEN])
{
	char buf[32];
	unsigned char mine[HLEN];
	struct rw_err err;
	const void *d;
	size_t i, len;

	rw_err_clear(&err);
	for (i = 0; i < MAX_LEAVES; i++) {
		d = buf;
		len = (size_t)snprintf(buf, sizeof(buf), "leaf %zu", i);
		if (i < N(ref)) {
			d = ref[i].data;
			len = ref[i].len;
		}
		assert_int_equal(sig_tlog_leaf_hash(d, len, l[i], &err), RW_OK);
		sha(0x00, d, len, NULL, 0, mine);
		assert_memory_equal(l[i], mine, HLEN);
	}
}

/* Judge a proof; returns *good, asserting it was an evaluation. */
static int
incl(const unsigned char leaf[HLEN], const struct sig_tlog_proof *p,
    char *reason)
{
	struct rw_err err;
	int good = -1;

	rw_err_clear(&err);
	assert_int_equal(sig_tlog_inclusion_verify(leaf, p, &good, reason,
	    reason != NULL ? RMAX : 0, &err), RW_OK);
	return good;
}

static void
test_merkle_reference_roots(void **state)
{
	unsigned char l[MAX_LEAVES][HLEN], root[HLEN], want[HLEN];
	size_t n;

	(void)state;
	leaves(l);
	for (n = 1; n <= N(ref); n++) {
		mth(l, 0, n, root);
		tu_unhex(ref[n - 1].root, want, HLEN);
		assert_memory_equal(root, want, HLEN);
	}
}

/*
 * Proof P of leaf M in a tree of N fails once any one thing about it
 * changes: a bit of any hash, the leaf, the root, the index, or a hash
 * more or less.  H has room for one hash more.
 */
static void
tamper(unsigned char (*l)[HLEN], size_t n, size_t m,
    struct sig_tlog_proof *p, unsigned char (*h)[HLEN])
{
	unsigned char leaf[HLEN];
	char r[RMAX], want[RMAX];
	size_t i, j;

	for (i = 0; i < p->nhashes; i++)
		for (j = 0; j < 8 * HLEN; j += 37) {
			h[i][j / 8] ^= (unsigned char)(1u << (j % 8));
			assert_int_equal(incl(l[m], p, NULL), 0);
			h[i][j / 8] ^= (unsigned char)(1u << (j % 8));
		}
	memcpy(leaf, l[m], HLEN);
	leaf[HLEN - 1] ^= 1;
	assert_int_equal(incl(leaf, p, NULL), 0);
	p->root[0] ^= 0x80;
	assert_int_equal(incl(l[m], p, NULL), 0);
	p->root[0] ^= 0x80;
	for (i = 0; i < n; i++) {
		p->index = i;
		assert_int_equal(incl(l[m], p, NULL), i == m);
	}
	p->index = m;
	p->nhashes++;
	assert_int_equal(incl(l[m], p, r), 0);
	p->nhashes--;
	snprintf(want, sizeof(want), "inclusion proof has %zu hash%s; leaf %zu "
	    "of a tree of %zu needs %zu", p->nhashes + 1, p->nhashes == 0 ?
	    "" : "es", m, n, p->nhashes);
	assert_string_equal(r, want);
	if (p->nhashes > 0) {
		p->nhashes--;
		assert_int_equal(incl(l[m], p, NULL), 0);
		p->nhashes++;
	}
	assert_int_equal(incl(l[m], p, NULL), 1);
}

/*
 * The same proof for other sizes: it can only pass where RFC 6962's PATH
 * takes the very same turns (then the walk hashes the same things), and
 * must pass there; see test_merkle_size_not_bound.
 */
static void
other_sizes(unsigned char (*l)[HLEN], size_t n, size_t m,
    struct sig_tlog_proof *p, const char *dirs)
{
	char other[64];
	size_t k, len;

	for (k = 0; k <= MAX_LEAVES + 1; k++) {
		if (k == n)
			continue;
		len = 0;
		other[0] = '\0';
		if (k > m)
			path(l, m, 0, k, NULL, other, &len);
		p->size = k;
		assert_int_equal(incl(l[m], p, NULL),
		    k > m && strcmp(other, dirs) == 0);
	}
	p->size = n;
}

static void
test_merkle_trees(void **state)
{
	unsigned char l[MAX_LEAVES][HLEN], h[MAX_LEAVES + 1][HLEN];
	struct sig_tlog_proof p;
	char dirs[64];
	size_t n, m;

	(void)state;
	leaves(l);
	for (n = 1; n <= MAX_LEAVES; n++)
		for (m = 0; m < n; m++) {
			memset(&p, 0, sizeof(p));
			memset(h, 0, sizeof(h));
			dirs[0] = '\0';
			path(l, m, 0, n, h, dirs, &p.nhashes);
			mth(l, 0, n, p.root);
			p.index = m;
			p.size = n;
			p.hashes = (const unsigned char (*)[HLEN])h;
			assert_int_equal(incl(l[m], &p, NULL), 1);
			tamper(l, n, m, &p, h);
			other_sizes(l, n, m, &p, dirs);
		}
}

/*
 * A proof binds the leaf to the root, not to the size: leaf 0 of a tree
 * of 3 takes the same turns as in a tree of 4 (sibling on the right
 * twice), so its proof "proves" the 3-leaf root for size 4 too.  This is
 * why the size must come from the signed checkpoint, which
 * sig_tlog_verify compares.
 */
static void
test_merkle_size_not_bound(void **state)
{
	unsigned char l[MAX_LEAVES][HLEN], h[4][HLEN];
	struct sig_tlog_proof p;
	char dirs[8];

	(void)state;
	leaves(l);
	memset(&p, 0, sizeof(p));
	path(l, 0, 0, 3, h, dirs, &p.nhashes);
	assert_string_equal(dirs, "rr");
	mth(l, 0, 3, p.root);
	p.hashes = (const unsigned char (*)[HLEN])h;
	p.size = 4;
	assert_int_equal(incl(l[0], &p, NULL), 1);
	p.size = 2;
	assert_int_equal(incl(l[0], &p, NULL), 0);
}

static void
test_merkle_edges(void **state)
{
	unsigned char l[MAX_LEAVES][HLEN], h[66][HLEN];
	struct sig_tlog_proof p;
	char r[RMAX];

	(void)state;
	leaves(l);
	memset(&p, 0, sizeof(p));
	memset(h, 0, sizeof(h));
	p.hashes = (const unsigned char (*)[HLEN])h;
	/* Size 1: no hashes, and the root is the leaf. */
	p.size = 1;
	memcpy(p.root, l[0], HLEN);
	assert_int_equal(incl(l[0], &p, r), 1);
	assert_string_equal(r, "inclusion proof of leaf 0 in a tree of 1 "
	    "leads to its root hash 6e340b9cffb37a98...");
	assert_int_equal(incl(l[1], &p, r), 0);
	assert_string_equal(r, "inclusion proof of leaf 0 in a tree of 1 "
	    "does not lead to its root hash 6e340b9cffb37a98...");
	p.nhashes = 1;
	assert_int_equal(incl(l[0], &p, r), 0);
	assert_string_equal(r, "inclusion proof has 1 hash; leaf 0 of a "
	    "tree of 1 needs 0");
	/* Size 0, and an index past the end. */
	p.nhashes = 0;
	p.size = 0;
	assert_int_equal(incl(l[0], &p, r), 0);
	assert_string_equal(r, "inclusion proof: leaf index 0 is not below "
	    "tree size 0");
	p.index = 8;
	p.size = 8;
	p.nhashes = 3;
	assert_int_equal(incl(l[0], &p, r), 0);
	assert_string_equal(r, "inclusion proof: leaf index 8 is not below "
	    "tree size 8");
	/* The largest trees: 63 and 64 hashes, walked without overflow. */
	p.index = UINT64_MAX - 1;
	p.size = UINT64_MAX;
	p.nhashes = 63;
	assert_int_equal(incl(l[0], &p, r), 0);
	assert_non_null(strstr(r, "does not lead to"));
	p.index = UINT64_C(1) << 63;
	p.nhashes = 64;
	assert_int_equal(incl(l[0], &p, r), 0);
	assert_non_null(strstr(r, "does not lead to"));
	p.nhashes = 65;
	assert_int_equal(incl(l[0], &p, r), 0);
	assert_string_equal(r, "inclusion proof has 65 hashes; leaf "
	    "9223372036854775808 of a tree of 18446744073709551615 needs 64");
}

static void
test_merkle_args(void **state)
{
	unsigned char leaf[HLEN] = { 0 }, empty[HLEN];
	struct sig_tlog_proof p;
	struct rw_err err;
	int good = 7;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.size = 2;
	p.nhashes = 1;		/* and no hashes */
	rw_err_clear(&err);
	assert_int_equal(sig_tlog_inclusion_verify(leaf, &p, &good, NULL, 0,
	    &err), RW_EINVAL);
	assert_int_equal(good, 0);
	assert_int_equal(sig_tlog_inclusion_verify(NULL, &p, &good, NULL, 0,
	    &err), RW_EINVAL);
	assert_int_equal(sig_tlog_inclusion_verify(leaf, NULL, &good, NULL, 0,
	    &err), RW_EINVAL);
	assert_int_equal(sig_tlog_inclusion_verify(leaf, &p, NULL, NULL, 0,
	    &err), RW_EINVAL);
	p.nhashes = 0;
	assert_int_equal(sig_tlog_inclusion_verify(leaf, &p, &good, NULL, 10,
	    &err), RW_EINVAL);
	assert_int_equal(sig_tlog_leaf_hash(NULL, 1, leaf, &err), RW_EINVAL);
	assert_int_equal(sig_tlog_leaf_hash(NULL, 0, leaf, &err), RW_OK);
	tu_unhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    empty, HLEN);
	assert_memory_equal(leaf, empty, HLEN);
}

/* ---------------------------------------------------- synthetic logs */

/* A throwaway log: its key, a trusted root naming it, its key hint. */
struct tlog_fix {
	EVP_PKEY		*pk;
	int			 ed;
	struct sig_trustroot	*tr;
	const struct sig_tlog_key *log;
	uint32_t		 hint;
};

static uint32_t
be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/*
 * The key hint by the rules of policy/sig/tlog.h, worked out here from the key:
 * Ed25519, SHA-256(origin "\n" 0x01 raw key); else SHA-256(DER SPKI).
 */
static uint32_t
hint_of(EVP_PKEY *pk, int ed, const unsigned char *der, size_t dlen)
{
	unsigned char buf[128], id[HLEN];
	size_t rlen = 32, olen = strlen(TEST_ORIGIN);

	if (!ed) {
		sha_plain(der, dlen, id);
		return be32(id);
	}
	memcpy(buf, TEST_ORIGIN "\n\x01", olen + 2);
	assert_int_equal(EVP_PKEY_get_raw_public_key(pk, buf + olen + 2,
	    &rlen), 1);
	sha_plain(buf, olen + 2 + rlen, id);
	return be32(id);
}

static void
fix_init(struct tlog_fix *f, int ed, int with_url)
{
	unsigned char *der = NULL;
	char b64[256], json[1024];
	struct rw_err err;
	int dlen;

	memset(f, 0, sizeof(*f));
	f->ed = ed;
	f->pk = ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(f->pk);
	dlen = i2d_PUBKEY(f->pk, &der);
	assert_true(dlen > 0);
	EVP_EncodeBlock((unsigned char *)b64, der, dlen);
	f->hint = hint_of(f->pk, ed, der, (size_t)dlen);
	OPENSSL_free(der);
	snprintf(json, sizeof(json), "{\"tlogs\":[{%s\"hashAlgorithm\":"
	    "\"SHA2_256\",\"publicKey\":{\"rawBytes\":\"%s\",\"keyDetails\":"
	    "\"%s\",\"validFor\":{\"start\":\"2020-01-01T00:00:00Z\"}}}]}",
	    with_url ? "\"baseUrl\":\"" TEST_URL "\"," : "", b64,
	    ed ? "PKIX_ED25519" : "PKIX_ECDSA_P256_SHA_256");
	rw_err_clear(&err);
	assert_int_equal(sig_trustroot_parse(json, strlen(json),
	    SIG_TROOT_REKOR_ONLY, &f->tr, &err), RW_OK);
	f->log = &f->tr->tlogs[0];
}

static void
fix_free(struct tlog_fix *f)
{
	EVP_PKEY_free(f->pk);
	sig_trustroot_free(f->tr);
}

/* "— NAME base64(HINT || F's signature over TEXT)\n" into OUT. */
static void
sig_line(const struct tlog_fix *f, const char *text, const char *name,
    uint32_t hint, char *out, size_t size)
{
	unsigned char buf[4 + 256];
	char b64[400];
	size_t slen = sizeof(buf) - 4;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	assert_non_null(c);
	buf[0] = (unsigned char)(hint >> 24);
	buf[1] = (unsigned char)(hint >> 16);
	buf[2] = (unsigned char)(hint >> 8);
	buf[3] = (unsigned char)hint;
	assert_int_equal(EVP_DigestSignInit_ex(c, NULL, f->ed ? NULL :
	    "SHA256", NULL, NULL, f->pk, NULL), 1);
	assert_int_equal(EVP_DigestSign(c, buf + 4, &slen,
	    (const unsigned char *)text, strlen(text)), 1);
	EVP_MD_CTX_free(c);
	EVP_EncodeBlock((unsigned char *)b64, buf, (int)(4 + slen));
	assert_true((size_t)snprintf(out, size, EM "%s %s\n", name, b64) <
	    size);
}

/* TEXT, a blank line, and the line NAME signs with F's hint (new). */
static char *
note_by(const struct tlog_fix *f, const char *text, const char *name)
{
	size_t size = strlen(text) + 512;
	char *note = malloc(size);

	assert_non_null(note);
	snprintf(note, size, "%s\n", text);
	sig_line(f, text, name, f->hint, note + strlen(note),
	    size - strlen(note));
	return note;
}

/* A good note of the log (unless TEXT is bad). */
static char *
signed_note(const struct tlog_fix *f, const char *text)
{
	return note_by(f, text, TEST_ORIGIN);
}

/* Judge NOTE (LEN bytes) with F's log: *GOOD, reason into R. */
static int
judge_len(const struct tlog_fix *f, const char *note, size_t len, char *r,
    struct sig_checkpoint *cp)
{
	struct sig_checkpoint mine;
	struct rw_err err;
	int good = -1;

	rw_err_clear(&err);
	assert_int_equal(sig_checkpoint_verify(note, len, f->log,
	    cp != NULL ? cp : &mine, &good, r, RMAX, &err), RW_OK);
	return good;
}

static int
judge(const struct tlog_fix *f, const char *note, char *r)
{
	return judge_len(f, note, strlen(note), r, NULL);
}

/* A root hash line: base64 of 32 bytes of 0xab. */
#define ROOT_B64	"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="
/* 64 bytes: origin 0-15, size 17, root 19-62; an extension starts at 64. */
#define TEXT(size)	TEST_ORIGIN "\n" size "\n" ROOT_B64 "\n"
#define MALFORMED	"checkpoint is malformed: "
#define GOOD5		"checkpoint of " TEST_ORIGIN " at size 5 signed by " \
	"the log (key hint "
#define BAD_BYTE(n)	MALFORMED "byte " #n " is a control character or not " \
	"UTF-8"

/* Checkpoint texts, each signed well by the log: what the text is worth. */
static const struct {
	const char	*text;
	int		 good;
	const char	*reason;	/* what it starts with */
} texts[] = {
	{ TEXT("5"), 1, GOOD5 },
	{ TEXT("0"), 1, "checkpoint of " TEST_ORIGIN " at size 0 " },
	{ TEXT("18446744073709551615"), 1, "checkpoint of " TEST_ORIGIN
	    " at size 18446744073709551615 " },
	{ TEXT("5") "Timestamp: 1689177396617352539\nmore\n", 1, GOOD5 },
	{ TEXT("5") "caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x8c\x8d\x7f\n", 1, GOOD5 },
	{ TEXT("05"), 0, MALFORMED "the size line is not a decimal number "
	    "without sign or leading zeros" },
	{ TEXT("00"), 0, MALFORMED "the size line" },
	{ TEXT("+5"), 0, MALFORMED "the size line" },
	{ TEXT("-5"), 0, MALFORMED "the size line" },
	{ TEXT(" 5"), 0, MALFORMED "the size line" },
	{ TEXT("5 "), 0, MALFORMED "the size line" },
	{ TEXT("0x5"), 0, MALFORMED "the size line" },
	{ TEXT("5e3"), 0, MALFORMED "the size line" },
	{ TEXT("18446744073709551616"), 0, MALFORMED "the size line" },
	{ TEXT("99999999999999999999"), 0, MALFORMED "the size line" },
	{ TEXT("\xd9\xa5"), 0, MALFORMED "the size line" },	/* Arabic 5 */
	{ TEST_ORIGIN "\n5\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s\n", 0,
	    MALFORMED "the root hash line is not base64 of 32 bytes" },
	{ TEST_ORIGIN "\n5\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urqw==\n",
	    0, MALFORMED "the root hash line" },		/* 31 bytes */
	{ TEST_ORIGIN "\n5\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6ur\n",
	    0, MALFORMED "the root hash line" },		/* 33 bytes */
	{ TEST_ORIGIN "\n5\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6t=\n",
	    0, MALFORMED "the root hash line" },		/* bits left */
	{ TEST_ORIGIN "\n5\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6*=\n",
	    0, MALFORMED "the root hash line" },
	{ TEST_ORIGIN "\n5\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6ur q6s=\n",
	    0, MALFORMED "the root hash line" },
	{ TEST_ORIGIN "\n5\n" ROOT_B64 "\r\n", 0, BAD_BYTE(63) },
	{ TEXT("5") "tab\there\n", 0, BAD_BYTE(67) },
	{ TEXT("5") "\xc0\x80\n", 0, BAD_BYTE(64) },		/* overlong */
	{ TEXT("5") "\xed\xa0\x80\n", 0, BAD_BYTE(64) },	/* surrogate */
	{ TEXT("5") "\xf4\x90\x80\x80\n", 0, BAD_BYTE(64) },	/* > U+10FFFF */
	{ TEXT("5") "\xe2\x80\n", 0, BAD_BYTE(64) },		/* cut short */
	{ TEXT("5") "\x80\n", 0, BAD_BYTE(64) },
	{ TEXT("5") "\x1b[31m\n", 0, BAD_BYTE(64) },
	{ "other.example\n5\n" ROOT_B64 "\n", 0, "checkpoint origin "
	    "\"other.example\" is not log " TEST_ORIGIN },
	{ TEST_ORIGIN "/\n5\n" ROOT_B64 "\n", 0, "checkpoint origin "
	    "\"" TEST_ORIGIN "/\" is not log " TEST_ORIGIN },
	{ "https://" TEST_ORIGIN "\n5\n" ROOT_B64 "\n", 0, "checkpoint origin "
	    "\"https://" TEST_ORIGIN "\" is not log " TEST_ORIGIN },
	/* Rekor v1's form means nothing for an Ed25519 log. */
	{ TEST_ORIGIN " - 42\n5\n" ROOT_B64 "\n", 0, "checkpoint origin "
	    "\"" TEST_ORIGIN " - 42\" is not log " TEST_ORIGIN },
	{ TEST_ORIGIN "\n5\n", 0, MALFORMED "the text has 2 lines, not "
	    "origin, size and root hash" },
	{ TEST_ORIGIN "\n", 0, MALFORMED "the text has 1 line, not" },
	{ "\n5\n" ROOT_B64 "\n", 0, MALFORMED "the origin line is empty or "
	    "longer than 255 bytes" },
};

static void
test_checkpoint_texts(void **state)
{
	struct tlog_fix f;
	struct sig_checkpoint cp;
	unsigned char root[HLEN];
	char r[RMAX], *note;
	size_t i;
	int good;

	(void)state;
	fix_init(&f, 1, 1);
	memset(root, 0xab, sizeof(root));
	for (i = 0; i < N(texts); i++) {
		note = signed_note(&f, texts[i].text);
		good = judge_len(&f, note, strlen(note), r, &cp);
		if (good != texts[i].good ||
		    strncmp(r, texts[i].reason, strlen(texts[i].reason)) != 0)
			fail_msg("text %zu: good %d, reason \"%s\"", i, good, r);
		if (good) {
			assert_string_equal(cp.origin, TEST_ORIGIN);
			assert_memory_equal(cp.root, root, HLEN);
		} else
			assert_true(cp.size == 0 && cp.origin[0] == '\0');
		free(note);
	}
	fix_free(&f);
}

/* The origin line: 255 bytes parse (and are not the log), 256 do not. */
static void
test_checkpoint_origin_len(void **state)
{
	struct tlog_fix f;
	char text[512], r[RMAX], *note;

	(void)state;
	fix_init(&f, 1, 1);
	memset(text, 'o', 255);
	snprintf(text + 255, sizeof(text) - 255, "\n5\n%s\n", ROOT_B64);
	note = signed_note(&f, text);
	assert_int_equal(judge(&f, note, r), 0);
	assert_non_null(strstr(r, "ooo...\" is not log " TEST_ORIGIN));
	free(note);
	memset(text, 'o', 256);
	snprintf(text + 256, sizeof(text) - 256, "\n5\n%s\n", ROOT_B64);
	note = signed_note(&f, text);
	assert_int_equal(judge(&f, note, r), 0);
	assert_string_equal(r, MALFORMED "the origin line is empty or longer "
	    "than 255 bytes");
	free(note);
	fix_free(&f);
}

/* TEXT("5"), a blank line, then LINES; judged. */
static int
with_lines(const struct tlog_fix *f, const char *lines, char *r)
{
	char note[8192];

	assert_true((size_t)snprintf(note, sizeof(note), "%s\n%s", TEXT("5"),
	    lines) < sizeof(note));
	return judge(f, note, r);
}

static void
test_checkpoint_layout(void **state)
{
	struct tlog_fix f;
	char r[RMAX], good[512], note[2048];

	(void)state;
	fix_init(&f, 1, 1);
	sig_line(&f, TEXT("5"), TEST_ORIGIN, f.hint, good, sizeof(good));
	assert_int_equal(with_lines(&f, good, r), 1);
	/* No blank line: the signature line would be text. */
	snprintf(note, sizeof(note), "%s%s", TEXT("5"), good);
	assert_int_equal(judge(&f, note, r), 0);
	assert_string_equal(r, MALFORMED "no blank line ends the text");
	assert_int_equal(judge(&f, "", r), 0);
	assert_string_equal(r, MALFORMED "no blank line ends the text");
	assert_int_equal(with_lines(&f, "", r), 0);
	assert_string_equal(r, MALFORMED "no signature lines");
	snprintf(note, sizeof(note), "%s\n%s", TEXT("5"), good);
	note[strlen(note) - 1] = '\0';
	assert_int_equal(judge(&f, note, r), 0);
	assert_string_equal(r, MALFORMED "it does not end with a newline");
	/* A blank line among the signatures, or a second one before them. */
	snprintf(note, sizeof(note), "%s\n", good);
	assert_int_equal(with_lines(&f, note, r), 0);
	assert_string_equal(r, MALFORMED "signature line 2 does not start "
	    "with an em dash and a space");
	snprintf(note, sizeof(note), "\n%s", good);
	assert_int_equal(with_lines(&f, note, r), 0);
	assert_string_equal(r, MALFORMED "signature line 1 does not start "
	    "with an em dash and a space");
	/* A NUL, which a C string would have hidden. */
	snprintf(note, sizeof(note), "%s\n%s", TEXT("5"), good);
	note[20] = '\0';
	assert_int_equal(judge_len(&f, note, strlen(TEXT("5")) + 1 +
	    strlen(good), r, NULL), 0);
	assert_string_equal(r, BAD_BYTE(20));
	fix_free(&f);
}

/* GOOD (the log's line) followed by LINE, which is wrong: WHY, verbatim. */
static void
bad_witness(const struct tlog_fix *f, const char *good, const char *line,
    const char *why)
{
	char lines[1024], r[RMAX];

	snprintf(lines, sizeof(lines), "%s%s", good, line);
	if (with_lines(f, lines, r) != 0 || strcmp(r, why) != 0)
		fail_msg("\"%s\": \"%s\"", line, r);
}

#define BAD_DASH	MALFORMED "signature line 2 does not start with an " \
	"em dash and a space"
#define BAD_NAME	MALFORMED "signature line 2 has no name, or one with " \
	"white space or '+'"
#define BAD_B64		MALFORMED "signature line 2 is not base64 of a key " \
	"hint and a signature"

/* LINES judged: WANT, and a reason starting with WHY. */
static void
lines_say(const struct tlog_fix *f, const char *lines, int want,
    const char *why)
{
	char r[RMAX];

	if (with_lines(f, lines, r) != want ||
	    strncmp(r, why, strlen(why)) != 0)
		fail_msg("want %d \"%s\", got \"%s\"", want, why, r);
}

/* What Go's unicode.IsSpace calls white space, past ASCII. */
static const char *const spaces[] = {
	"\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x80",
	"\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf",
	"\xe2\x81\x9f", "\xe3\x80\x80",
};

/* A line the log would ignore, malformed, spoils the whole note. */
static void
test_checkpoint_siglines(void **state)
{
	struct tlog_fix f;
	char good[512], lines[2048], line[64];
	size_t i;

	(void)state;
	fix_init(&f, 1, 1);
	sig_line(&f, TEXT("5"), TEST_ORIGIN, f.hint, good, sizeof(good));
	bad_witness(&f, good, "- w AAAAAAA=\n", BAD_DASH);
	bad_witness(&f, good, "\xe2\x80\x93 w AAAAAAA=\n", BAD_DASH);
	bad_witness(&f, good, "\xe2\x80\x94w AAAAAAA=\n", BAD_DASH);
	bad_witness(&f, good, EM "w+1 AAAAAAA=\n", BAD_NAME);
	bad_witness(&f, good, EM " AAAAAAA=\n", BAD_NAME);
	bad_witness(&f, good, EM "wAAAAAAA=\n", BAD_NAME);
	for (i = 0; i < N(spaces); i++) {
		snprintf(line, sizeof(line), EM "w%sx AAAAAAA=\n", spaces[i]);
		bad_witness(&f, good, line, BAD_NAME);
	}
	bad_witness(&f, good, EM "w AAAAAA==\n", BAD_B64);	/* hint only */
	bad_witness(&f, good, EM "w AAAAAAA\n", BAD_B64);
	bad_witness(&f, good, EM "w AAAAAAA= \n", BAD_B64);
	bad_witness(&f, good, EM "w AAAA AAA=\n", BAD_B64);
	bad_witness(&f, good, EM "w AAAAAAB=\n", BAD_B64);	/* bits left */
	bad_witness(&f, good, EM "w \n", BAD_B64);
	/* Unknown signers, well formed, are ignored wherever they are. */
	snprintf(lines, sizeof(lines), EM "witness.example AAAAAAA=\n%s"
	    EM "w\xc3\xa9/x AAAAAAA=\n", good);
	lines_say(&f, lines, 1, GOOD5);
	fix_free(&f);
}

static void
test_checkpoint_signers(void **state)
{
	struct tlog_fix f, other;
	char good[512], wrong[512], lines[2048], none[RMAX];

	(void)state;
	fix_init(&f, 1, 1);
	fix_init(&other, 1, 1);
	snprintf(none, sizeof(none), "checkpoint has no signature by log "
	    TEST_ORIGIN " (key hint %08x)", (unsigned)f.hint);
	sig_line(&f, TEXT("5"), TEST_ORIGIN, f.hint, good, sizeof(good));
	/* Its key, another hint or name: not the log's line. */
	sig_line(&f, TEXT("5"), TEST_ORIGIN, f.hint ^ 1, wrong, sizeof(wrong));
	lines_say(&f, wrong, 0, none);
	sig_line(&f, TEXT("5"), "test.example", f.hint, wrong, sizeof(wrong));
	lines_say(&f, wrong, 0, none);
	/* The log's name and hint, another key or text: a bad signature. */
	sig_line(&other, TEXT("5"), TEST_ORIGIN, f.hint, wrong, sizeof(wrong));
	snprintf(none, sizeof(none), "checkpoint signature by log "
	    TEST_ORIGIN " (key hint %08x) does not verify", (unsigned)f.hint);
	lines_say(&f, wrong, 0, none);
	sig_line(&f, TEXT("6"), TEST_ORIGIN, f.hint, wrong, sizeof(wrong));
	lines_say(&f, wrong, 0, none);
	sig_line(&f, TEST_ORIGIN "\n5\n" ROOT_B64, TEST_ORIGIN, f.hint, wrong,
	    sizeof(wrong));		/* the text without its last newline */
	lines_say(&f, wrong, 0, none);
	/* Every line that is the log's must verify, first or last. */
	snprintf(lines, sizeof(lines), "%s%s", good, wrong);
	lines_say(&f, lines, 0, none);
	snprintf(lines, sizeof(lines), "%s%s", wrong, good);
	lines_say(&f, lines, 0, none);
	snprintf(lines, sizeof(lines), "%s%s", good, good);
	lines_say(&f, lines, 1, GOOD5);
	/* Another log's good signature is someone else's business. */
	sig_line(&other, TEXT("5"), "other.example", other.hint, wrong,
	    sizeof(wrong));
	snprintf(lines, sizeof(lines), "%s%s", wrong, good);
	lines_say(&f, lines, 1, GOOD5);
	lines_say(&f, wrong, 0, "checkpoint has no signature by log");
	fix_free(&other);
	fix_free(&f);
}

/* A note of TLEN bytes of text (TEXT("5") and an extension), signed. */
static char *
note_of_text_len(const struct tlog_fix *f, size_t tlen)
{
	size_t base = strlen(TEXT("5"));
	char *text = malloc(tlen + 1), *note;

	assert_true(tlen > base + 1);
	assert_non_null(text);
	memcpy(text, TEXT("5"), base);
	memset(text + base, 'x', tlen - base - 1);
	text[tlen - 1] = '\n';
	text[tlen] = '\0';
	note = signed_note(f, text);
	free(text);
	return note;
}

static void
test_checkpoint_limits(void **state)
{
	struct tlog_fix f;
	char r[RMAX], good[512], *note;
	size_t i, len, glen;

	(void)state;
	fix_init(&f, 1, 1);
	sig_line(&f, TEXT("5"), TEST_ORIGIN, f.hint, good, sizeof(good));
	glen = strlen(good);
	/* 99 witnesses and the log: 100 lines pass, one more does not. */
	note = malloc(8192);
	assert_non_null(note);
	len = (size_t)snprintf(note, 8192, "%s\n", TEXT("5"));
	for (i = 0; i < 99; i++)
		len += (size_t)snprintf(note + len, 8192 - len, EM "w%zu "
		    "AAAAAAA=\n", i);
	memcpy(note + len, good, glen + 1);
	assert_int_equal(judge(&f, note, r), 1);
	len += (size_t)snprintf(note + len, 8192 - len, EM "x AAAAAAA=\n");
	memcpy(note + len, good, glen + 1);
	assert_int_equal(judge(&f, note, r), 0);
	assert_string_equal(r, MALFORMED "more than 100 signature lines");
	free(note);
	/* A note of SIG_CHECKPOINT_MAX bytes passes, one byte more does not. */
	note = note_of_text_len(&f, SIG_CHECKPOINT_MAX - 1 - glen);
	assert_int_equal(strlen(note), SIG_CHECKPOINT_MAX);
	assert_int_equal(judge(&f, note, r), 1);
	free(note);
	note = note_of_text_len(&f, SIG_CHECKPOINT_MAX - glen);
	assert_int_equal(judge(&f, note, r), 0);
	assert_string_equal(r, MALFORMED "it is 65537 bytes (limit 65536)");
	free(note);
	fix_free(&f);
}

/* Rekor v1's "HOST - TREEID" origin, and an ECDSA log named by baseUrl. */
static void
test_checkpoint_ecdsa(void **state)
{
	struct tlog_fix f, bare;
	char r[RMAX], want[RMAX], *note;

	(void)state;
	fix_init(&f, 0, 1);
	fix_init(&bare, 0, 0);
	note = note_by(&f, "rekor.test - 42\n5\n" ROOT_B64 "\n", "rekor.test");
	assert_int_equal(judge(&f, note, r), 1);
	snprintf(want, sizeof(want), "checkpoint of rekor.test - 42 at size 5 "
	    "signed by the log (key hint %08x)", (unsigned)f.hint);
	assert_string_equal(r, want);
	/* Its host is not the trusted root's: it needs no baseUrl. */
	note[0] = 'R';		/* and the signature covers the origin */
	assert_int_equal(judge(&f, note, r), 0);
	free(note);
	note = note_by(&bare, "rekor.test - 42\n5\n" ROOT_B64 "\n",
	    "rekor.test");
	assert_int_equal(judge(&bare, note, r), 1);
	free(note);
	/* Rekor v1 signs as the host, nothing else. */
	note = note_by(&f, "rekor.test - 42\n5\n" ROOT_B64 "\n", TEST_ORIGIN);
	assert_int_equal(judge(&f, note, r), 0);
	snprintf(want, sizeof(want), "checkpoint has no signature by log "
	    "rekor.test (key hint %08x)", (unsigned)f.hint);
	assert_string_equal(r, want);
	free(note);
	note = note_by(&f, "rekor.test - 42\n5\n" ROOT_B64 "\n",
	    "rekor.test - 42");
	assert_int_equal(judge(&f, note, r), 0);
	free(note);
	/* Other origins: the baseUrl's, as for Ed25519 logs. */
	note = note_by(&f, TEXT("5"), TEST_ORIGIN);
	assert_int_equal(judge(&f, note, r), 1);
	assert_int_equal(judge(&bare, note, r), 0);
	assert_string_equal(r, "log has no origin (baseUrl) in the trusted "
	    "root to identify its checkpoint signatures by");
	free(note);
	note = note_by(&f, "rekor.test - \n5\n" ROOT_B64 "\n", "rekor.test");
	assert_int_equal(judge(&f, note, r), 0);
	assert_string_equal(r, "checkpoint origin \"rekor.test - \" is not "
	    "log " TEST_ORIGIN);
	free(note);
	note = note_by(&f, " - 42\n5\n" ROOT_B64 "\n", TEST_ORIGIN);
	assert_int_equal(judge(&f, note, r), 0);
	assert_string_equal(r, "checkpoint origin \" - 42\" is not log "
	    TEST_ORIGIN);
	free(note);
	fix_free(&bare);
	fix_free(&f);
}

/* An Ed25519 log without baseUrl cannot name its signatures. */
static void
test_checkpoint_no_origin(void **state)
{
	struct tlog_fix f;
	char r[RMAX], *note;

	(void)state;
	fix_init(&f, 1, 0);
	note = signed_note(&f, TEXT("5"));
	assert_int_equal(judge(&f, note, r), 0);
	assert_string_equal(r, "log has no origin (baseUrl) in the trusted "
	    "root to identify its checkpoint signatures by");
	free(note);
	fix_free(&f);
}

static void
test_checkpoint_args(void **state)
{
	struct tlog_fix f;
	struct sig_checkpoint cp;
	struct sig_tlog_key nokey;
	struct rw_err err;
	char r[RMAX];
	int good = 7;

	(void)state;
	fix_init(&f, 1, 1);
	memset(&nokey, 0, sizeof(nokey));
	rw_err_clear(&err);
	assert_int_equal(sig_checkpoint_verify(NULL, 0, f.log, &cp, &good, r,
	    sizeof(r), &err), RW_EINVAL);
	assert_int_equal(good, 0);
	assert_string_equal(err.msg, "checkpoint: missing argument");
	assert_int_equal(sig_checkpoint_verify("", 0, NULL, &cp, &good, r,
	    sizeof(r), &err), RW_EINVAL);
	assert_int_equal(sig_checkpoint_verify("", 0, &nokey, &cp, &good, r,
	    sizeof(r), &err), RW_EINVAL);
	assert_int_equal(sig_checkpoint_verify("", 0, f.log, NULL, &good, r,
	    sizeof(r), &err), RW_EINVAL);
	assert_int_equal(sig_checkpoint_verify("", 0, f.log, &cp, NULL, r,
	    sizeof(r), &err), RW_EINVAL);
	assert_int_equal(sig_checkpoint_verify("", 0, f.log, &cp, &good, NULL,
	    sizeof(r), &err), RW_EINVAL);
	/* No room for a reason is fine. */
	assert_int_equal(sig_checkpoint_verify("", 0, f.log, &cp, &good, NULL,
	    0, &err), RW_OK);
	assert_int_equal(good, 0);
	fix_free(&f);
}

/* -------------------------------------------- proof and checkpoint */

/* The tree of the first 5 leaves L, and P the proof of leaf 3 in it. */
static void
tree5(unsigned char (*l)[HLEN], unsigned char (*h)[HLEN],
    struct sig_tlog_proof *p)
{
	char dirs[8];

	leaves(l);
	memset(p, 0, sizeof(*p));
	path(l, 3, 0, 5, h, dirs, &p->nhashes);
	mth(l, 0, 5, p->root);
	p->index = 3;
	p->size = 5;
	p->hashes = (const unsigned char (*)[HLEN])h;
}

/* Leaf 3 judged by P and a checkpoint of SIZE and ROOT signed by F. */
static int
tlog_verify(const struct tlog_fix *f, const struct sig_tlog_proof *p,
    size_t leaf, const char *size, const unsigned char *root, char *r)
{
	char text[256], b64[64], *note = NULL;
	struct rw_err err;
	int good = -1;

	if (size != NULL) {
		EVP_EncodeBlock((unsigned char *)b64, root, HLEN);
		snprintf(text, sizeof(text), TEST_ORIGIN "\n%s\n%s\n", size,
		    b64);
		note = signed_note(f, text);
	}
	rw_err_clear(&err);
	assert_int_equal(sig_tlog_verify(ref[leaf].data, ref[leaf].len, p,
	    note, note != NULL ? strlen(note) : 0, f->log, &good, r, RMAX,
	    &err), RW_OK);
	free(note);
	return good;
}

static void
test_tlog_verify(void **state)
{
	unsigned char l[MAX_LEAVES][HLEN], h[4][HLEN];
	struct sig_tlog_proof p;
	struct tlog_fix f;
	struct rw_err err;
	char r[RMAX], want[RMAX];
	int good;

	(void)state;
	fix_init(&f, 1, 1);
	tree5(l, h, &p);
	assert_int_equal(tlog_verify(&f, &p, 3, "5", p.root, r), 1);
	snprintf(want, sizeof(want), "checkpoint of " TEST_ORIGIN " at size 5 "
	    "signed by the log (key hint %08x)", (unsigned)f.hint);
	assert_string_equal(r, want);
	/* Another leaf: the proof fails first, whatever the checkpoint. */
	assert_int_equal(tlog_verify(&f, &p, 2, "5", p.root, r), 0);
	assert_string_equal(r, "inclusion proof of leaf 3 in a tree of 5 does "
	    "not lead to its root hash 4e3bbb1f7b478dcf...");
	assert_int_equal(tlog_verify(&f, &p, 3, NULL, NULL, r), 0);
	assert_string_equal(r, "inclusion proof has no checkpoint");
	rw_err_clear(&err);
	assert_int_equal(sig_tlog_verify(NULL, 1, &p, NULL, 0, f.log, &good,
	    r, sizeof(r), &err), RW_EINVAL);
	assert_int_equal(sig_tlog_verify(NULL, 0, &p, NULL, 0, NULL, &good,
	    r, sizeof(r), &err), RW_EINVAL);
	assert_int_equal(sig_tlog_verify(NULL, 0, NULL, NULL, 0, f.log, &good,
	    r, sizeof(r), &err), RW_EINVAL);
	fix_free(&f);
}

/* A good checkpoint of the log, of another size or root than the proof's. */
static void
test_tlog_mismatch(void **state)
{
	unsigned char l[MAX_LEAVES][HLEN], h[4][HLEN], root[HLEN];
	struct sig_tlog_proof p;
	struct tlog_fix f;
	char r[RMAX];

	(void)state;
	fix_init(&f, 1, 1);
	tree5(l, h, &p);
	assert_int_equal(tlog_verify(&f, &p, 3, "6", p.root, r), 0);
	assert_string_equal(r, "checkpoint size 6 is not the inclusion "
	    "proof's tree size 5");
	mth(l, 0, 6, root);
	assert_int_equal(tlog_verify(&f, &p, 3, "5", root, r), 0);
	assert_string_equal(r, "checkpoint root hash 76e67dadbcdf1e10... is "
	    "not the inclusion proof's root hash 4e3bbb1f7b478dcf...");
	/* A bad checkpoint says so, before any comparison. */
	assert_int_equal(tlog_verify(&f, &p, 3, "06", p.root, r), 0);
	assert_string_equal(r, MALFORMED "the size line is not a decimal "
	    "number without sign or leading zeros");
	fix_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance),
		cmocka_unit_test(test_conformance_proofs),
		cmocka_unit_test(test_merkle_reference_roots),
		cmocka_unit_test(test_merkle_trees),
		cmocka_unit_test(test_merkle_size_not_bound),
		cmocka_unit_test(test_merkle_edges),
		cmocka_unit_test(test_merkle_args),
		cmocka_unit_test(test_checkpoint_texts),
		cmocka_unit_test(test_checkpoint_origin_len),
		cmocka_unit_test(test_checkpoint_layout),
		cmocka_unit_test(test_checkpoint_siglines),
		cmocka_unit_test(test_checkpoint_signers),
		cmocka_unit_test(test_checkpoint_limits),
		cmocka_unit_test(test_checkpoint_ecdsa),
		cmocka_unit_test(test_checkpoint_no_origin),
		cmocka_unit_test(test_checkpoint_args),
		cmocka_unit_test(test_tlog_verify),
		cmocka_unit_test(test_tlog_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
