/* test_glob.c -- the glob rules of docs/CONTRACT.md, as a table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "escrow_private.h"

struct row {
	const char *pattern, *path;
	int dir, want;
};

static const struct row rows[] = {
	/* exact paths match exactly that file */
	{"models/classifier.safetensors", "models/classifier.safetensors", 0, 1},
	{"models/classifier.safetensors", "models/classifier.safetensors.bak", 0, 0},
	{"models/classifier.safetensors", "x/models/classifier.safetensors", 0, 0},
	{"models/classifier.safetensors", "models/classifier_safetensors", 0, 0},
	/* '*' stays inside a segment */
	{"src/*.py", "src/main.py", 0, 1},
	{"src/*.py", "src/app/main.py", 0, 0},
	{"src/*", "src/main.py", 0, 1},
	{"src/*", "src/app/main.py", 0, 1}, /* src/app matches, so what is under it too */
	{"*", "anything/at/all", 0, 1},
	{"a*b", "ab", 0, 1},
	{"a*b", "axxxb", 0, 1},
	{"a*b", "axxxbc", 0, 0},
	{"*.tar.gz", "x.tar.gz", 0, 1},
	{"*.tar.gz", "x.tar.gzz", 0, 0},
	/* '?' is one character, a whole UTF-8 sequence */
	{"data/?.csv", "data/a.csv", 0, 1},
	{"data/?.csv", "data/ab.csv", 0, 0},
	{"data/?.csv", "data/\xc3\xa9.csv", 0, 1},
	{"caf?", "caf\xc3\xa9", 0, 1},
	{"data/?.csv", "data/.csv", 0, 0},
	/* '**' crosses folders */
	{"**/*.pyc", "a.pyc", 0, 1},
	{"**/*.pyc", "src/app/__pycache__/x.cpython-311.pyc", 0, 1},
	{"**/*.pyc", "src/x.py", 0, 0},
	{"models/**", "models/a/b/c.onnx", 0, 1},
	{"models/**", "modelsx/a", 0, 0},
	{"models/**/*.onnx", "models/x.onnx", 0, 1},
	{"models/**/*.onnx", "models/a/b/x.onnx", 0, 1},
	{"models/**/*.onnx", "models/a/b/x.onnx.data", 0, 0},
	{"a/**/b/**/c", "a/x/b/y/z/c", 0, 1},
	{"a/**/b/**/c", "a/b/c", 0, 1},
	{"a/**/b/**/c", "a/x/c", 0, 0},
	{"**", "x/y", 0, 1},
	/* no '/' in the pattern: the base name at any depth (like .gitignore) */
	{"*.pyc", "deep/down/x.pyc", 0, 1},
	{".env", ".env", 0, 1},
	{".env", "services/api/.env", 0, 1},
	{".env", "services/api/.env.example", 0, 0},
	{"__pycache__", "src/__pycache__/x.pyc", 0, 1},
	{"node_modules", "web/node_modules/lib/index.js", 0, 1},
	/* a leading '/' anchors at the root */
	{"/build", "build/out.o", 0, 1},
	{"/build", "src/build/out.o", 0, 0},
	{"/*.md", "README.md", 0, 1},
	{"/*.md", "docs/README.md", 0, 0},
	/* a trailing '/' matches folders only */
	{"build/", "build", 1, 1},
	{"build/", "build", 0, 0},
	{"build/", "build/x.o", 0, 1},
	{"build/", "src/build/x.o", 0, 1},
	{"docs/", "docs", 0, 0},
	/* classes are bytes; '!' or '^' negates; '\' escapes */
	{"v[0-9].bin", "v7.bin", 0, 1},
	{"v[0-9].bin", "vx.bin", 0, 0},
	{"v[!0-9].bin", "vx.bin", 0, 1},
	{"v[^0-9].bin", "v1.bin", 0, 0},
	{"[]]", "]", 0, 1},
	{"a[/]b", "a/b", 0, 0},
	{"lit\\*", "lit*", 0, 1},
	{"lit\\*", "litx", 0, 0},
	{"[ab", "[ab", 0, 1}, /* unterminated class: a literal '[' */
	/* exact, bytewise: case matters, spaces, '%' and newlines are just bytes */
	{"Docs/*.md", "docs/a.md", 0, 0},
	{"my docs/*.md", "my docs/a b.md", 0, 1},
	{"100%/*", "100%/x", 0, 1},
	{"odd*", "odd\nname", 0, 1},
	/* nothing matches an empty pattern or path */
	{"", "x", 0, 0},
	{"/", "x", 0, 0},
	{"x", "", 0, 0},
};

static void test_table(void **state)
{
	size_t i;
	int fails = 0;

	(void)state;
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int got = esc_glob_match_dir(rows[i].pattern, rows[i].path, rows[i].dir);

		if (got != rows[i].want) {
			fprintf(stderr, "glob '%s' vs '%s' (dir %d): got %d, want %d\n", rows[i].pattern,
			        rows[i].path, rows[i].dir, got, rows[i].want);
			fails++;
		}
	}
	assert_int_equal(fails, 0);
	/* esc_glob_match is the file form */
	assert_true(esc_glob_match("**/*.pyc", "a/b.pyc"));
	assert_false(esc_glob_match("build/", "build"));
}

