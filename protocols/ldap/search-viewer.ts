/** The bound identity as one search checks and uses it. */
import type { Viewer } from '../../src/services/directory.js';
import type { Identity, Session } from './session.js';

/**
 * The bound identity during one search. Until it is checked, every statement carries it as a
 * guard (its rows come back only while the identity holds) and nothing else is sent; an empty
 * result, a fixed entry or the end of the search checks it explicitly.
 */
export class ViewerCheck {
  private constructor(private readonly s: Session, private current: Identity, private checked: boolean) {}

  /** Checked now (one indexed lookup); null when anonymous or no longer able to act. */
  static async now(s: Session): Promise<ViewerCheck | null> {
    const me = await s.identity();
    return me ? new ViewerCheck(s, me, true) : null;
  }

  /** As last checked, known to hold still (the database is unchanged since: Session.verifiedAt). */
  static known(s: Session): ViewerCheck | null {
    const me = s.boundIdentity();
    return me ? new ViewerCheck(s, me, true) : null;
  }

  /** As last checked; the search checks it before sending anything. */
  static later(s: Session): ViewerCheck | null {
    const me = s.boundIdentity();
    return me ? new ViewerCheck(s, me, false) : null;
  }

  get identity(): Identity {
    return this.current;
  }

  get viewer(): Viewer {
    return { id: this.current.user.id, username: this.current.user.username, fullAccess: this.current.fullAccess };
  }

  get isChecked(): boolean {
    return this.checked;
  }

  /** A guarded statement returned rows: the identity held. */
  confirm(): void {
    this.checked = true;
  }

  /** Checks now unless already checked; false when the identity can no longer act. */
  async ensure(): Promise<boolean> {
    if (this.checked) return true;
    return this.check();
  }

  /** Checks now; false when the identity can no longer act. */
  async check(): Promise<boolean> {
    const me = await this.s.identity();
    this.checked = true;
    if (me) this.current = me;
    return me !== null;
  }
}

