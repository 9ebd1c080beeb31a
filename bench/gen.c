/* gen.c -- deterministic benchmark data: gaussian float32 weights (raw or
 * as a safetensors file), CSV rows, C-like source text, and a tree of many
 * small source files.
 * Usage: gen weights|safetensors|csv|code BYTES SEED > FILE
 *        gen tree DIR FILES SEED   (FILES files of 0.5-6 KB in folders of 100) */
#include <math.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s;

static uint64_t next(void)
{
	/* splitmix64: fast and good enough for test data */
	uint64_t z = (s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static double unif(void)
{
	return ((double)(next() >> 11) + 0.5) / 9007199254740992.0;
}

static void weights(uint64_t n)
{
	float buf[4096];
	uint64_t done = 0;

	while (done < n) {
		size_t i, k = sizeof buf;

		for (i = 0; i < 4096; i += 2) {
			double r = sqrt(-2.0 * log(unif())), t = 6.283185307179586 * unif();

			buf[i] = (float)(0.02 * r * cos(t));
			buf[i + 1] = (float)(0.02 * r * sin(t));
		}
		if (n - done < k)
			k = (size_t)(n - done);
		fwrite(buf, 1, k, stdout);
		done += k;
	}
}

/* One F32 tensor "w" of n bytes (a multiple of 4), behind the 8-byte header
 * length and a JSON header padded with spaces to a multiple of 8. */
static void safetensors(uint64_t n)
{
	char h[256];
	uint64_t len;
	int k = snprintf(h, sizeof h, "{\"w\":{\"dtype\":\"F32\",\"shape\":[%llu],\"data_offsets\":[0,%llu]}}",
	                 (unsigned long long)(n / 4), (unsigned long long)(n / 4 * 4));
	unsigned char le[8];
	int i;

	while (k % 8 != 0)
		h[k++] = ' ';
	len = (uint64_t)k;
	for (i = 0; i < 8; i++)
		le[i] = (unsigned char)(len >> (8 * i));
	fwrite(le, 1, 8, stdout);
	fwrite(h, 1, (size_t)k, stdout);
	weights(n / 4 * 4);
}

static void csv(uint64_t n)
{
	static const char *const city[] = {"Paris", "Lyon", "Berlin", "Madrid", "Rome", "Oslo", "Wien", "Praha"};
	uint64_t done = 0, id = 0;
	char line[256];

	done += (uint64_t)printf("id,timestamp,city,amount,score,label\n");
	while (done < n) {
		int k = snprintf(line, sizeof line, "%llu,2025-%02d-%02dT%02d:%02d:%02d,%s,%.2f,%.6f,%d\n",
		                 (unsigned long long)++id, (int)(next() % 12) + 1, (int)(next() % 28) + 1,
		                 (int)(next() % 24), (int)(next() % 60), (int)(next() % 60), city[next() % 8],
		                 unif() * 5000.0, unif(), (int)(next() % 2));

		if ((uint64_t)k > n - done)
			k = (int)(n - done);
		fwrite(line, 1, (size_t)k, stdout);
		done += (uint64_t)k;
	}
}

static void code(uint64_t n)
{
	static const char *const words[] = {"int", "return", "if", "for", "while", "static", "const", "char",
	                                    "size_t", "buffer", "length", "status", "error", "ctx", "node",
	                                    "value", "result", "struct", "uint64_t", "void", "free", "out"};
	uint64_t done = 0;
	char line[256];

	while (done < n) {
		int k = 0, w = 2 + (int)(next() % 8), i;

		k += snprintf(line + k, sizeof line - (size_t)k, "%*s", (int)(next() % 4) * 8, "");
		for (i = 0; i < w; i++)
			k += snprintf(line + k, sizeof line - (size_t)k, "%s%s", words[next() % 22],
			              i + 1 < w ? (next() % 3 ? " " : "_") : ";\n");
		if ((uint64_t)k > n - done)
			k = (int)(n - done);
		fwrite(line, 1, (size_t)k, stdout);
		done += (uint64_t)k;
	}
}

static int tree(const char *dir, uint64_t files)
{
	char path[4096];
	uint64_t i;

	mkdir(dir, 0755);
	for (i = 0; i < files; i++) {
		if (i % 100 == 0) {
			snprintf(path, sizeof path, "%s/pkg%05llu", dir, (unsigned long long)(i / 100));
			mkdir(path, 0755);
		}
		snprintf(path, sizeof path, "%s/pkg%05llu/mod%05llu.c", dir, (unsigned long long)(i / 100),
		         (unsigned long long)i);
		if (freopen(path, "w", stdout) == NULL)
			return 73;
		code(512 + next() % 5632);
		if (fflush(stdout) != 0)
			return 74;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n;

	if (argc == 5 && strcmp(argv[1], "tree") == 0) {
		s = strtoull(argv[4], NULL, 10);
		return tree(argv[2], strtoull(argv[3], NULL, 10));
	}
	if (argc != 4)
		return 64;
	n = strtoull(argv[2], NULL, 10);
	s = strtoull(argv[3], NULL, 10);
	if (strcmp(argv[1], "weights") == 0)
		weights(n);
	else if (strcmp(argv[1], "safetensors") == 0)
		safetensors(n);
	else if (strcmp(argv[1], "csv") == 0)
		csv(n);
	else if (strcmp(argv[1], "code") == 0)
		code(n);
	else
		return 64;
	return fflush(stdout) == 0 ? 0 : 74;
}
