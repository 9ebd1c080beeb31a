/* pickle_model.c -- the pickle walker's model of the unpickler: a stack of
 * values that are strings, imports, marks or "something else", a bounded
 * memo, and the imports met. Bounds exceeded make the verdict unsafe, never
 * safe. */
#include "formats/pickle_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void esc_pk_fail(esc_pickle *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void esc_pk_fail(esc_pickle *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		vsnprintf(p->err, sizeof p->err, fmt, ap);
		va_end(ap);
		p->failed = true;
	}
	p->st = P_DONE;
}

esc_pickle *esc_pickle_new(void)
{
	esc_pickle *p = calloc(1, sizeof *p);

	if (p != NULL)
		p->avail = UINT64_MAX;
	return p;
}

void esc_pickle_free(esc_pickle *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->n_imports; i++)
		free(p->imports[i].text);
	free(p->stack);
	free(p->memo);
	free(p->dirty);
	free(p->arena);
	free(p->num);
	free(p);
}

void esc_pickle_watch(esc_pickle *p, const struct esc_pickle_watch *w)
{
	p->watch = w;
}

void esc_pickle_set_max(esc_pickle *p, unsigned n)
{
	p->max = n;
}

void esc_pickle_set_size(esc_pickle *p, uint64_t n)
{
	p->avail = n;
}

int esc_pickle_done(const esc_pickle *p)
{
	return p->st == P_DONE;
}

uint64_t esc_pickle_consumed(const esc_pickle *p)
{
	return p->consumed;
}

unsigned esc_pickle_count(const esc_pickle *p)
{
	return p->count;
}

void esc_insp_pickle_merge(struct esc_inspection *out, enum esc_pickle_verdict v, const char *imports)
{
	size_t used;

	if (!imports)
		imports = "";
	if (v > out->pickle) {
		out->pickle = v;
		snprintf(out->pickle_imports, sizeof out->pickle_imports, "%s", imports);
	} else if (v == out->pickle && imports[0] && !strstr(out->pickle_imports, imports)) {
		used = strlen(out->pickle_imports);
		if (used + 2 + strlen(imports) < sizeof out->pickle_imports)
			snprintf(out->pickle_imports + used, sizeof out->pickle_imports - used, "%s%s",
			         used ? ", " : "", imports);
	}
}

/* ---- the model ---- */

uint32_t esc_pk_str(esc_pickle *p, const char *s, size_t n)
{
	char *na;
	size_t cap;

	if (n > PK_STR_MAX || memchr(s, '\0', n))
		return V_OTHER;
	if (p->arena_len + n + 1 > p->arena_cap) {
		if (p->arena_len + n + 1 > PK_ARENA_MAX)
			return V_OTHER;
		cap = p->arena_cap ? p->arena_cap * 2 : 4096;
		if (cap > PK_ARENA_MAX)
			cap = PK_ARENA_MAX;
		na = realloc(p->arena, cap);
		if (!na)
			return V_OTHER;
		p->arena = na;
		p->arena_cap = cap;
	}
	memcpy(p->arena + p->arena_len, s, n);
	p->arena[p->arena_len + n] = '\0';
	p->arena_len += n + 1;
	return (uint32_t)(p->arena_len - n - 1) + V_STR;
}

void esc_pk_push(esc_pickle *p, uint32_t v)
{
	uint32_t *ns;
	size_t cap;

	if (p->sp == p->stack_cap) {
		if (p->stack_cap >= PK_STACK_MAX) {
			p->limit_hit = true;
			esc_pk_fail(p, "pickle stack deeper than %d items", PK_STACK_MAX);
			return;
		}
		cap = p->stack_cap ? p->stack_cap * 2 : 64;
		ns = realloc(p->stack, cap * sizeof *ns);
		if (!ns) {
			p->limit_hit = true;
			esc_pk_fail(p, "out of memory after %zu stack items", p->sp);
			return;
		}
		p->stack = ns;
		p->stack_cap = cap;
	}
	p->stack[p->sp++] = v;
}

