"""`rolewatch serve`: the read-only web view on a real ASGI server (uvicorn)."""

from __future__ import annotations

import os
import sys

import click

from rolewatch.cli_support import EXIT_CONFIG, config_option, friendly_errors, load

TOKEN_ENV = "ROLEWATCH_WEB_TOKEN"


@click.command()
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@friendly_errors
def serve(config_path: str, host: str, port: int) -> None:
    """A read-only web view: sources and their health, events, posting history, feeds.

    Only this machine can reach it unless --host says otherwise; any other address needs a
    token in $ROLEWATCH_WEB_TOKEN, which every request must then carry. Without a token it
    answers only requests addressed to localhost, 127.x.x.x or [::1].
    """
    import uvicorn

    from rolewatch.webview.app import create_app
    from rolewatch.webview.guards import is_loopback

    token = os.environ.get(TOKEN_ENV) or None
    if token is None and not is_loopback(host):
        click.echo(
            f"error: serving on {host} makes the view reachable from other machines: "
            f"set {TOKEN_ENV} to a secret token first (or serve on 127.0.0.1)",
            err=True,
        )
        sys.exit(EXIT_CONFIG)
    app = create_app(load(config_path), token)
    click.echo(
        f"rolewatch web view on http://{host}:{port}/" + (" (token required)" if token else ""), err=True
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
