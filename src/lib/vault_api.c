/* vault_api.c -- the vault's public doors: init, open, close, and the
 * registrations (contracts and agency keys). Receive is vault_receive.c,
 * the listings vault_query.c. */
#include "esc_api.h"
#include "esc_vault.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void vault_free(escrow_vault *v)
{
	if (v == NULL)
		return;
	esc_ledger_close(v->ledger);
	free(v->path);
	free(v->ledger_url);
	free(v->notary_key);
	free(v->identity);
	free(v);
}

void escrow_vault_close(escrow_vault *v)
{
	vault_free(v);
}

const char *escrow_vault_notary_key(const escrow_vault *v)
{
	return v == NULL ? NULL : v->notary_key;
}

static escrow_vault *vault_new(escrow_ctx *ctx, const char *path)
{
	escrow_vault *v = calloc(1, sizeof *v);

	if (v == NULL)
		return NULL;
	v->ctx = ctx;
	v->path = strdup(path);
	if (v->path == NULL) {
		free(v);
		return NULL;
	}
	return v;
}

/* An absolute copy of a file's path (the vault remembers it whatever the
 * working folder of later runs). */
static escrow_status abs_path(escrow_ctx *ctx, const char *path, char **out)
{
	char buf[PATH_MAX];

	if (realpath(path, buf) == NULL)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", path, strerror(errno));
	*out = strdup(buf);
	return *out == NULL ? esc_nomem(ctx) : ESCROW_OK;
}

/* The notary's key loads (id recorded) and the identity file reads. */
static escrow_status init_keys(escrow_vault *v, const escrow_options *o)
{
	escrow_seckey *sk = NULL;
	escrow_identities *ids = NULL;
	escrow_status st;

	st = esc_vault_load_key(v->ctx, o->notary_key, &sk);
	if (st != ESCROW_OK)
		return st;
	escrow_seckey_id(sk, v->key_id);
	escrow_seckey_free(sk);
	st = abs_path(v->ctx, o->notary_key, &v->notary_key);
	if (st != ESCROW_OK || o->notary_identity == NULL)
		return st;
	st = escrow_identities_load(v->ctx, o->notary_identity, &ids);
	escrow_identities_free(ids);
	if (st == ESCROW_OK)
		st = abs_path(v->ctx, o->notary_identity, &v->identity);
	return st;
}

/* The folder exists now and is empty (made here: *made). */
static escrow_status init_folder(escrow_ctx *ctx, const char *path, bool *made)
{
	if (mkdir(path, 0700) == 0) {
		*made = true;
		return ESCROW_OK;
	}
	if (errno == EEXIST && rmdir(path) == 0 && mkdir(path, 0700) == 0) {
		*made = true; /* it was an empty folder */
		return ESCROW_OK;
	}
	if (errno == EEXIST || errno == ENOTEMPTY)
		return esc_error(ctx, ESCROW_E_EXISTS, "%s: already exists and is not empty (choose a new vault folder)",
		                 path);
	return esc_error(ctx, ESCROW_E_CREATE, "%s: %s", path, strerror(errno));
}

/* Removes what a failed init made (only our own names). */
static void init_undo(const char *path)
{
	static const char *const names[] = {ESC_VAULT_CONFIG, ESC_LEDGER_FILE, ESC_LEDGER_FILE "-wal",
	                                    ESC_LEDGER_FILE "-shm", "store/sha256", "store", "receipts"};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *p = esc_path_join(path, names[i]);

		if (p != NULL && unlink(p) != 0)
			rmdir(p);
		free(p);
	}
	rmdir(path);
}

static escrow_status init_dirs(escrow_ctx *ctx, const char *path)
{
	static const char *const dirs[] = {"store", "store/sha256", "receipts"};
	size_t i;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		char *p = esc_path_join(path, dirs[i]);

		if (p == NULL)
			return esc_nomem(ctx);
		if (mkdir(p, 0700) != 0) {
			escrow_status st = esc_error(ctx, ESCROW_E_CREATE, "%s: %s", p, strerror(errno));

			free(p);
			return st;
		}
		free(p);
	}
	return ESCROW_OK;
}

escrow_status escrow_vault_init(escrow_ctx *ctx, const char *path, const escrow_options *o)
{
	escrow_vault *v;
	escrow_status st;
	bool made = false;

	if (ctx == NULL || path == NULL || *path == '\0' || o == NULL)
		return ctx ? esc_error(ctx, ESCROW_E_USAGE, "escrow_vault_init: no vault folder") : ESCROW_E_USAGE;
	if (o->notary_key == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_vault_init: no notary key (ESCROW_OPT_NOTARY_KEY)");
	v = vault_new(ctx, path);
	if (v == NULL)
		return esc_nomem(ctx);
	st = init_keys(v, o);
	if (st == ESCROW_OK && o->ledger != NULL && (v->ledger_url = strdup(o->ledger)) == NULL)
		st = esc_nomem(ctx);
	if (st == ESCROW_OK)
		st = init_folder(ctx, path, &made);
	if (st == ESCROW_OK)
		st = init_dirs(ctx, path);
	if (st == ESCROW_OK)
		st = esc_ledger_open(ctx, path, v->ledger_url, ESC_LEDGER_CREATE, &v->ledger);
	if (st == ESCROW_OK)
		st = esc_vault_config_write(v);
	vault_free(v);
	if (st != ESCROW_OK && made)
		init_undo(path);
	return st;
}

escrow_status escrow_vault_open(escrow_ctx *ctx, const char *path, escrow_vault **out)
{
	escrow_vault *v;
	escrow_status st;

	if (out != NULL)
		*out = NULL;
	if (ctx == NULL || path == NULL || out == NULL)
		return ctx ? esc_error(ctx, ESCROW_E_USAGE, "escrow_vault_open: NULL argument") : ESCROW_E_USAGE;
	v = vault_new(ctx, path);
	if (v == NULL)
		return esc_nomem(ctx);
	st = esc_vault_config_read(v);
	if (st == ESCROW_OK)
		st = esc_ledger_open(ctx, path, v->ledger_url, 0, &v->ledger);
	if (st != ESCROW_OK) {
		vault_free(v);
		return st;
	}
	*out = v;
	return ESCROW_OK;
}
