/* How many CPUs this process may actually use, as `nproc` and batch schedulers (Slurm's
 * cpuset, Docker's --cpus, Kubernetes' CPU limits) see it: the CPUs of the affinity mask,
 * lowered to the CPU quota of the process's cgroup (v2 cpu.max, v1 cpu.cfs_quota_us /
 * cpu.cfs_period_us; quota/period rounded up) and of every cgroup above it. A machine's
 * online CPU count would oversubscribe a job confined to fewer. */
#ifndef AU_COMMON_CPU_COUNT_H
#define AU_COMMON_CPU_COUNT_H

/* The CPUs this process may use; at least 1, at most `cap`. */
int au_usable_cpus(int cap);

/* CPUs in the calling thread's affinity mask; 0 when unknown. */
int au_affinity_cpus(void);

/* CPUs granted by the text of a cgroup v2 cpu.max file ("QUOTA PERIOD" or "max PERIOD"),
 * rounded up; 0 for no limit or text that is not a quota. */
int au_cgroup2_cpu_max_cpus(const char *text);

/* CPUs granted by a cgroup v1 quota and period (cpu.cfs_quota_us, cpu.cfs_period_us),
 * rounded up; 0 for no limit (quota -1) or invalid values. */
int au_cgroup1_quota_cpus(long quota_us, long period_us);

/* The tightest CPU quota over the cgroup hierarchy of the process described by
 * `proc_cgroup` (the text of /proc/self/cgroup), with the cgroup file systems mounted at
 * `sysfs_root` (normally "/sys/fs/cgroup"): the cgroup and each of its ancestors. 0 when
 * no level sets a quota. */
int au_cgroup_quota_cpus(const char *sysfs_root, const char *proc_cgroup);

#endif
