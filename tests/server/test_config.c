/* test_config.c - config_load: golden diagnostics, parsed values and defaults. */
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Golden files: each tests/server/config/bad-NAME.json has bad-NAME.err
 * beside it holding exactly the lines config_load reports, one per
 * diagnostic, rendered by rw_err_str.  config_load prefixes messages with
 * the path as its caller gave it (like a compiler), so the test chdir()s into
 * tests/server/config and passes bare file names: the lines read
 * "bad-NAME.json:LINE:COL: message".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "server/config.h"
#include "util/util.h"
#include "tests/testutil.h"

#define CFG_DIR	RW_TEST_DATA "/config"

static char *
slurp_text(const char *path)
{
	struct rw_buf b;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		fail_msg("cannot open %s", path);
	rw_buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(rw_buf_add(&b, chunk, n), RW_OK);
	fclose(f);
	if (b.data == NULL)
		assert_int_equal(rw_buf_add(&b, "", 0), RW_OK);
	return rw_buf_steal(&b, NULL);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Loads PATH expecting failure RC, and checks the report is exactly WANT. */
static void
expect_errors(const char *path, int rc, const char *want)
{
	/* Not NULL, so that the test sees config_load clear it. */
	struct rw_config *cfg = (struct rw_config *)&cfg;
	struct rw_diags d;
	char *got;

	memset(&d, 0, sizeof(d));
	assert_int_equal(config_load(path, &cfg, &d), rc);
	assert_null(cfg);
	got = tu_render_diags(&d, 0);
	if (strcmp(got, want) != 0)
		fail_msg("%s: expected:\n%s\ngot:\n%s", path, want, got);
	free(got);
}

static struct rw_config *
load_ok(const char *path)
{
	struct rw_config *cfg = NULL;
	struct rw_diags d;
	char *got;

	memset(&d, 0, sizeof(d));
	if (config_load(path, &cfg, &d) != RW_OK) {
		got = tu_render_diags(&d, 0);
		fail_msg("%s did not load:\n%s", path, got);
	}
	assert_int_equal(d.n, 0);
	assert_non_null(cfg);
	return cfg;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_golden(void **state)
{
	char *names[128], errname[PATH_MAX], *want;
	struct dirent *de;
	size_t n = 0, i, len;
	DIR *dir;

	(void)state;
	assert_int_equal(chdir(CFG_DIR), 0);
	/* git keeps 0644; set it anyway so the golden mode is the one we get. */
	assert_int_equal(chmod("creds-open.json", 0644), 0);
	assert_int_equal(chmod("admin-token-open.txt", 0644), 0);
	dir = opendir(".");
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, "bad-", 4) != 0 || len < 5 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		assert_true(n < sizeof(names) / sizeof(names[0]));
		names[n] = strdup(de->d_name);
		assert_non_null(names[n++]);
	}
	closedir(dir);
	qsort(names, n, sizeof(names[0]), name_cmp);
	/* Losing fixtures must not pass quietly. */
	assert_true(n >= 24);
	for (i = 0; i < n; i++) {
		snprintf(errname, sizeof(errname), "%.*s.err",
		    (int)(strlen(names[i]) - 5), names[i]);
		want = slurp_text(errname);
		assert_true(want[0] != '\0');
		expect_errors(names[i], RW_ECONFIG, want);
		free(want);
		free(names[i]);
	}
}

static void
test_missing_file(void **state)
{
	(void)state;
	assert_int_equal(chdir(CFG_DIR), 0);
	expect_errors("no-such-file.json", RW_EIO,
	    "no-such-file.json: cannot open: No such file or directory\n");
}

