/* vault_audit_evidence.c -- every release's stored evidence (the court order
 * or notice a release rests on, store/sha256/XX/HEX.evidence) read again and
 * checked against the SHA-256 and size its release event recorded. The
 * deposits' copies are audited by sample; the evidence documents are few and
 * small, and each run checks them all. A failure is a sentence in the list,
 * never an error of the call: the call fails only when the check itself
 * cannot run (memory, the ledger). */
#include "esc_api.h"
#include "esc_vault_audit.h"
#include "esc_vault_ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 32
#define BODY_MAX "65536" /* a release event's body is a few hundred bytes */
#define CHUNK (1u << 16)

static bool is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s != NULL && s[64] == '\0';
}

static escrow_status fail(escrow_vault *v, json_t *failed, int64_t seq, const char *sha, const char *why)
{
	json_t *f = json_pack("{s:I, s:s, s:s}", "release_event", (json_int_t)seq, "sha256", sha, "why", why);

	if (f == NULL || json_array_append_new(failed, f) != 0)
		return esc_nomem(v->ctx);
	return ESCROW_OK;
}

/* The stored document of one release event, read and hashed; why empty
 * when it holds. */
static escrow_status check_one(escrow_vault *v, esc_sha256 *h, uint8_t *buf, const char *sha, uint64_t size,
                               char *why, size_t wlen)
{
	char *rel = esc_strf("store/sha256/%.2s/%s.evidence", sha, sha), *abs = NULL;
	uint8_t dig[32];
	char hex[65];
	uint64_t got = 0;
	ssize_t n;
	int fd;

	why[0] = '\0';
	if (rel == NULL || (abs = esc_path_join(v->path, rel)) == NULL) {
		free(rel);
		return esc_nomem(v->ctx);
	}
	fd = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, wlen, "%s is %s", rel, errno == ENOENT ? "missing from the store" : strerror(errno));
		goto out;
	}
	esc_sha256_reset(h);
	while ((n = read(fd, buf, CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, wlen, "%s: read error: %s", rel, strerror(errno));
			break;
		}
		esc_sha256_update(h, buf, (size_t)n);
		got += (uint64_t)n;
	}
	close(fd);
	if (why[0])
		goto out;
	esc_sha256_final(h, dig);
	esc_hex(dig, sizeof dig, hex);
	if (strcmp(hex, sha) != 0)
		snprintf(why, wlen, "%s has SHA-256 %.16s..., the release recorded %.16s... (its bytes changed)", rel, hex,
		         sha);
	else if (got != size)
		snprintf(why, wlen, "%s is %" PRIu64 " bytes, the release recorded %" PRIu64, rel, got, size);
out:
	free(rel);
	free(abs);
	return ESCROW_OK;
}

/* One release event's body: its evidence's digest and size, checked. */
static escrow_status one_event(escrow_vault *v, esc_sha256 *h, uint8_t *buf, int64_t seq, const char *body,
                               json_t *failed, size_t *checked)
{
	json_t *root = body != NULL ? json_loads(body, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const json_t *ev = json_object_get(json_object_get(root, "data"), "evidence");
	const char *sha = json_string_value(json_object_get(ev, "sha256"));
	const json_t *size = json_object_get(ev, "size");
	char why[ESC_AUDIT_WHY];
	escrow_status st;

	(*checked)++;
	if (!is_hex64(sha) || !json_is_integer(size) || json_integer_value(size) < 0) {
		json_decref(root);
		return fail(v, failed, seq, "", "the release event does not name its evidence (digest and size): "
		            "'escrow vault log --verify' checks the event");
	}
	st = check_one(v, h, buf, sha, (uint64_t)json_integer_value(size), why, sizeof why);
	if (st == ESCROW_OK && why[0])
		st = fail(v, failed, seq, sha, why);
	json_decref(root);
	return st;
}

escrow_status esc_audit_evidence(escrow_vault *v, json_t *failed, size_t *checked)
{
	esc_ledger *l = v->ledger;
	char after[32] = "0";
	const char *p[1] = {after};
	struct esc_lrows rows;
	esc_sha256 *h = esc_sha256_new();
	uint8_t *buf = malloc(CHUNK);
	escrow_status s = h != NULL && buf != NULL ? ESCROW_OK : esc_nomem(v->ctx);
	size_t i, n = 0;

	*checked = 0;
	while (s == ESCROW_OK) {
		/* e.seq, not seq: PostgreSQL orders by an output column of that
		 * name, the text of the CAST */
		s = l->ops->exec(l, "SELECT CAST(e.seq AS TEXT), CASE WHEN length(e.body) > " BODY_MAX " THEN NULL "
		                 "ELSE e.body END FROM events e WHERE e.kind = 'release' AND e.seq > CAST($1 AS BIGINT) "
		                 "ORDER BY e.seq LIMIT 32", 1, p, &rows);
		if (s != ESCROW_OK)
			break;
		n = rows.rows;
		for (i = 0; i < n && s == ESCROW_OK; i++) {
			int64_t seq = esc_lrows_at(&rows, i, 0) ? strtoll(esc_lrows_at(&rows, i, 0), NULL, 10) : 0;

			s = one_event(v, h, buf, seq, esc_lrows_at(&rows, i, 1), failed, checked);
			snprintf(after, sizeof after, "%" PRId64, seq);
		}
		esc_lrows_free(&rows);
		if (n < PAGE)
			break;
	}
	esc_sha256_free(h);
	free(buf);
	return s;
}
