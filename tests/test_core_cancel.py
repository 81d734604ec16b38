"""core/cancel.py: a CancelToken is an Event that says why it was set and wakes its waiters
through the callbacks registered with on_set."""

from __future__ import annotations

import threading

from llamax_cli.core.cancel import CancelToken


def test_a_fresh_token_is_unset_and_gives_the_generic_reason():
    token = CancelToken()
    assert not token.is_set()
    assert token.reason == "cancelled" and token.reasons == set()


def test_the_first_reason_given_is_the_reason_and_every_reason_is_kept():
    token = CancelToken()
    token.cancel("client")
    assert token.is_set() and token.reason == "client"
    token.cancel("shutdown")
    assert token.reason == "client"
    assert token.reasons == {"client", "shutdown"}


def test_a_plain_set_is_a_cancel_without_a_reason():
    token = CancelToken()
    token.set()
    assert token.is_set() and token.reason == "cancelled" and token.reasons == set()
    token.cancel("shutdown")  # a reason given later is still recorded
    assert token.reason == "shutdown" and token.reasons == {"shutdown"}


def test_callbacks_run_when_the_token_is_set_and_not_before():
    token = CancelToken()
    calls = []
    token.on_set(lambda: calls.append("a"))
    token.on_set(lambda: calls.append("b"))
    assert calls == []
    token.cancel("client")
    assert calls == ["a", "b"]


def test_a_callback_registered_on_a_set_token_runs_at_once():
    token = CancelToken()
    token.cancel("shutdown")
    calls = []
    token.on_set(lambda: calls.append(token.reason))
    assert calls == ["shutdown"]


def test_the_undo_removes_the_callback_and_may_run_twice():
    token = CancelToken()
    calls = []
    kept = token.on_set(lambda: calls.append("kept"))
    undo = token.on_set(lambda: calls.append("removed"))
    undo()
    undo()  # harmless the second time
    token.cancel("client")
    assert calls == ["kept"]
    assert callable(kept)


def test_callbacks_run_outside_the_lock_so_they_may_use_the_token():
    # A callback that reads the token or registers another must not deadlock: run the set in
    # a thread, so that a deadlock fails the test instead of hanging the suite.
    token = CancelToken()
    calls, failures = [], []
    token.on_set(lambda: token.on_set(lambda: calls.append(("inner", token.reasons.copy()))))

    def cancel():
        try:
            token.cancel("client")
        except BaseException as exc:  # noqa: BLE001 (reported by the assertion below)
            failures.append(exc)

    setter = threading.Thread(target=cancel, daemon=True)
    setter.start()
    setter.join(timeout=30)
    assert not setter.is_alive(), "set() deadlocked in a callback"
    assert failures == [] and calls == [("inner", {"client"})]


def test_a_waiter_in_another_thread_is_woken():
    token = CancelToken()
    woken = []
    waiter = threading.Thread(target=lambda: woken.append(token.wait(timeout=30)), daemon=True)
    waiter.start()
    token.cancel("client")
    waiter.join(timeout=30)
    assert woken == [True]
