/* fmt_inspect.c -- the streaming inspector: sniffs the first bytes, runs the
 * checkers the file may be (the contract's format, plus the cheap ones its
 * content or name suggests), a pickle scan, a secrets scan for small text,
 * and the Git LFS pointer test, all in one pass over the bytes.
 * Once every checker has decided, a chunk costs a few branches. */
#include "formats/esc_fmt.h"
#include "formats/esc_pt.h"

#include <stdlib.h>
#include <string.h>

#define HEAD_MAX 64
#define LFS_MAX 1024
#define SECRETS_MAX (1u << 20)
#define SECRETS_NAMED_MAX (16u << 20) /* .env, *.pem, id_rsa...: scanned up to this size */

static const uint8_t tf_magic[8] = { 0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb };

/* In order of precedence: a torch zip is "pytorch" before it is "zip". */
static const struct esc_fmt_ops *const checkers[] = {
	&esc_fmt_safetensors, &esc_fmt_gguf, &esc_fmt_pytorch, &esc_fmt_keras, &esc_fmt_npz,
	&esc_fmt_hdf5, &esc_fmt_npy, &esc_fmt_parquet, &esc_fmt_onnx, &esc_fmt_zip, &esc_fmt_pdf,
	&esc_fmt_json, &esc_fmt_yaml, &esc_fmt_csv, &esc_fmt_text,
};
#define N_CHECKERS (sizeof checkers / sizeof checkers[0])

static const char *const names[ESC_FMT_COUNT] = {
	[ESC_FMT_NONE] = "none", [ESC_FMT_SAFETENSORS] = "safetensors", [ESC_FMT_ONNX] = "onnx",
	[ESC_FMT_GGUF] = "gguf", [ESC_FMT_PYTORCH] = "pytorch", [ESC_FMT_KERAS] = "keras",
	[ESC_FMT_HDF5] = "hdf5", [ESC_FMT_TF_SAVEDMODEL] = "tf-savedmodel", [ESC_FMT_NPY] = "npy",
	[ESC_FMT_NPZ] = "npz", [ESC_FMT_PARQUET] = "parquet", [ESC_FMT_ZIP] = "zip",
	[ESC_FMT_PDF] = "pdf", [ESC_FMT_JSON] = "json", [ESC_FMT_YAML] = "yaml", [ESC_FMT_CSV] = "csv",
	[ESC_FMT_TEXT] = "text",
};

/* Name hints: a checker whose extension the file has runs even when the
 * content sniff did not claim it (to say why it is broken). */
static const struct {
	const char *ext;
	enum esc_format f;
} ext_hints[] = {
	{ ".safetensors", ESC_FMT_SAFETENSORS }, { ".onnx", ESC_FMT_ONNX }, { ".gguf", ESC_FMT_GGUF },
	{ ".pt", ESC_FMT_PYTORCH }, { ".pth", ESC_FMT_PYTORCH }, { ".ckpt", ESC_FMT_PYTORCH },
	{ ".bin", ESC_FMT_PYTORCH }, { ".keras", ESC_FMT_KERAS }, { ".h5", ESC_FMT_HDF5 },
	{ ".hdf5", ESC_FMT_HDF5 }, { ".npy", ESC_FMT_NPY }, { ".npz", ESC_FMT_NPZ },
	{ ".parquet", ESC_FMT_PARQUET }, { ".zip", ESC_FMT_ZIP }, { ".pdf", ESC_FMT_PDF },
	/* torch.save writes a zip under any name (fastai's export.pkl): its
	 * pickles are scanned by the pytorch checker, wherever they lie */
	{ ".pkl", ESC_FMT_PYTORCH }, { ".pickle", ESC_FMT_PYTORCH }, { ".joblib", ESC_FMT_PYTORCH },
};

static const char *const pickle_exts[] = { ".pkl", ".pickle", ".joblib", ".dill", NULL };
static const char *const text_exts[] = {
	".py", ".js", ".ts", ".go", ".rs", ".java", ".c", ".h", ".cc", ".cpp", ".rb", ".php", ".sh",
	".txt", ".md", ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".env", ".xml",
	".properties", ".tf", ".ipynb", ".sql", ".csv", ".pem", ".key", NULL
};

