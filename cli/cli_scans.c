/* cli_scans.c - `regwarden scans` and `regwarden exceptions`: scan verdicts. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db/db.h"
#include "policy/policy.h"
#include "cli/cli_int.h"
#include "scanreport/scanreport.h"
#include "util/util.h"

#define ID_MAX_LEN	128	/* a vulnerability id or package name */

const char cli_scans_usage[] =
    "usage: regwarden scans [-c config.json] import <report.json|->...\n"
    "       regwarden scans [-c config.json] ls [--repo GLOB] "
    "[--failing[=SEVERITY]] [--findings] [--json]\n"
    "       SEVERITY is negligible, low, medium, high (the default) or "
    "critical\n";

const char cli_exceptions_usage[] =
    "usage: regwarden exceptions [-c config.json] add <CVE-id|pkg:NAME> "
    "--repo GLOB --expires <TIME|DURATION> --reason TEXT\n"
    "       regwarden exceptions [-c config.json] add --from-scan DIGEST "
    "--repo GLOB --expires <TIME|DURATION> --reason TEXT\n"
    "       regwarden exceptions [-c config.json] ls [--json]\n"
    "       regwarden exceptions [-c config.json] rm <id>\n"
    "       TIME is RFC 3339 (2025-06-30T00:00:00Z); DURATION counts from "
    "now: 30s, 15m, 2h, 7d\n";

/* "critical 2, medium 4": the nonzero counts, worst first. */
static void
counts_text(const size_t counts[DB_SEV_COUNT], char *buf, size_t size)
{
	size_t used = 0;
	int sev, n;

	buf[0] = '\0';
	for (sev = DB_SEV_CRITICAL; sev >= DB_SEV_UNKNOWN; sev--) {
		if (counts[sev] == 0 || used >= size)
			continue;
		n = snprintf(buf + used, size - used, "%s%s %zu",
		    used > 0 ? ", " : "", scanreport_sev_name(sev), counts[sev]);
		if (n > 0)
			used += (size_t)n;
	}
}

/* "6 findings (critical 2, medium 4)", "1 finding (low 1)", "0 findings". */
static void
findings_text(size_t n, const size_t counts[DB_SEV_COUNT], char *buf,
    size_t size)
{
	char c[160];

	counts_text(counts, c, sizeof(c));
	snprintf(buf, size, "%zu finding%s%s%s%s", n, n == 1 ? "" : "s",
	    n > 0 ? " (" : "", n > 0 ? c : "", n > 0 ? ")" : "");
}

/* --------------------------------------------------------------- import */

/* Read PATH ("-": standard input) into B, or say why not in WHY. */
static int
read_report(const char *path, struct rw_buf *b, char *why, size_t whysize)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int rc = RW_OK;

	if (fp == NULL) {
		snprintf(why, whysize, "cannot open: %s", strerror(errno));
		return RW_EIO;
	}
	rw_buf_init(b, SCANREPORT_MAX_BYTES);
	for (;;) {
		n = fread(chunk, 1, sizeof(chunk), fp);
		if (n > 0)
			rc = rw_buf_add(b, chunk, n);
		if (rc != RW_OK || n < sizeof(chunk))
			break;
	}
	if (rc == RW_ETOOBIG)
		snprintf(why, whysize, "report is larger than %zu MiB",
		    SCANREPORT_MAX_BYTES >> 20);
	else if (rc != RW_OK)
		snprintf(why, whysize, "out of memory");
	else if (ferror(fp)) {
		snprintf(why, whysize, "cannot read: %s", strerror(errno));
		rc = RW_EIO;
	}
	if (fp != stdin)
		fclose(fp);
	return rc;
}

static const char *
kind_name(int kind)
{
	switch (kind) {
	case DB_DIGEST_MANIFEST:
		return "manifest";
	case DB_DIGEST_CONFIG:
		return "config";
	default:
		return "index";
	}
}

static void
print_imported(const struct cli_env *env, const char *path,
    const struct db_scan_report *r)
{
	size_t counts[DB_SEV_COUNT], i;
	char f[200];

	scanreport_counts(r, counts);
	findings_text(r->nfindings, counts, f, sizeof(f));
	fprintf(env->out, "imported %s: %s%s%s", path, r->scanner,
	    r->scanner_version[0] != '\0' ? " " : "", r->scanner_version);
	if (r->db_version[0] != '\0')
		fprintf(env->out, " (db %s)", r->db_version);
	fprintf(env->out, ", %s", f);
	if (r->nsecrets > 0)
		fprintf(env->out, ", %zu secret%s", r->nsecrets,
		    r->nsecrets == 1 ? "" : "s");
	fprintf(env->out, ", digest%s", r->ndigests == 1 ? "" : "s");
	for (i = 0; i < r->ndigests; i++)
		fprintf(env->out, "%s %s (%s)", i > 0 ? "," : "", r->digests[i],
		    kind_name(r->digest_kinds[i]));
	fputc('\n', env->out);
}

