/* cmd_check.c -- escrow check (being written; see the issue tracker). */
#include "cli.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'check' is not available in this build yet");
	return EX_SOFTWARE_;
}
