/* cmd_keygen.c -- escrow keygen (being written; see the issue tracker). */
#include "cli.h"

int cmd_keygen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'keygen' is not available in this build yet");
	return EX_SOFTWARE_;
}
