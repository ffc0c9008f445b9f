/* The FaceLandmarkImg CSV layout (au_csv_schema_init_image) against OpenFace's own file,
 * sample1.csv: the header byte for byte (711 columns with the static models), the decimals
 * of every column as the file prints them, and OpenFace's row read back and written again
 * through the schema as the same bytes (", " between all fields, confidence with 3
 * decimals, presences with 1). */
#include <stdlib.h>
#include <string.h>

#include "au/models.h"
#include "auface.h"
#include "check.h"
#include "io/csv_schema.h"
#include "test_openface_csv.h"

#define SAMPLE1_CSV SHARED("reference/openface-2.2/sample1/sample1.csv")
#define MAX_FIELDS 1024

static char header[65536], row1[65536];

static int read_reference_lines(void)
{
    FILE *f = fopen(SAMPLE1_CSV, "r");
    if (!f)
        return 0;
    int ok = fgets(header, sizeof header, f) && fgets(row1, sizeof row1, f);
    fclose(f);
    return ok;
}

static void test_header(const au_csv_schema *s)
{
    char buf[65536];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    au_csv_write_header(s, f);
    fclose(f);
    CHECK(strcmp(buf, header) == 0);
    CHECK(s->n_cols == 711 && s->layout == AU_CSV_LAYOUT_IMAGE);
}

/* OpenFace's row parsed into doubles and printed again through the schema. */
static void test_row(const au_csv_schema *s)
{
    char line[65536];
    memcpy(line, row1, sizeof line);
    char *fields[MAX_FIELDS];
    int n = test_csv_split(line, fields, MAX_FIELDS);
    CHECK(n == s->n_cols);
    if (n != s->n_cols)
        return;
    double *values = malloc(sizeof *values * (size_t)n);
    int wrong_decimals = 0;
    for (int i = 0; i < n; i++) {
        values[i] = atof(fields[i]);
        const char *dot = strchr(fields[i], '.');
        wrong_decimals += (dot ? (int)strlen(dot + 1) : 0) != s->decimals[i];
    }
    CHECK(wrong_decimals == 0);
    char buf[65536];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    au_csv_write_values(s, f, values, 0, n);
    fputc('\n', f);
    fclose(f);
    CHECK(strcmp(buf, row1) == 0);
    free(values);
}

/* fill: the two leading columns are the face index and the confidence. */
static void test_fill(void)
{
    double values[8];
    au_csv_row row = {.frame = 7, .face_id = 2, .confidence = 0.5, .success = 1};
    au_csv_columns cols = {.outputs = 0, .n_points = 68, .n_modes = 34};
    au_csv_schema bare;
    au_err err;
    CHECK(au_csv_schema_init_image(&bare, &cols, &err) == AUFACE_OK);
    CHECK(bare.n_cols == 2 && bare.first_au == 2);
    au_csv_schema_fill(&bare, &row, values);
    CHECK(values[0] == 2.0 && values[1] == 0.5);
    au_csv_schema_release(&bare);
}

int main(void)
{
    CHECK(read_reference_lines());
    au_models *m = NULL;
    au_err err;
    CHECK(au_models_load(&m, SHARED("models/openface/AU_predictors"), 1, &err) == AUFACE_OK);
    if (m) {
        const char *reg[64], *cls[64];
        for (int i = 0; i < au_models_num_reg(m); i++)
            reg[i] = au_models_reg_name(m, i);
        for (int i = 0; i < au_models_num_class(m); i++)
            cls[i] = au_models_class_name(m, i);
        au_csv_columns cols = {AUFACE_OUT_ALL, 68, 34, au_models_num_reg(m), reg,
                               au_models_num_class(m), cls};
        au_csv_schema s;
        CHECK(au_csv_schema_init_image(&s, &cols, &err) == AUFACE_OK);
        test_header(&s);
        test_row(&s);
        test_fill();
        au_csv_schema_release(&s);
        au_models_free(m);
    }
    return check_report("test_csv_schema_image");
}
