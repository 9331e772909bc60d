from ikzops.errors import ExitCode
from ikzops.runners.pyinfra import command, parse


def _op(name, success=(), no_change=(), error=()):
    return {"name": name, "success": list(success), "no_change": list(no_change), "error": list(error)}


def test_a_host_that_failed_before_any_operation_is_unreachable():
    payload = {"results": {"operations": [_op("a", success=["city-app"])], "failed_hosts": ["district-app"]}}
    report = parse(payload, dry=False)
    assert report.unreachable == ("district-app",)
    assert report.exit_code == ExitCode.UNREACHABLE


def test_a_failed_operation_is_a_configuration_error_not_unreachable():
    payload = {"results": {"operations": [_op("a", error=["city-app"])], "failed_hosts": ["city-app"]}}
    report = parse(payload, dry=False)
    assert report.unreachable == () and report.exit_code == ExitCode.CONFIG


def test_connection_errors_on_stderr_name_the_host():
    report = parse({"plan": []}, dry=True, stderr="    [city-san] Could not connect (timed out)\n")
    assert report.unreachable == ("city-san",)


def test_repeated_operations_are_counted_per_host():
    payload = {"results": {"operations": [_op("unit", success=["a"]), _op("unit", success=["a"]), _op("x", no_change=["a"])],
                           "failed_hosts": []}}
    report = parse(payload, dry=False)
    assert report.changes == 2 and report.changes_by_host() == {"a": ["unit ×2"]}
    assert report.exit_code == ExitCode.OK


def test_the_deploy_is_plain_pyinfra_with_json_and_limits():
    argv = command("inv.py", ("deploy/site.py",), limit=("city",), dry=True).argv
    assert argv[1:6] == ("-m", "pyinfra", "--json", "--dry", "inv.py")
    assert argv[-2:] == ("--limit", "city")