static void
test_good_full(void **state)
{
	struct rw_config *cfg;
	const struct cfg_upstream *u;
	char dir[PATH_MAX], want[PATH_MAX + 64];

	(void)state;
	assert_int_equal(chdir(CFG_DIR), 0);
	assert_non_null(realpath(".", dir));
	cfg = load_ok("good-full.json");
	assert_string_equal(cfg->path, "good-full.json");
	assert_string_equal(cfg->listen_host, "::1");
	assert_int_equal(cfg->listen_port, 8443);
	/* Relative paths are resolved against the file's directory. */
	snprintf(want, sizeof(want), "%s/tls/cert.pem", dir);
	assert_string_equal(cfg->tls_cert, want);
	snprintf(want, sizeof(want), "%s/tls/key.pem", dir);
	assert_string_equal(cfg->tls_key, want);
	assert_string_equal(cfg->client_ca, "/etc/regwarden/clients.pem");
	assert_string_equal(cfg->tls_priorities,
	    "SECURE256:-VERS-ALL:+VERS-TLS1.3");
	snprintf(want, sizeof(want), "%s/state", dir);
	assert_string_equal(cfg->state_dir, want);
	snprintf(want, sizeof(want), "%s/log/regwarden.log", dir);
	assert_string_equal(cfg->log_file, want);
	assert_string_equal(cfg->log_format, "json");
	assert_int_equal(cfg->log_level, RW_LOG_DEBUG);
	snprintf(want, sizeof(want), "%s/htpasswd", dir);
	assert_string_equal(cfg->htpasswd, want);
	assert_int_equal(cfg->threads, 64);
	assert_int_equal(cfg->catalog, 1);
	assert_int_equal(cfg->max_connections, 100000);
	assert_int_equal(cfg->max_connections_per_ip, 100000);
	assert_int_equal(cfg->max_header_bytes, 4096);
	assert_int_equal(cfg->max_manifest_bytes, 16777216);
	assert_int_equal(cfg->stream_buffer_bytes, 131072);
	assert_int_equal(cfg->manifest_cache_bytes, 0);
	assert_int_equal(cfg->connect_timeout, 1);
	assert_int_equal(cfg->request_timeout, 3600);
	assert_int_equal(cfg->idle_timeout, 7);
	assert_int_equal(cfg->header_timeout, 6);
	assert_int_equal(cfg->stall_timeout, 8);
	assert_int_equal(cfg->shutdown_timeout, 9);
	snprintf(want, sizeof(want), "%s/policy.json", dir);
	assert_string_equal(cfg->policy_path, want);
	assert_int_equal(cfg->blob_gate, 0);
	assert_int_equal(cfg->decision_ttl, 86400);
	assert_int_equal(cfg->deny_ttl, 1);
	assert_int_equal(cfg->decision_max, 0);
	assert_string_equal(cfg->admin_host, "::1");
	assert_int_equal(cfg->admin_port, 9444);
	assert_null(cfg->admin_token);

	assert_int_equal(cfg->nupstreams, 3);
	u = &cfg->upstreams[0];
	assert_string_equal(u->name, "hub");
	/* Scheme and host lower-cased, the lone trailing slash dropped. */
	assert_string_equal(u->url, "https://registry-1.docker.io");
	assert_int_equal(u->nhosts, 1);
	assert_string_equal(u->hosts[0], "docker.io");
	assert_int_equal(u->is_default, 0);
	assert_int_equal(u->auth_mode, CFG_AUTH_PASSTHROUGH);
	assert_null(u->username);
	assert_null(u->password);
	snprintf(want, sizeof(want), "%s/ca/hub.pem", dir);
	assert_string_equal(u->ca_file, want);
	assert_int_equal(u->insecure, 0);
	assert_int_equal(u->auth_cache_seconds, 0);
	assert_string_equal(u->pos.file, "good-full.json");
	assert_int_equal(u->pos.line, 22);
	assert_int_equal(u->pos.col, 5);

	u = &cfg->upstreams[1];
	assert_string_equal(u->name, "local.dev_1");
	assert_string_equal(u->url, "http://[::1]:5000");
	assert_int_equal(u->insecure, 1);
	assert_int_equal(u->nhosts, 2);
	assert_string_equal(u->hosts[0], "localhost:5000");
	assert_string_equal(u->hosts[1], "[::1]:5000");
	assert_int_equal(u->is_default, 1);
	assert_int_equal(u->auth_cache_seconds, 3600);
	assert_null(u->ca_file);

	u = &cfg->upstreams[2];
	assert_string_equal(u->url, "https://ghcr.io:443");
	assert_int_equal(u->nhosts, 0);
	assert_int_equal(u->is_default, 0);
	assert_int_equal(u->auth_cache_seconds, 30);
	assert_int_equal(u->pos.line, 38);
	assert_int_equal(u->pos.col, 5);
	config_free(cfg);

	/* The same file by a path with directories: same resolution. */
	cfg = load_ok(CFG_DIR "/good-full.json");
	snprintf(want, sizeof(want), "%s/state", dir);
	assert_string_equal(cfg->state_dir, want);
	config_free(cfg);
}

