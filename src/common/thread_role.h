/* The role of a library thread as the system sees it: a name, so that `top -H`, `ps -L`,
 * perf and gdb tell the threads apart (the decoder, the reader that also runs the CLNF
 * tracker, the tracker's pool helpers, the AU workers), and for the threads whose work has
 * slack, the batch scheduling class. */
#ifndef AU_COMMON_THREAD_ROLE_H
#define AU_COMMON_THREAD_ROLE_H

/* Names the calling thread (at most 15 bytes are kept); does nothing where the system has
 * no thread names. */
void au_thread_name_set(const char *name);

/* Puts the calling thread in Linux's SCHED_BATCH class: the same share of the CPU as any
 * other thread (its nice value is kept), but its wake-ups do not preempt the thread
 * running on the core it lands on. For threads that work ahead of a sequential path (the
 * decoder and the AU workers in front of and behind the CLNF tracker), so that they wait
 * for a free core instead of pushing the tracker off its own. Does nothing elsewhere, or
 * when the system refuses. */
void au_thread_batch(void);

#endif
