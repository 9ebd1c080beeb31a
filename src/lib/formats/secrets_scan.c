/* secrets_scan.c -- finding credentials left in a deposit.
 * A finding names the line and the kind of secret, never the secret: the
 * report is read by people who must not learn it.
 *
 * What is found (token shapes are matched at a word start: the byte before
 * is not a letter or digit, and fixed-length tokens must end there too):
 *   PEM private keys   "-----BEGIN <label>PRIVATE KEY-----" (RSA, EC, DSA,
 *                      ENCRYPTED, OPENSSH, PGP ... KEY BLOCK) alone at the
 *                      end of its line with a base64 (or Proc-Type) line
 *                      after it, or followed by a literal "\n" and base64
 *                      (a key pasted into JSON). A header inside quotes in
 *                      code (a parser looking for it) is not a key.
 *   AWS                AKIA/ASIA + 16 [A-Z0-9]; aws_secret_access_key (any
 *                      case) then '=' or ':' then 40 [A-Za-z0-9/+]
 *   GitHub             gh[pousr]_ + 36.. [A-Za-z0-9]; github_pat_ + 22.. [A-Za-z0-9_]
 *   Slack              xox[abprs]- + 10.. [A-Za-z0-9-]
 *   Google API key     AIza + 35 [A-Za-z0-9_-]
 *   Anthropic          sk-ant- + 32.. [A-Za-z0-9_-]
 *   OpenAI             sk-proj-..., sk-<32.. [A-Za-z0-9_-]> with a digit and a letter
 *   Hugging Face       hf_ + 34 [A-Za-z]
 *   Stripe             sk_live_ / rk_live_ + 20.. [A-Za-z0-9]
 *   .env files         (base name .env or .env.*, except .env.example,
 *                      .env.sample, .env.template): NAME=value where NAME
 *                      holds PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN,
 *                      API_KEY, APIKEY, PRIVATE_KEY, ACCESS_KEY, AUTH_KEY or
 *                      CREDENTIAL and does not end in _URL, _PATH, _FILE,
 *                      _LENGTH, _TTL, ... (settings about a secret); and a
 *                      .env file with any real assignment is itself one
 *                      finding, since it holds deployment settings.
 * Placeholders are not findings: a token body containing xxxx, example,
 * your, placeholder, dummy, redacted, replace, changeme, "<" or "...", or
 * with too few distinct characters to be random; in .env files also empty
 * values, ${VAR} / $VAR references, <...>, one repeated character, and the
 * words changeme, example, none, null, true, false, password, secret, ...
 *
 * Lines are scanned where they lie in the caller's chunk; a line split over
 * chunks is gathered in a bounded buffer. A line longer than SEC_WINDOW is
 * scanned in windows that overlap by SEC_OVERLAP bytes (longer than any
 * token with its context), and a token touching a window's end is left to
 * the next window; the same (line, kind) is reported once. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "esc_fmt.h"

#define SEC_WINDOW (64 * 1024)
#define SEC_OVERLAP 256
#define SEC_KEEP 16
#define SEC_RECENT 8
#define SEC_DISTINCT 10 /* placeholder() needs to count distinct bytes up to this */

/* Token classes whose runs a token body is measured on. */
enum { RC_TOK, RC_SLACK, RC_ALNUM_US, RC_ALNUM, RC_COUNT };

/* One maximal run of a class in the buffer being scanned, and what
 * placeholder() and the OpenAI check ask of any of its suffixes: a
 * line of "sk-sk-sk-..." holds a trigger every 3 bytes, all in one run of
 * token bytes, and measuring that run again for each of them was quadratic
 * (a 64 KiB line cost 30 s). Each run is measured once. */
struct run_memo {
	bool valid;
	size_t start, end;           /* [start, end) */
	size_t word;                 /* last start of a placeholder word, SIZE_MAX if none */
	size_t digit, alpha;         /* last digit, last letter, SIZE_MAX if none */
	size_t seen[SEC_DISTINCT];   /* last positions of its last distinct bytes, descending */
	unsigned n_seen;
};

