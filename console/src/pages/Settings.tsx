/** The API URL and keys this browser uses. The secret key reads; the write key sends. */
import { useState } from 'react';
import type { Settings as SettingsValue } from '../config';
import { Field } from '../components/Common';

export function Settings({ settings, onSave }: { settings: SettingsValue; onSave: (next: SettingsValue) => void }) {
  const [draft, setDraft] = useState(settings);
  const [saved, setSaved] = useState(false);
  const edit = (name: keyof SettingsValue) => (e: React.ChangeEvent<HTMLInputElement>) => {
    setDraft({ ...draft, [name]: e.currentTarget.value.trim() });
    setSaved(false);
  };
  return (
    <section>
      <h1>Settings</h1>
      <p className="muted">
        Kept in this browser only (localStorage). Create keys with <code>npm run tidemark -- keys create</code>.
      </p>
      <form
        className="settings"
        onSubmit={(e) => {
          e.preventDefault();
          onSave(draft);
          setSaved(true);
        }}
      >
        <Field label="API URL (empty: the console's own origin)">
          <input
            name="apiUrl"
            value={draft.apiUrl}
            onChange={edit('apiUrl')}
            placeholder="https://abc123.execute-api.us-east-1.amazonaws.com/prod"
          />
        </Field>
        <Field label="secret key (reads: Explore, Events, Rejections, Devices)">
          <input name="secretKey" type="password" autoComplete="off" value={draft.secretKey} onChange={edit('secretKey')} />
        </Field>
        <Field label="write key (Send)">
          <input name="writeKey" type="password" autoComplete="off" value={draft.writeKey} onChange={edit('writeKey')} />
        </Field>
        <button type="submit" className="primary">
          Save
        </button>
        {saved && <span className="muted"> Saved.</span>}
      </form>
    </section>
  );
}
