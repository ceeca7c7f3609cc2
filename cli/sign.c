/* sign.c - `regwarden sign`: cosign-compatible key-based signing. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "policy/policy.h"
#include "policy/sig/sig.h"
#include "cli/cli.h"
#include "server/config.h"
#include "cli/upclient.h"
#include "util/util.h"

#define PROBE_CAP	(64 * 1024)	/* bodies of upload answers */
#define ZERO_TIME	"0001-01-01T00:00:00Z"	/* Go's zero time.Time */

static const char MT_OCI_MANIFEST[] =
    "application/vnd.oci.image.manifest.v1+json";
static const char MT_DOCKER_MANIFEST[] =
    "application/vnd.docker.distribution.manifest.v2+json";
static const char MT_OCI_CONFIG[] = "application/vnd.oci.image.config.v1+json";
static const char MT_DOCKER_CONFIG[] =
    "application/vnd.docker.container.image.v1+json";

const char sign_usage[] =
    "usage: regwarden sign [-c config.json] --key KEY.pem [-a key=value]... "
    "<image-ref>\n"
    "signs the manifest the image reference names, as `cosign sign --key`\n"
    "does, and pushes the signature to tag sha256-<hex>.sig of the same\n"
    "repository on the config's upstream.  KEY.pem: an unencrypted PEM\n"
    "private key (ECDSA P-256/P-384/P-521, RSA 2048-4096 or Ed25519), mode\n"
    "0600.  -a adds an annotation to the signed payload (\"optional\").\n"
    "  exit status: 0 signed, 1 failed, 2 usage\n";

const char attest_usage[] =
    "usage: regwarden attest [-c config.json] --key KEY.pem --type TYPE "
    "--predicate FILE <image-ref>\n"
    "attests the manifest the image reference names, as `cosign attest "
    "--key`\n"
    "does: an in-toto statement with FILE (a JSON object) as predicate, in a\n"
    "DSSE envelope signed with KEY.pem, appended to tag sha256-<hex>.att.\n"
    "TYPE: a predicate type URI, or slsaprovenance, slsaprovenance1, spdx,\n"
    "spdxjson, cyclonedx, vuln, openvex, custom.\n"
    "  exit status: 0 attested, 1 failed, 2 usage\n";

/* ------------------------------------------------------------ arguments */

/* The length of the UTF-8 sequence at P (N bytes left), or 0 if invalid:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

static int
valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;

	while (i < n) {
		l = utf8_len(p + i, n - i);
		if (l == 0)
			return 0;
		i += l;
	}
	return 1;
}

/* Add the annotation "k=v" in KV to OUT. */
static int
add_annot(struct sign_args *out, const char *kv, struct rw_err *err)
{
	const char *eq = strchr(kv, '=');
	struct sign_annot *a;
	size_t i, kl;

	if (eq == NULL || eq == kv)
		return rw_err_set(err, RW_EINVAL, "-a \"%s\": expected key=value",
		    kv);
	kl = (size_t)(eq - kv);
	if (!valid_utf8(kv, strlen(kv)))
		return rw_err_set(err, RW_EINVAL, "-a: annotation \"%.*s\" is not "
		    "valid UTF-8", (int)kl, kv);
	for (i = 0; i < out->nannot; i++)
		if (out->annot[i].klen == kl &&
		    memcmp(out->annot[i].key, kv, kl) == 0)
			return rw_err_set(err, RW_EINVAL, "-a: annotation \"%.*s\" "
			    "given twice", (int)kl, kv);
	if (out->nannot == SIGN_ANNOT_MAX)
		return rw_err_set(err, RW_EINVAL, "-a: more than %d annotations",
		    SIGN_ANNOT_MAX);
	a = &out->annot[out->nannot++];
	a->key = kv;
	a->klen = kl;
	a->value = eq + 1;
	return RW_OK;
}

enum { OPT_NONE = 0, OPT_CONFIG, OPT_KEY, OPT_ANNOT, OPT_TYPE, OPT_PRED };

/*
 * Which option ARGV[*I] is (OPT_NONE: not one of ours), its value in *VAL:
 * "NAME v" advances *I; long options also take "NAME=v".  Returns -1 with
 * ERR set when the option has no value.
 */
static int
match_opt(int argc, char **argv, int *i, const char **val,
    struct rw_err *err)
{
	static const struct { const char *name; int opt; } opts[] = {
		{ "-c", OPT_CONFIG }, { "--config", OPT_CONFIG },
		{ "--key", OPT_KEY }, { "-a", OPT_ANNOT },
		{ "--annotations", OPT_ANNOT }, { "--type", OPT_TYPE },
		{ "--predicate", OPT_PRED },
	};
	const char *a = argv[*i];
	size_t k, n;

	for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		n = strlen(opts[k].name);
		if (strncmp(a, opts[k].name, n) != 0)
			continue;
		if (a[n] == '=' && a[1] == '-') {
			*val = a + n + 1;
			return opts[k].opt;
		}
		if (a[n] != '\0')
			continue;
		if (*i + 1 >= argc) {
			rw_err_set(err, RW_EINVAL, "option %s needs a value", a);
			return -1;
		}
		*val = argv[++*i];
		return opts[k].opt;
	}
	return OPT_NONE;
}

int
sign_parse_args(int argc, char **argv, const char *default_config,
    struct sign_args *out, struct rw_err *err)
{
	const char *v = NULL, *arg;
	int i, opt;

