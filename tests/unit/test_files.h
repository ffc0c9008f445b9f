/* Files and folders for the unit tests: whole files read and written, copies, damaged
 * copies in a mirror of a model folder, temporary folders and their removal.
 *
 * Header-only because the build links every tests/unit/test_*.c alone with auface_core;
 * the functions are `static inline` so that a test that uses only some of them compiles
 * without unused-function warnings. */
#ifndef AU_TEST_FILES_H
#define AU_TEST_FILES_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The whole file in a malloc'd buffer with one more byte set to '\0' (so that text can be
 * searched and buf[*size] may be written); *size (if size is not NULL) gets the byte
 * count. NULL if the file cannot be read: callers CHECK, some files are expected to be
 * missing. */
static inline void *test_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    unsigned char *buf = len >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)len + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[len] = '\0';
    if (size)
        *size = (size_t)len;
    return buf;
}

/* Writes `n` bytes as the whole file `path`; 1 on success (write errors surface at
 * fclose). */
static inline int test_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Like test_write_file, but removes `path` first and then creates a new file: in a mirror
 * whose files are symbolic links to the real models, writing through the link would damage
 * the real file. O_CREAT | O_EXCL never follows a link: if the old entry could not be
 * removed, nothing is written and 0 is returned. */
static inline int test_replace_file(const char *path, const void *data, size_t n)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    int ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Copies the file `src` to `dst`; 1 on success. */
static inline int test_copy_file(const char *src, const char *dst)
{
    size_t n = 0;
    void *data = test_read_file(src, &n);
    int ok = data && test_write_file(dst, data, n);
    free(data);
    return ok;
}

/* Replaces `dst` by a symbolic link to `src`; 1 on success. */
static inline int test_link_file(const char *src, const char *dst)
{
    unlink(dst);
    return symlink(src, dst) == 0;
}

/* Creates a new folder /tmp/<name>_XXXXXX (mkdtemp) and writes its path to `dir`; returns
 * `dir`, or NULL (with a message) if it cannot be made. */
static inline char *test_make_temp_dir(char *dir, size_t cap, const char *name)
{
    snprintf(dir, cap, "/tmp/%s_XXXXXX", name);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "cannot create the temporary folder %s\n", dir);
        return NULL;
    }
    return dir;
}

/* Removes `path` and, if it is a folder, everything in it (links are removed, not
 * followed). */
static inline void test_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    DIR *d = opendir(path);
    if (d) {
        const struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            size_t len = strlen(path) + strlen(e->d_name) + 2;
            char *child = malloc(len);
            if (!child)
                continue;
            snprintf(child, len, "%s/%s", path, e->d_name);
            test_remove_tree(child);
            free(child);
        }
        closedir(d);
    }
    rmdir(path);
}

#endif
