/* Affine image warps that reproduce OpenCV 4.6 cv::warpAffine (INTER_LINEAR, BORDER_CONSTANT
 * with value 0, no IPP, no OpenCL) bit for bit.
 *
 * Source: OpenCV 4.6 modules/imgproc/src/imgwarp.cpp — cv::warpAffine (matrix inversion),
 * hal::warpAffine + WarpAffineInvoker + hal::warpAffineBlockline (fixed-point source
 * coordinates), cv::remap → remapBilinear (interpolation and border rule), initInterTab2D
 * (weight tables). PIPELINE_SPEC.md §4.1 step 6, CLNF_SPEC.md §5.3 and §12.2.
 *
 * Numerics shared by both element types. Let M be the 2x3 float matrix converted to double.
 * 1. Unless the caller passes an inverse map, M is inverted as cv::warpAffine does:
 *      D = M00·M11 − M01·M10;  D = D ? 1/D : 0;
 *      M00' = M11·D;  M01' = −M01·D;  M10' = −M10·D;  M11' = M00·D;
 *      M02' = −M00'·M02 − M01'·M12;  M12' = −M10'·M02 − M11'·M12     (all in double)
 *    M' maps destination pixel (x, y) to the source position.
 * 2. Source position in 1/32 pixel (AB_BITS = 10, INTER_BITS = 5, round_delta = 16):
 *      X0 = cvRound((M'01·y + M'02)·1024) + 16;   adelta = cvRound(M'00·x·1024)
 *      Y0 = cvRound((M'11·y + M'12)·1024) + 16;   bdelta = cvRound(M'10·x·1024)
 *      X = (X0 + adelta) >> 5;   Y = (Y0 + bdelta) >> 5        (arithmetic shifts)
 *    cvRound rounds half to even (SSE2 cvtsd2si); a value outside the int range gives INT_MIN,
 *    as cvtsd2si does. Integer part (sx, sy) = (X >> 5, Y >> 5), saturated to short;
 *    fraction (fx, fy) = (X & 31, Y & 31) in 1/32 px.
 * 3. Neighbours (sx, sy), (sx+1, sy), (sx, sy+1), (sx+1, sy+1) with weights w0..w3. If the
 *    whole 2x2 block is outside the image (sx >= w, sx+1 < 0, sy >= h or sy+1 < 0) the
 *    output is 0; otherwise each neighbour outside the image contributes the value 0.
 *
 * Neither function allocates memory; both are thread-safe (no state). src and dst must not
 * overlap. */
#ifndef AU_MATH_WARP_AFFINE_H
#define AU_MATH_WARP_AFFINE_H

#include <stddef.h>
#include <stdint.h>

/* OpenCV's 2-D fixed-point bilinear weights (BilinearTab_i, initInterTab2D with
 * INTER_REMAP_COEF_SCALE = 32768) for table entry `idx` = fy·32 + fx (0..1023):
 *   w = saturate_cast<short>(32768·(1−fy/32)(1−fx/32)), … for the four neighbours in the
 *   order (x, y), (x+1, y), (x, y+1), (x+1, y+1).
 * All entries sum to 32768 except entry 0, where 32768 saturates to 32767. OpenCV's
 * correction then adds the missing 1 to the "largest" weight of a 2x2 window starting at
 * [ksize/2][ksize/2] = [1][1]; for the 2x2 kernel that window is the last weight plus three
 * not-yet-filled (zero) slots of the next entry, so the last weight wins and entry 0 is
 * {32767, 0, 0, 1}. (For 8-bit data the result equals that of {32768, 0, 0, 0}, but we keep
 * OpenCV's table.) Out-of-range `idx` is masked to 0..1023. */
void au_warp_bilinear_weights_q15(int idx, int16_t w[4]);

/* dst = cv::warpAffine(src, M, Size(dw, dh), INTER_LINEAR) for an 8-bit 3-channel (BGR)
 * image, OpenCV 4.6, no IPP.
 *   src: sw x sh pixels, row i starts at src + i·sstride (bytes), 3 bytes per pixel.
 *   m:   the forward 2x3 matrix, row-major (m[0] m[1] m[2] / m[3] m[4] m[5]), mapping source
 *        to destination; it is inverted as in step 1 above.
 *   dst: dw x dh pixels, row stride dstride (bytes). Every pixel is written.
 * Interpolation (remapBilinear with FixedPtCast<int, uchar, 15>): per channel
 *   sum = v0·w0 + v1·w1 + v2·w2 + v3·w3   (int, weights from au_warp_bilinear_weights_q15)
 *   out = saturate_cast<uchar>((sum + 16384) >> 15).
 * Nothing is done when an image has a zero or negative size. Cost: ~dw·dh·30 operations. */
void au_warp_affine_u8c3(const uint8_t *src, int sw, int sh, size_t sstride, const float m[6],
                         uint8_t *dst, int dw, int dh, size_t dstride);

/* dst = cv::warpAffine(src, M, Size(dw, dh), INTER_LINEAR [| WARP_INVERSE_MAP]) for a float
 * single-channel image, OpenCV 4.6 (CLNF_SPEC.md §5.3, §12.2).
 *   src: sw x sh floats, row stride sstride in floats (elements, not bytes).
 *   m:   2x3 row-major; with inverse_map != 0 it maps destination to source positions and is
 *        used as is, otherwise it is inverted as in step 1 above.
 *   dst: dw x dh floats, row stride dstride in floats. Every pixel is written.
 * Interpolation (remapBilinear with the float table BilinearTab_f): with fx = (X & 31)/32
 * and fy = (Y & 31)/32 (exact floats), the weights are the exact float products
 *   w0 = (1−fy)(1−fx), w1 = (1−fy)·fx, w2 = fy·(1−fx), w3 = fy·fx
 * and the value is the float sum v0·w0 + v1·w1 + v2·w2 + v3·w3 evaluated left to right (a
 * weight of 0 still multiplies its neighbour, so a non-finite neighbour propagates as in
 * OpenCV). Nothing is done when an image has a zero or negative size. */
void au_warp_affine_f32c1(const float *src, int sw, int sh, size_t sstride, const float m[6],
                          int inverse_map, float *dst, int dw, int dh, size_t dstride);

#endif
