/* fmt_pytorch_legacy.c -- torch.save(..., _use_new_zipfile_serialization=False):
 * five pickles (magic number, protocol version, system info, the object, the
 * sorted storage keys), then for each key in that order its storage: an
 * 8-byte little-endian element count and count x element size bytes. The
 * element size comes from the storage's persistent id in the object pickle,
 * ('storage', torch.FloatStorage, key, location, numel, ...). A file cut short
 * anywhere, or with bytes after the last storage, is refused. */
#include "formats/esc_pt.h"

#include <stdlib.h>
#include <string.h>

#define KEYS_MAX (1u << 20)

struct pt_key {
	uint64_t hash;
	unsigned es;
	int64_t numel;             /* of its persistent id, -1 unknown */
};

static uint64_t key_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

unsigned esc_pt_elem_size(const char *type)
{
	static const struct {
		const char *name;
		unsigned es;
	} t[] = {
		{ "FloatStorage", 4 }, { "DoubleStorage", 8 }, { "HalfStorage", 2 }, { "BFloat16Storage", 2 },
		{ "LongStorage", 8 }, { "IntStorage", 4 }, { "ShortStorage", 2 }, { "CharStorage", 1 },
		{ "ByteStorage", 1 }, { "BoolStorage", 1 }, { "ComplexFloatStorage", 8 },
		{ "ComplexDoubleStorage", 16 }, { "QInt8Storage", 1 }, { "QUInt8Storage", 1 },
		{ "QInt32Storage", 4 }, { "QUInt4x2Storage", 1 }, { "QUInt2x4Storage", 1 },
		{ "UntypedStorage", 1 },
	};
	const char *dot = strrchr(type, '.');
	const char *name = dot ? dot + 1 : type;

	if (strncmp(type, "torch.", 6) != 0)
		return 0;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(name, t[i].name) == 0)
			return t[i].es;
	return 0;
}

int esc_pt_legacy_head(const uint8_t *h, size_t len)
{
	/* LONG1 of 10 bytes: 0x1950a86a20f9469cfc6c, then STOP */
	static const uint8_t num[13] = { 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e };
	size_t at = 2;

	if (len == 0)
		return -1;
	if (h[0] != 0x80)
		return 0;
	if (len < 2)
		return -1;
	if (h[1] < 2 || h[1] > 5)
		return 0;
	if (h[1] >= 4) { /* FRAME (0x95) and its 8-byte length, when the writer framed it */
		if (len < 3)
			return -1;
		if (h[2] == 0x95)
			at = 11;
	}
	for (size_t i = 0; i < sizeof num; i++) {
		if (at + i >= len)
			return -1;
		if (h[at + i] != num[i])
			return 0;
	}
	return 1;
}

static void on_storage(void *u, const char *type, const char *key)
{
	struct esc_pt_legacy *l = u;
	unsigned es = esc_pt_elem_size(type);

	if (es == 0 || l->n_keys >= KEYS_MAX) {
		l->bad_key = true;
		return;
	}
	if (l->n_keys == l->keys_cap) {
		size_t cap = l->keys_cap ? l->keys_cap * 2 : 64;
		struct pt_key *nk = realloc(l->keys, cap * sizeof *nk);

		if (!nk) {
			l->bad_key = true;
			return;
		}
		l->keys = nk;
		l->keys_cap = cap;
	}
	l->keys[l->n_keys].hash = key_hash(key);
	l->keys[l->n_keys].numel = esc_pickle_pid_numel(l->pk);
	l->keys[l->n_keys++].es = es;
	l->keys_sorted = false;
}

