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
	char *t5, *sql;

	(void)state;
	raw_open();
	raw_exec("UPDATE events SET body = replace(body, '\"result\":\"ok\"', '\"result\":\"KO\"') WHERE seq = 3");
	expect_fault(l, ESC_CHAIN_EDITED, 3, "event 3 was edited: its hash does not match its content");
	raw_exec("UPDATE events SET body = replace(body, '\"result\":\"KO\"', '\"result\":\"ok\"') WHERE seq = 3");
	assert_int_equal(esc_ledger_verify(l, &(struct esc_chain_report){0}), ESCROW_OK);
	raw_exec("UPDATE events SET kind = 'release' WHERE seq = 4");
	expect_fault(l, ESC_CHAIN_EDITED, 4, "event 4 was edited: its kind differs");
	raw_exec("UPDATE events SET kind = 'audit' WHERE seq = 4");
	/* recorded_at repeats the body's time, for queries: it may not move */
	t5 = raw_str("SELECT recorded_at FROM events WHERE seq = 5");
	raw_exec("UPDATE events SET recorded_at = '2020-01-01T00:00:00Z' WHERE seq = 5");
	expect_fault(l, ESC_CHAIN_EDITED, 5, "event 5 was edited: its recorded time differs");
	sql = esc_strf("UPDATE events SET recorded_at = '%s' WHERE seq = 5", t5);
	raw_exec(sql);
	free(sql);
	free(t5);
	assert_int_equal(esc_ledger_verify(l, &(struct esc_chain_report){0}), ESCROW_OK);
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
	sql = esc_strf("UPDATE events SET body = '%s', hash = '%s', recorded_at = '2026-12-06T07:00:00Z' WHERE seq = 3",
	               body, hex);
	raw_exec(sql);
	expect_fault(l, ESC_CHAIN_UNLINKED, 4, "event 4 does not link to event 3");
	free(sql);
	free(prev_hex);
	esc_ledger_close(l);
}

/* A ledger of every row kind, each made with its event: contract version 1
 * (event 1) and 2 (2), keys K1 (3) and K2 (4), K2 revoked (5), deposits 1
 * (verified, 6) and 2 (tampered, 7), in a vault of its own. */
#define K1 "0123456789ABCDEF"
#define K2 "1111222233334444"
static esc_ledger *ledger_full(void)
{
	static const char v2[] = "escrow-contract: 1\ncontract: CLAIMS-2026-03\ndeliverables: []\n# amended\n";
	json_t *deliv = json_pack("{s:s, s:s}", "code", "ok", "model", "missing");
	struct esc_deposit d1 = deposit(SHA_A, "verified", deliv), d2 = deposit(SHA_B, "tampered", deliv);
	esc_ledger *l;

	raw_close();
	teardown(NULL);
	assert_int_equal(setup(NULL), 0);
	l = open_ok(ESC_LEDGER_CREATE);
	assert_int_equal(esc_ledger_contract_add(l, "CLAIMS-2026-03", contract_v1, strlen(contract_v1), NULL, NULL),
	                 ESCROW_OK);
	assert_int_equal(esc_ledger_contract_add(l, "CLAIMS-2026-03", v2, strlen(v2), NULL, NULL), ESCROW_OK);
	assert_int_equal(esc_ledger_key_add(l, "CLAIMS-2026-03", K1, "untrusted comment: k1\nRWQ1\n", NULL), ESCROW_OK);
	assert_int_equal(esc_ledger_key_add(l, "CLAIMS-2026-03", K2, "untrusted comment: k2\nRWQ2\n", NULL), ESCROW_OK);
	assert_int_equal(esc_ledger_key_revoke(l, K2, "lost", NULL), ESCROW_OK);
	assert_int_equal(esc_ledger_deposit_add(l, &d1, NULL, NULL), ESCROW_OK);
	assert_int_equal(esc_ledger_deposit_add(l, &d2, NULL, NULL), ESCROW_OK);
	json_decref(deliv);
	raw_open();
	return l;
}

/* Rows edited, inserted or deleted by hand leave the chain valid; each is
 * named with the event it contradicts. */
