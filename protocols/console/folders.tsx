import type { VNode } from 'preact';

export interface FolderNode {
  readonly name: string;
  readonly path: string;
  /** Users in this folder and below. */
  total: number;
  readonly children: FolderNode[];
}

/** The folder tree from `(path, count)` rows (each distinct user path and its number of users). */
export function folderTree(rows: ReadonlyArray<{ path: string; count: number }>): FolderNode[] {
  const roots: FolderNode[] = [];
  const byPath = new Map<string, FolderNode>();
  for (const { path, count } of rows) {
    const segments = path.split('/');
    let siblings = roots;
    for (let i = 0; i < segments.length; i++) {
      const p = segments.slice(0, i + 1).join('/');
      let node = byPath.get(p);
      if (!node) {
        node = { name: segments[i]!, path: p, total: 0, children: [] };
        byPath.set(p, node);
        siblings.push(node);
      }
      node.total += count;
      siblings = node.children;
    }
  }
  const sort = (nodes: FolderNode[]) => {
    nodes.sort((a, b) => a.name.localeCompare(b.name));
    nodes.forEach((n) => sort(n.children));
  };
  sort(roots);
  return roots;
}

function Branch({ nodes, selected, href }: { nodes: readonly FolderNode[]; selected: string; href: (path: string) => string }): VNode {
  return (
    <ul>
      {nodes.map((n) => (
        <li key={n.path}>
          <a href={href(n.path)} aria-current={n.path === selected ? 'true' : undefined}>
            {n.name} <span class="count">({n.total.toLocaleString('en')})</span>
          </a>
          {n.children.length > 0 ? <Branch nodes={n.children} selected={selected} href={href} /> : null}
        </li>
      ))}
    </ul>
  );
}

/** The region **User folders**: selecting a folder filters the list (and pre-fills New User's Path). */
export function UserFolders({ tree, selected, href }: { tree: readonly FolderNode[]; selected: string; href: (path: string) => string }): VNode {
  return (
    <section class="folders" aria-label="User folders">
      <h2>User folders</h2>
      <ul>
        <li>
          <a href={href('')} aria-current={selected === '' ? 'true' : undefined}>All users</a>
          {tree.length > 0 ? <Branch nodes={tree} selected={selected} href={href} /> : null}
        </li>
      </ul>
    </section>
  );
}
