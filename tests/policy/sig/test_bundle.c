/* test_bundle.c - Sigstore bundles through sig_bundle_verify. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/conformance/run.sh drives every sigstore-conformance case through
 * the CLI and checks only accept or refuse.  Here the happy cases go
 * through sig_bundle_verify directly, then copies of them are damaged one
 * field at a time, in the test, and each copy's verdict and reason are
 * pinned verbatim: a reason that changes is a test that changes.  Edge
 * cases follow (the clock, identities, material against trust, bad
 * arguments, malformed text), and an Ed25519 bundle from a log the test
 * runs itself, since no fixture holds one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "policy/sig/sig.h"
#include "tests/testutil.h"

#define N(a)		(sizeof(a) / sizeof((a)[0]))
#define FIX		RW_SOURCE_DIR "/tests/fixtures/sigstore-conformance"
#define CASES		FIX "/bundle-verify"
#define WRONG_KEY	RW_SOURCE_DIR "/tests/fixtures/cosign/cosign.pub"

/* 2026-01-01T00:00:00Z: every fixture was logged before. */
#define NOW		INT64_C(1767225600)

#define SUBJECT		"https://github.com/sigstore-conformance/" \
	"extremely-dangerous-public-oidc-beacon/.github/workflows/" \
	"extremely-dangerous-oidc-beacon.yml@refs/heads/main"
#define ISSUER		"https://token.actions.githubusercontent.com"
#define SIGNED_BY	"signed by " SUBJECT " (issuer " ISSUER ")"

/* The Rekor v1 key of the public-good root, as its reasons name it. */
#define REKOR_KEY	"sha256:" \
	"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"
/* The managed key of managed-key-happy-path. */
#define MANAGED_KEY	"sha256:" \
	"4cb32c4837c6dda8cfb1681efb3fef5f94ffce5b979e6bdb9139302c857af139"
/* The key of happy-path-intoto-in-dsse-v3's Fulcio certificate. */
#define DSSE_LEAF_KEY	"sha256:" \
	"665519ef61ed9f4b1c429ffb5aaea629b22a3914cedcad6c4e7938b9b6ecf743"
/* The key of happy-path-v0.3's Fulcio certificate. */
#define V3_LEAF_KEY	"sha256:" \
	"392b86a3e7fc2910fe9b678fe215f479d5705ee906cb6db72cf28a176be931d8"

#define V1_VALID	SIGNED_BY "; logged in rekor.sigstore.dev at index " \
	"27246492, signed at 2023-07-12T15:56:36Z"
#define V3_VALID	SIGNED_BY "; logged in rekor.sigstore.dev at index " \
	"79571823, signed at 2024-03-19T17:26:26Z"
#define DSSE_VALID	SIGNED_BY "; logged in rekor.sigstore.dev at index " \
	"155690850, signed at 2024-12-16T18:42:56Z"
#define RK2_VALID	SIGNED_BY "; logged in " \
	"log2025-alpha1.rekor.sigstage.dev at tree index 735, signed at " \
	"2025-06-12T12:02:20Z"
#define MK_VALID	"signed by ECDSA P-256 key " MANAGED_KEY \
	"; logged in rekor.sigstore.dev at index 771488337, signed at " \
	"2025-12-18T17:04:39Z"
#define ANOTHER_SIG	"the log entry holds another signature than the " \
	"bundle's"
#define ANOTHER_CERT	"the log entry was made for another certificate"
#define NO_TIME		"no verified time of signing: no log entry " \
	"with a valid signed entry timestamp and no timestamp"
#define MT_BAD		"the bundle's mediaType is not a Sigstore " \
	"bundle v0.1 to v0.3"
#define SET_BAD		"log entry 0: its signed entry timestamp does " \
	"not verify with log key " REKOR_KEY

/* What every test shares, read once. */
struct fix {
	struct sig_trustroot	*good;	/* public-good */
	struct sig_key		*key;	/* managed-key-happy-path */
	struct sig_key		*other;	/* signed nothing here */
	char			*artifact;	/* a.txt */
	size_t			 alen;
	unsigned char		 sha[32];
};

static const struct sig_identity ident = { SUBJECT, NULL, ISSUER };

/* ---------------------------------------------------------------- helpers */

static struct sig_key *
key_load(const char *path)
{
	struct sig_key *k = NULL;
	struct rw_err err;
	size_t len;
	char *pem = tu_slurp(path, &len);

	rw_err_clear(&err);
	if (sig_key_load(pem, len, &k, &err) != RW_OK)
		fail_msg("%s: %s", path, err.msg);
	free(pem);
	return k;
}

static struct sig_trustroot *
root_load(const char *path)
{
	struct sig_trustroot *r = NULL;
	struct rw_err err;
	size_t len;
	char *text = tu_slurp(path, &len);

	rw_err_clear(&err);
	if (sig_bundle_root_parse(text, len, &r, &err) != RW_OK)
		fail_msg("%s: %s", path, err.msg);
	free(text);
	return r;
}

/* The bundle of case DIR, parsed for editing (caller decrefs). */
static json_t *
bundle_load(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/bundle.sigstore.json", CASES, dir);
	return tu_load_json(path);
}

/* The bytes of base64 string S (caller frees). */
static unsigned char *
unb64(const char *s, size_t *len)
{
	unsigned char *b = NULL;
	struct rw_err err;

	assert_non_null(s);
	rw_err_clear(&err);
	assert_int_equal(sig_b64_decode(s, strlen(s), SIG_B64_LINES, &b, len,
	    &err), RW_OK);
	return b;
}

/* Standard base64 of LEN bytes of B (caller frees). */
static char *
b64(const void *b, size_t len)
{
	char *s = malloc(4 * ((len + 2) / 3) + 1);

	assert_non_null(s);
	EVP_EncodeBlock((unsigned char *)s, b, (int)len);
	return s;
}

/* OBJ.NAME := standard base64 of B (LEN bytes). */
static void
set_b64(json_t *obj, const char *name, const void *b, size_t len)
{
	char *s = b64(b, len);

	assert_int_equal(json_object_set_new(obj, name, json_string(s)), 0);
	free(s);
}

/*
 * A new JSON string: base64 string STR with byte AT of what it encodes
 * (from the end when AT is negative) xor MASK.
 */
static json_t *
flipped(json_t *str, long at, unsigned char mask)
{
	unsigned char *b;
	size_t len, i;
	char *s;
	json_t *j;

	b = unb64(json_string_value(str), &len);
	i = at < 0 ? len - (size_t)-at : (size_t)at;
	assert_true(i < len);
	b[i] ^= mask;
	s = b64(b, len);
	j = json_string(s);
	assert_non_null(j);
	free(s);
	free(b);
	return j;
}

/* Base64 OBJ.NAME with one byte flipped, as flipped(). */
static void
flip_b64(json_t *obj, const char *name, long at, unsigned char mask)
{
	assert_int_equal(json_object_set_new(obj, name,
	    flipped(json_object_get(obj, name), at, mask)), 0);
}

