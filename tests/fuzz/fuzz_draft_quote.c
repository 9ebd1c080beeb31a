/* fuzz_draft_quote.c -- escrow init writes every path in YAML double quotes
 * (contract_draft_emit.c): whatever the name (valid UTF-8 without NUL, as the
 * walk allows), libyaml must read back exactly the same bytes, and a name in
 * a comment line must not end it. Aborts when it does not. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "escrow_private.h"
#include "contract_draft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses text and checks that its only scalars are, in order, the words in
 * want (NULL for the name): the document holds just what the draft meant. */
static void check(const char *text, size_t len, const char *name, size_t size, const char *const *want, size_t n)
{
	yaml_parser_t p;
	yaml_event_t ev;
	size_t k = 0;
	int done = 0;

	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			fprintf(stderr, "libyaml refused: %s\n", text);
			abort();
		}
		if (ev.type == YAML_SCALAR_EVENT) {
			const char *w = k < n ? (want[k] ? want[k] : name) : NULL;
			size_t wl = w == NULL ? 0 : want[k] ? strlen(w) : size;

			if (w == NULL || ev.data.scalar.length != wl || memcmp(ev.data.scalar.value, w, wl) != 0) {
				fprintf(stderr, "read back differently: %s\n", text);
				abort();
			}
			k++;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (k != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* As a list item; and as contract_draft_emit.c also writes names: in a
	 * comment line, then a key whose list holds the name. A name that ended
	 * the comment (a line break libyaml knows: LF, CR, NEL, LS, PS) or the
	 * quotes would add or change keys. */
	static const char *const item[] = {NULL};
	static const char *const doc[] = {"forbid", NULL, "exclude"};
	char *name, *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (size > 4096 || memchr(data, '\0', size) != NULL || !esc_utf8_valid((const char *)data, size))
		return 0;
	name = malloc(size + 1);
	if (name == NULL)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	mem = open_memstream(&text, &len);
	if (mem == NULL) {
		free(name);
		return 0;
	}
	fputs("- ", mem);
	esc_draft_quote(mem, name);
	fputc('\n', mem);
	fclose(mem);
	check(text, len, name, size, item, 1);
	free(text);
	text = NULL;
	mem = open_memstream(&text, &len);
	if (mem == NULL) {
		free(name);
		return 0;
	}
	fputs("# REVIEW: in no deliverable:\n#   ", mem);
	esc_draft_quote(mem, name);
	fputs("\nforbid:\n  - ", mem);
	esc_draft_quote(mem, name);
	fputs("\n# in ", mem);
	esc_draft_quote(mem, name);
	fputs(":\nexclude: []\n", mem);
	fclose(mem);
	check(text, len, name, size, doc, 3);
	free(text);
	free(name);
	return 0;
}
