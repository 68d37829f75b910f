import type * as vscodeTypes from 'vscode';

/** The editor API, injected so every class here can run against a fake in fast tests. */
export type VSCode = typeof vscodeTypes;
export type { vscodeTypes };
