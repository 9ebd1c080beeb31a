/* pickle_class.c -- which imports a pickle may make.
 * Loading a pickle calls whatever its GLOBAL/STACK_GLOBAL imports name, so
 * the imports decide whether loading it is safe. The lists follow the
 * picklescan / modelscan / fickling consensus: a short list of callables
 * known to run code, a short list known to be needed for plain weights, and
 * everything else unknown (never assumed safe). */
#include "formats/pickle_int.h"

#include <string.h>

static const char *const danger_modules[] = {
	"os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "runpy", "pty", "pickle",
	"_pickle", "cPickle", "pdb", "ctypes", "webbrowser", "commands", "importlib", "marshal",
	"_posixsubprocess", "code", "multiprocessing", "asyncio", NULL
};
static const char *const danger_builtins[] = {
	"eval", "exec", "execfile", "compile", "getattr", "setattr", "delattr", "open", "__import__",
	"apply", "input", "breakpoint", "globals", "locals", "vars", NULL
};
static const char *const danger_exact[] = {
	"functools.partial", "operator.attrgetter", "operator.methodcaller", NULL
};
static const char *const safe_exact[] = {
	"collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
	"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct", "numpy.dtype",
	"numpy.ndarray", NULL
};

static bool module_is(const char *mod, const char *want)
{
	size_t n = strlen(want);

	return strncmp(mod, want, n) == 0 && (mod[n] == '\0' || mod[n] == '.');
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

enum esc_pickle_verdict esc_pickle_classify(const char *module, const char *name)
{
	char full[2 * ESC_PK_NAME_MAX + 2];
	size_t n = strlen(name);

	snprintf(full, sizeof full, "%s.%s", module, name);
	for (const char *const *m = danger_modules; *m; m++)
		if (module_is(module, *m))
			return ESC_PICKLE_DANGEROUS;
	if ((strcmp(module, "builtins") == 0 || strcmp(module, "__builtin__") == 0 ||
	     strcmp(module, "__builtins__") == 0) && in_list(name, danger_builtins))
		return ESC_PICKLE_DANGEROUS;
	if (in_list(full, danger_exact))
		return ESC_PICKLE_DANGEROUS;
	if (in_list(full, safe_exact))
		return ESC_PICKLE_SAFE;
	/* torch.FloatStorage, torch.BFloat16Storage, torch.UntypedStorage ... */
	if (strcmp(module, "torch") == 0 && n > 7 && strcmp(name + n - 7, "Storage") == 0 &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n)
		return ESC_PICKLE_SAFE;
	return ESC_PICKLE_UNKNOWN;
}
