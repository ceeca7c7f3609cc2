/*
 * config_int.h - what the files of the server config loader share: the
 * loader's state, value positions, and the reporting and reading helpers.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Not a public header: only server/config*.c include it.
 */
#ifndef RW_CONFIG_INT_H
#define RW_CONFIG_INT_H

#include <stddef.h>
#include <sys/stat.h>

#include <jansson.h>

#include "server/config.h"
#include "util/util.h"

/* User text quoted in a message is cut here so one line stays one line. */
#define CFG_QUOTE_MAX	64

/* One loader run: what it reads, where it reports. */
struct ld {
	const char	*file;	/* as the caller named it; prefixes every error */
	char		*dir;	/* absolute directory of FILE, for relative paths */
	struct rw_jpos	*jp;	/* NULL if indexing failed: errors lose positions */
	struct rw_diags	*d;
	int		 nomem;
};

/*
 * Where a value sits, twice: as a JSON Pointer to look its position up, and
 * as "upstreams[0].url" to name it in a message.
 */
struct where {
	char	ptr[256];
	char	disp[192];
};

enum { SLURP_OK = 0, SLURP_ERRNO = -1, SLURP_NOTREG = -2, SLURP_TOOBIG = -3 };

/** WHERE of child KEY of PARENT (OUT may be PARENT). */
void	 cfg_where_key(struct where *out, const struct where *parent,
	    const char *key);
/** WHERE of element I of the array at PARENT (OUT may be PARENT). */
void	 cfg_where_idx(struct where *out, const struct where *parent,
	    size_t i);
/** S in double quotes, control characters escaped, cut at CFG_QUOTE_MAX. */
const char *cfg_quote(char *buf, size_t size, const char *s);
/** An error about the value at W. */
void	 cfg_bad(struct ld *ld, const struct where *w, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/** The line of the value at W, 0 when unknown. */
int	 cfg_line_of(const struct ld *ld, const struct where *w);
/** strdup that flags LD out of memory. */
char	*cfg_sdup(struct ld *ld, const char *s);
/** Index of S in the NULL-terminated NAMES, or -1. */
int	 cfg_one_of(const char *s, const char *const *names);
/** PATH made absolute against the config file's directory (new string). */
char	*cfg_resolve(struct ld *ld, const char *path);
/** Whole small regular file; see config.c.  Returns SLURP_*. */
int	 cfg_slurp(const char *path, size_t max, char **out, size_t *outlen,
	    struct stat *st);
/** Replace *SLOT with S, freeing the old string. */
void	 cfg_store_str(char **slot, char *s);

/* config_secret.c: files that hold secrets. */

/** Read upstream credentials from PATH (the value at W) into U. */
void	 cfg_read_creds(struct ld *ld, const struct where *w, const char *path,
	    struct cfg_upstream *u);
/** "admin.metrics_token_file": a path, or "" (F_FN field). */
void	 cfg_metrics_file_fn(struct ld *ld, const struct where *w, json_t *v,
	    void *base);
/** Checks of "admin" after the walk; reads its token files. */
void	 cfg_admin_post(struct ld *ld, const struct where *root, json_t *doc,
	    struct rw_config *cfg);

/* config_front.c: the front end's guards. */

/**
 * Reads the token file PATH (the value at W; mode 0600, printable ASCII)
 * into *DST (the caller wipes and frees it), or reports why not at W.
 */
void	 cfg_read_token_file(struct ld *ld, const struct where *w,
	    const char *path, char **dst);
/**
 * scanner.webhook (a field function): an http:// or https:// URL, or
 * {"url": URL, "token_file": FILE} (the token into scanner_webhook_token).
 */
void	 cfg_webhook_fn(struct ld *ld, const struct where *w, json_t *v,
	    void *base);
/** tls.priorities (a field function): GnuTLS must accept the string. */
/** "database.url": a postgresql:// URL without a password (the value at W). */
void	 cfg_db_url_fn(struct ld *ld, const struct where *w, json_t *v,
	    void *base);
/** "database.password_file", read after the walk into CFG->db_password. */
void	 cfg_database_post(struct ld *ld, const struct where *root,
	    json_t *doc, struct rw_config *cfg);

void	 cfg_priorities_fn(struct ld *ld, const struct where *w, json_t *v,
	    void *base);
/** limits.max_connections_per_ip after the walk: its default and bound. */
void	 cfg_per_ip_post(struct ld *ld, const struct where *root,
	    struct rw_config *cfg);

/* config_names.c: the names of the self-signed certificate. */

/** "tls.self_signed_names": DNS names and IP literals (F_FN field). */
void	 cfg_self_names_fn(struct ld *ld, const struct where *w, json_t *v,
	    void *base);
/** Checks of "tls" after the walk: names only for a created certificate. */
void	 cfg_tls_post(struct ld *ld, const struct where *root, json_t *doc,
	    const struct rw_config *cfg);

#endif /* RW_CONFIG_INT_H */
