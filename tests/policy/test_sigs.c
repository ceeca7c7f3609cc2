/* test_sigs.c - the "signatures" check of policy_eval, row by row. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy trusts the real cosign fixture key (release) and keys made
 * here with OpenSSL (ci, ops); "stranger" signs too but is trusted by no
 * rule.  Signatures are the fixtures' (containers/image dir: layout) and
 * ones made here in cosign's format.  Each row evaluates one request and
 * compares the verdict, the return code, the whole message and one
 * reason.  Texts may name generated key ids as {ci} and {ops}.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "policy/policy.h"
#include "policy/sig/sig.h"
#include "util/util.h"
#include "tests/testutil.h"

#define N(a)		(sizeof(a) / sizeof((a)[0]))
#define FIX_DIR		RW_SOURCE_DIR "/tests/fixtures/cosign"
#define SIGSTORE_MAGIC	"\0sigstore-json\n"
#define MAGIC_LEN	(sizeof(SIGSTORE_MAGIC) - 1)
#define NOW		INT64_C(1750000000)

#define REL_ID	"sha256:c87a79018f346cc02482448b77296b0bea143ef2ccab99b04776fb0f638f301f"
#define SHEX	"634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"
/* The manifest every cosign.pub fixture signature names. */
#define SD	"sha256:" SHEX
#define DIGERR	"sha256:dc6d2c1a204b02b1ed4d0a9b29f075d24317a37da08041f89a88a2ebffbe46d8"
#define MODIF	"sha256:d9dcafdb480aa7c475e91737b96925e45844213dcb0290b4a90017459121f71f"
#define DB	"sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

#define PULL	POLICY_OP_PULL
#define PUSH	POLICY_OP_PUSH
#define ALLOW	VERDICT_ALLOW
#define DENY	VERDICT_DENY
#define WARN	VERDICT_WARN

/* ------------------------------------------------------------- inputs */

enum {
	I_REL,		/* valid/signature-1: release, for SD */
	I_REL2,		/* valid-2/signature-2: release again */
	I_MIX_UNK,	/* mixed/signature-1: a key nobody trusts */
	I_MIX_REL,	/* mixed/signature-2: release */
	I_DIGERR,	/* manifest-digest-error: release, for SD */
	I_ATTACH,	/* other-attachment: text/plain */
	I_COSIGN2,	/* key-rekor-valid: cosign2.pub */
	I_FULCIO,	/* fulcio-rekor-valid: keyless */
	I_CI,		/* generated: ci, for SD */
	I_CI_OTHER,	/* ci, for DB */
	I_OPS,		/* ops, for SD */
	I_STRANGER,	/* stranger, for SD */
	I_BADB64,	/* right media type, annotation not base64 */
	I_NOANN,	/* right media type, no annotation */
	I_CI_TYPE,	/* ci over a payload of another type */
	I_COUNT
};

static struct policy_sig_input inputs[I_COUNT];
static char *owned[I_COUNT * 2];	/* what inputs[] point to */
static size_t nowned;
static EVP_PKEY *k_ci, *k_ops, *k_stranger;
static char ci_id[RW_DIGEST_MAX], ops_id[RW_DIGEST_MAX];
static struct policy *pol;

static char *
keep(char *s)
{
	assert_non_null(s);
	owned[nowned++] = s;
	return s;
}

/* A fixture signature (`\0sigstore-json\n` + JSON) as the server passes it. */
static void
from_fixture(int id, const char *rel)
{
	struct policy_sig_input *in = &inputs[id];
	char path[512], *raw;
	unsigned char *payload;
	struct rw_err err;
	json_error_t je;
	json_t *doc, *sig;
	size_t len, plen;

	snprintf(path, sizeof(path), "%s/%s", FIX_DIR, rel);
	raw = tu_slurp(path, &len);
	assert_true(len > MAGIC_LEN && memcmp(raw, SIGSTORE_MAGIC,
	    MAGIC_LEN) == 0);
	doc = json_loadb(raw + MAGIC_LEN, len - MAGIC_LEN, 0, &je);
	if (doc == NULL)
		fail_msg("%s: %s", rel, je.text);
	rw_err_clear(&err);
	assert_int_equal(sig_b64_decode(json_string_value(json_object_get(doc,
	    "payload")), strlen(json_string_value(json_object_get(doc,
	    "payload"))), 0, &payload, &plen, &err), RW_OK);
	in->payload = keep((char *)payload);
	in->plen = plen;
	sig = json_object_get(json_object_get(doc, "annotations"),
	    "dev.cosignproject.cosign/signature");
	in->sig_b64 = keep(strdup(json_string_value(sig)));
	in->media_type = json_string_value(json_object_get(doc, "mimeType"));
	/* Borrowed from DOC: the two media types are string literals here. */
	in->media_type = strcmp(in->media_type, SIG_COSIGN_MEDIA_TYPE) == 0 ?
	    SIG_COSIGN_MEDIA_TYPE : "text/plain";
	in->origin = rel;
	json_decref(doc);
	free(raw);
}

static char *
payload_for(const char *digest, const char *type)
{
	char *p = malloc(512);

	assert_non_null(p);
	snprintf(p, 512, "{\"critical\":{\"identity\":{\"docker-reference\":"
	    "\"docker.io/acme/api\"},\"image\":{\"docker-manifest-digest\":"
	    "\"%s\"},\"type\":\"%s\"},\"optional\":null}", digest, type);
	return p;
}

