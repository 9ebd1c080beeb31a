/* report_cert.c -- the certificate page: one HTML5 file with its style and
 * its chart inline, no script and nothing fetched, that prints on one A4
 * page. Every string from the bundle, the contract or the vault goes through
 * esc_cert_text(); esc_cert_raw() takes only our own text. */
#include "esc_cert.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Print: A4 with margins. Screen: the same page drawn 1.5625 times larger,
 * so that a 1240 x 1754 window (A4 at 150 dpi) shows the whole page. */
static const char style[] =
	"@page{size:A4;margin:9mm 12mm}\n"
	"*{box-sizing:border-box}\n"
	"html{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;font-size:7.4pt;line-height:1.22;"
	"color:#1b1f23;-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	"body{margin:0}\n"
	".page{width:186mm;margin:0 auto}\n"
	"@media screen{html{background:#fff}body{zoom:1.5625}.page{width:210mm;min-height:297mm;padding:9mm 12mm}}\n"
	"h1{font-size:15pt;margin:0 0 1mm;letter-spacing:.2pt}\n"
	"h2{font-size:8.4pt;margin:1.9mm 0 .7mm;padding-bottom:.5mm;border-bottom:.6pt solid #9aa4ae;color:#24364b;"
	"text-transform:uppercase;letter-spacing:.4pt}\n"
	"p{margin:.6mm 0}\n"
	"header{display:flex;gap:4mm;align-items:stretch;border-bottom:1.4pt solid #24364b;padding-bottom:2mm}\n"
	"header .title{flex:1}\n"
	".sub,.muted,.small{color:#56606b}.small{font-size:6.8pt}\n"
	".verdict{width:70mm;padding:1.6mm 2.4mm;border:1pt solid;border-left-width:4pt;border-radius:1mm}\n"
	".verdict .big{font-size:13pt;font-weight:bold;letter-spacing:.4pt}\n"
	".verdict .code{font-family:'DejaVu Sans Mono',monospace;font-size:6.8pt}\n"
	".v-ok{border-color:#1e7b34;background:#eef8f0;color:#14532d}\n"
	".v-warn{border-color:#b7791f;background:#fff8e6;color:#6b4406}\n"
	".v-bad{border-color:#b42318;background:#fdeeee;color:#7a1a12}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"th,td{text-align:left;vertical-align:top;padding:.35mm 1.2mm .35mm 0}\n"
	".kv th{width:31mm;font-weight:normal;color:#56606b;white-space:nowrap}\n"
	".fp{margin-top:1.6mm;border:.6pt solid #c5ccd3;background:#f6f8fa}\n"
	".fp th{width:34mm;padding-left:1.6mm;font-weight:normal;color:#56606b}\n"
	".fp td{font-family:'DejaVu Sans Mono',monospace;font-size:7.2pt;word-break:break-all}\n"
	".mono,pre,.sig{font-family:'DejaVu Sans Mono',monospace}\n"
	".mono{font-size:6.9pt;word-break:break-all}\n"
	".grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:0 5mm}\n"
	".dl th{border-bottom:.6pt solid #9aa4ae;font-size:6.9pt;color:#56606b;font-weight:normal}\n"
	".dl td{border-bottom:.3pt solid #e1e5e9}\n"
	".dl .n{text-align:right;white-space:nowrap}\n"
	".dl .id{font-family:'DejaVu Sans Mono',monospace;font-size:6.9pt;white-space:nowrap}\n"
	".why{color:#7a1a12;font-size:6.8pt}\n"
	".st{display:inline-block;padding:0 1.2mm;border-radius:.8mm;font-size:6.8pt;white-space:nowrap}\n"
	".st-ok{background:#dcf2e2;color:#14532d}.st-bad{background:#fbdcdc;color:#7a1a12}"
	".st-opt{background:#fdf0cf;color:#6b4406}\n"
	".bad{color:#b42318;font-weight:bold}\n"
	".chart .lbl{font-size:7.4px;fill:#1b1f23}.chart .val{font-size:7px;fill:#56606b}"
	".chart .bar{fill:#3b6ea5}\n"
	"ul{margin:.4mm 0;padding-left:4mm}li{margin:.2mm 0}\n"
	/* outside text may be one long word: it breaks rather than push the
	 * columns off the page (the statuses and the signature went with them) */
	".kv td,.dl .d,li{overflow-wrap:anywhere}\n"
	"pre{margin:.6mm 0;padding:1.2mm 1.6mm;background:#f6f8fa;border:.6pt solid #e1e5e9;font-size:6.7pt;"
	"line-height:1.3;white-space:pre-wrap;word-break:break-all}\n"
	"pre .cm{color:#56606b}\n"
	".sig{font-size:6.2pt}\n"
	"footer{margin-top:1.4mm;padding-top:.8mm;border-top:.6pt solid #9aa4ae;font-size:6.6pt;color:#56606b}\n"
	"section,tr{break-inside:avoid}\n";

