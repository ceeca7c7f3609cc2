/*
 * reader.c - one layer blob through libarchive into its index, streaming:
 * one read block, one scan window and at most one text file in memory.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "content/content.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "content/internal.h"

#define READ_BLOCK	((size_t)64 << 10)
#define SHOW_MAX	96

struct reader {
	content_read_fn	 read;
	void		*arg;
	int		 failed;	/* the callback said -1 */
	unsigned char	 block[READ_BLOCK];
};

struct inspect {
	struct archive			*a;
	const struct content_limits	*lim;
	struct content_index		*idx;
	struct scan_state		 scan;
	struct rw_buf			 text;
	size_t				 n;	/* entries so far */
	char				 path[8192];
	char				 link[8192];
	void				*spool;	/* an rpm database's */
	uint64_t			 spooled;
};

void
content_limits_default(struct content_limits *lim)
{
	lim->max_stream_bytes = (uint64_t)8 << 30;
	lim->max_entries = 500000;
	lim->max_path = 4096;
	lim->scan_max_file = (int64_t)8 << 20;
	lim->rpmdb = NULL;
	lim->rpmdb_max = (uint64_t)64 << 20;
}

static la_ssize_t
cb_read(struct archive *a, void *arg, const void **buf)
{
	struct reader *r = arg;
	ssize_t n;

	(void)a;
	n = r->read(r->arg, r->block, sizeof(r->block));
	if (n < 0) {
		r->failed = 1;
		archive_set_error(a, EIO, "reading the layer failed");
		return -1;
	}
	*buf = r->block;
	return n;
}

/*
 * RAW as an absolute path without "." components or repeated slashes into
 * OUT (SIZE bytes).  Returns 0, -1 when a ".." component would leave the
 * root (never resolved: a layer has no business naming one), -2 when too
 * long.
 */
