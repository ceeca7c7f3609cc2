/* test_tls.c - create, reload and check the listener's certificate and key. */
/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "server/tls.h"
#include "util/util.h"

static char tmpdir[512];

static void
tmp_make(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/rw-tls-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	assert_non_null(mkdtemp(tmpdir));
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
tmp_remove(void)
{
	assert_int_equal(nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static void
path_in(char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, "%s/%s", tmpdir, rel);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void
write_file(const char *path, const char *data, mode_t mode)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static X509 *
parse_cert(const char *pem)
{
	BIO *b;
	X509 *x;

	b = BIO_new_mem_buf(pem, -1);
	assert_non_null(b);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(x);
	return x;
}

/* Names in the SAN extension: "DNS:x" and "IP:<n bytes>" counts. */
static void
check_sans(X509 *x)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	int i, localhost = 0, v4 = 0, v6 = 0;
	static const unsigned char lo4[4] = { 127, 0, 0, 1 };
	static const unsigned char lo6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 1 };

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_non_null(gens);
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS && ASN1_STRING_length(g->d.dNSName) == 9 &&
		    memcmp(ASN1_STRING_get0_data(g->d.dNSName), "localhost",
		    9) == 0)
			localhost++;
		if (g->type == GEN_IPADD && ASN1_STRING_length(g->d.iPAddress) ==
		    4 && memcmp(ASN1_STRING_get0_data(g->d.iPAddress), lo4,
		    4) == 0)
			v4++;
		if (g->type == GEN_IPADD && ASN1_STRING_length(g->d.iPAddress) ==
		    16 && memcmp(ASN1_STRING_get0_data(g->d.iPAddress), lo6,
		    16) == 0)
			v6++;
	}
	GENERAL_NAMES_free(gens);
	assert_int_equal(localhost, 1);
	assert_int_equal(v4, 1);
	assert_int_equal(v6, 1);
}

/* OpenSSL verifies X as a TLS server for HOST (or IP) with X as its CA. */
static int
verifies_as(X509 *x, const char *host, const char *ip)
{
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	X509_VERIFY_PARAM *vp;
	int ok;

	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	assert_non_null(store);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(store, x), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
	if (host != NULL)
		X509_VERIFY_PARAM_set1_host(vp, host, 0);
	if (ip != NULL)
		X509_VERIFY_PARAM_set1_ip_asc(vp, ip);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok == 1;
}

/*
 * Sign a leaf for DNS name HOST with the created pair, as someone holding a
 * leaked key would, and report whether OpenSSL accepts it with the created
 * certificate as the trust anchor.
 */
static int
leaf_verifies(const struct tls_material *m, const char *host)
{
	X509 *ca, *leaf;
	EVP_PKEY *cakey, *lkey;
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	BIO *b;
	char san[300];
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	ca = parse_cert(m->cert_pem);
	b = BIO_new_mem_buf(m->key_pem, -1);
	cakey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(cakey);
	lkey = EVP_EC_gen("P-256");
	assert_non_null(lkey);
	leaf = X509_new();
	assert_non_null(leaf);
	assert_int_equal(X509_set_version(leaf, X509_VERSION_3), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(leaf), 2);
	X509_gmtime_adj(X509_getm_notBefore(leaf), -60);
	X509_gmtime_adj(X509_getm_notAfter(leaf), 3600);
	X509_set_issuer_name(leaf, X509_get_subject_name(ca));
	X509_set_pubkey(leaf, lkey);
	snprintf(san, sizeof(san), "DNS:%s", host);
	X509V3_set_ctx(&v3, ca, leaf, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	assert_non_null(ext);
	X509_add_ext(leaf, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(leaf, cakey, EVP_sha256()) > 0);

	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
	X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), host, 0);
	ok = X509_verify_cert(ctx) == 1;
	if (!ok)
		assert_int_equal(X509_STORE_CTX_get_error(ctx),
		    X509_V_ERR_PERMITTED_VIOLATION);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(lkey);
	EVP_PKEY_free(cakey);
	return ok;
}

