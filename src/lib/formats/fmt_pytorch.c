/* fmt_pytorch.c -- PyTorch checkpoints.
 * The zip format (torch >= 1.6): one top folder holding data.pkl and version
 * (or .data/version). Every pickle member (*.pkl, *.debug_pkl) is scanned as
 * it streams by, wherever it lies, stored or deflated, with or without a
 * data descriptor; the central directory must then point every pickle it
 * names at a local header that was scanned, else the file is unsafe (it
 * holds a pickle nobody looked at). An archive with constants.pkl
 * is TorchScript (torch.jit.save): its pickles are scanned against the
 * TorchScript allowlist, and its code, which cannot be judged, is reported
 * once (docs/PICKLE.md).
 * The legacy format (torch.save(..., _use_new_zipfile_serialization=False))
 * is five pickles back to back (magic number, protocol, system info, the
 * object, the storage keys), then each storage as an 8-byte element count
 * and its bytes: fmt_pytorch_legacy.c checks those against the file. */
#include "esc_escape.h"
#include "formats/esc_fmt.h"
#include "formats/esc_pt.h"
#include "formats/esc_zip.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PT_SCANS_MAX 65536


/* torch.load reads TOP/.data/version, else TOP/version, as a number
 * (std::stoull) and refuses one outside 1..kMaxSupportedFileFormatVersion
 * (10 in Debian's torch 1.13; torch.save writes 3). The first bytes of each
 * stored version member are kept to judge it the same way. */
#define PT_VERSION_MAX 10u
#define PT_VER_KEEP 48
#define PT_VERS 4

struct pt_version {
	uint64_t local_off;
	uint8_t text[PT_VER_KEEP];
	size_t len;               /* bytes kept (the member may be longer) */
	bool complete;
};

struct pt_scan {
	uint64_t local_off;
	uint16_t method;
};

struct pt_state {
	uint64_t size;
	uint8_t head[ESC_PT_LEGACY_HEAD];
	size_t head_len;
	int mode;                 /* 0 undecided, 1 zip, 2 legacy, 3 neither */
	bool named_torch;         /* .pt, .pth, .ckpt: torch.load is what opens it */
	bool named_ckpt;          /* those, .bin (pytorch_model.bin) or a pickle name */
	struct esc_zip_walk zw;
	esc_pickle *pk;
	uint64_t pk_given;
	bool deflated;
	struct esc_inflate inf;
	uint64_t inflated;        /* over all members (ESC_INFLATE_FILE_MAX) */
	struct pt_scan *scans;
	size_t n_scans, scans_cap;
	bool pkl_seen;            /* a pickle member's local header went by */
	struct esc_inspection plain, ts; /* verdicts as a plain / a TorchScript archive */
	char top[256];
	size_t top_len;
	bool have_top, many_tops, has_pkl, has_version, torchscript;
	struct esc_pt_legacy legacy;
	char reason[224];
	struct pt_version vers[PT_VERS];
	unsigned n_vers;
	struct pt_version *ver;   /* the version member being read */
	const struct pt_version *cd_ver, *cd_dver; /* what TOP/version, TOP/.data/version hold */
	struct esc_zip_entry cd_vent[2];          /* their central directory entries (local_off 0: none) */
	bool has_dver;            /* the central directory names TOP/.data/version */
	char tensor_fault[200];   /* a data.pkl tensor past its storage (pickle_tensor.c) */
};

/* torch's zip reader (miniz) finds records ignoring case: DATA.PKL is
 * data.pkl to it, so any case is a pickle here. */
static bool is_pickle_name(const char *name, size_t len)
{
	return (len >= 4 && strncasecmp(name + len - 4, ".pkl", 4) == 0) ||
	       (len >= 10 && strncasecmp(name + len - 10, ".debug_pkl", 10) == 0);
}

/* A verdict about the archive itself, the same whether TorchScript or not. */
static void unsafe(struct pt_state *p, const char *fmt, const char *name)
{
	char msg[256];

	snprintf(msg, sizeof msg, fmt, name);
	esc_insp_pickle_merge(&p->plain, ESC_PICKLE_DANGEROUS, msg);
	esc_insp_pickle_merge(&p->ts, ESC_PICKLE_DANGEROUS, msg);
}

