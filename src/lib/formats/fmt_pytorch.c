/* fmt_pytorch.c -- PyTorch checkpoints.
 * The zip format (torch >= 1.6): one top folder holding data.pkl and version
 * (or .data/version). torch stores members uncompressed, data.pkl first, so
 * its pickle is scanned as it streams by; the central directory must then
 * point every *.pkl member at a local header that was scanned (else the
 * verdict is unknown). A compressed .pkl is reported as not scanned rather
 * than guessed at.
 * The legacy format is five pickles back to back (magic number, protocol,
 * system info, the object, storage keys) before raw storage bytes. */
#include "formats/esc_fmt.h"
#include "formats/esc_zip.h"

#include <stdlib.h>
#include <string.h>

#define PT_SCANS_MAX 64

static const uint8_t legacy_magic[15] = {
	0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e
};

struct pt_scan {
	uint64_t local_off;
	char name[128];
	bool done;
};

struct pt_state {
	uint64_t size;
	uint8_t head[15];
	size_t head_len;
	int mode;                 /* 0 undecided, 1 zip, 2 legacy, 3 neither */
	struct esc_zip_walk zw;
	esc_pickle *pk;
	uint64_t pk_given;
	struct pt_scan scans[PT_SCANS_MAX];
	unsigned n_scans;
	struct esc_inspection found;
	char top[256];
	size_t top_len;
	bool have_top, many_tops, has_pkl, has_version, failed;
	char reason[224];
};

static void unknown(struct pt_state *p, const char *fmt, const char *name)
{
	char msg[256];

	snprintf(msg, sizeof msg, fmt, name);
	esc_insp_pickle_merge(&p->found, ESC_PICKLE_UNKNOWN, msg);
}

static bool pt_member(void *u, const struct esc_zip_entry *e)
{
	struct pt_state *p = u;

	if (!esc_zip_name_ends(e->name, e->name_len, ".pkl"))
		return false;
	if (e->method != 0) {
		unknown(p, "%.200s is compressed: not scanned", e->name);
		return false;
	}
	if (p->n_scans == PT_SCANS_MAX) {
		unknown(p, "%.200s: too many pickles to scan", e->name);
		return false;
	}
	p->pk = esc_pickle_new();
	if (!p->pk) {
		unknown(p, "%.200s: out of memory", e->name);
		return false;
	}
	esc_pickle_set_max(p->pk, 1);
	p->pk_given = 0;
	p->scans[p->n_scans].local_off = e->local_off;
	snprintf(p->scans[p->n_scans].name, sizeof p->scans[0].name, "%s", e->name);
	p->n_scans++;
	return true;
}

static size_t pt_data(void *u, const uint8_t *buf, size_t len)
{
	struct pt_state *p = u;
	uint64_t c;

	esc_pickle_update(p->pk, buf, len);
	if (!esc_pickle_done(p->pk)) {
		p->pk_given += len;
		return len;
	}
	c = esc_pickle_consumed(p->pk);
	len = c > p->pk_given && c - p->pk_given < len ? (size_t)(c - p->pk_given) : 0;
	p->pk_given += len;
	return len;
}

static void pt_member_end(void *u, const struct esc_zip_entry *e, bool complete)
{
	struct pt_state *p = u;
	char imports[256];
	enum esc_pickle_verdict v;

	v = esc_pickle_final(p->pk, imports, sizeof imports);
	esc_insp_pickle_merge(&p->found, v, imports);
	esc_pickle_free(p->pk);
	p->pk = NULL;
	p->scans[p->n_scans - 1].done = true;
}

static int pt_entry(void *u, const struct esc_zip_entry *e, char *reason, size_t rlen)
{
	struct pt_state *p = u;
	const char *slash = memchr(e->name, '/', e->name_len);
	size_t tl = slash ? (size_t)(slash - e->name) : e->name_len;
	const char *rest = slash ? slash + 1 : "";
	unsigned i;

	if (!slash || tl >= sizeof p->top) {
		p->many_tops = true;
	} else if (!p->have_top) {
		memcpy(p->top, e->name, tl);
		p->top_len = tl;
		p->have_top = true;
	} else if (tl != p->top_len || memcmp(p->top, e->name, tl) != 0) {
		p->many_tops = true;
	}
	if (strcmp(rest, "data.pkl") == 0)
		p->has_pkl = true;
	if (strcmp(rest, "version") == 0 || strcmp(rest, ".data/version") == 0)
		p->has_version = true;
	if (!esc_zip_name_ends(e->name, e->name_len, ".pkl"))
		return 1;
	for (i = 0; i < p->n_scans; i++)
		if (p->scans[i].local_off == e->local_off)
			break;
	if (i == p->n_scans) {
		unknown(p, "%.200s: not scanned", e->name);
		return 1;
	}
	/* readers take the method from here: what was scanned must be what they read */
	if (e->method != 0)
		unknown(p, "%.150s: compressed in the central directory, stored in its local header", e->name);
	if (strcmp(p->scans[i].name, e->name) != 0 && strlen(e->name) < sizeof p->scans[0].name) {
		snprintf(reason, rlen, "%s: the local header at %llu names another member", e->name,
		         (unsigned long long)e->local_off);
		return 0;
	}
	return 1;
}

