/* esc_formats.h -- AI asset inspection (internal). Owner: the files in formats/
 * Every checker is a bounded push parser: it sees the file's bytes once, in
 * order, in chunks of any size, and never holds more than a small window. */
#ifndef ESC_FORMATS_H
#define ESC_FORMATS_H

enum esc_format {
	ESC_FMT_NONE = 0, ESC_FMT_SAFETENSORS, ESC_FMT_ONNX, ESC_FMT_GGUF, ESC_FMT_PYTORCH,
	ESC_FMT_KERAS, ESC_FMT_HDF5, ESC_FMT_TF_SAVEDMODEL, ESC_FMT_NPY, ESC_FMT_NPZ,
	ESC_FMT_PARQUET, ESC_FMT_ZIP, ESC_FMT_PDF, ESC_FMT_JSON, ESC_FMT_YAML, ESC_FMT_CSV,
	ESC_FMT_TEXT, ESC_FMT_COUNT
};
const char *esc_format_name(enum esc_format f);      /* "safetensors", ... */
enum esc_format esc_format_from_name(const char *name); /* ESC_FMT_NONE if unknown */

enum esc_pickle_verdict { ESC_PICKLE_NONE = 0, ESC_PICKLE_SAFE, ESC_PICKLE_UNKNOWN, ESC_PICKLE_DANGEROUS };

#define ESC_MODEL_MAX 512
/* What inspecting one file found. */
struct esc_inspection {
	enum esc_format detected;        /* the format its bytes pass, by content (NONE if none) */
	enum esc_format wanted;          /* the format asked for, if any */
	bool wanted_ok;                  /* the bytes pass `wanted` */
	uint32_t passed;                 /* 1 << format, for each checker that ran and passed */
	char reason[256];                /* why `wanted` failed ("header length 812 exceeds file size 96") */
	bool lfs_pointer;                /* a Git LFS pointer file */
	enum esc_pickle_verdict pickle;
	char pickle_imports[256];        /* the dangerous (else unknown) imports, "posix.system, ..." */
	unsigned n_secrets;
	char secrets[4][128];            /* "line 3: AWS access key id" (never the secret itself) */
	const char *kind;                /* code, model, data, docs, prompts, config, pipeline, other */
	/* ONNX: the model's external data, checked by the caller, or NULL:
	 * malloc'd (esc_inspection_clear frees it). Each distinct location and
	 * the bytes its tensors read from it (the largest offset + length) as
	 * "LOCATION\nBYTES", separated by a backslash, which no location holds
	 * (esc_zip_name_ok refuses it; a newline it may hold: BYTES follow the
	 * last one). Beyond the bounds below, "\\" and why they were not kept.
	 * Records written before every location was kept hold one, with or
	 * without "\nBYTES". */
	char *external;
	bool external_lost;              /* it has external data, and it could not be kept (out of memory) */
	bool tf_index_ok;                /* a file named variables.index ending with the TF table magic */
	/* What the check of a model file read, for people comparing releases
	 * (escrow diff): compact JSON, "" when none, e.g.
	 * {"dtypes":["F32"],"params":264,"shapes":{"w":[8,32]},"tensors":2}
	 * (safetensors, onnx, gguf and npy checkers).
	 * Bounded: a few shapes, inputs or outputs, the first in file order. */
	char model[ESC_MODEL_MAX];
};

/* A model may keep each tensor in its own file (all_tensors_to_one_file=
 * False, torch.onnx.export of a large model): every location is checked, up
 * to this many distinct ones and bytes of their names; a model past either
 * fails its contract's check (it is not taken as ok unchecked). */
#define ESC_ONNX_LOCATIONS_MAX 65536u
#define ESC_ONNX_LOCATIONS_MAX_TEXT "65536"
#define ESC_ONNX_LOCATION_BYTES_MAX (4u << 20)
#define ESC_ONNX_LOCATION_BYTES_MAX_TEXT "4 MiB"

/* Frees what an inspection holds (its external data); NULL-safe. */
void esc_inspection_clear(struct esc_inspection *in);

/* Streaming inspector. `path` is the payload path (for name-based hints and
 * kind), `size` the exact size, `wanted` the contract's format or NONE. */
typedef struct esc_inspector esc_inspector;
esc_inspector *esc_inspect_new(const char *path, uint64_t size, enum esc_format wanted); /* NULL: ENOMEM */
/* Before the first update, other formats to check (1 << format each):
 * those of every deliverable that holds the file, checked whatever the file
 * looks like. The other formats' checks run as always, when the name or the
 * first bytes suggest them (not those that read the whole file: text, csv,
 * json, yaml); every check that passes is recorded (esc_fnd_also). */
void esc_inspect_also(esc_inspector *in, uint32_t held);
/* A file passes one format at most among those that exclude each other
 * (safetensors, gguf, pytorch, ...: `detected` says which); the others, that
 * a file may pass as well (a torch checkpoint is a zip, JSON is YAML and
 * text), are kept as bits of esc_fnd.also. */
uint8_t esc_fnd_also(uint32_t passed);
bool esc_fnd_also_passes(uint8_t also, enum esc_format f);
void esc_inspect_update(esc_inspector *in, const void *buf, size_t len);
/* Fills *out (the inspector is then freed). */
void esc_inspect_final(esc_inspector *in, struct esc_inspection *out);
void esc_inspect_free(esc_inspector *in);

/* Folder formats (tf-savedmodel): given the sorted list of payload files,
 * checks the folder `dir` (a path prefix). 1 ok, else 0 with reason. */
int esc_check_savedmodel(const struct esc_files *files, const char *dir, char *reason, size_t rlen);

/* True for the formats whose check reads the whole file and so runs only
 * when the contract asks for it before the file is read (json, yaml, csv,
 * text): without the contract their files are not judged. */
bool esc_format_full_scan(enum esc_format f);

/* Kind from name alone (used when content was not inspected). */
const char *esc_kind_from_path(const char *path);

#endif
