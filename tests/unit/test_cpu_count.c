/* Usable CPUs: cgroup quotas (v2 cpu.max, v1 cfs quota/period) parsed and rounded up, the
 * tightest level of the hierarchy taken, and the affinity mask obeyed. */
#define _GNU_SOURCE /* sched_setaffinity */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "common/cpu_count.h"
#include "test_files.h"

static void write_text(const char *dir, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    CHECK(test_write_file(path, text, strlen(text)));
}

static void make_dir(const char *dir, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    CHECK(mkdir(path, 0777) == 0);
}

static void test_parsing(void)
{
    CHECK(au_cgroup2_cpu_max_cpus("max 100000\n") == 0);
    CHECK(au_cgroup2_cpu_max_cpus("200000 100000\n") == 2);
    CHECK(au_cgroup2_cpu_max_cpus("150000 100000\n") == 2); /* 1.5 CPUs: rounded up */
    CHECK(au_cgroup2_cpu_max_cpus("50000 100000") == 1);
    CHECK(au_cgroup2_cpu_max_cpus("garbage") == 0);
    CHECK(au_cgroup2_cpu_max_cpus("") == 0);
    CHECK(au_cgroup1_quota_cpus(-1, 100000) == 0);
    CHECK(au_cgroup1_quota_cpus(250000, 100000) == 3);
    CHECK(au_cgroup1_quota_cpus(100000, 0) == 0);
}

/* A fake /sys/fs/cgroup: v2 with a limit of 3 CPUs at /a and 1.2 at /a/b (the job's own
 * cgroup is /a/b/c, without a limit); v1 with 4 CPUs at the cpu controller's /x. */
static void test_hierarchy(void)
{
    char root[64];
    CHECK(test_make_temp_dir(root, sizeof root, "auface_test_cpu_count") != NULL);
    make_dir(root, "a");
    make_dir(root, "a/b");
    make_dir(root, "a/b/c");
    write_text(root, "cpu.max", "max 100000\n");
    write_text(root, "a/cpu.max", "300000 100000\n");
    write_text(root, "a/b/cpu.max", "120000 100000\n");
    write_text(root, "a/b/c/cpu.max", "max 100000\n");
    CHECK(au_cgroup_quota_cpus(root, "0::/a/b/c\n") == 2);
    CHECK(au_cgroup_quota_cpus(root, "0::/a\n") == 3);
    CHECK(au_cgroup_quota_cpus(root, "0::/\n") == 0);
    CHECK(au_cgroup_quota_cpus(root, "0::/missing/folder\n") == 0);

    make_dir(root, "cpu");
    make_dir(root, "cpu/x");
    write_text(root, "cpu/x/cpu.cfs_quota_us", "400000\n");
    write_text(root, "cpu/x/cpu.cfs_period_us", "100000\n");
    write_text(root, "cpu/cpu.cfs_quota_us", "-1\n");
    write_text(root, "cpu/cpu.cfs_period_us", "100000\n");
    CHECK(au_cgroup_quota_cpus(root, "4:memory:/y\n2:cpu,cpuacct:/x\n") == 4);
    CHECK(au_cgroup_quota_cpus(root, "2:cpuacct:/x\n") == 0); /* not the cpu controller */
    /* v1 and v2 lines together: the tighter wins */
    CHECK(au_cgroup_quota_cpus(root, "2:cpu,cpuacct:/x\n0::/a/b\n") == 2);
    test_remove_tree(root);
}

static void test_affinity(void)
{
    cpu_set_t saved, one;
    CHECK(sched_getaffinity(0, sizeof saved, &saved) == 0);
    CHECK(au_affinity_cpus() == CPU_COUNT(&saved));
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (CPU_ISSET(0, &saved) && sched_setaffinity(0, sizeof one, &one) == 0) {
        CHECK(au_affinity_cpus() == 1);
        CHECK(au_usable_cpus(256) == 1);
        sched_setaffinity(0, sizeof saved, &saved);
    }
    CHECK(au_usable_cpus(1) == 1);
    CHECK(au_usable_cpus(256) >= 1);
}

int main(void)
{
    test_parsing();
    test_hierarchy();
    test_affinity();
    return check_report("test_cpu_count");
}
