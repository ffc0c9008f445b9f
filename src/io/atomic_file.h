/* Files that appear whole or not at all: write into a temporary file in the destination's
 * folder, then flush, fsync and rename it over the final name (rename is atomic within a
 * file system, so readers never see a half-written CSV or HOG file).
 *
 *     au_atomic_file af;
 *     FILE *f = au_atomic_open(&af, "out/video.csv", &err);
 *     if (!f) { ... err.msg ... }
 *     fprintf(f, ...);
 *     if (au_atomic_commit(&af, &err) != AUFACE_OK) { ... }   // or au_atomic_abort(&af)
 *
 * The temporary name is "<final>.tmp.<pid>.<hex tag>", created with O_CREAT | O_EXCL (so two
 * writers, in this process or another, never share one; the process umask applies to its
 * mode as for fopen). Nothing is global: all state lives in the caller's au_atomic_file.
 * After commit or abort (or a failed open) the struct is idle again; abort on an idle struct
 * is a no-op, so cleanup code may always call it (zero-initialise the struct, `= {0}`, if
 * cleanup can run before au_atomic_open). */
#ifndef AU_IO_ATOMIC_FILE_H
#define AU_IO_ATOMIC_FILE_H

#include <stdio.h>

#include "common/error.h"

typedef struct au_atomic_file {
    FILE *f;           /* the open temporary file, NULL when idle */
    char *final_path;  /* owned copies, NULL when idle */
    char *temp_path;
} au_atomic_file;

/* Creates the temporary file for `final_path` and returns it opened for binary writing
 * (also stored in af->f), or NULL with AUFACE_ERR_IO (folder missing or not writable,
 * naming the path), AUFACE_ERR_NOMEM or AUFACE_ERR_ARG in `err`. `af` needs no
 * initialisation before this call. */
FILE *au_atomic_open(au_atomic_file *af, const char *final_path, au_err *err);

/* Flushes, fsyncs and closes the temporary file, renames it to the final path (replacing
 * an existing file), and fsyncs the folder. On any failure the temporary file is removed,
 * the final path is left as it was, and AUFACE_ERR_IO names the final path and the reason
 * (e.g. disk full). The struct is idle afterwards either way. */
auface_status au_atomic_commit(au_atomic_file *af, au_err *err);

/* As au_atomic_commit without the fsyncs: the rename is still atomic for readers and if the
 * process dies, but after a power loss the file may be empty. For many small files whose
 * loss a rerun repairs (aligned faces, one per frame), where waiting for the disk on each
 * would dominate the run time. */
auface_status au_atomic_commit_unsynced(au_atomic_file *af, au_err *err);

/* Closes and removes the temporary file; the final path is not touched. */
void au_atomic_abort(au_atomic_file *af);

/* Removes the temporary files of `final_path` left by processes that no longer run (a
 * killed run leaves its temporary file behind; the final path was never touched). Files of
 * live processes are kept. Returns how many were removed. */
int au_atomic_remove_stale(const char *final_path);

#endif
