/* fmt_json.c -- "json": a streaming RFC 8259 syntax validator.
 * Exactly one value with optional whitespace around it; strings must be
 * valid UTF-8 with no raw control characters, \u escapes must pair
 * surrogates; numbers follow the RFC grammar; nesting is limited to
 * JSON_MAX_DEPTH so a hostile file cannot make anyone's parser recurse
 * without end. The state is a few dozen bytes plus a bit stack; nothing is
 * ever buffered, so any chunking gives the same verdict.
 * Speed: long strings and whitespace runs are skipped in tight loops (eight
 * string bytes at a time), since they are most of a JSON file's bytes. */
#include <string.h>

#include "esc_fmt.h"

#define JSON_MAX_DEPTH 512

enum jstate {
	J_VALUE,        /* a value must come */
	J_VALUE_OR_END, /* after '[': a value or ']' */
	J_KEY_OR_END,   /* after '{': a key or '}' */
	J_KEY,          /* after ',' in an object */
	J_COLON,
	J_AFTER,        /* after a value inside a container: ',' or the closer */
	J_DONE,         /* after the top-level value: whitespace only */
	J_STR, J_ESC, J_HEX, J_LOW_BS, J_LOW_U,
	J_NUM_MINUS, J_NUM_ZERO, J_NUM_INT, J_NUM_DOT, J_NUM_FRAC, J_NUM_E, J_NUM_ESIGN, J_NUM_EXP,
	J_LIT,
	J_ERR
};

struct json_state {
	uint8_t state;
	uint8_t str_is_key;
	uint8_t u8need, u8lo, u8hi; /* UTF-8 inside strings */
	uint8_t hexn;               /* hex digits seen in \uXXXX */
	uint8_t want_low;           /* this \u must be a low surrogate */
	uint8_t litpos;
	const char *lit;
	uint32_t cp;
	uint32_t depth;
	uint64_t line;
	uint64_t err_off;
	uint64_t total;
	char err[96];
	uint8_t stack[JSON_MAX_DEPTH / 8]; /* 1 = object, 0 = array */
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static void json_init(void *st, const char *path, uint64_t size)
{
	struct json_state *j = st;

	(void)path;
	(void)size;
	memset(j, 0, sizeof *j);
	j->state = J_VALUE;
	j->line = 1;
}

static int fail(struct json_state *j, uint64_t off, const char *what)
{
	j->state = J_ERR;
	j->err_off = off;
	snprintf(j->err, sizeof j->err, "%s", what);
	return 1;
}

static int fail_char(struct json_state *j, uint64_t off, uint8_t c, const char *expected)
{
	char what[96];

	if (c >= 0x21 && c < 0x7f)
		snprintf(what, sizeof what, "unexpected '%c', expected %s", c, expected);
	else
		snprintf(what, sizeof what, "unexpected byte 0x%02X, expected %s", c, expected);
	return fail(j, off, what);
}

static void value_done(struct json_state *j)
{
	j->state = j->depth ? J_AFTER : J_DONE;
}

static int is_object(const struct json_state *j)
{
	uint32_t d = j->depth - 1;

	return (j->stack[d >> 3] >> (d & 7)) & 1;
}

/* The first byte of a value. Returns 1 on error. */
static int start_value(struct json_state *j, uint8_t c, uint64_t off)
{
	switch (c) {
	case '{':
	case '[':
		if (j->depth >= JSON_MAX_DEPTH)
			return fail(j, off, "nesting deeper than 512 levels");
		if (c == '{')
			j->stack[j->depth >> 3] |= (uint8_t)(1u << (j->depth & 7));
		else
			j->stack[j->depth >> 3] &= (uint8_t)~(1u << (j->depth & 7));
		j->depth++;
		j->state = c == '{' ? J_KEY_OR_END : J_VALUE_OR_END;
		return 0;
	case '"':
		j->str_is_key = 0;
		j->state = J_STR;
		return 0;
	case '-':
		j->state = J_NUM_MINUS;
		return 0;
	case '0':
		j->state = J_NUM_ZERO;
		return 0;
	case 't':
		j->lit = "true";
		break;
	case 'f':
		j->lit = "false";
		break;
	case 'n':
		j->lit = "null";
		break;
	default:
		if (c >= '1' && c <= '9') {
			j->state = J_NUM_INT;
			return 0;
		}
		return fail_char(j, off, c, "a value");
	}
	j->litpos = 1;
	j->state = J_LIT;
	return 0;
}

static int close_container(struct json_state *j, uint8_t c, uint64_t off)
{
	if ((c == '}') != is_object(j))
		return fail_char(j, off, c, is_object(j) ? "',' or '}'" : "',' or ']'");
	j->depth--;
	value_done(j);
	return 0;
}

/* Handles one byte inside a string (after the fast loop). */
static int string_byte(struct json_state *j, uint8_t c, uint64_t off)
{
	if (j->u8need) {
		if (c < j->u8lo || c > j->u8hi)
			return fail(j, off, "invalid UTF-8 in a string");
		j->u8need--;
		j->u8lo = 0x80;
		j->u8hi = 0xBF;
		return 0;
	}
	if (c == '"') {
		if (j->str_is_key)
			j->state = J_COLON;
		else
			value_done(j);
		return 0;
	}
	if (c == '\\') {
		j->state = J_ESC;
		return 0;
	}
	if (c < 0x20)
		return fail(j, off, "control character in a string (escape it)");
	if (c < 0x80)
		return 0;
	j->u8lo = 0x80;
	j->u8hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		j->u8need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		j->u8need = 2;
		if (c == 0xE0)
			j->u8lo = 0xA0;
		else if (c == 0xED)
			j->u8hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		j->u8need = 3;
		if (c == 0xF0)
			j->u8lo = 0x90;
		else if (c == 0xF4)
			j->u8hi = 0x8F;
	} else {
		return fail(j, off, "invalid UTF-8 in a string");
	}
	return 0;
}

