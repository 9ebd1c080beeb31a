/* test_secrets.c -- the secrets scanner: each token shape on the right line,
 * the secret never in the finding, placeholders left alone, .env rules, and
 * the same findings for any chunking, including keys split across chunks
 * and across the windows of a very long line.
 * Tokens are assembled at run time from a pseudo-random generator so that
 * this file holds nothing that looks like a real credential. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"
#include "formats/esc_fmt.h"

#define MAXF 16

struct result {
	unsigned n;
	char f[MAXF][128];
};

static void scan_chunks(const char *path, const char *data, size_t len, size_t chunk, struct result *r)
{
	esc_secrets *s = esc_secrets_new(path);
	size_t off = 0;

	assert_non_null(s);
	while (off < len) {
		size_t n = chunk && chunk < len - off ? chunk : len - off;

		esc_secrets_update(s, (const uint8_t *)data + off, n);
		off += n;
	}
	memset(r, 0, sizeof *r);
	r->n = esc_secrets_final(s, r->f, MAXF);
	esc_secrets_free(s);
}

/* Scans whole and in 1, 5 and 4096+3 byte chunks: all must agree. */
static void scan(const char *path, const char *data, struct result *r)
{
	static const size_t chunks[] = {1, 5, 4099};
	const size_t len = strlen(data);
	struct result o;

	scan_chunks(path, data, len, 0, r);
	for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
		scan_chunks(path, data, len, chunks[k], &o);
		assert_int_equal(o.n, r->n);
		for (unsigned i = 0; i < r->n && i < MAXF; i++)
			assert_string_equal(o.f[i], r->f[i]);
	}
}

static uint32_t rng = 12345;

/* n pseudo-random characters from alphabet into out (NUL-terminated). */
static char *rnd(char *out, size_t n, const char *alphabet)
{
	const size_t k = strlen(alphabet);

	for (size_t i = 0; i < n; i++) {
		rng = rng * 1103515245u + 12345u;
		out[i] = alphabet[(rng >> 16) % k];
	}
	out[n] = '\0';
	return out;
}

#define UPNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define TOKCH ALNUM "_-"
#define ALPHA "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define B64 ALNUM "+/"

/* One token on line 3 of a small file: found once, labelled, not leaked. */
static void expect_token(const char *path, const char *prefix, const char *body, const char *label)
{
	char doc[1024], want[160];
	struct result r;

	snprintf(doc, sizeof doc, "# config\nname = \"demo\"\nkey = \"%s%s\"\nport = 8080\n", prefix, body);
	scan(path, doc, &r);
	if (r.n != 1) {
		print_error("%s%s: %u findings\n", prefix, body, r.n);
		fail();
	}
	snprintf(want, sizeof want, "line 3: %s", label);
	assert_string_equal(r.f[0], want);
	assert_null(strstr(r.f[0], body));
}

static void expect_none(const char *path, const char *doc)
{
	struct result r;

	scan(path, doc, &r);
	if (r.n != 0) {
		print_error("false positive in %s: %s\n", doc, r.f[0]);
		fail();
	}
}

static void test_token_shapes(void **state)
{
	char b[128], pre[160];

	(void)state;
	expect_token("a.py", "AKIA", rnd(b, 16, UPNUM), "AWS access key id");
	expect_token("a.py", "ASIA", rnd(b, 16, UPNUM), "AWS access key id");
	expect_token("a.py", "ghp_", rnd(b, 36, ALNUM), "GitHub token");
	expect_token("a.py", "gho_", rnd(b, 36, ALNUM), "GitHub token");
	expect_token("a.py", "ghs_", rnd(b, 36, ALNUM), "GitHub token");
	expect_token("a.py", "github_pat_", rnd(b, 82, ALNUM "_"), "GitHub fine-grained token");
	snprintf(pre, sizeof pre, "xoxb-%s-", rnd(b, 12, "0123456789"));
	expect_token("a.py", pre, rnd(b, 24, ALNUM), "Slack token");
	expect_token("a.py", "AIza", rnd(b, 35, TOKCH), "Google API key");
	expect_token("a.py", "sk-", rnd(b, 48, ALNUM), "OpenAI API key");
	expect_token("a.py", "sk-proj-", rnd(b, 100, TOKCH), "OpenAI API key");
	expect_token("a.py", "sk-ant-api03-", rnd(b, 90, TOKCH), "Anthropic API key");
	expect_token("a.py", "hf_", rnd(b, 34, ALPHA), "Hugging Face token");
	expect_token("a.py", "sk_live_", rnd(b, 24, ALNUM), "Stripe secret key");
	expect_token("a.py", "rk_live_", rnd(b, 24, ALNUM), "Stripe restricted key");
}

