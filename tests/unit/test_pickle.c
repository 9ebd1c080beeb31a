/* test_pickle.c -- the pickle opcode walker, and the inspector's own
 * findings: LFS pointers, the TF index magic, format names, SavedModel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "escrow_private.h"
#include "formats/esc_fmt.h"
#include "fixtures.h"

/* Scans p whole and byte by byte; both must agree. */
static enum esc_pickle_verdict scan(const void *p, size_t n, char *imports, size_t ilen)
{
	esc_pickle *a = esc_pickle_new(), *b = esc_pickle_new();
	char other[256];
	enum esc_pickle_verdict va, vb;

	assert_non_null(a);
	assert_non_null(b);
	esc_pickle_update(a, p, n);
	for (size_t i = 0; i < n; i++)
		esc_pickle_update(b, (const uint8_t *)p + i, 1);
	va = esc_pickle_final(a, imports, ilen);
	vb = esc_pickle_final(b, other, sizeof other);
	assert_int_equal(va, vb);
	assert_string_equal(imports, other);
	esc_pickle_free(a);
	esc_pickle_free(b);
	return va;
}

#define SCAN(lit) scan(lit, sizeof lit - 1, imp, sizeof imp)

static void test_pickle_verdicts(void **state)
{
	char imp[256];
	struct fx b = { 0 };

	(void)state;
	/* protocol 0: GLOBAL, then INST */
	assert_int_equal(SCAN("cposix\nsystem\n(S'ls'\ntR."), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "posix.system");
	assert_int_equal(SCAN("(S'ls'\nisubprocess\ncheck_output\n."), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "subprocess.check_output");
	assert_int_equal(SCAN("c__builtin__\neval\n(S'1'\ntR."), ESC_PICKLE_DANGEROUS);
	/* an allowlist: what is not on it is unsafe, however harmless it looks */
	assert_int_equal(SCAN("cbuiltins\nlen\n(S'1'\ntR."), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "builtins.len");
	assert_int_equal(SCAN("cos.path\njoin\n."), ESC_PICKLE_DANGEROUS);

	/* protocol 4: STACK_GLOBAL reads its strings from the memo */
	assert_int_equal(SCAN("\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93\x8c\x02id\x85R."),
	                 ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "os.system");
	/* a decoy string pushed and popped before STACK_GLOBAL does not fool it */
	assert_int_equal(SCAN("\x80\x04\x8c\x03nt1\x8c\x0b" "collections\x8c\x0bOrderedDict\x8c\x01x0\x93)R."),
	                 ESC_PICKLE_SAFE);
	assert_int_equal(SCAN("\x80\x04\x8c\x0b" "collections\x8c\x0bOrderedDict0\x8c\x06system\x93."),
	                 ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "collections.system");
	/* STACK_GLOBAL on a value the walk cannot name */
	assert_int_equal(SCAN("\x80\x04K\x01\x8c\x01x\x93."), ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "STACK_GLOBAL of values the scan cannot follow"));

	/* safe weights pickle */
	fx_torch_pickle(&b, "torch._utils\n_rebuild_tensor_v2\n");
	assert_int_equal(scan(b.p, b.n, imp, sizeof imp), ESC_PICKLE_SAFE);
	assert_string_equal(imp, "");
	fx_free(&b);

	/* no imports at all */
	assert_int_equal(SCAN("\x80\x05\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01" "a\x94K\x01s."), ESC_PICKLE_SAFE);
	/* big BINBYTES8 skipped by length */
	assert_int_equal(SCAN("\x80\x05\x8e\x03\x00\x00\x00\x00\x00\x00\x00xyz\x94."), ESC_PICKLE_SAFE);

	/* what it cannot follow is unsafe, never safe */
	assert_int_equal(SCAN("\x80\x02\xff."), ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "cannot be fully scanned: unknown opcode 0xff"));
	assert_int_equal(SCAN("\x80\x02]q\x00"), ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "truncated"));
	assert_int_equal(SCAN("\x80\x09N."), ESC_PICKLE_DANGEROUS);
	assert_int_equal(SCAN("0."), ESC_PICKLE_DANGEROUS);
	assert_int_equal(SCAN(""), ESC_PICKLE_DANGEROUS);
	/* EXT1/2/4: copyreg's extension registry, a callable nobody can name */
	assert_int_equal(SCAN("\x82\x05."), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "copyreg._extension_registry[5]");
	assert_int_equal(SCAN("\x80\x02\x83\x01\x02)R."), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "copyreg._extension_registry[513]");
	assert_int_equal(SCAN("\x80\x02\x84\x01\x00\x00\x80)R."), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "copyreg._extension_registry[2147483649]");
	/* the dangerous import stays reported even when the rest is garbage */
	assert_int_equal(SCAN("cos\nsystem\n\xfe"), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "os.system, cannot be fully scanned: unknown opcode 0xfe at byte 11");
	/* a second pickle after the first is scanned too */
	assert_int_equal(SCAN("N.cos\nsystem\n."), ESC_PICKLE_DANGEROUS);
}

