/* JSON output of the `auface` tool's --progress-json lines. */
#ifndef AU_TOOLS_JSON_OUT_H
#define AU_TOOLS_JSON_OUT_H

#include <stdio.h>

/* Writes `s` as a JSON string (quotes and escapes). */
void au_json_string(FILE *f, const char *s);

#endif
