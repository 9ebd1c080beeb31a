/* minisign_keykind.c -- what kind of key file a file is, from its first
 * lines: a minisign public or secret key or signature, an age recipient or
 * identity, an SSH key. The key loaders ask first, so that a file given in
 * the wrong place is named as what it is ("notary.age.pub is an age
 * recipient, not a minisign public key") rather than as a malformed key.
 * Nothing of a secret key's content is ever put in a message. */
#include "escrow_private.h"
#include "esc_minisign.h"

#include <string.h>
#include <strings.h>

enum kind { UNKNOWN, M_PUB, M_SEC, M_SIG, AGE_RCP, AGE_ID, SSH };

static bool starts(const char *s, size_t len, const char *prefix, bool nocase)
{
	size_t n = strlen(prefix);

	return len >= n && (nocase ? strncasecmp(s, prefix, n) : strncmp(s, prefix, n)) == 0;
}

/* The line at *pos (without its "\r\n"), moving *pos past it. */
static bool next_line(const char *t, size_t len, size_t *pos, const char **s, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*s = t + *pos;
	nl = memchr(*s, '\n', len - *pos);
	*n = nl ? (size_t)(nl - *s) : len - *pos;
	*pos += *n + (nl ? 1 : 0);
	if (*n > 0 && (*s)[*n - 1] == '\r')
		(*n)--;
	return true;
}

static enum kind sniff(const char *t, size_t len)
{
	const char *s, *l2;
	size_t pos = 0, n, n2;

	while (next_line(t, len, &pos, &s, &n)) {
		if (n == 0 || (s[0] == '#'))
			continue;
		if (starts(s, n, "untrusted comment:", false)) {
			if (!next_line(t, len, &pos, &l2, &n2))
				return UNKNOWN;
			if (n2 == esc_b64_encoded_len(ESC_MPUB_BLOB))
				return M_PUB;
			if (n2 == esc_b64_encoded_len(ESC_MSEC_BLOB))
				return M_SEC;
			if (n2 == esc_b64_encoded_len(ESC_MSIG_BLOB))
				return M_SIG;
			return UNKNOWN;
		}
		if (starts(s, n, "AGE-SECRET-KEY-1", true))
			return AGE_ID;
		if (starts(s, n, "age1", false))
			return AGE_RCP;
		if (starts(s, n, "ssh-", false) || starts(s, n, "-----BEGIN OPENSSH", false) ||
		    starts(s, n, "ecdsa-sha2-", false))
			return SSH;
		if (n == esc_b64_encoded_len(ESC_MPUB_BLOB) && starts(s, n, "RW", false))
			return M_PUB; /* a bare key line, as minisign -P takes */
		return UNKNOWN;
	}
	return UNKNOWN;
}

static const char *what(enum kind k)
{
	switch (k) {
	case M_PUB: return "a minisign public key";
	case M_SEC: return "a minisign secret key";
	case M_SIG: return "a minisign signature, not a key";
	case AGE_RCP: return "an age recipient (a public key)";
	case AGE_ID: return "an age identity (a secret key)";
	case SSH: return "an SSH key (escrow signs with minisign keys and seals with age X25519 keys)";
	default: return "";
	}
}

/* name with its ".pub" ending as ".key" (or the other way), for a hint. */
static void sibling(const char *name, const char *from, const char *to, char *out, size_t len)
{
	size_t n = strlen(name), f = strlen(from);

	if (n > f && strcmp(name + n - f, from) == 0)
		snprintf(out, len, "%.*s%s", (int)(n - f), name, to);
	else
		snprintf(out, len, "the %s file made beside it", to);
}

escrow_status esc_key_kind_check(escrow_ctx *ctx, const char *name, const char *text, size_t len,
                                 enum esc_key_want want)
{
	enum kind k = sniff(text, len), w;
	char alt[512];

	w = want == ESC_WANT_MINISIGN_PUB ? M_PUB : want == ESC_WANT_MINISIGN_SEC ? M_SEC
	    : want == ESC_WANT_AGE_IDENTITY ? AGE_ID : AGE_RCP;
	if (k == UNKNOWN || k == w)
		return ESCROW_OK;
	switch (want) {
	case ESC_WANT_MINISIGN_PUB:
		if (k == M_SEC) {
			sibling(name, ".key", ".pub", alt, sizeof alt);
			return esc_error(ctx, ESCROW_E_INPUT, "%s is a minisign secret key; a public key is wanted here "
			                 "(%s): keep the secret key with its owner", name, alt);
		}
		return esc_error(ctx, ESCROW_E_INPUT, "%s is %s, not a minisign public key (give the .pub file made "
		                 "by 'escrow keygen' or 'minisign -G')", name, what(k));
	case ESC_WANT_MINISIGN_SEC:
		if (k == M_PUB) {
			sibling(name, ".pub", ".key", alt, sizeof alt);
			return esc_error(ctx, ESCROW_E_INPUT, "%s is a public key; -s wants the secret key (%s)", name, alt);
		}
		return esc_error(ctx, ESCROW_E_INPUT, "%s is %s, not a minisign secret key (give the .key file made "
		                 "by 'escrow keygen' or 'minisign -G')", name, what(k));
	case ESC_WANT_AGE_IDENTITY:
		return esc_error(ctx, ESCROW_E_INPUT, "%s is %s, not an age identity (give the file made by "
		                 "'escrow keygen --age' (PREFIX.age) or 'age-keygen')", name, what(k));
	case ESC_WANT_AGE_RECIPIENT:
		if (k == AGE_ID)
			return esc_error(ctx, ESCROW_E_INPUT, "%s is an age identity (a secret key), not a recipient: "
			                 "give its public key (PREFIX.age.pub, or 'age-keygen -y %s')", name, name);
		return esc_error(ctx, ESCROW_E_INPUT, "%s is %s, not an age recipient (give PREFIX.age.pub, made "
		                 "by 'escrow keygen --age', or lines age1...)", name, what(k));
	}
	return ESCROW_OK;
}