/* What runs code at torch.load although no denylist names it, and every way
 * a pickle can spell an import. */
static void test_pickle_allowlist(void **state)
{
	char imp[256];

	(void)state;
	/* timeit.timeit exec's its setup string; numpy.testing's runstring exec's */
	assert_int_equal(SCAN("\x80\x02" "ctimeit\ntimeit\nX\x00\x00\x00\x00X\x09\x00\x00\x00import os\x86R."),
	                 ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "timeit.timeit");
	assert_int_equal(SCAN("\x80\x04\x8d\x1c\x00\x00\x00\x00\x00\x00\x00numpy.testing._private.utils"
	                      "\x8d\x09\x00\x00\x00\x00\x00\x00\x00runstring\x93N}\x86R."),
	                 ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "numpy.testing._private.utils.runstring");
	assert_int_equal(SCAN("cpydoc\nlocate\n."), ESC_PICKLE_DANGEROUS);
	assert_int_equal(SCAN("ctorch.hub\nload\n."), ESC_PICKLE_DANGEROUS);
	assert_int_equal(SCAN("cfunctools\npartial\n."), ESC_PICKLE_DANGEROUS);
	/* BUILD on an imported class (or on what numpy's scalar() hands back
	 * as is) sets attributes of that class for the whole process: two
	 * allowed imports that replace torch's TypedStorage.size on load */
	assert_int_equal(SCAN("\x80\x02" "ctorch.storage\nTypedStorage\nN}X\x04\x00\x00\x00size"
	                      "ccollections\nOrderedDict\ns\x86" "b0N."),
	                 ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "BUILD on torch.storage.TypedStorage"));
	assert_int_equal(SCAN("\x80\x02" "ctorch.storage\nTypedStorage\nq\x00" "0h\x00N}\x86" "b0N."),
	                 ESC_PICKLE_DANGEROUS); /* through the memo */
	assert_int_equal(SCAN("\x80\x02" "cnumpy.core.multiarray\nscalar\ncnumpy\ndtype\nX\x02\x00\x00\x00O8\x85R"
	                      "ctorch.storage\nTypedStorage\n\x86R" "N}\x86" "b0N."),
	                 ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "BUILD on what numpy"));
	/* scalar() called by OBJ and INST hands the class back too */
	assert_int_equal(SCAN("\x80\x02(cnumpy.core.multiarray\nscalar\ncnumpy\ndtype\nX\x02\x00\x00\x00O8\x85R"
	                      "ctorch.storage\nTypedStorage\no" "N}\x86" "b0N."),
	                 ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "BUILD on what numpy"));
	assert_int_equal(SCAN("\x80\x02(cnumpy\ndtype\nX\x02\x00\x00\x00O8\x85R"
	                      "ctorch.storage\nTypedStorage\ninumpy.core.multiarray\nscalar\n" "N}\x86" "b0N."),
	                 ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "BUILD on what numpy"));
	/* the class through a memo slot past the scanner's memo: LONG_BINPUT
	 * 2^20, or MEMOIZE once an index was lost (to the slot of the memo's
	 * length, which the scan no longer knows: here 1) */
	assert_int_equal(SCAN("\x80\x02" "ctorch.storage\nTypedStorage\nr\x00\x00\x10\x00" "0j\x00\x00\x10\x00"
	                      "N}\x86" "b0N."),
	                 ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "BUILD on a value the scan cannot follow"));
	assert_int_equal(SCAN("\x80\x04Nr\x00\x00\x10\x00" "0ctorch.storage\nTypedStorage\n\x94" "0h\x01"
	                      "N}\x86" "b0N."),
	                 ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "BUILD on a value the scan cannot follow"));
	/* ... but a slot set by an explicit PUT is still known after that */
	assert_int_equal(SCAN("\x80\x02Nq\x01" "0Nr\x00\x00\x10\x00" "0ccollections\nOrderedDict\n)Rq\x02h\x01" "0}b."),
	                 ESC_PICKLE_SAFE);
	/* legacy torch.load's persistent_load hands back X of ('module', X, ...) */
	assert_int_equal(SCAN("\x80\x02(X\x06\x00\x00\x00module" "ctorch.storage\nTypedStorage\nX\x00\x00\x00\x00"
	                      "X\x00\x00\x00\x00tQ" "N}\x86" "b0N."),
	                 ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "BUILD on a value the scan cannot follow"));
	/* BUILD on an object made by an allowed call stays allowed (how
	 * OrderedDict, ndarray and dtype state is restored) */
	assert_int_equal(SCAN("\x80\x02" "ccollections\nOrderedDict\n)R}b."), ESC_PICKLE_SAFE);
	/* strings for STACK_GLOBAL from every string opcode, and from the memo
	 * through BINPUT/LONG_BINPUT and BINGET/LONG_BINGET and MEMOIZE */
	assert_int_equal(SCAN("\x80\x04U\x06timeitU\x06timeit\x93."), ESC_PICKLE_DANGEROUS);  /* SHORT_BINSTRING */
	assert_string_equal(imp, "timeit.timeit");
	assert_int_equal(SCAN("\x80\x04T\x06\x00\x00\x00timeitT\x06\x00\x00\x00timeit\x93."), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "timeit.timeit");
	assert_int_equal(SCAN("S'timeit'\nS\"timeit\"\n\x93."), ESC_PICKLE_DANGEROUS); /* STRING */
	assert_string_equal(imp, "timeit.timeit");
	assert_int_equal(SCAN("Vtimeit\nVtimeit\n\x93."), ESC_PICKLE_DANGEROUS); /* UNICODE */
	assert_string_equal(imp, "timeit.timeit");
	assert_int_equal(SCAN("\x80\x04X\x06\x00\x00\x00timeitr\x07\x01\x00\x00j\x07\x01\x00\x00\x93."),
	                 ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "timeit.timeit");
	assert_int_equal(SCAN("\x80\x04\x8c\x06timeit\x94\x8c\x01x\x94h\x00h\x00\x93."), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "timeit.timeit");
	assert_int_equal(SCAN("\x80\x02\x8c\x06timeitp3\n0g3\ng3\n\x93."), ESC_PICKLE_DANGEROUS); /* PUT/GET */
	assert_string_equal(imp, "timeit.timeit");
	/* escapes the scan does not decode: the import cannot be named, so unsafe */
	assert_int_equal(SCAN("S'time\\x69t'\nS'timeit'\n\x93."), ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "cannot follow"));
	assert_int_equal(SCAN("Vtime\\u0069t\nVtimeit\n\x93."), ESC_PICKLE_DANGEROUS);
	/* INST, OBJ, NEWOBJ, NEWOBJ_EX: the class is an import like any other */
	assert_int_equal(SCAN("(itimeit\nTimer\n."), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "timeit.Timer");
	assert_int_equal(SCAN("(ctimeit\nTimer\no."), ESC_PICKLE_DANGEROUS);
	assert_int_equal(SCAN("\x80\x02" "ccollections\nOrderedDict\n)\x81}b."), ESC_PICKLE_SAFE);
	assert_int_equal(SCAN("\x80\x04" "ccollections\nOrderedDict\n)}\x92."), ESC_PICKLE_SAFE);
	assert_int_equal(SCAN("\x80\x04" "ccollections\nCounter\n)}\x92."), ESC_PICKLE_DANGEROUS);
	/* BUILD on an allowed object, PERSID/BINPERSID (torch's storages) */
	assert_int_equal(SCAN("\x80\x02" "ccollections\nOrderedDict\n)R}b."), ESC_PICKLE_SAFE);
	assert_int_equal(SCAN("P0\n0\x80\x02K\x01Q."), ESC_PICKLE_SAFE);
	/* matching is on the exact pair: no prefix, no other split, no suffix */
	assert_int_equal(SCAN("ctorch\n_utils._rebuild_tensor_v2\n."), ESC_PICKLE_DANGEROUS);
	assert_int_equal(SCAN("ctorch._utils._rebuild_tensor_v2\nx\n."), ESC_PICKLE_DANGEROUS);
	assert_int_equal(SCAN("ccollections\nOrderedDict.fromkeys\n."), ESC_PICKLE_DANGEROUS);
	assert_int_equal(SCAN("ccollections\r\nOrderedDict\n."), ESC_PICKLE_DANGEROUS);
	assert_int_equal(SCAN("ctorch\nFloatStorage\nctorch\nfloat32\nctorch.cuda\nHalfStorage\n."), ESC_PICKLE_SAFE);
	assert_int_equal(SCAN("ctorch\nEvilStorage\n."), ESC_PICKLE_DANGEROUS);
	assert_int_equal(SCAN("cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\ncnumpy\ndtype\n."),
	                 ESC_PICKLE_SAFE);
	assert_int_equal(SCAN("c_codecs\nencode\nc__builtin__\nset\n."), ESC_PICKLE_SAFE);
	assert_int_equal(SCAN("ctorch.storage\n_load_from_bytes\n."), ESC_PICKLE_DANGEROUS);
}

