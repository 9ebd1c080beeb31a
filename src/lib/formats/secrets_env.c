/* secrets_env.c -- .env files for the secrets scanner (secrets_scan.c): which
 * files are .env files, and what one line assigns.
 *   A .env file: base name .env or .env.*, except .env.example, .env.sample,
 *   .env.template. A line NAME=value is a real assignment unless the value
 *   is a stand-in (empty, ${VAR} / $VAR, <...>, one repeated character,
 *   changeme, example, none, null, true, false, password, secret, ...); it
 *   assigns a secret when NAME holds PASSWORD, PASSWD, PASSPHRASE, SECRET,
 *   TOKEN, API_KEY, APIKEY, PRIVATE_KEY, ACCESS_KEY, AUTH_KEY or CREDENTIAL
 *   and does not end in _URL, _PATH, _FILE, _LENGTH, _TTL, ... (a setting
 *   about a secret). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "esc_fmt.h"

static int is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}
static int is_alpha(uint8_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static int is_alnum_us(uint8_t c) { return is_alnum(c) || c == '_'; }

static int contains_ci(const uint8_t *p, size_t n, const char *needle)
{
	const size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp((const char *)p + i, needle, k) == 0)
			return 1;
	return 0;
}

int esc_secrets_env_file(const char *path)
{
	static const char *const benign[] = {"example", "sample", "template", NULL};
	const char *base;

	if (!path)
		return 0;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strcmp(base, ".env") == 0)
		return 1;
	if (strncmp(base, ".env.", 5) != 0)
		return 0;
	for (const char *const *b = benign; *b; b++)
		if (strncasecmp(base + 5, *b, strlen(*b)) == 0)
			return 0;
	return 1;
}

static int ends_with_ci(const char *s, size_t n, const char *suffix)
{
	const size_t k = strlen(suffix);

	return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* NAME holds a secret word and is not a setting about one (TOKEN_TTL). */
static int secret_name(const char *name, size_t n)
{
	static const char *const words[] = {"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN",
	                                    "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "AUTH_KEY",
	                                    "CREDENTIAL", NULL};
	static const char *const about[] = {"_URL", "_URI", "_PATH", "_FILE", "_DIR", "_LENGTH", "_LEN",
	                                    "_TTL", "_EXPIRY", "_EXPIRES", "_TIMEOUT", "_TYPE", "_ENDPOINT",
	                                    "_HOST", "_PORT", "_NAME", "_USER", "_USERNAME", "_ID",
	                                    "_REQUIRED", "_ENABLED", "_HEADER", "_ALGORITHM", NULL};
	int hit = 0;

	for (const char *const *w = words; *w && !hit; w++)
		hit = contains_ci((const uint8_t *)name, n, *w);
	if (!hit)
		return 0;
	for (const char *const *a = about; *a; a++)
		if (ends_with_ci(name, n, *a))
			return 0;
	return 1;
}

/* An assignment's value that is not a real setting. */
static int env_placeholder(const uint8_t *v, size_t n)
{
	static const char *const words[] = {"changeme", "change_me", "change-me", "changeit", "placeholder",
	                                    "example", "dummy", "redacted", "todo", "tbd", "none", "null",
	                                    "nil", "undefined", "empty", "secret", "password", "true",
	                                    "false", "yes", "no", "on", "off", "0", "1", NULL};
	size_t k;

	if (n == 0 || v[0] == '$' || v[0] == '<')
		return 1;
	for (k = 1; k < n && v[k] == v[0]; k++)
		;
	if (k == n)
		return 1; /* xxx, ***, ... */
	if (n >= 4 && (strncasecmp((const char *)v, "your", 4) == 0 || contains_ci(v, n, "xxxx")))
		return 1;
	for (const char *const *w = words; *w; w++)
		if (strlen(*w) == n && strncasecmp((const char *)v, *w, n) == 0)
			return 1;
	return 0;
}

int esc_secrets_env_assign(const uint8_t *p, size_t n, bool first_line, char name[49])
{
	size_t i = 0, name0, namen, v0, vn;

	if (first_line && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* a UTF-8 byte order mark */
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (n - i > 7 && memcmp(p + i, "export ", 7) == 0)
		for (i += 7; i < n && p[i] == ' ';)
			i++;
	name0 = i;
	if (i == n || !(is_alpha(p[i]) || p[i] == '_'))
		return 0;
	while (i < n && (is_alnum_us(p[i]) || p[i] == '.' || p[i] == '-'))
		i++;
	namen = i - name0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || p[i] != '=')
		return 0;
	for (i++; i < n && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	v0 = i;
	if (i < n && (p[i] == '"' || p[i] == '\'')) {
		const uint8_t *close = memchr(p + i + 1, p[i], n - i - 1);

		v0 = i + 1;
		vn = close ? (size_t)(close - (p + v0)) : n - v0;
	} else {
		const uint8_t *hash = NULL;

		for (size_t k = i; k < n; k++)
			if (p[k] == '#' && (k == i || p[k - 1] == ' ' || p[k - 1] == '\t')) {
				hash = p + k;
				break;
			}
		vn = (hash ? (size_t)(hash - p) : n) - v0;
		while (vn && (p[v0 + vn - 1] == ' ' || p[v0 + vn - 1] == '\t' || p[v0 + vn - 1] == '\r'))
			vn--;
	}
	if (env_placeholder(p + v0, vn))
		return 0;
	if (namen > 48)
		namen = 48;
	memcpy(name, p + name0, namen);
	name[namen] = '\0';
	return secret_name(name, namen) ? 2 : 1;
}
