/* vault_ledger_verify.c -- checking the event chain: every hash recomputed
 * from the stored JSON, every link to the event before, the numbers in
 * order, and each event's number and kind as its hashed JSON says them. The
 * events come from esc_ledger_events (pages of 128 by seq, each body bounded
 * by the database before it is fetched): memory stays bounded whatever the
 * log's length. The first bad event is
 * named, with the kind of change that explains it:
 *   - a number missing from the sequence: that event was deleted;
 *   - a hash that does not cover the stored JSON, or JSON whose number or
 *     kind differs from the row's: the event was edited;
 *   - an event whose previous hash is the one two back: the event between
 *     was inserted (the chain goes around it);
 *   - any other broken link: the event before was replaced, or events
 *     between were deleted and the rest renumbered.
 * A deleted last event leaves a valid chain: only a known head (a receipt's)
 * shows it, through esc_ledger_verify_against. */
#include "esc_vault_ledger.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

struct walk {
	esc_ledger *l;
	struct esc_chain_report *r;
	escrow_status st;
	uint8_t prev[32], prev2[32]; /* the hashes of the last two good events */
	int64_t expect;
};

escrow_status esc_chain_fault(esc_ledger *l, struct esc_chain_report *r, enum esc_chain_fault f, int64_t seq,
                              const char *fmt, ...)
{
	va_list ap;

	r->fault = f;
	r->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
	return esc_error(l->ctx, ESCROW_TAMPERED, "ledger %s: %s", l->name, r->why);
}

/* The JSON's own number (0 if none) into *own; 1 when its kind is not the
 * row's, 2 when its time is not the row's recorded_at, else 0. */
static int body_says(const char *body, const char *kind, const char *time, int64_t *own)
{
	json_t *v = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
	json_t *s = json_object_get(v, "seq"), *k = json_object_get(v, "kind"), *t = json_object_get(v, "time");
	int rc = 0;

	*own = json_is_integer(s) ? (int64_t)json_integer_value(s) : 0;
	if (!json_is_string(k) || kind == NULL || strcmp(json_string_value(k), kind) != 0)
		rc = 1;
	else if (!json_is_string(t) || time == NULL || strcmp(json_string_value(t), time) != 0)
		rc = 2;
	json_decref(v);
	return rc;
}

/* A hash-valid event under another number than its own, or one that does not
 * link to the event before it. */
static escrow_status misplaced(esc_ledger *l, struct walk *w, int64_t seq, int64_t own, const uint8_t prev[32])
{
	struct esc_chain_report *r = w->r;

	if (seq > 2 && memcmp(prev, w->prev2, 32) == 0)
		return esc_chain_fault(l, r, ESC_CHAIN_INSERTED, seq - 1, "event %" PRId64 " was inserted: event %" PRId64
		             " links to event %" PRId64 " before it", seq - 1, seq, seq - 2);
	if (own > seq)
		return esc_chain_fault(l, r, ESC_CHAIN_DELETED, seq, "event %" PRId64 " was deleted and the later events "
		             "renumbered: event %" PRId64 " is stored as %" PRId64, seq, own, seq);
	if (own < seq)
		return esc_chain_fault(l, r, ESC_CHAIN_INSERTED, seq, "an event was inserted before event %" PRId64 ": event %"
		             PRId64 " is stored as %" PRId64, seq, own, seq);
	return esc_chain_fault(l, r, ESC_CHAIN_UNLINKED, seq, "event %" PRId64 " does not link to event %" PRId64
	             ": that event was replaced, or events between them were deleted", seq, seq - 1);
}