static void
test_defaults(void **state)
{
	struct rw_config *cfg;
	const struct cfg_upstream *u;

	(void)state;
	assert_int_equal(chdir(CFG_DIR), 0);
	cfg = load_ok("good-minimal.json");
	assert_string_equal(cfg->listen_host, "127.0.0.1");
	assert_int_equal(cfg->listen_port, 5443);
	assert_null(cfg->tls_cert);
	assert_null(cfg->tls_key);
	assert_null(cfg->client_ca);
	assert_null(cfg->tls_priorities);
	assert_null(cfg->htpasswd);
	assert_string_equal(cfg->state_dir, "/var/lib/regwarden");
	assert_string_equal(cfg->log_file, "-");
	assert_string_equal(cfg->log_format, "auto");
	assert_int_equal(cfg->log_level, RW_LOG_INFO);
	assert_int_equal(cfg->threads, 4);
	assert_int_equal(cfg->catalog, 0);
	assert_int_equal(cfg->max_connections, 1024);
	assert_int_equal(cfg->max_connections_per_ip, 512);
	assert_int_equal(cfg->max_header_bytes, 32768);
	assert_int_equal(cfg->max_manifest_bytes, 4194304);
	assert_int_equal(cfg->stream_buffer_bytes, 131072);
	assert_int_equal(cfg->manifest_cache_bytes, 67108864);
	assert_int_equal(cfg->connect_timeout, 10);
	assert_int_equal(cfg->request_timeout, 60);
	assert_int_equal(cfg->idle_timeout, 120);
	assert_int_equal(cfg->header_timeout, 10);
	assert_int_equal(cfg->stall_timeout, 60);
	assert_int_equal(cfg->shutdown_timeout, 30);
	/* Indexes of layers no manifest references go after a month. */
	assert_int_equal(cfg->content_index_days, 30);
	/* No policy: the server admits everything (and says so). */
	assert_null(cfg->policy_path);
	assert_int_equal(cfg->blob_gate, 1);
	assert_int_equal(cfg->verify_blobs, 0);
	assert_int_equal(cfg->decision_ttl, 300);
	assert_int_equal(cfg->deny_ttl, 30);
	assert_int_equal(cfg->decision_max, 100000);
	assert_string_equal(cfg->admin_host, "127.0.0.1");
	assert_int_equal(cfg->admin_port, 5444);
	assert_null(cfg->admin_token);
	assert_int_equal(cfg->nupstreams, 1);
	u = &cfg->upstreams[0];
	assert_string_equal(u->name, "only");
	assert_int_equal(u->nhosts, 0);
	assert_int_equal(u->auth_mode, CFG_AUTH_PASSTHROUGH);
	assert_int_equal(u->insecure, 0);
	assert_int_equal(u->auth_cache_seconds, 30);
	/* A lone upstream is the default... */
	assert_int_equal(u->is_default, 1);
	assert_ptr_equal(config_default_upstream(cfg), u);
	config_free(cfg);

	/* ...unless it says "default": false. */
	cfg = load_ok("good-no-default.json");
	assert_string_equal(cfg->listen_host, "0.0.0.0");
	assert_int_equal(cfg->listen_port, 443);
	assert_null(config_default_upstream(cfg));
	assert_ptr_equal(config_upstream_by_host(cfg, "registry.example"),
	    &cfg->upstreams[0]);
	config_free(cfg);
}

static void
test_shipped_config(void **state)
{
	struct rw_config *cfg;
	const struct cfg_upstream *u;

	(void)state;
	cfg = load_ok(RW_SOURCE_DIR "/config/regwarden.json");
	assert_string_equal(cfg->listen_host, "127.0.0.1");
	assert_int_equal(cfg->listen_port, 5443);
	assert_string_equal(cfg->state_dir, "/var/lib/regwarden");
	assert_null(cfg->tls_cert);
	assert_int_equal(cfg->nupstreams, 1);
	u = config_default_upstream(cfg);
	assert_non_null(u);
	assert_string_equal(u->name, "local");
	assert_string_equal(u->url, "http://127.0.0.1:5000");
	assert_int_equal(u->insecure, 1);
	assert_int_equal(u->auth_mode, CFG_AUTH_PASSTHROUGH);
	assert_ptr_equal(config_upstream_by_host(cfg, "docker.io"), u);
	assert_ptr_equal(config_upstream_by_host(cfg, "localhost:5000"), u);
	assert_int_equal(cfg->blob_gate, 1);
	assert_int_equal(cfg->decision_ttl, 300);
	assert_int_equal(cfg->deny_ttl, 30);
	assert_int_equal(cfg->decision_max, 100000);
	assert_string_equal(cfg->admin_host, "127.0.0.1");
	assert_int_equal(cfg->admin_port, 5444);
	assert_null(cfg->admin_token);
	config_free(cfg);
}

