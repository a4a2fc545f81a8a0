import pytest


@pytest.fixture(autouse=True)
def wide_output(monkeypatch):
    """Tests that look for a phrase read whole lines: their tables are as wide as 160 columns.
    Layout at the widths people use (80, 120) is tests/test_golden.py's and test_layout.py's,
    which set COLUMNS themselves."""
    monkeypatch.setenv("COLUMNS", "160")


def _invoke(*args: str):
    """Run tfcli in-process through its real error boundary; returns (exit_code, stdout, stderr)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from tfcli.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def cli():
    """run_cli for fixtures wider than one test (a module's documents, made once)."""
    return _invoke


@pytest.fixture
def run_cli():
    return _invoke
