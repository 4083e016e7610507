package kernels

import (
	"encoding/binary"
	"math"
)

// The reference quantizers, one block each: ggml's quantize_row_*_ref
// (ggml-quants.c) step for step in float32. See quant.go.

// quantQ8_0: d = amax/127, q = roundf(x/d) (ties away from zero).
func quantQ8_0(y []byte, x []float32) {
	var amax float32
	for _, v := range x[:32] {
		amax = max(amax, abs32(v))
	}
	d := amax / 127
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(y, 0, d)
	for j, v := range x[:32] {
		y[2+j] = byte(int8(math.Round(float64(v * id))))
	}
}

// quantQ4_0: d = max/-8 with max the value of largest magnitude,
// q = min(15, trunc(x/d + 8.5)).
func quantQ4_0(y []byte, x []float32) {
	var amax, mx float32
	for _, v := range x[:32] {
		if amax < abs32(v) {
			amax, mx = abs32(v), v
		}
	}
	d := mx / -8
	var id float32
	if d != 0 {
		id = 1 / d
	}
	putF16(y, 0, d)
	for j := range 16 {
		x0, x1 := x[j]*id, x[16+j]*id
		y[2+j] = min(15, uint8(int8(x0+8.5))) | min(15, uint8(int8(x1+8.5)))<<4
	}
}

