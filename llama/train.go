package llama

import (
	"fmt"

	"github.com/popi-go/popi/nn"
	"github.com/popi-go/popi/tensor"
)

// TrainLayer holds one decoder block's weights as autograd values.
type TrainLayer struct {
	AttnNorm, Q, K, V, O, MLPNorm, Gate, Up, Down *nn.Value
	// LoRA holds a view's adapter (Model.WithAdapter) by projection
	// (ProjQ ... ProjDown): A and B are parameters sharing the adapter's
	// storage; nil where a projection is not adapted.
	LoRA [NumProj]*nn.LoRA
}

// Trainable is the model as differentiable nn operations. Float32 matrices
// become trainable parameters that share storage with the Model, so an
// optimizer step is immediately visible to inference (Runner, Generate,
// Score). 16-bit matrices become frozen constants (read through the 16-bit
// kernels, no gradient); RMSNorm weights are always trainable float32.
// With tied embeddings LMHead is the same value as Embed, so its gradient
// is the sum of both uses.
//
// Quantized matrices (Q8_0, Q4_0, Q4_K, Q6_K) are always frozen constants
// kept in their blocks (nn.QuantConst): the forward product and dx run
// through the quantized kernels a dequantized panel at a time, so training
// LoRA on a quantized base (QLoRA) holds the base at its file size.
//
// For a view with an adapter (Model.WithAdapter) every base weight, f32
// included, is a constant in its stored type (no gradient, no optimizer
// state; dx still flows through it, via the 16-bit GEMMs for bf16/f16)
// and the parameters are the adapter's A and B, which share the adapter's
// storage. The stacked Q/K/V and gate/up bases stay one GEMM per pass;
// each adapter adds its low-rank term to its columns (nn.LinearLoRA).
type Trainable struct {
	Model  *Model
	Embed  *nn.Value
	Layers []TrainLayer
	Norm   *nn.Value
	LMHead *nn.Value
	// Checkpoint recomputes each decoder block during backward instead of
	// keeping its activations (nn.Checkpoint): memory per block drops to
	// its input, for about one extra forward pass of compute. Trainable
	// turns it on for models of at least AutoCheckpointParams parameters.
	Checkpoint bool
	// Eval turns off LoRA dropout (PEFT's model.eval()). Otherwise an
	// adapter's lora_dropout applies to forward passes that record a graph
	// (not under nn.NoGrad), with masks drawn from DropoutSeed and a
	// per-forward counter, so runs are reproducible.
	Eval        bool
	DropoutSeed uint64
	// SeparatePrompts runs every sequence of CompletionLogProbs through the
	// model whole, even where several share a prompt; otherwise the prompt's
	// rows are computed once for all of them. The two agree to float
	// rounding (gradients into the shared rows are summed in another
	// order). Trainable sets it for models under AutoCheckpointParams
	// parameters, so the built-in tiny models keep their exact runs.
	SeparatePrompts bool
	dropCalls       uint64

	cos, sin []float32 // RoPE tables
	ropeLen  int
}

// AutoCheckpointParams is the model size (parameters) from which
// Trainable turns on activation checkpointing by default: above it a
// decoder block's activations for a training batch dwarf its input
// (Llama-3.2-1B: about 1 GB per block for 16 sequences of 300 tokens), so
// recomputing them in backward is what lets such models train in memory.
// It is also the size from which sequences sharing a prompt share its pass
// (SeparatePrompts off). Smaller models (the built-in tiny ones) keep every
// activation and run every sequence whole, as before.
const AutoCheckpointParams = 100_000_000

