/* fmt_pdf.c -- "pdf": the cheap structural marks of a complete PDF.
 * A "%PDF-1.x" or "%PDF-2.0" header at byte 0, and in the last 1024 bytes
 * a "startxref" followed by an offset inside the file and then "%%EOF".
 * A download or copy cut short loses the tail, which is what escrow needs
 * to catch; the object graph itself is not walked. Only the last
 * PDF_TAIL bytes of each chunk are kept, so the cost does not grow with
 * the file. */
#include <string.h>

#include "esc_fmt.h"

#define PDF_TAIL 1024

struct pdf_state {
	uint8_t head[8];
	size_t hlen;
	uint64_t total;
	uint8_t tail[PDF_TAIL]; /* ring: the last bytes seen, tail[total % PDF_TAIL] is next */
};

static void pdf_init(void *st, const char *path, uint64_t size)
{
	(void)path;
	(void)size;
	memset(st, 0, sizeof(struct pdf_state));
}

static int header_ok(const uint8_t *h, size_t len)
{
	if (len < 8 || memcmp(h, "%PDF-", 5) != 0 || h[6] != '.')
		return 0;
	if (h[5] == '1')
		return h[7] >= '0' && h[7] <= '9';
	return h[5] == '2' && h[7] == '0';
}

static int pdf_update(void *st, const uint8_t *buf, size_t len, uint64_t off)
{
	struct pdf_state *p = st;
	size_t skip;

	(void)off;
	while (p->hlen < sizeof p->head && len) {
		p->head[p->hlen++] = *buf++;
		len--;
		p->total++;
		p->tail[(p->total - 1) % PDF_TAIL] = p->head[p->hlen - 1];
	}
	skip = len > PDF_TAIL ? len - PDF_TAIL : 0;
	p->total += skip;
	for (size_t i = skip; i < len; i++)
		p->tail[p->total++ % PDF_TAIL] = buf[i];
	return 0;
}

/* Last occurrence of needle in hay, or NULL. */
static const uint8_t *last_of(const uint8_t *hay, size_t n, const char *needle)
{
	const size_t k = strlen(needle);

	for (size_t i = n >= k ? n - k + 1 : 0; i-- > 0;)
		if (memcmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

static int pdf_final(void *st, char *reason, size_t rlen)
{
	const struct pdf_state *p = st;
	uint8_t tail[PDF_TAIL];
	size_t n = p->total < PDF_TAIL ? (size_t)p->total : PDF_TAIL;
	const uint8_t *sx, *eof;
	uint64_t xref = 0;
	size_t i, digits = 0;

	if (!header_ok(p->head, p->hlen)) {
		snprintf(reason, rlen, "no %%PDF-1.x or %%PDF-2.0 header at byte 0 (not a PDF)");
		return 0;
	}
	/* Unroll the ring into file order. */
	for (i = 0; i < n; i++)
		tail[i] = p->tail[(p->total - n + i) % PDF_TAIL];
	eof = last_of(tail, n, "%%EOF");
	if (!eof) {
		snprintf(reason, rlen, "no %%%%EOF in the last %d bytes (truncated PDF?)", PDF_TAIL);
		return 0;
	}
	sx = last_of(tail, (size_t)(eof - tail), "startxref");
	if (!sx) {
		snprintf(reason, rlen, "no startxref before the final %%%%EOF (truncated or damaged PDF)");
		return 0;
	}
	for (i = (size_t)(sx - tail) + 9; i < n && (tail[i] == ' ' || tail[i] == '\r' || tail[i] == '\n'); i++)
		;
	for (; i < n && tail[i] >= '0' && tail[i] <= '9' && digits < 19; i++, digits++)
		xref = xref * 10 + (uint64_t)(tail[i] - '0');
	if (digits == 0 || xref >= p->total) {
		snprintf(reason, rlen, "startxref does not give an offset inside the file (damaged PDF)");
		return 0;
	}
	return 1;
}

static int pdf_sniff(const uint8_t *head, size_t len, uint64_t size)
{
	(void)size;
	return header_ok(head, len);
}

const struct esc_fmt_ops esc_fmt_pdf = {
	.fmt = ESC_FMT_PDF,
	.state_size = sizeof(struct pdf_state),
	.init = pdf_init,
	.update = pdf_update,
	.final = pdf_final,
	.sniff = pdf_sniff,
	.full_scan = false,
};