struct esc_secrets {
	bool env;
	bool cont;               /* buf continues a line already partly scanned */
	uint8_t prev;            /* the byte before buf[0] when cont */
	uint64_t line;
	size_t blen;
	unsigned total, kept;
	char found[SEC_KEEP][128];
	struct { uint64_t line; const char *label; } recent[SEC_RECENT];
	unsigned nrecent;
	const char *pem_label;   /* a header waiting for its base64 line */
	uint64_t pem_line;
	uint64_t env_first;      /* first real assignment line in a .env file */
	bool env_secret;
	size_t bmax;             /* high-water mark of buf, to wipe only what was used */
	struct run_memo memo[RC_COUNT]; /* valid within one scan() */
	uint8_t buf[SEC_WINDOW];
};

/* The hot loop looks at byte pairs: TRIG[c] has one bit per token family
 * starting with c, SECOND[c] the bits of the families whose second byte
 * may be c ("--", "AK" "AS" "AI" "AW", "aw", "gh" "gi", "hf", "rk", "sk",
 * "xo"). Most bytes of code and prose fail this at once. */
static const uint8_t TRIG[256] = {
	['-'] = 1, ['A'] = 2, ['a'] = 4, ['g'] = 8, ['h'] = 16, ['r'] = 32, ['s'] = 64, ['x'] = 128,
};
static const uint8_t SECOND[256] = {
	['-'] = 1, ['K'] = 2, ['S'] = 2, ['I'] = 2, ['W'] = 2 | 4, ['w'] = 2 | 4, ['h'] = 8, ['i'] = 8,
	['f'] = 16, ['k'] = 32 | 64, ['o'] = 128,
};

static int is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}
static int is_upnum(uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); }
static int is_alpha(uint8_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static int is_tok(uint8_t c) { return is_alnum(c) || c == '_' || c == '-'; }
static int is_alnum_us(uint8_t c) { return is_alnum(c) || c == '_'; }
static int is_b64(uint8_t c) { return is_alnum(c) || c == '+' || c == '/'; }
static int is_slack(uint8_t c) { return is_alnum(c) || c == '-'; }

/* The run of class bytes at i, counted up to max. */
static size_t run(const uint8_t *p, size_t n, size_t i, int (*cls)(uint8_t), size_t max)
{
	size_t j = i;

	while (j < n && j - i < max && cls(p[j]))
		j++;
	return j - i;
}

static void add(struct esc_secrets *s, uint64_t line, const char *label, const char *detail)
{
	for (unsigned k = 0; k < s->nrecent && k < SEC_RECENT; k++)
		if (s->recent[k].line == line && s->recent[k].label == label)
			return;
	s->recent[s->nrecent++ % SEC_RECENT].line = line;
	s->recent[(s->nrecent - 1) % SEC_RECENT].label = label;
	if (s->kept < SEC_KEEP) {
		snprintf(s->found[s->kept], sizeof s->found[0], "line %llu: %s%s",
		         (unsigned long long)line, label, detail ? detail : "");
		s->kept++;
	}
	s->total++;
}

static int contains_ci(const uint8_t *p, size_t n, const char *needle)
{
	const size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp((const char *)p + i, needle, k) == 0)
			return 1;
	return 0;
}

static const char *const PLACEHOLDER_WORDS[] = {"xxxx", "example", "your", "placeholder", "dummy",
                                                "redacted", "replace", "changeme", "<", "...", NULL};

/* A token body that is a stand-in, not a secret: a placeholder word, or
 * too few distinct bytes to be random. */
static int placeholder(const uint8_t *p, size_t n)
{
	const char *const *words = PLACEHOLDER_WORDS;
	bool seen[256] = {false};
	size_t distinct = 0;

	for (const char *const *w = words; *w; w++)
		if (contains_ci(p, n, *w))
			return 1;
	for (size_t i = 0; i < n; i++)
		if (!seen[p[i]]) {
			seen[p[i]] = true;
			distinct++;
		}
	return distinct * 2 < (n < 20 ? n : 20);
}

