/* core_options.c -- escrow_options: the one growable options object of the
 * public API. Each option id has one type; a setter refuses an id it does not
 * know, an id of another type and a value out of range, and leaves the option
 * as it was. The *_api.c files read the fields into each operation's own
 * struct (esc_api.h). */
#include "esc_api.h"

#include <stdlib.h>
#include <string.h>

enum opt_type { T_NONE, T_STRING, T_LIST, T_INT, T_SECKEY, T_PUBKEY, T_CONTRACT, T_RECIPIENTS, T_IDENTITIES };

static const struct {
	enum opt_type type;
	const char *name;
} opts[] = {
	[ESCROW_OPT_SOURCE] = {T_STRING, "source"},
	[ESCROW_OPT_OUTPUT] = {T_STRING, "output"},
	[ESCROW_OPT_BUNDLE] = {T_STRING, "bundle"},
	[ESCROW_OPT_TARGET] = {T_STRING, "target"},
	[ESCROW_OPT_NAME] = {T_STRING, "name"},
	[ESCROW_OPT_RELEASE] = {T_STRING, "release"},
	[ESCROW_OPT_EXCLUDE] = {T_LIST, "exclude"},
	[ESCROW_OPT_DELIVERABLE] = {T_LIST, "deliverable"},
	[ESCROW_OPT_LEVEL] = {T_INT, "level"},
	[ESCROW_OPT_FLAGS] = {T_INT, "flags"},
	[ESCROW_OPT_SIGNING_KEY] = {T_SECKEY, "signing key"},
	[ESCROW_OPT_PUBLIC_KEY] = {T_PUBKEY, "public key"},
	[ESCROW_OPT_CONTRACT] = {T_CONTRACT, "contract"},
	[ESCROW_OPT_RECIPIENTS] = {T_RECIPIENTS, "recipients"},
	[ESCROW_OPT_IDENTITIES] = {T_IDENTITIES, "identities"},
	[ESCROW_OPT_LEDGER] = {T_STRING, "ledger"},
	[ESCROW_OPT_NOTARY_KEY] = {T_STRING, "notary key"},
	[ESCROW_OPT_NOTARY_IDENTITY] = {T_STRING, "notary identity"},
	[ESCROW_OPT_CONTRACT_FILE] = {T_STRING, "contract file"},
	[ESCROW_OPT_KEY_FILE] = {T_LIST, "key file"},
	[ESCROW_OPT_CONTRACT_ID] = {T_STRING, "contract id"},
	[ESCROW_OPT_KEY_ID] = {T_STRING, "key id"},
	[ESCROW_OPT_REASON] = {T_STRING, "reason"},
	[ESCROW_OPT_RECEIPT] = {T_STRING, "receipt"},
	[ESCROW_OPT_DEPOSIT] = {T_STRING, "deposit"},
	[ESCROW_OPT_EVENT] = {T_STRING, "event"},
	[ESCROW_OPT_EVIDENCE] = {T_STRING, "evidence"},
	[ESCROW_OPT_SAMPLE] = {T_INT, "sample"},
	[ESCROW_OPT_MAX_SECONDS] = {T_INT, "max seconds"},
	[ESCROW_OPT_AGAINST] = {T_STRING, "against"},
	[ESCROW_OPT_OTHER_BUNDLE] = {T_STRING, "other bundle"},
	[ESCROW_OPT_LANG] = {T_STRING, "lang"},
	[ESCROW_OPT_META] = {T_LIST, "meta"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])

static const char *const type_names[] = {
	[T_NONE] = "none", [T_STRING] = "string", [T_LIST] = "string", [T_INT] = "int",
	[T_SECKEY] = "seckey", [T_PUBKEY] = "pubkey", [T_CONTRACT] = "contract",
	[T_RECIPIENTS] = "recipients", [T_IDENTITIES] = "identities",
};

#define KNOWN_FLAGS (ESCROW_FORCE | ESCROW_INCLUDE_VCS | ESCROW_SKIP_SYMLINKS | ESCROW_PAYLOAD_ONLY | ESCROW_QUIET | ESCROW_JSON | \
                     ESCROW_FULL | ESCROW_VERIFY | ESCROW_STRICT | ESCROW_FAIL_ON_WARNING | ESCROW_NO_DIGEST)

