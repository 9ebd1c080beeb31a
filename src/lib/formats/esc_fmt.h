/* esc_fmt.h -- the interface of one format checker (internal to formats/).
 * A checker is a push parser: it sees the file's bytes once, in order, in
 * chunks of any size (possibly 1 byte), and keeps at most a small window. */
#ifndef ESC_FMT_H
#define ESC_FMT_H

#include "escrow_private.h"

#include <stdbool.h>
#include <stdint.h>

/* Offset and size arithmetic on values read from a file: true and *r = a + b
 * (a * b) when it fits in 64 bits, false when it would wrap. Every parser
 * here adds lengths it read to offsets it keeps; a wrapped sum passes any
 * "fits in the file" test, so each such sum goes through these. */
static inline bool esc_add64(uint64_t a, uint64_t b, uint64_t *r)
{
	return !__builtin_add_overflow(a, b, r);
}

static inline bool esc_mul64(uint64_t a, uint64_t b, uint64_t *r)
{
	return !__builtin_mul_overflow(a, b, r);
}

/* a + b <= limit, without wrapping. */
static inline bool esc_fits(uint64_t a, uint64_t b, uint64_t limit)
{
	uint64_t s;

	return esc_add64(a, b, &s) && s <= limit;
}

struct esc_fmt_ops {
	enum esc_format fmt;
	size_t state_size;
	/* path: payload path; size: the exact file size (known in advance). */
	void (*init)(void *st, const char *path, uint64_t size);
	/* Consecutive chunks; off is the file offset of buf[0]. Returns 1 once it
	 * has decided and needs no more bytes, else 0. */
	int (*update)(void *st, const uint8_t *buf, size_t len, uint64_t off);
	/* After the last byte: 1 when the file passes, else 0 with a reason such
	 * as "header length 812 exceeds file size 96". */
	int (*final)(void *st, char *reason, size_t rlen);
	/* Cheap content sniff on the first bytes (at most 64, fewer for tiny
	 * files): 1 if the file claims to be this format. May be NULL. */
	int (*sniff)(const uint8_t *head, size_t len, uint64_t size);
	/* When set, the checker is costly on large files (reads everything) and
	 * is run only when the contract asks for this format. */
	bool full_scan;
	/* May be NULL. Frees what init acquired (the yaml checker runs libyaml on
	 * a helper thread). Call it once after final, or instead of final when a
	 * check is abandoned; it is safe either way. */
	void (*release)(void *st);
	/* May be NULL. Called after final (pass or fail): adds what the checker
	 * found beyond pass/fail (pickle verdict, ONNX external data, the TF
	 * index magic) to *out, merging with what is already there. */
	void (*report)(void *st, struct esc_inspection *out);
};

/* Sets out->model to o (taken: decref'd) as compact JSON with sorted keys.
 * When it does not fit, the last members of its "shapes" object and of its
 * "inputs" and "outputs" arrays are dropped (what stays is marked "cut":
 * true) until it does; nothing is kept if it never does (fmt_summary.c). */
void esc_insp_model(struct esc_inspection *out, json_t *o);
/* The first `max` dimensions of a shape as a JSON array (null when
 * out of memory); more than max: the array ends with "...". */
json_t *esc_model_shape(const uint64_t *dims, unsigned n, unsigned max);

/* Raises out->pickle to v (the worse verdict wins) and keeps the imports of
 * the worst verdict seen. */
void esc_insp_pickle_merge(struct esc_inspection *out, enum esc_pickle_verdict v, const char *imports);

extern const struct esc_fmt_ops esc_fmt_safetensors, esc_fmt_onnx, esc_fmt_gguf, esc_fmt_pytorch,
	esc_fmt_keras, esc_fmt_hdf5, esc_fmt_npy, esc_fmt_npz, esc_fmt_parquet, esc_fmt_zip, esc_fmt_pdf,
	esc_fmt_json, esc_fmt_yaml, esc_fmt_csv, esc_fmt_text;

