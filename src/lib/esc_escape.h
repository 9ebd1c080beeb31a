/* esc_escape.h -- showing text from outside safely (core_escape.c). Every string
 * that comes from a bundle, a contract, a key or identity file, a file name,
 * a trusted comment or a command line goes through here before it reaches
 * text output, an error message or a warning. */
#ifndef ESC_ESCAPE_H
#define ESC_ESCAPE_H

#include "escrow_private.h"

enum esc_escape_mode {
	/* For people: C0, DEL as \xNN; C1 and bidi controls as \uNNNN; bytes
	 * that are not UTF-8 as \xNN each; '\' as "\\". Valid text otherwise kept. */
	ESC_ESCAPE_TEXT = 0,
	/* The body of a JSON string (no quotes): '"' '\' and every control as JSON
	 * escapes, so the decoded string is the original; each byte that is not
	 * UTF-8 becomes \ufffd (JSON holds only Unicode text). */
	ESC_ESCAPE_JSON = 1,
	/* A whole JSON document from jansson (valid UTF-8, controls in strings
	 * already escaped): DEL, C1 and bidi controls, which jansson writes raw,
	 * become \u escapes; the layout's newlines stay. */
	ESC_ESCAPE_JSON_DOC = 2,
	/* Only makes text valid UTF-8: each invalid byte becomes U+FFFD. */
	ESC_ESCAPE_LOSSY = 3,
	/* The body of a JSON string exactly as esc_json_safe(json_dumps()) of
	 * esc_json_string(s) writes it: '"' '\' as \" \\, C0 as \b \f \n \r \t
	 * or \u00XX, DEL, C1 and bidi controls as \uxxxx, each byte that is not
	 * UTF-8 as U+FFFD; other text kept. */
	ESC_ESCAPE_JSON_DUMP = 4
};

/* Escapes len bytes of s into out (size bytes with the NUL), like snprintf:
 * returns the length of the whole result; when that is >= size the output
 * was cut before the first piece that did not fit (never inside an escape or
 * a character). out may be NULL when size is 0. */
size_t esc_escape(char *out, size_t size, const char *s, size_t len, enum esc_escape_mode mode);
/* true when s is valid UTF-8 without any control the escape would show
 * (C0, DEL, C1, bidi): text the library may write where stock tools print it
 * raw (the trusted comment minisign -V shows). */
bool esc_text_is_plain(const char *s, size_t len);
/* Characters a terminal or a text renderer acts on instead of showing: C0,
 * DEL, C1, the line and paragraph separators and the bidi controls (U+061C,
 * U+200E/F, U+202A-202E, U+2066-2069). The one list: writers of other
 * syntaxes (the contract draft's YAML) escape exactly these too. */
bool esc_is_control(uint32_t cp);
/* s is valid UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
bool esc_utf8_valid(const char *s, size_t len);
/* esc_escape, malloc'd; NULL on ENOMEM. */
char *esc_escape_dup(const char *s, size_t len, enum esc_escape_mode mode);
/* json_string(s) when s is valid UTF-8 (the exact text), else the string with
 * each invalid byte replaced by U+FFFD (jansson refuses invalid UTF-8).
 * NULL when s is NULL or on ENOMEM. */
json_t *esc_json_string(const char *s);
/* Takes a malloc'd JSON document (json_dumps) and returns it with DEL, C1 and
 * bidi controls written as \u escapes (malloc'd; NULL on ENOMEM or when doc
 * is NULL). doc is freed. */
char *esc_json_safe(char *doc);

#endif
