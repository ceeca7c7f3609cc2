/*
 * rpmhdr.c - one rpm header blob, as rpm's sqlite database keeps it in
 * Packages.blob: the package's name, epoch, version, release and arch.
 * SPDX-License-Identifier: Apache-2.0
 *
 * The stored header has no magic (rpm's "header blob"): a big-endian
 * uint32 count of index entries, a uint32 length of the data store, the
 * entries (tag, type, offset, count: four uint32 each), then the data.
 * Every number comes from the image, so every offset is checked against
 * the data store before a byte is read, and the sizes must add up to the
 * blob exactly, as rpm itself requires (hdrblobVerifyInfo).
 */
#include "content/content.h"

#include <stdio.h>
#include <string.h>

#define TAG_NAME	1000
#define TAG_VERSION	1001
#define TAG_RELEASE	1002
#define TAG_EPOCH	1003
#define TAG_ARCH	1022

#define TYPE_INT32	4
#define TYPE_STRING	6

/* rpm's own bounds on a header (HEADER_TAGS_MAX, HEADER_DATA_MAX). */
#define MAX_ENTRIES	0xffffu
#define MAX_DATA	(256u << 20)

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static const char *
tag_name(uint32_t tag)
{
	switch (tag) {
	case TAG_NAME:
		return "NAME";
	case TAG_VERSION:
		return "VERSION";
	case TAG_RELEASE:
		return "RELEASE";
	case TAG_EPOCH:
		return "EPOCH";
	}
	return "ARCH";
}

/* Slot of TAG among the five read, or -1 for a tag not read. */
static int
slot(uint32_t tag)
{
	if (tag >= TAG_NAME && tag <= TAG_EPOCH)
		return (int)(tag - TAG_NAME);
	return tag == TAG_ARCH ? 4 : -1;
}

/* The string entry at OFF of DATA (DL bytes) into OUT (SIZE bytes). */
static int
string_at(const unsigned char *data, uint32_t dl, uint32_t tag,
    uint32_t type, uint32_t off, char *out, size_t size, struct rw_err *err)
{
	const unsigned char *nul;

	if (type != TYPE_STRING)
		return rw_err_set(err, RW_EPARSE, "rpm header: tag %u (%s) has "
		    "type %u, not a string", tag, tag_name(tag), type);
	if (off >= dl)
		return rw_err_set(err, RW_EPARSE, "rpm header: tag %u (%s) "
		    "points past the data", tag, tag_name(tag));
	nul = memchr(data + off, '\0', dl - off);
	if (nul == NULL)
		return rw_err_set(err, RW_EPARSE, "rpm header: tag %u (%s) is "
		    "not terminated", tag, tag_name(tag));
	if ((size_t)(nul - (data + off)) >= size)
		return rw_err_set(err, RW_EPARSE, "rpm header: tag %u (%s) is "
		    "longer than %zu bytes", tag, tag_name(tag), size - 1);
	memcpy(out, data + off, (size_t)(nul - (data + off)) + 1);
	return RW_OK;
}

static int
epoch_at(const unsigned char *data, uint32_t dl, uint32_t type, uint32_t off,
    uint32_t count, uint32_t *out, struct rw_err *err)
{
	/* rpm aligns a uint32 in the data store; a header that does not is
	 * not one rpm wrote. */
	if (type != TYPE_INT32 || count != 1 || off % 4 != 0 || off > dl ||
	    dl - off < 4)
		return rw_err_set(err, RW_EPARSE, "rpm header: tag %u (EPOCH) "
		    "is not one aligned 32-bit integer", TAG_EPOCH);
	*out = be32(data + off);
	return RW_OK;
}

/* The entries of the header: the five tags read, each at most once. */
static int
entries(const unsigned char *b, uint32_t il, uint32_t dl,
    struct content_rpm *out, uint32_t *epoch, struct rw_err *err)
{
	const unsigned char *data = b + 8 + (size_t)il * 16, *e;
	char version[CONTENT_RPM_FIELD_MAX], release[CONTENT_RPM_FIELD_MAX];
	char *dst[5] = { out->name, version, release, NULL, out->arch };
	int seen[5] = { 0 }, k, rc = RW_OK;
	uint32_t i, tag, type, off;

	for (i = 0; rc == RW_OK && i < il; i++) {
		e = b + 8 + (size_t)i * 16;
		tag = be32(e);
		k = slot(tag);
		if (k < 0)
			continue;
		if (seen[k]++)
			return rw_err_set(err, RW_EPARSE, "rpm header: tag %u "
			    "(%s) appears twice", tag, tag_name(tag));
		type = be32(e + 4);
		off = be32(e + 8);
		if (tag == TAG_EPOCH)
			rc = epoch_at(data, dl, type, off, be32(e + 12), epoch,
			    err);
		else
			rc = string_at(data, dl, tag, type, off, dst[k],
			    CONTENT_RPM_FIELD_MAX, err);
	}
	if (rc == RW_OK && (!seen[0] || out->name[0] == '\0'))
		rc = rw_err_set(err, RW_EPARSE, "rpm header: no NAME");
	if (rc == RW_OK && (!seen[1] || version[0] == '\0'))
		rc = rw_err_set(err, RW_EPARSE, "rpm header: no VERSION");
	if (rc != RW_OK)
		return rc;
	/* What `rpm -q --qf '%{EVR}'` prints: [epoch:]version[-release]. */
	if (seen[3])
		snprintf(out->evr, sizeof(out->evr), "%u:%s%s%s", *epoch,
		    version, seen[2] ? "-" : "", seen[2] ? release : "");
	else
		snprintf(out->evr, sizeof(out->evr), "%s%s%s", version,
		    seen[2] ? "-" : "", seen[2] ? release : "");
	return RW_OK;
}

int
content_rpm_header(const void *blob, size_t len, struct content_rpm *out,
    struct rw_err *err)
{
	const unsigned char *b = blob;
	uint32_t il, dl, epoch = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (b == NULL || len < 8)
		return rw_err_set(err, RW_EPARSE, "rpm header: %zu bytes, too "
		    "short", len);
	il = be32(b);
	dl = be32(b + 4);
	if (il == 0 || il > MAX_ENTRIES || dl > MAX_DATA)
		return rw_err_set(err, RW_EPARSE, "rpm header: %u entries and "
		    "%u data bytes are out of range", il, dl);
	/* Both are bounded, so the sum cannot overflow a size_t. */
	if (8 + (size_t)il * 16 + dl != len)
		return rw_err_set(err, RW_EPARSE, "rpm header: %u entries and "
		    "%u data bytes do not make its %zu bytes", il, dl, len);
	rc = entries(b, il, dl, out, &epoch, err);
	if (rc != RW_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}
