/* passphrase.c -- passphrases from a file (--passphrase-file,
 * ESCROW_PASSPHRASE_FILE), ESCROW_PASSPHRASE or the terminal; secret keys
 * from a file or standard input. A CI job keeps its secrets in files or pipes,
 * never on the command line, where any user sees them (ps, /proc/PID/cmdline). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static char pass[1024], again[1024];
const char *cli_passphrase_file;

/* Reads fd to its end into buf (at most cap bytes): the length, or -1 when
 * it holds more (errno EFBIG) or a read fails. */
static ssize_t read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return (ssize_t)n;
		n += (size_t)r;
		if (n == cap) {
			char c;

			r = read(fd, &c, 1);
			if (r != 0) {
				errno = r < 0 ? errno : EFBIG;
				return -1;
			}
			return (ssize_t)n;
		}
	}
}

/* The passphrase file's one line, its "\n" (or "\r\n") stripped. A file
 * others can read is used, with a warning: refusing it would break a job
 * whose runner sets the mode, and the secret is already out. */
static char *from_file(const char *path, const char *how)
{
	struct stat sb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		cli_error("%s: %s (the passphrase file, %s)", path, strerror(errno), how);
		return NULL;
	}
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 077) != 0)
		cli_warn("%s: the passphrase file is readable by others (mode %03o): chmod 600 it", path,
		         (unsigned)(sb.st_mode & 0777));
	n = read_all(fd, pass, sizeof pass - 1);
	close(fd);
	if (n < 0) {
		cli_error("%s: %s", path,
		          errno == EFBIG ? "longer than a passphrase (1023 bytes at most)" : strerror(errno));
		cli_passphrase_wipe();
		return NULL;
	}
	if (n > 0 && pass[n - 1] == '\n')
		n--;
	if (n > 0 && pass[n - 1] == '\r')
		n--;
	pass[n] = '\0';
	if (memchr(pass, '\n', (size_t)n) != NULL || memchr(pass, '\0', (size_t)n) != NULL) {
		cli_passphrase_wipe();
		cli_error("%s: the passphrase file must hold one line", path);
		return NULL;
	}
	return pass;
}

static bool ask(int fd, const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	bool echo_off, ok = true;
	size_t n = 0;

	/* Echo goes off before the prompt shows, and without flushing, so that
	 * a passphrase typed or pasted right after the prompt is neither echoed
	 * nor lost. */
	echo_off = tcgetattr(fd, &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		tcsetattr(fd, TCSANOW, &quiet);
	}
	(void)!write(fd, prompt, strlen(prompt));
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		/* EINTR is Ctrl-C (the CLI's handler does not restart reads): stop. */
		if (r < 0) {
			ok = false;
			break;
		}
		if (r == 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 < len)
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (echo_off)
		tcsetattr(fd, TCSANOW, &old);
	return ok;
}

char *cli_passphrase(const char *prompt, bool confirm)
{
	const char *env = getenv("ESCROW_PASSPHRASE"), *file = getenv("ESCROW_PASSPHRASE_FILE");
	int fd;

	if (cli_passphrase_file != NULL)
		return from_file(cli_passphrase_file, "--passphrase-file");
	if (file != NULL && *file != '\0')
		return from_file(file, "ESCROW_PASSPHRASE_FILE");
	if (env != NULL) {
		/* refused, not cut: a key made with the cut one opened with its
		 * first 1023 bytes, and not with the passphrase given in a file */
		if (strlen(env) >= sizeof pass) {
			cli_error("ESCROW_PASSPHRASE: longer than a passphrase (1023 bytes at most)");
			return NULL;
		}
		snprintf(pass, sizeof pass, "%s", env);
		return pass;
	}
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		cli_error("a passphrase is needed and there is no terminal (use --passphrase-file FILE, or set "
		          "ESCROW_PASSPHRASE_FILE or ESCROW_PASSPHRASE)");
		return NULL;
	}
	if (!ask(fd, prompt, pass, sizeof pass) || (confirm && !ask(fd, "Passphrase (again): ", again, sizeof again))) {
		close(fd);
		cli_passphrase_wipe();
		cli_error("no passphrase read (interrupted)");
		return NULL;
	}
	if (confirm) {
		if (strcmp(pass, again) != 0) {
			close(fd);
			cli_passphrase_wipe();
			cli_error("the passphrases do not match");
			return NULL;
		}
	}
	close(fd);
	return pass;
}

void cli_passphrase_wipe(void)
{
	explicit_bzero(pass, sizeof pass);
	explicit_bzero(again, sizeof again);
}

/* "-s -": the key file's text from standard input, read once (an encrypted
 * key is parsed again with its passphrase from this copy), wiped after. */
static escrow_status load_stdin(escrow_ctx *ctx, escrow_seckey **out)
{
	static char text[4096];
	escrow_status st;
	ssize_t n = read_all(0, text, sizeof text);
	char *p;

	if (n < 0) {
		cli_error("standard input: %s (-s - reads the secret key from it)",
		          errno == EFBIG ? "more than a minisign secret key" : strerror(errno));
		explicit_bzero(text, sizeof text);
		return ESCROW_E_INPUT;
	}
	st = escrow_seckey_parse(ctx, "standard input", text, (size_t)n, NULL, out);
	if (st == ESCROW_E_NEED_PASSPHRASE) {
		p = cli_passphrase("Passphrase for the signing key: ", false);
		st = p == NULL ? ESCROW_E_NEED_PASSPHRASE : escrow_seckey_parse(ctx, "standard input", text, (size_t)n, p, out);
		cli_passphrase_wipe();
	}
	explicit_bzero(text, sizeof text);
	return st;
}

escrow_status cli_load_seckey(escrow_ctx *ctx, const char *path, escrow_seckey **out)
{
	escrow_status st;
	char *p;

	if (strcmp(path, "-") == 0)
		return load_stdin(ctx, out);
	st = escrow_seckey_load(ctx, path, NULL, out);
	if (st != ESCROW_E_NEED_PASSPHRASE)
		return st;
	p = cli_passphrase("Passphrase for the signing key: ", false);
	if (p == NULL)
		return ESCROW_E_NEED_PASSPHRASE;
	st = escrow_seckey_load(ctx, path, p, out);
	cli_passphrase_wipe();
	return st;
}