/* Hostile patterns finish: one backtrack point per level, not exponential. */
static void test_no_blowup(void **state)
{
	char pat[512], path[4096];
	size_t i;

	(void)state;
	pat[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(pat, "*a");
	strcat(pat, "b");
	memset(path, 'a', 4000);
	path[4000] = '\0';
	assert_false(esc_glob_match(pat, path));
	pat[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(pat, "**/a/");
	strcat(pat, "b");
	for (i = 0; i < 1000; i++)
		memcpy(path + 2 * i, "a/", 2);
	path[1999] = '\0';
	assert_false(esc_glob_match(pat, path));
}

static void test_valid(void **state)
{
	const char *why = NULL;

	(void)state;
	assert_true(esc_glob_valid("**/*.pyc", &why));
	assert_true(esc_glob_valid("v[0-9]", &why));
	assert_true(esc_glob_valid("lit\\[", &why));
	assert_false(esc_glob_valid("", &why));
	assert_false(esc_glob_valid("//", &why));
	assert_false(esc_glob_valid("v[0-9", &why));
	assert_non_null(strstr(why, "']'"));
	assert_false(esc_glob_valid("a[/]b", &why));
	assert_false(esc_glob_valid("tab\there", &why));
}

struct seen {
	unsigned char *hit;
};

static int record(size_t i, void *user)
{
	((struct seen *)user)->hit[i]++;
	return 0;
}

/* A glob set answers exactly what its patterns answer one by one: each
 * matching pattern once, none other, in ascending order. */
static void check_set(char *const *pats, size_t np, const char *const *paths, size_t npaths)
{
	esc_globset *g = esc_globset_new(pats, np);
	unsigned char hit[512];
	struct seen s = {hit};
	size_t i, k;
	int dir;

	assert_non_null(g);
	assert_true(np <= sizeof hit);
	for (i = 0; i < npaths; i++)
		for (dir = 0; dir < 2; dir++) {
			int any = 0;

			memset(hit, 0, sizeof hit);
			esc_globset_each(g, paths[i], dir, record, &s);
			for (k = 0; k < np; k++) {
				int want = esc_glob_match_dir(pats[k], paths[i], dir);

				if (hit[k] != want)
					fail_msg("pattern '%s' on '%s' (dir %d): set %d, alone %d", pats[k], paths[i], dir,
					         hit[k], want);
				any |= want;
			}
			assert_int_equal(esc_globset_any(g, paths[i], dir), any);
		}
	esc_globset_free(g);
}

static void test_set_table(void **state)
{
	char *pats[sizeof rows / sizeof rows[0]];
	const char *paths[sizeof rows / sizeof rows[0]];
	size_t i, n = sizeof rows / sizeof rows[0];

	(void)state;
	for (i = 0; i < n; i++) {
		pats[i] = (char *)(uintptr_t)rows[i].pattern;
		paths[i] = rows[i].path;
	}
	check_set(pats, n, paths, n);
}

/* Random patterns and paths over a small alphabet, so that keys collide,
 * heads and tails overlap and every glob form meets every path form. */
static void test_set_random(void **state)
{
	static const char *const pparts[] = {"a", "b", "ab", "/", "*", "?", "**", "[ab]", "[!a]", "\\*",
	                                     "]", ".x", "/", "/**/", "a/b", "\\a"};
	static const char *const nparts[] = {"a", "b", "ab", "ba", "/", ".x", "*", "]", "aa"};
	char store[200][40], *pats[200], pstore[300][40];
	const char *paths[300];
	unsigned seed = 12345, round, i, k, len;

	(void)state;
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 200; i++) {
			store[i][0] = '\0';
			len = 1 + (seed = seed * 1103515245u + 12345u) % 5;
			for (k = 0; k < len; k++)
				strcat(store[i], pparts[((seed = seed * 1103515245u + 12345u) >> 16) % 16]);
			pats[i] = store[i];
		}
		for (i = 0; i < 300; i++) {
			char *p = pstore[i];

			p[0] = '\0';
			len = 1 + (seed = seed * 1103515245u + 12345u) % 6;
			for (k = 0; k < len; k++)
				strcat(p, nparts[((seed = seed * 1103515245u + 12345u) >> 16) % 9]);
			/* a payload path: no empty segment, none at either end */
			while (*p == '/')
				memmove(p, p + 1, strlen(p));
			while (*p && p[strlen(p) - 1] == '/')
				p[strlen(p) - 1] = '\0';
			for (char *q; (q = strstr(p, "//")) != NULL;)
				memmove(q, q + 1, strlen(q));
			if (*p == '\0')
				strcpy(p, "a");
			paths[i] = p;
		}
		check_set(pats, 200, paths, 300);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_no_blowup),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_set_table),
		cmocka_unit_test(test_set_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
