/* test_fmt_kind.c -- Git LFS pointer recognition and the kind guess. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"
#include "formats/esc_fmt.h"

#define OID "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
#define VER "version https://git-lfs.github.com/spec/v1\n"

static int lfs(const char *s)
{
	return esc_is_lfs_pointer((const uint8_t *)s, strlen(s));
}

static void test_lfs(void **state)
{
	char big[1100];

	(void)state;
	assert_true(lfs(VER "oid sha256:" OID "\nsize 12345\n"));
	assert_true(lfs(VER "oid sha256:" OID "\nsize 0\n"));
	assert_true(lfs(VER "ext-0-foo sha256:" OID "\noid sha256:" OID "\nsize 7\n"));
	/* the v1 aliases git-lfs reads (lfs/pointer.go) */
	assert_true(lfs("version https://hawser.github.com/spec/v1\noid sha256:" OID "\nsize 1\n"));
	assert_true(lfs("version http://git-media.io/v/2\noid sha256:" OID "\nsize 1\n"));
	assert_false(lfs("version https://hawser.github.com/spec/v1x\noid sha256:" OID "\nsize 1\n"));
	/* What git-lfs's own reader (lfs/pointer.go) also takes: a CRLF
	 * checkout, white space around the text, blank lines, no final LF,
	 * extension lines anywhere, leading zeros or a sign in the size. */
	assert_true(lfs("version https://git-lfs.github.com/spec/v1\r\noid sha256:" OID "\r\nsize 1\r\n"));
	assert_true(lfs(VER "oid sha256:" OID "\nsize 12345"));           /* no final LF */
	assert_true(lfs(VER "\noid sha256:" OID "\n\nsize 1\n\n"));          /* blank lines */
	assert_true(lfs("\n  " VER "oid sha256:" OID "\nsize 1\n \t\n"));     /* white space around */
	assert_true(lfs(VER "oid sha256:" OID "\next-1-bar sha256:" OID "\nsize 1\n"));
	assert_true(lfs(VER "oid sha256:" OID "\nsize 012\n"));
	assert_true(lfs(VER "oid sha256:" OID "\nsize +5\n"));
	assert_true(lfs(VER "oid sha256:" OID "\nsize 9223372036854775807\n"));
	/* an upper-case oid: git-lfs 1 read it, and it is a stand-in either way */
	assert_true(lfs(VER "oid sha256:4D7A214614AB2935C943F9E0FF69D22EADBB8F32B1258DAAA5E2CA24D17E2393\nsize 1\n"));
	/* Near misses. */
	assert_false(lfs(""));
	assert_false(lfs(VER));
	assert_false(lfs(VER "oid sha256:" OID "\n"));                      /* no size */
	assert_false(lfs(VER "size 12345\n"));                              /* no oid */
	assert_false(lfs("oid sha256:" OID "\nsize 1\n"));                  /* no version */
	assert_false(lfs(VER "size 12345\noid sha256:" OID "\n"));          /* keys out of order */
	assert_false(lfs(VER "oid sha256:" OID "\noid sha256:" OID "\nsize 1\n")); /* repeated key */
	assert_false(lfs(VER "oid sha256:" OID "0\nsize 1\n"));             /* 65 hex */
	assert_false(lfs(VER "oid sha256:" OID "\r\r\nsize 1\n"));         /* a CR in the value */
	assert_false(lfs(VER "oid  sha256:" OID "\nsize 1\n"));             /* two spaces */
	assert_false(lfs(VER "oid sha1:" OID "\nsize 1\n"));
	assert_false(lfs(VER "oid sha256:" OID "\nsize 12a\n"));
	assert_false(lfs(VER "oid sha256:" OID "\nsize -1\n"));
	assert_false(lfs(VER "oid sha256:" OID "\nsize 9223372036854775808\n"));
	assert_false(lfs(VER "oid sha256:" OID "\nsize \n"));
	assert_false(lfs(VER "oid sha256:" OID "\nsize 1\nzzz extra\n"));  /* unknown key */
	assert_false(lfs(VER "oid sha256:" OID "\nsize 1\next-0-a sha256:" OID "\n")); /* after size */
	assert_false(lfs(VER "ext-0-a sha256:" OID "\next-0-b sha256:" OID "\noid sha256:" OID "\nsize 1\n"));
	assert_false(lfs(VER "ext-0-a sha256:xyz\noid sha256:" OID "\nsize 1\n"));
	assert_false(lfs(VER "ext-10-a sha256:" OID "\noid sha256:" OID "\nsize 1\n"));
	assert_false(lfs("version https://git-lfs.github.com/spec/v2\noid sha256:" OID "\nsize 1\n"));
	assert_false(lfs("version https://git-lfs.github.com/spec/v1 \noid sha256:" OID "\nsize 1\n"));
	assert_false(lfs("version\noid sha256:" OID "\nsize 1\n"));
	/* 1024 bytes or more is never a pointer. */
	memset(big, 0, sizeof big);
	snprintf(big, sizeof big, VER "ext-0-a sha256:" OID "\n");
	while (strlen(big) < 1000)
		strcat(big, "x");
	assert_false(esc_is_lfs_pointer((const uint8_t *)big, 1050));
	assert_false(esc_is_lfs_pointer(NULL, 0));
}

