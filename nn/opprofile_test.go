package nn

import (
	"testing"
	"time"
)

func TestOpProfile(t *testing.T) {
	x := NewParam(make([]float32, 64*32), 64, 32)
	w := NewParam(make([]float32, 16*32), 16, 32)
	for i := range x.Data {
		x.Data[i] = float32(i%11) * 0.1
	}
	for i := range w.Data {
		w.Data[i] = float32(i%7) * 0.05
	}
	step := func() {
		y := Linear(x, w)
		loss := Sum(SwiGLU(y, y))
		if err := loss.Backward(); err != nil {
			t.Fatal(err)
		}
	}
	step() // not profiled
	t0 := time.Now()
	StartOpProfile()
	for range 3 {
		step()
	}
	MarkOpProfile("tail")
	prof := StopOpProfile()
	wall := time.Since(t0)
	step() // not profiled either

	byOp := map[string]OpTime{}
	var sum time.Duration
	for _, o := range prof {
		byOp[o.Op] = o
		sum += o.Total()
		if o.Forward < 0 || o.Backward < 0 {
			t.Errorf("%s: negative time %+v", o.Op, o)
		}
	}
	for _, op := range []string{"linear", "swiglu", "sum"} {
		o, ok := byOp[op]
		if !ok || o.FwdCalls != 3 || o.BwdCalls != 3 {
			t.Errorf("op %s: %+v, want 3 forward and 3 backward calls", op, o)
		}
	}
	if o := byOp["tail"]; o.FwdCalls != 1 {
		t.Errorf("phase mark: %+v", o)
	}
	if sum > wall {
		t.Errorf("profiled %v exceeds the %v wall time", sum, wall)
	}
	for i := 1; i < len(prof); i++ {
		if prof[i].Total() > prof[i-1].Total() {
			t.Errorf("profile not sorted by total: %v before %v", prof[i-1], prof[i])
		}
	}
	StartOpProfile()
	if got := StopOpProfile(); len(got) != 0 {
		t.Errorf("empty profile has %d entries", len(got))
	}
}