/* One event, in order. */
static escrow_status check_event(esc_ledger *l, struct walk *w, const struct esc_event_row *ev)
{
	const char *body = ev->body, *ph = ev->prev_hash, *h = ev->hash;
	int64_t seq = ev->seq, own;
	uint8_t prev[32], hash[32], want[32];
	struct esc_chain_report *r = w->r;

	if (seq != w->expect)
		return esc_chain_fault(l, r, ESC_CHAIN_DELETED, w->expect, "event %" PRId64 " was deleted: the log goes from "
		             "event %" PRId64 " to event %" PRId64, w->expect, w->expect - 1, seq);
	if (body == NULL || strlen(body) > ESC_LEDGER_EVENT_MAX)
		return esc_chain_fault(l, r, ESC_CHAIN_EDITED, seq, "event %" PRId64 " was edited: its JSON is longer than "
		             "escrow writes", seq);
	if (ph == NULL || h == NULL || strlen(ph) != 64 || strlen(h) != 64 || esc_unhex(ph, 64, prev, 32) != 0 ||
	    esc_unhex(h, 64, hash, 32) != 0)
		return esc_chain_fault(l, r, ESC_CHAIN_EDITED, seq, "event %" PRId64 " was edited: its hashes are not 64 hex "
		             "digits", seq);
	if (esc_event_hash(prev, body, strlen(body), want) != 0)
		return esc_nomem(l->ctx);
	if (memcmp(want, hash, 32) != 0)
		return esc_chain_fault(l, r, ESC_CHAIN_EDITED, seq, "event %" PRId64 " was edited: its hash does not match "
		             "its content", seq);
	switch (body_says(body, ev->kind, ev->time, &own)) {
	case 1:
		return esc_chain_fault(l, r, ESC_CHAIN_EDITED, seq, "event %" PRId64 " was edited: its kind differs from "
		                       "the one its hash covers", seq);
	case 2:
		return esc_chain_fault(l, r, ESC_CHAIN_EDITED, seq, "event %" PRId64 " was edited: its recorded time "
		                       "differs from the one its hash covers", seq);
	default:
		break;
	}
	if (own != seq || memcmp(prev, w->prev, 32) != 0)
		return misplaced(l, w, seq, own, prev);
	memcpy(w->prev2, w->prev, 32);
	memcpy(w->prev, hash, 32);
	r->head.seq = seq;
	memcpy(r->head.hash, hash, 32);
	r->events++;
	w->expect = seq + 1;
	return ESCROW_OK;
}

static int check_cb(void *user, const struct esc_event_row *ev)
{
	struct walk *w = user;

	w->st = check_event(w->l, w, ev);
	return w->st != ESCROW_OK;
}

escrow_status esc_ledger_verify(esc_ledger *l, struct esc_chain_report *r)
{
	struct walk w;
	escrow_status s;

	memset(r, 0, sizeof *r);
	memset(&w, 0, sizeof w);
	w.r = r;
	w.l = l;
	w.expect = 1;
	s = esc_ledger_events(l, 0, check_cb, &w);
	if (s == ESCROW_OK)
		s = w.st;
	/* The chain holds: now the rows people read (list, show, audit,
	 * release) must say what its events say. */
	return s == ESCROW_OK ? esc_ledger_check_tables(l, r) : s;
}

escrow_status esc_ledger_verify_against(esc_ledger *l, int64_t seq, const uint8_t hash[32],
                                        struct esc_chain_report *r)
{
	struct esc_lrows rows;
	char num[24];
	const char *p[1] = {num};
	uint8_t have[32];
	escrow_status s = esc_ledger_verify(l, r);
	const char *h;

	if (s != ESCROW_OK || seq <= 0)
		return s;
	if (seq > r->head.seq)
		return esc_chain_fault(l, r, ESC_CHAIN_DELETED, r->head.seq + 1, "event %" PRId64 " was deleted: the log "
		             "ends at event %" PRId64 ", and the known head is event %" PRId64, r->head.seq + 1,
		             r->head.seq, seq);
	snprintf(num, sizeof num, "%" PRId64, seq);
	if ((s = l->ops->exec(l, "SELECT hash FROM events WHERE seq = $1", 1, p, &rows)) != ESCROW_OK)
		return s;
	h = rows.rows == 1 ? esc_lrows_at(&rows, 0, 0) : NULL;
	if (h == NULL || strlen(h) != 64 || esc_unhex(h, 64, have, 32) != 0 || memcmp(have, hash, 32) != 0)
		s = esc_chain_fault(l, r, ESC_CHAIN_REWRITTEN, seq, "event %" PRId64 " is not the one the known head names: "
		          "the log was rewritten up to it", seq);
	esc_lrows_free(&rows);
	return s;
}
