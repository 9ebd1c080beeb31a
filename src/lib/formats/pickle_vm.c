/* pickle_vm.c -- a streaming pickle opcode walker (protocols 0 to 5).
 * It never unpickles: it models the stack only as far as needed to know
 * which strings STACK_GLOBAL consumes (strings, marks, "something else"),
 * keeps a bounded memo for BINGET and friends, skips big arguments by their
 * length, and records every import: GLOBAL, INST, STACK_GLOBAL (whatever
 * string opcodes or memo reads fed it), and EXT1/2/4. An import off the
 * allowlist makes the verdict unsafe, and so does anything it cannot follow
 * (an unknown opcode, an overflow of its bounds, a truncated stream): the
 * unpickler runs the REDUCEs it met before it fails. */
#include "formats/pickle_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- opcodes ---- */

enum argkind { A_BAD, A_NONE, A_FIXED, A_LINES, A_COUNTED };

#define ARG(kind, n) ((uint8_t)((kind) | (n) << 3))

/* What argument each opcode takes: nothing, n fixed bytes, n lines, or an
 * n-byte length followed by that many bytes. Zero: not an opcode. */
static const uint8_t argtab[256] = {
	['('] = ARG(A_NONE, 0), ['.'] = ARG(A_NONE, 0), ['0'] = ARG(A_NONE, 0), ['1'] = ARG(A_NONE, 0),
	['2'] = ARG(A_NONE, 0), ['N'] = ARG(A_NONE, 0), ['Q'] = ARG(A_NONE, 0), ['R'] = ARG(A_NONE, 0),
	['a'] = ARG(A_NONE, 0), ['b'] = ARG(A_NONE, 0), ['d'] = ARG(A_NONE, 0), ['}'] = ARG(A_NONE, 0),
	['e'] = ARG(A_NONE, 0), ['l'] = ARG(A_NONE, 0), [']'] = ARG(A_NONE, 0), ['o'] = ARG(A_NONE, 0),
	['s'] = ARG(A_NONE, 0), ['t'] = ARG(A_NONE, 0), [')'] = ARG(A_NONE, 0), ['u'] = ARG(A_NONE, 0),
	[0x81] = ARG(A_NONE, 0), [0x85] = ARG(A_NONE, 0), [0x86] = ARG(A_NONE, 0), [0x87] = ARG(A_NONE, 0),
	[0x88] = ARG(A_NONE, 0), [0x89] = ARG(A_NONE, 0), [0x8f] = ARG(A_NONE, 0), [0x90] = ARG(A_NONE, 0),
	[0x91] = ARG(A_NONE, 0), [0x92] = ARG(A_NONE, 0), [0x93] = ARG(A_NONE, 0), [0x94] = ARG(A_NONE, 0),
	[0x97] = ARG(A_NONE, 0), [0x98] = ARG(A_NONE, 0),
	['K'] = ARG(A_FIXED, 1), ['h'] = ARG(A_FIXED, 1), ['q'] = ARG(A_FIXED, 1), [0x80] = ARG(A_FIXED, 1),
	[0x82] = ARG(A_FIXED, 1), ['M'] = ARG(A_FIXED, 2), [0x83] = ARG(A_FIXED, 2),
	['J'] = ARG(A_FIXED, 4), ['j'] = ARG(A_FIXED, 4), ['r'] = ARG(A_FIXED, 4), [0x84] = ARG(A_FIXED, 4),
	['G'] = ARG(A_FIXED, 8), [0x95] = ARG(A_FIXED, 8),
	['F'] = ARG(A_LINES, 1), ['I'] = ARG(A_LINES, 1), ['L'] = ARG(A_LINES, 1), ['P'] = ARG(A_LINES, 1),
	['S'] = ARG(A_LINES, 1), ['V'] = ARG(A_LINES, 1), ['g'] = ARG(A_LINES, 1), ['p'] = ARG(A_LINES, 1),
	['c'] = ARG(A_LINES, 2), ['i'] = ARG(A_LINES, 2),
	['U'] = ARG(A_COUNTED, 1), ['C'] = ARG(A_COUNTED, 1), [0x8a] = ARG(A_COUNTED, 1),
	[0x8c] = ARG(A_COUNTED, 1), ['T'] = ARG(A_COUNTED, 4), ['X'] = ARG(A_COUNTED, 4),
	['B'] = ARG(A_COUNTED, 4), [0x8b] = ARG(A_COUNTED, 4), [0x8d] = ARG(A_COUNTED, 8),
	[0x8e] = ARG(A_COUNTED, 8), [0x96] = ARG(A_COUNTED, 8),
};

