/* fuzz_draft_quote.c -- escrow init writes every path in YAML double quotes
 * (contract_draft_emit.c): whatever the name (valid UTF-8 without NUL, as the
 * walk allows), libyaml must read back exactly the same bytes. Aborts when it
 * does not. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "escrow_private.h"
#include "contract_draft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name, *text = NULL;
	size_t len = 0;
	FILE *mem;
	yaml_parser_t p;
	yaml_event_t ev;
	int done = 0, ok = 0;

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
	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			fprintf(stderr, "libyaml refused: %s\n", text);
			abort();
		}
		if (ev.type == YAML_SCALAR_EVENT) {
			if (ev.data.scalar.length != size || memcmp(ev.data.scalar.value, name, size) != 0) {
				fprintf(stderr, "read back differently: %s\n", text);
				abort();
			}
			ok = 1;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (!ok)
		abort();
	free(text);
	free(name);
	return 0;
}
