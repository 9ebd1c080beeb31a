/* vault_audit.c -- escrow_vault_audit: fixity of the store, as
 * digital-preservation repositories check it (docs/VAULT.md, "Audit"). The
 * deposits are taken least recently audited first (deposits.audited_at,
 * ledger migration 2; never audited first of all, then by number), so that a
 * sampled or time-bounded run goes on where the last one stopped. The run is
 * recorded as one audit event holding every result, and each checked
 * deposit's audited_at set, in one transaction. A deposit received before
 * ledger schema 3 (minisig_stored NULL) whose detached signature verifies
 * gets minisig_stored = 1 in that transaction: from then on a deleted
 * signature is found. */
#include "esc_api.h"
#include "esc_escape.h"
#include "esc_vault_audit.h"
#include "esc_vault_ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COLS "CAST(id AS TEXT), bundle_sha256, CAST(bundle_size AS TEXT), store_path, signer_key_id, contract_id," \
	" contract_sha256, verdict, CAST(minisig_stored AS TEXT)"
/* An event's JSON is bounded (ESC_LEDGER_EVENT_MAX): it names at most this
 * many deposits that held, failures and strays; past that, their counts
 * (ok_count, failed_count, stray_count). The report printed names them all. */
#define OK_LIST_MAX 2000
#define FAILED_LIST_MAX 64
#define STRAY_LIST_MAX 64

struct audit {
	escrow_vault *v;
	struct esc_lrows rows;
	size_t todo;          /* how many of rows this run takes */
	json_t *ok, *failed, *strays;
	json_t *ev_failed;    /* releases whose stored evidence changed (vault_audit_evidence.c) */
	size_t checked, n_ok, ev_checked;
	bool *noted;          /* per row: a signature seen to verify where the ledger did not know of one */
	struct esc_event_ref ev;
};

