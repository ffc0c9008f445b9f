/* For _Float128, fmaf128 and sqrtf128 (ISO/IEC TS 18661-3), used to build the table. */
#define __STDC_WANT_IEC_60559_TYPES_EXT__ 1
#include "math/exp_batch.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* The vector path needs x86-64 with GCC or Clang (AVX2/FMA intrinsics, run-time CPU
 * check), a compiler with _Float128 (GCC; __FLT128_MANT_DIG__ tells, Clang 14 has only
 * __float128), glibc (whose exp it reproduces; its libm also provides the _Float128
 * functions) and pthread_once. Otherwise, or with AU_EXP_BATCH_NO_SIMD, every value goes
 * to exp. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && defined(__GLIBC__) &&  \
    defined(__FLT128_MANT_DIG__) && !defined(AU_EXP_BATCH_NO_SIMD)
#define AU_EXP_X86 1
#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#endif

#ifdef AU_EXP_X86

/* glibc's exp (sysdeps/ieee754/dbl-64/e_exp.c, since 2.28), EXP_TABLE_BITS = 7:
 *   kd = x·N/ln2 + shift (one FMA), ki = bits(kd), kd −= shift;
 *   r = x + kd·(−ln2/N)_hi + kd·(−ln2/N)_lo (two FMAs);
 *   tail = T[2(ki mod N)], scale = bits(T[2(ki mod N) + 1] + (ki << 45));
 *   tmp = fma(r², C2 + r·C3, tail + r), then fma(r⁴, C4 + r·C5, tmp) (the inner ones FMAs);
 *   exp(x) = fma(scale, tmp, scale).
 * The constants are those of glibc's __exp_data (checked against libm 2.36's); which
 * operations are fused is what GCC made of e_exp.c in the FMA variant (its disassembly). */
#define EXP_N 128
static const double INV_LN2_N = 0x1.71547652b82fep0 * EXP_N;
static const double SHIFT = 0x1.8p52;
static const double NEG_LN2_HI_N = -0x1.62e42fefa0000p-8;
static const double NEG_LN2_LO_N = -0x1.cf79abc9e3b3ap-47;
static const double C2 = 0x1.ffffffffffdbdp-2, C3 = 0x1.555555555543cp-3;
static const double C4 = 0x1.55555cf172b91p-5, C5 = 0x1.1111167a4d017p-7;

/* tab[2k] = bits(T_k), tab[2k + 1] = bits(H_k) − (k << 45), where H_k is 2^(k/N) rounded
 * to double and T_k = (2^(k/N) − H_k)/H_k rounded to double. */
static uint64_t tab[2 * EXP_N];
static int vector_ok;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
/* Set (release) once init has run, so that the calls after it skip pthread_once. */
static atomic_int init_done;

/* ---- the table: 2^(k/N) in quad-double (two _Float128, ≈ 220 bits) ------------------- *
 * T_k needs 2^(k/N) to far more than the 113 bits of one _Float128: rounding T_k to double
 * from a _Float128 value gets 6 of the 128 entries one unit wrong. */
typedef _Float128 quad;
typedef struct qq {
    quad hi, lo;
} qq;

static qq two_prod(quad a, quad b)
{
    const quad p = a * b;
    return (qq){p, fmaf128(a, b, -p)};
}

static qq fast_two_sum(quad a, quad b)
{
    const quad s = a + b;
    return (qq){s, b - (s - a)};
}

static qq qq_mul(qq x, qq y)
{
    const qq p = two_prod(x.hi, y.hi);
    return fast_two_sum(p.hi, p.lo + (x.hi * y.lo + x.lo * y.hi));
}

/* One Newton step from the correctly rounded _Float128 root doubles its precision. */
static qq qq_sqrt(qq x)
{
    const quad y = sqrtf128(x.hi);
    const qq s = two_prod(y, y);
    return fast_two_sum(y, (((x.hi - s.hi) - s.lo) + x.lo) / (2 * y));
}

static void build_table(void)
{
    qq root[7]; /* root[i] = 2^(2^i/N) */
    qq v = {2, 0};
    for (int i = 6; i >= 0; i--)
        root[i] = v = qq_sqrt(v);
    for (uint64_t k = 0; k < EXP_N; k++) {
        qq p = {1, 0};
        for (int i = 0; i < 7; i++)
            if (k >> i & 1)
                p = qq_mul(p, root[i]);
        const double h = (double)p.hi;
        const double t = (double)(((p.hi - (quad)h) + p.lo) / (quad)h);
        uint64_t hb, tb;
        memcpy(&hb, &h, sizeof hb);
        memcpy(&tb, &t, sizeof tb);
        tab[2 * k] = tb;
        tab[2 * k + 1] = hb - (k << 45);
    }
}

/* ---- four lanes ------------------------------------------------------------------------ */

