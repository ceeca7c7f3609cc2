/* ed25519.c - Ed25519 verification by the book, for Ed25519ph. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenSSL 3.0 (Debian 12) verifies pure Ed25519 only; Ed25519ph (RFC 8032
 * §5.1 with PH = SHA-512 and the dom2 prefix), which cosign uses for
 * Ed25519 keys, came in 3.2.  This is RFC 8032 §5.1.7 over OpenSSL's
 * BIGNUM: slow (a few milliseconds) and not constant time, which a
 * verifier of public data does not need.  The same code checks pure
 * Ed25519 too, so that the tests can hold it against OpenSSL's.
 */
#include "policy/sig/internal.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

/* A point in extended coordinates: x = X/Z, y = Y/Z, x*y = T/Z. */
struct ed_pt {
	BIGNUM	*x, *y, *z, *t;
};

struct ed_ctx {
	BN_CTX	*bn;
	BIGNUM	*p, *d, *l, *sqrtm1, *tmp[8];
	struct ed_pt base;
};

/*
 * dom2(1, ""): what RFC 8032 puts before Ed25519ph's hashed data, the
 * string, the prehash flag 1 and the context's length 0 (no context).
 */
#define DOM2_TEXT	"SigEd25519 no Ed25519 collisions"
static const unsigned char dom2[] = DOM2_TEXT "\x01\x00";
#define DOM2_LEN	(sizeof(DOM2_TEXT) - 1 + 2)

static int
pt_new(struct ed_pt *q)
{
	q->x = BN_new();
	q->y = BN_new();
	q->z = BN_new();
	q->t = BN_new();
	return q->x != NULL && q->y != NULL && q->z != NULL && q->t != NULL;
}

static void
pt_free(struct ed_pt *q)
{
	BN_free(q->x);
	BN_free(q->y);
	BN_free(q->z);
	BN_free(q->t);
}

/* Q = A + B (Q may be A or B), the unified addition of RFC 8032 §5.1.4. */
static int
pt_add(struct ed_ctx *c, struct ed_pt *q, const struct ed_pt *a,
    const struct ed_pt *b)
{
	BIGNUM **v = c->tmp;	/* A B C D E F G H */
	BN_CTX *bn = c->bn;
	int ok;

	ok = BN_mod_sub(v[6], a->y, a->x, c->p, bn) &&
	    BN_mod_sub(v[7], b->y, b->x, c->p, bn) &&
	    BN_mod_mul(v[0], v[6], v[7], c->p, bn) &&
	    BN_mod_add(v[6], a->y, a->x, c->p, bn) &&
	    BN_mod_add(v[7], b->y, b->x, c->p, bn) &&
	    BN_mod_mul(v[1], v[6], v[7], c->p, bn) &&
	    BN_mod_mul(v[2], a->t, b->t, c->p, bn) &&
	    BN_mod_mul(v[2], v[2], c->d, c->p, bn) &&
	    BN_mod_lshift1(v[2], v[2], c->p, bn) &&
	    BN_mod_mul(v[3], a->z, b->z, c->p, bn) &&
	    BN_mod_lshift1(v[3], v[3], c->p, bn) &&
	    BN_mod_sub(v[4], v[1], v[0], c->p, bn) &&
	    BN_mod_sub(v[5], v[3], v[2], c->p, bn) &&
	    BN_mod_add(v[6], v[3], v[2], c->p, bn) &&
	    BN_mod_add(v[7], v[1], v[0], c->p, bn) &&
	    BN_mod_mul(q->x, v[4], v[5], c->p, bn) &&
	    BN_mod_mul(q->y, v[6], v[7], c->p, bn) &&
	    BN_mod_mul(q->t, v[4], v[7], c->p, bn) &&
	    BN_mod_mul(q->z, v[5], v[6], c->p, bn);
	return ok;
}

/* Q = S * P by double and add (Q distinct from P). */
static int
pt_mul(struct ed_ctx *c, struct ed_pt *q, const BIGNUM *s,
    const struct ed_pt *p)
{
	struct ed_pt acc;
	int i, ok;

	if (!pt_new(&acc)) {
		pt_free(&acc);
		return 0;
	}
	ok = BN_copy(acc.x, p->x) && BN_copy(acc.y, p->y) &&
	    BN_copy(acc.z, p->z) && BN_copy(acc.t, p->t) &&
	    BN_set_word(q->x, 0) && BN_one(q->y) && BN_one(q->z) &&
	    BN_set_word(q->t, 0);
	for (i = 0; ok && i < BN_num_bits(s); i++) {
		if (BN_is_bit_set(s, i))
			ok = pt_add(c, q, q, &acc);
		ok = ok && pt_add(c, &acc, &acc, &acc);
	}
	pt_free(&acc);
	return ok;
}

