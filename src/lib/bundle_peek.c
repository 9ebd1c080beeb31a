/* bundle_peek.c -- the tag signature of an unsealed bundle, without reading
 * the bundle. pack ends the payload's zstd frame before the tag files, which
 * go into one last frame; the headers of the frames and of their blocks give
 * their sizes (RFC 8878, 3.1.1), so that last frame is found with one small
 * read per block and only it is decompressed. The tar stream does not start
 * a header at the frame's first byte (the payload's last padding may run
 * into it): the first valid ustar header within 512 bytes is where libarchive
 * is started. What comes out is a hint (vault_receive.c): nothing here is
 * trusted, the verification that follows checks everything. */
#include "esc_bundle_read.h"
#include "esc_locale.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PEEK_IN (64u << 10)
#define PEEK_OUT (256u << 10)
#define PEEK_MAX_TAGS (512ull << 20) /* decompressed tag frame: beyond, no hint */
#define PEEK_MAX_SIG 4096
#define SIG_SUFFIX "/tagmanifest-sha256.txt.minisig"

static bool pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return true;
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The end of the zstd frame at off (its header, blocks, checksum); 0 when
 * the bytes are no frame. */
static uint64_t frame_end(int fd, uint64_t off, uint64_t size)
{
	static const unsigned did_len[4] = {0, 1, 2, 4};
	uint8_t h[6], b[3];
	uint64_t p;
	unsigned fhd, fcs, single;

	if (off + 6 > size || !pread_all(fd, h, 6, off) || le32(h) != 0xFD2FB528u)
		return 0;
	fhd = h[4];
	if (fhd & 0x08) /* reserved bit */
		return 0;
	fcs = fhd >> 6;
	single = (fhd >> 5) & 1;
	p = off + 5 + (single ? 0 : 1) + did_len[fhd & 3] + (fcs == 0 ? single : 1u << fcs);
	for (;;) {
		uint32_t bh;
		unsigned type;

		if (p + 3 > size || !pread_all(fd, b, 3, p))
			return 0;
		bh = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
		type = (bh >> 1) & 3;
		if (type == 3)
			return 0;
		p += 3 + (type == 1 ? 1 : bh >> 3);
		if (p > size)
			return 0;
		if (bh & 1)
			break;
	}
	p += (fhd & 0x04) ? 4 : 0;
	return p <= size ? p : 0;
}

/* Where the last frame starts, when the file is frames end to end. */
static bool last_frame(int fd, uint64_t size, uint64_t *at)
{
	uint64_t off = 0, end;
	bool any = false;

	while (off < size) {
		uint8_t h[8];

		if (off + 8 <= size && pread_all(fd, h, 8, off) && (le32(h) & 0xFFFFFFF0u) == 0x184D2A50u) {
			off += 8 + (uint64_t)le32(h + 4); /* a skippable frame */
			continue;
		}
		end = frame_end(fd, off, size);
		if (end == 0)
			return false;
		*at = off;
		any = true;
		off = end;
	}
	return any && off == size;
}

struct peek {
	int fd;
	ZSTD_DStream *zd;
	uint8_t *in, *out;
	ZSTD_inBuffer zin;
	size_t skip;          /* bytes before the first tar header */
	uint64_t total;
	bool eof;
};

/* Decompresses the next piece of the frame into p->out. */
static ssize_t inflate_some(struct peek *p)
{
	ZSTD_outBuffer zo = {p->out, PEEK_OUT, 0};

	while (zo.pos == 0) {
		size_t r;

		if (p->zin.pos == p->zin.size) {
			ssize_t n;

			if (p->eof)
				return 0;
			n = read(p->fd, p->in, PEEK_IN);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -1;
			if (n == 0)
				p->eof = true;
			p->zin = (ZSTD_inBuffer){p->in, (size_t)n, 0};
			if (n == 0)
				return 0;
		}
		r = ZSTD_decompressStream(p->zd, &zo, &p->zin);
		if (ZSTD_isError(r))
			return -1;
		if (r == 0 && zo.pos == 0)
			return 0; /* the frame's end: what follows is not ours */
	}
	p->total += zo.pos;
	return p->total > PEEK_MAX_TAGS ? -1 : (ssize_t)zo.pos;
}

static bool ustar_at(const uint8_t *h)
{
	unsigned sum = 0, want = 0, i;

	if (memcmp(h + 257, "ustar", 5) != 0)
		return false;
	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	for (i = 148; i < 156 && h[i] >= '0' && h[i] <= '7'; i++)
		want = want * 8 + (unsigned)(h[i] - '0');
	return i > 148 && sum == want;
}

static la_ssize_t peek_read(struct archive *a, void *user, const void **buf)
{
	struct peek *p = user;
	ssize_t n = inflate_some(p);

	(void)a;
	if (n < 0)
		return -1;
	if (p->skip > 0) {
		size_t k = p->skip < (size_t)n ? p->skip : (size_t)n;

		p->skip -= k;
		*buf = p->out + k;
		return n - (ssize_t)k;
	}
	*buf = p->out;
	return n;
}

