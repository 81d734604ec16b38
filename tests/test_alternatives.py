"""Alternatives, scores and the `--json` record, through the real CLI and real servers:
`llamax serve` answers LibreTranslate's `alternatives` with what it has (never a 400), a
retried unit keeps the hypotheses of the attempt that was kept, hypotheses cut at the token
limit are offered marked `truncated`, and every `--json` record has the same keys."""

from __future__ import annotations

from test_engine_remote import ReferenceServer
from test_server import Server, request, server_env  # noqa: F401 (a fixture)


# -- llamax serve: what it has, never a 400 ---------------------------------------------------

def test_serve_over_a_remote_engine_answers_alternatives_with_none(gemma_path, cli_env,
                                                                     tmp_path):
    reference = ReferenceServer(gemma_path)
    srv = None
    try:
        srv = Server({**cli_env, "LLAMAX_MODEL": ""}, tmp_path, "--api-base", reference.url)
        # As LibreTranslate's own web page asks (alternatives=3, always), as JSON and as a form.
        status, answer = request(srv.url + "/translate", {
            "q": "The museum opens at nine.", "source": "en", "target": "fr",
            "format": "text", "alternatives": 3})
        assert status == 200, answer
        assert answer["translatedText"].strip() and answer["alternatives"] == []
        status, answer = request(srv.url + "/translate",
                                 "q=Good+morning.&source=en&target=fr&alternatives=3")
        assert status == 200 and answer["translatedText"].strip(), answer
        assert answer["alternatives"] == []
        # Beams asked for outright (llamax's own route) are still refused: there are none.
        status, answer = request(srv.url + "/llamax/translate", {
            "text": "Good morning.", "source": "en", "target": "fr", "beams": 2})
        assert status == 400 and "remote engine" in answer["error"], answer
    finally:
        if srv is not None:
            code, err = srv.stop()
            assert code in (0, 143) and "Traceback" not in err, err
        reference.kill()


def test_serve_with_fewer_slots_than_beams_gives_what_the_slots_allow(server_env, tmp_path):
    srv = Server(server_env, tmp_path, "--parallel", "2")  # 2 slots: at most 2 beams
    try:
        status, answer = request(srv.url + "/translate", {
            "q": ["Good morning, my friend.", "Save changes"], "source": "en", "target": "fr",
            "alternatives": 3})
        assert status == 200, answer
        assert len(answer["translatedText"]) == 2 and len(answer["alternatives"]) == 2
        assert all(isinstance(alts, list) and len(alts) <= 3 for alts in answer["alternatives"])
        assert all(isinstance(text, str) for alts in answer["alternatives"] for text in alts)
        # An explicit beam width beyond the slots (llamax's own route) is a 400 naming them.
        status, answer = request(srv.url + "/llamax/translate", {
            "text": "Good morning.", "source": "en", "target": "fr", "beams": 3})
        assert status == 400 and "slots" in answer["error"], answer
    finally:
        code, err = srv.stop()
        assert code in (0, 143) and "Traceback" not in err, err
