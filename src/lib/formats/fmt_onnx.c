/* fmt_onnx.c -- ONNX ModelProto: a streaming protobuf walk that reads the
 * whole message tree as protobuf's own parser does when onnx.load() runs.
 * Every field of every ONNX message is walked to the exact end of its
 * parent: submessages (graph, nodes, attributes and their subgraphs,
 * tensors, types, shapes, functions, training info) are descended into,
 * packed repeated numbers must hold whole values, strings and raw tensor
 * bytes are skipped by their length, so a multi-GB model still costs only
 * its tags. A known field with another wire type, or an unknown field, is
 * skipped as protobuf does (it keeps it as an unknown field); groups, which
 * ONNX never writes, are refused. External data locations (a tensor's
 * external_data key/value "location") are read and must stay inside the
 * deposit; every distinct one is kept, with the bytes its tensors read from
 * it, for the contract's evaluation to find in the deposit. */
#include "formats/esc_fmt.h"
#include "formats/esc_zip.h"

#include <stdlib.h>
#include <string.h>

#define ONNX_STR_MAX 255
#define ONNX_MAX_DEPTH 100 /* protobuf's default recursion limit */

/* The messages of onnx.proto (IR version 8, ONNX 1.12 to 1.16) and a
 * packed run of varints. */
enum msg {
	M_MODEL, M_GRAPH, M_NODE, M_ATTR, M_TENSOR, M_SEGMENT, M_SPARSE, M_VALUEINFO, M_TYPE, M_TYPE_TENSOR,
	M_TYPE_ELEM, M_TYPE_MAP, M_TYPE_OPAQUE, M_SHAPE, M_DIM, M_ENTRY, M_OPSET, M_TRAINING, M_FUNCTION,
	M_ANNOT, M_PACKED,
};
/* How a field is read when it comes with its declared wire type. */
enum kind { K_VARINT, K_I32, K_I64, K_BYTES, K_MSG, K_RVARINT, K_RI32, K_RI64 };

struct fdef {
	uint8_t msg, field, kind, sub;
};

