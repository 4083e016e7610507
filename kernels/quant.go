package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Quantized weights in llama.cpp's (ggml's) block formats, byte for byte as
// GGUF stores them (little endian, no padding):
//
//	Q8_0  32 values, 34 bytes: f16 d, int8 qs[32]; value = d*q
//	Q4_0  32 values, 18 bytes: f16 d, uint8 qs[16]; value j = d*((qs[j%16] >> 4*(j/16) & 15) - 8)
//	Q4_K 256 values, 144 bytes: f16 d, f16 dmin, uint8 scales[12] (eight 6-bit scales and
//	      eight 6-bit mins), uint8 qs[128] (4-bit); value = d*sc[s]*q - dmin*m[s] in
//	      sub-block s of 32
//	Q6_K 256 values, 210 bytes: uint8 ql[128] (low 4 bits), uint8 qh[64] (high 2 bits),
//	      int8 scales[16], f16 d; value = d*scales[g]*(q - 32) in group g of 16
//	Q8_K 256 values, 292 bytes: f32 d, int8 qs[256], int16 bsums[16]; the activation
//	      format of the K-quant dot products (never stored in model files)
//
// The quantizers are ggml's reference quantizers (quantize_row_*_ref, the
// ones llama-quantize uses without an importance matrix) redone in Go with
// the same float32 operations in the same order, so they produce the same
// bytes (tested against blocks written by llama.cpp's own library, see
// quant_ref_test.go). Products are rounded explicitly (float32(a*b)) where
// a sum follows, so no architecture fuses them into an FMA that the C
// reference (built without FMA) does not do.

// QType is a quantized block format.
type QType uint8

const (
	Q8_0 QType = iota + 1
	Q4_0
	Q4_K
	Q6_K
	Q8_K
	nQTypes
)

var qtypeInfo = [nQTypes]struct {
	name                  string
	blockSize, blockBytes int
	act                   QType // activation format of its dot product
}{
	Q8_0: {"Q8_0", 32, 34, Q8_0},
	Q4_0: {"Q4_0", 32, 18, Q8_0},
	Q4_K: {"Q4_K", 256, 144, Q8_K},
	Q6_K: {"Q6_K", 256, 210, Q8_K},
	Q8_K: {"Q8_K", 256, 292, Q8_K},
}

func (t QType) valid() bool { return t > 0 && t < nQTypes }

// String returns ggml's name of the format.
func (t QType) String() string {
	if t.valid() {
		return qtypeInfo[t].name
	}
	return fmt.Sprintf("QType(%d)", uint8(t))
}

// BlockSize is the number of values in one block.
func (t QType) BlockSize() int { return qtypeInfo[t].blockSize }

// BlockBytes is the size of one block in bytes.
func (t QType) BlockBytes() int { return qtypeInfo[t].blockBytes }

// RowBytes is the size of a row of k values (k a multiple of BlockSize).
func (t QType) RowBytes(k int) int { return k / t.BlockSize() * t.BlockBytes() }

// checkQ panics with a clear message unless t is a known format, k is a
// whole number of blocks and the slices hold k values and their blocks.
func checkQ(op string, t QType, k, nf, nb int) {
	if !t.valid() {
		panic(fmt.Sprintf("kernels: %s: unknown quantized type %d", op, uint8(t)))
	}
	if k < 0 || k%t.BlockSize() != 0 {
		panic(fmt.Sprintf("kernels: %s: %d values is not a whole number of %s blocks of %d", op, k, t, t.BlockSize()))
	}
	if nf < k || nb < t.RowBytes(k) {
		panic(fmt.Sprintf("kernels: %s: %d values need %d floats and %d bytes of %s, have %d and %d", op, k, k, t.RowBytes(k), t, nf, nb))
	}
}

