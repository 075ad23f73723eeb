"""Data nobody on the project wrote, split once for Netwright and scikit-learn alike (#83 must-show).

    /usr/bin/python3 bench/honest-numbers/prepare.py OUT

Writes, under OUT: wine/{train,val,test,all}.csv (scikit-learn's load_wine, stratified 60/20/20),
diabetes/{train,val,test}.csv (load_diabetes, 60/20/20), co2/co2_monthly.csv (statsmodels' weekly
Mauna Loa CO2 as monthly means, the 8 missing months interpolated), man/{train,val,test}.csv
man/all.csv (whatis descriptions of Debian's man pages labelled by section 1, 2, 3, 5, 7, 8; at
most 500 a section, exact duplicate texts dropped). Netwright trains on a table's train.csv with
--val-data val.csv --test-data test.csv, so both sides see the same splits by construction; a text
table is split by Netwright itself, its rows given by split-indices.ts.
"""
import csv
import os
import re
import subprocess
import sys

import numpy as np
from sklearn.datasets import load_diabetes, load_wine
from sklearn.model_selection import train_test_split

SEED = 83


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def three_way(rows, labels, val, test, stratify):
    idx = np.arange(len(rows))
    rest, te = train_test_split(idx, test_size=test, random_state=SEED, stratify=labels if stratify else None)
    tr, va = train_test_split(rest, test_size=val / (1 - test), random_state=SEED, stratify=[labels[i] for i in rest] if stratify else None)
    return tr, va, te


def table(name, bunch, target, stratify):
    X, y = bunch.data, bunch.target
    header = [re.sub(r'[^A-Za-z0-9_]', '_', c) for c in bunch.feature_names] + [target]
    rows = [[f'{v:.10g}' for v in X[i]] + [bunch.target_names[y[i]] if stratify else f'{y[i]:.10g}'] for i in range(len(y))]
    tr, va, te = three_way(rows, list(y), 0.2, 0.2, stratify)
    for part, ids in (('train', tr), ('val', va), ('test', te)):
        write(f'{OUT}/{name}/{part}.csv', header, [rows[i] for i in ids])
    write(f'{OUT}/{name}/all.csv', header, rows)


def co2():
    import statsmodels.api as sm
    df = sm.datasets.co2.load_pandas().data
    monthly = df['co2'].resample('MS').mean()
    missing = int(monthly.isna().sum())
    monthly = monthly.interpolate()
    write(f'{OUT}/co2/co2_monthly.csv', ['date', 'ppm'], [[d.strftime('%Y-%m'), f'{v:.4f}'] for d, v in monthly.items()])
    return len(monthly), missing


def man():
    out = subprocess.run(['man', '-k', '.'], capture_output=True, text=True, check=True).stdout
    by = {}
    seen = set()
    for line in out.splitlines():
        m = re.match(r'^\S.*?\s\((\d)[^)]*\)\s+-\s+(.*)$', line)
        if not m or m.group(1) not in '123578':
            continue
        text = m.group(2).strip()
        if not text or text in seen:
            continue
        seen.add(text)
        by.setdefault('section ' + m.group(1), []).append(text)
    rng = np.random.default_rng(SEED)
    rows = []
    for label in sorted(by):
        texts = by[label]
        pick = rng.permutation(len(texts))[:500]
        rows += [[texts[i], label] for i in sorted(pick)]
    # A text table always holds out its own fixed test split (labelled-text.ts), so --val-data and
    # --test-data are refused for it: Netwright splits all.csv, and split-indices.ts gives its rows.
    write(f'{OUT}/man/all.csv', ['text', 'label'], rows)
    return {k: min(500, len(v)) for k, v in by.items()}


if __name__ == '__main__':
    OUT = sys.argv[1]
    table('wine', load_wine(), 'cultivar', True)
    table('diabetes', load_diabetes(), 'progression', False)
    print('co2 months, interpolated:', co2())
    print('man texts per section:', man())
