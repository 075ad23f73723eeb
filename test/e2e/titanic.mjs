/**
 * A Titanic-like table (issue #44 item 4), deterministic: numbers, text categories (Sex, Embarked),
 * missing ages and ports, a `Survived` column that is not the last. Its last column (Embarked) has
 * 3 values, Survived 2; read with a fill policy it encodes to 9 values per sample (Pclass,
 * Sex=female, Sex=male, Age, SibSp, Fare, Embarked=C/Q/S), so the Iris MLP ([4] in, 3 out) fits it
 * only once its Input and head change. Survival follows sex and class, so a network learns it.
 *
 * @param {number} rows
 * @returns {string}
 */
export function titanicLikeCsv(rows = 100) {
  const lines = ['Pclass,Sex,Age,SibSp,Fare,Survived,Embarked'];
  for (let i = 0; i < rows; i++) {
    const pclass = 1 + (i % 3);
    const female = i % 2 === 0;
    const age = i % 7 === 3 ? '' : String(18 + ((i * 13) % 50));
    const port = i % 11 === 5 ? '' : ['S', 'C', 'Q', 'S'][i % 4];
    const survived = female ? (pclass < 3 || i % 4 === 0 ? 1 : 0) : pclass === 1 && i % 3 === 0 ? 1 : 0;
    lines.push(`${pclass},${female ? 'female' : 'male'},${age},${i % 3},${(8 + ((i * 7) % 60) + (3 - pclass) * 20).toFixed(2)},${survived},${port}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A table of house prices, deterministic: size, age and a price from them (3·size − 2·age + noise
 * under 0.1), a regression a hidden layer fits in a few epochs (R² near 1). With no column named
 * like a target, price (the last) is the target; the Iris MLP fits it only once its loss, target,
 * head and metrics are a regression's.
 *
 * @param {number} rows
 * @returns {string}
 */
export function pricesCsv(rows = 200) {
  let seed = 11;
  const r01 = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const lines = ['size,age,price'];
  for (let i = 0; i < rows; i++) {
    const size = 1 + 4 * r01();
    const age = 3 * r01();
    lines.push(`${size.toFixed(3)},${age.toFixed(3)},${(3 * size - 2 * age + 0.1 * r01()).toFixed(4)}`);
  }
  return lines.join('\n') + '\n';
}
