/* Felzenszwalb HOG (FHOG) exactly as dlib computes it for OpenFace's AU features.
 *
 * Reproduces dlib 19.13 `impl_fhog::impl_extract_fhog_features` (dlib/image_transforms/
 * fhog.h) for a `cv_image<bgr_pixel>` with the default filter padding (1, 1), as called by
 * OpenFace `Face_utils.cpp` `Extract_FHOG_descriptor(descriptor, image, rows, cols, 8)`.
 * Everything is float arithmetic in dlib's operation order, including the two gradient
 * tie-breaking rules of dlib's 8-wide SIMD columns and its scalar columns, so the result
 * equals OpenFace's `.hog` output to float rounding.
 *
 * The maths, for an image of W x H pixels and cell size s (8 in OpenFace):
 *   - cells: cells_nr = (int)(H/s + 0.5), cells_nc = (int)(W/s + 0.5); the output drops one
 *     border cell on each side: rows = cells_nr - 2, cols = cells_nc - 2 (12 x 12 for a
 *     112 x 112 face, s = 8).
 *   - every pixel (y, x) with 1 <= y < min(cells_nr*s, H) - 1 and likewise for x has a
 *     gradient: per colour channel central differences (gx, gy); the channel with the
 *     largest gx^2 + gy^2 wins; magnitude v = sqrt(gx^2 + gy^2); orientation = the best of
 *     18 signed directions 20 degrees apart (9 unit vectors and their negatives).
 *   - v is voted bilinearly into the 18-bin histograms of the 4 nearest cells (centres at
 *     (x + 0.5)/s - 0.5).
 *   - each cell's energy is sum_o (H[o] + H[o+9])^2 (o = 0..8); each output cell is
 *     normalised by the four 2x2 blocks of energies around it, truncated at 0.2.
 *   - 31 channels per output cell: 0..17 contrast-sensitive orientations, 18..26
 *     contrast-insensitive orientations (H[o] + H[o+9]), 27..30 texture (the gradient
 *     energy under each of the four normalisations).
 *
 * Output layout (OpenFace `Extract_FHOG_descriptor`): out[(row*cols + col)*31 + channel],
 * row-major over cells with the 31 channels innermost. (OpenFace's loop swaps the row and
 * column limits, which only matters for non-square maps; this module always writes the
 * row-major order above.)
 *
 * Cost: about 12100 gradient pixels and 144 output cells for a 112 x 112 face; no
 * allocation, the caller provides scratch memory. Thread-safe: no state besides the
 * arguments.
 */
#ifndef AU_FACE_FHOG_H
#define AU_FACE_FHOG_H

#include <stddef.h>
#include <stdint.h>

/* Channels per output cell: 18 signed + 9 unsigned orientations + 4 texture values
 * (dlib fhog.h, num_hog_bands = 27 + 4). */
#define AU_FHOG_CHANNELS 31

/* Output map size for a width x height image: *rows x *cols cells (dlib: cells - 2 on each
 * axis, never negative). Both are 0 when the image is too small (fewer than 3 cells on an
 * axis) or when cell_size < 2 (dlib's cell_size == 1 is a different algorithm, not
 * supported here); au_fhog_extract_bgr then writes nothing. */
void au_fhog_dims(int width, int height, int cell_size, int *rows, int *cols);

/* Number of floats of scratch memory au_fhog_extract_bgr needs for this image size
 * (histograms, cell energies and one row of gradients); 0 when the output map is empty.
 * 6484 floats (about 25 KiB) for 112 x 112 with cell size 8. */
size_t au_fhog_scratch_floats(int width, int height, int cell_size);

/* Computes the FHOG of an 8-bit, 3-channel image whose pixel bytes are B, G, R (OpenCV's
 * order; the colour channels matter only when two of them tie for the largest gradient).
 *   bgr:     top-left pixel; row r starts at bgr + r*stride.
 *   stride:  bytes between rows (>= 3*width).
 *   scratch: au_fhog_scratch_floats(width, height, cell_size) floats, contents ignored.
 *   out:     rows*cols*AU_FHOG_CHANNELS floats (au_fhog_dims), layout described above.
 * An all-black (or any constant) image gives all zeros. Does nothing when the map is
 * empty. */
void au_fhog_extract_bgr(const uint8_t *bgr, int width, int height, size_t stride,
                         int cell_size, float *scratch, float *out);

#endif
