/* vault_receipt.c -- the receipt a deposit earns: an in-toto Statement v1
 * whose predicate is a SLSA Verification Summary v1, with escrow's own
 * findings in the predicate's "escrow" object (docs/VAULT.md, "Receipts"),
 * signed with the notary's key as a minisign signature beside it. */
#include "esc_escape.h"
#include "esc_vault.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static json_t *escrow_ext(const struct esc_receipt_in *in)
{
	char hash[65];

	esc_hex(in->head.hash, 32, hash);
	return json_pack("{s:s, s:s, s:I, s:{s:s, s:s}, s:O, s:s?, s:{s:I, s:s}, s:s, s:O?, s:O?}", "format",
	                 "escrow-receipt/1", "verdict", in->verdict, "deposit", (json_int_t)in->deposit_id,
	                 "contract", "id", in->contract_id, "sha256", in->contract_sha256, "deliverables",
	                 in->deliverables, "signer_key_id", in->signer_key_id, "ledger_head", "seq",
	                 (json_int_t)in->head.seq, "hash", hash, "tool", "escrow " ESCROW_VERSION, "diff", in->diff,
	                 "same_release", in->same_release);
}

json_t *esc_receipt_build(escrow_ctx *ctx, const struct esc_receipt_in *in)
{
	bool passed = strcmp(in->verdict, "verified") == 0;
	char when[21], *verifier = esc_strf("escrow-vault:%s", in->notary_key_id);
	char *policy = esc_strf("escrow-contract:%s", in->contract_id);
	char *uri = esc_strf("escrow-vault:%s/%s", in->notary_key_id, in->resource_uri);
	json_t *ext = escrow_ext(in), *root = NULL;

	esc_vault_time(when);
	if (verifier != NULL && policy != NULL && uri != NULL && ext != NULL)
		/* the file's name as the agency gave it: any bytes, so not "s" */
		root = json_pack("{s:s, s:[{s:o, s:{s:s}}], s:s, s:{s:{s:s, s:{s:s}}, s:s, s:s, s:{s:s, s:{s:s}}, "
		                 "s:s, s:[s], s:s, s:o}}",
		                 "_type", "https://in-toto.io/Statement/v1", "subject", "name",
		                 esc_json_string(base_name(in->bundle_name)),
		                 "digest", "sha256", in->bundle_sha256, "predicateType",
		                 "https://slsa.dev/verification_summary/v1", "predicate", "verifier", "id", verifier,
		                 "version", "escrow", ESCROW_VERSION, "timeVerified", when, "resourceUri", uri, "policy",
		                 "uri", policy, "digest", "sha256", in->contract_sha256, "verificationResult",
		                 passed ? "PASSED" : "FAILED", "verifiedLevels",
		                 passed ? "ESCROW_DEPOSIT_VERIFIED" : "FAILED", "slsaVersion", "1.0", "escrow", ext);
	else
		json_decref(ext);
	free(verifier);
	free(policy);
	free(uri);
	if (root == NULL)
		esc_nomem(ctx);
	return root;
}

static escrow_status write_file(escrow_ctx *ctx, const char *path, const char *text, size_t len)
{
	char *tmp = NULL;
	int fd = -1;
	escrow_status st = esc_atomic_open(ctx, path, 0644, 0, &fd, &tmp);

	if (st == ESCROW_OK)
		st = esc_write_all(ctx, fd, text, len, path);
	if (st == ESCROW_OK)
		st = esc_atomic_commit(ctx, fd, tmp, path, 0);
	else if (fd >= 0)
		esc_atomic_abort(fd, tmp);
	free(tmp);
	return st;
}

/* The signature is written first: a receipt that exists is signed. */
static escrow_status write_pair(escrow_ctx *ctx, const char *path, const char *text, const char *sig, size_t sig_len)
{
	char *sig_path = esc_strf("%s.minisig", path);
	escrow_status st;

	if (sig_path == NULL)
		return esc_nomem(ctx);
	st = write_file(ctx, sig_path, sig, sig_len);
	if (st == ESCROW_OK) {
		st = write_file(ctx, path, text, strlen(text));
		if (st != ESCROW_OK)
			unlink(sig_path);
	}
	free(sig_path);
	return st;
}

/* The receipt could not be written where it was asked for (a full disk,
 * say), after its deposit was recorded: receiving the bundle again writes no
 * receipt, so it is kept in the vault (receipts/HEX.json, where it goes when
 * no -o is given) when it can be, and the message says where to take it. */
static escrow_status keep_in_vault(escrow_ctx *ctx, const struct esc_receipt_in *in, const char *path,
                                   const char *text, const char *sig, size_t sig_len, escrow_status st)
{
	char *first = strdup(esc_ctx_message(ctx)), *kept = NULL;
	escrow_status ks = ESCROW_E_OPEN;

	if (first == NULL)
		return esc_nomem(ctx);
	if (in->vault != NULL)
		kept = esc_strf("%s/receipts/%s.json", in->vault, in->bundle_sha256);
	if (kept != NULL && strcmp(kept, path) != 0 && access(kept, F_OK) != 0) {
		esc_clear_error(ctx);
		ks = write_pair(ctx, kept, text, sig, sig_len);
	}
	if (ks == ESCROW_OK)
		st = esc_error(ctx, st, "the receipt %s could not be written: %s; deposit %lld is recorded (event %lld) and "
		               "its signed receipt was kept in the vault instead: copy %s and %s.minisig from there", path,
		               first, (long long)in->deposit_id, (long long)in->head.seq, kept, kept);
	else
		st = esc_error(ctx, st, "the receipt %s could not be written: %s; deposit %lld is recorded (event %lld, "
		               "'escrow vault show' has it) but has no receipt (receiving the bundle again writes none): "
		               "free space on that file system before the next receive", path, first,
		               (long long)in->deposit_id, (long long)in->head.seq);
	free(kept);
	free(first);
	return st;
}

escrow_status esc_receipt_write(escrow_ctx *ctx, const struct esc_receipt_in *in, const escrow_seckey *sk,
                                const char *path)
{
	json_t *root = esc_receipt_build(ctx, in);
	char *text = NULL, *json = NULL, *sig = NULL, tc[160];
	size_t sig_len = 0;
	escrow_status st = ESCROW_OK;

	/* bidi and C1 controls as \u escapes: a terminal that shows the receipt
	 * shows what it says */
	if (root == NULL || (json = esc_json_safe(json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS))) == NULL ||
	    (text = esc_strf("%s\n", json)) == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	snprintf(tc, sizeof tc, "escrow-receipt/1 deposit=%lld sha256=%s head=%lld", (long long)in->deposit_id,
	         in->bundle_sha256, (long long)in->head.seq);
	st = escrow_sign_buffer(ctx, sk, text, strlen(text), tc, &sig, &sig_len);
	if (st != ESCROW_OK) {
		esc_error_prefix(ctx, "the receipt %s (deposit %lld is recorded: 'escrow vault show' has it)", path,
		                 (long long)in->deposit_id);
		goto out;
	}
	st = write_pair(ctx, path, text, sig, sig_len);
	if (st != ESCROW_OK && st != ESCROW_E_NOMEM)
		st = keep_in_vault(ctx, in, path, text, sig, sig_len, st);
out:
	free(sig);
	free(text);
	free(json);
	json_decref(root);
	return st;
}
