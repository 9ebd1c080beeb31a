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

#endif
