/* passphrase.c -- passphrases from ESCROW_PASSPHRASE or the terminal. */
#include "cli.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static char pass[1024], again[1024];

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
	const char *env = getenv("ESCROW_PASSPHRASE");
	int fd;

	if (env != NULL) {
		snprintf(pass, sizeof pass, "%s", env);
		return pass;
	}
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		cli_error("a passphrase is needed and there is no terminal (set ESCROW_PASSPHRASE)");
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

escrow_status cli_load_seckey(escrow_ctx *ctx, const char *path, escrow_seckey **out)
{
	escrow_status st = escrow_seckey_load(ctx, path, NULL, out);
	char *p;

	if (st != ESCROW_E_NEED_PASSPHRASE)
		return st;
	p = cli_passphrase("Passphrase for the signing key: ", false);
	if (p == NULL)
		return ESCROW_E_NEED_PASSPHRASE;
	st = escrow_seckey_load(ctx, path, p, out);
	cli_passphrase_wipe();
	return st;
}
