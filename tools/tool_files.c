#include "tool_files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir that accepts an existing folder. */
static int make_one(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0777) == 0)
        return 1;
    return errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int au_tool_ensure_parent_dir(const char *path)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
        fprintf(stderr, "auface: output path too long: %.64s...\n", path);
        return 0;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 1;
    *slash = '\0';
    /* each missing level from the top, as boost::filesystem::create_directories */
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        const int ok = make_one(dir);
        *p = '/';
        if (!ok && errno != EEXIST)
            break;
    }
    if (make_one(dir))
        return 1;
    if (errno == EEXIST)
        errno = ENOTDIR;
    fprintf(stderr, "auface: cannot create folder %s: %s\n", dir, strerror(errno));
    return 0;
}
