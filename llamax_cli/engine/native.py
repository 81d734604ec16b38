"""llama.cpp's native state for one loaded model, behind public names.

`LlamaEngine` opens the model and the context and hands them to one `Native` (its `native`
attribute); the scheduler and beam search (scheduler.py, beams.py), tests and benchmarks
reach llama.cpp through it: the C API (`lib`), the context, its KV memory, the vocabulary,
the decode batch, token pieces, sampler chains and the prompt-prefix cache. Only the
scheduler's thread may use it once the engine has started (llama.cpp contexts are not
thread-safe).
"""

from __future__ import annotations

import ctypes

from llamax_cli.core.errors import LlamaxError
from llamax_cli.engine import Request, Sampling

_PIECE_BYTES = 256  # longer than any token's text in the vocabularies we load


class Native:
    """The context, memory, vocabulary, batch and prefix cache of one model.

    Sequences: 0 .. prefix_seq - 1 are the parallel slots; `prefix_seq` onwards, `n_prefixes`
    of them, hold the prompt prefixes that requests share, each decoded once by
    `ensure_prefix`: one per target language of a run into several, so that their requests,
    interleaved in the batch, do not evaluate their template again and again."""

    def __init__(self, lib, model, ctx, *, n_batch: int, prefix_seq: int, n_prefixes: int = 1,
                 shared_cells: bool = True):
        self.lib = lib
        self.model = model
        self.ctx = ctx
        self.memory = lib.llama_get_memory(ctx)
        self.vocab = lib.llama_model_get_vocab(model)
        self.n_vocab = lib.llama_vocab_n_tokens(self.vocab)
        self.n_batch = n_batch
        self.batch = lib.llama_batch_init(n_batch, 0, 1)
        self.prefix_seq = prefix_seq
        # One KV cache for all sequences (a copy tags cells), or a stream each (a copy moves
        # the whole stream: llama.cpp refuses a range of it).
        self.shared_cells = shared_cells
        # What each prefix sequence holds, least recently used first.
        self.prefixes: dict[int, list[int]] = {prefix_seq + k: [] for k in range(n_prefixes)}
        self.prefix_tokens: list[int] = []  # what the last ensure_prefix asked for
        self.prefix_decoded = 0  # tokens the last call had to decode into the prefix
        # What each slot's KV stream holds from its last request: its shared prefix is kept,
        # so a reused slot needs no copy of the prefix stream (a copy moves the whole stream,
        # 128 MiB per slot for a 7B model at ctx 256).
        self.held: dict[int, list[int]] = {}
        self._pieces: dict[int, bytes] = {}
        self._piece_buf = ctypes.create_string_buffer(_PIECE_BYTES)

    # -- tokens ---------------------------------------------------------------------------

    def tokenize(self, text: str, *, add_special: bool = True) -> list[int]:
        lib = self.lib
        data = text.encode("utf-8")
        n_max = len(data) + 8
        buf = (lib.llama_token * n_max)()
        # parse_special=False: text a user typed can never become a control token.
        n = lib.llama_tokenize(self.vocab, data, len(data), buf, n_max, add_special, False)
        if n < 0:
            n_max = -n
            buf = (lib.llama_token * n_max)()
            n = lib.llama_tokenize(self.vocab, data, len(data), buf, n_max, add_special, False)
        return list(buf[:n])

    def piece(self, token: int) -> bytes:
        """The bytes of one token (part of a UTF-8 sequence, maybe), cached."""
        piece = self._pieces.get(token)
        if piece is None:
            n = self.lib.llama_token_to_piece(self.vocab, token, self._piece_buf, _PIECE_BYTES,
                                              0, False)
            piece = self._piece_buf.raw[:max(n, 0)]
            self._pieces[token] = piece
        return piece

    def is_eog(self, token: int) -> bool:
        """Whether the token ends generation (an end-of-turn or end-of-text token)."""
        return bool(self.lib.llama_vocab_is_eog(self.vocab, token))

    # -- the KV memory ---------------------------------------------------------------------

    def forget(self, seq: int, start: int = -1) -> None:
        """Drop `seq`'s cells from position `start` on (-1: all of them)."""
        self.lib.llama_memory_seq_rm(self.memory, seq, start, -1)

    def copy(self, source: int, target: int, start: int = -1, end: int = -1) -> None:
        """Tag the cells of `source` (positions start .. end - 1; -1: from the first, to the
        last) as `target`'s too (no data moves in a shared cache; with a stream per sequence
        only the whole of it may be copied)."""
        if not self.shared_cells and (start > 0 or end >= 0):
            raise ValueError("a KV stream is copied whole")  # llama.cpp would abort
        self.lib.llama_memory_seq_cp(self.memory, source, target, start, end)

    def ensure_prefix(self, prefix: list[int]) -> int | None:
        """The prefix sequence that holds `prefix` (None for fewer than 4 tokens: nothing
        worth sharing), decoding only what no prefix sequence holds yet: the one that agrees
        with it longest is extended when `prefix` starts with all it holds; otherwise what
        agrees is copied (cells tagged, not computed) into an empty sequence, or else into the
        least recently used one, and the rest decoded there. Between calls this is plain
        prompt caching."""
        if len(prefix) < 4:
            self.prefix_tokens, self.prefix_decoded = [], 0
            return None
        best, agree = max(((seq, _agreement(held, prefix)) for seq, held in
                           reversed(self.prefixes.items())), key=lambda pair: pair[1])
        if agree == len(self.prefixes[best]):
            home = best
            self.forget(home, agree)
        else:
            home = next((seq for seq, held in self.prefixes.items() if not held),
                        next(iter(self.prefixes)))
            if home != best:
                self.forget(home)
                if self.shared_cells:
                    self.copy(best, home, 0, agree)
                else:
                    self.copy(best, home)
                    self.forget(home, agree)
                self.prefixes[home] = self.prefixes[best][:agree]
            else:
                self.forget(home, agree)
        held = self.prefixes.pop(home)
        del held[agree:]
        self.prefixes[home] = held  # now the most recently used
        self.prefix_decoded = len(prefix) - agree
        for start in range(agree, len(prefix), self.n_batch):
            chunk = prefix[start:start + self.n_batch]
            for i, token in enumerate(chunk):
                self.put(i, token, start + i, home, output=False)
            self.batch.n_tokens = len(chunk)
            rc = self.decode()
            if rc != 0:
                del held[:]
                self.forget(home)
                raise LlamaxError(f"llama.cpp failed to decode the prompt (code {rc})")
            held.extend(chunk)
        self.prefix_tokens = list(prefix)
        return home

    # -- decoding and sampling -----------------------------------------------------------

    def put(self, i: int, token: int, pos: int, seq: int, output: bool) -> None:
        """Row `i` of the batch: `token` at `pos` of sequence `seq`; `output`: its logits
        are wanted."""
        batch = self.batch
        batch.token[i] = token
        batch.pos[i] = pos
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = seq
        batch.logits[i] = 1 if output else 0

    def decode(self) -> int:
        """Evaluate the batch as filled; llama.cpp's return code (0: done)."""
        return self.lib.llama_decode(self.ctx, self.batch)

    def logits(self, rows: int):
        """The last decode's logits: one row of n_vocab floats per output, a numpy view
        (valid until the next decode)."""
        import numpy as np  # heavy import: only the scheduler's thread gets here

        return np.ctypeslib.as_array(self.lib.llama_get_logits(self.ctx),
                                     shape=(rows, self.n_vocab))

    def sampler(self, sampling: Sampling, request: Request, index: int):
        """A llama.cpp sampler chain, or None for plain greedy (the scheduler's argmax)."""
        if sampling.temperature <= 0 and request.repeat_penalty == 1.0:
            return None
        lib = self.lib
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        if request.repeat_penalty != 1.0:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_penalties(
                self.n_vocab, 64, request.repeat_penalty, 0.0, 0.0))
        if sampling.temperature <= 0:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
        else:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_min_p(0.05, 1))
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_temp(sampling.temperature))
            # One seed per request: results do not depend on how requests share the batch.
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_dist(sampling.seed + index))
        return chain

    def sample(self, sampler, row: int) -> int:
        return self.lib.llama_sampler_sample(sampler, self.ctx, row)

    def free_sampler(self, sampler) -> None:
        self.lib.llama_sampler_free(sampler)

    def free(self) -> None:
        """Free the batch, the context and the model; nothing may use this object after."""
        if self.ctx is None:
            return
        self.lib.llama_batch_free(self.batch)
        self.lib.llama_free(self.ctx)
        self.lib.llama_model_free(self.model)
        self.ctx = self.model = self.memory = self.vocab = None


def _agreement(a: list[int], b: list[int]) -> int:
    """How many tokens the two lists agree on from their start."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n