/* Base64 of PK's signature over MSG, as cosign makes it. */
static char *
sign_b64(EVP_PKEY *pk, const char *msg)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *md = EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519 ? NULL :
	    "SHA256";
	unsigned char sig[1024];
	size_t slen = sizeof(sig);
	char *b64 = malloc(4 * sizeof(sig) / 3 + 8);

	assert_true(ctx != NULL && b64 != NULL);
	assert_int_equal(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, pk,
	    NULL), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &slen,
	    (const unsigned char *)msg, strlen(msg)), 1);
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)slen);
	EVP_MD_CTX_free(ctx);
	return b64;
}

static void
generated(int id, EVP_PKEY *pk, const char *digest, const char *type,
    const char *origin)
{
	struct policy_sig_input *in = &inputs[id];

	in->payload = keep(payload_for(digest, type));
	in->plen = strlen(in->payload);
	in->sig_b64 = keep(sign_b64(pk, in->payload));
	in->media_type = SIG_COSIGN_MEDIA_TYPE;
	in->origin = origin;
}

/* PK's public half as PEM, newlines escaped for a JSON string. */
static void
pem_json(EVP_PKEY *pk, char *out, size_t size)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n, i;
	size_t o = 0;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
	n = BIO_get_mem_data(bio, &data);
	for (i = 0; i < n && o + 3 < size; i++) {
		if (data[i] == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else
			out[o++] = data[i];
	}
	out[o] = '\0';
	BIO_free(bio);
}

/* sig_key_id of PK, for the texts that name it. */
static void
key_id_of(EVP_PKEY *pk, char out[RW_DIGEST_MAX])
{
	BIO *bio = BIO_new(BIO_s_mem());
	struct sig_key *k = NULL;
	struct rw_err err;
	char *data;
	long n;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
	n = BIO_get_mem_data(bio, &data);
	rw_err_clear(&err);
	assert_int_equal(sig_key_load(data, (size_t)n, &k, &err), RW_OK);
	rw_strlcpy(out, sig_key_id(k), RW_DIGEST_MAX);
	sig_key_free(k);
	BIO_free(bio);
}

/* ------------------------------------------------------------- policy */

/* The rows cite these lines: keep the layout. */
static struct policy *
load_policy(void)
{
	char ci[1024], ops[1024], *text;
	struct policy *p = NULL;
	struct rw_diags d;
	int n;

	pem_json(k_ci, ci, sizeof(ci));
	pem_json(k_ops, ops, sizeof(ops));
	text = malloc(8192);
	assert_non_null(text);
	n = snprintf(text, 8192,
	    "{ \"version\": 1,\n"					/* 1 */
	    "  \"rules\": [\n"						/* 2 */
	    "    { \"name\": \"blocked\", \"match\": \"docker.io/evil/*\",\n"
	    "      \"allow\": false, \"signatures\": { \"keys\": [\"ci\"] } },\n"
	    "    { \"name\": \"plain\", \"match\": \"docker.io/library/*\" },\n"
	    "    { \"name\": \"apps\", \"match\": [\"docker.io/acme/**\"],\n" /* 6 */
	    "      \"signatures\": { \"keys\": [\"release\", \"ci\"] } },\n"
	    "    { \"name\": \"both\", \"match\": \"docker.io/both/*\",\n"	/* 8 */
	    "      \"signatures\": { \"keys\": [\"release\", \"ci\"], "
	    "\"require\": \"all\" } },\n"
	    "    { \"name\": \"quorum\", \"match\": \"docker.io/quorum/*\",\n" /* 10 */
	    "      \"signatures\": { \"require\": 2, \"keys\": [\"release\", "
	    "\"ci\", \"ops\"] } },\n"
	    "    { \"name\": \"warned\", \"match\": \"quay.io/acme/**\", "	/* 12 */
	    "\"mode\": \"warn\", \"signatures\": { \"keys\": [\"release\"] }, "
	    "\"message\": \"signatures are enforced from 2025-09-01\" },\n"
	    "    { \"name\": \"audited\", \"match\": \"gcr.io/acme/**\", "	/* 13 */
	    "\"mode\": \"audit\", \"signatures\": { \"keys\": [\"release\"] } },\n"
	    "    { \"name\": \"mixed\", \"match\": \"registry.example.com/apps/**\", " /* 14 */
	    "\"tags\": {}, \"signatures\": { \"keys\": [\"ci\"], "
	    "\"require\": \"any\" }, \"message\": \"ask #platform\" },\n"
	    "    { \"name\": \"pushes\", \"match\": \"registry.example.com/ci/**\", " /* 15 */
	    "\"operations\": [\"push\"], \"signatures\": { \"keys\": [\"ops\", "
	    "\"ci\"], \"require\": 1 } }\n"
	    "  ],\n"
	    "  \"keys\": {\n"
	    "    \"release\": { \"cosign_file\": \"%s/cosign.pub\" },\n"
	    "    \"ci\": { \"cosign\": \"%s\" },\n"
	    "    \"ops\": { \"cosign\": \"%s\" }\n"
	    "  }\n"
	    "}\n", FIX_DIR, ci, ops);
	assert_true(n > 0 && n < 8192);
	memset(&d, 0, sizeof(d));
	if (policy_load_text("sigs.json", text, (size_t)n, &p, &d) != RW_OK)
		fail_msg("sigs.json: %s", d.n > 0 ? d.e[0].msg : "?");
	free(text);
	return p;
}

