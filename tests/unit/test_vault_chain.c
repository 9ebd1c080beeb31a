/* test_vault_chain.c -- the ledger's event chain (vault_ledger_events.c,
 * vault_ledger_verify.c) on SQLite, and on PostgreSQL when ESCROW_TEST_PG holds
 * a conninfo (ctest unit_vault_chain_pg): canonical JSON; the formula checked
 * by hand; the chain tampered with through the database's own client API and
 * each change named by the event it hit (edited, deleted, deleted last and
 * seen against the old head, inserted, replaced); ten processes appending at
 * once give ten events on one linear chain. */
#include "ledger_raw.h"

static void test_canonical(void **state)
{
	json_t *v = json_pack("{s:i, s:s, s:[b, n], s:{s:s, s:s}}", "b", 1, "a", "\xc3\xa9\n\"", "c", 1, "d", "z", "y",
	                      "y", "\xe2\x82\xac");
	char *s;

	(void)state;
	s = esc_event_canonical(ctx, v);
	assert_string_equal(s, "{\"a\":\"\xc3\xa9\\n\\\"\",\"b\":1,\"c\":[true,null],\"d\":{\"y\":\"\xe2\x82\xac\",\"z\":\"y\"}}");
	free(s);
	json_decref(v);
	v = json_pack("{s:f}", "x", 0.5);
	assert_null(esc_event_canonical(ctx, v));
	expect_err(escrow_ctx_status(ctx), ESCROW_E_USAGE, "real number");
	json_decref(v);
}

static void expect_fault(esc_ledger *l, enum esc_chain_fault f, int64_t seq, const char *needle)
{
	struct esc_chain_report r;
	escrow_status s = esc_ledger_verify(l, &r);

	if (s != ESCROW_TAMPERED || r.fault != f || r.bad_seq != seq || strstr(r.why, needle) == NULL ||
	    strstr(escrow_ctx_error(ctx), needle) == NULL)
		fail_msg("verify: status %d fault %d event %lld '%s' (want fault %d event %lld '%s')", s, r.fault,
		         (long long)r.bad_seq, r.why, f, (long long)seq, needle);
}

static void test_chain_ok(void **state)
{
	esc_ledger *l = ledger_with_events(7);
	struct esc_chain_report r;
	struct esc_event_ref head;
	uint8_t zero[32] = {0}, prev[32], h[32];
	char *body, *hex, *prev_hex;

	(void)state;
	assert_int_equal(esc_ledger_verify(l, &r), ESCROW_OK);
	assert_int_equal(r.events, 7);
	assert_int_equal(r.fault, ESC_CHAIN_OK);
	assert_int_equal(esc_ledger_head(l, &head), ESCROW_OK);
	assert_int_equal(head.seq, 7);
	assert_memory_equal(head.hash, r.head.hash, 32);
	assert_int_equal(esc_ledger_verify_against(l, head.seq, head.hash, &r), ESCROW_OK);
	esc_ledger_close(l);
	/* the formula by hand: genesis, then event 5 from event 4's hash */
	raw_open();
	body = raw_str("SELECT body FROM events WHERE seq = 1");
	hex = raw_str("SELECT hash FROM events WHERE seq = 1");
	assert_int_equal(esc_event_hash(zero, body, strlen(body), h), 0);
	assert_int_equal(esc_unhex(hex, 64, prev, 32), 0);
	assert_memory_equal(h, prev, 32);
	assert_non_null(strstr(body, "\"kind\":\"contract-add\",\"seq\":1,\"time\":\""));
	free(body);
	free(hex);
	prev_hex = raw_str("SELECT hash FROM events WHERE seq = 4");
	body = raw_str("SELECT body FROM events WHERE seq = 5");
	hex = raw_str("SELECT hash FROM events WHERE seq = 5");
	assert_int_equal(esc_unhex(prev_hex, 64, prev, 32), 0);
	assert_int_equal(esc_event_hash(prev, body, strlen(body), h), 0);
	assert_int_equal(esc_unhex(hex, 64, prev, 32), 0);
	assert_memory_equal(h, prev, 32);
	free(body);
	free(hex);
	free(prev_hex);
}

struct seen {
	int n, stop_at;        /* stop_at 0: read to the end */
	int64_t last;
	bool ordered;
};

static int count_event(void *user, const struct esc_event_row *ev)
{
	struct seen *s = user;

	s->ordered = s->ordered && ev->seq == s->last + 1 && ev->body != NULL && strlen(ev->hash) == 64;
	s->last = ev->seq;
	return ++s->n == s->stop_at;
}

