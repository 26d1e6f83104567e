// Asks for the API key when the gateway answers 401. One dialog serves every request that
// was refused; the key is then kept in sessionStorage for the tab.

import { useEffect, useRef, useState } from 'preact/hooks';
import { setKeyRequester } from '../auth.js';

interface Pending {
  reason: 'missing' | 'refused';
  resolve: (key: string) => void;
}

export function KeyDialog() {
  const [pending, setPending] = useState<Pending | null>(null);
  const [value, setValue] = useState('');
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    setKeyRequester((reason) => new Promise<string>((resolve) => setPending({ reason, resolve })));
  }, []);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (pending && !dialog.open) dialog.showModal();
    if (!pending && dialog.open) dialog.close();
  }, [pending]);

  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="key-title"
      // Without a key nothing can load, so Escape does not dismiss the question.
      onCancel={(event) => event.preventDefault()}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const key = value.trim();
          if (!key || !pending) return;
          pending.resolve(key);
          setPending(null);
          setValue('');
        }}
      >
        <h2 id="key-title">This gateway needs a key</h2>
        <p class="dialog-body" id="key-help">
          {pending?.reason === 'refused'
            ? 'The gateway refused that key. Enter a key from SLUICE_API_KEYS.'
            : 'This gateway requires an API key. It is kept for this browser tab only.'}
        </p>
        <label class="field">
          <span>API key</span>
          <input
            type="password"
            name="api-key"
            autocomplete="off"
            required
            aria-describedby="key-help"
            value={value}
            onInput={(event) => setValue(event.currentTarget.value)}
            autofocus
          />
        </label>
        <div class="dialog-actions">
          <button type="submit" class="button button-primary">
            Use key
          </button>
        </div>
      </form>
    </dialog>
  );
}
