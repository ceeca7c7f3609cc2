/* fuzz_scanreport.c - scanreport_parse: Trivy and Grype reports (scans import, POST /scans),
 * Trivy's Secrets among them: each secret kept names its file and rule, with
 * a severity db_scan_put accepts (it refuses the whole report otherwise). */
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
	const struct db_scan_report *r;
	size_t counts[DB_SEV_COUNT], i;

	memset(&sr, 0, sizeof(sr));
	rw_err_clear(&err);
	if (scanreport_parse((const char *)data, size, &sr, &err) == RW_OK) {
		r = scanreport_report(&sr);
		FZ_ASSERT(r != NULL, "no report");
		scanreport_counts(r, counts);
		FZ_ASSERT(r->nsecrets == 0 || r->secrets != NULL, "secrets");
		for (i = 0; i < r->nsecrets; i++)
			FZ_ASSERT(r->secrets[i].target != NULL &&
			    r->secrets[i].target[0] != '\0' &&
			    r->secrets[i].rule_id != NULL &&
			    r->secrets[i].rule_id[0] != '\0' &&
			    r->secrets[i].severity >= DB_SEV_UNKNOWN &&
			    r->secrets[i].severity <= DB_SEV_CRITICAL,
			    "secret %zu", i);
	} else
		FZ_ASSERT(err.msg[0] != '\0', "refused without a message");
	scanreport_cleanup(&sr);
	return 0;
}