static void
test_lookups(void **state)
{
	struct rw_config *cfg;
	const struct cfg_upstream *hub, *local;

	(void)state;
	assert_int_equal(chdir(CFG_DIR), 0);
	cfg = load_ok("good-full.json");
	hub = &cfg->upstreams[0];
	local = &cfg->upstreams[1];
	/* NAME need not be NUL-terminated: it is often a slice of a path. */
	assert_ptr_equal(config_upstream_by_name(cfg, "hub/library", 3), hub);
	assert_ptr_equal(config_upstream_by_name(cfg, "local.dev_1", 11),
	    local);
	assert_null(config_upstream_by_name(cfg, "hu", 2));
	assert_null(config_upstream_by_name(cfg, "hubs", 4));
	/* hub lists only "Docker.IO"; its alias answers too, in any case. */
	assert_ptr_equal(config_upstream_by_host(cfg, "docker.io"), hub);
	assert_ptr_equal(config_upstream_by_host(cfg, "registry-1.docker.io"),
	    hub);
	assert_ptr_equal(config_upstream_by_host(cfg, "Registry-1.Docker.io"),
	    hub);
	assert_ptr_equal(config_upstream_by_host(cfg, "[::1]:5000"), local);
	assert_null(config_upstream_by_host(cfg, "localhost"));
	assert_null(config_upstream_by_host(cfg, "ghcr.io"));
	assert_null(config_upstream_by_host(cfg, "index.docker.io"));
	assert_ptr_equal(config_default_upstream(cfg), local);
	config_free(cfg);
	assert_null(config_upstream_by_name(NULL, "hub", 3));
	assert_null(config_upstream_by_host(NULL, "docker.io"));
	assert_null(config_default_upstream(NULL));
	config_free(NULL);
}

/* ------------------------------------------------ files made at run time */

static char tmpdir[64];

static int
tmp_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rw-test-config-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || chdir(tmpdir) != 0)
		return -1;
	return 0;
}

static int
tmp_teardown(void **state)
{
	static const char *files[] = { "config.json", "creds.json", "big.json",
		"many.json", "token" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir("dir.json");
	if (chdir("/") != 0 || rmdir(tmpdir) != 0)
		return -1;
	return 0;
}

static const char creds_config[] =
    "{\n"
    "  \"state_dir\": \"/var/lib/regwarden\",\n"
    "  \"upstreams\": [ { \"name\": \"hub\", \"url\": \"https://r.example\",\n"
    "    \"auth\": \"credentials\", \"credentials_file\": \"creds.json\" } ]\n"
    "}\n";

static void
test_credentials(void **state)
{
	struct rw_config *cfg;
	const struct cfg_upstream *u;

	(void)state;
	write_file("config.json", creds_config, 0644);
	write_file("creds.json",
	    "{\"username\": \"robot\", \"password\": \"s3cret\"}", 0600);
	cfg = load_ok("config.json");
	u = &cfg->upstreams[0];
	assert_int_equal(u->auth_mode, CFG_AUTH_CREDENTIALS);
	assert_string_equal(u->username, "robot");
	assert_string_equal(u->password, "s3cret");
	config_free(cfg);

	/* Group-readable only is still too open; the mode is named. */
	chmod("creds.json", 0640);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:48: \"upstreams[0].credentials_file\": "
	    "\"creds.json\" is accessible by group or others (mode 0640); "
	    "chmod 600 it\n");

	/* A parse error never quotes the file: it holds a secret. */
	write_file("creds.json", "{\"username\": \"robot\",\n"
	    "\"password\": s3cret}", 0600);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:48: \"upstreams[0].credentials_file\": "
	    "\"creds.json\" is not valid JSON (line 2)\n");

	write_file("creds.json", "{\"user\": \"robot\", \"password\": \"\"}",
	    0600);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:48: \"upstreams[0].credentials_file\": "
	    "\"creds.json\": unknown key \"user\" (expected one of: username, "
	    "password)\n"
	    "config.json:4:48: \"upstreams[0].credentials_file\": "
	    "\"creds.json\": \"username\" and \"password\" must be non-empty "
	    "strings\n");

	write_file("creds.json", "[\"robot\", \"s3cret\"]", 0600);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:48: \"upstreams[0].credentials_file\": "
	    "\"creds.json\": expected {\"username\": \"...\", \"password\": "
	    "\"...\"}\n");

	unlink("creds.json");
	assert_int_equal(mkdir("creds.json", 0700), 0);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:48: \"upstreams[0].credentials_file\": "
	    "\"creds.json\" is not a regular file\n");
	rmdir("creds.json");
}