/* TorchScript's own unpickler resolves __torch__ classes: allowed there only. */
static void test_pickle_torchscript(void **state)
{
	static const char ts[] = "c__torch__\nTiny\nc__torch__.torch.nn.modules.linear\nLinear\n"
	                         "ctorch.jit._pickle\nbuild_intlist\n.";
	esc_pickle *p = esc_pickle_new();
	char imp[256];

	(void)state;
	esc_pickle_update(p, (const uint8_t *)ts, sizeof ts - 1);
	assert_int_equal(esc_pickle_final(p, imp, sizeof imp), ESC_PICKLE_DANGEROUS);
	assert_string_equal(imp, "__torch__.Tiny, __torch__.torch.nn.modules.linear.Linear, "
	                         "torch.jit._pickle.build_intlist");
	assert_int_equal(esc_pickle_final_ts(p, imp, sizeof imp), ESC_PICKLE_SAFE);
	esc_pickle_free(p);
	p = esc_pickle_new();
	esc_pickle_update(p, (const uint8_t *)"c__torch__\nTiny\ntimeit\ntimeit\n.", 31);
	assert_int_equal(esc_pickle_final_ts(p, imp, sizeof imp), ESC_PICKLE_DANGEROUS);
	esc_pickle_free(p);
}

static void test_pickle_limits(void **state)
{
	esc_pickle *p = esc_pickle_new();
	char imp[256];
	uint8_t mark = '(';

	(void)state;
	/* a stack deeper than the walker keeps: unknown */
	esc_pickle_update(p, (const uint8_t *)"\x80\x02", 2);
	for (int i = 0; i < 200000; i++)
		esc_pickle_update(p, &mark, 1);
	assert_true(esc_pickle_done(p));
	assert_int_equal(esc_pickle_final(p, imp, sizeof imp), ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(imp, "stack deeper"));
	esc_pickle_free(p);

	/* many pickles back to back, each memoizing at a high index: the memo is
	 * cleared entry by entry, not by capacity (else this runs for hours) */
	p = esc_pickle_new();
	for (int i = 0; i < 200000; i++)
		esc_pickle_update(p, (const uint8_t *)"Nr\x3f\x42\x0f\x00.", 7);
	assert_false(esc_pickle_done(p));
	assert_int_equal(esc_pickle_final(p, imp, sizeof imp), ESC_PICKLE_SAFE);
	esc_pickle_free(p);

	/* set_max: stop after one pickle, report what it consumed */
	p = esc_pickle_new();
	esc_pickle_set_max(p, 1);
	esc_pickle_update(p, (const uint8_t *)"\x80\x02K\x05.garbage", 13);
	assert_true(esc_pickle_done(p));
	assert_int_equal(esc_pickle_consumed(p), 5);
	assert_int_equal(esc_pickle_final(p, imp, sizeof imp), ESC_PICKLE_SAFE);
	esc_pickle_free(p);

	/* past 64 different imports an allowed one is not named, but it is
	 * still a class: BUILD on it (or on what scalar() returns) is judged */
	for (int k = 0; k < 2; k++) {
		static const char *const et[] = { "Float", "Double", "Half", "BFloat16", "Long", "Int", "Short",
		                                  "Char", "Byte", "Bool", "ComplexFloat", "ComplexDouble",
		                                  "QInt8", "QUInt8", "QInt32", "QUInt4x2" };
		static const char build[] = "ctorch.storage\nTypedStorage\nN}\x86" "b.";
		static const char scal[] = "cnumpy.core.multiarray\nscalar\nN" "ctorch.storage\nTypedStorage\n\x86R"
		                           "N}\x86" "b.";
		char g[80];

		p = esc_pickle_new();
		esc_pickle_update(p, (const uint8_t *)"\x80\x02", 2);
		for (int i = 0; i < 64; i++) {
			int n = snprintf(g, sizeof g, "c%s\n%s%s\n0", i & 1 ? "torch.cuda" : "torch", et[i / 4],
			                 i & 2 ? "Tensor" : "Storage");
			esc_pickle_update(p, (const uint8_t *)g, (size_t)n);
		}
		if (k == 0)
			esc_pickle_update(p, (const uint8_t *)build, sizeof build - 1);
		else
			esc_pickle_update(p, (const uint8_t *)scal, sizeof scal - 1);
		assert_int_equal(esc_pickle_final(p, imp, sizeof imp), ESC_PICKLE_DANGEROUS);
		assert_non_null(strstr(imp, "more than 64 imports"));
		esc_pickle_free(p);
	}
}