static int
setup(void **state)
{
	(void)state;
	k_ci = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_ops = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	k_stranger = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (k_ci == NULL || k_ops == NULL || k_stranger == NULL)
		return -1;
	key_id_of(k_ci, ci_id);
	key_id_of(k_ops, ops_id);
	from_fixture(I_REL, "dir-img-cosign-valid/signature-1");
	from_fixture(I_REL2, "dir-img-cosign-valid-2/signature-2");
	from_fixture(I_MIX_UNK, "dir-img-cosign-mixed/signature-1");
	from_fixture(I_MIX_REL, "dir-img-cosign-mixed/signature-2");
	from_fixture(I_DIGERR, "dir-img-cosign-manifest-digest-error/"
	    "signature-1");
	from_fixture(I_ATTACH, "dir-img-cosign-other-attachment/signature-1");
	from_fixture(I_COSIGN2, "dir-img-cosign-key-rekor-valid/signature-1");
	from_fixture(I_FULCIO, "dir-img-cosign-fulcio-rekor-valid/"
	    "signature-1");
	generated(I_CI, k_ci, SD, SIG_COSIGN_TYPE, "sha256-" SHEX ".sig layer 1");
	generated(I_CI_OTHER, k_ci, DB, SIG_COSIGN_TYPE, "layer ci-other");
	generated(I_OPS, k_ops, SD, SIG_COSIGN_TYPE, "layer ops");
	generated(I_STRANGER, k_stranger, SD, SIG_COSIGN_TYPE, "layer x");
	generated(I_CI_TYPE, k_ci, SD, "atomic container signature",
	    "layer type");
	inputs[I_BADB64] = inputs[I_CI];
	inputs[I_BADB64].sig_b64 = "!!!!";
	inputs[I_NOANN] = inputs[I_CI];
	inputs[I_NOANN].sig_b64 = NULL;
	pol = load_policy();
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nowned; i++)
		free(owned[i]);
	EVP_PKEY_free(k_ci);
	EVP_PKEY_free(k_ops);
	EVP_PKEY_free(k_stranger);
	policy_free(pol);
	return 0;
}

/* ----------------------------------------------------------------- rows */

#define MAXIN	6
#define END	-1

struct row {
	const char	*name;
	int		 op;
	const char	*host;
	const char	*repo;
	const char	*tag;
	const char	*digest;
	int		 gathered;
	int		 in[MAXIN + 1];		/* input ids, END-terminated */
	int		 rc;
	int		 kind;
	const char	*rule;
	const char	*msg;
	const char	*check;		/* a reason to compare, or NULL */
	int		 failed;
	const char	*text;
};

#define ACME	PULL, "docker.io", "acme/api", "1.2", SD, 1
#define BOTH	PULL, "docker.io", "both/app", "1", SD, 1
#define QUORUM	PULL, "docker.io", "quorum/app", "1", SD, 1
#define SIGN(k, name)	". Sign it: regwarden sign --key <" k " key> " \
	name "@" SD
#define NOSIG	"the image has no cosign signature (no sha256-" SHEX ".sig " \
	"tag nor Sigstore bundle referrer in the repository)"
#define APPS_NONE	"no signature by any key trusted for docker.io/acme/** " \
	"(trusted: release, ci); "
#define REFUSED(ref, rule, line) "regwarden: " ref " refused by rule \"" \
	rule "\" (sigs.json:" line "): "

