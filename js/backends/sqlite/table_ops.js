// How TableLog.decode (table_log.js) describes the operations of a log run
// to a row store: a Uint32Array of OP_WORDS words per operation,
//   kind | flags, key offset, key length, value offset, value length
// with offsets into the run's bytes (wasm/table_log_bindings.cc). Its own
// module so that a row store in a worker needs nothing else of the library.

export const OP_PUT = 1;
export const OP_DELETE = 2;
export const OP_CLEAR = 3;
/** The kind is the low byte of the first word. */
export const OP_KIND = 0xff;
/** The key is valid UTF-8. */
export const KEY_IS_TEXT = 0x100;
/** The value is text: valid UTF-8 not starting with the byte-string tag 0x01. */
export const VALUE_IS_TEXT = 0x200;
export const OP_WORDS = 5;
