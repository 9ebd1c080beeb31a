/* vault_receipt_check.c -- escrow_receipt_verify: what an agency (or anyone
 * holding the notary's public key) checks in a receipt: the notary's
 * signature, the in-toto / SLSA VSA shape, and that the receipt is about this
 * very bundle file. */
#include "esc_api.h"
#include "esc_vault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECEIPT_MAX (1u << 20)
#define SIG_MAX 4096u

static bool hex64(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 64)
		return false;
	for (i = 0; i < 64; i++)
		if (esc_hex_digit((unsigned char)s[i]) < 0 || (s[i] >= 'A' && s[i] <= 'F'))
			return false;
	return true;
}

static const char *jstr(const json_t *root, const char *a, const char *b, const char *c)
{
	const json_t *v = json_object_get(root, a);

	if (b != NULL)
		v = json_object_get(v, b);
	if (c != NULL)
		v = json_object_get(v, c);
	return json_string_value(v);
}

/* NULL when the shape holds, else the field that is wrong. */
static const char *shape_fault(const json_t *root, const char *key_id)
{
	const json_t *pred = json_object_get(root, "predicate"), *ext = json_object_get(pred, "escrow");
	const json_t *subj = json_array_get(json_object_get(root, "subject"), 0);
	const char *res = jstr(pred, "verificationResult", NULL, NULL), *vid = jstr(pred, "verifier", "id", NULL);

	if (!json_is_object(root) || strcmp(jstr(root, "_type", NULL, NULL) ? jstr(root, "_type", NULL, NULL) : "",
	                                    "https://in-toto.io/Statement/v1") != 0)
		return "_type (https://in-toto.io/Statement/v1)";
	if (json_array_size(json_object_get(root, "subject")) != 1 || !json_is_string(json_object_get(subj, "name")) ||
	    !hex64(jstr(subj, "digest", "sha256", NULL)))
		return "subject (one name with its sha256 digest)";
	if (strcmp(jstr(root, "predicateType", NULL, NULL) ? jstr(root, "predicateType", NULL, NULL) : "",
	           "https://slsa.dev/verification_summary/v1") != 0)
		return "predicateType (https://slsa.dev/verification_summary/v1)";
	if (vid == NULL || strncmp(vid, "escrow-vault:", 13) != 0 || strcmp(vid + 13, key_id) != 0)
		return "predicate.verifier.id (escrow-vault: and the notary key id that signed it)";
	if (res == NULL || (strcmp(res, "PASSED") != 0 && strcmp(res, "FAILED") != 0))
		return "predicate.verificationResult (PASSED or FAILED)";
	if (!json_is_string(json_object_get(pred, "timeVerified")) ||
	    !json_is_string(json_object_get(pred, "resourceUri")))
		return "predicate.timeVerified or predicate.resourceUri";
	if (!json_is_string(json_object_get(json_object_get(pred, "policy"), "uri")) ||
	    !hex64(jstr(pred, "policy", "digest", "sha256")))
		return "predicate.policy (uri and sha256 digest)";
	if (!json_is_integer(json_object_get(ext, "deposit")) ||
	    !json_is_integer(json_object_get(json_object_get(ext, "ledger_head"), "seq")) ||
	    !hex64(jstr(ext, "ledger_head", "hash", NULL)) || !json_is_string(json_object_get(ext, "verdict")))
		return "predicate.escrow (deposit, verdict, ledger_head)";
	return NULL;
}

