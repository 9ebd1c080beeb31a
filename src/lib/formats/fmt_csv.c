/* fmt_csv.c -- "csv": RFC 4180 records with one column count.
 * Rules (reject rather than guess):
 * - fields are plain or wholly quoted; "" inside quotes is a quote; a quote
 *   inside a plain field, or anything but a delimiter or line end after a
 *   closing quote, is an error;
 * - records end with LF or CRLF; a CR not followed by LF is an error; the
 *   last record's line end is optional; quoted fields may span lines;
 * - every record has the column count of the first; blank lines (no byte
 *   at all between two line ends) are skipped, as pandas and Python's csv
 *   module do; a file with no record fails, and so does a NUL byte;
 * - the delimiter is a tab for *.tsv and *.tab; otherwise ',' unless the
 *   first record holds no ',' outside quotes, then a tab, then ';' when the
 *   first record holds one of those (European spreadsheets write ';').
 * To choose the delimiter the first record is held back (at most
 * CSV_HEAD bytes; past that the choice is made from what was seen), then
 * replayed through the same state machine, so chunking never matters. */
#include <string.h>
#include <strings.h>

#include "esc_fmt.h"

#define CSV_HEAD 4096

enum { F_START, F_PLAIN, F_QUOTED, F_QQ, F_CR, F_ERR };

struct csv_state {
	uint8_t state;
	uint8_t delim;         /* 0 until chosen */
	uint8_t tsv;           /* name says tab-separated */
	uint8_t rec_blank;     /* nothing seen yet in this record */
	uint8_t head_inq;      /* quote parity while holding the first record */
	uint32_t fields;       /* delimiters seen in this record */
	uint32_t expected;     /* fields per record, 0 before the first */
	uint64_t line, rec_line, records, total;
	size_t hlen;
	char err[128];
	uint8_t head[CSV_HEAD];
};

static void csv_init(void *st, const char *path, uint64_t size)
{
	struct csv_state *c = st;
	size_t n = path ? strlen(path) : 0;

	(void)size;
	memset(c, 0, sizeof *c);
	c->line = c->rec_line = 1;
	c->rec_blank = 1;
	if (n >= 4 && (strcasecmp(path + n - 4, ".tsv") == 0 || strcasecmp(path + n - 4, ".tab") == 0))
		c->tsv = 1;
}

static int csv_fail(struct csv_state *c, const char *what)
{
	c->state = F_ERR;
	snprintf(c->err, sizeof c->err, "line %llu: %s", (unsigned long long)c->line, what);
	return 1;
}

static int end_record(struct csv_state *c)
{
	uint32_t n = c->fields + 1;

	if (c->rec_blank && c->fields == 0)
		goto next; /* a blank line */
	c->records++;
	if (c->expected == 0) {
		c->expected = n;
	} else if (n != c->expected) {
		c->state = F_ERR;
		snprintf(c->err, sizeof c->err, "line %llu: %u field%s, expected %u",
		         (unsigned long long)c->rec_line, n, n == 1 ? "" : "s", c->expected);
		return 1;
	}
next:
	c->fields = 0;
	c->rec_blank = 1;
	c->state = F_START;
	return 0;
}