static void test_inspector_extras(void **state)
{
	struct fx b = { 0 };
	struct esc_inspection r;
	char lfs[200];

	(void)state;
	snprintf(lfs, sizeof lfs, "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 12345\n",
	         "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393");
	fx_s(&b, lfs);
	r = fx_inspect("models/big.safetensors", &b, ESC_FMT_SAFETENSORS);
	assert_true(r.lfs_pointer);
	assert_false(r.wanted_ok);
	fx_free(&b);

	/* a standalone .pkl is scanned */
	FX_LIT(&b, "\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x8c\x06system\x93.");
	r = fx_inspect("x/model.pkl", &b, ESC_FMT_NONE);
	assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
	assert_string_equal(r.pickle_imports, "posix.system");
	/* and so is a pickle under another name, by its PROTO opcode */
	r = fx_inspect("x/model.data", &b, ESC_FMT_NONE);
	assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
	fx_free(&b);
	/* binary data that only starts like a pickle, refused by the unpickler
	 * before any import, is no pickle; under a pickle name it is unsafe */
	FX_LIT(&b, "\x80\x03\xff\x00\x12\x34");
	r = fx_inspect("x/samples.raw", &b, ESC_FMT_NONE);
	assert_int_equal(r.pickle, ESC_PICKLE_NONE);
	r = fx_inspect("x/samples.pkl", &b, ESC_FMT_NONE);
	assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
	fx_free(&b);

	/* the TF table magic at the end of variables.index */
	fx_fill(&b, 100, 1);
	FX_LIT(&b, "\x57\xfb\x80\x8b\x24\x75\x47\xdb");
	r = fx_inspect("sm/variables/variables.index", &b, ESC_FMT_NONE);
	assert_true(r.tf_index_ok);
	b.p[b.n - 1] ^= 1;
	r = fx_inspect("sm/variables/variables.index", &b, ESC_FMT_NONE);
	assert_false(r.tf_index_ok);
	fx_free(&b);

	/* a tf-savedmodel is a folder format: each file passes, the folder is judged */
	fx_fill(&b, 10, 1);
	r = fx_inspect("sm/saved_model.pb", &b, ESC_FMT_TF_SAVEDMODEL);
	assert_true(r.wanted_ok);
	assert_string_equal(r.reason, "");
	fx_free(&b);

	assert_string_equal(esc_format_name(ESC_FMT_TF_SAVEDMODEL), "tf-savedmodel");
	assert_int_equal(esc_format_from_name("safetensors"), ESC_FMT_SAFETENSORS);
	assert_int_equal(esc_format_from_name("text"), ESC_FMT_TEXT);
	assert_int_equal(esc_format_from_name("exe"), ESC_FMT_NONE);
	for (int f = 1; f < ESC_FMT_COUNT; f++)
		assert_int_equal(esc_format_from_name(esc_format_name((enum esc_format)f)), f);
}