/* OBJ.NAME, an int64 written as a decimal string, plus DELTA. */
static void
bump(json_t *obj, const char *name, int delta)
{
	const char *s = json_string_value(json_object_get(obj, name));
	char buf[32];

	assert_non_null(s);
	snprintf(buf, sizeof(buf), "%lld", strtoll(s, NULL, 10) + delta);
	assert_int_equal(json_object_set_new(obj, name, json_string(buf)), 0);
}

static json_t *
vm_of(json_t *doc)
{
	return json_object_get(doc, "verificationMaterial");
}

static json_t *
entry0(json_t *doc)
{
	json_t *e = json_array_get(json_object_get(vm_of(doc), "tlogEntries"),
	    0);

	assert_non_null(e);
	return e;
}

static json_t *
proof0(json_t *doc)
{
	return json_object_get(entry0(doc), "inclusionProof");
}

static json_t *
dsse_of(json_t *doc)
{
	return json_object_get(doc, "dsseEnvelope");
}

/* Judge TEXT (LEN bytes) with KEY or ID, at NOW, for SUBJ. */
static int
verify(const char *text, size_t len, const struct sig_trustroot *root,
    const struct sig_key *key, const struct sig_identity *id, int64_t now,
    const struct sig_bundle_subject *subj, struct sig_bundle_result *res,
    struct rw_err *err)
{
	struct sig_bundle_trust t = { root, key, id, now };

	rw_err_clear(err);
	return sig_bundle_verify(text, len, &t, subj, res, err);
}

/* Judge DOC (dumped as a client would send it); RW_OK expected. */
static void
verify_doc(json_t *doc, const struct sig_trustroot *root,
    const struct sig_key *key, const struct sig_identity *id, int64_t now,
    const struct sig_bundle_subject *subj, struct sig_bundle_result *res)
{
	struct rw_err err;
	char *text = json_dumps(doc, JSON_COMPACT);
	int rc;

	assert_non_null(text);
	rc = verify(text, strlen(text), root, key, id, now, subj, res, &err);
	free(text);
	if (rc != RW_OK)
		fail_msg("sig_bundle_verify: %s (%s)", rw_strerror(rc),
		    err.msg);
}

static void
subject_init(const struct fix *f, struct sig_bundle_subject *s)
{
	memcpy(s->sha256, f->sha, 32);
	s->data = f->artifact;
	s->len = f->alen;
}

/* Whether RES is VERDICT with REASON, saying which row when not. */
static int
res_is(const char *name, const struct sig_bundle_result *res,
    enum sig_verdict verdict, const char *reason)
{
	if (res->verdict == verdict && strcmp(res->reason, reason) == 0)
		return 1;
	print_error("%s: got %s \"%s\"\n      want %s \"%s\"\n", name,
	    sig_verdict_str(res->verdict), res->reason,
	    sig_verdict_str(verdict), reason);
	return 0;
}

/* ----------------------------------------------------------- fixtures */

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->good = root_load(FIX "/trusted_root.public-good.json");
	f->key = key_load(CASES "/managed-key-happy-path/key.pub");
	f->other = key_load(WRONG_KEY);
	f->artifact = tu_slurp(FIX "/a.txt", &f->alen);
	assert_int_equal(EVP_Digest(f->artifact, f->alen, f->sha, NULL,
	    EVP_sha256(), NULL), 1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	sig_bundle_root_free(f->good);
	sig_key_free(f->key);
	sig_key_free(f->other);
	free(f->artifact);
	free(f);
	return 0;
}

/* ------------------------------------------------------------- edits */

typedef void (*edit_fn)(json_t *doc);

/* One byte of the decoded signature (the end of ECDSA's s: DER stays). */
static void
ed_sig(json_t *doc)
{
	flip_b64(json_object_get(doc, "messageSignature"), "signature", -1,
	    0x01);
}

/* One byte in the middle of the certificate. */
static void
ed_cert(json_t *doc)
{
	json_t *c = json_object_get(vm_of(doc), "certificate");

	if (c == NULL)
		c = json_array_get(json_object_get(json_object_get(vm_of(doc),
		    "x509CertificateChain"), "certificates"), 0);
	flip_b64(c, "rawBytes", 1000, 0x01);
}

static void
ed_set(json_t *doc)
{
	flip_b64(json_object_get(entry0(doc), "inclusionPromise"),
	    "signedEntryTimestamp", -1, 0x01);
}

/* The canonicalized body, dumped by FLAGS after EDIT changed it. */
static void
rebody(json_t *doc, void (*edit)(json_t *), size_t flags)
{
	json_t *e = entry0(doc), *body;
	unsigned char *b;
	size_t len;
	char *s;

	b = unb64(json_string_value(json_object_get(e, "canonicalizedBody")),
	    &len);
	body = json_loadb((const char *)b, len, 0, NULL);
	assert_non_null(body);
	if (edit != NULL)
		edit(body);
	s = json_dumps(body, flags);
	assert_non_null(s);
	set_b64(e, "canonicalizedBody", s, strlen(s));
	free(s);
	free(b);
	json_decref(body);
}

/* hashedrekord 0.0.1: spec.data.hash.value, its first digit changed. */
static void
body_hash(json_t *body)
{
	json_t *h = json_object_get(json_object_get(json_object_get(
	    json_object_get(body, "spec"), "data"), "hash"), "value");
	char *v;

	assert_non_null(json_string_value(h));
	v = strdup(json_string_value(h));
	assert_non_null(v);
	v[0] = v[0] == '0' ? '1' : '0';
	assert_int_equal(json_string_set(h, v), 0);
	free(v);
}

static void
ed_body_hash(json_t *doc)
{
	rebody(doc, body_hash, JSON_COMPACT | JSON_SORT_KEYS);
}

/* The same body, other bytes: what the log signed is bytes, not JSON. */
static void
ed_body_pretty(json_t *doc)
{
	rebody(doc, NULL, JSON_INDENT(1) | JSON_SORT_KEYS);
}

static void
ed_proof_hash(json_t *doc)
{
	json_t *h = json_object_get(proof0(doc), "hashes");

	assert_int_equal(json_array_set_new(h, 3, flipped(json_array_get(h,
	    3), 0, 0x80)), 0);
}

static void
ed_root_hash(json_t *doc)
{
	flip_b64(proof0(doc), "rootHash", 0, 0x01);
}

/* The checkpoint's tree size line, plus one (its signature kept). */
static void
ed_checkpoint_size(json_t *doc)
{
	json_t *cp = json_object_get(proof0(doc), "checkpoint");
	const char *env = json_string_value(json_object_get(cp, "envelope"));
	const char *nl, *nl2;
	char buf[4096];

	assert_non_null(env);
	nl = strchr(env, '\n');
	assert_non_null(nl);
	nl2 = strchr(nl + 1, '\n');
	assert_non_null(nl2);
	snprintf(buf, sizeof(buf), "%.*s%lld%s", (int)(nl - env + 1), env,
	    strtoll(nl + 1, NULL, 10) + 1, nl2);
	assert_int_equal(json_object_set_new(cp, "envelope", json_string(buf)),
	    0);
}

static void
ed_time(json_t *doc)
{
	bump(entry0(doc), "integratedTime", 1);
}

static void
ed_index(json_t *doc)
{
	bump(entry0(doc), "logIndex", 1);
}

static void
ed_logid(json_t *doc)
{
	flip_b64(json_object_get(entry0(doc), "logId"), "keyId", 0, 0x01);
}

