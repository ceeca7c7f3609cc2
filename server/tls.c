/* tls.c - load the listener's certificate and key, or create a self-signed pair. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/tls.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TLS_FILE_MAX	(1024 * 1024)
#define TLS_CHAIN_MAX	16

/* Copy the contents of memory BIO B into a new NUL-terminated string. */
static char *
bio_string(BIO *b, size_t *lenp)
{
	char *data, *s;
	long n;

	n = BIO_get_mem_data(b, &data);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	if (lenp != NULL)
		*lenp = (size_t)n;
	return s;
}

/*
 * Parse every certificate in the PEM text BUF and write them back out, so
 * that what reaches libmicrohttpd is exactly the certificates we checked
 * and nothing else the file may hold.  *LEAF is the first one.
 */
static int
load_chain(const char *path, const char *buf, size_t len, X509 **leaf,
    char **pem, struct rw_err *err)
{
	BIO *in, *outb;
	X509 *x;
	int n = 0, rc = RW_OK;

	*leaf = NULL;
	*pem = NULL;
	in = BIO_new_mem_buf(buf, (int)len);
	outb = BIO_new(BIO_s_mem());
	if (in == NULL || outb == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while (n < TLS_CHAIN_MAX) {
		x = PEM_read_bio_X509(in, NULL, NULL, NULL);
		if (x == NULL)
			break;
		if (PEM_write_bio_X509(outb, x) != 1) {
			X509_free(x);
			rc = rw_ossl_err(err, RW_ECRYPTO, path);
			goto out;
		}
		if (n++ == 0)
			*leaf = x;
		else
			X509_free(x);
	}
	ERR_clear_error();	/* the loop ends on "no start line" */
	if (*leaf == NULL) {
		rc = rw_err_set(err, RW_ECRYPTO, "%s: no PEM certificate found",
		    path);
		goto out;
	}
	*pem = bio_string(outb, NULL);
	if (*pem == NULL)
		rc = rw_err_set(err, RW_ENOMEM, "%s: out of memory", path);
out:
	if (rc != RW_OK) {
		X509_free(*leaf);
		*leaf = NULL;
	}
	BIO_free(in);
	BIO_free(outb);
	return rc;
}

/* Refuse to prompt for a passphrase: encrypted keys are not supported. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int
load_key(const char *path, const char *buf, size_t len, EVP_PKEY **pkey,
    struct rw_err *err)
{
	BIO *in;

	in = BIO_new_mem_buf(buf, (int)len);
	if (in == NULL)
		return rw_err_set(err, RW_ENOMEM, "%s: out of memory", path);
	*pkey = PEM_read_bio_PrivateKey(in, NULL, no_passphrase, NULL);
	BIO_free(in);
	if (*pkey == NULL) {
		ERR_clear_error();
		return rw_err_set(err, RW_ECRYPTO, "%s: no unencrypted PEM "
		    "private key found", path);
	}
	return RW_OK;
}

/* The key as unencrypted PKCS#8 PEM, in memory that is wiped when freed. */
static int
key_to_pem(EVP_PKEY *pkey, struct tls_material *out, struct rw_err *err)
{
	BIO *b;
	int rc = RW_OK;

	b = BIO_new(BIO_s_secmem());
	if (b == NULL)
		return rw_err_set(err, RW_ENOMEM, "tls: out of memory");
	if (PEM_write_bio_PrivateKey(b, pkey, NULL, NULL, 0, NULL, NULL) != 1)
		rc = rw_ossl_err(err, RW_ECRYPTO,
		    "tls: encoding the private key");
	else {
		out->key_pem = bio_string(b, &out->key_pem_len);
		if (out->key_pem == NULL)
			rc = rw_err_set(err, RW_ENOMEM, "tls: out of memory");
	}
	BIO_free(b);
	return rc;
}

/*
 * LEAF's subjectAltName as "DNS:a,IP:b" into OUT->names (cut if too long),
 * for the start line: a name in a certificate someone else made is shown
 * as rw_sb_safe shows untrusted text.
 */
static void
leaf_names(X509 *leaf, struct tls_material *out)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	char ip[INET6_ADDRSTRLEN];
	struct rw_sb sb;
	int i, n;

	rw_sb_init(&sb, out->names, sizeof(out->names));
	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0; i < n; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			rw_sb_add(&sb, "%sDNS:", i > 0 ? "," : "");
			rw_sb_safe(&sb, (const char *)ASN1_STRING_get0_data(
			    g->d.dNSName), 253);
		} else if (g->type == GEN_IPADD && inet_ntop(
		    ASN1_STRING_length(g->d.iPAddress) == 4 ? AF_INET :
		    AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress), ip,
		    sizeof(ip)) != NULL)
			rw_sb_add(&sb, "%sIP:%s", i > 0 ? "," : "", ip);
		else
			rw_sb_add(&sb, "%s(other)", i > 0 ? "," : "");
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
}

