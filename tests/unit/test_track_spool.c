/* Tests for pipeline/track_spool: faces spooled in frame order, read back one face at a
 * time with success 0 on the frames of its span where it was not tracked. */
#include <string.h>

#include "check.h"
#include "pipeline/track_spool.h"

static au_tracked_face face(int id, float marker)
{
    au_tracked_face f;
    memset(&f, 0, sizeof f);
    f.id = id;
    f.result.success = 1;
    f.result.confidence = 0.9;
    f.result.landmarks[0] = marker;
    return f;
}

/* Frames 0..5: face 0 on 0, 1, 4; face 1 on 1..5; face 2 never (id 2 unused, face 3 on 2). */
static void fill(au_track_spool *s)
{
    au_err err;
    const int ids[][3] = {{0, -1, -1}, {0, 1, -1}, {1, 3, -1}, {1, -1, -1}, {0, 1, -1},
                          {1, -1, -1}};
    for (long i = 0; i < 6; i++)
        for (int k = 0; k < 3 && ids[i][k] >= 0; k++) {
            au_tracked_face f = face(ids[i][k], (float)(100 * ids[i][k] + i));
            CHECK(au_track_spool_add(s, i, &f, &err) == AUFACE_OK);
        }
}

static void test_spans(au_track_spool *s)
{
    long first, last;
    CHECK(au_track_spool_ids(s) == 4);
    CHECK(au_track_spool_span(s, 0, &first, &last) && first == 0 && last == 4);
    CHECK(au_track_spool_span(s, 1, &first, &last) && first == 1 && last == 5);
    CHECK(!au_track_spool_span(s, 2, &first, &last));
    CHECK(au_track_spool_span(s, 3, &first, &last) && first == 2 && last == 2);
}

static void test_read_back_face0(au_track_spool *s)
{
    au_err err;
    CHECK(au_track_spool_rewind(s, 0, &err) == AUFACE_OK);
    const int expect_success[5] = {1, 1, 0, 0, 1};
    for (long i = 0; i < 5; i++) {
        au_frame_input in;
        memset(&in, 0, sizeof in);
        in.index = i;
        CHECK(au_track_spool_fill(s, &in, &err) == 1);
        CHECK(in.replay == 1);
        CHECK(in.replay_success == expect_success[i]);
        CHECK(in.replay_au_success == expect_success[i]);
        CHECK_NEAR(in.replay_landmarks[0], expect_success[i] ? (double)i : 0.0, 0);
    }
    au_frame_input past;
    memset(&past, 0, sizeof past);
    past.index = 5;
    CHECK(au_track_spool_fill(s, &past, &err) == 0);
}

static void test_read_back_face1_from_its_first_frame(au_track_spool *s)
{
    au_err err;
    CHECK(au_track_spool_rewind(s, 1, &err) == AUFACE_OK);
    for (long i = 1; i <= 5; i++) {
        au_frame_input in;
        memset(&in, 0, sizeof in);
        in.index = i;
        CHECK(au_track_spool_fill(s, &in, &err) == 1);
        CHECK(in.replay_success == 1);
        CHECK_NEAR(in.replay_landmarks[0], 100.0 + (double)i, 0);
        CHECK_NEAR(in.replay_confidence, 0.9, 0);
    }
}

/* A CLNF-tracked face comes back as the single-face CLNF job takes its tracker's frame:
 * its parameters, what the AU stage is told (here a failed frame: the CSV's success 1 of a
 * track's first frame, detection_success 0) and its eye parts. */
static void test_clnf_frame_round_trip(void)
{
    au_track_spool *s;
    au_err err;
    CHECK(au_track_spool_create(&s, &err) == AUFACE_OK);
    au_tracked_face f = face(0, 7.0f);
    f.clnf = 1;
    f.frame.success = 1;
    f.frame.detection_success = 0;
    f.frame.certainty = 0.25;
    f.frame.fitted = 1;
    f.frame.landmarks[3] = 42.5f;
    f.frame.global[0] = 1.5f;
    f.frame.local[2] = -0.75f;
    f.frame.eyes.valid = 1;
    f.frame.eyes.landmarks[1][5] = 3.25f;
    CHECK(au_track_spool_add(s, 0, &f, &err) == AUFACE_OK);
    CHECK(au_track_spool_rewind(s, 0, &err) == AUFACE_OK);
    au_frame_input in;
    memset(&in, 0, sizeof in);
    CHECK(au_track_spool_fill(s, &in, &err) == 1);
    CHECK(in.replay == 1 && in.replay_success == 1 && in.replay_au_success == 0);
    CHECK_NEAR(in.replay_confidence, 0.25, 0);
    CHECK_NEAR(in.replay_landmarks[3], 42.5, 0);
    CHECK(in.have_tracker_params == 1 && in.tracker_fitted == 1);
    CHECK_NEAR(in.tracker_global[0], 1.5, 0);
    CHECK_NEAR(in.tracker_local[2], -0.75, 0);
    CHECK(in.eye_source == AU_EYE_SOURCE_STATE && in.eyes.valid == 1);
    CHECK_NEAR(in.eyes.landmarks[1][5], 3.25, 0);
    au_track_spool_free(s);
}

int main(void)
{
    au_track_spool *s;
    au_err err;
    CHECK(au_track_spool_create(&s, &err) == AUFACE_OK);
    fill(s);
    test_spans(s);
    test_read_back_face0(s);
    test_read_back_face1_from_its_first_frame(s);
    test_read_back_face0(s); /* rewinding again gives the same */
    au_track_spool_free(s);
    test_clnf_frame_round_trip();
    return check_report("test_track_spool");
}
