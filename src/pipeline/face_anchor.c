#include "pipeline/face_anchor.h"

static float box_area(const au_face_box *b)
{
    return (b->x2 - b->x1) * (b->y2 - b->y1);
}

int au_anchor_largest(const au_face_box *boxes, int count)
{
    int best = -1;
    float best_area = 0.0f;
    for (int i = 0; i < count; i++) {
        float area = box_area(&boxes[i]);
        if (area > best_area) {
            best_area = area;
            best = i;
        }
    }
    return best;
}

/* Squared distance between the centres of a and b. */
static float centre_distance2(const au_face_box *a, const au_face_box *b)
{
    float dx = 0.5f * ((a->x1 + a->x2) - (b->x1 + b->x2));
    float dy = 0.5f * ((a->y1 + a->y2) - (b->y1 + b->y2));
    return dx * dx + dy * dy;
}

int au_anchor_continuing(const au_face_box *boxes, int count, const au_face_box *reference)
{
    float side = 0.5f * ((reference->x2 - reference->x1) + (reference->y2 - reference->y1));
    float limit = AU_ANCHOR_MAX_SHIFT * side;
    float best_d2 = 0.0f;
    int best = -1;
    for (int i = 0; i < count; i++) {
        float d2 = centre_distance2(&boxes[i], reference);
        if (box_area(&boxes[i]) > 0.0f && d2 <= limit * limit && (best < 0 || d2 < best_d2)) {
            best_d2 = d2;
            best = i;
        }
    }
    return best;
}

int au_anchor_choose(const au_face_box *boxes, int count, const au_face_box *reference)
{
    int i = reference ? au_anchor_continuing(boxes, count, reference) : -1;
    return i >= 0 ? i : au_anchor_largest(boxes, count);
}