static void test_tables(void **state)
{
	static const struct {
		const char *sql;
		int64_t seq;
		const char *needle;
	} cases[] = {
		{"UPDATE deposits SET verdict = 'verified' WHERE id = 2", 7,
		 "deposit 2 was edited: its verdict differs from its receive event (event 7)"},
		{"UPDATE deposits SET bundle_sha256 = '" SHA_A "' || 'x' WHERE id = 1", 6, "its bundle_sha256 differs"},
		{"UPDATE deposits SET bundle_size = 1 WHERE id = 1", 6, "deposit 1 was edited: its bundle_size differs"},
		{"UPDATE deposits SET deliverables = '{\"code\":\"ok\",\"model\":\"ok\"}' WHERE id = 2", 7,
		 "its deliverables differs"},
		{"UPDATE deposits SET received_at = '2020-01-01T00:00:00Z' WHERE id = 1", 6, "its received_at differs"},
		{"UPDATE deposits SET previous_sha256 = NULL WHERE id = 2", 7, "its previous_sha256 differs"},
		{"UPDATE deposits SET signer_key_id = '" K2 "' WHERE id = 1", 6, "its signer_key_id differs"},
		{"UPDATE deposits SET store_path = 'store/ee/ff' WHERE id = 1", 6, "its store_path differs"},
		{"UPDATE deposits SET id = 5 WHERE id = 2", 7, "deposit 5 was edited: its number differs"},
		{"UPDATE deposits SET event_seq = 5 WHERE id = 1", 5,
		 "deposit 1 was inserted or edited: event 5, which it names as its receive, is a key-revoke event"},
		{"DELETE FROM deposits WHERE id = 2", 7, "deposit 2 was deleted: event 7 records its receive"},
		{"UPDATE deposits SET name = 'x' || name || replace(hex(zeroblob(40000)), '0', 'x') WHERE id = 1", 6,
		 "deposit 1 was edited: its row holds more text than any receive event can"},
		{"UPDATE agency_keys SET revoked_event = NULL, revoked_reason = NULL WHERE key_id = '" K2 "'", 5,
		 "key " K2 " for contract CLAIMS-2026-03 was edited: event 5 revoked it, and its row says it is valid"},
		{"UPDATE agency_keys SET revoked_reason = 'expired' WHERE key_id = '" K2 "'", 5,
		 "its revocation's reason differs from event 5"},
		{"UPDATE agency_keys SET public_key = 'untrusted comment: forged\nRWQ9\n' WHERE key_id = '" K1 "'", 3,
		 "key " K1 " for contract CLAIMS-2026-03 was inserted or edited: its public key differs"},
		{"INSERT INTO agency_keys (contract_id, key_id, public_key, added_event) VALUES ('CLAIMS-2026-03', "
		 "'FEDCBA9876543210', 'x', 3)", 3, "key FEDCBA9876543210 for contract CLAIMS-2026-03 was inserted or edited"},
		{"INSERT INTO agency_keys (contract_id, key_id, public_key, added_event) VALUES ('CLAIMS-2026-03', "
		 "'FEDCBA9876543210', 'x', 6)", 6, "event 6, which it names as its registration, is another kind of event"},
		{"DELETE FROM agency_keys WHERE key_id = '" K1 "'", 3,
		 "key " K1 " for contract CLAIMS-2026-03 was deleted: event 3 added it"},
		{"UPDATE contracts SET yaml = yaml || '#' WHERE version = 2", 2,
		 "contract CLAIMS-2026-03 version 2 was edited: its text differs from its registration (event 2)"},
		{"UPDATE contracts SET version = 3 WHERE version = 2", 2, "version 3 was edited: its version differs"},
		{"DELETE FROM contracts WHERE version = 2", 2,
		 "contract CLAIMS-2026-03 version 2 was deleted: event 2 registered it"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		esc_ledger *l = ledger_full();
		struct esc_chain_report r;

		assert_int_equal(esc_ledger_verify(l, &r), ESCROW_OK);
		assert_int_equal(r.events, 7);
		if (pg != NULL && strstr(cases[i].sql, "zeroblob") != NULL) {
			raw_exec("UPDATE deposits SET name = 'x' || name || repeat('x', 80000) WHERE id = 1");
		} else {
			raw_exec(cases[i].sql);
		}
		expect_fault(l, ESC_CHAIN_ROW, cases[i].seq, cases[i].needle);
		esc_ledger_close(l);
	}
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
		T(test_tables),
	};

	if (ledger_test_init() != 0)
		return 1;
	return cmocka_run_group_tests_name(pg ? "vault_chain_postgresql" : "vault_chain_sqlite", tests, NULL, tmpdir_teardown);
}
