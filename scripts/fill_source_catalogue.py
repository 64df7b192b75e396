"""French is the source language: its catalogue's translation of each message is the message.

Run by ``make extract`` so that ``translations/fr`` has no untranslated entry.
"""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po


def main(path: str) -> None:
    with open(path, "rb") as handle:
        catalog = read_po(handle, locale="fr")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            message.string = tuple(message.id)
        else:
            message.string = message.id
        message.flags.discard("fuzzy")
    with open(path, "wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, omit_header=False)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "translations/fr/LC_MESSAGES/messages.po")
