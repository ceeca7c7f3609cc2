/*
 * internal.h - what the files of policy/sig/ share and nothing else sees.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Only the .c files of policy/sig/ and tests/policy/sig include this file;
 * the rest of the code calls policy/sig/sig.h.
 */
#ifndef RW_POLICY_SIG_INTERNAL_H
#define RW_POLICY_SIG_INTERNAL_H

#include <stddef.h>

#include <jansson.h>

#include "policy/sig/sig.h"
#include "util/util.h"

/*
 * ed25519.c: RFC 8032 verification of the 64-byte SIG by the raw
 * Ed25519 key PUB over MSG: Ed25519ph (SHA-512 prehash, dom2 prefix, no
 * context) when PH, else pure Ed25519.  *GOOD is 1 when it verifies.
 * Returns RW_OK, or RW_ENOMEM.  For OpenSSL 3.0, which lacks Ed25519ph.
 */
int	 sig_ed25519_verify(const unsigned char pub[32],
	    const unsigned char *msg, size_t mlen, const unsigned char sig[64],
	    int ph, int *good);
/*
 * WHAT and OpenSSL's newest queued error (its full text) into ERR with
 * CODE; the thread's queue is cleared.  Returns CODE.
 */
int	 sig_ossl_fail(struct rw_err *err, int code, const char *what);

#endif /* RW_POLICY_SIG_INTERNAL_H */
