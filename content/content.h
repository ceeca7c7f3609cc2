/*
 * content.h - what an image's layers hold: files, whiteouts, secrets,
 * packages.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Module content/ (library rw_content), above util/ only.  It reads one
 * layer blob (a tar stream, uncompressed, gzip or zstd) through libarchive
 * and returns its index: every entry's path, type, mode, owner, size and
 * link target; the whiteouts and opaque directories; the secret findings
 * of the layer's files; the packages of the package databases it holds.
 * It then combines the indexes of an image's layers, bottom first, into
 * the image's final filesystem.
 *
 * Bounded: memory is the index plus one read block, a scan window and at
 * most CONTENT_TEXT_MAX bytes of one credential or package-database file;
 * time is bounded by struct content_limits (stream bytes, entries, path
 * lengths).  A layer past a limit, truncated, or not a tar stream is
 * refused with RW_EPARSE or RW_ETOOBIG and a message naming why: never a
 * partial index that looks clean.
 *
 * Never does I/O but through the read callback the caller gives, never
 * follows a link, never writes a file, never logs, and never keeps or
 * prints a secret's bytes: a finding names the path and what kind of
 * secret it is.  Thread-safe: no globals; an index belongs to one thread
 * until it is handed over whole.
 */
#ifndef RW_CONTENT_H
#define RW_CONTENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

/* ------------------------------------------------------------- the index */

enum content_type {
	CONTENT_FILE = 0,	/* a regular file */
	CONTENT_DIR,
	CONTENT_SYMLINK,	/* link: the target, as written, never followed */
	CONTENT_HARDLINK,	/* link: another path of the same layer */
	CONTENT_OTHER,		/* device, fifo, socket */
	CONTENT_WHITEOUT,	/* path: what it deletes from lower layers */
	CONTENT_OPAQUE		/* path: the directory made opaque */
};

/** One entry of a layer.  Paths are absolute and normalised ("/etc/x"). */
struct content_entry {
	const char	*path;
	const char	*link;		/* NULL unless a link */
	int64_t		 size;		/* a regular file's size, else 0 */
	int64_t		 uid;
	int64_t		 gid;
	uint32_t	 mode;		/* permission bits incl. setuid/setgid */
	uint8_t		 type;		/* enum content_type */
};

/** One secret found in one file: never its bytes. */
struct content_finding {
	const char	*path;
	const char	*what;		/* static text: "PEM RSA PRIVATE KEY" */
};

/** One installed package. */
struct content_package {
	const char	*name;
	const char	*version;
	const char	*db;		/* the database file it came from */
};

/** The index of one layer.  Built by content_inspect; content_index_free. */
struct content_index {
	struct content_entry	*entries;
	size_t			 nentries;
	struct content_finding	*findings;
	size_t			 nfindings;
	struct content_package	*packages;
	size_t			 npackages;
	/* Package databases present but not readable here (the paths). */
	const char		**pkgdb_unread;
	size_t			 npkgdb_unread;
	uint64_t		 file_bytes;	/* sum of regular file sizes */
	uint64_t		 stream_bytes;	/* the tar stream, decompressed */
	struct content_arena	*arena;		/* owns every string */
};

void	 content_index_free(struct content_index *idx);

/* ----------------------------------------------------------- inspecting */

/*
 * Hard limits of one inspection.  content_limits_default fills the
 * documented defaults (README "Content inspection"):
 *   max_stream_bytes   8 GiB decompressed tar stream (a bomb stops here)
 *   max_entries        500,000 entries per layer
 *   max_path           4,096 bytes per path or link target
 *   scan_max_file      8 MiB: files up to this size are read for secret
 *                      patterns; larger files are indexed, not scanned
 */
struct content_rpmdb_ops;

struct content_limits {
	uint64_t	 max_stream_bytes;
	size_t		 max_entries;
	size_t		 max_path;
	int64_t		 scan_max_file;
	/*
	 * rpm's sqlite database (/var/lib/rpm/rpmdb.sqlite and
	 * /usr/lib/sysimage/rpm/rpmdb.sqlite) is read through RPMDB, up to
	 * RPMDB_MAX bytes (default 64 MiB); NULL (the default), a larger
	 * file or one RPMDB cannot read is recorded in pkgdb_unread.
	 */
	const struct content_rpmdb_ops	*rpmdb;
	uint64_t	 rpmdb_max;
};

void	 content_limits_default(struct content_limits *lim);

/* ------------------------------------------------------ rpm databases */

/** Called once per header blob of an rpm database; nonzero stops. */
typedef int (*content_blob_fn)(void *arg, const void *blob, size_t len);

/*
 * How an rpm sqlite database is read.  content/ has no SQLite and writes
 * no file, so the caller keeps the bytes (OPEN, then WRITE for each block
 * of the file, in order) and reads the headers of its Packages table
 * (READ, which calls FN for each and releases the spool whatever happens);
 * a spool not read is released with DISCARD.  server/rpmspool.c spools to
 * a file and reads it with db/'s SQLite.  ARG is the first argument of OPEN.
 */
struct content_rpmdb_ops {
	void	 *arg;
	/* A new spool, or NULL when none can be made. */
	void	*(*open)(void *arg);
	/* RW_OK, or an error: the spool is then discarded. */
	int	  (*write)(void *spool, const void *buf, size_t len);
	/* RW_OK, FN's nonzero result, or an error with ERR set. */
	int	  (*read)(void *spool, content_blob_fn fn, void *fnarg,
		    struct rw_err *err);
	void	  (*discard)(void *spool);
};