// Trainable wraps the model's weights as autograd values (see Trainable).
func (m *Model) Trainable() *Trainable {
	large := m.NumParams() >= AutoCheckpointParams
	t := &Trainable{Model: m, Layers: make([]TrainLayer, len(m.Layers)), Checkpoint: large, SeparatePrompts: !large}
	frozen := m.frozen
	mat := func(name string, w *Matrix) *nn.Value {
		var v *nn.Value
		switch {
		case w.DType == tensor.F32 && !frozen:
			v = nn.NewParam(w.F32, w.Rows, w.Cols)
		case w.DType == tensor.F32:
			v = nn.FromSlice(w.F32, w.Rows, w.Cols)
		case w.DType.IsQuant():
			// frozen in its blocks (QLoRA): forward and dx through the
			// quantized kernels, never widened whole
			v = nn.QuantConst(w.DType.Quant(), w.Q, w.Rows, w.Cols)
		default:
			v = nn.Const(tensor.FromU16(w.DType, w.U16, w.Rows, w.Cols))
		}
		v.Name = name
		return v
	}
	norm := func(name string, w []float32) *nn.Value {
		v := nn.NewParam(w, len(w))
		if frozen {
			v = nn.FromSlice(w, len(w))
		}
		v.Name = name
		return v
	}
	// stack gives the first matrix of a fused f32 group (see model_fuse.go)
	// a Data slice whose capacity spans the group, so nn.LinearStack sees
	// the parameters stacked and multiplies them in one GEMM. A frozen
	// view does the same with 16-bit constants (their raw bits).
	stack := func(v *nn.Value, fused *Matrix, parts ...*Matrix) *nn.Value {
		if !aliases(fused, parts...) {
			return v
		}
		p := parts[0]
		switch {
		case fused.DType == tensor.F32 && len(v.Data) > 0:
			v.Data = fused.F32[:len(v.Data)]
		case fused.DType.IsQuant() && len(p.Q) > 0:
			c := nn.QuantConst(p.DType.Quant(), fused.Q[:len(p.Q)], p.Rows, p.Cols)
			c.Name = v.Name
			return c
		case fused.DType != tensor.F32 && frozen && len(p.U16) > 0:
			c := nn.Const(tensor.FromU16(p.DType, fused.U16[:len(p.U16)], p.Rows, p.Cols))
			c.Name = v.Name
			return c
		}
		return v
	}
	t.Embed = mat(nameEmbed, &m.Embed)
	for i := range m.Layers {
		l, tl := &m.Layers[i], &t.Layers[i]
		tl.AttnNorm = norm(layerName(i, "input_layernorm"), l.AttnNorm)
		tl.Q = mat(layerName(i, "self_attn.q_proj"), &l.Q)
		tl.K = mat(layerName(i, "self_attn.k_proj"), &l.K)
		tl.V = mat(layerName(i, "self_attn.v_proj"), &l.V)
		tl.O = mat(layerName(i, "self_attn.o_proj"), &l.O)
		tl.MLPNorm = norm(layerName(i, "post_attention_layernorm"), l.MLPNorm)
		tl.Gate = mat(layerName(i, "mlp.gate_proj"), &l.Gate)
		tl.Up = mat(layerName(i, "mlp.up_proj"), &l.Up)
		tl.Down = mat(layerName(i, "mlp.down_proj"), &l.Down)
		tl.Q = stack(tl.Q, &l.qkv, &l.Q, &l.K, &l.V)
		tl.Gate = stack(tl.Gate, &l.gateUp, &l.Gate, &l.Up)
	}
	if a := m.adapter; a != nil {
		scale, p := a.Config.Scale(), float32(a.Config.Dropout)
		a.each(func(l, proj int, w *LoRAWeights) {
			la := nn.NewParam(w.A, w.R, w.In)
			lb := nn.NewParam(w.B, w.Out, w.R)
			la.Name, lb.Name = adapterTensorName(l, proj, "A"), adapterTensorName(l, proj, "B")
			t.Layers[l].LoRA[proj] = &nn.LoRA{A: la, B: lb, Scale: scale, Dropout: p}
		})
	}
	t.Norm = norm(nameNorm, m.Norm)
	if m.dims.tied {
		t.LMHead = t.Embed
	} else {
		t.LMHead = mat(nameLMHead, m.LMHead)
	}
	return t
}

