/* Image backend of au_source: one image file, or the images of a folder in name order, as
 * OpenFace 2.2's SequenceCapture::OpenImageSequence and cv::imread(IMREAD_COLOR) give them.
 * JPEG (by signature, as imread chooses) through libjpeg-turbo as OpenCV does
 * (io/jpeg_decode.h: byte-identical); PNG and BMP through stb_image (identical to imread on
 * every case tried, IMAGE_SPEC §2). The JPEG EXIF orientation is applied as OpenCV's imread
 * does (imgcodecs/src/loadsave.cpp, ApplyExifOrientation). Private to the source module. */
#include "io/source_backends.h"
#include "io/jpeg_decode.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb/stb_image.h>

struct au_images {
    char *path;           /* the file, or the folder */
    char **files;         /* folder: full paths, sorted; single image: NULL */
    long count;           /* files in the sequence (1 for a single image) */
    long next;            /* index of the next file to decode */
    long corrupt;
    uint8_t *bgr;         /* current picture, reused (grows to the largest image) */
    size_t bgr_size;
    int width, height;
    uint8_t *bytes;       /* the current file's contents, reused */
    size_t bytes_cap;
    uint8_t *decoded;     /* the decoder's BGR output before re-orientation, reused */
    size_t decoded_cap;
};

static int lower_ascii(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* 1 if `name` ends with "." + one of `exts` (lower case), compared case-insensitively. */
static int has_extension(const char *name, const char *const *exts)
{
    const char *dot = strrchr(name, '.');
    if (!dot || strchr(dot, '/'))
        return 0;
    for (; *exts; exts++) {
        const char *a = dot + 1, *b = *exts;
        while (*a && *b && lower_ascii((unsigned char)*a) == *b) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return 1;
    }
    return 0;
}

/* Single files that stb_image decodes and that cv::imread also reads. Anything else goes
 * to FFmpeg. */
static const char *const single_image_exts[] = {"jpg", "jpeg", "jpe", "png", "bmp", "dib",
                                                "pgm", "ppm", "pnm", NULL};
/* OpenFace 2.2 SequenceCapture::OpenImageSequence: "Possible image extension .jpg and .png"
 * (.jpg, .jpeg, .png, .bmp), there compared case-sensitively. */
static const char *const folder_image_exts[] = {"jpg", "jpeg", "png", "bmp", NULL};

int au_images_is_image_name(const char *name)
{
    return has_extension(name, single_image_exts);
}

/* ---- EXIF orientation of a JPEG (tag 0x0112 of IFD0 in the APP1 "Exif" segment) ---- */

static unsigned read_u16(const uint8_t *p, int little)
{
    return little ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | (unsigned)p[1];
}

static unsigned long read_u32(const uint8_t *p, int little)
{
    return little ? (unsigned long)read_u16(p, 1) | (unsigned long)read_u16(p + 2, 1) << 16
                  : (unsigned long)read_u16(p, 0) << 16 | (unsigned long)read_u16(p + 2, 0);
}

/* Orientation from a TIFF header block of `len` bytes; 1 when absent or malformed. */
static int tiff_orientation(const uint8_t *t, size_t len)
{
    if (len < 8)
        return 1;
    int little;
    if (t[0] == 'I' && t[1] == 'I')
        little = 1;
    else if (t[0] == 'M' && t[1] == 'M')
        little = 0;
    else
        return 1;
    if (read_u16(t + 2, little) != 42)
        return 1;
    unsigned long ifd = read_u32(t + 4, little);
    if (ifd > len - 2)
        return 1;
    unsigned entries = read_u16(t + ifd, little);
    for (unsigned i = 0; i < entries; i++) {
        unsigned long e = ifd + 2 + 12ul * i;
        if (e + 12 > len)
            return 1;
        /* tag 0x0112 Orientation, type 3 (SHORT), count 1: value in the first 2 bytes */
        if (read_u16(t + e, little) == 0x0112 && read_u16(t + e + 2, little) == 3) {
            unsigned o = read_u16(t + e + 8, little);
            return (o >= 1 && o <= 8) ? (int)o : 1;
        }
    }
    return 1;
}

/* Orientation of a JPEG file's bytes; 1 for other formats or when there is none. */
static int jpeg_exif_orientation(const uint8_t *b, size_t len)
{
    if (len < 4 || b[0] != 0xFF || b[1] != 0xD8)
        return 1;
    size_t pos = 2;
    while (pos + 4 <= len) {
        if (b[pos] != 0xFF)
            return 1;
        unsigned marker = b[pos + 1];
        if (marker == 0xFF) { /* fill byte */
            pos++;
            continue;
        }
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) { /* no length field */
            pos += 2;
            continue;
        }
        if (marker == 0xDA || marker == 0xD9) /* start of scan / end: no EXIF after this */
            return 1;
        size_t seglen = read_u16(b + pos + 2, 0);
        if (seglen < 2 || pos + 2 + seglen > len)
            return 1;
        if (marker == 0xE1 && seglen >= 8 && memcmp(b + pos + 4, "Exif\0\0", 6) == 0)
            return tiff_orientation(b + pos + 10, seglen - 8);
        pos += 2 + seglen;
    }
    return 1;
}

