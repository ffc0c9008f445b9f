#include "landmark/clnf_rlms.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "landmark/ccnf.h"
#include "landmark/clnf_pdm_ops.h"
#include "math/cholesky.h"
#include "math/exp_batch.h"
#include "math/openblas_gram.h"

/* x86-64 with GCC or Clang: an AVX path for the mean shifts of eight landmarks, chosen at
 * run time. Define AU_RLMS_NO_SIMD to build only the portable code. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(AU_RLMS_NO_SIMD)
#define AU_RLMS_X86 1
#include <immintrin.h>
#endif

/* NU_RLMS: if (norm(current_shape, previous_shape) < 0.01) break */
#define CONVERGENCE_PX 0.01
/* NU_RLMS: loglhood += log(sum + 1e-8), "the offset is there for numerical stability" */
#define LOG_EPSILON 1e-8
/* Cells of a response-map row whose exps au_clnf_landmark_likelihood takes together. */
#define LHOOD_CHUNK 32
/* NU_RLMS: landmark_lhoods = cv::Mat_<float>(n, 1, -1e8) */
#define INVISIBLE_LHOOD (-1e8f)

auface_status au_clnf_kde_build(au_clnf_kde *k, int ws, float a, au_err *err)
{
    memset(k, 0, sizeof *k);
    if (ws < 1 || ws > AU_CCNF_MAX_WINDOW)
        return au_fail(err, AUFACE_ERR_ARG, "CLNF KDE: window size %d outside 1..%d", ws,
                       AU_CCNF_MAX_WINDOW);
    const float step = AU_CLNF_KDE_STEP;
    /* for (x = 0; x < resp_size/step_size; x++): the bound is a float quotient */
    const float bound = (float)ws / step;
    int loop = 0;
    while ((float)loop < bound)
        loop++;
    /* rows: (int)((resp_size/step_size)·(resp_size/step_size)); row stride of the lookup:
     * (int)(resp_size/step_size + 0.5) */
    const int rows = (int)(bound * bound);
    const int grid = (int)((double)bound + 0.5);
    if (loop != grid || rows != grid * grid)
        return au_fail(err, AUFACE_ERR_INTERNAL,
                       "CLNF KDE: window %d gives %d grid steps, %d rows and a lookup stride "
                       "of %d; they must agree",
                       ws, loop, rows, grid);
    const int cells = ws * ws;
    float *t = malloc((size_t)rows * cells * sizeof *t);
    if (!t)
        return au_fail(err, AUFACE_ERR_NOMEM, "CLNF KDE: out of memory for a %d x %d table",
                       rows, cells);
    float *it = t;
    for (int x = 0; x < grid; x++) {
        const float dx = (float)x * step;
        for (int y = 0; y < grid; y++) {
            const float dy = (float)y * step;
            for (int ii = 0; ii < ws; ii++) {
                const float vx = (dy - (float)ii) * (dy - (float)ii);
                for (int jj = 0; jj < ws; jj++) {
                    const float vy = (dx - (float)jj) * (dx - (float)jj);
                    *it++ = (float)exp((double)(a * (vx + vy)));
                }
            }
        }
    }
    k->ws = ws;
    k->grid = grid;
    k->a = a;
    k->table = t;
    return AUFACE_OK;
}

void au_clnf_kde_free(au_clnf_kde *k)
{
    if (!k)
        return;
    free(k->table);
    memset(k, 0, sizeof *k);
}

/* The position (dx, dy) clamped to [0, ws − 0.1f] (into *cx, *cy) and the KDE table row of
 * the nearest grid point: row = (int)(dx/0.1f + 0.5), col = (int)(dy/0.1f + 0.5) (float
 * division, + 0.5 in double, truncation). */
static const float *kde_row(const au_clnf_kde *k, float dx, float dy, float *cx, float *cy)
{
    const float step = AU_CLNF_KDE_STEP;
    const float top = (float)k->ws - step; /* resp_size - step_size, in float */
    if (dx < 0)
        dx = 0;
    if (dy < 0)
        dy = 0;
    if (dx > top)
        dx = top;
    if (dy > top)
        dy = top;
    const int col = (int)((double)(dy / step) + 0.5);
    const int row = (int)((double)(dx / step) + 0.5);
    *cx = dx;
    *cy = dy;
    return k->table + ((size_t)row * k->grid + col) * (size_t)(k->ws * k->ws);
}

