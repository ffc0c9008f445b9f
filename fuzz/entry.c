/* libFuzzer entry point of one target: built once per target with
 * -DAU_FUZZ_TARGET_NAME="<name>" (see cmake/sanitizers.cmake). */
#include <stdio.h>
#include <stdlib.h>

#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const au_fuzz_target *t = au_fuzz_find(AU_FUZZ_TARGET_NAME);
    if (!t) {
        fprintf(stderr, "fuzz: no target named %s\n", AU_FUZZ_TARGET_NAME);
        abort();
    }
    au_err err;
    au_err_clear(&err);
    (void)t->run(data, size, &err);
    return 0;
}
