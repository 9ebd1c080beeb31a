/* vault_audit_store.c -- the files of the store that no deposit or release
 * names: a bundle stored by a receive killed before its ledger commit, a
 * release's evidence stored by one that was refused or killed before its
 * event, a temporary left by one killed while copying, or a file put there
 * by hand. Only names are read (the store's folders), each checked against
 * the ledger. A receive
 * running at the same moment shows as a stray too (its copy is stored before
 * it is recorded); the next audit no longer reports it. */
#include "esc_escape.h"
#include "esc_vault_audit.h"
#include "esc_vault_ledger.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static escrow_status add(escrow_ctx *ctx, json_t *strays, const char *rel, const char *why)
{
	json_t *o = json_pack("{s:o?, s:s}", "path", esc_json_string(rel), "why", why);

	if (o == NULL || json_array_append_new(strays, o) != 0)
		return esc_nomem(ctx);
	return ESCROW_OK;
}

enum store_kind { NOT_STORE, BUNDLE, EVIDENCE };

/* What a store name stands for, and its digest: HEX.escrow or
 * HEX.escrow.minisig (a bundle), HEX.evidence (a release's evidence, stored
 * by vault_release.c), in the folder of its first two digits. */
static enum store_kind store_name(const char *dir, const char *name, char sha[65])
{
	size_t i, n = strlen(name);
	enum store_kind k;

	if (n == 64 + 7 && strcmp(name + 64, ".escrow") == 0)
		k = BUNDLE;
	else if (n == 64 + 15 && strcmp(name + 64, ".escrow.minisig") == 0)
		k = BUNDLE;
	else if (n == 64 + 9 && strcmp(name + 64, ".evidence") == 0)
		k = EVIDENCE;
	else
		return NOT_STORE;
	if (strncmp(name, dir, 2) != 0)
		return NOT_STORE;
	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)name[i]) || isupper((unsigned char)name[i]))
			return NOT_STORE;
	memcpy(sha, name, 64);
	sha[64] = '\0';
	return k;
}

/* 1 when a release event names the evidence stored as rel, 0 when none, -1
 * on a ledger failure. Its body is canonical JSON (docs/VAULT.md), so the
 * member is spelled one way; rel is a checked store name (hex digits, '/',
 * '.': nothing LIKE reads as a pattern). */
int esc_audit_evidence_named(esc_ledger *l, const char *rel)
{
	char *member = esc_strf("\"store_path\":\"%s\"", rel);
	const char *p[1] = {member};
	struct esc_lrows r;
	int found;

	if (member == NULL)
		return -1;
	if (l->ops->exec(l, "SELECT seq FROM events WHERE kind = 'release' AND body LIKE '%' || "
	                 "CAST($1 AS TEXT) || '%' LIMIT 1", 1, p, &r) != ESCROW_OK) {
		free(member);
		return -1;
	}
	found = r.rows > 0;
	esc_lrows_free(&r);
	free(member);
	return found;
}

static escrow_status scan_sub(escrow_vault *v, const char *top, const char *dir, json_t *strays)
{
	char *path = esc_path_join(top, dir), sha[65];
	DIR *d = path ? opendir(path) : NULL;
	struct dirent *e;
	escrow_status st = path ? ESCROW_OK : esc_nomem(v->ctx);

	while (st == ESCROW_OK && d != NULL && (e = readdir(d)) != NULL) {
		char *rel;
		int64_t id;
		int found;
		enum store_kind kind;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rel = esc_strf("store/sha256/%s/%s", dir, e->d_name);
		if (rel == NULL) {
			st = esc_nomem(v->ctx);
			break;
		}
		kind = store_name(dir, e->d_name, sha);
		if (kind == NOT_STORE)
			st = add(v->ctx, strays, rel,
			         "not a store name (HEX.escrow, HEX.escrow.minisig or HEX.evidence)");
		else if (kind == EVIDENCE) {
			found = esc_audit_evidence_named(v->ledger, rel);
			if (found < 0)
				st = escrow_ctx_status(v->ctx);
			else if (found == 0)
				st = add(v->ctx, strays, rel, "no release names it (a release refused or killed "
				         "before it was recorded, or a file put there by hand)");
		} else if ((id = esc_ledger_deposit_find(v->ledger, sha)) < 0)
			st = escrow_ctx_status(v->ctx);
		else if (id == 0)
			st = add(v->ctx, strays, rel, "no deposit names it (a receive killed before it was recorded, or "
			         "a file put there by hand)");
		free(rel);
	}
	if (d != NULL)
		closedir(d);
	free(path);
	return st;
}

escrow_status esc_audit_strays(escrow_vault *v, json_t *strays)
{
	char *top = esc_path_join(v->path, "store/sha256");
	DIR *d = top ? opendir(top) : NULL;
	struct dirent *e;
	escrow_status st = ESCROW_OK;

	if (top == NULL)
		return esc_nomem(v->ctx);
	if (d == NULL) {
		st = add(v->ctx, strays, "store/sha256", "the store folder cannot be read");
		free(top);
		return st;
	}
	while (st == ESCROW_OK && (e = readdir(d)) != NULL) {
		char *rel;
		bool sub = strlen(e->d_name) == 2 && isxdigit((unsigned char)e->d_name[0]) &&
		           isxdigit((unsigned char)e->d_name[1]) && !isupper((unsigned char)e->d_name[0]) &&
		           !isupper((unsigned char)e->d_name[1]);

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (sub) {
			st = scan_sub(v, top, e->d_name, strays);
			continue;
		}
		rel = esc_strf("store/sha256/%s", e->d_name);
		if (rel == NULL)
			st = esc_nomem(v->ctx);
		else
			st = add(v->ctx, strays, rel, strncmp(e->d_name, ".incoming.", 10) == 0
			         ? "a temporary copy (a receive in progress, or one killed while copying)"
			         : "not a store name");
		free(rel);
	}
	closedir(d);
	free(top);
	return st;
}