static enum argkind op_arg(uint8_t op, unsigned *n)
{
	*n = argtab[op] >> 3;
	return (enum argkind)(argtab[op] & 7);
}

bool esc_pickle_inert(const esc_pickle *p)
{
	return p->failed && !p->limit_hit && p->n_imports == 0 && !p->imports_lost && p->count == 0;
}

bool esc_pickle_is_opcode(uint8_t b)
{
	return argtab[b] != 0;
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

/* A string value was pushed (the legacy torch size check reads them). */
static void pushed_str(esc_pickle *p, uint32_t v)
{
	const char *s = esc_pk_sval(p, v);

	if (s && p->watch && p->watch->string)
		p->watch->string(p->watch->u, p->count, s);
}

/* TUPLE: ('storage', <import>, 'key', ...) is a torch storage's persistent id. */
static void tuple_seen(esc_pickle *p)
{
	size_t m = p->sp;
	const char *tag, *key;

	if (!p->watch || !p->watch->storage)
		return;
	while (m > 0 && p->stack[m - 1] != V_MARK)
		m--;
	if (m == 0 || p->sp - m < 3 || p->stack[m + 1] < V_IMP || p->stack[m + 1] - V_IMP >= p->n_imports)
		return;
	tag = esc_pk_sval(p, p->stack[m]);
	key = esc_pk_sval(p, p->stack[m + 2]);
	if (p->sp - m < 5 || !esc_pk_int_of(p, p->stack[m + 4], &p->pid_numel))
		p->pid_numel = -1;
	if (tag && key && strcmp(tag, "storage") == 0)
		p->watch->storage(p->watch->u, p->imports[p->stack[m + 1] - V_IMP].text, key);
}

/* What a call (REDUCE, OBJ, INST) returns. numpy's scalar() hands an
 * object-dtype argument back as it is: a class passed in comes out of the
 * call. A callable the model lost track of may be scalar() itself, and one
 * scalar() returned may be scalar() again. No other allowed callable
 * returns a class. */
static uint32_t call_result(const esc_pickle *p, uint32_t callable)
{
	const char *t;

	if (callable == V_ANY || callable == V_ASIS)
		return V_ANY;
	if (callable < V_IMP || callable - V_IMP >= p->n_imports)
		return V_OTHER;
	t = p->imports[callable - V_IMP].text;
	return strcmp(t, "numpy.core.multiarray.scalar") == 0 || strcmp(t, "numpy._core.multiarray.scalar") == 0
	               ? V_ASIS
	               : V_OTHER;
}

/* BUILD's target, under the state just popped. An imported class (or what
 * scalar() handed back) is not an object made by the pickle: BUILD sets its
 * attributes, for the whole process (torch's TypedStorage.size replaced by
 * two allowed imports). Writers BUILD only objects a call made. */
static void build_seen(esc_pickle *p)
{
	char what[PK_STR_MAX + 1];
	uint32_t t;
	int n;

	if (p->failed || p->sp == 0)
		return;
	t = p->stack[p->sp - 1];
	if (t == V_ASIS)
		n = snprintf(what, sizeof what, "BUILD on what numpy's scalar() returned as is (may be a class)");
	else if (t == V_ANY)
		n = snprintf(what, sizeof what, "BUILD on a value the scan cannot follow (may be a class)");
	else if (t >= V_IMP && t - V_IMP < p->n_imports)
		n = snprintf(what, sizeof what, "BUILD on %s (sets attributes of an imported class)",
		             p->imports[t - V_IMP].text);
	else
		return;
	if (n > 0)
		esc_pk_import(p, "?", 1, what, (size_t)n < sizeof what ? (size_t)n : sizeof what - 1);
}

/* OBJ calls the first item above the topmost mark. */
static uint32_t obj_result(const esc_pickle *p)
{
	size_t m = p->sp;

	while (m > 0 && p->stack[m - 1] != V_MARK)
		m--;
	return m > 0 && m < p->sp ? call_result(p, p->stack[m]) : V_OTHER;
}

static void stop(esc_pickle *p)
{
	if (p->count < 4 && p->sp > 0)
		p->result_known[p->count] = esc_pk_int_of(p, p->stack[p->sp - 1], &p->result[p->count]);
	if (!esc_pk_pop(p, 1))
		return;
	p->count++;
	p->consumed = p->pos;
	p->in_pickle = false;
	/* each pickle.load() starts with an empty memo */
	p->sp = 0;
	/* clear only what was set: clearing the whole capacity at each STOP
	 * would let a few bytes of input cost megabytes of work */
	for (size_t i = 0; i < p->memo_len; i++)
		p->memo[p->dirty[i]] = V_UNSET;
	p->memo_len = 0;
	p->memo_lost = false;
	p->memo_blind = false;
	p->arena_len = 0;
	p->num_len = 0;
	if (p->max && p->count >= p->max)
		p->st = P_DONE;
}

/* PUT, BINPUT, LONG_BINPUT, MEMOIZE, GET, BINGET, LONG_BINGET. */
static void memo_op(esc_pickle *p, uint8_t op)
{
	uint64_t idx = 0, v;

	switch (op) {
	case 0x94:
		if (p->memo_lost) {
			p->memo_blind = true;
			break;
		}
		v = esc_pk_top(p);
		esc_pk_memo_put(p, p->memo_len, (uint32_t)v);
		break;
	case 'h': case 'j':
		esc_pk_push_fast(p, esc_pk_memo_get(p, esc_pk_le(p->fix, op == 'h' ? 1 : 4)));
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
			esc_pk_push_fast(p, esc_pk_memo_get(p, idx));
		} else {
			v = esc_pk_top(p);
			esc_pk_memo_put(p, idx, (uint32_t)v);
		}
		break;
	default:
		break;
	}
}

