/* text.c - bounded one-line texts, safe for untrusted input. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "util/util.h"

#include <stdio.h>
#include <string.h>

void
rw_sb_init(struct rw_sb *sb, char *buf, size_t size)
{
	sb->buf = buf;
	sb->size = size;
	sb->len = 0;
	sb->cut = 0;
	if (size > 0)
		buf[0] = '\0';
}

void
rw_sb_add(struct rw_sb *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->cut || sb->size == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->buf[sb->len] = '\0';
		sb->cut = 1;
	} else if ((size_t)n >= sb->size - sb->len) {
		sb->len = sb->size - 1;
		sb->cut = 1;
	} else
		sb->len += (size_t)n;
}

/*
 * Names, users and tags come from the image being judged; the message goes
 * into a JSON body, an HTTP Warning header and a log line.  Bytes outside
 * printable ASCII are written as \xNN, so no input can split a line, end
 * a header or smuggle a terminal escape.
 */
void
rw_sb_safe(struct rw_sb *sb, const char *s, size_t max)
{
	size_t i;
	unsigned char c;

	for (i = 0; s[i] != '\0' && !sb->cut; i++) {
		if (i == max) {
			rw_sb_add(sb, "...");
			return;
		}
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			rw_sb_add(sb, "%c", c);
		else
			rw_sb_add(sb, "\\x%02x", c);
	}
}

const char *
rw_show(char *buf, size_t size, const char *s, size_t max)
{
	struct rw_sb sb;

	rw_sb_init(&sb, buf, size);
	rw_sb_add(&sb, "\"");
	rw_sb_safe(&sb, s, max);
	rw_sb_add(&sb, "\"");
	rw_sb_finish(&sb);
	return buf;
}

void
rw_sb_finish(struct rw_sb *sb)
{
	size_t n;

	if (!sb->cut || sb->size < 4)
		return;
	/* Step back over a partial UTF-8 sequence, then make room. */
	n = sb->len > sb->size - 4 ? sb->size - 4 : sb->len;
	while (n > 0 && ((unsigned char)sb->buf[n] & 0xc0) == 0x80)
		n--;
	memcpy(sb->buf + n, "...", 4);
	sb->len = n + 3;
}
