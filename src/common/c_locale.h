/* Numbers in the "C" conventions whatever the application's locale is.
 *
 * Model files, landmark CSVs, the output CSV and every other text auface reads or writes
 * use '.' as the decimal point. strtod, strtof, sscanf and the printf family follow the
 * calling thread's locale (LC_NUMERIC), so an application that called, say,
 * setlocale(LC_ALL, "de_DE.UTF-8") would make them read "0.5" as 0 and print "0,5".
 *
 * auface therefore runs every public entry point, and every thread it starts, under the
 * "C" locale of the calling thread only (uselocale): the process's global locale and the
 * other threads are never touched, and the caller's own locale is back in force when the
 * entry point returns (and while a callback of the caller runs).
 *
 *     au_c_locale_scope scope;
 *     au_c_locale_enter(&scope);
 *     ... parse and print numbers ...
 *     au_c_locale_leave(&scope);
 *
 * Scopes nest (each restores what it found). */
#ifndef AU_COMMON_C_LOCALE_H
#define AU_COMMON_C_LOCALE_H

#include <locale.h>

typedef struct au_c_locale_scope {
    locale_t c_locale;   /* (locale_t)0 when the "C" locale could not be made */
    locale_t previous;   /* the thread's locale before enter, (locale_t)0 if unchanged */
} au_c_locale_scope;

/* Switches the calling thread to the "C" locale. Returns 1, or 0 when the locale object
 * could not be made (out of memory; glibc never fails for "C"), in which case nothing
 * changed and leave is still safe to call. */
int au_c_locale_enter(au_c_locale_scope *scope);

/* Gives the calling thread back the locale it had at enter. */
void au_c_locale_leave(au_c_locale_scope *scope);

/* The locale the thread had before enter (to run a caller's callback in it); the thread's
 * current locale when enter changed nothing. */
locale_t au_c_locale_caller(const au_c_locale_scope *scope);

#endif
