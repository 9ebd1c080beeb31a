/* pickle_tensor.c -- the numbers the pickle walker follows for torch: small
 * integers, tuples of them, None, a storage's persistent id and what
 * torch._utils._rebuild_tensor_v2 is called with. torch.load sets each
 * tensor on its storage (Tensor.set_) and refuses one whose offset, sizes
 * and strides reach past the storage's element count, the numel of its
 * persistent id: "Trying to resize storage that is not resizable" (zip), or
 * "storage has wrong byte size" (legacy files, whose storages grow first).
 * These values live in their own small arena (p->num), above the string
 * arena's range, so that nothing reads them as strings: imports and
 * allowlist decisions never depend on them. A value the walker cannot
 * follow (arena full, an opcode not modelled) is "other": no check. */
#include "formats/esc_pt.h"
#include "formats/pickle_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIMS_MAX 16

/* The body of a number value of the given kind, or NULL. */
static const char *num(const esc_pickle *p, uint32_t v, char kind)
{
	const char *s;

	if (v < V_NUM || v >= V_NUM + PK_NUM_MAX || v - V_NUM >= p->num_len)
		return NULL;
	s = p->num + (v - V_NUM);
	return s[0] == kind ? s + 1 : NULL;
}

static uint32_t put(esc_pickle *p, char kind, const char *body)
{
	size_t n = strlen(body) + 2;
	char *nn;

	if (p->num_len + n > p->num_cap) {
		size_t cap = p->num_cap ? p->num_cap * 2 : 1024;

		if (p->num_len + n > PK_NUM_MAX)
			return V_OTHER;
		if (cap > PK_NUM_MAX)
			cap = PK_NUM_MAX;
		nn = realloc(p->num, cap);
		if (!nn)
			return V_OTHER;
		p->num = nn;
		p->num_cap = cap;
	}
	p->num[p->num_len] = kind;
	memcpy(p->num + p->num_len + 1, body, n - 1);
	p->num_len += n;
	return (uint32_t)(p->num_len - n) + V_NUM;
}

uint32_t esc_pk_int(esc_pickle *p, int64_t v)
{
	char b[24];

	snprintf(b, sizeof b, "%lld", (long long)v);
	return put(p, 'I', b);
}

uint32_t esc_pk_none(esc_pickle *p)
{
	return put(p, 'N', "");
}

bool esc_pk_int_of(const esc_pickle *p, uint32_t v, int64_t *out)
{
	const char *s = num(p, v, 'I');

	if (!s)
		return false;
	*out = strtoll(s, NULL, 10);
	return true;
}

/* A tuple of integers: its items, false when it is not one. */
static bool ints_of(const esc_pickle *p, uint32_t v, int64_t *x, size_t *n)
{
	const char *s = num(p, v, 'T');
	char *end;

	if (!s)
		return false;
	for (*n = 0; *s && *n < DIMS_MAX; s = *end ? end + 1 : end)
		x[(*n)++] = strtoll(s, &end, 10);
	return true;
}

/* Elements the tensor reaches (computeStorageNbytes / itemsize): -1 when
 * torch refuses it whatever the storage (a negative offset or size), -2
 * when the walker cannot tell (negative strides, ranks that differ,
 * overflow). */
static int64_t reach(int64_t off, const int64_t *size, size_t ns, const int64_t *stride, size_t nt)
{
	uint64_t r = 1;

	if (ns != nt)
		return -2;
	if (off < 0)
		return -1;
	for (size_t i = 0; i < ns; i++)
		if (size[i] < 0)
			return -1;
	for (size_t i = 0; i < ns; i++) {
		if (size[i] == 0)
			return 0;
		if (stride[i] < 0 || (uint64_t)stride[i] > (UINT64_C(1) << 62) / (uint64_t)size[i])
			return -2;
		r += (uint64_t)stride[i] * (uint64_t)(size[i] - 1);
		if (r > (UINT64_C(1) << 62))
			return -2;
	}
	r += (uint64_t)off;
	return r > (UINT64_C(1) << 62) ? -2 : (int64_t)r;
}

/* _rebuild_tensor_v2's arguments (storage, offset, size, stride, ...):
 * 'A' when they fit the storage, 'B' with what they need when they do not. */
static uint32_t args_of(esc_pickle *p, size_t from)
{
	int64_t numel, off, size[DIMS_MAX], stride[DIMS_MAX], r;
	size_t ns, nt;
	const char *st = num(p, p->stack[from], 'S');
	char b[48];

	if (!st || !esc_pk_int_of(p, p->stack[from + 1], &off) || !ints_of(p, p->stack[from + 2], size, &ns) ||
	    !ints_of(p, p->stack[from + 3], stride, &nt))
		return V_OTHER;
	numel = strtoll(st, NULL, 10);
	r = reach(off, size, ns, stride, nt);
	if (r == -2 || (r >= 0 && r <= numel))
		return put(p, 'A', "");
	snprintf(b, sizeof b, "%lld,%lld", (long long)r, (long long)numel);
	return put(p, 'B', b);
}

