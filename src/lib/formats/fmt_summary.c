/* fmt_summary.c -- what the check of a model file read, kept small: the
 * tensor count, dtypes, a few shapes, ONNX inputs and outputs, a GGUF file's
 * architecture. It rides in the inspection as one short JSON text, so that a
 * million-tensor file costs the same few hundred bytes as a two-tensor one. */
#include "formats/esc_fmt.h"

#include <stdlib.h>
#include <string.h>

/* Drops one shown item: a shape, else an input or output; false when
 * nothing is left to drop. */
static bool shrink(json_t *o)
{
	json_t *shapes = json_object_get(o, "shapes"), *in = json_object_get(o, "inputs");
	json_t *out = json_object_get(o, "outputs");
	const char *key, *last = NULL;
	json_t *v;

	if (json_object_size(shapes) > 0) {
		json_object_foreach(shapes, key, v)
			last = key;
		json_object_del(shapes, last);
	} else if (json_array_size(out) > 0 && json_array_size(out) >= json_array_size(in)) {
		json_array_remove(out, json_array_size(out) - 1);
	} else if (json_array_size(in) > 0) {
		json_array_remove(in, json_array_size(in) - 1);
	} else {
		return false;
	}
	json_object_set_new(o, "cut", json_true());
	return true;
}

void esc_insp_model(struct esc_inspection *out, json_t *o)
{
	char *s = NULL;

	out->model[0] = '\0';
	while (o != NULL) {
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		if (s == NULL)
			break;
		if (strlen(s) < sizeof out->model) {
			memcpy(out->model, s, strlen(s) + 1);
			break;
		}
		free(s);
		s = NULL;
		if (!shrink(o))
			break;
	}
	free(s);
	json_decref(o);
}

json_t *esc_model_shape(const uint64_t *dims, unsigned n, unsigned max)
{
	json_t *a = json_array();

	for (unsigned i = 0; a != NULL && i < n && i < max; i++)
		json_array_append_new(a, json_integer(dims[i] > INT64_MAX ? INT64_MAX : (json_int_t)dims[i]));
	if (a != NULL && n > max)
		json_array_append_new(a, json_string("..."));
	return a;
}
