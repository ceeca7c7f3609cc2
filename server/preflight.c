/* preflight.c - every check serve makes before it listens, without serving. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "server/auth.h"
#include "server/config.h"
#include "server/tls.h"
#include "util/util.h"

/* "user regwarden (uid 999)": who serve would run as, for the message. */
static void
who(char *buf, size_t size)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(buf, size, "user %s (uid %u)", pw->pw_name,
		    (unsigned)geteuid());
	else
		snprintf(buf, size, "uid %u", (unsigned)geteuid());
}

/* "mode 0755, owner root": what to change, for the message. */
static void
mode_of(const struct stat *st, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(st->st_uid);

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(buf, size, "mode %04o, owner %s",
		    (unsigned)(st->st_mode & 07777), pw->pw_name);
	else
		snprintf(buf, size, "mode %04o, owner uid %u",
		    (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid);
}

/*
 * Serve writes into DIR (state_dir, or the folder of a new file): it must
 * be a directory the effective user may write and enter.  WHAT names it.
 */
static void
check_dir(struct rw_diags *d, const char *dir, const char *what,
    const char *file)
{
	char user[96], mode[128];
	struct stat st;

	if (stat(dir, &st) != 0) {
		rw_diag_add(d, RW_EIO, file, 0, 0, "%s %s: %s", what, dir,
		    strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		rw_diag_add(d, RW_EIO, file, 0, 0, "%s %s is not a directory",
		    what, dir);
		return;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0)
		return;
	who(user, sizeof(user));
	mode_of(&st, mode, sizeof(mode));
	rw_diag_add(d, RW_EPERM, file, 0, 0, "%s %s is not writable by %s "
	    "(%s): chown or chmod it", what, dir, user, mode);
}

/* PATH, which serve creates if missing (mkdir or fopen "a"), or writes. */
static void
check_writable(struct rw_diags *d, const char *path, const char *what,
    const char *file, int is_dir)
{
	char user[96], mode[128], *copy;
	struct stat st;

	if (stat(path, &st) != 0) {
		copy = strdup(path);
		if (copy == NULL) {
			rw_diag_add(d, RW_ENOMEM, file, 0, 0, "out of memory");
			return;
		}
		/* Missing: serve makes it, in a folder it must write. */
		check_dir(d, dirname(copy), is_dir ? "the folder of state_dir" :
		    "the folder of log file", file);
		free(copy);
		return;
	}
	if (is_dir) {
		check_dir(d, path, what, file);
		return;
	}
	if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0) {
		who(user, sizeof(user));
		mode_of(&st, mode, sizeof(mode));
		rw_diag_add(d, RW_EPERM, file, 0, 0, "%s %s is not writable by "
		    "%s (%s): chown or chmod it", what, path, user, mode);
	}
}

/* The listener's key and certificate, as serve's tls_load_or_create reads them. */
static void
check_tls(struct rw_diags *d, const struct rw_config *cfg)
{
	struct tls_material m;
	struct rw_err err;
	char key[1024];
	char *pem = NULL;

	memset(&m, 0, sizeof(m));
	rw_err_clear(&err);
	snprintf(key, sizeof(key), "%s/tls/key.pem", cfg->state_dir);
	/* Without tls.cert, serve makes a pair on its first start: only a
	 * pair already there can be wrong.  No self_signed_names: with them a
	 * pair naming others would be replaced, and this check writes nothing
	 * (serve replaces it when it starts). */
	if ((cfg->tls_cert != NULL || cfg->tls_key != NULL ||
	    access(key, F_OK) == 0) &&
	    tls_load_or_create(cfg->tls_cert, cfg->tls_key, cfg->state_dir,
	    NULL, 0, &m, &err) != RW_OK)
		rw_diag_add(d, err.code, cfg->path, 0, 0, "%s", err.msg);
	tls_material_cleanup(&m);
	rw_err_clear(&err);
	if (cfg->client_ca != NULL &&
	    tls_read_client_ca(cfg->client_ca, &pem, &err) != RW_OK)
		rw_diag_add(d, err.code, cfg->path, 0, 0, "tls.client_ca: %s",
		    err.msg);
	free(pem);
}

/* Each upstream's ca_file: curl reads it on the first pull, serve now. */
static void
check_upstream_cas(struct rw_diags *d, const struct rw_config *cfg)
{
	struct rw_err err;
	char *pem;
	size_t i;

	for (i = 0; i < cfg->nupstreams; i++) {
		if (cfg->upstreams[i].ca_file == NULL)
			continue;
		pem = NULL;
		rw_err_clear(&err);
		if (tls_read_client_ca(cfg->upstreams[i].ca_file, &pem,
		    &err) != RW_OK)
			rw_diag_add(d, err.code, cfg->path, 0, 0, "upstream %s: "
			    "ca_file: %s", cfg->upstreams[i].name, err.msg);
		free(pem);
	}
}

static void
check_files(struct rw_diags *d, const struct rw_config *cfg)
{
	struct auth_htpasswd *h;
	struct policy *p = NULL;
	struct rw_diags pd;
	struct rw_err err;
	size_t i;

	if (cfg->policy_path != NULL) {
		memset(&pd, 0, sizeof(pd));
		if (policy_load(cfg->policy_path, &p, &pd) != RW_OK) {
			for (i = 0; i < pd.n; i++)
				rw_diag_add(d, pd.e[i].code, pd.e[i].pos.file,
				    pd.e[i].pos.line, pd.e[i].pos.col, "%s",
				    pd.e[i].msg);
			d->dropped += pd.dropped;
		}
		policy_free(p);
	}
	if (cfg->htpasswd != NULL) {
		rw_err_clear(&err);
		h = auth_htpasswd_load(cfg->htpasswd, &err);
		if (h == NULL)
			rw_diag_add(d, err.code, cfg->path, 0, 0, "htpasswd: %s",
			    err.msg);
		auth_htpasswd_free(h);
	}
	if (cfg->scanner_argv != NULL && cfg->scanner_argv[0] != NULL &&
	    faccessat(AT_FDCWD, cfg->scanner_argv[0], X_OK, AT_EACCESS) != 0)
		rw_diag_add(d, RW_ECONFIG, cfg->path, 0, 0, "scanner command "
		    "%s: %s", cfg->scanner_argv[0], strerror(errno));
}

int
server_preflight(const struct rw_config *cfg, struct rw_diags *d)
{
	struct rw_err err;
	char db[1024];
	size_t before = d->n + d->dropped;

	rw_err_clear(&err);
	if (config_check_serve(cfg, &err) != RW_OK)
		rw_diag_add(d, err.code, NULL, 0, 0, "%s", err.msg);
	if (cfg->log_file != NULL && cfg->log_file[0] != '\0' &&
	    strcmp(cfg->log_file, "-") != 0)
		check_writable(d, cfg->log_file, "log file", cfg->path, 0);
	check_writable(d, cfg->state_dir, "state_dir", cfg->path, 1);
	snprintf(db, sizeof(db), "%s/regwarden.db", cfg->state_dir);
	if (access(db, F_OK) == 0)
		check_writable(d, db, "the database", cfg->path, 0);
	check_tls(d, cfg);
	check_upstream_cas(d, cfg);
	check_files(d, cfg);
	return d->n + d->dropped == before ? RW_OK : RW_ECONFIG;
}