/* ---- decoding ---- */

/* Reads the whole file into im->bytes. */
static auface_status read_file(au_images *im, const char *path, size_t *len, au_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return au_fail(err, AUFACE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t n = 0;
    for (;;) {
        if (n == im->bytes_cap) {
            size_t cap = im->bytes_cap ? im->bytes_cap * 2 : 1u << 16;
            if (cap > (size_t)INT_MAX + 1u) {
                fclose(f);
                return au_fail(err, AUFACE_ERR_FORMAT, "%s: image file too large", path);
            }
            uint8_t *p = realloc(im->bytes, cap);
            if (!p) {
                fclose(f);
                return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
            }
            im->bytes = p;
            im->bytes_cap = cap;
        }
        size_t got = fread(im->bytes + n, 1, im->bytes_cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return au_fail(err, AUFACE_ERR_IO, "%s: read error", path);
    if (n > (size_t)INT_MAX)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: image file too large", path);
    *len = n;
    return AUFACE_OK;
}

/* Reads a PNM header number at *pos (whitespace and # comments before it skipped); -1 when
 * there is none or it exceeds INT_MAX. */
static long pnm_number(const uint8_t *b, size_t len, size_t *pos)
{
    size_t i = *pos;
    for (;;) {
        while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r' ||
                           b[i] == '\v' || b[i] == '\f'))
            i++;
        if (i < len && b[i] == '#') {
            while (i < len && b[i] != '\n' && b[i] != '\r')
                i++;
            continue;
        }
        break;
    }
    long v = 0;
    size_t start = i;
    for (; i < len && b[i] >= '0' && b[i] <= '9'; i++) {
        v = v * 10 + (b[i] - '0');
        if (v > INT_MAX)
            return -1;
    }
    *pos = i;
    return i > start ? v : -1;
}

/* A binary PNM (P5 grey, P6 colour: the kinds stb_image reads) must declare 8-bit samples
 * and hold all of them: stb_image's 16-bit path (maxval > 255) reads past the end of a
 * short file (found by fuzz_image), so such files are refused before it sees them. */
static auface_status check_pnm(const uint8_t *b, size_t len, const char *path, au_err *err)
{
    size_t pos = 2;
    const long w = pnm_number(b, len, &pos), h = pnm_number(b, len, &pos);
    const long maxval = pnm_number(b, len, &pos);
    if (w < 1 || h < 1 || maxval < 1 || pos >= len)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: not a valid PNM header", path);
    if (maxval > 255)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: %ld-level PNM samples (16 bits) are not "
                       "supported; 8-bit PNM, JPEG, PNG and BMP are", path, maxval + 1);
    const size_t samples = (size_t)w * (size_t)h * (b[1] == '6' ? 3u : 1u);
    if ((size_t)w * (size_t)h > AU_IMAGE_MAX_PIXELS || len - pos - 1 < samples)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: the PNM declares %ldx%ld pixels but holds "
                       "%zu bytes of samples", path, w, h, len - pos - 1);
    return AUFACE_OK;
}

