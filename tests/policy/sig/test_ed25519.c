/* test_ed25519.c - RFC 8032 verification (Ed25519ph for OpenSSL 3.0). */
/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "policy/sig/internal.h"
#include "policy/sig/sig.h"
#include "tests/testutil.h"

static int
verify(const char *pub_hex, const unsigned char *msg, size_t mlen,
    const char *sig_hex, int ph)
{
	unsigned char pub[32], sig[64];
	int good = -1;

	tu_unhex(pub_hex, pub, 32);
	tu_unhex(sig_hex, sig, 64);
	assert_int_equal(sig_ed25519_verify(pub, msg, mlen, sig, ph, &good),
	    RW_OK);
	return good;
}

/* RFC 8032 §7.1 TEST 2 and 3 (pure) and §7.3 (Ed25519ph, "abc"). */
static void
test_rfc_vectors(void **state)
{
	static const char ph_pub[] =
	    "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf";
	static const char ph_sig[] =
	    "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
	    "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406";
	static const unsigned char m72[] = { 0x72 }, maf82[] = { 0xaf, 0x82 };

	(void)state;
	assert_int_equal(verify("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec49"
	    "68cc0cd55f12af4660c", m72, 1, "92a009a9f0d4cab8720e820b5f642540a2b"
	    "27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2"
	    "eaeb4302aeeb00d291612bb0c00", 0), 1);
	assert_int_equal(verify("fc51cd8e6218a1a38da47ed00230f0580816ed13ba330"
	    "3ac5deb911548908025", maf82, 2, "6291d657deec24024827e69c3abe01a30"
	    "ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7"
	    "c15e9716ed28dc027beceea1ec40a", 0), 1);
	assert_int_equal(verify(ph_pub, (const unsigned char *)"abc", 3,
	    ph_sig, 1), 1);
	/* The schemes are kept apart: dom2 is in the hash. */
	assert_int_equal(verify(ph_pub, (const unsigned char *)"abc", 3,
	    ph_sig, 0), 0);
	assert_int_equal(verify(ph_pub, (const unsigned char *)"abd", 3,
	    ph_sig, 1), 0);
	assert_int_equal(verify("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec49"
	    "68cc0cd55f12af4660c", (const unsigned char *)"abc", 3, ph_sig, 1),
	    0);
}

/* Pure Ed25519 by OpenSSL, checked by ours: the curve arithmetic agrees. */
static void
test_against_openssl(void **state)
{
	unsigned char msg[100], sig[64], pub[32];
	size_t slen, plen, i, bit;
	EVP_MD_CTX *m;
	EVP_PKEY *k;
	int good;

	(void)state;
	for (i = 0; i < 12; i++) {
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		m = EVP_MD_CTX_new();
		assert_true(k != NULL && m != NULL);
		assert_int_equal(RAND_bytes(msg, (int)sizeof(msg)), 1);
		slen = sizeof(sig);
		plen = sizeof(pub);
		assert_int_equal(EVP_DigestSignInit_ex(m, NULL, NULL, NULL, NULL,
		    k, NULL), 1);
		assert_int_equal(EVP_DigestSign(m, sig, &slen, msg, i * 8), 1);
		assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &plen), 1);
		assert_int_equal(sig_ed25519_verify(pub, msg, i * 8, sig, 0,
		    &good), RW_OK);
		assert_int_equal(good, 1);
		/* Any flipped bit of R, S or the message breaks it. */
		bit = (i * 37) % 512;
		sig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		assert_int_equal(sig_ed25519_verify(pub, msg, i * 8, sig, 0,
		    &good), RW_OK);
		assert_int_equal(good, 0);
		sig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		msg[0] ^= 1;
		assert_int_equal(sig_ed25519_verify(pub, msg, i * 8, sig, 0,
		    &good), RW_OK);
		assert_int_equal(good, i == 0);	/* an empty message: no byte */
		EVP_MD_CTX_free(m);
		EVP_PKEY_free(k);
	}
}

/* S >= L, a public key that is not a point: refused, not crashed. */
static void
test_malformed(void **state)
{
	static const char pub[] =
	    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
	static const char sig[] =
	    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
	static const unsigned char m72[] = { 0x72 };
	/* L = 2^252 + 27742317777372353535851937790883648493, little endian */
	static const char l_le[] =
	    "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
	unsigned char s[64], p[32], bad[64];
	int good;

	(void)state;
	tu_unhex(sig, s, 64);
	tu_unhex(pub, p, 32);
	/* S + L: the same signature, another encoding (malleability). */
	tu_unhex(l_le, bad, 32);
	{
		unsigned carry = 0;
		size_t i;

		for (i = 0; i < 32; i++) {
			carry += (unsigned)s[32 + i] + bad[i];
			s[32 + i] = (unsigned char)carry;
			carry >>= 8;
		}
	}
	assert_int_equal(sig_ed25519_verify(p, m72, 1, s, 0, &good), RW_OK);
	assert_int_equal(good, 0);
	/* y = p - 1 + 1 = 2^255 - 19: not below p, not a point. */
	memset(p, 0xff, 32);
	p[0] = 0xed;
	p[31] = 0x7f;
	tu_unhex(sig, s, 64);
	assert_int_equal(sig_ed25519_verify(p, m72, 1, s, 0, &good), RW_OK);
	assert_int_equal(good, 0);
	/* R not a point (y = 2 has no x on the curve). */
	memset(bad, 0, sizeof(bad));
	memcpy(bad, s, 64);
	memset(bad, 0, 32);
	bad[0] = 2;
	tu_unhex(pub, p, 32);
	assert_int_equal(sig_ed25519_verify(p, m72, 1, bad, 0, &good),
	    RW_OK);
	assert_int_equal(good, 0);
}

/* Through sig_key_verify: a cosign Ed25519 key, pure and prehashed. */
static void
test_key_verify(void **state)
{
	static const char pem[] = "-----BEGIN PUBLIC KEY-----\n"
	    "MCowBQYDK2VwAyEA7Bcrk61eVjv0kyxw4SRQNMNUZ+8u/U1k6/gZaDRn4r8=\n"
	    "-----END PUBLIC KEY-----\n";
	static const char ph_sig[] =
	    "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
	    "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406";
	struct sig_key *k = NULL;
	unsigned char sig[64];
	struct rw_err err;
	int good;

	(void)state;
	rw_err_clear(&err);
	assert_int_equal(sig_key_load(pem, strlen(pem), &k, &err), RW_OK);
	tu_unhex(ph_sig, sig, 64);
	assert_int_equal(sig_key_verify(k, "abc", 3, sig, 64, &good, &err),
	    RW_OK);
	assert_int_equal(good, 1);
	assert_int_equal(sig_key_verify(k, "abd", 3, sig, 64, &good, &err),
	    RW_OK);
	assert_int_equal(good, 0);
	sig_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_vectors),
		cmocka_unit_test(test_against_openssl),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_key_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