	memset(out, 0, sizeof(*out));
	out->config = default_config;
	out->attest = argc > 0 && strcmp(argv[0], "attest") == 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			out->help = 1;
			return RW_OK;
		}
	}
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		opt = match_opt(argc, argv, &i, &v, err);
		if (opt < 0)
			return RW_EINVAL;
		if (opt == OPT_CONFIG)
			out->config = v;
		else if (opt == OPT_KEY)
			out->key = v;
		else if ((opt == OPT_TYPE || opt == OPT_PRED) && out->attest) {
			if (opt == OPT_TYPE)
				out->type = v;
			else
				out->predicate = v;
		} else if (opt == OPT_ANNOT && !out->attest) {
			if (add_annot(out, v, err) != RW_OK)
				return RW_EINVAL;
		} else if (opt != OPT_NONE || argv[i][0] == '-')
			return rw_err_set(err, RW_EINVAL, "unknown option \"%s\"",
			    arg);
		else if (out->ref != NULL)
			return rw_err_set(err, RW_EINVAL, "too many arguments: "
			    "\"%s\"", argv[i]);
		else
			out->ref = argv[i];
	}
	if (out->key == NULL)
		return rw_err_set(err, RW_EINVAL, "missing --key (a PEM private "
		    "key file)");
	if (out->attest && out->type == NULL)
		return rw_err_set(err, RW_EINVAL, "missing --type (a predicate "
		    "type URI or a cosign --type name)");
	if (out->attest && out->predicate == NULL)
		return rw_err_set(err, RW_EINVAL, "missing --predicate (a JSON "
		    "file)");
	if (out->ref == NULL)
		return rw_err_set(err, RW_EINVAL, "missing image reference");
	return RW_OK;
}

/* ------------------------------------------------------------------ keys */

struct sign_key {
	EVP_PKEY	*pkey;
	int		 ed25519;	/* pure Ed25519: no digest first */
	struct sig_key	*pub;
};

/* Whether the LEN bytes of PEM hold a block labelled LABEL. */
static int
has_block(const char *pem, size_t len, const char *label)
{
	char tag[80];
	int n = snprintf(tag, sizeof(tag), "-----BEGIN %s-----", label);

	return memmem(pem, len, tag, (size_t)n) != NULL;
}

/* OpenSSL must never prompt on the terminal: no passphrase, ever. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Why PEM (LEN bytes, named NAME) cannot hold a key we read, or RW_OK. */
static int
refuse_pem(const char *pem, size_t len, const char *name, struct rw_err *err)
{
	static const char *const cosign[] = {
		"ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY",
	};
	size_t i;

	for (i = 0; i < sizeof(cosign) / sizeof(cosign[0]); i++)
		if (has_block(pem, len, cosign[i]))
			return rw_err_set(err, RW_EUNSUPPORTED, "%s: an encrypted "
			    "cosign key (%s) needs NaCl secretbox, which OpenSSL "
			    "lacks: export it as an unencrypted PEM key (see "
			    "README, \"Signing images\")", name, cosign[i]);
	if (has_block(pem, len, "ENCRYPTED PRIVATE KEY") ||
	    memmem(pem, len, "Proc-Type: 4,ENCRYPTED", 22) != NULL)
		return rw_err_set(err, RW_EUNSUPPORTED, "%s: the key is encrypted "
		    "with a passphrase: decrypt it first, e.g. openssl pkey -in "
		    "%s -out plain.pem", name, name);
	if (memmem(pem, len, "PRIVATE KEY-----", 16) != NULL)
		return RW_OK;
	if (memmem(pem, len, "PUBLIC KEY-----", 15) != NULL)
		return rw_err_set(err, RW_EPARSE, "%s: holds a public key; "
		    "signing needs the private key", name);
	return rw_err_set(err, RW_EPARSE, "%s: no PEM private key (PRIVATE "
	    "KEY, EC PRIVATE KEY or RSA PRIVATE KEY)", name);
}

/* K's public half, through the PEM form sig_key_load reads from cosign.pub. */
static int
public_half(struct sign_key *k, const char *name, struct rw_err *err)
{
	char what[300], *data = NULL;
	struct rw_err e;
	BIO *b;
	long n;
	int rc;

	snprintf(what, sizeof(what), "%s: cannot derive the public key", name);
	b = BIO_new(BIO_s_mem());
	if (b == NULL || PEM_write_bio_PUBKEY(b, k->pkey) != 1) {
		BIO_free(b);
		return rw_ossl_err(err, RW_ECRYPTO, what);
	}
	n = BIO_get_mem_data(b, &data);
	rw_err_clear(&e);
	rc = sig_key_load(data, n > 0 ? (size_t)n : 0, &k->pub, &e);
	BIO_free(b);
	if (rc != RW_OK)
		return rw_err_set(err, rc, "%s: %s", name, e.msg);
	return RW_OK;
}

int
sign_key_parse(const char *pem, size_t len, const char *name,
    struct sign_key **out, struct rw_err *err)
{
	struct sign_key *k = NULL;
	char what[300];
	EVP_PKEY *pkey;
	BIO *b;
	int rc, id;

