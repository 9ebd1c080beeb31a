/* tree_notes.c -- the texts of a file list's findings, in one arena of
 * 1 MiB chunks. A record holds only the bytes used:
 *   u32 n_secrets, u8 n_lines, then reason, imports, external, model and
 *   the secret lines, each NUL-terminated.
 * A file's record is found by the offset in its esc_file (1 + chunk * CHUNK
 * + position); records never cross a chunk and are never changed, so that a
 * symlink shares its target's record. A record larger than a chunk (an ONNX
 * model with thousands of external data files) has a chunk of its own. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK (1u << 20)
#define MAX_CHUNKS 4095u /* offsets fit in 32 bits */

size_t esc_notes_max = ESC_NOTES_MAX;

struct esc_notes {
	char **chunk;
	size_t n_chunk;
	size_t used;          /* in the last chunk */
	uint64_t bytes;       /* of all records */
	uint64_t left_out;    /* files whose texts were not kept */
	uint64_t model_bytes; /* of the model summaries kept (bounded apart) */
	uint64_t ext_past;    /* of the records kept past the bound for their external data */
};

static size_t put(char *p, const char *s)
{
	size_t n = strlen(s) + 1;

	if (p != NULL)
		memcpy(p, s, n);
	return n;
}

static bool has_external(const struct esc_inspection *in)
{
	return (in->external != NULL && in->external[0] != '\0') || in->external_lost;
}

/* Writes the record into p (NULL: only measures it). The ONNX external data
 * is kept as the inspection has it (esc_formats.h; contract_eval.c reads it
 * back). */
static size_t record(char *p, const struct esc_inspection *in, bool whole, bool model)
{
	unsigned k, lines = whole ? (in->n_secrets < 4 ? in->n_secrets : 4) : 0;
	uint32_t ns = in->n_secrets;
	size_t o = 5;

	if (p != NULL) {
		memcpy(p, &ns, 4);
		p[4] = (char)lines;
	}
	o += put(p ? p + o : NULL, whole ? in->reason : "");
	o += put(p ? p + o : NULL, whole ? in->pickle_imports : "");
	o += put(p ? p + o : NULL, in->external != NULL ? in->external : "");
	o += put(p ? p + o : NULL, model ? in->model : "");
	for (k = 0; k < lines; k++)
		o += put(p ? p + o : NULL, in->secrets[k]);
	return o;
}

static char *alloc(struct esc_notes *ns, size_t n, uint32_t *off)
{
	char *p;

	if (ns->n_chunk == 0 || ns->used + n > CHUNK) {
		char **v;

		if (ns->n_chunk >= MAX_CHUNKS)
			return NULL;
		v = realloc(ns->chunk, (ns->n_chunk + 1) * sizeof *v);
		if (v == NULL)
			return NULL;
		ns->chunk = v;
		if ((v[ns->n_chunk] = malloc(n > CHUNK ? n : CHUNK)) == NULL)
			return NULL;
		ns->n_chunk++;
		ns->used = 0;
	}
	p = ns->chunk[ns->n_chunk - 1] + ns->used;
	*off = 1u + (uint32_t)((ns->n_chunk - 1) * CHUNK + ns->used);
	ns->used = n > CHUNK ? CHUNK : ns->used + n; /* one that large fills its chunk */
	ns->bytes += n;
	return p;
}

