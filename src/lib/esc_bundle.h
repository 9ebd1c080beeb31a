/* esc_bundle.h -- bundle layout shared by the writer (pack) and the reader
 * (verify, extract, list). Owners: pack_*.c (writer), bundle_read*.c (reader). */
#ifndef ESC_BUNDLE_H
#define ESC_BUNDLE_H

#define ESC_TAG_BAGIT "bagit.txt"
#define ESC_TAG_BAGINFO "bag-info.txt"
#define ESC_TAG_MANIFEST "manifest-sha256.txt"
#define ESC_TAG_JSON "escrow/manifest.json"
#define ESC_TAG_CONTRACT "escrow/contract.yaml"
#define ESC_TAG_TAGMANIFEST "tagmanifest-sha256.txt"
#define ESC_TAG_SIGNATURE "tagmanifest-sha256.txt.minisig"
#define ESC_BAGIT_TXT "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"

/* BagIt manifest path encoding (RFC 8493): only CR, LF and '%' are escaped.
 * Returns a malloc'd string, NULL on ENOMEM. */
char *esc_bag_path_encode(const char *path);
/* Decodes %0D %0A %25 (case-insensitive); NULL on a bad escape. */
char *esc_bag_path_decode(const char *path);

/* Path safety for payload paths (relative to data/): UTF-8, not empty, no
 * leading '/', no '.' or '..' segment, no empty segment, no NUL/control chars.
 * Returns 1 if safe. */
int esc_path_is_safe(const char *path);
/* The same with at most MAX bytes instead of 4096 (a tar entry's whole
 * path, bag folder included). */
int esc_path_is_safe_n(const char *path, size_t max);

#endif
