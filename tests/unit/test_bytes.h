/* Binary test files built byte by byte: values stored little-endian, as in OpenFace's and
 * OpenCV's binary model files (written by x86 builds), either in place or appended to a
 * growing byte string.
 *
 * Header-only (see test_files.h for why). */
#ifndef AU_TEST_BYTES_H
#define AU_TEST_BYTES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Stores v at p (4 bytes, little-endian). */
static inline void test_put_le32(unsigned char *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

/* Stores the bits of v at p (4 bytes, little-endian). */
static inline void test_put_le32f(unsigned char *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    test_put_le32(p, (int32_t)u);
}

/* Stores the bits of v at p (8 bytes, little-endian). */
static inline void test_put_le64d(unsigned char *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

/* A growing byte string; start from {0}, release p with free(). The tests that use it stop
 * at the first failed allocation anyway, so running out of memory aborts. */
typedef struct test_bytes {
    unsigned char *p;
    size_t n, cap;
} test_bytes;

/* Room for `more` bytes at the end; returns where they go. */
static inline unsigned char *test_bytes_grow(test_bytes *b, size_t more)
{
    if (b->n + more > b->cap) {
        b->cap = (b->n + more) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    unsigned char *at = b->p + b->n;
    b->n += more;
    return at;
}

static inline void test_bytes_i32(test_bytes *b, int32_t v)
{
    test_put_le32(test_bytes_grow(b, 4), v);
}

static inline void test_bytes_f32(test_bytes *b, float v)
{
    test_put_le32f(test_bytes_grow(b, 4), v);
}

static inline void test_bytes_f64(test_bytes *b, double v)
{
    test_put_le64d(test_bytes_grow(b, 8), v);
}

#endif
