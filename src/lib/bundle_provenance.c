/* bundle_provenance.c -- manifest.json's "provenance" for the reports: what
 * the agency's pack recorded of the git work tree and its --meta pairs.
 * A bundle comes from outside: only the known fields of the known types are
 * kept, each bounded (a cut value ends in "..."); their controls are escaped
 * by the renderings, as every string of a report is. */
#include "esc_bundle_read.h"
#include "esc_api.h"
#include "esc_pack.h"

#include <string.h>

/* s, cut at max bytes on a character boundary (jansson's strings are UTF-8). */
static json_t *bounded(const char *s, size_t max)
{
	size_t n = strlen(s);
	char buf[ESC_PROV_REMOTE_MAX + 4];

	if (max > ESC_PROV_REMOTE_MAX)
		max = ESC_PROV_REMOTE_MAX;
	if (n <= max)
		return json_string(s);
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	memcpy(buf, s, max);
	memcpy(buf + max, "...", 4);
	return json_string(buf);
}

static bool is_hex(const char *s)
{
	size_t n = strlen(s);

	return (n == 40 || n == 64) && strspn(s, "0123456789abcdef") == n;
}

static json_t *git_part(const json_t *g)
{
	const json_t *c = json_object_get(g, "commit"), *d = json_object_get(g, "dirty");
	const json_t *rm = json_object_get(g, "remote"), *tags = json_object_get(g, "tags"), *t;
	json_t *out, *ta;
	size_t i;

	if (!json_is_string(c) || !is_hex(json_string_value(c)) || !json_is_boolean(d))
		return NULL;
	out = json_pack("{s:s,s:b}", "commit", json_string_value(c), "dirty", json_is_true(d));
	ta = json_array();
	if (out == NULL || ta == NULL) {
		json_decref(out);
		json_decref(ta);
		return NULL;
	}
	if (json_is_string(rm))
		json_object_set_new(out, "remote", bounded(json_string_value(rm), ESC_PROV_REMOTE_MAX));
	json_array_foreach(tags, i, t) {
		if (i >= ESC_PROV_TAGS_MAX)
			break;
		if (json_is_string(t))
			json_array_append_new(ta, bounded(json_string_value(t), ESC_PROV_TAG_MAX));
	}
	json_object_set_new(out, "tags", ta);
	return out;
}

static json_t *meta_part(const json_t *m)
{
	json_t *out = json_object();
	const char *k;
	const json_t *v;
	size_t n = 0;

	if (out == NULL)
		return NULL;
	json_object_foreach((json_t *)m, k, v) {
		size_t kl = strlen(k);

		if (n >= ESC_META_MAX)
			break;
		if (kl == 0 || kl > ESC_META_KEY_MAX || strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                                           "0123456789-") != kl || !json_is_string(v))
			continue;
		json_object_set_new(out, k, bounded(json_string_value(v), ESC_META_VALUE_MAX));
		n++;
	}
	if (n == 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *esc_provenance_report(const json_t *manifest)
{
	const json_t *p = json_object_get(manifest, "provenance");
	json_t *out, *g, *m;

	if (!json_is_object(p))
		return NULL;
	g = git_part(json_object_get(p, "git"));
	m = json_is_object(json_object_get(p, "meta")) ? meta_part(json_object_get(p, "meta")) : NULL;
	if (g == NULL && m == NULL)
		return NULL;
	out = json_object();
	if (out == NULL) {
		json_decref(g);
		json_decref(m);
		return NULL;
	}
	if (g != NULL)
		json_object_set_new(out, "git", g);
	if (m != NULL)
		json_object_set_new(out, "meta", m);
	return out;
}
