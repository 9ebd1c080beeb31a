/* report_cert_words.c -- the certificate's words, in English and in French
 * (the notaries and agencies who file it are French). Our own text only:
 * nothing here comes from a bundle. */
#include "esc_cert.h"

#include <string.h>

static const struct esc_cert_words en = {
	.lang = "en",
	.title = "Escrow deposit certificate",
	.made_by = "Made by escrow %s on %s.",
	.page_note = "This certificate states what escrow checked, at the time shown. The bundle's SHA-256 binds "
	             "it to one file: anyone can check it all again with the stock tools above, without escrow.",
	.s_parties = "Parties",
	.agency = "Depositor (agency)",
	.agency_note = "as signed: bag-info Source-Organization",
	.notary = "Escrow agent (notary)",
	.notary_vault = "the vault's notary key",
	.notary_none = "not from a vault: verified by whoever ran this command",
	.client = "Client",
	.deposit_no = "deposit",
	.s_deposit = "Deposit",
	.name = "Name",
	.release = "Release",
	.bag = "Bag",
	.created = "Packed",
	.git_commit = "Git commit",
	.git_tags = "Git tags",
	.git_remote = "Git remote",
	.git_tree = "Work tree",
	.git_clean = "clean: the packed files are the commit's",
	.git_dirty = "dirty: packed files differ from the commit",
	.sealed = "Sealed (age)",
	.yes = "yes",
	.no = "no",
	.bundle_file = "Bundle file",
	.sha256 = "Bundle SHA-256",
	.size = "Bundle size",
	.unknown = "not known",
	.bytes = "bytes",
	.kib = "KiB",
	.mib = "MiB",
	.gib = "GiB",
	.thousands = ",",
	.decimal = ".",
	.s_contract = "Contract",
	.contract_id = "Contract id",
	.contract_sha = "Contract SHA-256",
	.contract_none = "no contract given: the deliverables were not checked",
	.copy = "Copy in the bundle",
	.copy_same = "the same text",
	.copy_differs = "DIFFERS from the contract checked",
	.copy_absent = "none",
	.s_verification = "Signature and verification",
	.signer = "Signer key id",
	.signer_unproven = "named by the signature, which did not verify",
	.key_given = "key given",
	.signature = "Signature",
	.detached = "Detached signature",
	.trusted_comment = "Trusted comment",
	.verdict = "Verdict",
	.verified_at = "Verified at",
	.integrity = "Integrity",
	.files_word = "files",
	.how = "How",
	.how_now = "verified for this certificate: signature, bytes, deliverables",
	.how_reverified = "the vault's copy verified again, with the contract and key registered at receive",
	.how_recorded = "the verdict recorded by the vault at receive (not verified again: ",
	.at_receive = "Verdict at receive",
	.differs = "differs from the verdict now",
	.tool = "Tool",
	.why = "Why",
	.s_deliverables = "Deliverables",
	.c_id = "Id",
	.c_kind = "Kind",
	.c_desc = "Description",
	.c_files = "Files",
	.c_size = "Bytes",
	.c_status = "Status",
	.no_deliverables = "No deliverables were checked (no contract given).",
	.not_judged = "No deliverables were judged: the bundle failed before its contract check.",
	.optional = "optional",
	.s_inventory = "Inventory by kind",
	.inv_none = "No inventory (it is made only of a bundle verified for this certificate).",
	.inv_empty = "No payload file.",
	.s_warnings = "Warnings",
	.no_warnings = "None.",
	.unassigned = "file(s) in no deliverable",
	.forbidden = "forbidden file(s)",
	.s_receipt = "Vault receipt",
	.receipt_file = "Receipt",
	.receipt_digest = "Receipt SHA-256",
	.notary_key = "Notary key id",
	.ledger_head = "Ledger head",
	.event = "event",
	.result = "Result",
	.receipt_sig = "Receipt signature (minisign)",
	.no_receipt = "No receipt kept in the vault for this deposit (receive wrote it where -o said).",
	.s_diff = "Changes since the previous deposit",
	.added = "added",
	.removed = "removed",
	.changed = "changed",
	.renamed = "renamed",
	.regressions = "Regressions",
	.no_regression = "no deliverable regressed",
	.s_by_hand = "How to check by hand, with stock tools",
	.by_hand_intro = "On any Debian or Ubuntu machine (packages coreutils, minisign, age, zstd, tar):",
	.h_digest = "must print the bundle SHA-256 above",
	.h_detached = "the agency's signature over the whole file",
	.h_open = "opens the bundle: a BagIt bag",
	.h_bag_sig = "the agency's signature over the manifests",
	.h_manifests = "every tag file, then every payload file",
	.h_receipt = "the notary's signature over the receipt",
};