static const char *verdict_class(const char *v)
{
	if (v != NULL && strcmp(v, "verified") == 0)
		return "v-ok";
	if (v != NULL && strcmp(v, "incomplete") == 0)
		return "v-warn";
	return "v-bad";
}

/* A row of a label/value table: the value from outside, escaped. */
static void kv(struct esc_out *o, const char *label, const char *value, const struct esc_cert_words *w)
{
	esc_cert_rawf(o, "<tr><th>%s</th><td>", label);
	if (value != NULL && *value)
		esc_cert_text(o, value);
	else
		esc_cert_rawf(o, "<span class=\"muted\">%s</span>", w->unknown);
	esc_cert_raw(o, "</td></tr>\n");
}

static void header(struct esc_out *o, const struct esc_cert *c)
{
	const struct esc_cert_words *w = c->w;
	const char *verdict = esc_cert_str(c->report, "verdict"), *sentence = NULL;
	const char *head = esc_cert_verdict(w, verdict, &sentence);

	esc_cert_rawf(o, "<header><div class=\"title\"><h1>%s</h1><p class=\"sub\">", w->title);
	{
		/* the time, escaped before it goes into our sentence */
		struct esc_out at = {0};

		esc_cert_text(&at, c->verified_at);
		if (at.st != ESCROW_OK)
			o->st = at.st;
		else
			esc_cert_rawf(o, w->made_by, ESCROW_VERSION, at.p ? at.p : "");
		free(at.p);
	}
	esc_cert_rawf(o, "</p></div>\n<div class=\"verdict %s\"><div class=\"big\">", verdict_class(verdict));
	if (head != NULL)
		esc_cert_raw(o, head);
	else
		esc_cert_text(o, verdict);
	esc_cert_raw(o, "</div>");
	if (sentence != NULL)
		esc_cert_rawf(o, "<div>%s</div>", sentence);
	esc_cert_raw(o, "<div class=\"code\">verdict: ");
	esc_cert_text(o, verdict);
	esc_cert_raw(o, "</div></div></header>\n");
}

/* The bundle SHA-256, the contract SHA-256, the signer and the time: what
 * binds this page to one file, one contract and one key. */
static void fingerprints(struct esc_out *o, const struct esc_cert *c)
{
	const struct esc_cert_words *w = c->w;
	const json_t *contract = json_object_get(c->report, "contract"), *sig = json_object_get(c->report, "signature");
	const char *signer = esc_cert_str(sig, "signed_by"), *given = esc_cert_str(sig, "key_id");

	esc_cert_raw(o, "<table class=\"fp\">\n");
	kv(o, w->bundle_file, c->bundle_file, w);
	kv(o, w->sha256, c->bundle_sha256, w);
	kv(o, w->contract_sha, esc_cert_str(contract, "sha256"), w);
	if (c->mode == ESC_CERT_RECORDED)
		signer = given; /* the ledger's: the key that made the signature */
	esc_cert_rawf(o, "<tr><th>%s</th><td>", w->signer);
	if (signer != NULL)
		esc_cert_text(o, signer);
	else
		esc_cert_raw(o, w->unknown);
	/* a key id a bad or unchecked signature names did not sign anything */
	if (signer != NULL && c->mode != ESC_CERT_RECORDED && !(esc_cert_str(sig, "status") != NULL &&
	                                                         strcmp(esc_cert_str(sig, "status"), "good") == 0))
		esc_cert_rawf(o, " <span class=\"bad\">(%s)</span>", w->signer_unproven);
	/* the key given with -p, when it is not the one that signed (or none was read) */
	if (given != NULL && c->mode != ESC_CERT_RECORDED && (signer == NULL || strcmp(signer, given) != 0)) {
		esc_cert_rawf(o, " <span class=\"muted\">(%s: ", w->key_given);
		esc_cert_text(o, given);
		esc_cert_raw(o, ")</span>");
	}
	esc_cert_raw(o, "</td></tr>\n");
	kv(o, w->verified_at, c->verified_at, w);
	esc_cert_raw(o, "</table>\n");
}

