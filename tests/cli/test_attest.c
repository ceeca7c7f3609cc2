/* test_attest.c - `regwarden attest`: arguments, the statement and its
 * DSSE envelope (checked by the proxy's verifier, and tampered), and the
 * .att manifest. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli/sign.h"
#include "policy/policy.h"
#include "policy/sig/sig.h"
#include "util/util.h"
#include "tests/testutil.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))
#define HEX	"1111111111111111111111111111111111111111111111111111111111111111"
#define DIG	"sha256:" HEX
#define OTHER	"sha256:2222222222222222222222222222222222222222222222222222222222222222"

static struct sign_key *
new_key(void)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *b = BIO_new(BIO_s_mem());
	struct sign_key *k = NULL;
	char *pem;
	long n;

	assert_non_null(pk);
	assert_int_equal(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL,
	    NULL), 1);
	n = BIO_get_mem_data(b, &pem);
	assert_int_equal(sign_key_parse(pem, (size_t)n, "k.pem", &k, NULL),
	    RW_OK);
	BIO_free(b);
	EVP_PKEY_free(pk);
	return k;
}

static void
test_args(void **state)
{
	static const struct {
		const char	*argv[8];
		int		 rc;
		const char	*msg;
	} rows[] = {
		{ { "attest", "--key", "k", "--type", "spdx", "--predicate",
		    "p.json", "img" }, RW_OK, "" },
		{ { "attest", "--key", "k", "--predicate", "p.json", "img" },
		    RW_EINVAL, "missing --type (a predicate type URI or a cosign "
		    "--type name)" },
		{ { "attest", "--key", "k", "--type", "spdx", "img" }, RW_EINVAL,
		    "missing --predicate (a JSON file)" },
		{ { "attest", "-a", "x=y", "--key", "k", "img" }, RW_EINVAL,
		    "unknown option \"-a\"" },
		{ { "sign", "--type", "spdx", "--key", "k", "img" }, RW_EINVAL,
		    "unknown option \"--type\"" },
		{ { "sign", "--key", "k", "img" }, RW_OK, "" },
	};
	struct sign_args a;
	struct rw_err e;
	size_t i;
	int argc;

	(void)state;
	for (i = 0; i < N(rows); i++) {
		for (argc = 0; argc < 8 && rows[i].argv[argc] != NULL; argc++)
			;
		rw_err_clear(&e);
		if (sign_parse_args(argc, (char **)(uintptr_t)rows[i].argv,
		    "c.json", &a, &e) != rows[i].rc ||
		    strcmp(e.msg, rows[i].msg) != 0)
			fail_msg("row %zu: \"%s\"", i, e.msg);
	}
	assert_int_equal(sign_parse_args(8, (char **)(uintptr_t)rows[0].argv,
	    "c.json", &a, &e), RW_OK);
	assert_true(a.attest);
	assert_string_equal(a.type, "spdx");
	assert_string_equal(a.predicate, "p.json");
}

static void
test_type_uri(void **state)
{
	(void)state;
	assert_string_equal(policy_att_type_uri("slsaprovenance1"),
	    "https://slsa.dev/provenance/v1");
	assert_string_equal(policy_att_type_uri("spdxjson"),
	    "https://spdx.dev/Document");
	assert_string_equal(policy_att_type_uri("vuln"),
	    "https://cosign.sigstore.dev/attestation/vuln/v1");
	assert_string_equal(policy_att_type_uri("https://example.com/x/v1"),
	    "https://example.com/x/v1");
	assert_null(policy_att_type_uri("sbom"));
	assert_null(policy_att_type_uri("slsa"));
}

static void
test_envelope(void **state)
{
	struct sign_key *k = new_key(), *k2 = new_key();
	struct sig_dsse_result r;
	struct sign_manifest m, m2;
	char *env = NULL;
	size_t len = 0;
	json_t *st, *man;
	const char *pred = "{\"builder\":{\"id\":\"https://ci\"}}";

	(void)state;
	assert_int_equal(attest_envelope(k, "docker.io/acme/app", DIG,
	    "https://slsa.dev/provenance/v1", pred, strlen(pred), &env, &len,
	    NULL), RW_OK);
	assert_int_equal(sig_dsse_verify(sign_key_public(k), env, len, DIG, &r,
	    NULL), RW_OK);
	assert_int_equal(r.verdict, SIG_VALID);
	st = json_loadb(r.statement, r.slen, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(st, "_type")),
	    SIG_INTOTO_V01);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(st, "subject"), 0), "digest"),
	    "sha256")), HEX);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(st, "predicate"), "builder"), "id")), "https://ci");
	json_decref(st);
	sig_dsse_result_free(&r);
	/* another key, another image */
	assert_int_equal(sig_dsse_verify(sign_key_public(k2), env, len, DIG, &r,
	    NULL), RW_OK);
	assert_int_equal(r.verdict, SIG_BAD_SIGNATURE);
	assert_int_equal(sig_dsse_verify(sign_key_public(k), env, len, OTHER,
	    &r, NULL), RW_OK);
	assert_int_equal(r.verdict, SIG_WRONG_DIGEST);
	/* the .att manifest: one DSSE layer, then a second appended */
	assert_int_equal(attest_manifest(NULL, 0, NULL, env, len,
	    "https://slsa.dev/provenance/v1", &m, NULL), RW_OK);
	man = json_loadb(m.body, m.len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(man, "layers"), 0), "mediaType")), SIG_DSSE_MEDIA);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(man, "layers"), 0), "annotations"),
	    "predicateType")), "https://slsa.dev/provenance/v1");
	json_decref(man);
	assert_int_equal(attest_manifest(m.body, m.len, NULL, env, len,
	    "https://spdx.dev/Document", &m2, NULL), RW_OK);
	assert_int_equal(m2.nlayers, 2);
	sign_manifest_cleanup(&m);
	sign_manifest_cleanup(&m2);
	free(env);
	assert_int_equal(attest_envelope(k, "docker.io/acme/app", DIG, "x",
	    "[1]", 3, &env, &len, NULL), RW_EPARSE);
	assert_null(env);
	sign_key_free(k);
	sign_key_free(k2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_type_uri),
		cmocka_unit_test(test_envelope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
