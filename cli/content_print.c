/* content_print.c - `regwarden content`: an image's indexed files, findings and packages. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/explain.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli/explain_int.h"
#include "content/content.h"
#include "server/facts_content.h"

static const char *
type_word(int t)
{
	static const char *const w[] = { "file", "dir", "symlink", "hardlink",
		"other", "whiteout", "opaque" };

	return t >= 0 && t <= CONTENT_OPAQUE ? w[t] : "other";
}

/* S as printable ASCII (others \xNN): paths come from the image. */
static void
put_safe_s(FILE *fp, const char *s)
{
	char buf[4096 * 4 + 16];
	struct rw_sb sb;

	rw_sb_init(&sb, buf, sizeof(buf));
	rw_sb_safe(&sb, s, 4096);
	rw_sb_finish(&sb);
	fputs(buf, fp);
}

static int
print_text(FILE *out, const char *ref, const char *digest,
    const struct facts_content *fc)
{
	const struct policy_content *pc = &fc->pc;
	const struct content_file *f;
	size_t i;

	fprintf(out, "%s@%s: %zu layers, %llu bytes unpacked\n", ref, digest,
	    pc->nlayers, (unsigned long long)pc->uncompressed_bytes);
	if (pc->refusal != NULL) {
		fprintf(out, "layer %zu could not be inspected: ",
		    pc->refused_layer + 1);
		put_safe_s(out, pc->refusal);
		fputc('\n', out);
		return 0;
	}
	fprintf(out, "findings (%zu):\n", pc->nsecrets);
	for (i = 0; i < pc->nsecrets; i++) {
		fprintf(out, "  layer %zu: ", pc->secrets[i].layer + 1);
		put_safe_s(out, pc->secrets[i].path);
		fprintf(out, " (%s)%s\n", pc->secrets[i].what,
		    pc->secrets[i].deleted ? ", deleted by a later layer" : "");
	}
	fprintf(out, "packages (%zu):\n", pc->npackages);
	for (i = 0; i < pc->npackages; i++) {
		fputs("  ", out);
		put_safe_s(out, pc->packages[i].name);
		fputc(' ', out);
		put_safe_s(out, pc->packages[i].version);
		fputc('\n', out);
	}
	for (i = 0; i < pc->npkgdb_unread; i++) {
		fputs("  (not read: ", out);
		put_safe_s(out, pc->pkgdb_unread[i]);
		fputs(")\n", out);
	}
	fprintf(out, "files (%zu):\n", fc->fs->nfiles);
	for (i = 0; i < fc->fs->nfiles; i++) {
		f = &fc->fs->files[i];
		fprintf(out, "  %-8s %04o %5lld:%-5lld %10lld layer %zu ",
		    type_word(f->e->type), (unsigned)f->e->mode,
		    (long long)f->e->uid, (long long)f->e->gid,
		    (long long)f->e->size, f->layer + 1);
		put_safe_s(out, f->e->path);
		if (f->e->link != NULL) {
			fputs(" -> ", out);
			put_safe_s(out, f->e->link);
		}
		fputc('\n', out);
	}
	return 0;
}

static json_t *
to_json(const char *ref, const char *digest, const struct facts_content *fc)
{
	const struct policy_content *pc = &fc->pc;
	const struct content_file *f;
	json_t *o, *a, *e;
	size_t i;

	o = json_pack("{s:s,s:s,s:I,s:I}", "image", ref, "digest", digest,
	    "layers", (json_int_t)pc->nlayers, "uncompressed_bytes",
	    (json_int_t)pc->uncompressed_bytes);
	if (o == NULL)
		return NULL;
	if (pc->refusal != NULL) {
		json_object_set_new(o, "refused", json_pack("{s:I,s:s}",
		    "layer", (json_int_t)pc->refused_layer + 1, "why",
		    pc->refusal));
		return o;
	}
	a = json_array();
	for (i = 0; a != NULL && i < pc->nsecrets; i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:b}",
		    "layer", (json_int_t)pc->secrets[i].layer + 1, "path",
		    pc->secrets[i].path, "what", pc->secrets[i].what,
		    "deleted", pc->secrets[i].deleted));
	json_object_set_new(o, "findings", a);
	a = json_array();
	for (i = 0; a != NULL && i < pc->npackages; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "name",
		    pc->packages[i].name, "version", pc->packages[i].version));
	json_object_set_new(o, "packages", a);
	a = json_array();
	for (i = 0; a != NULL && i < fc->fs->nfiles; i++) {
		f = &fc->fs->files[i];
		e = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "path",
		    f->e->path, "type", type_word(f->e->type), "mode",
		    (json_int_t)f->e->mode, "uid", (json_int_t)f->e->uid, "gid",
		    (json_int_t)f->e->gid, "size", (json_int_t)f->e->size,
		    "layer", (json_int_t)f->layer + 1);
		if (e != NULL && f->e->link != NULL)
			json_object_set_new(e, "link", json_string(f->e->link));
		/* A name that is not UTF-8 cannot be JSON: refuse, not drop. */
		if (e == NULL || json_array_append_new(a, e) != 0) {
			json_decref(a);
			json_decref(o);
			return NULL;
		}
	}
	json_object_set_new(o, "files", a);
	return o;
}

int
explain_print_content(FILE *out, const char *ref, const char *digest,
    const struct facts_content *fc, int json)
{
	json_t *o;
	int rc;

	if (!json)
		return print_text(out, ref, digest, fc);
	if ((o = to_json(ref, digest, fc)) == NULL)
		return -1;
	rc = json_dumpf(o, out, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (rc == 0)
		fputc('\n', out);
	return rc;
}
