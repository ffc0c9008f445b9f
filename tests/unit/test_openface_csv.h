/* OpenFace's CSV files (FeatureExtraction's default.csv, default_landmarks.csv) read in the
 * unit tests independently of io/landmark_csv: fields split at ',' with the spaces
 * OpenFace writes after each comma trimmed, columns found by header name, and the
 * full-precision landmarks of one frame.
 *
 * Header-only (see test_files.h for why). */
#ifndef AU_TEST_OPENFACE_CSV_H
#define AU_TEST_OPENFACE_CSV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* default_landmarks.csv of OpenFace 2.2 on default.wmv: frame, face_id, timestamp,
 * confidence, success, x_0..x_67, y_0..y_67, with 9 significant digits (exact floats). */
#define TEST_OPENFACE_LANDMARKS_CSV SHARED("reference/openface-2.2/default/default_landmarks.csv")

/* Splits one CSV line in place at ',' into at most `max` fields, each without its leading
 * spaces and trailing spaces, CR and LF; returns the number of fields. */
static inline int test_csv_split(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (*p == ' ')
            p++;
        char *e = p + strlen(p);
        while (e > p && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r'))
            *--e = '\0';
        fields[n++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    return n;
}

/* Index of the field equal to `name`, or -1. */
static inline int test_csv_column(char *const *fields, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i], name) == 0)
            return i;
    return -1;
}

/* The landmarks x_0..x_67, y_0..y_67 of CSV frame `frame` (1-based: video frame frame − 1)
 * of TEST_OPENFACE_LANDMARKS_CSV; 1 if found and complete. */
static inline int test_openface_landmarks(int frame, float xy136[136])
{
    FILE *f = fopen(TEST_OPENFACE_LANDMARKS_CSV, "r");
    if (!f)
        return 0;
    static char line[65536];
    int found = 0;
    if (fgets(line, sizeof line, f))
        while (!found && fgets(line, sizeof line, f))
            found = atoi(line) == frame;
    fclose(f);
    if (!found)
        return 0;
    char *p = line;
    for (int col = 0; col < 5; col++) { /* frame, face_id, timestamp, confidence, success */
        p = strchr(p, ',');
        if (!p)
            return 0;
        p++;
    }
    for (int i = 0; i < 136; i++) {
        char *end;
        xy136[i] = strtof(p, &end);
        if (end == p)
            return 0;
        p = *end == ',' ? end + 1 : end;
    }
    return 1;
}

#endif
