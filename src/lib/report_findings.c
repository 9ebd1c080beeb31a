/* report_findings.c -- the inventory and the per-file warnings of a report:
 * what an agency should fix before it deposits (LFS pointers, pickles that
 * run code, secrets), and what a notary should know about what it holds. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

static const char *file_kind(const struct esc_file *f)
{
	if (f->kind != ESC_KIND_NONE)
		return esc_kind_name(f->kind);
	return esc_kind_from_path(f->path);
}

/* The counts are kept in plain arrays and made JSON once at the end (a
 * million files once cost some six jansson calls each); the keys come in the
 * order the files first show them, as before. */
struct tally {
	const char *kind;
	json_int_t files, bytes;
};

static void add_inventory(escrow_report *r, const struct esc_files *files)
{
	json_t *inv = json_object(), *kinds = json_object(), *formats = json_object();
	struct tally *t = NULL;
	size_t nt = 0, cap = 0, cur = 0, nf = 0, i;
	json_int_t per_fmt[ESC_FMT_COUNT] = {0};
	uint8_t fmt_order[ESC_FMT_COUNT];

	if (inv == NULL || kinds == NULL || formats == NULL) {
		json_decref(inv);
		json_decref(kinds);
		json_decref(formats);
		return;
	}
	for (i = 0; i < files->n; i++) {
		const struct esc_file *f = &files->v[i];
		const char *kind;

		if (f->type == ESC_FT_DIR || (f->type == ESC_FT_SYMLINK && f->link_to_dir))
			continue;
		kind = file_kind(f);
		if (kind == NULL)
			kind = "other";
		if (cur >= nt || strcmp(t[cur].kind, kind) != 0) {
			for (cur = 0; cur < nt && strcmp(t[cur].kind, kind) != 0; cur++)
				;
			if (cur == nt) {
				if (nt == cap) {
					size_t nc = cap ? cap * 2 : 16;
					struct tally *nv = realloc(t, nc * sizeof *nv);

					if (nv == NULL)
						continue;
					t = nv;
					cap = nc;
				}
				t[nt].kind = kind;
				t[nt].files = t[nt].bytes = 0;
				nt++;
			}
		}
		t[cur].files++;
		if (f->type == ESC_FT_FILE)
			t[cur].bytes += (json_int_t)f->size;
		if (f->fnd.detected == ESC_FMT_NONE || f->fnd.detected >= ESC_FMT_COUNT)
			continue;
		if (per_fmt[f->fnd.detected]++ == 0)
			fmt_order[nf++] = f->fnd.detected;
	}
	for (i = 0; i < nt; i++)
		json_object_set_new(kinds, t[i].kind,
		                    json_pack("{s:I,s:I}", "files", t[i].files, "bytes", t[i].bytes));
	for (i = 0; i < nf; i++)
		json_object_set_new(formats, esc_format_name((enum esc_format)fmt_order[i]),
		                    json_integer(per_fmt[fmt_order[i]]));
	free(t);
	json_object_set_new(inv, "kinds", kinds);
	json_object_set_new(inv, "formats", formats);
	json_object_set_new(r->root, "inventory", inv);
}