/* The part of a member name after its top folder ("" without one). */
static const char *rest_of(const char *name, size_t len)
{
	const char *slash = memchr(name, '/', len);

	return slash ? slash + 1 : "";
}

static bool is_version_name(const char *rest)
{
	return strcmp(rest, "version") == 0 || strcmp(rest, ".data/version") == 0;
}

/* A stored version member: its first bytes are kept for the check. */
static bool version_member(struct pt_state *p, const struct esc_zip_entry *e)
{
	if (e->method != 0 || p->n_vers == PT_VERS || !is_version_name(rest_of(e->name, e->name_len)))
		return false;
	p->ver = &p->vers[p->n_vers++];
	memset(p->ver, 0, sizeof *p->ver);
	p->ver->local_off = e->local_off;
	return true;
}

static const struct pt_version *version_at(const struct pt_state *p, uint64_t off)
{
	for (unsigned i = 0; i < p->n_vers; i++)
		if (p->vers[i].local_off == off && p->vers[i].complete)
			return &p->vers[i];
	return NULL;
}

/* As torch reads it: spaces, an optional '+', digits (anything after them
 * is ignored), a value from 1 to PT_VERSION_MAX. 1 when it loads, or when
 * the kept bytes are all spaces (the rest was not kept). */
static int version_ok(const struct pt_version *v)
{
	size_t i = 0;
	uint64_t n = 0;
	bool digits = false;

	while (i < v->len && strchr(" \t\n\v\f\r", v->text[i]) != NULL && v->text[i] != '\0')
		i++;
	if (i == v->len)
		return v->len == PT_VER_KEEP;
	if (v->text[i] == '+')
		i++;
	for (; i < v->len && v->text[i] >= '0' && v->text[i] <= '9'; i++) {
		digits = true;
		n = n * 10 + (uint64_t)(v->text[i] - '0');
		if (n > PT_VERSION_MAX)
			return 0;
	}
	return digits && n >= 1;
}

static bool pt_member(void *u, const struct esc_zip_entry *e)
{
	struct pt_state *p = u;

	if (version_member(p, e))
		return true;
	if (!is_pickle_name(e->name, e->name_len))
		return false;
	p->pkl_seen = true;
	/* miniz reads the method from the central directory only: a local
	 * method other than deflate is scanned as stored, and pt_entry checks
	 * that the central directory says so too */
	if (p->n_scans == p->scans_cap) {
		size_t cap = p->scans_cap ? p->scans_cap * 2 : 16;
		struct pt_scan *ns = cap <= PT_SCANS_MAX ? realloc(p->scans, cap * sizeof *ns) : NULL;

		if (ns == NULL) {
			unsafe(p, "%.200s: too many pickles to scan", e->name);
			return false;
		}
		p->scans = ns;
		p->scans_cap = cap;
	}
	p->pk = esc_pickle_new();
	if (!p->pk) {
		unsafe(p, "%.200s: out of memory", e->name);
		return false;
	}
	p->deflated = e->method == 8;
	if (p->deflated && !esc_inflate_init(&p->inf, ESC_INFLATE_FILE_MAX - p->inflated)) {
		esc_pickle_free(p->pk);
		p->pk = NULL;
		unsafe(p, "%.200s: out of memory", e->name);
		return false;
	}
	esc_pickle_set_max(p->pk, 1);
	if (e->size_known)
		esc_pickle_set_size(p->pk, e->usize);
	p->pk_given = 0;
	p->scans[p->n_scans].local_off = e->local_off;
	p->scans[p->n_scans].method = p->deflated ? 8 : 0;
	p->n_scans++;
	return true;
}

static int to_pickle(void *u, const uint8_t *b, size_t n)
{
	esc_pickle *pk = u;

	esc_pickle_update(pk, b, n);
	return esc_pickle_done(pk);
}