/* bundle.provenance: rows of the deposit's facts table, each value escaped
 * by esc_cert_text (the report bounded them already). */
static void provenance_rows(struct esc_out *o, const json_t *b, const struct esc_cert_words *w)
{
	const json_t *p = json_object_get(b, "provenance"), *g = json_object_get(p, "git"), *t;
	const char *k;
	size_t i;

	if (json_is_object(g)) {
		esc_cert_rawf(o, "<tr><th>%s</th><td class=\"mono\">", w->git_commit);
		esc_cert_text(o, esc_cert_str(g, "commit"));
		esc_cert_raw(o, "</td></tr>\n");
		if (json_array_size(json_object_get(g, "tags")) > 0) {
			esc_cert_rawf(o, "<tr><th>%s</th><td>", w->git_tags);
			json_array_foreach(json_object_get(g, "tags"), i, t) {
				if (i)
					esc_cert_raw(o, ", ");
				esc_cert_text(o, json_string_value(t));
			}
			esc_cert_raw(o, "</td></tr>\n");
		}
		if (esc_cert_str(g, "remote") != NULL)
			kv(o, w->git_remote, esc_cert_str(g, "remote"), w);
		esc_cert_rawf(o, "<tr><th>%s</th><td%s>%s</td></tr>\n", w->git_tree,
		              json_is_true(json_object_get(g, "dirty")) ? " class=\"bad\"" : "",
		              json_is_true(json_object_get(g, "dirty")) ? w->git_dirty : w->git_clean);
	}
	json_object_foreach(json_object_get(p, "meta"), k, t) {
		esc_cert_raw(o, "<tr><th>");
		esc_cert_text(o, k);
		esc_cert_raw(o, "</th><td>");
		esc_cert_text(o, json_string_value(t));
		esc_cert_raw(o, "</td></tr>\n");
	}
}

static void parties_and_deposit(struct esc_out *o, const struct esc_cert *c)
{
	const struct esc_cert_words *w = c->w;
	const json_t *b = json_object_get(c->report, "bundle"), *sealed = json_object_get(b, "sealed");

	esc_cert_rawf(o, "<div><h2>%s</h2>\n<table class=\"kv\">\n<tr><th>%s</th><td><b>", w->s_parties, w->agency);
	if (esc_cert_str(b, "agency") != NULL)
		esc_cert_text(o, esc_cert_str(b, "agency"));
	else
		esc_cert_rawf(o, "<span class=\"muted\">%s</span>", w->unknown);
	esc_cert_rawf(o, "</b><br><span class=\"small\">%s</span></td></tr>\n<tr><th>%s</th><td>", w->agency_note,
	              w->notary);
	if (c->notary_key_id != NULL) {
		esc_cert_raw(o, "<span class=\"mono\">");
		esc_cert_text(o, c->notary_key_id);
		esc_cert_rawf(o, "</span><br><span class=\"small\">%s \u00b7 ", w->notary_vault);
		esc_cert_text(o, c->vault_path);
		esc_cert_rawf(o, " \u00b7 %s %" PRId64 "</span>", w->deposit_no, c->deposit_id);
	} else {
		esc_cert_rawf(o, "<span class=\"muted\">%s</span>", w->notary_none);
	}
	esc_cert_rawf(o, "</td></tr>\n</table>\n<h2>%s</h2>\n<table class=\"kv\">\n", w->s_deposit);
	kv(o, w->name, esc_cert_str(b, "name"), w);
	kv(o, w->release, esc_cert_str(b, "release"), w);
	kv(o, w->bag, esc_cert_str(b, "bag"), w);
	kv(o, w->created, esc_cert_str(b, "created"), w);
	provenance_rows(o, b, w);
	kv(o, w->sealed, json_is_boolean(sealed) ? (json_is_true(sealed) ? w->yes : w->no) : NULL, w);
	esc_cert_rawf(o, "<tr><th>%s</th><td>", w->size);
	if (c->have_size)
		esc_cert_bytes(o, w, c->bundle_size);
	else
		esc_cert_rawf(o, "<span class=\"muted\">%s</span>", w->unknown);
	esc_cert_raw(o, "</td></tr>\n</table></div>\n");
}

