/**
 * Upload a data set: a .npz (arrays named after the Input/Output nodes, or x and y) goes
 * up at once; a .csv first shows its columns so the person picks the target column
 * (the server needs it; the other columns become the features).
 */
import { useRef, useState } from 'react';
import { csvColumns } from './csv';
import { uploadDataset } from './store';

export function DatasetUpload() {
  const fileRef = useRef<HTMLInputElement>(null);
  const [csv, setCsv] = useState<{ file: File; columns: string[]; target: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const send = async (file: File, target?: string) => {
    setBusy(true);
    try {
      if (await uploadDataset(file, target)) setCsv(null);
    } finally {
      setBusy(false);
    }
  };

  const chosen = async (file: File) => {
    if (!file.name.toLowerCase().endsWith('.csv')) return void send(file);
    const columns = csvColumns(await file.slice(0, 64 * 1024).text());
    setCsv({ file, columns, target: columns[columns.length - 1] ?? '' });
  };

  return (
    <>
      <button
        className="small"
        title="Upload a .npz or .csv data set"
        onClick={() => fileRef.current?.click()}
        disabled={busy}
      >
        Upload…
      </button>
      <input
        ref={fileRef}
        type="file"
        accept=".npz,.csv"
        hidden
        data-testid="dataset-upload"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void chosen(f);
          e.target.value = '';
        }}
      />
      {csv && (
        <div className="tr-upload" data-testid="csv-upload">
          <span className="small">
            <b>{csv.file.name}</b>: target column
          </span>
          <select
            value={csv.target}
            onChange={(e) => setCsv({ ...csv, target: e.target.value })}
            data-testid="csv-target"
          >
            {csv.columns.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
          <button
            className="small"
            disabled={busy || !csv.target}
            onClick={() => void send(csv.file, csv.target)}
            data-testid="csv-upload-go"
          >
            Upload
          </button>
          <button className="small ghost" onClick={() => setCsv(null)}>
            Cancel
          </button>
        </div>
      )}
    </>
  );
}