/* One byte of the statement: its subject's name "a.txt" becomes "b.txt". */
static void
ed_payload(json_t *doc)
{
	unsigned char *b;
	size_t len;
	char *p;

	b = unb64(json_string_value(json_object_get(dsse_of(doc), "payload")),
	    &len);
	p = strstr((char *)b, "\"a.txt\"");
	assert_non_null(p);
	p[1] = 'b';
	set_b64(dsse_of(doc), "payload", b, len);
	free(b);
}

static void
ed_dsse_sig(json_t *doc)
{
	flip_b64(json_array_get(json_object_get(dsse_of(doc), "signatures"),
	    0), "sig", -1, 0x01);
}

/* The PAE signs the type too. */
static void
ed_payload_type(json_t *doc)
{
	json_object_set_new(dsse_of(doc), "payloadType",
	    json_string("application/json"));
}

static void
ed_msg_digest(json_t *doc)
{
	flip_b64(json_object_get(json_object_get(doc, "messageSignature"),
	    "messageDigest"), "digest", 0, 0x01);
}

static void
ed_no_promise(json_t *doc)
{
	json_object_del(entry0(doc), "inclusionPromise");
}

static void
ed_no_proof(json_t *doc)
{
	json_object_del(entry0(doc), "inclusionProof");
}

static void
ed_no_entries(json_t *doc)
{
	json_array_clear(json_object_get(vm_of(doc), "tlogEntries"));
}

/* The first RFC 3161 timestamp's last byte (its signature). */
static void
ed_tsa(json_t *doc)
{
	flip_b64(json_array_get(json_object_get(json_object_get(vm_of(doc),
	    "timestampVerificationData"), "rfc3161Timestamps"), 0),
	    "signedTimestamp", -1, 0x01);
}

static void
ed_no_tsa(json_t *doc)
{
	json_object_del(vm_of(doc), "timestampVerificationData");
}

/* Copies of the first entry up to N entries. */
static void
entries(json_t *doc, size_t n)
{
	json_t *a = json_object_get(vm_of(doc), "tlogEntries");

	while (json_array_size(a) < n)
		assert_int_equal(json_array_append_new(a,
		    json_deep_copy(json_array_get(a, 0))), 0);
}

static void
ed_eight(json_t *doc)
{
	entries(doc, SIG_BUNDLE_ENTRIES_MAX);
}

static void
ed_nine(json_t *doc)
{
	entries(doc, SIG_BUNDLE_ENTRIES_MAX + 1);
}

static void
ed_media_v04(json_t *doc)
{
	json_object_set_new(doc, "mediaType",
	    json_string("application/vnd.dev.sigstore.bundle.v0.4+json"));
}

/* A v0.3 bundle may not carry a chain (v0.1 and v0.2 do). */
static void
ed_v3_chain(json_t *doc)
{
	json_t *vm = vm_of(doc), *chain = json_object(), *certs = json_array();

	json_array_append(certs, json_object_get(vm, "certificate"));
	json_object_set_new(chain, "certificates", certs);
	json_object_set_new(vm, "x509CertificateChain", chain);
	json_object_del(vm, "certificate");
}

/* ---------------------------------------------------------- the rows */

struct row {
	const char	*name;
	const char	*dir;
	edit_fn		 edit;		/* NULL: as shipped */
	int		 own_root;	/* the case's trusted_root.json */
	int		 keyed;		/* f->key, not ident */
	enum sig_verdict verdict;
	const char	*reason;	/* verbatim */
	int64_t		 time;		/* VALID: out->time */
};

#define HP1	"happy-path-v0.1"
#define HP2	"happy-path-v0.2"
#define HP3	"happy-path-v0.3"
#define DSSE	"happy-path-intoto-in-dsse-v3"
#define RK2	"rekor2-happy-path"
#define MK	"managed-key-happy-path"