/* Decodes the file's bytes into im->decoded (BGR, stored orientation). */
static auface_status decode_bytes(au_images *im, const char *path, size_t len, int *w, int *h,
                                  au_err *err)
{
    if (au_jpeg_is_jpeg(im->bytes, len))
        return au_jpeg_decode_bgr(im->bytes, len, path, &im->decoded, &im->decoded_cap, w, h,
                                  err);
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const int is_pnm = len >= 2 && im->bytes[0] == 'P' &&
                       (im->bytes[1] == '5' || im->bytes[1] == '6');
    const int is_png = len >= sizeof png && memcmp(im->bytes, png, sizeof png) == 0;
    const int is_bmp = len >= 2 && im->bytes[0] == 'B' && im->bytes[1] == 'M';
    /* Only the formats auface documents reach stb_image, which would otherwise also try
     * its PSD, TGA, GIF, HDR and PIC readers on whatever a file holds. */
    if (!is_pnm && !is_png && !is_bmp)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: not a JPEG, PNG, BMP or binary PNM image", path);
    if (is_pnm) {
        auface_status st = check_pnm(im->bytes, len, path, err);
        if (st != AUFACE_OK)
            return st;
    }
    int channels;
    if (stbi_info_from_memory(im->bytes, (int)len, w, h, &channels) &&
        (size_t)*w * (size_t)*h > AU_IMAGE_MAX_PIXELS)
        return au_fail(err, AUFACE_ERR_FORMAT,
                       "%s: the image declares %dx%d pixels, more than the %zu auface reads",
                       path, *w, *h, AU_IMAGE_MAX_PIXELS);
    /* 3 components: grey is replicated and alpha dropped, as IMREAD_COLOR does. */
    uint8_t *rgb = stbi_load_from_memory(im->bytes, (int)len, w, h, &channels, 3);
    if (!rgb)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: cannot decode the image (%s)", path,
                       stbi_failure_reason() ? stbi_failure_reason() : "unknown reason");
    size_t bytes = (size_t)*w * (size_t)*h * 3;
    if (bytes > im->decoded_cap) {
        uint8_t *p = realloc(im->decoded, bytes);
        if (!p) {
            stbi_image_free(rgb);
            return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory (%dx%d image)", path, *w,
                           *h);
        }
        im->decoded = p;
        im->decoded_cap = bytes;
    }
    for (size_t i = 0; i < bytes; i += 3) { /* RGB -> BGR */
        im->decoded[i] = rgb[i + 2];
        im->decoded[i + 1] = rgb[i + 1];
        im->decoded[i + 2] = rgb[i];
    }
    stbi_image_free(rgb);
    return AUFACE_OK;
}

/* Decodes `path` into im->bgr (BGR, upright, rows packed), setting width/height. */
static auface_status decode_image(au_images *im, const char *path, au_err *err)
{
    size_t len = 0;
    auface_status s = read_file(im, path, &len, err);
    if (s != AUFACE_OK)
        return s;
    if (len == 0)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: empty image file", path);
    int w, h;
    if ((s = decode_bytes(im, path, len, &w, &h, err)) != AUFACE_OK)
        return s;
    /* stb_image accepts a PNM header of width or height 0 (found by fuzzing): no frame. */
    if (w <= 0 || h <= 0)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: the image has no pixels (%d x %d)", path,
                       w, h);
    int orientation = jpeg_exif_orientation(im->bytes, len);
    int ow, oh;
    au_orient_size(orientation, w, h, &ow, &oh);
    size_t bytes = (size_t)w * (size_t)h * 3;
    if (bytes > im->bgr_size) {
        uint8_t *p = realloc(im->bgr, bytes);
        if (!p)
            return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory (%dx%d image)", path, w,
                           h);
        im->bgr = p;
        im->bgr_size = bytes;
    }
    au_orient_bgr(im->decoded, w, h, (size_t)w * 3, orientation, im->bgr, (size_t)ow * 3);
    im->width = ow;
    im->height = oh;
    return AUFACE_OK;
}

static au_images *images_new(const char *path)
{
    au_images *im = calloc(1, sizeof *im);
    if (!im)
        return NULL;
    im->path = malloc(strlen(path) + 1);
    if (!im->path) {
        free(im);
        return NULL;
    }
    strcpy(im->path, path);
    return im;
}