/* A config whose admin object is ADMIN (JSON text), written to config.json. */
static void
write_admin_config(const char *admin)
{
	char text[512];

	snprintf(text, sizeof(text),
	    "{\n"
	    "  \"state_dir\": \"/var/lib/regwarden\",\n"
	    "  \"upstreams\": [ { \"name\": \"hub\", \"url\": "
	    "\"https://r.example\" } ],\n"
	    "  \"admin\": %s\n"
	    "}\n", admin);
	write_file("config.json", text, 0644);
}

static void
test_admin_token(void **state)
{
	struct rw_config *cfg;
	char *big;

	(void)state;
	write_admin_config("{ \"listen\": \"0.0.0.0:5444\", "
	    "\"token_file\": \"token\" }");
	/* The trailing newlines an editor or echo leaves are not token. */
	write_file("token", "0123456789abcdef\r\n\n", 0600);
	cfg = load_ok("config.json");
	assert_string_equal(cfg->admin_host, "0.0.0.0");
	assert_int_equal(cfg->admin_port, 5444);
	assert_string_equal(cfg->admin_token, "0123456789abcdef");
	config_free(cfg);

	write_file("token", "0123456789abcde\n", 0600);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:54: \"admin.token_file\": the token in \"token\" is "
	    "15 characters long; it must be 16..4096\n");

	big = malloc(4098);
	assert_non_null(big);
	memset(big, 'a', 4097);
	big[4097] = '\0';
	write_file("token", big, 0600);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:54: \"admin.token_file\": the token in \"token\" is "
	    "4097 characters long; it must be 16..4096\n");
	big[4096] = '\0';
	write_file("token", big, 0600);
	cfg = load_ok("config.json");
	assert_int_equal(strlen(cfg->admin_token), 4096);
	config_free(cfg);
	free(big);

	/* Spaces would not survive the Authorization header. */
	write_file("token", "0123456789 abcdef\n", 0600);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:54: \"admin.token_file\": the token in \"token\" may "
	    "hold only printable ASCII without spaces (byte 11 is not)\n");
	write_file("token", "0123456789abcdef\n\x01", 0600);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:54: \"admin.token_file\": the token in \"token\" may "
	    "hold only printable ASCII without spaces (byte 17 is not)\n");

	write_file("token", "0123456789abcdef\n", 0604);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:54: \"admin.token_file\": \"token\" is accessible by "
	    "group or others (mode 0604); chmod 600 it\n");

	unlink("token");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:54: \"admin.token_file\": cannot open \"token\": No "
	    "such file or directory\n");
}

/* admin.metrics_token_file: its own token, or "" for no token at all. */
static void
test_metrics_token(void **state)
{
	struct rw_config *cfg;

	(void)state;
	write_file("token", "0123456789abcdef\n", 0600);
	write_file("mtoken", "scrape-0123456789\n", 0600);
	write_admin_config("{ \"listen\": \"0.0.0.0:5444\", "
	    "\"token_file\": \"token\", \"metrics_token_file\": \"mtoken\" }");
	cfg = load_ok("config.json");
	assert_string_equal(cfg->admin_token, "0123456789abcdef");
	assert_string_equal(cfg->metrics_token, "scrape-0123456789");
	assert_int_equal(cfg->metrics_open, 0);
	config_free(cfg);

	write_admin_config("{ \"listen\": \"0.0.0.0:5444\", "
	    "\"token_file\": \"token\", \"metrics_token_file\": \"\" }");
	cfg = load_ok("config.json");
	assert_null(cfg->metrics_token);
	assert_int_equal(cfg->metrics_open, 1);
	config_free(cfg);

	/* Absent: /metrics keeps the admin token. */
	write_admin_config("{ \"listen\": \"0.0.0.0:5444\", "
	    "\"token_file\": \"token\" }");
	cfg = load_ok("config.json");
	assert_null(cfg->metrics_token);
	assert_int_equal(cfg->metrics_open, 0);
	config_free(cfg);

	/* The same checks as the admin token. */
	write_file("mtoken", "scrape-0123456789\n", 0640);
	write_admin_config("{ \"listen\": \"0.0.0.0:5444\", "
	    "\"token_file\": \"token\", \"metrics_token_file\": \"mtoken\" }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:85: \"admin.metrics_token_file\": \"mtoken\" is "
	    "accessible by group or others (mode 0640); chmod 600 it\n");
	unlink("mtoken");
	unlink("token");
}