struct cand {
	const struct esc_fmt_ops *ops;
	void *st;
	bool done;
};

struct esc_inspector {
	char *path;
	const char *base;
	uint64_t size, off;
	enum esc_format wanted;
	uint32_t held;             /* 1 << format: other formats to check (esc_inspect_also) */
	uint8_t head[HEAD_MAX];
	size_t head_len;
	bool started, tf_index, secrets_wanted, pickle_named;
	uint32_t hints;            /* 1 << format, for each extension hint the name has */
	uint8_t *small;            /* the whole file when it is under LFS_MAX bytes */
	uint8_t last8[8];
	struct cand c[N_CHECKERS];
	unsigned n, active;
	esc_pickle *pk;
	esc_secrets *sec;
};

const char *esc_format_name(enum esc_format f)
{
	return f >= 0 && f < ESC_FMT_COUNT && names[f] ? names[f] : "none";
}

enum esc_format esc_format_from_name(const char *name)
{
	for (int f = 1; f < ESC_FMT_COUNT; f++)
		if (name && strcmp(name, names[f]) == 0)
			return (enum esc_format)f;
	return ESC_FMT_NONE;
}

bool esc_format_full_scan(enum esc_format f)
{
	for (size_t i = 0; i < N_CHECKERS; i++)
		if (checkers[i]->fmt == f)
			return checkers[i]->full_scan;
	return false;
}

/* dot (".xyz") is ext, ASCII case aside; the byte after the dot first (a
 * million small files each met some 50 strcasecmp calls here). */
static bool ext_is(const char *dot, const char *ext)
{
	return ((unsigned char)dot[1] | 0x20) == ((unsigned char)ext[1] | 0x20) && strcasecmp(dot, ext) == 0;
}

/* Every extension in these lists is one dot and letters: a name ends with
 * one exactly when its part from the last dot is that extension. */
static bool in_exts(const char *base, const char *const *list)
{
	const char *dot = strrchr(base, '.');

	if (dot == NULL)
		return false;
	for (; *list; list++)
		if (ext_is(dot, *list))
			return true;
	return false;
}

_Static_assert(ESC_FMT_COUNT <= 32, "hints is a 32-bit mask");

/* Once per file, not once per checker: 15 x 15 suffix compares per file
 * showed in a pack of small files. */
static uint32_t name_hints(const char *base)
{
	const char *dot = strrchr(base, '.');
	uint32_t h = 0;

	if (dot == NULL)
		return 0;
	for (size_t i = 0; i < sizeof ext_hints / sizeof ext_hints[0]; i++)
		if (ext_is(dot, ext_hints[i].ext))
			h |= UINT32_C(1) << ext_hints[i].f;
	return h;
}

static bool hinted(const esc_inspector *in, enum esc_format f)
{
	return (in->hints >> f) & 1;
}

/* Looks like text: no NUL and few control bytes in the first bytes. */
static bool texty(const uint8_t *h, size_t n)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		if (h[i] == 0)
			return false;
		if (h[i] < 0x20 && h[i] != '\n' && h[i] != '\r' && h[i] != '\t')
			bad++;
	}
	return bad * 16 <= n;
}

static bool secret_named(const char *base)
{
	static const char *const exts[] = { ".pem", ".key", ".npmrc", ".netrc", ".pypirc", NULL };

	return strncmp(base, ".env", 4) == 0 || strncmp(base, "id_rsa", 6) == 0 ||
	       strncmp(base, "id_ed25519", 10) == 0 || strncmp(base, "id_ecdsa", 8) == 0 ||
	       strcmp(base, "credentials") == 0 || in_exts(base, exts);
}

/* One allocation: the inspector, then its copy of the path, then the small
 * file's bytes (a million small files once took three each). */
esc_inspector *esc_inspect_new(const char *path, uint64_t size, enum esc_format wanted)
{
	size_t plen = strlen(path ? path : ""), small = size < LFS_MAX ? (size ? (size_t)size : 1) : 0;
	esc_inspector *in = malloc(sizeof *in + plen + 1 + small);
	const char *slash;

	if (!in)
		return NULL;
	memset(in, 0, sizeof *in);
	in->path = (char *)(in + 1);
	memcpy(in->path, path ? path : "", plen + 1);
	slash = strrchr(in->path, '/');
	in->base = slash ? slash + 1 : in->path;
	in->size = size;
	in->wanted = wanted;
	in->tf_index = strcmp(in->base, "variables.index") == 0;
	in->hints = name_hints(in->base);
	if (small)
		in->small = (uint8_t *)in->path + plen + 1;
	return in;
}

