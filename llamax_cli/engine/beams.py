"""Beam search over one request: which hypotheses live on after each decode step.

The scheduler owns the llama.cpp side: each live hypothesis is a sequence (a slot) in the
shared batch, the beams share the prompt's KV cells through `llama_memory_seq_cp`, and a
pruned beam's sequence is reused for another beam's child. This module only chooses, from each
live beam's log-probabilities, the `width` best continuations, in the standard way (as in
Hugging Face's `generate` with `num_beams`):

- candidates are the top 2*width tokens of every live beam, ranked by the beam's summed
  log-probability plus the token's;
- a candidate that ends the hypothesis (an end-of-generation token, or text that the caller's
  `ends` says is complete, such as the start of a new `###` section) goes to the finished
  list, scored by its length-normalised log-probability (sum / tokens); one that `ends` calls
  degenerate (a loop) finishes too, but ranks after every other (beam search favours loops:
  their tokens are likely);
- the best `width` others live on;
- the search ends when `width` hypotheses have finished and no live beam's normalised score
  beats the worst of them (the best `width` beams have ended), or at the token limit, where
  the live beams finish with reason "length".
"""

from __future__ import annotations

import codecs
import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from llamax_cli.engine import Event


@dataclass
class Hypothesis:
    tokens: list[int]
    text: bytes
    logprob: float  # summed over tokens
    reason: str | None = None  # why it finished: "eog", "stop" or "length"

    @property
    def score(self) -> float:
        return self.logprob / max(len(self.tokens), 1)

    def decoded(self) -> str:
        return codecs.decode(self.text, "utf-8", "replace")


class Ranked(tuple):
    """A finished hypothesis as the final event lists it: a (text, score) pair like any other,
    which also says why it ended (`reason`: "eog", "stop", "length"), so that a caller can
    mark the alternatives that were cut at the token limit."""

    reason: str | None

    def __new__(cls, text: str, score: float, reason: str | None) -> "Ranked":
        pair = super().__new__(cls, (text, score))
        pair.reason = reason
        return pair


@dataclass
class Child:
    parent: int  # the seq of the beam it continues
    token: int
    hypothesis: Hypothesis


def log_normalizer(row: np.ndarray) -> float:
    """log(sum(exp(row))), computed stably: a logit minus it is a log-probability."""
    peak = float(row.max())
    return peak + float(np.log(np.exp(row - peak).sum(dtype=np.float64)))


