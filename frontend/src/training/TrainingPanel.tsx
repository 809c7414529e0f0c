/**
 * The training dashboard in the editor's dock: settings and Start on the left, the shown
 * run (progress, live charts) in the middle, the run history on the right. The state and
 * the streams live in ./store, so they outlive this component (dock tab switches).
 */
import { useEffect } from 'react';
import { RunHistory } from './RunHistory';
import { RunView } from './RunView';
import { SettingsPane } from './SettingsPane';
import { initTraining } from './store';
import './training.css';

export default function TrainingPanel() {
  useEffect(() => initTraining(), []);
  return (
    <div className="training-panel tr-panel" data-testid="training-panel">
      <SettingsPane />
      <RunView />
      <RunHistory />
    </div>
  );
}
