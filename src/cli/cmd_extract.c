/* cmd_extract.c -- escrow extract (being written; see the issue tracker). */
#include "cli.h"

int cmd_extract(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'extract' is not available in this build yet");
	return EX_SOFTWARE_;
}
