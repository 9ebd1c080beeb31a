/* fuzz_contract.c -- the contract parser (then evaluation and the text
 * report over a small fixed tree), and the glob matcher.
 * Input starting with 'G': "G<pattern>\n<path>" goes to the glob matcher;
 * anything else is a contract. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"

static const char *const paths[] = {"models/classifier.safetensors", "src/app/main.py", "docs/runbook.md",
                                    "a/b/c/d.pyc", ".env", "data/x.csv", "caf\xc3\xa9 %/x"};

static void fuzz_glob(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *nl;

	if (buf == NULL)
		return;
	memcpy(buf, data, size);
	buf[size] = '\0';
	nl = strchr(buf, '\n');
	if (nl != NULL) {
		const char *why;

		*nl = '\0';
		(void)esc_glob_match_dir(buf, nl + 1, 0);
		(void)esc_glob_match_dir(buf, nl + 1, 1);
		(void)esc_glob_valid(buf, &why);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	escrow_ctx *ctx;
	escrow_contract *c = NULL;
	struct esc_files fs = {0};
	escrow_report *r;
	size_t i;

	if (size > 0 && data[0] == 'G') {
		fuzz_glob(data + 1, size - 1);
		return 0;
	}
	ctx = escrow_ctx_new();
	if (ctx == NULL)
		return 0;
	if (escrow_contract_parse(ctx, "fuzz.yaml", data, size, &c) == ESCROW_OK) {
		for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
			struct esc_file *f = esc_files_push(&fs);

			if (f == NULL)
				break;
			f->path = strdup(paths[i]);
			f->type = ESC_FT_FILE;
			f->size = i * 1000;
		}
		esc_files_sort(&fs);
		r = esc_report_new("check");
		if (r != NULL) {
			char *t;

			(void)esc_contract_evaluate(c, &fs, r);
			esc_report_findings(r, c, &fs, false);
			t = escrow_report_text(r);
			free(t);
			escrow_report_free(r);
		}
		esc_files_free(&fs);
		escrow_contract_free(c);
	}
	escrow_ctx_free(ctx);
	return 0;
}