auface_status au_images_open_file(au_images **out, const char *path, au_err *err)
{
    *out = NULL;
    au_images *im = images_new(path);
    if (!im)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    auface_status s = decode_image(im, path, err);
    if (s != AUFACE_OK) {
        au_images_close(im);
        return s;
    }
    im->count = 1;
    *out = im;
    return AUFACE_OK;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the full path of folder entry `name` to im->files if it is a regular file with
 * an image extension. */
static auface_status add_folder_entry(au_images *im, const char *name, long *cap, au_err *err)
{
    if (!has_extension(name, folder_image_exts))
        return AUFACE_OK;
    size_t plen = strlen(im->path);
    int slash = plen > 0 && im->path[plen - 1] == '/';
    char *full = malloc(plen + !slash + strlen(name) + 1);
    if (!full)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", im->path);
    strcpy(full, im->path);
    if (!slash)
        strcat(full, "/");
    strcat(full, name);
    struct stat st;
    if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(full);
        return AUFACE_OK;
    }
    if (im->count == *cap) {
        long ncap = *cap ? *cap * 2 : 64;
        char **p = realloc(im->files, (size_t)ncap * sizeof *p);
        if (!p) {
            free(full);
            return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", im->path);
        }
        im->files = p;
        *cap = ncap;
    }
    im->files[im->count++] = full;
    return AUFACE_OK;
}

auface_status au_images_open_folder(au_images **out, const char *path, au_err *err)
{
    *out = NULL;
    au_images *im = images_new(path);
    if (!im)
        return au_fail(err, AUFACE_ERR_NOMEM, "%s: out of memory", path);
    DIR *dir = opendir(path);
    if (!dir) {
        auface_status s = au_fail(err, AUFACE_ERR_IO, "%s: cannot open the folder: %s", path,
                                  strerror(errno));
        au_images_close(im);
        return s;
    }
    long cap = 0;
    auface_status s = AUFACE_OK;
    const struct dirent *e;
    while (s == AUFACE_OK && (e = readdir(dir)) != NULL)
        s = add_folder_entry(im, e->d_name, &cap, err);
    closedir(dir);
    if (s == AUFACE_OK && im->count == 0)
        s = au_fail(err, AUFACE_ERR_IO, "%s: no image files (.jpg, .jpeg, .png, .bmp) in the "
                    "folder", path);
    if (s != AUFACE_OK) {
        au_images_close(im);
        return s;
    }
    /* OpenImageSequence sorts the boost::filesystem paths: same folder, so byte-wise by
     * file name. */
    qsort(im->files, (size_t)im->count, sizeof *im->files, compare_paths);
    *out = im;
    return AUFACE_OK;
}

int au_images_next(au_images *im, au_frame *frame, au_err *err)
{
    if (!im->files) { /* single image, decoded at open */
        if (im->next > 0)
            return 0;
        im->next = 1;
    } else {
        for (;;) {
            if (im->next >= im->count)
                return 0;
            const char *file = im->files[im->next++];
            au_err local;
            au_err_clear(&local);
            auface_status s = decode_image(im, file, &local);
            if (s == AUFACE_OK)
                break;
            if (s == AUFACE_ERR_NOMEM) {
                if (err)
                    *err = local;
                return -1;
            }
            im->corrupt++; /* unreadable or undecodable file: skipped */
        }
    }
    frame->bgr = im->bgr;
    frame->width = im->width;
    frame->height = im->height;
    frame->stride = (size_t)im->width * 3;
    frame->timestamp = 0.0; /* SequenceCapture::CaptureThread: timestamp_curr = 0 */
    return 1;
}

long au_images_count(const au_images *im)
{
    return im->count;
}

long au_images_corrupt_frames(const au_images *im)
{
    return im->corrupt;
}

void au_images_close(au_images *im)
{
    if (!im)
        return;
    for (long i = 0; i < im->count && im->files; i++)
        free(im->files[i]);
    free(im->files);
    free(im->bgr);
    free(im->decoded);
    free(im->bytes);
    free(im->path);
    free(im);
}
