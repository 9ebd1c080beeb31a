/* esc_contract.h -- the deliverables list and its evaluation (internal).
 * Owner: contract_*.c, tree_glob.c */
#ifndef ESC_CONTRACT_H
#define ESC_CONTRACT_H

/* What the parser accepts (docs/CONTRACT.md, "What the parser refuses"):
 * escrow init's draft keeps within the same bounds (contract_draft.c). */
#define ESC_CONTRACT_MAX_BYTES (1u << 20)
#define ESC_CONTRACT_MAX_DELIVERABLES 10000
#define ESC_CONTRACT_MAX_GLOBS 10000 /* in one list: an include, an exclude, forbid */
#define ESC_GLOB_MAX 4096            /* bytes in one glob */

struct esc_deliverable {
	char *id, *description, *kind, *format;  /* format NULL if none */
	char **include; size_t n_include;
	char **exclude; size_t n_exclude;
	uint64_t min_files;                      /* default 1 */
	uint64_t min_bytes;                      /* 0 if unset */
	bool has_sha256; uint8_t sha256[32];
	bool required;                           /* default true */
};

struct escrow_contract {
	char *source_name;                       /* file name given to parse, for messages */
	char *raw; size_t raw_len;               /* the exact bytes, packed as escrow/contract.yaml */
	uint8_t raw_sha256[32];
	char *id, *agency, *client;
	struct esc_deliverable *d; size_t n_d;
	char **forbid; size_t n_forbid;
	char **exclude; size_t n_exclude;
	struct esc_contract_ix *ix;              /* the globs indexed (contract_match.c); NULL: none */
};

/* Glob over '/'-separated payload paths: '*' and '?' stay within a segment,
 * a '**' segment crosses folders ("a/" then "**" matches a/ and all under it;
 * "**" then "/x" matches x at any depth); [abc] [a-z] [!a] byte classes; '\'
 * escapes. A pattern without '/' matches the base name at any depth; a
 * leading '/' anchors; a pattern matching a folder matches all under it.
 * path is taken as a file. Returns 1 on match. */
int esc_glob_match(const char *pattern, const char *path);
/* The same, telling whether path is a folder (a pattern ending in '/' matches
 * folders only). The rules, as in .gitignore: a pattern without '/' matches
 * the base name at any depth; a pattern that matches a folder matches all
 * under it (docs/CONTRACT.md, "Globs"). */
int esc_glob_match_dir(const char *pattern, const char *path, int is_dir);
/* 1 if pattern is a well-formed glob, else 0 with *why set (static text). */
int esc_glob_valid(const char *pattern, const char **why);

/* Many globs against one path (tree_globset.c): the same answers as
 * esc_glob_match_dir on each pattern, at a cost that does not grow with the
 * number of patterns. The set keeps the pattern pointers (they must outlive
 * it). NULL when out of memory. */
typedef struct esc_globset esc_globset;
esc_globset *esc_globset_new(char *const *patterns, size_t n);
void esc_globset_free(esc_globset *g);
/* Calls fn(i, user) for each pattern i matching path, in ascending i, until
 * fn returns nonzero; returns that value, else 0. */
int esc_globset_each(const esc_globset *g, const char *path, int is_dir, int (*fn)(size_t i, void *user),
                     void *user);
/* 1 if any pattern matches path. */
int esc_globset_any(const esc_globset *g, const char *path, int is_dir);

/* Indexes the contract's includes and forbids (called by the parser); 0 on
 * success, -1 out of memory. Freed with the contract. */
int esc_contract_index(escrow_contract *c);
void esc_contract_index_free(escrow_contract *c);
/* For each deliverable d that holds f (not a folder, an include matches, no
 * exclude does), in ascending d: fn(d, k, user) for each include k of d
 * that matches f->path, ascending; stops when fn returns nonzero and returns
 * that value. */
int esc_contract_each_hold(const escrow_contract *c, const struct esc_file *f,
                           int (*fn)(size_t d, size_t k, void *user), void *user);
/* 1 if a forbid: pattern matches path. */
int esc_contract_forbids(const escrow_contract *c, const char *path);
/* 1 if include pattern has no glob character (* ? [ ] { }): a file the
 * annex names, which must be there. */
int esc_glob_is_literal(const char *pattern);

/* The format names of DESIGN.md; NULL-terminated. */
extern const char *const esc_contract_formats[];

/* Evaluates the contract over the payload files (their insp may be NULL) and
 * fills r->root: "deliverables" [{id, status, files, bytes, reason, kind,
 * format, paths}], "forbidden" [paths], "unassigned" [paths], and appends
 * warnings. Returns 1 when the contract is met, 0 when not. */
int esc_contract_evaluate(const escrow_contract *c, const struct esc_files *files, escrow_report *r);

/* One line for "reason" from the evaluated report: the first required
 * deliverable that is not ok, and the forbidden files. "" when met. */
void esc_report_contract_reason(const escrow_report *r, char *out, size_t len);

/* The first deliverable that holds path (for list, the inspectors and the
 * findings), or NULL. */
const struct esc_deliverable *esc_contract_owner(const escrow_contract *c, const char *path);
/* 1 << format, for each format a deliverable names (tf-savedmodel aside). */
uint32_t esc_contract_format_mask(const escrow_contract *c);
/* 1 << format, for each format of a deliverable that holds path (every one,
 * not only the first; tf-savedmodel aside): the file is checked for each. */
uint32_t esc_contract_formats_of(const escrow_contract *c, const char *path);

/* Adds "inventory" (files/bytes per kind, count per detected format) and the
 * warnings of the per-file findings: Git LFS pointers and dangerous pickles
 * outside deliverables, unknown pickle imports anywhere, and secrets (file,
 * line, what -- never the secret; stronger wording when !sealed). c may be
 * NULL (then every file is outside deliverables). */
void esc_report_findings(escrow_report *r, const escrow_contract *c, const struct esc_files *files,
                         bool sealed);

#endif
