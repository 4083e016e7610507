package nn

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"
)

// TestAdamWHand checks three AdamW steps against values computed by hand
// (float64, written out below) for one parameter with weight decay.
func TestAdamWHand(t *testing.T) {
	p := NewParam([]float32{1, -2}, 2)
	opt := NewAdamW(AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8}, ParamGroup{Params: []*Value{p}, WeightDecay: 0.1})
	grads := [][]float32{{0.5, -1}, {0.1, 2}, {-0.3, 0}}
	lr := 0.01
	// reference, float64
	w := []float64{1, -2}
	m := []float64{0, 0}
	v := []float64{0, 0}
	for step, g := range grads {
		copy(p.grad(), g)
		if err := opt.Step(lr); err != nil {
			t.Fatal(err)
		}
		tt := float64(step + 1)
		for i := range w {
			gi := float64(g[i])
			w[i] *= 1 - lr*0.1
			m[i] = 0.9*m[i] + 0.1*gi
			v[i] = 0.99*v[i] + 0.01*gi*gi
			mh := m[i] / (1 - math.Pow(0.9, tt))
			vh := v[i] / (1 - math.Pow(0.99, tt))
			w[i] -= lr * mh / (math.Sqrt(vh) + 1e-8)
		}
		for i := range w {
			if math.Abs(float64(p.Data[i])-w[i]) > 2e-6 {
				t.Fatalf("step %d: w[%d] = %v, want %v", step+1, i, p.Data[i], w[i])
			}
		}
	}
	// first step of Adam moves each weight by ~lr·sign(g): spot-check the
	// closed form for step 1 of a fresh optimizer: w1 = w0(1-lr·wd) - lr·g/(|g|+eps')
	q := NewParam([]float32{3}, 1)
	o2 := NewAdamW(AdamWConfig{}, ParamGroup{Params: []*Value{q}, WeightDecay: 0.5})
	q.grad()[0] = -4
	o2.Step(0.1)
	want := 3*(1-0.1*0.5) + 0.1*4/(4+1e-8)
	if math.Abs(float64(q.Data[0])-want) > 1e-6 {
		t.Fatalf("closed-form first step %v want %v", q.Data[0], want)
	}
}

func TestAdamWStateRestore(t *testing.T) {
	mk := func() ([]*Value, *AdamW) {
		a := NewParam([]float32{1, 2, 3}, 3)
		b := NewParam([]float32{-1, 0.5}, 1, 2)
		c := NewParam([]float32{7}, 1) // never gets a gradient
		return []*Value{a, b, c}, NewAdamW(AdamWConfig{}, SplitDecay([]*Value{a, b, c}, 0.01)...)
	}
	grad := func(ps []*Value, k int) {
		for i, p := range ps[:2] {
			g := p.grad()
			for j := range g {
				g[j] = float32(math.Sin(float64(k*7 + i*3 + j)))
			}
		}
	}
	ps, opt := mk()
	for k := 0; k < 3; k++ {
		grad(ps, k)
		opt.Step(0.01)
	}
	st := opt.State()
	path := filepath.Join(t.TempDir(), "adam.state")
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
	saved := [][]float32{append([]float32(nil), ps[0].Data...), append([]float32(nil), ps[1].Data...)}
	for k := 3; k < 6; k++ {
		grad(ps, k)
		opt.Step(0.01)
	}
	// restore into a fresh optimizer with the saved weights
	ps2, opt2 := mk()
	copy(ps2[0].Data, saved[0])
	copy(ps2[1].Data, saved[1])
	st2, err := ReadAdamWState(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := opt2.SetState(st2); err != nil {
		t.Fatal(err)
	}
	for k := 3; k < 6; k++ {
		grad(ps2, k)
		opt2.Step(0.01)
	}
	for i := 0; i < 2; i++ {
		for j := range ps[i].Data {
			if ps[i].Data[j] != ps2[i].Data[j] {
				t.Fatalf("restored run differs: param %d[%d] %v vs %v", i, j, ps2[i].Data[j], ps[i].Data[j])
			}
		}
	}
	if ps[2].Data[0] != 7 {
		t.Fatal("parameter without gradient was updated")
	}
	// mismatched state is an error
	other := NewAdamW(AdamWConfig{}, ParamGroup{Params: []*Value{NewParam([]float32{1}, 1)}})
	if err := other.SetState(st2); err == nil {
		t.Fatal("state of another model accepted")
	}
}

func FuzzAdamWState(f *testing.F) {
	s := &AdamWState{Step: 3, M: [][]float32{{1, 2}, nil, {3}}, V: [][]float32{{4, 5}, nil, {6}}}
	b, _ := s.MarshalBinary()
	f.Add(b)
	f.Add(b[:len(b)-3])
	f.Add([]byte("POPIADW1"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var st AdamWState
		if err := st.UnmarshalBinary(data); err != nil {
			return
		}
		out, err := st.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded state does not re-encode: %v", err)
		}
		if !bytes.Equal(out, data) {
			t.Fatal("decode/encode round trip changed the bytes")
		}
	})
}