static const struct fdef schema[] = {
	{ M_MODEL, 1, K_VARINT, 0 }, { M_MODEL, 2, K_BYTES, 0 }, { M_MODEL, 3, K_BYTES, 0 },
	{ M_MODEL, 4, K_BYTES, 0 }, { M_MODEL, 5, K_VARINT, 0 }, { M_MODEL, 6, K_BYTES, 0 },
	{ M_MODEL, 7, K_MSG, M_GRAPH }, { M_MODEL, 8, K_MSG, M_OPSET }, { M_MODEL, 14, K_MSG, M_ENTRY },
	{ M_MODEL, 20, K_MSG, M_TRAINING }, { M_MODEL, 25, K_MSG, M_FUNCTION },

	{ M_GRAPH, 1, K_MSG, M_NODE }, { M_GRAPH, 2, K_BYTES, 0 }, { M_GRAPH, 5, K_MSG, M_TENSOR },
	{ M_GRAPH, 15, K_MSG, M_SPARSE }, { M_GRAPH, 10, K_BYTES, 0 }, { M_GRAPH, 11, K_MSG, M_VALUEINFO },
	{ M_GRAPH, 12, K_MSG, M_VALUEINFO }, { M_GRAPH, 13, K_MSG, M_VALUEINFO }, { M_GRAPH, 14, K_MSG, M_ANNOT },

	{ M_NODE, 1, K_BYTES, 0 }, { M_NODE, 2, K_BYTES, 0 }, { M_NODE, 3, K_BYTES, 0 }, { M_NODE, 4, K_BYTES, 0 },
	{ M_NODE, 7, K_BYTES, 0 }, { M_NODE, 5, K_MSG, M_ATTR }, { M_NODE, 6, K_BYTES, 0 },

	{ M_ATTR, 1, K_BYTES, 0 }, { M_ATTR, 21, K_BYTES, 0 }, { M_ATTR, 13, K_BYTES, 0 },
	{ M_ATTR, 20, K_VARINT, 0 }, { M_ATTR, 2, K_I32, 0 }, { M_ATTR, 3, K_VARINT, 0 }, { M_ATTR, 4, K_BYTES, 0 },
	{ M_ATTR, 5, K_MSG, M_TENSOR }, { M_ATTR, 6, K_MSG, M_GRAPH }, { M_ATTR, 22, K_MSG, M_SPARSE },
	{ M_ATTR, 14, K_MSG, M_TYPE }, { M_ATTR, 7, K_RI32, 0 }, { M_ATTR, 8, K_RVARINT, 0 },
	{ M_ATTR, 9, K_BYTES, 0 }, { M_ATTR, 10, K_MSG, M_TENSOR }, { M_ATTR, 11, K_MSG, M_GRAPH },
	{ M_ATTR, 23, K_MSG, M_SPARSE }, { M_ATTR, 15, K_MSG, M_TYPE },

	{ M_TENSOR, 1, K_RVARINT, 0 }, { M_TENSOR, 2, K_VARINT, 0 }, { M_TENSOR, 3, K_MSG, M_SEGMENT },
	{ M_TENSOR, 4, K_RI32, 0 }, { M_TENSOR, 5, K_RVARINT, 0 }, { M_TENSOR, 6, K_BYTES, 0 },
	{ M_TENSOR, 7, K_RVARINT, 0 }, { M_TENSOR, 8, K_BYTES, 0 }, { M_TENSOR, 12, K_BYTES, 0 },
	{ M_TENSOR, 9, K_BYTES, 0 }, { M_TENSOR, 13, K_MSG, M_ENTRY }, { M_TENSOR, 14, K_VARINT, 0 },
	{ M_TENSOR, 10, K_RI64, 0 }, { M_TENSOR, 11, K_RVARINT, 0 },
	{ M_SEGMENT, 1, K_VARINT, 0 }, { M_SEGMENT, 2, K_VARINT, 0 },

	{ M_SPARSE, 1, K_MSG, M_TENSOR }, { M_SPARSE, 2, K_MSG, M_TENSOR }, { M_SPARSE, 3, K_RVARINT, 0 },

	{ M_VALUEINFO, 1, K_BYTES, 0 }, { M_VALUEINFO, 2, K_MSG, M_TYPE }, { M_VALUEINFO, 3, K_BYTES, 0 },

	/* TypeProto: tensor and sparse tensor types share one layout, and so do
	 * sequence and optional (one element type) */
	{ M_TYPE, 1, K_MSG, M_TYPE_TENSOR }, { M_TYPE, 4, K_MSG, M_TYPE_ELEM }, { M_TYPE, 5, K_MSG, M_TYPE_MAP },
	{ M_TYPE, 9, K_MSG, M_TYPE_ELEM }, { M_TYPE, 8, K_MSG, M_TYPE_TENSOR }, { M_TYPE, 7, K_MSG, M_TYPE_OPAQUE },
	{ M_TYPE, 6, K_BYTES, 0 },
	{ M_TYPE_TENSOR, 1, K_VARINT, 0 }, { M_TYPE_TENSOR, 2, K_MSG, M_SHAPE },
	{ M_TYPE_ELEM, 1, K_MSG, M_TYPE },
	{ M_TYPE_MAP, 1, K_VARINT, 0 }, { M_TYPE_MAP, 2, K_MSG, M_TYPE },
	{ M_TYPE_OPAQUE, 1, K_BYTES, 0 }, { M_TYPE_OPAQUE, 2, K_BYTES, 0 },
	{ M_SHAPE, 1, K_MSG, M_DIM },
	{ M_DIM, 1, K_VARINT, 0 }, { M_DIM, 2, K_BYTES, 0 }, { M_DIM, 3, K_BYTES, 0 },

	{ M_ENTRY, 1, K_BYTES, 0 }, { M_ENTRY, 2, K_BYTES, 0 },
	{ M_OPSET, 1, K_BYTES, 0 }, { M_OPSET, 2, K_VARINT, 0 },

	{ M_TRAINING, 1, K_MSG, M_GRAPH }, { M_TRAINING, 2, K_MSG, M_GRAPH }, { M_TRAINING, 3, K_MSG, M_ENTRY },
	{ M_TRAINING, 4, K_MSG, M_ENTRY },

	{ M_FUNCTION, 1, K_BYTES, 0 }, { M_FUNCTION, 4, K_BYTES, 0 }, { M_FUNCTION, 5, K_BYTES, 0 },
	{ M_FUNCTION, 6, K_BYTES, 0 }, { M_FUNCTION, 11, K_MSG, M_ATTR }, { M_FUNCTION, 7, K_MSG, M_NODE },
	{ M_FUNCTION, 8, K_BYTES, 0 }, { M_FUNCTION, 9, K_MSG, M_OPSET }, { M_FUNCTION, 10, K_BYTES, 0 },

	{ M_ANNOT, 1, K_BYTES, 0 }, { M_ANNOT, 2, K_MSG, M_ENTRY },
};

