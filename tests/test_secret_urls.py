"""A token written into a chat or webhook URL reaches neither the output, even at -vv, nor the
database: `rolewatch run` prints and stores a recipient under a redacted, stable name."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from config.loader import parse_config
from pipeline.db import open_database
from rolewatch.boardserver import BoardServer, Reply
from rolewatch.demo_boards import board_before
from tests.test_daemon import BOARD_PATH, greenhouse, rolewatch, write_config

HOOK_TOKEN = "HOOKTOKEN1234567"
CHAT_TOKEN = "CHATTOKEN7654321"


def test_tokens_in_notify_and_webhook_urls_reach_no_output_at_debug_level_and_no_database(
    tmp_path: Path,
) -> None:
    with BoardServer() as board:
        board.set(BOARD_PATH, json.dumps(board_before()))
        board.set(f"/hooks/{HOOK_TOKEN}", Reply(b"{}"))
        board.set(f"/chat/{CHAT_TOKEN}", Reply(b"{}"))
        chat = board.url.replace("http://", "json://") + f"/chat/{CHAT_TOKEN}"
        hook = f"{board.url}/hooks/{HOOK_TOKEN}"
        config = write_config(
            tmp_path,
            greenhouse("stripe", board.url),
            "watches:\n  - {name: everything}\nrecipients:\n"
            f'  - {{webhook: "{hook}", secret_env: HOOK_SECRET, watches: [everything]}}\n'
            f'  - {{notify: "{chat}", watches: [everything]}}\n',
        )
        process = rolewatch("-vv", "run", "--config", str(config), HOOK_SECRET="s3cret")
        out, err = process.communicate(timeout=300)
        posted = [path for method, path in board.requests if method == "POST"]

    assert process.returncode == 0, err
    assert sorted(posted) == [f"/chat/{CHAT_TOKEN}", f"/hooks/{HOOK_TOKEN}"]
    assert " DEBUG " in err, "debug logging was on"
    assert out.count(": sent, ") == 2, out
    for token in (HOOK_TOKEN, CHAT_TOKEN):
        assert token not in out and token not in err
    database = tmp_path / "rolewatch.db"
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("rolewatch.db*"))
    assert HOOK_TOKEN.encode() not in stored and CHAT_TOKEN.encode() not in stored
    # The stored names stay the same from one run to the next: they are what the config reads.
    recipients = parse_config(config.read_text(), str(config)).recipients
    engine = open_database(f"sqlite:///{database}")
    with engine.connect() as connection:
        names = set(connection.scalars(text("SELECT recipient FROM digests")))
    engine.dispose()
    assert names == {recipient.address for recipient in recipients}
