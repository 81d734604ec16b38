"""What the scheduler (scheduler.py) keeps for each caller and each request: a `Client` is one
caller's stream of requests, a `Waiting` one request in the queue, a `Slot` one running
sequence (a request admitted to one of the engine's parallel KV sequences)."""

from __future__ import annotations

import codecs
import queue
from dataclasses import dataclass, field

from llamax_cli.engine import Request, Sampling


class Client:
    """One caller's stream of requests; events arrive on `events`, indexed as submitted."""

    def __init__(self, sampling: Sampling):
        self.sampling = sampling
        self.events: queue.SimpleQueue = queue.SimpleQueue()  # Event, or an exception
        self.cancelled = False
        self.prefix: list[int] | None = None  # the fallback shared prefix, once known


@dataclass
class Waiting:
    client: Client
    index: int
    request: Request
    seq: int = -1  # the slot it is admitted to
    extra: list[int] = field(default_factory=list)  # more slots, for its other beams


@dataclass
class Slot:
    seq: int
    client: Client
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
    row: int = -1  # this step's logits row in the batch, or -1
    out: int = -1  # and its index among the batch's outputs
    beam: object = None  # its beam search's BeamGroup (beams.py), if any
    hold: bool = False  # a beam waiting for the others of its group: not decoded
    logprob: float = 0.0  # summed over a forced request's tokens
