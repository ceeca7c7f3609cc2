/*
 * fuzz_policy.c - policy_load_text: the policy file (JSON with comments),
 * as `regwarden check`, serve and reload read it.  Key and trusted-root
 * paths inside it resolve against tests/policy/bad (keys/, roots/), so the seeds
 * keys load.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

static char name[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(name, sizeof(name), "%s/tests/policy/bad/fuzz.json",
	    RW_SOURCE_DIR);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p = NULL;
	static const char *repos[] = { "library/nginx", "acme/app",
	    "acme/app/sub" };
	const struct policy_rule *r;
	struct rw_diags *d;
	unsigned needs;
	size_t i;
	int rc;

	if (size > 256 * 1024)
		return 0;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		abort();
	rc = policy_load_text(name, (const char *)data, size, &p, d);
	if (rc == RW_OK) {
		FZ_ASSERT(p != NULL && d->n == 0, "loaded with errors");
		FZ_ASSERT(strlen(policy_revision(p)) > 0, "no revision");
		/* Whichever rule matches came from a line of the text. */
		for (i = 0; i < 6; i++) {
			r = policy_match(p, i & 1 ? "docker.io" : "ghcr.io",
			    repos[i % 3], i & 1 ? POLICY_OP_PUSH : POLICY_OP_PULL,(int)(i % 3 == 0),
			    &needs);
			FZ_ASSERT(r == NULL || policy_rule_line(r) > 0,
			    "rule \"%s\" without a line", policy_rule_name(r));
		}
		policy_free(p);
	} else
		FZ_ASSERT(p == NULL && (d->n > 0 || rc == RW_ENOMEM),
		    "error %d without a diagnostic", rc);
	free(d);
	return 0;
}
