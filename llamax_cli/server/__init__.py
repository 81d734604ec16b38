"""`llamax serve`: the HTTP layer over one warm Translator. app.py (LibreTranslate routes
and wiring), openai_routes.py (/v1), stream.py (/llamax/translate), request.py (reading
parameters within limits), errors.py, edge.py (CORS, connection limits), files.py
(translated files), lifecycle.py (admission, loading, graceful stop), run.py (uvicorn and
signals), client.py (the CLI's side of `--server`).

May import: every layer below it (core, lid, formats, engine, models, service); never cli.
"""
