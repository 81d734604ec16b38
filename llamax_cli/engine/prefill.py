"""Which new requests' prompts can be evaluated together without changing any result, and
the prefix a client's requests share (`common_prefix`).

With one KV stream per sequence, llama.cpp cuts a batch into "equal" micro-batches: a run of
consecutive sequence ids, the same number of tokens from each (llama_batch_allocr::
split_equal). A prompt evaluated beside others may so be cut into several chunks. On the CPU
the attention products of a chunk of one token take a different kernel (a dot product in
another summation order) than a chunk of two or more, so a prompt's numbers are unchanged by
the company only if none of its chunks is a single token where alone it would not be. Every
other kernel on the path computes each row on its own, provided the tiled K-quant kernels are
off (kernels.py). Measured on the gemma test model: prompts of 25 and 24 tokens together
change the first one's logits (its chunks: 24 and 1); 25 beside 23, 25, 2, or 10 and 24 do
not.
"""

from __future__ import annotations


def chunks(lengths: dict[int, int], n_ubatch: int) -> dict[int, list[int]]:
    """The chunk sizes llama.cpp cuts each sequence's tokens into, the batch holding each
    sequence's tokens together in sequence order."""
    left = dict(lengths)
    out: dict[int, list[int]] = {seq: [] for seq in lengths}
    while any(left.values()):
        pending = sorted(seq for seq, n in left.items() if n)
        run = [pending[0]]
        for seq in pending[1:]:
            if seq != run[-1] + 1 or len(run) >= n_ubatch:
                break
            run.append(seq)
        take = min(min(left[seq] for seq in run), max(n_ubatch // len(run), 1))
        for seq in run:
            out[seq].append(take)
            left[seq] -= take
    return out


def together(candidates: dict[int, int], n_ubatch: int) -> list[int]:
    """The sequences (from `candidates`, seq -> prompt tokens left) to evaluate in one batch:
    the first, and each further one that keeps every chunk at two tokens or more and the
    batch within one micro-batch's worth of tokens."""
    chosen: list[int] = []
    total = 0
    for seq in sorted(candidates):
        n = candidates[seq]
        if not 2 <= n <= n_ubatch - total:
            if not chosen:
                return [seq]  # evaluated alone, in its usual chunks
            continue
        trial = {s: candidates[s] for s in chosen} | {seq: n}
        if all(size >= 2 for sizes in chunks(trial, n_ubatch).values() for size in sizes):
            chosen.append(seq)
            total += n
    return chosen


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