def top_candidates(row: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k most likely tokens of one logits row and their log-probabilities, best first."""
    k = min(k, row.shape[0])
    top = np.argpartition(row, -k)[-k:]
    top = top[np.argsort(-row[top], kind="stable")]
    return top, row[top].astype(np.float64) - log_normalizer(row)


@dataclass
class BeamSearch:
    width: int
    max_new: int
    is_eog: Callable[[int], bool]
    piece: Callable[[int], bytes]
    ends: Callable[[str, list[str]], str | None] = lambda text, pieces: None
    live: dict[int, Hypothesis] = field(default_factory=dict)  # seq -> its hypothesis
    finished: list[Hypothesis] = field(default_factory=list)
    offers: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    steps: int = 0

    def start(self, seq: int) -> None:
        self.live = {seq: Hypothesis([], b"", 0.0)}

    def offer(self, seq: int, row: np.ndarray) -> bool:
        """Record one live beam's logits; True once every live beam has offered."""
        self.offers[seq] = top_candidates(row, 2 * self.width)
        return len(self.offers) == len(self.live)

    def step(self) -> list[Child]:
        """The beams that live on, each with the seq of its parent (empty: the search is over)."""
        candidates = []
        for seq, (tokens, logprobs) in self.offers.items():
            base = self.live[seq].logprob
            candidates += [(base + lp, seq, int(t)) for t, lp in zip(tokens, logprobs)]
        self.offers.clear()
        candidates.sort(key=lambda c: -c[0])
        self.steps += 1
        children: list[Child] = []
        for rank, (logprob, seq, token) in enumerate(candidates):
            parent = self.live[seq]
            if self.is_eog(token):
                if rank < self.width:
                    self.finished.append(Hypothesis(parent.tokens + [token], parent.text,
                                                    logprob, "eog"))
                continue
            hypothesis = Hypothesis(parent.tokens + [token], parent.text + self.piece(token),
                                    logprob)
            pieces = [self.piece(t).decode("utf-8", "replace") for t in hypothesis.tokens]
            reason = self.ends(hypothesis.decoded(), pieces)
            if reason is not None:
                if rank < self.width:
                    hypothesis.reason = reason
                    self.finished.append(hypothesis)
                continue
            children.append(Child(seq, token, hypothesis))
            if len(children) == self.width:
                break
        if self.steps >= self.max_new or self._settled(children):
            for child in children:
                child.hypothesis.reason = "length" if self.steps >= self.max_new else "stop"
            if self.steps >= self.max_new or not self.finished:
                self.finished += [child.hypothesis for child in children]
            return []
        return children

    def _settled(self, children: list[Child]) -> bool:
        if not children:
            return True
        good = [h.score for h in self.finished if h.reason != "degenerate"]
        if len(good) < self.width:
            return False
        worst_kept = sorted(good, reverse=True)[self.width - 1]
        return max(child.hypothesis.score for child in children) <= worst_kept

    def move_on(self, live: dict[int, Hypothesis]) -> None:
        self.live = live

    def best(self, n: int) -> list[Hypothesis]:
        """The n best finished hypotheses with distinct texts, best first."""
        out, seen = [], set()
        for hypothesis in sorted(self.finished,
                                 key=lambda h: (h.reason == "degenerate", -h.score)):
            if hypothesis.text not in seen:
                seen.add(hypothesis.text)
                out.append(hypothesis)
            if len(out) == n:
                break
        return out


@dataclass
class BeamGroup:
    """One beam-search request's share of the scheduler: its seqs and its search."""

    search: BeamSearch
    seqs: list[int]  # all reserved for it until it ends; the first ran the prompt
    first: object  # the slot that ran the prompt: the others are copies of it
    prefix: list[int]  # the shared prompt prefix its sequences hold


class SearchSteps:
    """The scheduler's side of beam search and scoring (a mixin of Scheduler): rows whose
    next token is chosen from log-probabilities rather than by argmax or a sampler."""

    def _start_beams(self, slot, extra: list[int]) -> None:
        e, native, request = self.e, self.native, slot.request
        sampling = slot.client.sampling
        search = BeamSearch(
            request.beams, slot.max_new,
            lambda t: native.is_eog(t) and not sampling.ignore_eos,
            native.piece, request.ends)
        search.start(slot.seq)
        slot.beam = BeamGroup(search, [slot.seq] + extra, slot,
                              list(native.held.get(slot.seq, [])))
        for seq in extra:
            native.forget(seq)
            native.held[seq] = []
            if e.device_greedy:
                e.device_greedy.use(seq, on_device=False)

    def _search(self, slots: list) -> None:
        logits = self.native.logits(self._n_outputs)
        for slot in slots:
            row = logits[slot.out]
            if slot.request.forced is not None:
                token = slot.request.forced[slot.n_gen]
                slot.logprob += float(row[token]) - log_normalizer(row)
                self._advance(slot, token)
                continue
            slot.hold = True  # no decode until every beam of its group has offered
            if slot.beam.search.offer(slot.seq, row):
                self._beam_step(slot.beam)

    def _beam_step(self, group: BeamGroup) -> None:
        native, search = self.native, group.search
        children = search.step()
        if not children:
            self._finish_beams(group, "done")
            return
        parents = {child.parent for child in children}
        spare = [seq for seq in group.seqs if seq not in parents]
        live, taken = {}, set()
        for child in children:
            seq = child.parent
            if seq in taken:  # a second child: a spare seq takes a copy of the parent's cells
                seq = spare.pop()
                native.forget(seq)
                native.copy(child.parent, seq)
            taken.add(seq)
            live[seq] = child
        for seq in spare:  # pruned: free its cells now, the KV cache is shared
            native.forget(seq)
            self.active.pop(seq, None)
        first = group.first
        for seq, child in live.items():
            slot = self.active.get(seq)
            if slot is None:
                slot = self.active[seq] = dataclasses.replace(first, seq=seq, pending=[])
            slot.hold, slot.last, slot.n_gen = False, child.token, search.steps
            slot.pos = first.prompt_len + search.steps - 1
        search.move_on({seq: child.hypothesis for seq, child in live.items()})

    def _finish_beams(self, group: BeamGroup, reason: str | None) -> None:
        """End a search (reason None: cancelled): free every seq, keeping the shared prefix in
        those that hold it, and send the best hypothesis with the n_best."""
        native = self.native
        for seq in group.seqs:
            self.active.pop(seq, None)
            keep = group.prefix if seq in group.search.live else []  # the live ones hold it
            native.forget(seq, len(keep))
            native.held[seq] = list(keep)
        with self._cond:
            self.free.extend(group.seqs)
        first = group.first
        best = group.search.best(first.request.n_best)
        if reason is None or not best:
            return
        top = best[0]
        first.client.events.put(Event(
            first.index, top.decoded(), done=True, finish_reason=top.reason,
            n_prompt_tokens=first.prompt_len, n_tokens=len(top.tokens), score=top.score,
            # loops are no alternative to offer (they rank last: a first one means no other)
            hypotheses=[Ranked(h.decoded(), h.score, h.reason) for h in best
                        if h is top or h.reason != "degenerate"]))
