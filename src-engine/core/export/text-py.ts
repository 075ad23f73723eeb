/**
 * A text model's PyTorch project reads raw text (docs/export.md "Text models"): `tokenizer.json`
 * (the model's `Tokenizer`, core/data/tokenizer.ts), `encode_text` in model.py — a port of
 * `encodeText` — and `predict.py`, which prints the class of each text it is given.
 */

/**
 * model.py's tail for a model with a tokenizer. NOTE: Python's `(?:[^\W_]|')+` is the engine's
 * `[\p{L}\p{N}']+` (`str.isalnum()` is the Unicode letters and numbers), `str.lower()` is
 * JavaScript's `toLowerCase()` (both map a final capital sigma to ς), and iterating a str walks
 * code points as `Array.from` does.
 */
export const ENCODE_TEXT_PY = `

# ── Text: how a text becomes the input (tokenizer.json, the same tokens, vocabulary and padding) ──
import json as _json
import os as _os
import re as _re

TOKENIZER = _json.load(open(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), 'tokenizer.json'), encoding='utf-8'))
_WORD = _re.compile(r"(?:[^\\W_]|')+")
_IDS = {}


def tokenize(text, tokenizer=None):
    """The text's tokens: its characters (code points), or its lower-cased words (runs of letters, digits and apostrophes)."""
    t = tokenizer or TOKENIZER
    text = text.replace('\\r\\n', '\\n').replace('\\r', '\\n')
    if t['tokens'] == 'chars':
        return list(text)
    return _WORD.findall(text.lower() if t['lowercase'] else text)


def encode_ids(text, tokenizer=None):
    """One text as the model's input, as a list of float values (see encode_text)."""
    t = tokenizer or TOKENIZER
    key = id(t['vocabulary'])
    if key not in _IDS:
        _IDS[key] = (t['vocabulary'], {w: i for i, w in enumerate(t['vocabulary'])})
    ids = _IDS[key][1]
    row = [float(t['padId'])] * t['length'] if t['features'] == 'ids' else [0.0] * t['length']
    toks = tokenize(text, t)
    if t['features'] == 'counts':
        for w in toks:
            row[ids.get(w, t['unkId'])] += 1
    else:
        for i, w in enumerate(toks[:t['length']]):
            row[i] = float(ids.get(w, t['unkId']))
    return row


def encode_text(text, tokenizer=None):
    """One text as the model's input [length], exactly as Netwright encodes it: token ids cut or
    padded to the maximum length, or how often each vocabulary entry occurs (a bag of words);
    tokens the vocabulary lacks read as <unk>."""
    return torch.tensor(encode_ids(text, tokenizer), dtype=torch.float32)
`;

/** predict.py: the class of each text given (arguments, or lines on stdin), with `--json` for a machine. */
export const PREDICT_PY = `"""Predict with the trained model from raw text, as Netwright's Playground and \`netwright predict\` do.

    python predict.py "a text" "another text"     # one line per text: class, probability, text
    python predict.py --json < texts.txt           # one text a line; JSON out
"""
import argparse
import json
import os
import sys

import torch

from model import CLASS_NAMES, Net, encode_text, load_weights, normalize

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('texts', nargs='*', help='texts to classify (none: one a line on stdin)')
    parser.add_argument('--weights', default=os.path.join(HERE, 'weights.pt'))
    parser.add_argument('--json', action='store_true', help='print a JSON list: class, class index, probabilities')
    args = parser.parse_args()
    texts = args.texts or [line.rstrip('\\n') for line in sys.stdin]
    model = load_weights(Net(), args.weights).eval()
    with torch.no_grad():
        out = model(normalize(torch.stack([encode_text(t) for t in texts])))
    probs = out.softmax(1) if out.shape[1] > 1 else torch.cat([1 - out.sigmoid(), out.sigmoid()], 1)
    answers = []
    for text, p in zip(texts, probs.tolist()):
        k = max(range(len(p)), key=lambda i: p[i])
        answers.append({'text': text, 'predicted': k, 'class': CLASS_NAMES[k] if k < len(CLASS_NAMES) else str(k), 'probabilities': p})
    if args.json:
        print(json.dumps(answers))
    else:
        for a in answers:
            print(f"{a['class']}\\t{a['probabilities'][a['predicted']]:.4f}\\t{a['text']}")


if __name__ == '__main__':
    main()
`;
