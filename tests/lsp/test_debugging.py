"""`PRISMA_DOCTOR_DEBUGPY`: the server connects to a listening debugger before it starts, and serves without one."""

from __future__ import annotations

import sys
import types

import pytest

from prisma_doctor.cli.serve import connect_debugger


class FakeDebugpy(types.ModuleType):
    def __init__(self, refuse: bool = False) -> None:
        super().__init__("debugpy")
        self.calls: list[tuple] = []
        self.refuse = refuse

    def connect(self, address: tuple[str, int]) -> None:
        self.calls.append(("connect", address))
        if self.refuse:
            raise ConnectionRefusedError(111, "Connection refused")

    def wait_for_client(self) -> None:
        self.calls.append(("wait_for_client",))


@pytest.mark.parametrize(
    ("address", "expected"), [("5678", ("127.0.0.1", 5678)), ("localhost:9000", ("localhost", 9000))]
)
def test_the_server_connects_and_waits_for_the_debugger(
    monkeypatch: pytest.MonkeyPatch, address: str, expected: tuple[str, int]
) -> None:
    fake = FakeDebugpy()
    monkeypatch.setitem(sys.modules, "debugpy", fake)
    assert connect_debugger(address) is True
    assert fake.calls == [("connect", expected), ("wait_for_client",)]


@pytest.mark.parametrize("address", ["", "  ", "not-a-port"])
def test_without_a_usable_address_nothing_is_tried(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    fake = FakeDebugpy()
    monkeypatch.setitem(sys.modules, "debugpy", fake)
    assert connect_debugger(address) is False
    assert fake.calls == []


def test_no_debugger_listening_or_no_debugpy_is_said_on_stderr_and_the_server_serves(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "debugpy", FakeDebugpy(refuse=True))
    assert connect_debugger("5678") is False
    monkeypatch.setitem(sys.modules, "debugpy", None)  # as if not installed: the import fails
    assert connect_debugger("5678") is False
    out, err = capsys.readouterr()
    assert out == ""  # stdout is the protocol's
    assert "no debugger at 5678" in err and "debugpy is not installed" in err
