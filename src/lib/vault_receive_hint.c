/* vault_receive_hint.c -- a minisign signature over a deposit (the sealed
 * bundle's detached BUNDLE.minisig, or the tag signature inside an unsealed
 * one, read by bundle_peek.c) names its signer (the key id in the signature) and, in its trusted comment,
 * the contract ("escrow-bundle/1 name=... contract=ID created=..."). When that
 * key is registered and valid for that contract, receive verifies in one pass
 * with them; the verification itself then checks the signature and the bag's
 * own contract id (vault_receive.c falls back to two readings when the bag
 * names another contract). Nothing here is trusted on its own. */
#include "esc_vault.h"
#include "esc_minisign.h"

#include <stdlib.h>
#include <string.h>

#define SIG_MAX 4096u
#define TC_PREFIX "trusted comment: "

/* The contract id between " contract=" and " created=" at the comment's
 * end. Both are the last of their kind: pack writes them after the name and
 * the release, which may hold spaces and such words themselves ("release=1
 * contract=X created=y"); a contract id holds no space. */
static char *comment_contract(const char *s, size_t len)
{
	const char *a = NULL, *b = NULL, *p;

	for (p = s; p + 9 <= s + len; p++)
		if (memcmp(p, " created=", 9) == 0)
			b = p;
	for (p = s; b != NULL && p + 10 <= b; p++)
		if (memcmp(p, " contract=", 10) == 0)
			a = p + 10;
	if (a == NULL || b == a || (size_t)(b - a) > 256 || memchr(a, ' ', (size_t)(b - a)) != NULL)
		return NULL;
	return strndup(a, (size_t)(b - a));
}

bool esc_receive_hint_text(const char *text, size_t len, char **contract_id, char **signer)
{
	struct esc_mline line;
	char id[17];
	size_t pos = 0;
	uint8_t bin[80];
	int n = 0;
	bool ok;

	*contract_id = *signer = NULL;
	while (esc_mline_next(text, len, &pos, &line) && ++n <= 3) {
		esc_mline_drop_cr(&line);
		if (n == 2 && esc_b64_decode(line.s, line.len, bin, sizeof bin) >= (long)(2 + ESC_MKEYID_LEN)) {
			esc_mkeyid_hex(bin + 2, id);
			*signer = strdup(id);
		}
		if (n == 3 && line.len > strlen(TC_PREFIX) && memcmp(line.s, TC_PREFIX, strlen(TC_PREFIX)) == 0)
			*contract_id = comment_contract(line.s, line.len);
	}
	ok = *signer != NULL && *contract_id != NULL;
	if (!ok) {
		free(*signer);
		free(*contract_id);
		*contract_id = *signer = NULL;
	}
	return ok;
}

bool esc_receive_hint(escrow_ctx *ctx, const char *sig_path, char **contract_id, char **signer)
{
	char *text = NULL;
	size_t len = 0;
	bool ok;

	*contract_id = *signer = NULL;
	if (esc_read_small_file(ctx, sig_path, SIG_MAX, &text, &len) != ESCROW_OK) {
		esc_clear_error(ctx);
		return false;
	}
	ok = esc_receive_hint_text(text, len, contract_id, signer);
	free(text);
	return ok;
}