static void
test_create_then_load(void **state)
{
	struct tls_material m = { 0 }, m2 = { 0 };
	struct rw_err err;
	char state_dir[600], p[700];
	DIR *d;
	struct dirent *de;
	int n = 0;

	(void)state;
	tmp_make();
	path_in(state_dir, sizeof(state_dir), "state");
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(NULL, NULL, state_dir, NULL, 0, &m,
	    &err), RW_OK);
	assert_string_equal(err.msg, "");
	assert_int_equal(m.created, 1);
	path_in(p, sizeof(p), "state/tls/cert.pem");
	assert_string_equal(m.cert_path, p);
	assert_int_equal(mode_of(p), 0644);
	path_in(p, sizeof(p), "state/tls/key.pem");
	assert_string_equal(m.key_path, p);
	assert_int_equal(mode_of(p), 0600);
	assert_int_equal(mode_of(state_dir), 0700);
	path_in(p, sizeof(p), "state/tls");
	assert_int_equal(mode_of(p), 0700);
	assert_int_equal(strlen(m.fingerprint), TLS_FINGERPRINT_LEN);
	assert_int_equal(m.fingerprint[2], ':');
	assert_non_null(strstr(m.cert_pem, "-----BEGIN CERTIFICATE-----"));
	assert_true(strncmp(m.key_pem, "-----BEGIN PRIVATE KEY-----", 27) == 0);
	assert_int_equal(m.key_pem_len, strlen(m.key_pem));
	/* Only the two files: no temporary left behind. */
	d = opendir(p);
	assert_non_null(d);
	for (de = readdir(d); de != NULL; de = readdir(d))
		n += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(n, 2);

	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(NULL, NULL, state_dir, NULL, 0, &m2,
	    &err), RW_OK);
	assert_int_equal(m2.created, 0);
	assert_string_equal(m2.fingerprint, m.fingerprint);
	assert_string_equal(m2.cert_pem, m.cert_pem);
	assert_string_equal(m2.key_pem, m.key_pem);
	assert_int_equal(m2.not_after, m.not_after);
	tls_material_cleanup(&m2);

	/* The same files named explicitly. */
	assert_int_equal(tls_load_or_create(m.cert_path, m.key_path, NULL, NULL, 0,
	    &m2, &err), RW_OK);
	assert_int_equal(m2.created, 0);
	assert_string_equal(m2.fingerprint, m.fingerprint);
	tls_material_cleanup(&m2);
	assert_null(m2.key_pem);
	assert_null(m2.cert_pem);

	tls_material_cleanup(&m);
	tls_material_cleanup(&m);
	tls_material_cleanup(NULL);
	tmp_remove();
}