/* Fingerprint, expiry and names of LEAF, and the key's PEM, into OUT. */
static int
describe(X509 *leaf, EVP_PKEY *pkey, struct tls_material *out,
    struct rw_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct tm tm;

	if (X509_digest(leaf, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return rw_ossl_err(err, RW_ECRYPTO, "tls: certificate digest");
	for (i = 0; i < mdlen; i++)
		snprintf(out->fingerprint + 3 * i, 4, i + 1 < mdlen ? "%02X:" :
		    "%02X", md[i]);
	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) != 1)
		return rw_ossl_err(err, RW_ECRYPTO, "tls: certificate expiry");
	out->not_after = (long)timegm(&tm);
	leaf_names(leaf, out);
	return key_to_pem(pkey, out, err);
}

static int
load_pair(const char *cert_path, const char *key_path,
    struct tls_material *out, struct rw_err *err)
{
	char *cbuf = NULL, *kbuf = NULL, msg[200];
	size_t clen = 0, klen = 0;
	X509 *leaf = NULL;
	EVP_PKEY *pkey = NULL;
	int rc;

	rc = rw_read_file(key_path, TLS_FILE_MAX, RW_FILE_SECRET, &kbuf, &klen,
	    err);
	if (rc == RW_OK)
		rc = rw_read_file(cert_path, TLS_FILE_MAX, 0, &cbuf, &clen, err);
	if (rc == RW_OK)
		rc = load_chain(cert_path, cbuf, clen, &leaf, &out->cert_pem,
		    err);
	if (rc == RW_OK)
		rc = load_key(key_path, kbuf, klen, &pkey, err);
	if (rc != RW_OK)
		goto out;
	if (X509_check_private_key(leaf, pkey) != 1) {
		snprintf(msg, sizeof(msg), "%s: private key does not match "
		    "certificate %s", key_path, cert_path);
		ERR_clear_error();
		rc = rw_err_set(err, RW_ECRYPTO, "%s", msg);
		goto out;
	}
	rc = describe(leaf, pkey, out, err);
out:
	if (kbuf != NULL)
		rw_freezero(kbuf, klen + 1);
	free(cbuf);
	X509_free(leaf);
	EVP_PKEY_free(pkey);
	return rc;
}

/* ------------------------------------------------------------- creation */

static int
add_ext(X509 *x, int nid, const char *value, struct rw_err *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	char what[64];
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	if (ok)
		return RW_OK;
	snprintf(what, sizeof(what), "tls: certificate extension %s",
	    OBJ_nid2sn(nid));
	return rw_ossl_err(err, RW_ECRYPTO, what);
}

/* This machine's host name when it can be a DNS name other than localhost. */
static int
host_name(char *buf, size_t n)
{
	size_t i, len;

	if (gethostname(buf, n) != 0)
		return 0;
	buf[n - 1] = '\0';
	len = strlen(buf);
	if (len == 0 || len > 253 || buf[0] == '-' || buf[0] == '.' ||
	    strcasecmp(buf, "localhost") == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((buf[i] >= 'a' && buf[i] <= 'z') ||
		    (buf[i] >= 'A' && buf[i] <= 'Z') ||
		    (buf[i] >= '0' && buf[i] <= '9') || buf[i] == '-' ||
		    buf[i] == '.'))
			return 0;
	return 1;
}