static void test_kind(void **state)
{
	static const struct { const char *path; enum esc_format f; const char *kind; } t[] = {
		{"models/model.onnx", ESC_FMT_NONE, "model"},
		{"weights.safetensors", ESC_FMT_NONE, "model"},
		{"blob.bin", ESC_FMT_SAFETENSORS, "model"},
		{"x/y.dat", ESC_FMT_GGUF, "model"},
		{"ckpt/last.CKPT", ESC_FMT_NONE, "model"},
		{"models/pytorch_model.bin", ESC_FMT_NONE, "model"},
		{"tools/blob.bin", ESC_FMT_NONE, "other"},
		{"models/clf.pkl", ESC_FMT_NONE, "model"},
		{"cache.pkl", ESC_FMT_NONE, "other"},
		{"clf.joblib", ESC_FMT_NONE, "model"},
		{"model.tflite", ESC_FMT_NONE, "model"},
		{"src/app/main.py", ESC_FMT_NONE, "code"},
		{"src/lib.rs", ESC_FMT_NONE, "code"},
		{"notebooks/eda.ipynb", ESC_FMT_NONE, "code"},
		{"Makefile", ESC_FMT_NONE, "code"},
		{"CMakeLists.txt", ESC_FMT_NONE, "code"},
		{"docker/Dockerfile.gpu", ESC_FMT_NONE, "code"},
		{"README.md", ESC_FMT_NONE, "docs"},
		{"docs/guide.rst", ESC_FMT_NONE, "docs"},
		{"LICENSE", ESC_FMT_NONE, "docs"},
		{"LICENSE-MIT", ESC_FMT_NONE, "docs"},
		{"docs/CHANGELOG.md", ESC_FMT_NONE, "docs"},
		{"src/readme_utils.py", ESC_FMT_NONE, "code"},
		{"notice.py", ESC_FMT_NONE, "code"},
		{"MODEL_CARD.md", ESC_FMT_NONE, "docs"},
		{"docs/churn-model-card.yaml", ESC_FMT_NONE, "docs"},
		{"report.pdf", ESC_FMT_NONE, "docs"},
		{"x.bin", ESC_FMT_PDF, "docs"},
		{"prompts/system.txt", ESC_FMT_NONE, "prompts"},
		{"app/prompts/answer.j2", ESC_FMT_NONE, "prompts"},
		{"templates/summarize.prompt", ESC_FMT_NONE, "prompts"},
		{"config/train.yaml", ESC_FMT_NONE, "config"},
		{"pyproject.toml", ESC_FMT_NONE, "config"},
		{"setup.cfg", ESC_FMT_NONE, "config"},
		{"models/config.json", ESC_FMT_NONE, "config"},
		{".env", ESC_FMT_NONE, "config"},
		{".env.production", ESC_FMT_NONE, "config"},
		{"requirements.txt", ESC_FMT_NONE, "config"},
		{"dvc.yaml", ESC_FMT_NONE, "pipeline"},
		{"MLproject", ESC_FMT_NONE, "pipeline"},
		{".github/workflows/ci.yml", ESC_FMT_NONE, "pipeline"},
		{"airflow/dags/train_dag.py", ESC_FMT_NONE, "pipeline"},
		{"Jenkinsfile", ESC_FMT_NONE, "pipeline"},
		{"kubeflow/pipeline-train.yaml", ESC_FMT_NONE, "pipeline"},
		{"pipelines/nightly.py", ESC_FMT_NONE, "pipeline"},
		{"data/train.csv", ESC_FMT_NONE, "data"},
		{"events.jsonl", ESC_FMT_NONE, "data"},
		{"features.parquet", ESC_FMT_NONE, "data"},
		{"emb.npy", ESC_FMT_NONE, "data"},
		{"x.bin", ESC_FMT_PARQUET, "data"},
		{"data/labels.json", ESC_FMT_NONE, "data"},
		{"datasets/raw/blob", ESC_FMT_NONE, "data"},
		{"arrays.npz", ESC_FMT_NONE, "data"},
		{"weird.xyz", ESC_FMT_NONE, "other"},
		{"noext", ESC_FMT_NONE, "other"},
		{"", ESC_FMT_NONE, "other"},
		{".hidden", ESC_FMT_NONE, "other"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *k = esc_kind_guess(t[i].path, t[i].f);

		if (strcmp(k, t[i].kind) != 0) {
			print_error("%s: got %s, want %s\n", t[i].path, k, t[i].kind);
			fail();
		}
	}
	assert_string_equal(esc_kind_from_path("models/model.onnx"), "model");
	assert_string_equal(esc_kind_from_path("models/m.safetensors"), "model");
	assert_string_equal(esc_kind_from_path("src/train.py"), "code");
	assert_string_equal(esc_kind_from_path("data/x.csv"), "data");
	assert_string_equal(esc_kind_guess(NULL, ESC_FMT_NONE), "other");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lfs),
		cmocka_unit_test(test_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
