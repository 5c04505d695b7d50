/** @jsxRuntime automatic */
/** @jsxImportSource react */
// (tsx outside the project folder finds no tsconfig; the pragmas pin the JSX transform either way.)
import { Box, Text } from 'ink';
import type { DashboardSnapshot } from '../main/progress/dashboard-feed.ts';
import { dashboardLines } from './dashboard-lines.ts';

export interface DashboardProps {
  readonly snapshot: DashboardSnapshot;
  /** Terminal columns; the layout fits 80 and uses more when there is more. */
  readonly width: number;
  /** Terminal rows; more rows show more recent errors. */
  readonly height: number;
}

/** The dashboard: a pure function of one snapshot, drawn as one text node. */
export function Dashboard({ snapshot, width, height }: DashboardProps) {
  return (
    <Box width={width}>
      <Text wrap="truncate-end">{dashboardLines(snapshot, width, height).join('\n')}</Text>
    </Box>
  );
}
