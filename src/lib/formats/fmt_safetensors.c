/* fmt_safetensors.c -- u64 LE header length N, N bytes of JSON, then the
 * tensor data: contiguous ranges from 0, each exactly elements x dtype size,
 * the last ending at the last byte of the file.
 * The format allows headers up to 100,000,000 bytes; we hold at most
 * ESC_ST_HDR_MAX of it and report a larger one as too large to check
 * rather than buffer 100 MB per file (real headers are well under 1 MiB).
 * The header is read without a document tree (st_header.c): memory stays
 * within a few times the header, whatever it holds. */
#include "formats/esc_fmt.h"
#include "formats/esc_st.h"

#include <stdlib.h>
#include <string.h>

#define ESC_ST_SPEC_MAX 100000000u
#define ESC_ST_HDR_MAX (16u << 20)

struct st_state {
	uint64_t size;
	uint8_t len8[8];
	uint64_t n;               /* header length */
	char *hdr;
	size_t have;
	bool parsed, failed;
	char reason[200];
	struct esc_st_sum sum;    /* what the header holds, when it passed */
};

static void st_init(void *s, const char *path, uint64_t size)
{
	struct st_state *st = s;

	memset(st, 0, sizeof *st);
	st->size = size;
}

static void st_release(void *s)
{
	struct st_state *st = s;

	free(st->hdr);
	st->hdr = NULL;
}

static int cmp_range(const void *a, const void *b)
{
	const struct esc_st_range *x = a, *y = b;

	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

#define FAIL(...) do { snprintf(st->reason, sizeof st->reason, __VA_ARGS__); goto out; } while (0)

/* The header read (st_header.c), then the ranges: contiguous from 0, the
 * last ending at the end of the file. */
static void parse(struct st_state *st)
{
	struct esc_st_range *rs = NULL;
	size_t n = 0, i;
	uint64_t end = 0;

	st->failed = true;
	if (!esc_st_header_sum(st->hdr, (size_t)st->n, &rs, &n, &st->sum, st->reason, sizeof st->reason))
		goto out;
	if (n > 1)
		qsort(rs, n, sizeof *rs, cmp_range);
	for (i = 0; i < n; i++) {
		if (rs[i].b != end)
			FAIL(rs[i].b < end ? "tensor data ranges overlap at offset %llu"
			                   : "gap in tensor data at offset %llu (ranges must be contiguous from 0)",
			     (unsigned long long)(rs[i].b < end ? rs[i].b : end));
		end = rs[i].e;
	}
	if (8 + st->n + end != st->size)
		FAIL(8 + st->n + end < st->size ? "%llu bytes after the last tensor (8 + header %llu + data %llu != size %llu)"
		                                : "file truncated: %llu bytes of tensor data missing (8 + header %llu + data %llu != size %llu)",
		     (unsigned long long)(8 + st->n + end > st->size ? 8 + st->n + end - st->size : st->size - 8 - st->n - end),
		     (unsigned long long)st->n, (unsigned long long)end, (unsigned long long)st->size);
	st->failed = false;
out:
	st->parsed = true;
	free(rs);
	free(st->hdr);
	st->hdr = NULL;
}

static int st_update(void *s, const uint8_t *buf, size_t len, uint64_t off)
{
	struct st_state *st = s;
	size_t i = 0, take;

	if (st->parsed || st->failed)
		return 1;
	for (; off + i < 8 && i < len; i++)
		st->len8[off + i] = buf[i];
	if (off + i < 8)
		return 0;
	if (!st->hdr) {
		for (int k = 7; k >= 0; k--)
			st->n = st->n << 8 | st->len8[k];
		if (st->n > ESC_ST_SPEC_MAX || 8 + st->n > st->size) {
			snprintf(st->reason, sizeof st->reason, "header length %llu exceeds %s %llu",
			         (unsigned long long)st->n, st->n > ESC_ST_SPEC_MAX ? "the format's limit" : "file size",
			         (unsigned long long)(st->n > ESC_ST_SPEC_MAX ? ESC_ST_SPEC_MAX : st->size));
			st->failed = true;
			return 1;
		}
		if (st->n > ESC_ST_HDR_MAX) {
			snprintf(st->reason, sizeof st->reason, "header of %llu bytes too large to check (limit %u)",
			         (unsigned long long)st->n, ESC_ST_HDR_MAX);
			st->failed = true;
			return 1;
		}
		st->hdr = malloc(st->n ? (size_t)st->n : 1);
		if (!st->hdr) {
			snprintf(st->reason, sizeof st->reason, "out of memory for a %llu-byte header",
			         (unsigned long long)st->n);
			st->failed = true;
			return 1;
		}
	}
	take = len - i < st->n - st->have ? len - i : (size_t)(st->n - st->have);
	memcpy(st->hdr + st->have, buf + i, take);
	st->have += take;
	if (st->have == st->n)
		parse(st);
	return st->parsed;
}

static int st_final(void *s, char *reason, size_t rlen)
{
	struct st_state *st = s;

	if (!st->parsed && !st->failed)
		snprintf(st->reason, sizeof st->reason, "file truncated inside the %s",
		         st->hdr ? "header" : "header length"), st->failed = true;
	if (st->failed) {
		snprintf(reason, rlen, "%s", st->reason);
		return 0;
	}
	return 1;
}

static int st_sniff(const uint8_t *h, size_t len, uint64_t size)
{
	uint64_t n = 0;

	if (len < 9)
		return 0;
	for (int k = 7; k >= 0; k--)
		n = n << 8 | h[k];
	return n >= 2 && n <= ESC_ST_SPEC_MAX && 8 + n <= size && h[8] == '{';
}

/* Only a file that passed: the summary of a broken one would mislead. */
static void st_report(void *s, struct esc_inspection *out)
{
	struct st_state *st = s;
	json_t *o, *dt, *shapes;

	if (!st->parsed || st->failed || out->model[0])
		return;
	o = json_object();
	dt = json_array();
	shapes = json_object();
	if (o == NULL || dt == NULL || shapes == NULL) {
		json_decref(o);
		json_decref(dt);
		json_decref(shapes);
		return;
	}
	for (unsigned i = 0; esc_st_dtype_name(i) != NULL; i++)
		if (st->sum.dtypes >> i & 1u)
			json_array_append_new(dt, json_string(esc_st_dtype_name(i)));
	for (unsigned k = 0; k < st->sum.n_shown; k++)
		json_object_set_new(shapes, st->sum.name[k],
		                    esc_model_shape(st->sum.dims[k], st->sum.ndims[k], ESC_ST_DIMS));
	json_object_set_new(o, "format", json_string("safetensors"));
	json_object_set_new(o, "tensors", json_integer((json_int_t)st->sum.tensors));
	if (!st->sum.params_over && st->sum.params <= INT64_MAX)
		json_object_set_new(o, "params", json_integer((json_int_t)st->sum.params));
	json_object_set_new(o, "dtypes", dt);
	json_object_set_new(o, "shapes", shapes);
	esc_insp_model(out, o);
}

const struct esc_fmt_ops esc_fmt_safetensors = {
	.fmt = ESC_FMT_SAFETENSORS,
	.state_size = sizeof(struct st_state),
	.init = st_init,
	.update = st_update,
	.final = st_final,
	.sniff = st_sniff,
	.release = st_release,
	.report = st_report,
};
