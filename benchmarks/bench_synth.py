"""Benchmark `mkdata synth sap` backends on CPU with SmolLM2-135M (scripts/install_llm_cpu.sh).

Usage: python benchmarks/bench_synth.py [--prompts 64] [--overhead-requests 2000]

1. vLLM: the same SAP prompts through a bare ``LLM.chat`` call and through mkdata's
   VLLMBackend (which also stores every completion), on one engine in one run, repeated
   3 times with the order alternating (bare first, then mkdata first, ...): medians,
   prompts/s, generated tokens/s, ratio of the medians.
2. openai backend against `vllm serve` of the same model (64 in flight): prompts/s,
   generated tokens/s.
3. openai backend overhead: requests to a local server that answers at once
   (tests/llm_servers.py, in its own process), 64 in flight: the client process's CPU
   time per request (its overhead), and wall time per request (server included).
Writes benchmarks/_work/synth_results.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "scripts"))
WORK = HERE / "_work"


def prompts(n: int):
    from mkdata.core.llm import ChatRequest
    from mkdata.synth.prompts import SCHEMA, load_prompts

    sentences = [
        json.loads(x)["eng"]
        for x in (HERE / "bitext_gold/handwritten/parallel.jsonl").read_text().splitlines()
    ]
    p = load_prompts()
    out = []
    for i in range(n):
        passage = " ".join(sentences[(i + j) % len(sentences)] for j in range(3))
        lang = ["deu", "fra", "jpn", "spa"][i % 4]
        out.append(
            ChatRequest(f"k{i}", p.messages("cross-lingual", lang, passage), 96, 0.7, i, SCHEMA)
        )
    return out


def bench_vllm(model: str, n: int, repeats: int = 3) -> dict:
    from vllm import SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    from mkdata.core.generations import GenerationStore
    from mkdata.core.llm import VLLMBackend

    reqs = prompts(n)
    backend = VLLMBackend(model)
    params = [SamplingParams(max_tokens=r.max_tokens, temperature=r.temperature, seed=r.seed,
                             structured_outputs=StructuredOutputsParams(json=r.json_schema)) for r in reqs]  # fmt: skip
    backend.llm.chat([reqs[0].as_messages()], sampling_params=params[0], use_tqdm=False)  # warm-up
    tokens = 0

    def bare_run() -> float:
        nonlocal bare_tokens
        start = time.perf_counter()
        outs = backend.llm.chat(
            [r.as_messages() for r in reqs], sampling_params=params, use_tqdm=False
        )
        bare_tokens = sum(len(o.outputs[0].token_ids) for o in outs)
        return time.perf_counter() - start

    def on_result(r, c) -> None:
        nonlocal tokens
        tokens += c.completion_tokens
        store.add({"key": r.key, "text": c.text})

    def mkdata_run() -> float:
        nonlocal tokens
        tokens = 0
        start = time.perf_counter()
        backend.generate(reqs, on_result)
        return time.perf_counter() - start

    bare_tokens = 0
    store = GenerationStore(Path(tempfile.mkdtemp()))
    bare_times, our_times = [], []
    for round_ in range(repeats):  # alternate which goes first, so neither always runs warm
        first, second = (bare_run, mkdata_run) if round_ % 2 == 0 else (mkdata_run, bare_run)
        for fn in (first, second):
            (bare_times if fn is bare_run else our_times).append(fn())
    store.close()
    bare, ours = statistics.median(bare_times), statistics.median(our_times)
    return {
        "prompts": n, "repeats": repeats, "bare_seconds": [round(x, 2) for x in bare_times],
        "mkdata_seconds": [round(x, 2) for x in our_times], "ratio_of_medians": round(ours / bare, 3),
        "bare_tokens_per_s": round(bare_tokens / bare, 1),
        "mkdata_prompts_per_s": round(n / ours, 2), "mkdata_tokens_per_s": round(tokens / ours, 1),
    }  # fmt: skip


def bench_openai_serve(model: str, n: int) -> dict:
    from llm_servers import VLLMServer

    from mkdata.core.llm import OpenAIBackend

    reqs = prompts(n)
    with VLLMServer(Path(model), WORK / "serve.log") as server:
        backend = OpenAIBackend(model, server.url, concurrency=64)
        backend.generate(reqs[:2], lambda r, c: None)  # warm-up
        backend.usage.__init__()
        start = time.perf_counter()
        backend.generate(reqs, lambda r, c: None)
        seconds = time.perf_counter() - start
    u = backend.usage
    return {"prompts": n, "seconds": round(seconds, 2), "prompts_per_s": round(n / seconds, 2),
            "tokens_per_s": round(u.completion_tokens / seconds, 1), "errors": u.errors}  # fmt: skip


def bench_overhead(n: int) -> dict:
    """Client-side cost per request: the server runs in its own process, so this process's
    CPU time is the backend's (openai client, asyncio, mkdata) alone."""
    import subprocess

    from mkdata.core.llm import OpenAIBackend

    reqs = prompts(n)
    server = subprocess.Popen(
        [sys.executable, str(HERE.parent / "tests" / "llm_servers.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().strip()
        backend = OpenAIBackend("m", url, concurrency=64)
        backend.generate(reqs[:64], lambda r, c: None)  # warm-up, connections open
        wall, cpu = time.perf_counter(), time.process_time()
        backend.generate(reqs, lambda r, c: None)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        server.kill()
    return {"requests": n, "in_flight": 64, "wall_seconds": round(wall, 2),
            "wall_ms_per_request": round(1000 * wall / n, 3),
            "client_cpu_ms_per_request": round(1000 * cpu / n, 3), "errors": backend.usage.errors}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--prompts", type=int, default=64, help="SAP prompts per vLLM and vllm serve run"
    )
    ap.add_argument(
        "--overhead-requests",
        type=int,
        default=2000,
        help="requests to the instant local server for the client overhead",
    )
    args = ap.parse_args()
    from prepare_cpu_model import prepare

    model = str(prepare())
    WORK.mkdir(exist_ok=True)
    results = {"overhead": bench_overhead(args.overhead_requests)}
    print(json.dumps(results["overhead"]), flush=True)
    results["vllm"] = bench_vllm(model, args.prompts)
    print(json.dumps(results["vllm"]), flush=True)
    results["openai_vllm_serve"] = bench_openai_serve(model, args.prompts)
    print(json.dumps(results["openai_vllm_serve"]), flush=True)
    (WORK / "synth_results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