bool esc_meta_ok(const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t k, v;

	if (eq == NULL)
		return false;
	k = (size_t)(eq - kv);
	v = strlen(eq + 1);
	if (k == 0 || k > ESC_META_KEY_MAX || v == 0 || v > ESC_META_VALUE_MAX)
		return false;
	for (size_t i = 0; i < k; i++)
		if (!((kv[i] >= 'A' && kv[i] <= 'Z') || (kv[i] >= 'a' && kv[i] <= 'z') || (kv[i] >= '0' && kv[i] <= '9') ||
		      kv[i] == '-'))
			return false;
	/* a bag-info value: no leading blank (a continuation line's mark) */
	return eq[1] != ' ' && eq[1] != '\t' && esc_text_is_plain(eq + 1, v);
}

escrow_options *escrow_options_new(void)
{
	return calloc(1, sizeof(escrow_options));
}

static void list_clear(struct esc_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void escrow_options_free(escrow_options *o)
{
	if (o == NULL)
		return;
	free(o->source);
	free(o->output);
	free(o->bundle);
	free(o->target);
	free(o->name);
	free(o->release);
	list_clear(&o->excludes);
	list_clear(&o->deliverables);
	free(o->ledger);
	free(o->notary_key);
	free(o->notary_identity);
	free(o->contract_file);
	free(o->contract_id);
	free(o->key_id);
	free(o->reason);
	free(o->receipt);
	free(o->deposit);
	free(o->event);
	free(o->evidence);
	free(o->against);
	free(o->other_bundle);
	free(o->lang);
	list_clear(&o->key_files);
	list_clear(&o->meta);
	free(o);
}

const char *escrow_options_error(const escrow_options *o)
{
	return o == NULL ? "" : o->error;
}

static escrow_status refuse(escrow_options *o, escrow_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static escrow_status refuse(escrow_options *o, escrow_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->error, sizeof o->error, fmt, ap);
	va_end(ap);
	return st;
}

/* ESCROW_OK when opt is a known option of type t; else the refusal. */
static escrow_status check(escrow_options *o, enum escrow_option opt, enum opt_type t)
{
	if (o == NULL)
		return ESCROW_E_USAGE;
	o->error[0] = '\0';
	if ((unsigned)opt >= N_OPTS || opts[opt].type == T_NONE)
		return refuse(o, ESCROW_E_USAGE, "option %d: no such option (this is libescrow %s)", (int)opt,
		              ESCROW_VERSION);
	if (opts[opt].type != t && !(t == T_STRING && opts[opt].type == T_LIST))
		return refuse(o, ESCROW_E_USAGE, "option %d (%s) is of type %s, not %s", (int)opt, opts[opt].name,
		              type_names[opts[opt].type], type_names[t]);
	return ESCROW_OK;
}

static escrow_status list_add(escrow_options *o, struct esc_strlist *l, const char *v)
{
	char *copy;

	if (v == NULL) {
		list_clear(l);
		return ESCROW_OK;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **nv = realloc(l->v, cap * sizeof *nv);

		if (nv == NULL)
			return refuse(o, ESCROW_E_NOMEM, "out of memory");
		l->v = nv;
		l->cap = cap;
	}
	copy = strdup(v);
	if (copy == NULL)
		return refuse(o, ESCROW_E_NOMEM, "out of memory");
	l->v[l->n++] = copy;
	return ESCROW_OK;
}

static char **string_field(escrow_options *o, enum escrow_option opt)
{
	switch (opt) {
	case ESCROW_OPT_SOURCE: return &o->source;
	case ESCROW_OPT_OUTPUT: return &o->output;
	case ESCROW_OPT_BUNDLE: return &o->bundle;
	case ESCROW_OPT_TARGET: return &o->target;
	case ESCROW_OPT_NAME: return &o->name;
	case ESCROW_OPT_RELEASE: return &o->release;
	case ESCROW_OPT_LEDGER: return &o->ledger;
	case ESCROW_OPT_NOTARY_KEY: return &o->notary_key;
	case ESCROW_OPT_NOTARY_IDENTITY: return &o->notary_identity;
	case ESCROW_OPT_CONTRACT_FILE: return &o->contract_file;
	case ESCROW_OPT_CONTRACT_ID: return &o->contract_id;
	case ESCROW_OPT_KEY_ID: return &o->key_id;
	case ESCROW_OPT_REASON: return &o->reason;
	case ESCROW_OPT_RECEIPT: return &o->receipt;
	case ESCROW_OPT_DEPOSIT: return &o->deposit;
	case ESCROW_OPT_EVENT: return &o->event;
	case ESCROW_OPT_EVIDENCE: return &o->evidence;
	case ESCROW_OPT_AGAINST: return &o->against;
	case ESCROW_OPT_OTHER_BUNDLE: return &o->other_bundle;
	case ESCROW_OPT_LANG: return &o->lang;
	default: return NULL;
	}
}

escrow_status escrow_options_set_string(escrow_options *o, enum escrow_option opt, const char *v)
{
	escrow_status st = check(o, opt, T_STRING);
	char **field, *copy = NULL;

	if (st != ESCROW_OK)
		return st;
	if (opt == ESCROW_OPT_EXCLUDE)
		return list_add(o, &o->excludes, v);
	if (opt == ESCROW_OPT_DELIVERABLE)
		return list_add(o, &o->deliverables, v);
	if (opt == ESCROW_OPT_KEY_FILE)
		return list_add(o, &o->key_files, v);
	if (opt == ESCROW_OPT_META) {
		if (v != NULL && !esc_meta_ok(v)) {
			char shown[48];

			/* shown escaped, and cut: it may be anything */
			if (esc_escape(shown, sizeof shown - 3, v, strlen(v), ESC_ESCAPE_TEXT) >= sizeof shown - 3)
				strcat(shown, "...");
			return refuse(o, ESCROW_E_USAGE, "ESCROW_OPT_META: '%s' is not KEY=VALUE (KEY: 1 to %d letters, "
			              "digits and dashes; VALUE: 1 to %d bytes of UTF-8 on one line, no control characters)",
			              shown, ESC_META_KEY_MAX, ESC_META_VALUE_MAX);
		}
		return list_add(o, &o->meta, v);
	}
	field = string_field(o, opt);
	if (field == NULL)
		return refuse(o, ESCROW_E_INTERNAL, "option %d (%s): no field", (int)opt, opts[opt].name);
	if (v != NULL) {
		copy = strdup(v);
		if (copy == NULL)
			return refuse(o, ESCROW_E_NOMEM, "out of memory");
	}
	free(*field);
	*field = copy;
	return ESCROW_OK;
}

escrow_status escrow_options_set_int(escrow_options *o, enum escrow_option opt, int64_t v)
{
	escrow_status st = check(o, opt, T_INT);

	if (st != ESCROW_OK)
		return st;
	if (opt == ESCROW_OPT_LEVEL) {
		if (v < 0 || v > 19)
			return refuse(o, ESCROW_E_USAGE, "ESCROW_OPT_LEVEL: %lld is out of range 0..19 (0: the default, 3)",
			              (long long)v);
		o->level = (int)v;
		return ESCROW_OK;
	}
	if (opt == ESCROW_OPT_SAMPLE) {
		if (v < 0 || v > 100)
			return refuse(o, ESCROW_E_USAGE, "ESCROW_OPT_SAMPLE: %lld is out of range 0..100 (percent; 0: all)",
			              (long long)v);
		o->sample = (int)v;
		return ESCROW_OK;
	}
	if (opt == ESCROW_OPT_MAX_SECONDS) {
		if (v < 0 || v > 31536000)
			return refuse(o, ESCROW_E_USAGE, "ESCROW_OPT_MAX_SECONDS: %lld is out of range 0..31536000 (0: no "
			              "limit)", (long long)v);
		o->max_seconds = v;
		return ESCROW_OK;
	}
	if (v < 0 || ((uint64_t)v & ~(uint64_t)KNOWN_FLAGS) != 0)
		return refuse(o, ESCROW_E_USAGE, "ESCROW_OPT_FLAGS: 0x%llx has bits that are no ESCROW_* flag",
		              (unsigned long long)v);
	o->flags = (unsigned)v;
	return ESCROW_OK;
}

escrow_status escrow_options_set_seckey(escrow_options *o, enum escrow_option opt, const escrow_seckey *v)
{
	escrow_status st = check(o, opt, T_SECKEY);

	if (st == ESCROW_OK)
		o->signing_key = v;
	return st;
}

escrow_status escrow_options_set_pubkey(escrow_options *o, enum escrow_option opt, const escrow_pubkey *v)
{
	escrow_status st = check(o, opt, T_PUBKEY);

	if (st == ESCROW_OK)
		o->public_key = v;
	return st;
}

escrow_status escrow_options_set_contract(escrow_options *o, enum escrow_option opt, const escrow_contract *v)
{
	escrow_status st = check(o, opt, T_CONTRACT);

	if (st == ESCROW_OK)
		o->contract = v;
	return st;
}

escrow_status escrow_options_set_recipients(escrow_options *o, enum escrow_option opt, const escrow_recipients *v)
{
	escrow_status st = check(o, opt, T_RECIPIENTS);

	if (st == ESCROW_OK)
		o->recipients = v;
	return st;
}

escrow_status escrow_options_set_identities(escrow_options *o, enum escrow_option opt, const escrow_identities *v)
{
	escrow_status st = check(o, opt, T_IDENTITIES);

	if (st == ESCROW_OK)
		o->identities = v;
	return st;
}
