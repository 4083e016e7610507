package kernels

// AttnShape describes one causal grouped-query attention problem.
//
// Q is NQ rows of NHeads*HeadDim values, K and V are NKV rows of
// NKVHeads*HeadDim values, Out is like Q. Query head h reads key/value head
// h / (NHeads/NKVHeads). Query row i sits at position QPos0+i and attends to
// key rows j <= QPos0+i (key row j sits at position j), so prefill uses
// QPos0 = 0 and decoding one token after a cache of n rows uses NQ = 1,
// NKV = n+1, QPos0 = n.
type AttnShape struct {
	NQ, NKV                    int
	NHeads, NKVHeads, HeadDim  int
	QStride, KVStride, OStride int // row strides in elements; 0 means packed
	QPos0                      int
	Scale                      float32 // usually 1/sqrt(HeadDim)
}

// Attention computes Out = softmax(Q K^T * Scale, causal) V head by head,
// tiled with an online softmax (no full score matrix is formed). If lse is
// non-nil it receives, at [i*NHeads+h], the log-sum-exp of the scaled scores
// of query row i and head h, which AttentionBackward needs.
func Attention(s AttnShape, q, k, v, out, lse []float32) { kern.attention(s, q, k, v, out, lse) }

// AttentionBackward accumulates (+=) into dq, dk and dv the gradients of
// Attention given dOut, recomputing the probabilities tile by tile from q, k
// and the saved lse (memory-efficient; no NQ x NKV matrix is kept). out is
// Attention's output. dk and dv have the layout of k and v.
func AttentionBackward(s AttnShape, q, k, v, out, dout, lse, dq, dk, dv []float32) {
	kern.attentionBackward(s, q, k, v, out, dout, lse, dq, dk, dv)
}
