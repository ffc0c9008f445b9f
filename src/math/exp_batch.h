/* exp of many doubles at once, with the bits of the C library's exp.
 *
 * The CCNF response takes exp of every neuron activation (≈ 200 000 calls per CLNF
 * frame); a call to libm's exp costs ≈ 30 instructions, most of them the call and the
 * errno wrapper. On x86-64 glibc (2.28 or later) with AVX2 and FMA, glibc's exp is ARM's
 * optimized-routines algorithm (a 128-entry table of 2^(k/128) and a degree-5
 * polynomial) in the variant compiled with FMA; au_exp_batch evaluates that algorithm,
 * with the same fused and unfused operations, four lanes per instruction. Arguments
 * outside its fast range (|x| < 2^-54, |x| >= 512, infinities, NaN) go to exp itself.
 *
 * The table is computed once, in quad-double arithmetic, and the vector path is then
 * checked against exp on a few thousand arguments; if any differs (another libm, another
 * glibc algorithm) au_exp_batch calls exp for everything. Either way every result has
 * the bits exp gives. Thread-safe; allocates nothing. */
#ifndef AU_MATH_EXP_BATCH_H
#define AU_MATH_EXP_BATCH_H

/* out[i] = exp(x[i]) for i < count, bit for bit. */
void au_exp_batch(const double *x, int count, double *out);

/* 1 when au_exp_batch uses its vector path on this machine (for the tests). */
int au_exp_batch_vectorised(void);

#endif