void au_clnf_mean_shift(const au_clnf_kde *k, const float *resp, float dx, float dy, float *msx,
                        float *msy)
{
    const int ws = k->ws;
    const float *kde = kde_row(k, dx, dy, &dx, &dy);
    float mx = 0.0f, my = 0.0f, sum = 0.0f;
    for (int ii = 0; ii < ws; ii++) {
        const float *r = resp + ii * ws, *kr = kde + ii * ws;
        for (int jj = 0; jj < ws; jj++) {
            const float v = r[jj] * kr[jj];
            sum += v;
            mx += v * (float)jj;
            my += v * (float)ii;
        }
    }
    *msx = mx / sum - dx;
    *msy = my / sum - dy;
}

/* The three sums of mean_shift for `lanes` landmarks side by side (r, kde: the maps and
 * KDE rows of each lane): every lane has its own float chains in mean_shift's order. */
static void mean_shift_sums(const float *const r[], const float *const kde[], int lanes, int ws,
                            float mx[], float my[], float sum[])
{
    for (int l = 0; l < lanes; l++)
        mx[l] = my[l] = sum[l] = 0.0f;
    for (int ii = 0; ii < ws; ii++)
        for (int jj = 0; jj < ws; jj++) {
            const int q = ii * ws + jj;
            for (int l = 0; l < lanes; l++) {
                const float v = r[l][q] * kde[l][q];
                sum[l] += v;
                mx[l] += v * (float)jj;
                my[l] += v * (float)ii;
            }
        }
}

