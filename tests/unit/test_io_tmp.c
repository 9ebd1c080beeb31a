/* test_io_tmp.c -- temporary outputs (io_tmp.c): a child that dies
 * without cleaning up (as after SIGKILL) leaves its temporary, which the next
 * sweep of the same output removes; one whose writer still runs is kept and
 * named; folders are removed without following links; nothing else in the
 * folder is touched. Processes are synchronised with pipes, never timed. */
#define _GNU_SOURCE /* unshare */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escrow_private.h"
#include "tmpdir.h"

static int setup(void **state)
{
	(void)state;
	return tmpdir_setup("tmp");
}

static char warnings[4096];

static void on_warn(void *user, const char *msg)
{
	size_t n = strlen(warnings);

	(void)user;
	snprintf(warnings + n, sizeof warnings - n, "%s\n", msg);
}

static escrow_ctx *new_ctx(void)
{
	escrow_ctx *ctx = escrow_ctx_new();

	assert_non_null(ctx);
	escrow_ctx_set_warn(ctx, on_warn, NULL);
	warnings[0] = '\0';
	return ctx;
}

static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* A child makes the temporary of `out`, reports its name through a pipe,
 * then either dies at once without cleaning up (hold NULL) or waits until the
 * parent closes hold[1]. Returns the child's pid; *name gets the path. */
static pid_t child_temp(const char *out, bool folder, const int *hold, char name[512])
{
	int p[2];
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		escrow_ctx *ctx = escrow_ctx_new();
		char *tmp = NULL, c;
		int fd = -1;

		close(p[0]);
		if (hold != NULL)
			close(hold[1]);
		if (esc_tmp_create(ctx, out, folder, folder ? 0700 : 0644, &fd, &tmp) != ESCROW_OK)
			_exit(2);
		if (folder) {
			/* Unverified content, with a link out of the folder. */
			(void)mkdirat(fd, "data", 0700);
			(void)symlinkat("../../outside.txt", fd, "data/link");
			(void)close(openat(fd, "data/part.bin", O_WRONLY | O_CREAT, 0600));
		}
		(void)write(p[1], tmp, strlen(tmp) + 1);
		close(p[1]);
		if (hold != NULL)
			(void)read(hold[0], &c, 1); /* until the parent closes its end */
		_exit(0);                        /* no cleanup: what SIGKILL leaves */
	}
	close(p[1]);
	n = read(p[0], name, 511);
	close(p[0]);
	assert_true(n > 0);
	name[n] = '\0';
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_dead_writer_removed(void **state)
{
	escrow_ctx *ctx = new_ctx();
	char name[512], want[600];
	pid_t pid;

	(void)state;
	pid = child_temp(tpath("out.escrow"), false, NULL, name);
	reap(pid);
	assert_true(exists(name));
	/* DIR/.BASE.escrow-tmp.HOST.PID.RANDOM */
	snprintf(want, sizeof want, "%s", tpath(".out.escrow.escrow-tmp."));
	assert_memory_equal(name, want, strlen(want));
	snprintf(want, sizeof want, ".%ld.", (long)pid);
	assert_non_null(strstr(name + strlen(tpath(".out.escrow.escrow-tmp.")), want));
	/* Another output's sweep leaves it alone. */
	esc_tmp_sweep(ctx, tpath("other.escrow"));
	assert_true(exists(name));
	assert_string_equal(warnings, "");
	esc_tmp_sweep(ctx, tpath("out.escrow"));
	assert_false(exists(name));
	assert_non_null(strstr(warnings, "removed: a temporary output left by process"));
	escrow_ctx_free(ctx);
}

static void test_live_writer_kept(void **state)
{
	escrow_ctx *ctx = new_ctx();
	char name[512], want[64];
	int hold[2];
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(hold), 0);
	pid = child_temp(tpath("live.escrow"), false, hold, name);
	close(hold[0]);
	esc_tmp_sweep(ctx, tpath("live.escrow"));
	assert_true(exists(name));
	snprintf(want, sizeof want, "kept: process %ld is still writing it", (long)pid);
	assert_non_null(strstr(warnings, want));
	/* The writer ends without cleaning up: now it goes. */
	close(hold[1]);
	reap(pid);
	warnings[0] = '\0';
	esc_tmp_sweep(ctx, tpath("live.escrow"));
	assert_false(exists(name));
	assert_non_null(strstr(warnings, "removed"));
	escrow_ctx_free(ctx);
}

static void test_folder_removed_without_following_links(void **state)
{
	escrow_ctx *ctx = new_ctx();
	char name[512];
	FILE *f;
	pid_t pid;

	(void)state;
	f = fopen(tpath("outside.txt"), "w");
	assert_non_null(f);
	fputs("keep me\n", f);
	fclose(f);
	pid = child_temp(tpath("dest"), true, NULL, name);
	reap(pid);
	assert_true(exists(name));
	/* The next extract into dest: the stale folder goes, the link's target stays. */
	{
		char *tmp = NULL;
		int fd = -1;

		assert_int_equal(esc_tmp_create(ctx, tpath("dest"), true, 0700, &fd, &tmp), ESCROW_OK);
		assert_false(exists(name));
		assert_true(exists(tpath("outside.txt")));
		assert_non_null(strstr(warnings, "removed"));
		close(fd);
		assert_int_equal(rmdir(tmp), 0);
		free(tmp);
	}
	escrow_ctx_free(ctx);
}