/* out[0..3] = exp(x[0..3]); lanes outside the fast range go to exp. */
__attribute__((target("avx2,fma"))) static void exp4_avx2(const double *x, double *out)
{
    const __m256d vx = _mm256_loadu_pd(x);
    /* fast range: 0x3c9 <= (top 12 bits & 0x7ff) <= 0x407, i.e. 2^-54 <= |x| < 512 */
    const __m256i top =
        _mm256_and_si256(_mm256_srli_epi64(_mm256_castpd_si256(vx), 52), _mm256_set1_epi64x(0x7ff));
    const __m256i outside =
        _mm256_or_si256(_mm256_cmpgt_epi64(_mm256_set1_epi64x(0x3c9), top),
                        _mm256_cmpgt_epi64(top, _mm256_set1_epi64x(0x407)));
    if (!_mm256_testz_si256(outside, outside)) {
        for (int l = 0; l < 4; l++)
            out[l] = exp(x[l]);
        return;
    }
    const __m256d shift = _mm256_set1_pd(SHIFT);
    __m256d kd = _mm256_fmadd_pd(vx, _mm256_set1_pd(INV_LN2_N), shift);
    const __m256i ki = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    __m256d r = _mm256_fmadd_pd(kd, _mm256_set1_pd(NEG_LN2_HI_N), vx);
    r = _mm256_fmadd_pd(kd, _mm256_set1_pd(NEG_LN2_LO_N), r);
    const __m256i idx = _mm256_slli_epi64(_mm256_and_si256(ki, _mm256_set1_epi64x(EXP_N - 1)), 1);
    const __m256d tail =
        _mm256_castsi256_pd(_mm256_i64gather_epi64((const long long *)tab, idx, 8));
    const __m256i sbits = _mm256_add_epi64(
        _mm256_i64gather_epi64((const long long *)(tab + 1), idx, 8), _mm256_slli_epi64(ki, 45));
    const __m256d r2 = _mm256_mul_pd(r, r);
    __m256d tmp = _mm256_fmadd_pd(_mm256_fmadd_pd(r, _mm256_set1_pd(C3), _mm256_set1_pd(C2)), r2,
                                  _mm256_add_pd(tail, r));
    tmp = _mm256_fmadd_pd(_mm256_mul_pd(r2, r2),
                          _mm256_fmadd_pd(r, _mm256_set1_pd(C5), _mm256_set1_pd(C4)), tmp);
    const __m256d scale = _mm256_castsi256_pd(sbits);
    _mm256_storeu_pd(out, _mm256_fmadd_pd(scale, tmp, scale));
}

/* The vector path must give exp's bits on a spread of arguments: every table entry, both
 * signs, tiny to large magnitudes, and the range of the CCNF activations. */
static int vector_matches_exp(void)
{
    double x[4], v[4];
    uint32_t state = 12345u;
    for (int i = 0; i < 8192; i++) {
        for (int l = 0; l < 4; l++) {
            state = state * 1664525u + 1013904223u;
            const double u = (double)(state >> 8) / 16777216.0; /* [0, 1) */
            x[l] = i < 4096 ? (u - 0.5) * 80.0 : (u - 0.5) * 1400.0 * ldexp(1.0, -(i % 40));
        }
        exp4_avx2(x, v);
        for (int l = 0; l < 4; l++) {
            const double e = exp(x[l]);
            if (memcmp(&e, &v[l], sizeof e) != 0)
                return 0;
        }
    }
    return 1;
}

static void init(void)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return;
    build_table();
    vector_ok = vector_matches_exp();
}

int au_exp_batch_vectorised(void)
{
    if (!atomic_load_explicit(&init_done, memory_order_acquire)) {
        pthread_once(&init_once, init);
        atomic_store_explicit(&init_done, 1, memory_order_release);
    }
    return vector_ok;
}

void au_exp_batch(const double *x, int count, double *out)
{
    if (!au_exp_batch_vectorised()) {
        for (int i = 0; i < count; i++)
            out[i] = exp(x[i]);
        return;
    }
    int i = 0;
    for (; i + 4 <= count; i += 4)
        exp4_avx2(x + i, out + i);
    if (i < count) { /* the last 1–3, padded with an argument of the fast range */
        double xt[4] = {1.0, 1.0, 1.0, 1.0}, ot[4];
        for (int l = 0; l < count - i; l++)
            xt[l] = x[i + l];
        exp4_avx2(xt, ot);
        for (int l = 0; l < count - i; l++)
            out[i + l] = ot[l];
    }
}

#else

int au_exp_batch_vectorised(void)
{
    return 0;
}

void au_exp_batch(const double *x, int count, double *out)
{
    for (int i = 0; i < count; i++)
        out[i] = exp(x[i]);
}

#endif