/* The longest NAME, VERSION, RELEASE or ARCH kept from a header. */
#define CONTENT_RPM_FIELD_MAX	256

/** One package of an rpm database. */
struct content_rpm {
	char	 name[CONTENT_RPM_FIELD_MAX];
	char	 evr[2 * CONTENT_RPM_FIELD_MAX + 16];	/* [epoch:]version-release */
	char	 arch[CONTENT_RPM_FIELD_MAX];		/* "" when none */
};

/*
 * Parse one rpm header blob (LEN bytes, as rpm's sqlite database stores
 * it in Packages.blob: no magic) into OUT.  Hostile input is expected:
 * every size and offset is checked.  Returns RW_OK, or RW_EPARSE with ERR
 * saying why ("rpm header: 41 entries and 628 data bytes do not make its
 * 1290 bytes", "rpm header: tag 1000 (NAME) is not terminated", "rpm
 * header: no VERSION", ...) and OUT zeroed.
 */
int	 content_rpm_header(const void *blob, size_t len,
	    struct content_rpm *out, struct rw_err *err);

/* The most of one credential or package-database file read whole. */
#define CONTENT_TEXT_MAX	((size_t)16 << 20)

/*
 * The read callback: fill BUF with up to SIZE bytes of the layer blob as
 * stored (compressed or not).  Returns the count, 0 at the end, or -1 on
 * an error (the inspection then fails with RW_EIO).
 */
typedef ssize_t (*content_read_fn)(void *arg, void *buf, size_t size);

/*
 * Read one layer through READ (ARG its argument) and index it.  LIM NULL
 * means the defaults.  Returns RW_OK and *OUT (content_index_free), or
 * RW_EPARSE (not a tar stream, truncated, a path leaving the root, a
 * hard link to nothing), RW_ETOOBIG (a limit of LIM), RW_EIO (READ
 * failed) or RW_ENOMEM, with ERR saying which entry and why.
 */
int	 content_inspect(content_read_fn read, void *arg,
	    const struct content_limits *lim, struct content_index **out,
	    struct rw_err *err);

/** content_inspect over a file descriptor, read from its offset. */
int	 content_inspect_fd(int fd, const struct content_limits *lim,
	    struct content_index **out, struct rw_err *err);

/* --------------------------------------------------------------- secrets */

/*
 * The secret patterns, one table (content/secret.c): a name, what a
 * finding says, and how it is matched.  Exposed so that tests and the
 * documentation walk the same list.
 */
enum content_pattern_kind {
	CONTENT_PAT_TEXT = 0,	/* bytes anywhere in a file */
	CONTENT_PAT_NAME,	/* the file's name alone */
	CONTENT_PAT_CREDFILE	/* a credential file holding a credential */
};

struct content_pattern {
	const char	*name;		/* "aws-access-key-id" */
	const char	*what;		/* "AWS access key id" */
	int		 kind;		/* enum content_pattern_kind */
};

const struct content_pattern	*content_patterns(size_t *n);

/* How many patterns a file is matched against (a bit each). */
#define CONTENT_NPATTERNS	18

/*
 * Scan one whole file's bytes (PATH decides the credential-file rules) and
 * append its findings to IDX.  What content_inspect does for every file up
 * to scan_max_file; exposed for tests.  Returns RW_OK or RW_ENOMEM.
 */
int	 content_scan_buffer(struct content_index *idx, const char *path,
	    const void *data, size_t len);

/* An empty index to scan into (tests, and the encoder's decode). */
struct content_index	*content_index_new(void);

/* ----------------------------------------------------- the final filesystem */

/** One path of the image's final filesystem, and the layer it comes from. */
struct content_file {
	const struct content_entry	*e;
	size_t				 layer;	/* 0-based, bottom first */
};

struct content_fs {
	struct content_file	*files;		/* sorted by path */
	size_t			 nfiles;
	struct content_package	*packages;	/* of the databases that remain */
	size_t			 npackages;
	const char		**pkgdb_unread;
	size_t			 npkgdb_unread;
	uint64_t		 file_bytes;	/* regular files that remain */
};

/*
 * Apply LAYERS (N indexes, bottom first) one over another: each layer's
 * whiteouts delete a path and everything under it from the layers below,
 * an opaque directory everything under it from below, then its entries
 * replace the same paths.  Returns RW_OK and *OUT (content_fs_free; it
 * points into LAYERS, which must outlive it) or RW_ENOMEM.
 */
int	 content_final(struct content_index *const *layers, size_t n,
	    struct content_fs **out, struct rw_err *err);

void	 content_fs_free(struct content_fs *fs);

/** The file at PATH in FS, or NULL. */
const struct content_file	*content_fs_get(const struct content_fs *fs,
	    const char *path);

/* ----------------------------------------------------------- the codec */

/*
 * The encoding's version: an index kept in another is computed again.
 * 2: rpm's sqlite databases are read (format 1 recorded them unread).
 */
#define CONTENT_FORMAT	2

/*
 * An index as bytes for the state database (content-addressed by the
 * layer digest), and back.  The format is versioned; content_decode
 * checks every length and refuses anything malformed with RW_EPARSE.
 */
int	 content_encode(const struct content_index *idx, struct rw_buf *out);
int	 content_decode(const void *data, size_t len,
	    struct content_index **out, struct rw_err *err);

#endif