/* The first piece of the frame, to find the first header in it. */
static bool find_header(struct peek *p, uint64_t at)
{
	size_t have = 0, o;

	if (lseek(p->fd, (off_t)at, SEEK_SET) < 0)
		return false;
	p->zin = (ZSTD_inBuffer){p->in, 0, 0};
	while (have < 1024) {
		ZSTD_outBuffer zo = {p->out + have, PEEK_OUT - have, 0};
		size_t r;

		if (p->zin.pos == p->zin.size) {
			ssize_t n = read(p->fd, p->in, PEEK_IN);

			if (n <= 0)
				return false;
			p->zin = (ZSTD_inBuffer){p->in, (size_t)n, 0};
		}
		r = ZSTD_decompressStream(p->zd, &zo, &p->zin);
		if (ZSTD_isError(r))
			return false;
		have += zo.pos;
		if (r == 0 && have < 1024)
			return false;
	}
	for (o = 0; o < 512; o++)
		if (ustar_at(p->out + o))
			break;
	if (o == 512)
		return false;
	/* Start again at the frame's beginning, skipping o bytes. */
	ZSTD_DCtx_reset(p->zd, ZSTD_reset_session_only);
	p->zin = (ZSTD_inBuffer){p->in, 0, 0};
	p->skip = o;
	p->total = 0;
	return lseek(p->fd, (off_t)at, SEEK_SET) >= 0;
}

/* The text of the entry whose name ends with suffix (at most max bytes),
 * from the tar stream. */
static bool read_entry(struct peek *p, const char *suffix, size_t max, char **text, size_t *len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	bool ok = false;

	if (a == NULL)
		return false;
	archive_read_support_format_tar(a);
	if (archive_read_open(a, p, NULL, peek_read, NULL) != ARCHIVE_OK)
		goto out;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		size_t nl = name ? strlen(name) : 0;
		la_ssize_t n;

		if (nl <= strlen(suffix) || strcmp(name + nl - strlen(suffix), suffix) != 0)
			continue;
		if (archive_entry_size(e) <= 0 || (uint64_t)archive_entry_size(e) > max)
			break;
		*text = malloc(max);
		if (*text == NULL)
			break;
		n = archive_read_data(a, *text, max);
		ok = n == archive_entry_size(e);
		*len = ok ? (size_t)n : 0;
		if (!ok) {
			free(*text);
			*text = NULL;
		}
		break;
	}
out:
	archive_read_free(a);
	return ok;
}

static bool peek_entry(const char *path, const char *suffix, size_t max, char **text, size_t *len)
{
	struct peek p = {.fd = -1};
	struct stat sb;
	uint64_t at = 0;
	locale_t prev;
	bool ok = false;

	*text = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO without a writer does not hang the open (only a
	 * regular file is read here, and the flag does nothing to one). */
	p.fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (p.fd < 0)
		return false;
	p.zd = esc_zstd_dctx();
	/* No larger window than the reader takes (zstd_read.c): a frame it
	 * refuses gives no hint, and costs no 128 MiB window here. */
	if (p.zd != NULL && ZSTD_isError(ZSTD_DCtx_setParameter(p.zd, ZSTD_d_windowLogMax, 25))) {
		ZSTD_freeDStream(p.zd);
		p.zd = NULL;
	}
	p.in = malloc(PEEK_IN);
	p.out = malloc(PEEK_OUT);
	if (p.zd != NULL && p.in != NULL && p.out != NULL && fstat(p.fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    last_frame(p.fd, (uint64_t)sb.st_size, &at) && at > 0 && find_header(&p, at)) {
		prev = esc_utf8_locale_enter();
		ok = read_entry(&p, suffix, max, text, len);
		esc_utf8_locale_leave(prev);
	}
	ZSTD_freeDStream(p.zd);
	free(p.in);
	free(p.out);
	close(p.fd);
	return ok;
}

bool esc_bundle_peek_sig(const char *path, char **text, size_t *len)
{
	return peek_entry(path, SIG_SUFFIX, PEEK_MAX_SIG, text, len);
}

escrow_status escrow_bundle_contract(escrow_ctx *ctx, const char *path, escrow_contract **out)
{
	char *text = NULL, *name;
	size_t len = 0;
	escrow_status st;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_bundle_contract: NULL argument");
	if (access(path, R_OK) != 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", path, strerror(errno));
	if (!peek_entry(path, "/escrow/contract.yaml", 1u << 20, &text, &len))
		return esc_error(ctx, ESCROW_E_USAGE, "%s: no contract copy can be read in it without opening it "
		                 "(a sealed bundle, or packed without -c): give the contract with -c", path);
	name = esc_strf("%s:escrow/contract.yaml", path);
	st = name ? escrow_contract_parse(ctx, name, text, len, out) : esc_nomem(ctx);
	free(name);
	free(text);
	return st;
}