	*out = NULL;
	if (len > SIGN_KEY_FILE_MAX)
		return rw_err_set(err, RW_ETOOBIG, "%s: larger than %d bytes",
		    name, SIGN_KEY_FILE_MAX);
	rc = refuse_pem(pem, len, name, err);
	if (rc != RW_OK)
		return rc;
	snprintf(what, sizeof(what), "%s: cannot read the private key", name);
	b = BIO_new_mem_buf(pem, (int)len);
	if (b == NULL)
		return rw_ossl_err(err, RW_ENOMEM, what);
	pkey = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (pkey == NULL)
		return rw_ossl_err(err, RW_EPARSE, what);
	id = EVP_PKEY_get_base_id(pkey);
	if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519) {
		rc = rw_err_set(err, RW_EUNSUPPORTED, "%s: unsupported key type "
		    "%s (expected ECDSA, RSA or Ed25519)", name,
		    OBJ_nid2sn(id) != NULL ? OBJ_nid2sn(id) : "?");
		EVP_PKEY_free(pkey);
		return rc;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	}
	k->pkey = pkey;
	k->ed25519 = id == EVP_PKEY_ED25519;
	rc = public_half(k, name, err);
	if (rc != RW_OK) {
		sign_key_free(k);
		return rc;
	}
	*out = k;
	return RW_OK;
}

int
sign_key_load(const char *path, struct sign_key **out, struct rw_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	/* As server/tls.c does for its key: nobody else may read it. */
	rc = rw_read_file(path, SIGN_KEY_FILE_MAX, RW_FILE_SECRET, &buf, &len,
	    err);
	if (rc == RW_OK)
		rc = sign_key_parse(buf, len, path, out, err);
	if (buf != NULL)
		rw_freezero(buf, len + 1);
	return rc;
}

void
sign_key_free(struct sign_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	sig_key_free(k->pub);
	free(k);
}

const struct sig_key *
sign_key_public(const struct sign_key *k)
{
	return k->pub;
}

int
sign_bytes(const struct sign_key *k, const void *data, size_t len,
    char **sig_b64, struct rw_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	char *b64 = NULL;
	size_t slen = 0;
	int rc = RW_OK;

	*sig_b64 = NULL;
	if (ctx == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	/* ECDSA and RSA (PKCS#1 v1.5, OpenSSL's default) over SHA-256 of
	 * the bytes; Ed25519 over the bytes themselves. */
	if (EVP_DigestSignInit(ctx, NULL, k->ed25519 ? NULL : EVP_sha256(),
	    NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &slen, data, len) != 1) {
		rc = rw_ossl_err(err, RW_ECRYPTO, "cannot sign");
		goto out;
	}
	sig = malloc(slen);
	b64 = malloc((slen + 2) / 3 * 4 + 1);
	if (sig == NULL || b64 == NULL) {
		rc = rw_err_set(err, RW_ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestSign(ctx, sig, &slen, data, len) != 1) {
		rc = rw_ossl_err(err, RW_ECRYPTO, "cannot sign");
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)slen);
	*sig_b64 = b64;
	b64 = NULL;
out:
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(b64);
	return rc;
}

/* --------------------------------------------------------------- payload */

/* The letter of Go's short escape for C ('n' for a newline), or 0. */
static char
short_escape(unsigned char c)
{
	switch (c) {
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	default:
		return 0;
	}
}

/*
 * S (LEN bytes of UTF-8) as a JSON string the way Go's encoding/json
 * writes it: '"' and '\\' escaped, \b \f \n \r \t short, other control
 * characters as \u00xx, '<' '>' '&' as \u003c \u003e \u0026 (HTML-safe,
 * json.Marshal's default), U+2028 and U+2029 as \u2028 \u2029, and
 * everything else as is.
 */
static int
go_string(struct rw_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t i;
	int rc = rw_buf_add(b, "\"", 1);

	for (i = 0; rc == RW_OK && i < len; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)p[i];
			rc = rw_buf_add(b, esc, 2);
		} else if (short_escape(p[i]) != 0) {
			esc[0] = '\\';
			esc[1] = short_escape(p[i]);
			rc = rw_buf_add(b, esc, 2);
		} else if (p[i] < 0x20 || p[i] == '<' || p[i] == '>' ||
		    p[i] == '&') {
			rc = rw_buf_addf(b, "\\u00%c%c", hex[p[i] >> 4],
			    hex[p[i] & 0xf]);
		} else if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			rc = rw_buf_addf(b, "\\u202%c", p[i + 2] == 0xa8 ? '8' :
			    '9');
			i += 2;
		} else {
			rc = rw_buf_add(b, p + i, 1);
		}
	}
	return rc == RW_OK ? rw_buf_add(b, "\"", 1) : rc;
}

/* Go sorts map keys by their bytes. */
static int
annot_cmp(const void *x, const void *y)
{
	const struct sign_annot *a = x, *b = y;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);

	if (c != 0)
		return c;
	return a->klen < b->klen ? -1 : a->klen > b->klen;
}

/* "optional": null, or the annotations A (N of them) in key order. */
static int
add_optional(struct rw_buf *b, const struct sign_annot *a, size_t n)
{
	struct sign_annot *sorted;
	size_t i;
	int rc;

	if (n == 0)
		return rw_buf_add(b, "null", 4);
	sorted = calloc(n, sizeof(*sorted));
	if (sorted == NULL)
		return RW_ENOMEM;
	memcpy(sorted, a, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), annot_cmp);
	rc = rw_buf_add(b, "{", 1);
	for (i = 0; rc == RW_OK && i < n; i++) {
		if (i > 0)
			rc = rw_buf_add(b, ",", 1);
		if (rc == RW_OK)
			rc = go_string(b, sorted[i].key, sorted[i].klen);
		if (rc == RW_OK)
			rc = rw_buf_add(b, ":", 1);
		if (rc == RW_OK)
			rc = go_string(b, sorted[i].value,
			    strlen(sorted[i].value));
	}
	free(sorted);
	return rc == RW_OK ? rw_buf_add(b, "}", 1) : rc;
}