/* "line 3: AWS access key id" -> 3 and "AWS access key id". */
static unsigned secret_line(const char *s, const char **what)
{
	unsigned long n = 0;
	const char *p = s;

	*what = s;
	if (strncmp(p, "line ", 5) != 0)
		return 0;
	for (p += 5; *p >= '0' && *p <= '9' && n < 100000000ul; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	if (*p != ':')
		return 0;
	p++;
	while (*p == ' ')
		p++;
	*what = p;
	return (unsigned)n;
}

static void warn_secrets(escrow_report *r, const struct esc_file *f, const struct esc_note_view *in, bool sealed)
{
	unsigned i, shown = in->n_lines;

	for (i = 0; i < shown; i++) {
		const char *what;
		unsigned line = secret_line(in->secret[i], &what);
		char where[48] = "";

		if (line > 0)
			snprintf(where, sizeof where, ":%u", line);
		if (sealed)
			esc_report_warn(r, f->path, line, "%s%s: possible secret (%s; value not shown): the deposit "
			                "holds it; rotate it or remove it before packing", f->path, where, what);
		else
			esc_report_warn(r, f->path, line, "%s%s: possible secret (%s; value not shown): this deposit "
			                "is not sealed: anyone holding it can read this secret; rotate it or seal "
			                "with -r", f->path, where, what);
	}
	if (in->n_secrets > shown)
		esc_report_warn(r, f->path, 0, "%s: %u more possible secrets", f->path, in->n_secrets - shown);
}

/* Files whose texts were left out (esc_notes.h) get no warning of their
 * own: one says how many there are and what their flags say. */
struct left_out {
	uint64_t files, secrets, pickles;
};

static void warn_left_out(escrow_report *r, const struct left_out *lo)
{
	bool mib = esc_notes_max >= (1u << 20);

	if (lo->files == 0)
		return;
	esc_report_warn(r, NULL, 0, "details of %llu more file%s with findings were left out (the finding texts "
	                "kept per run are bounded at %zu %s; %llu with possible secrets, %llu unsafe pickles that no "
	                "deliverable reports): the verdict takes them into account", (unsigned long long)lo->files,
	                lo->files == 1 ? "" : "s", mib ? esc_notes_max >> 20 : esc_notes_max >> 10, mib ? "MiB" : "KiB",
	                (unsigned long long)lo->secrets, (unsigned long long)lo->pickles);
}

struct told {
	json_t *dl;          /* the report's deliverables, in the contract's order */
	const char *status;
	bool yes;
};

static int says_it(size_t d, size_t k, void *user)
{
	struct told *t = user;
	const char *st = json_string_value(json_object_get(json_array_get(t->dl, d), "status"));

	(void)k;
	t->yes = st != NULL && strcmp(st, t->status) == 0;
	return t->yes;
}

/* Whether a deliverable holding f says what is wrong with it (status
 * "unsafe" for a pickle, "lfs-pointer" for a pointer). Held only by
 * deliverables that an earlier rule made "missing", the file was named
 * nowhere: check and verify kept quiet about a pickle that runs code, and
 * pack --strict refused the deposit for a file its report did not name. */
static bool told(const escrow_report *r, const escrow_contract *c, const struct esc_file *f, const char *status)
{
	struct told t = {json_object_get(r->root, "deliverables"), status, false};

	if (c == NULL || t.dl == NULL)
		return false;
	esc_contract_each_hold(c, f, says_it, &t);
	return t.yes;
}

void esc_report_findings(escrow_report *r, const escrow_contract *c, const struct esc_files *files,
                         bool sealed)
{
	size_t i, n_ts = 0, used = 0;
	const char *first_ts = NULL;
	char ts_list[400] = "";
	struct left_out lo = {0, 0, 0};

	if (r == NULL || files == NULL)
		return;
	add_inventory(r, files);
	for (i = 0; i < files->n; i++) {
		const struct esc_file *f = &files->v[i];
		struct esc_note_view nv;
		unsigned pickle = esc_fnd_pickle(&f->fnd);
		bool untold_pickle, untold_lfs;

		if (!(f->fnd.bits & ESC_FND_INSPECTED) || f->type == ESC_FT_DIR)
			continue;
		esc_note_get(files, f, &nv);
		/* where a deliverable's verdict says it, that is enough */
		untold_pickle = pickle == ESC_PICKLE_DANGEROUS && !told(r, c, f, "unsafe");
		untold_lfs = (f->fnd.bits & ESC_FND_LFS) && !told(r, c, f, "lfs-pointer");
		if (f->fnd.bits & ESC_FND_LEFT_OUT) {
			lo.files++;
			lo.secrets += f->fnd.n_secrets > 0;
			lo.pickles += untold_pickle;
			continue;
		}
		if (untold_lfs)
			esc_report_warn(r, f->path, 0, "%s is a Git LFS pointer, not the file: run 'git lfs pull' "
			                "before packing", f->path);
		if (untold_pickle)
			esc_report_warn(r, f->path, 0, "%s: unsafe pickle: %s (loading it may run code; allowlist: "
			                "docs/PICKLE.md)", f->path, nv.imports[0] ? nv.imports : "an import off the allowlist");
		/* TorchScript: pickles allowlisted, code not judged: said once below */
		if (pickle == ESC_PICKLE_UNKNOWN && n_ts++ == 0)
			first_ts = f->path;
		if (pickle == ESC_PICKLE_UNKNOWN && n_ts > 1 && used < sizeof ts_list)
			used += (size_t)snprintf(ts_list + used, sizeof ts_list - used, ", %s", f->path);
		if (nv.n_secrets > 0)
			warn_secrets(r, f, &nv, sealed);
	}
	warn_left_out(r, &lo);
	if (n_ts > 0) {
		if (used >= sizeof ts_list)
			memcpy(ts_list + sizeof ts_list - 5, ", ...", 5);
		esc_report_warn(r, n_ts == 1 ? first_ts : NULL, 0,
		                "%s%s: TorchScript archive%s: %s pickles are on the allowlist; %s TorchScript code "
		                "(code/) runs at torch.jit.load and is not judged (docs/PICKLE.md): review it before "
		                "loading", first_ts, ts_list, n_ts == 1 ? "" : "s", n_ts == 1 ? "its" : "their",
		                n_ts == 1 ? "its" : "their");
	}
}