static void
test_created_cert(void **state)
{
	struct tls_material m = { 0 };
	char host[256], cn[64];
	X509 *x;
	EVP_PKEY *pk;
	int days = -1, secs = -1;
	long now = (long)time(NULL);

	(void)state;
	tmp_make();
	assert_int_equal(tls_load_or_create(NULL, NULL, tmpdir, NULL, 0, &m,
	    NULL), RW_OK);
	x = parse_cert(m.cert_pem);
	check_sans(x);
	assert_true(strncmp(m.names, "DNS:localhost,IP:127.0.0.1,IP:::1",
	    33) == 0);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)) > 0);
	assert_string_equal(cn, "regwarden");
	assert_int_equal(X509_check_issued(x, x), X509_V_OK);
	assert_true(X509_check_ca(x) >= 1);
	assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
	assert_true(X509_get_key_usage(x) & KU_KEY_CERT_SIGN);
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
	assert_int_equal(X509_get_pathlen(x), 0);
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	assert_int_equal(days, TLS_CREATED_DAYS);
	assert_int_equal(secs, 0);
	assert_true(m.not_after > now + (TLS_CREATED_DAYS - 1) * 86400L);
	assert_true(m.not_after <= now + TLS_CREATED_DAYS * 86400L);
	pk = X509_get0_pubkey(x);
	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(pk), 256);

	/* OpenSSL, given the certificate as its CA file, accepts it. */
	assert_true(verifies_as(x, "localhost", NULL));
	assert_true(verifies_as(x, NULL, "127.0.0.1"));
	assert_true(verifies_as(x, NULL, "::1"));
	assert_false(verifies_as(x, "example.com", NULL));
	assert_false(verifies_as(x, NULL, "10.0.0.1"));
	if (gethostname(host, sizeof(host)) == 0 && strchr(host, '_') == NULL &&
	    strcmp(host, "localhost") != 0)
		assert_true(verifies_as(x, host, NULL));
	/* Name constraints: the key can vouch for its own names only. */
	assert_true(leaf_verifies(&m, "localhost"));
	assert_false(leaf_verifies(&m, "registry-1.docker.io"));
	X509_free(x);
	tls_material_cleanup(&m);
	tmp_remove();
}

/* tls.self_signed_names: exactly those names, and a changed list renames. */
static void
test_self_signed_names(void **state)
{
	char *names[] = { "regwarden.example", "10.0.0.5", "::1" };
	char *other[] = { "regwarden.regwarden.svc" };
	struct tls_material m = { 0 }, m2 = { 0 };
	X509 *x;

	(void)state;
	tmp_make();
	assert_int_equal(tls_load_or_create(NULL, NULL, tmpdir, names, 3, &m,
	    NULL), RW_OK);
	assert_int_equal(m.created, 1);
	assert_int_equal(m.renamed, 0);
	assert_string_equal(m.names,
	    "DNS:regwarden.example,IP:10.0.0.5,IP:::1");
	x = parse_cert(m.cert_pem);
	assert_true(verifies_as(x, "regwarden.example", NULL));
	assert_true(verifies_as(x, NULL, "10.0.0.5"));
	assert_false(verifies_as(x, "localhost", NULL));
	assert_false(verifies_as(x, NULL, "127.0.0.1"));
	X509_free(x);
	assert_true(leaf_verifies(&m, "regwarden.example"));
	assert_false(leaf_verifies(&m, "localhost"));

	/* The same list: the pair on disk is kept. */
	assert_int_equal(tls_load_or_create(NULL, NULL, tmpdir, names, 3, &m2,
	    NULL), RW_OK);
	assert_int_equal(m2.created, 0);
	assert_string_equal(m2.fingerprint, m.fingerprint);
	tls_material_cleanup(&m2);

	/* Another list: a new pair, made for it. */
	assert_int_equal(tls_load_or_create(NULL, NULL, tmpdir, other, 1, &m2,
	    NULL), RW_OK);
	assert_int_equal(m2.created, 1);
	assert_int_equal(m2.renamed, 1);
	assert_string_not_equal(m2.fingerprint, m.fingerprint);
	assert_string_equal(m2.names, "DNS:regwarden.regwarden.svc");
	tls_material_cleanup(&m2);

	/* Without a list, the pair on disk is used whatever its names. */
	assert_int_equal(tls_load_or_create(NULL, NULL, tmpdir, NULL, 0, &m2,
	    NULL), RW_OK);
	assert_int_equal(m2.created, 0);
	assert_string_equal(m2.names, "DNS:regwarden.regwarden.svc");
	tls_material_cleanup(&m2);
	tls_material_cleanup(&m);
	tmp_remove();
}

