/* esc_npy.h -- the .npy checker as a building block (the npz checker runs
 * one per stored member). */
#ifndef ESC_NPY_H
#define ESC_NPY_H

#include "formats/esc_fmt.h"

#define ESC_NPY_HDR_MAX 16384 /* numpy itself refuses headers over 10,000 bytes */

struct esc_npy {
	uint64_t size, pos;
	uint64_t hdr_total;       /* magic + version + length field + header */
	size_t hdr_len;
	uint8_t hdr[ESC_NPY_HDR_MAX + 12];
	bool parsed, object, failed;
	uint64_t data_size;
	esc_pickle *pk;           /* object arrays: the pickled data */
	char reason[200];
	/* what the header says, for the summary (escrow diff) */
	char dtype[24];           /* the type string ("<f4"), "structured", or "" (longer) */
	unsigned ndim;            /* all dimensions; the first ESC_NPY_DIMS kept */
	uint64_t dims[8];
};
#define ESC_NPY_DIMS 8

void esc_npy_init(struct esc_npy *n, uint64_t size);
/* Returns 1 once decided (nothing more needed). */
int esc_npy_update(struct esc_npy *n, const uint8_t *buf, size_t len);
int esc_npy_final(struct esc_npy *n, char *reason, size_t rlen);
void esc_npy_report(struct esc_npy *n, struct esc_inspection *out);
void esc_npy_release(struct esc_npy *n);

#endif
