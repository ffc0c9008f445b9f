#include "pipeline/batch.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A growable list of owned strings. */
typedef struct strlist {
    char **v;
    int n, cap;
} strlist;

static int strlist_add(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **grown = realloc(l->v, sizeof *grown * (size_t)cap);
        if (!grown)
            return 0;
        l->v = grown;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s)))
        return 0;
    l->n++;
    return 1;
}

static void strlist_free(strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* 1 when `name` ends in "." and one of the `count` extensions (any case). */
static int has_extension(const char *name, const char *const *ext, size_t count)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return 0;
    for (size_t i = 0; i < count; i++)
        if (strcasecmp(dot + 1, ext[i]) == 0)
            return 1;
    return 0;
}

int au_batch_is_video_name(const char *name)
{
    static const char *const ext[] = {"avi", "mp4", "mov", "mkv", "wmv", "webm", "m4v",
                                      "mpg", "mpeg", "flv", "3gp", "mts", "m2ts", "ts",
                                      "ogv", "asf", "mxf"};
    return has_extension(name, ext, sizeof ext / sizeof ext[0]);
}

int au_batch_is_image_name(const char *name)
{
    static const char *const ext[] = {"jpg", "jpeg", "png", "bmp"};
    return has_extension(name, ext, sizeof ext / sizeof ext[0]);
}

/* A single input that is one still image: an image name that is not a folder. */
static int is_single_image(const char *path)
{
    static const char *const ext[] = {"jpe", "dib", "pgm", "ppm", "pnm"};
    const char *dot = strrchr(path, '.');
    int image = au_batch_is_image_name(path);
    for (size_t i = 0; dot && !image && i < sizeof ext / sizeof ext[0]; i++)
        image = strcasecmp(dot + 1, ext[i]) == 0;
    struct stat st;
    return image && !(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static auface_status add_folder(strlist *l, const char *dir, int (*wanted)(const char *name),
                                au_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return au_fail(err, AUFACE_ERR_IO, "%s: cannot read folder: %s", dir, strerror(errno));
    strlist found = {0};
    struct dirent *e;
    int ok = 1;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !wanted(e->d_name))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            ok = strlist_add(&found, path);
    }
    closedir(d);
    if (ok)
        qsort(found.v, (size_t)found.n, sizeof *found.v, compare_names);
    for (int i = 0; ok && i < found.n; i++)
        ok = strlist_add(l, found.v[i]);
    strlist_free(&found);
    if (!ok)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory listing %s", dir);
    return AUFACE_OK;
}

static char *trim_line(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static auface_status add_list(strlist *l, const char *list, au_err *err)
{
    FILE *f = fopen(list, "r");
    if (!f)
        return au_fail(err, AUFACE_ERR_IO, "%s: cannot open the video list: %s", list,
                       strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int ok = 1;
    while (ok && getline(&line, &cap, f) > 0) {
        char *t = trim_line(line);
        if (*t && *t != '#')
            ok = strlist_add(l, t);
    }
    free(line);
    fclose(f);
    if (!ok)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory reading %s", list);
    return AUFACE_OK;
}

/* The input's name without folder and extension ("a/b/clip.mp4" -> "clip"). */
static char *stem(const char *path)
{
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    const char *start = path;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '/')
            start = path + i + 1;
    size_t n = (size_t)(path + len - start);
    const char *dot = NULL;
    for (size_t i = 1; i < n; i++)
        if (start[i] == '.')
            dot = start + i;
    if (dot)
        n = (size_t)(dot - start);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, start, n);
        s[n] = '\0';
    }
    return s;
}

static char *joined(const char *dir, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s%s", dir, name, suffix);
    return s;
}

static int file_exists(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0;
}

static auface_status name_outputs(const au_batch_options *opt, au_batch_item *it, au_err *err)
{
    if (opt->tracked && it->image)
        return au_fail(err, AUFACE_ERR_ARG, "%s: --tracked draws on a video or a folder of "
                       "images, not on a still image", it->input);
    if (opt->output) {
        it->csv = strdup(opt->output);
        it->hog = opt->hog ? strdup(opt->hog) : NULL;
        it->aligned = opt->aligned ? strdup(opt->aligned) : NULL;
        it->tracked = opt->tracked ? strdup(opt->tracked) : NULL;
    } else {
        const char *dir = opt->out_dir ? opt->out_dir : "processed";
        char *name = stem(it->input);
        if (!name)
            return au_fail(err, AUFACE_ERR_NOMEM, "out of memory");
        it->csv = joined(dir, name, ".csv");
        it->hog = opt->hog ? strdup(opt->hog) : opt->write_hog ? joined(dir, name, ".hog") : NULL;
        it->aligned = opt->aligned           ? strdup(opt->aligned)
                      : opt->write_aligned ? joined(dir, name, "_aligned")
                                           : NULL;
        /* still images get no annotated video (nor wait for one to count as done) */
        it->tracked = opt->tracked                      ? strdup(opt->tracked)
                      : opt->write_tracked && !it->image ? joined(dir, name, "_tracked.mp4")
                                                         : NULL;
        free(name);
    }
    if (!it->csv)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory");
    /* --output names the file to write, and replaces it as OpenFace does; skipping what
     * exists is for --out-dir batches, so that they resume. */
    it->complete = !opt->output && !opt->overwrite && file_exists(it->csv) &&
                   (!it->hog || file_exists(it->hog)) &&
                   (!it->tracked || file_exists(it->tracked));
    return AUFACE_OK;
}