int esc_files_note(struct esc_files *fs, struct esc_file *f, const struct esc_inspection *in)
{
	bool texts = in->reason[0] || in->pickle_imports[0] || in->n_secrets > 0, whole, model;
	size_t n;
	char *p;

	memset(&f->fnd, 0, sizeof f->fnd);
	f->note = 0;
	f->fnd.detected = (uint8_t)in->detected;
	f->fnd.wanted = (uint8_t)in->wanted;
	f->fnd.also = esc_fnd_also(in->passed);
	f->fnd.n_secrets = in->n_secrets > UINT16_MAX ? UINT16_MAX : (uint16_t)in->n_secrets;
	f->fnd.bits = (uint8_t)(ESC_FND_INSPECTED | (in->wanted_ok ? ESC_FND_WANTED_OK : 0) |
	                        (in->lfs_pointer ? ESC_FND_LFS : 0) | (in->tf_index_ok ? ESC_FND_TF_INDEX_OK : 0) |
	                        (has_external(in) ? ESC_FND_EXTERNAL : 0) |
	                        ((unsigned)in->pickle & 3u) << ESC_FND_PICKLE_SHIFT);
	if (!texts && !has_external(in) && in->model[0] == '\0')
		return 0;
	if (fs->notes == NULL && (fs->notes = calloc(1, sizeof *fs->notes)) == NULL)
		goto nomem;
	/* model summaries are for comparing releases, not for the verdict: they
	 * take at most a quarter of the bound */
	model = in->model[0] != '\0' && fs->notes->model_bytes + strlen(in->model) + 1 <= esc_notes_max / 4;
	if (!texts && !has_external(in) && !model)
		return 0;
	n = record(NULL, in, true, model);
	whole = fs->notes->bytes + n <= esc_notes_max;
	if (!whole) {
		model = false;
		if (texts) {
			f->fnd.bits |= ESC_FND_LEFT_OUT;
			fs->notes->left_out++;
		}
		if (!has_external(in))
			return 0;
		/* the external data is part of the verdict: kept past the bound, up
		 * to a quarter of it more; past that too, the model's is not kept and
		 * its external data is reported as not checked (bad-format) */
		n = record(NULL, in, false, false);
		if (fs->notes->ext_past + n > esc_notes_max / 4)
			return 0;
		fs->notes->ext_past += n;
	}
	if (model)
		fs->notes->model_bytes += strlen(in->model) + 1;
	p = alloc(fs->notes, n, &f->note);
	if (p == NULL) {
		f->note = 0;
		if (whole && texts)
			goto nomem;
		return -1;
	}
	record(p, in, whole, model);
	return 0;
nomem:
	f->fnd.bits |= ESC_FND_LEFT_OUT;
	if (fs->notes != NULL)
		fs->notes->left_out++;
	return -1;
}

void esc_note_get(const struct esc_files *fs, const struct esc_file *f, struct esc_note_view *v)
{
	const char *p;
	unsigned k;

	memset(v, 0, sizeof *v);
	v->reason = v->imports = v->external = v->model = "";
	v->n_secrets = f->fnd.n_secrets;
	if (f->note == 0 || fs->notes == NULL || (f->note - 1u) / CHUNK >= fs->notes->n_chunk)
		return;
	p = fs->notes->chunk[(f->note - 1u) / CHUNK] + (f->note - 1u) % CHUNK;
	memcpy(&v->n_secrets, p, 4);
	v->n_lines = (unsigned char)p[4];
	p += 5;
	v->reason = p;
	p += strlen(p) + 1;
	v->imports = p;
	p += strlen(p) + 1;
	v->external = p;
	p += strlen(p) + 1;
	v->model = p;
	p += strlen(p) + 1;
	for (k = 0; k < v->n_lines && k < 4; k++) {
		v->secret[k] = p;
		p += strlen(p) + 1;
	}
}

uint64_t esc_notes_left_out(const struct esc_files *fs)
{
	return fs != NULL && fs->notes != NULL ? fs->notes->left_out : 0;
}

uint64_t esc_notes_bytes(const struct esc_files *fs)
{
	return fs != NULL && fs->notes != NULL ? fs->notes->bytes : 0;
}

void esc_notes_free(struct esc_notes *ns)
{
	size_t i;

	if (ns == NULL)
		return;
	for (i = 0; i < ns->n_chunk; i++)
		free(ns->chunk[i]);
	free(ns->chunk);
	free(ns);
}
