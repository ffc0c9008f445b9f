/* Fuzz targets: one function per parser, shared by the libFuzzer harnesses (fuzz/entry.c,
 * one executable per target) and by tests/unit/test_fuzz_regressions.c, which replays every
 * file of fuzz/regressions/<target>/ through the same function in a normal build.
 *
 * Every parser takes a path, not bytes, so a target writes its input (and the small fixed
 * companion files the format needs, e.g. the module list naming a patch file) into a fresh
 * temporary folder, loads, frees and removes the folder. The companion files name only files
 * of that folder, so fuzzed inputs never make a parser read anything else.
 *
 * A target returns the parser's status (AUFACE_OK or the error it reported) and leaves the
 * message in *err; a crash, a leak or undefined behaviour is what the sanitizers catch. */
#ifndef AU_FUZZ_TARGETS_H
#define AU_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef auface_status (*au_fuzz_fn)(const uint8_t *data, size_t size, au_err *err);

typedef struct au_fuzz_target {
    const char *name; /* folder name under fuzz/regressions, executable fuzz_<name> */
    au_fuzz_fn run;
} au_fuzz_target;

/* The targets, terminated by {NULL, NULL}. */
extern const au_fuzz_target au_fuzz_targets[];

/* The target called `name`, or NULL. */
const au_fuzz_target *au_fuzz_find(const char *name);

/* Multi-file inputs (clnf_text) are split on this line (a plain string, not a format). */
#define AU_FUZZ_SEPARATOR "\n%%\n"

#endif
