/* Write-to-temporary-then-rename files; see io/atomic_file.h. */
#include "io/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Names tried before giving up when every candidate exists already (stale temporaries of
 * dead processes whose pid was reused). */
#define ATOMIC_MAX_ATTEMPTS 1000

static void release(au_atomic_file *af)
{
    free(af->final_path);
    free(af->temp_path);
    af->final_path = NULL;
    af->temp_path = NULL;
    af->f = NULL;
}

/* Creates a new temporary file next to af->final_path; returns its descriptor or -1.
 * The name need not be unpredictable, only rarely taken: O_EXCL settles any collision (two
 * threads, or a stale file of a dead process with the same pid) by trying the next one. */
static int create_temp(au_atomic_file *af, size_t len, au_err *err)
{
    long pid = (long)getpid();
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned long tag = (unsigned long)now.tv_sec * 1000000000ul + (unsigned long)now.tv_nsec;
    for (unsigned n = 0; n < ATOMIC_MAX_ATTEMPTS; n++) {
        snprintf(af->temp_path, len, "%s.tmp.%ld.%lx", af->final_path, pid, tag + n);
        int fd = open(af->temp_path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST) {
            au_fail(err, AUFACE_ERR_IO, "%s: cannot create a file in its folder: %s",
                    af->final_path, strerror(errno));
            return -1;
        }
    }
    au_fail(err, AUFACE_ERR_IO, "%s: no free temporary name after %d attempts", af->final_path,
            ATOMIC_MAX_ATTEMPTS);
    return -1;
}

FILE *au_atomic_open(au_atomic_file *af, const char *final_path, au_err *err)
{
    if (!af || !final_path || !*final_path) {
        au_fail(err, AUFACE_ERR_ARG, "au_atomic_open: NULL or empty argument");
        return NULL;
    }
    af->f = NULL;
    size_t n = strlen(final_path);
    size_t len = n + 48;  /* ".tmp." + pid (<= 20) + "." + hex tag (<= 16) */
    af->final_path = malloc(n + 1);
    af->temp_path = malloc(len);
    if (!af->final_path || !af->temp_path) {
        release(af);
        au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", final_path);
        return NULL;
    }
    memcpy(af->final_path, final_path, n + 1);
    int fd = create_temp(af, len, err);
    if (fd < 0) {
        release(af);
        return NULL;
    }
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        au_fail(err, AUFACE_ERR_IO, "%s: %s", final_path, strerror(errno));
        close(fd);
        unlink(af->temp_path);
        release(af);
        return NULL;
    }
    return af->f;
}

/* fsync of the folder holding `path`, so the rename itself is durable; best effort (some
 * file systems refuse fsync on folders). */
static void sync_parent_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *folder;
    if (!slash) {
        folder = malloc(2);
        if (folder)
            strcpy(folder, ".");
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        folder = malloc(n + 1);
        if (folder) {
            memcpy(folder, path, n);
            folder[n] = '\0';
        }
    }
    if (!folder)
        return;
    int fd = open(folder, O_RDONLY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(folder);
}

/* Commit with or without the fsyncs of the file and its folder. */
static auface_status commit(au_atomic_file *af, int durable, au_err *err)
{
    if (!af || !af->f)
        return au_fail(err, AUFACE_ERR_ARG, "au_atomic_commit: no file is open");
    int failed = 0, error = 0;
    if (fflush(af->f) != 0 || ferror(af->f)) {
        failed = 1;
        error = errno;
    } else if (durable && fsync(fileno(af->f)) != 0) {
        failed = 1;
        error = errno;
    }
    if (fclose(af->f) != 0 && !failed) {
        failed = 1;
        error = errno;
    }
    af->f = NULL;
    if (!failed && rename(af->temp_path, af->final_path) != 0) {
        auface_status s = au_fail(err, AUFACE_ERR_IO, "%s: cannot rename %s over it: %s",
                                  af->final_path, af->temp_path, strerror(errno));
        unlink(af->temp_path);
        release(af);
        return s;
    }
    if (failed) {
        auface_status s = au_fail(err, AUFACE_ERR_IO, "%s: write error: %s", af->final_path,
                                  error ? strerror(error) : "unknown");
        unlink(af->temp_path);
        release(af);
        return s;
    }
    if (durable)
        sync_parent_folder(af->final_path);
    release(af);
    return AUFACE_OK;
}

auface_status au_atomic_commit(au_atomic_file *af, au_err *err)
{
    return commit(af, 1, err);
}

auface_status au_atomic_commit_unsynced(au_atomic_file *af, au_err *err)
{
    return commit(af, 0, err);
}

void au_atomic_abort(au_atomic_file *af)
{
    if (!af || !af->temp_path)
        return;
    if (af->f)
        fclose(af->f);
    unlink(af->temp_path);
    release(af);
}

/* The pid in a temporary name "<base>.tmp.<pid>.<tag>", or -1 when `name` is not one of
 * `base`'s temporaries. */
static long temp_owner(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp.", 5) != 0)
        return -1;
    char *end;
    long pid = strtol(name + n + 5, &end, 10);
    return (end != name + n + 5 && *end == '.' && pid > 0) ? pid : -1;
}

static int process_is_gone(long pid)
{
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int au_atomic_remove_stale(const char *final_path)
{
    if (!final_path)
        return 0;
    const char *slash = strrchr(final_path, '/');
    char dir[4096];
    const char *base = slash ? slash + 1 : final_path;
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - final_path), final_path);
    else
        snprintf(dir, sizeof dir, ".");
    if (!*dir)
        snprintf(dir, sizeof dir, "/");
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid = temp_owner(e->d_name, base);
        if (pid < 0 || !process_is_gone(pid))
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        removed += unlink(path) == 0;
    }
    closedir(d);
    return removed;
}
