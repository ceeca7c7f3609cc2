/* hash.c - content digests (sha256, sha512) over OpenSSL's EVP. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/*
 * With OpenSSL 3, EVP_DigestInit_ex on EVP_sha256() looks the algorithm up
 * in the provider store on every call (an implicit EVP_MD_fetch, with its
 * locks and string compares): about 3% of the CPU of a manifest by tag.
 * The digests are fetched once, explicitly, and kept for the process; if a
 * fetch fails the legacy objects still work, only slower.  Written once,
 * under CRYPTO_THREAD_run_once, then only read.
 */
static EVP_MD	*fetched_sha256;
static EVP_MD	*fetched_sha512;
static CRYPTO_ONCE fetch_once = CRYPTO_ONCE_STATIC_INIT;

static void
fetch_mds(void)
{
	fetched_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	fetched_sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
}

static const EVP_MD *
md_of(int alg)
{
	int once = CRYPTO_THREAD_run_once(&fetch_once, fetch_mds) == 1;

	switch (alg) {
	case RW_HASH_SHA256:
		return once && fetched_sha256 != NULL ? fetched_sha256 :
		    EVP_sha256();
	case RW_HASH_SHA512:
		return once && fetched_sha512 != NULL ? fetched_sha512 :
		    EVP_sha512();
	default:
		return NULL;
	}
}

int
rw_hash_alg_of(const char *digest)
{
	if (strncmp(digest, "sha256:", 7) == 0 || strcmp(digest, "sha256") == 0)
		return RW_HASH_SHA256;
	if (strncmp(digest, "sha512:", 7) == 0 || strcmp(digest, "sha512") == 0)
		return RW_HASH_SHA512;
	return 0;
}

int
rw_hash_init(struct rw_hash *h, int alg)
{
	const EVP_MD *md = md_of(alg);
	EVP_MD_CTX *ctx;

	h->ctx = NULL;
	h->alg = alg;
	if (md == NULL)
		return RW_EINVAL;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return RW_ENOMEM;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return RW_ECRYPTO;
	}
	h->ctx = ctx;
	return RW_OK;
}

void
rw_hash_update(struct rw_hash *h, const void *data, size_t len)
{
	if (h->ctx != NULL && len > 0)
		EVP_DigestUpdate(h->ctx, data, len);
}

void
rw_hash_final(struct rw_hash *h, char out[RW_DIGEST_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	const char *name = h->alg == RW_HASH_SHA512 ? "sha512:" : "sha256:";
	char *p;

	out[0] = '\0';
	if (h->ctx == NULL)
		return;
	EVP_DigestFinal_ex(h->ctx, md, &n);
	rw_hash_cleanup(h);
	memcpy(out, name, 7);
	p = out + 7;
	for (i = 0; i < n; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}

void
rw_hash_cleanup(struct rw_hash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int
rw_digest(int alg, const void *data, size_t len, char out[RW_DIGEST_MAX])
{
	struct rw_hash h;
	int rc;

	rc = rw_hash_init(&h, alg);
	if (rc != RW_OK)
		return rc;
	rw_hash_update(&h, data, len);
	rw_hash_final(&h, out);
	return RW_OK;
}

int
rw_sha256_bytes(const char *d, unsigned char out[32])
{
	unsigned int b;
	size_t i;

	if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71 ||
	    strspn(d + 7, "0123456789abcdefABCDEF") != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		sscanf(d + 7 + 2 * i, "%2x", &b);
		out[i] = (unsigned char)b;
	}
	return 0;
}