static const struct esc_cert_words fr = {
	.lang = "fr",
	.title = "Certificat de dépôt sous séquestre",
	.made_by = "Établi par escrow %s le %s.",
	.page_note = "Ce certificat atteste ce qu’escrow a vérifié, à la date indiquée. Le SHA-256 du dépôt le lie à "
	             "un seul fichier : chacun peut tout revérifier avec les outils standard ci-dessus, sans escrow.",
	.s_parties = "Parties",
	.agency = "Déposant (agence)",
	.agency_note = "nom signé : bag-info Source-Organization",
	.notary = "Tiers séquestre (notaire)",
	.notary_vault = "clé du notaire du coffre",
	.notary_none = "hors coffre : vérifié par la personne qui a lancé cette commande",
	.client = "Bénéficiaire",
	.deposit_no = "dépôt n°",
	.s_deposit = "Dépôt",
	.name = "Nom",
	.release = "Version",
	.bag = "Sac",
	.created = "Emballé le",
	.git_commit = "Commit Git",
	.git_tags = "Étiquettes Git",
	.git_remote = "Dépôt Git distant",
	.git_tree = "Copie de travail",
	.git_clean = "propre : les fichiers emballés sont ceux du commit",
	.git_dirty = "modifiée : des fichiers emballés diffèrent du commit",
	.sealed = "Chiffré (age)",
	.yes = "oui",
	.no = "non",
	.bundle_file = "Fichier déposé",
	.sha256 = "SHA-256 du dépôt",
	.size = "Taille du dépôt",
	.unknown = "inconnu",
	.bytes = "octets",
	.kib = "Kio",
	.mib = "Mio",
	.gib = "Gio",
	.thousands = "\u202f",
	.decimal = ",",
	.s_contract = "Contrat",
	.contract_id = "Référence du contrat",
	.contract_sha = "SHA-256 du contrat",
	.contract_none = "aucun contrat fourni : les livrables n’ont pas été vérifiés",
	.copy = "Copie dans le dépôt",
	.copy_same = "texte identique",
	.copy_differs = "DIFFÉRENTE du contrat vérifié",
	.copy_absent = "aucune",
	.s_verification = "Signature et vérification",
	.signer = "Clé du signataire",
	.signer_unproven = "nommée par la signature, qui ne s’est pas vérifiée",
	.key_given = "clé fournie",
	.signature = "Signature",
	.detached = "Signature détachée",
	.trusted_comment = "Commentaire signé",
	.verdict = "Verdict",
	.verified_at = "Vérifié le",
	.integrity = "Intégrité",
	.files_word = "fichiers",
	.how = "Méthode",
	.how_now = "vérifié pour ce certificat : signature, octets, livrables",
	.how_reverified = "copie du coffre revérifiée, avec le contrat et la clé enregistrés à la réception",
	.how_recorded = "verdict enregistré par le coffre à la réception (non revérifié : ",
	.at_receive = "Verdict à la réception",
	.differs = "diffère du verdict actuel",
	.tool = "Outil",
	.why = "Motif",
	.s_deliverables = "Livrables",
	.c_id = "Réf.",
	.c_kind = "Nature",
	.c_desc = "Description",
	.c_files = "Fichiers",
	.c_size = "Octets",
	.c_status = "Statut",
	.no_deliverables = "Aucun livrable vérifié (aucun contrat fourni).",
	.not_judged = "Aucun livrable jugé : le dépôt a échoué avant la vérification du contrat.",
	.optional = "facultatif",
	.s_inventory = "Inventaire par nature",
	.inv_none = "Pas d’inventaire (il n’est établi que pour un dépôt vérifié pour ce certificat).",
	.inv_empty = "Aucun fichier de contenu.",
	.s_warnings = "Avertissements",
	.no_warnings = "Aucun.",
	.unassigned = "fichier(s) hors livrables",
	.forbidden = "fichier(s) interdit(s)",
	.s_receipt = "Récépissé du coffre",
	.receipt_file = "Récépissé",
	.receipt_digest = "SHA-256 du récépissé",
	.notary_key = "Clé du notaire",
	.ledger_head = "Tête du registre",
	.event = "événement",
	.result = "Résultat",
	.receipt_sig = "Signature du récépissé (minisign)",
	.no_receipt = "Aucun récépissé conservé au coffre pour ce dépôt (la réception l’a écrit là où -o l’indiquait).",
	.s_diff = "Changements depuis le dépôt précédent",
	.added = "ajoutés",
	.removed = "supprimés",
	.changed = "modifiés",
	.renamed = "renommés",
	.regressions = "Régressions",
	.no_regression = "aucun livrable en régression",
	.s_by_hand = "Vérifier à la main, avec les outils standard",
	.by_hand_intro = "Sur toute machine Debian ou Ubuntu (paquets coreutils, minisign, age, zstd, tar) :",
	.h_digest = "doit afficher le SHA-256 du dépôt",
	.h_detached = "signature de l’agence sur le fichier",
	.h_open = "ouvre le dépôt (un sac BagIt)",
	.h_bag_sig = "signature de l’agence sur le manifeste",
	.h_manifests = "chaque fichier, étiquettes puis contenu",
	.h_receipt = "signature du notaire sur le récépissé",
};