/* GLOBAL, INST and the copyreg extension codes: what a load would import. */
static void import_op(esc_pickle *p, uint8_t op)
{
	uint64_t v;

	switch (op) {
	case 'c':
		v = esc_pk_import(p, p->line[0], strlen(p->line[0]), p->line[1], strlen(p->line[1]));
		esc_pk_push_fast(p, (uint32_t)v);
		break;
	case 'i':
		v = esc_pk_import(p, p->line[0], strlen(p->line[0]), p->line[1], strlen(p->line[1]));
		if (esc_pk_pop_mark(p))
			esc_pk_push_fast(p, call_result(p, (uint32_t)v));
		break;
	case 0x82: case 0x83: case 0x84: {
		/* copyreg's extension registry maps a number to any callable the
		 * loading process registered: the scan cannot name it */
		char ext[48];
		int n = snprintf(ext, sizeof ext, "_extension_registry[%llu]",
		                 (unsigned long long)esc_pk_le(p->fix, op == 0x82 ? 1 : op == 0x83 ? 2 : 4));

		esc_pk_import(p, "copyreg", 7, ext, (size_t)n);
		esc_pk_push_fast(p, V_OTHER);
		break;
	}
	default:
		break;
	}
}

/* STRING and UNICODE of protocol 0: strings STACK_GLOBAL may name. */
static void text_op(esc_pickle *p, uint8_t op)
{
	uint64_t v;

	switch (op) {
	case 'S':
		v = p->line_nul ? V_OTHER : quoted(p, p->line[0], strlen(p->line[0]));
		esc_pk_push_fast(p, (uint32_t)v);
		pushed_str(p, (uint32_t)v);
		break;
	case 'V':
		/* raw-unicode-escape: a backslash may hide any character */
		v = p->line_nul || strchr(p->line[0], '\\') ? V_OTHER : esc_pk_str(p, p->line[0], strlen(p->line[0]));
		esc_pk_push_fast(p, (uint32_t)v);
		pushed_str(p, (uint32_t)v);
		break;
	default:
		break;
	}
}

/* FRAME: the unpickler reads the frame's whole length before it runs any
 * opcode in it; one that runs past the data ends the load there, "pickle
 * data was truncated" (and a length over 2^63 is an OverflowError). */
static void frame_op(esc_pickle *p)
{
	uint64_t n = 0;

	for (int i = 7; i >= 0; i--)
		n = n << 8 | p->fix[i];
	if (n > INT64_MAX)
		esc_pk_fail(p, "a FRAME of %llu bytes at byte %llu: longer than the unpickler takes",
		            (unsigned long long)n, (unsigned long long)(p->pos - 9));
	else if (p->avail != UINT64_MAX && (p->pos > p->avail || n > p->avail - p->pos))
		esc_pk_fail(p, "pickle truncated: a FRAME of %llu bytes at byte %llu runs past its end (%llu bytes)",
		            (unsigned long long)n, (unsigned long long)(p->pos - 9), (unsigned long long)p->avail);
}