/* Listing: in order from where asked, stopping when the callback says. */
static void test_events_list(void **state)
{
	esc_ledger *l = ledger_with_events(300);
	struct seen s = {0, 5, 0, true};

	(void)state;
	assert_int_equal(esc_ledger_events(l, 0, count_event, &s), ESCROW_OK);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.last, 5);
	assert_true(s.ordered);
	s = (struct seen){0, 0, 130, true}; /* across the page boundaries, to the end */
	assert_int_equal(esc_ledger_events(l, 130, count_event, &s), ESCROW_OK);
	assert_int_equal(s.n, 170);
	assert_int_equal(s.last, 300);
	assert_true(s.ordered);
	esc_ledger_close(l);
}

static void test_tamper_edit(void **state)
{
	esc_ledger *l = ledger_with_events(6);

	(void)state;
	raw_open();
	raw_exec("UPDATE events SET body = replace(body, '\"result\":\"ok\"', '\"result\":\"KO\"') WHERE seq = 3");
	expect_fault(l, ESC_CHAIN_EDITED, 3, "event 3 was edited: its hash does not match its content");
	raw_exec("UPDATE events SET body = replace(body, '\"result\":\"KO\"', '\"result\":\"ok\"') WHERE seq = 3");
	assert_int_equal(esc_ledger_verify(l, &(struct esc_chain_report){0}), ESCROW_OK);
	raw_exec("UPDATE events SET kind = 'release' WHERE seq = 4");
	expect_fault(l, ESC_CHAIN_EDITED, 4, "event 4 was edited: its kind differs");
	raw_exec("UPDATE events SET kind = 'audit' WHERE seq = 4");
	/* a body beyond what escrow writes is not even fetched */
	raw_exec(pg ? "UPDATE events SET body = body || repeat('x', 100000) WHERE seq = 2" :
	              "UPDATE events SET body = body || replace(hex(zeroblob(50000)), '0', 'x') WHERE seq = 2");
	expect_fault(l, ESC_CHAIN_EDITED, 2, "event 2 was edited: its JSON is longer than escrow writes");
	esc_ledger_close(l);
}

static void test_tamper_delete_middle(void **state)
{
	esc_ledger *l = ledger_with_events(6);

	(void)state;
	raw_open();
	raw_exec("DELETE FROM events WHERE seq = 4");
	expect_fault(l, ESC_CHAIN_DELETED, 4, "event 4 was deleted: the log goes from event 3 to event 5");
	/* and the rest renumbered to hide the gap */
	raw_exec("UPDATE events SET seq = seq + 999 WHERE seq > 4");
	raw_exec("UPDATE events SET seq = seq - 1000 WHERE seq > 1000");
	expect_fault(l, ESC_CHAIN_DELETED, 4, "event 4 was deleted and the later events renumbered");
	esc_ledger_close(l);
}

static void test_tamper_delete_last(void **state)
{
	esc_ledger *l = ledger_with_events(6);
	struct esc_event_ref head;
	struct esc_chain_report r;
	json_t *data;

	(void)state;
	assert_int_equal(esc_ledger_head(l, &head), ESCROW_OK);
	raw_open();
	raw_exec("DELETE FROM events WHERE seq = 6");
	assert_int_equal(esc_ledger_verify(l, &r), ESCROW_OK); /* a shorter chain is a valid chain */
	assert_int_equal(r.events, 5);
	assert_int_equal(esc_ledger_verify_against(l, head.seq, head.hash, &r), ESCROW_TAMPERED);
	assert_int_equal(r.fault, ESC_CHAIN_DELETED);
	assert_int_equal(r.bad_seq, 6);
	assert_non_null(strstr(escrow_ctx_error(ctx), "event 6 was deleted: the log ends at event 5"));
	/* an event appended since then takes number 6 with another hash */
	data = json_object();
	assert_int_equal(esc_ledger_append(l, ESC_EV_AUDIT, data, NULL), ESCROW_OK);
	json_decref(data);
	assert_int_equal(esc_ledger_verify_against(l, head.seq, head.hash, &r), ESCROW_TAMPERED);
	assert_int_equal(r.fault, ESC_CHAIN_REWRITTEN);
	assert_int_equal(r.bad_seq, 6);
	esc_ledger_close(l);
}

/* A forger who knows the formula: event 3 made to link to event 2 with a
 * valid hash, the later events moved up one. */