static void
write_webhook_config(const char *webhook)
{
	char text[512];

	snprintf(text, sizeof(text),
	    "{\n"
	    "  \"state_dir\": \"/var/lib/regwarden\",\n"
	    "  \"upstreams\": [ { \"name\": \"hub\", \"url\": "
	    "\"https://r.example\" } ],\n"
	    "  \"scanner\": { \"webhook\": %s }\n"
	    "}\n", webhook);
	write_file("config.json", text, 0644);
}

/*
 * scanner.webhook: a URL, or {"url", "token_file"} whose token (read as
 * the admin token is, mode 0600) goes with every POST.
 */
static void
test_webhook(void **state)
{
	struct rw_config *cfg;

	(void)state;
	write_webhook_config("\"http://127.0.0.1:9/scan\"");
	cfg = load_ok("config.json");
	assert_string_equal(cfg->scanner_webhook, "http://127.0.0.1:9/scan");
	assert_null(cfg->scanner_webhook_token);
	config_free(cfg);

	write_file("token", "scanner-0123456789\n", 0600);
	write_webhook_config("{ \"url\": \"https://scan.example/hook\", "
	    "\"token_file\": \"token\" }");
	cfg = load_ok("config.json");
	assert_string_equal(cfg->scanner_webhook, "https://scan.example/hook");
	assert_string_equal(cfg->scanner_webhook_token, "scanner-0123456789");
	config_free(cfg);

	chmod("token", 0644);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:79: \"scanner.webhook.token_file\": \"token\" is "
	    "accessible by group or others (mode 0644); chmod 600 it\n");
	write_webhook_config("{ \"url\": \"ftp://scan.example/\", "
	    "\"token_flie\": \"token\" }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:27: \"scanner.webhook\": unknown key \"token_flie\" "
	    "(did you mean \"token_file\"?)\n"
	    "config.json:4:36: \"scanner.webhook.url\": expected an http:// or "
	    "https:// URL\n");
	write_webhook_config("{ \"token_file\": \"token\" }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:27: \"scanner.webhook\": needs \"url\", the "
	    "scanner service's URL\n");
	write_webhook_config("{ \"url\": \"http://s/\", \"token_file\": 1 }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:63: \"scanner.webhook.token_file\": expected the "
	    "path of a file holding the token\n");
	unlink("token");
}

/* tls.self_signed_names: normalised, so the certificate compares stably. */
static void
test_tls_names(void **state)
{
	struct rw_config *cfg;

	(void)state;
	write_file("config.json", "{ \"state_dir\": \"/var/lib/regwarden\", "
	    "\"upstreams\": [ { \"name\": \"hub\", \"url\": "
	    "\"https://r.example\" } ], \"tls\": { \"self_signed_names\": "
	    "[ \"RegWarden.Example\", \"0:0::1\", \"10.1.2.3\", "
	    "\"regwarden\" ] } }\n", 0644);
	cfg = load_ok("config.json");
	assert_int_equal(cfg->nself_signed_names, 4);
	assert_string_equal(cfg->self_signed_names[0], "regwarden.example");
	assert_string_equal(cfg->self_signed_names[1], "::1");
	assert_string_equal(cfg->self_signed_names[2], "10.1.2.3");
	assert_string_equal(cfg->self_signed_names[3], "regwarden");
	assert_null(cfg->self_signed_names[4]);
	config_free(cfg);
}

/* A config whose database object is DATABASE (JSON text). */
static void
write_db_config(const char *database)
{
	char text[768];

	snprintf(text, sizeof(text),
	    "{\n"
	    "  \"state_dir\": \"/var/lib/regwarden\",\n"
	    "  \"upstreams\": [ { \"name\": \"hub\", \"url\": "
	    "\"https://r.example\" } ],\n"
	    "  \"database\": %s, \"audit\": { \"retention_days\": 30 }\n"
	    "}\n", database);
	write_file("config.json", text, 0644);
}