/* Runs the opcode now that its argument is complete. */
static void exec_op(esc_pickle *p)
{
	const uint8_t op = p->op;
	uint64_t v;

	switch (op) {
	case '(':
		esc_pk_push_fast(p, V_MARK);
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
		esc_pk_push_fast(p, (uint32_t)v);
		break;
	case 'Q': case 'b': case 'a':
		v = esc_pk_top(p);
		esc_pk_pop(p, 1);
		if (op == 'Q')
			esc_pk_push_fast(p, esc_pk_persid(p, (uint32_t)v));
		else if (op == 'b')
			build_seen(p);
		break;
	case 'R':
		v = p->sp >= 2 ? p->stack[p->sp - 2] : V_OTHER;
		if (p->sp >= 2)
			esc_pk_reduce(p, (uint32_t)v, p->stack[p->sp - 1]);
		if (esc_pk_pop(p, 2))
			esc_pk_push_fast(p, call_result(p, (uint32_t)v));
		break;
	case 0x81: case 0x86: case 0x92: case 0x87: case 0x85: case 0x98:
	case ')': case 'N': case 'K': case 'M': case 'J':
		esc_pk_number_op(p, op);
		break;
	case 's':
		esc_pk_pop(p, 2);
		break;
	case 'd': case 'l': case 't': case 'o': case 0x91:
		v = V_OTHER;
		if (op == 't') {
			tuple_seen(p);
			v = esc_pk_mark_tuple(p);
		} else if (op == 'o') {
			v = obj_result(p);
		}
		if (esc_pk_pop_mark(p))
			esc_pk_push_fast(p, (uint32_t)v);
		break;
	case 'e': case 'u': case 0x90:
		esc_pk_pop_mark(p);
		break;
	case 0x93:
		esc_pk_stack_global(p);
		break;
	case 0x80:
		if (p->fix[0] > 5)
			esc_pk_fail(p, "unsupported pickle protocol %u", p->fix[0]);
		break;
	case 0x95:
		frame_op(p);
		break;
	case 0x94: case 'h': case 'j': case 'q': case 'r': case 'g': case 'p':
		memo_op(p, op);
		break;
	case 'c': case 'i': case 0x82: case 0x83: case 0x84:
		import_op(p, op);
		break;
	case 'S': case 'V':
		text_op(p, op);
		break;
	case 'P':
		esc_pk_push_fast(p, V_ANY); /* what persistent_load returns */
		break;
	default:
		/* the rest push one value the model does not need to know */
		esc_pk_push_fast(p, V_OTHER);
		break;
	}
}

/* How many of the n bytes are good UTF-8 so far (n: all of them; the state
 * carries a character cut between chunks). BINUNICODE, SHORT_BINUNICODE and
 * BINUNICODE8 are decoded as UTF-8 with
 * Python's "surrogatepass" (the loader fails on anything else, so the file
 * does not load): the usual UTF-8 byte ranges, ED followed by A0-BF too. */
static size_t utf8_feed(esc_pickle *p, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = b[i];

		if (p->u8_need > 0) {
			if (c < p->u8_lo || c > p->u8_hi)
				return i;
			p->u8_need--;
			p->u8_lo = 0x80;
			p->u8_hi = 0xbf;
			continue;
		}
		if (c < 0x80)
			continue;
		p->u8_lo = 0x80;
		p->u8_hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf) {
			p->u8_need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			p->u8_need = 2;
			if (c == 0xe0)
				p->u8_lo = 0xa0;
		} else if (c >= 0xf0 && c <= 0xf4) {
			p->u8_need = 3;
			if (c == 0xf0)
				p->u8_lo = 0x90;
			else if (c == 0xf4)
				p->u8_hi = 0x8f;
		} else {
			return i;
		}
	}
	return n;
}

/* pos: the offset of the byte that breaks it (or of the string's end). */
static void bad_utf8(esc_pickle *p, uint64_t pos)
{
	esc_pk_fail(p, "a unicode string that is not UTF-8 at byte %llu: the pickle does not load",
	            (unsigned long long)pos);
}

