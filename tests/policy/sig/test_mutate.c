/* test_mutate.c - mutated signatures never crash, leak or verify. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifiers read bytes anyone can push to a registry.  Each happy
 * fixture is mutated a bounded, seeded number of times (a byte changed, a
 * run cut out, the text cut short) and judged again: under ASan/UBSan in
 * CI a memory error fails the run; every call must return a verdict or a
 * clean error; and a mutation inside the signed bytes must not verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "policy/sig/internal.h"
#include "policy/sig/sig.h"
#include "policy/sig/tlog.h"
#include "policy/sig/tsa.h"
#include "tests/testutil.h"

#define CONF	RW_SOURCE_DIR "/tests/fixtures/sigstore-conformance"
#define CASES	CONF "/bundle-verify"
#define ROUNDS	1500

static const struct sig_identity ident = {
	"https://github.com/sigstore-conformance/extremely-dangerous-public-"
	"oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@"
	"refs/heads/main", NULL, "https://token.actions.githubusercontent.com"
};

/* A small deterministic generator: the same mutations on every run. */
static uint64_t rng = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * A copy of SRC (LEN bytes) mutated one of three ways from offset *AT (may
 * be NULL); its length in *N.
 */
static char *
mutate(const char *src, size_t len, size_t *n, size_t *atp)
{
	char *m = malloc(len + 1);
	size_t at = (size_t)(next() % len), run;

	if (atp != NULL)
		*atp = at;
	assert_non_null(m);
	memcpy(m, src, len);
	*n = len;
	switch (next() % 3) {
	case 0:		/* one byte to any other value */
		m[at] ^= (char)(1 + next() % 255);
		break;
	case 1:		/* a run cut out */
		run = 1 + (size_t)(next() % 16);
		if (at + run > len)
			run = len - at;
		memmove(m + at, m + at + run, len - at - run);
		*n = len - run;
		break;
	default:	/* cut short */
		*n = at;
		break;
	}
	m[*n] = '\0';
	return m;
}

static struct sig_trustroot *
root_at(const char *path)
{
	struct sig_trustroot *r = NULL;
	struct rw_err err;
	size_t len;
	char *text = tu_slurp(path, &len);

	rw_err_clear(&err);
	assert_int_equal(sig_bundle_root_parse(text, len, &r, &err), RW_OK);
	free(text);
	return r;
}

/* The bytes of the string value of member "KEY" in TEXT: [*LO, *HI). */
static void
span(const char *text, const char *key, size_t *lo, size_t *hi)
{
	char pat[64];
	const char *v;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	v = strstr(text, pat);
	assert_non_null(v);
	*lo = (size_t)(v - text) + strlen(pat);
	*hi = (size_t)(strchr(text + *lo, '"') - text);
	assert_true(*hi > *lo + 40);	/* base64 of a signature at least */
}

/*
 * Bundles: mutated, each judged; a verdict every time, and never VALID
 * for a change inside the signature (member SIGKEY) or the logged body.
 */
static void
mutate_bundle(const char *dir, const char *rootpath, const char *sigkey)
{
	struct sig_trustroot *root = root_at(rootpath);
	struct sig_bundle_subject subj = { .data = NULL };
	struct sig_bundle_trust t = { root, NULL, &ident, INT64_C(1900000000) };
	struct sig_bundle_result res;
	char path[512], *text, *m, *art;
	size_t len, n, alen, valid = 0, at, slo, shi, blo, bhi;
	struct rw_err err;
	int i, rc;

	snprintf(path, sizeof(path), "%s/%s/bundle.sigstore.json", CASES, dir);
	text = tu_slurp(path, &len);
	art = tu_slurp(CONF "/a.txt", &alen);
	subj.data = art;
	subj.len = alen;
	assert_int_equal(EVP_Digest(art, alen, subj.sha256, NULL, EVP_sha256(),
	    NULL), 1);
	rw_err_clear(&err);
	assert_int_equal(sig_bundle_verify(text, len, &t, &subj, &res, &err),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_VALID);
	span(text, sigkey, &slo, &shi);
	span(text, "canonicalizedBody", &blo, &bhi);
	for (i = 0; i < ROUNDS; i++) {
		m = mutate(text, len, &n, &at);
		rw_err_clear(&err);
		rc = sig_bundle_verify(m, n, &t, &subj, &res, &err);
		assert_true(rc == RW_OK || rc == RW_ENOMEM);
		if (res.verdict == SIG_VALID && ((at >= slo && at < shi) ||
		    (at >= blo && at < bhi)))
			fail_msg("%s changed at byte %zu verified", dir, at);
		/*
		 * Whitespace, an unread member or a certificate the timestamp
		 * carries only as a hint may change harmlessly (a few in a
		 * thousand); most changes must not verify.
		 */
		valid += res.verdict == SIG_VALID;
		free(m);
	}
	print_message("%s: %zu of %d mutations still verify\n", dir, valid,
	    ROUNDS);
	assert_true(valid < ROUNDS / 4);
	free(text);
	free(art);
	sig_bundle_root_free(root);
}

