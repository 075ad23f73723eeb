/** A Titanic-like table, `rows` data rows (see titanic.mjs). */
export function titanicLikeCsv(rows?: number): string;
/** A table of house prices (size, age, price), `rows` data rows (see titanic.mjs). */
export function pricesCsv(rows?: number): string;
