// Writes kernels/testdata/quant_ref.bin: inputs, and for each of Q8_0, Q4_0, Q4_K, Q6_K, Q8_K
// the blocks of ggml's reference quantizer (quantize_row_*_ref) and ggml's dequantization of
// them, computed by llama.cpp's own libggml-base (see scripts/quantref/quantref.sh).
// The Go tests (kernels/quant_ref_test.go) must reproduce both byte for byte / bit for bit.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void quantize_row_q8_0_ref(const float *x, void *y, int64_t k);
void quantize_row_q4_0_ref(const float *x, void *y, int64_t k);
void quantize_row_q4_K_ref(const float *x, void *y, int64_t k);
void quantize_row_q6_K_ref(const float *x, void *y, int64_t k);
void quantize_row_q8_K_ref(const float *x, void *y, int64_t k);
void dequantize_row_q8_0(const void *x, float *y, int64_t k);
void dequantize_row_q4_0(const void *x, float *y, int64_t k);
void dequantize_row_q4_K(const void *x, float *y, int64_t k);
void dequantize_row_q6_K(const void *x, float *y, int64_t k);
void dequantize_row_q8_K(const void *x, float *y, int64_t k);

static uint64_t s = 0x9E3779B97F4A7C15ull;
static double uni(void) { // xorshift64*, in [0,1)
	s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
	return (double)((s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(uni() + 1e-300)) * cos(6.283185307179586 * uni()); }

#define NSB 32
#define N (NSB * 256)

int main(int argc, char **argv) {
	static float x[N], deq[N];
	static uint8_t q[N * 2];
	for (int b = 0; b < NSB; b++) {
		float *v = x + 256 * b;
		for (int i = 0; i < 256; i++) {
			double g = gauss();
			switch (b % 12) {
			case 0: v[i] = g; break;                                   // unit normal
			case 1: v[i] = 0.02 * g; break;                            // typical weights
			case 2: v[i] = 2 * uni() - 1; break;                       // uniform
			case 3: v[i] = 0.02 * g + (i == 77 ? 1.5 : 0); break;      // one outlier
			case 4: v[i] = 0; break;                                   // all zero
			case 5: v[i] = fabs(g) + 0.5; break;                       // all positive, offset
			case 6: v[i] = -fabs(g) - 0.25; break;                     // all negative
			case 7: v[i] = 0.3f; break;                                // constant
			case 8: v[i] = 1e-20 * g; break;                           // tiny
			case 9: v[i] = g * pow(10, (i / 32) % 4 - 2); break;       // sub-block magnitudes differ
			case 10: v[i] = (i % 32 == 0) ? 0 : 0.001 * g; break;      // zeros mixed in
			default: v[i] = 30 * g * g * g; break;                     // heavy tails
			}
		}
	}
	FILE *f = fopen(argv[1], "wb");
	if (!f) return 1;
	uint32_t n = N;
	fwrite("QREF", 1, 4, f);
	fwrite(&n, 4, 1, f);
	fwrite(x, 4, N, f);
	struct { uint32_t id, bytes; void (*q)(const float *, void *, int64_t); void (*dq)(const void *, float *, int64_t); } t[] = {
		{1, N / 32 * 34, quantize_row_q8_0_ref, dequantize_row_q8_0},
		{2, N / 32 * 18, quantize_row_q4_0_ref, dequantize_row_q4_0},
		{3, N / 256 * 144, quantize_row_q4_K_ref, dequantize_row_q4_K},
		{4, N / 256 * 210, quantize_row_q6_K_ref, dequantize_row_q6_K},
		{5, N / 256 * 292, quantize_row_q8_K_ref, dequantize_row_q8_K},
	};
	for (int i = 0; i < 5; i++) {
		memset(q, 0, sizeof q);
		t[i].q(x, q, N);
		t[i].dq(q, deq, N);
		fwrite(&t[i].id, 4, 1, f);
		fwrite(&t[i].bytes, 4, 1, f);
		fwrite(q, 1, t[i].bytes, f);
		fwrite(deq, 4, N, f);
	}
	return fclose(f) != 0;
}