/* Pops n values that are not marks (the unpickler cannot reach past a mark). */
bool esc_pk_pop(esc_pickle *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p->sp == 0 || p->stack[p->sp - 1] == V_MARK) {
			esc_pk_fail(p, "stack underflow at opcode 0x%02x, byte %llu", p->op, (unsigned long long)p->pos);
			return false;
		}
		p->sp--;
	}
	return true;
}

bool esc_pk_pop_mark(esc_pickle *p)
{
	while (p->sp > 0 && p->stack[p->sp - 1] != V_MARK)
		p->sp--;
	if (p->sp == 0) {
		esc_pk_fail(p, "opcode 0x%02x without a MARK at byte %llu", p->op, (unsigned long long)p->pos);
		return false;
	}
	p->sp--;
	return true;
}

uint32_t esc_pk_top(esc_pickle *p)
{
	if (p->sp == 0 || p->stack[p->sp - 1] == V_MARK) {
		esc_pk_fail(p, "stack underflow at opcode 0x%02x, byte %llu", p->op, (unsigned long long)p->pos);
		return V_OTHER;
	}
	return p->stack[p->sp - 1];
}

void esc_pk_memo_put(esc_pickle *p, uint64_t idx, uint32_t v)
{
	uint32_t *nm;
	size_t cap;

	if (idx >= PK_MEMO_MAX) {
		p->memo_lost = true; /* MEMOIZE indices can no longer be known */
		return;
	}
	if (idx >= p->memo_cap) {
		cap = p->memo_cap ? p->memo_cap : 256;
		while (cap <= idx)
			cap *= 2;
		nm = realloc(p->memo, cap * sizeof *nm);
		if (!nm) {
			p->memo_lost = true;
			return;
		}
		memset(nm + p->memo_cap, 0, (cap - p->memo_cap) * sizeof *nm);
		p->memo = nm;
		p->memo_cap = cap;
	}
	if (p->memo[idx] == V_UNSET) {
		if (p->memo_len == p->dirty_cap) {
			uint32_t *nd;

			cap = p->dirty_cap ? p->dirty_cap * 2 : 256;
			nd = realloc(p->dirty, cap * sizeof *nd);
			if (!nd) {
				p->memo_lost = true;
				return;
			}
			p->dirty = nd;
			p->dirty_cap = cap;
		}
		p->dirty[p->memo_len++] = (uint32_t)idx;
	}
	p->memo[idx] = v;
}

uint32_t esc_pk_memo_get(esc_pickle *p, uint64_t idx)
{
	/* A MEMOIZE after an index was lost wrote to the slot of the memo's
	 * length, which the scan no longer knows: any slot may hold its value. */
	if (p->memo_blind)
		return V_ANY;
	if (idx < p->memo_cap && p->memo[idx] != V_UNSET)
		return p->memo[idx];
	/* Past the scanner's own memo bounds the index may be good: the loader
	 * reads on, and so must the scan, with a value that may be anything (an
	 * imported class). Otherwise the loader stops here ("Memo value not
	 * found"): the file does not load. */
	if (!p->memo_lost)
		esc_pk_fail(p, "memo index %llu read before it was set, at byte %llu: the pickle does not load",
		            (unsigned long long)idx, (unsigned long long)p->pos);
	return V_ANY;
}

