import pytest


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
