import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Whether the field being resolved asks for any of `names` among its own fields (through inline
 * fragments and named fragments too): a subscription can then leave out signals that could only
 * change fields nobody asked for.
 */
export function selectsAnyOf(info: GraphQLResolveInfo, names: readonly string[]): boolean {
  const wanted = new Set(names);
  const seen = new Set<string>();
  const within = (set: SelectionSetNode | undefined): boolean => (set?.selections ?? []).some((selection) => {
    if (selection.kind === Kind.FIELD) return wanted.has(selection.name.value);
    if (selection.kind === Kind.INLINE_FRAGMENT) return within(selection.selectionSet);
    const name = selection.name.value;
    if (seen.has(name)) return false;
    seen.add(name);
    return within(info.fragments[name]?.selectionSet);
  });
  return info.fieldNodes.some((node) => within(node.selectionSet));
}
