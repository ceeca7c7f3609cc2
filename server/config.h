/*
 * config.h - the server configuration file (config/regwarden.json).
 * SPDX-License-Identifier: Apache-2.0
 *
 * config_load() reads, validates and builds a complete struct rw_config, or
 * reports every error it finds (up to RW_DIAG_MAX) as file:line:col with the
 * key named.  A loaded config is immutable and may be shared by every
 * thread; a reload builds a new one and swaps it in (server.h), it never
 * edits one.  Secrets (upstream passwords, the admin and metrics tokens)
 * are read from files named in the config, which must pass
 * rw_secret_mode_ok (no access for group or others, or root's and only
 * group-readable), and are wiped when the config is freed; they are never
 * logged.
 */
#ifndef RW_CONFIG_H
#define RW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/** How clients and regwarden authenticate for one upstream. */
enum cfg_auth_mode {
	/*
	 * The client's Authorization header goes to this upstream (and no
	 * other host); its 401 challenges reach the client unchanged.
	 */
	CFG_AUTH_PASSTHROUGH = 0,
	/*
	 * regwarden uses its own credentials (or anonymous tokens) upstream.
	 * Pushes require the client to authenticate to regwarden.
	 */
	CFG_AUTH_CREDENTIALS = 1,
};

struct cfg_upstream {
	char		*name;		/* [a-z0-9][a-z0-9._-]*, unique */
	char		*url;		/* scheme://host[:port], no trailing slash */
	char		**hosts;	/* registry host names it answers for */
	size_t		 nhosts;
	int		 is_default;
	int		 auth_mode;	/* enum cfg_auth_mode */
	char		*username;	/* from credentials_file, or NULL */
	char		*password;	/* from credentials_file, or NULL; secret */
	char		*ca_file;	/* PEM bundle to verify the upstream, or NULL */
	int		 insecure;	/* allow http:// and skip TLS verification */
	int		 auth_cache_seconds; /* pass-through re-check TTL */
	struct rw_pos	 pos;		/* where this upstream is declared */
};

struct rw_config {
	char		*path;		/* file it was loaded from */
	char		*dir;		/* its directory, absolute when known */

	char		*listen_host;	/* "127.0.0.1", "::1", "0.0.0.0", "::" */
	int		 listen_port;
	char		*tls_cert;	/* PEM paths; both NULL = self-signed */
	char		*tls_key;
	char		*client_ca;	/* PEM bundle for TLS client certs, or NULL */
	char		*tls_priorities; /* GnuTLS priorities; NULL: TLS_PRIORITIES_DEFAULT */
	/* SANs of the created self-signed certificate; none = the defaults */
	char		**self_signed_names;	/* NULL-terminated, IPs normalised */
	size_t		 nself_signed_names;
	char		*htpasswd;	/* bcrypt htpasswd for client basic auth */
	char		*state_dir;

	char		*log_file;	/* NULL or "-" = stderr */
	char		*log_format;	/* auto | text | json */
	int		 log_level;	/* enum rw_log_lvl */

	int		 threads;	/* MHD worker threads, 1..64 */
	int		 catalog;	/* serve /v2/_catalog (default off) */

	/* limits */
	unsigned	 max_connections;
	unsigned	 max_connections_per_ip;	/* from one client address */
	size_t		 max_header_bytes;	/* per-connection request memory */
	size_t		 max_manifest_bytes;	/* default 4 MiB */
	size_t		 stream_buffer_bytes;	/* per-transfer ring buffer */
	size_t		 manifest_cache_bytes;	/* in-memory verified cache */
	unsigned	 failed_logins;	/* per client per minute; 0: no limit */

	/* timeouts, seconds */
	int		 connect_timeout;	/* upstream TCP+TLS connect */
	int		 request_timeout;	/* whole buffered upstream request */
	int		 idle_timeout;		/* idle client connection */
	int		 header_timeout;	/* whole request header */
	int		 stall_timeout;		/* streamed transfer with no bytes */
	int		 shutdown_timeout;	/* drain on SIGTERM */

	struct cfg_upstream	*upstreams;
	size_t			 nupstreams;

	/* admission */
	char		*policy_path;	/* NULL = no policy: everything admitted */
	int		 plain_proxy;	/* no policy on purpose (else serve refuses) */
	int		 blob_gate;	/* serve only blobs of admitted manifests */
	int		 verify_blobs;	/* hash streamed blobs against their digest */

	/* the blob cache on disk (cache/); off when cache_dir is NULL */
	char		*cache_dir;
	size_t		 cache_max_bytes;
	size_t		 cache_min_free_bytes;

