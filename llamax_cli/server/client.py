"""The CLI's side of `llamax translate --server URL`: a document sent to a running `llamax
serve` (POST /llamax/translate, see server/stream.py) and its streamed pieces and unit results
turned back into what the local pipeline yields, so output, --json and exit codes are the
same. Also: finding a server already running on this machine with the requested model."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator, Optional, Sequence

from platformdirs import user_cache_dir

from llamax_cli.core.errors import Busy, LlamaxError
from llamax_cli.core.languages import Language
from llamax_cli.formats.segment import Document
from llamax_cli.service import pipeline


# Here, not in run.py beside the server that writes it: `translate` reads it, and run.py
# imports uvicorn and FastAPI (a quarter of a second) that a translation does not need.
def discovery_file() -> Path:
    """Where a running `llamax serve` announces itself (its address and model)."""
    return Path(os.environ.get("LLAMAX_SERVE_FILE") or
                Path(user_cache_dir("llamax", appauthor=False)) / "serve.json")


class RemoteTranslator:
    """The Translator's document interface, served by a running `llamax serve`."""

    def __init__(self, url: str, timeout: float = 600.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def close(self) -> None:
        pass

    def translate_document(self, doc: Document, src: Language, tgt: Language,
                           options: pipeline.Options = pipeline.Options(),
                           per_unit: Optional[Sequence[Language]] = None,
                           cancel=None) -> Iterator[pipeline.Output]:
        body = {"text": doc.render(unit.raw for unit in doc.units), "format": doc.format,
                "source": src.code, "target": tgt.code,
                "per_unit": [lang.code for lang in per_unit] if per_unit else None,
                "max_tokens": options.max_tokens, "temperature": options.sampling.temperature,
                "seed": options.sampling.seed, "live": options.live,
                "beams": options.beams, "alternatives": options.alternatives,
                "glossary": {"keep": list(options.glossary.keep),
                             "pairs": dict(options.glossary.pairs)} if options.glossary else None}
        response = self._open(body)
        with response:
            for raw in response:
                record = json.loads(raw)
                if "text" in record:
                    yield record["text"]
                elif "unit" in record:
                    yield pipeline.UnitResult(**record["unit"])
                elif "retract" in record:
                    yield pipeline.Retract(record["retract"])
                elif "error" in record:
                    raise (Busy if record.get("status") == 429 else LlamaxError)(
                        f"the server at {self.url}: {record['error']}")
                elif record.get("done"):
                    return
        raise LlamaxError(f"the server at {self.url} closed the stream before the end")

    def _open(self, body: dict):
        request = urllib.request.Request(
            f"{self.url}/llamax/translate", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("error", exc.reason)
            except ValueError:
                message = exc.reason
            raise (Busy if exc.code == 429 else LlamaxError)(
                f"the server at {self.url} answered {exc.code}: {message}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LlamaxError(f"cannot reach the server at {self.url}: {reason}") from None


def find_local_server(model_path: str) -> Optional[str]:
    """The URL of a running `llamax serve` on this machine with the same model, if any."""
    path = discovery_file()
    try:
        info = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if os.path.realpath(info.get("model", "")) != os.path.realpath(model_path):
        return None
    try:
        with urllib.request.urlopen(f"{info['url']}/health", timeout=0.5) as response:
            return info["url"] if response.status == 200 else None
    except OSError:
        return None
