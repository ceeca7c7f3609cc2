/*
 * fuzz.h - what the libFuzzer harnesses share: fixture files read once,
 * NUL-terminated copies of the input, temporary files for path-only APIs.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each harness is one fuzz_<name>.c with LLVMFuzzerTestOneInput calling the
 * real parser with the real limits; its corpus is tests/fuzz/corpus/<name>/
 * and its dictionary, when the format has keywords, tests/fuzz/dict/.
 * A harness that finds a mismatch against its model calls abort(), which
 * libFuzzer reports as a crash with the input saved.
 */
#ifndef RW_FUZZ_H
#define RW_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The bytes of RW_SOURCE_DIR/REL (NUL-terminated, *LEN without it); aborts
 * when the file cannot be read: a harness without its fixture is broken. */
char	*fz_fixture(const char *rel, size_t *len);

/* A malloc'ed copy of DATA (SIZE bytes) with a NUL after it. */
char	*fz_strndup(const uint8_t *data, size_t size);

/* Write DATA to this process's temporary file NAME (mode 0600) and return
 * its path (static storage, overwritten by the next call with NAME). */
const char *fz_tmpfile(const char *name, const uint8_t *data, size_t size);

/* abort() with a message when COND is false: a model disagreed. */
#define FZ_ASSERT(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz: " __VA_ARGS__);			\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#endif /* RW_FUZZ_H */