/* A name in someone else's certificate reaches the log as untrusted text. */
static void
test_names_shown_safely(void **state)
{
	struct tls_material m = { 0 };
	char cert[700], key[700];
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	EVP_PKEY *pk;
	X509 *x;
	BIO *b;
	char *pem;
	long n;

	(void)state;
	tmp_make();
	pk = EVP_EC_gen("P-256");
	x = X509_new();
	assert_non_null(pk);
	assert_non_null(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"t", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    "DNS:evil\x1b[2Jname,IP:10.9.8.7");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	path_in(cert, sizeof(cert), "c.pem");
	path_in(key, sizeof(key), "k.pem");
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &pem);
	pem[n - 1] = '\0';	/* the PEM ends in a newline */
	write_file(cert, pem, 0644);
	BIO_free(b);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &pem);
	pem[n - 1] = '\0';
	write_file(key, pem, 0600);
	BIO_free(b);
	assert_int_equal(tls_load_or_create(cert, key, NULL, NULL, 0, &m,
	    NULL), RW_OK);
	assert_string_equal(m.names, "DNS:evil\\x1b[2Jname,IP:10.9.8.7");
	tls_material_cleanup(&m);
	X509_free(x);
	EVP_PKEY_free(pk);
	tmp_remove();
}

static void
test_mismatch_and_modes(void **state)
{
	struct tls_material a = { 0 }, b = { 0 }, m = { 0 };
	struct rw_err err;
	char da[600], db[600], want[1600];

	(void)state;
	tmp_make();
	path_in(da, sizeof(da), "a");
	path_in(db, sizeof(db), "b");
	assert_int_equal(tls_load_or_create(NULL, NULL, da, NULL, 0, &a,
	    NULL), RW_OK);
	assert_int_equal(tls_load_or_create(NULL, NULL, db, NULL, 0, &b,
	    NULL), RW_OK);
	assert_string_not_equal(a.fingerprint, b.fingerprint);

	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(a.cert_path, b.key_path, NULL, NULL, 0,
	    &m, &err), RW_ECRYPTO);
	snprintf(want, sizeof(want), "%s: private key does not match "
	    "certificate %s", b.key_path, a.cert_path);
	assert_string_equal(err.msg, want);
	assert_null(m.cert_pem);
	assert_null(m.key_pem);
	assert_null(m.cert_path);

	assert_int_equal(chmod(a.key_path, 0644), 0);
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(a.cert_path, a.key_path, NULL, NULL, 0,
	    &m, &err), RW_EPERM);
	snprintf(want, sizeof(want), "%s: mode 0644 is too open: it must not "
	    "be accessible by group or others (chmod 600)", a.key_path);
	assert_string_equal(err.msg, want);
	/* The same rule applies to the pair in the state directory. */
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(NULL, NULL, da, NULL, 0, &m,
	    &err), RW_EPERM);
	assert_string_equal(err.msg, want);
	assert_int_equal(chmod(a.key_path, 0604), 0);
	assert_int_equal(tls_load_or_create(NULL, NULL, da, NULL, 0, &m,
	    NULL), RW_EPERM);
	assert_int_equal(chmod(a.key_path, 0400), 0);
	assert_int_equal(tls_load_or_create(NULL, NULL, da, NULL, 0, &m,
	    NULL), RW_OK);
	assert_string_equal(m.fingerprint, a.fingerprint);
	tls_material_cleanup(&m);

	tls_material_cleanup(&a);
	tls_material_cleanup(&b);
	tmp_remove();
}