// Params lists the trainable values (RequiresGrad) in HF name order of
// the model files: embedding, layers, final norm, untied lm_head. For a
// view (Model.WithAdapter) they are only the adapter's A and B, layer by
// layer in projection order.
func (t *Trainable) Params() []*nn.Value {
	var ps []*nn.Value
	add := func(vs ...*nn.Value) {
		for _, v := range vs {
			if v.RequiresGrad {
				ps = append(ps, v)
			}
		}
	}
	add(t.Embed)
	for _, l := range t.Layers {
		add(l.AttnNorm, l.Q, l.K, l.V, l.O, l.MLPNorm, l.Gate, l.Up, l.Down)
		for _, lo := range l.LoRA {
			if lo != nil {
				add(lo.A, lo.B)
			}
		}
	}
	add(t.Norm)
	if t.LMHead != t.Embed {
		add(t.LMHead)
	}
	return ps
}

func (t *Trainable) ensureRoPE(n int) {
	if n <= t.ropeLen {
		return
	}
	half := t.Model.dims.headDim / 2
	t.cos = make([]float32, n*half)
	t.sin = make([]float32, n*half)
	for p := 0; p < n; p++ {
		ropeAngles(t.Model.invFreq, p, t.cos[p*half:(p+1)*half], t.sin[p*half:(p+1)*half])
	}
	t.ropeLen = n
}

// Hidden runs the decoder over B sequences of equal length T (ids is B×T,
// each sequence starting at position 0) and returns the final-normed hidden
// states [B*T, Hidden]. Causal attention makes right padding harmless to
// the positions before it.
func (t *Trainable) Hidden(ids [][]int) (*nn.Value, error) {
	return t.hidden(ids, nil)
}

// hidden is Hidden with input embeddings overridden by inj (nil: none).
func (t *Trainable) hidden(ids [][]int, inj *TrainInjection) (*nn.Value, error) {
	d := t.Model.dims
	if len(ids) == 0 || len(ids[0]) == 0 {
		return nil, fmt.Errorf("llama: train forward: empty batch")
	}
	T := len(ids[0])
	if d.maxPos > 0 && T > d.maxPos {
		return nil, fmt.Errorf("llama: train forward: length %d beyond max_position_embeddings %d", T, d.maxPos)
	}
	B := len(ids)
	flat := make([]int, 0, B*T)
	pos := make([]int, 0, B*T)
	for b, row := range ids {
		if len(row) != T {
			return nil, fmt.Errorf("llama: train forward: sequence %d has %d tokens, sequence 0 has %d (pad them)", b, len(row), T)
		}
		for j, id := range row {
			if id < 0 || id >= d.vocab {
				return nil, fmt.Errorf("llama: train forward: sequence %d token %d: id %d outside the vocabulary [0,%d)", b, j, id, d.vocab)
			}
			flat = append(flat, id)
			pos = append(pos, j)
		}
	}
	t.ensureRoPE(T)
	drop := t.dropoutStream()
	x, err := t.inputEmbeddings(flat, T, inj)
	if err != nil {
		return nil, err
	}
	return t.layers(x, pos, drop, func(q, k, v *nn.Value) *nn.Value {
		a := nn.Attention(nn.Reshape(q, B, T, d.qDim), nn.Reshape(k, B, T, d.kvDim), nn.Reshape(v, B, T, d.kvDim), d.heads, d.kvHeads)
		nn.Transient(a)
		return nn.Reshape(a, B*T, d.qDim)
	}), nil
}

// layers runs every decoder block on the input embeddings x [rows, Hidden] (row r at
// position pos[r]) and returns the final-normed hidden states. attend is the layout's
// causal attention: it maps the roped q, k and v rows to the attention output rows
// [rows, qDim].
func (t *Trainable) layers(x *nn.Value, pos []int, drop uint64, attend func(q, k, v *nn.Value) *nn.Value) *nn.Value {
	for i := range t.Layers {
		nn.Transient(x) // the embeddings and every block output but the last norm's input stay inside
		if t.Checkpoint && nn.GradEnabled() {
			x = nn.Checkpoint(func(in []*nn.Value) *nn.Value { return t.block(i, in[0], pos, drop, attend) }, x)
		} else {
			x = t.block(i, x, pos, drop, attend)
		}
	}
	nn.Transient(x)
	return nn.RMSNorm(x, t.Norm, t.Model.dims.eps)
}

