/** Every command of the extension: ids in one namespace, implementations over the widgets. */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { copyIcon, refreshIcon } from '@jupyterlab/ui-components';

import { DiffView } from './diffview';
import { LineageView } from './lineageview';
import { DataVCPanel } from './panel';

export namespace CommandIDs {
  export const open = 'datavc:open';
  export const refresh = 'datavc:refresh';
  export const openDiff = 'datavc:open-diff';
  export const openLineage = 'datavc:open-lineage';
  export const insertSnippet = 'datavc:insert-snippet';
  export const copyRef = 'datavc:copy-ref';
}

const LOAD_EXT = '%load_ext jupyter_datavc';

/** The line a notebook needs to bring `ref` back: a checkout, or a load into `df`. */
export function snippet(ref: string, mode: 'checkout' | 'load'): string {
  return mode === 'load' ? `df = %dv load ${ref}` : `%dv checkout ${ref}`;
}

export function registerCommands(
  app: JupyterFrontEnd,
  panel: DataVCPanel,
  tracker: INotebookTracker | null
): void {
  const { commands, shell } = app;

  commands.addCommand(CommandIDs.open, {
    label: 'Show Datasets (datavc)',
    execute: () => shell.activateById(panel.id)
  });

  commands.addCommand(CommandIDs.refresh, {
    label: 'Refresh Datasets',
    icon: refreshIcon,
    execute: () => panel.refresh()
  });

  commands.addCommand(CommandIDs.openDiff, {
    label: args => (args.b ? `Diff ${args.a} → ${args.b}` : `Diff ${args.a} → workspace`),
    execute: args => {
      const a = String(args.a);
      const b = args.b ? String(args.b) : null;
      const content = new DiffView(a, b);
      const widget = new MainAreaWidget({ content });
      widget.id = `datavc-diff-${Date.now()}`;
      widget.title.label = `Δ ${a} → ${b ?? 'workspace'}`;
      widget.title.closable = true;
      shell.add(widget, 'main');
      shell.activateById(widget.id);
    }
  });

  commands.addCommand(CommandIDs.openLineage, {
    label: args => `Lineage of ${args.rev}`,
    execute: args => {
      const content = new LineageView(String(args.rev));
      const widget = new MainAreaWidget({ content });
      widget.id = `datavc-lineage-${Date.now()}`;
      widget.title.label = `Lineage ${args.rev}`;
      widget.title.closable = true;
      content.revChanged.connect((_, rev) => (widget.title.label = `Lineage ${rev}`));
      shell.add(widget, 'main');
      shell.activateById(widget.id);
    }
  });

  commands.addCommand(CommandIDs.insertSnippet, {
    label: args =>
      args.mode === 'load' ? `Insert load of ${args.ref}` : `Insert checkout of ${args.ref}`,
    execute: args => {
      const ref = String(args.ref);
      const line = snippet(ref, args.mode === 'load' ? 'load' : 'checkout');
      const notebook = tracker?.currentWidget;
      const cell = notebook?.content.activeCell;
      if (!notebook || !cell) {
        Notification.warning(`Open a notebook and select a cell to insert "${line}".`, {
          autoClose: 5000
        });
        return;
      }
      const cells = notebook.content.model?.cells;
      let loaded = false;
      for (let i = 0; cells && i < cells.length; i++) {
        loaded = loaded || cells.get(i).sharedModel.getSource().includes(LOAD_EXT);
      }
      const text = loaded ? line : `${LOAD_EXT}\n${line}`;
      const source = cell.model.sharedModel.getSource();
      cell.model.sharedModel.setSource(
        source.trim() ? `${source.replace(/\s+$/, '')}\n${text}` : text
      );
      shell.activateById(notebook.id);
    }
  });

  commands.addCommand(CommandIDs.copyRef, {
    label: args => `Copy ${args.ref}`,
    icon: copyIcon,
    execute: args => {
      Clipboard.copyToSystem(String(args.ref));
      Notification.success(`Copied ${args.ref}`, { autoClose: 2000 });
    }
  });
}
