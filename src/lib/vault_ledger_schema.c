/* vault_ledger_schema.c -- the ledger's schema, as migrations: migration v
 * takes a ledger from version v-1 to v. The same tables, columns and meaning
 * on both backends; the SQL is written once where both read it alike (TEXT,
 * BIGINT, CHECK, REFERENCES) and per backend only where they differ. Hashes
 * are lowercase hex text, times RFC 3339 UTC text (they sort as they
 * happened), JSON is text. docs/VAULT.md documents every column. Numbers are
 * never made by the database (no autoincrement, which the two spell
 * differently): a writer holds the ledger's write lock and takes MAX + 1. */
#include "esc_vault_ledger.h"

static const char schema_v1[] =
	"CREATE TABLE ledger_meta ("
	" name TEXT PRIMARY KEY,"
	" value TEXT NOT NULL);"
	"CREATE TABLE events ("
	" seq BIGINT PRIMARY KEY CHECK (seq >= 1),"
	" kind TEXT NOT NULL,"
	" recorded_at TEXT NOT NULL,"
	" body TEXT NOT NULL,"
	" prev_hash TEXT NOT NULL,"
	" hash TEXT NOT NULL UNIQUE);"
	"CREATE TABLE contracts ("
	" contract_id TEXT NOT NULL,"
	" version INTEGER NOT NULL CHECK (version >= 1),"
	" sha256 TEXT NOT NULL UNIQUE,"
	" yaml TEXT NOT NULL,"
	" added_event BIGINT NOT NULL REFERENCES events (seq),"
	" PRIMARY KEY (contract_id, version));"
	"CREATE TABLE agency_keys ("
	" contract_id TEXT NOT NULL,"
	" key_id TEXT NOT NULL,"
	" public_key TEXT NOT NULL,"
	" added_event BIGINT NOT NULL REFERENCES events (seq),"
	" revoked_event BIGINT REFERENCES events (seq),"
	" revoked_reason TEXT,"
	" PRIMARY KEY (contract_id, key_id));"
	"CREATE INDEX agency_keys_by_key ON agency_keys (key_id);"
	"CREATE TABLE deposits ("
	" id BIGINT PRIMARY KEY CHECK (id >= 1),"
	" contract_id TEXT NOT NULL,"
	" contract_sha256 TEXT REFERENCES contracts (sha256),"
	" name TEXT,"
	" release_version TEXT,"
	" bundle_sha256 TEXT NOT NULL UNIQUE,"
	" bundle_size BIGINT NOT NULL CHECK (bundle_size >= 0),"
	" signer_key_id TEXT,"
	" verdict TEXT NOT NULL CHECK (verdict IN ('verified', 'incomplete', 'tampered', 'bad-signature',"
	"  'unsafe', 'not-opened', 'not-a-bundle')),"
	" deliverables TEXT NOT NULL,"
	" received_at TEXT NOT NULL,"
	" store_path TEXT NOT NULL,"
	" previous_sha256 TEXT,"
	" event_seq BIGINT NOT NULL UNIQUE REFERENCES events (seq));"
	"CREATE INDEX deposits_by_contract ON deposits (contract_id, id);"
	"INSERT INTO ledger_meta (name, value) VALUES ('schema_version', '0');";

/* Version 2: when each deposit's stored copy was last audited (NULL: never),
 * so that sampled and time-bounded audits take the least recently audited
 * first (vault_audit.c). */
static const char schema_v2[] =
	"ALTER TABLE deposits ADD COLUMN audited_at TEXT;"
	"CREATE INDEX deposits_by_audit ON deposits (audited_at, id);";

/* Version 3: whether the deposit's detached signature (BUNDLE.minisig) was
 * stored beside it, so that audit finds a deleted one (vault_audit_fixity.c):
 * 1 or 0; NULL for deposits received before, which audit cannot judge until
 * it has seen their signature verify once (vault_audit.c). */
static const char schema_v3[] =
	"ALTER TABLE deposits ADD COLUMN minisig_stored INTEGER CHECK (minisig_stored IN (0, 1));";

const char *esc_ledger_migration(enum esc_lq_kind kind, int v)
{
	(void)kind; /* versions 1 to 3 read alike on both */
	switch (v) {
	case 1: return schema_v1;
	case 2: return schema_v2;
	case 3: return schema_v3;
	default: return NULL;
	}
}