int
sign_payload(const char *ref, const char *digest,
    const struct sign_annot *a, size_t n, char **out, size_t *len,
    struct rw_err *err)
{
	struct rw_buf b;
	size_t i;
	int rc;

	*out = NULL;
	*len = 0;
	if (!valid_utf8(ref, strlen(ref)) || !valid_utf8(digest, strlen(digest)))
		return rw_err_set(err, RW_EINVAL, "the image reference is not "
		    "valid UTF-8");
	for (i = 0; i < n; i++)
		if (!valid_utf8(a[i].key, a[i].klen) ||
		    !valid_utf8(a[i].value, strlen(a[i].value)))
			return rw_err_set(err, RW_EINVAL, "annotation \"%.*s\" is "
			    "not valid UTF-8", (int)a[i].klen, a[i].key);
	rw_buf_init(&b, SIG_COSIGN_PAYLOAD_MAX);
	rc = rw_buf_add(&b, "{\"critical\":{\"identity\":{\"docker-reference\":",
	    44);
	if (rc == RW_OK)
		rc = go_string(&b, ref, strlen(ref));
	if (rc == RW_OK)
		rc = rw_buf_add(&b, "},\"image\":{\"docker-manifest-digest\":", 36);
	if (rc == RW_OK)
		rc = go_string(&b, digest, strlen(digest));
	if (rc == RW_OK)
		rc = rw_buf_addf(&b, "},\"type\":\"%s\"},\"optional\":",
		    SIG_COSIGN_TYPE);
	if (rc == RW_OK)
		rc = add_optional(&b, a, n);
	if (rc == RW_OK)
		rc = rw_buf_add(&b, "}", 1);
	if (rc != RW_OK) {
		rw_buf_free(&b);
		if (rc == RW_ETOOBIG)
			return rw_err_set(err, rc, "the payload is larger than %d "
			    "bytes", SIG_COSIGN_PAYLOAD_MAX);
		return rw_err_set(err, rc, "out of memory");
	}
	*len = b.len;
	*out = rw_buf_steal(&b, NULL);
	return RW_OK;
}

/* ----------------------------------------------------- the .sig manifest */

void
sign_manifest_cleanup(struct sign_manifest *m)
{
	free(m->body);
	free(m->config);
	memset(m, 0, sizeof(*m));
}

/* ROOT's mediaType, else CTYPE without parameters, as printable ASCII. */
static void
manifest_type(json_t *root, const char *ctype, char *out, size_t size)
{
	const char *mt = json_string_value(json_object_get(root, "mediaType"));
	size_t i, n;

	if (mt == NULL)
		mt = ctype != NULL ? ctype : "";
	n = strcspn(mt, "; \t");
	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		out[i] = mt[i] > 0x20 && mt[i] < 0x7f ? mt[i] : '?';
	out[n] = '\0';
}

/* OLD, parsed, if it is an image manifest whose layers all name a sha256
 * blob: what cosign would read as a signature manifest. */
static int
load_old(const char *old, size_t len, const char *ctype, json_t **root,
    char *mt, size_t mtsize, struct rw_err *err)
{
	json_t *r, *layers, *l;
	const char *d;
	size_t i;

	*root = NULL;
	r = json_loadb(old, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(r)) {
		json_decref(r);
		return rw_err_set(err, RW_EPARSE, "the tag holds something that "
		    "is not a JSON manifest");
	}
	manifest_type(r, ctype, mt, mtsize);
	if (json_integer_value(json_object_get(r, "schemaVersion")) != 2 ||
	    (strcmp(mt, MT_OCI_MANIFEST) != 0 &&
	    strcmp(mt, MT_DOCKER_MANIFEST) != 0)) {
		json_decref(r);
		return rw_err_set(err, RW_EPARSE, "the tag holds %s, not a "
		    "signature manifest", mt[0] != '\0' ? mt :
		    "a manifest of no known type");
	}
	layers = json_object_get(r, "layers");
	if (!json_is_array(layers)) {
		json_decref(r);
		return rw_err_set(err, RW_EPARSE, "the signature manifest at the "
		    "tag has no layers");
	}
	json_array_foreach(layers, i, l) {
		d = json_string_value(json_object_get(l, "digest"));
		if (d == NULL || !cli_valid_digest(d)) {
			json_decref(r);
			return rw_err_set(err, RW_EPARSE, "layer %zu of the "
			    "signature manifest at the tag names no sha256 blob", i);
		}
	}
	*root = r;
	return RW_OK;
}

/*
 * Whether LAYERS already hold this signature, as cosign's duplicate check
 * decides: a layer of the same media type over the same payload whose
 * signature PUB verifies.  ECDSA signatures differ each time, so comparing
 * the signatures themselves would push one more layer on every run.
 */
static int
find_dup(json_t *layers, const struct sig_key *pub, const char *payload,
    size_t plen, const char *pdigest, const char *image_digest, int *dup,
    struct rw_err *err)
{
	struct sig_result res;
	const char *mt, *d, *sig;
	json_t *l;
	size_t i;
	int rc;