static void test_tamper_insert(void **state)
{
	esc_ledger *l = ledger_with_events(6);
	const char *body = "{\"data\":{\"round\":3,\"result\":\"forged\"},\"kind\":\"audit\",\"seq\":3,"
	                   "\"time\":\"2026-12-06T07:00:00Z\"}";
	uint8_t prev[32], h[32];
	char *prev_hex, hex[65], *sql;

	(void)state;
	raw_open();
	prev_hex = raw_str("SELECT hash FROM events WHERE seq = 2");
	assert_int_equal(esc_unhex(prev_hex, 64, prev, 32), 0);
	assert_int_equal(esc_event_hash(prev, body, strlen(body), h), 0);
	esc_hex(h, 32, hex);
	raw_exec("UPDATE events SET seq = seq + 1000 WHERE seq >= 3");
	raw_exec("UPDATE events SET seq = seq - 999 WHERE seq > 1000");
	sql = esc_strf("INSERT INTO events (seq, kind, recorded_at, body, prev_hash, hash) VALUES (3, 'audit', "
	               "'2026-12-06T07:00:00Z', '%s', '%s', '%s')", body, prev_hex, hex);
	raw_exec(sql);
	expect_fault(l, ESC_CHAIN_INSERTED, 3, "event 3 was inserted: event 4 links to event 2 before it");
	free(sql);
	free(prev_hex);
	esc_ledger_close(l);
}

/* Event 3 replaced by a forger who recomputed its hash: event 4 no longer
 * links to it. */
static void test_tamper_replace(void **state)
{
	esc_ledger *l = ledger_with_events(6);
	const char *body = "{\"data\":{},\"kind\":\"audit\",\"seq\":3,\"time\":\"2026-12-06T07:00:00Z\"}";
	uint8_t prev[32], h[32];
	char *prev_hex, hex[65], *sql;

	(void)state;
	raw_open();
	prev_hex = raw_str("SELECT hash FROM events WHERE seq = 2");
	assert_int_equal(esc_unhex(prev_hex, 64, prev, 32), 0);
	assert_int_equal(esc_event_hash(prev, body, strlen(body), h), 0);
	esc_hex(h, 32, hex);
	sql = esc_strf("UPDATE events SET body = '%s', hash = '%s' WHERE seq = 3", body, hex);
	raw_exec(sql);
	expect_fault(l, ESC_CHAIN_UNLINKED, 4, "event 4 does not link to event 3");
	free(sql);
	free(prev_hex);
	esc_ledger_close(l);
}

/* Ten processes receive at once (after a barrier): ten deposits, numbered
 * 1..10 once each, eleven events on one valid chain. */
static void test_concurrent(void **state)
{
	esc_ledger *l = ledger_with_events(1);
	struct esc_chain_report r;
	int go[2], i, st, ok = 0;
	pid_t pid[10];
	char c;

	(void)state;
	esc_ledger_close(l);
	assert_int_equal(pipe(go), 0);
	for (i = 0; i < 10; i++) {
		assert_true((pid[i] = fork()) >= 0);
		if (pid[i] == 0) {
			char sha[65];
			struct esc_deposit d;
			esc_ledger *cl = NULL;

			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			memset(sha, "0123456789"[i], 64);
			sha[64] = '\0';
			d = deposit(sha, "verified", NULL);
			if (esc_ledger_open(ctx, vault, pg, 0, &cl) != ESCROW_OK)
				st = 1;
			else
				st = esc_ledger_deposit_add(cl, &d, NULL, NULL) == ESCROW_OK ? 0 : 2;
			if (st != 0)
				fprintf(stderr, "appender %d: %s\n", i, escrow_ctx_error(ctx));
			esc_ledger_close(cl);
			_exit(st);
		}
	}
	close(go[0]);
	close(go[1]); /* all start now */
	for (i = 0; i < 10; i++)
		if (waitpid(pid[i], &st, 0) == pid[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	assert_int_equal(ok, 10);
	l = open_ok(0);
	assert_int_equal(esc_ledger_verify(l, &r), ESCROW_OK);
	assert_int_equal(r.events, 11);
	esc_ledger_close(l);
	raw_open();
	assert_int_equal(raw_num("SELECT count(DISTINCT id) FROM deposits WHERE id BETWEEN 1 AND 10"), 10);
	assert_int_equal(raw_num("SELECT count(DISTINCT prev_hash) FROM events"), 11);
	assert_int_equal(raw_num("SELECT count(*) FROM events WHERE kind = 'receive'"), 10);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_canonical),            T(test_chain_ok),           T(test_tamper_edit),
		T(test_tamper_delete_middle), T(test_tamper_delete_last), T(test_tamper_insert),
		T(test_tamper_replace),       T(test_concurrent),         T(test_events_list),
	};

	if (ledger_test_init() != 0)
		return 1;
	return cmocka_run_group_tests_name(pg ? "vault_chain_postgresql" : "vault_chain_sqlite", tests, NULL, tmpdir_teardown);
}
