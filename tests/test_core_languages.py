import pytest

from llamax_cli.core import languages
from llamax_cli.core.errors import UsageError

ALL = languages.all_languages()


def test_there_are_102_languages_with_unique_codes():
    assert len(ALL) == 102
    assert len({lang.code for lang in ALL}) == 102


@pytest.mark.parametrize("lang", ALL, ids=lambda lang: lang.code)
def test_every_language_resolves_from_each_of_its_spellings(lang):
    spellings = {lang.code, lang.name, lang.name.upper(), lang.name.lower(), lang.flores200,
                 lang.bcp47}
    if lang.code not in ("zh-Hant",):  # the two Chinese rows share their ISO codes
        spellings |= {lang.iso639_3, lang.flores101} | ({lang.iso639_1} if lang.iso639_1 else set())
    for spelling in spellings:
        assert languages.resolve(spelling) == lang, spelling


@pytest.mark.parametrize("spelling, code", [
    ("zh-Hans", "zh"), ("zh-CN", "zh"), ("Simplified Chinese", "zh"), ("zho", "zh"),
    ("zh-Hant", "zh-Hant"), ("zh-TW", "zh-Hant"), ("traditional chinese", "zh-Hant"),
    ("fil", "tl"), ("tl", "tl"), ("nb", "no"), ("no", "no"), ("ckb", "ckb"), ("ku", "ckb"),
    ("Sorani", "ckb"), ("nso", "nso"), ("ns", "nso"), ("pt-BR", "pt"), ("Portuguese", "pt"),
    ("Deutsch", "de"), ("de-AT", "de"), ("español", "es"), ("swh_Latn", "sw"), ("ZH_tw", "zh-Hant"),
])
def test_quirks_and_common_alternatives(spelling, code):
    assert languages.resolve(spelling).code == code


def test_typo_suggests_the_closest_names():
    with pytest.raises(UsageError, match="did you mean German"):
        languages.resolve("Germn")


@pytest.mark.parametrize("spelling", ["Basque", "eu", "Klingon", "tlh"])
def test_real_languages_outside_llamax_are_named(spelling):
    with pytest.raises(UsageError, match="is not one of the 102 languages LLaMAX supports"):
        languages.resolve(spelling)


@pytest.mark.parametrize("spelling", ["xx", "", "123"])
def test_nonsense_is_a_usage_error(spelling):
    with pytest.raises(UsageError, match="unknown"):
        languages.resolve(spelling)
