/*
 * fuzzsig.h - what the bundle and DSSE harnesses share: the public-good
 * trusted root, the conformance suite's default identity and artifact
 * (tests/fixtures/sigstore-conformance), and one call of sig_bundle_verify
 * whose result is checked for consistency.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef RW_FUZZSIG_H
#define RW_FUZZSIG_H

#include <stddef.h>

/* Load the root, identity and artifact once; aborts when they do not. */
void	fz_bundle_init(void);

/* sig_bundle_verify of JSON (LEN bytes) against them; aborts on an
 * inconsistent answer (an error with a verdict other than MALFORMED). */
void	fz_bundle_check(const char *json, size_t len);

#endif /* RW_FUZZSIG_H */
