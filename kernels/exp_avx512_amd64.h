// Shared by the AVX-512 assembly files that need the vector exponential
// (vector_avx512_amd64.s, swiglu_bwd_amd64.s). Include after vector_consts_amd64.h.

// EXP16 replaces Z0 by exp(Z0). Needs Z14 = lo clamp, Z15 = hi clamp;
// clobbers Z1-Z3. Same reduction and polynomial as EXP8; 2^n is applied by
// VSCALEFPS, which rounds once and handles the subnormal range and overflow.
#define EXP16 \
	VMAXPS Z0, Z14, Z0 \
	VMINPS Z0, Z15, Z0 \
	VMULPS K_LOG2E, Z0, Z1 \
	VRNDSCALEPS $0, Z1, Z1 \
	VFMADD231PS K_NLN2HI, Z1, Z0 \
	VFMADD231PS K_NLN2LO, Z1, Z0 \
	VMOVUPS K_C7, Z3 \
	VFMADD213PS K_C6, Z0, Z3 \
	VFMADD213PS K_C5, Z0, Z3 \
	VFMADD213PS K_C4, Z0, Z3 \
	VFMADD213PS K_C3, Z0, Z3 \
	VFMADD213PS K_C2, Z0, Z3 \
	VMULPS Z0, Z0, Z2 \
	VFMADD213PS Z0, Z2, Z3 \
	VADDPS K_ONE, Z3, Z3 \
	VSCALEFPS Z1, Z3, Z0
