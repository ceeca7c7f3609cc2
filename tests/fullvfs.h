/*
 * fullvfs.h - a disk that fills up on demand, as SQLite sees it (tests only).
 * SPDX-License-Identifier: Apache-2.0
 *
 * An SQLite VFS over the default one, installed as the default so that
 * db_open uses it unchanged.  While "full", every write that would grow a
 * file fails with SQLITE_FULL, as the unix VFS reports ENOSPC: appending
 * to the WAL fails (at COMMIT), rewriting bytes a file already has does
 * not, the same as on a full tmpfs.  While "stalled", writes block until
 * the stall is lifted, so a test can hold the audit writer in the middle
 * of a batch without timing.  The only test code that includes sqlite3.h:
 * the fault has to sit under SQLite, where a real full disk shows.
 * Process-wide state; thread-safe.
 */
#ifndef RW_TEST_FULLVFS_H
#define RW_TEST_FULLVFS_H

/** Make the VFS SQLite's default (idempotent).  Call before db_open. */
void		 fullvfs_install(void);

/* What a write that would grow a file gets. */
enum fullvfs_fault {
	FULLVFS_OFF,		/* it goes through */
	FULLVFS_NOSPACE,	/* SQLITE_FULL: the disk is full */
	FULLVFS_BUSY,		/* SQLITE_BUSY: the COMMIT answers "database is
				 * locked", and SQLite keeps the transaction
				 * open, as after a busy COMMIT */
};

/** From now on, writes that would grow a file get FAULT. */
void		 fullvfs_set(enum fullvfs_fault fault);

/** Writes refused as "full" since the install. */
unsigned	 fullvfs_refused(void);

/** Writes block (ON) or go on (0; wakes the blocked ones). */
void		 fullvfs_stall(int on);

/** Wait until some thread is blocked in a stalled write. */
void		 fullvfs_wait_stalled(void);

#endif
