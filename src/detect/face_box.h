/* A detected face: box, score and the detector's 5 landmarks, in image pixels. Shared by the
 * detectors (detect/) and the landmark stage (landmark/). */
#ifndef AU_DETECT_FACE_BOX_H
#define AU_DETECT_FACE_BOX_H

typedef struct au_face_box {
    float x1, y1, x2, y2; /* corners in image pixels, x2 ≥ x1 and y2 ≥ y1; not clipped */
    float score;          /* detector confidence in [0, 1] */
    /* 5 points (x0, y0, x1, y1, ...), in RetinaFace's order (biubug6, WIDER FACE): eye, eye,
     * nose, mouth corner, mouth corner; image-left first for a frontal face. Zero when the
     * box did not come from a detector (e.g. au_pfld_box_from_landmarks). */
    float landmarks[10];
} au_face_box;

#endif