static void test_aws_secret(void **state)
{
	char doc[512], b[64];
	struct result r;

	(void)state;
	snprintf(doc, sizeof doc, "[default]\naws_access_key_id = AKIA%s\naws_secret_access_key = %s\n",
	         rnd(b, 16, UPNUM), rnd(b + 20, 40, B64));
	scan("credentials", doc, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.f[0], "line 2: AWS access key id");
	assert_string_equal(r.f[1], "line 3: AWS secret access key");
	snprintf(doc, sizeof doc, "env:\n  AWS_SECRET_ACCESS_KEY: \"%s\"\n", rnd(b, 40, B64));
	scan("ci.yml", doc, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0], "line 2: AWS secret access key");
	/* The AWS documentation's example pair. */
	expect_none("README.md", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
	                         "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
}

static void test_pem(void **state)
{
	char doc[1024], b[80];
	struct result r;

	(void)state;
	snprintf(doc, sizeof doc, "x\n-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n",
	         rnd(b, 64, B64));
	scan("id_rsa", doc, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0], "line 2: PEM private key");
	snprintf(doc, sizeof doc, "-----BEGIN OPENSSH PRIVATE KEY-----\r\n%s\r\n", rnd(b, 70, B64));
	scan("id_ed25519", doc, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0], "line 1: OpenSSH private key");
	snprintf(doc, sizeof doc, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n%s\n", rnd(b, 64, B64));
	scan("k.pem", doc, &r);
	assert_string_equal(r.f[0], "line 1: encrypted PEM private key");
	snprintf(doc, sizeof doc, "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n");
	scan("k.pem", doc, &r);
	assert_string_equal(r.f[0], "line 1: PEM private key");
	/* Pasted into JSON with escaped newlines. */
	snprintf(doc, sizeof doc, "{\n \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n%s\\n\"\n}\n",
	         rnd(b, 64, B64));
	scan("sa.json", doc, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0], "line 2: PEM private key");
	/* Code that looks for a header, a header with no body, a public key. */
	expect_none("pem.py", "if line.startswith(\"-----BEGIN RSA PRIVATE KEY-----\"):\n    pass\n");
	expect_none("notes.md", "The file starts with\n\n-----BEGIN PRIVATE KEY-----\n\n...\n");
	expect_none("k.pem", "-----BEGIN PRIVATE KEY-----");
	snprintf(doc, sizeof doc, "-----BEGIN PUBLIC KEY-----\n%s\n", rnd(b, 64, B64));
	expect_none("k.pub", doc);
}