static const struct row rows[] = {
	/* "any": one signature by one trusted key is enough */
	{ "release-fixture", ACME, { I_REL, END }, RW_OK, ALLOW, "apps",
	  "regwarden: docker.io/acme/api:1.2 admitted by rule \"apps\" "
	  "(sigs.json:6).", "signatures", 0,
	  "signed by a key trusted for docker.io/acme/** (release); found 1 "
	  "signature: 1 by a trusted key" },
	{ "release-key-detail", ACME, { I_REL, END }, RW_OK, ALLOW, "apps",
	  "regwarden: docker.io/acme/api:1.2 admitted by rule \"apps\" "
	  "(sigs.json:6).", "signatures.key", 0,
	  "signed by key release (" REL_ID "), signature "
	  "dir-img-cosign-valid/signature-1" },
	{ "ci-generated", ACME, { I_CI, END }, RW_OK, ALLOW, "apps",
	  "regwarden: docker.io/acme/api:1.2 admitted by rule \"apps\" "
	  "(sigs.json:6).", "signatures", 0,
	  "signed by a key trusted for docker.io/acme/** (ci); found 1 "
	  "signature: 1 by a trusted key" },
	{ "by-digest", PULL, "docker.io", "acme/api", NULL, SD, 1,
	  { I_CI, END }, RW_OK, ALLOW, "apps",
	  "regwarden: docker.io/acme/api@" SD " admitted by rule \"apps\" "
	  "(sigs.json:6).", NULL, 0, NULL },
	{ "mixed-fixture", ACME, { I_MIX_UNK, I_MIX_REL, END }, RW_OK, ALLOW,
	  "apps", "regwarden: docker.io/acme/api:1.2 admitted by rule \"apps\" "
	  "(sigs.json:6).", "signatures", 0,
	  "signed by a key trusted for docker.io/acme/** (release); found 2 "
	  "signatures: 1 by a trusted key, 1 by an unknown key" },
	{ "two-good-fixture", ACME, { I_REL, I_REL2, END }, RW_OK, ALLOW,
	  "apps", "regwarden: docker.io/acme/api:1.2 admitted by rule \"apps\" "
	  "(sigs.json:6).", "signatures", 0,
	  "signed by a key trusted for docker.io/acme/** (release); found 2 "
	  "signatures: 2 by a trusted key" },
	{ "unneeded-key", ACME, { I_REL, END }, RW_OK, ALLOW, "apps",
	  "regwarden: docker.io/acme/api:1.2 admitted by rule \"apps\" "
	  "(sigs.json:6).", "signatures.key", 0,
	  "no signature by key ci ({ci}); not needed (1 of 2 required)" },
	{ "good-among-junk", ACME, { I_ATTACH, I_BADB64, I_STRANGER, I_CI,
	  END }, RW_OK, ALLOW, "apps",
	  "regwarden: docker.io/acme/api:1.2 admitted by rule \"apps\" "
	  "(sigs.json:6).", "signatures", 0,
	  "signed by a key trusted for docker.io/acme/** (ci); found 4 "
	  "signatures: 1 by a trusted key, 1 by an unknown key, 1 malformed, "
	  "1 not a cosign signature" },
	/* the issue's example */
	{ "unknown-and-other-digest", ACME, { I_STRANGER, I_CI_OTHER, END },
	  RW_OK, DENY, "apps",
	  REFUSED("docker.io/acme/api:1.2", "apps", "6") APPS_NONE "found 2 "
	  "signatures: 1 by an unknown key, 1 for another digest"
	  SIGN("release", "docker.io/acme/api") ".",
	  "signatures.key", 1,
	  "no signature by key ci ({ci}); it signed " DB " instead" },
	{ "none-found", ACME, { END }, RW_OK, DENY, "apps",
	  REFUSED("docker.io/acme/api:1.2", "apps", "6") APPS_NONE NOSIG
	  SIGN("release", "docker.io/acme/api") ".",
	  "signatures.key", 1, "no signature by key release (" REL_ID ")" },
	{ "not-gathered", PULL, "docker.io", "acme/api", "1.2", SD, 0,
	  { END }, RW_EINVAL, DENY, "apps",
	  "regwarden: docker.io/acme/api:1.2 could not be decided: rule "
	  "\"apps\" (sigs.json:6) needs the signatures of the image, which "
	  "was not gathered.", NULL, 0, NULL },
	{ "no-digest", PULL, "docker.io", "acme/api", "1.2", NULL, 1,
	  { END }, RW_EINVAL, DENY, "apps",
	  "regwarden: docker.io/acme/api:1.2 could not be decided: rule "
	  "\"apps\" (sigs.json:6) needs the manifest digest, which was not "
	  "gathered.", NULL, 0, NULL },
	{ "not-a-signature", ACME, { I_ATTACH, END }, RW_OK, DENY, "apps",
	  REFUSED("docker.io/acme/api:1.2", "apps", "6") APPS_NONE "found 1 "
	  "signature: 1 not a cosign signature"
	  SIGN("release", "docker.io/acme/api") ".", NULL, 0, NULL },
	{ "bad-base64", ACME, { I_BADB64, END }, RW_OK, DENY, "apps",
	  REFUSED("docker.io/acme/api:1.2", "apps", "6") APPS_NONE "found 1 "
	  "signature: 1 malformed" SIGN("release", "docker.io/acme/api") ".",
	  NULL, 0, NULL },
	{ "no-annotation", ACME, { I_NOANN, END }, RW_OK, DENY, "apps",
	  REFUSED("docker.io/acme/api:1.2", "apps", "6") APPS_NONE "found 1 "
	  "signature: 1 malformed" SIGN("release", "docker.io/acme/api") ".",
	  NULL, 0, NULL },
	{ "wrong-type", ACME, { I_CI_TYPE, END }, RW_OK, DENY, "apps",
	  REFUSED("docker.io/acme/api:1.2", "apps", "6") APPS_NONE "found 1 "
	  "signature: 1 malformed" SIGN("release", "docker.io/acme/api") ".",
	  NULL, 0, NULL },
	/* fixtures that must fail: good signatures of another manifest */
	{ "digest-error-fixture", PULL, "docker.io", "acme/api", "1.2",
	  DIGERR, 1, { I_DIGERR, END }, RW_OK, DENY, "apps",
	  "regwarden: docker.io/acme/api:1.2 refused by rule \"apps\" "
	  "(sigs.json:6): " APPS_NONE "found 1 signature: 1 for another "
	  "digest. Sign it: regwarden sign --key <release key> "
	  "docker.io/acme/api@" DIGERR ".",
	  "signatures.key", 1,
	  "no signature by key release (" REL_ID "); it signed " SD
	  " instead" },
	{ "modified-manifest-fixture", PULL, "docker.io", "acme/api", NULL,
	  MODIF, 1, { I_DIGERR, END }, RW_OK, DENY, "apps",
	  "regwarden: docker.io/acme/api@" MODIF " refused by rule \"apps\" "
	  "(sigs.json:6): " APPS_NONE "found 1 signature: 1 for another "
	  "digest. Sign it: regwarden sign --key <release key> "
	  "docker.io/acme/api@" MODIF ".", NULL, 0, NULL },
	{ "other-keys-fixtures", ACME, { I_COSIGN2, I_FULCIO, I_MIX_UNK,
	  END }, RW_OK, DENY, "apps",
	  REFUSED("docker.io/acme/api:1.2", "apps", "6") APPS_NONE "found 3 "
	  "signatures: 3 by an unknown key"
	  SIGN("release", "docker.io/acme/api") ".", NULL, 0, NULL },
	/* "all" */
	{ "all-signed", BOTH, { I_CI, I_REL, END }, RW_OK, ALLOW, "both",
	  "regwarden: docker.io/both/app:1 admitted by rule \"both\" "
	  "(sigs.json:8).", "signatures", 0,
	  "signed by 2 keys trusted for docker.io/both/* (release, ci), 2 "
	  "required; found 2 signatures: 2 by a trusted key" },
	{ "all-missing-one", BOTH, { I_REL, I_STRANGER, END }, RW_OK, DENY,
	  "both", REFUSED("docker.io/both/app:1", "both", "8")
	  "signed by 1 of the 2 required keys (release); missing: ci; found 2 "
	  "signatures: 1 by a trusted key, 1 by an unknown key"
	  SIGN("ci", "docker.io/both/app") ".", "signatures.key", 0,
	  "signed by key release (" REL_ID "), signature "
	  "dir-img-cosign-valid/signature-1" },
	{ "all-same-key-twice", BOTH, { I_REL, I_REL2, END }, RW_OK, DENY,
	  "both", REFUSED("docker.io/both/app:1", "both", "8")
	  "signed by 1 of the 2 required keys (release); missing: ci; found 2 "
	  "signatures: 2 by a trusted key" SIGN("ci", "docker.io/both/app")
	  ".", NULL, 0, NULL },
	{ "all-none", BOTH, { END }, RW_OK, DENY, "both",
	  REFUSED("docker.io/both/app:1", "both", "8")
	  "signed by 0 of the 2 required keys; missing: release, ci; " NOSIG
	  SIGN("release", "docker.io/both/app") ".", NULL, 0, NULL },
	/* N of M */
	{ "quorum-met", QUORUM, { I_OPS, I_REL, END }, RW_OK, ALLOW,
	  "quorum", "regwarden: docker.io/quorum/app:1 admitted by rule "
	  "\"quorum\" (sigs.json:10).", "signatures", 0,
	  "signed by 2 keys trusted for docker.io/quorum/* (release, ops), 2 "
	  "required; found 2 signatures: 2 by a trusted key" },
	{ "quorum-all-three", QUORUM, { I_OPS, I_REL, I_CI, END }, RW_OK,
	  ALLOW, "quorum", "regwarden: docker.io/quorum/app:1 admitted by rule "
	  "\"quorum\" (sigs.json:10).", "signatures", 0,
	  "signed by 3 keys trusted for docker.io/quorum/* (release, ci, ops), "
	  "2 required; found 3 signatures: 3 by a trusted key" },
	{ "quorum-short", QUORUM, { I_MIX_UNK, I_CI, I_CI_OTHER, END }, RW_OK,
	  DENY, "quorum", REFUSED("docker.io/quorum/app:1", "quorum", "10")
	  "signed by 1 of the 2 required keys (ci) among release, ci, ops; "
	  "needs 1 more of: release, ops; found 3 signatures: 1 by a trusted "
	  "key, 1 by an unknown key, 1 for another digest"
	  SIGN("release", "docker.io/quorum/app") ".", "signatures.key", 1,
	  "no signature by key ops ({ops})" },
	{ "quorum-other-digest", QUORUM, { I_OPS, I_REL, I_CI_OTHER, END },
	  RW_OK, ALLOW, "quorum", "regwarden: docker.io/quorum/app:1 admitted "
	  "by rule \"quorum\" (sigs.json:10).", "signatures.key", 0,
	  "no signature by key ci ({ci}); it signed " DB " instead; not needed "
	  "(2 of 3 required)" },
	/* modes */
	{ "warn-mode", PULL, "quay.io", "acme/api", "2", SD, 1,
	  { I_STRANGER, END }, RW_OK, WARN, "warned",
	  "regwarden: warning: quay.io/acme/api:2 would be refused by rule "
	  "\"warned\" (sigs.json:12, warn mode): no signature by any key "
	  "trusted for quay.io/acme/** (trusted: release); found 1 signature: "
	  "1 by an unknown key. Sign it: regwarden sign --key <release key> "
	  "quay.io/acme/api@" SD ". Signatures are enforced from 2025-09-01.",
	  NULL, 0, NULL },
	{ "audit-mode", PULL, "gcr.io", "acme/api", "2", SD, 1, { END },
	  RW_OK, ALLOW, "audited",
	  "regwarden: audit: gcr.io/acme/api:2 would be refused by rule "
	  "\"audited\" (sigs.json:13, audit mode): no signature by any key "
	  "trusted for gcr.io/acme/** (trusted: release); " NOSIG
	  ". Sign it: regwarden sign --key <release key> gcr.io/acme/api@" SD
	  ".", NULL, 0, NULL },
	{ "audit-mode-signed", PULL, "gcr.io", "acme/api", "2", SD, 1,
	  { I_REL, END }, RW_OK, ALLOW, "audited",
	  "regwarden: gcr.io/acme/api:2 admitted by rule \"audited\" "
	  "(sigs.json:13).", NULL, 0, NULL },
	/* with other checks */
	{ "tag-and-signature", PULL, "registry.example.com", "apps/api",
	  "latest", SD, 1, { I_REL, END }, RW_OK, DENY, "mixed",
	  REFUSED("registry.example.com/apps/api:latest", "mixed", "14")
	  "tag \"latest\" is not allowed; pin the digest: "
	  "registry.example.com/apps/api@" SD " or use a version tag. Also: "
	  "no signature by any key trusted for registry.example.com/apps/** "
	  "(trusted: ci); found 1 signature: 1 by an unknown key"
	  SIGN("ci", "registry.example.com/apps/api") ". Ask #platform.",
	  NULL, 0, NULL },
	{ "push-signed", PUSH, "registry.example.com", "ci/tool", "1.0", SD,
	  1, { I_CI, END }, RW_OK, ALLOW, "pushes",
	  "regwarden: push of registry.example.com/ci/tool:1.0 admitted by rule "
	  "\"pushes\" (sigs.json:15).", "signatures", 0,
	  "signed by a key trusted for registry.example.com/ci/** (ci); found "
	  "1 signature: 1 by a trusted key" },
	{ "push-unsigned", PUSH, "registry.example.com", "ci/tool", "1.0", SD,
	  1, { END }, RW_OK, DENY, "pushes",
	  "regwarden: push of registry.example.com/ci/tool:1.0 refused by rule "
	  "\"pushes\" (sigs.json:15): no signature by any key trusted for "
	  "registry.example.com/ci/** (trusted: ops, ci); " NOSIG
	  SIGN("ops", "registry.example.com/ci/tool") ".", NULL, 0, NULL },
	/* rules that need no signatures never ask for them */
	{ "blocked-needs-none", PULL, "docker.io", "evil/miner", "1", SD, 0,
	  { END }, RW_OK, DENY, "blocked",
	  "regwarden: docker.io/evil/miner:1 refused by rule \"blocked\" "
	  "(sigs.json:3): source docker.io/evil/miner is not allowed (pattern "
	  "\"docker.io/evil/*\"); use an image from an approved registry.",
	  NULL, 0, NULL },
	{ "plain-needs-none", PULL, "docker.io", "library/nginx", "1", SD, 0,
	  { END }, RW_OK, ALLOW, "plain",
	  "regwarden: docker.io/library/nginx:1 admitted by rule \"plain\" "
	  "(sigs.json:5).", NULL, 0, NULL },
};

