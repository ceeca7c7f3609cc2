/* cli.c - `regwarden pins` and `regwarden audit`, shared CLI helpers, dispatch. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cli.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "db/db.h"
#include "cli/cli_int.h"
#include "server/config.h"
#include "util/util.h"

#define NAME_MAX_LEN	255	/* host/repo, as docker limits it */
#define TAG_MAX_LEN	128

const char cli_pins_usage[] =
    "usage: regwarden pins [-c config.json] add <host/repo:tag> "
    "<sha256:digest>\n"
    "       regwarden pins [-c config.json] rm <host/repo:tag>\n"
    "       regwarden pins [-c config.json] ls [--json]\n";

const char cli_audit_usage[] =
    "usage: regwarden audit [-c config.json] [--denied] [--since DURATION] "
    "[--repo GLOB] [--json] [--limit N]\n"
    "       DURATION is a number and a unit: 30s, 15m, 2h, 7d\n";

/* ------------------------------------------------------------- the env */

void
cli_env_default(struct cli_env *env)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw;

	memset(env, 0, sizeof(*env));
	env->out = stdout;
	env->err = stderr;
	env->now = (int64_t)time(NULL);
	/* The admin behind sudo is who pinned, not root. */
	if (getuid() == 0 && sudo != NULL && *sudo != '\0') {
		rw_strlcpy(env->userbuf, sudo, sizeof(env->userbuf));
	} else {
		pw = getpwuid(getuid());
		if (pw != NULL && pw->pw_name != NULL)
			rw_strlcpy(env->userbuf, pw->pw_name,
			    sizeof(env->userbuf));
		else
			snprintf(env->userbuf, sizeof(env->userbuf), "uid %u",
			    (unsigned)getuid());
	}
	env->user = env->userbuf;
}

void
cli_fail(const struct cli_env *env, const char *msg)
{
	fprintf(env->err, "regwarden: %s\n", msg);
}

int
cli_usage_error(const struct cli_env *env, const char *usage, const char *msg)
{
	if (msg != NULL)
		cli_fail(env, msg);
	fputs(usage, env->err);
	return CLI_EXIT_USAGE;
}

