/* contract_yaml.h -- libyaml event helpers for contract_parse.c (internal to
 * the contract files). Every failure is ESCROW_E_INPUT "name:line:col: ...". */
#ifndef CONTRACT_YAML_H
#define CONTRACT_YAML_H

#include <yaml.h>

struct cy {
	escrow_ctx *ctx;
	const char *name;
	yaml_parser_t parser;
	yaml_event_t ev;
	bool have_parser, have_ev;
};

escrow_status cy_open(struct cy *y, escrow_ctx *ctx, const char *name, const char *text, size_t len);
void cy_close(struct cy *y);
/* The next event into y->ev; refuses anchors, aliases and tags. */
escrow_status cy_next(struct cy *y);
escrow_status cy_fail(struct cy *y, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* For the current scalar event. */
const char *cy_value(const struct cy *y);
bool cy_is_null(const struct cy *y);
/* Reads the next event as a value of key: text (at most max bytes, no control
 * characters but '\n' and '\t' when multiline), a non-negative integer, or a
 * boolean. *v stays valid until the next cy_next(). */
escrow_status cy_text(struct cy *y, const char *key, size_t max, bool multiline, const char **v,
                      yaml_mark_t *m);
escrow_status cy_uint(struct cy *y, const char *key, uint64_t *out);
escrow_status cy_bool(struct cy *y, const char *key, bool *out);

#endif
