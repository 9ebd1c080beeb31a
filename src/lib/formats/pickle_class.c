/* pickle_class.c -- which imports a pickle may make.
 * Loading a pickle calls whatever its imports name, and any callable can be
 * reached that way (timeit.timeit exec's its setup string, numpy.testing's
 * runstring exec's its argument), so a list of known-bad names always loses.
 * This is an allowlist: the callables torch.save, np.save and pickle use to
 * rebuild tensors, arrays and containers, close to what torch's own
 * weights-only unpickler accepts (torch/_weights_only_unpickler.py). Each
 * entry, and why it cannot run code, is in docs/PICKLE.md. Matching is on
 * the exact (module, name) pair a writer emits, never on prefixes. */
#include "formats/pickle_int.h"

#include <string.h>

struct pair {
	const char *module, *name;
};

static const struct pair allowed[] = {
	/* containers */
	{ "collections", "OrderedDict" },
	{ "builtins", "set" }, { "builtins", "frozenset" }, { "builtins", "bytearray" },
	{ "builtins", "complex" }, { "builtins", "slice" },
	{ "__builtin__", "set" }, { "__builtin__", "frozenset" }, { "__builtin__", "bytearray" },
	{ "__builtin__", "complex" }, { "__builtin__", "slice" },
	/* bytes in protocols 2 and lower: _codecs.encode(str, "latin1") */
	{ "_codecs", "encode" },
	/* torch tensors, parameters and their metadata */
	{ "torch._utils", "_rebuild_tensor" }, { "torch._utils", "_rebuild_tensor_v2" },
	{ "torch._utils", "_rebuild_parameter" }, { "torch._utils", "_rebuild_parameter_with_state" },
	{ "torch._utils", "_rebuild_sparse_tensor" }, { "torch._utils", "_rebuild_sparse_csr_tensor" },
	{ "torch._utils", "_rebuild_meta_tensor_no_storage" }, { "torch._utils", "_rebuild_qtensor" },
	{ "torch.serialization", "_get_layout" },
	{ "torch", "Size" }, { "torch", "Tensor" }, { "torch", "device" },
	{ "torch.nn.parameter", "Parameter" },
	{ "torch.storage", "TypedStorage" }, { "torch.storage", "UntypedStorage" },
	{ "torch", "UntypedStorage" },
	/* numpy arrays, dtypes and scalars (numpy 1 and 2 module names) */
	{ "numpy", "ndarray" }, { "numpy", "dtype" },
	{ "numpy.core.multiarray", "_reconstruct" }, { "numpy._core.multiarray", "_reconstruct" },
	{ "numpy.core.multiarray", "scalar" }, { "numpy._core.multiarray", "scalar" },
	{ "numpy.core.numeric", "_frombuffer" }, { "numpy._core.numeric", "_frombuffer" },
	{ NULL, NULL }
};

/* torch.<T>Storage, torch.cuda.<T>Storage (storages), torch.<T>Tensor,
 * torch.cuda.<T>Tensor (legacy tensor types) for these element types. */
static const char *const elem_types[] = {
	"Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
	"ComplexFloat", "ComplexDouble", "QInt8", "QUInt8", "QInt32", "QUInt4x2", "QUInt2x4", NULL
};

/* torch.<dtype>: a dtype pickles as a reference to its torch attribute. */
static const char *const dtypes[] = {
	"float16", "float32", "float64", "bfloat16", "half", "float", "double", "complex32",
	"complex64", "complex128", "cfloat", "cdouble", "chalf", "uint8", "int8", "int16", "int32",
	"int64", "short", "int", "long", "bool", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
	/* quantization schemes (_rebuild_qtensor's arguments), pickled the same way */
	"per_tensor_affine", "per_channel_affine", "per_tensor_symmetric", "per_channel_symmetric",
	"per_channel_affine_float_qparams", NULL
};

/* The TorchScript unpickler (torch.jit.load) resolves no Python module: it
 * knows these helpers and the classes compiled from the archive's code/. */
static const struct pair ts_allowed[] = {
	{ "torch.jit._pickle", "build_intlist" }, { "torch.jit._pickle", "build_tensorlist" },
	{ "torch.jit._pickle", "build_doublelist" }, { "torch.jit._pickle", "build_boollist" },
	{ "torch.jit._pickle", "build_tensor_from_id" }, { "torch.jit._pickle", "restore_type_tag" },
	{ NULL, NULL }
};

static bool in_pairs(const struct pair *list, const char *module, const char *name)
{
	for (; list->module; list++)
		if (strcmp(module, list->module) == 0 && strcmp(name, list->name) == 0)
			return true;
	return false;
}

/* name is <T><suffix> for one of the element types. */
static bool typed(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	if (n <= k || strcmp(name + n - k, suffix) != 0)
		return false;
	for (const char *const *t = elem_types; *t; t++)
		if (strlen(*t) == n - k && strncmp(name, *t, n - k) == 0)
			return true;
	return false;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* A TorchScript class: __torch__ or __torch__.a.b, and an identifier. */
static bool torchscript_class(const char *module, const char *name)
{
	const char *ok = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";

	return (strcmp(module, "__torch__") == 0 || strncmp(module, "__torch__.", 10) == 0) &&
	       strspn(module, ok) == strlen(module) && name[0] && strspn(name, ok) == strlen(name) &&
	       !strchr(name, '.');
}

enum esc_pickle_verdict esc_pickle_classify(const char *module, const char *name, bool torchscript)
{
	if (in_pairs(allowed, module, name))
		return ESC_PICKLE_SAFE;
	if ((strcmp(module, "torch") == 0 || strcmp(module, "torch.cuda") == 0) &&
	    (typed(name, "Storage") || typed(name, "Tensor")))
		return ESC_PICKLE_SAFE;
	if (strcmp(module, "torch") == 0 && in_list(name, dtypes))
		return ESC_PICKLE_SAFE;
	if (torchscript && (in_pairs(ts_allowed, module, name) || torchscript_class(module, name)))
		return ESC_PICKLE_SAFE;
	return ESC_PICKLE_DANGEROUS;
}