/* Output that went nowhere (a closed pipe, a full disk) is a failure. */
int
cli_finish(const struct cli_env *env, int status)
{
	if (fflush(env->out) != 0 || ferror(env->out)) {
		fprintf(env->err, "regwarden: cannot write output: %s\n",
		    strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return status;
}

/* ------------------------------------------------------- table and time */

void
cli_rfc3339(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		rw_strlcpy(buf, "-", 32);
}

void
cli_table_free(struct cli_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

/* Copy ROW (NCOLS cells; NULL or "" shows as "-") into T. */
int
cli_table_add(struct cli_table *t, const char *const *row)
{
	char **nc, *cell;
	size_t i, na;
	unsigned char *p;

	if (t->nrows == t->alloc) {
		na = t->alloc > 0 ? t->alloc * 2 : 16;
		nc = realloc(t->cells, na * t->ncols * sizeof(*nc));
		if (nc == NULL)
			return RW_ENOMEM;
		t->cells = nc;
		t->alloc = na;
	}
	for (i = 0; i < t->ncols; i++) {
		cell = strdup(row[i] != NULL && *row[i] != '\0' ? row[i] : "-");
		if (cell == NULL) {
			while (i-- > 0)
				free(t->cells[t->nrows * t->ncols + i]);
			return RW_ENOMEM;
		}
		for (p = (unsigned char *)cell; *p != '\0'; p++) {
			if (*p < 0x20 || *p == 0x7f)
				*p = '?';
		}
		t->cells[t->nrows * t->ncols + i] = cell;
		if (strlen(cell) > t->width[i])
			t->width[i] = strlen(cell);
	}
	t->nrows++;
	return RW_OK;
}

int
cli_table_end(struct cli_table *t, int rc, size_t n, int json,
    const char *what, const struct rw_err *err, const struct cli_env *env)
{
	if (rc == RW_OK && !json && n == 0)
		fprintf(env->out, "no %s\n", what);
	else if (rc == RW_OK && !json)
		cli_table_print(t, env->out);
	cli_table_free(t);
	if (rc == RW_OK)
		return 0;
	cli_fail(env, err->msg[0] != '\0' ? err->msg : rw_strerror(rc));
	return CLI_EXIT_FAIL;
}

void
cli_table_print(const struct cli_table *t, FILE *fp)
{
	const char *cell;
	size_t r, c;

	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			cell = t->cells[r * t->ncols + c];
			if (c + 1 < t->ncols)
				fprintf(fp, "%-*s  ", (int)t->width[c], cell);
			else
				fprintf(fp, "%s\n", cell);
		}
	}
}

/* ------------------------------------------------------------------ JSON */

/* A JSON string; bytes that are not UTF-8 become '?' rather than failing. */
json_t *
cli_jstr(const char *s)
{
	json_t *j = json_string(s);
	unsigned char *copy, *p;

	if (j != NULL)
		return j;
	copy = (unsigned char *)strdup(s);
	if (copy == NULL)
		return NULL;
	for (p = copy; *p != '\0'; p++) {
		if (*p >= 0x80)
			*p = '?';
	}
	j = json_string((char *)copy);
	free(copy);
	return j;
}

/* Print O as one line and release it; RW_ENOMEM if it could not be built. */
int
cli_print_json(FILE *fp, json_t *o, int ok)
{
	char *line = NULL;

	if (ok)
		line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (line == NULL)
		return RW_ENOMEM;
	fprintf(fp, "%s\n", line);
	free(line);
	return RW_OK;
}

/* ------------------------------------------------------ image references */

int
cli_valid_digest(const char *s)
{
	size_t i;

	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
		return 0;
	for (i = 7; i < 7 + 64; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

static int
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One repository path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static int
valid_component(const char *s, size_t n)
{
	size_t i = 0, start;

	for (;;) {
		start = i;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return 0;
		if (i == n)
			return 1;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i += i + 1 < n && s[i + 1] == '_' ? 2 : 1;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return 0;
		}
	}
}

static int
valid_repo(const char *repo)
{
	const char *p = repo, *slash;

	for (;;) {
		slash = strchr(p, '/');
		if (!valid_component(p, slash != NULL ? (size_t)(slash - p) :
		    strlen(p)))
			return 0;
		if (slash == NULL)
			return 1;
		p = slash + 1;
	}
}

static int
valid_tag(const char *tag)
{
	size_t i, n = strlen(tag);

	if (n == 0 || n > TAG_MAX_LEN || tag[0] == '.' || tag[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (!((tag[i] >= 'a' && tag[i] <= 'z') ||
		    (tag[i] >= 'A' && tag[i] <= 'Z') ||
		    (tag[i] >= '0' && tag[i] <= '9') || tag[i] == '_' ||
		    tag[i] == '.' || tag[i] == '-'))
			return 0;
	}
	return 1;
}

/* name[:port] with name letters, digits, '.', '-'; or [v6][:port]. */
static int
valid_host(const char *host)
{
	const char *p = host, *end;
	int64_t port;

	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL || end == p + 1 ||
		    strspn(p + 1, "0123456789abcdef:.") != (size_t)(end - p - 1))
			return 0;
		p = end + 1;
	} else {
		p += strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789.-");
		if (p == host || *host == '.' || *host == '-')
			return 0;
	}
	if (*p == '\0')
		return 1;
	return *p == ':' && rw_parse_i64(p + 1, 1, 65535, &port) == RW_OK &&
	    p[1] != '-';
}

/* Split NAME (no tag, no digest) into host and repo, docker's way. */
static int
split_name(const char *ref, const char *name, struct cli_image *out,
    struct rw_err *err)
{
	const char *slash = strchr(name, '/'), *path = name, *prefix = "";
	char host[NAME_MAX_LEN + 1];
	size_t hl, i;

	rw_strlcpy(host, "docker.io", sizeof(host));
	hl = slash != NULL ? (size_t)(slash - name) : 0;
	if (slash != NULL && (memchr(name, '.', hl) != NULL ||
	    memchr(name, ':', hl) != NULL ||
	    (hl == 9 && strncmp(name, "localhost", 9) == 0))) {
		memcpy(host, name, hl);
		host[hl] = '\0';
		for (i = 0; i < hl; i++) {
			if (host[i] >= 'A' && host[i] <= 'Z')
				host[i] = (char)(host[i] - 'A' + 'a');
		}
		path = slash + 1;
	}
	if (!valid_host(host))
		return rw_err_set(err, RW_EINVAL, "invalid registry host \"%s\" "
		    "in \"%s\"", host, ref);
	if (strcmp(host, "index.docker.io") == 0)
		rw_strlcpy(host, "docker.io", sizeof(host));
	if (!valid_repo(path))
		return rw_err_set(err, RW_EINVAL, "invalid repository \"%s\" in "
		    "\"%s\": each path component is lowercase letters and "
		    "digits, joined by '.', '_', '__' or '-'", path, ref);
	if (strcmp(host, "docker.io") == 0 && strchr(path, '/') == NULL)
		prefix = "library/";
	if (strlen(host) + 1 + strlen(prefix) + strlen(path) > NAME_MAX_LEN)
		return rw_err_set(err, RW_EINVAL, "image name in \"%s\" is longer "
		    "than %d characters", ref, NAME_MAX_LEN);
	rw_strlcpy(out->host, host, sizeof(out->host));
	rw_strlcpy(out->repo, prefix, sizeof(out->repo));
	rw_strlcpy(out->repo + strlen(prefix), path,
	    sizeof(out->repo) - strlen(prefix));
	return RW_OK;
}

int
cli_parse_image(const char *ref, struct cli_image *out, struct rw_err *err)
{
	char name[NAME_MAX_LEN + 1];
	const char *at, *colon, *slash;
	size_t nl, tl;

	memset(out, 0, sizeof(*out));
	if (*ref == '\0')
		return rw_err_set(err, RW_EINVAL, "invalid image reference \"\": "
		    "it is empty");
	at = strchr(ref, '@');
	if (at != NULL && !cli_valid_digest(at + 1))
		return rw_err_set(err, RW_EINVAL, "invalid digest \"%s\" in "
		    "\"%s\": expected \"sha256:\" and 64 lowercase hex digits",
		    at + 1, ref);
	nl = at != NULL ? (size_t)(at - ref) : strlen(ref);
	if (nl > NAME_MAX_LEN + 1 + TAG_MAX_LEN)
		return rw_err_set(err, RW_EINVAL, "image name in \"%.40s...\" is "
		    "longer than %d characters", ref, NAME_MAX_LEN);
	/* The tag follows the last ':' after the last '/'. */
	slash = memrchr(ref, '/', nl);
	colon = memrchr(slash != NULL ? slash : ref, ':',
	    nl - (size_t)(slash != NULL ? slash - ref : 0));
	if (colon != NULL) {
		tl = (size_t)(ref + nl - colon - 1);
		if (tl <= TAG_MAX_LEN) {
			memcpy(out->tag, colon + 1, tl);
			out->tag[tl] = '\0';
		}
		if (tl > TAG_MAX_LEN || !valid_tag(out->tag))
			return rw_err_set(err, RW_EINVAL, "invalid tag \"%.*s\" in "
			    "\"%s\": a tag is up to %d letters, digits, '_', '.' "
			    "and '-', not starting with '.' or '-'", (int)tl,
			    colon + 1, ref, TAG_MAX_LEN);
		nl = (size_t)(colon - ref);
	}
	if (nl > NAME_MAX_LEN)
		return rw_err_set(err, RW_EINVAL, "image name in \"%s\" is longer "
		    "than %d characters", ref, NAME_MAX_LEN);
	memcpy(name, ref, nl);
	name[nl] = '\0';
	if (at != NULL)
		rw_strlcpy(out->digest, at + 1, sizeof(out->digest));
	return split_name(ref, name, out, err);
}

int
cli_parse_duration(const char *s, int64_t *secs)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[24];
	size_t n = strlen(s), i;
	int64_t v;

	if (n < 2 || n - 1 >= sizeof(num) || s[0] < '0' || s[0] > '9')
		return RW_EINVAL;
	memcpy(num, s, n - 1);
	num[n - 1] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (s[n - 1] != units[i].unit)
			continue;
		if (rw_parse_i64(num, 1, INT64_MAX / units[i].secs, &v) != RW_OK)
			return RW_EINVAL;
		*secs = v * units[i].secs;
		return RW_OK;
	}
	return RW_EINVAL;
}