/* Whether A and B are the same point: x1*z2 == x2*z1, y1*z2 == y2*z1. */
static int
pt_equal(struct ed_ctx *c, const struct ed_pt *a, const struct ed_pt *b)
{
	BIGNUM **v = c->tmp;

	return BN_mod_mul(v[0], a->x, b->z, c->p, c->bn) &&
	    BN_mod_mul(v[1], b->x, a->z, c->p, c->bn) &&
	    BN_mod_mul(v[2], a->y, b->z, c->p, c->bn) &&
	    BN_mod_mul(v[3], b->y, a->z, c->p, c->bn) &&
	    BN_cmp(v[0], v[1]) == 0 && BN_cmp(v[2], v[3]) == 0;
}

/* The little-endian LEN bytes at B as a number, into N. */
static int
le_bn(const unsigned char *b, size_t len, BIGNUM *n)
{
	return BN_lebin2bn(b, (int)len, n) != NULL;
}

/*
 * Decode the 32-byte point encoding E into Q (RFC 8032 §5.1.3): 1, or 0
 * when E is not a point (or OpenSSL failed: the caller cannot tell, and
 * either way the signature does not verify).
 */
static int
pt_decode(struct ed_ctx *c, struct ed_pt *q, const unsigned char e[32])
{
	BIGNUM **v = c->tmp;
	unsigned char b[32];
	int sign = e[31] >> 7, ok;

	memcpy(b, e, 32);
	b[31] &= 0x7f;
	/* x^2 = (y^2 - 1) / (d y^2 + 1); x = x2^((p+3)/8), maybe * sqrt(-1) */
	ok = le_bn(b, 32, q->y) && BN_cmp(q->y, c->p) < 0 &&
	    BN_mod_sqr(v[0], q->y, c->p, c->bn) &&
	    BN_mod_sub(v[1], v[0], BN_value_one(), c->p, c->bn) &&
	    BN_mod_mul(v[2], v[0], c->d, c->p, c->bn) &&
	    BN_mod_add(v[2], v[2], BN_value_one(), c->p, c->bn) &&
	    BN_mod_inverse(v[2], v[2], c->p, c->bn) != NULL &&
	    BN_mod_mul(v[3], v[1], v[2], c->p, c->bn) &&	/* x^2 */
	    BN_copy(v[4], c->p) && BN_add_word(v[4], 3) &&
	    BN_rshift(v[4], v[4], 3) &&
	    BN_mod_exp(q->x, v[3], v[4], c->p, c->bn) &&
	    BN_mod_sqr(v[5], q->x, c->p, c->bn);
	if (ok && BN_cmp(v[5], v[3]) != 0)
		ok = BN_mod_mul(q->x, q->x, c->sqrtm1, c->p, c->bn) &&
		    BN_mod_sqr(v[5], q->x, c->p, c->bn) &&
		    BN_cmp(v[5], v[3]) == 0;
	if (ok && BN_is_zero(q->x) && sign)
		return 0;
	if (ok && BN_is_odd(q->x) != sign)
		ok = BN_sub(q->x, c->p, q->x);
	return ok && BN_one(q->z) &&
	    BN_mod_mul(q->t, q->x, q->y, c->p, c->bn);
}

static void
ctx_free(struct ed_ctx *c)
{
	size_t i;

	BN_free(c->p);
	BN_free(c->d);
	BN_free(c->l);
	BN_free(c->sqrtm1);
	for (i = 0; i < sizeof(c->tmp) / sizeof(c->tmp[0]); i++)
		BN_free(c->tmp[i]);
	pt_free(&c->base);
	BN_CTX_free(c->bn);
}

