/* esc_locale.h -- a UTF-8 LC_CTYPE for the calling thread only, around the
 * calls into libarchive. Not installed. */
#ifndef ESC_LOCALE_H
#define ESC_LOCALE_H

#include <locale.h>

/* libarchive converts names between the archive's charset and the locale's:
 * in the C locale a non-ASCII pax path fails or crashes (libarchive#2233).
 * The library must not change the process's locale (the host program's, in
 * every thread), so each thread that drives libarchive switches itself to
 * a C.UTF-8 LC_CTYPE with uselocale() and gives the previous one back:
 *
 *     locale_t prev = esc_utf8_locale_enter();
 *     ... archive_* calls ...
 *     esc_utf8_locale_leave(prev);
 *
 * The locale object is made once per process and kept. When no UTF-8 locale
 * exists at all, the thread keeps its locale (enter returns (locale_t)0). */
locale_t esc_utf8_locale_enter(void);
void esc_utf8_locale_leave(locale_t previous);

#endif
