/* Per-thread "C" locale scopes; see common/c_locale.h. */
#include "common/c_locale.h"

int au_c_locale_enter(au_c_locale_scope *scope)
{
    scope->previous = (locale_t)0;
    scope->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (scope->c_locale == (locale_t)0)
        return 0;
    scope->previous = uselocale(scope->c_locale);
    return 1;
}

void au_c_locale_leave(au_c_locale_scope *scope)
{
    if (scope->c_locale == (locale_t)0)
        return;
    uselocale(scope->previous);
    freelocale(scope->c_locale);
    scope->c_locale = (locale_t)0;
    scope->previous = (locale_t)0;
}

locale_t au_c_locale_caller(const au_c_locale_scope *scope)
{
    return scope->previous != (locale_t)0 ? scope->previous : uselocale((locale_t)0);
}
