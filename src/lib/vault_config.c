/* vault_config.c -- VAULT/vault.json: what a vault remembers between runs
 * (docs/VAULT.md, "The vault folder"): its format, where its ledger is, the
 * notary's key and identity files and the key id. */
#include "esc_escape.h"
#include "esc_vault.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define CONFIG_MAX 65536u

static char *opt_string(const json_t *root, const char *key)
{
	const json_t *v = json_object_get(root, key);

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static escrow_status config_fields(escrow_vault *v, const json_t *root, const char *path)
{
	const json_t *fmt = json_object_get(root, "format");
	const char *kid;

	if (!json_is_string(fmt) || strncmp(json_string_value(fmt), "escrow-vault/", 13) != 0)
		return esc_error(v->ctx, ESCROW_E_INPUT, "%s: no \"format\": \"%s\" (not a vault's configuration)", path,
		                 ESC_VAULT_FORMAT);
	if (strcmp(json_string_value(fmt), ESC_VAULT_FORMAT) != 0)
		return esc_error(v->ctx, ESCROW_E_INPUT,
		                 "%s: format %s is newer than this escrow knows (%s): use a newer escrow", path,
		                 json_string_value(fmt), ESC_VAULT_FORMAT);
	kid = json_string_value(json_object_get(root, "notary_key_id"));
	v->notary_key = opt_string(root, "notary_key");
	v->identity = opt_string(root, "notary_identity");
	if (json_is_string(json_object_get(root, "ledger_url")))
		v->ledger_url = opt_string(root, "ledger_url");
	if (v->notary_key == NULL || kid == NULL || strlen(kid) != 16)
		return esc_error(v->ctx, ESCROW_E_INPUT, "%s: \"notary_key\" or \"notary_key_id\" missing (edit it, or "
		                 "make the vault again with 'escrow vault init')", path);
	memcpy(v->key_id, kid, 17);
	return ESCROW_OK;
}

escrow_status esc_vault_config_read(escrow_vault *v)
{
	char *path = esc_path_join(v->path, ESC_VAULT_CONFIG), *text = NULL;
	size_t len = 0;
	json_t *root = NULL;
	json_error_t jerr;
	escrow_status st;

	if (path == NULL)
		return esc_nomem(v->ctx);
	st = esc_read_small_file(v->ctx, path, CONFIG_MAX, &text, &len);
	if (st == ESCROW_E_OPEN) {
		st = esc_error(v->ctx, ESCROW_E_OPEN, "%s is not a vault (no %s: make one with 'escrow vault init')",
		               v->path, ESC_VAULT_CONFIG);
		goto out;
	}
	if (st != ESCROW_OK)
		goto out;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		st = esc_error(v->ctx, ESCROW_E_INPUT, "%s:%d: not a JSON object (%s)", path, jerr.line, jerr.text);
		goto out;
	}
	st = config_fields(v, root, path);
out:
	json_decref(root);
	free(text);
	free(path);
	return st;
}

escrow_status esc_vault_config_write(const escrow_vault *v)
{
	char *path = esc_path_join(v->path, ESC_VAULT_CONFIG), *text = NULL, *tmp = NULL;
	json_t *root;
	escrow_status st = ESCROW_E_NOMEM;
	int fd = -1;

	if (path == NULL)
		return esc_nomem(v->ctx);
	root = json_pack("{s:s, s:s?, s:s, s:s?, s:s}", "format", ESC_VAULT_FORMAT, "ledger_url", v->ledger_url,
	                 "notary_key", v->notary_key, "notary_identity", v->identity, "notary_key_id", v->key_id);
	if (root != NULL)
		text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL) {
		st = esc_nomem(v->ctx);
		goto out;
	}
	st = esc_atomic_open(v->ctx, path, 0600, 0, &fd, &tmp);
	if (st == ESCROW_OK)
		st = esc_write_all(v->ctx, fd, text, strlen(text), path);
	if (st == ESCROW_OK)
		st = esc_write_all(v->ctx, fd, "\n", 1, path);
	if (st == ESCROW_OK)
		st = esc_atomic_commit(v->ctx, fd, tmp, path, 0);
	else if (fd >= 0)
		esc_atomic_abort(fd, tmp);
out:
	free(tmp);
	free(text);
	json_decref(root);
	free(path);
	return st;
}

void esc_vault_time(char buf[21])
{
	bool have = false;
	int64_t epoch = 0;
	time_t t;
	struct tm tm;

	/* A SOURCE_DATE_EPOCH that is no date (malformed, or past year 9999)
	 * is not used here: gmtime_r failed on one past 9999, and the receipt
	 * and the release record got bytes of the stack for their time. */
	if (esc_source_date_epoch(NULL, &have, &epoch) != ESCROW_OK || !have)
		epoch = (int64_t)time(NULL);
	t = (time_t)epoch;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 21, "1970-01-01T00:00:00Z");
}

escrow_status esc_vault_load_key(escrow_ctx *ctx, const char *path, escrow_seckey **out)
{
	const char *file = getenv("ESCROW_PASSPHRASE_FILE");
	char *text = NULL;
	size_t len = 0, n;
	escrow_status st;

	if (file == NULL || *file == '\0')
		return escrow_seckey_load(ctx, path, getenv("ESCROW_PASSPHRASE"), out);
	st = esc_read_small_file(ctx, file, 1024, &text, &len);
	if (st != ESCROW_OK) {
		esc_error_prefix(ctx, "ESCROW_PASSPHRASE_FILE");
		return st;
	}
	/* one line: its end (LF or CRLF) is not part of the passphrase; a
	 * second line or a NUL is refused, as the CLI's --passphrase-file does
	 * (not cut there: a passphrase shorter than the file is not the one meant) */
	n = len;
	if (n > 0 && text[n - 1] == '\n')
		n--;
	if (n > 0 && text[n - 1] == '\r')
		n--;
	text[n] = '\0';
	if (memchr(text, '\n', n) != NULL || memchr(text, '\0', n) != NULL)
		st = esc_error(ctx, ESCROW_E_INPUT, "ESCROW_PASSPHRASE_FILE: %s: the passphrase file must hold one line",
		               file);
	else
		st = escrow_seckey_load(ctx, path, text, out);
	sodium_memzero(text, len);
	free(text);
	return st;
}

escrow_status esc_vault_check_key(escrow_vault *v, const escrow_seckey *sk)
{
	char id[17];
	char *where;

	escrow_seckey_id(sk, id);
	if (strcasecmp(id, v->key_id) == 0)
		return ESCROW_OK;
	where = esc_escape_dup(v->notary_key, strlen(v->notary_key), ESC_ESCAPE_TEXT);
	esc_error(v->ctx, ESCROW_E_INPUT, "vault %s: the notary key %s is key %s, not key %s that the vault was made "
	          "with (vault.json notary_key_id; its receipts and release records name it): put key %s back at %s",
	          v->path, where ? where : v->notary_key, id, v->key_id, v->key_id, where ? where : v->notary_key);
	free(where);
	return ESCROW_E_INPUT;
}
