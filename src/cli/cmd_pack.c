/* cmd_pack.c -- escrow pack (being written; see the issue tracker). */
#include "cli.h"

int cmd_pack(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_error("'pack' is not available in this build yet");
	return EX_SOFTWARE_;
}
