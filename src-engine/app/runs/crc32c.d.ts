// crc-32 ships typings for its CRC-32 entry only; its CRC-32C entry (a CommonJS module) has the same API.
declare module 'crc-32/crc32c.js' {
  const CRC32C: { buf(data: Uint8Array | number[], seed?: number): number };
  export default CRC32C;
}
