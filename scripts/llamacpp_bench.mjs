// llama.cpp (through node-llama-cpp's prebuilt CPU binaries) on a GGUF file:
//
//   node llamacpp_bench.mjs check MODEL.gguf GREEDY.json tied|untied
//       greedy-generates from GREEDY.json's prompt_ids (F32 KV cache) and
//       compares the ids with GREEDY.json's <key>.ids; exit 1 if they differ.
//   node llamacpp_bench.mjs bench MODEL.gguf LABEL THREADS PREFILL[,PREFILL] DECODE REPS
//       prefill of each PREFILL tokens into an empty cache (one batch, last logits), and
//       DECODE greedy decode steps after a 16-token prompt (one token per
//       llama_decode, logits + argmax sampling each step), REPS repetitions
//       after one warm-up; prints one SUMMARY line per measurement (median).
//
// Needs NODE_LLAMA_CPP_DIR = a directory whose node_modules holds node-llama-cpp.
// Logs which ggml CPU backend variant was loaded (e.g. libggml-cpu-zen4.so).
import path from "node:path";
import fs from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const dir = process.env.NODE_LLAMA_CPP_DIR;
if (!dir) {
    console.error("set NODE_LLAMA_CPP_DIR to the directory where node-llama-cpp is installed");
    process.exit(2);
}
const req = createRequire(path.join(dir, "package.json"));
const nlc = await import(pathToFileURL(req.resolve("node-llama-cpp")).href);
const { getLlama, LlamaLogLevel } = nlc;

const [mode, modelPath, ...rest] = process.argv.slice(2);
if (!["check", "bench"].includes(mode) || !modelPath) {
    console.error("usage: llamacpp_bench.mjs check MODEL GREEDY.json tied|untied | bench MODEL LABEL THREADS PREFILLS DECODE REPS");
    process.exit(2);
}

const backendLines = [];
const llama = await getLlama({
    gpu: false,
    build: "never",
    usePrebuiltBinaries: true,
    skipDownload: true,
    logLevel: LlamaLogLevel.debug,
    logger(level, message) {
        const m = String(message).trim();
        if (/load_backend|ggml-cpu|CPU backend|register_backend/i.test(m)) backendLines.push(m);
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) console.error("llama.cpp:", m);
    },
});
console.log(`llama.cpp release ${JSON.stringify(llama.llamaCppRelease)}, build ${llama.buildType}, gpu ${llama.gpu}`);
console.log(`system info: ${llama.systemInfo}`);
// The ggml CPU variant actually mapped into this process (the library picks the best one for the CPU).
function cpuVariants() {
    const maps = fs.readFileSync("/proc/self/maps", "utf8").split("\n");
    return [...new Set(maps.filter(l => /libggml-cpu[^/]*\.so/.test(l)).map(l => path.basename(l.trim().split(/\s+/).pop())))];
}
function logVariant() {
    for (const l of backendLines.splice(0)) console.log(`backend log: ${l}`);
    const v = cpuVariants();
    console.log(`CPU variant loaded: ${v.join(", ") || "none"}`);
    if (!v.some(x => /zen4/.test(x))) console.log("WARNING: libggml-cpu-zen4.so is not the CPU variant in use");
    return v.join(",");
}

const median = xs => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const now = () => performance.now();

if (mode === "check") {
    const [greedyPath, key] = rest;
    const g = JSON.parse(fs.readFileSync(greedyPath, "utf8"));
    const want = g[key]?.ids;
    if (!Array.isArray(want)) { console.error(`no ${key}.ids in ${greedyPath}`); process.exit(2); }
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    logVariant();
    const ctx = await model.createContext({
        contextSize: 256, batchSize: 256, threads: 1, flashAttention: false,
        experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
    });
    const seq = ctx.getSequence();
    const got = [];
    for await (const tok of seq.evaluate(g.prompt_ids, { temperature: 0, yieldEogToken: true })) {
        got.push(tok);
        if (got.length >= want.length) break;
    }
    const same = got.length === want.length && got.every((t, i) => t === want[i]);
    console.log(`greedy ${key}: llama.cpp ${JSON.stringify(got)}`);
    console.log(`greedy ${key}: golden    ${JSON.stringify(want)}`);
    console.log(`CHECK ${key} ${same ? "OK: identical greedy tokens" : "FAILED: tokens differ"}`);
    await ctx.dispose(); await model.dispose();
    process.exit(same ? 0 : 1);
}

const [label, threadsS, prefillS, decodeS, repsS] = rest;
const threads = Number(threadsS), decodeN = Number(decodeS), reps = Number(repsS);
const prefills = prefillS.split(",").map(Number).filter(n => n > 0);
const t0 = now();
const model = await llama.loadModel({ modelPath, gpuLayers: 0, useMmap: false });
console.log(`loaded ${path.basename(modelPath)} in ${((now() - t0) / 1000).toFixed(1)}s (no mmap: weights read into memory)`);
const variant = logVariant();
const maxPrefill = Math.max(16, ...prefills);
const ctx = await model.createContext({
    contextSize: Math.max(1024, maxPrefill + decodeN + 32), batchSize: maxPrefill,
    threads: { ideal: threads, min: threads }, flashAttention: false,
});
console.log(`context: ${ctx.contextSize} tokens, batch ${ctx.batchSize}, threads ${ctx.currentThreads}, KV cache F16 (node-llama-cpp default), flash attention off`);
const seq = ctx.getSequence();
// Token ids below 8000 are ordinary tokens in every benchmark vocabulary (30m: 8192, 1b: 128256).
const ids = n => Array.from({ length: n }, (_, i) => (i * 7919 + 11) % 8000);

for (const n of prefills) {
    const toks = ids(n);
    const times = [];
    for (let r = 0; r <= reps; r++) {
        await seq.clearHistory();
        // Until the first generated token: the prompt in one batch plus the last position's
        // logits and a greedy pick (llama-bench's prompt test also computes the last logits).
        const a = now();
        for await (const _tok of seq.evaluate(toks, { temperature: 0, yieldEogToken: true })) break;
        const dt = (now() - a) / 1000;
        if (r > 0) times.push(dt);
    }
    const med = median(times);
    console.log(`prefill ${n}: ${times.map(t => (n / t).toFixed(1)).join(" ")} tok/s`);
    console.log(`SUMMARY llama.cpp ${label} prefill ${n} threads ${threads}: ${(n / med).toFixed(1)} tok/s (median of ${reps}, ${(med * 1000).toFixed(0)} ms, ${variant})`);
}
if (decodeN > 0) {
    const times = [];
    for (let r = 0; r <= reps; r++) {
        await seq.clearHistory();
        await seq.evaluateWithoutGeneratingNewTokens(ids(16));
        let k = 0;
        const a = now();
        for await (const _tok of seq.evaluate([ids(17)[16]], { temperature: 0, yieldEogToken: true })) {
            if (++k >= decodeN) break;
        }
        const dt = (now() - a) / 1000;
        if (r > 0) times.push(dt);
    }
    const med = median(times);
    console.log(`decode ${decodeN}: ${times.map(t => (decodeN / t).toFixed(2)).join(" ")} tok/s`);
    console.log(`SUMMARY llama.cpp ${label} decode ${decodeN} threads ${threads}: ${(decodeN / med).toFixed(2)} tok/s (median of ${reps}, ${variant})`);
}
await ctx.dispose();
await model.dispose();