static int
normalise(const char *raw, char *out, size_t size)
{
	const char *s = raw, *e;
	size_t o = 0, n;

	while (*s != '\0') {
		while (*s == '/')
			s++;
		e = s;
		while (*e != '\0' && *e != '/')
			e++;
		n = (size_t)(e - s);
		if (n == 0)
			break;
		if (n == 2 && s[0] == '.' && s[1] == '.')
			return -1;
		if (!(n == 1 && s[0] == '.')) {
			if (o + 1 + n + 1 > size)
				return -2;
			out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		s = e;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

static int
bad_path(struct inspect *in, struct rw_err *err, const char *what,
    const char *raw, int why)
{
	char show[SHOW_MAX * 4 + 16];

	if (why == -2)
		return rw_err_set(err, RW_ETOOBIG, "layer entry %zu: %s is "
		    "longer than %zu bytes", in->n, what, in->lim->max_path);
	return rw_err_set(err, RW_EPARSE, "layer entry %zu: %s %s leaves the "
	    "root (\"..\")", in->n, what, rw_show(show, sizeof(show), raw,
	    SHOW_MAX));
}

/* Whiteouts: ".wh..wh..opq" makes its directory opaque, ".wh.NAME"
 * deletes NAME.  E->path becomes what they act on. */
static int
whiteout(struct inspect *in, struct content_entry *e, struct rw_err *err)
{
	char *base = strrchr(in->path, '/') + 1;
	size_t plen;

	if (strncmp(base, ".wh.", 4) != 0)
		return 0;
	if (strcmp(base, ".wh..wh..opq") == 0) {
		e->type = CONTENT_OPAQUE;
		base[base == in->path + 1 ? 0 : -1] = '\0';
	} else if (base[4] == '\0') {
		return rw_err_set(err, RW_EPARSE, "layer entry %zu: a whiteout "
		    "without a name", in->n);
	} else {
		e->type = CONTENT_WHITEOUT;
		plen = strlen(base + 4);
		memmove(base, base + 4, plen + 1);
	}
	e->size = 0;
	e->link = NULL;
	return 1;
}

/* Whether E is an rpm database the caller's ops are to read. */
static int
rpm_wanted(const struct inspect *in, const struct content_entry *e)
{
	return in->lim->rpmdb != NULL && pkgdb_rpm_sqlite(e->path) &&
	    (uint64_t)e->size <= in->lim->rpmdb_max;
}

static void
spool_drop(struct inspect *in)
{
	if (in->spool != NULL)
		in->lim->rpmdb->discard(in->spool);
	in->spool = NULL;
}

/*
 * One block at OFF into the rpm database's spool.  A sparse file has holes
 * the blocks skip; a database with holes is not read (recorded unread).
 */
static void
spool_add(struct inspect *in, const void *buf, size_t len, la_int64_t off)
{
	if (in->spool == NULL)
		return;
	if (off < 0 || (uint64_t)off != in->spooled ||
	    in->lim->rpmdb->write(in->spool, buf, len) != RW_OK) {
		spool_drop(in);
		return;
	}
	in->spooled += len;
}

/* The spooled rpm database's packages into the index, or it is unread. */
static int
spool_done(struct inspect *in, const struct content_entry *e,
    struct rw_err *err)
{
	void *spool = in->spool;

	in->spool = NULL;
	if (pkgdb_rpm_read(in->idx, e->path, in->lim->rpmdb, spool) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "reading %s: out of memory",
		    e->path);
	return RW_OK;
}

/* A regular file's blocks: scanned, kept whole or spooled when wanted. */
static int
data_blocks(struct inspect *in, const struct content_entry *e,
    struct rw_err *err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int scan = e->size <= in->lim->scan_max_file;
	int text = text_wanted(e->path) && (size_t)e->size <= CONTENT_TEXT_MAX;
	int rc;

	scan_begin(&in->scan);
	rw_buf_reset(&in->text);
	in->spooled = 0;
	in->spool = rpm_wanted(in, e) ? in->lim->rpmdb->open(
	    in->lim->rpmdb->arg) : NULL;
	for (;;) {
		rc = archive_read_data_block(in->a, &buf, &len, &off);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK)
			return rw_err_set(err, RW_EPARSE, "layer entry %zu: %s",
			    in->n, archive_error_string(in->a));
		if ((uint64_t)archive_filter_bytes(in->a, 0) >
		    in->lim->max_stream_bytes)
			return rw_err_set(err, RW_ETOOBIG, "the layer expands "
			    "past %llu bytes", (unsigned long long)
			    in->lim->max_stream_bytes);
		if (scan && (rc = scan_feed(&in->scan, in->idx, e->path, buf,
		    len)) != RW_OK)
			return rw_err_set(err, rc, "scanning: out of memory");
		/* Sparse files come as blocks at offsets; the text files
		 * read whole are never sparse in practice, and one that is
		 * is read as its blocks, which only matters to itself. */
		if (text && rw_buf_add(&in->text, buf, len) != RW_OK)
			text = 0;
		spool_add(in, buf, len, off);
	}
	if (scan && (rc = scan_end(&in->scan, in->idx, e->path)) != RW_OK)
		return rw_err_set(err, rc, "scanning: out of memory");
	if (text && (rc = text_done(in->idx, e->path, in->text.data != NULL ?
	    in->text.data : "", in->text.len)) != RW_OK)
		return rw_err_set(err, rc, "reading %s: out of memory",
		    e->path);
	return RW_OK;
}

/* The data of a regular file: scanned, kept whole when wanted, counted. */
static int
data(struct inspect *in, const struct content_entry *e, struct rw_err *err)
{
	int rc = data_blocks(in, e, err);

	if (rc != RW_OK)
		spool_drop(in);
	else if (rpm_wanted(in, e))
		rc = spool_done(in, e, err);
	return rc;
}

static int
entry(struct inspect *in, struct archive_entry *ae, struct rw_err *err)
{
	struct content_entry e;
	const char *raw = archive_entry_pathname(ae), *hl, *sl;
	int rc;

	memset(&e, 0, sizeof(e));
	if (raw == NULL)
		return rw_err_set(err, RW_EPARSE, "layer entry %zu has no "
		    "name", in->n);
	if (strlen(raw) > in->lim->max_path)
		return bad_path(in, err, "the path", raw, -2);
	if ((rc = normalise(raw, in->path, sizeof(in->path))) != 0)
		return bad_path(in, err, "the path", raw, rc);
	e.path = in->path;
	e.uid = archive_entry_uid(ae);
	e.gid = archive_entry_gid(ae);
	e.mode = archive_entry_perm(ae) & 07777;
	hl = archive_entry_hardlink(ae);
	sl = archive_entry_symlink(ae);
	switch (archive_entry_filetype(ae)) {
	case AE_IFREG:
		e.type = CONTENT_FILE;
		break;
	case AE_IFDIR:
		e.type = CONTENT_DIR;
		break;
	case AE_IFLNK:
		e.type = CONTENT_SYMLINK;
		break;
	default:
		e.type = CONTENT_OTHER;
	}
	if (hl != NULL) {
		e.type = CONTENT_HARDLINK;
		if (strlen(hl) > in->lim->max_path)
			return bad_path(in, err, "the link target", hl, -2);
		if ((rc = normalise(hl, in->link, sizeof(in->link))) != 0)
			return bad_path(in, err, "the link target", hl, rc);
		e.link = in->link;
	} else if (e.type == CONTENT_SYMLINK && sl != NULL) {
		/* Recorded as written: a symbolic link is never followed. */
		if (strlen(sl) > in->lim->max_path)
			return bad_path(in, err, "the link target", sl, -2);
		e.link = sl;
	}
	if (archive_entry_size_is_set(ae) && archive_entry_size(ae) < 0)
		return rw_err_set(err, RW_EPARSE, "layer entry %zu: a negative "
		    "size", in->n);
	if (e.type == CONTENT_FILE) {
		e.size = archive_entry_size(ae);
		if ((uint64_t)e.size > in->lim->max_stream_bytes)
			return rw_err_set(err, RW_ETOOBIG, "layer entry %zu "
			    "claims %lld bytes, more than the %llu a layer may "
			    "hold", in->n, (long long)e.size,
			    (unsigned long long)in->lim->max_stream_bytes);
	}
	if ((rc = whiteout(in, &e, err)) < 0)
		return rc;
	if (index_add_entry(in->idx, &e) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "indexing: out of memory");
	if (e.type != CONTENT_FILE)
		return RW_OK;
	in->idx->file_bytes += (uint64_t)e.size;
	if (secret_by_name(in->idx, e.path, e.size) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "indexing: out of memory");
	if (pkgdb_unreadable(e.path) && !rpm_wanted(in, &e) &&
	    pkgdb_parse(in->idx, e.path, NULL, 0) != RW_OK)
		return rw_err_set(err, RW_ENOMEM, "indexing: out of memory");
	return data(in, &e, err);
}

static int
walk(struct inspect *in, struct rw_err *err)
{
	struct archive_entry *ae;
	int rc;

	for (;;) {
		rc = archive_read_next_header(in->a, &ae);
		if (rc == ARCHIVE_EOF)
			return RW_OK;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
			return rw_err_set(err, RW_EPARSE, "layer entry %zu: %s",
			    in->n + 1, archive_error_string(in->a) != NULL ?
			    archive_error_string(in->a) : "unreadable");
		if (++in->n > in->lim->max_entries)
			return rw_err_set(err, RW_ETOOBIG, "the layer has more "
			    "than %zu entries", in->lim->max_entries);
		if ((uint64_t)archive_filter_bytes(in->a, 0) >
		    in->lim->max_stream_bytes)
			return rw_err_set(err, RW_ETOOBIG, "the layer expands "
			    "past %llu bytes", (unsigned long long)
			    in->lim->max_stream_bytes);
		if ((rc = entry(in, ae, err)) != RW_OK)
			return rc;
	}
}

int
content_inspect(content_read_fn read, void *arg,
    const struct content_limits *lim, struct content_index **out,
    struct rw_err *err)
{
	struct content_limits dflt;
	struct reader *r = NULL;
	struct inspect *in = NULL;
	int rc = RW_ENOMEM;

	*out = NULL;
	if (lim == NULL) {
		content_limits_default(&dflt);
		lim = &dflt;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (in = calloc(1, sizeof(*in))) == NULL ||
	    (in->idx = content_index_new()) == NULL ||
	    (in->a = archive_read_new()) == NULL) {
		rw_err_set(err, RW_ENOMEM, "inspecting a layer: out of memory");
		goto out;
	}
	r->read = read;
	r->arg = arg;
	in->lim = lim;
	rw_buf_init(&in->text, CONTENT_TEXT_MAX);
	/* Layers are tar, plain, gzip or zstd: nothing else is tried. */
	archive_read_support_filter_gzip(in->a);
	archive_read_support_filter_zstd(in->a);
	archive_read_support_format_tar(in->a);
	if (archive_read_open(in->a, r, NULL, cb_read, NULL) != ARCHIVE_OK)
		rc = rw_err_set(err, r->failed ? RW_EIO : RW_EPARSE,
		    "the layer cannot be read: %s", archive_error_string(in->a));
	else
		rc = walk(in, err);
	if (rc != RW_OK && r->failed) {
		rw_err_clear(err);
		rc = rw_err_set(err, RW_EIO, "reading the layer failed");
	}
	if (rc == RW_OK) {
		in->idx->stream_bytes = (uint64_t)archive_filter_bytes(in->a,
		    0);
		*out = in->idx;
		in->idx = NULL;
	}
out:
	if (in != NULL) {
		if (in->a != NULL)
			archive_read_free(in->a);
		rw_buf_free(&in->text);
		content_index_free(in->idx);
	}
	free(in);
	free(r);
	return rc;
}

static ssize_t
fd_read(void *arg, void *buf, size_t size)
{
	int fd = *(int *)arg;
	ssize_t n;

	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	return n;
}

int
content_inspect_fd(int fd, const struct content_limits *lim,
    struct content_index **out, struct rw_err *err)
{
	return content_inspect(fd_read, &fd, lim, out, err);
}