static size_t pt_data(void *u, const uint8_t *buf, size_t len)
{
	struct pt_state *p = u;
	uint64_t c;

	if (p->ver != NULL) {
		size_t k = PT_VER_KEEP - p->ver->len < len ? PT_VER_KEEP - p->ver->len : len;

		memcpy(p->ver->text + p->ver->len, buf, k);
		p->ver->len += k;
		return len;
	}
	if (p->deflated) {
		size_t used = esc_inflate_feed(&p->inf, buf, len, to_pickle, p->pk);

		/* the pickle has its STOP, or the stream ended or is corrupt */
		return p->inf.ended || p->inf.failed ? (used < len ? used : 0) : used;
	}
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
	char imports[256], msg[256];
	enum esc_pickle_verdict v;

	if (p->ver != NULL) {
		p->ver->complete = complete;
		p->ver = NULL;
		return;
	}
	if (p->deflated && p->inf.failed) {
		snprintf(msg, sizeof msg, "%.100s: %s", e->name, p->inf.err);
		esc_insp_pickle_merge(&p->plain, ESC_PICKLE_DANGEROUS, msg);
		esc_insp_pickle_merge(&p->ts, ESC_PICKLE_DANGEROUS, msg);
	}
	if (esc_pickle_tensor_fault(p->pk) && !p->tensor_fault[0] && esc_zip_name_ends(e->name, e->name_len, "/data.pkl"))
		snprintf(p->tensor_fault, sizeof p->tensor_fault, "%.100s: %s", e->name, esc_pickle_tensor_fault(p->pk));
	v = esc_pickle_final(p->pk, imports, sizeof imports);
	esc_insp_pickle_merge(&p->plain, v, imports);
	v = esc_pickle_final_ts(p->pk, imports, sizeof imports);
	esc_insp_pickle_merge(&p->ts, v, imports);
	esc_pickle_free(p->pk);
	p->pk = NULL;
	if (p->deflated) {
		p->inflated += p->inf.out_total < ESC_INFLATE_FILE_MAX - p->inflated ? p->inf.out_total
		                                                                      : ESC_INFLATE_FILE_MAX - p->inflated;
		esc_inflate_end(&p->inf);
	}
	p->deflated = false;
}