/* Called when a counted argument's payload has been read or skipped. */
static void end_data(esc_pickle *p)
{
	if (p->data_utf8 && p->u8_need > 0) {
		bad_utf8(p, p->pos);
		return;
	}
	if (p->data_keep) {
		uint32_t v = esc_pk_str(p, p->str, p->str_len);

		esc_pk_push_fast(p, v);
		pushed_str(p, v);
	} else
		esc_pk_push_fast(p, V_OTHER);
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
	p->data_utf8 = p->op == 'X' || p->op == 0x8c || p->op == 0x8d;
	p->u8_need = 0;
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
			if (len - i > 9 && (argtab[buf[i]] & 7) == A_FIXED) {
				/* fast path: opcode and argument both in this chunk */
				unsigned n = argtab[buf[i]] >> 3;

				p->op = buf[i];
				p->in_pickle = true;
				memcpy(p->fix, buf + i + 1, n);
				i += 1 + n;
				p->pos += 1 + n;
				exec_op(p);
				break;
			}
			p->pos++;
			begin_op(p, buf[i++]);
			break;
		case P_FIXED:
			take = p->fix_need - p->fix_have < len - i ? p->fix_need - p->fix_have : len - i;
			memcpy(p->fix + p->fix_have, buf + i, take);
			p->fix_have += (unsigned)take;
			p->pos += take;
			i += take;
			if (p->fix_have == p->fix_need)
				end_fixed(p);
			break;
		case P_DATA:
			take = len - i;
			if (take > p->data_left)
				take = (size_t)p->data_left;
			if (p->data_keep)
				memcpy(p->str + p->str_len, buf + i, take);
			if (p->data_utf8) {
				size_t good = utf8_feed(p, buf + i, take);

				if (good < take) {
					bad_utf8(p, p->pos + good);
					break;
				}
			}
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
				p->limit_hit = true;
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
			/* A NUL ends a number for the unpickler and sits in a string;
			 * a name with one imports nothing (the unpickler fails there). */
			p->line_nul = memchr(p->line[p->lines_have], '\0', p->line_len) != NULL;
			if (p->line_nul && (p->op == 'c' || p->op == 'i')) {
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

static enum esc_pickle_verdict pk_final(esc_pickle *p, bool ts, char *imports, size_t ilen)
{
	enum esc_pickle_verdict worst = ESC_PICKLE_SAFE;
	size_t used = 0;

	if (!p->failed && p->in_pickle)
		esc_pk_fail(p, "pickle truncated at byte %llu (no STOP)", (unsigned long long)p->pos);
	if (!p->failed && p->count == 0)
		esc_pk_fail(p, "no pickle in the file");
	for (unsigned i = 0; i < p->n_imports; i++) {
		enum esc_pickle_verdict v = ts ? p->imports[i].v_ts : p->imports[i].v;

		if (v > worst)
			worst = v;
	}
	/* what the scan could not read or name may hold any import */
	if (p->failed || p->imports_lost)
		worst = ESC_PICKLE_DANGEROUS;
	if (ilen)
		imports[0] = '\0';
	for (unsigned i = 0; i < p->n_imports && ilen && worst != ESC_PICKLE_SAFE; i++) {
		if ((ts ? p->imports[i].v_ts : p->imports[i].v) != worst)
			continue;
		used += (size_t)snprintf(imports + used, used < ilen ? ilen - used : 0, "%s%s",
		                         used ? ", " : "", p->imports[i].text);
		if (used >= ilen)
			break;
	}
	if (p->imports_lost && used < ilen)
		used += (size_t)snprintf(imports + used, ilen - used, "%smore than %d imports", used ? ", " : "",
		                         PK_IMPORTS_MAX);
	if (p->failed && used < ilen)
		used += (size_t)snprintf(imports + used, ilen - used, "%scannot be fully scanned: %s",
		                         used ? ", " : "", p->err);
	if (ilen && used >= ilen && ilen > 4)
		memcpy(imports + ilen - 4, "...", 4);
	return worst;
}

enum esc_pickle_verdict esc_pickle_final(esc_pickle *p, char *imports, size_t ilen)
{
	return pk_final(p, false, imports, ilen);
}

enum esc_pickle_verdict esc_pickle_final_ts(esc_pickle *p, char *imports, size_t ilen)
{
	return pk_final(p, true, imports, ilen);
}
