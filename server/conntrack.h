/*
 * conntrack.h - deadlines for client connections that libmicrohttpd's idle
 * timeout cannot express: the whole request header must arrive in time,
 * however slowly its bytes trickle in (a slowloris resets an idle timer
 * with every byte).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Thread-safe: one mutex guards every entry.  The front end registers a
 * socket when libmicrohttpd starts a connection and removes it in the
 * connection's CLOSED notification, which libmicrohttpd 0.9.75 sends before
 * it closes the descriptor (daemon.c: MHD_cleanup_connections and the
 * error path of internal_add_connection).  conntrack_reap shuts a socket
 * down under the same mutex, so it never touches a descriptor that was
 * closed and reused for another connection.  Shutting down (not closing)
 * leaves the descriptor to libmicrohttpd, which sees end of stream and
 * closes the connection its own way.  Never logs; the clock is an argument.
 */
#ifndef RW_CONNTRACK_H
#define RW_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

struct conntrack;
struct ct_conn;

/** A new, empty tracker, or NULL when out of memory. */
struct conntrack *conntrack_new(void);
/** Free CT and every entry still in it (NULL is fine); shuts nothing down. */
void	 conntrack_free(struct conntrack *ct);

/**
 * Track socket FD with DEADLINE_MS (monotonic milliseconds, 0 = none).
 * Returns the entry, or NULL when out of memory (the connection then has
 * no deadline; every other call accepts NULL and does nothing).
 */
struct ct_conn *conntrack_open(struct conntrack *ct, int fd,
	    uint64_t deadline_ms);
/** Stop tracking C and free it; after this its descriptor may be closed. */
void	 conntrack_close(struct conntrack *ct, struct ct_conn *c);
/** Replace C's deadline (0 = none: its request header is complete). */
void	 conntrack_set(struct conntrack *ct, struct ct_conn *c,
	    uint64_t deadline_ms);
/** Bring C's deadline forward to DEADLINE_MS if it is later or none. */
void	 conntrack_cap(struct conntrack *ct, struct ct_conn *c,
	    uint64_t deadline_ms);

/**
 * shutdown(2) both directions of every tracked socket whose deadline is
 * at or before NOW_MS, and clear its deadline so it is shut down once.
 * Returns how many were shut down.
 */
size_t	 conntrack_reap(struct conntrack *ct, uint64_t now_ms);

/** Entries tracked now. */
size_t	 conntrack_count(struct conntrack *ct);

#endif /* RW_CONNTRACK_H */