static void
test_config_errors(void **state)
{
	struct tls_material m = { 0 };
	struct rw_err err;
	char dir[600], cert[700], key[700], want[1600];

	(void)state;
	tmp_make();
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create("/x/cert.pem", NULL, tmpdir, NULL, 0,
	    &m, &err), RW_ECONFIG);
	assert_string_equal(err.msg, "tls: a certificate and a key must be "
	    "configured together (got only the certificate)");
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(NULL, "/x/key.pem", tmpdir, NULL, 0,
	    &m, &err), RW_ECONFIG);
	assert_string_equal(err.msg, "tls: a certificate and a key must be "
	    "configured together (got only the key)");
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(NULL, NULL, NULL, NULL, 0, &m, &err),
	    RW_ECONFIG);
	assert_string_equal(err.msg, "tls: no certificate configured and no "
	    "state directory to create one in");

	/* A key without its certificate is not silently replaced. */
	path_in(dir, sizeof(dir), "s");
	assert_int_equal(tls_load_or_create(NULL, NULL, dir, NULL, 0, &m,
	    NULL), RW_OK);
	snprintf(cert, sizeof(cert), "%s", m.cert_path);
	snprintf(key, sizeof(key), "%s", m.key_path);
	tls_material_cleanup(&m);
	assert_int_equal(unlink(cert), 0);
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(NULL, NULL, dir, NULL, 0, &m,
	    &err), RW_EIO);
	snprintf(want, sizeof(want), "%s: missing next to %s; restore it, or "
	    "remove the key to have a new pair created", cert, key);
	assert_string_equal(err.msg, want);

	/* A certificate without its key (creation interrupted): redone. */
	assert_int_equal(unlink(key), 0);
	write_file(cert, "stale\n", 0644);
	assert_int_equal(tls_load_or_create(NULL, NULL, dir, NULL, 0, &m,
	    NULL), RW_OK);
	assert_int_equal(m.created, 1);
	tls_material_cleanup(&m);

	/* Unreadable inputs, one at a time (the pair on disk is good now). */
	write_file(key, "not a key\n", 0600);
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(cert, key, NULL, NULL, 0, &m, &err),
	    RW_ECRYPTO);
	snprintf(want, sizeof(want), "%s: no unencrypted PEM private key found",
	    key);
	assert_string_equal(err.msg, want);
	write_file(cert, "not a certificate\n", 0644);
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(cert, key, NULL, NULL, 0, &m, &err),
	    RW_ECRYPTO);
	snprintf(want, sizeof(want), "%s: no PEM certificate found", cert);
	assert_string_equal(err.msg, want);
	path_in(cert, sizeof(cert), "absent.pem");
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(cert, key, NULL, NULL, 0, &m, &err),
	    RW_EIO);
	snprintf(want, sizeof(want), "%s: No such file or directory", cert);
	assert_string_equal(err.msg, want);
	assert_null(m.cert_path);
	tmp_remove();
}

/* An encrypted key is refused, never prompted for. */
static void
test_encrypted_key(void **state)
{
	struct tls_material m = { 0 }, e = { 0 };
	struct rw_err err;
	char key[700], want[800];
	EVP_PKEY *pk;
	BIO *in;
	FILE *f;

	(void)state;
	tmp_make();
	assert_int_equal(tls_load_or_create(NULL, NULL, tmpdir, NULL, 0, &m,
	    NULL), RW_OK);
	in = BIO_new_mem_buf(m.key_pem, -1);
	pk = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
	BIO_free(in);
	assert_non_null(pk);
	path_in(key, sizeof(key), "enc.pem");
	f = fopen(key, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PKCS8PrivateKey(f, pk, EVP_aes_128_cbc(),
	    "secret", 6, NULL, NULL), 1);
	fclose(f);
	EVP_PKEY_free(pk);
	assert_int_equal(chmod(key, 0600), 0);
	rw_err_clear(&err);
	assert_int_equal(tls_load_or_create(m.cert_path, key, NULL, NULL, 0,
	    &e, &err),
	    RW_ECRYPTO);
	snprintf(want, sizeof(want), "%s: no unencrypted PEM private key found",
	    key);
	assert_string_equal(err.msg, want);
	tls_material_cleanup(&m);
	tmp_remove();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_then_load),
		cmocka_unit_test(test_created_cert),
		cmocka_unit_test(test_self_signed_names),
		cmocka_unit_test(test_names_shown_safely),
		cmocka_unit_test(test_mismatch_and_modes),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_encrypted_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