static const struct row rows[] = {
	/* ---- as shipped */
	{ "v0.1", HP1, NULL, 0, 0, SIG_VALID, V1_VALID, INT64_C(1689177396) },
	{ "v0.2", HP2, NULL, 0, 0, SIG_VALID, V1_VALID, INT64_C(1689177396) },
	{ "v0.3", HP3, NULL, 0, 0, SIG_VALID, V3_VALID, INT64_C(1710869186) },
	{ "dsse", DSSE, NULL, 0, 0, SIG_VALID, DSSE_VALID,
	    INT64_C(1734374576) },
	/* No integrated time: the RFC 3161 timestamp's. */
	{ "rekor2", RK2, NULL, 1, 0, SIG_VALID, RK2_VALID,
	    INT64_C(1749729740) },
	{ "managed key", MK, NULL, 0, 1, SIG_VALID, MK_VALID,
	    INT64_C(1766077479) },

	/* ---- message signatures: each field the log or the CA vouches for */
	{ "signature byte", HP3, ed_sig, 0, 0, SIG_BAD_SIGNATURE, ANOTHER_SIG,
	    0 },
	{ "certificate byte", HP3, ed_cert, 0, 0, SIG_BAD_SIGNATURE,
	    ANOTHER_CERT, 0 },
	{ "chain certificate byte", HP1, ed_cert, 0, 0, SIG_BAD_SIGNATURE,
	    ANOTHER_CERT, 0 },
	{ "SET byte", HP3, ed_set, 0, 0, SIG_BAD_SIGNATURE, SET_BAD, 0 },
	{ "SET byte v0.1", HP1, ed_set, 0, 0, SIG_BAD_SIGNATURE, SET_BAD, 0 },
	{ "body hash", HP3, ed_body_hash, 0, 0, SIG_BAD_SIGNATURE,
	    "the log entry was made for another artifact", 0 },
	{ "body reformatted", HP3, ed_body_pretty, 0, 0, SIG_BAD_SIGNATURE,
	    SET_BAD, 0 },
	{ "proof hash", HP3, ed_proof_hash, 0, 0, SIG_BAD_SIGNATURE,
	    "log entry 0: inclusion proof of leaf 75408392 in a tree of "
	    "75408393 does not lead to its root hash 1679e3d7752ed637...", 0 },
	{ "proof root", HP3, ed_root_hash, 0, 0, SIG_BAD_SIGNATURE,
	    "log entry 0: inclusion proof of leaf 75408392 in a tree of "
	    "75408393 does not lead to its root hash 1779e3d7752ed637...", 0 },
	{ "checkpoint size", HP3, ed_checkpoint_size, 0, 0, SIG_BAD_SIGNATURE,
	    "log entry 0: checkpoint signature by log rekor.sigstore.dev (key "
	    "hint c0d23d6a) does not verify", 0 },
	{ "integratedTime + 1", HP3, ed_time, 0, 0, SIG_BAD_SIGNATURE,
	    SET_BAD, 0 },
	{ "logIndex + 1", HP3, ed_index, 0, 0, SIG_BAD_SIGNATURE, SET_BAD, 0 },
	{ "logId", HP3, ed_logid, 0, 0, SIG_BAD_SIGNATURE, "log entry 0 is "
	    "from a log that is not in the trusted root", 0 },
	{ "message digest", HP3, ed_msg_digest, 0, 0, SIG_WRONG_DIGEST,
	    "the bundle's message digest is not the artifact's", 0 },

	/* ---- shape */
	{ "no promise v0.3", HP3, ed_no_promise, 0, 0, SIG_BAD_SIGNATURE,
	    NO_TIME, 0 },
	{ "no promise v0.1", HP1, ed_no_promise, 0, 0, SIG_MALFORMED,
	    "log entry 0 has no inclusion promise (a v0.1 bundle needs one)",
	    0 },
	{ "no proof v0.3", HP3, ed_no_proof, 0, 0, SIG_MALFORMED,
	    "log entry 0 has no inclusion proof (a v0.3 bundle needs one)", 0 },
	/* v0.1 bundles predate inclusion proofs: the SET is enough. */
	{ "no proof v0.1", HP1, ed_no_proof, 0, 0, SIG_VALID, V1_VALID,
	    INT64_C(1689177396) },
	{ "no entries", HP3, ed_no_entries, 0, 0, SIG_MALFORMED,
	    "the bundle has no transparency log entry", 0 },
	{ "8 entries", HP3, ed_eight, 0, 0, SIG_VALID, V3_VALID,
	    INT64_C(1710869186) },
	{ "9 entries", HP3, ed_nine, 0, 0, SIG_MALFORMED,
	    "the bundle has 9 log entries (at most 8 are read)", 0 },
	{ "media type v0.4", HP3, ed_media_v04, 0, 0, SIG_MALFORMED, MT_BAD,
	    0 },
	{ "v0.3 chain", HP3, ed_v3_chain, 0, 0, SIG_MALFORMED,
	    "a v0.3 bundle must hold a single certificate, not a chain", 0 },

	/* ---- DSSE */
	{ "DSSE payload byte", DSSE, ed_payload, 0, 0, SIG_BAD_SIGNATURE,
	    "the log entry was made for another DSSE payload", 0 },
	{ "DSSE signature byte", DSSE, ed_dsse_sig, 0, 0, SIG_BAD_SIGNATURE,
	    ANOTHER_SIG, 0 },
	{ "DSSE payload type", DSSE, ed_payload_type, 0, 0, SIG_BAD_SIGNATURE,
	    "the DSSE signature does not verify with the signer's key "
	    DSSE_LEAF_KEY, 0 },
	{ "DSSE SET byte", DSSE, ed_set, 0, 0, SIG_BAD_SIGNATURE, SET_BAD, 0 },
	{ "DSSE integratedTime + 1", DSSE, ed_time, 0, 0, SIG_BAD_SIGNATURE,
	    SET_BAD, 0 },

	/* ---- Rekor v2: no SET; the timestamp gives the time */
	{ "rekor2 signature byte", RK2, ed_sig, 1, 0, SIG_BAD_SIGNATURE,
	    ANOTHER_SIG, 0 },
	{ "rekor2 proof hash", RK2, ed_proof_hash, 1, 0, SIG_BAD_SIGNATURE,
	    "log entry 0: inclusion proof of leaf 735 in a tree of 736 does "
	    "not lead to its root hash aecd583d8d327405...", 0 },
	{ "rekor2 checkpoint size", RK2, ed_checkpoint_size, 1, 0,
	    SIG_BAD_SIGNATURE, "log entry 0: checkpoint signature by log "
	    "log2025-alpha1.rekor.sigstage.dev (key hint f30d5a99) does not "
	    "verify", 0 },
	{ "rekor2 timestamp byte", RK2, ed_tsa, 1, 0, SIG_BAD_SIGNATURE,
	    "no verified time of signing: no log entry with a valid signed "
	    "entry timestamp; timestamp is not from a trusted TSA: "
	    "\"sigstore-tsa\" (timestampAuthorities[0]): signature failure",
	    0 },
	{ "rekor2 no timestamp", RK2, ed_no_tsa, 1, 0, SIG_BAD_SIGNATURE,
	    NO_TIME, 0 },
	/*
	 * Nothing signs a Rekor v2 entry's own logIndex (no SET); the proof
	 * carries the index, so the entry's must be the proof's.
	 */
	{ "rekor2 logIndex + 1", RK2, ed_index, 1, 0, SIG_MALFORMED,
	    "log entry 0: logIndex 736 is not its inclusion proof's 735", 0 },

	/* ---- managed key */
	{ "managed signature byte", MK, ed_sig, 0, 1, SIG_BAD_SIGNATURE,
	    ANOTHER_SIG, 0 },
	{ "managed SET byte", MK, ed_set, 0, 1, SIG_BAD_SIGNATURE, SET_BAD,
	    0 },
	/* Its timestamp is from a TSA this (older) root does not hold. */
	{ "managed no promise", MK, ed_no_promise, 0, 1, SIG_BAD_SIGNATURE,
	    "no verified time of signing: no log entry with a valid signed "
	    "entry timestamp; timestamp is not from a trusted TSA: \"TSA "
	    "Timestamping\" (timestampAuthorities[0]): signer certificate not "
	    "found", 0 },
};

/* Row R judged; 1 when as pinned. */
static int
run_row(const struct fix *f, const struct row *r)
{
	struct sig_trustroot *own = NULL;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	char path[512];
	json_t *doc = bundle_load(r->dir);
	int ok;

	if (r->own_root) {
		snprintf(path, sizeof(path), "%s/%s/trusted_root.json", CASES,
		    r->dir);
		own = root_load(path);
	}
	if (r->edit != NULL)
		r->edit(doc);
	subject_init(f, &subj);
	verify_doc(doc, own != NULL ? own : f->good, r->keyed ? f->key : NULL,
	    r->keyed ? NULL : &ident, NOW, &subj, &res);
	ok = res_is(r->name, &res, r->verdict, r->reason);
	if (ok && r->verdict == SIG_VALID && r->time != 0 &&
	    res.time != r->time) {
		print_error("%s: time %lld, want %lld\n", r->name,
		    (long long)res.time, (long long)r->time);
		ok = 0;
	}
	if (ok && r->verdict != SIG_VALID && res.time != 0) {
		print_error("%s: a refusal with a time\n", r->name);
		ok = 0;
	}
	json_decref(doc);
	sig_bundle_root_free(own);
	return ok;
}

static void
test_rows(void **state)
{
	const struct fix *f = *state;
	size_t i, bad = 0;

	for (i = 0; i < N(rows); i++)
		bad += !run_row(f, &rows[i]);
	if (bad > 0)
		fail_msg("%zu of %zu rows differ", bad, N(rows));
}

/* ------------------------------------------------------ one-off checks */

/* Case DIR as shipped, judged for SUBJ with KEY or ID at NOW. */
static void
judge_case(const struct fix *f, const char *dir, const struct sig_key *key,
    const struct sig_identity *id, int64_t now,
    const struct sig_bundle_subject *subj, struct sig_bundle_result *res)
{
	json_t *doc = bundle_load(dir);

	verify_doc(doc, f->good, key, id, now, subj, res);
	json_decref(doc);
}