static void
test_bundles(void **state)
{
	(void)state;
	mutate_bundle("happy-path-v0.3", CONF "/trusted_root.public-good.json",
	    "signature");
	mutate_bundle("happy-path-intoto-in-dsse-v3",
	    CONF "/trusted_root.public-good.json", "sig");
	mutate_bundle("rekor2-happy-path",
	    CASES "/rekor2-happy-path/trusted_root.json", "signature");
}

/* Checkpoints: a mutated note never verifies unless the change is in an
 * ignored witness line; the parser never reads out of bounds. */
static void
test_checkpoints(void **state)
{
	struct sig_trustroot *root = root_at(CASES
	    "/rekor2-checkpoint-cosigned/trusted_root.json");
	json_t *b = tu_load_json(CASES "/rekor2-checkpoint-cosigned/"
	    "bundle.sigstore.json");
	const char *note = json_string_value(json_object_get(json_object_get(
	    json_object_get(json_array_get(json_object_get(json_object_get(b,
	    "verificationMaterial"), "tlogEntries"), 0), "inclusionProof"),
	    "checkpoint"), "envelope"));
	const struct sig_tlog_key *log = NULL;
	struct sig_checkpoint cp;
	char why[SIG_REASON_MAX + 1], *m;
	const char *line;
	size_t i, n, at, protect;
	struct rw_err err;
	int good, k;

	(void)state;
	assert_non_null(note);
	for (i = 0; i < root->ntlogs; i++)
		if (root->tlogs[i].origin != NULL &&
		    strncmp(note, root->tlogs[i].origin,
		    strlen(root->tlogs[i].origin)) == 0)
			log = &root->tlogs[i];
	assert_non_null(log);
	rw_err_clear(&err);
	assert_int_equal(sig_checkpoint_verify(note, strlen(note), log, &cp,
	    &good, why, sizeof(why), &err), RW_OK);
	assert_int_equal(good, 1);
	/* The text and the log's own signature line: the part that counts. */
	line = strstr(note, "\n\n\xe2\x80\x94 ");
	assert_non_null(line);
	assert_non_null(strstr(line + 2, log->origin));
	protect = (size_t)(strchr(line + 2, '\n') - note) + 1;
	for (k = 0; k < ROUNDS * 5; k++) {
		m = mutate(note, strlen(note), &n, &at);
		rw_err_clear(&err);
		assert_int_equal(sig_checkpoint_verify(m, n, log, &cp, &good,
		    why, sizeof(why), &err), RW_OK);
		if (good && at < protect)
			fail_msg("a checkpoint changed at byte %zu verified: %s",
			    at, m);
		free(m);
	}
	json_decref(b);
	sig_bundle_root_free(root);
}

/* RFC 3161 tokens: DER mutated; OpenSSL parses, our code judges. */
static void
test_timestamps(void **state)
{
	struct sig_trustroot *root = root_at(CASES
	    "/rekor2-happy-path/trusted_root.json");
	json_t *b = tu_load_json(CASES "/rekor2-happy-path/bundle.sigstore.json");
	json_t *vm = json_object_get(b, "verificationMaterial");
	const char *ts = json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(vm, "timestampVerificationData"),
	    "rfc3161Timestamps"), 0), "signedTimestamp"));
	const char *sig = json_string_value(json_object_get(json_object_get(b,
	    "messageSignature"), "signature"));
	unsigned char *der = NULL, *sg = NULL;
	size_t dlen = 0, slen = 0, n, at, valid = 0;
	struct sig_tsa_result res;
	struct rw_err err;
	char *m;
	int k, rc;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(sig_b64_decode(ts, strlen(ts), 0, &der, &dlen, &err),
	    RW_OK);
	assert_int_equal(sig_b64_decode(sig, strlen(sig), 0, &sg, &slen, &err),
	    RW_OK);
	assert_int_equal(sig_tsa_verify(der, dlen, sg, slen, root, &res, &err),
	    RW_OK);
	assert_int_equal(res.verdict, SIG_VALID);
	/*
	 * What the TSA signed must not change: in this token (offsets from
	 * `openssl asn1parse`) the TSTInfo (imprint, genTime...) at bytes 72
	 * to 247, the signed attributes (its digest) at 889 to 1144 and the
	 * signature at 1156 to the end.  The rest is syntax OpenSSL does not
	 * hold against it, or hints such as the embedded certificates: the
	 * trusted root's TSA certificate is what verifies.
	 */
	assert_int_equal(dlen, 1262);
	for (k = 0; k < ROUNDS; k++) {
		m = mutate((const char *)der, dlen, &n, &at);
		rw_err_clear(&err);
		rc = sig_tsa_verify((const unsigned char *)m, n, sg, slen, root,
		    &res, &err);
		assert_true(rc == RW_OK || rc == RW_ENOMEM);
		if (res.verdict == SIG_VALID && ((at >= 72 && at < 247) ||
		    (at >= 889 && at < 1144) || at >= 1156))
			fail_msg("a timestamp changed at byte %zu verified", at);
		valid += res.verdict == SIG_VALID;
		free(m);
	}
	print_message("timestamp: %zu of %d mutations still verify\n", valid,
	    ROUNDS);
	assert_true(valid < ROUNDS / 4);
	free(der);
	free(sg);
	json_decref(b);
	sig_bundle_root_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundles),
		cmocka_unit_test(test_checkpoints),
		cmocka_unit_test(test_timestamps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