/* S with {ci} and {ops} replaced by the generated keys' ids. */
static void
expand(const char *s, char *out, size_t size)
{
	struct rw_buf b;
	char *t;

	rw_buf_init(&b, size - 1);
	assert_int_equal(rw_buf_add(&b, "", 0), RW_OK);
	while (*s != '\0') {
		if (strncmp(s, "{ci}", 4) == 0) {
			assert_int_equal(rw_buf_addf(&b, "%s", ci_id), RW_OK);
			s += 4;
		} else if (strncmp(s, "{ops}", 5) == 0) {
			assert_int_equal(rw_buf_addf(&b, "%s", ops_id), RW_OK);
			s += 5;
		} else
			assert_int_equal(rw_buf_add(&b, s++, 1), RW_OK);
	}
	t = rw_buf_steal(&b, NULL);
	rw_strlcpy(out, t, size);
	free(t);
}

static void
print_reasons(const struct verdict *v)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		fprintf(stderr, "    %s %s: %s\n", v->reasons[i].failed ?
		    "FAIL" : "PASS", v->reasons[i].check, v->reasons[i].text);
}

/* Among the reasons named CHECK, the one whose text is WANT, if any. */
static int
has_reason(const struct verdict *v, const char *check, int failed,
    const char *want)
{
	size_t i;

	for (i = 0; i < v->nreasons; i++)
		if (strcmp(v->reasons[i].check, check) == 0 &&
		    v->reasons[i].failed == failed &&
		    (want == NULL || strcmp(v->reasons[i].text, want) == 0))
			return 1;
	return 0;
}