/* In a mount namespace of its own (as root, or as root of a new user
 * namespace): 0 when it could be made. */
static int own_mount_ns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int fd;

	if (uid == 0 && unshare(CLONE_NEWNS) == 0)
		return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return -1;
	fd = open("/proc/self/setgroups", O_WRONLY);
	if (fd >= 0) {
		(void)!write(fd, "deny", 4);
		close(fd);
	}
	snprintf(map, sizeof map, "0 %ld 1", (long)uid);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return -1;
	close(fd);
	snprintf(map, sizeof map, "0 %ld 1", (long)gid);
	fd = open("/proc/self/gid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return -1;
	close(fd);
	return 0;
}

/* A file system mounted inside a stale folder is not the folder's content:
 * the sweep stays on the folder's device. */
static void test_folder_removal_stays_on_its_device(void **state)
{
	char name[512], sub[600], victim[700];
	pid_t pid, w;
	int status;

	(void)state;
	pid = child_temp(tpath("mnt"), true, NULL, name);
	reap(pid);
	snprintf(sub, sizeof sub, "%s/data", name);
	snprintf(victim, sizeof victim, "%s/victim.txt", sub);
	w = fork();
	assert_true(w >= 0);
	if (w == 0) {
		escrow_ctx *ctx;
		FILE *f;

		if (own_mount_ns() != 0 || mount("none", sub, "tmpfs", 0, NULL) != 0)
			_exit(77);
		f = fopen(victim, "w");
		if (f == NULL)
			_exit(3);
		fputs("not the temporary's\n", f);
		fclose(f);
		ctx = new_ctx();
		esc_tmp_sweep(ctx, tpath("mnt"));
		_exit(exists(victim) ? 0 : 1);
	}
	assert_int_equal(waitpid(w, &status, 0), w);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		fprintf(stderr, "SKIPPED: test_folder_removal_stays_on_its_device: no mount namespace of its own "
		                "here (unprivileged user namespaces are off), so no file system to mount\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_own_and_foreign_names_kept(void **state)
{
	escrow_ctx *ctx = new_ctx();
	char *tmp = NULL, host[128], path[600];
	const char *h;
	int fd = -1;
	size_t n;

	(void)state;
	/* Our own live temporary (locked) is kept; learn the host label from it. */
	assert_int_equal(esc_tmp_create(ctx, tpath("own.bin"), false, 0644, &fd, &tmp), ESCROW_OK);
	h = tmp + strlen(tpath(".own.bin.escrow-tmp."));
	n = strcspn(h, ".");
	assert_true(n > 0 && n < sizeof host);
	memcpy(host, h, n);
	host[n] = '\0';
	/* Unlocked but named after this (running) process: kept, silently. */
	snprintf(path, sizeof path, "%s.%s.%ld.0000abcd", tpath(".own.bin.escrow-tmp"), host, (long)getpid());
	close(open(path, O_WRONLY | O_CREAT, 0644));
	/* Another host's, and names that only look like a temporary's. */
	close(open(tpath(".own.bin.escrow-tmp.elsewhere.1.0000abcd"), O_WRONLY | O_CREAT, 0644));
	close(open(tpath(".own.bin.escrow-tmp.x.y.1.0000abcd"), O_WRONLY | O_CREAT, 0644));
	close(open(tpath(".own.bin.escrow-tmp.x.1.abc"), O_WRONLY | O_CREAT, 0644));
	warnings[0] = '\0';
	esc_tmp_sweep(ctx, tpath("own.bin"));
	assert_true(exists(tmp));
	assert_true(exists(path));
	assert_true(exists(tpath(".own.bin.escrow-tmp.elsewhere.1.0000abcd")));
	assert_non_null(strstr(warnings, "made on host 'elsewhere'"));
	assert_true(exists(tpath(".own.bin.escrow-tmp.x.y.1.0000abcd")));
	assert_true(exists(tpath(".own.bin.escrow-tmp.x.1.abc")));
	assert_non_null(strstr(warnings, "still writing it"));
	/* The commit keeps the lock until the rename, then the name is gone. */
	assert_int_equal(esc_write_all(ctx, fd, "x", 1, "own.bin"), ESCROW_OK);
	assert_int_equal(esc_atomic_commit(ctx, fd, tmp, tpath("own.bin"), 0), ESCROW_OK);
	assert_false(exists(tmp));
	assert_true(exists(tpath("own.bin")));
	free(tmp);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dead_writer_removed),
		cmocka_unit_test(test_live_writer_kept),
		cmocka_unit_test(test_folder_removed_without_following_links),
		cmocka_unit_test(test_own_and_foreign_names_kept),
		cmocka_unit_test(test_folder_removal_stays_on_its_device),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
