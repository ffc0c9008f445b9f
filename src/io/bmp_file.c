/* 24-bit BMP writer (OpenCV BmpEncoder layout) and reader; see io/bmp_file.h. */
#include "io/bmp_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

#include "io/atomic_file.h"

/* BITMAPFILEHEADER (14) + BITMAPINFOHEADER (40); no palette for 3 channels
 * (BmpEncoder::write: paletteSize = channels > 1 ? 0 : 1024). */
#define BMP_HEADER_SIZE 54

static void put_u16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, v & 0xffffu);
    put_u16(p + 2, v >> 16);
}

auface_status au_bmp_write_stream(FILE *f, const char *name, const uint8_t *bgr, int width,
                                  int height, size_t stride, au_err *err)
{
    if (!f || !bgr)
        return au_fail(err, AUFACE_ERR_ARG, "%s: BMP: NULL argument", name);
    if (width <= 0 || height <= 0 || stride < (size_t)width * 3)
        return au_fail(err, AUFACE_ERR_ARG, "%s: BMP: bad image %d x %d, stride %zu", name,
                       width, height, stride);
    /* BmpEncoder::write: fileStep = (width * channels + 3) & -4 */
    size_t row = (size_t)width * 3;
    size_t file_step = (row + 3) & ~(size_t)3;
    double file_size = (double)file_step * height + BMP_HEADER_SIZE;
    if (file_size > 4294967295.0)
        return au_fail(err, AUFACE_ERR_ARG, "%s: BMP: image %d x %d too large", name, width,
                       height);
    uint8_t h[BMP_HEADER_SIZE] = {'B', 'M'};
    put_u32(h + 2, (uint32_t)file_size);
    put_u32(h + 6, 0);                 /* reserved */
    put_u32(h + 10, BMP_HEADER_SIZE);  /* offset of the pixels */
    put_u32(h + 14, 40);               /* BITMAPINFOHEADER size */
    put_u32(h + 18, (uint32_t)width);
    put_u32(h + 22, (uint32_t)height); /* positive: rows stored bottom-up */
    put_u16(h + 26, 1);                /* planes */
    put_u16(h + 28, 24);               /* bits per pixel: channels << 3 */
    /* compression BI_RGB, image size, x/y pixels per metre, colours used, important: 0 */
    if (fwrite(h, 1, sizeof h, f) != sizeof h)
        return au_fail(err, AUFACE_ERR_IO, "%s: write error: %s", name, strerror(errno));
    static const uint8_t zeros[3] = {0, 0, 0};
    for (int y = height - 1; y >= 0; y--) {
        if (fwrite(bgr + (size_t)y * stride, 1, row, f) != row ||
            fwrite(zeros, 1, file_step - row, f) != file_step - row)
            return au_fail(err, AUFACE_ERR_IO, "%s: write error: %s", name, strerror(errno));
    }
    return AUFACE_OK;
}

auface_status au_bmp_write(const char *path, const uint8_t *bgr, int width, int height,
                           size_t stride, au_err *err)
{
    if (!path)
        return au_fail(err, AUFACE_ERR_ARG, "au_bmp_write: NULL path");
    au_atomic_file af;
    FILE *f = au_atomic_open(&af, path, err);
    if (!f)
        return err ? err->status : AUFACE_ERR_IO;
    auface_status s = au_bmp_write_stream(f, path, bgr, width, height, stride, err);
    if (s != AUFACE_OK) {
        au_atomic_abort(&af);
        return s;
    }
    return au_atomic_commit_unsynced(&af, err);
}

auface_status au_bmp_read(const char *path, uint8_t **bgr, int *width, int *height,
                          au_err *err)
{
    if (!path || !bgr || !width || !height)
        return au_fail(err, AUFACE_ERR_ARG, "au_bmp_read: NULL argument");
    *bgr = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return au_fail(err, AUFACE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t magic[2] = {0, 0};
    size_t got = fread(magic, 1, 2, f);
    if (got != 2 || magic[0] != 'B' || magic[1] != 'M') {
        fclose(f);
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: not a BMP file (no \"BM\" signature)",
                       path);
    }
    rewind(f);
    int w, h, channels;
    uint8_t *rgb = stbi_load_from_file(f, &w, &h, &channels, 3);
    fclose(f);
    if (!rgb)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: cannot decode the BMP (%s)", path,
                       stbi_failure_reason() ? stbi_failure_reason() : "unknown reason");
    size_t n = (size_t)w * (size_t)h * 3;
    uint8_t *out = malloc(n);
    if (!out) {
        stbi_image_free(rgb);
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    }
    for (size_t i = 0; i < n; i += 3) { /* RGB -> BGR */
        out[i] = rgb[i + 2];
        out[i + 1] = rgb[i + 1];
        out[i + 2] = rgb[i];
    }
    stbi_image_free(rgb);
    *bgr = out;
    *width = w;
    *height = h;
    return AUFACE_OK;
}
