package kernels

import (
	"encoding/binary"
	"math"
)

// Integer dot products of quantized weight rows with an activation row
// quantized to 8 bits per block, as llama.cpp's ggml_vec_dot_*: Q8_0 and
// Q4_0 weights meet Q8_0 activations (blocks of 32, f16 scale), Q4_K and
// Q6_K weights meet Q8_K activations (blocks of 256, f32 scale, sums of 16).
// Within a block the products are summed exactly in integers; the block
// sums are scaled and added in float32.

// qAct is one activation row quantized for the weight format t, in the
// layout the row kernels read:
//
//	qs   the int8 values, in order
//	d    one scale per block (Q8_0: the f16-rounded scale, widened, as
//	     llama.cpp's block_q8_0 holds it, values rounded ties-to-even as its
//	     SIMD quantize_row_q8_0 does; Q8_K: quantize_row_q8_K_ref, float32)
//	x32  Q8_0/Q4_0: per block, 8 int32 lanes that seed the VNNI
//	     accumulator with the correction for the unsigned operand:
//	     -16*sum(qs) for Q8_0 (weights offset by 128), -sum(qs) for Q4_0
//	     (nibbles offset by 8)
//	x16  Q4_K/Q6_K: per block, the 16 sums of 16 values and the 8 sums of 32
type qAct struct {
	t   QType
	k   int
	qs  []int8
	d   []float32
	x32 []int32
	x16 []int16
	// pk is the same row as the assembly kernels read it, one record per
	// block: Q8_0/Q4_0 96 bytes (32 values, the 8 seed lanes, 8 copies of
	// d); Q4_K/Q6_K 320 bytes (256 values, the 16 sums of 16 at 256, the 8
	// sums of 32 at 288, d at 304).
	pk []byte
}

const (
	qRec32 = 96  // bytes of a Q8_0-family activation record
	qRecK  = 320 // bytes of a Q8_K activation record
)

// qActX16 is the number of int16 of x16 per Q8_K block.
const qActX16 = 24

// quantizeAct fills a (sized by the caller for k values) from x.
func (a *qAct) quantize(t QType, x []float32) {
	k := len(x)
	a.t, a.k = t, k
	if qtypeInfo[t].act == Q8_0 {
		a.quantizeQ8_0(x)
		return
	}
	var blk [292]byte
	for b := 0; b < k/256; b++ {
		quantQ8K(blk[:], x[256*b:256*b+256])
		a.d[b] = math.Float32frombits(binary.LittleEndian.Uint32(blk[:]))
		for j := range 256 {
			a.qs[256*b+j] = int8(blk[4+j])
		}
		s := a.x16[qActX16*b : qActX16*(b+1)]
		for g := range 16 {
			s[g] = int16(binary.LittleEndian.Uint16(blk[260+2*g:]))
		}
		for j := range 8 {
			s[16+j] = s[2*j] + s[2*j+1]
		}
		rec := a.pk[qRecK*b : qRecK*(b+1)]
		for j := range 256 {
			rec[j] = byte(a.qs[256*b+j])
		}
		for j, v := range s {
			binary.LittleEndian.PutUint16(rec[256+2*j:], uint16(v))
		}
		binary.LittleEndian.PutUint32(rec[304:], math.Float32bits(a.d[b]))
	}
}

func (a *qAct) quantizeQ8_0(x []float32) {
	for b := 0; b < len(x)/32; b++ {
		xs := x[32*b : 32*b+32]
		var amax float32
		for _, v := range xs {
			amax = max(amax, abs32(v))
		}
		// as quantQ8_0 (the f16-rounded scale), but rounding ties to even
		// like llama.cpp's SIMD activation quantizer (quantize_row_q8_0)
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		dh := F16ToF32One(F16FromF32(d))
		a.d[b] = dh
		rec := a.pk[qRec32*b : qRec32*(b+1)]
		sum := int32(0)
		for j, v := range xs {
			q := int8(nearestInt(v * id))
			a.qs[32*b+j] = q
			rec[j] = byte(q)
			sum += int32(q)
		}
		seed := -16 * sum
		if a.t == Q4_0 {
			seed = -sum
		}
		db := math.Float32bits(dh)
		for l := range 8 {
			a.x32[8*b+l] = seed
			binary.LittleEndian.PutUint32(rec[32+4*l:], uint32(seed))
			binary.LittleEndian.PutUint32(rec[64+4*l:], db)
		}
	}
}

// resize makes room for k values quantized for t.
func (a *qAct) resize(t QType, k int) {
	nb := k / qtypeInfo[t].blockSize
	a.qs = growSlice(a.qs, k)
	a.d = growSlice(a.d, nb)
	if qtypeInfo[t].act == Q8_0 {
		a.x32 = growSlice(a.x32, 8*nb)
		a.pk = growSlice(a.pk, qRec32*nb)
	} else {
		a.x16 = growSlice(a.x16, qActX16*nb)
		a.pk = growSlice(a.pk, qRecK*nb)
	}
}

