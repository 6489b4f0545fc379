import type { VNode } from 'preact';
import { pathTree, type PathNode } from '../../src/domain/folders.js';

/** One folder of the tree, as the users service's paths make it (src/domain/folders.ts). */
export type FolderNode = PathNode;

/** The folder tree from `(path, count)` rows: the same tree the admin API's `GET /users/paths` answers. */
export const folderTree = pathTree;

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