#ifdef AU_RLMS_X86
/* Lane l of column t of v becomes lane t of row l (an 8x8 float transpose). */
__attribute__((target("avx2"))) static void transpose8(__m256 v[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int i = 0; i < 4; i++) {
        v[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        v[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* mean_shift_sums for eight lanes with AVX: the products of eight cells of each landmark
 * are taken as one vector, transposed so that a vector holds one cell of all eight
 * landmarks, and added in cell order; each product is rounded before its addition (no fused
 * multiply-add), as in the scalar code. The scalar mean_shift is one chain of three float
 * additions per cell (latency-bound); here eight landmarks share each addition. */
__attribute__((target("avx2"))) static void
mean_shift_sums8_avx2(const float *const r[8], const float *const kde[8], int ws, float mx[8],
                      float my[8], float sum[8])
{
    const int cells = ws * ws;
    __m256 s = _mm256_setzero_ps(), x = s, y = s;
    int q = 0;
    for (; q + 8 <= cells; q += 8) {
        __m256 v[8];
        for (int l = 0; l < 8; l++)
            v[l] = _mm256_mul_ps(_mm256_loadu_ps(r[l] + q), _mm256_loadu_ps(kde[l] + q));
        transpose8(v);
        for (int t = 0; t < 8; t++) {
            const int ii = (q + t) / ws, jj = (q + t) % ws;
            s = _mm256_add_ps(s, v[t]);
            x = _mm256_add_ps(x, _mm256_mul_ps(v[t], _mm256_set1_ps((float)jj)));
            y = _mm256_add_ps(y, _mm256_mul_ps(v[t], _mm256_set1_ps((float)ii)));
        }
    }
    for (; q < cells; q++) {
        const int ii = q / ws, jj = q % ws;
        float c[8];
        for (int l = 0; l < 8; l++)
            c[l] = r[l][q] * kde[l][q];
        const __m256 v = _mm256_loadu_ps(c);
        s = _mm256_add_ps(s, v);
        x = _mm256_add_ps(x, _mm256_mul_ps(v, _mm256_set1_ps((float)jj)));
        y = _mm256_add_ps(y, _mm256_mul_ps(v, _mm256_set1_ps((float)ii)));
    }
    _mm256_storeu_ps(mx, x);
    _mm256_storeu_ps(my, y);
    _mm256_storeu_ps(sum, s);
}
#endif

/* Mean shifts of up to `lanes` (4 or 8) landmarks; missing lanes repeat lane 0, results
 * unused. */
static void mean_shift_lanes(const au_clnf_kde *k, const float *const resp[], const float dx[],
                             const float dy[], int count, int lanes, float msx[], float msy[])
{
    const float *r[8], *kde[8];
    float cx[8] = {0}, cy[8] = {0}, mx[8] = {0}, my[8] = {0}, sum[8] = {0};
    if (count > lanes)
        count = lanes;
    for (int l = 0; l < lanes; l++) {
        const int src = l < count ? l : 0;
        r[l] = resp[src];
        kde[l] = kde_row(k, dx[src], dy[src], &cx[l], &cy[l]);
    }
#ifdef AU_RLMS_X86
    if (lanes == 8 && __builtin_cpu_supports("avx2"))
        mean_shift_sums8_avx2(r, kde, k->ws, mx, my, sum);
    else
#endif
        mean_shift_sums(r, kde, lanes, k->ws, mx, my, sum);
    for (int l = 0; l < count; l++) {
        msx[l] = mx[l] / sum[l] - cx[l];
        msy[l] = my[l] / sum[l] - cy[l];
    }
}

void au_clnf_mean_shift4(const au_clnf_kde *k, const float *const resp[4], const float dx[4],
                         const float dy[4], int count, float msx[4], float msy[4])
{
    mean_shift_lanes(k, resp, dx, dy, count, 4, msx, msy);
}

void au_clnf_mean_shift8(const au_clnf_kde *k, const float *const resp[8], const float dx[8],
                         const float dy[8], int count, float msx[8], float msy[8])
{
    mean_shift_lanes(k, resp, dx, dy, count, 8, msx, msy);
}

float au_clnf_landmark_likelihood(const float *resp, int ws, float dx, float dy, float sigma)
{
    const double sigma_sq = (double)(sigma * sigma); /* float product */
    float sum = 0.0f;
    for (int ii = 0; ii < ws; ii++) {
        const float vx = (dy - (float)ii) * (dy - (float)ii);
        /* v *= exp(-0.5*(vx+vy)/(sigma*sigma)), the exps of up to LHOOD_CHUNK cells of a
         * row taken together */
        for (int j0 = 0; j0 < ws; j0 += LHOOD_CHUNK) {
            const int cnt = ws - j0 < LHOOD_CHUNK ? ws - j0 : LHOOD_CHUNK;
            double arg[LHOOD_CHUNK], e[LHOOD_CHUNK];
            for (int t = 0; t < cnt; t++) {
                const float jj = (float)(j0 + t);
                const float vy = (dx - jj) * (dx - jj);
                arg[t] = -0.5 * (double)(vx + vy) / sigma_sq;
            }
            au_exp_batch(arg, cnt, e);
            for (int t = 0; t < cnt; t++) {
                const float v = (float)((double)resp[ii * ws + j0 + t] * e[t]);
                sum += v;
            }
        }
    }
    return sum;
}

/* p·Mᵀ for a 2-vector p and a 2x2 matrix M (cv::gemm with GEMM_2_T and an inner size of 2:
 * one double accumulator per element, rounded to float). */
static void times_transposed(const float M[4], float x, float y, float *ox, float *oy)
{
    double sx = 0, sy = 0;
    sx += (double)x * M[0];
    sx += (double)y * M[1];
    sy += (double)x * M[2];
    sy += (double)y * M[3];
    *ox = (float)sx;
    *oy = (float)sy;
}

float au_clnf_nu_rlms(const au_clnf_rlms_setup *s, float global[6], float *local,
                      float *landmark_lhoods, au_clnf_rlms_scratch *w)
{
    const au_pdm *pdm = s->pdm;
    const int n = pdm->n, m = pdm->m, rows = 2 * n;
    const int cols = s->rigid ? 6 : 6 + m, padded = (cols + 7) / 8 * 8;
    const int ws = s->ws, cells = ws * ws;
    const float half = (float)((ws - 1) / 2); /* (resp_size-1)/2, an integer */

    /* regTerm: zeros (rigid) or diag(0,…,0, reg_factor/λ_j) (float division) */
    for (int c = 0; c < cols; c++)
        w->reg_diag[c] = c < 6 ? 0.0f : s->reg / pdm->eig[c - 6];

    /* Jacob_t_w: the weighted Jacobian is used in the rigid pass always, in the non-rigid
     * pass only if cv::trace(W) != W.rows (PDM::ComputeJacobian) */
    int weighted = s->weights != NULL;
    if (weighted && !s->rigid) {
        double trace = 0;
        for (int r = 0; r < rows; r++)
            trace += s->weights[r % n];
        weighted = trace != (double)rows;
    }
    const float *Jw = weighted ? w->Jw : w->J;

    for (int iter = 0; iter < s->iterations; iter++) {
        au_clnf_shape3d(pdm, s->pc_t, local, w->shape3d);
        au_clnf_shape2d_from_3d(w->shape3d, n, global, w->shape);
        if (iter > 0 && au_pdm_shape_distance(w->shape, w->prev, rows) < CONVERGENCE_PX)
            break;
        memcpy(w->prev, w->shape, (size_t)rows * sizeof(float));

        au_pdm_jacobian(pdm, w->shape3d, global, s->rigid, w->J);
        if (weighted) /* with J's zero padding, which the Hessian kernel reads */
            for (int r = 0; r < rows; r++) {
                const float wr = s->weights[r % n];
                for (int c = 0; c < padded; c++)
                    w->Jw[r * AU_PDM_JSTRIDE + c] = w->J[r * AU_PDM_JSTRIDE + c] * wr;
            }

        /* offsets of the current shape from the base, in response-map pixels */
        for (int i = 0; i < n; i++) {
            const float ddx = w->shape[i] - s->base[i], ddy = w->shape[n + i] - s->base[n + i];
            float ox, oy;
            times_transposed(s->img_to_ref, ddx, ddy, &ox, &oy);
            w->dxs[i] = ox + half;
            w->dys[i] = oy + half;
        }

        /* mean shifts, mapped back to the image; invisible points contribute nothing */
        int batch[8], nb = 0;
        for (int i = 0; i <= n; i++) {
            if (i < n && !s->visible[i]) {
                w->shifts[i] = w->shifts[n + i] = 0.0f;
                const size_t rx = (size_t)i * AU_PDM_JSTRIDE, ry = (size_t)(n + i) * AU_PDM_JSTRIDE;
                memset(w->J + rx, 0, (size_t)cols * sizeof(float));
                memset(w->J + ry, 0, (size_t)cols * sizeof(float));
                if (weighted) {
                    memset(w->Jw + rx, 0, (size_t)cols * sizeof(float));
                    memset(w->Jw + ry, 0, (size_t)cols * sizeof(float));
                }
                continue;
            }
            if (i < n)
                batch[nb++] = i;
            if (nb == 8 || (i == n && nb > 0)) {
                const float *resp[8];
                float bx[8], by[8], msx[8], msy[8];
                for (int l = 0; l < nb; l++) {
                    resp[l] = s->responses + (size_t)batch[l] * cells;
                    bx[l] = w->dxs[batch[l]];
                    by[l] = w->dys[batch[l]];
                }
                au_clnf_mean_shift8(s->kde, resp, bx, by, nb, msx, msy);
                for (int l = 0; l < nb; l++)
                    times_transposed(s->ref_to_img, msx[l], msy[l], &w->shifts[batch[l]],
                                     &w->shifts[n + batch[l]]);
                nb = 0;
            }
        }

        /* rhs = J_w_t·m, minus the prior regTerm·p (one cv::gemm; none in the rigid pass,
         * whose 6 columns have no modes) */
        au_pdm_gradient(Jw, rows, cols, w->shifts, w->reg_diag, local, w->rhs);
        au_openblas_gram_f32(w->J, Jw, rows, cols, AU_PDM_JSTRIDE, w->reg_diag, w->H,
                             &w->gram_plan);
        au_cholesky_solve_f32(w->H, cols, w->rhs); /* Δ = 0 if H is not positive definite */
        au_pdm_update_parameters(w->rhs, cols, m, local, global);
        au_clnf_clamp_local(pdm, local);
    }

    if (!s->compute_likelihood)
        return 0.0f;
    float loglhood = 0.0f;
    int visible = 0;
    for (int i = 0; i < n; i++) {
        if (!s->visible[i]) {
            landmark_lhoods[i] = INVISIBLE_LHOOD;
            continue;
        }
        visible += s->visible[i]; /* sum(visibilities) */
        const float L = au_clnf_landmark_likelihood(s->responses + (size_t)i * cells, ws,
                                                    w->dxs[i], w->dys[i], s->sigma);
        landmark_lhoods[i] = L;
        loglhood = (float)((double)loglhood + log((double)L + LOG_EPSILON));
    }
    return (float)((double)loglhood / (double)visible);
}
