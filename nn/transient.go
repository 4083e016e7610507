package nn

// Activation reuse. Every op output is taken from the buffer pool that
// also recycles intermediate gradients (pool.go). A value marked Transient
// gives its buffer back as soon as Backward has run its node: by then every
// op of the graph that reads it (its consumers, and its own backward) has
// run. A training step that builds the same graph each time (a model's
// forward) then reuses last step's activation buffers instead of
// allocating, zeroing and page-faulting them again.

// Transient declares that no code reads these values' Data once a Backward
// through them has reached them (their Data is then nil): values internal
// to a graph builder, such as a model's per-layer activations, never
// handed to the caller. Backward then recycles the buffers. A value whose
// Data it does not own (a leaf, a reshape or detached view) is unaffected,
// as is anything computed without recording a graph (NoGrad).
//
// Marking a value the caller still reads after Backward (the loss, or a
// tensor logged afterwards) is a bug: its Data is gone.
func Transient(vs ...*Value) {
	for _, v := range vs {
		if v != nil {
			v.transient = true
		}
	}
}

// dropData recycles a released node's Data when it is transient and owned.
func (n *Value) dropData() {
	if !n.transient || !n.owned || n.Data == nil {
		return
	}
	putBuf(n.Data)
	n.Data, n.owned = nil, false
}