static void add(struct esc_files *fs, const char *path, struct esc_inspection *insp)
{
	struct esc_file *f = esc_files_push(fs);

	assert_non_null(f);
	f->path = strdup(path);
	f->type = ESC_FT_FILE;
	if (insp)
		assert_int_equal(esc_files_note(fs, f, insp), 0);
}

static void test_savedmodel(void **state)
{
	struct esc_files fs = { 0 };
	struct esc_inspection good = { .tf_index_ok = true }, bad = { .tf_index_ok = false };
	char why[256];

	(void)state;
	add(&fs, "exp/saved_model.pb", NULL);
	add(&fs, "exp/variables/variables.data-00000-of-00002", NULL);
	add(&fs, "exp/variables/variables.index", &good);
	assert_false(esc_check_savedmodel(&fs, "exp", why, sizeof why));
	assert_string_equal(why, "variables/variables.data-00001-of-00002 missing (1 of 2 shards present)");
	add(&fs, "exp/variables/variables.data-00001-of-00002", NULL);
	esc_files_sort(&fs);
	assert_true(esc_check_savedmodel(&fs, "exp", why, sizeof why));
	assert_false(esc_check_savedmodel(&fs, "other", why, sizeof why));
	assert_string_equal(why, "saved_model.pb missing");
	esc_files_free(&fs);

	memset(&fs, 0, sizeof fs);
	add(&fs, "saved_model.pb", NULL);
	add(&fs, "variables/variables.data-00000-of-00001", NULL);
	add(&fs, "variables/variables.index", &bad);
	assert_false(esc_check_savedmodel(&fs, "", why, sizeof why));
	assert_non_null(strstr(why, "TF table magic"));
	esc_files_free(&fs);

	memset(&fs, 0, sizeof fs);
	add(&fs, "saved_model.pb", NULL);
	add(&fs, "variables/variables.index", &good);
	assert_false(esc_check_savedmodel(&fs, "", why, sizeof why));
	assert_non_null(strstr(why, "no variables"));
	esc_files_free(&fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pickle_verdicts),
		cmocka_unit_test(test_pickle_allowlist),
		cmocka_unit_test(test_pickle_torchscript),
		cmocka_unit_test(test_pickle_limits),
		cmocka_unit_test(test_inspector_extras),
		cmocka_unit_test(test_savedmodel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
