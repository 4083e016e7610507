package nn

import (
	"fmt"

	"github.com/popi-go/popi/kernels"
)

// Embedding gathers rows of table [vocab, dim] for ids, giving
// [len(ids), dim]. The table may be a frozen 16-bit or quantized constant
// (rows are widened as they are read). Backward scatter-adds into the table's gradient
// (repeated ids accumulate). An id outside [0, vocab) panics.
func Embedding(table *Value, ids []int) *Value {
	if len(table.Shape) != 2 {
		panic(fmt.Sprintf("nn: Embedding table of shape %v, want [vocab, dim]", table.Shape))
	}
	vocab, dim := table.Shape[0], table.Shape[1]
	for i, id := range ids {
		if id < 0 || id >= vocab {
			panic(fmt.Sprintf("nn: Embedding id %d at position %d outside the table's %d rows", id, i, vocab))
		}
	}
	out := newOutDirty("embedding", []int{len(ids), dim}) // every row copied
	if table.q != nil {
		for i, id := range ids {
			table.q.row(id, out.Data[i*dim:(i+1)*dim])
		}
	} else if table.half != nil {
		u, dt := table.half.U16(), table.half.DType()
		for i, id := range ids {
			dt.ToF32(out.Data[i*dim:(i+1)*dim], u[id*dim:(id+1)*dim])
		}
	} else {
		for i, id := range ids {
			copy(out.Data[i*dim:(i+1)*dim], table.Data[id*dim:(id+1)*dim])
		}
	}
	return finish(out, func() {
		g := table.grad()
		for i, id := range ids {
			kernels.Axpy(1, out.Grad[i*dim:(i+1)*dim], g[id*dim:(id+1)*dim])
		}
	}, table)
}