/* The SHA-256 of a file, in hex. */
static escrow_status file_sha256(escrow_ctx *ctx, const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	esc_sha256 *h;
	uint8_t buf[65536], md[32];
	ssize_t n;

	if (fd < 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", path, strerror(errno));
	h = esc_sha256_new();
	if (h == NULL) {
		close(fd);
		return esc_nomem(ctx);
	}
	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			esc_sha256_update(h, buf, (size_t)n);
	if (n < 0) {
		int e = errno;

		esc_sha256_free(h);
		close(fd);
		return esc_error(ctx, ESCROW_E_IO, "%s: %s", path, strerror(e));
	}
	esc_sha256_final(h, md);
	esc_sha256_free(h);
	close(fd);
	esc_hex(md, 32, hex);
	return ESCROW_OK;
}

static escrow_status check_json(escrow_ctx *ctx, const escrow_options *o, const char *text, size_t len,
                                escrow_result *res)
{
	char key_id[17], hex[65];
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *fault, *subject;
	const json_t *ext;
	escrow_status st = ESCROW_OK;

	escrow_pubkey_id(o->public_key, key_id);
	fault = root ? shape_fault(root, key_id) : "the JSON itself";
	if (fault != NULL) {
		json_decref(root);
		return esc_error(ctx, ESCROW_E_INPUT, "%s: signed, but not an escrow receipt: %s is missing or wrong",
		                 o->receipt, fault);
	}
	subject = jstr(json_array_get(json_object_get(root, "subject"), 0), "digest", "sha256", NULL);
	ext = json_object_get(json_object_get(root, "predicate"), "escrow");
	esc_result_set_string(res, ESCROW_RESULT_SHA256, subject);
	esc_result_set_string(res, ESCROW_RESULT_VERDICT, jstr(root, "predicate", "verificationResult", NULL));
	esc_result_set_u64(res, ESCROW_RESULT_DEPOSIT_ID, (uint64_t)json_integer_value(json_object_get(ext, "deposit")));
	esc_result_set_u64(res, ESCROW_RESULT_EVENT_SEQ,
	                   (uint64_t)json_integer_value(json_object_get(json_object_get(ext, "ledger_head"), "seq")));
	if (jstr(ext, "contract", "id", NULL) != NULL)
		esc_result_set_string(res, ESCROW_RESULT_CONTRACT_ID, jstr(ext, "contract", "id", NULL));
	if (o->bundle != NULL)
		st = file_sha256(ctx, o->bundle, hex);
	if (st == ESCROW_OK && o->bundle != NULL && strcmp(hex, subject) != 0)
		st = esc_error(ctx, ESCROW_TAMPERED, "%s: its SHA-256 is %s, the receipt %s is about %s (another file)",
		               o->bundle, hex, o->receipt, subject);
	json_decref(root);
	return st;
}

escrow_status escrow_receipt_verify(escrow_ctx *ctx, const escrow_options *o, escrow_result **res)
{
	char *text = NULL, *sig = NULL, *sig_path = NULL;
	size_t len = 0, sig_len = 0;
	escrow_result *out = NULL;
	escrow_status st;

	if (res != NULL)
		*res = NULL;
	if (ctx == NULL || o == NULL || o->receipt == NULL || o->public_key == NULL)
		return ctx ? esc_error(ctx, ESCROW_E_USAGE, "escrow_receipt_verify: a receipt and a public key are needed")
		           : ESCROW_E_USAGE;
	sig_path = esc_strf("%s.minisig", o->receipt);
	out = esc_result_new();
	st = sig_path && out ? esc_read_small_file(ctx, o->receipt, RECEIPT_MAX, &text, &len) : esc_nomem(ctx);
	if (st == ESCROW_OK) {
		st = esc_read_small_file(ctx, sig_path, SIG_MAX, &sig, &sig_len);
		if (st == ESCROW_E_OPEN) {
			char msg[ESC_ERRLEN];

			snprintf(msg, sizeof msg, "%s", esc_ctx_message(ctx));
			st = esc_error(ctx, st, "%s: the signature of %s, which 'escrow vault receive' writes beside it "
			               "(keep the two files together)", msg, o->receipt);
		}
	}
	if (st == ESCROW_OK) {
		st = escrow_verify_buffer(ctx, o->public_key, text, len, sig, sig_len, NULL);
		if (st != ESCROW_OK)
			esc_error_prefix(ctx, "%s", o->receipt);
	}
	if (st == ESCROW_OK)
		st = check_json(ctx, o, text, len, out);
	if (st == ESCROW_OK && res != NULL) {
		*res = out;
		out = NULL;
	}
	escrow_result_free(out);
	free(text);
	free(sig);
	free(sig_path);
	return st;
}