static void
test_dsse_fields(void **state)
{
	const struct fix *f = *state;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;

	subject_init(f, &subj);
	judge_case(f, DSSE, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("dsse", &res, SIG_VALID, DSSE_VALID));
	assert_int_equal(res.time, INT64_C(1734374576));
	assert_string_equal(res.predicate_type,
	    "https://slsa.dev/provenance/v1");
	/* Message signatures have none. */
	judge_case(f, HP3, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("v0.3", &res, SIG_VALID, V3_VALID));
	assert_string_equal(res.predicate_type, "");
}

/* Only the artifact's digest known: ECDSA signs the digest anyway. */
static void
test_digest_only(void **state)
{
	const struct fix *f = *state;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;

	subject_init(f, &subj);
	subj.data = NULL;
	subj.len = 0;
	judge_case(f, HP3, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("v0.3 digest", &res, SIG_VALID, V3_VALID));
	assert_int_equal(res.time, INT64_C(1710869186));
	judge_case(f, DSSE, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("dsse digest", &res, SIG_VALID, DSSE_VALID));
	judge_case(f, MK, f->key, NULL, NOW, &subj, &res);
	assert_true(res_is("managed digest", &res, SIG_VALID, MK_VALID));

	/* Another artifact: the bundle's own messageDigest says so first. */
	subj.sha256[31] ^= 0x01;
	judge_case(f, HP3, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("v0.3 other digest", &res, SIG_WRONG_DIGEST,
	    "the bundle's message digest is not the artifact's"));
	assert_int_equal(res.time, 0);
	judge_case(f, MK, f->key, NULL, NOW, &subj, &res);
	assert_true(res_is("managed other digest", &res, SIG_WRONG_DIGEST,
	    "the bundle's message digest is not the artifact's"));
	/* A DSSE bundle: the logged envelope is fine, the statement is not. */
	judge_case(f, DSSE, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("dsse other digest", &res, SIG_WRONG_DIGEST,
	    "the in-toto statement is about other artifacts, not this one"));
	assert_string_equal(res.predicate_type,
	    "https://slsa.dev/provenance/v1");
}

/* Without a messageDigest the log entry still names the artifact. */
static void
test_no_message_digest(void **state)
{
	const struct fix *f = *state;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	json_t *doc = bundle_load(HP3);

	json_object_del(json_object_get(doc, "messageSignature"),
	    "messageDigest");
	subject_init(f, &subj);
	verify_doc(doc, f->good, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("no digest", &res, SIG_VALID, V3_VALID));
	subj.sha256[0] ^= 0x01;
	subj.data = NULL;
	verify_doc(doc, f->good, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("no digest, other artifact", &res,
	    SIG_BAD_SIGNATURE, "the log entry was made for another artifact"));
	json_decref(doc);
}

/* With the bytes given, the signature is checked over the bytes. */
static void
test_other_bytes(void **state)
{
	const struct fix *f = *state;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	static const char other[] = "not a.txt\n";

	subject_init(f, &subj);
	subj.data = other;
	subj.len = sizeof(other) - 1;
	judge_case(f, HP3, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("v0.3 other bytes", &res, SIG_BAD_SIGNATURE,
	    "the signature over the artifact does not verify with the "
	    "signer's key " V3_LEAF_KEY));
}

/* The verifier's clock: nothing may be logged after it. */
static void
test_now(void **state)
{
	const struct fix *f = *state;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;

	subject_init(f, &subj);
	judge_case(f, HP3, NULL, &ident, INT64_C(1710869185), &subj, &res);
	assert_true(res_is("now - 1s", &res, SIG_BAD_SIGNATURE, "log entry 0 "
	    "was integrated at 2024-03-19T17:26:26Z, in the future"));
	assert_int_equal(res.time, 0);
	judge_case(f, HP3, NULL, &ident, INT64_C(1710869186), &subj, &res);
	assert_true(res_is("now", &res, SIG_VALID, V3_VALID));
	judge_case(f, MK, f->key, NULL, INT64_C(0), &subj, &res);
	assert_true(res_is("managed, now 0", &res, SIG_BAD_SIGNATURE, "log "
	    "entry 0 was integrated at 2025-12-18T17:04:39Z, in the future"));
}

/* The log key's validFor in the trusted root bounds the SET's time. */
static void
test_log_key_window(void **state)
{
	const struct fix *f = *state;
	struct sig_trustroot *root = NULL;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	struct rw_err err;
	json_t *doc, *tr;
	size_t len;
	char *text = tu_slurp(FIX "/trusted_root.public-good.json", &len);

	tr = json_loadb(text, len, 0, NULL);
	free(text);
	assert_non_null(tr);
	/* The first tlog is the Rekor v1 key every fixture entry names. */
	assert_int_equal(json_object_set_new(json_object_get(json_object_get(
	    json_array_get(json_object_get(tr, "tlogs"), 0), "publicKey"),
	    "validFor"), "start", json_string("2024-03-20T00:00:00Z")), 0);
	text = json_dumps(tr, 0);
	assert_non_null(text);
	rw_err_clear(&err);
	assert_int_equal(sig_bundle_root_parse(text, strlen(text), &root,
	    &err), RW_OK);
	doc = bundle_load(HP3);
	subject_init(f, &subj);
	verify_doc(doc, root, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("log key not yet valid", &res, SIG_BAD_SIGNATURE,
	    "log entry 0 was integrated at 2024-03-19T17:26:26Z, outside the "
	    "validity of log key " REKOR_KEY));
	json_decref(doc);
	json_decref(tr);
	free(text);
	sig_bundle_root_free(root);
}

/*
 * Rekor v2: no SET, so the time is the TSA's; it must not be in the future,
 * and the log key must have been valid then.
 */
static void
test_rekor2_times(void **state)
{
	const struct fix *f = *state;
	struct sig_trustroot *root;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	json_t *doc, *tr;
	struct rw_err err;
	char path[512], *text;

	(void)f;
	snprintf(path, sizeof(path), "%s/%s/trusted_root.json", CASES, RK2);
	root = root_load(path);
	doc = bundle_load(RK2);
	subject_init(f, &subj);
	verify_doc(doc, root, NULL, &ident, INT64_C(1749729739), &subj, &res);
	assert_true(res_is("rekor2, now before the timestamp", &res,
	    SIG_BAD_SIGNATURE, "no verified time of signing: no log entry "
	    "with a valid signed entry timestamp; timestamp at "
	    "2025-06-12T12:02:20Z is in the future"));
	sig_bundle_root_free(root);
	/* The v2 log (the second tlog) valid only from the day after. */
	tr = tu_load_json(path);
	assert_int_equal(json_object_set_new(json_object_get(json_object_get(
	    json_array_get(json_object_get(tr, "tlogs"), 1), "publicKey"),
	    "validFor"), "start", json_string("2025-06-13T00:00:00Z")), 0);
	text = json_dumps(tr, 0);
	assert_non_null(text);
	rw_err_clear(&err);
	assert_int_equal(sig_bundle_root_parse(text, strlen(text), &root,
	    &err), RW_OK);
	verify_doc(doc, root, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("rekor2, log key not yet valid", &res,
	    SIG_BAD_SIGNATURE, "signed at 2025-06-12T12:02:20Z, outside the "
	    "validity of log key sha256:47272b9d3ff5d56435e49b6005779854b9456"
	    "0cb5b0246bbf899f151068e5f91"));
	free(text);
	json_decref(tr);
	json_decref(doc);
	sig_bundle_root_free(root);
}