	*dup = 0;
	json_array_foreach(layers, i, l) {
		mt = json_string_value(json_object_get(l, "mediaType"));
		d = json_string_value(json_object_get(l, "digest"));
		sig = json_string_value(json_object_get(json_object_get(l,
		    "annotations"), SIGN_SIG_ANNOTATION));
		if (mt == NULL || strcmp(mt, SIG_COSIGN_MEDIA_TYPE) != 0 ||
		    d == NULL || strcmp(d, pdigest) != 0 || sig == NULL)
			continue;
		rc = sig_cosign_verify(pub, payload, plen, sig, image_digest,
		    &res, err);
		if (rc != RW_OK)
			return rc;
		if (res.verdict == SIG_VALID) {
			*dup = 1;
			return RW_OK;
		}
	}
	return RW_OK;
}

/*
 * The config blob of a signature image with LAYERS, as
 * go-containerregistry's empty image grows one with each appended layer:
 * one diff_id (the uncompressed layer is the payload) and one history
 * entry per layer, zero times, nothing else.
 */
static int
make_config(json_t *layers, struct sign_manifest *m, struct rw_err *err)
{
	json_t *diff = json_array(), *hist = json_array(), *cfg = NULL, *l;
	size_t i;
	int bad = diff == NULL || hist == NULL;

	json_array_foreach(layers, i, l) {
		if (bad)
			break;
		bad = json_array_append(diff, json_object_get(l, "digest")) != 0 ||
		    json_array_append_new(hist, json_pack("{s:s}", "created",
		    ZERO_TIME)) != 0;
	}
	if (!bad)	/* json_pack steals DIFF and HIST, even when failing */
		cfg = json_pack("{s:s,s:s,s:o,s:s,s:{s:s,s:o},s:{}}",
		    "architecture", "", "created", ZERO_TIME, "history", hist,
		    "os", "", "rootfs", "type", "layers", "diff_ids", diff,
		    "config");
	else {
		json_decref(diff);
		json_decref(hist);
	}
	if (cfg != NULL)
		m->config = json_dumps(cfg, JSON_COMPACT);
	json_decref(cfg);
	if (m->config == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	m->config_len = strlen(m->config);
	if (rw_digest(RW_HASH_SHA256, m->config, m->config_len,
	    m->config_digest) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	return RW_OK;
}

/* Append the new layer to ROOT, then point ROOT at its new config. */
static int
add_layer(json_t *root, const char *pdigest, size_t plen, const char *lmt,
    const char *akey, const char *aval, struct sign_manifest *m,
    struct rw_err *err)
{
	json_t *layers = json_object_get(root, "layers"), *layer, *desc;
	const char *old_cmt;
	char cmt[128];
	int rc;

	old_cmt = json_string_value(json_object_get(json_object_get(root,
	    "config"), "mediaType"));
	/* A config type already there is kept; a new one matches the
	 * manifest's family, as cosign with COSIGN_DOCKER_MEDIA_TYPES does. */
	rw_strlcpy(cmt, old_cmt != NULL ? old_cmt :
	    strcmp(m->media_type, MT_DOCKER_MANIFEST) == 0 ? MT_DOCKER_CONFIG :
	    MT_OCI_CONFIG, sizeof(cmt));
	layer = json_pack("{s:s,s:I,s:s,s:{s:s}}", "mediaType", lmt, "size",
	    (json_int_t)plen, "digest", pdigest, "annotations", akey, aval);
	if (layer == NULL || json_array_append_new(layers, layer) != 0)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	rc = make_config(layers, m, err);
	if (rc != RW_OK)
		return rc;
	desc = json_pack("{s:s,s:I,s:s}", "mediaType", cmt, "size",
	    (json_int_t)m->config_len, "digest", m->config_digest);
	if (desc == NULL || json_object_set_new(root, "config", desc) != 0)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	m->nlayers = json_array_size(layers);
	m->body = json_dumps(root, JSON_COMPACT);
	if (m->body == NULL)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	m->len = strlen(m->body);
	return RW_OK;
}

int
sign_sig_manifest(const char *old, size_t oldlen, const char *old_ctype,
    const struct sig_key *pub, const char *payload, size_t plen,
    const char *image_digest, const char *sig_b64,
    struct sign_manifest *out, struct rw_err *err)
{
	json_t *root = NULL;
	int rc, dup = 0;

	memset(out, 0, sizeof(*out));
	if (rw_digest(RW_HASH_SHA256, payload, plen, out->payload_digest) !=
	    RW_OK)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	if (old != NULL)
		rc = load_old(old, oldlen, old_ctype, &root, out->media_type,
		    sizeof(out->media_type), err);
	else {
		rw_strlcpy(out->media_type, MT_OCI_MANIFEST,
		    sizeof(out->media_type));
		/* Keys in the order Go writes an OCI manifest's fields. */
		root = json_pack("{s:i,s:s,s:{},s:[]}", "schemaVersion", 2,
		    "mediaType", MT_OCI_MANIFEST, "config", "layers");
		rc = root != NULL ? RW_OK : rw_err_set(err, RW_ENOMEM,
		    "out of memory");
	}
	if (rc == RW_OK)
		rc = find_dup(json_object_get(root, "layers"), pub, payload, plen,
		    out->payload_digest, image_digest, &dup, err);
	if (rc == RW_OK && dup) {
		out->duplicate = 1;
		out->nlayers = json_array_size(json_object_get(root, "layers"));
	} else if (rc == RW_OK)
		rc = add_layer(root, out->payload_digest, plen,
		    SIG_COSIGN_MEDIA_TYPE, SIGN_SIG_ANNOTATION, sig_b64, out,
		    err);
	json_decref(root);
	if (rc != RW_OK)
		sign_manifest_cleanup(out);
	return rc;
}

/* A new, empty OCI image manifest into *ROOT, in the order Go writes it. */
static int
new_manifest(json_t **root, struct sign_manifest *out, struct rw_err *err)
{
	rw_strlcpy(out->media_type, MT_OCI_MANIFEST, sizeof(out->media_type));
	*root = json_pack("{s:i,s:s,s:{},s:[]}", "schemaVersion", 2,
	    "mediaType", MT_OCI_MANIFEST, "config", "layers");
	return *root != NULL ? RW_OK : rw_err_set(err, RW_ENOMEM,
	    "out of memory");
}

int
attest_manifest(const char *old, size_t oldlen, const char *old_ctype,
    const char *env, size_t elen, const char *ptype,
    struct sign_manifest *out, struct rw_err *err)
{
	json_t *root = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (rw_digest(RW_HASH_SHA256, env, elen, out->payload_digest) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "out of memory");
	rc = old != NULL ? load_old(old, oldlen, old_ctype, &root,
	    out->media_type, sizeof(out->media_type), err) :
	    new_manifest(&root, out, err);
	/* cosign attest appends too: each run is a new attestation. */
	if (rc == RW_OK)
		rc = add_layer(root, out->payload_digest, elen, SIG_DSSE_MEDIA,
		    "predicateType", ptype, out, err);
	json_decref(root);
	if (rc != RW_OK)
		sign_manifest_cleanup(out);
	return rc;
}

/* --------------------------------------------------------------- command */

/* One `regwarden sign`: what it read, made and pushed. */
struct job {
	struct sign_args	 a;
	struct cli_image	 ci;
	struct rw_config	*cfg;
	const struct cfg_upstream *up;
	struct sign_key		*key;
	struct upc		*s;
	char			 name[600];	/* "docker.io/acme/api" */
	char			 shown[800];	/* name:tag or name@digest */
	char			 digest[RW_DIGEST_MAX];
	char			 sigtag[RW_DIGEST_MAX];	/* "sha256-<hex>.sig" */
	char			*payload;
	size_t			 plen;
	char			*sig;
	const char		*ptype;		/* attest: the type's URI */
	struct sign_manifest	 m;
	FILE			*out;
	FILE			*err;
};

/* Print why J failed; returns SIGN_EXIT_FAIL. */
static int
failed(struct job *j, const char *why)
{
	fprintf(j->err, "regwarden: cannot %s %s: %s\n", j->a.attest ?
	    "attest" : "sign", j->shown, why);
	return SIGN_EXIT_FAIL;
}

/* The key, the config, the upstream and a session with it. */
static int
setup(struct job *j)
{
	struct rw_diags d;
	struct rw_err e;
	char line[600];
	size_t i;

	rw_err_clear(&e);
	if (sign_key_load(j->a.key, &j->key, &e) != RW_OK)
		return failed(j, e.msg);
	memset(&d, 0, sizeof(d));
	if (config_load(j->a.config, &j->cfg, &d) != RW_OK) {
		for (i = 0; i < d.n; i++)
			fprintf(j->err, "%s\n", rw_err_str(&d.e[i], line,
			    sizeof(line)));
		return failed(j, "the configuration has errors");
	}
	j->up = config_upstream_by_host(j->cfg, j->ci.host);
	if (j->up == NULL)
		j->up = config_default_upstream(j->cfg);
	if (j->up == NULL) {
		snprintf(line, sizeof(line), "no upstream answers for %s and "
		    "none is the default", j->ci.host);
		return failed(j, line);
	}
	j->s = upc_new(j->cfg, j->up, j->ci.repo, UPC_PUSH, "regwarden-sign");
	if (j->s == NULL)
		return failed(j, "cannot start libcurl");
	return 0;
}

/* The manifest digest the reference names, checked against the bytes. */
static int
resolve(struct job *j)
{
	const int by_digest = j->ci.digest[0] != '\0';
	const char *ref = by_digest ? j->ci.digest : j->ci.tag, *want;
	char url[4096], what[900], got[RW_DIGEST_MAX];
	struct upc_resp r;
	struct rw_err e;
	int rc;

	rw_err_clear(&e);
	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", j->up->url,
	    j->ci.repo, ref);
	snprintf(what, sizeof(what), "manifest %s%s%s", j->ci.repo, by_digest ?
	    "@" : ":", ref);
	upc_resp_init(&r, j->cfg->max_manifest_bytes);
	rc = upc_get(j->s, url, UPC_MANIFEST, &r, &e);
	if (rc == RW_OK && r.status != 200)
		rc = upc_bad_status(j->s, &r, what, &e);
	want = by_digest ? j->ci.digest : r.dcd;
	if (rc == RW_OK && want[0] != '\0' &&
	    !upc_hash_matches(r.body.data, r.body.len, want, got))
		rc = by_digest ? rw_err_set(&e, RW_EDIGEST, "%s from upstream %s "
		    "hashes to %s", what, j->up->name, got) :
		    rw_err_set(&e, RW_EDIGEST, "%s from upstream %s hashes to %s, "
		    "not to its Docker-Content-Digest %s", what, j->up->name, got,
		    want);
	if (rc == RW_OK && rw_digest(RW_HASH_SHA256, r.body.data != NULL ?
	    r.body.data : "", r.body.len, j->digest) != RW_OK)
		rc = rw_err_set(&e, RW_ENOMEM, "out of memory");
	upc_resp_cleanup(&r);
	if (rc != RW_OK)
		return failed(j, e.msg);
	/* cosign's tag: the digest with ':' turned into '-', then ".sig". */
	snprintf(j->sigtag, sizeof(j->sigtag), "sha256-%s.%s", j->digest + 7,
	    j->a.attest ? "att" : "sig");
	return 0;
}

/* The payload and its signature, checked by the proxy's own verifier. */
static int
make_signature(struct job *j)
{
	struct sig_result res;
	struct rw_err e;
	char why[SIG_REASON_MAX + 64];

	rw_err_clear(&e);
	if (sign_payload(j->name, j->digest, j->a.annot, j->a.nannot,
	    &j->payload, &j->plen, &e) != RW_OK ||
	    sign_bytes(j->key, j->payload, j->plen, &j->sig, &e) != RW_OK ||
	    sig_cosign_verify(sign_key_public(j->key), j->payload, j->plen,
	    j->sig, j->digest, &res, &e) != RW_OK)
		return failed(j, e.msg);
	if (res.verdict != SIG_VALID) {
		snprintf(why, sizeof(why), "the new signature does not verify: "
		    "%s", res.reason);
		return failed(j, why);
	}
	return 0;
}

/* The statement in its envelope, checked by the proxy's own verifier. */
static int
make_attestation(struct job *j)
{
	struct sig_dsse_result res;
	struct rw_err e;
	char why[SIG_REASON_MAX + 64], *pred = NULL;
	size_t plen = 0;
	int rc;

	rw_err_clear(&e);
	j->ptype = policy_att_type_uri(j->a.type);
	if (j->ptype == NULL) {
		snprintf(why, sizeof(why), "--type \"%.100s\" is neither a "
		    "predicate type URI nor a cosign --type name", j->a.type);
		return failed(j, why);
	}
	rc = rw_read_file(j->a.predicate, ATTEST_PREDICATE_MAX, 0, &pred, &plen,
	    &e);
	if (rc == RW_OK)
		rc = attest_envelope(j->key, j->name, j->digest, j->ptype, pred,
		    plen, &j->payload, &j->plen, &e);
	free(pred);
	if (rc == RW_OK)
		rc = sig_dsse_verify(sign_key_public(j->key), j->payload,
		    j->plen, j->digest, &res, &e);
	if (rc != RW_OK)
		return failed(j, e.msg);
	sig_dsse_result_free(&res);
	if (res.verdict != SIG_VALID) {
		snprintf(why, sizeof(why), "the new attestation does not "
		    "verify: %s", res.reason);
		return failed(j, why);
	}
	return 0;
}

/* What the .sig tag holds now, and the manifest to push in its place. */
static int
plan(struct job *j)
{
	char url[4096], what[900], why[sizeof(j->name) + RW_DIGEST_MAX + 300];
	struct upc_resp r;
	struct rw_err e;
	int rc;

	rw_err_clear(&e);
	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", j->up->url,
	    j->ci.repo, j->sigtag);
	snprintf(what, sizeof(what), "signature manifest %s:%s", j->ci.repo,
	    j->sigtag);
	upc_resp_init(&r, j->cfg->max_manifest_bytes);
	rc = upc_get(j->s, url, UPC_MANIFEST, &r, &e);
	if (rc == RW_OK && r.status != 200 && r.status != 404)
		rc = upc_bad_status(j->s, &r, what, &e);
	if (rc == RW_OK && j->a.attest)
		rc = attest_manifest(r.status == 200 ? (r.body.data != NULL ?
		    r.body.data : "") : NULL, r.body.len, r.ctype, j->payload,
		    j->plen, j->ptype, &j->m, &e);
	else if (rc == RW_OK)
		rc = sign_sig_manifest(r.status == 200 ? (r.body.data != NULL ?
		    r.body.data : "") : NULL, r.body.len, r.ctype,
		    sign_key_public(j->key), j->payload, j->plen, j->digest,
		    j->sig, &j->m, &e);
	upc_resp_cleanup(&r);
	if (rc == RW_EPARSE) {
		snprintf(why, sizeof(why), "%s:%s: %s", j->name, j->sigtag, e.msg);
		return failed(j, why);
	}
	return rc == RW_OK ? 0 : failed(j, e.msg);
}

