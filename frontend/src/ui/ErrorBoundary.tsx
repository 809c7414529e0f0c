/**
 * The editor never goes white: a component that throws is replaced by what happened,
 * with "Reload" (the draft kept in this browser comes back) and "Discard draft" (start
 * empty, for a draft that itself makes the editor throw). Saved graphs are untouched.
 */
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { DRAFT_KEY } from '../editor/store/draft';

interface State {
  error: Error | null;
  where: string;
}

export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: null, where: '' };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  componentDidCatch(_error: unknown, info: ErrorInfo) {
    this.setState({ where: info.componentStack ?? '' });
  }

  render() {
    const { error, where } = this.state;
    if (!error) return this.props.children;
    return (
      <main className="crash" role="alert" data-testid="crash">
        <h1>The editor hit an error</h1>
        <p className="crash-message" data-testid="crash-message">
          {error.name}: {error.message}
        </p>
        <p>
          Your graph is kept in this browser as a draft: <b>Reload</b> opens it again. If the draft itself makes the
          editor fail, <b>Discard draft</b> starts with an empty model (graphs saved on the server are not touched).
        </p>
        <div className="button-row">
          <button onClick={() => window.location.reload()} data-testid="crash-reload">
            Reload
          </button>
          <button
            className="danger"
            data-testid="crash-discard"
            onClick={() => {
              localStorage.removeItem(DRAFT_KEY);
              window.location.reload();
            }}
          >
            Discard draft
          </button>
        </div>
        <details>
          <summary>Details for a bug report</summary>
          <pre>{`${error.stack ?? error.message}\n\nIn:${where}`}</pre>
        </details>
      </main>
    );
  }
}