static int
run_row(const struct row *r)
{
	struct policy_sig_input in[MAXIN];
	struct admission_req q;
	struct verdict v;
	struct rw_err err;
	char text[1024];
	size_t n;
	int rc, bad = 0;

	memset(&q, 0, sizeof(q));
	for (n = 0; r->in[n] != END; n++)
		in[n] = inputs[r->in[n]];
	q.op = r->op;
	q.host = r->host;
	q.repo = r->repo;
	q.tag = r->tag;
	q.digest = r->digest;
	q.media_type = "application/vnd.oci.image.manifest.v1+json";
	q.sigs = n > 0 ? in : NULL;
	q.nsigs = n;
	q.sigs_gathered = r->gathered;
	rw_err_clear(&err);
	rc = policy_eval(pol, &q, NOW, &v, &err);
	if (rc != r->rc && ++bad)
		fprintf(stderr, "row %s: rc %d, expected %d\n", r->name, rc,
		    r->rc);
	if (v.kind != r->kind && ++bad)
		fprintf(stderr, "row %s: verdict %s, expected %s\n", r->name,
		    verdict_name(v.kind), verdict_name(r->kind));
	if (strcmp(v.rule, r->rule) != 0 && ++bad)
		fprintf(stderr, "row %s: rule %s\n", r->name, v.rule);
	if (strcmp(v.message, r->msg) != 0 && ++bad)
		fprintf(stderr, "row %s: message\n  got:  %s\n  want: %s\n",
		    r->name, v.message, r->msg);
	if (r->check != NULL && r->text != NULL)
		expand(r->text, text, sizeof(text));
	if (r->check != NULL && !has_reason(&v, r->check, r->failed,
	    r->text != NULL ? text : NULL) && ++bad) {
		fprintf(stderr, "row %s: no reason %s %s: %s\n", r->name,
		    r->failed ? "FAIL" : "PASS", r->check, r->text != NULL ?
		    text : "(any)");
		print_reasons(&v);
	}
	return bad;
}

