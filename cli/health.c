/* health.c - `regwarden health`: the probes of the admin listener, from inside the container. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/health.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "server/config.h"
#include "util/util.h"

#define HEALTH_TIMEOUT_MS	5000L
/* The reason /readyz gives fits one line; more is cut. */
#define HEALTH_BODY_MAX		512

struct body {
	char	text[HEALTH_BODY_MAX];
	size_t	len;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = size * n, room = sizeof(b->text) - 1 - b->len;

	memcpy(b->text + b->len, p, len < room ? len : room);
	b->len += len < room ? len : room;
	b->text[b->len] = '\0';
	return len;
}

/* The answer's first line, control characters shown as '?'. */
static void
first_line(struct body *b)
{
	size_t i;

	for (i = 0; i < b->len; i++) {
		if (b->text[i] == '\n' || b->text[i] == '\r') {
			b->text[i] = '\0';
			break;
		}
		if ((unsigned char)b->text[i] < 0x20 || b->text[i] == 0x7f)
			b->text[i] = '?';
	}
}

/* http://HOST:PORT/PATH, a wildcard bind asked on its loopback address. */
static void
admin_url(const struct rw_config *cfg, const char *path, char *url,
    size_t n)
{
	const char *h = cfg->admin_host;

	if (strcmp(h, "0.0.0.0") == 0)
		h = "127.0.0.1";
	else if (strcmp(h, "::") == 0)
		h = "::1";
	snprintf(url, n, "http://%s%s%s:%d%s", strchr(h, ':') ? "[" : "", h,
	    strchr(h, ':') ? "]" : "", cfg->admin_port, path);
}

/* GET URL: 0 on 200, else 1 with the reason on ERR. */
static int
probe(const char *url, FILE *out, FILE *err)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	struct body b = { "", 0 };
	long status = 0;
	CURLcode rc;
	CURL *e;

	e = curl_easy_init();
	if (e == NULL) {
		fprintf(err, "regwarden health: cannot start libcurl\n");
		return 1;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, HEALTH_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ebuf);
	rc = curl_easy_perform(e);
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(e);
	first_line(&b);
	if (rc != CURLE_OK) {
		fprintf(err, "regwarden health: %s: %s\n", url, ebuf[0] != '\0' ?
		    ebuf : curl_easy_strerror(rc));
		return 1;
	}
	if (status != 200) {
		fprintf(err, "regwarden health: %s: %ld %s\n", url, status,
		    b.text);
		return 1;
	}
	fprintf(out, "%s: 200 %s\n", url, b.text);
	return 0;
}

static int
usage(FILE *err)
{
	fprintf(err, "usage: regwarden health [--ready] [-c config.json]\n");
	return 2;
}

int
health_main(int argc, char **argv, const char *config, FILE *out, FILE *err)
{
	struct rw_config *cfg = NULL;
	struct rw_diags d;
	char url[300], line[600];
	int i, ready = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ready") == 0)
			ready = 1;
		else if ((strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			config = argv[++i];
		else
			return usage(err);
	}
	memset(&d, 0, sizeof(d));
	if (config_load(config, &cfg, &d) != RW_OK) {
		fprintf(err, "regwarden health: %s\n", d.n > 0 ?
		    rw_err_str(&d.e[0], line, sizeof(line)) : config);
		return 1;
	}
	if (cfg->admin_port == 0) {
		fprintf(err, "regwarden health: %s: the admin listener is off "
		    "(\"admin.listen\" is \"\"), so there is nothing to ask\n",
		    config);
		config_free(cfg);
		return 1;
	}
	admin_url(cfg, ready ? "/readyz" : "/healthz", url, sizeof(url));
	config_free(cfg);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = probe(url, out, err);
	curl_global_cleanup();
	return rc;
}
