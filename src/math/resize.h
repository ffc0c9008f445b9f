/* Bilinear image resizes that reproduce OpenCV 4.6 cv::resize(..., INTER_LINEAR) bit for bit
 * (no IPP, no OpenCL; as Debian's python3-opencv 4.6 computes it: verified bit-exact on the
 * PFLD and RetinaFace inputs of ../shared/reference/nn when the JPEGs are decoded with the same
 * libjpeg-turbo).
 *
 * Source: OpenCV 4.6 modules/imgproc/src/resize.cpp — cv::resize (output size, copy when the
 * size does not change), hal::resize (coefficients, the 2x INTER_AREA switch),
 * resizeGeneric_Invoker (row clamping), HResizeLinear, VResizeLinear + VResizeLinearVec_32s8u
 * (8-bit vertical pass), VResizeLinearVec_32f, resizeAreaFast_Invoker + ResizeAreaFastVec.
 * Used by RetinaFace's letterbox (float) and PFLD's 112x112 crop (8-bit), see
 * ../shared/reference/nn/README.md.
 *
 * Numerics common to every function. Let inv_scale_x/y be OpenCV's inverse scales (dw/sw for
 * an explicit output size, the factor s for cv::resize(src, dst, Size(), s, s)) and
 * scale_x = 1/inv_scale_x, scale_y = 1/inv_scale_y, in double.
 *  0. If the output size equals the input size the image is copied (cv::resize).
 *  1. If |scale_x − 2| and |scale_y − 2| are both below DBL_EPSILON (an exact 2x reduction),
 *     OpenCV switches to INTER_AREA's fast path: each output value averages the 2x2 block at
 *     (2·dx, 2·dy); see the per-type rules below. Blocks cut by the right/bottom edge (output
 *     size rounded up) average the pixels that exist.
 *  2. Otherwise, per output column dx (the same for rows with dy, scale_y):
 *       fx = (float)((dx + 0.5)·scale_x − 0.5);  sx = floor(fx);  fx −= sx   (float)
 *       if sx < 0:        sx = 0, fx = 0
 *       if sx >= sw − 1:  sx = sw − 1, fx = 0, and only pixel sx is read ("single")
 *     weights (1 − fx, fx) in float. Rows are NOT clamped that way: sy = floor(fy) keeps its
 *     fraction, and the two rows read are clamp(sy, 0, sh−1) and clamp(sy+1, 0, sh−1)
 *     (resizeGeneric_Invoker's clip()), so at the top/bottom edge the same row is read twice.
 *     A horizontal pass h(row) = S[sx]·a0 + S[sx+1]·a1 (or S[sx]·ONE when single) is followed
 *     by a vertical blend of h(row0) and h(row1).
 *
 * None of these functions allocates memory or keeps state; src and dst must not overlap.
 * Nothing is written when a size is zero or negative. */
#ifndef AU_MATH_RESIZE_H
#define AU_MATH_RESIZE_H

#include <stddef.h>
#include <stdint.h>

/* dst = cv::resize(src, Size(dw, dh), 0, 0, INTER_LINEAR) for an 8-bit 3-channel image.
 *   src: sw x sh pixels, row i at src + i·sstride (bytes); dst: dw x dh, row stride dstride.
 * Fixed point (INTER_RESIZE_COEF_BITS = 11, ONE = 2048): a0 = saturate_cast<short>((1−fx)·2048),
 * a1 = saturate_cast<short>(fx·2048) (round half to even), the same for b0, b1 from fy;
 *   h = S[sx]·a0 + S[sx+1]·a1   (int; S[sx]·2048 when single)
 *   out = (((b0·(h0 >> 4)) >> 16) + ((b1·(h1 >> 4)) >> 16) + 2) >> 2
 * which is VResizeLinearVec_32s8u (v_mul_hi on h >> 4, then v_rshr_pack_u<2>) and the scalar
 * specialisation VResizeLinear<uchar, int, short, FixedPtCast<int, uchar, 22>, ...> that
 * finishes the row the same way. The generic FixedPtCast (h0·b0 + h1·b1 + 2^21) >> 22 is not
 * used for 8-bit INTER_LINEAR; it differs by 1 on ~12 % of PFLD's input values.
 * Exact 2x reduction: out = (a + b + c + d + 2) >> 2 (ResizeAreaFastVec), and for a block cut
 * by the edge cvRound((float)sum / count). Cost: about 16 integer operations per output value. */
void au_resize_bilinear_u8c3(const uint8_t *src, int sw, int sh, size_t sstride, uint8_t *dst,
                             int dw, int dh, size_t dstride);

/* The same resize applied to a window of an 8-bit 3-channel image that may extend past its
 * borders, the outside being black: the result equals cropping the image to
 * [wx, wx+ww) x [wy, wy+wh), padding the missing part with zeros (cv::copyMakeBorder,
 * BORDER_CONSTANT 0), then au_resize_bilinear_u8c3 to dw x dh. This is PFLD's crop without
 * building the padded crop. img: iw x ih pixels, row stride istride (bytes). */
void au_resize_bilinear_u8c3_window(const uint8_t *img, int iw, int ih, size_t istride, int wx,
                                    int wy, int ww, int wh, uint8_t *dst, int dw, int dh,
                                    size_t dstride);

/* Output length of cv::resize(src, dst, Size(), s, s) for an input length n:
 * saturate_cast<int>(n·s) (round half to even, clamped to the int range). */
int au_resize_scaled_size(int n, double scale);

/* Where the float resizes write output element (x, y, channel c):
 * dst[y·row + x·pixel + c·channel], all strides in floats. Interleaved BGR of width w:
 * {3·w, 3, 1}; planar (NCHW) with planes of w x h: {w, 1, w·h}. */
typedef struct au_f32_layout {
    size_t row, pixel, channel;
} au_f32_layout;

/* dst = cv::resize(src, Size(), s, s, INTER_LINEAR) on a float 3-channel image:
 *   src: sw x sh pixels of 3 interleaved floats, row stride sstride (in floats);
 *   scale: s > 0; the output is au_resize_scaled_size(sw, s) x au_resize_scaled_size(sh, s)
 *          pixels, written through `layout`.
 * Float weights (1 − fx, fx) and (1 − fy, fy); h = S[sx]·a0 + S[sx+1]·a1 (S[sx] when single),
 * out = h0·b0 + h1·b1, every operation rounded to float (no FMA), as HResizeLinear +
 * VResizeLinearVec_32f. Exact 2x reduction (s = 0.5): out = (((a + b) + c) + d)·0.25f in the
 * order (x, y), (x+1, y), (x, y+1), (x+1, y+1) (the scalar loop of resizeAreaFast_Invoker,
 * used for 3 channels), and (float)sum / count for a block cut by the edge. */
void au_resize_bilinear_f32c3_scale(const float *src, int sw, int sh, size_t sstride,
                                    double scale, float *dst, au_f32_layout layout);

/* au_resize_bilinear_f32c3_scale applied to the float conversion of an 8-bit 3-channel image
 * (cv::resize(float32(img), ...)), without materialising the float image. Same numerics;
 * src row stride sstride in bytes. */
void au_resize_bilinear_u8c3_to_f32_scale(const uint8_t *src, int sw, int sh, size_t sstride,
                                          double scale, float *dst, au_f32_layout layout);

#endif
