/* fuzzsig.c - the trusted root, identity and artifact of the bundle harnesses. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fuzz/fuzzsig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/sig/sig.h"
#include "tests/fuzz/fuzz.h"

#define CONF	"tests/fixtures/sigstore-conformance/"
#define NOW	INT64_C(1767225600)	/* 2026-01-01T00:00:00Z */

static struct sig_trustroot *root;
static struct sig_identity id = {
	.subject = "https://github.com/sigstore-conformance/"
	    "extremely-dangerous-public-oidc-beacon/.github/workflows/"
	    "extremely-dangerous-oidc-beacon.yml@refs/heads/main",
	.issuer = "https://token.actions.githubusercontent.com",
};
static struct sig_bundle_subject subj;
static char *artifact;

void
fz_bundle_init(void)
{
	struct rw_err err;
	char dg[RW_DIGEST_MAX];
	size_t len;
	char *text = fz_fixture(CONF "trusted_root.public-good.json", &len);

	rw_err_clear(&err);
	if (sig_bundle_root_parse(text, len, &root, &err) != RW_OK)
		abort();
	free(text);
	artifact = fz_fixture(CONF "a.txt", &len);
	subj.data = artifact;
	subj.len = len;
	if (rw_digest(RW_HASH_SHA256, artifact, len, dg) != RW_OK ||
	    rw_sha256_bytes(dg, subj.sha256) != 0)
		abort();
}

void
fz_bundle_check(const char *json, size_t len)
{
	struct sig_bundle_trust t = { .root = root, .id = &id, .now = NOW };
	struct sig_bundle_result res;
	struct rw_err err;
	int rc;

	rw_err_clear(&err);
	memset(&res, 0, sizeof(res));
	rc = sig_bundle_verify(json, len, &t, &subj, &res, &err);
	FZ_ASSERT(rc == RW_OK || res.verdict == SIG_MALFORMED,
	    "error %d with verdict %d", rc, res.verdict);
}