static void
test_database(void **state)
{
	struct rw_config *cfg;
	char where[256];

	(void)state;
	write_db_config("{ \"url\": \"postgresql://rw@db.example:5432/rw\", "
	    "\"password_file\": \"pgpass\" }");
	write_file("pgpass", "s3cret pass\n", 0600);
	cfg = load_ok("config.json");
	assert_string_equal(cfg->db_url, "postgresql://rw@db.example:5432/rw");
	assert_string_equal(cfg->db_password, "s3cret pass");
	assert_int_equal(cfg->db_connections, 4);	/* the default */
	assert_int_equal(cfg->audit_retention_days, 30);
	config_db_where(cfg, where, sizeof(where));
	assert_string_equal(where,
	    "postgresql postgresql://rw@db.example:5432/rw");
	config_free(cfg);

	write_file("pgpass", "s3cret\n", 0640);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:79: \"database.password_file\": \"pgpass\" is "
	    "accessible by group or others (mode 0640); chmod 600 it\n");
	unlink("pgpass");

	/* The URL is logged: a password in it is refused, never echoed. */
	write_db_config("{ \"url\": \"postgresql://rw:hunter2@db/rw\" }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:24: \"database.url\": must not contain a password "
	    "(postgresql://rw:***@db/rw); put it in \"password_file\"\n");
	write_db_config("{ \"url\": \"postgresql://rw@db/rw\", "
	    "\"connections\": 8 }");
	cfg = load_ok("config.json");
	assert_int_equal(cfg->db_connections, 8);
	config_free(cfg);
	write_db_config("{ \"url\": \"postgresql://rw@db/rw\", "
	    "\"connections\": 0 }");
	expect_errors("config.json", RW_ECONFIG, "config.json:4:64: "
	    "\"database.connections\": 0 out of range (1..64)\n");
	write_db_config("{ \"url\": \"mysql://db/rw\" }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:24: \"database.url\": expected a postgresql:// "
	    "URL\n");

	/* Without "database": SQLite in state_dir, as before. */
	write_admin_config("{ \"listen\": \"\" }");
	cfg = load_ok("config.json");
	assert_null(cfg->db_url);
	assert_int_equal(cfg->audit_retention_days, 0);
	config_db_where(cfg, where, sizeof(where));
	assert_string_equal(where, "sqlite /var/lib/regwarden/regwarden.db");
	config_free(cfg);
}

static void
test_admin_listen(void **state)
{
	struct rw_config *cfg;

	(void)state;
	/* "" turns the listener off; no token is needed then. */
	write_admin_config("{ \"listen\": \"\" }");
	cfg = load_ok("config.json");
	assert_null(cfg->admin_host);
	assert_int_equal(cfg->admin_port, 0);
	config_free(cfg);

	/* All of 127.0.0.0/8 and ::1 are loopback. */
	write_admin_config("{ \"listen\": \"127.3.4.5:6000\" }");
	cfg = load_ok("config.json");
	assert_string_equal(cfg->admin_host, "127.3.4.5");
	assert_int_equal(cfg->admin_port, 6000);
	config_free(cfg);
	write_admin_config("{ \"listen\": \"[::1]:6000\" }");
	cfg = load_ok("config.json");
	assert_string_equal(cfg->admin_host, "::1");
	config_free(cfg);

	write_admin_config("{ \"listen\": \"[::]:5444\" }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:24: \"admin.listen\": \"[::]:5444\" is not a loopback "
	    "address, so \"admin.token_file\" is required\n");
	write_admin_config("{ \"listen\": \"128.0.0.1:5444\" }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:24: \"admin.listen\": \"128.0.0.1:5444\" is not a "
	    "loopback address, so \"admin.token_file\" is required\n");
	write_admin_config("{ \"listen\": \"localhost:5444\" }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:24: \"admin.listen\": \"localhost\" is not an IP "
	    "address (e.g. \"127.0.0.1:5444\", \"0.0.0.0:5444\", "
	    "\"[::]:5444\")\n");
	write_admin_config("{ \"listen\": \"127.0.0.1:0\" }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:24: \"admin.listen\": port 0 out of range "
	    "(1..65535)\n");
	/* Against the default "listen", whose position is unknown. */
	write_admin_config("{ \"listen\": \"127.0.0.1:5443\" }");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:24: \"admin.listen\": same address as \"listen\" "
	    "(default 127.0.0.1:5443)\n");

	/* A token file is checked even while the listener is off. */
	write_admin_config("{ \"listen\": \"\", \"token_file\": \"token\" }");
	write_file("token", "short", 0600);
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:42: \"admin.token_file\": the token in \"token\" is "
	    "5 characters long; it must be 16..4096\n");
	write_admin_config("\"127.0.0.1:5444\"");
	expect_errors("config.json", RW_ECONFIG,
	    "config.json:4:12: \"admin\": expected an object\n");
}

static void
test_file_errors(void **state)
{
	char *big;
	size_t n = 1024 * 1024 + 1;

	(void)state;
	assert_int_equal(mkdir("dir.json", 0700), 0);
	expect_errors("dir.json", RW_EIO, "dir.json: not a regular file\n");

	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	write_file("big.json", big, 0644);
	free(big);
	expect_errors("big.json", RW_EIO,
	    "big.json: too large (more than 1048576 bytes)\n");
}

