"""lid/model.py: the detector's shipped data loads whole and consistent (tables per script,
rerank groups, the table model, calibration, priors), and use_calibration() puts a fit in place
of the shipped calibration. Every test that sets one puts the shipped one back."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from llamax_cli.core import languages
from llamax_cli.lid import features, model


@pytest.fixture
def shipped_calibration():
    """The shipped calibration, put back after the test (use_calibration is the one public
    way in; the shipped dict in place is the shipped behaviour)."""
    shipped = model.calibration()
    pristine = copy.deepcopy(shipped)
    yield pristine
    model.use_calibration(shipped)
    assert model.calibration() == pristine


def test_every_script_of_the_naive_bayes_has_its_table():
    tables = model.tables()
    assert set(tables) == set(features.MULTI)
    known = {lang.code for lang in languages.all_languages()}
    for script, table in tables.items():
        assert table.q.dtype == np.uint8
        assert table.q.shape == (features.BUCKETS, len(table.codes)), script
        assert len(set(table.codes)) == len(table.codes) >= 2, script
        assert set(table.codes) <= known, script
        assert table.scale > 0


def test_the_tables_hold_the_languages_of_their_script():
    tables = model.tables()
    assert {"en", "fr", "de", "vi"} <= set(tables["Latn"].codes)
    assert {"ru", "uk", "bg"} <= set(tables["Cyrl"].codes)
    assert {"ar", "fa", "ur"} <= set(tables["Arab"].codes)
    assert {"hi", "mr", "ne"} <= set(tables["Deva"].codes)
    assert {"zh", "zh-Hant", "ja"} <= set(tables["Hani"].codes)


def test_each_language_has_at_most_one_rerank_group_of_consistent_shapes():
    reranks = model.reranks()
    assert reranks, "no second stage in lid.npz"
    for code, rerank in reranks.items():
        assert code in rerank.codes
        assert all(reranks[member] is rerank for member in rerank.codes)  # groups are disjoint
        assert rerank.w.shape == (len(rerank.ids), len(rerank.codes))
        assert rerank.bias.shape == (len(rerank.codes),)
        assert np.all(np.diff(rerank.ids) > 0)  # sorted, as detect's lookups need


def test_members_places_a_group_in_its_scripts_table():
    table = model.tables()["Latn"]
    group = model.reranks()["hr"].codes
    positions, inside = model.members("Latn", group)
    assert inside.all()
    assert [table.codes[i] for i in positions] == list(group)
    # A group member the table lacks is marked, and gets no position.
    positions, inside = model.members("Latn", ("hr", "ru", "bs"))
    assert list(inside) == [True, False, True]
    assert [table.codes[i] for i in positions] == ["hr", "bs"]


def test_the_table_model_covers_its_scripts_table_column_by_column():
    regression = model.table_model()
    assert regression is not None
    script = features.TABLE_SCRIPT
    codes = model.tables()[script].codes
    assert regression.w.shape == (features.TABLE_BUCKETS, len(regression.codes))
    assert regression.bias.shape == (len(regression.codes),)
    where = model.table_positions(script)
    assert len(where) == len(codes)
    for code, column in zip(codes, where):
        assert column == -1 or regression.codes[column] == code


def test_the_shipped_calibration_has_every_key_detect_reads():
    params = model.calibration()
    assert {"prior_mix", "groups", "platt", "rerank", "lr_gamma", "lr_min_words"} <= set(params)
    assert 0 <= params["prior_mix"] <= 1
    assert set(params["groups"]) == set(model.tables())
    # Platt scaling for every table, for short Latin text, and for script-decided answers.
    assert set(model.tables()) | {"Latn-short", "rule"} <= set(params["platt"])
    assert all(len(ab) == 3 for ab in params["platt"].values())
    assert set(params["rerank"]) == {"alpha", "beta"}


def test_web_share_is_a_distribution_over_the_102_languages():
    share = model.web_share()
    assert set(share) == {lang.code for lang in languages.all_languages()}
    assert sum(share.values()) == pytest.approx(1.0)
    assert share["en"] > share["fr"] > 0


def test_the_log_prior_is_a_distribution_that_favours_the_big_languages():
    codes = model.tables()["Latn"].codes
    prior = model.log_prior("Latn")
    assert prior.shape == (len(codes),)
    assert np.exp(prior).sum() == pytest.approx(1.0)
    assert prior[codes.index("en")] > prior[codes.index("ast")]


def test_use_calibration_replaces_the_shipped_one_until_it_is_put_back(shipped_calibration):
    fit = dict(shipped_calibration, prior_mix=0.0)
    model.use_calibration(fit)
    assert model.calibration() is fit
    # The prior follows at once (its cache is cleared): no web share, uniform.
    uniform = model.log_prior("Latn")
    assert np.allclose(uniform, uniform[0])
    model.use_calibration(dict(shipped_calibration, prior_mix=1.0))
    codes = model.tables()["Latn"].codes
    web_only = model.log_prior("Latn")
    assert web_only[codes.index("en")] - web_only[codes.index("ast")] > 1.0
    model.use_calibration(shipped_calibration)
    assert model.calibration() == shipped_calibration
    assert not np.allclose(model.log_prior("Latn"), uniform)


def test_data_file_reads_the_environment_override(tmp_path, monkeypatch):
    replacement = tmp_path / "other-calibration.json"
    replacement.write_bytes(b'{"prior_mix": 0.5}')
    monkeypatch.setenv("LLAMAX_LID_CALIBRATION", str(replacement))
    with model.data_file("lid-calibration.json", "LLAMAX_LID_CALIBRATION") as f:
        assert f.read() == b'{"prior_mix": 0.5}'
    monkeypatch.delenv("LLAMAX_LID_CALIBRATION")
    with model.data_file("lid-calibration.json", "LLAMAX_LID_CALIBRATION") as f:
        assert b'"platt"' in f.read()
