"""engine/slots.py: what the scheduler keeps per caller, per waiting request, per sequence."""

from llamax_cli.engine import Request, Sampling
from llamax_cli.engine.slots import Client, Slot, Waiting


def slot(seq: int, client: Client) -> Slot:
    return Slot(seq, client, 0, Request("x", 4), prompt_len=1, pending=[], pos=1, max_new=4,
                sampler=None)


def test_a_new_client_has_nothing_yet():
    client = Client(Sampling(seed=3))
    assert client.sampling.seed == 3
    assert client.events.empty() and not client.cancelled and client.prefix is None


def test_waiting_requests_do_not_share_their_extra_slots():
    client = Client(Sampling())
    a, b = Waiting(client, 0, Request("a", 1)), Waiting(client, 1, Request("b", 1))
    a.extra.append(5)
    assert b.extra == [] and a.seq == b.seq == -1  # not admitted yet


def test_each_slot_rejoins_its_own_split_characters():
    client = Client(Sampling())
    first, second = slot(0, client), slot(1, client)
    e_acute = "é".encode("utf-8")
    assert first.utf8.decode(e_acute[:1]) == ""  # held: half a character
    assert second.utf8.decode(b"x") == "x"  # another slot's decoder is not disturbed
    assert first.utf8.decode(e_acute[1:]) == "é"
    assert first.utf8.decode(b"\xe6", final=True) == "\ufffd"  # cut at the end: replaced
