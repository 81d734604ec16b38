"""Greedy picks made inside llama.cpp's graph, on the device that computed the logits.

Without this, every decode step copies each output row's logits (the whole vocabulary: 128k
floats for LLaMA-3, 512 KiB a row) back to the host and takes their argmax there. On a GPU at
64 rows that is 32 MiB a step, and sampling row by row on the CPU cost more than half the time
(../shared/gpu anchors: 1,691 tok/s with a C greedy sampler per row against a decode-only
ceiling of 4,128). llama.cpp's backend sampling (0.3.36, experimental) appends the argmax to
the graph per sequence, so only one token id per row comes back.

A greedy chain is attached to every slot's sequence when the context is created. A request
that samples on the host (a temperature, a repeat penalty) detaches its sequence's chain while
it runs (llama.cpp then copies raw logits for its rows) and the next greedy request attaches it
again. Rows without a device pick read LLAMA_TOKEN_NULL: llama.cpp clears the picks before
each decode.
"""

from __future__ import annotations

import ctypes

from llamax_cli.core.errors import LlamaxError

_TOKEN_NULL = -1


class DeviceGreedy:
    def __init__(self, lib, n_seqs: int):
        self.lib = lib
        self.chains = []
        self.configs = (lib.llama_sampler_seq_config * n_seqs)()
        for seq in range(n_seqs):
            chain = self._greedy_chain()
            self.chains.append(chain)
            self.configs[seq].seq_id = seq
            self.configs[seq].sampler = ctypes.cast(chain, ctypes.c_void_p).value
        self.detached: set[int] = set()
        self._ctx = None

    def _greedy_chain(self):
        chain = self.lib.llama_sampler_chain_init(self.lib.llama_sampler_chain_default_params())
        self.lib.llama_sampler_chain_add(chain, self.lib.llama_sampler_init_greedy())
        return chain

    def attach_to(self, cparams) -> None:
        """Ask for the chains in the context's parameters (they must outlive the context)."""
        cparams.samplers = self.configs
        cparams.n_samplers = len(self.chains)

    def bind(self, ctx) -> None:
        self._ctx = ctx

    def use(self, seq: int, on_device: bool) -> None:
        """Attach or detach `seq`'s chain for its next request (a no-op when already so)."""
        if on_device == (seq not in self.detached):
            return
        chain = None
        if on_device:  # a fresh chain: llama.cpp sets a chain up for the device only once
            self.lib.llama_sampler_free(self.chains[seq])
            chain = self.chains[seq] = self._greedy_chain()
        if not self.lib.llama_set_sampler(self._ctx, seq, chain) and on_device:
            raise LlamaxError("llama.cpp could not sample on the device again")
        (self.detached.discard if on_device else self.detached.add)(seq)

    def tokens(self, rows: list[int]) -> list[int]:
        """The device's pick for each batch row (rows of sequences with a chain attached)."""
        get = self.lib.llama_get_sampled_token_ith
        picks = [get(self._ctx, row) for row in rows]
        if _TOKEN_NULL in picks:
            raise LlamaxError("llama.cpp returned no token for a device-sampled row")
        return picks

    def free(self) -> None:
        """After the context is freed: the chains are ours."""
        for chain in self.chains:
            self.lib.llama_sampler_free(chain)
        self.chains = []
