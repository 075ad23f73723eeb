/** A Titanic-like table, `rows` data rows (see titanic.mjs). */
export function titanicLikeCsv(rows?: number): string;
