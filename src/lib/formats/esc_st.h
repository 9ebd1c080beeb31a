/* esc_st.h -- the safetensors header reader (st_header.c), shared with the
 * format checker (fmt_safetensors.c). */
#ifndef ESC_ST_H
#define ESC_ST_H

#include <stddef.h>
#include <stdint.h>

#define ESC_ST_TENSORS_MAX 1000000u

struct esc_st_range {
	uint64_t b, e;
};

/* Reads the JSON header h[0..n) (decoding its strings in place): each tensor
 * well formed (known dtype, non-negative integer shape, data_offsets whose
 * length is elements x dtype size). Returns 1 with *ranges (malloc'd, in
 * header order) and *n_ranges; 0 with why set. Memory: the ranges and the
 * keys of one object at a time, never a document tree. */
int esc_st_header(char *h, size_t n, struct esc_st_range **ranges, size_t *n_ranges, char *why, size_t wlen);

/* Bits per element of a dtype name; 0 for an unknown one. */
unsigned esc_st_dtype_bits(const char *d);
/* The i-th dtype name of the table esc_st_dtype_bits knows (NULL past it). */
const char *esc_st_dtype_name(unsigned i);

/* What the header says, for a summary: counts and the first few shapes. */
#define ESC_ST_SHOWN 6
#define ESC_ST_DIMS 8
struct esc_st_sum {
	uint64_t tensors, params;
	int params_over;                   /* the element count overflowed */
	uint32_t dtypes;                   /* bit i: esc_st_dtype_name(i) is used */
	unsigned n_shown;
	char name[ESC_ST_SHOWN][64];       /* cut at 63 bytes */
	uint64_t dims[ESC_ST_SHOWN][ESC_ST_DIMS];
	unsigned ndims[ESC_ST_SHOWN];      /* all of them, even past ESC_ST_DIMS */
};
/* esc_st_header, also filling *sum (zeroed first) when it is not NULL. */
int esc_st_header_sum(char *h, size_t n, struct esc_st_range **ranges, size_t *n_ranges, struct esc_st_sum *sum,
                      char *why, size_t wlen);

#endif