/* How the certificate's SAN is quoted: cut at 128 bytes. */
#define SAN_QUOTED	"certificate identity \"https://github.com/" \
	"sigstore-conformance/extremely-dangerous-public-oidc-beacon/" \
	".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/he...\" " \
	"does not match "
#define ISSUER_IS	"certificate OIDC issuer \"" ISSUER "\" is not "

struct id_row {
	const char	*name;
	struct sig_identity id;
	enum sig_verdict verdict;
	const char	*reason;
};

static const struct id_row id_rows[] = {
	{ "exact", { SUBJECT, NULL, ISSUER }, SIG_VALID, V3_VALID },
	{ "another subject", { "https://github.com/evil/repo/.github/"
	    "workflows/x.yml@refs/heads/main", NULL, ISSUER },
	    SIG_BAD_SIGNATURE, SAN_QUOTED "\"https://github.com/evil/repo/"
	    ".github/workflows/x.yml@refs/heads/main\"" },
	{ "subject prefix", { "https://github.com/sigstore-conformance/",
	    NULL, ISSUER }, SIG_BAD_SIGNATURE, SAN_QUOTED
	    "\"https://github.com/sigstore-conformance/\"" },
	{ "another issuer", { SUBJECT, NULL, "https://accounts.google.com" },
	    SIG_BAD_SIGNATURE, ISSUER_IS "\"https://accounts.google.com\"" },
	{ "issuer with a slash", { SUBJECT, NULL, ISSUER "/" },
	    SIG_BAD_SIGNATURE, ISSUER_IS "\"" ISSUER "/\"" },
	{ "regex", { NULL, "https://github\\.com/sigstore-conformance/.*",
	    ISSUER }, SIG_VALID, V3_VALID },
	{ "regex, another repo", { NULL, "https://github\\.com/evil/.*",
	    ISSUER }, SIG_BAD_SIGNATURE, SAN_QUOTED
	    "regex \"https://github\\.com/evil/.*\"" },
	/* Anchored: a regex matching only part of the SAN matches nothing. */
	{ "regex, partial", { NULL, "sigstore-conformance", ISSUER },
	    SIG_BAD_SIGNATURE, SAN_QUOTED "regex \"sigstore-conformance\"" },
	{ "regex, another issuer", { NULL, ".*",
	    "https://accounts.google.com" }, SIG_BAD_SIGNATURE,
	    ISSUER_IS "\"https://accounts.google.com\"" },
};

static void
test_identity(void **state)
{
	const struct fix *f = *state;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	size_t i, bad = 0;

	subject_init(f, &subj);
	for (i = 0; i < N(id_rows); i++) {
		judge_case(f, HP3, NULL, &id_rows[i].id, NOW, &subj, &res);
		bad += !res_is(id_rows[i].name, &res, id_rows[i].verdict,
		    id_rows[i].reason);
	}
	if (bad > 0)
		fail_msg("%zu of %zu identities differ", bad, N(id_rows));
}

/* The material must be what the caller can judge, and by whom. */
static void
test_material_vs_trust(void **state)
{
	const struct fix *f = *state;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;

	subject_init(f, &subj);
	judge_case(f, HP3, f->key, NULL, NOW, &subj, &res);
	assert_true(res_is("key for a certificate", &res, SIG_BAD_SIGNATURE,
	    "the bundle is signed with a certificate, and a key was "
	    "required"));
	judge_case(f, "managed-key-no-key_fail", NULL, &ident, NOW, &subj,
	    &res);
	assert_true(res_is("identity for a key", &res, SIG_BAD_SIGNATURE,
	    "the bundle is signed with a key, and no trusted key was given"));
	judge_case(f, MK, NULL, &ident, NOW, &subj, &res);
	assert_true(res_is("identity for the managed key", &res,
	    SIG_BAD_SIGNATURE, "the bundle is signed with a key, and no "
	    "trusted key was given"));
	judge_case(f, MK, f->other, NULL, NOW, &subj, &res);
	assert_true(res_is("another key", &res, SIG_BAD_SIGNATURE,
	    "the log entry was made for another key"));
}

static void
test_bad_arguments(void **state)
{
	const struct fix *f = *state;
	static const char einval[] = "could not verify: sig_bundle_verify: "
	    "NULL argument, or not exactly one of key and identity";
	struct sig_bundle_trust t = { f->good, NULL, &ident, NOW };
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	struct rw_err err;
	char *big;

	subject_init(f, &subj);
	assert_int_equal(verify(NULL, 2, f->good, NULL, &ident, NOW, &subj,
	    &res, &err), RW_EINVAL);
	assert_true(res_is("NULL json", &res, SIG_MALFORMED, einval));
	assert_int_equal(err.code, RW_EINVAL);
	assert_int_equal(verify("{}", 2, f->good, f->key, &ident, NOW, &subj,
	    &res, &err), RW_EINVAL);
	assert_true(res_is("key and identity", &res, SIG_MALFORMED, einval));
	assert_int_equal(verify("{}", 2, f->good, NULL, NULL, NOW, &subj,
	    &res, &err), RW_EINVAL);
	assert_true(res_is("neither", &res, SIG_MALFORMED, einval));
	assert_int_equal(verify("{}", 2, NULL, NULL, &ident, NOW, &subj,
	    &res, &err), RW_EINVAL);
	assert_true(res_is("no root", &res, SIG_MALFORMED, einval));
	assert_int_equal(verify("{}", 2, f->good, NULL, &ident, NOW, NULL,
	    &res, &err), RW_EINVAL);
	assert_true(res_is("no subject", &res, SIG_MALFORMED, einval));
	rw_err_clear(&err);
	assert_int_equal(sig_bundle_verify("{}", 2, NULL, &subj, &res, &err),
	    RW_EINVAL);
	assert_true(res_is("no trust", &res, SIG_MALFORMED, einval));
	rw_err_clear(&err);
	assert_int_equal(sig_bundle_verify("{}", 2, &t, &subj, NULL, &err),
	    RW_EINVAL);
	assert_string_equal(err.msg, "sig_bundle_verify: NULL result");
	/* Without an rw_err, the reason falls back on the code's text. */
	assert_int_equal(sig_bundle_verify(NULL, 0, &t, &subj, &res, NULL),
	    RW_EINVAL);
	assert_true(res_is("NULL json, no err", &res, SIG_MALFORMED,
	    "could not verify: invalid argument"));

	/* The cap is checked before a byte is read; the bytes exist anyway. */
	big = malloc(SIG_BUNDLE_MAX + 1);
	assert_non_null(big);
	memset(big, ' ', SIG_BUNDLE_MAX + 1);
	assert_int_equal(verify(big, SIG_BUNDLE_MAX + 1, f->good, NULL,
	    &ident, NOW, &subj, &res, &err), RW_ETOOBIG);
	assert_true(res_is("too big", &res, SIG_MALFORMED, "could not verify: "
	    "bundle over 1048576 bytes"));
	assert_int_equal(err.code, RW_ETOOBIG);
	/* At the cap it is read (and is no JSON). */
	assert_int_equal(verify(big, SIG_BUNDLE_MAX, f->good, NULL, &ident,
	    NOW, &subj, &res, &err), RW_OK);
	assert_true(res_is("at the cap", &res, SIG_MALFORMED, "the bundle is "
	    "not JSON: 1:1048576: '[' or '{' expected near end of file"));
	free(big);
}

