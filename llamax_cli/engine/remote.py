"""A remote engine: the engine interface over an OpenAI-compatible completions server.

Segmentation, guards, detection, ordering and the exact LLaMAX prompt stay here; the server
only completes raw prompts (never a chat template: Ollama needs `TEMPLATE {{ .Prompt }}` in
its Modelfile for that). Units go as concurrent single-prompt requests, at most
`parallel` at once for all callers together, so that vLLM and llama-server batch them
continuously; urgent ones (retries that output waits on) are sent first.

Every request streams, so a unit the guards stop (a loop, a runaway) stops costing the server
at once, and a terminal sees the head unit token by token. A stream cut midway is resumed
where it stopped: the text received so far is appended to the prompt (greedy decoding then
continues as it would have). Faults and probes: openai_http.py.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time
from typing import Callable, Iterator, Optional, Sequence

from llamax_cli.engine import SECTION_STOP, Event, Request, Sampling, drive
from llamax_cli.engine.openai_http import OpenAIServer, TooLong
from llamax_cli.engine.outage import Abandoned
from llamax_cli.core.errors import Busy, EngineStopped, LlamaxError

DEFAULT_REMOTE_CTX = 2048  # when the server does not say, and --ctx is not given
STOP = [SECTION_STOP]  # a new "###" section ends the translation
_FINISH = {"length": "length"}  # "stop" (an end token or a stop string) and others: "eog"


class _Caller:
    def __init__(self, sampling: Sampling):
        self.sampling = sampling
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.cancelled = False


class RemoteEngine:
    def __init__(self, api_base: str, *, model: Optional[str] = None,
                 api_key: Optional[str] = None, parallel: int = 8, patience: float = 60.0,
                 n_ctx: Optional[int] = None, max_waiting: int = 1_000_000,
                 note: Callable[[str], None] = lambda m: None):
        self.server = OpenAIServer(api_base, api_key, patience=patience, note=note)
        try:
            self._probe(model, n_ctx)
        except BaseException:
            self.server.close()
            raise
        self.api_base = self.server.api_base
        self.n_parallel = parallel
        self.max_waiting = max_waiting
        self._counts: dict[str, int] = {}
        self._cond = threading.Condition()
        self._waiting: list = []  # heap of (0 urgent | 1, order, caller, index, request)
        self._order = itertools.count()
        self._stopping = False
        self._busy = 0  # requests in flight
        # An outage's one warning counts the requests it holds up: in flight and queued.
        self.server.outage.affected = lambda: self._busy + len(self._waiting)
        self._workers = [threading.Thread(target=self._work, name=f"llamax-remote-{i}",
                                          daemon=True) for i in range(parallel)]
        for worker in self._workers:
            worker.start()

    def _probe(self, model: Optional[str], n_ctx: Optional[int]) -> None:
        models = self.server.models()  # reachable, and the key accepted
        ids = [m.get("id") for m in models if isinstance(m, dict)]
        if model is None:
            if not ids:
                raise LlamaxError(f"{self.server.api_base}/models lists no model: name one "
                                  f"with --api-model")
            model = ids[0]
        self.model = model
        info = next((m for m in models if isinstance(m, dict) and m.get("id") == model), {})
        self.server_ctx = self.server.context_size(info)
        self.n_ctx = self.server_ctx or n_ctx or DEFAULT_REMOTE_CTX
        self._count = self.server.tokenizer(model)
        self.tokenizes = self._count is not None
        self.features: dict = {}  # probed on request (probe_features): nothing uses them yet

    def probe_features(self) -> dict:
        """n-best (beam search) and logprobs, where the server offers them; llamax's own
        --beams/--alternatives will use them, so for now they are only reported."""
        self.features = self.server.features(self.model)
        return self.features

    def describe(self) -> str:
        ctx = f"context {self.n_ctx}" + ("" if self.server_ctx else " (assumed)")
        tokens = "server tokenizer" if self.tokenizes else "estimated token counts"
        extra = "".join(f", {name}: {'yes' if ok else 'no'}" for name, ok in self.features.items())
        return (f"remote engine {self.api_base}, model {self.model}, {ctx}, {tokens}, "
                f"{self.n_parallel} requests at once{extra}")

    # -- tokens ---------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        if self._count is None:
            # No tokenizer: an estimate on the safe side (a LLaMA vocabulary needs fewer tokens
            # than UTF-8 bytes / 2 for nearly every language), so units still fit.
            return len(text.encode("utf-8")) // 2 + 1
        count = self._counts.get(text)
        if count is None:
            count = self._count(text)
            if len(self._counts) > 10_000:
                self._counts.clear()
            self._counts[text] = count
        return count

    # -- the callers' side ---------------------------------------------------------------

    def generate(self, requests: Sequence[Request], sampling: Sampling,
                 cancel: threading.Event | None = None) -> Iterator[Event]:
        """Events for all requests (a list the caller may append to while this runs); closing
        the iterator or setting `cancel` cancels what is left, including requests in flight."""
        if not isinstance(requests, list):
            requests = list(requests)
        caller = _Caller(sampling)
        yield from drive(requests, lambda i, r: self._submit(caller, i, r), caller.events,
                         lambda outstanding: setattr(caller, "cancelled", True), cancel)

    def _submit(self, caller: _Caller, index: int, request: Request) -> None:
        with self._cond:
            if self._stopping:
                raise EngineStopped("the engine is shutting down")
            if len(self._waiting) >= self.max_waiting and not request.urgent:
                raise Busy(f"the engine's queue is full ({len(self._waiting)} requests waiting)")
            heapq.heappush(self._waiting, (0 if request.urgent else 1, next(self._order),
                                           caller, index, request))
            self._cond.notify()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def close(self) -> None:
        with self._cond:
            self._stopping = True
            waiting, self._waiting = self._waiting, []
            self._cond.notify_all()
        for *_, caller, _index, _request in waiting:  # nobody may wait on a stopped engine
            caller.events.put(EngineStopped("the engine was stopped"))
        deadline = time.monotonic() + 5  # for all workers together, not 5 s each
        for worker in self._workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
        self.server.close()

    def __enter__(self) -> RemoteEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the workers ---------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._waiting:
                    self._cond.wait()
                if self._stopping:
                    return
                _, _, caller, index, request = heapq.heappop(self._waiting)
                self._busy += 1
            try:
                if not caller.cancelled:
                    caller.events.put(self._complete(caller, index, request))
            except LlamaxError as exc:
                caller.events.put(exc)
            except Exception as exc:  # never let a worker die silently: its caller would wait
                caller.events.put(LlamaxError(f"the remote engine failed: {exc}"))
            finally:
                with self._cond:
                    self._busy -= 1

    def _complete(self, caller: _Caller, index: int, request: Request) -> Event:
        """Stream one request's completion into its caller's events; the final event."""
        sampling = caller.sampling
        body = {"model": self.model, "temperature": sampling.temperature, "top_p": 1.0,
                "seed": sampling.seed + index, "stop": STOP}
        if request.repeat_penalty != 1.0:  # llama.cpp's and vLLM's names for it
            body["repeat_penalty"] = body["repetition_penalty"] = request.repeat_penalty
        if sampling.ignore_eos:
            body["ignore_eos"] = True
        # n: pieces received; reported: the server's count of tokens generated, if it says
        state = {"text": "", "n": 0, "prompt_tokens": 0, "reported": None}

        def attempt() -> str:
            # After a cut stream, resume: the text so far becomes part of the prompt.
            left, before, finish = request.max_tokens - state["n"], state["n"], None
            if left <= 0:
                return "length"
            for chunk in self.server.stream({**body, "prompt": request.prompt + state["text"],
                                             "max_tokens": left}):
                if caller.cancelled:
                    return "cancelled"
                state["prompt_tokens"] = state["prompt_tokens"] or chunk.prompt_tokens
                if chunk.completion_tokens is not None:
                    state["reported"] = before + chunk.completion_tokens
                if chunk.text:
                    state["n"] += 1
                    state["text"] += chunk.text
                    caller.events.put(Event(index, chunk.text, n_tokens=state["n"]))
                    if request.should_stop():
                        return "stop"  # leaving the stream closes the connection
                if chunk.finish_reason:  # read on: the usage chunk comes after it
                    finish = _FINISH.get(chunk.finish_reason, "eog")
            return finish or "eog"

        try:
            reason = self.server.retrying(attempt, self.server.api_base,
                                          abandoned=lambda: caller.cancelled or self._stopping)
        except TooLong:
            reason = "too-long"
        except Abandoned:  # its caller went away, or the engine stops: stop retrying at once
            raise EngineStopped("the engine was stopped") from None
        return Event(index, "", done=True, finish_reason=reason,
                     n_prompt_tokens=state["prompt_tokens"],
                     n_tokens=state["n"] if state["reported"] is None else state["reported"])
