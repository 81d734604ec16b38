"""The GGUF header walk that tells the engine which weight types a model holds."""

import pytest

from llamax_cli.engine.gguf_info import tiled_share, weight_types


def test_weight_types_agree_with_the_gguf_package(gemma_path):
    from gguf import GGUFReader

    expected = {}
    for tensor in GGUFReader(str(gemma_path)).tensors:
        expected[int(tensor.tensor_type)] = expected.get(int(tensor.tensor_type), 0) + int(tensor.n_elements)
    assert weight_types(gemma_path) == expected


def test_tiled_share_of_the_test_model(gemma_path):
    # gemma3-270m Q4_K_M: Q8_0 embeddings and Q5_0 dominate; Q4_K and Q6_K are ~13%.
    assert 0.10 < tiled_share(gemma_path) < 0.16


@pytest.mark.parametrize("cut", [3, 20, 5000])
def test_truncated_or_foreign_headers_are_refused(tmp_path, gemma_path, cut):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(gemma_path.read_bytes()[:cut])
    with pytest.raises(ValueError):
        weight_types(bad)