static const struct fdef *lookup(unsigned msg, uint32_t field)
{
	for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
		if (schema[i].msg == msg && schema[i].field == field)
			return &schema[i];
	return NULL;
}

enum { S_TAG, S_VARINT, S_LEN, S_SKIP, S_STR };

/* The main graph's inputs and outputs, the first few of each. */
#define ONNX_IO_SHOWN 6
#define ONNX_IO_DIMS 8
struct onnx_io {
	char name[64];
	size_t name_len;
	uint64_t elem;                          /* TensorProto.DataType, 0 unknown */
	unsigned nd;                            /* all dimensions, even past ONNX_IO_DIMS */
	int64_t dim[ONNX_IO_DIMS];              /* -1: symbolic or unknown */
	char param[ONNX_IO_DIMS][16];           /* a symbolic dimension's name */
	size_t param_len[ONNX_IO_DIMS];
	bool has_type;
};

struct onnx_state {
	uint64_t size, off;
	int st;
	uint64_t v;               /* varint being read */
	unsigned vbytes;
	uint32_t field;
	unsigned wt;
	uint64_t skip;
	int depth;
	uint8_t kind[ONNX_MAX_DEPTH + 1];
	uint64_t end[ONNX_MAX_DEPTH + 1];
	/* a key/value entry being read */
	char key[ONNX_STR_MAX + 1], val[ONNX_STR_MAX + 1];
	size_t key_len, val_len, str_left;
	char *str;
	size_t *str_len;
	bool key_long, val_long;

	uint64_t ir_version;
	bool have_ir, have_graph, have_opset, failed;
	struct onnx_io io[2][ONNX_IO_SHOWN];    /* [0] inputs, [1] outputs */
	uint64_t n_io[2];
	int cur_io;                             /* 0/1 while inside one shown, else -1 */
	/* the tensor being read: its external data entries (onnx.load reads
	 * `length` bytes at `offset` of the location, else to its end; the
	 * last "location" entry is the one it reads) */
	uint64_t t_off, t_len;
	bool t_len_set;
	char t_loc[ONNX_STR_MAX + 1];
	size_t t_loc_len;           /* 0: no location */
	/* the distinct locations, bounded (esc_formats.h) */
	struct onnx_loc {
		uint32_t name, len;     /* in names */
		uint64_t need;          /* max offset + length of its tensors */
	} *locs;
	uint32_t n_locs, cap_locs;
	uint32_t *slot;             /* open addressing: 1 + index into locs, 0 free */
	uint32_t n_slot;
	char *names;
	size_t names_len, names_cap;
	const char *locs_lost;      /* why not every location is kept, or NULL */
	char reason[200];
};

/* A decimal external data value ("offset", "length"); false when it is not
 * one (onnx.load would then fail on it: the tensor is not counted). */
static bool dec_value(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || !esc_mul64(v, 10, &v) || !esc_add64(v, (uint64_t)(s[i] - '0'), &v))
			return false;
	}
	*out = v;
	return true;
}

/* An external data entry of the tensor being read (key and value read). */
static void tensor_entry(struct onnx_state *o)
{
	if (o->key_len == 6 && memcmp(o->key, "offset", 6) == 0)
		(void)dec_value(o->val, o->val_len, &o->t_off);
	else if (o->key_len == 6 && memcmp(o->key, "length", 6) == 0)
		o->t_len_set = dec_value(o->val, o->val_len, &o->t_len);
}