/* ------------------------------------------------------------ the store */

int
cli_open_db(const char *state_dir, const struct cli_env *env, struct db **db)
{
	const char *why = NULL;
	char path[4096];
	struct rw_err err;
	struct stat sb;

	*db = NULL;
	if (env->cfg != NULL && env->cfg->db_url != NULL) {
		rw_err_clear(&err);
		if (config_open_db(env->cfg, 0, db, &err) != RW_OK) {
			cli_fail(env, err.msg);
			return CLI_EXIT_FAIL;
		}
		return 0;
	}
	/* Say which directory, rather than SQLite's "unable to open". */
	if (stat(state_dir, &sb) != 0)
		why = strerror(errno);
	else if (!S_ISDIR(sb.st_mode))
		why = "not a directory";
	if (why != NULL) {
		fprintf(env->err, "regwarden: cannot use state_dir %s: %s\n",
		    state_dir, why);
		return CLI_EXIT_FAIL;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/regwarden.db", state_dir) >=
	    sizeof(path)) {
		fprintf(env->err, "regwarden: state_dir path is too long\n");
		return CLI_EXIT_FAIL;
	}
	rw_err_clear(&err);
	if (db_open(path, db, &err) != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	return 0;
}

/* ------------------------------------------------------------------ pins */

/* REF must name a tag and no digest: that is what a pin maps. */
static int
parse_pin_ref(const struct cli_env *env, const char *ref,
    struct cli_image *img)
{
	struct rw_err err;
	char msg[600];

	rw_err_clear(&err);
	if (cli_parse_image(ref, img, &err) != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_USAGE;
	}
	if (img->digest[0] != '\0' || img->tag[0] == '\0') {
		snprintf(msg, sizeof(msg), "\"%s\" %s; a pin maps a tag: use "
		    "host/repo:tag", ref, img->digest[0] != '\0' ?
		    "names a digest" : "has no tag");
		cli_fail(env, msg);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int
pins_add(struct db *db, const char *ref, const char *digest,
    const struct cli_env *env)
{
	char old[RW_DIGEST_MAX], msg[300];
	struct cli_image img;
	struct rw_err err;
	int rc;

	rc = parse_pin_ref(env, ref, &img);
	if (rc != 0)
		return rc;
	if (!cli_valid_digest(digest)) {
		snprintf(msg, sizeof(msg), "invalid digest \"%s\": expected "
		    "\"sha256:\" and 64 lowercase hex digits", digest);
		cli_fail(env, msg);
		return CLI_EXIT_USAGE;
	}
	rw_err_clear(&err);
	rc = db_pin_get(db, img.host, img.repo, img.tag, old, sizeof(old), &err);
	if (rc == RW_ENOTFOUND)
		old[0] = '\0';
	if (rc == RW_OK || rc == RW_ENOTFOUND)
		rc = db_pin_set(db, img.host, img.repo, img.tag, digest,
		    env->user, "cli", env->now, &err);
	if (rc != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	fprintf(env->out, "pinned %s/%s:%s to %s", img.host, img.repo, img.tag,
	    digest);
	if (old[0] != '\0' && strcmp(old, digest) != 0)
		fprintf(env->out, " (was %s)", old);
	fputc('\n', env->out);
	return 0;
}

static int
pins_rm(struct db *db, const char *ref, const struct cli_env *env)
{
	struct cli_image img;
	struct rw_err err;
	int rc;

	rc = parse_pin_ref(env, ref, &img);
	if (rc != 0)
		return rc;
	rw_err_clear(&err);
	rc = db_pin_rm(db, img.host, img.repo, img.tag, &err);
	if (rc == RW_ENOTFOUND) {
		fprintf(env->err, "regwarden: %s/%s:%s is not pinned\n",
		    img.host, img.repo, img.tag);
		return CLI_EXIT_FAIL;
	}
	if (rc != RW_OK) {
		cli_fail(env, err.msg);
		return CLI_EXIT_FAIL;
	}
	fprintf(env->out, "unpinned %s/%s:%s\n", img.host, img.repo, img.tag);
	return 0;
}

struct ls_ctx {
	const struct cli_env	*env;
	int			 json;
	struct cli_table		 t;
	size_t			 n;
};

static int
pin_json(FILE *fp, const struct db_pin *p, const char *image,
    const char *at)
{
	json_t *o = json_object();
	int ok = o != NULL;

	ok = ok && json_object_set_new(o, "image", cli_jstr(image)) == 0;
	ok = ok && json_object_set_new(o, "host", cli_jstr(p->host)) == 0;
	ok = ok && json_object_set_new(o, "repo", cli_jstr(p->repo)) == 0;
	ok = ok && json_object_set_new(o, "tag", cli_jstr(p->tag)) == 0;
	ok = ok && json_object_set_new(o, "digest", cli_jstr(p->digest)) == 0;
	ok = ok && json_object_set_new(o, "source", cli_jstr(p->source)) == 0;
	ok = ok && json_object_set_new(o, "pinned_by", cli_jstr(p->pinned_by)) == 0;
	ok = ok && json_object_set_new(o, "pinned_at", cli_jstr(at)) == 0;
	return cli_print_json(fp, o, ok);
}

static int
pin_row(const struct db_pin *p, void *arg)
{
	struct ls_ctx *c = arg;
	char image[sizeof(struct cli_image)], at[32];
	const char *row[5];

	snprintf(image, sizeof(image), "%s/%s:%s", p->host, p->repo, p->tag);
	cli_rfc3339(p->pinned_at, at);
	c->n++;
	if (c->json)
		return pin_json(c->env->out, p, image, at);
	row[0] = image;
	row[1] = p->digest;
	row[2] = p->source;
	row[3] = p->pinned_by;
	row[4] = at;
	return cli_table_add(&c->t, row);
}

static int
pins_ls(struct db *db, int json, const struct cli_env *env)
{
	static const char *const head[] = { "IMAGE", "DIGEST", "SOURCE",
	    "PINNED BY", "PINNED AT" };
	struct ls_ctx c;
	struct rw_err err;
	int rc;

	memset(&c, 0, sizeof(c));
	c.env = env;
	c.json = json;
	c.t.ncols = 5;
	rw_err_clear(&err);
	rc = cli_table_add(&c.t, head);
	if (rc == RW_OK)
		rc = db_pin_list(db, pin_row, &c, &err);
	return cli_table_end(&c.t, rc, c.n, json, "pins", &err, env);
}

/* Check the words of a pins command before touching the database. */
static int
pins_args(int argc, char **argv, const struct cli_env *env, int *json)
{
	char msg[300];

	*json = 0;
	if (argc < 2)
		return cli_usage_error(env, cli_pins_usage, "pins: missing command");
	if (strcmp(argv[1], "add") == 0 && argc == 4)
		return 0;
	if (strcmp(argv[1], "rm") == 0 && argc == 3)
		return 0;
	if (strcmp(argv[1], "ls") == 0 && argc <= 3) {
		if (argc == 3 && strcmp(argv[2], "--json") != 0) {
			snprintf(msg, sizeof(msg), "pins ls: unknown option "
			    "\"%s\"", argv[2]);
			return cli_usage_error(env, cli_pins_usage, msg);
		}
		*json = argc == 3;
		return 0;
	}
	if (strcmp(argv[1], "add") == 0 || strcmp(argv[1], "rm") == 0 ||
	    strcmp(argv[1], "ls") == 0) {
		snprintf(msg, sizeof(msg), "pins %s: wrong number of "
		    "arguments", argv[1]);
		return cli_usage_error(env, cli_pins_usage, msg);
	}
	snprintf(msg, sizeof(msg), "pins: unknown command \"%s\"", argv[1]);
	return cli_usage_error(env, cli_pins_usage, msg);
}

int
cli_pins(int argc, char **argv, const char *state_dir,
    const struct cli_env *env)
{
	struct cli_env def;
	struct db *db;
	int rc, json;

	if (env == NULL) {
		cli_env_default(&def);
		env = &def;
	}
	if (argc == 2 && (strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(cli_pins_usage, env->out);
		return cli_finish(env, 0);
	}
	rc = pins_args(argc, argv, env, &json);
	if (rc != 0)
		return rc;
	rc = cli_open_db(state_dir, env, &db);
	if (rc != 0)
		return rc;
	if (strcmp(argv[1], "add") == 0)
		rc = pins_add(db, argv[2], argv[3], env);
	else if (strcmp(argv[1], "rm") == 0)
		rc = pins_rm(db, argv[2], env);
	else
		rc = pins_ls(db, json, env);
	db_close(db);
	return cli_finish(env, rc);
}

/* ----------------------------------------------------------------- audit */

struct audit_opts {
	struct db_audit_filter	 f;
	int			 json;
};

/* The value of option ARGV[*I] ("--x v" or "--x=v"), or NULL. */
const char *
cli_opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int
audit_value(const char *opt, const char *v, struct audit_opts *o,
    const struct cli_env *env)
{
	char msg[400];
	int64_t n;

	if (strcmp(opt, "--since") == 0) {
		if (cli_parse_duration(v, &n) != RW_OK) {
			snprintf(msg, sizeof(msg), "invalid duration \"%s\": use "
			    "a number and a unit, e.g. 30s, 15m, 2h or 7d", v);
			return cli_usage_error(env, cli_audit_usage, msg);
		}
		o->f.since = env->now - n;
	} else if (strcmp(opt, "--limit") == 0) {
		if (rw_parse_i64(v, 1, INT32_MAX, &n) != RW_OK) {
			snprintf(msg, sizeof(msg), "invalid limit \"%s\": expected "
			    "a whole number from 1 to %d", v, INT32_MAX);
			return cli_usage_error(env, cli_audit_usage, msg);
		}
		o->f.limit = (size_t)n;
	} else {
		o->f.repo_glob = v;
	}
	return 0;
}

static int
audit_args(int argc, char **argv, struct audit_opts *o,
    const struct cli_env *env)
{
	static const char *const valued[] = { "--since", "--limit", "--repo" };
	const char *v;
	char msg[300];
	size_t k;
	int i, rc;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		v = NULL;
		if (strcmp(argv[i], "--denied") == 0) {
			o->f.denied_only = 1;
			continue;
		}
		if (strcmp(argv[i], "--json") == 0) {
			o->json = 1;
			continue;
		}
		for (k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
			v = cli_opt_value(argc, argv, &i, valued[k]);
			if (v != NULL)
				break;
			if (strcmp(argv[i], valued[k]) == 0) {
				snprintf(msg, sizeof(msg), "audit: option %s "
				    "needs a value", valued[k]);
				return cli_usage_error(env, cli_audit_usage, msg);
			}
		}
		if (v == NULL) {
			snprintf(msg, sizeof(msg), "audit: unknown option "
			    "\"%s\"", argv[i]);
			return cli_usage_error(env, cli_audit_usage, msg);
		}
		rc = audit_value(valued[k], v, o, env);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* "host/repo:tag", "host/repo@sha256:..." or "host/repo". */
static void
audit_image(const struct db_audit_row *r, char *buf, size_t size)
{
	const char *sep = "";

	if (r->reference[0] != '\0')
		sep = rw_hash_alg_of(r->reference) != 0 ? "@" : ":";
	snprintf(buf, size, "%s%s%s%s%s", r->host, r->host[0] != '\0' ? "/" : "",
	    r->repo, sep, r->reference);
}

static int
audit_json(FILE *fp, const struct db_audit_row *r, const char *at)
{
	static const char *const keys[] = { "request_id", "client", "identity",
	    "operation", "upstream", "host", "repo", "reference", "digest",
	    "verdict", "mode", "rule", "rule_file" };
	const char *vals[] = { r->request_id, r->client, r->identity,
	    r->operation, r->upstream, r->host, r->repo, r->reference,
	    r->digest, r->verdict, r->mode, r->rule, r->rule_file };
	json_t *o = json_object(), *reasons;
	int ok = o != NULL;
	size_t i;

	ok = ok && json_object_set_new(o, "id", json_integer(r->id)) == 0;
	ok = ok && json_object_set_new(o, "time", cli_jstr(at)) == 0;
	for (i = 0; ok && i < sizeof(keys) / sizeof(keys[0]); i++)
		ok = json_object_set_new(o, keys[i], cli_jstr(vals[i])) == 0;
	ok = ok && json_object_set_new(o, "rule_line",
	    json_integer(r->rule_line)) == 0;
	/* Embed the reasons as JSON; keep text that does not parse as text. */
	reasons = r->reasons_json[0] == '\0' ? json_array() :
	    json_loads(r->reasons_json, JSON_DECODE_ANY, NULL);
	if (reasons == NULL && r->reasons_json[0] != '\0')
		reasons = cli_jstr(r->reasons_json);
	ok = ok && json_object_set_new(o, "reasons", reasons) == 0;
	ok = ok && json_object_set_new(o, "message", cli_jstr(r->message)) == 0;
	return cli_print_json(fp, o, ok);
}

static int
audit_row(const struct db_audit_row *r, void *arg)
{
	struct ls_ctx *c = arg;
	char at[32], image[600], rule[512];
	const char *row[8], *msg = r->message;

	cli_rfc3339(r->ts, at);
	c->n++;
	if (c->json)
		return audit_json(c->env->out, r, at);
	audit_image(r, image, sizeof(image));
	if (r->rule[0] != '\0' && r->rule_file[0] != '\0')
		snprintf(rule, sizeof(rule), "%s (%s:%d)", r->rule,
		    r->rule_file, r->rule_line);
	else
		rw_strlcpy(rule, r->rule, sizeof(rule));
	if (strncmp(msg, "regwarden: ", 11) == 0)
		msg += 11;
	row[0] = at;
	row[1] = r->verdict;
	row[2] = r->mode;
	row[3] = r->operation;
	row[4] = r->identity[0] != '\0' ? r->identity : r->client;
	row[5] = image;
	row[6] = rule;
	row[7] = msg;
	return cli_table_add(&c->t, row);
}

int
cli_audit(int argc, char **argv, const char *state_dir,
    const struct cli_env *env)
{
	static const char *const head[] = { "TIME", "VERDICT", "MODE", "OP",
	    "CLIENT", "IMAGE", "RULE", "MESSAGE" };
	struct audit_opts o;
	struct cli_env def;
	struct rw_err err;
	struct ls_ctx c;
	struct db *db;
	int rc;

	if (env == NULL) {
		cli_env_default(&def);
		env = &def;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		fputs(cli_audit_usage, env->out);
		return cli_finish(env, 0);
	}
	rc = audit_args(argc, argv, &o, env);
	if (rc == 0)
		rc = cli_open_db(state_dir, env, &db);
	if (rc != 0)
		return rc;
	memset(&c, 0, sizeof(c));
	c.env = env;
	c.json = o.json;
	c.t.ncols = 8;
	rw_err_clear(&err);
	rc = cli_table_add(&c.t, head);
	if (rc == RW_OK)
		rc = db_audit_query(db, &o.f, audit_row, &c, &err);
	rc = cli_table_end(&c.t, rc, c.n, o.json, "audit records", &err, env);
	db_close(db);
	return cli_finish(env, rc);
}

/* ------------------------------------------------------------- dispatch */

static void
print_diags(const struct rw_diags *d, FILE *fp)
{
	char line[600];
	size_t i;

	for (i = 0; i < d->n; i++)
		fprintf(fp, "%s\n", rw_err_str(&d->e[i], line, sizeof(line)));
	if (d->dropped > 0)
		fprintf(fp, "(%zu more errors not shown)\n", d->dropped);
}

typedef int (*cli_cmd_fn)(int, char **, const char *, const struct cli_env *);

static const struct {
	const char	*name;
	cli_cmd_fn	 fn;
	const char	*usage;
} commands[] = {
	{ "pins", cli_pins, cli_pins_usage },
	{ "audit", cli_audit, cli_audit_usage },
	{ "scans", cli_scans, cli_scans_usage },
	{ "exceptions", cli_exceptions, cli_exceptions_usage },
};

int
cli_main_env(int argc, char **argv, const char *config_path,
    const struct cli_env *env)
{
	struct rw_config *cfg = NULL;
	struct rw_diags diags;
	struct cli_env cenv;
	size_t k;
	char **args;
	int rc, skip = 0;

	for (k = 0; argc >= 1 && k < sizeof(commands) / sizeof(commands[0]);
	    k++) {
		if (strcmp(argv[0], commands[k].name) == 0)
			break;
	}
	if (argc < 1 || (k == sizeof(commands) / sizeof(commands[0]) &&
	    strcmp(argv[0], "cache") != 0)) {
		cli_fail(env, "cli: expected \"pins\", \"audit\", \"scans\", "
		    "\"exceptions\" or \"cache\"");
		return CLI_EXIT_USAGE;
	}
	/* Let "-c FILE" sit right after the command word. */
	if (argc >= 2 && (strcmp(argv[1], "-c") == 0 ||
	    strcmp(argv[1], "--config") == 0)) {
		if (argc < 3)
			return cli_usage_error(env, k < sizeof(commands) /
			    sizeof(commands[0]) ? commands[k].usage :
			    cli_cache_usage, "option -c needs a value");
		config_path = argv[2];
		skip = 2;
	} else if (argc >= 2 && strncmp(argv[1], "--config=", 9) == 0) {
		config_path = argv[1] + 9;
		skip = 1;
	}
	memset(&diags, 0, sizeof(diags));
	if (config_load(config_path, &cfg, &diags) != RW_OK) {
		print_diags(&diags, env->err);
		return CLI_EXIT_FAIL;
	}
	/* The command sees its own word, then its arguments, without -c. */
	args = calloc((size_t)(argc - skip) + 1, sizeof(*args));
	if (args == NULL) {
		config_free(cfg);
		cli_fail(env, "out of memory");
		return CLI_EXIT_FAIL;
	}
	args[0] = argv[0];
	memcpy(args + 1, argv + 1 + skip, (size_t)(argc - 1 - skip) *
	    sizeof(*args));
	/* `exceptions add` checks the policy's exception_limits. */
	cenv = *env;
	cenv.cfg = cfg;
	if (cenv.policy_path == NULL)
		cenv.policy_path = cfg->policy_path;
	if (cenv.user == env->userbuf)
		cenv.user = cenv.userbuf;
	/* The cache needs its own keys of the config, not the database. */
	if (k == sizeof(commands) / sizeof(commands[0]))
		rc = cli_cache(argc - skip, args, cfg, &cenv);
	else
		rc = commands[k].fn(argc - skip, args, cfg->state_dir, &cenv);
	free(args);
	config_free(cfg);
	return rc;
}

int
cli_main(int argc, char **argv, const char *config_path)
{
	struct cli_env env;

	cli_env_default(&env);
	return cli_main_env(argc, argv, config_path, &env);
}
