"""The message catalogue: every label a report shows comes from reports/i18n/<lang>.yaml,
so an English edition is one more file, not a code change."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from orchestration.settings import REPORTS_DIR

I18N_DIR = REPORTS_DIR / "i18n"


def languages() -> tuple[str, ...]:
    """The editions there is a catalogue for (zh, en)."""
    return tuple(sorted(p.stem for p in I18N_DIR.glob("*.yaml")))


@lru_cache(maxsize=4)
def load_catalogue(lang: str = "zh", folder: str | None = None) -> dict[str, str]:
    path = Path(folder or I18N_DIR) / f"{lang}.yaml"
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return {str(k): str(v) for k, v in data.items()}


class Translator:
    """``t("key", n=3)`` → the catalogue text formatted with the keyword values; with
    ``n=1``, the text of ``key.one`` when the catalogue has it (English's singular)."""

    def __init__(self, lang: str = "zh"):
        self.lang = lang
        self.messages = load_catalogue(lang)

    def __call__(self, key: str, **values) -> str:
        text = self.messages.get(key)
        if text is None:
            return key
        if values.get("n") == 1:  # "teaches 1 class": a catalogue's `<key>.one`, where it has one
            text = self.messages.get(f"{key}.one", text)
        return text.format(**values) if values else text
