/** The users' folder tree (admin API `GET /users/paths`, the console's User folders), from their paths. */

export interface PathNode {
  name: string;
  path: string;
  /** Users directly in this folder. */
  count: number;
  /** Users in this folder and every subfolder. */
  total: number;
  children: PathNode[];
}

/** Builds the folder tree from `(path, count)` rows; intermediate folders get count 0. */
export function pathTree(rows: ReadonlyArray<{ path: string; count: number }>): PathNode[] {
  const roots: PathNode[] = [];
  const byPath = new Map<string, PathNode>();
  for (const { path, count } of rows) {
    const segments = path.split('/');
    let siblings = roots;
    for (let i = 0; i < segments.length; i++) {
      const p = segments.slice(0, i + 1).join('/');
      let node = byPath.get(p);
      if (!node) {
        node = { name: segments[i]!, path: p, count: 0, total: 0, children: [] };
        byPath.set(p, node);
        siblings.push(node);
      }
      node.total += count;
      if (i === segments.length - 1) node.count += count;
      siblings = node.children;
    }
  }
  const sort = (nodes: PathNode[]) => {
    nodes.sort((a, b) => a.name.localeCompare(b.name));
    nodes.forEach((n) => sort(n.children));
  };
  sort(roots);
  return roots;
}