static uint32_t loc_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* Grows the table of slots to n (a power of two), placing every location. */
static bool loc_rehash(struct onnx_state *o, uint32_t n)
{
	uint32_t *v = calloc(n, sizeof *v);

	if (v == NULL)
		return false;
	for (uint32_t i = 0; i < o->n_locs; i++) {
		uint32_t k = loc_hash(o->names + o->locs[i].name, o->locs[i].len) & (n - 1);

		while (v[k] != 0)
			k = (k + 1) & (n - 1);
		v[k] = i + 1;
	}
	free(o->slot);
	o->slot = v;
	o->n_slot = n;
	return true;
}

/* The entry of location s (n bytes), added when new; NULL when it cannot
 * be (o->locs_lost says why). */
static struct onnx_loc *loc_find(struct onnx_state *o, const char *s, size_t n)
{
	uint32_t k;
	struct onnx_loc *l;

	if (o->n_slot != 0) {
		for (k = loc_hash(s, n) & (o->n_slot - 1); o->slot[k] != 0; k = (k + 1) & (o->n_slot - 1)) {
			l = &o->locs[o->slot[k] - 1];
			if (l->len == n && memcmp(o->names + l->name, s, n) == 0)
				return l;
		}
	}
	if (o->n_locs == ESC_ONNX_LOCATIONS_MAX || o->names_len + n + 1 > ESC_ONNX_LOCATION_BYTES_MAX) {
		o->locs_lost = "more than " ESC_ONNX_LOCATIONS_MAX_TEXT " external data files, or "
		               ESC_ONNX_LOCATION_BYTES_MAX_TEXT " of their names";
		return NULL;
	}
	if (o->n_locs == o->cap_locs) {
		uint32_t cap = o->cap_locs ? 2 * o->cap_locs : 8;
		struct onnx_loc *v = realloc(o->locs, cap * sizeof *v);

		if (v == NULL)
			goto nomem;
		o->locs = v;
		o->cap_locs = cap;
	}
	if (o->names_len + n + 1 > o->names_cap) {
		size_t cap = o->names_cap ? 2 * o->names_cap : 256;
		char *v;

		while (cap < o->names_len + n + 1)
			cap *= 2;
		if ((v = realloc(o->names, cap)) == NULL)
			goto nomem;
		o->names = v;
		o->names_cap = cap;
	}
	/* at most half the slots taken */
	if (2 * (o->n_locs + 1) > o->n_slot && !loc_rehash(o, o->n_slot ? 2 * o->n_slot : 16))
		goto nomem;
	l = &o->locs[o->n_locs];
	l->name = (uint32_t)o->names_len;
	l->len = (uint32_t)n;
	l->need = 0;
	memcpy(o->names + o->names_len, s, n);
	o->names[o->names_len + n] = '\0';
	o->names_len += n + 1;
	for (k = loc_hash(s, n) & (o->n_slot - 1); o->slot[k] != 0; k = (k + 1) & (o->n_slot - 1))
		;
	o->slot[k] = ++o->n_locs;
	return l;
nomem:
	o->locs_lost = "out of memory";
	return NULL;
}

/* A tensor ends: the bytes of its location it needs. */
static void tensor_end(struct onnx_state *o)
{
	struct onnx_loc *l;
	uint64_t end;

	if (o->t_loc_len == 0 || o->locs_lost != NULL || (l = loc_find(o, o->t_loc, o->t_loc_len)) == NULL)
		return;
	if (!esc_add64(o->t_off, o->t_len_set ? o->t_len : 0, &end))
		end = UINT64_MAX;
	if (end > l->need)
		l->need = end;
}

static void ofail(struct onnx_state *o, const char *fmt, unsigned long long a, unsigned long long b)
{
	if (!o->failed)
		snprintf(o->reason, sizeof o->reason, fmt, a, b);
	o->failed = true;
}

static void onnx_init(void *s, const char *path, uint64_t size)
{
	struct onnx_state *o = s;

	memset(o, 0, sizeof *o);
	o->size = size;
	o->kind[0] = M_MODEL;
	o->end[0] = size;
	o->cur_io = -1;
}

/* The main graph's ValueInfoProto being read (inputs, outputs), or NULL:
 * levels model > graph (field 7) > value info (11 or 12) > ... */
