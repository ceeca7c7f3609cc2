/* fuzz_scanreport.c - scanreport_parse: Trivy and Grype reports (scans import, POST /scans). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanreport/scanreport.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scanreport sr;
	struct rw_err err;
	size_t counts[DB_SEV_COUNT];

	memset(&sr, 0, sizeof(sr));
	rw_err_clear(&err);
	if (scanreport_parse((const char *)data, size, &sr, &err) == RW_OK) {
		FZ_ASSERT(scanreport_report(&sr) != NULL, "no report");
		scanreport_counts(scanreport_report(&sr), counts);
	} else
		FZ_ASSERT(err.msg[0] != '\0', "refused without a message");
	scanreport_cleanup(&sr);
	return 0;
}