#define NO_MATERIAL	"the bundle's verification material must hold " \
	"exactly one of certificate, x509CertificateChain and publicKey"

struct text_row {
	const char	*name;
	const char	*text;
	const char	*reason;
};

static const struct text_row text_rows[] = {
	{ "garbage", "{not json", "the bundle is not JSON: 1:4: string or '}' "
	    "expected near 'not'" },
	{ "empty input", "", "the bundle is not JSON: 1:0: '[' or '{' "
	    "expected near end of file" },
	{ "empty object", "{}", MT_BAD },
	{ "array", "[]", MT_BAD },
	{ "media type not a string", "{\"mediaType\": 3}", MT_BAD },
	{ "unknown media type", "{\"mediaType\": "
	    "\"application/vnd.dev.sigstore.bundle+json;version=0.4\"}",
	    MT_BAD },
	{ "media type prefix only", "{\"mediaType\": "
	    "\"application/vnd.dev.sigstore.bundle\"}", MT_BAD },
	{ "duplicate key", "{\"mediaType\": \"" SIG_BUNDLE_MEDIA_V03 "\", "
	    "\"mediaType\": \"" SIG_BUNDLE_MEDIA_V03 "\"}", "the bundle is "
	    "not JSON: 1:74: duplicate object key near '\"mediaType\"'" },
	{ "no material", "{\"mediaType\": \"" SIG_BUNDLE_MEDIA_V03 "\"}",
	    NO_MATERIAL },
	{ "two materials", "{\"mediaType\": \"" SIG_BUNDLE_MEDIA_V03 "\", "
	    "\"verificationMaterial\": {\"certificate\": {\"rawBytes\": "
	    "\"AA==\"}, \"publicKey\": {\"hint\": \"x\"}}}", NO_MATERIAL },
	{ "no content", "{\"mediaType\": \"" SIG_BUNDLE_MEDIA_V03 "\", "
	    "\"verificationMaterial\": {\"certificate\": {\"rawBytes\": "
	    "\"AA==\"}}}", "the bundle must hold exactly one of "
	    "messageSignature and dsseEnvelope" },
	{ "empty certificate", "{\"mediaType\": \"" SIG_BUNDLE_MEDIA_V03
	    "\", \"verificationMaterial\": {\"certificate\": {\"rawBytes\": "
	    "\"\"}}}", "the bundle's certificate is empty" },
};

static void
test_malformed_text(void **state)
{
	const struct fix *f = *state;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	struct rw_err err;
	size_t i, bad = 0;

	subject_init(f, &subj);
	for (i = 0; i < N(text_rows); i++) {
		assert_int_equal(verify(text_rows[i].text,
		    strlen(text_rows[i].text), f->good, NULL, &ident, NOW,
		    &subj, &res, &err), RW_OK);
		bad += !res_is(text_rows[i].name, &res, SIG_MALFORMED,
		    text_rows[i].reason);
	}
	if (bad > 0)
		fail_msg("%zu of %zu texts differ", bad, N(text_rows));
}

/* No rw_err given: verdicts need none. */
static void
test_no_err(void **state)
{
	const struct fix *f = *state;
	struct sig_bundle_trust t = { f->good, NULL, &ident, NOW };
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	size_t len;
	char *text = NULL, path[512];

	subject_init(f, &subj);
	snprintf(path, sizeof(path), "%s/%s/bundle.sigstore.json", CASES, HP3);
	text = tu_slurp(path, &len);
	assert_int_equal(sig_bundle_verify(text, len, &t, &subj, &res, NULL),
	    RW_OK);
	assert_true(res_is("no err", &res, SIG_VALID, V3_VALID));
	t.now = 0;
	assert_int_equal(sig_bundle_verify(text, len, &t, &subj, &res, NULL),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_BAD_SIGNATURE);
	free(text);
}

/* ----------------------------------------------------- a forged log */

/*
 * No fixture is signed with Ed25519, which cannot be checked against a
 * digest.  So the test runs a log of its own: a v0.1 bundle (the SET is
 * enough) over a.txt, signed with a fresh Ed25519 key, its hashedrekord
 * entry promised by a fresh ECDSA P-256 "Rekor" added to the public-good
 * root.
 */
#define FORGED_TIME	INT64_C(1750000000)	/* 2025-06-15T15:06:40Z */
#define FORGED_INDEX	42

struct forge {
	struct sig_trustroot	*root;
	struct sig_key		*key;		/* the signer's */
	char			*bundle;
};

/* K's signature over MSG, hashed with MD (NULL for Ed25519). */
static unsigned char *
sign(EVP_PKEY *k, const EVP_MD *md, const void *msg, size_t len,
    size_t *slen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char *sig;

	assert_non_null(c);
	assert_int_equal(EVP_DigestSignInit(c, NULL, md, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(c, NULL, slen, msg, len), 1);
	sig = malloc(*slen);
	assert_non_null(sig);
	assert_int_equal(EVP_DigestSign(c, sig, slen, msg, len), 1);
	EVP_MD_CTX_free(c);
	return sig;
}

/* The public-good root plus LOG (its SPKI SPKI_B64, its id ID_B64). */
static struct sig_trustroot *
forged_root(const char *spki_b64, const char *id_b64)
{
	struct sig_trustroot *r = NULL;
	struct rw_err err;
	json_t *tr, *lg;
	size_t len;
	char *text = tu_slurp(FIX "/trusted_root.public-good.json", &len);

	tr = json_loadb(text, len, 0, NULL);
	free(text);
	assert_non_null(tr);
	lg = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s}}",
	    "baseUrl", "https://forged.example", "hashAlgorithm", "SHA2_256",
	    "publicKey", "rawBytes", spki_b64, "keyDetails",
	    "PKIX_ECDSA_P256_SHA_256", "validFor", "start",
	    "2020-01-01T00:00:00Z", "logId", "keyId", id_b64);
	assert_non_null(lg);
	assert_int_equal(json_array_append_new(json_object_get(tr, "tlogs"),
	    lg), 0);
	text = json_dumps(tr, 0);
	assert_non_null(text);
	rw_err_clear(&err);
	if (sig_bundle_root_parse(text, strlen(text), &r, &err) != RW_OK)
		fail_msg("forged root: %s", err.msg);
	free(text);
	json_decref(tr);
	return r;
}

/* The signer's PEM public key, loaded as a caller would, into FG->key. */
static char *
signer_pem(EVP_PKEY *signer, struct forge *fg)
{
	BIO *bio = BIO_new(BIO_s_mem());
	struct rw_err err;
	char *data, *pem;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, signer), 1);
	n = BIO_get_mem_data(bio, &data);
	assert_true(n > 0);
	pem = strndup(data, (size_t)n);
	assert_non_null(pem);
	BIO_free(bio);
	rw_err_clear(&err);
	if (sig_key_load(pem, strlen(pem), &fg->key, &err) != RW_OK)
		fail_msg("forged key: %s", err.msg);
	return pem;
}