static struct onnx_io *cur_io(struct onnx_state *o)
{
	uint64_t k;

	if (o->cur_io < 0 || o->depth < 2 || o->kind[1] != M_GRAPH || o->kind[2] != M_VALUEINFO)
		return NULL;
	k = o->n_io[o->cur_io];
	return k >= 1 && k <= ONNX_IO_SHOWN ? &o->io[o->cur_io][k - 1] : NULL;
}

/* An external data location follows the rules of a zip member name: a
 * relative path with no '..', backslash or drive letter. */
static bool location_ok(const char *p)
{
	const char *why;

	return esc_zip_name_ok(p, strlen(p), &why) != 0;
}

/* A varint of a shown input or output: its element type, a dimension. */
static void io_varint(struct onnx_state *o)
{
	struct onnx_io *io = cur_io(o);

	if (io == NULL || o->field != 1)
		return;
	if (o->depth == 4 && o->kind[3] == M_TYPE && o->kind[4] == M_TYPE_TENSOR) {
		io->elem = o->v;
		io->has_type = true;
	} else if (o->depth == 6 && o->kind[6] == M_DIM && io->nd >= 1 && io->nd <= ONNX_IO_DIMS) {
		io->dim[io->nd - 1] = o->v > INT64_MAX ? INT64_MAX : (int64_t)o->v;
		io->param_len[io->nd - 1] = 0;
	}
}

/* Leaves levels whose end has been reached. */
static void pop_levels(struct onnx_state *o)
{
	while (o->depth > 0 && o->off == o->end[o->depth]) {
		if (o->kind[o->depth] == M_ENTRY && o->kind[o->depth - 1] == M_TENSOR && o->key_len == 8 && !o->key_long &&
		    memcmp(o->key, "location", 8) == 0) {
			o->val[o->val_len] = '\0';
			if (o->val_long || memchr(o->val, '\0', o->val_len) || !location_ok(o->val)) {
				snprintf(o->reason, sizeof o->reason,
				         "external data location '%.100s' is not a relative path inside the deposit", o->val);
				o->failed = true;
				return;
			}
			memcpy(o->t_loc, o->val, o->val_len + 1);
			o->t_loc_len = o->val_len;
		} else if (o->kind[o->depth] == M_ENTRY && o->kind[o->depth - 1] == M_TENSOR && !o->key_long &&
		           !o->val_long) {
			tensor_entry(o);
		}
		if (o->kind[o->depth] == M_TENSOR)
			tensor_end(o);
		o->depth--;
	}
}

/* Entering a submessage at o->depth (its parent is of kind k): a main
 * graph input or output starts, or a dimension of one. */
static void io_enter(struct onnx_state *o, unsigned k)
{
	struct onnx_io *io;

	if (o->depth == 2 && k == M_GRAPH && o->kind[1] == M_GRAPH && o->kind[0] == M_MODEL &&
	    (o->field == 11 || o->field == 12)) {
		o->cur_io = o->field == 11 ? 0 : 1;
		o->n_io[o->cur_io]++;
	} else if (o->depth == 2) {
		o->cur_io = -1;
	}
	if (o->depth == 6 && o->kind[6] == M_DIM && (io = cur_io(o)) != NULL) {
		if (io->nd < ONNX_IO_DIMS)
			io->dim[io->nd] = -1;
		io->nd++;
	}
}

/* A string field of len bytes: a shown input's or output's name, or a
 * symbolic dimension's, is read (its first bytes); true when it is. */
static bool io_string(struct onnx_state *o, uint64_t len)
{
	struct onnx_io *io = cur_io(o);
	bool name = o->depth == 2 && o->field == 1;
	size_t cap;

	if (io == NULL || !(name || (o->depth == 6 && o->kind[6] == M_DIM && o->field == 2)) ||
	    (!name && io->nd > ONNX_IO_DIMS))
		return false;
	cap = name ? sizeof io->name - 1 : sizeof io->param[0] - 1;
	o->str = name ? io->name : io->param[io->nd - 1];
	o->str_len = name ? &io->name_len : &io->param_len[io->nd - 1];
	*o->str_len = 0;
	o->str_left = (size_t)(len > cap ? cap : len);
	o->skip = len - o->str_left;
	o->st = o->str_left ? S_STR : (o->skip ? S_SKIP : S_TAG);
	if (o->st == S_TAG)
		pop_levels(o);
	return true;
}

