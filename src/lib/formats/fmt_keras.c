/* fmt_keras.c -- Keras v3 .keras: a zip holding metadata.json, config.json
 * and model.weights.h5 at its top level. */
#include "formats/esc_fmt.h"
#include "formats/esc_zip.h"

#include <string.h>

struct keras_state {
	struct esc_zip_walk zw;
	bool meta, config, weights;
};

static int keras_entry(void *u, const struct esc_zip_entry *e, char *reason, size_t rlen)
{
	struct keras_state *k = u;

	if (strcmp(e->name, "metadata.json") == 0)
		k->meta = true;
	else if (strcmp(e->name, "config.json") == 0)
		k->config = true;
	else if (strcmp(e->name, "model.weights.h5") == 0)
		k->weights = true;
	return 1;
}

static const struct esc_zip_ops keras_ops = { .cd_entry = keras_entry };

static void keras_init(void *st, const char *path, uint64_t size)
{
	struct keras_state *k = st;

	memset(k, 0, sizeof *k);
	esc_zip_init(&k->zw, size, &keras_ops, k);
}

static int keras_update(void *st, const uint8_t *buf, size_t len, uint64_t off)
{
	return esc_zip_update(&((struct keras_state *)st)->zw, buf, len, off);
}

static int keras_final(void *st, char *reason, size_t rlen)
{
	struct keras_state *k = st;

	if (!esc_zip_final(&k->zw, reason, rlen))
		return 0;
	if (!k->meta || !k->config || !k->weights) {
		snprintf(reason, rlen, "not a Keras archive: %s missing", !k->meta ? "metadata.json"
		         : !k->config ? "config.json" : "model.weights.h5");
		return 0;
	}
	return 1;
}

static int keras_sniff(const uint8_t *h, size_t len, uint64_t size)
{
	const char *n;
	size_t nl;

	return esc_zip_first_name(h, len, &n, &nl) &&
	       ((nl == 13 && memcmp(n, "metadata.json", 13) == 0) || (nl == 11 && memcmp(n, "config.json", 11) == 0));
}

static void keras_release(void *st)
{
	esc_zip_release(&((struct keras_state *)st)->zw);
}

const struct esc_fmt_ops esc_fmt_keras = {
	.fmt = ESC_FMT_KERAS,
	.state_size = sizeof(struct keras_state),
	.init = keras_init,
	.update = keras_update,
	.final = keras_final,
	.sniff = keras_sniff,
	.release = keras_release,
};
