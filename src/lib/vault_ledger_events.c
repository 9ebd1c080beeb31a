/* vault_ledger_events.c -- the append-only event log, a hash chain:
 *
 *   hash_n = SHA-256( hash_{n-1} || canonical_json(event_n) ),  hash_0 = 32 zero bytes
 *
 * hash_{n-1} as its 32 raw bytes, the JSON as stored (events.body), which is
 * what is hashed, byte for byte: verification never re-serialises, so a later
 * jansson that writes differently cannot break an old chain. An event is
 * {"data": {...}, "kind": K, "seq": N, "time": "YYYY-MM-DDTHH:MM:SSZ"}.
 * Appends run inside the backend's write transaction (BEGIN IMMEDIATE on
 * SQLite, an advisory lock on PostgreSQL), so the head read here is the head
 * the new event is committed on: the chain never forks. */
#include "esc_vault_ledger.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

void esc_ledger_now(const esc_ledger *l, char buf[21])
{
	time_t t = l->fixed_time >= 0 ? (time_t)l->fixed_time : time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		memcpy(buf, "1970-01-01T00:00:00Z", 21);
}

/* Reals are printed by jansson with "%.17g" and may not read back the same
 * everywhere: events hold integers, strings, booleans and null only. */
static bool has_real(const json_t *v, int depth)
{
	const char *key;
	json_t *item;
	size_t i;

	if (depth > 32)
		return true;
	if (json_is_real(v))
		return true;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
			if (has_real(item, depth + 1))
				return true;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if (has_real(item, depth + 1))
				return true;
	}
	return false;
}

