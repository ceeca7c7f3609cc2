/*
 * scanreport.h - read a vulnerability scanner's JSON report (Trivy or
 * Grype) into the struct db_scan_report the store takes.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Pure: bytes in, a report or a precise refusal out; no I/O, no logging,
 * no globals.  The format is detected from the content:
 *
 *   Trivy (a top-level "SchemaVersion", which must be 2): scanner version
 *   Trivy.Version, artifact ArtifactName, scan time CreatedAt;
 *   Metadata.RepoDigests ("repo@digest", the repo cut off) give INDEX
 *   digests (what the scanned reference resolved to), Metadata.ImageID the
 *   CONFIG digest; findings are every Results[].Vulnerabilities[] entry.
 *   Results[].Secrets[] entries become the report's secrets (RuleID, Title,
 *   Severity, StartLine, and the result's Target as the file); their Match
 *   and Code (the matched line) are never read, so no secret byte is kept.
 *   Secrets count towards SCANREPORT_MAX_FINDINGS with the findings; they
 *   come sorted by file, rule id and line, each (file, rule, line) once
 *   with the worst severity of its repeats.
 *
 *   Grype (a top-level "matches", or descriptor.name "grype"): scanner
 *   version descriptor.version, DB version from descriptor.db (its "built"
 *   time and "schemaVersion", also under db.status for Grype 0.88+), scan
 *   time descriptor.timestamp, artifact source.target.userInput;
 *   source.target.manifestDigest gives the MANIFEST digest, imageID the
 *   CONFIG digest, repoDigests INDEX digests; findings are matches[] with
 *   fix.versions joined by ", " as the fixed version and fix.state as the
 *   status.
 *
 * Severity names of either scanner map onto enum db_sev in any case.  A
 * finding is fixable when it names a fixed version or its status is
 * "fixed".  Findings repeating an (id, pkg, installed) seen earlier in the
 * report count once: the first is kept, raised to the worst severity of
 * its repeats.  A missing or empty scan time gives scanned_at -1.
 *
 * A struct scanreport belongs to one thread; what it points at stays valid
 * until scanreport_cleanup.
 *
 * Module scanreport/ (library rw_scanreport): owns the scanners' report
 * formats, nothing else.  May call db/ (for struct db_scan_report and its
 * parts, never a verb) and util/; called by server/ (reports posted to the
 * admin listener, and the scanner runner's) and cli/ (`scans import`).
 */
#ifndef RW_SCANREPORT_H
#define RW_SCANREPORT_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "util/util.h"

/** Largest report accepted, in bytes. */
#define SCANREPORT_MAX_BYTES	((size_t)64 << 20)
/** Most findings accepted in one report (before repeats are merged). */
#define SCANREPORT_MAX_FINDINGS	200000
/** Most digests one report may name. */
#define SCANREPORT_MAX_DIGESTS	256

struct scanreport_chunk;

/* A parsed report.  Read it through scanreport_report(); fields are private. */
struct scanreport {
	struct db_scan_report	 r;
	struct scanreport_chunk	*chunks;	/* every string */
	struct db_finding	*findings;
	struct db_secret	*secrets;
	const char		**digests;
	int			*kinds;
	char			 report_digest[RW_DIGEST_MAX];
};

/**
 * Parse BODY (LEN bytes) into OUT.  On RW_OK, OUT owns its memory (release
 * with scanreport_cleanup) and its report names at least one digest.  On
 * error OUT holds nothing and ERR says why, e.g.:
 *
 *   RW_ETOOBIG	"report is larger than 64 MiB",
 *		"report has more than 200000 findings",
 *		"Metadata.RepoDigests[256]: more than 256 digests"
 *   RW_EPARSE	"not JSON at byte 812: unexpected end of file",
 *		"Results[3].Vulnerabilities[0].Severity: expected a string",
 *		"matches[0].vulnerability.id: expected a non-empty string",
 *		"Results[0].Vulnerabilities[2].Severity: unknown severity \"SEVERE\"",
 *		"Results[1].Target: expected a non-empty string" (with Secrets),
 *		"Results[1].Secrets[0].RuleID: expected a non-empty string",
 *		"Metadata.ImageID: \"sha256:12\" is not a digest",
 *		"CreatedAt: \"yesterday\" is not an RFC 3339 time",
 *		"the report names no image digest"
 *   RW_EUNSUPPORTED "not a Trivy (SchemaVersion 2) or Grype report",
 *		"Trivy report SchemaVersion 1 is not supported (expected 2)"
 *   RW_ENOMEM
 */
int	 scanreport_parse(const char *body, size_t len, struct scanreport *out,
	    struct rw_err *err);

/** The report, borrowed from SR. */
const struct db_scan_report *scanreport_report(const struct scanreport *sr);

/** Free what SR holds and zero it; safe on a zeroed or failed SR. */
void	 scanreport_cleanup(struct scanreport *sr);

/** "unknown", "negligible", "low", "medium", "high", "critical"; else "?". */
const char *scanreport_sev_name(int sev);

/** The enum db_sev for NAME in any case ("CRITICAL", "Negligible"), or -1. */
int	 scanreport_sev_parse(const char *name);

/** Count R's findings per severity into COUNTS. */
void	 scanreport_counts(const struct db_scan_report *r,
	    size_t counts[DB_SEV_COUNT]);

#endif /* RW_SCANREPORT_H */