/* Number states that may end the number. */
static int num_terminal(uint8_t s)
{
	return s == J_NUM_ZERO || s == J_NUM_INT || s == J_NUM_FRAC || s == J_NUM_EXP;
}

/* One byte in a number state. Returns 0 consumed, 1 error, 2 the number
 * ended before c (c must be handled again). */
static int number_byte(struct json_state *j, uint8_t c, uint64_t off)
{
	int digit = c >= '0' && c <= '9';

	switch (j->state) {
	case J_NUM_MINUS:
		if (c == '0')
			j->state = J_NUM_ZERO;
		else if (digit)
			j->state = J_NUM_INT;
		else
			return fail_char(j, off, c, "a digit after '-'");
		return 0;
	case J_NUM_ZERO:
	case J_NUM_INT:
		if (digit && j->state == J_NUM_INT)
			return 0;
		if (digit)
			return fail(j, off, "leading zero in a number");
		if (c == '.') {
			j->state = J_NUM_DOT;
			return 0;
		}
		if (c == 'e' || c == 'E') {
			j->state = J_NUM_E;
			return 0;
		}
		break;
	case J_NUM_DOT:
		if (!digit)
			return fail_char(j, off, c, "a digit after '.'");
		j->state = J_NUM_FRAC;
		return 0;
	case J_NUM_FRAC:
		if (digit)
			return 0;
		if (c == 'e' || c == 'E') {
			j->state = J_NUM_E;
			return 0;
		}
		break;
	case J_NUM_E:
		if (c == '+' || c == '-') {
			j->state = J_NUM_ESIGN;
			return 0;
		}
		/* fall through */
	case J_NUM_ESIGN:
		if (!digit)
			return fail_char(j, off, c, "a digit in the exponent");
		j->state = J_NUM_EXP;
		return 0;
	case J_NUM_EXP:
		if (digit)
			return 0;
		break;
	}
	value_done(j);
	return 2;
}

