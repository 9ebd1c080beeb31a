/* fuzz_peek.c -- the hint vault receive reads from an unsealed bundle
 * without reading it (bundle_peek.c: zstd frame and block headers walked
 * with small reads, the last frame decompressed, a ustar header searched for,
 * the tag signature's entry read) and the signature text parsed for its
 * signer and contract (vault_receive_hint.c). The input is written to a file,
 * as the peek reads a file by offsets. The oracle: no crash, no read out of
 * bounds, no leak; a hint found has a 16-hex-digit signer and a contract id
 * of at most 256 bytes. */
#include "esc_bundle_read.h"
#include "esc_vault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	char *text = NULL, *contract = NULL, *signer = NULL;
	size_t len = 0;
	FILE *f;

	if (path[0] == '\0')
		snprintf(path, sizeof path, "/tmp/fuzz_peek.%ld", (long)getpid());
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (esc_bundle_peek_sig(path, &text, &len)) {
		if (text == NULL || len == 0 || len > 4096)
			abort();
		if (esc_receive_hint_text(text, len, &contract, &signer) &&
		    (strlen(signer) != 16 || strlen(contract) == 0 || strlen(contract) > 256))
			abort();
	}
	free(text);
	free(contract);
	free(signer);
	unlink(path);
	return 0;
}
