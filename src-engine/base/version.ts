/** The engine's version, reported in `engine.hello`; kept equal to package.json's (a unit test checks). */
export const ENGINE_VERSION = '0.1.0';