/* After a backslash in a string: the escape, its \u hex digits, and the
 * low half a high surrogate needs. */
static int escape_byte(struct json_state *j, uint8_t c, uint64_t off)
{
	int r;

	switch (j->state) {
	case J_ESC:
		if (c == 'u') {
			j->state = J_HEX;
			j->hexn = 0;
			j->cp = 0;
		} else if (strchr("\"\\/bfnrt", c) && c) {
			j->state = J_STR;
		} else {
			return fail_char(j, off, c, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
		}
		break;
	case J_HEX:
		r = esc_hex_digit(c);
		if (r < 0)
			return fail_char(j, off, c, "a hex digit in \\u");
		j->cp = j->cp << 4 | (uint32_t)r;
		if (++j->hexn < 4)
			break;
		if (j->want_low) {
			if (j->cp < 0xDC00 || j->cp > 0xDFFF)
				return fail(j, off, "high surrogate \\u escape without a low one");
			j->want_low = 0;
			j->state = J_STR;
		} else if (j->cp >= 0xD800 && j->cp <= 0xDBFF) {
			j->want_low = 1;
			j->state = J_LOW_BS;
		} else if (j->cp >= 0xDC00 && j->cp <= 0xDFFF) {
			return fail(j, off, "lone low surrogate \\u escape");
		} else {
			j->state = J_STR;
		}
		break;
	case J_LOW_BS:
		if (c != '\\')
			return fail(j, off, "high surrogate \\u escape without a low one");
		j->state = J_LOW_U;
		break;
	case J_LOW_U:
		if (c != 'u')
			return fail(j, off, "high surrogate \\u escape without a low one");
		j->state = J_HEX;
		j->hexn = 0;
		j->cp = 0;
		break;
	default:
		break;
	}
	return 0;
}

/* Between tokens, whitespace skipped: what may come next. */
static int structural_byte(struct json_state *j, uint8_t c, uint64_t off)
{
	switch (j->state) {
	case J_VALUE_OR_END:
		if (c == ']') {
			if (close_container(j, c, off))
				return 1;
			break;
		}
		/* fall through */
	case J_VALUE:
		if (start_value(j, c, off))
			return 1;
		break;
	case J_KEY_OR_END:
		if (c == '}') {
			if (close_container(j, c, off))
				return 1;
			break;
		}
		/* fall through */
	case J_KEY:
		if (c != '"')
			return fail_char(j, off, c, "a string key");
		j->str_is_key = 1;
		j->state = J_STR;
		break;
	case J_COLON:
		if (c != ':')
			return fail_char(j, off, c, "':' after a key");
		j->state = J_VALUE;
		break;
	case J_AFTER:
		if (c == ',') {
			j->state = is_object(j) ? J_KEY : J_VALUE;
		} else if (c == '}' || c == ']') {
			if (close_container(j, c, off))
				return 1;
		} else {
			return fail_char(j, off, c, is_object(j) ? "',' or '}'" : "',' or ']'");
		}
		break;
	case J_DONE:
		return fail_char(j, off, c, "the end of the file (one value only)");
	}
	return 0;
}

static int json_update(void *st, const uint8_t *buf, size_t len, uint64_t off)
{
	struct json_state *j = st;
	size_t i = 0;

	j->total = off + len;
	while (i < len) {
		uint8_t c = buf[i];
		int r;

		switch (j->state) {
		case J_ERR:
			return 1;
		case J_STR:
			if (j->u8need == 0) {
				/* Skip bytes that are plain ASCII, not '"', '\\' or control. */
				while (len - i >= 8) {
					uint64_t v, q, b;

					memcpy(&v, buf + i, 8);
					q = v ^ (ONES * '"');
					b = v ^ (ONES * '\\');
					if (((v - ONES * 0x20) | v | ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGHS)
						break;
					i += 8;
				}
				while (i < len && buf[i] >= 0x20 && buf[i] < 0x80 && buf[i] != '"' && buf[i] != '\\')
					i++;
				if (i == len)
					return 0;
				c = buf[i];
			}
			if (string_byte(j, c, off + i))
				return 1;
			break;
		case J_ESC: case J_HEX: case J_LOW_BS: case J_LOW_U:
			if (escape_byte(j, c, off + i))
				return 1;
			break;
		case J_NUM_MINUS: case J_NUM_ZERO: case J_NUM_INT: case J_NUM_DOT:
		case J_NUM_FRAC: case J_NUM_E: case J_NUM_ESIGN: case J_NUM_EXP:
			if (j->state == J_NUM_INT || j->state == J_NUM_FRAC || j->state == J_NUM_EXP) {
				while (i < len && buf[i] >= '0' && buf[i] <= '9')
					i++;
				if (i == len)
					return 0;
				c = buf[i];
			}
			r = number_byte(j, c, off + i);
			if (r == 1)
				return 1;
			if (r == 2)
				continue; /* c is handled by the state after the number */
			break;
		case J_LIT:
			if (c != (uint8_t)j->lit[j->litpos])
				return fail_char(j, off + i, c, j->lit[0] == 't' ? "'true'" :
				                 j->lit[0] == 'f' ? "'false'" : "'null'");
			if (j->lit[++j->litpos] == '\0')
				value_done(j);
			break;
		default:
			/* Structural states: whitespace first. */
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
				do {
					if (buf[i] == '\n')
						j->line++;
					i++;
				} while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'));
				continue;
			}
			if (structural_byte(j, c, off + i))
				return 1;
			break;
		}
		i++;
	}
	return 0;
}

static int json_final(void *st, char *reason, size_t rlen)
{
	struct json_state *j = st;

	if (j->state != J_ERR && j->state != J_DONE) {
		if (num_terminal(j->state) && j->depth == 0)
			j->state = J_DONE;
		else if (j->state == J_VALUE && j->depth == 0)
			snprintf(j->err, sizeof j->err, "no JSON value (the file is empty or blank)");
		else if (j->state >= J_STR && j->state <= J_LOW_U)
			snprintf(j->err, sizeof j->err, "string not closed at the end of the file (truncated?)");
		else if (j->depth)
			snprintf(j->err, sizeof j->err, "%u unclosed '{' or '[' at the end of the file (truncated?)",
			         (unsigned)j->depth);
		else
			snprintf(j->err, sizeof j->err, "value cut off at the end of the file (truncated?)");
		if (j->state != J_DONE) {
			j->state = J_ERR;
			j->err_off = j->total;
		}
	}
	if (j->state == J_DONE)
		return 1;
	snprintf(reason, rlen, "byte %llu (line %llu): %s", (unsigned long long)j->err_off,
	         (unsigned long long)j->line, j->err);
	return 0;
}

/* A JSON document that claims to be one: optional BOM-less whitespace, then
 * '{' or '['. Scalars at top level are valid JSON but too weak to sniff. */
static int json_sniff(const uint8_t *head, size_t len, uint64_t size)
{
	size_t i = 0;

	(void)size;
	while (i < len && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
		i++;
	if (i == len || (head[i] != '{' && head[i] != '['))
		return 0;
	for (i++; i < len; i++) {
		uint8_t c = head[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		/* What may follow an opener in JSON. */
		return c == '"' || c == '{' || c == '[' || c == '}' || c == ']' || c == '-' ||
		       (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n';
	}
	return 1;
}

const struct esc_fmt_ops esc_fmt_json = {
	.fmt = ESC_FMT_JSON,
	.state_size = sizeof(struct json_state),
	.init = json_init,
	.update = json_update,
	.final = json_final,
	.sniff = json_sniff,
	.full_scan = true,
};
