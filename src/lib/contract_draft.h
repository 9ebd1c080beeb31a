/* contract_draft.h -- escrow init's draft (internal to contract_draft*.c):
 * the tree sorted into deliverables, then written as YAML. */
#ifndef CONTRACT_DRAFT_H
#define CONTRACT_DRAFT_H

#include <stdio.h>

/* One file of the tree, as the draft sees it. */
struct dr_file {
	const char *path;      /* the walk's record's */
	const struct esc_file *ef; /* that record */
	uint64_t size;
	enum esc_format fmt;   /* detected by content */
	const char *kind;      /* code, model, ...; NULL: left out */
	const char *lang;      /* code: "python", "c", ...; "build" for build files */
	int group;             /* index in the draft's groups, -1: none */
	bool secret, lfs, unsafe_pickle;
};

/* A deliverable of the draft. */
struct dr_group {
	char id[72];
	const char *kind, *lang; /* lang: code only */
	const struct dr_file *model; /* a model deliverable: its one file */
	enum esc_format model_fmt; /* models taken together (fold 2): their format */
	bool optional;           /* models taken together: some are LFS pointers or unsafe pickles */
	char **include;          /* escaped globs (raw text, quoted when written) */
	size_t n_include;
	const char **wide;       /* the includes that may hold files anywhere but their own */
	size_t n_wide, cap_wide;
	const char **local;      /* those that may hold other files under top only */
	size_t n_local, cap_local;
	const char *top;         /* the first segment of the file being placed */
	size_t top_len;
	size_t files;
	uint64_t bytes;
	enum esc_format fmt;     /* ESC_FMT_NONE: no format: line */
};

/* How hard the draft folds what it lists to stay within the parser's bounds
 * (esc_contract.h): 0 never (every draft of an ordinary tree), 1 the files
 * that would each be listed (and the forbidden files excluded by path) into
 * the widest folder glob that holds only their own deliverable's files,
 * 2 also the models into one deliverable per format. */
struct dr_draft {
	const char *src;
	int fold;
	struct dr_file *f;
	size_t n;
	struct dr_group *g;
	size_t n_g;
	char **exclude;          /* patterns or escaped literal paths */
	const char **exclude_why;/* comment per entry (static text), NULL: none */
	size_t n_exclude;
	char **forbid;
	size_t n_forbid;
};

/* Sorts the files into d->g (contract_draft_group.c). */
escrow_status esc_draft_group(escrow_ctx *ctx, struct dr_draft *d);
void esc_draft_free(struct dr_draft *d);
/* Undoes esc_draft_group (and the excludes by path of forbidden files), for
 * a draft that folds more. */
void esc_draft_ungroup(struct dr_draft *d);
/* Takes s (freed on failure); 0, or -1 out of memory. */
int esc_draft_push_exclude(struct dr_draft *d, char *s, const char *why);
/* The comment of the excludes of forbidden files present today. */
extern const char esc_draft_why_forbidden[];
/* The draft as YAML into out (contract_draft_emit.c). */
void esc_draft_emit(const struct dr_draft *d, FILE *out);
/* s in YAML double quotes, escaped so any bytes read back the same. */
void esc_draft_quote(FILE *out, const char *s);
/* path as a glob that matches it and nothing else: glob characters and
 * control characters escaped with '\'. malloc'd, NULL on ENOMEM. */
char *esc_draft_glob_escape(const char *path);
/* path as the draft names a file: esc_draft_glob_escape, and anchored with
 * a leading '/' when it has no '/' (a root file). malloc'd, NULL on ENOMEM. */
char *esc_draft_path_glob(const char *path);

#endif
