"""Continuous batching for every caller: one long-lived thread owns the llama.cpp context.

Callers (a CLI run, each request of the server) `submit()` requests for a `Client` and read
its events from the client's queue; `cancel()` drops a client's waiting requests and frees
its slots at the next step. Units from every caller share one batch.

Each step evaluates, in one `llama_decode`, the last sampled token of every active sequence
and as many new requests' prompt tokens as fit. With --deterministic (kernels.py), a step
evaluates either new prompts (several together only where that changes no result, see
prefill.py) or the running sequences (in a few batches where kernels.py caps the rows). A sequence that finishes frees its
slot at once and the next request is admitted in the same step: urgent ones first (a retry
that output waits on), then the others in the order submitted. A prompt that does not fit
the context ends at once with the finish reason "too-long". The waiting queue is bounded:
past `max_waiting`, `submit` raises Busy.

The prompt prefix that requests share (the LLaMAX template up to the input: the request's
`shared_prefix`, else what a client's first requests have in common) is evaluated once into
its own sequence, copied into a slot the first time the slot needs it (`llama_memory_seq_cp`;
each sequence has its own KV stream, see llama.py), and kept there for the slot's next
requests.
"""

from __future__ import annotations

import threading
from collections import deque

from llamax_cli.engine import Event, Request
from llamax_cli.engine.beams import SearchSteps
from llamax_cli.engine.prefill import common_prefix, together
from llamax_cli.engine.slots import Client, Slot, Waiting
from llamax_cli.core.errors import Busy, EngineStopped, LlamaxError
from llamax_cli.core.interrupts import shielded