/* The default names: loopback, and the host name when it is a DNS name. */
static void
default_names(struct rw_sb *san, struct rw_sb *nc)
{
	char host[256];
	int have;

	have = host_name(host, sizeof(host));
	rw_sb_add(san, "DNS:localhost,IP:127.0.0.1,IP:::1%s%s",
	    have ? ",DNS:" : "", have ? host : "");
	rw_sb_add(nc, "critical,permitted;DNS:localhost,"
	    "permitted;IP:127.0.0.1/255.255.255.255,"
	    "permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%s%s",
	    have ? ",permitted;DNS:" : "", have ? host : "");
}

/*
 * The names the certificate answers for, as a subjectAltName value and as
 * nameConstraints permitting exactly those names.  Returns 0 when they do
 * not fit (the config caps their number and length, so never in practice).
 */
static int
cert_names(char *const *names, size_t nnames, char *san, size_t sn,
    char *nc, size_t ncn)
{
	struct rw_sb s, c;
	struct in6_addr a6;
	size_t i;
	int v6;

	rw_sb_init(&s, san, sn);
	rw_sb_init(&c, nc, ncn);
	if (nnames == 0)
		default_names(&s, &c);
	if (nnames > 0)
		rw_sb_add(&c, "critical");
	for (i = 0; i < nnames; i++) {
		v6 = inet_pton(AF_INET6, names[i], &a6) == 1;
		if (v6 || inet_pton(AF_INET, names[i], &a6) == 1) {
			rw_sb_add(&s, "%sIP:%s", i > 0 ? "," : "", names[i]);
			rw_sb_add(&c, ",permitted;IP:%s/%s", names[i], v6 ?
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" :
			    "255.255.255.255");
		} else {
			rw_sb_add(&s, "%sDNS:%s", i > 0 ? "," : "", names[i]);
			rw_sb_add(&c, ",permitted;DNS:%s", names[i]);
		}
	}
	return !s.cut && !c.cut;
}

static int
set_serial(X509 *x, struct rw_err *err)
{
	unsigned char raw[16];
	BIGNUM *bn = NULL;
	int ok;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return rw_ossl_err(err, RW_ECRYPTO, "tls: RAND_bytes");
	raw[0] = (raw[0] & 0x7f) | 0x40;	/* positive, full 16 bytes */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) !=
	    NULL;
	BN_free(bn);
	return ok ? RW_OK : rw_ossl_err(err, RW_ECRYPTO, "tls: serial number");
}

static int
cert_fields(X509 *x, EVP_PKEY *pkey, struct rw_err *err)
{
	X509_NAME *name = X509_get_subject_name(x);

	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), TLS_CREATED_DAYS, -3600,
	    NULL) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"regwarden", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_set_pubkey(x, pkey) != 1)
		return rw_ossl_err(err, RW_ECRYPTO, "tls: certificate fields");
	return set_serial(x, err);
}

static int
make_cert(EVP_PKEY *pkey, char *const *names, size_t nnames, X509 **out,
    struct rw_err *err)
{
	char san[TLS_NAMES_TEXT], nc[TLS_NAMES_TEXT + TLS_NAMES_MAX * 64];
	X509 *x;
	int rc;

	*out = NULL;
	if (nnames > TLS_NAMES_MAX || !cert_names(names, nnames, san,
	    sizeof(san), nc, sizeof(nc)))
		return rw_err_set(err, RW_ECONFIG, "tls: too many or too long "
		    "names for the certificate");
	x = X509_new();
	if (x == NULL)
		return rw_err_set(err, RW_ENOMEM, "tls: out of memory");
	rc = cert_fields(x, pkey, err);
	if (rc == RW_OK)
		rc = add_ext(x, NID_basic_constraints, "critical,CA:TRUE,"
		    "pathlen:0", err);
	if (rc == RW_OK)
		rc = add_ext(x, NID_key_usage, "critical,digitalSignature,"
		    "keyCertSign", err);
	if (rc == RW_OK)
		rc = add_ext(x, NID_ext_key_usage, "serverAuth", err);
	if (rc == RW_OK)
		rc = add_ext(x, NID_subject_key_identifier, "hash", err);
	if (rc == RW_OK)
		rc = add_ext(x, NID_subject_alt_name, san, err);
	if (rc == RW_OK)
		rc = add_ext(x, NID_name_constraints, nc, err);
	if (rc == RW_OK && X509_sign(x, pkey, EVP_sha256()) <= 0)
		rc = rw_ossl_err(err, RW_ECRYPTO,
		    "tls: signing the certificate");
	if (rc != RW_OK) {
		X509_free(x);
		return rc;
	}
	*out = x;
	return RW_OK;
}

