/*
 * rescan.h - scheduled rescans: every interval, the images admitted within
 * the last days go back to the scanner, and their new reports are imported,
 * so a CVE published today refuses tomorrow's pull of an old image.
 * SPDX-License-Identifier: Apache-2.0
 *
 * One thread of its own that sleeps between rounds.  A round reads the
 * audit log (db_audit_query) for pulls and resolves admitted (allow or
 * warn) since now minus the window, and queues each distinct digest with
 * scanner_submit; the scanner's own limits (max_running, timeout) apply.
 * Logs one line per round.  Daemon-internal.
 */
#ifndef RW_RESCAN_H
#define RW_RESCAN_H

#include <stdint.h>

#include "util/util.h"

struct db;
struct scanner;
struct rescan;

/**
 * Start rounds every EVERY_MS milliseconds (the first after one interval)
 * over the images admitted within WITHIN_S seconds, scanned by SC.  DB and
 * SC must outlive rescan_stop.  NULL with ERR on failure.
 */
struct rescan	*rescan_start(struct db *db, struct scanner *sc,
		    uint64_t every_ms, int64_t within_s, struct rw_err *err);

/** Stop the thread (a round in progress finishes first) and free. */
void		 rescan_stop(struct rescan *rs);

#endif /* RW_RESCAN_H */
