/* test_sign.c - regwarden sign: arguments, keys, payload, signatures, .sig manifest. */
/* SPDX-License-Identifier: Apache-2.0 */
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

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "policy/sig/sig.h"
#include "server/config.h"
#include "cli/sign.h"
#include "cli/upclient.h"
#include "util/util.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define REF "docker.io/acme/api"
#define MT_OCI "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER "application/vnd.docker.distribution.manifest.v2+json"

/* ------------------------------------------------------------ helpers */

/* S starts with PREFIX (S is shown when it does not). */
static void
assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
}

/* A new key: TYPE "EC" (with CURVE), "RSA" (BITS) or "ED25519". */
static EVP_PKEY *
gen_key(const char *type, const char *curve, size_t bits)
{
	EVP_PKEY *k;

	if (strcmp(type, "EC") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	else if (strcmp(type, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, type);
	assert_non_null(k);
	return k;
}

/* K as PEM text (caller frees): FORM 0 PKCS#8, 1 traditional (SEC1 or
 * PKCS#1), 2 PKCS#8 encrypted with a passphrase, 3 the public key. */
static char *
pem_of(EVP_PKEY *k, int form)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;
	int ok;

	assert_non_null(b);
	if (form == 0)
		ok = PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	else if (form == 1)
		ok = PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0,
		    NULL, NULL);
	else if (form == 2)
		ok = PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_256_cbc(), "pw",
		    2, NULL, NULL);
	else
		ok = PEM_write_bio_PUBKEY(b, k);
	assert_int_equal(ok, 1);
	n = BIO_get_mem_data(b, &data);
	out = calloc(1, (size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	BIO_free(b);
	return out;
}

/* A sign_key from a fresh key of the given type, in PEM form FORM. */
static struct sign_key *
load_new(const char *type, const char *curve, size_t bits, int form)
{
	EVP_PKEY *pk = gen_key(type, curve, bits);
	char *pem = pem_of(pk, form);
	struct sign_key *k = NULL;
	struct rw_err e;

	rw_err_clear(&e);
	assert_int_equal(sign_key_parse(pem, strlen(pem), "key.pem", &k, &e),
	    RW_OK);
	free(pem);
	EVP_PKEY_free(pk);
	return k;
}

/* An annotation from "k=v" (borrowed). */
static struct sign_annot
annot(const char *kv)
{
	struct sign_annot a;
	const char *eq = strchr(kv, '=');

	assert_non_null(eq);
	a.key = kv;
	a.klen = (size_t)(eq - kv);
	a.value = eq + 1;
	return a;
}

/* The payload for REF and DIGEST, without annotations. */
static char *
plain_payload(const char *digest, size_t *len)
{
	struct rw_err e;
	char *p = NULL;

	rw_err_clear(&e);
	assert_int_equal(sign_payload(REF, digest, NULL, 0, &p, len, &e), RW_OK);
	return p;
}

/* Run sign_main with ARGV (NULL-terminated), capturing both streams. */
struct cap {
	char	*out;
	char	*err;
	int	 rc;
};

static void
run(struct cap *c, ...)
{
	char *argv[16], *ob = NULL, *eb = NULL;
	size_t on = 0, en = 0;
	FILE *out, *err;
	va_list ap;
	int argc = 0;

	va_start(ap, c);
	for (;;) {
		argv[argc] = va_arg(ap, char *);
		if (argv[argc] == NULL)
			break;
		argc++;
		assert_true(argc < 16);
	}
	va_end(ap);
	out = open_memstream(&ob, &on);
	err = open_memstream(&eb, &en);
	assert_non_null(out);
	assert_non_null(err);
	c->rc = sign_main(argc, argv, "/nonexistent/regwarden.json", out, err);
	fclose(out);
	fclose(err);
	c->out = ob;
	c->err = eb;
}

static void
cap_free(struct cap *c)
{
	free(c->out);
	free(c->err);
	memset(c, 0, sizeof(*c));
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

/* --------------------------------------------------------- arguments */

static void
test_parse_args(void **state)
{
	struct sign_args a;
	struct rw_err e;
	char *v1[] = { "sign", "--key", "k.pem", "acme/api:1", NULL };
	char *v2[] = { "sign", "acme/api:1", "-c", "x.json", "--key=k.pem",
	    "-a", "b=2", "--annotations", "a=1=x", "--annotations=c=", NULL };
	char *help[] = { "sign", "--bogus", "--help", NULL };

	(void)state;
	rw_err_clear(&e);
	assert_int_equal(sign_parse_args(4, v1, "def.json", &a, &e), RW_OK);
	assert_string_equal(a.config, "def.json");
	assert_string_equal(a.key, "k.pem");
	assert_string_equal(a.ref, "acme/api:1");
	assert_int_equal(a.nannot, 0);
	assert_int_equal(sign_parse_args(10, v2, "def.json", &a, &e), RW_OK);
	assert_string_equal(a.config, "x.json");
	assert_string_equal(a.key, "k.pem");
	assert_string_equal(a.ref, "acme/api:1");
	assert_int_equal(a.nannot, 3);
	assert_int_equal(a.annot[0].klen, 1);
	assert_memory_equal(a.annot[0].key, "b", 1);
	assert_string_equal(a.annot[0].value, "2");
	assert_memory_equal(a.annot[1].key, "a", 1);
	assert_string_equal(a.annot[1].value, "1=x");
	assert_string_equal(a.annot[2].value, "");
	/* --help wins over everything else. */
	assert_int_equal(sign_parse_args(3, help, "d", &a, &e), RW_OK);
	assert_int_equal(a.help, 1);
}

static void
test_parse_args_errors(void **state)
{
	static struct {
		int	 argc;
		char	*argv[8];
		const char *msg;
	} cases[] = {
		{ 2, { "sign", "acme/api" }, "missing --key (a PEM private key "
		    "file)" },
		{ 3, { "sign", "--key", "k" }, "missing image reference" },
		{ 2, { "sign", "--key" }, "option --key needs a value" },
		{ 5, { "sign", "--key", "k", "a", "b" },
		    "too many arguments: \"b\"" },
		{ 4, { "sign", "--kee", "k", "a" }, "unknown option \"--kee\"" },
		{ 5, { "sign", "--key", "k", "-a", "novalue" },
		    "-a \"novalue\": expected key=value" },
		{ 5, { "sign", "--key", "k", "-a", "=v" },
		    "-a \"=v\": expected key=value" },
		{ 7, { "sign", "--key", "k", "-a", "x=1", "-a", "x=2" },
		    "-a: annotation \"x\" given twice" },
		{ 5, { "sign", "--key", "k", "-a", "bad=\xff" },
		    "-a: annotation \"bad\" is not valid UTF-8" },
		{ 5, { "sign", "--key", "k", "-a", "s=\xed\xa0\x80" },
		    "-a: annotation \"s\" is not valid UTF-8" },
	};
	struct sign_args a;
	struct rw_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rw_err_clear(&e);
		assert_int_equal(sign_parse_args(cases[i].argc, cases[i].argv,
		    "d", &a, &e), RW_EINVAL);
		assert_string_equal(e.msg, cases[i].msg);
	}
}

static void
test_parse_args_limit(void **state)
{
	char *argv[2 * SIGN_ANNOT_MAX + 8], kv[SIGN_ANNOT_MAX + 1][16];
	struct sign_args a;
	struct rw_err e;
	int i, argc = 0;

	(void)state;
	argv[argc++] = "sign";
	argv[argc++] = "--key";
	argv[argc++] = "k";
	for (i = 0; i <= SIGN_ANNOT_MAX; i++) {
		snprintf(kv[i], sizeof(kv[i]), "k%d=v", i);
		argv[argc++] = "-a";
		argv[argc++] = kv[i];
	}
	argv[argc++] = "ref";
	rw_err_clear(&e);
	assert_int_equal(sign_parse_args(argc, argv, "d", &a, &e), RW_EINVAL);
	assert_string_equal(e.msg, "-a: more than 64 annotations");
	rw_err_clear(&e);
	assert_int_equal(sign_parse_args(argc - 3, argv, "d", &a, &e), RW_EINVAL);
	assert_string_equal(e.msg, "missing image reference");
	assert_int_equal(a.nannot, SIGN_ANNOT_MAX);
}

/* ------------------------------------------------------------ payload */

static void
test_payload_plain(void **state)
{
	size_t len = 0;
	char *p;

	(void)state;
	p = plain_payload(D1, &len);
	assert_string_equal(p, "{\"critical\":{\"identity\":{\"docker-reference\":"
	    "\"docker.io/acme/api\"},\"image\":{\"docker-manifest-digest\":\""
	    D1 "\"},\"type\":\"cosign container image signature\"},"
	    "\"optional\":null}");
	assert_int_equal(len, strlen(p));
	free(p);
}

static void
test_payload_annotations(void **state)
{
	/* Given out of order: Go writes map keys sorted by their bytes. */
	struct sign_annot a[] = {
		annot("zeta=last ascii"), annot("Zeta=upper first"),
		annot("ab=longer"), annot("a=prefix first"),
		annot("\xc3\xa9t\xc3\xa9=non-ascii last"),
		annot("html=<a&b>"), annot("quote=q\"b\\s"),
		annot("ctl=\n\t\r\b\f\x01\x1f\x7f"),
		annot("sep=\xe2\x80\xa8|\xe2\x80\xa9|\xe2\x80\xaa"),
	};
	struct rw_err e;
	size_t len = 0;
	char *p = NULL;

	(void)state;
	rw_err_clear(&e);
	assert_int_equal(sign_payload(REF, D1, a, sizeof(a) / sizeof(a[0]), &p,
	    &len, &e), RW_OK);
	assert_string_equal(p, "{\"critical\":{\"identity\":{\"docker-reference\":"
	    "\"docker.io/acme/api\"},\"image\":{\"docker-manifest-digest\":\""
	    D1 "\"},\"type\":\"cosign container image signature\"},"
	    "\"optional\":{\"Zeta\":\"upper first\",\"a\":\"prefix first\","
	    "\"ab\":\"longer\",\"ctl\":\"\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\","
	    "\"html\":\"\\u003ca\\u0026b\\u003e\",\"quote\":\"q\\\"b\\\\s\","
	    "\"sep\":\"\\u2028|\\u2029|\xe2\x80\xaa\",\"zeta\":\"last ascii\","
	    "\"\xc3\xa9t\xc3\xa9\":\"non-ascii last\"}}");
	assert_int_equal(len, strlen(p));
	free(p);
}

static void
test_payload_refusals(void **state)
{
	struct sign_annot bad[] = { annot("k=\xc0\xaf") };
	struct rw_err e;
	size_t len = 1;
	char *p = (char *)"x";

	(void)state;
	rw_err_clear(&e);
	assert_int_equal(sign_payload(REF, D1, bad, 1, &p, &len, &e), RW_EINVAL);
	assert_string_equal(e.msg, "annotation \"k\" is not valid UTF-8");
	assert_null(p);
	assert_int_equal(len, 0);
	rw_err_clear(&e);
	assert_int_equal(sign_payload("docker.io/\xff", D1, NULL, 0, &p, &len,
	    &e), RW_EINVAL);
	assert_string_equal(e.msg, "the image reference is not valid UTF-8");
}

/* ------------------------------------------------- signing, verified */

/* Sign the payload for D1 with K: SIG_VALID for D1, WRONG_DIGEST for D2,
 * BAD_SIGNATURE once a payload byte changes; KIND is what K says it is. */
static void
check_signs(struct sign_key *k, const char *kind)
{
	struct sig_result res;
	struct rw_err e;
	size_t len = 0;
	char *p = plain_payload(D1, &len), *p2, *sig = NULL;

	rw_err_clear(&e);
	assert_string_equal(sig_key_kind(sign_key_public(k)), kind);
	assert_int_equal(sign_bytes(k, p, len, &sig, &e), RW_OK);
	assert_int_equal(sig_cosign_verify(sign_key_public(k), p, len, sig, D1,
	    &res, &e), RW_OK);
	assert_int_equal(res.verdict, SIG_VALID);
	assert_string_equal(res.reference, REF);
	assert_int_equal(sig_cosign_verify(sign_key_public(k), p, len, sig, D2,
	    &res, &e), RW_OK);
	assert_int_equal(res.verdict, SIG_WRONG_DIGEST);
	p2 = plain_payload(D2, &len);
	assert_int_equal(sig_cosign_verify(sign_key_public(k), p2, len, sig, D2,
	    &res, &e), RW_OK);
	assert_int_equal(res.verdict, SIG_BAD_SIGNATURE);
	free(p2);
	free(sig);
	free(p);
}

static void
test_sign_verifies(void **state)
{
	struct sign_key *k;

	(void)state;
	k = load_new("EC", "P-256", 0, 0);
	check_signs(k, "ECDSA P-256");
	sign_key_free(k);
	k = load_new("EC", "P-256", 0, 1);	/* SEC1 "EC PRIVATE KEY" */
	check_signs(k, "ECDSA P-256");
	sign_key_free(k);
	k = load_new("EC", "P-384", 0, 0);
	check_signs(k, "ECDSA P-384");
	sign_key_free(k);
	k = load_new("RSA", NULL, 2048, 1);	/* PKCS#1 "RSA PRIVATE KEY" */
	check_signs(k, "RSA 2048");
	sign_key_free(k);
	k = load_new("ED25519", NULL, 0, 0);
	check_signs(k, "Ed25519");
	sign_key_free(k);
}

static void
test_key_id(void **state)
{
	EVP_PKEY *pk = gen_key("EC", "P-256", 0);
	char *priv = pem_of(pk, 0), *pub = pem_of(pk, 3);
	struct sign_key *k = NULL;
	struct sig_key *v = NULL;
	struct rw_err e;

	(void)state;
	rw_err_clear(&e);
	assert_int_equal(sign_key_parse(priv, strlen(priv), "k", &k, &e), RW_OK);
	assert_int_equal(sig_key_load(pub, strlen(pub), &v, &e), RW_OK);
	/* The id a policy's cosign.pub gets. */
	assert_string_equal(sig_key_id(sign_key_public(k)), sig_key_id(v));
	assert_int_equal(strlen(sig_key_id(v)), 7 + 64);
	sig_key_free(v);
	sign_key_free(k);
	free(priv);
	free(pub);
	EVP_PKEY_free(pk);
}

/* --------------------------------------------------------------- keys */

static void
expect_refused(const char *pem, int code, const char *msg)
{
	struct sign_key *k = (struct sign_key *)1;
	struct rw_err e;

	rw_err_clear(&e);
	assert_int_equal(sign_key_parse(pem, strlen(pem), "key.pem", &k, &e),
	    code);
	assert_null(k);
	assert_string_equal(e.msg, msg);
}

static void
test_key_refusals(void **state)
{
	static const char junk[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n";
	EVP_PKEY *pk = gen_key("EC", "P-256", 0);
	char *enc = pem_of(pk, 2), *pub = pem_of(pk, 3), *legacy;
	struct sign_key *k = NULL;
	struct rw_err e;

	(void)state;
	expect_refused("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
	    "eyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
	    RW_EUNSUPPORTED, "key.pem: an encrypted cosign key (ENCRYPTED "
	    "SIGSTORE PRIVATE KEY) needs NaCl secretbox, which OpenSSL lacks: "
	    "export it as an unencrypted PEM key (see README, \"Signing "
	    "images\")");
	expect_refused("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n"
	    "eyJrZGYiOnt9fQ==\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n",
	    RW_EUNSUPPORTED, "key.pem: an encrypted cosign key (ENCRYPTED "
	    "COSIGN PRIVATE KEY) needs NaCl secretbox, which OpenSSL lacks: "
	    "export it as an unencrypted PEM key (see README, \"Signing "
	    "images\")");
	expect_refused(enc, RW_EUNSUPPORTED, "key.pem: the key is encrypted with "
	    "a passphrase: decrypt it first, e.g. openssl pkey -in key.pem -out "
	    "plain.pem");
	/* A traditional key with "Proc-Type: 4,ENCRYPTED" headers. */
	legacy = strdup("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
	    "DEK-Info: AES-256-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n");
	assert_non_null(legacy);
	expect_refused(legacy, RW_EUNSUPPORTED, "key.pem: the key is encrypted "
	    "with a passphrase: decrypt it first, e.g. openssl pkey -in key.pem "
	    "-out plain.pem");
	expect_refused(pub, RW_EPARSE, "key.pem: holds a public key; signing "
	    "needs the private key");
	expect_refused("not a key\n", RW_EPARSE, "key.pem: no PEM private key "
	    "(PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)");
	/* A PEM block that does not hold a key: OpenSSL's reason follows. */
	rw_err_clear(&e);
	assert_int_equal(sign_key_parse(junk, strlen(junk), "key.pem", &k, &e),
	    RW_EPARSE);
	assert_null(k);
	assert_prefix(e.msg, "key.pem: cannot read the private key");
	free(legacy);
	free(enc);
	free(pub);
	EVP_PKEY_free(pk);
}

static void
test_key_unsupported(void **state)
{
	EVP_PKEY *pk;
	struct sign_key *k = NULL;
	struct rw_err e;
	char *pem;

	(void)state;
	/* What policy/sig/sig.h cannot verify is not signed with either. */
	pk = gen_key("EC", "P-224", 0);
	pem = pem_of(pk, 0);
	rw_err_clear(&e);
	assert_int_equal(sign_key_parse(pem, strlen(pem), "key.pem", &k, &e),
	    RW_EUNSUPPORTED);
	assert_null(k);
	assert_string_equal(e.msg, "key.pem: unsupported EC curve \"secp224r1\" "
	    "(expected P-256, P-384 or P-521)");
	free(pem);
	EVP_PKEY_free(pk);
	pk = gen_key("X25519", NULL, 0);
	pem = pem_of(pk, 0);
	rw_err_clear(&e);
	assert_int_equal(sign_key_parse(pem, strlen(pem), "key.pem", &k, &e),
	    RW_EUNSUPPORTED);
	assert_string_equal(e.msg, "key.pem: unsupported key type X25519 "
	    "(expected ECDSA, RSA or Ed25519)");
	free(pem);
	EVP_PKEY_free(pk);
}

static void
test_key_file_mode(void **state)
{
	EVP_PKEY *pk = gen_key("EC", "P-256", 0);
	char dir[] = "/tmp/rwsignXXXXXX", path[64], msg[200], *pem;
	struct sign_key *k = NULL;
	struct rw_err e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	pem = pem_of(pk, 0);
	write_file(path, pem, 0640);
	rw_err_clear(&e);
	assert_int_equal(sign_key_load(path, &k, &e), RW_EPERM);
	assert_null(k);
	snprintf(msg, sizeof(msg), "%s: mode 0640 is too open: it must not be "
	    "accessible by group or others (chmod 600)", path);
	assert_string_equal(e.msg, msg);
	assert_int_equal(chmod(path, 0604), 0);
	rw_err_clear(&e);
	assert_int_equal(sign_key_load(path, &k, &e), RW_EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	rw_err_clear(&e);
	assert_int_equal(sign_key_load(path, &k, &e), RW_OK);
	check_signs(k, "ECDSA P-256");
	sign_key_free(k);
	k = NULL;
	assert_int_equal(unlink(path), 0);
	rw_err_clear(&e);
	assert_int_equal(sign_key_load(path, &k, &e), RW_EIO);
	snprintf(msg, sizeof(msg), "%s: No such file or directory", path);
	assert_string_equal(e.msg, msg);
	rw_err_clear(&e);
	assert_int_equal(sign_key_load(dir, &k, &e), RW_EIO);
	snprintf(msg, sizeof(msg), "%s: not a readable regular file", dir);
	assert_string_equal(e.msg, msg);
	assert_int_equal(rmdir(dir), 0);
	free(pem);
	EVP_PKEY_free(pk);
}

/* ------------------------------------------------------- .sig manifest */

static void
test_manifest_new(void **state)
{
	struct sign_key *k = load_new("EC", "P-256", 0, 0);
	char pd[RW_DIGEST_MAX], cd[RW_DIGEST_MAX], want[2048], cfg[512];
	struct sign_manifest m;
	struct rw_err e;
	size_t len = 0;
	char *p = plain_payload(D1, &len);

	(void)state;
	rw_err_clear(&e);
	assert_int_equal(sign_sig_manifest(NULL, 0, NULL, sign_key_public(k), p,
	    len, D1, "c2ln", &m, &e), RW_OK);
	assert_int_equal(rw_digest(RW_HASH_SHA256, p, len, pd), RW_OK);
	snprintf(cfg, sizeof(cfg), "{\"architecture\":\"\",\"created\":"
	    "\"0001-01-01T00:00:00Z\",\"history\":[{\"created\":"
	    "\"0001-01-01T00:00:00Z\"}],\"os\":\"\",\"rootfs\":{\"type\":"
	    "\"layers\",\"diff_ids\":[\"%s\"]},\"config\":{}}", pd);
	assert_string_equal(m.config, cfg);
	assert_int_equal(m.config_len, strlen(cfg));
	assert_int_equal(rw_digest(RW_HASH_SHA256, cfg, strlen(cfg), cd), RW_OK);
	assert_string_equal(m.config_digest, cd);
	snprintf(want, sizeof(want), "{\"schemaVersion\":2,\"mediaType\":\""
	    MT_OCI "\",\"config\":{\"mediaType\":"
	    "\"application/vnd.oci.image.config.v1+json\",\"size\":%zu,"
	    "\"digest\":\"%s\"},\"layers\":[{\"mediaType\":"
	    "\"application/vnd.dev.cosign.simplesigning.v1+json\",\"size\":%zu,"
	    "\"digest\":\"%s\",\"annotations\":{"
	    "\"dev.cosignproject.cosign/signature\":\"c2ln\"}}]}", strlen(cfg),
	    cd, len, pd);
	assert_string_equal(m.body, want);
	assert_int_equal(m.len, strlen(want));
	assert_string_equal(m.media_type, MT_OCI);
	assert_string_equal(m.payload_digest, pd);
	assert_int_equal(m.nlayers, 1);
	assert_int_equal(m.duplicate, 0);
	sign_manifest_cleanup(&m);
	free(p);
	sign_key_free(k);
}

/* A manifest holding one real signature by K over the payload for D1. */
static void
first_manifest(struct sign_key *k, struct sign_manifest *m)
{
	struct rw_err e;
	size_t len = 0;
	char *p = plain_payload(D1, &len), *sig = NULL;

	rw_err_clear(&e);
	assert_int_equal(sign_bytes(k, p, len, &sig, &e), RW_OK);
	assert_int_equal(sign_sig_manifest(NULL, 0, NULL, sign_key_public(k), p,
	    len, D1, sig, m, &e), RW_OK);
	free(sig);
	free(p);
}

static void
test_manifest_append_and_dup(void **state)
{
	struct sign_key *k1 = load_new("EC", "P-256", 0, 0);
	struct sign_key *k2 = load_new("EC", "P-256", 0, 0);
	struct sign_annot a[] = { annot("team=x") };
	struct sign_manifest m1, m2;
	struct rw_err e;
	size_t len = 0, alen = 0;
	char *p = plain_payload(D1, &len), *ap = NULL, *sig = NULL, *first;

	(void)state;
	first_manifest(k1, &m1);
	/* The same key signs again: a new ECDSA signature, the same payload. */
	rw_err_clear(&e);
	assert_int_equal(sign_bytes(k1, p, len, &sig, &e), RW_OK);
	assert_int_equal(sign_sig_manifest(m1.body, m1.len, MT_OCI,
	    sign_key_public(k1), p, len, D1, sig, &m2, &e), RW_OK);
	assert_int_equal(m2.duplicate, 1);
	assert_int_equal(m2.nlayers, 1);
	assert_null(m2.body);
	assert_null(m2.config);
	sign_manifest_cleanup(&m2);
	free(sig);
	/* Another key over the same payload: appended. */
	assert_int_equal(sign_bytes(k2, p, len, &sig, &e), RW_OK);
	assert_int_equal(sign_sig_manifest(m1.body, m1.len, NULL,
	    sign_key_public(k2), p, len, D1, sig, &m2, &e), RW_OK);
	assert_int_equal(m2.duplicate, 0);
	assert_int_equal(m2.nlayers, 2);
	/* The first layer is kept as it was, the new one follows it. */
	first = strstr(m1.body, "\"layers\":[") + 10;
	first = strndup(first, strlen(first) - 2);	/* without "]}" */
	assert_non_null(first);
	assert_non_null(strstr(m2.body, first));
	assert_non_null(strstr(strstr(m2.body, first), "},{\"mediaType\":"));
	free(first);
	assert_non_null(strstr(m2.config, "\"diff_ids\":[\""));
	assert_non_null(strstr(m2.config, "\"history\":[{\"created\":\"0001-01-01"
	    "T00:00:00Z\"},{\"created\":\"0001-01-01T00:00:00Z\"}]"));
	sign_manifest_cleanup(&m2);
	free(sig);
	/* The same key over another payload (annotations): appended. */
	assert_int_equal(sign_payload(REF, D1, a, 1, &ap, &alen, &e), RW_OK);
	assert_int_equal(sign_bytes(k1, ap, alen, &sig, &e), RW_OK);
	assert_int_equal(sign_sig_manifest(m1.body, m1.len, NULL,
	    sign_key_public(k1), ap, alen, D1, sig, &m2, &e), RW_OK);
	assert_int_equal(m2.duplicate, 0);
	assert_int_equal(m2.nlayers, 2);
	sign_manifest_cleanup(&m2);
	free(sig);
	free(ap);
	sign_manifest_cleanup(&m1);
	free(p);
	sign_key_free(k1);
	sign_key_free(k2);
}

static void
test_manifest_docker(void **state)
{
	struct sign_key *k = load_new("EC", "P-256", 0, 0);
	struct sign_manifest m;
	struct rw_err e;
	size_t len = 0;
	char *p = plain_payload(D1, &len);
	const char *old = "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER "\","
	    "\"config\":{\"mediaType\":\"application/vnd.docker.container.image."
	    "v1+json\",\"size\":2,\"digest\":\"" D2 "\"},\"layers\":[]}";

	(void)state;
	rw_err_clear(&e);
	assert_int_equal(sign_sig_manifest(old, strlen(old), "text/plain",
	    sign_key_public(k), p, len, D1, "c2ln", &m, &e), RW_OK);
	assert_string_equal(m.media_type, MT_DOCKER);
	assert_int_equal(m.nlayers, 1);
	assert_prefix(m.body, "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER
	    "\",\"config\":{\"mediaType\":\"application/vnd.docker.container."
	    "image.v1+json\",\"size\":");
	sign_manifest_cleanup(&m);
	free(p);
	sign_key_free(k);
}

static void
test_manifest_refusals(void **state)
{
	static const struct {
		const char	*old;
		const char	*ctype;
		const char	*msg;
	} cases[] = {
		{ "{\"schemaVersion\":2,\"mediaType\":"
		    "\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}",
		    NULL, "the tag holds application/vnd.oci.image.index.v1+json, "
		    "not a signature manifest" },
		{ "{\"schemaVersion\":2,\"layers\":[]}", "application/vnd.oci."
		    "image.index.v1+json; charset=x", "the tag holds application/"
		    "vnd.oci.image.index.v1+json, not a signature manifest" },
		{ "{\"schemaVersion\":2,\"layers\":[]}", NULL, "the tag holds a "
		    "manifest of no known type, not a signature manifest" },
		{ "{\"schemaVersion\":1,\"mediaType\":\"" MT_OCI "\"}", NULL,
		    "the tag holds " MT_OCI ", not a signature manifest" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI "\"}", NULL,
		    "the signature manifest at the tag has no layers" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI "\",\"layers\":"
		    "[{\"digest\":\"" D1 "\"},{\"digest\":\"sha256:12\"}]}", NULL,
		    "layer 1 of the signature manifest at the tag names no sha256 "
		    "blob" },
		{ "[1,2]", MT_OCI, "the tag holds something that is not a JSON "
		    "manifest" },
		{ "{\"schemaVersion\":2,\"schemaVersion\":2}", MT_OCI,
		    "the tag holds something that is not a JSON manifest" },
	};
	struct sign_key *k = load_new("EC", "P-256", 0, 0);
	struct sign_manifest m;
	struct rw_err e;
	size_t i, len = 0;
	char *p = plain_payload(D1, &len);

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rw_err_clear(&e);
		assert_int_equal(sign_sig_manifest(cases[i].old,
		    strlen(cases[i].old), cases[i].ctype, sign_key_public(k), p,
		    len, D1, "c2ln", &m, &e), RW_EPARSE);
		assert_string_equal(e.msg, cases[i].msg);
		assert_null(m.body);
	}
	free(p);
	sign_key_free(k);
}

/* ----------------------------------------------------- upload locations */

static void
test_upload_location(void **state)
{
	static const struct {
		const char	*loc;
		int		 rc;
		const char	*want;	/* the URL, or the message */
	} cases[] = {
		{ "/v2/a/blobs/uploads/u1?_state=x", RW_OK,
		    "http://reg.example:5000/v2/a/blobs/uploads/u1?_state=x" },
		{ "HTTP://Reg.Example:5000/v2/a/blobs/uploads/u2", RW_OK,
		    "HTTP://Reg.Example:5000/v2/a/blobs/uploads/u2" },
		{ "http://evil.example:5000/v2/a/blobs/uploads/u3", RW_EUPSTREAM,
		    "upstream hub sent an upload location on another host; "
		    "refusing to send credentials there" },
		{ "http://reg.example:50000/v2/a/blobs/uploads/u4", RW_EUPSTREAM,
		    "upstream hub sent an upload location on another host; "
		    "refusing to send credentials there" },
		{ "https://reg.example:5000/v2/a/blobs/uploads/u5", RW_EUPSTREAM,
		    "upstream hub sent an upload location on another host; "
		    "refusing to send credentials there" },
		{ "//evil.example/v2/a", RW_EUPSTREAM, "upstream hub sent an upload "
		    "location on another host; refusing to send credentials there" },
		{ "", RW_EUPSTREAM, "upstream hub answered 202 without a Location "
		    "for the upload" },
	};
	struct cfg_upstream up;
	struct rw_config cfg;
	struct upc_resp r;
	struct upc *s;
	struct rw_err e;
	char out[128], small[24];
	size_t i;

	(void)state;
	memset(&up, 0, sizeof(up));
	memset(&cfg, 0, sizeof(cfg));
	up.name = "hub";
	up.url = "http://reg.example:5000";
	s = upc_new(&cfg, &up, "a", UPC_PUSH, "test");
	assert_non_null(s);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		upc_resp_init(&r, 16);
		r.status = 202;
		rw_strlcpy(r.location, cases[i].loc, sizeof(r.location));
		rw_err_clear(&e);
		assert_int_equal(upc_location(s, &r, out, sizeof(out), &e),
		    cases[i].rc);
		assert_string_equal(cases[i].rc == RW_OK ? out : e.msg,
		    cases[i].want);
		if (cases[i].rc == RW_OK) {
			rw_err_clear(&e);
			assert_int_equal(upc_location(s, &r, small, sizeof(small),
			    &e), RW_ETOOBIG);
			assert_string_equal(e.msg, "upload location from upstream "
			    "hub is too long");
		}
		upc_resp_cleanup(&r);
	}
	upc_free(s);
}

/* ------------------------------------------------------------ command */

static void
test_main_usage(void **state)
{
	struct cap c;

	(void)state;
	run(&c, "sign", "acme/api:1.0", NULL);
	assert_int_equal(c.rc, SIGN_EXIT_USAGE);
	assert_prefix(c.err, "regwarden: missing --key (a PEM private key "
	    "file)\nusage: regwarden sign ");
	assert_string_equal(c.out, "");
	cap_free(&c);
	run(&c, "sign", "--key", "k.pem", "Acme/api:1.0", NULL);
	assert_int_equal(c.rc, SIGN_EXIT_USAGE);
	assert_prefix(c.err, "regwarden: invalid ");
	cap_free(&c);
	run(&c, "sign", "--help", NULL);
	assert_int_equal(c.rc, SIGN_EXIT_OK);
	assert_string_equal(c.out, sign_usage);
	assert_string_equal(c.err, "");
	cap_free(&c);
}

struct dir {
	char	path[64];
	char	key[96];
	char	cfg[96];
};

static int
dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	EVP_PKEY *pk;
	char text[512], *pem;

	if (d == NULL)
		return -1;
	rw_strlcpy(d->path, "/tmp/rwsignXXXXXX", sizeof(d->path));
	if (mkdtemp(d->path) == NULL)
		return -1;
	snprintf(d->key, sizeof(d->key), "%s/key.pem", d->path);
	snprintf(d->cfg, sizeof(d->cfg), "%s/regwarden.json", d->path);
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	pem = pk != NULL ? pem_of(pk, 0) : NULL;
	EVP_PKEY_free(pk);
	if (pem == NULL)
		return -1;
	write_file(d->key, pem, 0600);
	free(pem);
	/* Port 1 on loopback: nothing listens, the connection is refused. */
	snprintf(text, sizeof(text), "{ \"listen\": \"127.0.0.1:5443\", "
	    "\"state_dir\": \"%s/state\",\n"
	    "  \"upstreams\": [{\"name\": \"hub\", \"url\": \"http://127.0.0.1:1\","
	    " \"insecure\": true, \"hosts\": [\"docker.io\"], \"default\": false}] "
	    "}\n", d->path);
	write_file(d->cfg, text, 0644);
	*state = d;
	return 0;
}

