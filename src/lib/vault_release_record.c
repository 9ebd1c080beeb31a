/* vault_release_record.c -- the release record written beside OUT: an in-toto
 * Statement v1 whose subject is the release file and whose predicate says
 * what was released (the deposit), to whom (the recipients), on what event
 * and evidence, and where in the ledger (docs/VAULT.md, "Release"), signed
 * with the notary's key as a minisign signature beside it. */
#include "esc_escape.h"
#include "esc_vault_release.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static json_t *record_build(struct esc_release *rl)
{
	const json_t *d = rl->data, *ev = json_object_get(d, "evidence");
	char when[21], hash[65], *by = esc_strf("escrow-vault:%s", rl->v->key_id);
	json_t *dep, *pred = NULL;

	esc_vault_time(when);
	esc_hex(rl->head.hash, 32, hash);
	dep = json_pack("{s:O, s:s, s:s?, s:s?, s:{s:s, s:s?}, s:s?}", "id",
	                json_object_get(json_object_get(d, "deposit"), "id"), "bundle_sha256",
	                esc_lrows_at(&rl->dep, 0, 1), "name", esc_lrows_at(&rl->dep, 0, 6), "release",
	                esc_lrows_at(&rl->dep, 0, 7), "contract", "id", rl->o->contract_id, "sha256",
	                esc_lrows_at(&rl->dep, 0, 5), "signer_key_id", esc_lrows_at(&rl->dep, 0, 4));
	if (dep != NULL && by != NULL)
		/* file names: any bytes, so not "s" */
		pred = json_pack("{s:s, s:s, s:s, s:s, s:{s:o, s:O, s:O}, s:o, s:O, s:{s:I, s:s}, s:s}", "format",
		                 "escrow-release/1", "releasedBy", by, "timeReleased", when, "event", rl->o->event,
		                 "evidence", "name", esc_json_string(base_name(rl->o->evidence)), "sha256",
		                 json_object_get(ev, "sha256"),
		                 "size", json_object_get(ev, "size"), "deposit", dep, "recipients",
		                 json_object_get(d, "recipients"), "ledger_event", "seq", (json_int_t)rl->head.seq, "hash",
		                 hash, "tool", "escrow " ESCROW_VERSION);
	else
		json_decref(dep);
	free(by);
	if (pred == NULL)
		return NULL;
	return json_pack("{s:s, s:[{s:o, s:{s:s}}], s:s, s:o}", "_type", "https://in-toto.io/Statement/v1", "subject",
	                 "name", esc_json_string(base_name(rl->o->output)), "digest", "sha256", rl->rw.output_sha256, "predicateType",
	                 ESC_RELEASE_PREDICATE, "predicate", pred);
}

static escrow_status write_file(escrow_ctx *ctx, const char *path, const char *text, size_t len, unsigned flags)
{
	char *tmp = NULL;
	int fd = -1;
	escrow_status st = esc_atomic_open(ctx, path, 0644, flags, &fd, &tmp);

	if (st == ESCROW_OK)
		st = esc_write_all(ctx, fd, text, len, path);
	if (st == ESCROW_OK)
		st = esc_atomic_commit(ctx, fd, tmp, path, flags);
	else if (fd >= 0)
		esc_atomic_abort(fd, tmp);
	free(tmp);
	return st;
}

escrow_status esc_release_record_write(struct esc_release *rl)
{
	escrow_ctx *ctx = rl->v->ctx;
	json_t *root = record_build(rl);
	char *json = NULL, *text = NULL, *sig = NULL, *sig_path = NULL, tc[200];
	size_t sig_len = 0;
	unsigned flags = rl->o->flags & ESCROW_FORCE;
	escrow_status st = ESCROW_OK;

	rl->record = esc_strf("%s.release.json", rl->o->output);
	sig_path = rl->record ? esc_strf("%s.minisig", rl->record) : NULL;
	if (root == NULL || sig_path == NULL || (json = esc_json_safe(json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS))) == NULL ||
	    (text = esc_strf("%s\n", json)) == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	snprintf(tc, sizeof tc, "escrow-release/1 event=%lld deposit=%s sha256=%s", (long long)rl->head.seq,
	         esc_lrows_at(&rl->dep, 0, 0), rl->rw.output_sha256);
	st = escrow_sign_buffer(ctx, rl->sign, text, strlen(text), tc, &sig, &sig_len);
	if (st == ESCROW_OK)
		st = write_file(ctx, sig_path, sig, sig_len, flags);
	if (st == ESCROW_OK) {
		st = write_file(ctx, rl->record, text, strlen(text), flags);
		if (st != ESCROW_OK)
			unlink(sig_path);
	}
	if (st != ESCROW_OK)
		esc_error_prefix(ctx, "the release record %s (the release is recorded as event %lld, %s is written)",
		                 rl->record, (long long)rl->head.seq, rl->o->output);
out:
	free(sig);
	free(sig_path);
	free(text);
	free(json);
	json_decref(root);
	return st;
}