/* Import one file; 0 or CLI_EXIT_FAIL, with the reason printed. */
static int
import_one(struct db *db, const char *path, const struct cli_env *env)
{
	struct scanreport sr;
	struct rw_buf b;
	struct rw_err err;
	char why[300];
	int rc, fresh = 0;

	memset(&sr, 0, sizeof(sr));
	rw_err_clear(&err);
	rc = read_report(path, &b, why, sizeof(why));
	if (rc == RW_OK) {
		rc = scanreport_parse(b.data != NULL ? b.data : "", b.len, &sr,
		    &err);
		if (rc == RW_OK)
			rc = db_scan_put(db, scanreport_report(&sr), env->now, NULL,
			    &fresh, &err);
		rw_strlcpy(why, err.msg[0] != '\0' ? err.msg : rw_strerror(rc),
		    sizeof(why));
	}
	rw_buf_free(&b);
	if (rc != RW_OK) {
		fprintf(env->err, "regwarden: %s: %s\n", path, why);
		scanreport_cleanup(&sr);
		return CLI_EXIT_FAIL;
	}
	if (fresh)
		print_imported(env, path, scanreport_report(&sr));
	else
		fprintf(env->out, "%s: already imported\n", path);
	scanreport_cleanup(&sr);
	return 0;
}

static int
scans_import(struct db *db, int argc, char **argv, const struct cli_env *env)
{
	int i, status = 0;

	for (i = 2; i < argc; i++) {
		if (import_one(db, argv[i], env) != 0)
			status = CLI_EXIT_FAIL;
	}
	return status;
}

/* -------------------------------------------------------------- scans ls */

struct scans_ctx {
	const struct cli_env	*env;
	int			 json;
	int			 findings;	/* --findings */
	struct db		*db;
	struct cli_table	 t;
	size_t			 n;
};

/*
 * Scan R's own findings into *V.  db_scan_latest answers the newest scan
 * naming a digest, which is R for one of R's digests unless R is
 * superseded on all of them: then RW_ENOTFOUND (the newer scan is listed
 * with its own findings).
 */
static int
row_findings(struct db *db, const struct db_scan_row *r,
    struct db_scan_view *v, struct rw_err *err)
{
	const char *p = r->digests, *d;
	char w[160];
	size_t k = 0;
	int rc;

	/* "manifest sha256:.. config sha256:..": every second word. */
	while (sscanf(p, "%*s %159s", w) == 1) {
		d = w;
		rc = db_scan_latest(db, &d, 1, v, err);
		if (rc == RW_OK && v->id == r->id)
			return RW_OK;
		if (rc == RW_OK)
			db_scan_view_cleanup(v);
		else if (rc != RW_ENOTFOUND)
			return rc;
		for (k = 0; k < 2 && *p != '\0'; k++) {
			p += strcspn(p, " ");
			p += strspn(p, " ");
		}
	}
	memset(v, 0, sizeof(*v));
	return RW_ENOTFOUND;
}

/* The distinct ids of V, worst first, "CVE-1, CVE-2", cut at SIZE. */
static void
ids_text(const struct db_scan_view *v, char *buf, size_t size)
{
	size_t i, j, used = 0, left = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < v->nfindings; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(v->findings[j].id, v->findings[i].id) == 0)
				break;
		if (j < i)
			continue;
		if (left > 0 || used + strlen(v->findings[i].id) + 16 >= size) {
			left++;
			continue;
		}
		n = snprintf(buf + used, size - used, "%s%s", used > 0 ? ", " :
		    "", v->findings[i].id);
		used += (size_t)n;
	}
	if (left > 0)
		snprintf(buf + used, size - used, " (+%zu)", left);
}

