/*
 * server.h - run regwarden: load the config, open state, listen, serve until
 * SIGTERM.  SPDX-License-Identifier: Apache-2.0
 *
 * Module server/ (library rw_server): the daemon and nothing else.  It owns
 * the HTTPS front (front.c, conntrack.c, framing.c), routing (route.c), the
 * proxy phases (proxy*.c), admission at the proxy (decide.c, with facts*.c
 * gathering what a rule needs, denial.c answering refusals), upstream I/O
 * (upstream.c, auth.c), the caches (mcache.c, dcache.c), the admin listener
 * (admin.c), metrics (metrics.c, metrics_ops.c), the scanner runner
 * (scanner.c, with scan_shared.c claiming scans for replicas sharing a
 * database) and its scheduled rescans (rescan.c), the audit queue
 * (auditq.c, with retention), TLS, the server config (and store.c, opening
 * the store it names) and the start-up checks (preflight.c).  May call
 * scanreport/, policy/
 * (and policy/sig/), db/ and util/; never cli/.  cli/ calls this header,
 * config.h, facts.h, mcache.h, auth.h and, for decide_host() alone,
 * internal.h; the other headers here are the daemon's own.
 *
 * The only entry point main() needs.  Startup errors are printed (with
 * file:line:col for config errors) and make it return 1; a clean shutdown
 * returns 0.  Signals: SIGHUP reopens the log and reloads the config (what
 * can change at run time: upstreams, limits of new requests, log level);
 * SIGTERM/SIGINT stop accepting, let requests in flight finish for up to
 * timeouts.shutdown seconds, then end the rest and return 0.  Threads:
 * libmicrohttpd's workers, the upstream engine, the scanner runner and the
 * audit writer; what each shares is in internal.h.
 */
#ifndef RW_SERVER_H
#define RW_SERVER_H

#include "util/util.h"

#define RW_VERSION	"0.1.0"

/** Serve with the config at PATH.  Returns the process exit status. */
int	 server_serve(const char *path);

struct rw_config;

/**
 * Every check serve makes before it listens, run against CFG without
 * serving (preflight.c): config_check_serve, the log file and state_dir
 * writable by the effective user (the message names the user, the mode and
 * the owner), the database file writable, the listener's key and
 * certificate as tls_load_or_create reads them (only when configured or
 * already made: serve makes a missing pair), tls.client_ca and each
 * upstream's ca_file (a PEM bundle with a certificate), the policy, the
 * htpasswd file and the scanner command (executable).  Creates, writes
 * and binds nothing.  Adds one diagnostic per problem to D; returns RW_OK
 * when there is none, else RW_ECONFIG.  server_serve runs it first, so
 * `check-config` passing means serve gets as far as binding its ports.
 */
int	 server_preflight(const struct rw_config *cfg, struct rw_diags *d);

/** Print every diagnostic of a failed config load to stderr. */
void	 server_print_diags(const struct rw_diags *d);

#endif /* RW_SERVER_H */
