/* contract_yaml.h -- libyaml event helpers for contract_parse.c (internal to
 * the contract files). Every failure is ESCROW_E_INPUT "name:line:col: ...". */
#ifndef CONTRACT_YAML_H
#define CONTRACT_YAML_H

#include <yaml.h>

/* The parser reports every error it can, up to this many. */
#define CY_MAX_ERRORS 20

struct cy {
	escrow_ctx *ctx;
	const char *name;
	yaml_parser_t parser;
	yaml_event_t ev;
	bool have_parser, have_ev;
	/* Errors so far ("name:line:col: message", malloc'd). fatal: the events
	 * cannot be followed further (a YAML syntax error, too many errors, out
	 * of memory), so the parse stops. */
	char *errs[CY_MAX_ERRORS + 1];
	size_t n_err;
	bool fatal;
};

escrow_status cy_open(struct cy *y, escrow_ctx *ctx, const char *name, const char *text, size_t len);
void cy_close(struct cy *y);
/* The next event into y->ev; refuses anchors, aliases and tags. */
escrow_status cy_next(struct cy *y);
/* Records an error at m and returns ESCROW_E_INPUT; the parse goes on
 * (cy_skip, then the next key) unless y->fatal. */
escrow_status cy_fail(struct cy *y, const yaml_mark_t *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* After an error in a value: when the current event starts a mapping or a
 * list, moves past its end, so the next event is the next key. */
escrow_status cy_skip(struct cy *y);
/* true when st is an error recorded by cy_fail the parse can go on after. */
bool cy_soft(const struct cy *y, escrow_status st);
/* ESCROW_E_INPUT with every recorded error in the context, or ESCROW_OK. */
escrow_status cy_report(struct cy *y);
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
