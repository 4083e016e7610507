#!/usr/bin/python3
"""Golden data for popi-go's LoRA adapters (llama/adapter*_test.go).

A LoRA adapter in Hugging Face PEFT's file layout on the random tiny LLaMA-3 model of
../golden_tiny (f32, 2 layers, hidden 64), and what the adapted model computes, from a
plain PyTorch re-implementation: the model is written out by hand (HF LlamaForCausalLM
semantics, as ../golden_tiny/README.md describes) and every projection named in
target_modules becomes

    y = x @ W.T + (dropout(x) @ A.T) @ B.T * (lora_alpha / r)

which is what PEFT's LoRA Linear layer computes (lora_A: nn.Linear(in, r), lora_B:
nn.Linear(r, out), no bias). No PEFT code is used or copied. Dropout is 0, so the
gradients are deterministic.

Writes, next to this script:
  adapter/adapter_config.json        LoraConfig keys as PEFT (0.13) saves them
  adapter/adapter_model.safetensors  lora_A [r, in] / lora_B [out, r] for every layer and
                                     target, PEFT's tensor names, F32
  logits.safetensors                 logits_0, logits_1 [T, 384] of inputs.json sequences 0
                                     and 1 with the adapter
  grads.safetensors                  grad.<tensor name> for every adapter tensor, of the mean
                                     next-token loss on sequence 1
  golden.json                        the loss, and the float32-vs-float64 and finite-difference
                                     cross-checks of this script

The stored values come from a float64 run (rounded to f32); the float32 run is compared
with it. Run with Debian's python3-torch: /usr/bin/python3 gen_lora_golden.py
"""
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "..", "golden_tiny")
R, ALPHA = 4, 8.0
SCALE = ALPHA / R
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
PARTS = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
         "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}

torch.set_num_threads(1)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", (name, e["dtype"])
        b, end = e["data_offsets"]
        raw = data[8 + n + b:8 + n + end]
        t = torch.frombuffer(bytearray(raw), dtype=torch.float32).clone()
        out[name] = t.reshape(e["shape"])
    return out


