// CSV records as RFC 4180 has them: fields separated by ',', a field in double quotes may hold
// commas, newlines and doubled quotes (""). Pure and strict: a quote inside an unquoted field, or
// anything but a separator after a closing quote, is an error (thrown as CsvSyntaxError).
import { WeirError } from '../../errors/index.js';

export class CsvSyntaxError extends WeirError {
  override name = 'CsvSyntaxError';

  constructor(message: string) {
    super('MALFORMED_INPUT', message, { domain: 'external', retryable: false });
  }
}

/** Whether `text` (one or more lines joined by '\n') ends outside a quoted field: the record is complete. */
export function csvRecordComplete(text: string): boolean {
  let quotes = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) quotes++;
  return quotes % 2 === 0;
}

/** The fields of one complete record. */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 0x22) {
      let value = '';
      let at = i + 1;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote < 0) throw new CsvSyntaxError(`a quoted field opened at character ${i + 1} is never closed`);
        value += text.slice(at, quote);
        if (text.charCodeAt(quote + 1) === 0x22) {
          value += '"';
          at = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text.charCodeAt(i) !== 0x2c) throw new CsvSyntaxError(`character ${i + 1} follows a closing quote: expected ',' or the end of the record`);
      i++;
      continue;
    }
    const comma = text.indexOf(',', i);
    const end = comma < 0 ? text.length : comma;
    const value = text.slice(i, end);
    if (value.includes('"')) throw new CsvSyntaxError(`a quote inside the unquoted field at character ${i + 1}: quote the field and double its quotes`);
    fields.push(value);
    if (comma < 0) return fields;
    i = comma + 1;
  }
}
