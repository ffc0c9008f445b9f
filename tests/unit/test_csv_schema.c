/* The CSV schema against OpenFace's own file: every column name, in order, of
 * FeatureExtraction's default.csv (all 714 columns); the decimals of every column as the
 * file prints them; and the in-memory results written back as the same bytes as the CSV
 * writer. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au/models.h"
#include "check.h"
#include "io/csv_openface.h"
#include "io/csv_schema.h"
#include "pipeline/results.h"
#include "test_openface_csv.h"

#define DEFAULT_CSV SHARED("reference/openface-2.2/default/default.csv")
#define MAX_FIELDS 1024

static char header[65536], row1[65536];

static int read_reference_lines(void)
{
    FILE *f = fopen(DEFAULT_CSV, "r");
    if (!f)
        return 0;
    int ok = fgets(header, sizeof header, f) && fgets(row1, sizeof row1, f);
    fclose(f);
    return ok;
}

/* Decimals of a printed field: digits after the '.', 0 without one. */
static int printed_decimals(const char *field)
{
    const char *dot = strchr(field, '.');
    return dot ? (int)strlen(dot + 1) : 0;
}

static void fill_names(const au_models *m, const char **reg, const char **cls)
{
    for (int i = 0; i < au_models_num_reg(m); i++)
        reg[i] = au_models_reg_name(m, i);
    for (int i = 0; i < au_models_num_class(m); i++)
        cls[i] = au_models_class_name(m, i);
}

static void test_schema_matches_openface(const au_csv_schema *s)
{
    char line[65536];
    memcpy(line, header, sizeof line);
    char *fields[MAX_FIELDS];
    int n = test_csv_split(line, fields, MAX_FIELDS);
    CHECK(n == 714);
    CHECK(s->n_cols == n);
    int mismatches = 0;
    for (int i = 0; i < n && i < s->n_cols; i++)
        mismatches += strcmp(fields[i], s->names[i]) != 0;
    CHECK(mismatches == 0);
    CHECK(strcmp(s->names[s->first_au], "AU01_r") == 0);

    memcpy(line, row1, sizeof line);
    n = test_csv_split(line, fields, MAX_FIELDS);
    int wrong_decimals = 0;
    for (int i = 0; i < n && i < s->n_cols; i++)
        wrong_decimals += printed_decimals(fields[i]) != s->decimals[i];
    CHECK(wrong_decimals == 0);
}

/* The reference's first row, parsed, printed back through the schema: the same line. */
static void test_row_prints_as_openface(const au_csv_schema *s)
{
    char line[65536];
    memcpy(line, row1, sizeof line);
    char *fields[MAX_FIELDS];
    int n = test_csv_split(line, fields, MAX_FIELDS);
    double *values = calloc((size_t)s->n_cols, sizeof *values);
    for (int i = 0; i < n && i < s->n_cols; i++)
        values[i] = strtod(fields[i], NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    au_csv_write_values(s, f, values, 0, s->n_cols);
    fputc('\n', f);
    fclose(f);
    CHECK(strcmp(buf, row1) == 0);
    free(buf);
    free(values);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *buf = calloc((size_t)size + 1, 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static void au_values(void *user, long index, double *reg, double *cls)
{
    const au_csv_schema *s = user;
    for (int i = 0; i < s->n_reg; i++)
        reg[i] = 0.01 * (double)(index + i);
    for (int i = 0; i < s->n_class; i++)
        cls[i] = (double)((index + i) % 2);
}

/* Rows given to the writer and to the results give the same file, byte for byte. */
static void test_results_write_same_bytes(const au_csv_schema *s)
{
    char dir[] = "/tmp/auface_schema_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char writer_path[256], results_path[256];
    snprintf(writer_path, sizeof writer_path, "%s/writer.csv", dir);
    snprintf(results_path, sizeof results_path, "%s/results.csv", dir);
    au_err err;
    au_csv_writer *w = NULL;
    auface_results *r = NULL;
    CHECK(au_csv_writer_open(&w, writer_path, s, &err) == AUFACE_OK);
    CHECK(au_results_create(&r, s, &err) == AUFACE_OK);
    double *values = calloc((size_t)s->n_cols, sizeof *values);
    double reg[64], cls[64];
    for (long row = 0; row < 300; row++) { /* more than the results' first allocation */
        for (int c = 0; c < s->first_au; c++)
            values[c] = c < 5 ? (double)row : -1.23456789 * (double)(c + row) / 7.0;
        CHECK(au_csv_writer_add(w, values, &err) == AUFACE_OK);
        CHECK(au_results_append(r, values, &err) == AUFACE_OK);
    }
    for (long row = 0; row < 300; row++) {
        au_values((void *)s, row, reg, cls);
        au_results_set_aus(r, row, reg, cls);
    }
    CHECK(au_csv_writer_finish(w, au_values, (void *)s, &err) == AUFACE_OK);
    char msg[256];
    CHECK(auface_results_write_csv(r, results_path, msg, sizeof msg) == AUFACE_OK);
    CHECK(auface_results_rows(r) == 300);
    CHECK(auface_results_cols(r) == s->n_cols);
    CHECK(auface_results_column_index(r, "gaze_angle_y") == 12);
    CHECK(auface_results_column_index(r, "no_such_column") == -1);
    CHECK(auface_results_column_decimals(r, 5) == 6);
    CHECK(auface_results_column_name(r, s->n_cols) == NULL);
    char *a = slurp(writer_path), *b = slurp(results_path);
    CHECK(a && b && strcmp(a, b) == 0);
    /* A results file into a folder that does not exist: an error naming it, no file. */
    CHECK(auface_results_write_csv(r, "/nonexistent/x.csv", msg, sizeof msg) == AUFACE_ERR_IO);
    CHECK(strstr(msg, "/nonexistent/x.csv") != NULL);
    free(a);
    free(b);
    free(values);
    au_csv_writer_free(w);
    auface_results_free(r);
    unlink(writer_path);
    unlink(results_path);
    rmdir(dir);
}

int main(void)
{
    CHECK(read_reference_lines());
    au_models *m = NULL;
    au_err err;
    CHECK(au_models_load(&m, SHARED("models/openface/AU_predictors"), 0, &err) == AUFACE_OK);
    if (!m)
        return check_report("test_csv_schema");
    const char *reg[64], *cls[64];
    fill_names(m, reg, cls);
    au_csv_columns cols = {
        .outputs = AUFACE_OUT_ALL, .n_points = 68, .n_modes = 34,
        .n_reg = au_models_num_reg(m), .reg_names = reg,
        .n_class = au_models_num_class(m), .class_names = cls,
    };
    au_csv_schema s;
    CHECK(au_csv_schema_init(&s, &cols, &err) == AUFACE_OK);
    test_schema_matches_openface(&s);
    test_row_prints_as_openface(&s);
    test_results_write_same_bytes(&s);
    au_csv_schema_release(&s);
    au_models_free(m);
    return check_report("test_csv_schema");
}
