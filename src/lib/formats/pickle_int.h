/* pickle_int.h -- shared between pickle_vm.c and pickle_class.c. */
#ifndef ESC_PICKLE_INT_H
#define ESC_PICKLE_INT_H

#include "formats/esc_fmt.h"

#include <stdbool.h>
#include <stdint.h>

/* Longest module or name kept for an import (longer ones are cut). */
#define ESC_PK_NAME_MAX 200

/* SAFE when module.name is on the allowlist (docs/PICKLE.md), else
 * DANGEROUS. torchscript: the allowlist of a TorchScript archive's pickles,
 * which the TorchScript unpickler reads (it adds the __torch__ classes). */
enum esc_pickle_verdict esc_pickle_classify(const char *module, const char *name, bool torchscript);

#define PK_LINE_MAX 4096           /* line arguments (protocol 0) */
#define PK_STR_MAX ESC_PK_NAME_MAX /* strings remembered for STACK_GLOBAL */
#define PK_STACK_MAX 100000
#define PK_MEMO_MAX (1u << 20)
#define PK_ARENA_MAX (4u << 20)
#define PK_IMPORTS_MAX 64

/* Stack and memo values: a string (arena offset + V_STR), an import (its
 * index + V_IMP), a mark, or other. */
#define V_UNSET 0u
#define V_OTHER 1u
#define V_MARK 2u
#define V_STR 3u
#define V_IMP 0x80000000u
#define V_ASIS (V_IMP - 1u) /* what numpy's scalar() returns: its argument, maybe a class */
/* A value the model lost track of (a memo slot it could not keep, an import
 * past PK_IMPORTS_MAX, what persistent_load or a call of such a value
 * returned): it may be an imported class. */
#define V_ANY (V_IMP - 2u)
_Static_assert(PK_ARENA_MAX + V_STR < V_IMP, "string and import values overlap");
/* Numbers (pickle_tensor.c): V_NUM + offset in their own arena, never strings. */
#define V_NUM 0x40000000u
#define PK_NUM_MAX (1u << 20)
_Static_assert(PK_ARENA_MAX + V_STR < V_NUM && V_NUM + PK_NUM_MAX < V_ANY, "number values overlap");

enum esc_pk_state { P_OP, P_FIXED, P_LINE, P_DATA, P_DONE };

struct esc_pk_imp {
	char *text;                /* "module.name" */
	enum esc_pickle_verdict v, v_ts; /* plain, TorchScript */
};

struct esc_pickle {
	enum esc_pk_state st;
	uint8_t op;
	uint8_t fix[8];
	unsigned fix_need, fix_have;
	char line[2][PK_LINE_MAX + 1];
	size_t line_len;
	bool line_nul;                     /* the last line read holds a NUL */
	unsigned lines_need, lines_have;
	uint64_t data_left;
	bool data_keep, data_is_str;
	bool data_utf8;            /* a unicode opcode's bytes: UTF-8 with surrogates allowed */
	uint8_t u8_need;           /* continuation bytes still expected */
	uint8_t u8_lo, u8_hi;      /* the range of the next one */
	char str[PK_STR_MAX + 1];
	size_t str_len;

	uint64_t pos, consumed;
	uint64_t avail;            /* bytes the loader can read from the first one (esc_pickle_set_size) */
	unsigned max, count;
	bool in_pickle;

	uint32_t *stack;
	size_t sp, stack_cap;
	uint32_t *memo;
	size_t memo_cap, memo_len;
	uint32_t *dirty;           /* indices set since the last STOP (memo_len of them) */
	size_t dirty_cap;
	bool memo_lost;
	bool memo_blind;           /* MEMOIZE after memo_lost: any slot may hold what it put */
	char *arena;
	size_t arena_len, arena_cap;
	char *num;                 /* number values (pickle_tensor.c), cleared at each STOP */
	size_t num_len, num_cap;
	int64_t pid_numel;         /* numel of the storage persistent id being reported, -1 unknown */
	bool tensor_bad;           /* a tensor reaches past its storage */
	int64_t result[4];         /* what each of the first pickles returned, when a small int */
	bool result_known[4];
	char tensor_err[96];

	struct esc_pk_imp imports[PK_IMPORTS_MAX];
	unsigned n_imports;
	bool imports_lost, failed;
	bool limit_hit;            /* failed on the scanner's own bounds: the loader reads on */
	char err[160];
	const struct esc_pickle_watch *watch;
};


void esc_pk_fail(esc_pickle *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint32_t esc_pk_str(esc_pickle *p, const char *s, size_t n);  /* a value for a string */
void esc_pk_push(esc_pickle *p, uint32_t v);
bool esc_pk_pop(esc_pickle *p, size_t n);       /* false (and failed) on underflow */
bool esc_pk_pop_mark(esc_pickle *p);
uint32_t esc_pk_top(esc_pickle *p);
void esc_pk_memo_put(esc_pickle *p, uint64_t idx, uint32_t v);
uint32_t esc_pk_memo_get(esc_pickle *p, uint64_t idx);
/* Records an import; returns its value (V_IMP + index, or V_OTHER). */
uint32_t esc_pk_import(esc_pickle *p, const char *module, size_t mlen, const char *name, size_t nlen);
/* The string a value holds, or NULL. */
const char *esc_pk_sval(const esc_pickle *p, uint32_t v);
void esc_pk_stack_global(esc_pickle *p);
bool esc_pk_parse_uint(const char *s, size_t n, uint64_t *out);
uint64_t esc_pk_le(const uint8_t *b, unsigned n);
/* pickle_tensor.c: number values, and the tensor check of REDUCE. */
uint32_t esc_pk_int(esc_pickle *p, int64_t v);
uint32_t esc_pk_none(esc_pickle *p);
bool esc_pk_int_of(const esc_pickle *p, uint32_t v, int64_t *out);
/* The tuple of stack[from..sp), about to be built: ints, a storage id, or
 * _rebuild_tensor_v2's arguments checked against that storage. */
uint32_t esc_pk_tuple(esc_pickle *p, size_t from);
uint32_t esc_pk_persid(const esc_pickle *p, uint32_t pid);
/* TUPLE's value over the items above the topmost mark. */
uint32_t esc_pk_mark_tuple(esc_pickle *p);
/* NEWOBJ, NEWOBJ_EX, TUPLE1-3, FROZENSET, EMPTY_TUPLE, NONE, BININT1/2, BININT:
 * the values they push (numbers where the walker follows them). */
void esc_pk_number_op(esc_pickle *p, uint8_t op);
void esc_pk_reduce(esc_pickle *p, uint32_t callable, uint32_t args);

/* The common case of esc_pk_push, inline: the walk pushes once per opcode. */
static inline void esc_pk_push_fast(esc_pickle *p, uint32_t v)
{
	if (p->sp < p->stack_cap)
		p->stack[p->sp++] = v;
	else
		esc_pk_push(p, v);
}

#endif