static int
dir_teardown(void **state)
{
	struct dir *d = *state;

	unlink(d->key);
	unlink(d->cfg);
	rmdir(d->path);
	free(d);
	return 0;
}

static void
test_main_errors(void **state)
{
	struct dir *d = *state;
	char want[512];
	struct cap c;

	/* The key is read first: a bad key fails before any config or
	 * network. */
	assert_int_equal(chmod(d->key, 0644), 0);
	run(&c, "sign", "--key", d->key, "acme/api:1.0", NULL);
	assert_int_equal(c.rc, SIGN_EXIT_FAIL);
	snprintf(want, sizeof(want), "regwarden: cannot sign docker.io/acme/"
	    "api:1.0: %s: mode 0644 is too open: it must not be accessible by "
	    "group or others (chmod 600)\n", d->key);
	assert_string_equal(c.err, want);
	assert_string_equal(c.out, "");
	cap_free(&c);
	assert_int_equal(chmod(d->key, 0600), 0);

	run(&c, "sign", "-c", d->cfg, "--key", d->key, "ghcr.io/acme/api", NULL);
	assert_int_equal(c.rc, SIGN_EXIT_FAIL);
	assert_string_equal(c.err, "regwarden: cannot sign ghcr.io/acme/"
	    "api:latest: no upstream answers for ghcr.io and none is the "
	    "default\n");
	cap_free(&c);

	run(&c, "sign", "-c", d->cfg, "--key", d->key, "acme/api@" D1, NULL);
	assert_int_equal(c.rc, SIGN_EXIT_FAIL);
	assert_prefix(c.err, "regwarden: cannot sign docker.io/acme/api@" D1
	    ": upstream hub could not be reached: ");
	assert_string_equal(c.out, "");
	cap_free(&c);

	snprintf(want, sizeof(want), "%s/missing.json", d->path);
	run(&c, "sign", "-c", want, "--key", d->key, "acme/api:1.0", NULL);
	assert_int_equal(c.rc, SIGN_EXIT_FAIL);
	assert_non_null(strstr(c.err, "regwarden: cannot sign docker.io/acme/"
	    "api:1.0: the configuration has errors\n"));
	cap_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_args),
		cmocka_unit_test(test_parse_args_errors),
		cmocka_unit_test(test_parse_args_limit),
		cmocka_unit_test(test_payload_plain),
		cmocka_unit_test(test_payload_annotations),
		cmocka_unit_test(test_payload_refusals),
		cmocka_unit_test(test_sign_verifies),
		cmocka_unit_test(test_key_id),
		cmocka_unit_test(test_key_refusals),
		cmocka_unit_test(test_key_unsupported),
		cmocka_unit_test(test_key_file_mode),
		cmocka_unit_test(test_manifest_new),
		cmocka_unit_test(test_manifest_append_and_dup),
		cmocka_unit_test(test_manifest_docker),
		cmocka_unit_test(test_manifest_refusals),
		cmocka_unit_test(test_upload_location),
		cmocka_unit_test(test_main_usage),
		cmocka_unit_test_setup_teardown(test_main_errors, dir_setup,
		    dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
