/* bundle_read_detached.c -- BUNDLE.minisig beside a sealed bundle, opened
 * before the reader starts: the verifier it returns is fed every byte read
 * (on the reader's hashing thread) and judged at the end. */
#include "esc_bundle_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SIGMAX 8192

/* "made by key X, not by key Y given with -p", from the signature's text. */
static void other_key(const char *sig, size_t sig_len, const escrow_pubkey *key, const char *fallback,
                      char *reason, size_t rlen)
{
	uint8_t id[ESC_MKEYID_LEN];
	char made[17] = "", want[17];

	if (esc_msig_key_id(sig, sig_len, id))
		esc_mkeyid_hex(id, made);
	escrow_pubkey_id(key, want);
	if (made[0] != '\0')
		snprintf(reason, rlen, "made by key %s, not by key %s given with -p", made, want);
	else
		snprintf(reason, rlen, "%s", fallback);
}

/* A malformed one counts as bad, an absent one is reported. */
enum esc_detached esc_detached_open(const char *path, const escrow_pubkey *key, esc_mverify **mv, char *reason,
                                    size_t rlen)
{
	escrow_ctx *tmp = escrow_ctx_new();
	enum esc_detached d = ESC_DETACHED_ABSENT;
	char *sp = NULL, *sig = NULL;
	size_t sig_len = 0;
	struct stat sb;
	escrow_status st;

	*mv = NULL;
	if (tmp == NULL || strcmp(path, "-") == 0) {
		d = ESC_DETACHED_NA;
		goto out;
	}
	sp = malloc(strlen(path) + sizeof ".minisig");
	if (sp == NULL) {
		d = ESC_DETACHED_NA;
		goto out;
	}
	strcpy(sp, path);
	strcat(sp, ".minisig");
	if (lstat(sp, &sb) != 0 && errno == ENOENT)
		goto out;
	st = esc_read_small_file(tmp, sp, SIGMAX, &sig, &sig_len);
	if (key == NULL) {
		d = ESC_DETACHED_NA;
		snprintf(reason, rlen, "no public key given");
		goto out;
	}
	if (st == ESCROW_OK)
		st = esc_mverify_new_named(tmp, sp, key, sig, sig_len, mv);
	/* Made by another key: after a release, BUNDLE.minisig is the notary's
	 * (escrow rewrap -s), not the agency's. It proves nothing either way
	 * about the agency's deposit, whose own signature inside is checked. */
	if (st == ESCROW_BAD_SIGNATURE) {
		d = ESC_DETACHED_OTHER;
		other_key(sig, sig_len, key, esc_ctx_message(tmp), reason, rlen);
		goto out;
	}
	if (st != ESCROW_OK) {
		d = ESC_DETACHED_BAD;
		snprintf(reason, rlen, "%s", esc_ctx_message(tmp));
	}
out:
	free(sig);
	free(sp);
	escrow_ctx_free(tmp);
	return d;
}
