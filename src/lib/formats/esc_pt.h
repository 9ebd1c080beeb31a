/* esc_pt.h -- the legacy (non-zip) torch.save reader, used by fmt_pytorch.c. */
#ifndef ESC_PT_H
#define ESC_PT_H

#include "formats/esc_fmt.h"

struct pt_key;

struct esc_pt_legacy {
	uint64_t size, pos;        /* pos: file offset of the next storage byte to read */
	esc_pickle *pk;
	struct esc_pickle_watch watch;
	struct pt_key *keys;       /* storage key -> element size, from the object pickle */
	size_t n_keys, keys_cap;
	bool keys_sorted;
	uint8_t *order;            /* element size of each storage, in the keys list's order */
	int64_t *order_numel;      /* and the numel of its persistent id (-1 unknown) */
	size_t n_order, order_cap;
	bool pickles_done, failed, bad_key;
	size_t rec;                /* storages read */
	uint8_t cnt[8];
	unsigned cnt_have;
	uint64_t skip;             /* storage bytes left to skip */
	char reason[200];
};

bool esc_pt_legacy_init(struct esc_pt_legacy *l, uint64_t size);
/* Returns 1 once decided. */
int esc_pt_legacy_update(struct esc_pt_legacy *l, const uint8_t *buf, size_t len, uint64_t off);
/* 1 when the file is whole; merges the pickle verdict into *found. */
int esc_pt_legacy_final(struct esc_pt_legacy *l, struct esc_inspection *found, char *reason, size_t rlen);
void esc_pt_legacy_release(struct esc_pt_legacy *l);

/* pickle_tensor.c: what torch.load would refuse of the tensors the walker
 * followed (NULL: nothing), and the numel of the storage persistent id
 * being reported to a watch's storage callback (-1 unknown). */
const char *esc_pickle_tensor_fault(const esc_pickle *p);
int64_t esc_pickle_pid_numel(const esc_pickle *p);
/* What pickle number index (from 0, up to 3) returned, when it was a small
 * integer the walker followed: true with *v. */
bool esc_pickle_result_int(const esc_pickle *p, unsigned index, int64_t *v);

/* Bytes per element of a torch storage class ("torch.FloatStorage"), 0 if unknown. */
unsigned esc_pt_elem_size(const char *type);
/* Whether h starts with the magic number pickle of a legacy torch.save, in
 * any protocol its pickle_protocol= may give (2 and 3, and 4 and 5 whose
 * writer puts it in a FRAME): 1 yes, 0 no, -1 more bytes are needed (at
 * most ESC_PT_LEGACY_HEAD). */
#define ESC_PT_LEGACY_HEAD 24
int esc_pt_legacy_head(const uint8_t *h, size_t len);

#endif