static double now_s(const escrow_vault *v)
{
	struct timespec ts;

	if (v->clock != NULL)
		return v->clock(v->clock_user);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void esc_vault_set_clock(escrow_vault *v, double (*clock)(void *user), void *user)
{
	v->clock = clock;
	v->clock_user = user;
}

static void dep_at(const struct esc_lrows *r, size_t i, struct esc_audit_dep *d)
{
	d->id = strtoll(esc_lrows_at(r, i, 0), NULL, 10);
	d->sha = esc_lrows_at(r, i, 1);
	d->size = strtoull(esc_lrows_at(r, i, 2), NULL, 10);
	d->store = esc_lrows_at(r, i, 3);
	d->signer = esc_lrows_at(r, i, 4);
	d->contract_id = esc_lrows_at(r, i, 5);
	d->contract_sha = esc_lrows_at(r, i, 6);
	d->verdict = esc_lrows_at(r, i, 7);
	d->minisig = esc_lrows_at(r, i, 8) == NULL ? -1 : esc_lrows_at(r, i, 8)[0] == '1';
}

static escrow_status select_deps(struct audit *a, const escrow_options *o)
{
	esc_ledger *l = a->v->ledger;
	escrow_status st = l->ops->exec(l, "SELECT " COLS " FROM deposits ORDER BY COALESCE(audited_at, ''), id", 0,
	                                NULL, &a->rows);

	if (st != ESCROW_OK)
		return st;
	a->todo = a->rows.rows;
	if (a->rows.rows > 0 && (a->noted = calloc(a->rows.rows, sizeof *a->noted)) == NULL)
		return esc_nomem(a->v->ctx);
	if (o->sample > 0 && o->sample < 100) /* rounded up: a sample of a non-empty vault checks one at least */
		a->todo = (a->rows.rows * (size_t)o->sample + 99) / 100;
	return ESCROW_OK;
}

/* The first max items of a (a new reference). */
static json_t *first(json_t *a, size_t max)
{
	json_t *out = json_array();
	size_t i;

	for (i = 0; out != NULL && i < json_array_size(a) && i < max; i++)
		if (json_array_append(out, json_array_get(a, i)) != 0) {
			json_decref(out);
			return NULL;
		}
	return out;
}

static escrow_status note(struct audit *a, const struct esc_audit_dep *d, const char *why)
{
	escrow_ctx *ctx = a->v->ctx;

	a->checked++;
	if (why[0] != '\0') {
		json_t *f = json_pack("{s:I, s:o?, s:o?}", "deposit", (json_int_t)d->id, "sha256", esc_json_string(d->sha),
		                      "why", esc_json_string(why));

		return f && json_array_append_new(a->failed, f) == 0 ? ESCROW_OK : esc_nomem(ctx);
	}
	a->n_ok++;
	if (a->n_ok <= OK_LIST_MAX && json_array_append_new(a->ok, json_integer((json_int_t)d->id)) != 0)
		return esc_nomem(ctx);
	return ESCROW_OK;
}

static escrow_status check_all(struct audit *a, const escrow_options *o, bool full)
{
	escrow_identities *ids = NULL;
	double start = now_s(a->v);
	escrow_status st = ESCROW_OK;
	uint64_t bytes = 0, bytes_total = 0;
	size_t i;

	if (full && a->v->identity != NULL)
		st = escrow_identities_load(a->v->ctx, a->v->identity, &ids);
	for (i = 0; i < a->todo; i++)
		bytes_total += strtoull(esc_lrows_at(&a->rows, i, 2), NULL, 10);
	esc_progress_ex(a->v->ctx, ESCROW_PHASE_AUDIT, a->v->path, 0, a->todo, 0, bytes_total);
	for (i = 0; st == ESCROW_OK && i < a->todo; i++) {
		struct esc_audit_dep d;
		char why[ESC_AUDIT_WHY];
		bool sig_ok;

		if (o->max_seconds > 0 && i > 0 && now_s(a->v) - start >= (double)o->max_seconds)
			break; /* between deposits, never inside one; one deposit at least per run */
		dep_at(&a->rows, i, &d);
		st = esc_audit_one(a->v, &d, ids, full, why, &sig_ok);
		if (st == ESCROW_OK)
			st = note(a, &d, why);
		a->noted[i] = sig_ok && d.minisig < 0;
		bytes += d.size;
		esc_progress_ex(a->v->ctx, ESCROW_PHASE_AUDIT, a->v->path, i + 1, a->todo, bytes, bytes_total);
	}
	/* A time-bounded run ends short of its totals, and says so. */
	esc_progress_ex(a->v->ctx, ESCROW_PHASE_AUDIT | ESCROW_PROGRESS_END, a->v->path, i, a->todo, bytes,
	                bytes_total);
	escrow_identities_free(ids);
	return st;
}

/* The event and the audit times, in one transaction. */
static escrow_status record(struct audit *a, const escrow_options *o, bool full)
{
	esc_ledger *l = a->v->ledger;
	char when[21], num[24];
	const char *p[2] = {when, num};
	escrow_status st;
	json_t *data, *found;
	size_t i, n_found = 0;

	data = json_pack("{s:s, s:i, s:I, s:I, s:I, s:O, s:o?, s:o?}", "mode", full ? "full" : "fast", "sample",
	                 o->sample, "max_seconds", (json_int_t)o->max_seconds, "checked", (json_int_t)a->checked, "left",
	                 (json_int_t)(a->rows.rows - a->checked), "ok", a->ok, "failed", first(a->failed, FAILED_LIST_MAX),
	                 "strays", first(a->strays, STRAY_LIST_MAX));
	if (data == NULL || !json_is_array(json_object_get(data, "failed")) ||
	    !json_is_array(json_object_get(data, "strays"))) {
		json_decref(data);
		return esc_nomem(a->v->ctx);
	}
	/* the releases' evidence (at most FAILED_LIST_MAX failures named, as
	 * for deposits); nothing when the vault released nothing */
	if (a->ev_checked > 0 &&
	    (json_object_set_new(data, "evidence_checked", json_integer((json_int_t)a->ev_checked)) ||
	     json_object_set_new(data, "evidence_failed", first(a->ev_failed, FAILED_LIST_MAX)))) {
		json_decref(data);
		return esc_nomem(a->v->ctx);
	}
	if (a->n_ok > OK_LIST_MAX)
		json_object_set_new(data, "ok_count", json_integer((json_int_t)a->n_ok));
	if (json_array_size(a->failed) > FAILED_LIST_MAX)
		json_object_set_new(data, "failed_count", json_integer((json_int_t)json_array_size(a->failed)));
	if (json_array_size(a->strays) > STRAY_LIST_MAX)
		json_object_set_new(data, "stray_count", json_integer((json_int_t)json_array_size(a->strays)));
	/* The deposits whose minisig_stored this audit sets to 1: in the event,
	 * so that the row is checked against it (vault_ledger_audits.c). At
	 * most OK_LIST_MAX a run; the others are set by the next audits. */
	found = json_array();
	for (i = 0; found != NULL && i < a->checked; i++)
		if (a->noted[i] && json_array_size(found) < OK_LIST_MAX &&
		    json_array_append_new(found, json_integer(strtoll(esc_lrows_at(&a->rows, i, 0), NULL, 10))) != 0)
			break;
	if (found == NULL || i < a->checked) {
		json_decref(found);
		json_decref(data);
		return esc_nomem(a->v->ctx);
	}
	if (json_array_size(found) > 0)
		json_object_set_new(data, "minisig_found", found);
	else
		json_decref(found);
	if ((st = l->ops->begin(l)) != ESCROW_OK) {
		json_decref(data);
		return st;
	}
	esc_ledger_now(l, when);
	for (i = 0; st == ESCROW_OK && i < a->checked; i++) {
		snprintf(num, sizeof num, "%s", esc_lrows_at(&a->rows, i, 0));
		st = l->ops->exec(l, "UPDATE deposits SET audited_at = $1 WHERE id = CAST($2 AS BIGINT)", 2, p, NULL);
		if (st == ESCROW_OK && a->noted[i] && n_found++ < OK_LIST_MAX)
			st = l->ops->exec(l, "UPDATE deposits SET minisig_stored = 1 WHERE id = CAST($1 AS BIGINT)"
			                  " AND minisig_stored IS NULL", 1, p + 1, NULL);
	}
	if (st == ESCROW_OK)
		st = esc_ledger_append_tx(l, ESC_EV_AUDIT, data, when, &a->ev);
	if (st == ESCROW_OK)
		st = l->ops->commit(l);
	if (st != ESCROW_OK)
		l->ops->rollback(l);
	json_decref(data);
	return st;
}

static bool is_bundle(const char *rel)
{
	size_t n = strlen(rel);

	return n > 7 && strcmp(rel + n - 7, ".escrow") == 0;
}

/* Each stray gets "remove": its absolute path, for the report only (the
 * event keeps the relative path). */
static escrow_status removal(struct audit *a)
{
	char *top = realpath(a->v->path, NULL);
	json_t *f, *js;
	size_t i;

	json_array_foreach(a->strays, i, f) {
		const char *rel = json_string_value(json_object_get(f, "path"));
		char *q;

		if (rel == NULL || strcmp(rel, "store/sha256") == 0)
			continue; /* the store folder itself: nothing to remove */
		q = esc_strf("%s/%s", top != NULL ? top : a->v->path, rel);
		if (q == NULL) {
			free(top);
			return esc_nomem(a->v->ctx);
		}
		js = json_string(q); /* NULL for a path that is no UTF-8: no advice then */
		free(q);
		if (js != NULL && json_object_set_new(f, "remove", js) != 0) {
			free(top);
			return esc_nomem(a->v->ctx);
		}
	}
	free(top);
	return ESCROW_OK;
}

/* Text from the ledger, the store's file names and the vault's path, as a
 * terminal may show it (escaped once, as escrow_escape does). */
static char *shown(const char *s)
{
	return esc_escape_dup(s ? s : "", s ? strlen(s) : 0, ESC_ESCAPE_TEXT);
}

/* s as one word for the shell, for the rm line: a stray's name is whatever
 * was put in the store, and the line must remove that file and nothing
 * else. Plain text goes between single quotes, each ' as '\'' (a backslash
 * there is itself, not an escape, so it is not doubled as shown() would);
 * text holding a control, or bytes that are not UTF-8, goes into $'...'
 * (bash, zsh, ksh; POSIX.1-2024) with every byte outside printable ASCII,
 * ' and \ as \xNN, so nothing raw reaches the terminal either. */
static char *shell_word(const char *s)
{
	size_t n = strlen(s), i, j = 0;
	bool plain = esc_text_is_plain(s, n);
	char *q = malloc(4 * n + 4);

	if (q == NULL)
		return NULL;
	if (!plain)
		q[j++] = '$';
	q[j++] = '\'';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (plain && c == '\'') {
			memcpy(q + j, "'\\''", 4);
			j += 4;
		} else if (!plain && (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\')) {
			snprintf(q + j, 5, "\\x%02x", c);
			j += 4;
		} else {
			q[j++] = (char)c;
		}
	}
	q[j++] = '\'';
	q[j] = '\0';
	return q;
}

/* One stream for every line: a text rebuilt per line grew as the square of
 * the failures and strays. */
static char *render_text(const struct audit *a, bool full)
{
	char *path = shown(a->v->path), *out = NULL;
	size_t len = 0, i;
	FILE *t = open_memstream(&out, &len);
	bool ok = t != NULL && path != NULL;
	json_t *f;

	if (ok)
		fprintf(t, "audit (%s) of vault %s: %zu deposit(s) checked, %zu failed, %zu left for the next run, %zu stray "
		        "file(s); event %lld\n", full ? "full" : "fast", path, a->checked, json_array_size(a->failed),
		        a->rows.rows - a->checked, json_array_size(a->strays), (long long)a->ev.seq);
	free(path);
	json_array_foreach(a->failed, i, f) {
		char *sha = shown(json_string_value(json_object_get(f, "sha256")));
		char *why = shown(json_string_value(json_object_get(f, "why")));

		ok = ok && sha && why;
		if (ok)
			fprintf(t, "FAILED deposit %lld (%.16s): %s\n", (long long)json_integer_value(json_object_get(f, "deposit")),
			        sha, why);
		free(sha);
		free(why);
	}
	json_array_foreach(a->ev_failed, i, f) {
		char *why = shown(json_string_value(json_object_get(f, "why")));

		ok = ok && why;
		if (ok)
			fprintf(t, "FAILED evidence of release event %lld: %s\n",
			        (long long)json_integer_value(json_object_get(f, "release_event")), why);
		free(why);
	}
	json_array_foreach(a->strays, i, f) {
		const char *rm = json_string_value(json_object_get(f, "remove"));
		const char *why = json_string_value(json_object_get(f, "why"));
		const char *rel = json_string_value(json_object_get(f, "path"));
		char *rm_s = rm ? shell_word(rm) : NULL, *rel_s = shown(rel);
		char *fix = rm == NULL || rm_s == NULL
		                    ? strdup("")
		                    : esc_strf("; %s%s (when no receive is running) with rm -- %s",
		                               strncmp(why, "no deposit", 10) == 0 ? "" : "no deposit refers to it: ",
		                               rel && is_bundle(rel) ? "receive that bundle again to record it, or remove it"
		                                              : "remove it", rm_s);

		ok = ok && fix && rel_s;
		if (ok)
			fprintf(t, "STRAY %s: %s%s\n", rel_s, why, fix);
		free(rm_s);
		free(rel_s);
		free(fix);
	}
	if (t != NULL && ferror(t))
		ok = false;
	if (t != NULL && fclose(t) != 0)
		ok = false;
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

static char *render(const struct audit *a, bool full, unsigned flags)
{
	json_t *root;
	char *s;

	if (!(flags & ESCROW_JSON))
		return render_text(a, full);
	root = json_pack("{s:s, s:o?, s:s, s:I, s:I, s:I, s:O, s:O, s:O}", "schema", "escrow-vault-audit/1", "vault",
	                 esc_json_string(a->v->path), "mode", full ? "full" : "fast",
	                 "checked", (json_int_t)a->checked, "left", (json_int_t)(a->rows.rows - a->checked), "event",
	                 (json_int_t)a->ev.seq, "ok", a->ok, "failed", a->failed, "strays", a->strays);
	if (root != NULL && (json_object_set_new(root, "evidence_checked", json_integer((json_int_t)a->ev_checked)) ||
	                     json_object_set(root, "evidence_failed", a->ev_failed))) {
		json_decref(root);
		root = NULL;
	}
	s = root ? esc_json_safe(json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS)) : NULL;
	json_decref(root);
	return s;
}

escrow_status escrow_vault_audit(escrow_vault *v, const escrow_options *o, unsigned flags, char **out)
{
	struct audit a = {.v = v};
	struct esc_chain_report chain = {0};
	bool full = (flags & ESCROW_FULL) != 0;
	escrow_status st;

	if (out != NULL)
		*out = NULL;
	if (v == NULL || o == NULL || out == NULL)
		return v ? esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_audit: NULL argument") : ESCROW_E_USAGE;
	a.ok = json_array();
	a.failed = json_array();
	a.strays = json_array();
	a.ev_failed = json_array();
	/* The rows it is about to trust (a minisig_stored turned to 0 would
	 * hide a deleted signature; an audited_at moved on, a deposit from the
	 * sample): each against the events that wrote it. */
	st = a.ok && a.failed && a.strays && a.ev_failed ? esc_ledger_check_deposit_rows(v->ledger, &chain) : esc_nomem(v->ctx);
	if (st == ESCROW_TAMPERED)
		esc_error_prefix(v->ctx, "vault %s: nothing was audited: the ledger does not hold what its log says "
		                 "('escrow vault log --verify' shows it)", v->path);
	if (st == ESCROW_OK)
		st = select_deps(&a, o);
	if (st == ESCROW_OK)
		st = check_all(&a, o, full);
	if (st == ESCROW_OK)
		st = esc_audit_strays(v, a.strays);
	if (st == ESCROW_OK)
		st = esc_audit_evidence(v, a.ev_failed, &a.ev_checked);
	if (st == ESCROW_OK)
		st = record(&a, o, full);
	if (st == ESCROW_OK)
		st = removal(&a);
	if (st == ESCROW_OK && (*out = render(&a, full, flags)) == NULL)
		st = esc_nomem(v->ctx);
	if (st == ESCROW_OK && json_array_size(a.failed) + json_array_size(a.strays) + json_array_size(a.ev_failed) > 0)
		st = esc_error(v->ctx, ESCROW_TAMPERED, "vault %s: %zu deposit(s) failed the audit, %zu release "
		               "evidence document(s), %zu stray file(s) in the store (audit event %lld)", v->path,
		               json_array_size(a.failed), json_array_size(a.ev_failed), json_array_size(a.strays),
		               (long long)a.ev.seq);
	esc_lrows_free(&a.rows);
	free(a.noted);
	json_decref(a.ok);
	json_decref(a.failed);
	json_decref(a.strays);
	json_decref(a.ev_failed);
	return st;
}