void esc_inspect_also(esc_inspector *in, uint32_t held)
{
	if (in != NULL && !in->started)
		in->held = held;
}

/* The formats a file may pass besides a more specific one, in the bits of
 * esc_fnd.also (eight: it is one byte of the file record). */
static const enum esc_format also_fmts[8] = {
	ESC_FMT_HDF5, ESC_FMT_ONNX, ESC_FMT_ZIP, ESC_FMT_PDF, ESC_FMT_JSON, ESC_FMT_YAML, ESC_FMT_CSV, ESC_FMT_TEXT,
};

uint8_t esc_fnd_also(uint32_t passed)
{
	uint8_t b = 0;

	for (unsigned i = 0; i < 8; i++)
		if ((passed >> also_fmts[i]) & 1)
			b |= (uint8_t)(1u << i);
	return b;
}

bool esc_fnd_also_passes(uint8_t also, enum esc_format f)
{
	for (unsigned i = 0; i < 8; i++)
		if (also_fmts[i] == f)
			return (also >> i) & 1;
	return false;
}

/* Picks and starts the checkers once the head is known. */
static void start(esc_inspector *in)
{
	bool pickle_head, legacy, zip_head;

	in->started = true;
	for (size_t i = 0; i < N_CHECKERS; i++) {
		const struct esc_fmt_ops *ops = checkers[i];
		bool want = ops->fmt == in->wanted || ((in->held >> ops->fmt) & 1);

		if (!want && (ops->full_scan ||
		              !(hinted(in, ops->fmt) || (ops->sniff && ops->sniff(in->head, in->head_len, in->size)))))
			continue;
		in->c[in->n].st = calloc(1, ops->state_size);
		if (!in->c[in->n].st)
			continue; /* reported as not passing: out of memory is not a pass */
		in->c[in->n].ops = ops;
		ops->init(in->c[in->n].st, in->path, in->size);
		in->n++;
	}
	in->active = in->n;
	/* a legacy torch file is five pickles and raw bytes: the pytorch checker scans it */
	legacy = esc_pt_legacy_head(in->head, in->head_len) == 1;
	pickle_head = in->head_len >= 2 && in->head[0] == 0x80 && in->head[1] >= 2 && in->head[1] <= 5;
	zip_head = in->head_len >= 4 && memcmp(in->head, "PK\x03\x04", 4) == 0;
	in->pickle_named = in_exts(in->base, pickle_exts);
	/* an empty file holds no pickle, so nothing that runs when loaded
	 * (pickle.load raises EOFError): not "unsafe, cannot be scanned" */
	if (!legacy && !zip_head && in->size > 0 && (in->pickle_named || pickle_head))
		in->pk = esc_pickle_new();
	if (in->pk)
		esc_pickle_set_size(in->pk, in->size);
	/* an empty file has no secrets to scan for */
	in->secrets_wanted = in->size > 0 &&
	                     ((secret_named(in->base) && in->size <= SECRETS_NAMED_MAX) ||
	                      (in->size <= SECRETS_MAX && (in_exts(in->base, text_exts) || texty(in->head, in->head_len))));
	if (in->secrets_wanted)
		in->sec = esc_secrets_new(in->path);
}

static void feed(esc_inspector *in, const uint8_t *buf, size_t len)
{
	uint64_t off = in->off;

	if (len == 0)
		return;
	for (unsigned i = 0; i < in->n && in->active; i++) {
		if (in->c[i].done)
			continue;
		if (in->c[i].ops->update(in->c[i].st, buf, len, off)) {
			in->c[i].done = true;
			in->active--;
		}
	}
	if (in->pk && !esc_pickle_done(in->pk))
		esc_pickle_update(in->pk, buf, len);
	if (in->sec)
		esc_secrets_update(in->sec, buf, len);
	if (in->small)
		memcpy(in->small + off, buf, len);
	if (in->tf_index && off + len + 8 > in->size) {
		for (size_t i = 0; i < len; i++)
			if (off + i + 8 >= in->size)
				in->last8[off + i + 8 - in->size] = buf[i];
	}
	in->off += len;
}