static const struct pt_scan *scan_at(const struct pt_state *p, uint64_t off)
{
	size_t lo = 0, hi = p->n_scans;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->scans[mid].local_off == off)
			return &p->scans[mid];
		if (p->scans[mid].local_off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int pt_entry(void *u, const struct esc_zip_entry *e, char *reason, size_t rlen)
{
	struct pt_state *p = u;
	const char *slash = memchr(e->name, '/', e->name_len);
	size_t tl = slash ? (size_t)(slash - e->name) : e->name_len;
	const char *rest = slash ? slash + 1 : "";
	const struct pt_scan *s;

	/* torch.load lists the records as Python str: a name that is not
	 * UTF-8 fails the load (UnicodeDecodeError) */
	if (!esc_utf8_valid(e->name, e->name_len)) {
		snprintf(reason, rlen, "a member name is not UTF-8: torch.load cannot list the archive");
		return 0;
	}
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
	/* miniz takes a record with the DOS directory attribute for a folder
	 * and reads none of its bytes: torch.load then unpickles, or parses as
	 * the version, whatever the buffer held */
	if ((strcmp(rest, "data.pkl") == 0 || is_version_name(rest)) && (e->ext_attr & 0x10)) {
		snprintf(reason, rlen, "%s: marked as a folder (DOS attribute): torch.load reads none of its "
		         "bytes", e->name);
		return 0;
	}
	if (is_version_name(rest)) {
		p->has_version = true;
		p->cd_vent[strcmp(rest, "version") == 0 ? 0 : 1] = *e;
		if (strcmp(rest, "version") == 0)
			p->cd_ver = version_at(p, e->local_off);
		else {
			p->cd_dver = version_at(p, e->local_off);
			p->has_dver = true;
		}
	}
	/* torch.load hands an archive with a record named exactly constants.pkl
	 * to torch.jit.load; without one, __torch__ names reach Python's
	 * unpickler, so they get no TorchScript allowance */
	if (strcmp(rest, "constants.pkl") == 0)
		p->torchscript = true;
	if (!is_pickle_name(e->name, e->name_len))
		return 1;
	s = scan_at(p, e->local_off);
	if (s == NULL) {
		unsafe(p, "%.150s: a pickle the scan did not reach", e->name);
		return 1;
	}
	/* readers take the method from here: what was scanned must be what they read */
	if (s->method != e->method)
		unsafe(p, "%.100s: compressed in the central directory and not in its local header (or "
		       "the reverse): what loaders read is not what was scanned", e->name);
	/* miniz never reads the local header's name, only its length: the
	 * bytes scanned at that offset are the bytes torch unpickles, whatever
	 * name the local header gives */
	return 1;
}

static const struct esc_zip_ops pt_ops = {
	.torch_miniz = true,
	.member = pt_member,
	.data = pt_data,
	.member_end = pt_member_end,
	.cd_entry = pt_entry,
};

static bool ext_is(const char *path, const char *ext)
{
	size_t n = strlen(path), k = strlen(ext);

	return n > k && strcasecmp(path + n - k, ext) == 0;
}

static void pt_init(void *st, const char *path, uint64_t size)
{
	struct pt_state *p = st;

	memset(p, 0, sizeof *p);
	p->size = size;
	p->named_torch = path && (ext_is(path, ".pt") || ext_is(path, ".pth") || ext_is(path, ".ckpt"));
	p->named_ckpt = p->named_torch || (path && (ext_is(path, ".bin") || ext_is(path, ".pkl") ||
	                                            ext_is(path, ".pickle") || ext_is(path, ".joblib")));
	esc_zip_init(&p->zw, size, &pt_ops, p);
}

static int feed(struct pt_state *p, const uint8_t *buf, size_t len, uint64_t off)
{
	if (p->mode == 1)
		return esc_zip_update(&p->zw, buf, len, off);
	if (p->mode == 2)
		return esc_pt_legacy_update(&p->legacy, buf, len, off);
	if (p->mode == 3 && p->pk) {
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
	} else if (esc_pt_legacy_head(p->head, p->head_len) != 0) {
		if (esc_pt_legacy_head(p->head, p->head_len) < 0 && p->head_len < sizeof p->head &&
		    p->head_len < p->size)
			return 0;
		if (esc_pt_legacy_head(p->head, p->head_len) < 0 || !esc_pt_legacy_init(&p->legacy, p->size)) {
			p->mode = 3;
			return 1;
		}
		p->mode = 2;
	} else {
		/* torch.load reads any other file as a legacy one: its first pickle
		 * is loaded before the magic number is compared */
		p->mode = 3;
		if (!p->named_torch || !esc_pickle_is_opcode(p->head[0]))
			return 1;
		p->pk = esc_pickle_new();
		if (!p->pk)
			return 1;
		esc_pickle_set_max(p->pk, 1);
		esc_pickle_set_size(p->pk, p->size);
	}
	/* replay what was held back, then the rest of this chunk */
	if (feed(p, p->head, p->head_len - take, 0))
		return 1;
	return feed(p, buf, len, off);
}

/* The version record torch reads: .data/version when there is one. */
static int version_check(const struct pt_state *p, char *reason, size_t rlen)
{
	const struct pt_version *v = p->has_dver ? p->cd_dver : p->cd_ver;
	const struct esc_zip_entry *e = &p->cd_vent[p->has_dver ? 1 : 0];
	char shown[PT_VER_KEEP + 1];
	size_t n = 0;
	struct pt_version tv;
	const uint8_t *d;

	/* what miniz reads, where it reads it, when the walk kept those bytes */
	if (e->method == 0 && (d = esc_zip_miniz_data(&p->zw, e->local_off, e->csize)) != NULL) {
		memset(&tv, 0, sizeof tv);
		tv.len = e->csize < PT_VER_KEEP ? (size_t)e->csize : PT_VER_KEEP;
		memcpy(tv.text, d, tv.len);
		tv.complete = true;
		v = &tv;
	}
	if (v == NULL || version_ok(v))
		return 1;
	for (size_t i = 0; i < v->len && i < 16; i++)
		shown[n++] = v->text[i] >= 0x20 && v->text[i] < 0x7f ? (char)v->text[i] : '?';
	shown[n] = '\0';
	snprintf(reason, rlen, "not a PyTorch archive torch.load opens: %s/%sversion holds '%s', not a format "
	         "version from 1 to %u", p->top, p->has_dver ? ".data/" : "", shown, PT_VERSION_MAX);
	return 0;
}

static int zip_final(struct pt_state *p, char *reason, size_t rlen)
{
	if (!esc_zip_final(&p->zw, reason, rlen)) {
		/* torch's zip reader is laxer than this one: what it would load
		 * was not all scanned */
		if (p->named_ckpt || p->pkl_seen)
			unsafe(p, "not every pickle could be scanned: %.180s", reason);
		return 0;
	}
	if (p->many_tops || !p->have_top) {
		snprintf(reason, rlen, "not a PyTorch archive: members are not all in one top folder");
		return 0;
	}
	if (!p->has_pkl || !p->has_version) {
		snprintf(reason, rlen, "not a PyTorch archive: %s/%s missing", p->top,
		         !p->has_pkl ? "data.pkl" : "version");
		return 0;
	}
	if (p->tensor_fault[0] && !p->torchscript) {
		snprintf(reason, rlen, "torch.load refuses it: %s (its storage cannot be resized)", p->tensor_fault);
		return 0;
	}
	return version_check(p, reason, rlen);
}

static int pt_final(void *st, char *reason, size_t rlen)
{
	struct pt_state *p = st;
	char imports[256];
	enum esc_pickle_verdict v;

	if (p->mode == 2)
		return esc_pt_legacy_final(&p->legacy, &p->plain, reason, rlen);
	if (p->mode == 3 && p->pk) {
		v = esc_pickle_final(p->pk, imports, sizeof imports);
		/* a text file named .pt or .pth (Python's path files, a Portuguese
		 * text) that torch.load would refuse having run nothing: no pickle.
		 * A file starting with PROTO is a pickle, judged strictly. */
		if (p->head[0] == 0x80 || !esc_pickle_inert(p->pk))
			esc_insp_pickle_merge(&p->plain, v, imports);
	}
	if (p->mode != 1) {
		snprintf(reason, rlen, "neither a PyTorch zip archive nor a legacy PyTorch pickle");
		return 0;
	}
	return zip_final(p, reason, rlen);
}

static void pt_report(void *st, struct esc_inspection *out)
{
	struct pt_state *p = st;
	const struct esc_inspection *f = p->torchscript ? &p->ts : &p->plain;

	if (f->pickle != ESC_PICKLE_NONE)
		esc_insp_pickle_merge(out, f->pickle, f->pickle_imports);
	/* the code cannot be judged: said once, and only when nothing worse was found */
	if (p->torchscript && f->pickle == ESC_PICKLE_SAFE)
		esc_insp_pickle_merge(out, ESC_PICKLE_UNKNOWN,
		                      "TorchScript archive: its pickles are on the allowlist, its TorchScript "
		                      "code (code/) runs at torch.jit.load and is not judged");
}

static void pt_release(void *st)
{
	struct pt_state *p = st;

	esc_pickle_free(p->pk);
	p->pk = NULL;
	if (p->deflated)
		esc_inflate_end(&p->inf);
	p->deflated = false;
	free(p->scans);
	p->scans = NULL;
	esc_pt_legacy_release(&p->legacy);
	esc_zip_release(&p->zw);
}

static int pt_sniff(const uint8_t *h, size_t len, uint64_t size)
{
	if (esc_pt_legacy_head(h, len) == 1)
		return 1;
	/* torch.load opens any zip, whatever its first record: every zip is
	 * walked for pickles (an archive that is no checkpoint just fails the
	 * pytorch check, and another checker names its format) */
	return len >= 4 && memcmp(h, "PK\x03\x04", 4) == 0;
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
