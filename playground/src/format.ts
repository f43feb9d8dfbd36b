// Number, size and time formats shared by the views.
export const fmt = (n: number | null | undefined): string => (n === null || n === undefined ? '–' : n.toLocaleString('en-US'));
export const bytes = (n: number): string => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(2)} MiB`);
export const clock = (t: number): string => new Date(t).toISOString().slice(11, 23);
export const ms = (n: number | null | undefined): string => (n === null || n === undefined ? '…' : `${Math.round(n)} ms`);

export function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

export function rows(tbody: HTMLElement, data: (HTMLTableCellElement[] | HTMLTableRowElement)[]): void {
  tbody.replaceChildren(...data.map((cells) => {
    if (cells instanceof HTMLTableRowElement) return cells;
    const tr = document.createElement('tr');
    tr.append(...cells);
    return tr;
  }));
}
