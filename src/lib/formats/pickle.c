/* pickle.c -- a streaming pickle opcode walker (protocols 0 to 5).
 * It never unpickles: it models the stack only as far as needed to know
 * which strings STACK_GLOBAL consumes (strings, marks, "something else"),
 * keeps a bounded memo for BINGET and friends, skips big arguments by their
 * length, and records every import. Anything it cannot follow (an unknown
 * opcode, an overflow of its bounds, a truncated stream) makes the verdict
 * unknown, never safe. */
#include "formats/pickle_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- opcodes ---- */

enum argkind { A_NONE, A_FIXED, A_LINES, A_COUNTED, A_BAD };

/* The argument an opcode takes: fixed bytes, lines, or a length prefix of
 * *n bytes followed by that many bytes. */
static enum argkind op_arg(uint8_t op, unsigned *n)
{
	*n = 0;
	switch (op) {
	case '(': case '.': case '0': case '1': case '2': case 'N': case 'Q': case 'R': case 'a':
	case 'b': case 'd': case '}': case 'e': case 'l': case ']': case 'o': case 's': case 't':
	case ')': case 'u': case 0x81: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89:
	case 0x8f: case 0x90: case 0x91: case 0x92: case 0x93: case 0x94: case 0x97: case 0x98:
		return A_NONE;
	case 'K': case 'h': case 'q': case 0x80: case 0x82:
		*n = 1;
		return A_FIXED;
	case 'M': case 0x83:
		*n = 2;
		return A_FIXED;
	case 'J': case 'j': case 'r': case 0x84:
		*n = 4;
		return A_FIXED;
	case 'G': case 0x95:
		*n = 8;
		return A_FIXED;
	case 'F': case 'I': case 'L': case 'P': case 'S': case 'V': case 'g': case 'p':
		*n = 1;
		return A_LINES;
	case 'c': case 'i':
		*n = 2;
		return A_LINES;
	case 'U': case 'C': case 0x8a: case 0x8c:
		*n = 1;
		return A_COUNTED;
	case 'T': case 'X': case 'B': case 0x8b:
		*n = 4;
		return A_COUNTED;
	case 0x8d: case 0x8e: case 0x96:
		*n = 8;
		return A_COUNTED;
	default:
		return A_BAD;
	}
}

static bool is_str_op(uint8_t op)
{
	return op == 'U' || op == 'T' || op == 'X' || op == 0x8c || op == 0x8d;
}

/* A protocol 0 string line: 'text' or "text" without escapes. */
static uint32_t quoted(esc_pickle *p, const char *s, size_t n)
{
	if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0] && !memchr(s, '\\', n))
		return esc_pk_str(p, s + 1, n - 2);
	return V_OTHER;
}

static void stop(esc_pickle *p)
{
	if (!esc_pk_pop(p, 1))
		return;
	p->count++;
	p->consumed = p->pos;
	p->in_pickle = false;
	/* each pickle.load() starts with an empty memo */
	p->sp = 0;
	if (p->memo)
		memset(p->memo, 0, p->memo_cap * sizeof *p->memo);
	p->memo_len = 0;
	p->memo_lost = false;
	p->arena_len = 0;
	if (p->max && p->count >= p->max)
		p->st = P_DONE;
}