def write_safetensors(path, tensors):
    names = sorted(tensors)
    header, off, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name in names:
        t = tensors[name].detach().to(torch.float32).contiguous()
        raw = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
        blobs.append(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def llama3_inv_freq(cfg, dtype):
    """HF's default inverse frequencies with the llama3 rope_scaling, in float32 as HF."""
    dim = cfg["head_dim"]
    base = cfg["rope_theta"]
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    rs = cfg["rope_scaling"]
    factor, low, high, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
    low_wl, high_wl = old / low, old / high
    wavelen = 2 * math.pi / inv
    inv_l = torch.where(wavelen > low_wl, inv / factor, inv)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
    is_medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
    inv_l = torch.where(is_medium, smoothed, inv_l)
    return inv_l.to(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rmsnorm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def forward(W, lora, ids, cfg, dtype):
    """Logits [T, V] of one sequence."""
    H, nh, nkv, hd = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    T = len(ids)
    inv = llama3_inv_freq(cfg, torch.float32)
    pos = torch.arange(T, dtype=torch.float32)
    freqs = pos[:, None] * inv[None, :]  # float32 angles, as HF
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos().to(dtype), emb.sin().to(dtype)

    def lin(x, layer, name):
        key = f"model.layers.{layer}.{PARTS[name]}.{name}"
        y = x @ W[key + ".weight"].T
        if key in lora:
            A, B = lora[key]
            y = y + (x @ A.T) @ B.T * SCALE
        return y

    x = W["model.embed_tokens.weight"][torch.tensor(ids)]
    mask = torch.full((T, T), float("-inf"), dtype=dtype).triu(1)
    for l in range(cfg["num_hidden_layers"]):
        h = rmsnorm(x, W[f"model.layers.{l}.input_layernorm.weight"], eps)
        q = lin(h, l, "q_proj").view(T, nh, hd).transpose(0, 1)
        k = lin(h, l, "k_proj").view(T, nkv, hd).transpose(0, 1)
        v = lin(h, l, "v_proj").view(T, nkv, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        g = nh // nkv
        k = k.repeat_interleave(g, dim=0)
        v = v.repeat_interleave(g, dim=0)
        s = (q @ k.transpose(1, 2)) * hd ** -0.5 + mask
        a = torch.softmax(s, dim=-1) @ v
        x = x + lin(a.transpose(0, 1).reshape(T, nh * hd), l, "o_proj")
        n = rmsnorm(x, W[f"model.layers.{l}.post_attention_layernorm.weight"], eps)
        m = torch.nn.functional.silu(lin(n, l, "gate_proj")) * lin(n, l, "up_proj")
        x = x + lin(m, l, "down_proj")
    x = rmsnorm(x, W["model.norm.weight"], eps)
    return x @ W["model.embed_tokens.weight"].T


def shapes(cfg):
    H, I, hd = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    q, kv = cfg["num_attention_heads"] * hd, cfg["num_key_value_heads"] * hd
    return {"q_proj": (q, H), "k_proj": (kv, H), "v_proj": (kv, H), "o_proj": (H, q),
            "gate_proj": (I, H), "up_proj": (I, H), "down_proj": (H, I)}


def main():
    with open(os.path.join(BASE, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(BASE, "inputs.json")) as f:
        seqs = json.load(f)["sequences"]
    W32 = read_safetensors(os.path.join(BASE, "model.safetensors"))

    # The adapter: A as PEFT's default init (kaiming_uniform, a = sqrt(5): U(-1/sqrt(in),
    # 1/sqrt(in))), B non-zero (a trained adapter), N(0, 0.1^2). Rounded to f32 once.
    gen = torch.Generator().manual_seed(20250613)
    lora32 = {}
    for l in range(cfg["num_hidden_layers"]):
        for name in TARGETS:
            out, inp = shapes(cfg)[name]
            bound = 1 / math.sqrt(inp)
            A = (torch.rand(R, inp, generator=gen, dtype=torch.float64) * 2 - 1) * bound
            B = torch.randn(out, R, generator=gen, dtype=torch.float64) * 0.1
            lora32[f"model.layers.{l}.{PARTS[name]}.{name}"] = (A.float(), B.float())

    def run(dtype):
        W = {k: v.to(dtype) for k, v in W32.items()}
        lora = {k: (A.to(dtype).requires_grad_(), B.to(dtype).requires_grad_()) for k, (A, B) in lora32.items()}
        logits = [forward(W, lora, seqs[i], cfg, dtype) for i in (0, 1)]
        ids = torch.tensor(seqs[1])
        lp = torch.log_softmax(forward(W, lora, seqs[1], cfg, dtype), dim=-1)
        loss = -lp[torch.arange(len(ids) - 1), ids[1:]].mean()
        loss.backward()
        grads = {}
        for key, (A, B) in lora.items():
            grads[f"base_model.model.{key}.lora_A.weight"] = A.grad
            grads[f"base_model.model.{key}.lora_B.weight"] = B.grad
        return logits, loss, grads, W, lora

    # The hand-written model reproduces the base golden logits without the adapter.
    ref = read_safetensors(os.path.join(BASE, "logits.safetensors"))
    base_err = max(float((forward(W32, {}, seqs[i], cfg, torch.float32) - ref[f"logits_{i}"]).abs().max()) for i in range(3))
    assert base_err < 1e-4, base_err

    l64, loss64, g64, W64, lora64 = run(torch.float64)
    base64 = [forward({k: v.double() for k, v in W32.items()}, {}, seqs[i], cfg, torch.float64) for i in (0, 1)]
    moved = max(float((a - b).abs().max()) for a, b in zip(l64, base64))
    l32, loss32, g32, _, _ = run(torch.float32)
    rel = lambda a, b: float((a.double() - b.double()).abs().max() / b.double().abs().max())
    logit_rel = max(rel(a, b) for a, b in zip(l32, l64))
    grad_rel = max(rel(g32[k], g64[k]) for k in g64)

    # Directional finite difference of the float64 loss along the gradient.
    def loss_at(eps):
        with torch.no_grad():
            lo = {k: (A + eps * g64[f"base_model.model.{k}.lora_A.weight"],
                      B + eps * g64[f"base_model.model.{k}.lora_B.weight"]) for k, (A, B) in lora64.items()}
            ids = torch.tensor(seqs[1])
            lp = torch.log_softmax(forward(W64, lo, seqs[1], cfg, torch.float64), dim=-1)
            return float(-lp[torch.arange(len(ids) - 1), ids[1:]].mean())
    h = 1e-6
    fd = (loss_at(h) - loss_at(-h)) / (2 * h)
    gg = float(sum((g * g).sum() for g in g64.values()))
    fd_rel = abs(fd - gg) / gg

    os.makedirs(os.path.join(HERE, "adapter"), exist_ok=True)
    tensors = {}
    for key, (A, B) in lora32.items():
        tensors[f"base_model.model.{key}.lora_A.weight"] = A
        tensors[f"base_model.model.{key}.lora_B.weight"] = B
    write_safetensors(os.path.join(HERE, "adapter", "adapter_model.safetensors"), tensors)
    config = {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": "tiny-llama3",
        "bias": "none", "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
        "layer_replication": None, "layers_pattern": None, "layers_to_transform": None,
        "loftq_config": {}, "lora_alpha": ALPHA, "lora_dropout": 0.0, "megatron_config": None,
        "megatron_core": "megatron.core", "modules_to_save": None, "peft_type": "LORA", "r": R,
        "rank_pattern": {}, "revision": None, "target_modules": TARGETS, "task_type": "CAUSAL_LM",
        "use_dora": False, "use_rslora": False,
    }
    with open(os.path.join(HERE, "adapter", "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    write_safetensors(os.path.join(HERE, "logits.safetensors"), {"logits_0": l64[0], "logits_1": l64[1]})
    write_safetensors(os.path.join(HERE, "grads.safetensors"), {"grad." + k: g for k, g in g64.items()})
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump({
            "loss_definition": "mean over t=0..68 of -log softmax(logits[t])[ids[t+1]], ids = inputs.json sequences[1], adapter applied",
            "r": R, "lora_alpha": ALPHA, "scale": SCALE,
            "loss": float(loss64), "loss_float32": float(loss32),
            "logits_f32_vs_f64_rel": logit_rel, "grads_f32_vs_f64_worst_rel": grad_rel,
            "directional_fd_rel": fd_rel, "base_logits_vs_golden_tiny_max_abs": base_err,
            "adapter_moves_logits_max_abs": moved,
            "torch": torch.__version__,
        }, f, indent=1)
        f.write("\n")
    print(f"loss {float(loss64):.9f} (f32 {float(loss32):.9f}); logits f32/f64 rel {logit_rel:.2e}; "
          f"grads f32/f64 rel {grad_rel:.2e}; directional FD rel {fd_rel:.2e}; base vs golden_tiny {base_err:.2e}; "
          f"adapter moves logits by up to {moved:.3f}")


if __name__ == "__main__":
    main()