static void
test_rows(void **state)
{
	size_t i;
	int bad = 0;

	(void)state;
	assert_true(N(rows) >= 25);
	for (i = 0; i < N(rows); i++)
		bad += run_row(&rows[i]);
	if (bad > 0)
		fail_msg("%d mismatches", bad);
}

/* ---------------------------------------------------------- the others */

static int
eval_sigs(const char *host, const char *repo, const struct policy_sig_input
    *in, size_t n, struct verdict *v, struct rw_err *err)
{
	struct admission_req q;

	memset(&q, 0, sizeof(q));
	q.op = PULL;
	q.host = host;
	q.repo = repo;
	q.tag = "1";
	q.digest = SD;
	q.sigs = in;
	q.nsigs = n;
	q.sigs_gathered = 1;
	rw_err_clear(err);
	return policy_eval(pol, &q, NOW, v, err);
}

/* Per key, one reason in the rule's order; the message repeats none. */
static void
test_key_reasons(void **state)
{
	struct policy_sig_input in[2] = { inputs[I_OPS], inputs[I_REL] };
	struct verdict v;
	struct rw_err err;
	char want[512];

	(void)state;
	assert_int_equal(eval_sigs("docker.io", "quorum/app", in, 2, &v, &err),
	    RW_OK);
	assert_int_equal(v.kind, ALLOW);
	/* sources, signatures, then release, ci, ops */
	assert_int_equal(v.nreasons, 5);
	assert_string_equal(v.reasons[1].check, "signatures");
	assert_string_equal(v.reasons[2].check, "signatures.key");
	assert_string_equal(v.reasons[2].text, "signed by key release ("
	    REL_ID "), signature dir-img-cosign-valid/signature-1");
	assert_int_equal(v.reasons[3].failed, 0);
	expand("no signature by key ci ({ci}); not needed (2 of 3 required)",
	    want, sizeof(want));
	assert_string_equal(v.reasons[3].text, want);
	expand("signed by key ops ({ops}), signature layer ops", want,
	    sizeof(want));
	assert_string_equal(v.reasons[4].text, want);
	/* Refused: the keys that did not sign fail, and are not repeated. */
	assert_int_equal(eval_sigs("docker.io", "quorum/app", in, 1, &v, &err),
	    RW_OK);
	assert_int_equal(v.kind, DENY);
	assert_int_equal(v.reasons[2].failed, 1);
	assert_int_equal(v.reasons[3].failed, 1);
	assert_int_equal(v.reasons[4].failed, 0);
	assert_null(strstr(v.message, "Also:"));
	assert_null(strstr(v.message, "no signature by key"));
}

/* Only the first POLICY_SIG_MAX signatures are examined, and it is said. */
static void
test_bound(void **state)
{
	struct policy_sig_input in[POLICY_SIG_MAX + 8];
	struct verdict v;
	struct rw_err err;
	size_t i;

	(void)state;
	for (i = 0; i < N(in); i++)
		in[i] = inputs[I_STRANGER];
	/* A good one past the bound is not looked at. */
	in[POLICY_SIG_MAX] = inputs[I_REL];
	assert_int_equal(eval_sigs("docker.io", "acme/api", in, N(in), &v,
	    &err), RW_OK);
	assert_int_equal(v.kind, DENY);
	assert_string_equal(v.message, REFUSED("docker.io/acme/api:1", "apps",
	    "6") APPS_NONE "found 40 signatures (only the first 32 examined): "
	    "32 by an unknown key" SIGN("release", "docker.io/acme/api") ".");
	/* The last one examined counts. */
	in[POLICY_SIG_MAX - 1] = inputs[I_REL];
	assert_int_equal(eval_sigs("docker.io", "acme/api", in, N(in), &v,
	    &err), RW_OK);
	assert_int_equal(v.kind, ALLOW);
	assert_true(has_reason(&v, "signatures", 0, "signed by a key trusted "
	    "for docker.io/acme/** (release); found 40 signatures (only the "
	    "first 32 examined): 1 by a trusted key, 31 by an unknown key"));
}

/* A long name cuts the list of what was found, never the command. */
static void
test_long_name(void **state)
{
	char repo[201], want[600];
	struct verdict v;
	struct rw_err err;
	size_t n;

	(void)state;
	memset(repo, 'a', sizeof(repo) - 1);
	memcpy(repo, "acme/", 5);
	repo[sizeof(repo) - 1] = '\0';
	assert_int_equal(eval_sigs("docker.io", repo, NULL, 0, &v, &err),
	    RW_OK);
	assert_int_equal(v.kind, DENY);
	snprintf(want, sizeof(want), "... Sign it: regwarden sign --key "
	    "<release key> docker.io/%s@" SD ".", repo);
	n = strlen(v.message);
	assert_true(n > strlen(want));
	assert_string_equal(v.message + n - strlen(want), want);
	assert_non_null(strstr(v.message, "): no signature by any key trusted "
	    "for docker.io/acme/** (trusted: release, ci); the image has no "
	    "cosign"));
}

