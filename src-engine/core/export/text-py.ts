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


def token_ids(text, tokenizer=None):
    """The text's token ids: each token's index in the vocabulary; one it lacks is <unk> (unkId), or left out where unkId is null (a language model)."""
    t = tokenizer or TOKENIZER
    key = id(t['vocabulary'])
    if key not in _IDS:
        _IDS[key] = (t['vocabulary'], {w: i for i, w in enumerate(t['vocabulary'])})
    ids = _IDS[key][1]
    unk = t['unkId']
    return [ids.get(w, unk) for w in tokenize(text, t) if w in ids or unk is not None]


def fill_context(ids, tokenizer=None):
    """A language model's context (features 'context'): the last length ids from the window's start,
    the positions after them padId. Returns (the row, how many positions hold ids)."""
    t = tokenizer or TOKENIZER
    window = ids[-t['length']:] if ids else []
    return [float(i) for i in window] + [float(t['padId'])] * (t['length'] - len(window)), len(window)


def encode_ids(text, tokenizer=None):
    """One text as the model's input, as a list of float values (see encode_text)."""
    t = tokenizer or TOKENIZER
    ids = token_ids(text, t)
    if t['features'] == 'context':
        return fill_context(ids, t)[0]
    if t['features'] == 'counts':
        row = [0.0] * t['length']
        for i in ids:
            row[i] += 1
        return row
    ids = ids[:t['length']]
    return [float(i) for i in ids] + [float(t['padId'])] * (t['length'] - len(ids))


def encode_text(text, tokenizer=None):
    """One text as the model's input [length], exactly as Netwright encodes it: token ids cut or
    padded to the maximum length, how often each vocabulary entry occurs (a bag of words), or a
    language model's context (its last length ids); tokens the vocabulary lacks read as <unk>
    (a language model leaves them out)."""
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

/**
 * generate.py: a language model's continuation of raw prompts, as the Playground's "Write" and
 * `netwright predict` (core/export/sample-text.ts `continueText`): the prompt read by tokenizer.json,
 * one token at a time from the scores at the window's last filled position, sampled at a
 * temperature with Netwright's generator (`Rng`: xoshiro128**, seeded by splitmix32), so the same
 * seed draws the same text; temperature 0 takes the likeliest, the first of a tie.
 */
export const GENERATE_PY = `"""Continue a text with the trained language model, as Netwright's Playground and \`netwright predict\` do.

    python generate.py "Q: What"                                   # 240 characters, the likeliest each time
    python generate.py --file prompt.txt --length 80 --temperature 0.8 --seed 3
    python generate.py --json "Q: " "A: "                          # JSON: each prompt as read, and its continuation

The prompt is read with tokenizer.json (model.py token_ids: CR LF as LF, a character outside the
vocabulary left out). One token at a time, the last tokens fill the model's window from its start
(the rest padId) and the scores at the last filled position, divided by the temperature, are
sampled with Netwright's generator: the seed and temperature the app was given write its text.
Temperature 0 takes the likeliest token each time (no draw).
"""
import argparse
import json
import math
import os

import torch

from model import TOKENIZER, Net, fill_context, load_weights, token_ids

HERE = os.path.dirname(os.path.abspath(__file__))
M32 = 0xFFFFFFFF


class NetwrightRng:
    """Netwright's seeded generator (xoshiro128**, seeded by splitmix32), as train.py's."""

    def __init__(self, seed):
        x = seed & M32
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            s.append((z ^ (z >> 16)) & M32)
        self.s = s

    def uniform(self):
        s0, s1, s2, s3 = self.s
        x = (s1 * 5) & M32
        result = ((((x << 7) | (x >> 25)) & M32) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        self.s = [s0 ^ s3, s1 ^ s2, s2 ^ t, ((s3 << 11) | (s3 >> 21)) & M32]
        return result / 4294967296


def argmax(scores):
    return max(range(len(scores)), key=scores.__getitem__)


def draw(scores, temperature, rng):
    """A draw from softmax(scores / temperature), summed in order as Netwright sums."""
    m = max(scores)
    p = [math.exp((s - m) / temperature) for s in scores]
    total = 0.0
    for q in p:
        total += q
    u = rng.uniform() * total
    for i, q in enumerate(p):
        u -= q
        if u <= 0:
            return i
    return len(p) - 1


def decode(ids):
    return ('' if TOKENIZER['tokens'] == 'chars' else ' ').join(TOKENIZER['vocabulary'][i] for i in ids)


@torch.no_grad()
def continue_text(model, prompt, length, temperature=0.0, seed=1):
    """(the prompt as the model read it, the length tokens it wrote after it)."""
    ids = token_ids(prompt)
    read = decode(ids)
    rng = NetwrightRng(seed)
    added = []
    for _ in range(length):
        row, filled = fill_context(ids)
        scores = model(torch.tensor([row], dtype=torch.float32))[0, max(filled, 1) - 1].tolist()
        token = argmax(scores) if temperature == 0 or filled == 0 else draw(scores, temperature, rng)
        ids.append(token)
        added.append(token)
    return read, decode(added)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('prompts', nargs='*', help='texts to continue')
    parser.add_argument('--file', action='append', default=[], help='a text file whose whole text is a prompt (UTF-8, as it is)')
    parser.add_argument('--length', type=int, default=240, help='tokens to write (default 240, as the Playground)')
    parser.add_argument('--temperature', type=float, default=0.0, help='0: the likeliest each time (default); 1: the model\\'s own distribution')
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--weights', default=os.path.join(HERE, 'weights.pt'))
    parser.add_argument('--json', action='store_true', help='print a JSON list: input, prompt (as read), continuation')
    args = parser.parse_args()
    if args.length < 1 or args.temperature < 0:
        parser.error('--length is at least 1 and --temperature at least 0')
    inputs = [(f, open(f, encoding='utf-8', newline='').read()) for f in args.file] + [(f'prompt {i + 1}', p) for i, p in enumerate(args.prompts)]
    if not inputs:
        parser.error('give a prompt, or --file PROMPT.txt')
    model = load_weights(Net(), args.weights).eval()
    answers = []
    for name, prompt in inputs:
        read, continuation = continue_text(model, prompt, args.length, args.temperature, args.seed)
        answers.append({'input': name, 'prompt': read, 'continuation': continuation})
    if args.json:
        print(json.dumps(answers))
    else:
        for a in answers:
            if len(answers) > 1:
                print(f"==> {a['input']} <==")
            print(a['continuation'])


if __name__ == '__main__':
    main()
`;
