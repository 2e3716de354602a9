#!/usr/bin/env python3
"""Fails unless every ```cpp block of a Markdown page appears in a source file (white space aside)."""
import re
import sys


def squash(text):
    return re.sub(r"\s+", "", text)


def main(page, source):
    doc = open(page, encoding="utf-8").read()
    code = squash(open(source, encoding="utf-8").read())
    blocks = re.findall(r"```cpp\n(.*?)```", doc, flags=re.S)
    if not blocks:
        print(f"{page}: no ```cpp blocks found")
        return 1
    missing = [b for b in blocks if squash(b) not in code]
    for b in missing:
        first = b.strip().splitlines()[0] if b.strip() else "(empty)"
        print(f"{page}: block starting '{first}' is not in {source}")
    print(f"docs snippets: {len(blocks) - len(missing)} passed, {len(missing)} failed")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