/* A verification that cannot run refuses, and says why: never an allow. */
static void
test_verify_error(void **state)
{
	char digest[RW_DIGEST_MAX + 16];
	struct admission_req q;
	struct verdict v;
	struct rw_err err;

	(void)state;
	memset(digest, 'a', sizeof(digest) - 1);
	memcpy(digest, "sha256:", 7);
	digest[sizeof(digest) - 1] = '\0';
	memset(&q, 0, sizeof(q));
	q.op = PULL;
	q.host = "docker.io";
	q.repo = "acme/api";
	q.tag = "1";
	q.digest = digest;
	q.sigs = &inputs[I_REL];
	q.nsigs = 1;
	q.sigs_gathered = 1;
	rw_err_clear(&err);
	assert_int_equal(policy_eval(pol, &q, NOW, &v, &err), RW_EINVAL);
	assert_int_equal(v.kind, DENY);
	assert_int_equal(v.nreasons, 0);
	assert_string_equal(err.msg, "verifying signatures failed: "
	    "sig_cosign_verify: manifest digest of 151 bytes");
	assert_string_equal(v.message, "regwarden: docker.io/acme/api:1 could "
	    "not be decided: rule \"apps\" (sigs.json:6) checks signatures, "
	    "and verifying them failed: sig_cosign_verify: manifest digest of "
	    "151 bytes.");
}

/* policy_match asks for signatures exactly where a rule checks them. */
static void
test_needs(void **state)
{
	const struct policy_rule *r;
	unsigned needs = 99;

	(void)state;
	r = policy_match(pol, "docker.io", "acme/api", PULL, 1, &needs);
	assert_string_equal(policy_rule_name(r), "apps");
	assert_int_equal(needs, POLICY_NEED_SIGS);
	r = policy_match(pol, "docker.io", "acme/api", PUSH, 0, &needs);
	assert_int_equal(needs, POLICY_NEED_SIGS);
	r = policy_match(pol, "registry.example.com", "ci/tool", PUSH, 1,
	    &needs);
	assert_string_equal(policy_rule_name(r), "pushes");
	assert_int_equal(needs, POLICY_NEED_SIGS);
	r = policy_match(pol, "docker.io", "evil/miner", PULL, 1, &needs);
	assert_string_equal(policy_rule_name(r), "blocked");
	assert_int_equal(needs, 0);
	r = policy_match(pol, "docker.io", "library/nginx", PULL, 1, &needs);
	assert_int_equal(needs, 0);
}

/* ------------------------------------------------------------ revision */

static void
write_file(const char *path, const char *src)
{
	size_t len;
	char *text = tu_slurp(src, &len);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
	free(text);
}

static struct policy *
load_ok(const char *path)
{
	struct policy *p = NULL;
	struct rw_diags d;

	memset(&d, 0, sizeof(d));
	if (policy_load(path, &p, &d) != RW_OK)
		fail_msg("%s: %s", path, d.n > 0 ? d.e[0].msg : "?");
	return p;
}

/*
 * Replacing a key file changes the revision (cached verdicts must not
 * outlive the key they were made with); the same bytes give the same one.
 */
static void
test_revision(void **state)
{
	char dir[] = "/tmp/rw-sigs-XXXXXX", pol_path[128], key_path[128];
	char rev1[RW_DIGEST_MAX], want[RW_DIGEST_MAX], msg[512];
	struct rw_diags d;
	const char *text = "{\"version\": 1, \"keys\": {\"release\": "
	    "{\"cosign_file\": \"release.pub\"}}}";
	struct policy *p;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(pol_path, sizeof(pol_path), "%s/policy.json", dir);
	snprintf(key_path, sizeof(key_path), "%s/release.pub", dir);
	f = fopen(pol_path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	write_file(key_path, FIX_DIR "/cosign.pub");
	p = load_ok(pol_path);
	rw_strlcpy(rev1, policy_revision(p), sizeof(rev1));
	policy_free(p);
	assert_int_equal(rw_digest(RW_HASH_SHA256, text, strlen(text), want),
	    RW_OK);
	assert_string_not_equal(rev1, want);
	write_file(key_path, FIX_DIR "/cosign2.pub");
	p = load_ok(pol_path);
	assert_string_not_equal(policy_revision(p), rev1);
	policy_free(p);
	write_file(key_path, FIX_DIR "/cosign.pub");
	p = load_ok(pol_path);
	assert_string_equal(policy_revision(p), rev1);
	policy_free(p);
	/* Anyone may write it: refused, whoever could replace it signs. */
	assert_int_equal(chmod(key_path, 0666), 0);
	snprintf(msg, sizeof(msg), "\"keys.release.cosign_file\": key file "
	    "\"release.pub\" (\"%s\") is writable by anyone (chmod o-w it): "
	    "whoever can replace a trusted key can sign anything", key_path);
	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_load(pol_path, &p, &d), RW_ECONFIG);
	assert_null(p);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.e[0].pos.line, 1);
	assert_int_equal(d.e[0].pos.col, 52);
	assert_string_equal(d.e[0].msg, msg);
	assert_int_equal(unlink(key_path), 0);
	assert_int_equal(unlink(pol_path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_key_reasons),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_verify_error),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_revision),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