// block is one decoder layer on x [rows, Hidden] with attend the layout's
// attention (see layers); drop is the forward's LoRA dropout stream (0: no
// dropout).
func (t *Trainable) block(i int, x *nn.Value, pos []int, drop uint64, attend func(q, k, v *nn.Value) *nn.Value) *nn.Value {
	d := t.Model.dims
	l := &t.Layers[i]
	h := nn.RMSNorm(x, l.AttnNorm, d.eps)
	// Q, K, V (and below gate, up) as one stacked projection: one GEMM
	// per pass when the weights share the model's fused buffer.
	qkvAll := t.project(h, i, drop, []*nn.Value{l.Q, l.K, l.V}, ProjQ, ProjK, ProjV)
	qkv := nn.SplitLast(qkvAll, d.qDim, d.kvDim, d.kvDim)
	q := nn.RoPE(qkv[0], d.heads, pos, t.cos, t.sin)
	k := nn.RoPE(qkv[1], d.kvHeads, pos, t.cos, t.sin)
	a := attend(q, k, qkv[2])
	o := t.project(a, i, drop, []*nn.Value{l.O}, ProjO)
	x1 := nn.Add(x, o)
	h1 := nn.RMSNorm(x1, l.MLPNorm, d.eps)
	gu := t.project(h1, i, drop, []*nn.Value{l.Gate, l.Up}, ProjGate, ProjUp)
	m := nn.SwiGLUStacked(gu)
	down := t.project(m, i, drop, []*nn.Value{l.Down}, ProjDown)
	// The block's activations are never handed out: Backward recycles
	// their buffers for the next step's (the block output is the caller's).
	nn.Transient(h, qkvAll, qkv[0], qkv[1], qkv[2], q, k, o, x1, h1, gu, m, down)
	return nn.Add(x1, down)
}

// Logits returns the logits [B*T, Vocab] of every position of ids (B×T).
func (t *Trainable) Logits(ids [][]int) (*nn.Value, error) {
	h, err := t.Hidden(ids)
	if err != nil {
		return nil, err
	}
	return nn.Linear(h, t.LMHead), nil
}

// fusedHeadElems is the logit-matrix size (rows x vocab) from which the
// training losses use nn's fused projection + log-softmax, which never
// holds the logits (at the cost of recomputing them in backward). Below it
// the plain Linear + TokenLogProbs path is faster. Tests lower it.
var fusedHeadElems = 32 << 20

// headLogProbs returns log softmax(h·Wᵀ / temperature)[targets] per row of
// h, fused or not depending on the logit matrix size.
func (t *Trainable) headLogProbs(h *nn.Value, targets []int, scale float32) *nn.Value {
	if len(targets)*t.Model.dims.vocab >= fusedHeadElems {
		return nn.LinearLogProbs(h, t.LMHead, targets, scale)
	}
	logits := nn.Linear(h, t.LMHead)
	nn.Transient(logits) // the logits are never handed out
	if scale != 1 {
		logits = nn.Scale(logits, scale)
		nn.Transient(logits)
	}
	return nn.TokenLogProbs(logits, targets)
}

// NextTokenLoss is the mean over every position t < T-1 of every sequence
// of -log p(ids[b][t+1] | ids[b][:t+1]) (the pretraining loss).
func (t *Trainable) NextTokenLoss(ids [][]int) (*nn.Value, error) {
	if len(ids) > 0 && len(ids[0]) < 2 {
		return nil, fmt.Errorf("llama: next-token loss needs sequences of at least 2 tokens")
	}
	h, err := t.Hidden(ids)
	if err != nil {
		return nil, err
	}
	T := len(ids[0])
	targets := make([]int, 0, len(ids)*T)
	for _, row := range ids {
		targets = append(targets, row[1:]...)
		targets = append(targets, -1)
	}
	nn.Transient(h) // the final hidden states stay inside the loss
	lp := t.headLogProbs(h, targets, 1)
	return nn.Scale(nn.Sum(lp), -1/float32(len(ids)*(T-1))), nil
}
