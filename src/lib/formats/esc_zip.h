/* esc_zip.h -- a streaming zip walker shared by the zip, pytorch, keras and
 * npz checkers. It follows the local headers as the bytes stream by (handing
 * chosen members' data to the caller), then the central directory and the
 * end records. A member whose size is not in its local header (general
 * purpose bit 3: torch.save and torch.jit.save write every member so) ends
 * at its data descriptor: the walker looks for the descriptor whose size
 * field equals the bytes since the data began, and stays in step. Should no
 * such descriptor come (a writer that leaves out the optional signature),
 * it falls back to the central directory in the last ESC_ZIP_TAIL_MAX
 * bytes, which it copies as they pass. */
#ifndef ESC_ZIP_H
#define ESC_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESC_ZIP_NAME_MAX 4096
#define ESC_ZIP_TAIL_MAX (16u << 20)
#define ESC_ZIP_LOCALS_MAX (1u << 20) /* local headers cross-checked with the central directory */

struct esc_zip_entry {
	const char *name;          /* NUL-terminated (names holding NUL are rejected) */
	size_t name_len;
	uint16_t method, flags;
	uint64_t csize, usize;     /* local headers with bit 3: size_known is false */
	bool size_known;
	uint64_t local_off;        /* offset of the local header */
	uint32_t ext_attr;         /* external attributes (central directory entries) */
};

struct esc_zip_local;

enum esc_zip_seen {
	ESC_ZIP_SEEN_ALL,    /* every local header was walked: NULL means no member starts there */
	ESC_ZIP_SEEN_SOME,   /* the walk lost its place: a member it did not meet was not scanned */
	ESC_ZIP_SEEN_NONE    /* not kept (too many members) */
};

/* After the walk lost its place (SEEN_SOME), a member's stored bytes as a
 * reader that follows the central directory finds them, from the copy of
 * the file's tail. */
struct esc_zip_bytes {
	enum { ESC_ZIP_BYTES_NONE,       /* not in the copy: unknown */
	       ESC_ZIP_BYTES_REFUSED,    /* no local header of that name there: readers refuse it */
	       ESC_ZIP_BYTES_OK } status;
	const uint8_t *data;             /* OK: its data, as stored */
	size_t len;                      /* up to the central directory's size, or the file's end */
};

struct esc_zip_ops {
	/* A local header: true to be handed the member's data. May be NULL. */
	bool (*member)(void *u, const struct esc_zip_entry *e);
	/* Part of the wanted member's data; returns how many bytes it used,
	 * fewer than len once it wants no more. */
	size_t (*data)(void *u, const uint8_t *buf, size_t len);
	/* After the wanted member's data (complete: all of it was handed over,
	 * or the caller wanted no more; false: the file ended first). */
	void (*member_end)(void *u, const struct esc_zip_entry *e, bool complete);
	/* A central directory entry whose name and extent passed the walker's
	 * checks; 0 with a reason fails the file. May be NULL. */
	int (*cd_entry)(void *u, const struct esc_zip_entry *e, char *reason, size_t rlen);
	/* Every central directory entry, before any check, with the local
	 * header the walk met at its offset (NULL: none met there). seen says
	 * how far that answer goes; bytes, after the walk lost its place, the
	 * member's data from the file's tail. With it set, a fault in the
	 * central directory, an encrypted member or a CRC that differs does not
	 * end the walk, and any other fault before the central directory makes
	 * the walk read it from the file's tail: every entry is still handed
	 * here, and the file fails with the first fault at the end. For np.load,
	 * which reads any member it is asked for, whatever is wrong with
	 * another. May be NULL. */
	void (*cd_judge)(void *u, const struct esc_zip_entry *e, const struct esc_zip_local *local,
	                 enum esc_zip_seen seen, const struct esc_zip_bytes *bytes);
	/* The loader is torch's miniz: it reads members without checking their
	 * CRC-32 or the local header's name (torch builds it with
	 * MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS), so neither is checked, but
	 * refuses a disk number other than 0, which Python's zipfile ignores. */
	bool torch_miniz;
};

/* What the walk measured of one member, for the central directory check:
 * Python's zipfile (np.load) and miniz (torch.load) read each member as the
 * central directory describes it and refuse a CRC-32 that differs, or a
 * local header that names another file. */
struct esc_zip_local {
	uint64_t off;              /* of the local header */
	uint64_t name_hash;
	uint64_t csize;            /* data bytes the walk found */
	uint64_t usize;            /* bytes they inflate to (crc_known) */
	uint32_t crc;              /* CRC-32 of those (crc_known) */
	uint16_t method;
	bool size_known;           /* sizes from the local header (not bit 3) */
	bool done;                 /* the walk met the end of its data */
	bool crc_known;            /* stored, or inflated within the budget */
	uint64_t declared_usize;   /* the local header's (size_known) */
	uint64_t data_off;         /* where its data starts */
	uint8_t head[6];           /* its first data bytes, as stored */
	uint8_t head_len;
};

struct esc_inflate {
	void *zs;                  /* z_stream */
	uint64_t out_total, out_max;
	bool ended, failed;
	char err[96];
};

