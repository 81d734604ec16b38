"""`llamax serve`: the command's options and help; server/run.py runs the server."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from llamax_cli.cli.streams import download_question, warn


def serve_command(
    model: Optional[str] = typer.Option(None, "--model", "-m",
                                        help="GGUF path, or registry name[:quant]."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(5000, "--port", min=1, max=65535, help="Port to listen on."),
    api_keys: Optional[Path] = typer.Option(None, "--api-keys",
                                            help="File of API keys, one a line: then required."),
    char_limit: int = typer.Option(5000, "--char-limit", min=-1,
                                   help="Characters per text; -1 for none."),
    batch_limit: int = typer.Option(64, "--batch-limit", min=-1,
                                    help="Texts per request; -1 for none."),
    queue: int = typer.Option(64, "--queue", min=1,
                              help="Requests admitted at once; more get 429."),
    grace: float = typer.Option(30.0, "--grace", min=0,
                                help="Seconds a stop (SIGTERM, Ctrl-C) lets requests in flight "
                                     "finish; the rest then get 503. A second signal: at once."),
    cors_origins: str = typer.Option("*", "--cors-origins", help="Origins whose web pages may "
                                     "call the API: *, a comma-separated list, or none."),
    public_url: Optional[str] = typer.Option(None, "--public-url", help="This server's URL as "
                                             "clients reach it, for file links [default: relative]."),
    file_ttl: int = typer.Option(1800, "--file-ttl", min=0,
                                 help="Seconds a translated file stays downloadable."),
    file_store: str = typer.Option("256M", "--file-store",
                                   help="Room for translated files; the oldest go first."),
    threads: Optional[int] = typer.Option(None, "--threads", help="CPU threads."),
    gpu_layers: Optional[int] = typer.Option(None, "--gpu-layers", help="Layers to offload."),
    ctx: Optional[int] = typer.Option(None, "--ctx", help="Context per unit in tokens."),
    parallel: Optional[int] = typer.Option(None, "--parallel", "-p",
                                           help="Units decoded at once, for all clients "
                                                "[default: 32, as memory allows; "
                                                "--deterministic: as translate]."),
    beams: Optional[int] = typer.Option(
        None, "--beams", help="Beam search width for every request (1: greedy); a request "
                              "asking for K alternatives uses K+1 at least [default: 1]."),
    glossary: Optional[Path] = typer.Option(
        None, "--glossary", help="TSV glossary applied to every request (see translate)."),
    deterministic: Optional[bool] = typer.Option(
        None, "--deterministic", show_default=False,
        help="Batch-invariant kernels: a text's greedy translation does not depend on what "
             "else is being translated; slower."),
    api_base: Optional[str] = typer.Option(
        None, "--api-base", help="Serve through an OpenAI-compatible server (e.g. a vLLM "
                                 "cluster) instead of a local model."),
    api_model: Optional[str] = typer.Option(None, "--api-model", help="Model name on that server."),
    remote_parallel: Optional[int] = typer.Option(None, "--remote-parallel",
                                                  help="Requests sent to that server at once."),
    remote_timeout: Optional[int] = typer.Option(None, "--remote-timeout",
                                                 help="Seconds to retry an unavailable server."),
    memory: Optional[str] = typer.Option(
        None, "--memory", metavar="PATH", help="Translation memory file to use [default: the "
                                               "one in the cache folder]."),
    no_memory: bool = typer.Option(False, "--no-memory", help="Use no translation memory."),
    yes: bool = typer.Option(False, "-y", "--yes", help="Download the model if it is missing."),
    verbose: bool = typer.Option(False, "--verbose", help="Log requests and llama.cpp."),
) -> None:
    """Serve the LibreTranslate API (translate, detect, languages, files) on a warm model.

    \b
    Examples:
      llamax serve                            # http://127.0.0.1:5000
      llamax serve --port 8080 --api-keys keys.txt
      curl -s localhost:5000/translate -H 'Content-Type: application/json' \\
           -d '{"q": "Good morning", "source": "auto", "target": "fr"}'
    """
    # the web stack loads only when the command runs, not for `llamax --help`
    from llamax_cli.core import config
    from llamax_cli.server.app import Limits
    from llamax_cli.server.edge import parse_origins
    from llamax_cli.server.files import parse_public_url, parse_size
    from llamax_cli.server.run import read_api_keys
    from llamax_cli.server.run import serve as run_server

    settings = config.engine_settings(
        ctx=ctx, parallel=parallel, threads=threads, gpu_layers=gpu_layers,
        deterministic=deterministic, api_base=api_base, api_model=api_model,
        remote_parallel=remote_parallel, remote_timeout=remote_timeout, beams=beams)
    # loaded when the command runs: `llamax --help` imports every command module
    from llamax_cli.service.glossary import read as read_glossary

    # A bad memory setting is a usage error now, not at the model's load.
    memory_setting = config.value("memory", False if no_memory else memory)
    run_server(model=model or config.value("model"), host=host, port=port, settings=settings,
               memory=memory_setting,
               glossary=read_glossary(glossary) if glossary else None,
               limits=Limits(char_limit, batch_limit, queue, grace=grace,
                             cors_origins=parse_origins(cors_origins),
                             public_url=parse_public_url(public_url), file_ttl=file_ttl,
                             file_store_bytes=parse_size(file_store)),
               api_keys=read_api_keys(api_keys),
               yes=yes, ask=download_question(), verbose=verbose, note=warn)
