/* The scheduler: results in frame order for every worker count, ring and memory budget; the
 * frames held at once within the budget; and a failure at frame n (reader, worker or
 * consumer) or a stop request giving exactly the frames the sequential run gives, whatever
 * the threads' timing; also when the first frame is not frame 0 (one face's span). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "face/paw.h"
#include "face/pdm.h"
#include "pipeline/scheduler.h"

#define FRAMES 40
#define CHUNK 3
#define WIDTH 160
#define HEIGHT 120
#define NEVER (-1)

typedef struct plan {
    long first;              /* index of the first frame the reader gives */
    long read_error_at;      /* the reader fails on this frame */
    long worker_error_at;    /* this frame has no landmark source: the worker fails */
    long consumer_error_at;  /* the consumer fails on this frame */
    long stop_at;            /* the consumer asks to stop after this frame */
} plan;

typedef struct fake {
    plan p;
    long next_read;
    atomic_long in_flight, peak;
    long consumed[FRAMES];
    long n_consumed;
} fake;

static const plan NONE = {0, NEVER, NEVER, NEVER, NEVER};

static int fake_read(void *user, au_frame_input *in, uint8_t **pixels, size_t *capacity,
                     au_err *err)
{
    fake *f = user;
    if (f->next_read == FRAMES)
        return 0;
    if (f->next_read == f->p.read_error_at) {
        au_fail(err, AUFACE_ERR_IO, "read error at frame %ld", f->next_read);
        return -1;
    }
    size_t need = (size_t)WIDTH * HEIGHT * 3;
    if (*capacity < need) {
        uint8_t *grown = realloc(*pixels, need);
        if (!grown)
            return -1;
        *pixels = grown;
        *capacity = need;
    }
    memset(*pixels, 128, need);
    memset(in, 0, sizeof *in);
    in->bgr = *pixels;
    in->width = WIDTH;
    in->height = HEIGHT;
    in->stride = WIDTH * 3;
    in->index = f->next_read;
    in->timestamp = (double)f->next_read / 30.0;
    in->replay = f->next_read != f->p.worker_error_at; /* no face, given as such */
    long now = atomic_fetch_add(&f->in_flight, 1) + 1;
    long peak = atomic_load(&f->peak);
    while (now > peak && !atomic_compare_exchange_weak(&f->peak, &peak, now))
        ;
    f->next_read++;
    return 1;
}

static auface_status fake_consume(void *user, const au_frame_output *out, int *stop,
                                  au_err *err)
{
    fake *f = user;
    atomic_fetch_sub(&f->in_flight, 1);
    f->consumed[f->n_consumed++] = out->index;
    if (out->index == f->p.consumer_error_at)
        return au_fail(err, AUFACE_ERR_IO, "consumer error at frame %ld", out->index);
    if (out->index == f->p.stop_at)
        *stop = 1;
    return AUFACE_OK;
}

typedef struct setup {
    au_worker *workers[4];
    au_pdm pdm;
    au_triangulation tris;
} setup;

/* Runs the plan and checks that frames 0..expect_last were consumed in order and nothing
 * else, with the expected status; returns the peak frames in flight. */
static long run_plan(setup *su, int workers, int ring, size_t max_bytes, plan p,
                     long expect_last, auface_status expect)
{
    fake f;
    memset(&f, 0, sizeof f);
    f.p = p;
    f.next_read = p.first;
    au_schedule s = {.workers = su->workers, .num_workers = workers, .chunk = CHUNK,
                     .ring = ring, .max_bytes = max_bytes, .read = fake_read, .read_user = &f,
                     .consume = fake_consume, .consume_user = &f};
    au_stage_times times = {{0}};
    au_err err;
    au_err_clear(&err);
    auface_status st = au_schedule_run(&s, &times, &err);
    int ok = st == expect && f.n_consumed == expect_last + 1 - p.first;
    for (long i = 0; ok && i < f.n_consumed; i++)
        ok = f.consumed[i] == p.first + i;
    if (!ok)
        fprintf(stderr, "workers %d ring %d budget %zu first %ld: status %d (want %d), %ld "
                "consumed (want %ld): %s\n", workers, ring, max_bytes, p.first, st, expect,
                f.n_consumed, expect_last + 1 - p.first, err.msg);
    CHECK(ok);
    return atomic_load(&f.peak);
}

