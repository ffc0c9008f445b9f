/* Output folders of the `auface` tool. */
#ifndef AU_TOOLS_TOOL_FILES_H
#define AU_TOOLS_TOOL_FILES_H

/* Creates the folder holding `path` with every missing level above it, as OpenFace creates
 * its output folder; returns 1 when it exists afterwards, else 0 after printing why. */
int au_tool_ensure_parent_dir(const char *path);

#endif