char *esc_event_canonical(escrow_ctx *ctx, const json_t *v)
{
	char *s;

	if (has_real(v, 0)) {
		esc_error(ctx, ESCROW_E_USAGE, "ledger event: a real number or nesting deeper than 32 (events hold "
		          "integers, strings, booleans and null)");
		return NULL;
	}
	if ((s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		esc_nomem(ctx);
		return NULL;
	}
	if (strlen(s) > ESC_LEDGER_EVENT_MAX) {
		esc_error(ctx, ESCROW_E_USAGE, "ledger event: %zu bytes of JSON, more than the %u an event may hold",
		          strlen(s), ESC_LEDGER_EVENT_MAX);
		free(s);
		return NULL;
	}
	return s;
}

int esc_event_hash(const uint8_t prev[32], const char *body, size_t len, uint8_t out[32])
{
	esc_sha256 *h = esc_sha256_new();

	if (h == NULL)
		return -1;
	esc_sha256_update(h, prev, 32);
	esc_sha256_update(h, body, len);
	esc_sha256_final(h, out);
	esc_sha256_free(h);
	return 0;
}

/* The last event as stored: seq and hash (zero for an empty log). */
static escrow_status ledger_head(esc_ledger *l, struct esc_event_ref *out)
{
	struct esc_lrows r;
	escrow_status s;
	const char *hex;

	memset(out, 0, sizeof *out);
	s = l->ops->exec(l, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1", 0, NULL, &r);
	if (s != ESCROW_OK || r.rows == 0)
		return s;
	hex = esc_lrows_at(&r, 0, 1);
	out->seq = esc_lrows_at(&r, 0, 0) ? strtoll(esc_lrows_at(&r, 0, 0), NULL, 10) : 0;
	if (out->seq < 1 || hex == NULL || strlen(hex) != 64 || esc_unhex(hex, 64, out->hash, 32) != 0)
		s = esc_error(l->ctx, ESCROW_E_INPUT, "ledger %s: the last event's number or hash is malformed (the "
		              "ledger was altered: check it with 'escrow vault log --verify')", l->name);
	esc_lrows_free(&r);
	return s;
}

static escrow_status insert_event(esc_ledger *l, const char *kind, const char *when, const char *body,
                                  const struct esc_event_ref *prev, struct esc_event_ref *out)
{
	char seq[24], prev_hex[65], hex[65];
	const char *p[6] = {seq, kind, when, body, prev_hex, hex};

	out->seq = prev->seq + 1;
	if (esc_event_hash(prev->hash, body, strlen(body), out->hash) != 0)
		return esc_nomem(l->ctx);
	snprintf(seq, sizeof seq, "%" PRId64, out->seq);
	esc_hex(prev->hash, 32, prev_hex);
	esc_hex(out->hash, 32, hex);
	return l->ops->exec(l, "INSERT INTO events (seq, kind, recorded_at, body, prev_hash, hash) "
	                    "VALUES ($1, $2, $3, $4, $5, $6)", 6, p, NULL);
}

escrow_status esc_ledger_append_tx(esc_ledger *l, const char *kind, const json_t *data, const char *when,
                                   struct esc_event_ref *out)
{
	struct esc_event_ref prev;
	char now[21], *body = NULL;
	json_t *ev, *copy = json_deep_copy(data);
	escrow_status s;

	if ((s = ledger_head(l, &prev)) != ESCROW_OK) {
		json_decref(copy);
		return s;
	}
	if (when == NULL) {
		esc_ledger_now(l, now);
		when = now;
	}
	ev = json_pack("{s:o?, s:s, s:I, s:s}", "data", copy, "kind", kind, "seq", (json_int_t)(prev.seq + 1),
	               "time", when);
	if (ev == NULL || copy == NULL) {
		json_decref(ev);
		return esc_nomem(l->ctx);
	}
	body = esc_event_canonical(l->ctx, ev);
	json_decref(ev);
	if (body == NULL)
		return escrow_ctx_status(l->ctx);
	s = insert_event(l, kind, when, body, &prev, out);
	free(body);
	return s;
}

escrow_status esc_ledger_append(esc_ledger *l, const char *kind, const json_t *data, struct esc_event_ref *out)
{
	struct esc_event_ref ev;
	escrow_status s;

	if (kind == NULL || (strcmp(kind, ESC_EV_AUDIT) != 0 && strcmp(kind, ESC_EV_RELEASE) != 0))
		return esc_error(l->ctx, ESCROW_E_USAGE, "ledger: esc_ledger_append takes audit and release events "
		                 "only, not '%s'", kind ? kind : "(null)");
	if (!json_is_object(data))
		return esc_error(l->ctx, ESCROW_E_USAGE, "ledger: an event's data is a JSON object");
	if ((s = l->ops->begin(l)) != ESCROW_OK)
		return s;
	s = esc_ledger_append_tx(l, kind, data, NULL, &ev);
	if (s == ESCROW_OK)
		s = l->ops->commit(l);
	if (s != ESCROW_OK) {
		l->ops->rollback(l);
		return s;
	}
	if (out != NULL)
		*out = ev;
	return ESCROW_OK;
}

escrow_status esc_ledger_head(esc_ledger *l, struct esc_event_ref *out)
{
	return ledger_head(l, out);
}

/* Keyset paging (seq > the last one seen, LIMIT 128): the same SQL on both
 * backends, and no cursor held across the caller's work. */
escrow_status esc_ledger_events(esc_ledger *l, int64_t after, int (*fn)(void *user, const struct esc_event_row *ev),
                                void *user)
{
	struct esc_lrows rows;
	struct esc_event_row ev;
	char from[24], max[24];
	const char *p[2] = {from, max};
	escrow_status s;
	size_t i, n;
	int stop = 0;

	snprintf(max, sizeof max, "%u", ESC_LEDGER_EVENT_MAX);
	do {
		snprintf(from, sizeof from, "%" PRId64, after);
		s = l->ops->exec(l, "SELECT seq, kind, recorded_at, CASE WHEN length(body) > CAST($2 AS INTEGER) THEN "
		                 "NULL ELSE body END, prev_hash, hash FROM events WHERE seq > $1 ORDER BY seq LIMIT 128",
		                 2, p, &rows);
		if (s != ESCROW_OK)
			return s;
		n = rows.rows;
		for (i = 0; i < n && !stop; i++) {
			ev.seq = esc_lrows_at(&rows, i, 0) ? strtoll(esc_lrows_at(&rows, i, 0), NULL, 10) : 0;
			ev.kind = esc_lrows_at(&rows, i, 1);
			ev.time = esc_lrows_at(&rows, i, 2);
			ev.body = esc_lrows_at(&rows, i, 3);
			ev.prev_hash = esc_lrows_at(&rows, i, 4);
			ev.hash = esc_lrows_at(&rows, i, 5);
			after = ev.seq;
			stop = fn(user, &ev);
		}
		esc_lrows_free(&rows);
	} while (!stop && n == 128);
	return ESCROW_OK;
}
