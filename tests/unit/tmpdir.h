/* tmpdir.h -- a fresh folder for a group of unit tests: tmpdir_setup("name")
 * runs escrow_init() and makes /tmp/escrow-name-XXXXXX, tmpdir_teardown
 * removes it, tpath() names a file in it. Header-only. */
#ifndef ESC_TEST_TMPDIR_H
#define ESC_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

#include "escrow.h"

static char tmpdir[64];

static inline int tmpdir_setup(const char *name)
{
	if (escrow_init() != ESCROW_OK)
		return -1;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/escrow-%s-XXXXXX", name);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int tmpdir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* tmpdir/name, in one of four buffers used in turn (one call may name
 * several files). */
static inline char *tpath(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
	return buf[i];
}

#endif
