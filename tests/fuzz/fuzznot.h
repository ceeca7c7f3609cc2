/*
 * fuzznot.h - the Notation harnesses' trust store: the fixture's own
 * signing certificate (x5c[0] of tests/fixtures/notation/internal-testdata/
 * jws_signature.sig, its own root), as PEM, so that the seeds verify and
 * mutations are judged past the chain.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef RW_FUZZNOT_H
#define RW_FUZZNOT_H

#include <stddef.h>

#define FZ_NOT_DIGEST \
	"sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0"
#define FZ_NOT_SIZE	481
#define FZ_NOT_TYPE	"application/vnd.oci.image.manifest.v1+json"
#define FZ_NOT_NOW	INT64_C(1767225600)	/* 2026-01-01T00:00:00Z */

/* The trust store PEM (never freed); its length in *LEN. */
const char *fz_notation_store(size_t *len);

#endif /* RW_FUZZNOT_H */
