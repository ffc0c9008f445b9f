#include "common/le_bytes.h"

#include <string.h>

uint32_t au_le_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int32_t au_le_i32(const unsigned char *p)
{
    uint32_t u = au_le_u32(p);
    int32_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

float au_le_f32(const unsigned char *p)
{
    uint32_t u = au_le_u32(p);
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

double au_le_f64(const unsigned char *p)
{
    uint64_t u = (uint64_t)au_le_u32(p) | (uint64_t)au_le_u32(p + 4) << 32;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

void au_le_put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

void au_le_put_f32(unsigned char *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    au_le_put_u32(p, u);
}
