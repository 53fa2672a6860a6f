import { readFile } from 'node:fs/promises';

/** One PromQL query of the dashboard: where it is and its text. */
export interface DashboardQuery {
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
}

/** Path of the shipped Grafana dashboard. */
export const DASHBOARD_URL = new URL('./grafana-dashboard.json', import.meta.url);

interface PanelJson {
  readonly title?: string;
  readonly type?: string;
  readonly targets?: ReadonlyArray<{ readonly refId?: string; readonly expr?: string }>;
  readonly panels?: readonly PanelJson[];
}

/** Every panel query of a dashboard document (rows' nested panels included). Pure. */
export function dashboardQueries(dashboard: unknown): readonly DashboardQuery[] {
  const panels = (dashboard as { panels?: readonly PanelJson[] }).panels ?? [];
  const queries: DashboardQuery[] = [];
  const visit = (panel: PanelJson) => {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr === 'string' && target.expr.trim() !== '') {
        queries.push({ panel: panel.title ?? '(untitled)', refId: target.refId ?? '?', expr: target.expr });
      }
    }
    for (const nested of panel.panels ?? []) visit(nested);
  };
  for (const panel of panels) visit(panel);
  return queries;
}

/** Values for Grafana's variables when a query is run outside Grafana. */
export interface VariableValues {
  /** Template variables by name; several values become a regex alternation `(a|b)`. */
  readonly variables: Readonly<Record<string, readonly string[]>>;
  readonly rateInterval: string;
  readonly range: string;
}

/** Replaces `$var`, `${var}`, `$__rate_interval`, `$__interval` and `$__range` as Grafana would. Pure. */
export function substituteVariables(expr: string, values: VariableValues): string {
  const format = (name: string): string => {
    switch (name) {
      case '__rate_interval':
      case '__interval':
        return values.rateInterval;
      case '__range':
        return values.range;
      default: {
        const given = values.variables[name];
        if (given === undefined) throw new Error(`dashboard variable $${name} has no value`);
        // Kubernetes names (DNS labels) need no regex escaping.
        return given.length === 1 ? (given[0] ?? '') : `(${given.join('|')})`;
      }
    }
  };
  return expr.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_match, braced: string | undefined, bare: string | undefined) => format(braced ?? bare ?? ''),
  );
}

/** Reads the shipped dashboard. */
export async function readDashboard(): Promise<unknown> {
  return JSON.parse(await readFile(DASHBOARD_URL, 'utf8')) as unknown;
}