/* V's findings as JSON objects. */
static json_t *
findings_json(const struct db_scan_view *v)
{
	json_t *a = json_array(), *o;
	const struct db_finding *f;
	size_t i;

	for (i = 0; a != NULL && i < v->nfindings; i++) {
		f = &v->findings[i];
		o = json_object();
		if (o == NULL || json_object_set_new(o, "id", cli_jstr(f->id)) ||
		    json_object_set_new(o, "severity",
		    cli_jstr(scanreport_sev_name(f->severity))) ||
		    json_object_set_new(o, "package", cli_jstr(f->pkg)) ||
		    json_object_set_new(o, "installed", cli_jstr(f->installed)) ||
		    json_object_set_new(o, "fixed", cli_jstr(f->fixed))) {
			json_decref(o);
			json_decref(a);
			return NULL;
		}
		if (json_array_append_new(a, o) != 0) {	/* O went with it */
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* "sha256:... (manifest)" for the first "kind digest" pair of LIST. */
static void
first_digest(const char *list, char *buf, size_t size)
{
	const char *sp = strchr(list, ' '), *end;

	buf[0] = '\0';
	if (sp == NULL)
		return;
	end = strchr(sp + 1, ' ');
	snprintf(buf, size, "%.*s (%.*s)", end != NULL ? (int)(end - sp - 1) :
	    (int)strlen(sp + 1), sp + 1, (int)(sp - list), list);
}

/* The next space-separated word of *P into W (SIZE bytes); 0 at the end. */
static int
next_word(const char **p, char *w, size_t size)
{
	size_t n;

	while (**p == ' ')
		(*p)++;
	n = strcspn(*p, " ");
	if (n == 0)
		return 0;
	snprintf(w, size, "%.*s", (int)n, *p);
	*p += n;
	return 1;
}

/* LIST's space-separated words as a JSON array ("kind digest" pairs as
 * {"digest", "kind"} objects when PAIRS is set). */
static json_t *
words_json(const char *list, int pairs)
{
	json_t *a = json_array(), *o;
	char w[600], kind[16];
	const char *p = list;
	int ok = a != NULL;

	while (ok && next_word(&p, pairs ? kind : w, pairs ? sizeof(kind) :
	    sizeof(w))) {
		if (!pairs) {
			ok = json_array_append_new(a, cli_jstr(w)) == 0;
			continue;
		}
		o = json_object();
		ok = o != NULL && next_word(&p, w, sizeof(w)) &&
		    json_object_set_new(o, "digest", cli_jstr(w)) == 0 &&
		    json_object_set_new(o, "kind", cli_jstr(kind)) == 0;
		ok = json_array_append_new(a, o) == 0 && ok;
	}
	if (!ok) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *
counts_json(const size_t counts[DB_SEV_COUNT])
{
	json_t *o = json_object();
	int sev, ok = o != NULL;

	for (sev = DB_SEV_CRITICAL; ok && sev >= DB_SEV_UNKNOWN; sev--)
		ok = json_object_set_new(o, scanreport_sev_name(sev),
		    json_integer((json_int_t)counts[sev])) == 0;
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
scan_json(FILE *fp, const struct db_scan_row *r, const struct db_scan_view *v,
    int with_findings)
{
	json_t *o = json_object();
	char scanned[32], imported[32];
	int ok = o != NULL;

	cli_rfc3339(r->scanned_at, scanned);
	cli_rfc3339(r->imported_at, imported);
	ok = ok && json_object_set_new(o, "id", json_integer(r->id)) == 0;
	ok = ok && json_object_set_new(o, "scanner", cli_jstr(r->scanner)) == 0;
	ok = ok && json_object_set_new(o, "scanner_version",
	    cli_jstr(r->scanner_version)) == 0;
	ok = ok && json_object_set_new(o, "db_version",
	    cli_jstr(r->db_version)) == 0;
	ok = ok && json_object_set_new(o, "artifact", cli_jstr(r->artifact)) == 0;
	ok = ok && json_object_set_new(o, "scanned_at", r->scanned_at >= 0 ?
	    cli_jstr(scanned) : json_null()) == 0;
	ok = ok && json_object_set_new(o, "imported_at", cli_jstr(imported)) == 0;
	ok = ok && json_object_set_new(o, "report_digest",
	    cli_jstr(r->report_digest)) == 0;
	ok = ok && json_object_set_new(o, "max_severity", r->nfindings > 0 ?
	    cli_jstr(scanreport_sev_name(r->max_severity)) : json_null()) == 0;
	ok = ok && json_object_set_new(o, "findings",
	    json_integer((json_int_t)r->nfindings)) == 0;
	ok = ok && json_object_set_new(o, "counts", counts_json(r->counts)) == 0;
	ok = ok && json_object_set_new(o, "superseded",
	    json_boolean(r->superseded)) == 0;
	ok = ok && json_object_set_new(o, "digests",
	    words_json(r->digests, 1)) == 0;
	ok = ok && json_object_set_new(o, "images",
	    words_json(r->images, 0)) == 0;
	/* Null for a superseded scan: its newer scan lists them. */
	if (with_findings)
		ok = ok && json_object_set_new(o, "vulnerabilities", v != NULL ?
		    findings_json(v) : json_null()) == 0;
	return cli_print_json(fp, o, ok);
}

static int
scan_row(const struct db_scan_row *r, void *arg)
{
	struct scans_ctx *c = arg;
	char id[24], at[32], scanner[160], f[200], images[600], digest[200];
	char cves[400] = "";
	const char *row[9];
	struct db_scan_view v;
	struct rw_err err;
	size_t i;
	int rc, have = 0;

	c->n++;
	if (c->findings) {
		rw_err_clear(&err);
		rc = row_findings(c->db, r, &v, &err);
		if (rc != RW_OK && rc != RW_ENOTFOUND)
			return rc;
		have = rc == RW_OK;
		if (have)
			ids_text(&v, cves, sizeof(cves));
		else
			rw_strlcpy(cves, "(superseded)", sizeof(cves));
	}
	if (c->json) {
		rc = scan_json(c->env->out, r, have ? &v : NULL, c->findings);
		if (have)
			db_scan_view_cleanup(&v);
		return rc;
	}
	if (have)
		db_scan_view_cleanup(&v);
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	cli_rfc3339(r->scanned_at, at);
	snprintf(scanner, sizeof(scanner), "%s%s%s", r->scanner,
	    r->scanner_version[0] != '\0' ? " " : "", r->scanner_version);
	findings_text(r->nfindings, r->counts, f, sizeof(f));
	/* Images as "a, b"; the scanner's artifact when none was pulled. */
	rw_strlcpy(images, r->images[0] != '\0' ? r->images : r->artifact,
	    sizeof(images));
	for (i = 0; r->images[0] != '\0' && images[i] != '\0'; i++) {
		if (images[i] == ' ')
			images[i] = ',';
	}
	first_digest(r->digests, digest, sizeof(digest));
	row[0] = id;
	row[1] = r->scanned_at >= 0 ? at : "-";
	row[2] = scanner;
	row[3] = r->nfindings > 0 ? scanreport_sev_name(r->max_severity) :
	    "none";
	row[4] = f;
	row[5] = r->superseded ? "superseded" : "current";
	row[6] = images;
	row[7] = digest;
	row[8] = cves;
	return cli_table_add(&c->t, row);
}

static int
scans_ls(struct db *db, const char *glob, int failing, int json,
    int findings, const struct cli_env *env)
{
	static const char *const head[] = { "ID", "SCANNED AT", "SCANNER",
	    "WORST", "FINDINGS", "STATE", "IMAGE", "DIGEST", "VULNERABILITIES" };
	struct scans_ctx c;
	struct rw_err err;
	int rc;

	memset(&c, 0, sizeof(c));
	c.env = env;
	c.json = json;
	c.findings = findings;
	c.db = db;
	c.t.ncols = findings ? 9 : 8;
	rw_err_clear(&err);
	rc = cli_table_add(&c.t, head);
	if (rc == RW_OK)
		rc = db_scan_list(db, glob, failing, scan_row, &c, &err);
	return cli_table_end(&c.t, rc, c.n, json, "scans", &err, env);
}

struct scans_opts {
	const char	*glob;
	int		 failing;
	int		 json;
	int		 findings;
};

/* A --failing value: negligible to critical. */
static int
failing_value(const char *v, struct scans_opts *o, const struct cli_env *env)
{
	char msg[300];

	o->failing = scanreport_sev_parse(v);
	if (o->failing <= DB_SEV_UNKNOWN) {
		snprintf(msg, sizeof(msg), "invalid severity \"%s\": expected "
		    "negligible, low, medium, high or critical", v);
		return cli_usage_error(env, cli_scans_usage, msg);
	}
	return 0;
}

static int
scans_ls_args(int argc, char **argv, struct scans_opts *o,
    const struct cli_env *env)
{
	char msg[300];
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			o->json = 1;
		} else if (strcmp(argv[i], "--findings") == 0) {
			o->findings = 1;
		} else if (strcmp(argv[i], "--failing") == 0) {
			o->failing = DB_SEV_HIGH;
		} else if (strncmp(argv[i], "--failing=", 10) == 0) {
			if (failing_value(argv[i] + 10, o, env) != 0)
				return CLI_EXIT_USAGE;
		} else if (strncmp(argv[i], "--repo", 6) == 0 &&
		    (argv[i][6] == '\0' || argv[i][6] == '=')) {
			o->glob = cli_opt_value(argc, argv, &i, "--repo");
			if (o->glob == NULL || *o->glob == '\0')
				return cli_usage_error(env, cli_scans_usage,
				    "scans ls: option --repo needs a value");
		} else {
			snprintf(msg, sizeof(msg), "scans ls: unknown option "
			    "\"%s\"", argv[i]);
			return cli_usage_error(env, cli_scans_usage, msg);
		}
	}
	return 0;
}

int
cli_scans(int argc, char **argv, const char *state_dir,
    const struct cli_env *env)
{
	struct scans_opts o;
	struct cli_env def;
	struct db *db;
	char msg[300];
	int rc;

	if (env == NULL) {
		cli_env_default(&def);
		env = &def;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		fputs(cli_scans_usage, env->out);
		return cli_finish(env, 0);
	}
	if (argc < 2)
		return cli_usage_error(env, cli_scans_usage,
		    "scans: missing command");
	if (strcmp(argv[1], "import") == 0 && argc < 3)
		return cli_usage_error(env, cli_scans_usage,
		    "scans import: no report given");
	if (strcmp(argv[1], "ls") == 0) {
		rc = scans_ls_args(argc, argv, &o, env);
		if (rc != 0)
			return rc;
	} else if (strcmp(argv[1], "import") != 0) {
		snprintf(msg, sizeof(msg), "scans: unknown command \"%s\"",
		    argv[1]);
		return cli_usage_error(env, cli_scans_usage, msg);
	}
	rc = cli_open_db(state_dir, env, &db);
	if (rc != 0)
		return rc;
	if (strcmp(argv[1], "import") == 0)
		rc = scans_import(db, argc, argv, env);
	else
		rc = scans_ls(db, o.glob, o.failing, o.json, o.findings, env);
	db_close(db);
	return cli_finish(env, rc);
}

/* ----------------------------------------------------------- exceptions */

struct exc_opts {
	const char	*target;	/* as typed */
	const char	*vuln_id;	/* NULL for pkg: */
	const char	*pkg;		/* NULL for an id */
	char		 glob[512];
	int64_t		 expires;
	const char	*reason;
	const char	*from_scan;	/* a digest: every id its scan lists */
};

/* Letters, digits and . _ : - ; starting with a letter or digit. */
static int
valid_id(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > ID_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && strchr("._:-+@/", s[i]) != NULL)
			continue;
		return 0;
	}
	return 1;
}

static int
exc_target(const char *t, struct exc_opts *o, const struct cli_env *env)
{
	char msg[400];

	o->target = t;
	if (strncmp(t, "pkg:", 4) == 0 && valid_id(t + 4)) {
		o->pkg = t + 4;
		return 0;
	}
	if (strncmp(t, "pkg:", 4) != 0 && valid_id(t)) {
		o->vuln_id = t;
		return 0;
	}
	snprintf(msg, sizeof(msg), "invalid exception target \"%.200s\": "
	    "expected a vulnerability id (CVE-2024-1234) or pkg:NAME", t);
	return cli_usage_error(env, cli_exceptions_usage, msg);
}

static int
exc_expires(const char *v, struct exc_opts *o, const struct cli_env *env)
{
	char msg[400], when[32];
	int64_t secs;

	if (cli_parse_duration(v, &secs) == RW_OK) {
		if (secs > INT64_MAX - env->now)
			secs = INT64_MAX - env->now;
		o->expires = env->now + secs;
		return 0;
	}
	if (rw_parse_time(v, &o->expires, NULL) != RW_OK) {
		snprintf(msg, sizeof(msg), "invalid --expires \"%.100s\": use an "
		    "RFC 3339 time (2025-06-30T00:00:00Z) or a duration from "
		    "now (30d)", v);
		return cli_usage_error(env, cli_exceptions_usage, msg);
	}
	if (o->expires <= env->now) {
		cli_rfc3339(o->expires, when);
		snprintf(msg, sizeof(msg), "--expires %s is not in the future",
		    when);
		return cli_usage_error(env, cli_exceptions_usage, msg);
	}
	return 0;
}

static int
exc_option(const char *opt, const char *v, struct exc_opts *o,
    const struct cli_env *env)
{
	struct rw_err err;
	char msg[400];

	if (strcmp(opt, "--expires") == 0)
		return exc_expires(v, o, env);
	if (strcmp(opt, "--reason") == 0) {
		o->reason = v;
		return 0;
	}
	rw_err_clear(&err);
	if (policy_glob_canon(v, o->glob, sizeof(o->glob), &err) != RW_OK) {
		snprintf(msg, sizeof(msg), "invalid --repo: %s", err.msg);
		return cli_usage_error(env, cli_exceptions_usage, msg);
	}
	return 0;
}

static int
exc_add_args(int argc, char **argv, struct exc_opts *o,
    const struct cli_env *env)
{
	static const char *const valued[] = { "--repo", "--expires", "--reason",
	    "--from-scan" };
	const char *v, *given[4] = { NULL, NULL, NULL, NULL };
	char msg[300];
	size_t k;
	int i, rc;

	memset(o, 0, sizeof(*o));
	for (i = 2; i < argc; i++) {
		for (k = 0, v = NULL; v == NULL && k < 4; k++)
			v = cli_opt_value(argc, argv, &i, valued[k]);
		if (v != NULL) {
			given[k - 1] = v;
			continue;
		}
		if (argv[i][0] == '-' || o->target != NULL) {
			snprintf(msg, sizeof(msg), "exceptions add: %s \"%s\"",
			    argv[i][0] == '-' ? "unknown option or missing "
			    "value" : "unexpected argument", argv[i]);
			return cli_usage_error(env, cli_exceptions_usage, msg);
		}
		rc = exc_target(argv[i], o, env);
		if (rc != 0)
			return rc;
	}
	if (given[3] != NULL && o->target != NULL)
		return cli_usage_error(env, cli_exceptions_usage,
		    "exceptions add: give an id or --from-scan, not both");
	if (given[3] != NULL && !cli_valid_digest(given[3])) {
		snprintf(msg, sizeof(msg), "exceptions add: --from-scan "
		    "\"%.100s\" is not a digest (sha256: and 64 hex digits)",
		    given[3]);
		return cli_usage_error(env, cli_exceptions_usage, msg);
	}
	o->from_scan = given[3];
	if (o->target == NULL && o->from_scan == NULL)
		return cli_usage_error(env, cli_exceptions_usage,
		    "exceptions add: missing <CVE-id|pkg:NAME> or --from-scan "
		    "DIGEST");
	for (k = 0; k < 3; k++) {
		if (given[k] == NULL || *given[k] == '\0') {
			snprintf(msg, sizeof(msg), "exceptions add: %s is "
			    "required", valued[k]);
			return cli_usage_error(env, cli_exceptions_usage, msg);
		}
		rc = exc_option(valued[k], given[k], o, env);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * The policy's exception_limits: an exception past them is refused with
 * the reason, before anything is written.  A policy that does not load
 * refuses too: limits that cannot be read cannot be checked.
 */
static int
exc_limits(const struct exc_opts *o, const struct cli_env *env)
{
	struct policy *p = NULL;
	struct rw_diags d;
	char msg[1024], line[600], when[32];
	const char *base;
	int max_days, single;
	int64_t days;
	size_t i;

	if (env->policy_path == NULL)
		return 0;
	memset(&d, 0, sizeof(d));
	if (policy_load(env->policy_path, &p, &d) != RW_OK) {
		for (i = 0; i < d.n; i++)
			fprintf(env->err, "%s\n", rw_err_str(&d.e[i], line,
			    sizeof(line)));
		cli_fail(env, "exceptions add: the policy does not load, so "
		    "its exception_limits cannot be checked; fix it first");
		return CLI_EXIT_FAIL;
	}
	policy_exception_limits(p, &max_days, &single);
	policy_free(p);
	base = strrchr(env->policy_path, '/');
	base = base != NULL ? base + 1 : env->policy_path;
	days = (o->expires - env->now + 86399) / 86400;
	msg[0] = '\0';
	if (max_days > 0 && o->expires - env->now > (int64_t)max_days * 86400) {
		cli_rfc3339(o->expires, when);
		snprintf(msg, sizeof(msg), "exceptions add: refused by the "
		    "exception_limits of %s: an exception lasts at most %d "
		    "day%s (\"max_days\": %d), and --expires %s is %lld days "
		    "away", base, max_days, max_days == 1 ? "" : "s",
		    max_days, when, (long long)days);
	} else if (single && strpbrk(o->glob, "*?[") != NULL) {
		snprintf(msg, sizeof(msg), "exceptions add: refused by the "
		    "exception_limits of %s: an exception names one "
		    "repository (\"repo_scope\": \"single\"), and --repo "
		    "\"%.300s\" is a pattern; name the repository, e.g. "
		    "docker.io/library/nginx", base, o->glob);
	}
	if (msg[0] == '\0')
		return 0;
	cli_fail(env, msg);
	return CLI_EXIT_FAIL;
}

static int	exc_add_one(struct db *db, const struct exc_opts *o,
		    const struct cli_env *env);

/* Whether finding I of V repeats an id listed before it. */
static int
seen_before(const struct db_scan_view *v, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (strcmp(v->findings[j].id, v->findings[i].id) == 0)
			return 1;
	return 0;
}

/*
 * --from-scan DIGEST: one exception per vulnerability id of the image's
 * current scan (the newest naming DIGEST), as a refusal listing several
 * suggests.  Each is its own row, so each can be removed alone.
 */
static int
exc_add_from_scan(struct db *db, struct exc_opts *o,
    const struct cli_env *env)
{
	struct db_scan_view v;
	struct rw_err err;
	const char *dg = o->from_scan;
	size_t i, n = 0;
	int rc = 0;

	rw_err_clear(&err);
	memset(&v, 0, sizeof(v));
	rc = db_scan_latest(db, &dg, 1, &v, &err);
	if (rc == RW_ENOTFOUND) {
		fprintf(env->err, "regwarden: exceptions add: no scan names "
		    "%s; import its report first (regwarden scans import)\n",
		    dg);
		return CLI_EXIT_FAIL;
	}
	if (rc != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	for (i = 0, rc = 0; rc == 0 && i < v.nfindings; i++) {
		if (!valid_id(v.findings[i].id) || seen_before(&v, i))
			continue;
		o->vuln_id = v.findings[i].id;
		o->pkg = NULL;
		rc = exc_add_one(db, o, env);
		n++;
	}
	if (rc == 0 && n == 0)
		fprintf(env->out, "no findings in the scan of %s: nothing to "
		    "except\n", dg);
	db_scan_view_cleanup(&v);
	return rc;
}

static int
exc_add_one(struct db *db, const struct exc_opts *o,
    const struct cli_env *env)
{
	struct rw_err err;
	char until[32];
	int64_t id;

	rw_err_clear(&err);
	if (db_exception_add(db, o->vuln_id, o->pkg, o->glob, o->expires,
	    o->reason, env->user, env->now, &id, &err) != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	cli_rfc3339(o->expires, until);
	fprintf(env->out, "added exception %lld: %s%s in %s until %s\n",
	    (long long)id, o->pkg != NULL ? "package " : "", o->pkg != NULL ?
	    o->pkg : o->vuln_id, o->glob, until);
	return 0;
}

static int
exc_rm(struct db *db, const char *arg, const struct cli_env *env)
{
	struct rw_err err;
	int64_t id;
	int rc;

	rw_err_clear(&err);
	(void)rw_parse_i64(arg, 1, INT64_MAX, &id);
	rc = db_exception_rm(db, id, &err);
	if (rc == RW_ENOTFOUND) {
		fprintf(env->err, "regwarden: exception %lld does not exist\n",
		    (long long)id);
		return CLI_EXIT_FAIL;
	}
	if (rc != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	fprintf(env->out, "removed exception %lld\n", (long long)id);
	return 0;
}

struct exc_ctx {
	const struct cli_env	*env;
	int			 json;
	struct cli_table	 t;
	size_t			 n;
};

static int
exc_json(FILE *fp, const struct db_exception *e, int64_t now)
{
	json_t *o = json_object();
	char expires[32], added[32];
	int ok = o != NULL;

	cli_rfc3339(e->expires, expires);
	cli_rfc3339(e->added_at, added);
	ok = ok && json_object_set_new(o, "id", json_integer(e->id)) == 0;
	ok = ok && json_object_set_new(o, "vuln_id", e->vuln_id != NULL ?
	    cli_jstr(e->vuln_id) : json_null()) == 0;
	ok = ok && json_object_set_new(o, "pkg", e->pkg != NULL ?
	    cli_jstr(e->pkg) : json_null()) == 0;
	ok = ok && json_object_set_new(o, "repo", cli_jstr(e->repo_glob)) == 0;
	ok = ok && json_object_set_new(o, "expires", cli_jstr(expires)) == 0;
	ok = ok && json_object_set_new(o, "expired",
	    json_boolean(e->expires <= now)) == 0;
	ok = ok && json_object_set_new(o, "reason", cli_jstr(e->reason)) == 0;
	ok = ok && json_object_set_new(o, "added_by", cli_jstr(e->added_by)) == 0;
	ok = ok && json_object_set_new(o, "added_at", cli_jstr(added)) == 0;
	ok = ok && json_object_set_new(o, "source", cli_jstr(e->source)) == 0;
	return cli_print_json(fp, o, ok);
}

static int
exc_row(const struct db_exception *e, void *arg)
{
	struct exc_ctx *c = arg;
	char id[24], at[32], added[32], expires[48];
	const char *row[8];

	c->n++;
	if (c->json)
		return exc_json(c->env->out, e, c->env->now);
	snprintf(id, sizeof(id), "%lld", (long long)e->id);
	cli_rfc3339(e->expires, at);
	cli_rfc3339(e->added_at, added);
	/* Applies while now < expires: at that second it is over. */
	snprintf(expires, sizeof(expires), "%s%s", e->expires <= c->env->now ?
	    "expired " : "", at);
	row[0] = id;
	row[1] = e->vuln_id;
	row[2] = e->pkg;
	row[3] = e->repo_glob;
	row[4] = expires;
	row[5] = e->added_by;
	row[6] = added;
	row[7] = e->reason;
	return cli_table_add(&c->t, row);
}

static int
exc_ls(struct db *db, int json, const struct cli_env *env)
{
	static const char *const head[] = { "ID", "VULNERABILITY", "PACKAGE",
	    "REPOSITORY", "EXPIRES", "ADDED BY", "ADDED AT", "REASON" };
	struct exc_ctx c;
	struct rw_err err;
	int rc;

	memset(&c, 0, sizeof(c));
	c.env = env;
	c.json = json;
	c.t.ncols = 8;
	rw_err_clear(&err);
	rc = cli_table_add(&c.t, head);
	if (rc == RW_OK)
		rc = db_exception_list(db, exc_row, &c, &err);
	return cli_table_end(&c.t, rc, c.n, json, "exceptions", &err, env);
}

/* Check the words of an exceptions command before touching the database. */
static int
exc_args(int argc, char **argv, struct exc_opts *o, int *json,
    const struct cli_env *env)
{
	char msg[300];
	int64_t id;

	*json = 0;
	if (argc < 2)
		return cli_usage_error(env, cli_exceptions_usage,
		    "exceptions: missing command");
	if (strcmp(argv[1], "add") == 0)
		return exc_add_args(argc, argv, o, env);
	if (strcmp(argv[1], "ls") == 0 && argc == 2)
		return 0;
	if (strcmp(argv[1], "ls") == 0 && argc == 3 &&
	    strcmp(argv[2], "--json") == 0) {
		*json = 1;
		return 0;
	}
	if (strcmp(argv[1], "rm") == 0 && argc == 3) {
		if (rw_parse_i64(argv[2], 1, INT64_MAX, &id) == RW_OK)
			return 0;
		snprintf(msg, sizeof(msg), "invalid exception id \"%.100s\": "
		    "expected a number from `exceptions ls`", argv[2]);
	} else if (strcmp(argv[1], "ls") == 0) {
		snprintf(msg, sizeof(msg), "exceptions ls: unknown option "
		    "\"%s\"", argv[argc - 1]);
	} else if (strcmp(argv[1], "rm") == 0) {
		snprintf(msg, sizeof(msg), "exceptions rm: wrong number of "
		    "arguments");
	} else {
		snprintf(msg, sizeof(msg), "exceptions: unknown command \"%s\"",
		    argv[1]);
	}
	return cli_usage_error(env, cli_exceptions_usage, msg);
}

int
cli_exceptions(int argc, char **argv, const char *state_dir,
    const struct cli_env *env)
{
	struct exc_opts o;
	struct cli_env def;
	struct db *db;
	int rc, json;

	if (env == NULL) {
		cli_env_default(&def);
		env = &def;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		fputs(cli_exceptions_usage, env->out);
		return cli_finish(env, 0);
	}
	rc = exc_args(argc, argv, &o, &json, env);
	if (rc == 0 && strcmp(argv[1], "add") == 0)
		rc = exc_limits(&o, env);
	if (rc == 0)
		rc = cli_open_db(state_dir, env, &db);
	if (rc != 0)
		return rc;
	if (strcmp(argv[1], "add") == 0 && o.from_scan != NULL)
		rc = exc_add_from_scan(db, &o, env);
	else if (strcmp(argv[1], "add") == 0)
		rc = exc_add_one(db, &o, env);
	else if (strcmp(argv[1], "rm") == 0)
		rc = exc_rm(db, argv[2], env);
	else
		rc = exc_ls(db, json, env);
	db_close(db);
	return cli_finish(env, rc);
}
