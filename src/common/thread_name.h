/* Names the library's threads so that `top -H`, `ps -L`, perf and gdb tell them apart
 * (the decoder, the reader that also runs the CLNF tracker, the tracker's pool helpers,
 * the AU workers) instead of showing every one as the host program. */
#ifndef AU_COMMON_THREAD_NAME_H
#define AU_COMMON_THREAD_NAME_H

/* Names the calling thread (at most 15 bytes are kept); does nothing where the system has
 * no thread names. */
void au_thread_name_set(const char *name);

#endif
