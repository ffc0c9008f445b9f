/* JPEG decoding against OpenCV itself: every JPEG of ../shared/media (sample1..6, the 30
 * image_sequence frames) and copies of sample1 with an EXIF orientation (3, 6, 8) inserted
 * are decoded by Debian's python3-opencv (cv2.imread, the same shared libraries as the
 * reference build) into raw BGR files, then by au_source; every byte must be equal.
 * Skipped (reported, not failed) when python3-opencv is missing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "io/jpeg_decode.h"
#include "io/source.h"
#include "test_files.h"

/* Writes <dir>/<name>.bgr (raw BGR) and <dir>/<name>.size ("W H") for every JPEG, and the
 * EXIF-rotated copies exif<o>.jpg with their cv2 output. */
static const char *const python_script =
    "import cv2, glob, os, struct, sys\n"
    "media, out = sys.argv[1], sys.argv[2]\n"
    "def dump(path, name):\n"
    "    img = cv2.imread(path, cv2.IMREAD_COLOR)\n"
    "    open(os.path.join(out, name + '.bgr'), 'wb').write(img.tobytes())\n"
    "    open(os.path.join(out, name + '.size'), 'w').write('%d %d' % (img.shape[1], img.shape[0]))\n"
    "files = sorted(glob.glob(media + '/*.jpg')) + sorted(glob.glob(media + '/image_sequence/*.jpg'))\n"
    "with open(os.path.join(out, 'list.txt'), 'w') as lst:\n"
    "    for i, f in enumerate(files):\n"
    "        dump(f, 'img%03d' % i)\n"
    "        lst.write(f + '\\n')\n"
    "src = open(media + '/sample1.jpg', 'rb').read()\n"
    "for o in (3, 6, 8):\n"
    "    tiff = b'MM\\x00\\x2a' + struct.pack('>I', 8) + struct.pack('>H', 1) + "
    "struct.pack('>HHIHH', 0x0112, 3, 1, o, 0) + struct.pack('>I', 0)\n"
    "    app1 = b'Exif\\x00\\x00' + tiff\n"
    "    jpg = src[:2] + b'\\xff\\xe1' + struct.pack('>H', len(app1) + 2) + app1 + src[2:]\n"
    "    p = os.path.join(out, 'exif%d.jpg' % o)\n"
    "    open(p, 'wb').write(jpg)\n"
    "    dump(p, 'exif%d' % o)\n";

static int run_opencv(const char *dir)
{
    char script[512], cmd[2048];
    snprintf(script, sizeof script, "%s/dump.py", dir);
    if (!test_write_file(script, python_script, strlen(python_script)))
        return 0;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s", script, SHARED("media"), dir);
    return system(cmd) == 0;
}

/* Compares au_source's decoding of `image` with cv2's dump `name`; returns the number of
 * differing bytes (-1 when the sizes differ or a file is missing). */
static long compare_with_opencv(const char *dir, const char *image, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.bgr", dir, name);
    size_t n = 0;
    uint8_t *expected = test_read_file(path, &n);
    au_source *src = NULL;
    au_err err;
    long diff = -1;
    au_frame f;
    if (expected && au_source_open(&src, image, &err) == AUFACE_OK &&
        au_source_next(src, &f, &err) == 1 && (size_t)f.width * f.height * 3 == n) {
        diff = 0;
        for (int y = 0; y < f.height; y++)
            for (int x = 0; x < f.width * 3; x++)
                diff += f.bgr[(size_t)y * f.stride + x] != expected[(size_t)y * f.width * 3 + x];
    }
    au_source_close(src);
    free(expected);
    return diff;
}

static void test_media(const char *dir)
{
    char list[1024];
    snprintf(list, sizeof list, "%s/list.txt", dir);
    FILE *f = fopen(list, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[1024], name[32];
    int count = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(name, sizeof name, "img%03d", count++);
        long diff = compare_with_opencv(dir, line, name);
        if (diff != 0)
            fprintf(stderr, "%s: %ld bytes differ from cv2.imread\n", line, diff);
        CHECK(diff == 0);
    }
    fclose(f);
    CHECK(count == 36);
}

static void test_exif(const char *dir)
{
    static const int orientations[] = {3, 6, 8};
    for (int i = 0; i < 3; i++) {
        const int o = orientations[i];
        char image[1024], name[32];
        snprintf(image, sizeof image, "%s/exif%d.jpg", dir, o);
        snprintf(name, sizeof name, "exif%d", o);
        CHECK(compare_with_opencv(dir, image, name) == 0);
    }
}

static void test_not_jpeg(void)
{
    const uint8_t png_start[] = {0x89, 'P', 'N', 'G'};
    const uint8_t jpeg_start[] = {0xFF, 0xD8, 0xFF, 0xE0};
    CHECK(!au_jpeg_is_jpeg(png_start, sizeof png_start));
    CHECK(au_jpeg_is_jpeg(jpeg_start, sizeof jpeg_start));
    /* A truncated header fails cleanly. */
    uint8_t *bgr = NULL;
    size_t cap = 0;
    int w, h;
    au_err err;
    CHECK(au_jpeg_decode_bgr(jpeg_start, sizeof jpeg_start, "x.jpg", &bgr, &cap, &w, &h,
                             &err) == AUFACE_ERR_FORMAT);
    free(bgr);
}

int main(void)
{
    test_not_jpeg();
    if (system("/usr/bin/python3 -c 'import cv2' 2>/dev/null") != 0) {
        printf("test_jpeg_decode: python3-opencv not installed, comparison skipped\n");
        return check_report("test_jpeg_decode");
    }
    char dir[256];
    CHECK(test_make_temp_dir(dir, sizeof dir, "jpeg") != NULL);
    CHECK(run_opencv(dir));
    test_media(dir);
    test_exif(dir);
    test_remove_tree(dir);
    return check_report("test_jpeg_decode");
}
