"""The `llamax` command line: app.py builds the Typer app from one module per command
(translate, detect, languages, serve, eval, admin: models/config/doctor), plus stdout/stderr
handling (streams.py) and output files (outputs.py). Parsing and rendering only: the work
is done by the service and server layers.

May import: every layer below it. Heavy modules load inside the commands, so that
`llamax --help` stays fast.
"""