/* Runs the opcode now that its argument is complete. */
static void exec_op(esc_pickle *p)
{
	const uint8_t op = p->op;
	uint64_t idx = 0, v;

	switch (op) {
	case '(':
		esc_pk_push(p, V_MARK);
		break;
	case '.':
		stop(p);
		break;
	case '0':
		if (p->sp > 0)
			p->sp--; /* POP also discards a bare MARK */
		else
			esc_pk_fail(p, "stack underflow at opcode 0x%02x, byte %llu", op, (unsigned long long)p->pos);
		break;
	case '1':
		esc_pk_pop_mark(p);
		break;
	case '2':
		v = esc_pk_top(p);
		esc_pk_push(p, (uint32_t)v);
		break;
	case 'Q': case 'b': case 'a':
		esc_pk_pop(p, 1);
		if (op == 'Q')
			esc_pk_push(p, V_OTHER);
		break;
	case 'R': case 0x81: case 0x86:
		if (esc_pk_pop(p, 2))
			esc_pk_push(p, V_OTHER);
		break;
	case 0x92: case 0x87:
		if (esc_pk_pop(p, 3))
			esc_pk_push(p, V_OTHER);
		break;
	case 0x85: case 0x98:
		if (esc_pk_pop(p, 1))
			esc_pk_push(p, V_OTHER);
		break;
	case 's':
		esc_pk_pop(p, 2);
		break;
	case 'd': case 'l': case 't': case 'o': case 0x91:
		if (esc_pk_pop_mark(p))
			esc_pk_push(p, V_OTHER);
		break;
	case 'e': case 'u': case 0x90:
		esc_pk_pop_mark(p);
		break;
	case 0x93:
		esc_pk_stack_global(p);
		break;
	case 0x94:
		if (p->memo_lost)
			break;
		v = esc_pk_top(p);
		esc_pk_memo_put(p, p->memo_len, (uint32_t)v);
		break;
	case 0x80:
		if (p->fix[0] > 5)
			esc_pk_fail(p, "unsupported pickle protocol %u", p->fix[0]);
		break;
	case 0x95:
		break;
	case 'h': case 'j':
		esc_pk_push(p, esc_pk_memo_get(p, esc_pk_le(p->fix, op == 'h' ? 1 : 4)));
		break;
	case 'q': case 'r':
		v = esc_pk_top(p);
		esc_pk_memo_put(p, esc_pk_le(p->fix, op == 'q' ? 1 : 4), (uint32_t)v);
		break;
	case 'g': case 'p':
		if (!esc_pk_parse_uint(p->line[0], strlen(p->line[0]), &idx)) {
			esc_pk_fail(p, "bad memo index at byte %llu", (unsigned long long)p->pos);
			break;
		}
		if (op == 'g') {
			esc_pk_push(p, esc_pk_memo_get(p, idx));
		} else {
			v = esc_pk_top(p);
			esc_pk_memo_put(p, idx, (uint32_t)v);
		}
		break;
	case 'c':
		esc_pk_import(p, p->line[0], strlen(p->line[0]), p->line[1], strlen(p->line[1]));
		esc_pk_push(p, V_OTHER);
		break;
	case 'i':
		esc_pk_import(p, p->line[0], strlen(p->line[0]), p->line[1], strlen(p->line[1]));
		if (esc_pk_pop_mark(p))
			esc_pk_push(p, V_OTHER);
		break;
	case 0x82: case 0x83: case 0x84: {
		static const char ext[] = "extension (an import the scan cannot name)";

		esc_pk_import(p, "copyreg", 7, ext, sizeof ext - 1);
		esc_pk_push(p, V_OTHER);
		break;
	}
	case 'S':
		esc_pk_push(p, quoted(p, p->line[0], strlen(p->line[0])));
		break;
	case 'V':
		if (strchr(p->line[0], '\\'))
			esc_pk_push(p, V_OTHER);
		else
			esc_pk_push(p, esc_pk_str(p, p->line[0], strlen(p->line[0])));
		break;
	default:
		/* the rest push one value the model does not need to know */
		esc_pk_push(p, V_OTHER);
		break;
	}
}

/* Called when a counted argument's payload has been read or skipped. */
static void end_data(esc_pickle *p)
{
	if (p->data_keep)
		esc_pk_push(p, esc_pk_str(p, p->str, p->str_len));
	else
		esc_pk_push(p, V_OTHER);
	p->st = P_OP;
}

static void begin_op(esc_pickle *p, uint8_t op)
{
	unsigned n;
	enum argkind k = op_arg(op, &n);

	p->op = op;
	p->in_pickle = true;
	switch (k) {
	case A_NONE:
		exec_op(p);
		break;
	case A_FIXED:
	case A_COUNTED:
		p->fix_need = n;
		p->fix_have = 0;
		p->st = P_FIXED;
		break;
	case A_LINES:
		p->lines_need = n;
		p->lines_have = 0;
		p->line_len = 0;
		p->st = P_LINE;
		break;
	case A_BAD:
		esc_pk_fail(p, "unknown opcode 0x%02x at byte %llu", op, (unsigned long long)(p->pos - 1));
		break;
	}
}

