/*
 * fuzz_tlog.c - differential: the RFC 9162 inclusion-proof verifier of
 * policy/sig/tlog.c (a bit walk over index and size) against a walk written
 * here from RFC 6962 §2.1.1's recursive definition of the audit path (split
 * at the largest power of two below the size).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Input: index (8 bytes, big-endian), size (8), a mode byte, a root-flip
 * byte, then hashes of 32 bytes (at most SIG_TLOG_PROOF_MAX) and a leaf
 * body of what remains.  Mode bit 0: an honest tree of (size % 300) + 1
 * leaves whose proof the model builds, which must verify; otherwise the
 * proof is the input's hashes and the verifier must say good exactly when
 * the model's walk leads to the root (the model's own root when the flip
 * byte is 0, so that equality is reached, else that root with one bit
 * flipped).
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "policy/sig/tlog.h"

#define HL	SIG_TLOG_HASH_LEN
#define HONEST_MAX	300

static void
node(const unsigned char *l, const unsigned char *r, unsigned char out[HL])
{
	unsigned char buf[1 + 2 * HL];
	unsigned int n = HL;

	buf[0] = 0x01;
	memcpy(buf + 1, l, HL);
	memcpy(buf + 1 + HL, r, HL);
	if (EVP_Digest(buf, sizeof(buf), out, &n, EVP_sha256(), NULL) != 1)
		abort();
}

/* The largest power of two below N (N >= 2). */
static uint64_t
split_at(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return k;
}

/* RFC 6962's PATH length for leaf M of a tree of N: the recursion depth. */
static size_t
path_len(uint64_t m, uint64_t n)
{
	uint64_t k;

	if (n <= 1)
		return 0;
	k = split_at(n);
	return 1 + (m < k ? path_len(m, k) : path_len(m - k, n - k));
}

/*
 * The root that LEAF and HASHES lead to for leaf M of a tree of N, hashes
 * taken leaf to root from *POS: the subtree's root is computed first
 * (it consumes the deeper hashes), then the sibling at this level.
 */
static void
walk(const unsigned char leaf[HL], uint64_t m, uint64_t n,
    const unsigned char (*h)[HL], size_t *pos, unsigned char out[HL])
{
	unsigned char sub[HL];
	uint64_t k;

	if (n == 1) {
		memcpy(out, leaf, HL);
		return;
	}
	k = split_at(n);
	if (m < k) {
		walk(leaf, m, k, h, pos, sub);
		node(sub, h[(*pos)++], out);
	} else {
		walk(leaf, m - k, n - k, h, pos, sub);
		node(h[(*pos)++], sub, out);
	}
}

/* MTH(D[lo..hi)) of the honest tree's leaf hashes. */
static void
mth(unsigned char (*leaves)[HL], uint64_t lo, uint64_t hi,
    unsigned char out[HL])
{
	unsigned char l[HL], r[HL];
	uint64_t k;

	if (hi - lo == 1) {
		memcpy(out, leaves[lo], HL);
		return;
	}
	k = split_at(hi - lo);
	mth(leaves, lo, lo + k, l);
	mth(leaves, lo + k, hi, r);
	node(l, r, out);
}

/* PATH(m, D[lo..hi)) leaf to root into H, appending at *N. */
static void
path(unsigned char (*leaves)[HL], uint64_t m, uint64_t lo, uint64_t hi,
    unsigned char (*h)[HL], size_t *n)
{
	uint64_t k;

	if (hi - lo <= 1)
		return;
	k = split_at(hi - lo);
	if (m < k) {
		path(leaves, m, lo, lo + k, h, n);
		mth(leaves, lo + k, hi, h[(*n)++]);
	} else {
		path(leaves, m - k, lo + k, hi, h, n);
		mth(leaves, lo, lo + k, h[(*n)++]);
	}
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
honest(uint64_t index, uint64_t size, const uint8_t *body, size_t blen)
{
	static unsigned char leaves[HONEST_MAX][HL];
	static unsigned char h[SIG_TLOG_PROOF_MAX][HL];
	struct sig_tlog_proof p;
	struct rw_err err;
	unsigned char leaf[HL];
	char reason[256];
	size_t i, n = 0;
	int good = -1;

	size = size % HONEST_MAX + 1;
	index %= size;
	for (i = 0; i < size; i++) {
		/* Leaf I is the body with I appended: distinct leaves. */
		unsigned char b[64];
		size_t l = blen < 56 ? blen : 56;

		memcpy(b, body, l);
		memcpy(b + l, &i, sizeof(i));
		if (sig_tlog_leaf_hash(b, l + sizeof(i), leaves[i], &err) !=
		    RW_OK)
			abort();
	}
	memcpy(leaf, leaves[index], HL);
	memset(&p, 0, sizeof(p));
	p.index = index;
	p.size = size;
	mth(leaves, 0, size, p.root);
	path(leaves, index, 0, size, h, &n);
	p.hashes = (const unsigned char (*)[HL])h;
	p.nhashes = n;
	rw_err_clear(&err);
	FZ_ASSERT(sig_tlog_inclusion_verify(leaf, &p, &good, reason,
	    sizeof(reason), &err) == RW_OK && good == 1,
	    "honest proof of leaf %llu in %llu refused: %s",
	    (unsigned long long)index, (unsigned long long)size, reason);
}

static void
raw(uint64_t index, uint64_t size, int flip, const unsigned char (*h)[HL],
    size_t nh, const uint8_t *body, size_t blen)
{
	struct sig_tlog_proof p;
	struct rw_err err;
	unsigned char leaf[HL], want[HL];
	char reason[256];
	size_t pos = 0;
	int good = -1, model = 0;

	rw_err_clear(&err);
	if (sig_tlog_leaf_hash(body, blen, leaf, &err) != RW_OK)
		abort();
	memset(&p, 0, sizeof(p));
	memset(want, 0, sizeof(want));
	if (index < size && path_len(index, size) == nh) {
		walk(leaf, index, size, h, &pos, want);
		model = 1;
	}
	memcpy(p.root, want, HL);
	if (flip != 0)
		p.root[(flip >> 3) % HL] ^= (unsigned char)(1u << (flip & 7));
	model = model && flip == 0;
	p.index = index;
	p.size = size;
	p.hashes = h;
	p.nhashes = nh;
	FZ_ASSERT(sig_tlog_inclusion_verify(leaf, &p, &good, reason,
	    sizeof(reason), &err) == RW_OK, "verifier failed: %s", err.msg);
	FZ_ASSERT(good == model, "leaf %llu of %llu with %zu hashes: "
	    "verifier %d, model %d (%s)", (unsigned long long)index,
	    (unsigned long long)size, nh, good, model, reason);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char h[SIG_TLOG_PROOF_MAX][HL];
	uint64_t index, tsize;
	size_t nh, rest;
	int mode, flip;

	if (size < 18)
		return 0;
	index = be64(data);
	tsize = be64(data + 8);
	mode = data[16];
	flip = data[17];
	data += 18;
	rest = size - 18;
	if (mode & 1) {
		honest(index, tsize, data, rest);
		return 0;
	}
	nh = (mode >> 1) % (SIG_TLOG_PROOF_MAX + 1);
	if (nh * HL > rest)
		nh = rest / HL;
	memcpy(h, data, nh * HL);
	raw(index, tsize, flip, (const unsigned char (*)[HL])h, nh,
	    data + nh * HL, rest - nh * HL);
	return 0;
}
