/*
 * server.h - run regwarden: load the config, open state, listen, serve until
 * SIGTERM.  SPDX-License-Identifier: Apache-2.0
 *
 * The only entry point main() needs.  Startup errors are printed (with
 * file:line:col for config errors) and make it return 1; a clean shutdown
 * returns 0.  Signals: SIGHUP reopens the log and reloads the config (what
 * can change at run time: upstreams, limits of new requests, log level);
 * SIGTERM/SIGINT stop accepting, let requests in flight finish for up to
 * timeouts.shutdown seconds, then end the rest and return 0.
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