/* Pickle opcode walker (PyTorch data.pkl, .pkl, .joblib, object .npy). */
typedef struct esc_pickle esc_pickle;
esc_pickle *esc_pickle_new(void);
void esc_pickle_update(esc_pickle *p, const uint8_t *buf, size_t len);
/* Verdict: SAFE when every import is on the allowlist (docs/PICKLE.md) and
 * the scan read every pickle to its STOP; DANGEROUS otherwise, with the
 * imports off the allowlist ("timeit.timeit, posix.system") or why the scan
 * could not finish. May be called more than once. */
enum esc_pickle_verdict esc_pickle_final(esc_pickle *p, char *imports, size_t ilen);
/* The same for a TorchScript archive's pickles (the __torch__ classes and
 * torch.jit._pickle helpers its own unpickler resolves are allowed). */
enum esc_pickle_verdict esc_pickle_final_ts(esc_pickle *p, char *imports, size_t ilen);
void esc_pickle_free(esc_pickle *p);
/* Stop after n pickles (0, the default: scan pickles back to back until the
 * end, bytes that are not a pickle making the verdict unknown). */
void esc_pickle_set_max(esc_pickle *p, unsigned n);
/* How many bytes the loader can read, from the first one fed (the default:
 * unknown). A FRAME that runs past them is where the unpickler fails ("pickle
 * data was truncated": it reads the whole frame before running any of it). */
void esc_pickle_set_size(esc_pickle *p, uint64_t n);
/* 1 once the scanner needs no more bytes (n pickles read, or it gave up). */
int esc_pickle_done(const esc_pickle *p);
/* Bytes read up to and including the last STOP. */
uint64_t esc_pickle_consumed(const esc_pickle *p);
/* The scan failed where the unpickler fails too (a truncated stream, an
 * unknown opcode, a stack underflow), before any import and before the
 * first STOP: the loader stops having called nothing. Call after final. */
bool esc_pickle_inert(const esc_pickle *p);
/* b is a pickle opcode (a file whose first byte is not one is no pickle:
 * the unpickler stops before doing anything). */
bool esc_pickle_is_opcode(uint8_t b);
/* Complete pickles read so far. */
unsigned esc_pickle_count(const esc_pickle *p);
/* What the legacy torch.save size check needs from the pickles it scans. */
struct esc_pickle_watch {
	void *u;
	/* a tuple ('storage', <import>, 'key', ...): a storage's persistent id */
	void (*storage)(void *u, const char *type, const char *key);
	/* a string pushed while reading pickle number `index` (from 0) */
	void (*string)(void *u, unsigned index, const char *s);
};
/* w must outlive p; NULL removes it. */
void esc_pickle_watch(esc_pickle *p, const struct esc_pickle_watch *w);

/* Secrets scanner over text: line-based, reports "line N: what" (never the secret). */
typedef struct esc_secrets esc_secrets;
esc_secrets *esc_secrets_new(const char *path);
void esc_secrets_update(esc_secrets *s, const uint8_t *buf, size_t len);
/* Copies up to max findings into out; returns the total number found. */
unsigned esc_secrets_final(esc_secrets *s, char (*out)[128], unsigned max);
void esc_secrets_free(esc_secrets *s);
/* secrets_env.c: 1 if path is a .env file (not .env.example, .sample,
 * .template); what a line of one assigns: 0 nothing real, 1 a setting, 2 a
 * secret (name receives NAME, cut to 48 bytes). */
int esc_secrets_env_file(const char *path);
int esc_secrets_env_assign(const uint8_t *p, size_t n, bool first_line, char name[49]);

/* Git LFS pointer: the whole file (< 1024 bytes). */
int esc_is_lfs_pointer(const uint8_t *buf, size_t len);

/* Kind from path and (optionally) detected format. */
const char *esc_kind_guess(const char *path, enum esc_format detected);

#endif
