/*
 * fuzz_config.c - config_load: the server config (regwarden.json), which
 * has a path API only, so the input goes to a temporary file first.  The
 * file sits in a fresh temporary directory, so that relative paths inside
 * it (policy, htpasswd, TLS files) resolve there and find nothing.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rw_config *cfg = NULL;
	struct rw_diags *d;
	const char *path;
	int rc;

	if (size > 256 * 1024)
		return 0;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		abort();
	path = fz_tmpfile("config.json", data, size);
	rc = config_load(path, &cfg, d);
	if (rc == RW_OK) {
		const struct cfg_upstream *u = config_default_upstream(cfg);

		FZ_ASSERT(cfg != NULL && d->n == 0, "loaded with errors");
		FZ_ASSERT(u == NULL || config_upstream_by_name(cfg, u->name,
		    strlen(u->name)) == u, "default upstream not found by name");
	}
	else
		FZ_ASSERT(cfg == NULL && (d->n > 0 || rc == RW_ENOMEM),
		    "error %d without a diagnostic", rc);
	config_free(cfg);
	free(d);
	return 0;
}