static void test_placeholders(void **state)
{
	char doc[256], b[64];

	(void)state;
	expect_none("a.py", "key = 'AKIAXXXXXXXXXXXXXXXX'\n");
	expect_none("a.py", "OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
	expect_none("a.py", "token = 'ghp_yourTokenGoesHereyourTokenGoesHere1234'\n");
	expect_none("a.py", "HF_TOKEN = 'hf_YOURHUGGINGFACETOKENPLACEHOLDERXXX'\n");
	expect_none("a.py", "sk-proj-<your-key-here-0123456789abcdefghijkl>\n");
	expect_none("a.py", "slack: xoxb-your-slack-bot-token-here\n");
	expect_none("a.py", "word boundaries: task-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abc\n");
	expect_none("a.py", "no sk-learn, no ask-me, no risk_live_short\n");
	/* Too long for the fixed AWS shape. */
	snprintf(doc, sizeof doc, "id: AKIA%s\n", rnd(b, 20, UPNUM));
	expect_none("a.py", doc);
	/* Glued to a word: not a token start. */
	snprintf(doc, sizeof doc, "xAKIA%s\n", rnd(b, 16, UPNUM));
	expect_none("a.py", doc);
}

static void test_env(void **state)
{
	char doc[512], b[64];
	struct result r;

	(void)state;
	snprintf(doc, sizeof doc,
	         "# settings\nDEBUG=true\nexport DB_PASSWORD=\"%s\"\nTOKEN_TTL=3600\nAPI_KEY=${FROM_VAULT}\n"
	         "JWT_SECRET = %s # signing\nEMPTY_SECRET=\nSECRET_URL=https://vault.local/x\n",
	         rnd(b, 14, ALNUM), rnd(b + 20, 20, ALNUM));
	scan(".env", doc, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.f[0], "line 3: secret assignment in a .env file (DB_PASSWORD)");
	assert_string_equal(r.f[1], "line 6: secret assignment in a .env file (JWT_SECRET)");
	/* Same file under a benign name: assignments alone are no finding. */
	scan(".env.example", doc, &r);
	assert_int_equal(r.n, 0);
	scan("config/.env.template", doc, &r);
	assert_int_equal(r.n, 0);
	scan("settings.txt", doc, &r);
	assert_int_equal(r.n, 0);
	/* A .env file with settings but no secret name is one finding. */
	scan("deploy/.env.production", "# db\nDB_HOST=db.internal\nDB_PORT=5432\n", &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0], "line 2: assignment in a .env file (deposit a .env.example without values)");
	/* A byte order mark and CRLF line ends change nothing. */
	scan(".env", "\xef\xbb\xbfSECRET_KEY=Zq8rT2vW9xY4\r\nDEBUG=0\r\n", &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0], "line 1: secret assignment in a .env file (SECRET_KEY)");
	/* Placeholder values only: nothing. */
	expect_none(".env", "PASSWORD=changeme\nSECRET=<secret>\nAPI_KEY=xxxxxxxx\nTOKEN=\"\"\nX=your-value\n");
	/* A token in a .env file is named as what it is. */
	snprintf(doc, sizeof doc, "OPENAI_API_KEY=sk-proj-%s\n", rnd(b, 60, TOKCH));
	scan(".env", doc, &r);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.f[0], "line 1: secret assignment in a .env file (OPENAI_API_KEY)");
	assert_string_equal(r.f[1], "line 1: OpenAI API key");
}

/* A key at every offset around a chunk boundary, and around the windows
 * of a line longer than the scanner's window. */
static void test_split_and_long_lines(void **state)
{
	char tok[64], body[40];
	const size_t big = 200 * 1024;
	char *doc = malloc(big + 256);
	struct result r;

	(void)state;
	assert_non_null(doc);
	snprintf(tok, sizeof tok, "ghp_%s", rnd(body, 36, ALNUM));
	for (size_t chunk = 30; chunk < 60; chunk++) {
		snprintf(doc, 256, "line one\nsome text %s more\n", tok);
		scan_chunks("a.txt", doc, strlen(doc), chunk, &r);
		assert_int_equal(r.n, 1);
		assert_string_equal(r.f[0], "line 2: GitHub token");
	}
	/* One 200 KiB line of filler with the token placed across window ends. */
	for (size_t at = 65536 - 60; at < 65536 + 20; at += 3) {
		const size_t tl = strlen(tok);

		memset(doc, ' ', big);
		memcpy(doc, "first\n", 6);
		memcpy(doc + at, tok, tl);
		memcpy(doc + big, "\nlast\n", 7);
		scan_chunks("a.txt", doc, big + 6, 0, &r);
		assert_int_equal(r.n, 1);
		assert_string_equal(r.f[0], "line 2: GitHub token");
		scan_chunks("a.txt", doc, big + 6, 1000, &r);
		assert_int_equal(r.n, 1);
		assert_string_equal(r.f[0], "line 2: GitHub token");
	}
	/* Several tokens on a long line count once per kind and line. */
	memset(doc, 'z', big);
	doc[0] = '\n';
	for (size_t at = 1000; at + 100 < big; at += 30000) {
		doc[at - 1] = ' ';
		memcpy(doc + at, tok, strlen(tok));
		doc[at + strlen(tok)] = ' ';
	}
	scan_chunks("a.txt", doc, big, 777, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0], "line 2: GitHub token");
	free(doc);
}

