"""scikit-learn's baselines on the rows Netwright trained and tested on, beside the network and
Netwright's own baselines (#83 must-show).

    /usr/bin/python3 bench/honest-numbers/compare.py OUT

OUT holds prepare.py's data, the runs' --json records (wine.jsonl, diabetes.jsonl, co2.jsonl,
man.jsonl, wine-folds.jsonl) and split-indices.ts's man-split.json and wine-folds.json. Each split
is checked against the run's start record (counts, per class) before anything is fitted.
"""
import csv
import json
import sys
from collections import Counter

import numpy as np
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, mean_squared_error, r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

OUT = sys.argv[1]


def records(name):
    rs = [json.loads(l) for l in open(f'{OUT}/{name}.jsonl')]
    return [r for r in rs if r['type'] == 'start'], [r for r in rs if r['type'] in ('done', 'fold')]


def rows(path):
    return list(csv.DictReader(open(path)))


def check(split, labels, counts):
    assert len(labels) == counts['count'], (split, len(labels), counts)
    if 'perClass' in counts:
        got = Counter(labels)
        assert all(got[k] == v for k, v in counts['perClass'].items()), (split, got, counts)


def classify(Xtr, ytr, Xte, yte):
    out = {}
    for name, model in (('majority', DummyClassifier(strategy='most_frequent')), ('logistic', make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)))):
        p = model.fit(Xtr, ytr).predict(Xte)
        out[name] = {'accuracy': accuracy_score(yte, p), 'f1': f1_score(yte, p, average='macro', zero_division=0), 'balanced': balanced_accuracy_score(yte, p)}
    return out


def regress(Xtr, ytr, Xte, yte, extra=()):
    out = {}
    for name, model in (('mean', DummyRegressor()), ('ridge', make_pipeline(StandardScaler(), Ridge(alpha=1.0)))):
        p = model.fit(Xtr, ytr).predict(Xte)
        out[name] = {'mse': mean_squared_error(yte, p), 'r2': r2_score(yte, p)}
    for name, p in extra:
        out[name] = {'mse': mean_squared_error(yte, p), 'r2': r2_score(yte, p)}
    return out


def table(name, target, classes):
    parts = {s: rows(f'{OUT}/data/{name}/{s}.csv') for s in ('train', 'val', 'test')}
    starts, ends = records(name)
    for s, key in (('train', 'train'), ('val', 'val'), ('test', 'test')):
        check(s, [r[target] for r in parts[s]], starts[0]['splits'][key])
    cols = [c for c in parts['train'][0] if c != target]
    X = {s: np.array([[float(r[c]) for c in cols] for r in parts[s]]) for s in parts}
    y = {s: [r[target] for r in parts[s]] if classes else np.array([float(r[target]) for r in parts[s]]) for s in parts}
    sk = (classify if classes else regress)(X['train'], y['train'], X['test'], y['test'])
    return ends[-1], sk


def series():
    v = np.array([float(r['ppm']) for r in rows(f'{OUT}/data/co2/co2_monthly.csv')])
    w = 24
    X = np.stack([v[i:i + w] for i in range(len(v) - w)])
    y = v[w:]
    n = len(y)
    # chronologicalSplit(n, 24, { test: 0.2, valOfRest: 0.1 }) (core/data/split.ts).
    n_test = round(0.2 * n)
    n_val = round(0.1 * (n - n_test))
    test_from = n - n_test
    val_to = test_from - w
    val_from = val_to - n_val
    train_to = val_from - w
    starts, ends = records('co2')
    for s, (a, b) in (('train', (0, train_to)), ('val', (val_from, val_to)), ('test', (test_from, n))):
        check(s, list(range(a, b)), starts[0]['splits'][s])
    tr, te = slice(0, train_to), slice(test_from, n)
    sk = regress(X[tr], y[tr], X[te], y[te], extra=(('last-value', X[te][:, -1]), ('seasonal-naive (12)', X[te][:, w - 12])))
    return ends[-1], sk