/* Upload LEN bytes at DATA as the blob DIGEST: POST, then one PUT. */
static int
upload_blob(struct job *j, const void *data, size_t len, const char *digest,
    const char *what, struct rw_err *e)
{
	char url[4096], loc[UPC_HDR_MAX + 8], put[UPC_HDR_MAX + 100];
	struct upc_resp r;
	int rc;

	snprintf(url, sizeof(url), "%s/v2/%s/blobs/uploads/", j->up->url,
	    j->ci.repo);
	upc_resp_init(&r, PROBE_CAP);
	rc = upc_send(j->s, "POST", url, NULL, NULL, 0, &r, e);
	if (rc == RW_OK && r.status != 202)
		rc = upc_bad_status(j->s, &r, what, e);
	if (rc == RW_OK)
		rc = upc_location(j->s, &r, loc, sizeof(loc), e);
	upc_resp_cleanup(&r);
	if (rc != RW_OK)
		return rc;
	/* The digest as a query value: "sha256%3A<hex>". */
	if ((size_t)snprintf(put, sizeof(put), "%s%cdigest=sha256%%3A%s", loc,
	    strchr(loc, '?') != NULL ? '&' : '?', digest + 7) >= sizeof(put))
		return rw_err_set(e, RW_ETOOBIG, "upload location from upstream "
		    "%s is too long", j->up->name);
	upc_resp_init(&r, PROBE_CAP);
	rc = upc_send(j->s, "PUT", put, "application/octet-stream", data, len,
	    &r, e);
	if (rc == RW_OK && r.status != 201)
		rc = upc_bad_status(j->s, &r, what, e);
	upc_resp_cleanup(&r);
	return rc;
}