static int cmp_key(const void *a, const void *b)
{
	const struct pt_key *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* Strings of the fifth pickle are the storage keys, in file order. */
static void on_string(void *u, unsigned index, const char *s)
{
	struct esc_pt_legacy *l = u;
	struct pt_key want = { key_hash(s), 0, 0 }, *k;

	if (index != 4)
		return;
	if (!l->keys_sorted) {
		if (l->n_keys)
			qsort(l->keys, l->n_keys, sizeof *l->keys, cmp_key);
		/* a key met twice: the first made the storage, the sort lost which */
		for (size_t i = 1; i < l->n_keys; i++)
			if (l->keys[i].hash == l->keys[i - 1].hash && l->keys[i].numel != l->keys[i - 1].numel)
				l->keys[i].numel = l->keys[i - 1].numel = -1;
		l->keys_sorted = true;
	}
	k = l->n_keys ? bsearch(&want, l->keys, l->n_keys, sizeof *l->keys, cmp_key) : NULL;
	if (!k || l->n_order >= KEYS_MAX) {
		l->bad_key = true;
		return;
	}
	if (l->n_order == l->order_cap) {
		size_t cap = l->order_cap ? l->order_cap * 2 : 64;
		uint8_t *no = realloc(l->order, cap);
		int64_t *nn = no ? realloc(l->order_numel, cap * sizeof *nn) : NULL;

		if (no)
			l->order = no;
		if (!nn) {
			l->bad_key = true;
			return;
		}
		l->order_numel = nn;
		l->order_cap = cap;
	}
	l->order_numel[l->n_order] = k->numel;
	l->order[l->n_order++] = (uint8_t)k->es;
}

bool esc_pt_legacy_init(struct esc_pt_legacy *l, uint64_t size)
{
	memset(l, 0, sizeof *l);
	l->size = size;
	l->pk = esc_pickle_new();
	if (!l->pk)
		return false;
	l->watch.u = l;
	l->watch.storage = on_storage;
	l->watch.string = on_string;
	esc_pickle_watch(l->pk, &l->watch);
	esc_pickle_set_max(l->pk, 5);
	esc_pickle_set_size(l->pk, size);
	return true;
}

static void lfail(struct esc_pt_legacy *l, const char *why)
{
	if (!l->failed)
		snprintf(l->reason, sizeof l->reason, "%s", why);
	l->failed = true;
}

/* The storages after the pickles. */
static void storages(struct esc_pt_legacy *l, const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n && !l->failed) {
		if (l->skip) {
			size_t take = n - i < l->skip ? n - i : (size_t)l->skip;

			l->skip -= take;
			i += take;
			l->pos += take;
			continue;
		}
		if (l->rec == l->n_order) {
			snprintf(l->reason, sizeof l->reason, "%llu bytes after the last of its %zu storages",
			         (unsigned long long)(l->size - l->pos), l->n_order);
			l->failed = true;
			return;
		}
		l->cnt[l->cnt_have++] = b[i++];
		l->pos++;
		if (l->cnt_have == 8) {
			uint64_t count = 0, bytes;

			for (unsigned k = 8; k > 0; k--)
				count = count << 8 | l->cnt[k - 1];
			l->cnt_have = 0;
			if (!esc_mul64(count, l->order[l->rec], &bytes) || !esc_fits(l->pos, bytes, l->size)) {
				snprintf(l->reason, sizeof l->reason, "storage %zu of %zu: %llu elements run past the end "
				         "of the file (truncated?)", l->rec + 1, l->n_order, (unsigned long long)count);
				l->failed = true;
				return;
			}
			if (l->order_numel[l->rec] >= 0 && count != (uint64_t)l->order_numel[l->rec]) {
				snprintf(l->reason, sizeof l->reason, "storage %zu of %zu holds %llu elements, its persistent "
				         "id says %lld (torch.load refuses it: wrong byte size)", l->rec + 1, l->n_order,
				         (unsigned long long)count, (long long)l->order_numel[l->rec]);
				l->failed = true;
				return;
			}
			l->skip = bytes;
			l->rec++;
		}
	}
}

int esc_pt_legacy_update(struct esc_pt_legacy *l, const uint8_t *buf, size_t len, uint64_t off)
{
	if (l->failed)
		return 1;
	if (!l->pickles_done) {
		uint64_t c;

		esc_pickle_update(l->pk, buf, len);
		if (!esc_pickle_done(l->pk))
			return 0;
		l->pickles_done = true;
		if (esc_pickle_count(l->pk) < 5)
			return 1; /* the scan failed: final says why */
		if (l->bad_key) {
			lfail(l, "a storage key without a known storage type");
			return 1;
		}
		c = esc_pickle_consumed(l->pk);
		l->pos = c;
		if (c < off || c - off > len)
			return 1;
		buf += c - off;
		len -= (size_t)(c - off);
	}
	storages(l, buf, len);
	return l->failed;
}

int esc_pt_legacy_final(struct esc_pt_legacy *l, struct esc_inspection *found, char *reason, size_t rlen)
{
	char imports[256];
	unsigned n = esc_pickle_count(l->pk);
	enum esc_pickle_verdict v = esc_pickle_final(l->pk, imports, sizeof imports);
	int64_t proto;

	esc_insp_pickle_merge(found, v, imports);
	if (n < 5) {
		snprintf(reason, rlen, "legacy PyTorch file: %u of its 5 pickles readable (%.150s)", n, imports);
		return 0;
	}
	/* torch.load: "Invalid protocol version" unless the second pickle is 1001 */
	if (!l->failed && esc_pickle_result_int(l->pk, 1, &proto) && proto != 1001)
		snprintf(l->reason, sizeof l->reason, "protocol version %lld, torch.load reads only 1001",
		         (long long)proto), l->failed = true;
	if (!l->failed && esc_pickle_tensor_fault(l->pk))
		snprintf(l->reason, sizeof l->reason, "torch.load refuses it: %s (wrong byte size)",
		         esc_pickle_tensor_fault(l->pk)), l->failed = true;
	if (!l->failed && (l->rec < l->n_order || l->skip || l->cnt_have))
		snprintf(l->reason, sizeof l->reason, "truncated: %zu of %zu storages complete",
		         l->rec - (l->skip ? 1 : 0), l->n_order), l->failed = true;
	if (l->failed) {
		snprintf(reason, rlen, "legacy PyTorch file: %s", l->reason);
		return 0;
	}
	return 1;
}

void esc_pt_legacy_release(struct esc_pt_legacy *l)
{
	esc_pickle_free(l->pk);
	free(l->keys);
	free(l->order);
	free(l->order_numel);
	memset(l, 0, sizeof *l);
}