/* Lower-case hex of the 32 bytes B into OUT. */
static void
hex32(const unsigned char *b, char out[65])
{
	size_t i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* FG->root: the public-good root plus LOG; LOG's id into ID. */
static void
forge_log(EVP_PKEY *log, struct forge *fg, unsigned char id[32])
{
	unsigned char *spki = NULL;
	char *spki_b64, *id_b64;
	int dlen = i2d_PUBKEY(log, &spki);

	assert_true(dlen > 0);
	assert_int_equal(EVP_Digest(spki, (size_t)dlen, id, NULL,
	    EVP_sha256(), NULL), 1);
	spki_b64 = b64(spki, (size_t)dlen);
	id_b64 = b64(id, 32);
	fg->root = forged_root(spki_b64, id_b64);
	free(id_b64);
	free(spki_b64);
	OPENSSL_free(spki);
}

/*
 * The hashedrekord body (base64, caller frees) of SIGNER's signature over
 * a.txt, and that signature (base64) in *SIG_B64.
 */
static char *
forge_body(const struct fix *f, EVP_PKEY *signer, struct forge *fg,
    char **sig_b64)
{
	unsigned char *sig;
	char hex[65], body[4096], *pem, *pem_b64;
	size_t slen;

	pem = signer_pem(signer, fg);
	pem_b64 = b64(pem, strlen(pem));
	sig = sign(signer, NULL, f->artifact, f->alen, &slen);
	*sig_b64 = b64(sig, slen);
	hex32(f->sha, hex);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"0.0.1\",\"kind\":"
	    "\"hashedrekord\",\"spec\":{\"data\":{\"hash\":{\"algorithm\":"
	    "\"sha256\",\"value\":\"%s\"}},\"signature\":{\"content\":\"%s\","
	    "\"publicKey\":{\"content\":\"%s\"}}}}", hex, *sig_b64, pem_b64);
	free(sig);
	free(pem_b64);
	free(pem);
	return b64(body, strlen(body));
}

/* The SET (base64, caller frees): LOG's signature over the entry. */
static char *
forge_set(EVP_PKEY *log, const unsigned char id[32], const char *body_b64)
{
	unsigned char *set;
	char hex[65], canon[8192], *set_b64;
	size_t setlen;

	hex32(id, hex);
	snprintf(canon, sizeof(canon), "{\"body\":\"%s\",\"integratedTime\":"
	    "%lld,\"logID\":\"%s\",\"logIndex\":%d}", body_b64,
	    (long long)FORGED_TIME, hex, FORGED_INDEX);
	set = sign(log, EVP_sha256(), canon, strlen(canon), &setlen);
	set_b64 = b64(set, setlen);
	free(set);
	return set_b64;
}

static void
forge_init(const struct fix *f, struct forge *fg)
{
	EVP_PKEY *log = EVP_EC_gen("P-256");
	EVP_PKEY *signer = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char id[32];
	char *sig_b64, *body_b64, *set_b64, *id_b64, time[24], index[24];
	json_t *doc;

	assert_non_null(log);
	assert_non_null(signer);
	forge_log(log, fg, id);
	body_b64 = forge_body(f, signer, fg, &sig_b64);
	set_b64 = forge_set(log, id, body_b64);
	id_b64 = b64(id, 32);
	snprintf(time, sizeof(time), "%lld", (long long)FORGED_TIME);
	snprintf(index, sizeof(index), "%d", FORGED_INDEX);
	doc = json_pack("{s:s, s:{s:{s:s}, s:[{s:s, s:{s:s}, s:{s:s, s:s}, "
	    "s:s, s:{s:s}, s:s}]}, s:{s:s}}",
	    "mediaType", "application/vnd.dev.sigstore.bundle+json;version=0.1",
	    "verificationMaterial", "publicKey", "hint", "forged",
	    "tlogEntries", "logIndex", index, "logId", "keyId", id_b64,
	    "kindVersion", "kind", "hashedrekord", "version", "0.0.1",
	    "integratedTime", time, "inclusionPromise",
	    "signedEntryTimestamp", set_b64, "canonicalizedBody", body_b64,
	    "messageSignature", "signature", sig_b64);
	assert_non_null(doc);
	fg->bundle = json_dumps(doc, JSON_COMPACT);
	assert_non_null(fg->bundle);
	json_decref(doc);
	free(id_b64);
	free(set_b64);
	free(body_b64);
	free(sig_b64);
	EVP_PKEY_free(signer);
	EVP_PKEY_free(log);
}

static void
forge_cleanup(struct forge *fg)
{
	sig_bundle_root_free(fg->root);
	sig_key_free(fg->key);
	free(fg->bundle);
}

static void
test_ed25519(void **state)
{
	const struct fix *f = *state;
	struct sig_bundle_subject subj;
	struct sig_bundle_result res;
	struct forge fg;
	struct rw_err err;
	char want[SIG_REASON_MAX + 1];

	forge_init(f, &fg);
	subject_init(f, &subj);
	assert_int_equal(verify(fg.bundle, strlen(fg.bundle), fg.root, fg.key,
	    NULL, NOW, &subj, &res, &err), RW_OK);
	snprintf(want, sizeof(want), "signed by Ed25519 key %s; logged in "
	    "forged.example at index 42, signed at 2025-06-15T15:06:40Z",
	    sig_key_id(fg.key));
	assert_true(res_is("ed25519", &res, SIG_VALID, want));
	assert_int_equal(res.time, FORGED_TIME);

	/* Ed25519 signs the bytes: a digest alone cannot be checked. */
	subj.data = NULL;
	subj.len = 0;
	assert_int_equal(verify(fg.bundle, strlen(fg.bundle), fg.root, fg.key,
	    NULL, NOW, &subj, &res, &err), RW_OK);
	assert_true(res_is("ed25519 digest only", &res, SIG_BAD_SIGNATURE,
	    "an Ed25519 signature cannot be checked against a digest: it "
	    "needs the bytes"));
	/* A verdict, not an error: ERR stays clear, and may be NULL. */
	assert_int_equal(err.code, 0);
	{
		struct sig_bundle_trust t = { fg.root, fg.key, NULL, NOW };

		assert_int_equal(sig_bundle_verify(fg.bundle, strlen(fg.bundle),
		    &t, &subj, &res, NULL), RW_OK);
		assert_int_equal(res.verdict, SIG_BAD_SIGNATURE);
	}

	/* The log is trusted only through the root that names it. */
	subject_init(f, &subj);
	assert_int_equal(verify(fg.bundle, strlen(fg.bundle), f->good, fg.key,
	    NULL, NOW, &subj, &res, &err), RW_OK);
	assert_true(res_is("forged log, public root", &res, SIG_BAD_SIGNATURE,
	    "log entry 0 is from a log that is not in the trusted root"));
	forge_cleanup(&fg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_dsse_fields),
		cmocka_unit_test(test_digest_only),
		cmocka_unit_test(test_no_message_digest),
		cmocka_unit_test(test_other_bytes),
		cmocka_unit_test(test_now),
		cmocka_unit_test(test_log_key_window),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_material_vs_trust),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_malformed_text),
		cmocka_unit_test(test_no_err),
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_rekor2_times),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
