/* fuzz_rpmhdr.c - content_rpm_header: rpm header blobs from an image's rpm database. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/content.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct content_rpm p;
	struct rw_err err;
	uint8_t *copy;

	/* An exact-size copy: a read past the blob is an ASan report. */
	copy = malloc(size > 0 ? size : 1);
	FZ_ASSERT(copy != NULL, "out of memory");
	memcpy(copy, data, size);
	rw_err_clear(&err);
	if (content_rpm_header(copy, size, &p, &err) == RW_OK) {
		/* The model: a package has a name and a version, each a
		 * terminated string within its field. */
		FZ_ASSERT(memchr(p.name, '\0', sizeof(p.name)) != NULL &&
		    p.name[0] != '\0', "a package without a name");
		FZ_ASSERT(memchr(p.evr, '\0', sizeof(p.evr)) != NULL &&
		    p.evr[0] != '\0', "a package without a version");
		FZ_ASSERT(memchr(p.arch, '\0', sizeof(p.arch)) != NULL,
		    "an unterminated arch");
		FZ_ASSERT(size >= 8 + 16, "a header without an entry");
	} else {
		FZ_ASSERT(err.msg[0] != '\0', "refused without a message");
		FZ_ASSERT(p.name[0] == '\0', "a refusal left a name");
	}
	free(copy);
	return 0;
}