/* The curve's constants, and the base point decoded from its encoding. */
static int
ctx_init(struct ed_ctx *c)
{
	/* y = 4/5, x even: 0x5866...66 little endian. */
	unsigned char base[32];
	size_t i;
	int ok;

	memset(c, 0, sizeof(*c));
	memset(base, 0x66, sizeof(base));
	base[0] = 0x58;
	c->bn = BN_CTX_new();
	c->p = BN_new();
	c->d = BN_new();
	c->l = BN_new();
	c->sqrtm1 = BN_new();
	ok = c->bn != NULL && c->p != NULL && c->d != NULL && c->l != NULL &&
	    c->sqrtm1 != NULL && pt_new(&c->base);
	for (i = 0; i < sizeof(c->tmp) / sizeof(c->tmp[0]); i++)
		ok = ok && (c->tmp[i] = BN_new()) != NULL;
	/* p = 2^255 - 19; d = -121665/121666; L = 2^252 + 2774...493 */
	ok = ok && BN_set_word(c->p, 1) && BN_lshift(c->p, c->p, 255) &&
	    BN_sub_word(c->p, 19) &&
	    BN_set_word(c->tmp[0], 121666) &&
	    BN_mod_inverse(c->tmp[0], c->tmp[0], c->p, c->bn) != NULL &&
	    BN_set_word(c->tmp[1], 121665) &&
	    BN_sub(c->tmp[1], c->p, c->tmp[1]) &&
	    BN_mod_mul(c->d, c->tmp[0], c->tmp[1], c->p, c->bn) &&
	    BN_dec2bn(&c->l, "7237005577332262213973186563042994240857116359"
	    "379907606001950938285454250989") != 0 &&
	    /* sqrt(-1) = 2^((p-1)/4) */
	    BN_sub(c->tmp[2], c->p, BN_value_one()) &&
	    BN_rshift(c->tmp[2], c->tmp[2], 2) &&
	    BN_set_word(c->tmp[3], 2) &&
	    BN_mod_exp(c->sqrtm1, c->tmp[3], c->tmp[2], c->p, c->bn);
	return ok && pt_decode(c, &c->base, base);
}

/* k = SHA-512(prefix || R || A || M) mod L, little endian. */
static int
challenge(struct ed_ctx *c, BIGNUM *k, const void *prefix, size_t plen,
    const unsigned char sig[64], const unsigned char pub[32],
    const unsigned char *msg, size_t mlen)
{
	unsigned char h[64];
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	ok = m != NULL && EVP_DigestInit_ex(m, EVP_sha512(), NULL) == 1 &&
	    EVP_DigestUpdate(m, prefix, plen) == 1 &&
	    EVP_DigestUpdate(m, sig, 32) == 1 &&
	    EVP_DigestUpdate(m, pub, 32) == 1 &&
	    EVP_DigestUpdate(m, msg, mlen) == 1 &&
	    EVP_DigestFinal_ex(m, h, NULL) == 1;
	EVP_MD_CTX_free(m);
	return ok && le_bn(h, 64, k) && BN_nnmod(k, k, c->l, c->bn);
}

/* [8][S]B == [8](R + [k]A), RFC 8032 §5.1.7 step 3. */
static int
equation(struct ed_ctx *c, const unsigned char sig[64],
    const struct ed_pt *a, const BIGNUM *k, int *good)
{
	struct ed_pt r, sb, ka;
	BIGNUM *s = BN_new();
	int ok, i;

	ok = pt_new(&r) && pt_new(&sb) && pt_new(&ka) && s != NULL &&
	    le_bn(sig + 32, 32, s);
	/* S must be below L: no other encodings of the same signature. */
	if (ok && BN_cmp(s, c->l) >= 0)
		goto out;
	if (ok && !pt_decode(c, &r, sig))
		goto out;
	ok = ok && pt_mul(c, &sb, s, &c->base) && pt_mul(c, &ka, k, a) &&
	    pt_add(c, &r, &r, &ka);
	for (i = 0; ok && i < 3; i++)
		ok = pt_add(c, &sb, &sb, &sb) && pt_add(c, &r, &r, &r);
	*good = ok && pt_equal(c, &sb, &r);
out:
	pt_free(&r);
	pt_free(&sb);
	pt_free(&ka);
	BN_free(s);
	return ok;
}

int
sig_ed25519_verify(const unsigned char pub[32], const unsigned char *msg,
    size_t mlen, const unsigned char sig[64], int ph, int *good)
{
	unsigned char digest[64];
	struct ed_ctx c;
	struct ed_pt a;
	BIGNUM *k = BN_new();
	int ok;

	*good = 0;
	memset(&c, 0, sizeof(c));
	ok = k != NULL && pt_new(&a) && ctx_init(&c);
	/* Ed25519ph signs SHA-512(M), after the dom2 prefix. */
	if (ok && ph)
		ok = EVP_Digest(msg, mlen, digest, NULL, EVP_sha512(), NULL) == 1;
	if (ok && pt_decode(&c, &a, pub))
		ok = challenge(&c, k, dom2, ph ? DOM2_LEN : 0, sig, pub,
		    ph ? digest : msg, ph ? sizeof(digest) : mlen) &&
		    equation(&c, sig, &a, k, good);
	ctx_free(&c);
	pt_free(&a);
	BN_free(k);
	return ok ? RW_OK : RW_ENOMEM;
}