class Scheduler(SearchSteps, threading.Thread):
    def __init__(self, engine, max_waiting: int):
        super().__init__(name="llamax-scheduler", daemon=True)
        self.e = engine
        self.native = engine.native  # the context, memory, batch and prefix cache it drives
        self.max_waiting = max_waiting
        self._cond = threading.Condition()
        self._urgent: deque[Waiting] = deque()
        self._regular: deque[Waiting] = deque()
        self._stopping = False
        self._cancels = False  # a client was cancelled since the last step
        self.active: dict[int, Slot] = {}
        self.free = deque(range(engine.n_parallel))
        self._prefix_cache: dict[str, list[int]] = {}
        self._n_outputs = 0  # logits rows of the last decode

    # -- the callers' side ---------------------------------------------------------------

    def submit(self, client: Client, index: int, request: Request) -> None:
        request.check()
        if request.beams > self.e.n_parallel:
            raise LlamaxError(f"{request.beams} beams need as many slots; the engine has "
                              f"{self.e.n_parallel} (raise --parallel)")
        with shielded(), self._cond:  # a Ctrl-C here must not leave the lock held
            if self._stopping:
                raise EngineStopped("the engine is shutting down")
            waiting = len(self._urgent) + len(self._regular)
            if waiting >= self.max_waiting and not request.urgent:
                raise Busy(f"the engine's queue is full ({waiting} requests waiting)")
            (self._urgent if request.urgent else self._regular).append(
                Waiting(client, index, request))
            self._cond.notify()

    def cancel(self, client: Client) -> None:
        with shielded(), self._cond:
            client.cancelled = True
            self._cancels = True
            self._cond.notify()

    def stop(self) -> None:
        with shielded(), self._cond:
            self._stopping = True
            self._cond.notify()
        if self.is_alive():
            self.join()

    @property
    def waiting(self) -> int:
        return len(self._urgent) + len(self._regular)

    # -- the thread ------------------------------------------------------------------------

    def run(self) -> None:
        try:
            while self._step():
                pass
            # Stopped: whoever still waits or runs hears so, or would wait forever.
            self._fail(EngineStopped("the engine was stopped"))
        except BaseException as exc:  # every caller learns of it; none waits forever
            self._fail(exc)
        finally:
            for slot in list(self.active.values()):
                self._release(slot)
            self.active.clear()

    def _step(self) -> bool:
        with self._cond:
            while not (self._stopping or self.active or self._urgent or self._regular
                       or self._cancels):
                self._cond.wait()
            if self._stopping:
                return False
            if self._cancels:
                self._drop_cancelled()
            admitted = []
            running = len({(id(slot.client), slot.index) for slot in self.active.values()})
            while self.free and (self._urgent or self._regular):
                queue_ = self._urgent or self._regular
                if queue_[0].request.beams > len(self.free):
                    break  # a beam search waits until all its slots are free
                if running + len(admitted) >= self.e.n_units:
                    break  # --parallel units at once; the other sequences are for beams
                waiting = queue_.popleft()
                waiting.seq = self.free.popleft()
                waiting.extra = [self.free.popleft() for _ in range(waiting.request.beams - 1)]
                admitted.append(waiting)
        for waiting in admitted:
            try:
                self._admit(waiting)
            except Exception as exc:  # this request's fault: it alone fails, the engine runs on
                self._refuse(waiting, exc)
        for group in self._groups():
            self._decode(group)
            self._sample(group)
        return True

    def _fail(self, exc: BaseException) -> None:
        error = exc if isinstance(exc, LlamaxError) else LlamaxError(f"the engine failed: {exc}")
        with self._cond:
            clients = {w.client for w in (*self._urgent, *self._regular)}
            clients |= {slot.client for slot in self.active.values()}
            self._urgent.clear()
            self._regular.clear()
            self._stopping = True
        for client in clients:
            client.events.put(error)

    def _refuse(self, waiting: Waiting, exc: Exception) -> None:
        """A request that failed to start: its slots back, its client told, nobody else hurt."""
        seqs = [waiting.seq] + waiting.extra
        for seq in seqs:
            slot = self.active.get(seq)
            if slot is not None and slot.client is waiting.client:
                slot.beam = None
                self._release(slot)
                del self.active[seq]
        with self._cond:
            self.free.extend(seq for seq in seqs if seq not in self.active and seq not in self.free)
        error = exc if isinstance(exc, LlamaxError) else LlamaxError(f"bad request: {exc}")
        waiting.client.events.put(error)

    def _drop_cancelled(self) -> None:
        self._cancels = False
        for q in (self._urgent, self._regular):
            kept = [w for w in q if not w.client.cancelled]
            q.clear()
            q.extend(kept)
        for seq, slot in list(self.active.items()):
            if slot.client.cancelled and seq in self.active:  # a beam takes its group along
                self._finish(slot, None)

    def _tokens(self, waiting: Waiting) -> list[int]:
        return self.e.tokenize(waiting.request.prompt)

    def _prefix(self, waiting: Waiting, tokens: list[int]) -> list[int]:
        """The tokens this request shares with others, evaluated once for all of them."""
        shared = waiting.request.shared_prefix
        if shared:
            prefix = self._prefix_cache.get(shared)
            if prefix is None:
                prefix = self._prefix_cache[shared] = self.e.tokenize(shared)
            return prefix if tokens[:len(prefix)] == prefix and len(prefix) < len(tokens) else []
        client = waiting.client
        if client.prefix is None:  # what this client's first requests have in common
            with self._cond:
                others = [w for w in (*self._urgent, *self._regular) if w.client is client][:63]
            lists = [tokens] + [self._tokens(w) for w in others]
            client.prefix = tokens[:common_prefix(lists) if len(lists) > 1 else len(tokens) - 1]
        prefix = client.prefix
        return prefix if tokens[:len(prefix)] == prefix else []

    def _admit(self, waiting: Waiting) -> None:
        e, native = self.e, self.native
        seq = waiting.seq
        tokens = self._tokens(waiting)
        if len(tokens) >= e.n_ctx:
            self.free.extend([seq] + waiting.extra)
            waiting.client.events.put(Event(waiting.index, "", done=True,
                                            finish_reason="too-long",
                                            n_prompt_tokens=len(tokens)))
            return
        prefix = self._prefix(waiting, tokens)
        home = native.ensure_prefix(prefix)  # the sequence holding it (None: too short)
        if home is None:
            prefix = []
        request = waiting.request
        max_new = max(1, min(request.max_tokens, e.n_ctx - len(tokens)))
        if request.forced is not None:
            max_new = min(len(request.forced), e.n_ctx - len(tokens))
        # Only the shared prefix is ever reused, never a longer match with the slot's last
        # request: its cells then always come from the prefix sequence, and each request's
        # own tokens are evaluated in one chunk whatever ran in the slot before.
        if not prefix or native.held.get(seq) != prefix:
            native.forget(seq)
            native.held[seq] = []
            if prefix:
                native.copy(home, seq)
                native.held[seq] = list(prefix)
        searching = request.beams > 1 or request.forced is not None
        sampler = None if searching else native.sampler(waiting.client.sampling, request,
                                                        waiting.index)
        if e.device_greedy:  # searches and samplers need the logits on the host
            e.device_greedy.use(seq, on_device=sampler is None and not searching)
        slot = self.active[seq] = Slot(seq, waiting.client, waiting.index, request,
                                       len(tokens), tokens[len(prefix):], len(prefix),
                                       max_new, sampler)
        if request.beams > 1:
            self._start_beams(slot, waiting.extra)

    def _groups(self) -> list[list[Slot]]:
        """What to decode this step.

        Fast kernels (one shared KV cache): one batch, the next token of every running
        sequence first, then as many new prompt tokens as fit (llama.cpp's unified batches).

        Deterministic: new requests' prompts, or else the last token of every sequence, in
        one batch or in even batches of at most `max_rows`; never mixed, and prompts together
        only where prefill.py says no chunk changes. A row's numbers then depend only on its
        own sequence, so greedy output is the same whatever --parallel is (kernels.py says
        when the row count matters, and with the tiled kernels on, each prompt goes alone).
        Rows go in sequence order: llama.cpp splits a batch whose per-sequence KV streams are
        not consecutive."""
        active = self.active
        if not active:
            return []
        if not self.e.plan.deterministic:
            return [sorted(active.values(), key=lambda slot: (bool(slot.pending), slot.seq))]
        pending = {seq: len(slot.pending) for seq, slot in active.items() if slot.pending}
        if pending:
            seqs = together(pending, self.e.n_batch) if self.e.max_rows is None else [min(pending)]
            return [[active[seq] for seq in seqs]]
        slots = sorted(active.values(), key=lambda slot: slot.seq)
        limit = self.e.max_rows or len(slots)
        n_groups = -(-len(slots) // limit)
        size = -(-len(slots) // n_groups)
        return [slots[i:i + size] for i in range(0, len(slots), size)]

    def _decode(self, group: list[Slot]) -> None:
        """One llama_decode of the group: each slot's next token, or as much of its prompt as
        the batch has room for. A slot whose last prompt token or next token went in gets its
        logits row (`row`: index in the batch; `out`: index among the batch's outputs)."""
        e, native = self.e, self.native
        n = outputs = 0
        for slot in group:
            slot.row = -1
            if slot.hold:
                continue
            if slot.pending:
                take = slot.pending[:e.n_batch - n]
                if not take:
                    continue
                del slot.pending[:len(take)]
                for k, token in enumerate(take):
                    native.put(n, token, slot.pos + k, slot.seq,
                               output=not slot.pending and k == len(take) - 1)
                    n += 1
                slot.pos += len(take)
                if not slot.pending:
                    slot.row, slot.out = n - 1, outputs
                    outputs += 1
            elif n < e.n_batch:
                native.put(n, slot.last, slot.pos, slot.seq, output=True)
                slot.pos += 1
                slot.row, slot.out = n, outputs
                outputs += 1
                n += 1
        native.batch.n_tokens = n
        self._n_outputs = 0
        if n == 0:  # every row of the group waits on its beam search's other beams
            return
        rc = native.decode()
        if rc != 0:
            raise LlamaxError(f"llama.cpp failed to decode (code {rc}"
                              f"{': KV cache full, lower --parallel or raise --ctx' if rc == 1 else ''})")
        self._n_outputs = outputs

    def _sample(self, group: list[Slot]) -> None:
        """Each slot with a logits row samples its next token. Greedy rows read the device's
        picks (device_sampling.py), or take one argmax
        over all the batch's logits rows at once (the C sampler would first copy the whole
        vocabulary into a candidates array per row: 262k entries for Gemma 3)."""
        e, native = self.e, self.native
        rows = [slot for slot in group if slot.row >= 0]
        searching = [slot for slot in rows if slot.beam or slot.request.forced is not None]
        if searching:
            self._search(searching)
            rows = [slot for slot in rows if not (slot.beam or slot.request.forced is not None)]
        greedy = [slot for slot in rows if slot.sampler is None]
        if greedy and e.device_greedy:
            for slot, token in zip(greedy, e.device_greedy.tokens([s.row for s in greedy])):
                self._advance(slot, token)
        elif greedy:
            logits = native.logits(self._n_outputs)
            picks = logits[[slot.out for slot in greedy]].argmax(axis=1)
            for slot, token in zip(greedy, picks.tolist()):
                self._advance(slot, token)
        for slot in rows:
            if slot.sampler is not None:
                self._advance(slot, native.sample(slot.sampler, slot.row))

    def _advance(self, slot: Slot, token: int) -> None:
        """Send this slot's next token, and end the sequence if it is done."""
        if (self.native.is_eog(token) and not slot.client.sampling.ignore_eos
                and slot.request.forced is None):
            self._finish(slot, "eog")
            return
        slot.n_gen += 1
        slot.client.events.put(Event(slot.index, slot.utf8.decode(self.native.piece(token)),
                                     n_tokens=slot.n_gen))
        # The caller reads the events on its own thread: a stop it asks for is seen a step
        # or two later, and it ignores what arrives in between.
        if slot.request.should_stop():
            self._finish(slot, "stop")
        elif slot.n_gen >= slot.max_new:
            self._finish(slot, "length")
        else:
            slot.last = token

    def _finish(self, slot: Slot, reason: str | None) -> None:
        """End a sequence: tell its client why (None: cancelled, nobody is listening). The slot
        is free before the client hears of it."""
        if slot.beam is not None:
            self._finish_beams(slot.beam, reason)
            return
        self._release(slot, keep_prefix=True)
        del self.active[slot.seq]
        with self._cond:
            self.free.append(slot.seq)
        if reason is not None:
            slot.client.events.put(Event(slot.index, slot.utf8.decode(b"", final=True), done=True,
                                         finish_reason=reason, n_prompt_tokens=slot.prompt_len,
                                         n_tokens=slot.n_gen,
                                         score=(slot.logprob / max(slot.n_gen, 1)
                                                if slot.request.forced is not None else None)))

    def _release(self, slot: Slot, keep_prefix: bool = False) -> None:
        """Free the slot's cells, all of them or all but its shared prefix."""
        native = self.native
        held = native.held.get(slot.seq, []) if keep_prefix else []
        native.forget(slot.seq, len(held))
        native.held[slot.seq] = held
        if slot.sampler is not None:
            native.free_sampler(slot.sampler)
            slot.sampler = None