void esc_inspect_update(esc_inspector *in, const void *data, size_t len)
{
	const uint8_t *buf = data;
	size_t take = 0, want;

	if (!in || in->off >= in->size)
		return;
	if (len > in->size - in->off)
		len = (size_t)(in->size - in->off); /* never hand a checker bytes past `size` */
	if (!in->started) {
		want = in->size < HEAD_MAX ? (size_t)in->size : HEAD_MAX;
		take = want - in->head_len < len ? want - in->head_len : len;
		memcpy(in->head + in->head_len, buf, take);
		in->head_len += take;
		if (in->head_len < want)
			return;
		start(in);
		/* the head's earlier bytes came with previous calls */
		feed(in, in->head, in->head_len - take);
	}
	feed(in, buf, len);
}

void esc_inspect_free(esc_inspector *in)
{
	if (!in)
		return;
	for (unsigned i = 0; i < in->n; i++) {
		if (in->c[i].ops->release)
			in->c[i].ops->release(in->c[i].st);
		free(in->c[i].st);
	}
	esc_pickle_free(in->pk);
	esc_secrets_free(in->sec);
	free(in);
}

void esc_inspection_clear(struct esc_inspection *in)
{
	if (in == NULL)
		return;
	free(in->external);
	in->external = NULL;
}

void esc_inspect_final(esc_inspector *in, struct esc_inspection *out)
{
	char reason[sizeof out->reason], imports[sizeof out->pickle_imports];
	bool wanted_seen = false;

	memset(out, 0, sizeof *out);
	if (!in)
		return;
	out->wanted = in->wanted;
	if (!in->started) {
		start(in);
		feed(in, in->head, in->head_len);
	}
	for (unsigned i = 0; i < in->n; i++) {
		const struct esc_fmt_ops *ops = in->c[i].ops;
		int ok;

		reason[0] = '\0';
		ok = in->off == in->size ? ops->final(in->c[i].st, reason, sizeof reason) : 0;
		if (in->off != in->size)
			snprintf(reason, sizeof reason, "only %llu of %llu bytes were read",
			         (unsigned long long)in->off, (unsigned long long)in->size);
		if (ops->report)
			ops->report(in->c[i].st, out);
		if (ok && out->detected == ESC_FMT_NONE)
			out->detected = ops->fmt;
		if (ok)
			out->passed |= UINT32_C(1) << ops->fmt;
		if (ops->fmt == in->wanted) {
			wanted_seen = true;
			out->wanted_ok = ok;
			if (!ok)
				snprintf(out->reason, sizeof out->reason, "%s", reason[0] ? reason : "does not pass");
		}
	}
	/* a folder format says nothing about one file: esc_check_savedmodel
	 * judges the folder (with tf_index_ok from here) */
	if (in->wanted == ESC_FMT_TF_SAVEDMODEL)
		out->wanted_ok = true;
	else if (in->wanted != ESC_FMT_NONE && !wanted_seen)
		snprintf(out->reason, sizeof out->reason, "could not be checked (out of memory)");
	if (in->pk) {
		enum esc_pickle_verdict v = esc_pickle_final(in->pk, imports, sizeof imports);

		/* found by its first two bytes only, and refused by the unpickler
		 * before any import: binary data that starts like a pickle */
		if (in->pickle_named || !esc_pickle_inert(in->pk))
			esc_insp_pickle_merge(out, v, imports);
	}
	if (in->small && in->off == in->size)
		out->lfs_pointer = esc_is_lfs_pointer(in->small, (size_t)in->size);
	if (in->sec)
		out->n_secrets = esc_secrets_final(in->sec, out->secrets, 4);
	out->tf_index_ok = in->tf_index && in->size >= 8 && in->off == in->size &&
	                   memcmp(in->last8, tf_magic, 8) == 0;
	out->kind = esc_kind_guess(in->path, out->detected);
	esc_inspect_free(in);
}
