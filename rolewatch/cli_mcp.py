"""`rolewatch mcp`: the MCP server (`rolewatch.mcp_server`) over stdio, or streamable HTTP on
a loopback address."""

from __future__ import annotations

import sys

import click

from rolewatch.cli_support import EXIT_CONFIG, config_option, friendly_errors, load


@click.command()
@config_option
@click.option(
    "--http",
    "port",
    type=click.IntRange(1, 65535),
    metavar="PORT",
    help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="With --http: a loopback address.")
@click.option("--allow-mute", is_flag=True, help="Also offer mute and unmute tools, which write the store.")
@friendly_errors
def mcp(config_path: str, port: int | None, host: str, allow_mute: bool) -> None:
    """A Model Context Protocol server for assistants: search postings, a posting's history,
    recent events, why a posting matches a watch, sources' health. Read-only unless
    --allow-mute. Speaks over stdin/stdout unless --http gives a port."""
    from pipeline.db import open_current
    from rolewatch.mcp_server import build_server, loopback_security
    from rolewatch.webview.guards import is_loopback

    if port is not None and not is_loopback(host):
        # The tools answer anyone who reaches them: there is no token to ask for.
        click.echo(f"error: --host {host} is not a loopback address; the MCP server listens on this "
                   "machine only (127.0.0.1, ::1 or localhost)", err=True)  # fmt: skip
        sys.exit(EXIT_CONFIG)
    config = load(config_path)
    engine = open_current(config.database)
    try:
        server = build_server(config, engine, allow_mute=allow_mute)
        if port is None:
            server.run("stdio")
        else:
            click.echo(f"rolewatch MCP server on http://{host}:{port}/mcp", err=True)
            server.run("streamable-http", host=host, port=port, transport_security=loopback_security(host))
    finally:
        engine.dispose()
