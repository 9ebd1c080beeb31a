/* fmt_zip.c -- a plain zip: the walker's checks (records in order, member
 * names without '..', absolute paths or backslashes, extents within the
 * file, a consistent end record at the very end). */
#include "formats/esc_fmt.h"
#include "formats/esc_zip.h"

static const struct esc_zip_ops zip_ops = { 0 };

static void zip_init(void *st, const char *path, uint64_t size)
{
	esc_zip_init(st, size, &zip_ops, NULL);
}

static int zip_update(void *st, const uint8_t *buf, size_t len, uint64_t off)
{
	return esc_zip_update(st, buf, len, off);
}

static int zip_final(void *st, char *reason, size_t rlen)
{
	return esc_zip_final(st, reason, rlen);
}

static void zip_release(void *st)
{
	esc_zip_release(st);
}

const struct esc_fmt_ops esc_fmt_zip = {
	.fmt = ESC_FMT_ZIP,
	.state_size = sizeof(struct esc_zip_walk),
	.init = zip_init,
	.update = zip_update,
	.final = zip_final,
	.sniff = esc_zip_sniff,
	.release = zip_release,
};
