/* cmd_rewrap.c -- escrow rewrap (being written; see the issue tracker). */
#include "cli.h"

int cmd_rewrap(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'rewrap' is not available in this build yet");
	return EX_SOFTWARE_;
}