func growSlice[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// qRowsFunc computes out[r] = dot(weight row r, a) for r < rows: row r
// starts at w[r*ldw:] and holds nb blocks of a.t.
type qRowsFunc func(w []byte, ldw, rows, nb int, a *qAct, out []float32)

// qRowsGo is the portable row kernel of every format: the reference the
// assembly kernels are tested against.
func qRowsGo(w []byte, ldw, rows, nb int, a *qAct, out []float32) {
	for r := range rows {
		row := w[r*ldw:]
		var s float32
		switch a.t {
		case Q8_0:
			s = dotQ8_0Go(row, nb, a)
		case Q4_0:
			s = dotQ4_0Go(row, nb, a)
		case Q4_K:
			s = dotQ4KGo(row, nb, a)
		case Q6_K:
			s = dotQ6KGo(row, nb, a)
		}
		out[r] = s
	}
}

func dotQ8_0Go(w []byte, nb int, a *qAct) float32 {
	var s float32
	for b := range nb {
		blk := w[34*b : 34*b+34]
		y := a.qs[32*b : 32*b+32]
		var sum int32
		for j := range 32 {
			sum += int32(int8(blk[2+j])) * int32(y[j])
		}
		s += float32(sum) * float32(f16At(blk, 0)*a.d[b])
	}
	return s
}

func dotQ4_0Go(w []byte, nb int, a *qAct) float32 {
	var s float32
	for b := range nb {
		blk := w[18*b : 18*b+18]
		y := a.qs[32*b : 32*b+32]
		var sum int32
		for j := range 16 {
			q := blk[2+j]
			sum += int32(int(q&15)-8)*int32(y[j]) + int32(int(q>>4)-8)*int32(y[j+16])
		}
		s += float32(sum) * float32(f16At(blk, 0)*a.d[b])
	}
	return s
}

// dotQ4KGo: per block, sum_s sc[s]*dot(q, y) over the 8 sub-blocks times
// d*dy, minus sum_s m[s]*(sum of y over s) times dmin*dy.
func dotQ4KGo(w []byte, nb int, a *qAct) float32 {
	var s, sm float32
	for b := range nb {
		blk := w[144*b : 144*b+144]
		sumi, summ := q4KSums(blk, a.qs[256*b:256*b+256], a.x16[qActX16*b:])
		s += float32(sumi) * float32(f16At(blk, 0)*a.d[b])
		sm += float32(summ) * float32(f16At(blk, 2)*a.d[b])
	}
	return s - sm
}

// q4KSums are the integer sums of a Q4_K block against a Q8_K block:
// sum_s sc[s]*dot(q_s, y_s) and sum_s m[s]*sum(y_s).
func q4KSums(blk []byte, y []int8, bs []int16) (sumi, summ int32) {
	for j := 0; j < 4; j++ {
		q := blk[16+32*j : 48+32*j]
		s0, m0 := scaleMinK4(2*j, blk[4:16])
		s1, m1 := scaleMinK4(2*j+1, blk[4:16])
		var d0, d1 int32
		for l := range 32 {
			d0 += int32(q[l]&15) * int32(y[64*j+l])
			d1 += int32(q[l]>>4) * int32(y[64*j+32+l])
		}
		sumi += int32(s0)*d0 + int32(s1)*d1
		summ += int32(m0)*int32(bs[16+2*j]) + int32(m1)*int32(bs[16+2*j+1])
	}
	return sumi, summ
}

// dotQ6KGo: per block, sum_g sc[g]*dot(q-32, y) over the 16 groups of 16
// (the -32 taken out through the sums of 16) times d*dy.
func dotQ6KGo(w []byte, nb int, a *qAct) float32 {
	var s float32
	for b := range nb {
		blk := w[210*b : 210*b+210]
		sumi := q6KSum(blk, a.qs[256*b:256*b+256], a.x16[qActX16*b:])
		s += float32(sumi) * float32(f16At(blk, 208)*a.d[b])
	}
	return s
}

// q6KSum is the integer sum of a Q6_K block against a Q8_K block:
// sum_g sc[g]*(dot(q_g, y_g) - 32*sum(y_g)).
func q6KSum(blk []byte, y []int8, bs []int16) int32 {
	var sumi, corr int32
	for n := 0; n < 2; n++ {
		ql, qh := blk[64*n:], blk[128+32*n:]
		for l := range 32 {
			q := [4]int32{
				int32(ql[l]&15 | (qh[l]&3)<<4), int32(ql[l+32]&15 | (qh[l]>>2&3)<<4),
				int32(ql[l]>>4 | (qh[l]>>4&3)<<4), int32(ql[l+32]>>4 | (qh[l]>>6&3)<<4),
			}
			for i, v := range q {
				p := 128*n + 32*i + l
				sumi += int32(int8(blk[192+p/16])) * v * int32(y[p])
			}
		}
	}
	for g := range 16 {
		corr += int32(int8(blk[192+g])) * int32(bs[g])
	}
	return sumi - 32*corr
}
