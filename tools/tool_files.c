#include "tool_files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int au_tool_ensure_parent_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 1;
    *slash = '\0';
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
        return 1;
    fprintf(stderr, "auface: cannot create folder %s: %s\n", dir, strerror(errno));
    return 0;
}
