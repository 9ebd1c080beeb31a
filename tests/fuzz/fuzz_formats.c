/* fuzz_formats.c -- every format checker, the pickle walker and the
 * inspector. data[0] picks the target, data[1] the chunk size (and, for the
 * inspector, the file name and wanted format); the rest is the file. */
#include "fuzz_fmt.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned which;
	size_t chunk;

	if (size < 2)
		return 0;
	which = data[0] % (N_OPS + 2);
	chunk = data[1] % 16 == 0 ? 65536 : (size_t)(data[1] % 16);
	if (which < N_OPS) {
		fuzz_checker(ops[which], "fuzz/input", data + 2, size - 2, chunk);
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
		esc_inspection_clear(&out);
	}
	return 0;
}
