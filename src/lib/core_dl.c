/* core_dl.c -- libraries escrow opens at run time, by the first call that
 * needs them, instead of loading them at every start: libpq (a ledger on
 * PostgreSQL, vault_ledger_pg.c) and libgit2 (pack of a git work tree,
 * pack_git.c). Linked, the two and what they need were 27 of escrow's 49
 * libraries and half of its start-up time (12 of 25 ms of CPU here). */
#include "escrow_private.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

bool esc_dl_load(struct esc_dl *d)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	bool ok;

	pthread_mutex_lock(&mu);
	if (!d->tried) {
		void *h = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);

		d->tried = true;
		if (h == NULL) {
			const char *e = dlerror();

			snprintf(d->error, sizeof d->error, "%s", e != NULL ? e : "cannot be loaded");
		}
		for (size_t i = 0; h != NULL && i < d->n; i++) {
			void *f = dlsym(h, d->names[i]);

			if (f == NULL) {
				snprintf(d->error, sizeof d->error, "%s has no %s", d->soname, d->names[i]);
				break;
			}
			memcpy(&d->fns[i], &f, sizeof f); /* POSIX: a function's address fits a void * */
		}
		if (h != NULL && d->error[0] != '\0') { /* a library without a symbol is given back whole */
			memset(d->fns, 0, d->n * sizeof d->fns[0]);
			dlclose(h);
		}
	}
	ok = d->error[0] == '\0';
	pthread_mutex_unlock(&mu);
	return ok;
}