// quantQ8K: the activation format: iscale = -127/max, q = min(127,
// nearest(x*iscale)), bsums of 16, d = 1/iscale. (ggml leaves bsums
// unwritten for an all-zero block; here they are zero.)
func quantQ8K(y []byte, x []float32) {
	var amax, mx float32
	for _, v := range x[:256] {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	clear(y[:292])
	if amax == 0 {
		return
	}
	iscale := -127 / mx
	for j, v := range x[:256] {
		y[4+j] = byte(int8(min(127, nearestInt(iscale*v))))
	}
	for g := range 16 {
		s := 0
		for _, q := range y[4+16*g : 4+16*g+16] {
			s += int(int8(q))
		}
		binary.LittleEndian.PutUint16(y[260+2*g:], uint16(int16(s)))
	}
	binary.LittleEndian.PutUint32(y, math.Float32bits(1/iscale))
}

// quantQ4K: per sub-block of 32, weights av_x+|x| and make_qkx2_quants
// (nmax 15, rmin -1, rdelta 0.1, 20 steps); the 8 scales and mins rounded
// to 6 bits against their maxima; then every value requantized with the
// rounded scale and min (sub-blocks whose scale rounds to 0 keep the
// levels make_qkx2_quants chose).
func quantQ4K(y []byte, x []float32) {
	var L [256]uint8
	var laux [32]uint8
	var weights [32]float32
	var scales, mins [8]float32
	var maxScale, maxMin float32
	for j := range 8 {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := sqrt32(sumX2 / 32)
		for l, v := range xs {
			weights[l] = avX + abs32(v)
		}
		scales[j], mins[j] = makeQKX2(15, xs, weights[:], L[32*j:32*j+32], laux[:], -1, 0.1, 20)
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	sc := y[4:16]
	clear(sc)
	for j := range 8 {
		ls := min(63, uint8(nearestInt(invScale*scales[j])))
		lm := min(63, uint8(nearestInt(invMin*mins[j])))
		if j < 4 {
			sc[j], sc[j+4] = ls, lm
		} else {
			sc[j+4] = ls&0xF | (lm&0xF)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	putF16(y, 0, maxScale/63)
	putF16(y, 2, maxMin/63)
	d0, m0 := f16At(y, 0), f16At(y, 2)
	for j := range 8 {
		s, m := scaleMinK4(j, sc)
		d := d0 * float32(s)
		if d == 0 {
			continue
		}
		dm := m0 * float32(m)
		for i := range 32 {
			L[32*j+i] = uint8(min(15, max(0, nearestInt((x[32*j+i]+dm)/d))))
		}
	}
	q := y[16:144]
	for j := 0; j < 4; j++ {
		for l := range 32 {
			q[32*j+l] = L[64*j+l] | L[64*j+32+l]<<4
		}
	}
}

// makeQKX2 is ggml's make_qkx2_quants with use_mad false: levels 0..nmax
// for x = scale*L - min chosen by weighted least squares over nstep+1
// trial scales. It returns the scale and the (non-negative) min.
func makeQKX2(nmax int, x, w []float32, L, laux []uint8, rmin, rdelta float32, nstep int) (float32, float32) {
	n := len(x)
	mn, mx := x[0], x[0]
	sumW := w[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < mn {
			mn = x[i]
		}
		if x[i] > mx {
			mx = x[i]
		}
		sumW += w[i]
		sumX += float32(w[i] * x[i])
	}
	if mn > 0 {
		mn = 0
	}
	if mx == mn {
		clear(L[:n])
		return 0, -mn
	}
	fmax := float32(nmax)
	iscale := fmax / (mx - mn)
	scale := 1 / iscale
	var bestErr float32
	for i := range n {
		L[i] = uint8(min(nmax, max(0, nearestInt(iscale*(x[i]-mn)))))
		diff := float32(float32(scale*float32(L[i]))+mn) - x[i]
		bestErr += float32(w[i] * float32(diff*diff))
	}
	for is := 0; is <= nstep; is++ {
		iscale = float32(float32(rmin+float32(rdelta*float32(is)))+fmax) / (mx - mn)
		var sumL, sumL2, sumXL float32
		for i := range n {
			l := min(nmax, max(0, nearestInt(iscale*(x[i]-mn))))
			laux[i] = uint8(l)
			wl := float32(w[i] * float32(l))
			sumL += wl
			sumL2 += float32(wl * float32(l))
			sumXL += float32(wl * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var cur float32
			for i := range n {
				diff := float32(float32(thisScale*float32(laux[i]))+thisMin) - x[i]
				cur += float32(w[i] * float32(diff*diff))
			}
			if cur < bestErr {
				copy(L[:n], laux[:n])
				bestErr, scale, mn = cur, thisScale, thisMin
			}
		}
	}
	return scale, -mn
}

// quantQ6K: per group of 16, make_qx_quants (nmax 32, weights x^2); the
// 16 scales rounded to int8 against the one of largest magnitude (which
// becomes -128), then every value requantized to -32..31.
func quantQ6K(y []byte, x []float32) {
	var L [256]int8
	var scales [16]float32
	var maxScale, maxAbs float32
	for g := range 16 {
		s := makeQX(32, x[16*g:16*g+16], L[16*g:16*g+16])
		scales[g] = s
		if a := abs32(s); a > maxAbs {
			maxAbs, maxScale = a, s
		}
	}
	clear(y[:210])
	if maxAbs < 1e-15 {
		return
	}
	iscale := -128 / maxScale
	putF16(y, 208, 1/iscale)
	for g := range 16 {
		y[192+g] = byte(int8(min(127, nearestInt(iscale*scales[g]))))
	}
	d0 := f16At(y, 208)
	for g := range 16 {
		d := d0 * float32(int8(y[192+g]))
		if d == 0 {
			continue
		}
		for i := range 16 {
			L[16*g+i] = int8(min(31, max(-32, nearestInt(x[16*g+i]/d))) + 32)
		}
	}
	for n := 0; n < 2; n++ {
		ql, qh, l0 := y[64*n:], y[128+32*n:], L[128*n:]
		for l := range 32 {
			q1, q2, q3, q4 := uint8(l0[l]), uint8(l0[l+32]), uint8(l0[l+64]), uint8(l0[l+96])
			ql[l] = q1&0xF | (q3&0xF)<<4
			ql[l+32] = q2&0xF | (q4&0xF)<<4
			qh[l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
		}
	}
}

// makeQX is ggml's make_qx_quants with rmse_type 1 (weights x^2) and no
// importance weights: levels -nmax..nmax-1 (stored +nmax), the best of 19
// trial scales by weighted least squares. It returns the scale.
func makeQX(nmax int, x []float32, L []int8) float32 {
	var mx, amax float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, mx = a, v
		}
	}
	if amax < 1e-15 {
		clear(L)
		return 0
	}
	fmax := float32(nmax)
	level := func(iscale, v float32) int { return min(nmax-1, max(-nmax, nearestInt(iscale*v))) }
	sums := func(iscale float32, store bool) (sumlx, suml2 float32) {
		for i, v := range x {
			l := level(iscale, v)
			if store {
				L[i] = int8(l + nmax)
			}
			w := float32(v * v)
			fl := float32(l)
			sumlx += float32(float32(w*v) * fl)
			suml2 += float32(float32(w*fl) * fl)
		}
		return
	}
	iscale := -fmax / mx
	sumlx, suml2 := sums(iscale, true)
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fmax + float32(float32(0.1)*float32(is))) / mx
		sumlx, suml2 = sums(iscale, false)
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			sums(iscale, true)
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	return scale
}
