"""The `eduhouse run` command refuses a lake without an inbox, with a clear message."""

from orchestration.cli import main


def test_run_without_inbox_exits_2(tmp_path, capsys):
    assert main(["run", "--lake", str(tmp_path)]) == 2
    assert "no inbox" in capsys.readouterr().err


def test_a_folder_that_is_no_lake_is_one_line_and_left_as_it_was(tmp_path, capsys):
    """A mistyped --lake naming some folder: `status` said OK and made ops/ there,
    `backfill` made a lake in it and failed in dbt (the faults probe)."""
    for argv in (["status"], ["backfill", "--from", "2021-10-01", "--to", "2021-10-01"], ["audit"]):
        assert main([*argv, "--lake", str(tmp_path)]) == 2, argv
        assert "is not a lake" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "a-file").write_text("")
    assert main(["simulate", "--lake", str(tmp_path / "a-file" / "lake"), "--scale", "tiny"]) == 2
    assert "cannot make a lake" in capsys.readouterr().err


def test_a_failed_step_says_why_and_its_log_holds_the_error(tmp_path, capsys):
    """A source that waits for the roster failed with Dagster's wrapper line only ("Error
    occurred while executing op") and pointed to an empty log: the line now gives the
    cause, the log the whole error."""
    fitness = tmp_path / "inbox" / "fitness"
    fitness.mkdir(parents=True)
    (fitness / "fit-2021-10-05.csv").write_text(
        "student_sourcedId,test_date,grade,height_cm,weight_kg\nstu-1,2021-10-05,07,150,40\n", encoding="utf-8")
    assert main(["run", "--lake", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    failed = [line for line in err.splitlines() if "✗ bronze__fitness" in line]
    assert len(failed) == 1 and "land the roster before" in failed[0] and "Error occurred" not in failed[0], err
    logs = list((tmp_path / "logs").glob("run-*.log"))
    assert len(logs) == 1 and "RosterMissing" in logs[0].read_text(encoding="utf-8")


def test_failure_reason_is_the_innermost_cause():
    from dagster._utils.error import SerializableErrorInfo

    from orchestration.runner.progress import failure_reason

    inner = SerializableErrorInfo("no roster users in x: land the roster first\nmore", [], "RosterMissing")
    outer = SerializableErrorInfo('Error occurred while executing op "bronze__fitness":', [], "Wrapper", inner)
    assert failure_reason(outer) == "no roster users in x: land the roster first"
    assert failure_reason(None) == ""


def test_a_reader_that_goes_away_is_no_traceback_and_no_attention(tmp_path):
    """`eduhouse status | head -1` ended in a BrokenPipeError traceback and exit 1, which
    `status` documents as ATTENTION (found by the UI probe). The console entry point now
    stops quietly with the shell's code for SIGPIPE."""
    import subprocess
    import sys

    (tmp_path / "inbox").mkdir()
    proc = subprocess.Popen([sys.executable, "-c", "from orchestration.cli import console_main; console_main()",
                             "status", "--lake", str(tmp_path), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the command writes
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141 and b"Traceback" not in err, err.decode()


def test_token_mistakes_are_one_line(tmp_path, capsys):
    """An expiry past year 9999 was an OverflowError traceback; an empty principal read
    "eduhouse token:  is neither ..."; an app name with a newline broke the token list;
    `eduhouse token` alone named an internal field (token_command). (The UI probe.)"""
    import pytest

    (tmp_path / "inbox").mkdir()
    lake = ["--lake", str(tmp_path)]
    for args, says in (
            (["--principal", "stu-1", "--expires-days", "99999999"], "at most 36,500"),
            (["--principal", ""], "--principal is empty"),
            (["--principal", "stu-1", "--app", "x\ny"], "is not a client app name")):
        assert main(["token", "issue", *lake, *args]) == 2
        err = capsys.readouterr().err
        assert says in err and len(err.strip().splitlines()) == 1, err
    with pytest.raises(SystemExit) as exit_:
        main(["token"])
    assert exit_.value.code == 2 and "{issue,revoke,list}" in capsys.readouterr().err
    for threads in ("0", "-5"):  # clamped to 1 without a word (the API probe)
        with pytest.raises(SystemExit) as exit_:
            main(["serve", *lake, "--threads", threads])
        assert exit_.value.code == 2 and "--threads" in capsys.readouterr().err
