"""The `eduhouse run` command refuses a lake without an inbox, with a clear message."""

from orchestration.cli import main


def test_run_without_inbox_exits_2(tmp_path, capsys):
    assert main(["run", "--lake", str(tmp_path)]) == 2
    assert "no inbox" in capsys.readouterr().err


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