/* A length-delimited field's tag and length have been read. */
static void field(struct onnx_state *o)
{
	unsigned k = o->kind[o->depth];
	uint64_t len = o->v;
	const struct fdef *f = lookup(k, o->field);
	unsigned fk = f ? f->kind : K_BYTES;

	if (len > o->end[o->depth] - o->off) {
		ofail(o, "field %llu of %llu bytes runs past the end of its message", o->field, len);
		return;
	}
	if (k == M_MODEL && o->field == 7)
		o->have_graph = true;
	if (k == M_MODEL && o->field == 8)
		o->have_opset = true;
	if ((fk == K_RI32 && len % 4) || (fk == K_RI64 && len % 8)) {
		ofail(o, "packed field %llu of %llu bytes does not hold whole numbers", o->field, len);
		return;
	}
	if (fk == K_MSG || fk == K_RVARINT) {
		if (o->depth == ONNX_MAX_DEPTH) {
			ofail(o, "messages nested deeper than %llu levels at offset %llu", ONNX_MAX_DEPTH, o->off);
			return;
		}
		o->depth++;
		o->kind[o->depth] = fk == K_MSG ? f->sub : M_PACKED;
		o->end[o->depth] = o->off + len;
		io_enter(o, k);
		if (o->kind[o->depth] == M_TENSOR) {
			o->t_off = o->t_len = 0;
			o->t_len_set = false;
			o->t_loc_len = 0;
		}
		if (o->kind[o->depth] == M_ENTRY) {
			o->key_len = o->val_len = 0;
			o->key_long = o->val_long = false;
		}
		o->st = S_TAG;
		pop_levels(o);
		return;
	}
	if (k == M_ENTRY && o->kind[o->depth - 1] == M_TENSOR && (o->field == 1 || o->field == 2)) {
		bool *lng = o->field == 1 ? &o->key_long : &o->val_long;

		o->str = o->field == 1 ? o->key : o->val;
		o->str_len = o->field == 1 ? &o->key_len : &o->val_len;
		*o->str_len = 0;
		*lng = len > ONNX_STR_MAX;
		o->str_left = (size_t)(len > ONNX_STR_MAX ? 0 : len);
		o->skip = len - o->str_left;
		o->st = o->str_left ? S_STR : (o->skip ? S_SKIP : S_TAG);
		if (o->st == S_TAG)
			pop_levels(o);
		return;
	}
	if (io_string(o, len))
		return;
	o->skip = len;
	o->st = len ? S_SKIP : S_TAG;
	if (!len)
		pop_levels(o);
}

static void tag(struct onnx_state *o)
{
	o->field = (uint32_t)(o->v >> 3);
	o->wt = (unsigned)(o->v & 7);
	if (o->v >> 3 == 0 || o->v >> 32) {
		ofail(o, "bad protobuf tag %llu at offset %llu", o->v, o->off);
		return;
	}
	if (o->depth == 0 && ((o->field == 1 && o->wt != 0) || ((o->field == 7 || o->field == 8) && o->wt != 2))) {
		ofail(o, "ModelProto field %llu has wire type %llu", o->field, o->wt);
		return;
	}
	switch (o->wt) {
	case 0: case 2:
		o->st = o->wt == 0 ? S_VARINT : S_LEN;
		break;
	case 1: case 5:
		o->skip = o->wt == 1 ? 8 : 4;
		if (o->skip > o->end[o->depth] - o->off) {
			ofail(o, "field %llu runs past the end of its message at offset %llu", o->field, o->off);
			return;
		}
		o->st = S_SKIP;
		break;
	default: /* 3 and 4 are groups, which onnx.proto never uses; 6 and 7 do not exist */
		ofail(o, "unsupported protobuf wire type %llu at offset %llu", o->wt, o->off);
	}
}

