/* printf's "%.*f" for the CSV writers, byte for byte, without printf.
 *
 * Why: a row of OpenFace's CSV is 714 numbers; formatting them with fprintf took about a
 * third of the sequencer's time per frame (1.4 M of its 3.1 M instructions), and the
 * sequencer is the one thread every frame passes through in order.
 *
 * How: a finite double is exactly m·2^e (m < 2^53); for |v| < 2^33 and up to 9 decimals,
 * m·10^decimals fits in 128 bits, so the digits are that product shifted right by −e, rounded
 * half to even on the exact remainder — what glibc's printf does in the default rounding
 * mode. Other values (NaN, infinities, larger magnitudes or more decimals) go to snprintf.
 * The sign is kept as printf keeps it: −0.0 and negatives that round to zero print "-0.000". */
#ifndef AU_IO_FIXED_DECIMAL_H
#define AU_IO_FIXED_DECIMAL_H

/* Room for any result of au_format_fixed, terminating NUL included (snprintf's "%.9f" of
 * −DBL_MAX is 320 characters). */
#define AU_FIXED_DECIMAL_MAX 330

/* Writes snprintf(out, AU_FIXED_DECIMAL_MAX, "%.*f", decimals, v) into `out` (decimals
 * >= 0) and returns its length. */
int au_format_fixed(char *out, double v, int decimals);

#endif
