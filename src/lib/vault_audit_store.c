/* vault_audit_store.c -- the files of the store that no deposit names: a
 * bundle stored by a receive killed before its ledger commit, a temporary
 * left by one killed while copying, or a file put there by hand. Only names
 * are read (the store's folders), each checked against the ledger. A receive
 * running at the same moment shows as a stray too (its copy is stored before
 * it is recorded); the next audit no longer reports it. */
#include "esc_escape.h"
#include "esc_vault_audit.h"

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

/* The bundle digest a store name stands for ("" when the name is no store
 * name): HEX.escrow or HEX.escrow.minisig in the folder of its first two
 * digits. */
static bool store_name(const char *dir, const char *name, char sha[65])
{
	size_t i, n = strlen(name);

	if (n != 64 + 7 && n != 64 + 15)
		return false;
	if (strcmp(name + 64, n == 71 ? ".escrow" : ".escrow.minisig") != 0 || strncmp(name, dir, 2) != 0)
		return false;
	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)name[i]) || isupper((unsigned char)name[i]))
			return false;
	memcpy(sha, name, 64);
	sha[64] = '\0';
	return true;
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

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rel = esc_strf("store/sha256/%s/%s", dir, e->d_name);
		if (rel == NULL) {
			st = esc_nomem(v->ctx);
			break;
		}
		if (!store_name(dir, e->d_name, sha))
			st = add(v->ctx, strays, rel, "not a store name (HEX.escrow or HEX.escrow.minisig)");
		else if ((id = esc_ledger_deposit_find(v->ledger, sha)) < 0)
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
