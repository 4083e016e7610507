package kernels

import "math"

func (s AttnShape) strides() (qs, kvs, os int) {
	qs, kvs, os = s.QStride, s.KVStride, s.OStride
	if qs == 0 {
		qs = s.NHeads * s.HeadDim
	}
	if kvs == 0 {
		kvs = s.NKVHeads * s.HeadDim
	}
	if os == 0 {
		os = s.NHeads * s.HeadDim
	}
	return
}

func (s AttnShape) check() {
	if s.NHeads <= 0 || s.NKVHeads <= 0 || s.HeadDim <= 0 || s.NHeads%s.NKVHeads != 0 {
		panic("kernels: bad attention heads")
	}
	if s.QPos0 < 0 || s.QPos0+s.NQ > s.NKV {
		panic("kernels: attention query positions beyond the keys")
	}
}

// attentionGeneric is the portable reference for Attention: for each query
// row and head, a streaming pass over keys with an online softmax.
func attentionGeneric(s AttnShape, q, k, v, out, lse []float32) {
	s.check()
	s.checkLens(q, k, v, out, lse)
	qs, kvs, os := s.strides()
	d := s.HeadDim
	group := s.NHeads / s.NKVHeads
	acc := make([]float32, d)
	for i := 0; i < s.NQ; i++ {
		last := s.QPos0 + i
		for h := 0; h < s.NHeads; h++ {
			qh := q[i*qs+h*d : i*qs+h*d+d]
			kvh := (h / group) * d
			m := float32(math.Inf(-1))
			var l float32
			for x := range acc {
				acc[x] = 0
			}
			for j := 0; j <= last; j++ {
				sc := dotGeneric(qh, k[j*kvs+kvh:j*kvs+kvh+d]) * s.Scale
				if sc > m {
					corr := float32(math.Exp(float64(m - sc)))
					l *= corr
					scaleGeneric(corr, acc)
					m = sc
				}
				p := float32(math.Exp(float64(sc - m)))
				l += p
				axpyGeneric(p, v[j*kvs+kvh:j*kvs+kvh+d], acc)
			}
			o := out[i*os+h*d : i*os+h*d+d]
			inv := 1 / l
			for x := range o {
				o[x] = acc[x] * inv
			}
			if lse != nil {
				lse[i*s.NHeads+h] = m + float32(math.Log(float64(l)))
			}
		}
	}
}

// attentionBackwardGeneric is the portable reference for AttentionBackward.
func attentionBackwardGeneric(s AttnShape, q, k, v, out, dout, lse, dq, dk, dv []float32) {
	s.check()
	s.checkLens(q, k, v, out, lse)
	s.checkLens(dq, dk, dv, dout, nil)
	if lse == nil && s.NQ > 0 {
		panic("kernels: AttentionBackward needs the lse saved by Attention")
	}
	qs, kvs, os := s.strides()
	d := s.HeadDim
	group := s.NHeads / s.NKVHeads
	for i := 0; i < s.NQ; i++ {
		last := s.QPos0 + i
		for h := 0; h < s.NHeads; h++ {
			qh := q[i*qs+h*d : i*qs+h*d+d]
			dqh := dq[i*qs+h*d : i*qs+h*d+d]
			do := dout[i*os+h*d : i*os+h*d+d]
			// D = sum_x dO[x]*O[x] = sum_j p_j * (dO . v_j)
			dd := dotGeneric(do, out[i*os+h*d:i*os+h*d+d])
			kvh := (h / group) * d
			ls := lse[i*s.NHeads+h]
			for j := 0; j <= last; j++ {
				kj := k[j*kvs+kvh : j*kvs+kvh+d]
				vj := v[j*kvs+kvh : j*kvs+kvh+d]
				p := float32(math.Exp(float64(dotGeneric(qh, kj)*s.Scale - ls)))
				axpyGeneric(p, do, dv[j*kvs+kvh:j*kvs+kvh+d])
				ds := p * (dotGeneric(do, vj) - dd) * s.Scale
				axpyGeneric(ds, kj, dqh)
				axpyGeneric(ds, qh, dk[j*kvs+kvh:j*kvs+kvh+d])
			}
		}
	}
}