/* Fixed-length token: exactly len class bytes at i, then a boundary. */
static int fixed(const uint8_t *p, size_t n, size_t i, size_t len, int (*cls)(uint8_t), int last)
{
	size_t r = run(p, n, i, cls, len + 1);

	if (r != len)
		return 0;
	if (i + r == n)
		return last; /* the next window decides */
	return !is_alnum(p[i + r]);
}

/* "-----BEGIN ... PRIVATE KEY-----" at i. */
static void pem_at(struct esc_secrets *s, const uint8_t *p, size_t n, size_t i, int last)
{
	size_t j = i + 11, k;
	const char *label;

	if (n - i < 11 || memcmp(p + i, "-----BEGIN ", 11) != 0)
		return;
	for (k = j; k < n && k - j < 48 && (is_upnum(p[k]) || p[k] == ' '); k++)
		;
	if (k + 5 > n || memcmp(p + k, "-----", 5) != 0)
		return;
	if (!((k - j >= 11 && memcmp(p + k - 11, "PRIVATE KEY", 11) == 0) ||
	      (k - j >= 17 && memcmp(p + k - 17, "PRIVATE KEY BLOCK", 17) == 0)))
		return;
	label = contains_ci(p + j, k - j, "OPENSSH") ? "OpenSSH private key" :
	        contains_ci(p + j, k - j, "PGP") ? "PGP private key block" :
	        contains_ci(p + j, k - j, "ENCRYPTED") ? "encrypted PEM private key" : "PEM private key";
	for (k += 5; k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'); k++)
		;
	if (k == n) {
		if (last) {
			s->pem_label = label;
			s->pem_line = s->line;
		}
		return;
	}
	/* Pasted into JSON or a string with escaped line ends. */
	if (p[k] == '\\' && k + 1 < n && p[k + 1] == 'n') {
		k += 2;
	} else if (n - k >= 4 && memcmp(p + k, "\\r\\n", 4) == 0) {
		k += 4;
	} else {
		return;
	}
	if (k < n && is_b64(p[k]))
		add(s, s->line, label, NULL);
}

/* aws_secret_access_key, then = or :, then a 40-character secret. */
static void aws_secret_at(struct esc_secrets *s, const uint8_t *p, size_t n, size_t i, int last)
{
	size_t j = i + 21, k, r;
	int sep = 0;

	if (n - i < 21 || strncasecmp((const char *)p + i, "aws_secret_access_key", 21) != 0)
		return;
	for (k = j; k < n && k - j < 8 && p[k] && strchr(" \t\"':=>", p[k]); k++)
		if (p[k] == '=' || p[k] == ':')
			sep = 1;
	if (!sep)
		return;
	r = run(p, n, k, is_b64, 41);
	if (r != 40 || (k + r == n && !last) || placeholder(p + k, r))
		return;
	add(s, s->line, "AWS secret access key", NULL);
}

static int (*const RC_CLASS[RC_COUNT])(uint8_t) = {is_tok, is_slack, is_alnum_us, is_alnum};

/* The memo of the class run through i (p[i] is of the class), measured once:
 * its bounds, then one walk back from its end for what suffixes need. */
static const struct run_memo *run_memo(struct esc_secrets *s, const uint8_t *p, size_t n, size_t i, unsigned rc)
{
	struct run_memo *m = &s->memo[rc];
	int (*cls)(uint8_t) = RC_CLASS[rc];
	bool seen[256] = {false};
	size_t k;

	if (m->valid && i >= m->start && i < m->end)
		return m;
	m->valid = true;
	m->start = i;
	while (m->start > 0 && cls(p[m->start - 1]))
		m->start--;
	m->end = i + run(p, n, i, cls, SIZE_MAX);
	m->word = m->digit = m->alpha = SIZE_MAX;
	m->n_seen = 0;
	for (k = m->end; k-- > m->start;) {
		if (m->word == SIZE_MAX && strchr("xXeEyYpPdDrRcC<.", p[k]) != NULL && p[k] != '\0')
			for (const char *const *w = PLACEHOLDER_WORDS; *w; w++) {
				size_t wl = strlen(*w);

				if (m->end - k >= wl && strncasecmp((const char *)p + k, *w, wl) == 0) {
					m->word = k;
					break;
				}
			}
		if (m->digit == SIZE_MAX && p[k] >= '0' && p[k] <= '9')
			m->digit = k;
		if (m->alpha == SIZE_MAX && is_alpha(p[k]))
			m->alpha = k;
		if (m->n_seen < SEC_DISTINCT && !seen[p[k]]) {
			seen[p[k]] = true;
			m->seen[m->n_seen++] = k;
		}
		if (m->word != SIZE_MAX && m->digit != SIZE_MAX && m->alpha != SIZE_MAX && m->n_seen == SEC_DISTINCT)
			break;
	}
	return m;
}

/* placeholder() of the suffix [i, end) of a measured run. */
static int memo_placeholder(const struct run_memo *m, size_t i)
{
	size_t n = m->end - i, distinct = 0;

	if (m->word != SIZE_MAX && m->word >= i)
		return 1;
	while (distinct < m->n_seen && m->seen[distinct] >= i)
		distinct++;
	return distinct * 2 < (n < 20 ? n : 20);
}

/* Variable-length token: at least min class bytes at i, not a placeholder.
 * Returns the length, 0 if not; *m is the run's memo (NULL if empty). */
static size_t atleast(struct esc_secrets *s, const uint8_t *p, size_t n, size_t i, size_t min, unsigned rc,
                      const struct run_memo **mo)
{
	const struct run_memo *m;

	if (mo != NULL)
		*mo = NULL;
	if (i >= n || !RC_CLASS[rc](p[i]))
		return 0;
	m = run_memo(s, p, n, i, rc);
	if (mo != NULL)
		*mo = m;
	return m->end - i >= min && !memo_placeholder(m, i) ? m->end - i : 0;
}

static void match_at(struct esc_secrets *s, const uint8_t *p, size_t n, size_t i, int last)
{
	const size_t left = n - i;
	const uint8_t *q = p + i;
	size_t r;

	switch (q[0]) {
	case '-':
		pem_at(s, p, n, i, last);
		return;
	case 'A':
		if (left >= 4 && (!memcmp(q, "AKIA", 4) || !memcmp(q, "ASIA", 4))) {
			if (fixed(p, n, i + 4, 16, is_upnum, last) && !placeholder(q + 4, 16))
				add(s, s->line, "AWS access key id", NULL);
			return;
		}
		if (left >= 4 && !memcmp(q, "AIza", 4)) {
			if (fixed(p, n, i + 4, 35, is_tok, last) && !placeholder(q + 4, 35))
				add(s, s->line, "Google API key", NULL);
			return;
		}
		/* fall through */
	case 'a':
		aws_secret_at(s, p, n, i, last);
		return;
	case 'g':
		if (left >= 4 && q[1] == 'h' && strchr("pousr", q[2]) && q[2] && q[3] == '_') {
			r = atleast(s, p, n, i + 4, 36, RC_ALNUM, NULL);
			if (r && (i + 4 + r < n || last))
				add(s, s->line, "GitHub token", NULL);
		} else if (left >= 11 && !memcmp(q, "github_pat_", 11) && atleast(s, p, n, i + 11, 22, RC_ALNUM_US, NULL)) {
			add(s, s->line, "GitHub fine-grained token", NULL);
		}
		return;
	case 'x':
		if (left >= 5 && !memcmp(q, "xox", 3) && q[3] && strchr("abprs", q[3]) && q[4] == '-' &&
		    atleast(s, p, n, i + 5, 10, RC_SLACK, NULL))
			add(s, s->line, "Slack token", NULL);
		return;
	case 's':
		if (left >= 7 && !memcmp(q, "sk-ant-", 7)) {
			if (atleast(s, p, n, i + 7, 32, RC_TOK, NULL))
				add(s, s->line, "Anthropic API key", NULL);
		} else if (left >= 3 && !memcmp(q, "sk-", 3)) {
			const struct run_memo *m;

			r = atleast(s, p, n, i + 3, 32, RC_TOK, &m);
			/* a digit and a letter in the body */
			if (r && m->digit != SIZE_MAX && m->digit >= i + 3 && m->alpha != SIZE_MAX && m->alpha >= i + 3)
				add(s, s->line, "OpenAI API key", NULL);
		} else if (left >= 8 && !memcmp(q, "sk_live_", 8) && atleast(s, p, n, i + 8, 20, RC_ALNUM, NULL)) {
			add(s, s->line, "Stripe secret key", NULL);
		}
		return;
	case 'r':
		if (left >= 8 && !memcmp(q, "rk_live_", 8) && atleast(s, p, n, i + 8, 20, RC_ALNUM, NULL))
			add(s, s->line, "Stripe restricted key", NULL);
		return;
	case 'h':
		if (left >= 3 && !memcmp(q, "hf_", 3) && fixed(p, n, i + 3, 34, is_alpha, last) &&
		    !placeholder(q + 3, 34))
			add(s, s->line, "Hugging Face token", NULL);
		return;
	}
}

/* A .env line (secrets_env.c): a real assignment marks the file, a secret one is a finding. */
static void env_line(struct esc_secrets *s, const uint8_t *p, size_t n)
{
	char name[49], detail[64];
	int a = esc_secrets_env_assign(p, n, s->line == 1, name);

	if (a == 0)
		return;
	if (!s->env_first)
		s->env_first = s->line;
	if (a == 2) {
		s->env_secret = true;
		snprintf(detail, sizeof detail, " (%s)", name);
		add(s, s->line, "secret assignment in a .env file", detail);
	}
}

/* Scans one line or one window of a long line. first: it starts the line;
 * last: it ends the line; prev: the byte before p[0] (0 at a line start). */
static void scan(struct esc_secrets *s, const uint8_t *p, size_t n, int first, int last, uint8_t prev)
{
	for (unsigned k = 0; k < RC_COUNT; k++)
		s->memo[k].valid = false;
	if (first && s->pem_label) {
		size_t k = 0;

		while (k < n && (p[k] == ' ' || p[k] == '\t'))
			k++;
		if (k < n && is_b64(p[k]))
			add(s, s->pem_line, s->pem_label, NULL);
		s->pem_label = NULL;
	}
	if (first && s->env)
		env_line(s, p, n);
	for (size_t i = 0; i + 1 < n; i++) {
		uint8_t before;

		/* Eight pairs per test without branches: most blocks hold none. */
		while (i + 9 <= n && !((TRIG[p[i]] & SECOND[p[i + 1]]) | (TRIG[p[i + 1]] & SECOND[p[i + 2]]) |
		                       (TRIG[p[i + 2]] & SECOND[p[i + 3]]) | (TRIG[p[i + 3]] & SECOND[p[i + 4]]) |
		                       (TRIG[p[i + 4]] & SECOND[p[i + 5]]) | (TRIG[p[i + 5]] & SECOND[p[i + 6]]) |
		                       (TRIG[p[i + 6]] & SECOND[p[i + 7]]) | (TRIG[p[i + 7]] & SECOND[p[i + 8]])))
			i += 8;
		if (i + 1 >= n)
			break;
		if (!(TRIG[p[i]] & SECOND[p[i + 1]]))
			continue;
		before = i ? p[i - 1] : prev;
		if (p[i] == '-' ? before == '-' : is_alnum(before))
			continue;
		match_at(s, p, n, i, last);
	}
}

esc_secrets *esc_secrets_new(const char *path)
{
	/* Not calloc: zeroing the 64 KiB line buffer for every small file was
	 * the biggest memset of a pack; only buf[0..blen) is ever read. */
	esc_secrets *s = malloc(sizeof *s);

	if (!s)
		return NULL;
	memset(s, 0, offsetof(struct esc_secrets, buf));
	s->line = 1;
	s->env = esc_secrets_env_file(path);
	return s;
}

/* Adds bytes of a line (no LF) to the buffer, scanning full windows. */
static void append(struct esc_secrets *s, const uint8_t *p, size_t n)
{
	while (n) {
		size_t take = SEC_WINDOW - s->blen;

		if (take > n)
			take = n;
		memcpy(s->buf + s->blen, p, take);
		s->blen += take;
		if (s->blen > s->bmax)
			s->bmax = s->blen;
		p += take;
		n -= take;
		if (s->blen == SEC_WINDOW) {
			scan(s, s->buf, s->blen, !s->cont, 0, s->cont ? s->prev : 0);
			s->prev = s->buf[SEC_WINDOW - SEC_OVERLAP - 1];
			memmove(s->buf, s->buf + SEC_WINDOW - SEC_OVERLAP, SEC_OVERLAP);
			s->blen = SEC_OVERLAP;
			s->cont = true;
		}
	}
}

/* A token family's first two bytes at i, not inside a word: where scan()
 * would call match_at. i is not the first byte of a line. */
static int trigger_at(const uint8_t *p, size_t i)
{
	if (!(TRIG[p[i]] & SECOND[p[i + 1]]))
		return 0;
	return p[i] == '-' ? p[i - 1] != '-' : !is_alnum(p[i - 1]);
}

#if defined(__SSE2__)
/* 16 positions at once: the pairs TRIG x SECOND allows, as byte compares. */
static unsigned pairs16(const uint8_t *p)
{
	const __m128i a = _mm_loadu_si128((const __m128i *)p), b = _mm_loadu_si128((const __m128i *)(p + 1));
#define EQ(v, c) _mm_cmpeq_epi8((v), _mm_set1_epi8((char)(c)))
	__m128i bW = _mm_or_si128(EQ(b, 'W'), EQ(b, 'w'));
	__m128i m = _mm_and_si128(EQ(a, '-'), EQ(b, '-'));

	m = _mm_or_si128(m, _mm_and_si128(EQ(a, 'A'), _mm_or_si128(_mm_or_si128(EQ(b, 'K'), EQ(b, 'S')),
	                                                            _mm_or_si128(EQ(b, 'I'), bW))));
	m = _mm_or_si128(m, _mm_and_si128(EQ(a, 'a'), bW));
	m = _mm_or_si128(m, _mm_and_si128(EQ(a, 'g'), _mm_or_si128(EQ(b, 'h'), EQ(b, 'i'))));
	m = _mm_or_si128(m, _mm_and_si128(EQ(a, 'h'), EQ(b, 'f')));
	m = _mm_or_si128(m, _mm_and_si128(_mm_or_si128(EQ(a, 'r'), EQ(a, 's')), EQ(b, 'k')));
	m = _mm_or_si128(m, _mm_and_si128(EQ(a, 'x'), EQ(b, 'o')));
#undef EQ
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The first trigger in p[0..n), n if none; p[0] starts a line. */
static size_t first_trigger(const uint8_t *p, size_t n)
{
	size_t i = 1;

	if (n >= 2 && (TRIG[p[0]] & SECOND[p[1]]))
		return 0;
#if defined(__SSE2__)
	for (; i + 17 <= n; i += 16) {
		unsigned m = pairs16(p + i);

		while (m) {
			size_t k = i + (size_t)__builtin_ctz(m);

			if (trigger_at(p, k))
				return k;
			m &= m - 1;
		}
	}
#endif
	for (; i + 1 < n; i++) {
		while (i + 9 <= n && !((TRIG[p[i]] & SECOND[p[i + 1]]) | (TRIG[p[i + 1]] & SECOND[p[i + 2]]) |
		                       (TRIG[p[i + 2]] & SECOND[p[i + 3]]) | (TRIG[p[i + 3]] & SECOND[p[i + 4]]) |
		                       (TRIG[p[i + 4]] & SECOND[p[i + 5]]) | (TRIG[p[i + 5]] & SECOND[p[i + 6]]) |
		                       (TRIG[p[i + 6]] & SECOND[p[i + 7]]) | (TRIG[p[i + 7]] & SECOND[p[i + 8]])))
			i += 8;
		if (i + 1 < n && trigger_at(p, i))
			return i;
	}
	return n;
}

static uint64_t count_lf(const uint8_t *p, size_t n)
{
	uint64_t c = 0;
	size_t i = 0;

#if defined(__SSE2__)
	/* per-byte counters (each compare adds 0 or -1), summed every 255 rounds */
	while (i + 16 <= n) {
		__m128i acc = _mm_setzero_si128(), sum;
		unsigned k;

		for (k = 0; k < 255 && i + 16 <= n; k++, i += 16)
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)),
			                                       _mm_set1_epi8('\n')));
		sum = _mm_sad_epu8(acc, _mm_setzero_si128());
		c += (uint64_t)_mm_cvtsi128_si32(sum) + (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
	}
