/*
 * denial.h - how a refused manifest is answered, and the denial documents
 * that stand in for a refused image's digest.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Why: a HEAD answer has no body, so containerd (and docker's containerd
 * store, and the CRI plugin) can only show a refusal message on the GET
 * that follows a HEAD.  But a HEAD that answers a refused tag with the
 * image's real digest lets every node that already holds that digest pull
 * it: it never sends the GET.  So a refused tag's HEAD answers with the
 * digest of a small deterministic denial document instead, and the GET of
 * that digest is refused with the message.  A refused digest is refused on
 * HEAD too: containerd resolves a digest reference from its own content
 * store, whatever digest a HEAD answer names.
 *
 * A denial document is never served, by regwarden or through it: a manifest
 * carrying its marker is refused (denial_is_doc), so its digest can never
 * name content in a client's store.
 *
 * denial_plan and denial_doc are pure.  The table (denial_table_*) is
 * thread-safe: one mutex, fixed size, entries expire.
 */
#ifndef RW_DENIAL_H
#define RW_DENIAL_H

#include <stddef.h>
#include <stdint.h>

#include "server/dcache.h"
#include "util/util.h"

/*
 * The server's table: the GET follows its HEAD within a second, so ten
 * minutes is generous; an entry that is gone only turns the message into a
 * "not found" from the upstream, which still refuses.
 */
#define DENIAL_SLOTS	4096
#define DENIAL_TTL_MS	(10 * 60 * 1000)

/* The annotation key that marks a denial document. */
#define DENIAL_MARKER	"dev.regwarden.denial"

/** How to answer a manifest request once its verdict is known. */
enum denial_answer {
	DENIAL_SERVE = 1,	/* the real bytes and digest (allow, warn) */
	DENIAL_SERVE_DOC,	/* HEAD by tag: 200 with a denial digest */
	DENIAL_REFUSE,		/* 403 with the message */
	DENIAL_UNAVAILABLE,	/* 503: could not decide */
	DENIAL_FORWARD,		/* an admitted push: on to the upstream */
};

/**
 * The answer for a manifest request: IS_HEAD (the method), BY_DIGEST (the
 * reference is a digest), WRITE_OP (a push), KIND (enum verdict_kind or
 * DV_ERROR).  Pure; never DENIAL_SERVE for a refusal or an error.
 */
enum denial_answer denial_plan(int is_head, int by_digest, int write_op,
	    int kind);

/** What one denial document says. */
struct denial_subject {
	const char	*host;		/* the registry host policies name */
	const char	*repo;
	const char	*ref;		/* the tag (or digest) refused */
	const char	*media_type;	/* of the refused manifest */
	const char	*policy_rev;	/* "" when none */
	const struct dverdict *v;	/* rule and message */
};

/**
 * Build the denial document for S into OUT (a fresh rw_buf the caller
 * frees) and its sha256 digest into DIGEST.  Deterministic: the same
 * subject and verdict give the same bytes; another reference, rule,
 * message or policy revision gives another document.  The document is a
 * JSON object with the refused manifest's media type and annotations
 * naming the reference, the rule and the message's sha256.
 * Returns RW_OK, RW_ENOMEM or RW_EINVAL (a NULL field).
 */
int	 denial_doc(const struct denial_subject *s, struct rw_buf *out,
	    char digest[RW_DIGEST_MAX], struct rw_err *err);

/** Do the manifest bytes BODY (LEN) carry the denial marker? */
int	 denial_is_doc(const void *body, size_t len);

struct denial_table;

/** A table of NSLOTS denial documents kept TTL_MS each; NULL on ENOMEM. */
struct denial_table *denial_table_new(size_t nslots, uint64_t ttl_ms);
void	 denial_table_free(struct denial_table *t);

/**
 * Remember that DIGEST (a denial document's) in UPSTREAM/REPO stands for
 * verdict V on reference REF, from NOW_MS.  A newer entry may push out an
 * older one sharing its slot: its GET then goes upstream and is not found,
 * which still refuses.
 */
void	 denial_table_put(struct denial_table *t, const char *upstream,
	    const char *repo, const char *digest, const char *ref,
	    const struct dverdict *v, uint64_t now_ms);

/**
 * Look DIGEST up for UPSTREAM/REPO at NOW_MS.  Returns 1 and fills *V and
 * REF (REFSIZE bytes) when it is a live denial document, else 0.
 */
int	 denial_table_get(struct denial_table *t, const char *upstream,
	    const char *repo, const char *digest, struct dverdict *v,
	    char *ref, size_t refsize, uint64_t now_ms);

#endif /* RW_DENIAL_H */
