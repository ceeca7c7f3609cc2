/*
 * internal.h - what content/'s files share: the string arena, growing an
 * index, the secret scanner's streaming state, the package parsers.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef RW_CONTENT_INTERNAL_H
#define RW_CONTENT_INTERNAL_H

#include "content/content.h"

/* Strings of an index live in chunks freed together (one free per index). */
struct content_arena;

struct content_arena	*arena_new(void);
void			 arena_free(struct content_arena *a);
/* A NUL-terminated copy of S[0..LEN) in A, or NULL (out of memory). */
const char		*arena_strndup(struct content_arena *a, const char *s,
			    size_t len);
/* The bytes held, for the memory bound tests. */
size_t			 arena_bytes(const struct content_arena *a);

/* Append to IDX; strings are copied into its arena.  RW_OK or RW_ENOMEM. */
int	 index_add_entry(struct content_index *idx,
	    const struct content_entry *e);
int	 index_add_finding(struct content_index *idx, const char *path,
	    const char *what);
int	 index_add_package(struct content_index *idx, const char *name,
	    size_t nlen, const char *version, size_t vlen, const char *db);
int	 index_add_unread(struct content_index *idx, const char *db);

/*
 * The streaming secret scanner for one file: bytes in any chunking find
 * the same patterns as the whole file at once (a match may straddle
 * chunks).  At most one finding per pattern per file.
 */
#define SCAN_LOOKAHEAD	128	/* longer than the longest pattern + 1 */
#define SCAN_WINDOW	((size_t)64 << 10)

struct scan_state {
	unsigned char	 win[SCAN_WINDOW + SCAN_LOOKAHEAD];
	size_t		 fill;
	int		 prev;		/* the byte before win[0], or -1 */
	uint32_t	 found;		/* bit per pattern already reported */
};

void	 scan_begin(struct scan_state *s);
/* Feed bytes; findings go to IDX under PATH.  RW_OK or RW_ENOMEM. */
int	 scan_feed(struct scan_state *s, struct content_index *idx,
	    const char *path, const unsigned char *p, size_t len);
int	 scan_end(struct scan_state *s, struct content_index *idx,
	    const char *path);

/*
 * Whether PATH is a file read whole (up to CONTENT_TEXT_MAX): a
 * credential file or a package database.  Then text_done judges it.
 */
int	 text_wanted(const char *path);
int	 text_done(struct content_index *idx, const char *path,
	    const char *data, size_t len);

/* Findings by file name alone (PKCS#12).  RW_OK or RW_ENOMEM. */
int	 secret_by_name(struct content_index *idx, const char *path,
	    int64_t size);

/* Credential files read whole (secret.c).  RW_OK or RW_ENOMEM. */
int	 secret_credfile(struct content_index *idx, const char *path,
	    const char *data, size_t len);
int	 secret_is_credfile(const char *path);

/* Package databases (pkgdb.c). */
int	 pkgdb_is(const char *path);
/* A package database present and not read here (rpm's): no bytes needed. */
int	 pkgdb_unreadable(const char *path);
int	 pkgdb_parse(struct content_index *idx, const char *path,
	    const char *data, size_t len);

/* Whether PATH is one of rpm's sqlite databases (read through ops). */
int	 pkgdb_rpm_sqlite(const char *path);
/*
 * The packages of the rpm database spooled in SPOOL (NULL: spooling
 * failed) into IDX, read through OPS (which releases SPOOL); a database
 * that cannot be read is recorded unread.  RW_OK or RW_ENOMEM.
 */
int	 pkgdb_rpm_read(struct content_index *idx, const char *path,
	    const struct content_rpmdb_ops *ops, void *spool);

/* The last component of PATH. */
const char	*content_base(const char *path);

#endif