def series_folds():
    """--folds 5 on the series: the test windows of each fold are scikit-learn's TimeSeriesSplit(5, gap=24)'s,
    the training windows its prefix less the validation share and its gap (chronologicalSplit), as the start records say."""
    from sklearn.model_selection import TimeSeriesSplit
    v = np.array([float(r['ppm']) for r in rows(f'{OUT}/data/co2/co2_monthly.csv')])
    w = 24
    X = np.stack([v[i:i + w] for i in range(len(v) - w)])
    y = v[w:]
    starts, ends = records('co2-folds')
    folds = [e for e in ends if e['type'] == 'fold']
    net, per, ours = [], {'mean': [], 'last-value': [], 'linear-lags': []}, {'mean': [], 'last-value': [], 'linear-lags': []}
    for (prefix, test), start, fold in zip(TimeSeriesSplit(n_splits=5, gap=w).split(X), starts, folds):
        n_val = round(0.1 * len(prefix))
        train_to = len(prefix) - n_val - w
        check('train', list(range(train_to)), start['splits']['train'])
        check('val', list(range(len(prefix) - n_val, len(prefix))), start['splits']['val'])
        check('test', list(test), start['splits']['test'])
        tr = slice(0, train_to)
        sk = regress(X[tr], y[tr], X[test], y[test], extra=(('last-value', X[test][:, -1]),))
        per['mean'].append(sk['mean']['mse'])
        per['last-value'].append(sk['last-value']['mse'])
        per['linear-lags'].append(sk['ridge']['mse'])
        for k in ours:
            ours[k].append(fold['baselines'][k]['mse'])
        net.append(fold['test']['mse'])
    return net, per, ours


def texts():
    rs = rows(f'{OUT}/data/man/all.csv')
    idx = json.load(open(f'{OUT}/man-split.json'))
    starts, ends = records('man')
    for s in ('train', 'val', 'test'):
        check(s, [rs[i]['label'] for i in idx[s]], starts[0]['splits'][s])
    vec = CountVectorizer(lowercase=True, token_pattern=r"[a-z0-9']+")
    Xtr = vec.fit_transform([rs[i]['text'] for i in idx['train']])
    Xte = vec.transform([rs[i]['text'] for i in idx['test']])
    ytr = [rs[i]['label'] for i in idx['train']]
    yte = [rs[i]['label'] for i in idx['test']]
    out = {}
    models = (
        ('majority', DummyClassifier(strategy='most_frequent')),
        ('logistic (word counts)', LogisticRegression(max_iter=5000)),
        # What Netwright's bag-of-words baseline says it is: LogisticRegression(C=1) on StandardScaler'd counts.
        ('logistic (standardised counts)', make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))),
    )
    for name, model in models:
        p = model.fit(Xtr.toarray(), ytr).predict(Xte.toarray())
        out[name] = {'accuracy': accuracy_score(yte, p), 'f1': f1_score(yte, p, average='macro', zero_division=0), 'balanced': balanced_accuracy_score(yte, p)}
    return ends[-1], out


def folds():
    rs = rows(f'{OUT}/data/wine/all.csv')
    idx = json.load(open(f'{OUT}/wine-folds.json'))['folds']
    starts, ends = records('wine-folds')
    cols = [c for c in rs[0] if c != 'cultivar']
    X = np.array([[float(r[c]) for c in cols] for r in rs])
    y = [r['cultivar'] for r in rs]
    per = {'majority': [], 'logistic': []}
    for f, start in zip(idx, starts):
        for s in ('train', 'val', 'test'):
            check(s, [y[i] for i in f[s]], start['splits'][s])
        sk = classify(X[f['train']], [y[i] for i in f['train']], X[f['test']], [y[i] for i in f['test']])
        for k in per:
            per[k].append(sk[k]['accuracy'])
    net = [e['test']['accuracy'] for e in ends if e['type'] == 'fold']
    # Netwright's own baselines of each fold (fitted on the fold's training split), where the run recorded them.
    ours = {k: [e['baselines'][k]['accuracy'] for e in ends if e['type'] == 'fold' and k in e.get('baselines', {})] for k in per}
    return net, per, ours


def ms(v):
    return f'{np.mean(v):.3f} ± {np.std(v, ddof=1):.3f}'


if __name__ == '__main__':
    result = {}
    for name, target, classes in (('wine', 'cultivar', True), ('diabetes', 'progression', False)):
        result[name] = table(name, target, classes)
    result['co2'] = series()
    result['man'] = texts()
    for name, (done, sk) in result.items():
        t = done['test']
        net = {k: t[k] for k in ('accuracy', 'f1', 'balanced-accuracy', 'ece', 'mse', 'rmse', 'mae', 'r2') if k in t}
        print(json.dumps({'dataset': name, 'network': net, 'netwright_baselines': done.get('baselines'), 'sklearn': sk, 'verdict': done.get('verdict')}))
    net, per, ours = series_folds()
    print(json.dumps({'dataset': 'co2 --folds 5 (in time order)', 'network': ms(net), 'values': net, 'netwright_baselines': {k: ms(v) for k, v in ours.items()}, 'netwright_baseline_values': ours, 'sklearn': {k: ms(v) for k, v in per.items()}, 'sklearn_values': per}))
    net, per, ours = folds()
    print(json.dumps({'dataset': 'wine --folds 5', 'network': ms(net), 'values': net, 'netwright_baselines': {k: ms(v) for k, v in ours.items() if len(v) > 1}, 'netwright_baseline_values': ours, 'sklearn': {k: ms(v) for k, v in per.items()}, 'sklearn_values': per}))
