/**
 * jupyter-datavc: a left-sidebar panel over the jupyter_datavc server extension's REST API.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { CommandIDs, registerCommands } from './commands';
import { DataVCPanel } from './panel';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-datavc:plugin',
  description: 'Datasets, versions, diffs, lineage and jobs of jupyter_datavc in a sidebar.',
  autoStart: true,
  optional: [INotebookTracker, ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ): void => {
    const panel = new DataVCPanel(app.commands);
    registerCommands(app, panel, tracker);
    app.shell.add(panel, 'left', { rank: 650 });
    restorer?.add(panel, panel.id);
    for (const command of [CommandIDs.open, CommandIDs.refresh]) {
      palette?.addItem({ command, category: 'Datasets' });
    }
  }
};

export default plugin;