// QuantizeRow quantizes len(src) values (a multiple of t.BlockSize) into
// dst (at least t.RowBytes(len(src)) bytes) with ggml's reference quantizer
// of format t.
func QuantizeRow(t QType, dst []byte, src []float32) {
	k := len(src)
	checkQ("QuantizeRow", t, k, k, len(dst))
	bs, bb := t.BlockSize(), t.BlockBytes()
	for b := 0; b < k/bs; b++ {
		x, y := src[b*bs:(b+1)*bs], dst[b*bb:(b+1)*bb]
		switch t {
		case Q8_0:
			quantQ8_0(y, x)
		case Q4_0:
			quantQ4_0(y, x)
		case Q4_K:
			quantQ4K(y, x)
		case Q6_K:
			quantQ6K(y, x)
		case Q8_K:
			quantQ8K(y, x)
		}
	}
}

// DequantizeRow widens len(dst) values (a multiple of t.BlockSize) from
// the blocks in src, as ggml's dequantize_row_* does (same float32
// operations, so the same values).
func DequantizeRow(t QType, dst []float32, src []byte) {
	k := len(dst)
	checkQ("DequantizeRow", t, k, k, len(src))
	bs, bb := t.BlockSize(), t.BlockBytes()
	for b := 0; b < k/bs; b++ {
		y, x := dst[b*bs:(b+1)*bs], src[b*bb:(b+1)*bb]
		switch t {
		case Q8_0:
			d := f16At(x, 0)
			for j := range 32 {
				y[j] = float32(int8(x[2+j])) * d
			}
		case Q4_0:
			d := f16At(x, 0)
			for j := range 16 {
				q := x[2+j]
				y[j] = float32(int(q&15)-8) * d
				y[j+16] = float32(int(q>>4)-8) * d
			}
		case Q4_K:
			dequantQ4K(y, x)
		case Q6_K:
			dequantQ6K(y, x)
		case Q8_K:
			d := math.Float32frombits(binary.LittleEndian.Uint32(x))
			for j := range 256 {
				y[j] = d * float32(int8(x[4+j]))
			}
		}
	}
}

func dequantQ4K(y []float32, x []byte) {
	d, dmin := f16At(x, 0), f16At(x, 2)
	sc := x[4:16]
	q := x[16:144]
	for j := 0; j < 4; j++ {
		s0, m0 := scaleMinK4(2*j, sc)
		s1, m1 := scaleMinK4(2*j+1, sc)
		d1, mm1 := d*float32(s0), dmin*float32(m0)
		d2, mm2 := d*float32(s1), dmin*float32(m1)
		for l := range 32 {
			y[64*j+l] = float32(d1*float32(q[32*j+l]&15)) - mm1
			y[64*j+32+l] = float32(d2*float32(q[32*j+l]>>4)) - mm2
		}
	}
}

func dequantQ6K(y []float32, x []byte) {
	d := f16At(x, 208)
	for n := 0; n < 2; n++ {
		ql, qh := x[64*n:], x[128+32*n:]
		sc := x[192+8*n:]
		yy := y[128*n:]
		for l := range 32 {
			is := l / 16
			q1 := int(ql[l]&15|(qh[l]>>0&3)<<4) - 32
			q2 := int(ql[l+32]&15|(qh[l]>>2&3)<<4) - 32
			q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
			q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
			yy[l] = float32(d*float32(int8(sc[is]))) * float32(q1)
			yy[l+32] = float32(d*float32(int8(sc[is+2]))) * float32(q2)
			yy[l+64] = float32(d*float32(int8(sc[is+4]))) * float32(q3)
			yy[l+96] = float32(d*float32(int8(sc[is+6]))) * float32(q4)
		}
	}
}

// scaleMinK4 unpacks the 6-bit scale and min of sub-block j of a Q4_K
// block's 12 scale bytes.
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xF | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

func f16At(b []byte, off int) float32 { return F16ToF32One(binary.LittleEndian.Uint16(b[off:])) }

func putF16(b []byte, off int, f float32) { binary.LittleEndian.PutUint16(b[off:], F16FromF32(f)) }

// nearestInt rounds to the nearest integer, ties to even, through the
// float32 addition of 1.5*2^23 as ggml's nearest_int does (|f| <= 2^22).
func nearestInt(f float32) int {
	v := float32(f) + 12582912 // the conversion keeps a caller's product from fusing into an FMA
	return int(math.Float32bits(v)&0x007fffff) - 0x00400000
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
