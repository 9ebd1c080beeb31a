/* fmt_savedmodel.c -- TF SavedModel, a folder format: saved_model.pb,
 * variables/variables.index (its last 8 bytes are the TF table magic, seen
 * by the inspector as the file streamed by) and every shard
 * variables.data-NNNNN-of-MMMMM for one MMMMM. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

static const struct esc_file *find(const struct esc_files *fs, const char *path)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].type == ESC_FT_FILE && strcmp(fs->v[i].path, path) == 0)
			return &fs->v[i];
	return NULL;
}

/* "variables.data-00001-of-00004" -> 1 and 4. */
static bool shard_name(const char *s, unsigned *n, unsigned *m)
{
	static const char pre[] = "variables.data-";

	if (strncmp(s, pre, sizeof pre - 1) != 0)
		return false;
	s += sizeof pre - 1;
	if (strlen(s) != 14 || strspn(s, "0123456789") != 5 || strncmp(s + 5, "-of-", 4) != 0 ||
	    strspn(s + 9, "0123456789") != 5)
		return false;
	*n = (unsigned)strtoul(s, NULL, 10);
	*m = (unsigned)strtoul(s + 9, NULL, 10);
	return *m > 0 && *n < *m;
}

int esc_check_savedmodel(const struct esc_files *files, const char *dir, char *reason, size_t rlen)
{
	char path[4200], vdir[4200];
	const struct esc_file *idx;
	uint8_t *seen = NULL;
	unsigned total = 0, count = 0, n, m;
	size_t vlen;
	int ok = 0;

	const char *sep = dir && dir[0] ? "/" : "";

	if (!dir)
		dir = "";
	snprintf(path, sizeof path, "%s%ssaved_model.pb", dir, sep);
	if (!find(files, path)) {
		snprintf(reason, rlen, "saved_model.pb missing");
		return 0;
	}
	snprintf(path, sizeof path, "%s%svariables/variables.index", dir, sep);
	idx = find(files, path);
	if (!idx) {
		snprintf(reason, rlen, "variables/variables.index missing");
		return 0;
	}
	if ((idx->fnd.bits & ESC_FND_INSPECTED) && !(idx->fnd.bits & ESC_FND_TF_INDEX_OK)) {
		snprintf(reason, rlen, "variables/variables.index does not end with the TF table magic (truncated?)");
		return 0;
	}
	vlen = (size_t)snprintf(vdir, sizeof vdir, "%s%svariables/", dir, sep);
	for (size_t i = 0; i < files->n; i++) {
		const char *p = files->v[i].path;

		if (strncmp(p, vdir, vlen) != 0 || strchr(p + vlen, '/') || !shard_name(p + vlen, &n, &m))
			continue;
		if (!seen) {
			total = m;
			seen = calloc(m, 1);
			if (!seen) {
				snprintf(reason, rlen, "out of memory");
				goto out;
			}
		}
		if (m != total) {
			snprintf(reason, rlen, "variables shards disagree on their count (%u and %u)", total, m);
			goto out;
		}
		if (!seen[n]++)
			count++;
	}
	if (total == 0) {
		snprintf(reason, rlen, "no variables/variables.data-NNNNN-of-MMMMM shard");
		goto out;
	}
	if (count != total) {
		for (n = 0; n < total && seen[n]; n++)
			;
		snprintf(reason, rlen, "variables/variables.data-%05u-of-%05u missing (%u of %u shards present)",
		         n, total, count, total);
		goto out;
	}
	ok = 1;
out:
	free(seen);
	return ok;
}
