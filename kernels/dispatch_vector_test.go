package kernels

import (
	"reflect"
	"testing"
)

// funcFields returns the function-valued fields of a kernel table by
// name, descending into embedded and nested structs (vectorKernels,
// gemmPath's arch descriptors are pointers and are left out).
func funcFields(t kernelTable) map[string]uintptr {
	out := map[string]uintptr{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			f, name := v.Field(i), prefix+v.Type().Field(i).Name
			switch f.Kind() {
			case reflect.Func:
				out[name] = f.Pointer()
			case reflect.Struct:
				walk(name+".", f)
			}
		}
	}
	walk("", reflect.ValueOf(t))
	return out
}

// TestVectorDispatch checks that switching paths installs every kernel of
// that path's table (the vector and attention kernels are the assembly
// wrappers exactly on the non-generic paths), that no table leaves a
// kernel unset, and that going back to the generic path restores every
// portable kernel, including the tiled attention's internal ones.
func TestVectorDispatch(t *testing.T) {
	old := ActivePath()
	defer SetPath(old)
	ptr := func(f any) uintptr { return reflect.ValueOf(f).Pointer() }
	for _, p := range append(AvailablePaths(), PathGeneric) {
		if !SetPath(p) || ActivePath() != p {
			t.Fatalf("SetPath(%s) failed (active %s)", p, ActivePath())
		}
		for name, f := range funcFields(kern) {
			if f == 0 {
				t.Errorf("path %s: kernel %s not set", p, name)
			}
		}
		generic := p == PathGeneric
		for _, c := range []struct {
			name      string
			got, want any
		}{
			{"dot", kern.dot, dotGeneric}, {"exp", kern.exp, expGeneric}, {"softmax", kern.softmax, softmaxGeneric},
			{"f16ToF32", kern.f16ToF32, f16ToF32Generic}, {"attention", kern.attention, attentionGeneric},
			{"attentionBackward", kern.attentionBackward, attentionBackwardGeneric},
			{"attnTile", kern.attnTile, tileMulAddGeneric}, {"expSubSum", kern.expSubSum, expSubSumGeneric},
			{"attnRowScores", kern.attnRowScores, rowScoresGeneric},
		} {
			if isGeneric := ptr(c.got) == ptr(c.want); isGeneric != generic {
				t.Errorf("path %s: %s generic=%v, want %v", p, c.name, isGeneric, generic)
			}
		}
	}
	if got, want := funcFields(kern), funcFields(genericKernels); !reflect.DeepEqual(got, want) {
		t.Errorf("after SetPath(generic) the active table differs from genericKernels")
	}
	if kern.gemm != genericKernels.gemm {
		t.Errorf("after SetPath(generic) the GEMM is %+v, want %+v", kern.gemm, genericKernels.gemm)
	}
	if SetPath("no-such-path") {
		t.Fatal("SetPath accepted an unknown path")
	}
}