static void end_fixed(esc_pickle *p)
{
	unsigned n;

	if (op_arg(p->op, &n) == A_FIXED) {
		p->st = P_OP;
		exec_op(p);
		return;
	}
	p->data_left = esc_pk_le(p->fix, n);
	if (p->op == 'T' && (p->data_left & 0x80000000u)) {
		esc_pk_fail(p, "negative string length at byte %llu", (unsigned long long)p->pos);
		return;
	}
	p->data_is_str = is_str_op(p->op);
	p->data_keep = p->data_is_str && p->data_left <= PK_STR_MAX;
	p->str_len = 0;
	p->st = P_DATA;
	if (p->data_left == 0)
		end_data(p);
}

void esc_pickle_update(esc_pickle *p, const uint8_t *buf, size_t len)
{
	size_t i = 0, take;
	const uint8_t *nl;

	while (i < len && p->st != P_DONE) {
		switch (p->st) {
		case P_OP:
			p->pos++;
			begin_op(p, buf[i++]);
			break;
		case P_FIXED:
			p->fix[p->fix_have++] = buf[i++];
			p->pos++;
			if (p->fix_have == p->fix_need)
				end_fixed(p);
			break;
		case P_DATA:
			take = len - i;
			if (take > p->data_left)
				take = (size_t)p->data_left;
			if (p->data_keep)
				memcpy(p->str + p->str_len, buf + i, take);
			p->str_len += take;
			p->data_left -= take;
			p->pos += take;
			i += take;
			if (p->data_left == 0)
				end_data(p);
			break;
		case P_LINE:
			nl = memchr(buf + i, '\n', len - i);
			take = nl ? (size_t)(nl - (buf + i)) : len - i;
			if (p->line_len + take > PK_LINE_MAX) {
				esc_pk_fail(p, "line argument longer than %d bytes", PK_LINE_MAX);
				break;
			}
			memcpy(p->line[p->lines_have] + p->line_len, buf + i, take);
			p->line_len += take;
			i += take;
			p->pos += take;
			if (!nl)
				break;
			i++;
			p->pos++;
			p->line[p->lines_have][p->line_len] = '\0';
			if (memchr(p->line[p->lines_have], '\0', p->line_len)) {
				esc_pk_fail(p, "NUL in a line argument at byte %llu", (unsigned long long)p->pos);
				break;
			}
			p->line_len = 0;
			if (++p->lines_have == p->lines_need) {
				p->st = P_OP;
				exec_op(p);
			}
			break;
		case P_DONE:
			break;
		}
	}
}

enum esc_pickle_verdict esc_pickle_final(esc_pickle *p, char *imports, size_t ilen)
{
	enum esc_pickle_verdict worst = ESC_PICKLE_SAFE;
	size_t used = 0;

	if (!p->failed && p->in_pickle)
		esc_pk_fail(p, "pickle truncated at byte %llu (no STOP)", (unsigned long long)p->pos);
	if (!p->failed && p->count == 0)
		esc_pk_fail(p, "no pickle in the file");
	for (unsigned i = 0; i < p->n_imports; i++)
		if (p->imports[i].v > worst)
			worst = p->imports[i].v;
	if ((p->failed || p->imports_lost) && worst < ESC_PICKLE_UNKNOWN)
		worst = ESC_PICKLE_UNKNOWN;
	if (ilen)
		imports[0] = '\0';
	for (unsigned i = 0; i < p->n_imports && ilen && worst != ESC_PICKLE_SAFE; i++) {
		if (p->imports[i].v != worst)
			continue;
		used += (size_t)snprintf(imports + used, used < ilen ? ilen - used : 0, "%s%s",
		                         used ? ", " : "", p->imports[i].text);
		if (used >= ilen)
			break;
	}
	if (p->failed && worst == ESC_PICKLE_UNKNOWN && used < ilen)
		used += (size_t)snprintf(imports + used, ilen - used, "%s%s", used ? ", " : "", p->err);
	if (ilen && used >= ilen && ilen > 4)
		memcpy(imports + ilen - 4, "...", 4);
	return worst;
}
