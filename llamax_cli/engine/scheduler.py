"""Continuous batching: N requests decoded together in one llama.cpp context.

Each step evaluates either new requests' own prompt tokens (several together where that
changes no result, see prefill.py), or the last sampled token of every active sequence (one `llama_decode`, or a few where kernels.py caps the rows). A
sequence that finishes frees its slot at once and the next request is admitted in the same
step. The prompt prefix that all requests share (the LLaMAX template up to the input) is
evaluated once into its own sequence, copied into a slot the first time the slot is used
(`llama_memory_seq_cp`; each sequence has its own KV stream, see llama.py), and kept there
for the slot's next requests.

Requests may be appended to the list while it is being consumed: the pipeline hands over
units that way as output is released, and retries, which are `urgent` and so admitted before
any request still waiting. A prompt that does not fit the context ends at once with the
finish reason "too-long" rather than failing everything else.
"""

from __future__ import annotations

import codecs
from collections import deque
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from llamax_cli.engine import Event, Request, Sampling
from llamax_cli.engine.prefill import together
from llamax_cli.errors import LlamaxError



@dataclass
class _Slot:
    seq: int
    index: int
    request: Request
    prompt_len: int
    pending: list[int]  # prompt tokens not yet decoded
    pos: int
    max_new: int
    sampler: object
    utf8: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"))
    n_gen: int = 0
    last: int = -1
    row: int = -1  # this step's logits row, or -1


def common_prefix(token_lists: list[list[int]]) -> int:
    if not token_lists:
        return 0
    first = token_lists[0]
    n = min(len(t) for t in token_lists) - 1  # each request keeps >= 1 token of its own
    for tokens in token_lists[1:]:
        i = 0
        while i < n and tokens[i] == first[i]:
            i += 1
        n = i
    return max(n, 0)