uint32_t esc_pk_tuple(esc_pickle *p, size_t from)
{
	char b[PK_STR_MAX + 1];
	size_t n = p->sp - from, len = 0;
	int64_t x;
	const char *tag;

	if (from > p->sp)
		return V_OTHER;
	tag = n >= 5 ? esc_pk_sval(p, p->stack[from]) : NULL;
	if (tag && strcmp(tag, "storage") == 0) {
		if (!esc_pk_int_of(p, p->stack[from + 4], &x) || x < 0 || (n > 5 && !num(p, p->stack[from + 5], 'N')))
			return V_OTHER; /* numel unknown, or a view of another storage */
		snprintf(b, sizeof b, "%lld", (long long)x);
		return put(p, 'S', b);
	}
	if (n >= 4 && num(p, p->stack[from], 'S'))
		return args_of(p, from);
	if (n > DIMS_MAX)
		return V_OTHER;
	b[0] = '\0';
	for (size_t i = from; i < p->sp; i++) {
		if (!esc_pk_int_of(p, p->stack[i], &x))
			return V_OTHER;
		len += (size_t)snprintf(b + len, sizeof b - len, "%s%lld", i > from ? "," : "", (long long)x);
		if (len >= sizeof b)
			return V_OTHER;
	}
	return put(p, 'T', b);
}

uint32_t esc_pk_mark_tuple(esc_pickle *p)
{
	size_t m = p->sp;

	while (m > 0 && p->stack[m - 1] != V_MARK)
		m--;
	return m > 0 ? esc_pk_tuple(p, m) : V_OTHER;
}

void esc_pk_number_op(esc_pickle *p, uint8_t op)
{
	/* items each pops: NEWOBJ, TUPLE2 2; NEWOBJ_EX, TUPLE3 3; TUPLE1, FROZENSET 1 */
	size_t n = op == 0x81 || op == 0x86 ? 2 : op == 0x92 || op == 0x87 ? 3 : op == 0x85 || op == 0x98 ? 1 : 0;
	bool tuple = op == 0x85 || op == 0x86 || op == 0x87 || op == ')';
	uint64_t x;
	uint32_t v;

	if (op == 'N') {
		esc_pk_push_fast(p, esc_pk_none(p));
	} else if (op == 'K' || op == 'M' || op == 'J') {
		x = esc_pk_le(p->fix, op == 'K' ? 1 : op == 'M' ? 2 : 4);
		esc_pk_push_fast(p, esc_pk_int(p, op == 'J' ? (int64_t)(int32_t)(uint32_t)x : (int64_t)x));
	} else {
		v = tuple && p->sp >= n ? esc_pk_tuple(p, p->sp - n) : V_OTHER;
		if (n == 0 || esc_pk_pop(p, n))
			esc_pk_push_fast(p, v);
	}
}

/* What persistent_load returns: a storage for torch's storage ids, else
 * anything (legacy torch.load hands back the second item of a
 * ('module', X, ...) id as it is: an imported class). */
uint32_t esc_pk_persid(const esc_pickle *p, uint32_t pid)
{
	return num(p, pid, 'S') ? pid : V_ANY;
}

void esc_pk_reduce(esc_pickle *p, uint32_t callable, uint32_t args)
{
	const char *b = num(p, args, 'B'), *t;
	long long need = 0, numel = 0;

	if (!b || p->tensor_bad || callable < V_IMP || callable - V_IMP >= p->n_imports)
		return;
	t = p->imports[callable - V_IMP].text;
	if (strcmp(t, "torch._utils._rebuild_tensor_v2") != 0 && strcmp(t, "torch._utils._rebuild_tensor") != 0)
		return;
	sscanf(b, "%lld,%lld", &need, &numel);
	if (need < 0)
		snprintf(p->tensor_err, sizeof p->tensor_err, "a tensor with a negative offset or size");
	else
		snprintf(p->tensor_err, sizeof p->tensor_err, "a tensor reaches element %lld of a storage of %lld",
		         need, numel);
	p->tensor_bad = true;
}

const char *esc_pickle_tensor_fault(const esc_pickle *p)
{
	return p->tensor_bad ? p->tensor_err : NULL;
}

bool esc_pickle_result_int(const esc_pickle *p, unsigned index, int64_t *v)
{
	if (index >= 4 || index >= p->count || !p->result_known[index])
		return false;
	*v = p->result[index];
	return true;
}

int64_t esc_pickle_pid_numel(const esc_pickle *p)
{
	return p->pid_numel;
}
