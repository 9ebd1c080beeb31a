/* cmd_list.c -- escrow list (being written; see the issue tracker). */
#include "cli.h"

int cmd_list(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'list' is not available in this build yet");
	return EX_SOFTWARE_;
}
