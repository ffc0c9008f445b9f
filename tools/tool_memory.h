/* How the tools' processes use the C library's allocator. */
#ifndef AU_TOOLS_TOOL_MEMORY_H
#define AU_TOOLS_TOOL_MEMORY_H

/* Limits glibc's malloc to two arenas. auface allocates nothing per frame, only per video
 * (frames in flight, the AU histograms, network plans), so its threads gain nothing from
 * arenas of their own; but each arena keeps what was freed in it, and with the default (8 per
 * core) a collection of videos held a fifth more memory than it uses (peak RSS of twelve
 * one-second clips on 2 workers 183 → 155 MB; one 1920x1080 H.264 video, three runs each:
 * 324–385 MB before, 263–385 MB after; speed unchanged). A process-wide setting, so it is
 * the tools' choice, not the library's. No-op elsewhere. */
void au_tool_limit_malloc_arenas(void);

#endif
