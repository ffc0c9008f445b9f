/* The manifest.json files of ../shared/reference/nn (pfld, retinaface), read just far
 * enough for the tests: each case is an object `"<case>": { ... }` of numbers, strings,
 * arrays of numbers and nested objects, written by Python's json.dump with an indent (one
 * `"key": value` a line). No JSON parser is needed for that: a key is looked up as text
 * after the case's opening.
 *
 * Header-only (see test_files.h for why). */
#ifndef AU_TEST_MANIFEST_H
#define AU_TEST_MANIFEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Start of the object of `case_name`, or NULL. */
static inline const char *test_manifest_case(const char *json, const char *case_name)
{
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": {", case_name);
    return strstr(json, pat);
}

/* The text right after the first `"key": <opening>` that follows the case's opening, or
 * NULL. (A key missing from the case may be found in a later case, as in every minimal
 * lookup of this kind; the manifests name every key in every case.) */
static inline const char *test_manifest_value(const char *json, const char *case_name,
                                              const char *key, const char *opening)
{
    const char *c = test_manifest_case(json, case_name);
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\": %s", key, opening);
    const char *k = c ? strstr(c, pat) : NULL;
    return k ? k + strlen(pat) : NULL;
}

/* The number of `"key": <number>`; 1 if it was read. */
static inline int test_manifest_number(const char *json, const char *case_name, const char *key,
                                       double *v)
{
    const char *p = test_manifest_value(json, case_name, key, "");
    if (!p)
        return 0;
    char *end;
    *v = strtod(p, &end);
    return end != p;
}

/* The first n numbers of the (possibly nested) array `"key": [...]`; 1 if all were read. */
static inline int test_manifest_numbers(const char *json, const char *case_name, const char *key,
                                        double *v, int n)
{
    const char *p = test_manifest_value(json, case_name, key, "[");
    if (!p)
        return 0;
    for (int i = 0; i < n; i++) {
        while (*p && strchr(" \t\r\n,[]", *p))
            p++;
        char *end;
        v[i] = strtod(p, &end);
        if (end == p)
            return 0;
        p = end;
    }
    return 1;
}

/* The string of `"key": "..."` copied to `out` (cap bytes with the '\0'); 1 if it fit. */
static inline int test_manifest_string(const char *json, const char *case_name, const char *key,
                                       char *out, size_t cap)
{
    const char *k = test_manifest_value(json, case_name, key, "\"");
    const char *end = k ? strchr(k, '"') : NULL;
    if (!end || (size_t)(end - k) >= cap)
        return 0;
    memcpy(out, k, (size_t)(end - k));
    out[end - k] = '\0';
    return 1;
}

#endif
