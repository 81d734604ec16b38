"""Write llamax_cli/data/han-variants.txt: the Han characters written only in Simplified
Chinese and those written only in Traditional Chinese, from OpenCC's character tables.

    python tools/make_han_variants.py [--out llamax_cli/data/han-variants.txt]

A character is Simplified-only when OpenCC's STCharacters.txt maps it to Traditional forms
that do not include itself (国 -> 國), and Traditional-only likewise from TSCharacters.txt
(國 -> 国); the few in both lists are dropped. OpenCC's tables come with opencc-purepy (the
`train` extra; Apache-2.0). detect.py reads the file (llamax_cli/han_variants.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _table(path: Path) -> dict[str, list[str]]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, values = line.split("\t", 1)
            out[key] = values.split()
    return out


def variants() -> tuple[str, str]:
    import opencc_purepy

    dicts = Path(opencc_purepy.__file__).parent / "dicts"
    st, ts = _table(dicts / "STCharacters.txt"), _table(dicts / "TSCharacters.txt")
    simplified = {k for k, v in st.items() if len(k) == 1 and k not in v}
    traditional = {k for k, v in ts.items() if len(k) == 1 and k not in v}
    both = simplified & traditional
    return "".join(sorted(simplified - both)), "".join(sorted(traditional - both))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1]
                        / "llamax_cli/data/han-variants.txt")
    args = parser.parse_args()
    simplified, traditional = variants()
    args.out.write_text(
        "# Han characters written only in Simplified / only in Traditional Chinese, from\n"
        "# OpenCC's STCharacters.txt and TSCharacters.txt (Apache-2.0) by\n"
        "# tools/make_han_variants.py. One line each: <script>\\t<characters>.\n"
        f"Hans\t{simplified}\nHant\t{traditional}\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(simplified)} Simplified-only, {len(traditional)} "
          "Traditional-only characters")


if __name__ == "__main__":
    main()
