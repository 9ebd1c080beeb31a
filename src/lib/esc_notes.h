/* esc_notes.h -- the texts of the findings, kept beside a file list
 * (internal). Owner: tree_notes.c.
 *
 * A file's flags (struct esc_fnd in its record) are all the verdict needs
 * but one thing; its texts -- why a format failed, a pickle's imports, where
 * a secret is, an ONNX model's external data -- go to one arena per list,
 * only the bytes used (about 40 for a file with one secret). */
#ifndef ESC_NOTES_H
#define ESC_NOTES_H

/* The texts a run keeps are bounded in bytes, so that a deposit of a million
 * files with findings stays within the memory the million-file verify takes:
 * past the bound a file keeps its flags only (the verdict stays exact) and
 * the report says how many files' details were left out. An ONNX model's
 * external data locations are kept past it, up to a quarter of it more:
 * whether those files are in the deposit is part of the verdict (past that
 * too, the model's external data is reported as not checked, bad-format). */
#define ESC_NOTES_MAX (64u << 20)
extern size_t esc_notes_max; /* ESC_NOTES_MAX; tests lower it */

/* Keeps in f (a record of fs) what inspecting it found: the flags always
 * (the caller sets f->kind), the texts within the bound (else ESC_FND_LEFT_OUT). 0, or -1 out
 * of memory (the flags are kept; the texts are counted as left out). */
int esc_files_note(struct esc_files *fs, struct esc_file *f, const struct esc_inspection *in);

/* f's texts, each "" when it had none or it was left out. */
struct esc_note_view {
	const char *reason;      /* why `wanted` failed */
	const char *imports;     /* the pickle's dangerous (else unknown) imports */
	const char *external;    /* ONNX: the external data locations (esc_inspection.external) */
	const char *model;       /* what a model's check read (esc_inspection.model) */
	const char *secret[4];   /* "line 3: AWS access key id" (never the value) */
	unsigned n_lines;        /* of secret[] */
	uint32_t n_secrets;      /* how many possible secrets in all */
};
void esc_note_get(const struct esc_files *fs, const struct esc_file *f, struct esc_note_view *v);
/* How many files of fs had their texts left out, and the bytes kept. */
uint64_t esc_notes_left_out(const struct esc_files *fs);
uint64_t esc_notes_bytes(const struct esc_files *fs);
void esc_notes_free(struct esc_notes *n);

#endif
