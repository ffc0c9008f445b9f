/* Usable CPUs: affinity mask and cgroup CPU quota; see common/cpu_count.h. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT_S */
#include "common/cpu_count.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Largest affinity mask asked for (CPUs); machines with more are rare enough. */
#define AU_CPU_MASK_MAX 4096

int au_affinity_cpus(void)
{
    cpu_set_t *set = CPU_ALLOC(AU_CPU_MASK_MAX);
    if (!set)
        return 0;
    size_t size = CPU_ALLOC_SIZE(AU_CPU_MASK_MAX);
    CPU_ZERO_S(size, set);
    int n = sched_getaffinity(0, size, set) == 0 ? CPU_COUNT_S(size, set) : 0;
    CPU_FREE(set);
    return n;
}

static int quota_to_cpus(long long quota, long long period)
{
    if (quota <= 0 || period <= 0)
        return 0;
    long long cpus = (quota + period - 1) / period;
    return cpus > 1 << 20 ? 1 << 20 : (int)cpus;
}

int au_cgroup2_cpu_max_cpus(const char *text)
{
    long long quota, period;
    if (!text || sscanf(text, "%lld %lld", &quota, &period) != 2)
        return 0; /* "max 100000": no limit */
    return quota_to_cpus(quota, period);
}

int au_cgroup1_quota_cpus(long quota_us, long period_us)
{
    return quota_to_cpus(quota_us, period_us);
}

/* The first line of a small text file into buf; 0 when it cannot be read. */
static int read_first_line(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    return ok;
}

static int read_long(const char *path, long *out)
{
    char buf[64];
    char *end;
    if (!read_first_line(path, buf, sizeof buf))
        return 0;
    *out = strtol(buf, &end, 10);
    return end != buf;
}

/* The quota set in one cgroup folder (v2 when `v1` is 0); 0 = none. */
static int folder_quota(const char *folder, int v1)
{
    char path[4300], buf[128];
    if (!v1) {
        snprintf(path, sizeof path, "%s/cpu.max", folder);
        return read_first_line(path, buf, sizeof buf) ? au_cgroup2_cpu_max_cpus(buf) : 0;
    }
    long quota, period;
    snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", folder);
    if (!read_long(path, &quota))
        return 0;
    snprintf(path, sizeof path, "%s/cpu.cfs_period_us", folder);
    return read_long(path, &period) ? au_cgroup1_quota_cpus(quota, period) : 0;
}

/* The tightest quota from `mount`/`cgroup` up to `mount` itself. */
static int hierarchy_quota(const char *mount, const char *cgroup, int v1)
{
    char folder[4200];
    snprintf(folder, sizeof folder, "%s%s", mount, strcmp(cgroup, "/") == 0 ? "" : cgroup);
    size_t root_len = strlen(mount);
    int best = 0;
    for (;;) {
        int q = folder_quota(folder, v1);
        if (q > 0 && (best == 0 || q < best))
            best = q;
        char *slash = strrchr(folder, '/');
        if (!slash || (size_t)(slash - folder) < root_len)
            break;
        *slash = '\0';
    }
    return best;
}

/* One line of /proc/self/cgroup: "ID:CONTROLLERS:PATH". The v2 line has ID 0 and no
 * controllers; v1's CPU line names "cpu" among its controllers. Returns the quota it sets. */
static int line_quota(const char *sysfs_root, char *line)
{
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
        return 0;
    *c1 = *c2 = '\0';
    char *path = c2 + 1;
    path[strcspn(path, "\n")] = '\0';
    if (path[0] != '/')
        return 0;
    char mount[1024];
    if (strcmp(line, "0") == 0 && c1[1] == '\0')
        return hierarchy_quota(sysfs_root, path, 0);
    for (char *save = NULL, *ctl = strtok_r(c1 + 1, ",", &save); ctl;
         ctl = strtok_r(NULL, ",", &save))
        if (strcmp(ctl, "cpu") == 0) {
            /* Debian and most systems mount it as cpu,cpuacct (with a cpu symlink). */
            snprintf(mount, sizeof mount, "%s/cpu", sysfs_root);
            return hierarchy_quota(mount, path, 1);
        }
    return 0;
}

int au_cgroup_quota_cpus(const char *sysfs_root, const char *proc_cgroup)
{
    if (!sysfs_root || !proc_cgroup)
        return 0;
    char *text = strdup(proc_cgroup);
    if (!text)
        return 0;
    int best = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        int q = line_quota(sysfs_root, line);
        if (q > 0 && (best == 0 || q < best))
            best = q;
    }
    free(text);
    return best;
}

/* The text of /proc/self/cgroup (a few lines); NULL when unreadable. */
static char *read_proc_cgroup(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    while (text) {
        size_t got = fread(text + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0 || len < cap - 1)
            break;
        char *grown = realloc(text, cap * 2);
        if (!grown) {
            free(text);
            text = NULL;
            break;
        }
        text = grown;
        cap *= 2;
    }
    fclose(f);
    if (text)
        text[len] = '\0';
    return text;
}

int au_usable_cpus(int cap)
{
    int n = au_affinity_cpus();
    if (n < 1) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online < 1 ? 1 : online > 1 << 20 ? 1 << 20 : (int)online;
    }
    char *cgroup = read_proc_cgroup();
    int quota = cgroup ? au_cgroup_quota_cpus("/sys/fs/cgroup", cgroup) : 0;
    free(cgroup);
    if (quota > 0 && quota < n)
        n = quota;
    if (cap > 0 && n > cap)
        n = cap;
    return n < 1 ? 1 : n;
}