/* DIR "/" NAME in a new string, or NULL. */
static char *
join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p;

	p = malloc(dl + nl + 2);
	if (p == NULL)
		return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	return p;
}

/*
 * Write DATA to DIR/NAME through a temporary file and a rename, so that
 * NAME is either absent or complete.
 */
static int
write_atomic(const char *dir, const char *name, const char *data,
    size_t len, mode_t mode, struct rw_err *err)
{
	char *dst, *tmp;
	size_t off = 0;
	ssize_t w;
	int fd, rc = RW_OK;

	dst = join(dir, name);
	tmp = dst != NULL ? malloc(strlen(dst) + 9) : NULL;
	if (tmp == NULL) {
		free(dst);
		return rw_err_set(err, RW_ENOMEM, "tls: out of memory");
	}
	memcpy(tmp, dst, strlen(dst));
	memcpy(tmp + strlen(dst), ".XXXXXX", 8);
	fd = mkstemp(tmp);	/* mode 0600 */
	if (fd < 0) {
		rc = rw_err_set(err, RW_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (rc == RW_OK && off < len) {
		w = write(fd, data + off, len - off);
		if (w < 0 && errno != EINTR)
			rc = rw_err_set(err, RW_EIO, "%s: write: %s", tmp,
			    strerror(errno));
		else if (w > 0)
			off += (size_t)w;
	}
	if (rc == RW_OK && (fchmod(fd, mode) != 0 || fsync(fd) != 0))
		rc = rw_err_set(err, RW_EIO, "%s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && rc == RW_OK)
		rc = rw_err_set(err, RW_EIO, "%s: close: %s", tmp,
		    strerror(errno));
	if (rc == RW_OK && rename(tmp, dst) != 0)
		rc = rw_err_set(err, RW_EIO, "%s: %s", dst, strerror(errno));
	if (rc != RW_OK)
		unlink(tmp);
out:
	free(tmp);
	free(dst);
	return rc;
}

static int
create_pair(const char *dir, char *const *names, size_t nnames,
    struct tls_material *out, struct rw_err *err)
{
	EVP_PKEY *pkey;
	X509 *x = NULL;
	BIO *b = NULL;
	int rc;

	pkey = EVP_EC_gen("P-256");
	if (pkey == NULL)
		return rw_ossl_err(err, RW_ECRYPTO,
		    "tls: generating a P-256 key");
	rc = make_cert(pkey, names, nnames, &x, err);
	if (rc != RW_OK)
		goto out;
	b = BIO_new(BIO_s_mem());
	if (b == NULL || PEM_write_bio_X509(b, x) != 1) {
		rc = rw_ossl_err(err, RW_ECRYPTO,
		    "tls: encoding the certificate");
		goto out;
	}
	out->cert_pem = bio_string(b, NULL);
	if (out->cert_pem == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, "tls: out of memory");
		goto out;
	}
	rc = describe(x, pkey, out, err);
	/* The certificate first: a key.pem on disk means the pair is whole. */
	if (rc == RW_OK)
		rc = write_atomic(dir, "cert.pem", out->cert_pem,
		    strlen(out->cert_pem), 0644, err);
	if (rc == RW_OK)
		rc = write_atomic(dir, "key.pem", out->key_pem,
		    out->key_pem_len, 0600, err);
	if (rc == RW_OK)
		out->created = 1;
out:
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

/* Create directory PATH with mode 0700 unless it exists already. */
static int
ensure_dir(const char *path, struct rw_err *err)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return RW_OK;
	if (errno != EEXIST)
		return rw_err_set(err, RW_EIO, "%s: %s", path, strerror(errno));
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return rw_err_set(err, RW_EIO, "%s: not a directory", path);
	return RW_OK;
}

/*
 * Whether the pair in OUT was made for exactly NAMES: the certificate's
 * names as leaf_names writes them against the list cert_names would write.
 */
static int
same_names(const struct tls_material *out, char *const *names,
    size_t nnames)
{
	char san[TLS_NAMES_TEXT], nc[TLS_NAMES_TEXT + TLS_NAMES_MAX * 64];

	if (nnames == 0)
		return 1;
	return cert_names(names, nnames, san, sizeof(san), nc, sizeof(nc)) &&
	    strcmp(san, out->names) == 0;
}

/* Drop what OUT holds of an old pair, keeping the paths, to make a new one. */
static void
forget_pair(struct tls_material *out)
{
	if (out->key_pem != NULL)
		rw_freezero(out->key_pem, out->key_pem_len + 1);
	out->key_pem = NULL;
	out->key_pem_len = 0;
	free(out->cert_pem);
	out->cert_pem = NULL;
	out->renamed = 1;
}

static int
from_state_dir(const char *state_dir, char *const *names, size_t nnames,
    struct tls_material *out, struct rw_err *err)
{
	char *dir;
	int rc, have_cert, have_key;

	dir = join(state_dir, "tls");
	if (dir != NULL) {
		out->cert_path = join(dir, "cert.pem");
		out->key_path = join(dir, "key.pem");
	}
	if (dir == NULL || out->cert_path == NULL || out->key_path == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, "tls: out of memory");
		goto out;
	}
	rc = ensure_dir(state_dir, err);
	if (rc == RW_OK)
		rc = ensure_dir(dir, err);
	if (rc != RW_OK)
		goto out;
	have_cert = access(out->cert_path, F_OK) == 0;
	have_key = access(out->key_path, F_OK) == 0;
	if (have_key && !have_cert)
		rc = rw_err_set(err, RW_EIO, "%s: missing next to %s; restore "
		    "it, or remove the key to have a new pair created",
		    out->cert_path, out->key_path);
	else if (have_key)
		rc = load_pair(out->cert_path, out->key_path, out, err);
	if (rc == RW_OK && have_key && !same_names(out, names, nnames))
		forget_pair(out);
	if (rc == RW_OK && out->cert_pem == NULL)
		rc = create_pair(dir, names, nnames, out, err);
out:
	free(dir);
	return rc;
}

int
tls_load_or_create(const char *cert_path, const char *key_path,
    const char *state_dir, char *const *names, size_t nnames,
    struct tls_material *out, struct rw_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((cert_path == NULL) != (key_path == NULL))
		return rw_err_set(err, RW_ECONFIG, "tls: a certificate and a "
		    "key must be configured together (got only the %s)",
		    cert_path != NULL ? "certificate" : "key");
	if (cert_path != NULL) {
		out->cert_path = strdup(cert_path);
		out->key_path = strdup(key_path);
		if (out->cert_path == NULL || out->key_path == NULL)
			rc = rw_err_set(err, RW_ENOMEM, "tls: out of memory");
		else
			rc = load_pair(cert_path, key_path, out, err);
	} else if (state_dir == NULL || *state_dir == '\0')
		rc = rw_err_set(err, RW_ECONFIG, "tls: no certificate "
		    "configured and no state directory to create one in");
	else
		rc = from_state_dir(state_dir, names, nnames, out, err);
	if (rc != RW_OK)
		tls_material_cleanup(out);
	return rc;
}

void
tls_material_cleanup(struct tls_material *m)
{
	if (m == NULL)
		return;
	if (m->key_pem != NULL)
		rw_freezero(m->key_pem, m->key_pem_len + 1);
	free(m->cert_pem);
	free(m->cert_path);
	free(m->key_path);
	memset(m, 0, sizeof(*m));
}
