/* replay_driver.c -- runs a fuzz target over its corpus without libFuzzer, so
 * that every build (gcc, no sanitizer, or the ASan one) replays the hostile
 * inputs found so far; the idea of zstd's tests/fuzz/regression_driver.c.
 *
 *   replay_fuzz_NAME PATH...
 *
 * Each PATH is a file or a folder (walked recursively, names in bytewise
 * order); every regular file in it is read into a buffer of exactly its size
 * and given once to LLVMFuzzerTestOneInput. A crash, an abort() in the target
 * or an unreadable file fails the run; a PATH that does not exist replays
 * nothing (a target with no corpus yet) and is reported, not failed. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned long replayed;

static int replay_file(const char *path, off_t size)
{
	/* malloc(0) may return NULL: keep one byte, hand over size 0. */
	uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
	FILE *f = fopen(path, "rb");
	size_t got = 0;
	int bad;

	if (buf == NULL || f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, buf == NULL ? "out of memory" : strerror(errno));
		free(buf);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	if (size > 0)
		got = fread(buf, 1, (size_t)size, f);
	bad = ferror(f) || got != (size_t)size;
	fclose(f);
	if (bad) {
		fprintf(stderr, "replay: %s: cannot read its %lld bytes\n", path, (long long)size);
		free(buf);
		return -1;
	}
	/* Named before the run, so that a crash says which input did it. */
	fprintf(stderr, "replay: %s (%lld bytes)\n", path, (long long)size);
	(void)LLVMFuzzerTestOneInput(buf, (size_t)size);
	free(buf);
	replayed++;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_path(const char *path)
{
	struct stat st;
	struct dirent **names;
	int n, i, rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return replay_file(path, st.st_size);
	if (!S_ISDIR(st.st_mode))
		return 0;
	n = scandir(path, &names, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(path) + strlen(name) + 2;
		char *child = malloc(len);

		if (rc == 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
			if (child == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				rc = -1;
			} else {
				snprintf(child, len, "%s/%s", path, name);
				rc = replay_path(child);
			}
		}
		free(child);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
		return 64;
	}
	if (LLVMFuzzerInitialize != NULL)
		(void)LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0 && errno == ENOENT) {
			fprintf(stderr, "replay: %s does not exist: no corpus, nothing replayed\n", argv[i]);
			continue;
		}
		if (replay_path(argv[i]) != 0)
			return 1;
	}
	printf("replayed %lu inputs\n", replayed);
	return 0;
}
