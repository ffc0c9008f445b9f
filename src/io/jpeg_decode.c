#include "io/jpeg_decode.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "common/grow.h"

/* libjpeg reports fatal errors through error_exit, which must not return: jump back to
 * the decoding call with the library's message. */
typedef struct jpeg_failure {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} jpeg_failure;

static void on_fatal(j_common_ptr cinfo)
{
    jpeg_failure *f = (jpeg_failure *)cinfo->err;
    f->mgr.format_message(cinfo, f->message);
    longjmp(f->jump, 1);
}

/* Corrupt-data warnings: OpenCV lets libjpeg print them, but a library must not write to
 * stderr, and they do not change the pixels. */
static void on_message(j_common_ptr cinfo)
{
    (void)cinfo;
}

int au_jpeg_is_jpeg(const uint8_t *bytes, size_t len)
{
    return len >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

/* icvCvt_CMYK2BGR_8u_C4C3R (imgcodecs/src/utils.cpp), one row, in place-safe order. */
static void cmyk_row_to_bgr(const uint8_t *cmyk, int w, uint8_t *bgr)
{
    for (int i = 0; i < w; i++, cmyk += 4, bgr += 3) {
        int c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
        c = k - ((255 - c) * k >> 8);
        m = k - ((255 - m) * k >> 8);
        y = k - ((255 - y) * k >> 8);
        bgr[2] = (uint8_t)c;
        bgr[1] = (uint8_t)m;
        bgr[0] = (uint8_t)y;
    }
}

/* Reads the scanlines into out (BGR rows); `row` is a CMYK row buffer when cmyk. */
static void read_rows(struct jpeg_decompress_struct *cinfo, int cmyk, uint8_t *row,
                      uint8_t *out)
{
    const size_t stride = (size_t)cinfo->output_width * 3;
    while (cinfo->output_scanline < cinfo->output_height) {
        uint8_t *dst = out + (size_t)cinfo->output_scanline * stride;
        JSAMPROW target = cmyk ? row : dst;
        if (jpeg_read_scanlines(cinfo, &target, 1) != 1)
            break; /* truncated data: libjpeg warned and filled the rest; stop as it does */
        if (cmyk)
            cmyk_row_to_bgr(row, (int)cinfo->output_width, dst);
    }
}

auface_status au_jpeg_decode_bgr(const uint8_t *bytes, size_t len, const char *name,
                                 uint8_t **bgr, size_t *bgr_cap, int *w, int *h, au_err *err)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_failure failure;
    uint8_t *volatile cmyk_row = NULL;
    cinfo.err = jpeg_std_error(&failure.mgr);
    failure.mgr.error_exit = on_fatal;
    failure.mgr.output_message = on_message;
    failure.message[0] = '\0';
    if (setjmp(failure.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(cmyk_row);
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: cannot decode the JPEG (%s)", name,
                       failure.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, bytes, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if ((size_t)cinfo.image_width * cinfo.image_height > AU_IMAGE_MAX_PIXELS) {
        jpeg_destroy_decompress(&cinfo);
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the JPEG declares %ux%u pixels, more than the %zu auface reads",
                       name, (unsigned)cinfo.image_width, (unsigned)cinfo.image_height,
                       AU_IMAGE_MAX_PIXELS);
    }
    const int cmyk = cinfo.num_components == 4;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_BGR;
    cinfo.out_color_components = cmyk ? 4 : 3;
    jpeg_start_decompress(&cinfo);
    const size_t width = cinfo.output_width, height = cinfo.output_height;
    if (!au_grow_bytes(bgr, bgr_cap, width * height * 3) ||
        (cmyk && !(cmyk_row = malloc(width * 4)))) {
        jpeg_destroy_decompress(&cinfo);
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory (%zux%zu image)", name, width,
                       height);
    }
    read_rows(&cinfo, cmyk, cmyk_row, *bgr);
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);
    *w = (int)width;
    *h = (int)height;
    return AUFACE_OK;
}
