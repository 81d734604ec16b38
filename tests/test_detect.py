import pytest

from llamax_cli.detect import detect


@pytest.mark.parametrize("text, code", [
    ("Bonjour tout le monde, comment allez-vous aujourd'hui ?", "fr"),
    ("Das Wetter ist heute schön und wir gehen spazieren.", "de"),
    ("这是一个测试句子，我们看看它如何工作。", "zh"),
    ("這是一個測試句子，我們看看它如何工作。", "zh-Hant"),
    ("שלום לכולם, מה שלומכם היום בבוקר?", "he"),
])
def test_detects_whole_sentences_confidently(text, code):
    found = detect(text)
    assert found.language.code == code
    assert found.reliable


@pytest.mark.parametrize("text", ["Hello", "ok", "12345 678", "\x00\x01"])
def test_short_or_letterless_input_is_not_reliable(text):
    assert not detect(text).reliable