static int onnx_update(void *s, const uint8_t *buf, size_t len, uint64_t off)
{
	struct onnx_state *o = s;
	size_t i = 0, take;

	while (i < len && !o->failed) {
		switch (o->st) {
		case S_SKIP:
			take = len - i < o->skip ? len - i : (size_t)o->skip;
			o->skip -= take;
			i += take;
			o->off += take;
			if (!o->skip) {
				o->st = S_TAG;
				pop_levels(o);
			}
			continue;
		case S_STR:
			take = len - i < o->str_left ? len - i : o->str_left;
			memcpy(o->str + *o->str_len, buf + i, take);
			*o->str_len += take;
			o->str_left -= take;
			i += take;
			o->off += take;
			if (!o->str_left) {
				o->st = o->skip ? S_SKIP : S_TAG;
				if (o->st == S_TAG)
					pop_levels(o);
			}
			continue;
		default:
			break;
		}
		if (o->st == S_TAG && o->kind[o->depth] == M_PACKED) {
			/* a packed run of varints (int64_data, dims...): only the
			 * boundaries matter, at most 10 bytes each, none cut at the end */
			uint64_t left = o->end[o->depth] - o->off;

			take = len - i < left ? len - i : (size_t)left;
			for (size_t j = 0; j < take; j++) {
				if (!(buf[i + j] & 0x80))
					o->vbytes = 0;
				else if (++o->vbytes == 10)
					break;
			}
			if (o->vbytes == 10) {
				ofail(o, "varint longer than 10 bytes in a packed field before offset %llu", o->off + take, 0);
				break;
			}
			i += take;
			o->off += take;
			if (o->off == o->end[o->depth]) {
				if (o->vbytes) {
					ofail(o, "varint runs past the end of its message at offset %llu", o->off, 0);
					break;
				}
				pop_levels(o);
			}
			continue;
		}
		/* a varint byte: tag, value or length */
		if (o->off >= o->end[o->depth]) {
			ofail(o, "varint runs past the end of its message at offset %llu", o->off, 0);
			break;
		}
		if (o->vbytes == 10) {
			ofail(o, "varint longer than 10 bytes at offset %llu", o->off, 0);
			break;
		}
		o->v |= (uint64_t)(buf[i] & 0x7f) << (7 * o->vbytes);
		o->vbytes++;
		o->off++;
		if (buf[i++] & 0x80)
			continue;
		if (o->st == S_TAG) {
			tag(o);
		} else if (o->st == S_VARINT) {
			if (o->depth == 0 && o->field == 1) {
				o->have_ir = true;
				o->ir_version = o->v;
			}
			io_varint(o);
			o->st = S_TAG;
			pop_levels(o);
		} else {
			field(o);
		}
		o->v = 0;
		o->vbytes = 0;
	}
	return o->failed;
}

static int onnx_final(void *s, char *reason, size_t rlen)
{
	struct onnx_state *o = s;

	if (!o->failed && (o->st != S_TAG || o->vbytes || o->depth || o->off != o->size))
		ofail(o, "truncated: the last field is cut at offset %llu (size %llu)", o->off, o->size);
	if (!o->failed && (!o->have_ir || o->ir_version == 0))
		ofail(o, o->have_ir ? "ir_version is 0" : "no ir_version (field 1): not an ONNX model", 0, 0);
	if (!o->failed && !o->have_graph)
		ofail(o, "no graph (field 7)", 0, 0);
	if (!o->failed && o->ir_version >= 3 && !o->have_opset)
		ofail(o, "ir_version %llu without opset_import (field 8)", o->ir_version, 0);
	if (o->failed) {
		snprintf(reason, rlen, "%s", o->reason);
		return 0;
	}
	return 1;
}

static const char *elem_name(uint64_t t)
{
	static const char *const n[] = {
		"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
		"FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN",
		"FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1",
	};

	return t < sizeof n / sizeof n[0] ? n[t] : NULL;
}

