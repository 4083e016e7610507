package kernels

// The few-rows path: C = alpha*op(A)*W^T + beta*C for a handful of rows of
// op(A) (batched decode, short prefill) with W stored [N,K], computed with
// the rows4 GEMV kernels so W is streamed once and never packed.

// W is read 4 rows at a time against every 4-row group of X. Taken up to smallMMax rows, or up to gemvArch.mediumM rows while
// the interleaved X (m*k floats) fits in half of L2 (mediumXFloats).
const (
	smallMMax     = 8
	mediumXFloats = 128 << 10
)

// useSmallM reports whether the few-rows path serves C = X*W^T for m rows
// of depth k (dotFirst: a bf16 dot-product GEMM is available and preferred
// beyond smallMMax).
func useSmallM(ga *gemvArch, transB bool, m, k int, dotFirst bool) bool {
	if !transB || ga.rows4[0] == nil {
		return false
	}
	if m <= smallMMax {
		return true
	}
	return !dotFirst && m <= ga.mediumM && m*k <= mediumXFloats
}

// opA returns op(A)[i][p].
func (g *gemvCall) opA(i, p int) float32 {
	if g.transA {
		return g.a[p*g.lda+i]
	}
	return g.a[i*g.lda+p]
}

// gemvSmallM computes C = alpha*op(A)*op(B) + beta*C for a few rows m (see
// useSmallM) with B stored n×k: op(A) is interleaved once into 4-row groups,
// then every 4 rows of B meet every group. The arguments must already be
// validated by checkGemm.
func gemvSmallM(ga *gemvArch, transA bool, m, n, k int, alpha float32, a []float32, lda int, bs bSource, beta float32, c []float32, ldc int) {
	if n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	g := gemvCallPool.Get().(*gemvCall)
	g.ga, g.bs, g.et, g.n, g.k, g.alpha, g.beta = ga, bs, bs.elemIndex(), n, k, alpha, beta
	g.transA, g.a, g.lda, g.c, g.ldc = transA, a, lda, c, ldc
	kMain := k &^ 15
	groups := (m + 3) / 4
	xb := getBuf(groups*4*kMain + 16)
	x4 := xb.s[:groups*4*kMain]
	for gi := 0; gi < groups; gi++ {
		xg := x4[gi*4*kMain : (gi+1)*4*kMain]
		for i := 0; i < 4; i++ {
			row := 4*gi + i
			for cc := 0; cc < kMain/16; cc++ {
				d := xg[(4*cc+i)*16 : (4*cc+i)*16+16]
				if row >= m {
					clear(d)
					continue
				}
				for q := range d {
					d[q] = g.opA(row, 16*cc+q)
				}
			}
		}
	}
	g.x4, g.mi = x4, m
	if Workers() > 1 && 2*float64(n)*float64(k)*float64(m) >= gemvFlopsSerial {
		ParallelFor((n+3)/4, 4, g.rows4Fn)
	} else {
		g.rows4(0, (n+3)/4)
	}
	putBuf(xb)
	g.a, g.c, g.x4, g.bs = nil, nil, nil, bSource{}
	gemvCallPool.Put(g)
}

// rows4 computes the outputs of rows [4*lo, 4*hi) of B (n×k) for every
// 4-row group of op(A) (g.mi rows in all).
func (g *gemvCall) rows4(lo, hi int) {
	bs, k, ld := &g.bs, g.k, g.bs.ld
	kMain := k &^ 15
	groups := (g.mi + 3) / 4
	ob := getBuf(16)
	defer putBuf(ob)
	out := ob.s[:16]
	for j0 := 4 * lo; j0 < min(4*hi, g.n); j0 += 4 {
		cnt := min(4, g.n-j0)
		for gi := 0; gi < groups; gi++ {
			if kMain > 0 {
				g.ga.rows4[g.et](kMain, &g.x4[gi*4*kMain], bs.ptr(j0*ld), ld, cnt, &out[0])
			} else {
				clear(out)
			}
			for r := 0; r < cnt; r++ {
				base := (j0 + r) * ld
				for i := 0; i < min(4, g.mi-4*gi); i++ {
					row := 4*gi + i
					s := out[4*r+i]
					for p := kMain; p < k; p++ {
						s += g.opA(row, p) * bs.at(base+p)
					}
					dst := &g.c[row*g.ldc+j0+r]
					if g.beta == 0 {
						*dst = g.alpha * s
					} else {
						*dst = g.alpha*s + g.beta**dst
					}
				}
			}
		}
	}
}