static void
test_many_errors(void **state)
{
	struct rw_config *cfg = NULL;
	struct rw_diags d;
	struct rw_buf b;
	int i;

	(void)state;
	rw_buf_init(&b, 1 << 16);
	assert_int_equal(rw_buf_add(&b, "{", 1), RW_OK);
	for (i = 0; i < 25; i++)
		assert_int_equal(rw_buf_addf(&b, "%s\n\"k%d\": %d", i ? "," : "",
		    i, i), RW_OK);
	assert_int_equal(rw_buf_add(&b, "}", 1), RW_OK);
	write_file("many.json", b.data, 0644);
	rw_buf_free(&b);

	/* Diagnostics are appended: an earlier entry stays first. */
	memset(&d, 0, sizeof(d));
	rw_diag_add(&d, RW_EIO, "earlier.json", 9, 9, "kept");
	assert_int_equal(config_load("many.json", &cfg, &d), RW_ECONFIG);
	assert_null(cfg);
	/*
	 * 25 unknown keys, then 2 missing ones: 27 errors and room for 19, so
	 * the last 8 found are only counted.
	 */
	assert_int_equal(d.n, RW_DIAG_MAX);
	assert_int_equal(d.dropped, 8);
	assert_string_equal(d.e[0].msg, "kept");
	assert_string_equal(d.e[0].pos.file, "earlier.json");
	assert_string_equal(d.e[1].msg,
	    "unknown key \"k0\" (expected one of: listen, tls, state_dir, log, "
	    "threads, catalog, htpasswd, limits, timeouts, upstreams, policy, "
	    "plain_proxy, blob_gate, verify_blobs, decision_cache, cache, scanner, content, attestations, admin, database, audit)");
	assert_string_equal(d.e[1].pos.file, "many.json");
	assert_int_equal(d.e[1].pos.line, 2);
	assert_int_equal(d.e[1].pos.col, 1);
	assert_int_equal(d.e[19].pos.line, 20);
	assert_int_equal(d.e[1].code, RW_ECONFIG);
}

/*
 * serve refuses a config that would admit everything by omission; the
 * file a client is shown is never a server path.
 */
static void
test_serve_checks(void **state)
{
	struct rw_config *cfg;
	struct rw_err err;

	(void)state;
	cfg = load_ok("good-minimal.json");
	rw_err_clear(&err);
	assert_int_equal(config_check_serve(cfg, &err), RW_ECONFIG);
	assert_string_equal(err.msg, "good-minimal.json: no \"policy\": "
	    "regwarden does not start without one, since every image would "
	    "be admitted; name a policy file (config/policy.json is an "
	    "example), or set \"plain_proxy\": true to run as a plain proxy "
	    "on purpose");
	cfg->plain_proxy = 1;
	rw_err_clear(&err);
	assert_int_equal(config_check_serve(cfg, &err), RW_OK);
	cfg->policy_path = strdup("/x/policy.json");
	rw_err_clear(&err);
	assert_int_equal(config_check_serve(cfg, &err), RW_ECONFIG);
	assert_string_equal(err.msg, "good-minimal.json: \"policy\" and "
	    "\"plain_proxy\": true exclude each other; remove one");
	cfg->plain_proxy = 0;
	rw_err_clear(&err);
	assert_int_equal(config_check_serve(cfg, &err), RW_OK);
	free(cfg->dir);
	cfg->dir = strdup("/etc/regwarden");
	assert_string_equal(config_client_path(cfg,
	    "/etc/regwarden/policy.json"), "policy.json");
	assert_string_equal(config_client_path(cfg,
	    "/etc/regwarden/policies/apps.json"), "policies/apps.json");
	assert_string_equal(config_client_path(cfg,
	    "/etc/regwarden/x/../../secret/p.json"), "p.json");
	assert_string_equal(config_client_path(cfg,
	    "/etc/regwardenx/p.json"), "p.json");
	assert_string_equal(config_client_path(cfg, "/srv/p.json"), "p.json");
	assert_string_equal(config_client_path(cfg, "p.json"), "p.json");
	assert_string_equal(config_client_path(cfg, NULL), "");
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_good_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_shipped_config),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_serve_checks),
		cmocka_unit_test_setup_teardown(test_credentials, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_admin_token, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_admin_listen, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_metrics_token, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_webhook, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_tls_names, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_database, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, tmp_setup,
		    tmp_teardown),
		cmocka_unit_test_setup_teardown(test_many_errors, tmp_setup,
		    tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