func TestAdamWStateMalformed(t *testing.T) {
	s := &AdamWState{Step: 1, M: [][]float32{{1, 2}}, V: [][]float32{{3, 4}}}
	b, _ := s.MarshalBinary()
	for _, bad := range [][]byte{nil, b[:10], b[:len(b)-1], append(append([]byte(nil), b...), 0), []byte("XXXXXXXX" + string(b[8:]))} {
		var st AdamWState
		if err := st.UnmarshalBinary(bad); err == nil {
			t.Fatalf("malformed state of %d bytes accepted", len(bad))
		}
	}
	var st AdamWState
	if err := st.UnmarshalBinary(b); err != nil || st.Step != 1 || st.V[0][1] != 4 {
		t.Fatalf("round trip: %v %+v", err, st)
	}
}

func TestSGD(t *testing.T) {
	p := NewParam([]float32{1, -1}, 2)
	opt := NewSGD(0.9, ParamGroup{Params: []*Value{p}, WeightDecay: 0.1})
	copy(p.grad(), []float32{1, 2})
	opt.Step(0.5)
	// d = g + 0.1 w = (1.1, 1.9); buf = d; w -= 0.5 d
	if math.Abs(float64(p.Data[0])-(1-0.55)) > 1e-6 || math.Abs(float64(p.Data[1])-(-1-0.95)) > 1e-6 {
		t.Fatalf("SGD step 1: %v", p.Data)
	}
	w0, w1 := float64(p.Data[0]), float64(p.Data[1])
	opt.Step(0.5) // same grads; buf = 0.9 buf + d'
	b0 := 0.9*1.1 + (1 + 0.1*w0)
	b1 := 0.9*1.9 + (2 + 0.1*w1)
	if math.Abs(float64(p.Data[0])-(w0-0.5*b0)) > 1e-6 || math.Abs(float64(p.Data[1])-(w1-0.5*b1)) > 1e-6 {
		t.Fatalf("SGD step 2: %v", p.Data)
	}
}

func TestWarmupCosine(t *testing.T) {
	s := WarmupCosine{Peak: 1e-6, Final: 0, Warmup: 150, Total: 1150}
	for _, c := range []struct {
		step int
		want float64
	}{
		{0, 0}, {75, 0.5e-6}, {150, 1e-6}, {650, 0.5e-6}, {1150, 0}, {5000, 0},
		{400, 1e-6 * 0.5 * (1 + math.Cos(math.Pi*0.25))},
	} {
		if got := s.LR(c.step); math.Abs(got-c.want) > 1e-18 {
			t.Fatalf("LR(%d) = %v, want %v", c.step, got, c.want)
		}
	}
	f := WarmupCosine{Peak: 1, Final: 0.1, Warmup: 0, Total: 10}
	if f.LR(0) != 1 || math.Abs(f.LR(10)-0.1) > 1e-15 || math.Abs(f.LR(5)-0.55) > 1e-15 {
		t.Fatalf("floor schedule %v %v %v", f.LR(0), f.LR(5), f.LR(10))
	}
}

