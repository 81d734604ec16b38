"""The detector's data, loaded once on first use: the naive-Bayes tables by script, the
second-stage rerank models, the whole-table logistic regression (all in data/lid.npz), the
calibration (data/lid-calibration.json) and the web-share priors (data/lid-priors.csv).
lid/detect.py decides with them."""

from __future__ import annotations

import csv
import functools
import json
import os
from dataclasses import dataclass
from importlib.resources import files

import numpy as np

from llamax_cli.lid import features

PRIOR_MIX = 0.25  # the prior: this much web share (data/lid-priors.csv), the rest uniform
_override: dict = {}  # use_calibration(): a fit being made, in place of the shipped one


@dataclass(frozen=True)
class Table:
    codes: tuple[str, ...]
    q: np.ndarray  # buckets x languages, uint8 quantized log-probabilities
    scale: float  # log-prob per quantization step


def data_file(name: str, env: str):
    override = os.environ.get(env)
    return open(override, "rb") if override else files("llamax_cli").joinpath(f"data/{name}").open("rb")


@functools.lru_cache(maxsize=1)
def tables() -> dict[str, Table]:
    # LLAMAX_LID_MODEL: evaluate another model (e.g. one trained with a dev split held out).
    with data_file("lid.npz", "LLAMAX_LID_MODEL") as f:
        data = np.load(f)
        tables = {}
        for script in features.MULTI:
            if f"{script}.q" in data:
                tables[script] = Table(tuple(str(c) for c in data[f"{script}.codes"]),
                                        data[f"{script}.q"], float(data[f"{script}.range"][1]))
    return tables


@dataclass(frozen=True)
class Rerank:
    codes: tuple[str, ...]
    ids: np.ndarray  # sorted feature ids (features.rerank_features)
    w: np.ndarray  # len(ids) x len(codes) weights
    bias: np.ndarray


@functools.lru_cache(maxsize=1)
def reranks() -> dict[str, Rerank]:
    """The second stage, by member language: one logistic regression per group of close
    languages (tools/train_lid_rerank.py), stored in lid.npz beside the naive-Bayes tables."""
    with data_file("lid.npz", "LLAMAX_LID_MODEL") as f:
        data = np.load(f)
        by_code = {}
        i = 0
        while f"rr{i}.codes" in data:
            model = Rerank(tuple(str(c) for c in data[f"rr{i}.codes"]), data[f"rr{i}.ids"],
                            data[f"rr{i}.w"].astype(np.float32) * float(data[f"rr{i}.scale"][0]),
                            data[f"rr{i}.bias"].astype(np.float64))
            by_code.update((code, model) for code in model.codes)
            i += 1
    return by_code


@dataclass(frozen=True)
class TableModel:
    codes: tuple[str, ...]
    w: np.ndarray  # buckets (features.table_features) x len(codes)
    bias: np.ndarray


@functools.lru_cache(maxsize=1)
def table_model() -> TableModel | None:
    """The whole-table logistic regression (tools/train_lid_lr.py), if lid.npz has one."""
    with data_file("lid.npz", "LLAMAX_LID_MODEL") as f:
        data = np.load(f)
        if "lr.codes" not in data:
            return None
        return TableModel(tuple(str(c) for c in data["lr.codes"]),
                           data["lr.w"].astype(np.float32) * float(data["lr.scale"][0]),
                           data["lr.bias"].astype(np.float64))


@functools.lru_cache(maxsize=8)
def table_positions(script: str) -> np.ndarray:
    """For each language of the script's table, its column in the table model (or -1)."""
    model = table_model()
    return np.array([model.codes.index(c) if c in model.codes else -1
                     for c in tables()[script].codes])


@functools.lru_cache(maxsize=64)
def members(script: str, group: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of a rerank group's languages in the script's table, and which of the group
    the table has."""
    codes = tables()[script].codes
    inside = np.array([c in codes for c in group])
    return np.array([codes.index(c) for c in group if c in codes]), inside


def calibration() -> dict:
    """Fitted by tools/fit_lid_calibration.py on held-out training lines (never on NTREX)."""
    return _override.get("calibration") or _shipped_calibration()


@functools.lru_cache(maxsize=1)
def _shipped_calibration() -> dict:
    # LLAMAX_LID_CALIBRATION: evaluate another fit.
    with data_file("lid-calibration.json", "LLAMAX_LID_CALIBRATION") as f:
        return json.load(f)


def use_calibration(params: dict) -> None:
    """Detect with these calibration parameters from now on (tools/fit_lid_calibration.py
    fits them in two stages, and the second needs the first in place)."""
    _override["calibration"] = params
    log_prior.cache_clear()


@functools.lru_cache(maxsize=1)
def web_share() -> dict[str, float]:
    with files("llamax_cli").joinpath("data/lid-priors.csv").open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        share = {row["code"]: float(row["pages_percent"]) for row in rows}
    total = sum(share.values())
    return {code: value / total for code, value in share.items()}


@functools.lru_cache(maxsize=8)
def log_prior(script: str) -> np.ndarray:
    codes = tables()[script].codes
    share = web_share()
    web = np.array([share.get(code, 0.0) for code in codes])
    web = web / web.sum() if web.sum() else np.full(len(codes), 1 / len(codes))
    mix = calibration().get("prior_mix", PRIOR_MIX)
    return np.log(mix * web + (1 - mix) / len(codes))