	/* hold-until-scanned: the scanner command (NULL = none configured) */
	char		**scanner_argv;	/* NULL-terminated, "{ref}" "{digest}" */
	int		 scanner_timeout; /* seconds one run may take */
	int		 scan_hold;	/* seconds a pull waits for a scan */
	int		 scanner_max;	/* runs at once */
	char		*scanner_webhook; /* scanner.webhook URL, or NULL */
	char		*scanner_webhook_token; /* its token_file's token, or NULL */
	int		 rescan_hours;	/* scanner.rescan.every_hours; 0 off */
	int		 rescan_seconds; /* .every_seconds (tests); 0 unset */
	int		 rescan_days;	/* .pulled_within_days */
	int		 content_hold;	/* seconds a pull waits for its layers */
	int		 content_max;	/* layer inspections at once */
	size_t		 content_upload_max;	/* bytes of one inspected upload */
	int		 content_upload_sessions; /* inspected uploads at once */
	int		 content_upload_idle;	/* seconds before one is dropped */
	int		 content_index_days;	/* layer_index retention, 0: off */
	/* attestations: one .att envelope's cap, and all in flight at once */
	size_t		 att_max_bytes;
	size_t		 att_budget;
	int		 decision_ttl;	/* seconds a cached allow/warn is reused */
	int		 deny_ttl;	/* seconds a cached denial is reused */
	size_t		 decision_max;	/* in-memory decision cache entries */

	/* admin listener (plain HTTP: /healthz, /readyz, /metrics, /reload) */
	char		*admin_host;	/* IP literal; NULL when disabled */
	int		 admin_port;	/* 0 = disabled */
	char		*admin_token;	/* bearer token, or NULL; secret */
	/* /metrics: its own bearer token (or NULL), or no token at all */
	char		*metrics_token;	/* secret */
	int		 metrics_open;

	/* shared state: NULL url = SQLite in state_dir */
	char		*db_url;	/* postgresql:// URL, never with a password */
	char		*db_password;	/* from database.password_file; secret */
	int		 db_connections;	/* PostgreSQL connections, 1..64 */
	int		 audit_retention_days;	/* 0: keep every audit row */
};

/**
 * Load and validate PATH.  On success returns RW_OK and *OUT (free with
 * config_free).  On failure returns RW_ECONFIG (or RW_EIO/RW_ENOMEM), *OUT is
 * NULL and DIAGS holds every error found, each positioned at the offending
 * key or value, e.g. `regwarden.json:7:15: "listen": port 70000 out of range
 * (1..65535)`.  Relative paths inside the file are resolved against the
 * file's directory.
 */
int	 config_load(const char *path, struct rw_config **out,
	    struct rw_diags *diags);

/** Free CFG (NULL is fine); wipes secrets. */
void	 config_free(struct rw_config *cfg);

/** The upstream named NAME, or NULL. */
const struct cfg_upstream *config_upstream_by_name(const struct rw_config *cfg,
	    const char *name, size_t namelen);

/** The upstream answering for registry host HOST ("docker.io"), or NULL. */
const struct cfg_upstream *config_upstream_by_host(const struct rw_config *cfg,
	    const char *host);

/**
 * Can `serve` run with CFG?  A config without "policy" would admit every
 * image, so it is refused unless "plain_proxy" is true; the two together
 * are refused too.  Returns RW_OK or RW_ECONFIG with ERR naming the file.
 */
int	 config_check_serve(const struct rw_config *cfg, struct rw_err *err);

/**
 * FILE (a policy or key path) as a client may be shown it: relative to the
 * config's directory when it lies below it, else its last component; never
 * a server path.  Borrowed from FILE.
 */
const char *config_client_path(const struct rw_config *cfg, const char *file);

/**
 * Open the store CFG names: PostgreSQL at "database.url" (with the password
 * from its password_file), else SQLite in <state_dir>/regwarden.db.  When
 * EXISTING is set and that SQLite file does not exist, returns RW_ENOTFOUND
 * (ERR untouched) rather than creating it: commands that only read.
 * Returns db_open's codes; messages name the file or the URL without its
 * password.
 */
struct db;
int	 config_open_db(const struct rw_config *cfg, int existing,
	    struct db **out, struct rw_err *err);

/**
 * A one-line description of where CFG's store is, for logs and `db status`:
 * "postgresql postgresql://u@h/d" (password hidden) or "sqlite PATH".
 */
void	 config_db_where(const struct rw_config *cfg, char *out, size_t size);

/** The default upstream, or NULL when none is marked default. */
const struct cfg_upstream *config_default_upstream(const struct rw_config *cfg);

#endif /* RW_CONFIG_H */
