/* Little-endian numbers in byte buffers, independent of the host's byte order: the binary
 * files auface reads and writes (OpenFace's ReadMatBin records, AU .dat models, CCNF patch
 * experts, the validator, MTCNN networks, .hog features) store int32, float32 and float64 in
 * the little-endian order of the x86 machines that wrote them. Thread-safe, no allocation;
 * the pointers need no alignment. */
#ifndef AU_COMMON_LE_BYTES_H
#define AU_COMMON_LE_BYTES_H

#include <stdint.h>

/* The 4- or 8-byte value stored at p. */
uint32_t au_le_u32(const unsigned char *p);
int32_t au_le_i32(const unsigned char *p);
float au_le_f32(const unsigned char *p);
double au_le_f64(const unsigned char *p);

/* Stores v at p (4 bytes). */
void au_le_put_u32(unsigned char *p, uint32_t v);
void au_le_put_f32(unsigned char *p, float v);

#endif