/* The payload and config blobs, then the manifest at the .sig tag. */
static int
push(struct job *j)
{
	char url[4096], what[900];
	struct upc_resp r;
	struct rw_err e;
	int rc;

	rw_err_clear(&e);
	rc = upload_blob(j, j->payload, j->plen, j->m.payload_digest,
	    j->a.attest ? "the upload of the attestation envelope" :
	    "the upload of the signature payload", &e);
	if (rc == RW_OK)
		rc = upload_blob(j, j->m.config, j->m.config_len,
		    j->m.config_digest, "the upload of the signature config", &e);
	if (rc != RW_OK)
		return failed(j, e.msg);
	snprintf(url, sizeof(url), "%s/v2/%s/manifests/%s", j->up->url,
	    j->ci.repo, j->sigtag);
	snprintf(what, sizeof(what), "the push of %s manifest %s:%s",
	    j->a.attest ? "attestation" : "signature", j->ci.repo, j->sigtag);
	upc_resp_init(&r, PROBE_CAP);
	rc = upc_send(j->s, "PUT", url, j->m.media_type, j->m.body, j->m.len,
	    &r, &e);
	if (rc == RW_OK && r.status != 201)
		rc = upc_bad_status(j->s, &r, what, &e);
	upc_resp_cleanup(&r);
	return rc == RW_OK ? 0 : failed(j, e.msg);
}