static json_t *io_json(struct onnx_io *io)
{
	json_t *o = json_object(), *shape = json_array();
	char name[sizeof io->name];

	if (o == NULL || shape == NULL) {
		json_decref(o);
		json_decref(shape);
		return NULL;
	}
	memcpy(name, io->name, io->name_len);
	name[io->name_len] = '\0';
	json_object_set_new(o, "name", esc_json_string(name));
	if (io->has_type)
		json_object_set_new(o, "dtype", elem_name(io->elem) ? json_string(elem_name(io->elem))
		                                                    : json_integer((json_int_t)(io->elem & INT64_MAX)));
	for (unsigned d = 0; d < io->nd && d < ONNX_IO_DIMS; d++) {
		if (io->dim[d] >= 0) {
			json_array_append_new(shape, json_integer(io->dim[d]));
		} else {
			char p[sizeof io->param[0]];

			memcpy(p, io->param[d], io->param_len[d]);
			p[io->param_len[d]] = '\0';
			json_array_append_new(shape, p[0] ? esc_json_string(p) : json_string("?"));
		}
	}
	if (io->nd > ONNX_IO_DIMS)
		json_array_append_new(shape, json_string("..."));
	json_object_set_new(o, "shape", shape);
	return o;
}

/* Only a model that passed: names, dtypes and shapes of the main graph's
 * first inputs and outputs, and how many there are. */
static void onnx_summary(struct onnx_state *o, struct esc_inspection *out)
{
	static const char *const key[2] = { "inputs", "outputs" };
	json_t *m = json_object();

	if (m == NULL)
		return;
	json_object_set_new(m, "format", json_string("onnx"));
	json_object_set_new(m, "ir_version", json_integer((json_int_t)(o->ir_version & INT64_MAX)));
	for (int w = 0; w < 2; w++) {
		json_t *a = json_array();

		for (uint64_t k = 0; a != NULL && k < o->n_io[w] && k < ONNX_IO_SHOWN; k++)
			json_array_append_new(a, io_json(&o->io[w][k]));
		json_object_set_new(m, key[w], a);
		json_object_set_new(m, w ? "n_outputs" : "n_inputs", json_integer((json_int_t)o->n_io[w]));
	}
	esc_insp_model(out, m);
}

/* The locations as esc_inspection.external holds them: "LOC\nBYTES" each,
 * separated by a backslash, else "\\" and why they were not all kept. */
static void onnx_report(void *s, struct esc_inspection *out)
{
	struct onnx_state *o = s;
	size_t n = 0, at = 0;
	char *p;

	if ((o->n_locs != 0 || o->locs_lost != NULL) && out->external == NULL && !out->external_lost) {
		if (o->locs_lost != NULL)
			n = strlen(o->locs_lost) + 2;
		else
			n = o->names_len + (size_t)o->n_locs * 22; /* '\n', 20 digits, '\\' or NUL */
		if ((p = malloc(n)) == NULL) {
			out->external_lost = true;
		} else if (o->locs_lost != NULL) {
			snprintf(p, n, "\\%s", o->locs_lost);
			out->external = p;
		} else {
			for (uint32_t i = 0; i < o->n_locs; i++)
				at += (size_t)snprintf(p + at, n - at, "%s%s\n%llu", i ? "\\" : "", o->names + o->locs[i].name,
				                       (unsigned long long)o->locs[i].need);
			out->external = p;
		}
	}
	if (!o->failed && !out->model[0])
		onnx_summary(o, out);
}

static void onnx_release(void *s)
{
	struct onnx_state *o = s;

	free(o->locs);
	free(o->slot);
	free(o->names);
	o->locs = NULL;
	o->slot = NULL;
	o->names = NULL;
	o->n_locs = o->cap_locs = o->n_slot = 0;
	o->names_len = o->names_cap = 0;
}

/* ir_version (tag 0x08) with a small value, then another ModelProto tag. */
static int onnx_sniff(const uint8_t *h, size_t len, uint64_t size)
{
	return len >= 3 && h[0] == 0x08 && h[1] >= 1 && h[1] <= 30 &&
	       (h[2] == 0x12 || h[2] == 0x1a || h[2] == 0x22 || h[2] == 0x28 || h[2] == 0x32 ||
	        h[2] == 0x3a || h[2] == 0x42 || h[2] == 0x72);
}

const struct esc_fmt_ops esc_fmt_onnx = {
	.fmt = ESC_FMT_ONNX,
	.state_size = sizeof(struct onnx_state),
	.init = onnx_init,
	.update = onnx_update,
	.final = onnx_final,
	.sniff = onnx_sniff,
	.release = onnx_release,
	.report = onnx_report,
};
