"""The `eduhouse run` command refuses a lake without an inbox, with a clear message."""

from orchestration.cli import main


def test_run_without_inbox_exits_2(tmp_path, capsys):
    assert main(["run", "--lake", str(tmp_path)]) == 2
    assert "no inbox" in capsys.readouterr().err