/* A status in the page's language when it has words for it, else as given. */
static const char *said(const struct esc_cert_words *w, const char *status)
{
	const char *s = esc_cert_status(w, status);

	return s != NULL ? s : status;
}

static void contract_and_verification(struct esc_out *o, const struct esc_cert *c)
{
	const struct esc_cert_words *w = c->w;
	const json_t *k = json_object_get(c->report, "contract"), *sig = json_object_get(c->report, "signature");
	const json_t *b = json_object_get(c->report, "bundle"), *in = json_object_get(c->report, "integrity");
	const char *copy = esc_cert_str(k, "bundle_copy"), *verdict = esc_cert_str(c->report, "verdict");
	int64_t files = 0, bytes = 0;

	esc_cert_rawf(o, "<div><h2>%s</h2>\n<table class=\"kv\">\n", w->s_contract);
	if (json_is_object(k) && esc_cert_str(k, "id") != NULL) {
		kv(o, w->contract_id, esc_cert_str(k, "id"), w);
		if (copy != NULL)
			esc_cert_rawf(o, "<tr><th>%s</th><td%s>%s</td></tr>\n", w->copy,
			              strcmp(copy, "same") == 0 ? "" : " class=\"bad\"",
			              strcmp(copy, "same") == 0 ? w->copy_same
			              : strcmp(copy, "absent") == 0 ? w->copy_absent : w->copy_differs);
	} else {
		kv(o, w->contract_id, esc_cert_str(b, "contract_id"), w);
		esc_cert_rawf(o, "<tr><td colspan=\"2\" class=\"muted\">%s</td></tr>\n", w->contract_none);
	}
	esc_cert_rawf(o, "</table>\n<h2>%s</h2>\n<table class=\"kv\">\n", w->s_verification);
	kv(o, w->signature, said(w, esc_cert_str(sig, "status")), w);
	if (esc_cert_str(b, "detached_signature") != NULL)
		kv(o, w->detached, said(w, esc_cert_str(b, "detached_signature")), w);
	esc_cert_rawf(o, "<tr><th>%s</th><td>", w->how);
	if (c->mode == ESC_CERT_RECORDED) {
		esc_cert_raw(o, w->how_recorded);
		esc_cert_text(o, c->why_recorded);
		esc_cert_raw(o, ")");
	} else {
		esc_cert_raw(o, c->mode == ESC_CERT_REVERIFIED ? w->how_reverified : w->how_now);
	}
	esc_cert_raw(o, "</td></tr>\n");
	if (c->recorded_verdict != NULL && c->mode == ESC_CERT_REVERIFIED) {
		esc_cert_rawf(o, "<tr><th>%s</th><td>", w->at_receive);
		esc_cert_text(o, c->recorded_verdict);
		esc_cert_raw(o, ", ");
		esc_cert_text(o, c->received_at);
		if (verdict == NULL || strcmp(verdict, c->recorded_verdict) != 0)
			esc_cert_rawf(o, " <span class=\"bad\">%s</span>", w->differs);
		esc_cert_raw(o, "</td></tr>\n");
	}
	if (esc_cert_int(in, "files", &files) && esc_cert_int(in, "bytes", &bytes)) {
		esc_cert_rawf(o, "<tr><th>%s</th><td>", w->integrity);
		esc_cert_text(o, said(w, esc_cert_str(in, "status")));
		esc_cert_rawf(o, " \u00b7 %" PRId64 " %s \u00b7 ", files, w->files_word);
		esc_cert_bytes(o, w, (uint64_t)bytes);
		esc_cert_raw(o, "</td></tr>\n");
	}
	/* why a deposit is not verified: which file was changed, which key signed */
	if (verdict != NULL && strcmp(verdict, "verified") != 0 && esc_cert_str(c->report, "reason") != NULL &&
	    *esc_cert_str(c->report, "reason"))
		kv(o, w->why, esc_cert_str(c->report, "reason"), w);
	kv(o, w->tool, esc_cert_str(c->report, "tool"), w);
	esc_cert_raw(o, "</table></div>\n");
}

