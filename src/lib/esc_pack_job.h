/* esc_pack_job.h -- one escrow_pack run as pack.c drives it, layer by layer
 * (internal). pack_prepare.c fills it before anything is written and frees
 * what it took; pack.c adds the output and the pipeline on top. */
#ifndef ESC_PACK_JOB_H
#define ESC_PACK_JOB_H

#include "esc_pack_stream.h"
#include "esc_api.h"

struct esc_pack_job {
	escrow_ctx *ctx;
	const struct esc_pack_opts *o;
	struct esc_pack_run r;     /* report, sha, buf, formats, srcfd: the prepare layer's */
	struct esc_files files;    /* walked, sorted, links checked */
	struct esc_walk_pool paths; /* the files' paths */
	struct esc_provenance prov;
	char *name, *bag;
	const char *release;
	int level;
	bool to_stdout;
};

/* Checks the options, fills in the defaults, walks the tree and opens it.
 * On any return j can be given to esc_pack_release. */
escrow_status esc_pack_prepare(escrow_ctx *ctx, const struct esc_pack_opts *o, struct esc_pack_job *j);
void esc_pack_release(struct esc_pack_job *j);
/* Warnings for what the packed tree lacks against the contract. */
void esc_pack_contract_warnings(struct esc_pack_run *r);
/* ESCROW_STRICT / ESCROW_FAIL_ON_WARNING: check's report of the files as
 * packed (*out, also when the deposit is accepted; NULL without those
 * flags), and ESCROW_UNSAFE or ESCROW_INCOMPLETE when it is refused. */
/* Fills p (zeroed when SRC is in no git work tree, or its state cannot be
 * read: then a warning says so). */
void esc_pack_provenance(struct esc_pack_run *r, const char *src, struct esc_provenance *p);
void esc_provenance_free(struct esc_provenance *p);
escrow_status esc_pack_strict(struct esc_pack_job *j, escrow_report **out);

#endif