static void test_many_findings(void **state)
{
	char *doc = malloc(40 * 64), b[40];
	struct result r;
	size_t len = 0;

	(void)state;
	assert_non_null(doc);
	for (int i = 0; i < 40; i++)
		len += (size_t)sprintf(doc + len, "k%d=AKIA%s\n", i, rnd(b, 16, UPNUM));
	scan_chunks("a.txt", doc, len, 0, &r);
	assert_int_equal(r.n, 40);          /* all counted */
	assert_string_equal(r.f[15], "line 16: AWS access key id"); /* the first kept */
	free(doc);
	expect_none("empty.txt", "");
}

/* A line of one repeated token head: a trigger every few bytes, all in one
 * run of token bytes. Each run is measured once (it was once per trigger:
 * a 64 KiB line cost 30 s, a 1 MiB one hours); here at 1 MiB, with the
 * answers a scan of each trigger alone gives. */
static void test_repeated_heads(void **state)
{
	const size_t big = 1u << 20;
	char *doc = malloc(big + 64), body[40];
	struct result r;
	size_t i, k;

	(void)state;
	assert_non_null(doc);
	/* sk-sk-sk-...: 3 distinct bytes, no digit: no key */
	for (i = 0; i < big; i++)
		doc[i] = "sk-"[i % 3];
	doc[big] = '\0';
	scan("a.txt", doc, &r);
	assert_int_equal(r.n, 0);
	/* xoxb-<10 random>-xoxb-...: a Slack token (once for the line), then a second line */
	for (i = 0; i + 16 <= big; i += 16) {
		memcpy(doc + i, "xoxb-", 5);
		memcpy(doc + i + 5, rnd(body, 10, ALNUM), 10);
		doc[i + 15] = '-';
	}
	memcpy(doc + i, "\nsk-", 4);
	for (k = i + 4; k < big; k++)
		doc[k] = "sk-"[(k - i - 4) % 3];
	doc[big] = '\0';
	scan("a.txt", doc, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0], "line 1: Slack token");
	/* github_pat_github_pat_...: a 22+ body of [A-Za-z0-9_] but few distinct bytes: none */
	for (i = 0; i < big; i++)
		doc[i] = "github_pat_"[i % 11];
	doc[big] = '\0';
	scan("a.txt", doc, &r);
	assert_int_equal(r.n, 0);
	free(doc);
}

/* A placeholder word or a digit counts only in the body after each trigger:
 * the run is measured once, but every trigger sees its own suffix. */
static void test_run_suffixes(void **state)
{
	char doc[512], body[64], tail[64];
	struct result r;

	(void)state;
	rnd(body, 40, ALPHA);
	rnd(tail, 39, ALPHA);
	tail[39] = '7';
	tail[40] = '\0';
	/* the word is in the first body only: the second "sk-" is a key */
	snprintf(doc, sizeof doc, "k = sk-example-%s-sk-%s\n", body, tail);
	scan("a.txt", doc, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.f[0], "line 1: OpenAI API key");
	/* the word after both: no key */
	snprintf(doc, sizeof doc, "k = sk-%s-sk-%s-example\n", body, tail);
	expect_none("a.txt", doc);
	/* the only digit is before the second head, and the first body is a placeholder */
	snprintf(doc, sizeof doc, "k = sk-dummy9-sk-%s\n", body);
	expect_none("a.txt", doc);
	snprintf(doc, sizeof doc, "k = sk-dummy-sk-9%s\n", body);
	scan("a.txt", doc, &r);
	assert_int_equal(r.n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_shapes),
		cmocka_unit_test(test_aws_secret),
		cmocka_unit_test(test_pem),
		cmocka_unit_test(test_placeholders),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_split_and_long_lines),
		cmocka_unit_test(test_many_findings),
		cmocka_unit_test(test_repeated_heads),
		cmocka_unit_test(test_run_suffixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