uint32_t esc_pk_import(esc_pickle *p, const char *module, size_t mlen, const char *name, size_t nlen)
{
	char m[PK_STR_MAX + 1], n[PK_STR_MAX + 1], full[2 * PK_STR_MAX + 2];
	enum esc_pickle_verdict v, v_ts;
	bool cut = mlen > PK_STR_MAX || nlen > PK_STR_MAX;

	if (mlen > PK_STR_MAX)
		mlen = PK_STR_MAX;
	if (nlen > PK_STR_MAX)
		nlen = PK_STR_MAX;
	memcpy(m, module, mlen);
	m[mlen] = '\0';
	memcpy(n, name, nlen);
	n[nlen] = '\0';
	/* a name cut short is not the name the loader imports: never allowed */
	v = cut ? ESC_PICKLE_DANGEROUS : esc_pickle_classify(m, n, false);
	v_ts = cut ? ESC_PICKLE_DANGEROUS : esc_pickle_classify(m, n, true);
	snprintf(full, sizeof full, "%s.%s", m, n);
	/* the text reaches reports: printable ASCII only, no list separator */
	for (char *c = full; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f || *c == ',')
			*c = '?';
	for (unsigned i = 0; i < p->n_imports; i++)
		if (strcmp(p->imports[i].text, full) == 0 && p->imports[i].v == v && p->imports[i].v_ts == v_ts)
			return V_IMP + i;
	if (p->n_imports == PK_IMPORTS_MAX) {
		/* no room to name it: the verdict cannot be safe; an allowed
		 * class is still a class (BUILD on it is judged) */
		if (v != ESC_PICKLE_SAFE || v_ts != ESC_PICKLE_SAFE)
			p->imports_lost = true;
		return V_ANY;
	}
	p->imports[p->n_imports].text = strdup(full);
	if (!p->imports[p->n_imports].text) {
		p->imports_lost = true;
		return V_ANY;
	}
	p->imports[p->n_imports].v = v;
	p->imports[p->n_imports].v_ts = v_ts;
	return V_IMP + p->n_imports++;
}

const char *esc_pk_sval(const esc_pickle *p, uint32_t v)
{
	if (v < V_STR || v >= V_IMP || v - V_STR >= p->arena_len)
		return NULL;
	return p->arena + (v - V_STR);
}

void esc_pk_stack_global(esc_pickle *p)
{
	static const char dyn[] = "? (STACK_GLOBAL of values the scan cannot follow)";
	uint32_t name, module, imp;
	const char *ms, *ns;

	name = esc_pk_top(p);
	if (!esc_pk_pop(p, 1))
		return;
	module = esc_pk_top(p);
	if (!esc_pk_pop(p, 1))
		return;
	ms = esc_pk_sval(p, module);
	ns = esc_pk_sval(p, name);
	if (!ms || !ns)
		imp = esc_pk_import(p, "?", 1, dyn, sizeof dyn - 1);
	else
		imp = esc_pk_import(p, ms, strlen(ms), ns, strlen(ns));
	esc_pk_push(p, imp);
}

/* A memo index line read as the unpickler reads it (PyLong_FromString, base
 * 10): the line ends at a NUL; blanks around, a sign, single '_' between
 * digits; -0 is 0. false only where the unpickler fails too; a value too big
 * saturates (beyond the memo, as Python's overflow error). */
bool esc_pk_parse_uint(const char *s, size_t n, uint64_t *out)
{
	const char *end = memchr(s, '\0', n);
	bool neg = false, digit = false;
	uint64_t v = 0;

	if (end != NULL)
		n = (size_t)(end - s);
	end = s + n;
	while (s < end && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
		s++;
	if (s < end && (*s == '+' || *s == '-'))
		neg = *s++ == '-';
	for (; s < end; s++) {
		if (*s == '_' && digit && s + 1 < end && s[1] >= '0' && s[1] <= '9')
			continue;
		if (*s < '0' || *s > '9')
			break;
		digit = true;
		v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + (uint64_t)(*s - '0');
	}
	while (s < end && (*s == ' ' || (*s >= '\t' && *s <= '\r')))
		s++;
	if (!digit || s != end || (neg && v != 0))
		return false;
	*out = v;
	return true;
}

uint64_t esc_pk_le(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i > 0; i--)
		v = (v << 8) | b[i - 1];
	return v;
}