#endif
	for (; i < n; i++)
		c += p[i] == '\n';
	return c;
}

/* The last LF in p[0..n), NULL if none (memrchr is not POSIX). */
static const uint8_t *last_lf(const uint8_t *p, size_t n)
{
	while (n > 0)
		if (p[--n] == '\n')
			return p + n;
	return NULL;
}

/* The length of the longest run of whole lines at p (p[0] starts a line)
 * in which scan() would find nothing: no trigger, no line longer than a
 * block. Their lines are only counted. Most text is skipped here in big
 * steps instead of line by line (the scan was the largest cost of packing
 * many small source files after zstd). */
#define QUIET_BLOCK 4096
static size_t quiet_lines(esc_secrets *s, const uint8_t *p, size_t n)
{
	size_t pos = 0;

	while (pos < n) {
		size_t end = n - pos > QUIET_BLOCK ? pos + QUIET_BLOCK : n, t;
		const uint8_t *nl = last_lf(p + pos, end - pos), *lf;

		if (nl == NULL)
			break; /* a partial or a long line: line by line */
		end = (size_t)(nl - p) + 1;
		t = first_trigger(p + pos, end - pos);
		if (t < end - pos) {
			/* skip up to the start of the trigger's line */
			lf = t ? last_lf(p + pos, t) : NULL;
			if (lf != NULL) {
				s->line += count_lf(p + pos, (size_t)(lf - (p + pos)) + 1);
				pos = (size_t)(lf - p) + 1;
			}
			break;
		}
		s->line += count_lf(p + pos, end - pos);
		pos = end;
	}
	return pos;
}

