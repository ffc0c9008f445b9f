/* A built-in 5x7 bitmap font for the labels of the annotated video: ASCII 0x20..0x5F
 * (space, digits, upper-case letters, punctuation); lower-case letters are drawn as
 * upper-case, anything else as '?'. Read-only data, no state. */
#ifndef AU_IO_FONT5X7_H
#define AU_IO_FONT5X7_H

#include <stdint.h>

#define AU_FONT5X7_WIDTH 5
#define AU_FONT5X7_HEIGHT 7
/* Horizontal distance between the starts of two characters, in font pixels (1 of spacing). */
#define AU_FONT5X7_ADVANCE 6

/* The 7 rows of character `c`, top to bottom; in each row bit 4 is the leftmost column and
 * bit 0 the rightmost. Never NULL. */
const uint8_t *au_font5x7_glyph(char c);

#endif
