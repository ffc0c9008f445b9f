/* Tests for pipeline/face_anchor: which detection continues the face being followed. */
#include "check.h"
#include "pipeline/face_anchor.h"

static au_face_box box(float x, float y, float size)
{
    au_face_box b = {.x1 = x, .y1 = y, .x2 = x + size, .y2 = y + size, .score = 1.0f};
    return b;
}

static void test_largest(void)
{
    au_face_box boxes[3] = {box(0, 0, 50), box(300, 0, 120), box(600, 0, 80)};
    CHECK(au_anchor_largest(boxes, 3) == 1);
    CHECK(au_anchor_largest(boxes, 0) == -1);
}

static void test_continuing_prefers_the_same_face_over_a_larger_one(void)
{
    au_face_box boxes[3] = {box(0, 0, 50), box(300, 0, 120), box(610, 10, 80)};
    au_face_box reference = box(600, 0, 80);
    CHECK(au_anchor_continuing(boxes, 3, &reference) == 2);
    CHECK(au_anchor_choose(boxes, 3, &reference) == 2);
    CHECK(au_anchor_choose(boxes, 3, NULL) == 1);
}

static void test_face_gone_takes_the_largest(void)
{
    au_face_box boxes[2] = {box(0, 0, 50), box(300, 0, 120)};
    au_face_box reference = box(600, 0, 80);
    CHECK(au_anchor_continuing(boxes, 2, &reference) == -1);
    CHECK(au_anchor_choose(boxes, 2, &reference) == 1);
}

static void test_shift_limit(void)
{
    au_face_box reference = box(100, 100, 100);
    /* 0.75 mean side = 75 px: a centre 70 px away continues, 80 px away does not. */
    au_face_box near = box(170, 100, 100), far = box(180, 100, 100);
    CHECK(au_anchor_continuing(&near, 1, &reference) == 0);
    CHECK(au_anchor_continuing(&far, 1, &reference) == -1);
    /* Of two candidates the closer wins. */
    au_face_box two[2] = {box(150, 100, 100), box(120, 100, 100)};
    CHECK(au_anchor_continuing(two, 2, &reference) == 1);
}

int main(void)
{
    test_largest();
    test_continuing_prefers_the_same_face_over_a_larger_one();
    test_face_gone_takes_the_largest();
    test_shift_limit();
    return check_report("test_face_anchor");
}
