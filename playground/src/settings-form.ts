// One input per `// @setting` of the code (settings.ts); a change rewrites the code.
import { applySettings, readSettings, type Setting } from './settings.js';

export class SettingsForm {
  private shown = '';
  private code = '';

  constructor(private readonly root: HTMLElement, private readonly onChange: (code: string, name: string) => void) {}

  update(code: string): void {
    this.code = code;
    const settings = readSettings(code);
    const key = settings.map((s) => `${s.name}=${s.value}`).join('&');
    if (key === this.shown) return;
    this.shown = key;
    this.root.replaceChildren(...settings.map((s) => this.field(s)));
  }

  private field(s: Setting): HTMLLabelElement {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.name = s.name;
    input.id = `setting-${s.name}`;
    input.type = typeof s.value === 'number' ? 'number' : 'text';
    input.value = String(s.value);
    input.addEventListener('change', () => {
      const value = typeof s.value === 'number' ? Number(input.value) : input.value;
      if (typeof value === 'number' && !Number.isFinite(value)) return;
      const next = applySettings(this.code, { [s.name]: value });
      this.update(next);
      this.onChange(next, s.name);
    });
    label.append(`${s.label} `, input);
    return label;
  }
}