static void test_outcomes(setup *su, int workers, int ring, size_t max_bytes, long first)
{
    plan none = NONE;
    none.first = first;
    plan p = none;
    run_plan(su, workers, ring, max_bytes, p, FRAMES - 1, AUFACE_OK);
    p = none;
    p.read_error_at = 17;
    run_plan(su, workers, ring, max_bytes, p, 16, AUFACE_ERR_IO);
    p = none;
    p.worker_error_at = 23;
    run_plan(su, workers, ring, max_bytes, p, 22, AUFACE_ERR_INTERNAL);
    p = none;
    p.consumer_error_at = 11;
    run_plan(su, workers, ring, max_bytes, p, 11, AUFACE_ERR_IO);
    p = none;
    p.stop_at = 8;
    run_plan(su, workers, ring, max_bytes, p, 8, AUFACE_OK);
    /* two failures: the earlier frame decides, as in the sequential run */
    p = none;
    p.worker_error_at = 23;
    p.read_error_at = 30;
    run_plan(su, workers, ring, max_bytes, p, 22, AUFACE_ERR_INTERNAL);
    p = none;
    p.worker_error_at = 12;
    p.consumer_error_at = 11;
    run_plan(su, workers, ring, max_bytes, p, 11, AUFACE_ERR_IO);
    p = none;
    p.worker_error_at = 9;
    p.stop_at = 8;
    run_plan(su, workers, ring, max_bytes, p, 8, AUFACE_OK);
}

static void test_slots_within(void)
{
    CHECK(au_schedule_slots_within(10, 0, 1000) == 10);
    CHECK(au_schedule_slots_within(10, 5000, 1000) == 5);
    CHECK(au_schedule_slots_within(10, 50000, 1000) == 10);
    CHECK(au_schedule_slots_within(10, 10, 1000) == 1); /* always one frame */
    CHECK(au_schedule_slots_within(0, 10, 1000) == 1);
}

int main(void)
{
    setup su;
    memset(&su, 0, sizeof su);
    au_err err;
    CHECK(au_pdm_load(&su.pdm, SHARED("models/openface/AU_predictors/In-the-wild_aligned_PDM_68.txt"),
                      &err) == AUFACE_OK);
    CHECK(au_triangulation_load(&su.tris, SHARED("models/openface/AU_predictors/tris_68_full.txt"),
                                su.pdm.n, &err) == AUFACE_OK);
    au_tracker_config tc = {CHUNK, 0.5};
    for (int i = 0; i < 4; i++)
        CHECK(au_worker_create(&su.workers[i], &su.pdm, &su.tris, AU_DETECTOR_RETINAFACE, NULL,
                               NULL, tc, &err) == AUFACE_OK);
    test_slots_within();
    const size_t slot_bytes = (size_t)WIDTH * HEIGHT * 3 + sizeof(au_frame_output);
    for (int workers = 1; workers <= 4; workers++) {
        const int full = (workers - 1) * CHUNK + workers;
        const int rings[] = {1, 2, 5, full};
        for (int r = 0; r < 4; r++) {
            test_outcomes(&su, workers, rings[r], 0, 0);
            test_outcomes(&su, workers, rings[r], slot_bytes * 5 / 2, 0);
            test_outcomes(&su, workers, rings[r], 0, 7); /* starts inside a chunk */
        }
        /* the budget caps the frames held at once: two slots' worth here */
        long peak = run_plan(&su, workers, full, slot_bytes * 5 / 2, NONE, FRAMES - 1,
                             AUFACE_OK);
        CHECK(peak <= 2);
        long free_peak = run_plan(&su, workers, full, 0, NONE, FRAMES - 1, AUFACE_OK);
        CHECK(free_peak <= (workers == 1 ? 1 : full));
    }
    for (int i = 0; i < 4; i++)
        au_worker_destroy(su.workers[i]);
    au_triangulation_free(&su.tris);
    au_pdm_free(&su.pdm);
    return check_report("test_scheduler");
}
