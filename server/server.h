/*
 * server.h - run regwarden: load the config, open state, listen, serve until
 * SIGTERM.  SPDX-License-Identifier: Apache-2.0
 *
 * Module server/ (library rw_server): the daemon and nothing else.  It owns
 * the HTTPS front (front.c, conntrack.c, framing.c), routing (route.c), the
 * proxy phases (proxy*.c), admission at the proxy (decide.c, with facts*.c
 * gathering what a rule needs, denial.c answering refusals), upstream I/O
 * (upstream.c, auth.c), the caches (mcache.c, dcache.c), the admin listener
 * (admin.c), metrics, the scanner runner (scanner.c), the audit queue
 * (auditq.c), TLS and the server config.  May call scanreport/, policy/
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

/** Print every diagnostic of a failed config load to stderr. */
void	 server_print_diags(const struct rw_diags *d);

#endif /* RW_SERVER_H */
