/*
 * health.h - `regwarden health`: ask a running regwarden whether it is alive
 * or ready, for exec probes and the image's HEALTHCHECK.
 * SPDX-License-Identifier: Apache-2.0
 *
 *   regwarden health [--ready] [-c config.json]
 *
 * Reads the config only to find the admin listener ("admin.listen"; a
 * wildcard bind is asked on its loopback address, 0.0.0.0 as 127.0.0.1 and
 * :: as ::1) and sends GET /healthz, or /readyz with --ready, over plain
 * HTTP with a 5-second limit.  It sends no token: the probes never need one
 * (admin.h).  The image has no shell and no curl, so this is how a probe
 * inside the container asks.
 *
 * Exit status, as docker's HEALTHCHECK reads it: 0 healthy (or ready), with
 * "URL: 200 ok" on the output stream; 1 not (no answer, another status, an
 * unreadable config, the admin listener turned off), with one line
 * "regwarden health: URL: <why>" on the error stream (for /readyz the
 * reason regwarden gave, e.g. "503 policy not loaded"); 2 usage.
 */
#ifndef RW_HEALTH_H
#define RW_HEALTH_H

#include <stdio.h>

/**
 * Run `regwarden health` with ARGV[0] = "health"; CONFIG is the default
 * config path.  Returns the exit status.  Single-threaded, once per process.
 */
int	health_main(int argc, char **argv, const char *config, FILE *out,
	    FILE *err);

#endif /* RW_HEALTH_H */
