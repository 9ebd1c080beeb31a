/* core_suggest.c -- "did you mean": the closest word by optimal string
 * alignment distance (Levenshtein plus adjacent swaps), as git's help.c and
 * cargo's suggestions do, for contract keys, formats and kinds and the
 * command line's subcommands and options. */
#include "escrow_private.h"

#include <string.h>

#define MAXW 64

/* The distance between a and b, or a number above limit when it is larger
 * (or either is longer than MAXW). */
static size_t distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[MAXW + 1][MAXW + 1];

	if (la > MAXW || lb > MAXW || (la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

const char *escrow_suggest(const char *word, const char *const *candidates)
{
	size_t len, limit, best_d;
	const char *best = NULL;

	if (word == NULL || candidates == NULL)
		return NULL;
	len = strlen(word);
	limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	if (limit >= len)
		limit = len ? len - 1 : 0;
	if (limit == 0)
		return NULL;
	best_d = limit + 1;
	for (; *candidates; candidates++) {
		size_t dd = distance(word, *candidates, limit);

		if (dd < best_d) {
			best_d = dd;
			best = *candidates;
		}
	}
	return best;
}
