/*
 * bundle_int.h - what bundle.c and bentry.c share.  Private to
 * policy/sig/: see sig.h for the contract.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef RW_POLICY_SIG_BUNDLE_INT_H
#define RW_POLICY_SIG_BUNDLE_INT_H

#include <jansson.h>

#include "policy/sig/sig.h"

struct sig_tlog_key;

/* Verified times: one per log entry and per timestamp at most. */
#define BUNDLE_TIMES_MAX	(2 * SIG_BUNDLE_ENTRIES_MAX)

/* One bundle being judged: what it holds, decoded, and what was proven. */
struct bundle_ctx {
	const struct sig_bundle_trust	*t;
	const struct sig_bundle_subject	*subj;
	int		 version;	/* minor version: 1, 2 or 3 */
	unsigned char	*sig;		/* the signature's bytes */
	size_t		 slen;
	unsigned char	*leaf;		/* keyless: the leaf's DER, else NULL */
	size_t		 leaf_len;
	int		 dsse;		/* content is a DSSE envelope */
	unsigned char	*payload;	/* DSSE: the payload's bytes */
	size_t		 plen;
	const char	*ptype;		/* DSSE: payloadType */
	unsigned char	*pae;		/* DSSE: what the signature covers */
	size_t		 pae_len;
	unsigned char	 payload_sha[32];	/* DSSE: SHA-256 of the payload */
	unsigned char	 pae_sha[32];		/* DSSE: SHA-256 of the PAE */
	int64_t		 times[BUNDLE_TIMES_MAX];
	size_t		 ntimes;
	/* The logs of entries without a SET, judged at those times. */
	const struct sig_tlog_key *unsigned_logs[SIG_BUNDLE_ENTRIES_MAX];
	size_t		 nunsigned;
	/* For the verdict: "logged in <log> at index N" of the first entry. */
	char		 logged[200];
	/* Why the first timestamp that did not verify did not. */
	char		 tsa_why[SIG_REASON_MAX + 1];
};

/*
 * bentry.c: check every entry of ENTRIES (the bundle's tlogEntries)
 * against C, adding the time of each verified SET to C->times.  Returns
 * 0, -1 with OUT's verdict and reason set, or -2 with ERR set.
 */
int	 sig_bundle_entries(json_t *entries, struct bundle_ctx *c,
	    struct sig_bundle_result *out, struct rw_err *err);

/* OUT's verdict and reason (printf-style); always returns -1. */
int	 sig_bundle_fail(struct sig_bundle_result *out, enum sig_verdict v,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Strict standard base64 at OBJ.NAME into a new buffer (the caller frees
 * it): 0, -1 when missing or not base64 (OUT's verdict set, naming WHAT),
 * -2 out of memory.
 */
int	 sig_bundle_b64(json_t *obj, const char *name, const char *what,
	    unsigned char **buf, size_t *len, struct sig_bundle_result *out,
	    struct rw_err *err);

/* The same for the N bytes at S (need not be NUL-terminated). */
int	 sig_bundle_b64s(const char *s, size_t n, const char *what,
	    unsigned char **buf, size_t *len, struct sig_bundle_result *out,
	    struct rw_err *err);

#endif /* RW_POLICY_SIG_BUNDLE_INT_H */
