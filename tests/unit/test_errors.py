from ikzops.errors import ExitCode, worst


def test_nothing_wrong_is_ok():
    assert worst([]) == worst([ExitCode.OK, ExitCode.OK]) == ExitCode.OK


def test_could_not_run_outranks_a_finding_which_outranks_unreachable():
    assert worst([ExitCode.UNREACHABLE, ExitCode.FINDING]) == ExitCode.FINDING
    assert worst([ExitCode.FINDING, ExitCode.CONFIG, ExitCode.UNREACHABLE]) == ExitCode.CONFIG
    assert worst([ExitCode.OK, ExitCode.UNREACHABLE]) == ExitCode.UNREACHABLE
