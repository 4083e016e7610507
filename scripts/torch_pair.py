#!/usr/bin/python3
"""PyTorch's training step of a reference script (TORCH_REFERENCE in scripts/pair_train.sh, not
part of this repository), timed step by step in turns with popi-go's scripts/pairtrain through
two FIFOs. The reference is loaded as a module with argv "--preset P --threads 2 --mode train";
it must define torch, F (torch.nn.functional), args (with vocab, batch, seq, prompt_len and
decode_tokens of the preset) and TinyLlama(args, max_len), the model of the preset's shape.
Usage (see scripts/pair_train.sh):
  torch_pair.py REFERENCE_PY PRESET STEPS IN_FIFO OUT_FIFO
"""
import importlib.util
import os
import statistics
import sys
import time

ref_path, preset, steps, fin, fout = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
sys.argv = [ref_path, "--preset", preset, "--threads", "2", "--mode", "train"]
spec = importlib.util.spec_from_file_location("torch_tiny_llama", ref_path)
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)  # parses the argv above: threads, OpenBLAS settings, seed
torch, F, a = ref.torch, ref.F, ref.args

model = ref.TinyLlama(a, max(a.seq, a.prompt_len + a.decode_tokens))
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
x = torch.randint(0, a.vocab, (a.batch, a.seq))
y = torch.randint(0, a.vocab, (a.batch, a.seq))
rfd, wfd = os.open(fin, os.O_RDWR), os.open(fout, os.O_RDWR)
print(f"torch {torch.__version__} {preset} model built", flush=True)
times = []
print("torch train step ms:", end="", flush=True)
warmup = 2
for i in range(warmup + steps):
    os.read(rfd, 1)
    t0 = time.perf_counter()
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, a.vocab), y.view(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    dt = time.perf_counter() - t0
    os.write(wfd, b"x")
    if i >= warmup:
        times.append(dt * 1000)
        print(f" {dt*1000:.0f}", end="", flush=True)
print(f"\nSUMMARY torch train step {preset}: {statistics.median(times):.1f} ms (median of {len(times)})", flush=True)
