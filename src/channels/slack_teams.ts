import fs from 'node:fs';
import path from 'node:path';

export interface SlackInstallation {
  teamId: string;
  teamName?: string;
  botToken: string;
  botUserId: string;
  installedAt: string;
}

/**
 * Workspaces that installed the app (multi-team mode): the bot token and bot user of each team, in
 * one JSON file readable only by the service, rewritten atomically on every install.
 */
export class SlackTeams {
  private teams: Record<string, SlackInstallation>;

  constructor(private readonly file: string) {
    this.teams = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, SlackInstallation>) : {};
  }

  get(teamId: string): SlackInstallation | undefined {
    return Object.hasOwn(this.teams, teamId) ? this.teams[teamId] : undefined;
  }

  save(install: SlackInstallation): void {
    this.teams = { ...this.teams, [install.teamId]: install };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.teams, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }
}
