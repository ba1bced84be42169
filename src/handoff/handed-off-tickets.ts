/**
 * Which records of a ring have been handed off, by ticket (a record's place in its lane's write
 * order, its `seq` in a snapshot). Per lane: every ticket below `below` is handed off, plus the
 * tickets in `above`, which trace-scoped hand-offs took out of order.
 *
 * Bounded whatever runs: a ticket that has left the ring's window can never be captured again,
 * so `below` is raised to the window's start at each hand-off and `above` only ever holds tickets
 * within the window, at most the lane's capacity.
 */

/** One lane's state as a crash-file marker stores it (handoff-marker.ts). */
export interface LaneTickets {
  readonly below: number;
  readonly above: readonly number[];
}

/** The handed-off tickets of each lane of one ring (see the top of this file). */
export class HandedOffTickets {
  private readonly below: number[];
  private readonly above: Set<number>[];

  /** A state with nothing handed off, for a ring of `lanes` lanes. */
  constructor(lanes: number) {
    this.below = new Array<number>(lanes).fill(0);
    this.above = Array.from({ length: lanes }, () => new Set<number>());
  }

  /** The state a crash-file marker stored. */
  static fromLanes(lanes: readonly LaneTickets[]): HandedOffTickets {
    const tickets = new HandedOffTickets(lanes.length);
    for (const [lane, { below, above }] of lanes.entries()) {
      tickets.below[lane] = below;
      for (const ticket of above) tickets.above[lane]!.add(ticket);
    }
    return tickets;
  }

  /** Whether the record with `ticket` in `lane` is handed off. */
  has(lane: number, ticket: number): boolean {
    // A lane this state does not know (a file of a ring with more lanes) has nothing handed off.
    return ticket < (this.below[lane] ?? 0) || (this.above[lane]?.has(ticket) ?? false);
  }

  /** Marks the record with `ticket` in `lane` handed off. */
  add(lane: number, ticket: number): void {
    const below = this.below[lane]!;
    if (ticket === below) this.extend(lane, ticket + 1);
    else if (ticket > below) this.above[lane]!.add(ticket);
  }

  /** Every ticket below `ticket` counts as handed off: it has left the ring's window. */
  raise(lane: number, ticket: number): void {
    if (ticket <= this.below[lane]!) return;
    const above = this.above[lane]!;
    for (const taken of above) if (taken < ticket) above.delete(taken);
    this.extend(lane, ticket);
  }

  /** Moves the floor to `ticket`, and on past taken tickets right above it, so records taken in order keep the set empty. */
  private extend(lane: number, ticket: number): void {
    const above = this.above[lane]!;
    let floor = ticket;
    while (above.size > 0 && above.delete(floor)) floor++;
    this.below[lane] = floor;
  }

  /** A copy for a crash-file marker. */
  lanes(): LaneTickets[] {
    return this.below.map((below, lane) => ({ below, above: [...this.above[lane]!].sort((a, b) => a - b) }));
  }
}
