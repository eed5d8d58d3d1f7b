"""faults: signals become a stop request; the test hooks read the environment."""

import math
import os
import signal

import pytest

from nnscratch.train.faults import NAN_ENV, SIGNAL_ENV, FaultInjector, StopSignals


def test_sigint_and_sigterm_request_a_stop_and_handlers_are_restored():
    before = signal.getsignal(signal.SIGINT)
    with StopSignals() as signals:
        os.kill(os.getpid(), signal.SIGTERM)
        assert signals.requested == "SIGTERM"
        os.kill(os.getpid(), signal.SIGINT)  # a later signal does not replace the first
        assert signals.requested == "SIGTERM"
    assert signal.getsignal(signal.SIGINT) is before


def test_a_second_ctrl_c_interrupts_at_once():
    with StopSignals() as signals, pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        assert signals.requested == "SIGINT"
        os.kill(os.getpid(), signal.SIGINT)


def test_hooks_are_off_unless_set(monkeypatch):
    monkeypatch.delenv(NAN_ENV, raising=False)
    monkeypatch.delenv(SIGNAL_ENV, raising=False)
    assert FaultInjector.from_environment() is None
    monkeypatch.setenv(NAN_ENV, "3")
    monkeypatch.setenv(SIGNAL_ENV, "5:SIGTERM")
    hooks = FaultInjector.from_environment()
    assert hooks.poison(2, 1.5) == 1.5 and math.isnan(hooks.poison(3, 1.5))
    assert hooks.signal_at_step == (5, signal.SIGTERM)


def test_a_second_ctrl_c_interrupts_once_and_never_inside_deferred_blocks():
    with StopSignals() as signals:
        os.kill(os.getpid(), signal.SIGINT)
        assert signals.requested == "SIGINT" and signals.number == signal.SIGINT
        with signals.deferred():
            os.kill(os.getpid(), signal.SIGINT)  # noted, not raised: the summary is written
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)  # a third does not break into that handling
        os.kill(os.getpid(), signal.SIGTERM)
        assert signals.requested == "SIGINT"