static const struct esc_zip_ops pt_ops = {
	.member = pt_member,
	.data = pt_data,
	.member_end = pt_member_end,
	.cd_entry = pt_entry,
};

static void pt_init(void *st, const char *path, uint64_t size)
{
	struct pt_state *p = st;

	memset(p, 0, sizeof *p);
	p->size = size;
	esc_zip_init(&p->zw, size, &pt_ops, p);
}

static int feed(struct pt_state *p, const uint8_t *buf, size_t len, uint64_t off)
{
	if (p->mode == 1)
		return esc_zip_update(&p->zw, buf, len, off);
	if (p->mode == 2) {
		esc_pickle_update(p->pk, buf, len);
		return esc_pickle_done(p->pk);
	}
	return 1;
}

static int pt_update(void *st, const uint8_t *buf, size_t len, uint64_t off)
{
	struct pt_state *p = st;
	size_t take;

	if (p->mode)
		return feed(p, buf, len, off);
	take = sizeof p->head - p->head_len < len ? sizeof p->head - p->head_len : len;
	memcpy(p->head + p->head_len, buf, take);
	p->head_len += take;
	if (p->head_len < 4 && p->head_len < p->size)
		return 0;
	if (memcmp(p->head, "PK\x03\x04", p->head_len < 4 ? p->head_len : 4) == 0 && p->head_len >= 4) {
		p->mode = 1;
	} else if (memcmp(p->head, legacy_magic, p->head_len) == 0) {
		if (p->head_len < sizeof p->head && p->head_len < p->size)
			return 0;
		if (p->head_len < sizeof p->head) {
			p->mode = 3;
			return 1;
		}
		p->pk = esc_pickle_new();
		if (!p->pk) {
			p->mode = 3;
			return 1;
		}
		esc_pickle_set_max(p->pk, 5);
		p->mode = 2;
	} else {
		p->mode = 3;
		return 1;
	}
	/* replay what was held back, then the rest of this chunk */
	if (feed(p, p->head, p->head_len - take, 0))
		return 1;
	return feed(p, buf, len, off);
}

static int pt_final(void *st, char *reason, size_t rlen)
{
	struct pt_state *p = st;
	char imports[256];
	enum esc_pickle_verdict v;

	if (p->mode == 2) {
		unsigned n = esc_pickle_count(p->pk);

		v = esc_pickle_final(p->pk, imports, sizeof imports);
		esc_insp_pickle_merge(&p->found, v, imports);
		esc_pickle_free(p->pk);
		p->pk = NULL;
		if (n < 5) {
			snprintf(reason, rlen, "legacy PyTorch file: %u of its 5 pickles readable (%.150s)", n, imports);
			return 0;
		}
		return 1;
	}
	if (p->mode != 1) {
		snprintf(reason, rlen, "neither a PyTorch zip archive nor a legacy PyTorch pickle");
		return 0;
	}
	if (p->pk) /* a .pkl cut short by the end of the file */
		pt_member_end(p, &(struct esc_zip_entry){ .name = p->scans[p->n_scans - 1].name }, false);
	if (!esc_zip_final(&p->zw, reason, rlen))
		return 0;
	if (p->many_tops || !p->have_top) {
		snprintf(reason, rlen, "not a PyTorch archive: members are not all in one top folder");
		return 0;
	}
	if (!p->has_pkl || !p->has_version) {
		snprintf(reason, rlen, "not a PyTorch archive: %s/%s missing", p->top,
		         !p->has_pkl ? "data.pkl" : "version");
		return 0;
	}
	return 1;
}

static void pt_report(void *st, struct esc_inspection *out)
{
	struct pt_state *p = st;

	if (p->found.pickle != ESC_PICKLE_NONE)
		esc_insp_pickle_merge(out, p->found.pickle, p->found.pickle_imports);
}

static void pt_release(void *st)
{
	struct pt_state *p = st;

	esc_pickle_free(p->pk);
	p->pk = NULL;
	esc_zip_release(&p->zw);
}

static int pt_sniff(const uint8_t *h, size_t len, uint64_t size)
{
	const char *n;
	size_t nl;

	if (len >= sizeof legacy_magic && memcmp(h, legacy_magic, sizeof legacy_magic) == 0)
		return 1;
	return esc_zip_first_name(h, len, &n, &nl) && esc_zip_name_ends(n, nl, "/data.pkl");
}

const struct esc_fmt_ops esc_fmt_pytorch = {
	.fmt = ESC_FMT_PYTORCH,
	.state_size = sizeof(struct pt_state),
	.init = pt_init,
	.update = pt_update,
	.final = pt_final,
	.sniff = pt_sniff,
	.release = pt_release,
	.report = pt_report,
};
