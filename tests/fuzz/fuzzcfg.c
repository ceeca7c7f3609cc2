/* fuzzcfg.c - the config the route and rewrite harnesses run under. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fuzz/fuzzcfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "tests/fuzz/fuzz.h"

static const char cfg_text[] =
    "{\n"
    "  \"listen\": \"127.0.0.1:5443\",\n"
    "  \"state_dir\": \"state\",\n"
    "  \"policy\": \"policy.json\",\n"
    "  \"upstreams\": [\n"
    "    { \"name\": \"hub\", \"url\": \"https://registry-1.docker.io\",\n"
    "      \"hosts\": [\"docker.io\", \"registry-1.docker.io\"],\n"
    "      \"default\": true },\n"
    "    { \"name\": \"ghcr\", \"url\": \"https://ghcr.io\",\n"
    "      \"hosts\": [\"ghcr.io\"] },\n"
    "    { \"name\": \"local\", \"url\": \"http://127.0.0.1:5000\",\n"
    "      \"insecure\": true,\n"
    "      \"hosts\": [\"localhost:5000\", \"127.0.0.1:5000\"] }\n"
    "  ]\n"
    "}\n";

struct rw_config *
fz_config(void)
{
	struct rw_config *cfg = NULL;
	struct rw_diags *d = calloc(1, sizeof(*d));
	const char *path;
	size_t i;

	if (d == NULL)
		abort();
	path = fz_tmpfile("route.json", (const uint8_t *)cfg_text,
	    strlen(cfg_text));
	if (config_load(path, &cfg, d) != RW_OK) {
		for (i = 0; i < d->n; i++)
			fprintf(stderr, "fuzz: config: %s\n", d->e[i].msg);
		abort();
	}
	free(d);
	return cfg;
}