/* Arguments and reference; returns 0, or the exit status for usage. */
static int
parse(struct job *j, int argc, char **argv, const char *default_config)
{
	struct rw_err e;

	rw_err_clear(&e);
	if (sign_parse_args(argc, argv, default_config, &j->a, &e) != RW_OK ||
	    (!j->a.help && cli_parse_image(j->a.ref, &j->ci, &e) != RW_OK)) {
		fprintf(j->err, "regwarden: %s\n", e.msg);
		fputs(j->a.attest ? attest_usage : sign_usage, j->err);
		return SIGN_EXIT_USAGE;
	}
	if (j->a.help) {
		fputs(j->a.attest ? attest_usage : sign_usage, j->out);
		return -1;
	}
	if (j->ci.tag[0] == '\0' && j->ci.digest[0] == '\0')
		rw_strlcpy(j->ci.tag, "latest", sizeof(j->ci.tag));
	snprintf(j->name, sizeof(j->name), "%s/%s", j->ci.host, j->ci.repo);
	snprintf(j->shown, sizeof(j->shown), "%s%s%s", j->name,
	    j->ci.digest[0] != '\0' ? "@" : ":", j->ci.digest[0] != '\0' ?
	    j->ci.digest : j->ci.tag);
	return 0;
}

int
sign_main(int argc, char **argv, const char *default_config, FILE *out,
    FILE *err)
{
	const struct sig_key *pub;
	struct job *j;
	int rc;

	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		fprintf(err, "regwarden: out of memory\n");
		return SIGN_EXIT_FAIL;
	}
	j->out = out;
	j->err = err;
	rc = parse(j, argc, argv, default_config);
	if (rc != 0) {
		free(j);
		return rc < 0 ? SIGN_EXIT_OK : rc;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = setup(j);
	if (rc == 0)
		rc = resolve(j);
	if (rc == 0)
		rc = j->a.attest ? make_attestation(j) : make_signature(j);
	if (rc == 0)
		rc = plan(j);
	if (rc == 0 && !j->m.duplicate)
		rc = push(j);
	if (rc == 0 && j->a.attest) {
		pub = sign_key_public(j->key);
		fprintf(out, "attested %s@%s (%s) with key %s (%s): pushed "
		    "%s:%s\n", j->name, j->digest, j->ptype, sig_key_id(pub),
		    sig_key_kind(pub), j->name, j->sigtag);
		if (fflush(out) != 0 || ferror(out))
			rc = SIGN_EXIT_FAIL;
	} else if (rc == 0) {
		pub = sign_key_public(j->key);
		fprintf(out, "%s %s@%s with key %s (%s): %s %s:%s\n",
		    j->m.duplicate ? "already signed" : "signed", j->name,
		    j->digest, sig_key_id(pub), sig_key_kind(pub),
		    j->m.duplicate ? "nothing pushed to" : "pushed", j->name,
		    j->sigtag);
		if (fflush(out) != 0 || ferror(out))
			rc = SIGN_EXIT_FAIL;
	}
	upc_free(j->s);
	curl_global_cleanup();
	sign_manifest_cleanup(&j->m);
	free(j->payload);
	free(j->sig);
	sign_key_free(j->key);
	config_free(j->cfg);
	free(j);
	return rc;
}
