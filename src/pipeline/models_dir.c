#include "pipeline/models_dir.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef AUFACE_INSTALL_MODELS_DIR
#define AUFACE_INSTALL_MODELS_DIR "/usr/local/share/auface/models"
#endif

#define AU_INDEX_REL "openface/AU_predictors/main_dynamic_svms.txt"

static int qualifies(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, AU_INDEX_REL) >= (int)sizeof path)
        return 0;
    return access(path, R_OK) == 0;
}

static auface_status choose(const char *dir, char *out, size_t cap, au_err *err)
{
    if ((size_t)snprintf(out, cap, "%s", dir) >= cap)
        return au_fail(err, AUFACE_ERR_ARG, "model folder path too long: %s", dir);
    return AUFACE_OK;
}

auface_status au_models_dir_find(const char *explicit_dir, char *out, size_t cap, au_err *err)
{
    if (explicit_dir) {
        if (!qualifies(explicit_dir))
            return au_fail(err, AUFACE_ERR_MODELS,
                           "model folder %s: %s/%s not found or not readable", explicit_dir,
                           explicit_dir, AU_INDEX_REL);
        return choose(explicit_dir, out, cap, err);
    }
    const char *env = getenv("AUFACE_MODELS");
    if (env && *env) {
        if (!qualifies(env))
            return au_fail(err, AUFACE_ERR_MODELS,
                           "$AUFACE_MODELS=%s: %s/%s not found or not readable", env, env,
                           AU_INDEX_REL);
        return choose(env, out, cap, err);
    }
    const char *candidates[] = {"./models", "../shared/models", AUFACE_INSTALL_MODELS_DIR};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (qualifies(candidates[i]))
            return choose(candidates[i], out, cap, err);
    return au_fail(err, AUFACE_ERR_MODELS,
                   "no model folder found: pass --models DIR or set $AUFACE_MODELS (looked in "
                   "./models, ../shared/models and %s for %s)", AUFACE_INSTALL_MODELS_DIR,
                   AU_INDEX_REL);
}