void esc_secrets_update(esc_secrets *s, const uint8_t *buf, size_t len)
{
	while (len) {
		const uint8_t *nl;
		size_t seg;

		if (!s->env && s->blen == 0 && !s->cont && s->pem_label == NULL) {
			size_t k = quiet_lines(s, buf, len);

			buf += k;
			len -= k;
			if (len == 0)
				return;
		}
		nl = memchr(buf, '\n', len);

		if (!nl) {
			append(s, buf, len);
			return;
		}
		seg = (size_t)(nl - buf);
		if (s->blen == 0 && !s->cont && seg < SEC_WINDOW) {
			scan(s, buf, seg, 1, 1, 0);
		} else {
			append(s, buf, seg);
			scan(s, s->buf, s->blen, !s->cont, 1, s->cont ? s->prev : 0);
			s->blen = 0;
			s->cont = false;
		}
		s->line++;
		buf = nl + 1;
		len -= seg + 1;
	}
}

unsigned esc_secrets_final(esc_secrets *s, char (*out)[128], unsigned max)
{
	if (s->blen || s->cont)
		scan(s, s->buf, s->blen, !s->cont, 1, s->cont ? s->prev : 0);
	s->blen = 0;
	s->cont = false;
	s->pem_label = NULL; /* a header on the last line has no body */
	if (s->env && s->env_first && !s->env_secret) {
		add(s, s->env_first, "assignment in a .env file", " (deposit a .env.example without values)");
		s->env_first = 0;
	}
	for (unsigned k = 0; k < s->kept && k < max; k++)
		memcpy(out[k], s->found[k], sizeof out[k]);
	return s->total;
}

void esc_secrets_free(esc_secrets *s)
{
	if (!s)
		return;
	sodium_memzero(s->buf, s->bmax);
	sodium_memzero(s, offsetof(struct esc_secrets, buf));
	free(s);
}
