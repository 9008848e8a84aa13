"""Progress is drawn on stderr only when stderr is a terminal, and erased when the step ends."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from tests.cli.terminal import environment


def on_a_terminal(tmp_path: Path, *args: str) -> tuple[int, bytes, bytes]:
    """Runs the command with stderr on an 80-column terminal: its exit code, what it drew there, stdout."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "driftguard.cli", *args],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=environment(tmp_path, TERM="xterm"),
        cwd=tmp_path,
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    out, _ = proc.communicate(timeout=120)
    os.close(leader)
    return proc.returncode, drawn, out


def test_progress_on_a_terminal_is_erased_and_absent_from_a_pipe(tmp_path: Path) -> None:
    code, drawn, out = on_a_terminal(tmp_path, "scan", "--simulated", "--format", "json")
    assert code == 0
    assert b"reading and judging the estate" in drawn
    # the last thing drawn erases the line: nothing is left on the screen
    assert b"\x1b[2K" in drawn[drawn.rindex(b"reading and judging") :]
    assert out.startswith(b'{"schema_version"')
    piped = subprocess.run(
        [sys.executable, "-m", "driftguard.cli", "scan", "--simulated", "--format", "json"],
        capture_output=True,
        env=environment(tmp_path),
        check=False,
    )
    assert piped.returncode == 0
    assert piped.stderr == b""


def test_writing_an_output_file_shows_progress_too(tmp_path: Path) -> None:
    for args, line in (
        (("scan", "--simulated", "--output", "posture.sarif"), b"writing the sarif output to posture.sarif"),
        (("review", "--simulated", "--output", "review.csv"), b"writing the csv output to review.csv"),
        (("inventory", "--simulated", "--output", "assets.json"), b"writing the json output to assets.json"),
    ):
        code, drawn, _ = on_a_terminal(tmp_path, *args)
        assert code == 0, drawn
        assert line in drawn
        assert b"\x1b[2K" in drawn[drawn.rindex(line) :]  # erased when written
