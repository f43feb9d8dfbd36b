// The wire format shared by value-encoder.ts and value-decoder.ts: one tag byte per value.
export const T_UNDEFINED = 0x00, T_NULL = 0x01, T_FALSE = 0x02, T_TRUE = 0x03;
export const T_INT8 = 0x04, T_INT16 = 0x05, T_INT32 = 0x06, T_FLOAT64 = 0x07;
export const T_BIGINT64 = 0x08, T_BIGINT = 0x09; // BIGINT: sign byte, u32 length, big-endian magnitude
export const T_STR8 = 0x0a, T_STR32 = 0x0b, T_STR16 = 0x0c; // STR16: u32 count of raw UTF-16 code units
export const T_ARRAY = 0x0d, T_OBJECT = 0x0e, T_MAP = 0x0f, T_SET = 0x10;
export const T_DATE = 0x11, T_BYTES = 0x12, T_ARRAY_BUFFER = 0x13;
export const T_FIXARRAY = 0x20, T_FIXOBJECT = 0x30; // + count 0..15
export const T_FIXSTR = 0x40; // + UTF-8 byte length 0..63
export const T_FIXINT = 0x80; // + value 0..127


/** Deeper nesting is refused: encoder and decoder recurse, and a stack overflow would say nothing useful. */
export const MAX_VALUE_DEPTH = 1000;