static void deliverable(struct esc_out *o, const struct esc_cert_words *w, const json_t *d)
{
	const char *status = esc_cert_str(d, "status"), *reason = esc_cert_str(d, "reason");
	const char *kind = esc_cert_str(d, "kind"), *shown = esc_cert_status(w, status);
	bool ok = status != NULL && strcmp(status, "ok") == 0;
	bool optional = json_is_false(json_object_get(d, "required"));
	int64_t files = 0, bytes = 0;

	esc_cert_raw(o, "<tr><td class=\"id\">");
	esc_cert_text(o, esc_cert_str(d, "id"));
	esc_cert_raw(o, "</td><td>");
	if (esc_cert_kind(w, kind) != NULL)
		esc_cert_raw(o, esc_cert_kind(w, kind));
	else
		esc_cert_text(o, kind);
	esc_cert_raw(o, "</td><td class=\"d\">");
	esc_cert_text(o, esc_cert_str(d, "description"));
	if (optional)
		esc_cert_rawf(o, " <span class=\"small\">(%s)</span>", w->optional);
	if (!ok && reason != NULL && *reason) {
		esc_cert_raw(o, "<br><span class=\"why\">");
		esc_cert_text(o, reason);
		esc_cert_raw(o, "</span>");
	}
	esc_cert_rawf(o, "</td><td class=\"n\">%" PRId64 "</td><td class=\"n\">",
	              esc_cert_int(d, "files", &files) ? files : 0);
	esc_cert_int(d, "bytes", &bytes);
	esc_cert_grouped(o, w, (uint64_t)bytes);
	esc_cert_rawf(o, "</td><td><span class=\"st %s\">", ok ? "st-ok" : optional ? "st-opt" : "st-bad");
	esc_cert_text(o, status);
	esc_cert_raw(o, "</span>");
	if (!ok && shown != NULL && strcmp(shown, status) != 0)
		esc_cert_rawf(o, " <span class=\"small\">%s</span>", shown);
	esc_cert_raw(o, "</td></tr>\n");
}

static void deliverables(struct esc_out *o, const struct esc_cert *c)
{
	const struct esc_cert_words *w = c->w;
	const json_t *list = json_object_get(c->report, "deliverables"), *d;
	size_t i;

	esc_cert_rawf(o, "<section><h2>%s</h2>\n", w->s_deliverables);
	if (!json_is_array(list) || json_array_size(list) == 0) {
		/* a contract named in the report but not judged: given, and the
		 * bundle failed first (or was refused at receive), not "none given" */
		esc_cert_rawf(o, "<p class=\"muted\">%s</p></section>\n",
		              esc_cert_str(json_object_get(c->report, "contract"), "id") != NULL &&
		              !json_is_true(json_object_get(json_object_get(c->report, "contract"), "checked"))
		              ? w->not_judged : w->no_deliverables);
		return;
	}
	esc_cert_rawf(o, "<table class=\"dl\">\n<tr><th>%s</th><th>%s</th><th>%s</th><th class=\"n\">%s</th>"
	              "<th class=\"n\">%s</th><th>%s</th></tr>\n", w->c_id, w->c_kind, w->c_desc, w->c_files, w->c_size,
	              w->c_status);
	json_array_foreach(list, i, d)
		deliverable(o, w, d);
	esc_cert_raw(o, "</table></section>\n");
}