struct esc_zip_walk {
	const struct esc_zip_ops *ops;
	void *user;
	uint64_t size, off;        /* off: file offset of the next byte the machine reads */
	int st;
	uint8_t *rec;              /* the record being collected */
	size_t rec_cap, need, have;
	uint64_t skip;
	struct esc_zip_entry cur;
	bool cur_wanted, cur_zip64;
	uint64_t cur_left, cur_given;
	bool hunting;              /* in a bit 3 member: looking for its descriptor */
	uint64_t cur_seen;         /* its data bytes met so far */
	uint8_t dwin[24];          /* its last bytes (a descriptor split across chunks) */
	size_t dwin_len;
	char name[ESC_ZIP_NAME_MAX + 1];
	uint64_t cd_start, cd_end, n_cd, e64_pos;
	bool in_cd, cd_only, lost, failed, ended;
	bool spoiled;              /* cd_judge: failed with reason, the rest only judged */
	uint64_t z64_entries, z64_cd_size, z64_cd_off;
	bool z64_seen;
	uint64_t tail_start;
	uint8_t *tail;
	size_t tail_len;
	uint64_t n_local;
	struct esc_zip_local *locals; /* in order (while in sync) */
	size_t locals_cap;
	bool locals_lost;          /* too many, or out of memory: not cross-checked */
	uint32_t crc;              /* of the current member's data so far */
	uint64_t crc_out;          /* its bytes (inflated, when deflated) */
	bool crc_on, crc_inflating;
	struct esc_inflate crc_inf;
	uint64_t crc_inflated;     /* over all members (ESC_INFLATE_FILE_MAX) */
	bool torch_end;            /* torch_miniz: past the central directory, miniz's view checks the end */
	bool cd_disk0;             /* torch_miniz: an entry on disk 0 */
	char reason[224];
};

void esc_zip_init(struct esc_zip_walk *w, uint64_t size, const struct esc_zip_ops *ops, void *user);
/* Consecutive chunks; returns 1 once the zip has failed (nothing more to learn). */
int esc_zip_update(struct esc_zip_walk *w, const uint8_t *buf, size_t len, uint64_t off);
/* 1 when the zip passes, else 0 with a reason. */
int esc_zip_final(struct esc_zip_walk *w, char *reason, size_t rlen);
void esc_zip_release(struct esc_zip_walk *w);
/* Raw deflate (method 8) of one member, inflated as it streams by and
 * handed to a sink. Inflating costs up to ~1000x the input, so what one file
 * may inflate, over all its members, is bounded: ESC_INFLATE_FILE_MAX. */
#define ESC_INFLATE_FILE_MAX (256ull << 20)
/* out_max: the most this member may inflate to. Returns false (out of
 * memory) with err set. */
bool esc_inflate_init(struct esc_inflate *f, uint64_t out_max);
/* Inflates buf, handing the output to sink (which returns 1 once it wants no
 * more). Returns how many bytes of buf were used: fewer than len once the
 * stream ended, the sink is done, or the data is corrupt (failed, err). */
size_t esc_inflate_feed(struct esc_inflate *f, const uint8_t *buf, size_t len,
                        int (*sink)(void *u, const uint8_t *b, size_t n), void *u);
void esc_inflate_end(struct esc_inflate *f);

/* Internal to the walker (zip_desc.c): a bit 3 member's data, handed over
 * (when wanted) up to its data descriptor. Returns how many bytes of b it
 * took; *found_end once the descriptor ended within them. */
size_t esc_zip_hunt(struct esc_zip_walk *w, const uint8_t *b, size_t n, bool *found_end);

/* Internal to the walker (zip_crc.c): the CRC-32 of the current member's
 * data, inflated when deflated (within ESC_INFLATE_FILE_MAX over the file,
 * past which it is not known); end records it into the member's
 * esc_zip_local, csize being the data bytes the walk found. */
void esc_zip_crc_begin(struct esc_zip_walk *w);
void esc_zip_crc_feed(struct esc_zip_walk *w, const uint8_t *b, size_t n);
void esc_zip_crc_end(struct esc_zip_walk *w, uint64_t csize);
/* The central directory entry e against the local header it points to
 * (the walk in step): 1 when they agree, else 0 with the walk failed. */
int esc_zip_cd_match(struct esc_zip_walk *w, const struct esc_zip_entry *e, uint32_t crc);
/* The local header the walk met at offset off, or NULL. */
const struct esc_zip_local *esc_zip_local_at(const struct esc_zip_walk *w, uint64_t off);
uint64_t esc_zip_name_hash(const char *s, size_t n);
/* Internal to the walker (zip_miniz.c), torch_miniz: the end records as
 * torch.load's miniz reads them must name the central directory the walk
 * parsed. 1 when so, else 0 with the walk failed. */
int esc_zip_miniz_end(struct esc_zip_walk *w);
/* One central directory record (after its signature) as miniz checks it:
 * 1 when it passes, else 0 with a reason. */
int esc_zip_miniz_entry(const uint8_t *r, const char *name, char *reason, size_t rlen);
/* torch_miniz, after esc_zip_final: the n data bytes of the member whose
 * local header is at off, where miniz reads them (after the local header's
 * own name and extra field), when the walk kept them; else NULL. */
const uint8_t *esc_zip_miniz_data(const struct esc_zip_walk *w, uint64_t off, uint64_t n);

/* Zip sniff: a local header or an empty archive at offset 0. */
int esc_zip_sniff(const uint8_t *head, size_t len, uint64_t size);
/* The first member's name if the head holds it whole: 1, else 0. */
int esc_zip_first_name(const uint8_t *head, size_t len, const char **name, size_t *nlen);
/* A name ends with suffix. */
bool esc_zip_name_ends(const char *name, size_t len, const char *suffix);
/* The name rules for members: 1 ok, else 0 with why. */
int esc_zip_name_ok(const char *name, size_t len, const char **why);

#endif
