/* fuzznot.c - the Notation harnesses' trust store, from the fixture's x5c. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fuzz/fuzznot.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/fuzz/fuzz.h"

const char *
fz_notation_store(size_t *len)
{
	static char *pem;
	static size_t plen;
	size_t n, i, size, off = 0;
	char *text;
	const char *b64;
	json_t *doc;

	if (pem != NULL) {
		*len = plen;
		return pem;
	}
	text = fz_fixture("tests/fixtures/notation/internal-testdata/"
	    "jws_signature.sig", &n);
	doc = json_loadb(text, n, 0, NULL);
	b64 = json_string_value(json_array_get(json_object_get(json_object_get(
	    doc, "header"), "x5c"), 0));
	if (b64 == NULL)
		abort();
	n = strlen(b64);
	size = n + n / 64 + 128;
	pem = malloc(size);
	if (pem == NULL)
		abort();
	off += (size_t)snprintf(pem, size, "-----BEGIN CERTIFICATE-----\n");
	for (i = 0; i < n; i += 64)
		off += (size_t)snprintf(pem + off, size - off, "%.64s\n",
		    b64 + i);
	off += (size_t)snprintf(pem + off, size - off,
	    "-----END CERTIFICATE-----\n");
	plen = off;
	json_decref(doc);
	free(text);
	*len = plen;
	return pem;
}