class Scheduler:
    def __init__(self, engine, requests: list[Request], sampling: Sampling):
        self.e = engine
        self.lib = engine._lib
        self.requests = requests
        self.sampling = sampling
        self.tokens: dict[int, list[int]] = {}

    def _tokens(self, index: int) -> list[int]:
        if index not in self.tokens:
            self.tokens[index] = self.e.tokenize(self.requests[index].prompt)
        return self.tokens[index]

    def _fits(self, index: int) -> bool:
        return len(self._tokens(index)) < self.e.n_ctx

    def _next_waiting(self) -> int | None:
        """The next request to admit: urgent ones first, each kind in the order appended."""
        for i in range(self.seen, len(self.requests)):
            (self.urgent if self.requests[i].urgent else self.regular).append(i)
        self.seen = len(self.requests)
        queue = self.urgent or self.regular
        return queue.popleft() if queue else None

    def run(self) -> Iterator[Event]:
        e = self.e
        if not self.requests:
            return
        head = [self._tokens(i) for i in range(min(len(self.requests), 64)) if self._fits(i)]
        prefix = e._ensure_prefix(head[0][:common_prefix(head)] if len(head) > 1
                                  else head[0][:-1] if head else [])
        free = deque(range(e.n_parallel))
        active: dict[int, _Slot] = {}
        self.seen, self.urgent, self.regular = 0, deque(), deque()
        try:
            while self.seen < len(self.requests) or self.urgent or self.regular or active:
                while free and (index := self._next_waiting()) is not None:
                    if not self._fits(index):
                        yield Event(index, "", done=True, finish_reason="too-long",
                                    n_prompt_tokens=len(self.tokens.pop(index)))
                        continue
                    slot = self._admit(index, free.popleft(), prefix)
                    active[slot.seq] = slot
                for group in self._groups(active):
                    self._decode(group)
                    for slot in group:
                        if slot.row < 0:
                            continue
                        finished = yield from self._sample(slot)
                        if finished:
                            yield Event(slot.index, slot.utf8.decode(b"", final=True), done=True,
                                        finish_reason=finished, n_prompt_tokens=slot.prompt_len,
                                        n_tokens=slot.n_gen)
                            self._release(slot, keep_prefix=True)
                            del active[slot.seq]
                            free.append(slot.seq)
        finally:
            for slot in active.values():
                self._release(slot)

    def _admit(self, index: int, seq: int, prefix: list[int]) -> _Slot:
        e, lib = self.e, self.lib
        tokens = self.tokens.pop(index)  # admitted: the slot keeps what it needs
        shared = len(prefix) if tokens[:len(prefix)] == prefix else 0
        request = self.requests[index]
        max_new = max(1, min(request.max_tokens, e.n_ctx - len(tokens)))
        # Only the shared prefix is ever reused, never a longer match with the slot's last
        # request: its cells then always come from the prefix sequence, and each request's
        # own tokens are evaluated in one chunk whatever ran in the slot before.
        if not shared or e.held.get(seq) != prefix:
            lib.llama_memory_seq_rm(e._memory, seq, -1, -1)
            e.held[seq] = []
            if shared:
                lib.llama_memory_seq_cp(e._memory, e.prefix_seq, seq, -1, -1)
                e.held[seq] = list(prefix)
        sampler = e._sampler(self.sampling, request, index)
        return _Slot(seq, index, request, len(tokens), tokens[shared:], shared, max_new, sampler)

    def _groups(self, active: dict[int, _Slot]) -> list[list[_Slot]]:
        """What to decode this step: new requests' prompts, or else the last token of every
        sequence, in one batch or in even batches of at most `max_rows`.

        Never mixed, and prompts together only where prefill.py says no chunk changes: a
        row's numbers then depend only on its own sequence, so greedy output is the same
        whatever --parallel is (kernels.py says when the row count matters, and with the
        tiled kernels on, each prompt goes alone). Rows go in sequence order: llama.cpp
        splits a batch whose per-sequence KV streams are not consecutive."""
        pending = {seq: len(slot.pending) for seq, slot in active.items() if slot.pending}
        if pending:
            seqs = together(pending, self.e.n_batch) if self.e.max_rows is None else [min(pending)]
            return [[active[seq] for seq in seqs]]
        slots = sorted(active.values(), key=lambda slot: slot.seq)
        limit = self.e.max_rows or len(slots)
        n_groups = -(-len(slots) // limit)
        size = -(-len(slots) // n_groups) if slots else 0
        return [slots[i:i + size] for i in range(0, len(slots), size)] if slots else []

    def _decode(self, group: list[_Slot]) -> None:
        e, batch = self.e, self.e._batch
        n = 0
        for slot in group:
            slot.row = -1
            if slot.pending:
                take = slot.pending[:e.n_batch]
                del slot.pending[:len(take)]
                for k, token in enumerate(take):
                    self._put(batch, n, token, slot.pos + k, slot.seq,
                              last=not slot.pending and k == len(take) - 1)
                    n += 1
                slot.pos += len(take)
                if not slot.pending:
                    slot.row = n - 1
            else:
                self._put(batch, n, slot.last, slot.pos, slot.seq, last=True)
                slot.pos += 1
                slot.row = n
                n += 1
        batch.n_tokens = n
        rc = self.lib.llama_decode(e._ctx, batch)
        if rc != 0:
            raise LlamaxError(f"llama.cpp failed to decode (code {rc}"
                              f"{': KV cache full, lower --parallel or raise --ctx' if rc == 1 else ''})")

    @staticmethod
    def _put(batch, i: int, token: int, pos: int, seq: int, last: bool) -> None:
        batch.token[i] = token
        batch.pos[i] = pos
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = seq
        batch.logits[i] = 1 if last else 0

    def _sample(self, slot: _Slot):
        """Sample this slot's next token; return why it finished, or None."""
        e, lib = self.e, self.lib
        if slot.sampler is None:
            # Greedy: one argmax over the logits row. The C sampler would first copy the whole
            # vocabulary into a candidates array, which costs more than the argmax itself
            # (262k entries for Gemma 3) and is paid once per row per step.
            token = int(np.ctypeslib.as_array(lib.llama_get_logits_ith(e._ctx, slot.row),
                                              shape=(e.n_vocab,)).argmax())
        else:
            token = lib.llama_sampler_sample(slot.sampler, e._ctx, slot.row)
        if lib.llama_vocab_is_eog(e._vocab, token) and not self.sampling.ignore_eos:
            return "eog"
        slot.n_gen += 1
        yield Event(slot.index, slot.utf8.decode(e._piece(token)), n_tokens=slot.n_gen)
        if slot.request.should_stop():
            return "stop"
        if slot.n_gen >= slot.max_new:
            return "length"
        slot.last = token
        return None

    def _release(self, slot: _Slot, keep_prefix: bool = False) -> None:
        """Free the slot's cells, all of them or all but its shared prefix."""
        held = self.e.held.get(slot.seq, []) if keep_prefix else []
        self.lib.llama_memory_seq_rm(self.e._memory, slot.seq, len(held), -1)
        self.e.held[slot.seq] = held
        if slot.sampler is not None:
            self.lib.llama_sampler_free(slot.sampler)
