/*
 * mklayer.h - layers the content tests write with libarchive (tar, pax,
 * gzip, zstd), and a read callback that serves them in small chunks so
 * that every boundary in the reader is crossed.  Tests only.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef RW_TEST_MKLAYER_H
#define RW_TEST_MKLAYER_H

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

enum { ML_NONE, ML_GZIP, ML_ZSTD };

struct mklayer {
	struct archive	*a;
	unsigned char	*buf;
	size_t		 cap;
	size_t		 used;
};

static inline void
ml_begin(struct mklayer *m, int filter, size_t cap)
{
	m->a = archive_write_new();
	assert_non_null(m->a);
	m->cap = cap;
	m->buf = malloc(cap);
	assert_non_null(m->buf);
	m->used = 0;
	assert_int_equal(archive_write_set_format_pax_restricted(m->a),
	    ARCHIVE_OK);
	if (filter == ML_GZIP)
		assert_int_equal(archive_write_add_filter_gzip(m->a),
		    ARCHIVE_OK);
	else if (filter == ML_ZSTD)
		assert_int_equal(archive_write_add_filter_zstd(m->a),
		    ARCHIVE_OK);
	/* Whole 512-byte records: no padding to 10 KiB blocks. */
	archive_write_set_bytes_per_block(m->a, 512);
	assert_int_equal(archive_write_open_memory(m->a, m->buf, m->cap,
	    &m->used), ARCHIVE_OK);
}

/* One entry: TYPE an AE_IF* value; LINK a symlink's target; HARD a
 * hard link's target (then TYPE is ignored). */
static inline void
ml_entry(struct mklayer *m, const char *path, unsigned type, unsigned perm,
    const void *data, size_t len, const char *link, const char *hard)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, 1000);
	archive_entry_set_gid(e, 1001);
	archive_entry_set_size(e, type == AE_IFREG && hard == NULL ?
	    (la_int64_t)len : 0);
	if (link != NULL)
		archive_entry_set_symlink(e, link);
	if (hard != NULL)
		archive_entry_set_hardlink(e, hard);
	assert_int_equal(archive_write_header(m->a, e), ARCHIVE_OK);
	if (type == AE_IFREG && hard == NULL && len > 0)
		assert_int_equal(archive_write_data(m->a, data, len),
		    (la_ssize_t)len);
	archive_entry_free(e);
}

static inline void
ml_file(struct mklayer *m, const char *path, const char *text)
{
	ml_entry(m, path, AE_IFREG, 0644, text, strlen(text), NULL, NULL);
}

static inline void
ml_dir(struct mklayer *m, const char *path)
{
	ml_entry(m, path, AE_IFDIR, 0755, NULL, 0, NULL, NULL);
}

/* The layer's bytes (in M->buf, M->used of them). */
static inline void
ml_end(struct mklayer *m)
{
	assert_int_equal(archive_write_close(m->a), ARCHIVE_OK);
	archive_write_free(m->a);
	m->a = NULL;
}

struct ml_src {
	const unsigned char	*p;
	size_t			 left;
	size_t			 chunk;
	int			 fail_after;	/* calls, or -1 */
};

static inline ssize_t
ml_read(void *arg, void *buf, size_t size)
{
	struct ml_src *s = arg;
	size_t n = s->chunk < size ? s->chunk : size;

	if (s->fail_after == 0)
		return -1;
	if (s->fail_after > 0)
		s->fail_after--;
	if (n > s->left)
		n = s->left;
	memcpy(buf, s->p, n);
	s->p += n;
	s->left -= n;
	return (ssize_t)n;
}

/* Inspect LEN bytes at P in chunks of CHUNK. */
static inline int
ml_inspect(const void *p, size_t len, size_t chunk,
    const struct content_limits *lim, struct content_index **out,
    struct rw_err *err)
{
	struct ml_src s = { p, len, chunk, -1 };

	rw_err_clear(err);
	return content_inspect(ml_read, &s, lim, out, err);
}

static inline const struct content_entry *
ml_find(const struct content_index *idx, const char *path)
{
	size_t i;

	for (i = 0; i < idx->nentries; i++)
		if (strcmp(idx->entries[i].path, path) == 0)
			return &idx->entries[i];
	return NULL;
}

#endif