const struct esc_cert_words *esc_cert_words(const char *lang)
{
	if (lang == NULL || strcmp(lang, "en") == 0)
		return &en;
	if (strcmp(lang, "fr") == 0)
		return &fr;
	return NULL;
}

/* code, English, French */
static const char *const verdicts[][5] = {
	{"verified", "VERIFIED", "Intact, authentic, and every deliverable of the contract is there.", "VÉRIFIÉ",
	 "Intègre, authentique, et chaque livrable du contrat est présent."},
	{"incomplete", "INCOMPLETE", "Intact and authentic, but the contract is not met.", "INCOMPLET",
	 "Intègre et authentique, mais le contrat n’est pas respecté."},
	{"tampered", "TAMPERED", "Bytes or structure differ from what the agency signed.", "ALTÉRÉ",
	 "Des octets ou la structure diffèrent de ce que l’agence a signé."},
	{"bad-signature", "BAD SIGNATURE", "The signature does not verify, or another key made it.",
	 "SIGNATURE INVALIDE", "La signature ne se vérifie pas, ou une autre clé l’a faite."},
	{"unsafe", "UNSAFE", "Signed, but its structure is hostile (paths, entry types).", "DANGEREUX",
	 "Signé, mais sa structure est hostile (chemins, types d’entrées)."},
	{"not-opened", "NOT OPENED", "Sealed, and no identity given opens it.", "NON OUVERT",
	 "Chiffré, et aucune identité fournie ne l’ouvre."},
	{"not-a-bundle", "NOT A BUNDLE", "The file is no escrow bundle.", "PAS UN DÉPÔT",
	 "Le fichier n’est pas un dépôt escrow."},
};

const char *esc_cert_verdict(const struct esc_cert_words *w, const char *verdict, const char **sentence)
{
	bool f = w == &fr;
	size_t i;

	for (i = 0; verdict != NULL && i < sizeof verdicts / sizeof verdicts[0]; i++)
		if (strcmp(verdict, verdicts[i][0]) == 0) {
			*sentence = verdicts[i][f ? 4 : 2];
			return verdicts[i][f ? 3 : 1];
		}
	*sentence = NULL;
	return NULL;
}

static const char *const statuses[][3] = {
	{"ok", "ok", "conforme"},
	{"missing", "missing", "manquant"},
	{"too-small", "too small", "trop petit"},
	{"bad-format", "bad format", "format invalide"},
	{"lfs-pointer", "Git LFS pointer", "pointeur Git LFS"},
	{"unsafe", "unsafe", "dangereux"},
	{"hash-mismatch", "hash mismatch", "empreinte différente"},
	/* a signature's, the detached signature's, the integrity's */
	{"good", "good", "valide"},
	{"bad", "bad", "invalide"},
	{"not-checked", "not checked", "non vérifiée"},
	{"absent", "absent", "absente"},
	{"other-key", "made by another key", "faite par une autre clé"},
	{"not-applicable", "not applicable", "sans objet"},
	{"failed", "failed", "échec"},
};

static const char *const kinds[][3] = {
	{"code", "code", "code"},         {"model", "models", "modèles"}, {"data", "data", "données"},
	{"docs", "docs", "documentation"}, {"prompts", "prompts", "prompts"}, {"config", "config", "configuration"},
	{"pipeline", "pipeline", "pipeline"}, {"other", "other", "autres"},
};

static const char *lookup(const char *const (*t)[3], size_t n, const struct esc_cert_words *w, const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < n; i++)
		if (strcmp(code, t[i][0]) == 0)
			return t[i][w == &fr ? 2 : 1];
	return NULL;
}

const char *esc_cert_status(const struct esc_cert_words *w, const char *status)
{
	return lookup(statuses, sizeof statuses / sizeof statuses[0], w, status);
}

const char *esc_cert_kind(const struct esc_cert_words *w, const char *kind)
{
	return lookup(kinds, sizeof kinds / sizeof kinds[0], w, kind);
}