/* A list of paths (strings) shown as "N label: a, b, c, ..." (at most 8). */
static void paths(struct esc_out *o, const json_t *list, const char *label)
{
	const json_t *p;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0)
		return;
	esc_cert_rawf(o, "<li>%zu %s: <span class=\"mono\">", json_array_size(list), label);
	json_array_foreach(list, i, p) {
		if (i == 8) {
			esc_cert_raw(o, ", \u2026");
			break;
		}
		if (i > 0)
			esc_cert_raw(o, ", ");
		esc_cert_text(o, json_is_string(p) ? json_string_value(p) : esc_cert_str(p, "path"));
	}
	esc_cert_raw(o, "</span></li>\n");
}

static void inventory_and_warnings(struct esc_out *o, const struct esc_cert *c)
{
	const struct esc_cert_words *w = c->w;
	const json_t *inv = json_object_get(c->report, "inventory"), *warns = json_object_get(c->report, "warnings"), *x;
	const json_t *unassigned = json_object_get(c->report, "unassigned");
	const json_t *forbidden = json_object_get(c->report, "forbidden");
	size_t i, n = json_is_array(warns) ? json_array_size(warns) : 0;

	esc_cert_rawf(o, "<section class=\"grid2\"><div><h2>%s</h2>\n", w->s_inventory);
	esc_cert_chart(o, w, json_object_get(inv, "kinds"));
	esc_cert_rawf(o, "</div><div><h2>%s</h2>\n", w->s_warnings);
	if (n == 0 && json_array_size(unassigned) == 0 && json_array_size(forbidden) == 0) {
		esc_cert_rawf(o, "<p class=\"muted\">%s</p></div></section>\n", w->no_warnings);
		return;
	}
	esc_cert_raw(o, "<ul>\n");
	json_array_foreach(warns, i, x) {
		if (i == 12) {
			esc_cert_rawf(o, "<li>\u2026 (%zu)</li>\n", n);
			break;
		}
		esc_cert_raw(o, "<li>");
		if (esc_cert_str(x, "file") != NULL) {
			esc_cert_raw(o, "<span class=\"mono\">");
			esc_cert_text(o, esc_cert_str(x, "file"));
			esc_cert_raw(o, "</span>: ");
		}
		esc_cert_text(o, json_is_string(x) ? json_string_value(x) : esc_cert_str(x, "message"));
		esc_cert_raw(o, "</li>\n");
	}
	paths(o, forbidden, w->forbidden);
	paths(o, unassigned, w->unassigned);
	esc_cert_raw(o, "</ul></div></section>\n");
}

void esc_cert_render(const struct esc_cert *c, struct esc_out *o)
{
	esc_cert_rawf(o, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
	              "<meta name=\"generator\" content=\"escrow %s\">\n<title>", c->w->lang, ESCROW_VERSION);
	esc_cert_raw(o, c->w->title);
	esc_cert_raw(o, " \u2014 ");
	esc_cert_text(o, esc_cert_str(json_object_get(c->report, "bundle"), "bag"));
	esc_cert_raw(o, "</title>\n<style>\n");
	esc_cert_raw(o, style);
	esc_cert_raw(o, "</style>\n</head>\n<body>\n<div class=\"page\">\n");
	header(o, c);
	fingerprints(o, c);
	esc_cert_raw(o, "<section class=\"grid2\">\n");
	parties_and_deposit(o, c);
	contract_and_verification(o, c);
	esc_cert_raw(o, "</section>\n");
	deliverables(o, c);
	inventory_and_warnings(o, c);
	esc_cert_receipt(o, c);
	esc_cert_diff(o, c->w, c->diff);
	esc_cert_by_hand(o, c);
	esc_cert_rawf(o, "<footer>%s</footer>\n</div>\n</body>\n</html>\n", c->w->page_note);
}