/* The state machine proper, once the delimiter is known. */
static int csv_feed(struct csv_state *c, const uint8_t *buf, size_t len)
{
	const uint8_t d = c->delim;

	for (size_t i = 0; i < len; i++) {
		const uint8_t ch = buf[i];

		if (ch == 0)
			return csv_fail(c, "NUL byte (binary data, not CSV)");
		if (c->state == F_START && c->rec_blank && ch != '\n' && ch != '\r')
			c->rec_line = c->line;
		switch (c->state) {
		case F_START:
		case F_PLAIN:
			if (ch == d) {
				c->fields++;
				c->rec_blank = 0;
				c->state = F_START;
			} else if (ch == '\n') {
				c->line++;
				if (end_record(c))
					return 1;
			} else if (ch == '\r') {
				c->state = F_CR;
			} else if (ch == '"') {
				if (c->state == F_PLAIN)
					return csv_fail(c, "quote inside an unquoted field (quote the whole field)");
				c->state = F_QUOTED;
				c->rec_blank = 0;
			} else {
				c->state = F_PLAIN;
				c->rec_blank = 0;
				/* Plain bytes are most of a file: skip them in a run. */
				while (i + 1 < len && buf[i + 1] != d && buf[i + 1] != '\n' && buf[i + 1] != '\r' &&
				       buf[i + 1] != '"' && buf[i + 1] != 0)
					i++;
			}
			break;
		case F_QUOTED:
			if (ch == '"')
				c->state = F_QQ;
			else if (ch == '\n')
				c->line++;
			break;
		case F_QQ:
			if (ch == '"') {
				c->state = F_QUOTED;
			} else if (ch == d) {
				c->fields++;
				c->state = F_START;
			} else if (ch == '\n') {
				c->line++;
				if (end_record(c))
					return 1;
			} else if (ch == '\r') {
				c->state = F_CR;
			} else {
				return csv_fail(c, "text after a closing quote (double the quote inside a field)");
			}
			break;
		case F_CR:
			if (ch != '\n')
				return csv_fail(c, "carriage return not followed by a line feed");
			c->line++;
			if (end_record(c))
				return 1;
			break;
		default:
			return 1;
		}
	}
	return 0;
}

static void choose_delim(struct csv_state *c)
{
	size_t n_comma = 0, n_tab = 0, n_semi = 0;
	int inq = 0;

	if (c->tsv) {
		c->delim = '\t';
		return;
	}
	for (size_t i = 0; i < c->hlen; i++) {
		const uint8_t ch = c->head[i];

		if (ch == '"')
			inq = !inq;
		else if (inq)
			continue;
		else if (ch == '\n')
			break;
		else if (ch == ',')
			n_comma++;
		else if (ch == '\t')
			n_tab++;
		else if (ch == ';')
			n_semi++;
	}
	c->delim = n_comma ? ',' : n_tab ? '\t' : n_semi ? ';' : ',';
}

static int csv_update(void *st, const uint8_t *buf, size_t len, uint64_t off)
{
	struct csv_state *c = st;
	size_t i = 0;

	(void)off;
	c->total += len;
	if (c->state == F_ERR)
		return 1;
	if (!c->delim) {
		/* Hold back the first record: up to its first LF outside quotes. */
		int done = 0;

		while (i < len && c->hlen < CSV_HEAD && !done) {
			const uint8_t ch = buf[i++];

			c->head[c->hlen++] = ch;
			if (ch == '"')
				c->head_inq = !c->head_inq;
			else if (ch == '\n' && !c->head_inq)
				done = 1;
		}
		if (!done && c->hlen < CSV_HEAD)
			return 0;
		choose_delim(c);
		if (csv_feed(c, c->head, c->hlen))
			return 1;
	}
	return csv_feed(c, buf + i, len - i);
}

static int csv_final(void *st, char *reason, size_t rlen)
{
	struct csv_state *c = st;

	if (c->state != F_ERR && !c->delim) {
		choose_delim(c);
		csv_feed(c, c->head, c->hlen);
	}
	if (c->state == F_QUOTED)
		snprintf(c->err, sizeof c->err, "line %llu: quoted field not closed at the end of the file",
		         (unsigned long long)c->rec_line);
	else if (c->state == F_CR)
		csv_fail(c, "carriage return not followed by a line feed");
	else if (c->state != F_ERR && (!c->rec_blank || c->fields))
		end_record(c);
	if (c->state != F_ERR && c->state != F_QUOTED && c->records == 0)
		snprintf(c->err, sizeof c->err, "%s", c->total ? "no records (only blank lines)" : "empty file");
	else if (c->state != F_ERR && c->state != F_QUOTED)
		return 1;
	snprintf(reason, rlen, "%s", c->err);
	return 0;
}

const struct esc_fmt_ops esc_fmt_csv = {
	.fmt = ESC_FMT_CSV,
	.state_size = sizeof(struct csv_state),
	.init = csv_init,
	.update = csv_update,
	.final = csv_final,
	.sniff = NULL,
	.full_scan = true,
};
