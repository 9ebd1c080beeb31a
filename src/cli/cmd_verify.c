/* cmd_verify.c -- escrow verify (being written; see the issue tracker). */
#include "cli.h"

int cmd_verify(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'verify' is not available in this build yet");
	return EX_SOFTWARE_;
}
