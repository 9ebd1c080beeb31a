/* fuzz_formats.c -- every format checker, the pickle walker and the
 * inspector. data[0] picks the target, data[1] the chunk size (and, for the
 * inspector, the file name and wanted format); the rest is the file. */
#include "escrow_private.h"
#include "formats/esc_fmt.h"

#include <stdlib.h>
#include <string.h>

static const struct esc_fmt_ops *const ops[] = {
	&esc_fmt_safetensors, &esc_fmt_onnx, &esc_fmt_gguf, &esc_fmt_pytorch, &esc_fmt_keras,
	&esc_fmt_hdf5, &esc_fmt_npy, &esc_fmt_npz, &esc_fmt_parquet, &esc_fmt_zip, &esc_fmt_pdf,
	&esc_fmt_json, &esc_fmt_yaml, &esc_fmt_csv, &esc_fmt_text,
};
#define N_OPS (sizeof ops / sizeof ops[0])

static const char *const names[] = {
	"m/model.safetensors", "m/model.onnx", "m/model.gguf", "m/model.pt", "m/model.keras", "m/w.h5",
	"d/x.npy", "d/x.npz", "d/t.parquet", "a.zip", "doc.pdf", "c.json", "c.yaml", "d.csv", "r.txt",
	"x/model.pkl", "sm/variables/variables.index", ".env", "noext",
};

static void run_checker(const struct esc_fmt_ops *o, const uint8_t *d, size_t n, size_t chunk)
{
	struct esc_inspection out;
	char reason[256];
	void *st = calloc(1, o->state_size);

	if (!st)
		return;
	memset(&out, 0, sizeof out);
	o->init(st, "fuzz/input", n);
	if (o->sniff)
		o->sniff(d, n < 64 ? n : 64, n);
	for (size_t off = 0; off < n; off += chunk)
		if (o->update(st, d + off, n - off < chunk ? n - off : chunk, off))
			break;
	o->final(st, reason, sizeof reason);
	if (o->report)
		o->report(st, &out);
	if (o->release)
		o->release(st);
	free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned which;
	size_t chunk;

	if (size < 2)
		return 0;
	which = data[0] % (N_OPS + 2);
	chunk = data[1] % 16 == 0 ? 65536 : (size_t)(data[1] % 16);
	if (which < N_OPS) {
		run_checker(ops[which], data + 2, size - 2, chunk);
	} else if (which == N_OPS) {
		esc_pickle *p = esc_pickle_new();
		char imports[256];

		if (!p)
			return 0;
		for (size_t off = 2; off < size; off += chunk)
			esc_pickle_update(p, data + off, size - off < chunk ? size - off : chunk);
		esc_pickle_final(p, imports, sizeof imports);
		esc_pickle_free(p);
	} else {
		struct esc_inspection out;
		const char *name = names[data[1] % (sizeof names / sizeof names[0])];
		esc_inspector *in = esc_inspect_new(name, size - 2, (enum esc_format)(data[1] % ESC_FMT_COUNT));

		if (!in)
			return 0;
		for (size_t off = 2; off < size; off += chunk)
			esc_inspect_update(in, data + off, size - off < chunk ? size - off : chunk);
		esc_inspect_final(in, &out);
	}
	return 0;
}
