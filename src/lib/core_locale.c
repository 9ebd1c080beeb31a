/* core_locale.c -- the thread-local UTF-8 locale of esc_locale.h. */
#include "esc_locale.h"

#include <pthread.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static locale_t utf8; /* (locale_t)0 when none could be made */

static void make(void)
{
	/* C.UTF-8 is always present on glibc >= 2.35 and on Debian; "" (the
	 * environment's locale) is the old fallback of escrow_init. The other
	 * categories stay those of the C locale. */
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8 == (locale_t)0)
		utf8 = newlocale(LC_CTYPE_MASK, "", (locale_t)0);
}

locale_t esc_utf8_locale_enter(void)
{
	if (pthread_once(&once, make) != 0 || utf8 == (locale_t)0)
		return (locale_t)0;
	return uselocale(utf8);
}

void esc_utf8_locale_leave(locale_t previous)
{
	if (previous != (locale_t)0)
		(void)uselocale(previous);
}