func TestClipGradNorm(t *testing.T) {
	a := NewParam([]float32{0, 0}, 2)
	b := NewParam([]float32{0}, 1)
	copy(a.grad(), []float32{3, 0})
	copy(b.grad(), []float32{4})
	n, err := ClipGradNorm([]*Value{a, b}, 1)
	if err != nil || n != 5 {
		t.Fatalf("norm %v err %v", n, err)
	}
	if after := GradNorm([]*Value{a, b}); math.Abs(after-1) > 1e-5 {
		t.Fatalf("norm after clipping %v", after)
	}
	if math.Abs(float64(a.Grad[0])-0.6) > 1e-5 || math.Abs(float64(b.Grad[0])-0.8) > 1e-5 {
		t.Fatalf("clipped grads %v %v", a.Grad, b.Grad)
	}
	// below the threshold: untouched
	n, _ = ClipGradNorm([]*Value{a, b}, 10)
	if math.Abs(n-1) > 1e-5 || math.Abs(float64(a.Grad[0])-0.6) > 1e-5 {
		t.Fatal("clipping below threshold changed gradients")
	}
	b.Name = "bias"
	b.Grad[0] = float32(math.NaN())
	if _, err := ClipGradNorm([]*Value{a, b}, 1); err == nil || !bytes.Contains([]byte(err.Error()), []byte("bias")) {
		t.Fatalf("NaN gradient: %v", err)
	}
}

func TestGroupsFreezeAccumulate(t *testing.T) {
	w := NewParam([]float32{1, 1, 1, 1}, 2, 2)
	nrm := NewParam([]float32{1, 1}, 2)
	gs := SplitDecay([]*Value{w, nrm}, 0.5)
	if len(gs[0].Params) != 1 || gs[0].Params[0] != w || gs[0].WeightDecay != 0.5 || gs[1].Params[0] != nrm || gs[1].WeightDecay != 0 {
		t.Fatalf("SplitDecay: %+v", gs)
	}
	// zero gradient: only decay moves w, norm stays
	w.grad()
	nrm.grad()
	opt := NewAdamW(AdamWConfig{}, gs...)
	opt.Step(0.1)
	if math.Abs(float64(w.Data[0])-0.95) > 1e-7 || nrm.Data[0] != 1 {
		t.Fatalf("decay groups: w %v norm %v", w.Data, nrm.Data)
	}
	Freeze(nrm)
	x := FromSlice([]float32{1, 2}, 1, 2)
	if err := Sum(RMSNorm(Linear(x, w), nrm, 1e-5)).Backward(); err != nil {
		t.Fatal(err)
	}
	if nrm.Grad != nil {
		t.Fatal("frozen parameter got a gradient")
	}
	// gradient accumulation: two half-batches equal one full batch
	p := NewParam([]float32{0.3, -0.2}, 1, 2)
	xs := [][]float32{{1, 2}, {3, -1}}
	for _, xi := range xs {
		if err := Sum(Mul(Linear(FromSlice(xi, 1, 2), p), Scalar(0.5))).Backward(); err != nil {
			t.Fatal(err)
		}
	}
	acc := append([]float32(nil), p.Grad...)
	p.ZeroGrad()
	Mean(Linear(FromSlice([]float32{1, 2, 3, -1}, 2, 2), p)).Backward()
	for i := range acc {
		if math.Abs(float64(acc[i]-p.Grad[i])) > 1e-6 {
			t.Fatalf("accumulated %v vs full batch %v", acc, p.Grad)
		}
	}
}
