/* Finding the model folder: --models DIR, $AUFACE_MODELS, ./models, ../shared/models, then
 * the install prefix's share/auface/models. A folder qualifies when it holds
 * openface/AU_predictors/main_dynamic_svms.txt. */
#ifndef AU_PIPELINE_MODELS_DIR_H
#define AU_PIPELINE_MODELS_DIR_H

#include <stddef.h>

#include "common/error.h"

/* Writes the chosen folder into out (size cap). An explicit folder that does not qualify is
 * an error (no fallback): the user asked for it. */
auface_status au_models_dir_find(const char *explicit_dir, char *out, size_t cap, au_err *err);

#endif