static auface_status check_unique_outputs(const au_batch *b, au_err *err)
{
    for (int i = 0; i < b->count; i++)
        for (int j = i + 1; j < b->count; j++)
            if (strcmp(b->items[i].csv, b->items[j].csv) == 0)
                return au_fail(err, AUFACE_ERR_ARG,
                               "%s and %s would both write %s: give inputs different names "
                               "or process them in separate runs",
                               b->items[i].input, b->items[j].input, b->items[i].csv);
    return AUFACE_OK;
}

/* The inputs in order: --video, --video-dir, --video-list, then the image-mode inputs from
 * *first_image on. */
static auface_status gather_inputs(const au_batch_options *opt, strlist *all, int *first_image,
                                   au_err *err)
{
    for (int i = 0; i < opt->n_videos; i++)
        if (!strlist_add(all, opt->videos[i]))
            return au_fail(err, AUFACE_ERR_NOMEM, "out of memory");
    auface_status st = AUFACE_OK;
    if (opt->video_dir &&
        (st = add_folder(all, opt->video_dir, au_batch_is_video_name, err)) != AUFACE_OK)
        return st;
    if (opt->video_list && (st = add_list(all, opt->video_list, err)) != AUFACE_OK)
        return st;
    *first_image = all->n;
    if (opt->images_dir &&
        (st = add_folder(all, opt->images_dir, au_batch_is_image_name, err)) != AUFACE_OK)
        return st;
    if (opt->image_list && (st = add_list(all, opt->image_list, err)) != AUFACE_OK)
        return st;
    if (all->n == 0)
        return au_fail(err, AUFACE_ERR_ARG, "no input: %s",
                       opt->video_dir    ? "the folder holds no video files"
                       : opt->images_dir ? "the folder holds no image files"
                       : opt->video_list || opt->image_list ? "the list names no file"
                                         : "give --video, --video-dir or --video-list");
    if (opt->output && all->n > 1)
        return au_fail(err, AUFACE_ERR_ARG, "--output names one file but there are %d inputs: "
                       "use --out-dir", all->n);
    if ((opt->hog || opt->aligned) && all->n > 1)
        return au_fail(err, AUFACE_ERR_ARG, "--hog/--aligned name one output but there are %d "
                       "inputs: use --write-hog/--write-aligned with --out-dir", all->n);
    if (opt->tracked && all->n > 1)
        return au_fail(err, AUFACE_ERR_ARG, "--tracked names one video but there are %d "
                       "inputs: use --write-tracked with --out-dir", all->n);
    return AUFACE_OK;
}

/* Keeps the items of this machine's shard (the plan is made, and names checked, over all
 * inputs first, so every shard agrees on them). */
static void keep_shard(au_batch *b, int index, int count)
{
    int kept = 0;
    for (int i = 0; i < b->count; i++) {
        au_batch_item it = b->items[i];
        if (i % count == index) {
            b->items[kept++] = it;
        } else {
            free(it.input);
            free(it.csv);
            free(it.hog);
            free(it.aligned);
            free(it.tracked);
        }
    }
    b->count = kept;
}

auface_status au_batch_plan(const au_batch_options *opt, au_batch *out, au_err *err)
{
    memset(out, 0, sizeof *out);
    if (opt->shard_count < 0 || (opt->shard_count > 0 &&
                                 (opt->shard_index < 0 || opt->shard_index >= opt->shard_count)))
        return au_fail(err, AUFACE_ERR_ARG, "shard %d/%d: the index must be in 0..%d",
                       opt->shard_index, opt->shard_count, opt->shard_count - 1);
    strlist all = {0};
    int first_image = 0;
    auface_status st = gather_inputs(opt, &all, &first_image, err);
    if (st == AUFACE_OK && !(out->items = calloc((size_t)all.n, sizeof *out->items)))
        st = au_fail(err, AUFACE_ERR_NOMEM, "out of memory");
    out->total_inputs = all.n;
    for (int i = 0; st == AUFACE_OK && i < all.n; i++) {
        au_batch_item *it = &out->items[out->count++];
        it->input = all.v[i];
        all.v[i] = NULL;
        it->image = i >= first_image || is_single_image(it->input);
        st = name_outputs(opt, it, err);
    }
    strlist_free(&all);
    if (st == AUFACE_OK)
        st = check_unique_outputs(out, err);
    if (st == AUFACE_OK && opt->shard_count > 0)
        keep_shard(out, opt->shard_index, opt->shard_count);
    if (st != AUFACE_OK)
        au_batch_free(out);
    return st;
}

void au_batch_free(au_batch *b)
{
    for (int i = 0; i < b->count; i++) {
        free(b->items[i].input);
        free(b->items[i].csv);
        free(b->items[i].hog);
        free(b->items[i].aligned);
        free(b->items[i].tracked);
    }
    free(b->items);
    memset(b, 0, sizeof *b);
}

char *au_batch_partial_name(const char *csv)
{
    size_t n = strlen(csv);
    if (n > 4 && strcmp(csv + n - 4, ".csv") == 0)
        n -= 4;
    size_t cap = n + sizeof ".partial.csv";
    char *s = malloc(cap);
    if (s)
        snprintf(s, cap, "%.*s.partial.csv", (int)n, csv);
    return s;
}
